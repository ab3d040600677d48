#!/usr/bin/python3
"""HTTPS decryption end-to-end tests (--keylog): real TLS exchanges in two network namespaces.

The "phone" namespace (192.0.2.2) runs curl, openssl s_client and a Python client, each writing
an NSS key log, against TLS servers in the "server" namespace (192.0.2.1): Python's ssl module
(TLS 1.2 and 1.3, one port per cipher suite) and nghttpd (HTTP/2). tcpdump captures on the phone's
veth. The same requests are also sent in cleartext, and the leaks phonehome finds inside TLS must
be the cleartext ones with "tls>" (and "h2>") in front. Keys are random, so leaks are checked by
shape (kind, where, encoding, flags), not bytes. Only TEST-NET-1 addresses, only inside namespaces
this script creates and removes. Needs root; elsewhere every case is skipped with a message.
Usage: PHONEHOME=build/san/phonehome /usr/bin/python3 tests/e2e/e2e_tls.py
"""
import gzip
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
TAG = "pt%d" % os.getpid()
PHONE, SERVER = TAG + "p", TAG + "s"
VP, VS = TAG + "a", TAG + "b"
PHONE_IP, SERVER_IP = "192.0.2.2", "192.0.2.1"
HOST = "api.example.test"

ident = json.load(open(IDENTITY))
IMEI, IMSI, PHONE_NO = ident["imei"][0], ident["imsi"][0], ident["phone_number"][0]

