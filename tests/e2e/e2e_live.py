#!/usr/bin/python3
"""Live-capture end-to-end tests: two network namespaces joined by a veth pair.

The "phone" namespace (192.0.2.2, 2001:db8::2) sends HTTP requests carrying identity
values to a tiny HTTP server in the "server" namespace (192.0.2.1, 2001:db8::1);
phonehome captures on the server's veth end. Only TEST-NET-1 and 2001:db8::/32
addresses, only inside namespaces this script creates and always removes.
Needs root (CI runs as root); elsewhere every case is skipped with a message.
Usage: PHONEHOME=build/san/phonehome /usr/bin/python3 tests/e2e/e2e_live.py
"""
import hashlib
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time

PH = os.path.abspath(os.environ.get("PHONEHOME", "build/san/phonehome"))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
IDENTITY = os.path.join(ROOT, "rules", "identity-example.json")
TAG = "ph%d" % os.getpid()
PHONE, SERVER = TAG + "p", TAG + "s"
VP, VS = TAG + "a", TAG + "b"          # veth ends: phone side, server side
PHONE_IP, SERVER_IP = "192.0.2.2", "192.0.2.1"
PHONE_IP6, SERVER_IP6 = "2001:db8::2", "2001:db8::1"
PORT = 8080

ident = json.load(open(IDENTITY))
IMEI = ident["imei"][0]
PHONE_NO = ident["phone_number"][0]

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


