#!/usr/bin/python3
"""QUIC end-to-end tests: real QUIC (HTTP/3) exchanges in two network namespaces.

The "phone" namespace (192.0.2.2, 2001:db8::2) runs ngtcp2's gtlsclient, writing an NSS key log,
against gtlsserver instances in the "server" namespace (192.0.2.1, 2001:db8::1), one UDP port per
case. The client sends the URI's host as SNI only when the name resolves, so it runs in a private
mount namespace whose /etc/hosts names the server. tcpdump captures on the phone's veth; phonehome
reads the capture with the key log, from which some cases' keys are left out or corrupted. Only
TEST-NET-1 and documentation IPv6 addresses, only inside namespaces this script creates and
removes. The GET, POST and several-requests cases are sent again in cleartext HTTP/1.1 (curl against a
Python http.server, same ports over TCP, captured by a second tcpdump), and the leaks of both captures are compared
per request. Needs root; elsewhere every case is skipped with a message.
Usage: PHONEHOME=build/san/phonehome /usr/bin/python3 tests/e2e/e2e_quic.py  (PH_KEEP=1 keeps the
capture, key logs and reports)
"""
import datetime
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

PH = os.path.abspath(os.environ.get("PHONEHOME", "build/san/phonehome"))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
IDENTITY = os.path.join(ROOT, "rules", "identity-example.json")
TAG = "pq%d" % os.getpid()
PHONE, SERVER = TAG + "p", TAG + "s"
VP, VS = TAG + "a", TAG + "b"
PHONE_IP, SERVER_IP = "192.0.2.2", "192.0.2.1"
PHONE_IP6, SERVER_IP6 = "2001:db8::2", "2001:db8::1"
HOST, HOST6 = "api.example.test", "v6.example.test"

ident = json.load(open(IDENTITY))
IMEI, IMSI, PHONE_NO = ident["imei"][0], ident["imsi"][0], ident["phone_number"][0]

GET_PORT, POST_PORT, MULTI_PORT, V6_PORT = 4433, 4434, 4435, 4436
WRONG_PORT, NOKEY_PORT, RESP_PORT, KU_PORT = 4437, 4438, 4439, 4440
LIVE_PORT = 4441
BIG_PORT = 4442  # a POST body over phonehome's body cap: the flow says where its scan stopped
TABLE_PORT = 4443  # 500 requests, each :authority a new QPACK insert: the Required Insert Count wraps
TABLE_REQS = 500
REBIND_PORT = 4444  # NAT rebinding: the client's port changes, its connection ID does not
MIGRATE_PORT = 4445  # the client migrates to a new port with path validation and a new connection ID
MOVE = ("--change-local-addr=30ms", "--delay-stream=300ms")  # the request leaves after the move
EARLY_PORT = 4446  # a resumed connection whose request goes in 0-RTT (its key log: -EARLY_PORT, the first one's)
LIVE = None

results = []


def sh(*args, check=True, **kw):
    return subprocess.run(list(args), check=check, capture_output=True, text=True, **kw)


def ns(name, *args, **kw):
    return sh("ip", "netns", "exec", name, *args, **kw)


def setup():
    sh("ip", "netns", "add", PHONE)
    sh("ip", "netns", "add", SERVER)
    sh("ip", "link", "add", VP, "type", "veth", "peer", "name", VS)
    sh("ip", "link", "set", VP, "netns", PHONE)
    sh("ip", "link", "set", VS, "netns", SERVER)
    for n, dev, ip, ip6 in ((PHONE, VP, PHONE_IP, PHONE_IP6), (SERVER, VS, SERVER_IP, SERVER_IP6)):
        ns(n, "ip", "addr", "add", ip + "/24", "dev", dev)
        ns(n, "ip", "-6", "addr", "add", ip6 + "/64", "dev", dev, "nodad")
        ns(n, "ip", "link", "set", dev, "up")
        ns(n, "ip", "link", "set", "lo", "up")
        ns(n, "ethtool", "-K", dev, "tso", "off", "gso", "off", check=False)