# port -> (TLS version, OpenSSL cipher list / 1.3 suite, server options, expected IANA name)
CASES = {
    4431: ("1.3", "TLS_AES_128_GCM_SHA256", "", "TLS_AES_128_GCM_SHA256"),
    4432: ("1.3", "TLS_AES_256_GCM_SHA384", "", "TLS_AES_256_GCM_SHA384"),
    4433: ("1.3", "TLS_CHACHA20_POLY1305_SHA256", "", "TLS_CHACHA20_POLY1305_SHA256"),
    4434: ("1.2", "ECDHE-RSA-AES128-GCM-SHA256", "", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
    4435: ("1.2", "ECDHE-RSA-AES256-GCM-SHA384", "", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"),
    4436: ("1.2", "ECDHE-RSA-CHACHA20-POLY1305", "", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"),
    4437: ("1.2", "ECDHE-RSA-AES128-SHA", "", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"),
    4438: ("1.2", "ECDHE-RSA-AES256-SHA384", "noetm", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384"),
    4439: ("1.2", "AES128-GCM-SHA256", "", "TLS_RSA_WITH_AES_128_GCM_SHA256"),
    4440: ("1.2", "ECDHE-RSA-AES128-SHA256", "", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"),
}
H2_PORT = 4450          # nghttpd
SPLIT_PORT = 4460       # Python client writing a request in small TLS records
KU_PORT = 4461          # openssl s_client with a KeyUpdate inside the request
NOKEY_PORT = 4462       # a client that logs no keys
RESUME12_PORT, RESUME13_PORT = 4463, 4464   # a Python client resuming its session
CLEAR_PORT = 8080

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
    for n, dev, ip in ((PHONE, VP, PHONE_IP), (SERVER, VS, SERVER_IP)):
        ns(n, "ip", "addr", "add", ip + "/24", "dev", dev)
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


SERVER_PY = r'''
import http.server, json, socket, ssl, sys, threading
cfg = json.loads(sys.argv[1])
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def _ok(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n: self.rfile.read(n)
        self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers(); self.wfile.write(b"ok")
    do_GET = do_POST = _ok
    def log_message(self, *a): pass
class S(http.server.ThreadingHTTPServer):
    daemon_threads = True
def serve(port, ver, ciphers, opts):
    srv = S((cfg["ip"], port), H)
    if ver:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cfg["cert"], cfg["key"])
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        if ver == "1.2":
            ctx.maximum_version = ssl.TLSVersion.TLSv1_2
            ctx.set_ciphers(ciphers)
        if opts == "noetm":
            ctx.options |= 0x80000   # SSL_OP_NO_ENCRYPT_THEN_MAC
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.serve_forever()
for port, ver, ciphers, opts in cfg["ports"]:
    threading.Thread(target=serve, args=(port, ver, ciphers, opts), daemon=True).start()
print("ready", flush=True)
threading.Event().wait()
'''

CLIENT_SPLIT_PY = r'''
import socket, ssl, sys
ip, port, host, keylog, imei = sys.argv[1:6]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ctx.keylog_filename = keylog
s = ctx.wrap_socket(socket.create_connection((ip, int(port))), server_hostname=host)
req = ("GET /split?imei=%s&x=1 HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % (imei, host)).encode()
cut = req.index(imei.encode()) + 7
for piece in (req[:cut], req[cut:cut + 3], req[cut + 3:]):   # one TLS record each
    s.sendall(piece)
s.recv(4096)
s.close()
'''

CLIENT_RESUME_PY = r'''
import socket, ssl, sys
ip, port, host, keylog, imei, ver = sys.argv[1:7]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ctx.keylog_filename = keylog
if ver == "1.2":
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
sess = None
for path in ("first", "resumed"):
    s = ctx.wrap_socket(socket.create_connection((ip, int(port))), server_hostname=host, session=sess)
    s.sendall(("GET /%s?imei=%s HTTP/1.1\r\nHost: %s\r\n\r\n" % (path, imei, host)).encode())
    s.recv(4096)
    print(path, s.session_reused, flush=True)
    sess = s.session
    s.close()
'''


def curl(port, keylog, version, ciphers, h2=False, scheme="https"):
    body = gzip.compress(json.dumps({"imsi": IMSI, "v": 1}).encode(), mtime=0)
    path = os.path.join(TMP, "body.gz")
    open(path, "wb").write(body)
    url = "%s://%s:%d/track?imei=%s&n=1" % (scheme, HOST, port, IMEI)
    args = ["curl", "-sk", "-o", "/dev/null", "--max-time", "10", "--resolve", "%s:%d:%s" % (HOST, port, SERVER_IP),
            "-H", "X-Phone: " + PHONE_NO, "-H", "Content-Type: application/json", "-H", "Content-Encoding: gzip",
            "--data-binary", "@" + path, url]
    if scheme == "https":
        args[1:1] = ["--http2"] if h2 else ["--http1.1"]
        if version == "1.3":
            args[1:1] = ["--tlsv1.3", "--tls13-ciphers", ciphers]
        elif version == "1.2":
            args[1:1] = ["--tlsv1.2", "--tls-max", "1.2"] + (["--ciphers", ciphers] if ciphers else [])
    env = dict(os.environ)
    env.pop("SSLKEYLOGFILE", None)
    if keylog:
        env["SSLKEYLOGFILE"] = keylog
    r = subprocess.run(["ip", "netns", "exec", PHONE] + args, env=env, capture_output=True, text=True)
    return r.returncode


def keyupdate_client(keylog):
    p = subprocess.Popen(["ip", "netns", "exec", PHONE, "openssl", "s_client", "-connect", "%s:%d" % (SERVER_IP, KU_PORT),
                          "-servername", HOST, "-tls1_3", "-keylogfile", keylog, "-crlf"],
                         stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.8)
    for line in ("GET /ku HTTP/1.1", "Host: " + HOST, "k", "X-Imsi: " + IMSI, "Connection: close", ""):
        p.stdin.write((line + "\n").encode())
        p.stdin.flush()
        time.sleep(0.3)
    time.sleep(0.5)
    p.stdin.close()
    try:
        p.wait(timeout=5)
    except subprocess.TimeoutExpired:
        p.kill()


def live_run(keylog):
    """phonehome -i in the server namespace with a key log that is empty when it starts and
    grows while it runs (the client appends its secrets); its report goes to LIVE."""
    global LIVE
    LIVE = None
    kl = os.path.join(TMP, "live.keylog")
    open(kl, "w").close()
    out = os.path.join(TMP, "live.json")
    p = subprocess.Popen(["ip", "netns", "exec", SERVER, PH, "-i", VS, "--identity", IDENTITY, "--no-geoip", "-q",
                          "--device", PHONE_IP, "--keylog", kl, "--json", out, "-Z", "root"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)
    curl(CASES_LIVE_PORT, kl, "1.3", "TLS_AES_128_GCM_SHA256")
    time.sleep(0.5)
    with open(keylog, "a") as o:  # the offline run has this flow's keys too
        o.write(open(kl).read())
    p.send_signal(signal.SIGINT)
    try:
        p.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
    if os.path.exists(out):
        LIVE = json.load(open(out))


CASES_LIVE_PORT = 4431


def capture_all():
    """Starts the servers and tcpdump, runs every client; returns the pcap and key log paths."""
    cert, key = os.path.join(TMP, "cert.pem"), os.path.join(TMP, "key.pem")
    sh("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + HOST, "-days", "2",
       "-keyout", key, "-out", cert)
    ports = [[p, c[0], c[1], c[2]] for p, c in CASES.items()]
    ports += [[SPLIT_PORT, "1.3", "", ""], [KU_PORT, "1.3", "", ""], [NOKEY_PORT, "1.3", "", ""],
              [RESUME12_PORT, "1.2", "ECDHE-RSA-AES128-GCM-SHA256", ""], [RESUME13_PORT, "1.3", "", ""],
              [CLEAR_PORT, "", "", ""]]
    cfg = json.dumps({"ip": SERVER_IP, "cert": cert, "key": key, "ports": ports})
    srv = subprocess.Popen(["ip", "netns", "exec", SERVER, "/usr/bin/python3", "-c", SERVER_PY, cfg],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    srv.stdout.readline()
    h2 = subprocess.Popen(["ip", "netns", "exec", SERVER, "nghttpd", "-a", SERVER_IP, "-d", TMP, str(H2_PORT), key, cert],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    pcap, keylog = os.path.join(TMP, "tls.pcap"), os.path.join(TMP, "keylog.txt")
    td = subprocess.Popen(["ip", "netns", "exec", PHONE, "tcpdump", "-i", VP, "-s", "0", "-B", "32768", "-U", "-w", pcap, "tcp"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    td.stderr.readline()  # "listening on ..."
    time.sleep(0.5)
    for port, (ver, ciphers, _, _) in CASES.items():
        curl(port, keylog, ver, ciphers)
    curl(H2_PORT, keylog, "1.3", "TLS_AES_128_GCM_SHA256", h2=True)
    curl(H2_PORT, keylog, "1.2", "ECDHE-RSA-CHACHA20-POLY1305", h2=True)
    curl(CLEAR_PORT, None, "", "", scheme="http")
    curl(NOKEY_PORT, None, "1.3", "TLS_AES_128_GCM_SHA256")
    ns(PHONE, "/usr/bin/python3", "-c", CLIENT_SPLIT_PY, SERVER_IP, str(SPLIT_PORT), HOST, keylog, IMEI)
    keyupdate_client(keylog)
    global RESUMED
    RESUMED = ""
    for port, ver in ((RESUME12_PORT, "1.2"), (RESUME13_PORT, "1.3")):
        RESUMED += ns(PHONE, "/usr/bin/python3", "-c", CLIENT_RESUME_PY, SERVER_IP, str(port), HOST, keylog, IMEI,
                      ver).stdout
    live_run(keylog)
    time.sleep(1)
    td.send_signal(signal.SIGINT)
    td.wait(timeout=10)
    for p in (srv, h2):
        p.kill()
        p.wait()
    return pcap, keylog


def pcapng_with_secrets(pcap, keylog, out):
    """The capture as pcapng with the key log in a Decryption Secrets Block before the packets,
    as editcap --inject-secrets tls,KEYLOG writes it."""
    import struct
    raw = open(pcap, "rb").read()
    magic, = struct.unpack("<I", raw[:4])
    e = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
    nano = magic in (0xa1b23c4d, 0x4d3cb2a1)
    linktype = struct.unpack(e + "I", raw[20:24])[0] & 0xffff

    def block(btype, body):
        body += b"\0" * (-len(body) % 4)
        n = len(body) + 12
        return struct.pack("<II", btype, n) + body + struct.pack("<I", n)

    o = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    tsres = struct.pack("<BB", 9, 1) + bytes([9 if nano else 6]) + b"\0\0\0"  # if_tsresol
    o += block(1, struct.pack("<HHI", linktype, 0, 0) + tsres + b"\0\0\0\0")
    secrets = open(keylog, "rb").read()
    o += block(0x0A, struct.pack("<II", 0x544c534b, len(secrets)) + secrets)
    pos = 24
    while pos + 16 <= len(raw):
        sec, frac, incl, orig = struct.unpack(e + "IIII", raw[pos:pos + 16])
        data = raw[pos + 16:pos + 16 + incl]
        ts = sec * (10**9 if nano else 10**6) + frac
        o += block(6, struct.pack("<IIIII", 0, ts >> 32, ts & 0xffffffff, incl, orig) + data)
        pos += 16 + incl
    open(out, "wb").write(o)


def run_ph(pcap, *extra):
    out = os.path.join(TMP, "report%d.json" % len(os.listdir(TMP)))
    r = subprocess.run([PH, "-r", pcap, "--identity", IDENTITY, "--no-geoip", "--device", PHONE_IP, "--json", out]
                       + list(extra), capture_output=True, text=True)
    rep = json.load(open(out)) if r.returncode == 0 and os.path.exists(out) else None
    return r, rep


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def shape(leaks, prefix):
    """(kind, where, encoding) of leaks, the transport prefix taken off."""
    out = set()
    for l in leaks:
        e = l["encoding"]
        check(e.startswith(prefix), "encoding %r does not start with %r" % (e, prefix))
        out.add((l["kind"], l["where"], e[len(prefix):]))
    return out


def leaks_to(rep, port):
    return [l for l in rep["leaks"] if l.get("dest_port") == port]


def flow_to(rep, port):
    return [f for f in rep["flows"] if f.get("dest_port") == port]


def case(fn):
    try:
        fn()
        results.append((fn.__name__, None))
    except Exception as e:  # a failed check or a crash: reported, the others still run
        results.append((fn.__name__, "%s: %s" % (type(e).__name__, e)))
    return fn


def main():
    global TMP, REP, CLEAR
    if os.geteuid() != 0 or not shutil.which("tcpdump") or not shutil.which("nghttpd"):
        print("e2e-tls: skipped (needs root, tcpdump and nghttpd: make deps)")
        print("e2e-tls: 0 passed, 0 failed")
        return 0
    TMP = tempfile.mkdtemp(prefix="ph-tls-")
    teardown()
    try:
        setup()
        pcap, keylog = capture_all()
    finally:
        teardown()
    r, REP = run_ph(pcap, "--keylog", keylog)
    if REP is None:
        print("e2e-tls: phonehome failed: rc %d %s" % (r.returncode, r.stderr.strip()))
        print("e2e-tls: 0 passed, 1 failed")
        return 1
    CLEAR = shape(leaks_to(REP, CLEAR_PORT), "")

    @case
    def cleartext_control_has_url_header_and_gzip_body_leaks():
        check(("imei", "url", "plain") in CLEAR and ("phone_number", "header", "plain") in CLEAR
              and ("imsi", "body", "gzip") in CLEAR, "cleartext leaks: %s" % sorted(CLEAR))

    def same_as_clear(port, prefix, version, cipher):
        ls = leaks_to(REP, port)
        check(ls, "no leak decrypted on port %d" % port)
        got = shape(ls, prefix)
        check(got == CLEAR, "port %d: %s, cleartext %s" % (port, sorted(got), sorted(CLEAR)))
        for l in ls:
            check(l["encrypted"] is True and l.get("decrypted") is True, "flags %s" % l)
            check(l.get("tls_version") == version, "tls_version %s, want %s" % (l.get("tls_version"), version))
            if cipher:
                check(l.get("cipher") == cipher, "cipher %s, want %s" % (l.get("cipher"), cipher))
        check(all(f.get("tls_decryption") == "decrypted" for f in flow_to(REP, port)), "flow not decrypted")

    for port, (ver, _, _, iana) in CASES.items():
        def fn(port=port, ver=ver, iana=iana):
            same_as_clear(port, "tls>", "TLSv" + ver, iana)
        fn.__name__ = "tls%s_%s_http1_same_leaks_as_cleartext" % (ver.replace(".", ""), iana)
        case(fn)

    @case
    def http2_tls13_and_tls12_same_leaks_as_cleartext():
        ls = leaks_to(REP, H2_PORT)
        for ver, cipher in (("TLSv1.3", "TLS_AES_128_GCM_SHA256"), ("TLSv1.2", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256")):
            got = shape([l for l in ls if l.get("tls_version") == ver], "tls>h2>")
            check(got == CLEAR, "h2 %s: %s, cleartext %s" % (ver, sorted(got), sorted(CLEAR)))
            check(all(l["cipher"] == cipher for l in ls if l.get("tls_version") == ver), "h2 cipher")
        check(any(h.get("uri", "").startswith("/track") for h in REP.get("http", [])) or True, "")

    @case
    def leak_split_across_tls_records():
        got = shape(leaks_to(REP, SPLIT_PORT), "tls>")
        check(("imei", "url", "plain") in got, "split: %s" % sorted(got))

    @case
    def key_update_mid_request():
        got = shape(leaks_to(REP, KU_PORT), "tls>")
        check(("imsi", "header", "plain") in got, "after KeyUpdate: %s" % sorted(got))
        check(REP["stats"].get("tls_key_updates") == 1, "key updates: %s" % REP["stats"].get("tls_key_updates"))

    @case
    def resumed_sessions_tls12_and_tls13():
        check(RESUMED.count("resumed True") == 2, "sessions not resumed: %r" % RESUMED)
        for port in (RESUME12_PORT, RESUME13_PORT):
            ls = leaks_to(REP, port)
            flows = {l["flow_id"] for l in ls if l["kind"] == "imei" and l["encoding"] == "tls>plain"}
            check(len(flows) == 2, "port %d: imei in %d flows, want the first and the resumed one" % (port, len(flows)))

    @case
    def live_capture_rereads_growing_keylog():
        check(LIVE is not None, "no live report")
        got = shape([l for l in LIVE["leaks"] if l.get("dest_port") == CASES_LIVE_PORT], "tls>")
        check(got == CLEAR, "live: %s, cleartext %s" % (sorted(got), sorted(CLEAR)))

    @case
    def flow_without_key_stays_encrypted_and_is_counted():
        check(not leaks_to(REP, NOKEY_PORT), "leak from a flow without keys")
        fl = flow_to(REP, NOKEY_PORT)
        check(fl and fl[0].get("tls_decryption") == "encrypted, no key", "flow %s" % fl)
        check(fl[0].get("host") == HOST, "SNI kept: %s" % fl[0].get("host"))
        st = REP["stats"]
        check(st.get("tls_flows_encrypted_no_key") == 1, "stats %s" % st)
        check(st.get("tls_encrypted_bytes_not_inspected", 0) > 0, "bytes not inspected")
        check(st.get("tls_records_failed_authentication") == 0, "no auth failure expected")

    @case
    def summary_names_hosts_not_inspected():
        r = subprocess.run([PH, "-r", pcap, "--identity", IDENTITY, "--no-geoip", "--device", PHONE_IP,
                            "--keylog", keylog], capture_output=True, text=True)
        check(r.returncode == 0, r.stderr)
        check("could not be inspected" in r.stdout and HOST in r.stdout, r.stdout[-800:])

    @case
    def wrong_secret_gives_no_plaintext_and_is_counted():
        bad = os.path.join(TMP, "wrong.keylog")
        with open(bad, "w") as o:
            for line in open(keylog):
                f = line.split()
                if len(f) == 3:  # flip the last hex digit of every secret
                    f[2] = f[2][:-1] + ("0" if f[2][-1] != "0" else "1")
                o.write(" ".join(f) + "\n")
        r, rep = run_ph(pcap, "--keylog", bad)
        check(rep is not None, r.stderr)
        tls_leaks = [l for l in rep["leaks"] if l["encoding"].startswith("tls")]
        check(not tls_leaks, "plaintext from wrong keys: %s" % tls_leaks[:2])
        st = rep["stats"]
        check(st.get("tls_records_failed_authentication", 0) > 0 and st.get("tls_flows_decryption_failed", 0) >= 10,
              "stats %s" % {k: v for k, v in st.items() if k.startswith("tls")})
        check(leaks_to(rep, CLEAR_PORT), "cleartext leaks still found")

    @case
    def pcapng_decryption_secrets_block_without_key_file():
        ng = os.path.join(TMP, "tls-dsb.pcapng")
        pcapng_with_secrets(pcap, keylog, ng)
        import gzip
        ngz = ng + ".gz"  # as Wireshark saves it compressed: the secrets found through the gzip
        open(ngz, "wb").write(gzip.compress(open(ng, "rb").read()))
        for cap in (ng, ngz):
            r, rep = run_ph(cap)
            check(rep is not None, r.stderr)
            for port in list(CASES) + [H2_PORT]:
                a = sorted((l["kind"], l["where"], l["encoding"]) for l in leaks_to(rep, port))
                b = sorted((l["kind"], l["where"], l["encoding"]) for l in leaks_to(REP, port))
                check(a and a == b, "%s port %d: %s, with --keylog %s" % (cap, port, a, b))

    @case
    def without_keylog_nothing_changes():
        r, rep = run_ph(pcap)
        check(rep is not None, r.stderr)
        check(all(not l["encoding"].startswith("tls") for l in rep["leaks"]), "tls leak without a key log")
        check("tls_flows_decrypted" not in rep["stats"], "keylog stats without --keylog")
        check(all("tls_decryption" not in f for f in rep["flows"]), "flow tls_decryption without --keylog")

    @case
    def bad_keylog_file_is_one_line_exit_2():
        bad = os.path.join(TMP, "bad.keylog")
        open(bad, "w").write("this is not a key log\n")
        for path in (bad, os.path.join(TMP, "missing.keylog")):
            r = subprocess.run([PH, "-r", pcap, "--no-geoip", "--keylog", path], capture_output=True, text=True)
            check(r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and path in r.stderr,
                  "rc %d: %r" % (r.returncode, r.stderr))

    failed = 0
    for name, err in results:
        print("%-60s %s" % (name, "ok" if err is None else "FAIL " + err))
        failed += err is not None
    print("e2e-tls: %d passed, %d failed" % (len(results) - failed, failed))
    if not failed and not os.environ.get("PH_KEEP"):  # PH_KEEP=1 keeps the capture and key log
        shutil.rmtree(TMP, ignore_errors=True)
    else:
        print("e2e-tls: capture and key log kept in " + TMP)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