def teardown():
    for n in (PHONE, SERVER):
        sh("ip", "netns", "pids", n, check=False)
        pids = sh("ip", "netns", "pids", n, check=False).stdout.split()
        for p in pids:
            try:
                os.kill(int(p), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
        sh("ip", "netns", "del", n, check=False)


def start_server():
    # A tiny HTTP server bound to the server namespace's test address only.
    code = ("import http.server as h\n"
            "class H(h.BaseHTTPRequestHandler):\n"
            "  def _ok(self):\n"
            "    n=int(self.headers.get('Content-Length') or 0); self.rfile.read(n)\n"
            "    self.send_response(200); self.send_header('Content-Length','2'); self.end_headers(); self.wfile.write(b'ok')\n"
            "  do_GET=_ok\n  do_POST=_ok\n"
            "  def log_message(self,*a): pass\n"
            "class S(h.ThreadingHTTPServer): address_family=__import__('socket').AF_INET6\n"
            "S(('::',%d),H).serve_forever()\n" % PORT)
    p = subprocess.Popen(["ip", "netns", "exec", SERVER, "/usr/bin/python3", "-c", code],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(50):
        if ns(SERVER, "ss", "-ltn", check=False).stdout.find(":%d" % PORT) >= 0:
            return p
        time.sleep(0.1)
    raise RuntimeError("test HTTP server did not start")


def phone_requests(host=SERVER_IP):
    url = "http://%s:%d" % (host if ":" not in host else "[%s]" % host, PORT)
    ns(PHONE, "curl", "-s", "-m", "5", "-o", "/dev/null", url + "/api/register?imei=" + IMEI)
    ns(PHONE, "curl", "-s", "-m", "5", "-o", "/dev/null", "--data-urlencode", "phone=" + PHONE_NO,
       url + "/api/bind")


class Live:
    """phonehome running live in the server namespace."""

    def __init__(self, outdir, *extra, user=None, env=None):
        self.json = os.path.join(outdir, "live.json")
        args = ["ip", "netns", "exec", SERVER, PH, "-i", VS, "--identity", IDENTITY, "--no-geoip",
                "--device", PHONE_IP, "--device", PHONE_IP6, "--json", self.json] + list(extra)
        if user:
            args += ["-Z", user]
        self.p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  env=dict(os.environ, **(env or {})))
        self.early_err = ""
        deadline = time.time() + 30  # the sanitizer build on a loaded machine starts slowly
        while time.time() < deadline:  # traffic only once the capture is open
            ready, _, _ = select.select([self.p.stderr], [], [], 0.5)
            if ready:
                line = self.p.stderr.readline()
                self.early_err += line
                if "capturing on" in line or not line:
                    break
            if self.p.poll() is not None:
                break

    def stop(self, sig=signal.SIGINT, timeout=20):
        if self.p.poll() is None:
            self.p.send_signal(sig)
        out, err = self.p.communicate(timeout=timeout)
        return self.p.returncode, out, self.early_err + err

    def report(self):
        with open(self.json) as f:
            return json.load(f)


def outdir():
    d = tempfile.mkdtemp(prefix="ph-live-")
    os.chmod(d, 0o777)  # phonehome drops root to nobody and writes its report there
    return d


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def leaks_of(rep, kind):
    return [l for l in rep["leaks"] if l["kind"] == kind]


def case(fn):
    results.append(fn)
    return fn


@case
def live_leaks_and_sigint():
    d = outdir()
    ph = Live(d)
    phone_requests()
    phone_requests(SERVER_IP6)
    time.sleep(0.5)
    rc, out, err = ph.stop()
    check(rc == 0, "exit %d: %s" % (rc, err[-300:]))
    rep = ph.report()
    im = leaks_of(rep, "imei")
    check(any(l["dest_ip"] == SERVER_IP and l["where"] == "url" for l in im), "no IPv4 imei leak: %s" % im)
    check(any(l["dest_ip"] == SERVER_IP6 for l in im), "no IPv6 imei leak")
    pn = leaks_of(rep, "phone_number")
    check(any(l["where"] == "body" and l["dest_port"] == PORT for l in pn), "no phone_number body leak: %s" % pn)
    check(all(l["src_ip"] in (PHONE_IP, PHONE_IP6) for l in rep["leaks"]), "leak not from the phone")
    check("LEAK imei" in out, "no live leak line on stdout: %r" % out[:300])
    check(rep["inputs"][0]["path"] == VS and rep["stats"]["packets"] > 10, "inputs/stats: %s" % rep["inputs"])


@case
def sigint_mid_stream_gives_complete_report():
    d = outdir()
    ph = Live(d)
    loop = subprocess.Popen(["ip", "netns", "exec", PHONE, "sh", "-c",
                             "while :; do curl -s -m 2 -o /dev/null 'http://%s:%d/x?imei=%s'; done"
                             % (SERVER_IP, PORT, IMEI)])
    time.sleep(1.5)
    rc, out, err = ph.stop()
    loop.kill()
    loop.wait()
    check(rc == 0, "exit %d" % rc)
    rep = ph.report()  # parses: complete and valid
    check(len(leaks_of(rep, "imei")) >= 1, "no imei leak")
    check(not [f for f in os.listdir(d) if ".tmp" in f], "temporary file left: %s" % os.listdir(d))


@case
def duration_stops_on_time():
    d = outdir()
    t0 = time.time()
    ph = Live(d, "--duration", "2")
    phone_requests()
    rc = ph.p.wait(timeout=15)
    took = time.time() - t0
    check(rc == 0, "exit %d" % rc)
    check(1.5 <= took <= 8, "took %.1f s for --duration 2" % took)
    check(len(leaks_of(ph.report(), "imei")) >= 1, "no imei leak")


@case
def count_stops():
    d = outdir()
    ph = Live(d, "--count", "5")
    phone_requests()
    rc = ph.p.wait(timeout=15)
    check(rc == 0, "exit %d" % rc)
    check(ph.report()["stats"]["packets"] == 5, "packets %d" % ph.report()["stats"]["packets"])


@case
def write_then_read_same_leaks():
    d = outdir()
    cap = os.path.join(d, "raw.pcap")
    ph = Live(d, "-w", cap)
    phone_requests()
    time.sleep(0.5)
    rc, _, err = ph.stop()
    check(rc == 0, "exit %d: %s" % (rc, err[-200:]))
    live = ph.report()
    off = os.path.join(d, "offline.json")
    r = sh(PH, "-r", cap, "--identity", IDENTITY, "--no-geoip", "--device", PHONE_IP, "--json", off, check=False)
    check(r.returncode == 0, "offline exit %d: %s" % (r.returncode, r.stderr))
    offline = json.load(open(off))
    key = lambda rep: sorted((l["kind"], l["where"], l["encoding"], l["dest_ip"]) for l in rep["leaks"]
                             if l["src_ip"] == PHONE_IP)
    check(key(live) and key(live) == key(offline), "live %s != offline %s" % (key(live), key(offline)))


@case
def report_dir_with_live_evidence():
    d = outdir()
    cap, rdir = os.path.join(d, "raw.pcap"), os.path.join(d, "report")
    ph = Live(d, "-w", cap, "-o", rdir)
    phone_requests()
    time.sleep(0.5)
    rc, _, err = ph.stop()
    check(rc == 0, "exit %d: %s" % (rc, err[-300:]))
    names = sorted(os.listdir(rdir))
    check({"report.json", "report.html", "events.json", "evidence.pcap"} <= set(names), "files %s" % names)
    check(os.path.getsize(os.path.join(rdir, "evidence.pcap")) > 24 + 16 * 5,
          "evidence.pcap has no packets from the -w copy")


@case
def sighup_writes_interim_report():
    d = outdir()
    ph = Live(d)
    phone_requests()
    time.sleep(0.5)
    ph.p.send_signal(signal.SIGHUP)
    for _ in range(50):
        if os.path.exists(ph.json):
            break
        time.sleep(0.1)
    check(os.path.exists(ph.json), "no interim report")
    interim = json.load(open(ph.json))
    check(len(leaks_of(interim, "imei")) >= 1, "interim report has no imei leak")
    check(ph.p.poll() is None, "phonehome stopped on SIGHUP")
    rc, _, _ = ph.stop()
    check(rc == 0, "exit %d" % rc)


def plain_requests(n):
    """n HTTP requests from the phone, one connection each, closed: n flows that end."""
    code = ("import urllib.request\nfor i in range(%d):\n"
            "  urllib.request.urlopen('http://%s:%d/x%%d' %% i, timeout=5).read()\n" % (n, SERVER_IP, PORT))
    ns(PHONE, "/usr/bin/python3", "-c", code)


def flows_to_port(rep):
    return [f for f in rep["flows"] if f["dest_port"] == PORT]


@case
def every_flow_listed_live_through_the_spill():
    # ended flows leave memory for the spill file in runs of 7, their leaks for the offload file
    # at each one; SIGHUP's interim report and the final one list every flow and leak all the
    # same, each once
    d = outdir()
    ph = Live(d, "--max-flows", "8", env={"PHONEHOME_SPILL_BATCH": "7", "PHONEHOME_LEAKS_OFFLOAD": "1"})
    phone_requests()
    plain_requests(41)  # through a table of 8: the closed flows end as new ones come
    time.sleep(0.5)
    ph.p.send_signal(signal.SIGHUP)
    for _ in range(100):
        if os.path.exists(ph.json):
            break
        time.sleep(0.1)
    time.sleep(0.5)
    interim = json.load(open(ph.json))
    check(len(flows_to_port(interim)) == 43, "interim: %d flows, want 43" % len(flows_to_port(interim)))
    check(len(leaks_of(interim, "imei")) == 1 and len(leaks_of(interim, "phone_number")) == 1,
          "interim leaks: %s" % [l["kind"] for l in interim["leaks"]])
    plain_requests(25)
    time.sleep(0.5)
    rc, _, err = ph.stop()
    check(rc == 0, "exit %d: %s" % (rc, err[-300:]))
    rep = ph.report()
    ids = [f["flow_id"] for f in rep["flows"]]
    check(len(leaks_of(rep, "imei")) == 1 and len(leaks_of(rep, "phone_number")) == 1,
          "final leaks: %s" % [l["kind"] for l in rep["leaks"]])
    check(len(flows_to_port(rep)) == 68 and len(ids) == len(set(ids)) and ids == sorted(ids),
          "final: %d flows to the port, ids unique and in order: %s" % (len(flows_to_port(rep)), ids == sorted(ids)))
    check(rep["stats"].get("spill_bytes", 0) > 0, "nothing spilled: %s" % rep["stats"].get("spill_bytes"))


@case
def full_tmpdir_keeps_flows_and_leaks_in_memory():
    # $TMPDIR fills while the capture runs (an 8 KiB tmpfs): what could not go to disk stays in
    # memory, the reports list every flow and leak, and say so; the run is not lost
    d = outdir()
    tmp = os.path.join(d, "tmp")
    os.mkdir(tmp)
    sh("mount", "-t", "tmpfs", "-o", "size=8k,mode=1777", "tmpfs", tmp)
    try:
        ph = Live(d, "--max-flows", "8", env={"PHONEHOME_SPILL_BATCH": "7", "PHONEHOME_LEAKS_OFFLOAD": "1",
                                              "TMPDIR": tmp})
        phone_requests()
        plain_requests(80)
        phone_requests()
        plain_requests(20)
        time.sleep(0.5)
        rc, _, err = ph.stop()
        check(rc == 0, "exit %d: %s" % (rc, err[-300:]))
        rep = ph.report()
        check(len(flows_to_port(rep)) == 104, "%d flows to the port, want 104" % len(flows_to_port(rep)))
        check(len(leaks_of(rep, "imei")) == 2 and len(leaks_of(rep, "phone_number")) == 2,
              "leaks: %s" % [l["kind"] for l in rep["leaks"]])
        check(any("kept in memory from then on" in w for w in rep["warnings"]), "warnings: %s" % rep["warnings"])
        check("kept in memory from then on" in err, "stderr: %s" % err[-300:])
    finally:
        sh("umount", tmp, check=False)


@case
def drops_root_to_nobody():
    d = outdir()
    ph = Live(d)
    uid = None
    for _ in range(30):
        kids = sh("pgrep", "-f", "^%s -i %s" % (PH, VS), check=False).stdout.split()
        if kids:
            status = open("/proc/%s/status" % kids[0]).read()
            uid = [l.split()[1:] for l in status.splitlines() if l.startswith("Uid:")][0]
            break
        time.sleep(0.1)
    rc, _, _ = ph.stop()
    nobody = sh("id", "-u", "nobody").stdout.strip()
    check(uid is not None and set(uid) == {nobody}, "uids %s, want all %s" % (uid, nobody))
    check(rc == 0 and os.stat(ph.json).st_uid == int(nobody), "report not written as nobody")


@case
def devices_learnt_from_arp():
    d = outdir()
    ph = Live(d)
    ns(PHONE, "ip", "neigh", "flush", "all", check=False)
    phone_requests()
    rc, out, _ = ph.stop()
    check(rc == 0, "exit %d" % rc)
    check(" device " in out and PHONE_IP in out, "no device line for the phone: %r" % out[:400])


@case
def bad_interface_and_filter():
    r = sh(PH, "-i", "nonexistent0", "--no-geoip", check=False)
    check(r.returncode == 2 and r.stderr.count("\n") == 1 and "nonexistent0" in r.stderr,
          "bad interface: %d %r" % (r.returncode, r.stderr))
    r = ns(SERVER, PH, "-i", VS, "--no-geoip", "--filter", "tcp port", check=False)
    check(r.returncode == 2 and r.stderr.count("\n") == 1 and "--filter" in r.stderr,
          "bad filter: %d %r" % (r.returncode, r.stderr))
    r = sh(PH, "-i", VS, "-r", "x.pcap", check=False)
    check(r.returncode == 2 and r.stderr.count("\n") == 1, "-i with -r: %d %r" % (r.returncode, r.stderr))
    r = ns(SERVER, PH, "--list-interfaces", check=False)
    check(r.returncode == 0 and VS in r.stdout, "--list-interfaces: %r" % r.stdout)


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def leak_key(rep):
    return sorted((l["kind"], l["where"], l["encoding"], l["dest_ip"]) for l in rep["leaks"]
                  if l["src_ip"] in (PHONE_IP, PHONE_IP6))


def offline(d, pattern, name="offline.json"):
    off = os.path.join(d, name)
    r = sh(PH, "-r", pattern, "--identity", IDENTITY, "--no-geoip", "--device", PHONE_IP,
           "--device", PHONE_IP6, "--json", off, check=False)
    check(r.returncode == 0, "offline -r %s: exit %d: %s" % (pattern, r.returncode, r.stderr[-300:]))
    return json.load(open(off))


@case
def rotate_by_size_every_packet_once():
    d = outdir()
    cap, rdir = os.path.join(d, "raw.pcap"), os.path.join(d, "report")
    ph = Live(d, "-w", cap, "-C", "0.002", "-o", rdir)
    phone_requests()
    time.sleep(0.3)
    ph.p.send_signal(signal.SIGHUP)  # the interim report lists the files so far
    for _ in range(50):
        if os.path.exists(ph.json):
            break
        time.sleep(0.1)
    interim = json.load(open(ph.json))
    check(len(interim["inputs"][0].get("files", [])) >= 2, "interim files: %s" % interim["inputs"][0])
    phone_requests(SERVER_IP6)
    time.sleep(0.5)
    rc, _, err = ph.stop()
    check(rc == 0, "exit %d: %s" % (rc, err[-300:]))
    live = ph.report()
    files = live["inputs"][0]["files"]
    names = [os.path.basename(f["path"]) for f in files]
    check(len(files) >= 3, "only %d files with -C 0.002: %s" % (len(files), names))
    check(names == ["raw.pcap"] + ["raw.pcap%d" % i for i in range(1, len(files))], "names %s" % names)
    for f in files:
        check(not f["overwritten"] and os.path.getsize(f["path"]) == f["size"], "size of %s" % f)
        check(f["size"] <= 2000 or f["packets"] == 1, "%s passes -C: %d bytes" % (f["path"], f["size"]))
        check(f["sha256"] == sha256(f["path"]), "sha256 of %s" % f["path"])
    fs = live["inputs"][0]["first_seen"]
    check(fs and not fs.startswith("1970") and fs <= live["inputs"][0]["last_seen"], "input times %s" % live["inputs"][0])
    total = sum(f["packets"] for f in files)
    check(total == live["stats"]["packets"] == live["inputs"][0]["packets"],
          "packets in files %d, seen %d" % (total, live["stats"]["packets"]))
    cust = live["custody"]["inputs"][0]["files"] if "custody" in live else files
    check([c["sha256"] for c in cust] == [f["sha256"] for f in files], "custody files %s" % cust)
    off = offline(d, os.path.join(d, "raw.pcap*"))
    check([os.path.basename(i["path"]) for i in off["inputs"]] == names, "glob order %s" % off["inputs"])
    check(off["stats"]["packets"] == total, "offline packets %d != %d" % (off["stats"]["packets"], total))
    check(leak_key(live) and leak_key(live) == leak_key(off), "live %s != offline %s" % (leak_key(live), leak_key(off)))
    check(os.path.getsize(os.path.join(rdir, "evidence.pcap")) > 24 + 16 * 5, "no evidence from the rotated set")


@case
def rotate_by_time_with_strftime():
    d = outdir()
    ph = Live(d, "-w", os.path.join(d, "t-%H%M%S.pcap"), "-G", "1")
    for _ in range(3):
        phone_requests()
        time.sleep(1.1)
    rc, _, err = ph.stop()
    check(rc == 0, "exit %d: %s" % (rc, err[-300:]))
    live = ph.report()
    files = live["inputs"][0]["files"]
    check(len(files) >= 3, "%d files with -G 1 over 3.3 s" % len(files))
    for f in files:
        b = os.path.basename(f["path"])
        check(len(b) == len("t-000000.pcap") and b[2:8].isdigit() and os.path.exists(f["path"]), "name %s" % b)
    check(sum(f["packets"] for f in files) == live["stats"]["packets"], "packets not once each")
    off = offline(d, os.path.join(d, "t-*.pcap"))
    check(leak_key(live) == leak_key(off), "live %s != offline %s" % (leak_key(live), leak_key(off)))


@case
def time_and_count_stops_after_count_files():
    d = outdir()
    ph = Live(d, "-w", os.path.join(d, "g.pcap"), "-G", "1", "-W", "2")
    for _ in range(4):
        phone_requests()
        time.sleep(1.1)
        if ph.p.poll() is not None:
            break
    rc = ph.p.wait(timeout=10)  # stopped by itself at the third interval
    check(rc == 0, "exit %d" % rc)
    live = ph.report()
    files = live["inputs"][0]["files"]
    check(len(files) == 2 and sorted(os.listdir(d)) == ["g.pcap", "g.pcap1", "live.json"],
          "files %s, dir %s" % ([f["path"] for f in files], os.listdir(d)))
    check(sum(f["packets"] for f in files) == live["stats"]["packets"], "packets not once each")


@case
def size_ring_removes_the_oldest():
    """In a sticky directory such as /tmp only a file's owner may remove it: every file of the
    ring is created once root is dropped (to nobody), the first one too, as tcpdump -Z does."""
    d = outdir()
    os.chmod(d, 0o1777)
    ph = Live(d, "-w", os.path.join(d, "ring.pcap"), "-C", "0.001", "-W", "3")
    for _ in range(2):
        phone_requests()
        phone_requests(SERVER_IP6)
    time.sleep(0.5)
    rc, _, err = ph.stop()
    check(rc == 0, "exit %d: %s" % (rc, err[-300:]))
    files = ph.report()["inputs"][0]["files"]
    kept = [f for f in files if not f["overwritten"]]
    check(len(files) > 3 and len(kept) == 3 and kept == files[-3:], "ring: %s" % files)
    on_disk = sorted(f for f in os.listdir(d) if f.startswith("ring.pcap"))
    check(on_disk == sorted(os.path.basename(f["path"]) for f in kept), "on disk %s" % on_disk)
    check(all(not os.path.exists(f["path"]) for f in files[:-3]), "an overwritten file is still there")
    nobody = int(sh("id", "-u", "nobody").stdout.strip())
    check(all(os.stat(f["path"]).st_uid == nobody for f in kept), "owners %s" % [os.stat(f["path"]).st_uid for f in kept])


@case
def write_where_the_user_cannot():
    """-w in a directory only root may write: one line naming the file, exit 2, before any
    capture (not at the first rotation), nothing written."""
    d = tempfile.mkdtemp(prefix="ph-live-root-")  # 0700, root's
    cap = os.path.join(d, "x.pcap")
    r = ns(SERVER, PH, "-i", VS, "--no-geoip", "-w", cap, "-C", "1", "-W", "2", "--duration", "5", check=False)
    check(r.returncode == 2 and r.stderr.count("\n") == 1 and cap in r.stderr and "-Z" in r.stderr,
          "exit %d %r" % (r.returncode, r.stderr))
    check(os.listdir(d) == [], "files %s" % os.listdir(d))
    os.rmdir(d)


@case
def rotation_bad_values_exit_2():
    w = ["-i", VS, "-w", "/nonexistent/x.pcap"]
    for args in (w + ["-C", "0"], w + ["-C", "-1"], w + ["-C", "abc"], w + ["-G", "0"], w + ["-G", "1.5x"],
                 w + ["-C", "1", "-W", "0"], w + ["-W", "3"], ["-i", VS, "-C", "1"], ["-i", VS, "-G", "5"],
                 ["-r", "x.pcap", "-w", "y.pcap"]):
        r = sh(PH, "--no-geoip", *args, check=False)
        check(r.returncode == 2 and r.stderr.count("\n") == 1, "%s: exit %d %r" % (args, r.returncode, r.stderr))


def main():
    if os.geteuid() != 0:
        print("e2e-live: skipped: live capture tests need root (network namespaces)")
        print("e2e-live: 0 passed, 0 failed, %d skipped" % len(results))
        return 0
    passed = failed = 0
    try:
        setup()
    except subprocess.CalledProcessError as e:
        teardown()
        print("e2e-live: cannot create network namespaces: %s" % (e.stderr or e))
        print("e2e-live: 0 passed, 1 failed")
        return 1
    try:
        server = start_server()
        for fn in results:
            try:
                fn()
                passed += 1
                print("ok", fn.__name__)
            except Exception as e:  # noqa: BLE001 - one failing case must not stop the rest
                failed += 1
                print("FAIL %s: %s" % (fn.__name__, e))
        server.kill()
    finally:
        teardown()
    print("e2e-live: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