def teardown():
    for n in (PHONE, SERVER):
        for p in sh("ip", "netns", "pids", n, check=False).stdout.split():
            try:
                os.kill(int(p), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
        sh("ip", "netns", "del", n, check=False)


def client(host, port, uris, keylog, data=None, extra=()):
    """gtlsclient in the phone namespace with a private /etc/hosts; its key log in keylog."""
    hosts = os.path.join(TMP, "hosts")
    with open(hosts, "w") as o:
        o.write("127.0.0.1 localhost\n%s %s\n%s %s\n" % (SERVER_IP, HOST, SERVER_IP6, HOST6))
    args = ["gtlsclient", "-q", "--exit-on-all-streams-close", "--timeout=5s"] + list(extra)
    if data:
        args += ["-d", data]
    args += [host, str(port)] + uris
    cmd = "mount --bind %s /etc/hosts && SSLKEYLOGFILE=%s exec %s" % (hosts, keylog, " ".join("'%s'" % a for a in args))
    return ns(PHONE, "unshare", "-m", "sh", "-c", cmd, check=False, timeout=30)


def live_run():
    """phonehome -i in the server namespace with a key log that is empty when it starts and grows
    while it runs (the client appends its secrets); its report goes to LIVE."""
    global LIVE
    kl = os.path.join(TMP, "live.keylog")
    open(kl, "w").close()
    out = os.path.join(TMP, "live.json")
    p = subprocess.Popen(["ip", "netns", "exec", SERVER, PH, "-i", VS, "--identity", IDENTITY, "--no-geoip", "-q",
                          "--device", PHONE_IP, "--keylog", kl, "--json", out, "-Z", "root"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)
    client(HOST, LIVE_PORT, ["https://%s:%d/a?imei=%s" % (HOST, LIVE_PORT, IMEI)], kl)
    time.sleep(0.5)
    p.send_signal(signal.SIGINT)
    try:
        p.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
    if os.path.exists(out):
        LIVE = json.load(open(out))


HTTPD = r"""
import sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: curl sends the three requests on one connection
    def reply(self):
        n = int(self.headers.get("content-length") or 0)
        if n:
            self.rfile.read(n)
        self.send_response(200)
        self.send_header("content-length", "3")
        self.end_headers()
        self.wfile.write(b"ok\n")
    do_GET = do_POST = reply
    def log_message(self, *a):
        pass
for port in sys.argv[2:]:
    srv = ThreadingHTTPServer((sys.argv[1], int(port)), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
print("ready", flush=True)
threading.Event().wait()
"""


def requests(scheme):
    """The requests of the GET, POST and several-requests cases: {port: (urls, body file or None)}. The cleartext
    twin sends the same ones over HTTP/1.1 (TCP, same port numbers, so the Host header equals :authority)."""
    def url(port, path):
        return "%s://%s:%d%s" % (scheme, HOST, port, path)
    return {GET_PORT: ([url(GET_PORT, "/a?imei=%s&v=1" % IMEI)], None),
            POST_PORT: ([url(POST_PORT, "/b")], os.path.join(TMP, "body.txt")),
            MULTI_PORT: ([url(MULTI_PORT, "/a?imei=%s" % IMEI), url(MULTI_PORT, "/b?imsi=%s" % IMSI),
                          url(MULTI_PORT, "/c?tel=%s" % PHONE_NO.replace("+", "%2B"))], None)}


def cleartext_twins():
    """The same requests in cleartext HTTP/1.1: curl in the phone namespace against a Python http.server in the
    server namespace. curl's headers are made like gtlsclient's (its user-agent, no Accept, no Content-Type) and the
    body is sent as is (--data-binary, not -d, which strips newlines)."""
    ports = sorted(requests("http"))
    srv = subprocess.Popen(["ip", "netns", "exec", SERVER, "/usr/bin/python3", "-c", HTTPD, SERVER_IP] +
                           [str(p) for p in ports], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        srv.stdout.readline()  # "ready"
        for port, (urls, body) in sorted(requests("http").items()):
            args = ["curl", "-s", "-o", "/dev/null", "--max-time", "5",
                    "--resolve", "%s:%d:%s" % (HOST, port, SERVER_IP),
                    "-A", "nghttp3/ngtcp2 client", "-H", "Accept:", "-H", "Content-Type:"]
            if body:
                args += ["--data-binary", "@" + body]
            r = ns(PHONE, *(args + urls), check=False, timeout=30)
            if r.returncode:
                print("  curl %d exited %d: %s" % (port, r.returncode, r.stderr[-300:]))
    finally:
        srv.kill()
        srv.wait(timeout=10)


def capture_all():
    """Starts the servers and tcpdump, runs every client; returns the pcap and per-case key logs."""
    cert, key = os.path.join(TMP, "cert.pem"), os.path.join(TMP, "key.pem")
    sh("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + HOST, "-days", "2",
       "-keyout", key, "-out", cert)
    docs = os.path.join(TMP, "htdocs")
    os.mkdir(docs)
    with open(os.path.join(docs, "profile.json"), "w") as o:  # the server, not the phone, says the IMEI
        o.write('{"imei": "%s", "note": "from the server"}\n' % IMEI)
    for name in ("a", "b", "c", "index.html"):
        with open(os.path.join(docs, name), "w") as o:
            o.write("ok\n")
    servers = []
    for port in (GET_PORT, POST_PORT, MULTI_PORT, WRONG_PORT, NOKEY_PORT, RESP_PORT, KU_PORT, LIVE_PORT, BIG_PORT,
                 TABLE_PORT, REBIND_PORT, MIGRATE_PORT, EARLY_PORT):
        servers.append(subprocess.Popen(["ip", "netns", "exec", SERVER, "gtlsserver", "-q", "-d", docs, SERVER_IP,
                                         str(port), key, cert], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    servers.append(subprocess.Popen(["ip", "netns", "exec", SERVER, "gtlsserver", "-q", "-d", docs, SERVER_IP6,
                                     str(V6_PORT), key, cert], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    pcap = os.path.join(TMP, "quic.pcap")
    # -B: a 32 MiB ring, no drop of the 1.5 MiB upload on a busy machine
    td = subprocess.Popen(["ip", "netns", "exec", PHONE, "tcpdump", "-i", VP, "-s", "0", "-B", "32768", "-U", "-w", pcap, "udp"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    td.stderr.readline()  # "listening on ..."
    http_pcap = os.path.join(TMP, "http.pcap")  # the cleartext twins, captured the same way
    td_http = subprocess.Popen(["ip", "netns", "exec", PHONE, "tcpdump", "-i", VP, "-s", "0", "-B", "32768", "-U", "-w", http_pcap,
                                "tcp"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    td_http.stderr.readline()
    time.sleep(0.7)
    body = os.path.join(TMP, "body.txt")
    with open(body, "w") as o:
        o.write("device=%s&model=redmi\n" % IMEI)
    big = os.path.join(TMP, "big.txt")
    with open(big, "w") as o:
        o.write("device=%s&pad=%s\n" % (IMEI, "x" * (1536 << 10)))
    kl = {}
    base = "https://%s:%d" % (HOST, 0)

    def url(port, path, host=HOST):
        return "https://%s:%d%s" % (host, port, path)
    twins = requests("https")  # the requests the cleartext twins repeat
    for port, uris, data, host, extra in (
            (GET_PORT, twins[GET_PORT][0], twins[GET_PORT][1], HOST, ()),
            (POST_PORT, twins[POST_PORT][0], twins[POST_PORT][1], HOST, ()),
            (MULTI_PORT, twins[MULTI_PORT][0], twins[MULTI_PORT][1], HOST, ()),
            (V6_PORT, [url(V6_PORT, "/b", HOST6)], body, HOST6, ()),
            (WRONG_PORT, [url(WRONG_PORT, "/a?imei=%s" % IMEI)], body, HOST, ()),
            (NOKEY_PORT, [url(NOKEY_PORT, "/a?imei=%s" % IMEI)], body, HOST, ()),
            (RESP_PORT, [url(RESP_PORT, "/profile.json")], None, HOST, ()),
            (KU_PORT, [url(KU_PORT, "/b")], body, HOST, ("--key-update=10ms", "--delay-stream=50ms")),
            (BIG_PORT, [url(BIG_PORT, "/b")], big, HOST, ()),
            (TABLE_PORT, table_uris(), None, HOST, ()),
            (REBIND_PORT, [url(REBIND_PORT, "/a?imei=%s" % IMEI)], None, HOST, MOVE + ("--nat-rebinding",)),
            (MIGRATE_PORT, [url(MIGRATE_PORT, "/a?imei=%s" % IMEI)], None, HOST, MOVE)):
        kl[port] = os.path.join(TMP, "keylog%d.txt" % port)
        r = client(host, port, uris, kl[port], data, extra)
        if not os.path.exists(kl[port]) and extra:  # an option this gtlsclient lacks: without it
            r = client(host, port, uris, kl[port], data)
        if not os.path.exists(kl[port]):
            print("  client %d wrote no key log: %s %s" % (port, r.stdout[-300:], r.stderr[-300:]))
    # 0-RTT: a first connection leaves a session ticket and the server's transport parameters, the
    # second resumes with them and sends its request as early data
    early = ("--session-file=" + os.path.join(TMP, "session.pem"), "--tp-file=" + os.path.join(TMP, "tp.txt"))
    for port, uri in ((-EARLY_PORT, "/a"), (EARLY_PORT, "/a?imei=%s" % IMEI)):
        kl[port] = os.path.join(TMP, "keylog%d.txt" % port)
        r = client(HOST, EARLY_PORT, [url(EARLY_PORT, uri)], kl[port], None, early)
        if r.returncode:
            print("  client %d exited %d: %s" % (port, r.returncode, r.stderr[-300:]))
    live_run()
    cleartext_twins()
    time.sleep(1.5)  # tcpdump's ring hands a block over after 1 s: a SIGINT sooner loses the last (the twins)
    for t in (td, td_http):
        t.send_signal(signal.SIGINT)
        t.wait(timeout=10)
    if os.path.getsize(http_pcap) < 100:
        print("  tcpdump tcp: %s" % td_http.stderr.read()[-500:])
    for s in servers:
        s.kill()
    return pcap, http_pcap, kl


def table_uris():
    """TABLE_REQS GETs on one connection, each to another :authority (nghttp3 inserts each into the dynamic table);
    only the last carries the IMEI. The server's SETTINGS give a 4096-byte table (128 entries), so the encoded
    Required Insert Count wraps at 256: past it, a decoder sized otherwise reads the wrong insert count."""
    return ["https://h%d.example.test:%d/a%s" % (i, TABLE_PORT, "?imei=" + IMEI if i == TABLE_REQS - 1 else "")
            for i in range(TABLE_REQS)]


def build_keylog(kl):
    """One key log: every case's keys, none for NOKEY_PORT, wrong application secrets for WRONG_PORT."""
    out = os.path.join(TMP, "keylog.txt")
    with open(out, "w") as o:
        for port, path in sorted(kl.items()):
            if port == NOKEY_PORT or not os.path.exists(path):
                continue
            for line in open(path):
                if port == WRONG_PORT and "TRAFFIC_SECRET_0" in line:
                    label, rnd, sec = line.split()
                    line = "%s %s %s\n" % (label, rnd, "%02x" % (int(sec[:2], 16) ^ 0xff) + sec[2:])
                o.write(line)
    return out


def run_ph(pcap, *extra):
    out = os.path.join(TMP, "report%d.json" % len(os.listdir(TMP)))
    r = subprocess.run([PH, "-r", pcap, "--identity", IDENTITY, "--no-geoip", "--device", PHONE_IP, "--device",
                        PHONE_IP6, "--json", out] + list(extra), capture_output=True, text=True)
    rep = json.load(open(out)) if r.returncode == 0 and os.path.exists(out) else None
    return r, rep


EVE = []


def eve_records():
    """The EVE records of the capture read with the key log (made once)."""
    if not EVE:
        eve = os.path.join(TMP, "events.json")
        r, _ = run_ph(PCAP, "--keylog", KEYLOG, "--eve", eve)
        check(r.returncode == 0, "exit %d: %s" % (r.returncode, r.stderr))
        EVE.extend(json.loads(x) for x in open(eve))
    return EVE


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def leaks_to(rep, port):
    return [l for l in rep["leaks"] if l.get("dest_port") == port]


def flow_to(rep, port):
    return [f for f in rep["flows"] if f.get("dest_port") == port]


def case(fn):
    try:
        fn()
        results.append((fn.__name__, None))
        print("ok %s" % fn.__name__)
    except Exception as e:  # noqa: BLE001 - every failure is reported, the run goes on
        results.append((fn.__name__, e))
        print("FAIL %s: %s" % (fn.__name__, e))
    return fn


def decrypted_quic(l):
    return (l.get("encrypted") is True and l.get("decrypted") is True and l.get("transport") == "quic"
            and l.get("quic_version") == "v1" and l.get("tls_version") == "TLSv1.3" and l.get("cipher", "").startswith("TLS_")
            and l["encoding"].startswith("quic>h3"))


def main():
    global TMP
    if os.geteuid() != 0 or not shutil.which("tcpdump") or not shutil.which("gtlsclient") or not shutil.which("gtlsserver"):
        print("e2e-quic: skipped (needs root, tcpdump and ngtcp2's gtlsclient/gtlsserver: make deps)")
        print("e2e-quic: 0 passed, 0 failed")
        return 0
    TMP = tempfile.mkdtemp(prefix="ph-e2e-quic-")
    try:
        setup()
        pcap, http_pcap, kl = capture_all()
    finally:
        teardown()
    keylog = build_keylog(kl)
    global PCAP, KEYLOG
    PCAP, KEYLOG = pcap, keylog
    r, REP = run_ph(pcap, "--keylog", keylog)
    r0, NOKL = run_ph(pcap)
    rh, HTTP = run_ph(http_pcap)  # the cleartext twins: same identity, same options, nothing to decrypt
    if REP is None or NOKL is None or HTTP is None:
        print("phonehome failed: %s %s %s" % (r.stderr[-2000:], r0.stderr[-2000:], rh.stderr[-2000:]))
        print("e2e-quic: 0 passed, 1 failed")
        return 1

    @case
    def get_imei_in_query_decrypted():
        ls = [l for l in leaks_to(REP, GET_PORT) if l["kind"] == "imei"]
        check(ls, "no imei leak: %s" % leaks_to(REP, GET_PORT))
        check(all(decrypted_quic(l) for l in ls), "not marked as decrypted QUIC: %s" % ls)
        check(any(l["where"] == "url" for l in ls), "the query of :path is not a url leak: %s" % ls)
        fl = flow_to(REP, GET_PORT)
        check(fl and fl[0].get("tls_decryption") == "decrypted", "flow %s" % fl)

    @case
    def post_body_imei_decrypted():
        ls = [l for l in leaks_to(REP, POST_PORT) if l["kind"] == "imei"]
        check(ls and all(decrypted_quic(l) for l in ls), "post: %s" % leaks_to(REP, POST_PORT))
        check(any(l["where"] == "body" for l in ls), "the POST body (HTTP/3 DATA) is not a body leak: %s" % ls)

    @case
    def several_requests_on_one_connection():
        kinds = {l["kind"] for l in leaks_to(REP, MULTI_PORT) if decrypted_quic(l)}
        check({"imei", "imsi", "phone_number"} <= kinds, "kinds %s" % sorted(kinds))
        check(len(flow_to(REP, MULTI_PORT)) == 1, "one connection: %s" % flow_to(REP, MULTI_PORT))

    @case
    def ipv6():
        ls = [l for l in leaks_to(REP, V6_PORT) if l["kind"] == "imei" and decrypted_quic(l)]
        check(ls, "v6: %s" % leaks_to(REP, V6_PORT))
        fl = flow_to(REP, V6_PORT)
        check(fl and fl[0]["host"] == HOST6 and fl[0]["host_source"] == "sni", "v6 flow %s" % fl)

    @case
    def wrong_key_nothing_scanned_counted_failed():
        check(not leaks_to(REP, WRONG_PORT), "leak from a flow with a wrong key: %s" % leaks_to(REP, WRONG_PORT))
        fl = flow_to(REP, WRONG_PORT)
        check(fl and fl[0].get("tls_decryption") == "decryption failed", "flow %s" % fl)
        check(REP["stats"].get("quic_packets_failed_authentication", 0) > 0, "stats %s" % REP["stats"])

    @case
    def no_key_named_by_sni_counted_not_inspected():
        check(not leaks_to(REP, NOKEY_PORT), "leak from a flow without keys")
        fl = flow_to(REP, NOKEY_PORT)
        check(fl and fl[0].get("tls_decryption") == "encrypted, no key", "flow %s" % fl)
        check(fl[0]["host"] == HOST and fl[0]["host_source"] == "sni" and fl[0].get("quic_version") == "v1",
              "flow %s" % fl[0])
        check(REP["stats"].get("tls_flows_encrypted_no_key", 0) >= 1, "stats %s" % REP["stats"])
        s = subprocess.run([PH, "-r", pcap, "--identity", IDENTITY, "--no-geoip", "--device", PHONE_IP, "--device",
                            PHONE_IP6, "--keylog", keylog], capture_output=True, text=True).stdout
        check("could not be inspected" in s and HOST in s, "summary: %s" % s[-1500:])

    @case
    def identifier_only_in_server_response_is_no_leak():
        check(not leaks_to(REP, RESP_PORT), "leak: %s" % leaks_to(REP, RESP_PORT))
        fl = flow_to(REP, RESP_PORT)
        check(fl and fl[0].get("tls_decryption") == "decrypted", "flow %s" % fl)

    @case
    def key_update_followed():
        ls = [l for l in leaks_to(REP, KU_PORT) if l["kind"] == "imei" and decrypted_quic(l)]
        check(ls, "after key update: %s" % leaks_to(REP, KU_PORT))
        check(REP["stats"].get("quic_key_updates", 0) >= 1, "key updates: %s" % REP["stats"].get("quic_key_updates"))

    @case
    def live_capture_rereads_growing_keylog():
        check(LIVE is not None, "no live report")
        ls = [l for l in LIVE["leaks"] if l.get("dest_port") == LIVE_PORT and l["kind"] == "imei"]
        check(ls and all(decrypted_quic(l) for l in ls), "live: %s" % LIVE["leaks"])

    @case
    def http3_decrypted_leaks_equal_cleartext_http11_twins():
        """The GET, POST and several-requests cases sent again in cleartext HTTP/1.1 (cleartext_twins), audited with
        the same identity: per request, the same leaks. A leak is (kind, where, key, chain); the chain of a decrypted
        HTTP/3 leak is the cleartext one behind a "quic>h3>" prefix (url:quic>h3>plain against url:plain), so the
        prefix is removed before comparing. Only url and body leaks are compared: gtlsclient cannot add request
        headers, so a header leak could only come from one side. A request is its port (one per connection) and, on
        the connection that carries three, the path of the url leak's evidence (these paths are short enough for the
        evidence to start with them)."""
        def leak_sets(rep, h3):
            sets = {}
            for port, (urls, _) in requests("http").items():
                for u in urls:
                    sets[(port, u.split("/", 3)[3].split("?")[0] if len(urls) > 1 else None)] = set()
            for l in rep["leaks"]:
                if l.get("dest_port") not in requests("http") or l["where"] not in ("url", "body"):
                    continue
                check(decrypted_quic(l) if h3 else (not l["encrypted"] and not l.get("decrypted")),
                      "%s leak not as expected: %s" % ("HTTP/3" if h3 else "HTTP/1.1", l))
                chain = l["encoding"]
                if h3:
                    check(chain.startswith("quic>h3>"), "HTTP/3 chain without quic>h3>: %s" % l)
                    chain = chain[len("quic>h3>"):]
                path = None
                if len(requests("http")[l["dest_port"]][0]) > 1:
                    ev = l["evidence"] if l["where"] == "url" else ""
                    path = ev[1:].split("?")[0] if ev.startswith("/") else "?"
                sets.setdefault((l["dest_port"], path), set()).add((l["kind"], l["where"], l["key"], chain))
            return sets
        h3, h1 = leak_sets(REP, True), leak_sets(HTTP, False)
        check(len(flow_to(HTTP, MULTI_PORT)) == 1,
              "curl's three requests on one connection: %s" % flow_to(HTTP, MULTI_PORT))
        diffs = []
        for req in sorted(set(h3) | set(h1), key=str):
            a, b = h3.get(req, set()), h1.get(req, set())
            name = "%d%s" % (req[0], " /" + req[1] if req[1] else "")
            print("  %-12s HTTP/3 %s  HTTP/1.1 %s" % (name, sorted(a, key=str), sorted(b, key=str)))
            if a != b:
                diffs.append("%s: only in HTTP/3 %s, only in HTTP/1.1 %s" % (name, sorted(a - b, key=str),
                                                                          sorted(b - a, key=str)))
            elif not a:
                diffs.append("%s: no leak on either side" % name)
        check(not diffs, "decrypted HTTP/3 and cleartext HTTP/1.1 differ: " + "; ".join(diffs))

    @case
    def body_over_the_cap_marks_the_flow_truncated():
        ls = [l for l in leaks_to(REP, BIG_PORT) if l["kind"] == "imei" and decrypted_quic(l)]
        check(ls, "no imei leak at the start of the big body: %s" % leaks_to(REP, BIG_PORT))
        fl = flow_to(REP, BIG_PORT)
        check(fl and fl[0].get("truncated") is True, "flow not marked truncated: %s" % fl)

    @case
    def server_settings_size_the_qpack_table():
        """Every decrypted HTTP/3 connection had its server's SETTINGS read; with 500 requests the Required Insert Count
        wraps (at 2 * 4096 / 32; nghttp3 inserts about 7 in 10), and the requests after the wrap are decoded only with
        the server's table size (with 64 KiB assumed, none is: checked by hand on this capture)."""
        st = REP["stats"]
        decrypted = [f for f in REP["flows"] if f.get("quic_version") and f.get("tls_decryption") == "decrypted"]
        check(st.get("quic_h3_server_settings", 0) >= len(decrypted) >= 8,
              "server SETTINGS read on %s of %d decrypted flows" % (st.get("quic_h3_server_settings"), len(decrypted)))
        check(st.get("quic_h3_qpack_table_assumed") == 0, "assumed: %s" % st.get("quic_h3_qpack_table_assumed"))
        ls = [l for l in leaks_to(REP, TABLE_PORT) if l["kind"] == "imei" and decrypted_quic(l) and l["where"] == "url"]
        check(ls, "no imei in the request after the insert count wrapped: %s" % leaks_to(REP, TABLE_PORT))
        hosts = {h["http"]["hostname"] for h in eve_records() if h["event_type"] == "http" and h["dest_port"] == TABLE_PORT}
        check(len(hosts) == TABLE_REQS, "requests decoded: %d of %d" % (len(hosts), TABLE_REQS))

    def moved_connection(port):
        """The client's datagrams to port left from two source ports (the capture says so); the IMEI request was sent
        from the second, after the move, and is found, decrypted, in the one flow of the connection."""
        out = subprocess.run(["tcpdump", "-r", pcap, "-n", "-tt", "udp and dst port %d" % port], capture_output=True,
                             text=True).stdout.splitlines()
        first = {}
        for line in out:  # "1700000000.123456 IP 192.0.2.2.40000 > 192.0.2.1.4444: UDP, length 1200"
            sport = int(line.split()[2].rsplit(".", 1)[1])
            first.setdefault(sport, float(line.split()[0]))
        check(len(first) >= 2, "the client did not move: source ports %s" % sorted(first))
        moved_at = sorted(first.values())[1]
        fl = flow_to(REP, port)
        check(len(fl) == 1, "one flow for the connection: %s" % [(f["src_port"], f["flow_id"]) for f in fl])
        ls = [l for l in leaks_to(REP, port) if l["kind"] == "imei" and decrypted_quic(l) and l["where"] == "url"]
        check(ls, "no imei leak after the move: %s" % leaks_to(REP, port))
        check(all(l["flow_id"] == fl[0]["flow_id"] for l in ls), "leak of another flow: %s" % ls)
        check(fl[0].get("tls_decryption") == "decrypted", "flow %s" % fl[0])
        sent = [datetime.datetime.strptime(l["timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
            tzinfo=datetime.timezone.utc).timestamp() for l in ls]
        check(min(sent) >= moved_at - 1e-6, "the request left before the move (%s < %s)" % (min(sent), moved_at))

    @case
    def nat_rebinding_followed():
        moved_connection(REBIND_PORT)
        # the connection ID stays, and the server's is in its Initial: one flow even without a key log
        check(len(flow_to(NOKL, REBIND_PORT)) == 1, "without keys: %s" % flow_to(NOKL, REBIND_PORT))

    @case
    def port_migration_with_new_connection_id_followed():
        moved_connection(MIGRATE_PORT)

    @case
    def zero_rtt_request_decrypted():
        """The resumed connection's key log has its early secret; its IMEI request is found, decrypted, in that
        connection's flow, and was sent before the server's first datagram of it: in 0-RTT packets."""
        check("CLIENT_EARLY_TRAFFIC_SECRET" in open(kl[EARLY_PORT]).read(), "no early secret: not resumed?")
        fl = sorted(flow_to(REP, EARLY_PORT), key=lambda f: f["first_seen"])
        check(len(fl) == 2, "two connections: %s" % [(f["src_port"], f["flow_id"]) for f in fl])
        ls = [l for l in leaks_to(REP, EARLY_PORT) if l["kind"] == "imei" and decrypted_quic(l) and l["where"] == "url"]
        check(ls and all(l["flow_id"] == fl[1]["flow_id"] for l in ls), "leaks: %s" % leaks_to(REP, EARLY_PORT))
        out = subprocess.run(["tcpdump", "-r", pcap, "-n", "-tt", "udp and src port %d and dst port %d" %
                              (EARLY_PORT, fl[1]["src_port"])], capture_output=True, text=True).stdout.split()
        check(out, "no server datagram")
        sent = datetime.datetime.strptime(ls[0]["timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
            tzinfo=datetime.timezone.utc).timestamp()
        check(sent < float(out[0]), "sent at %s, after the server's first datagram at %s" % (sent, out[0]))

    @case
    def eve_quic_and_http3_records():
        recs = eve_records()
        quic = [x for x in recs if x["event_type"] == "quic" and x["dest_port"] == GET_PORT]
        check(quic and quic[0]["quic"].get("sni") == HOST and quic[0]["quic"].get("version") == "v1",
              "quic record: %s" % quic)
        check(not [x for x in recs if x["event_type"] == "tls" and x["proto"] == "UDP"], "tls records for QUIC flows")
        h3 = [x for x in recs if x["event_type"] == "http" and x["dest_port"] == GET_PORT]
        check(h3 and h3[0]["http"].get("protocol") == "HTTP/3" and h3[0]["http"].get("hostname") == HOST,
              "http record of the HTTP/3 request: %s" % h3)

    @case
    def without_keylog_every_flow_named_nothing_decrypted():
        quic = [f for f in NOKL["flows"] if f.get("quic_version")]
        check(len(quic) >= 8, "QUIC flows: %d" % len(quic))
        check(all(f["host_source"] == "sni" and f["host"] in (HOST, HOST6) for f in quic), "names: %s" %
              [(f["host"], f["host_source"]) for f in quic])
        check(not [l for l in NOKL["leaks"] if l.get("decrypted")], "decrypted without a key log")

    passed = sum(1 for _, e in results if e is None)
    failed = len(results) - passed
    if failed or os.environ.get("PH_KEEP"):
        print("  artifacts kept in %s" % TMP)
    else:
        shutil.rmtree(TMP, ignore_errors=True)
    print("e2e-quic: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
