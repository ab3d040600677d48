#!/usr/bin/python3
"""bench/quic.py - `make bench-quic` (not part of `make check`): what decrypting QUIC costs.

In two network namespaces of its own (the "phone", 192.0.2.2, and the "server", 192.0.2.1;
TEST-NET-1 only, removed on every exit path), ngtcp2's gtlsclient POSTs large bodies over
HTTP/3 to gtlsserver, CONNS connections of one POST each (BODY_MB MiB of random bytes), plus
one GET whose query carries the IMEI 862345678901234. tcpdump -s 0 captures on the phone's
veth; the client writes the key log (SSLKEYLOGFILE). Then phonehome (the release build) reads
the capture with --keylog and without, RUNS runs each, alternating, under /usr/bin/time, and
the medians, the extra CPU-seconds per GB of capture, MB/s and peak RSS are printed, with
whether the IMEI leak was found (it must be with the key log, and must not be without).

Needs root, tcpdump, gtlsclient and gtlsserver (make deps); otherwise it says so and exits 0.
usage: /usr/bin/python3 bench/quic.py [PHONEHOME] [WORKDIR]
env:   RUNS=5, CONNS=8, BODY_MB=96, QBENCH_KEEP=1 (keep the capture between runs: reused when
       present with its key log)
"""
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PH = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "phonehome"))
W = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "build", "bench-quic"))
RUNS = int(os.environ.get("RUNS", "5"))
CONNS = int(os.environ.get("CONNS", "8"))
BODY_MB = int(os.environ.get("BODY_MB", "96"))
KEEP = os.environ.get("QBENCH_KEEP") == "1"
IMEI = "862345678901234"
TAG = "qb%d" % os.getpid()
PHONE, SERVER = TAG + "p", TAG + "s"
VP, VS = TAG + "a", TAG + "b"
PHONE_IP, SERVER_IP = "192.0.2.2", "192.0.2.1"
HOST = "upload.example.test"
PORT = 4433
CAP, KEYLOG = os.path.join(W, "quic.pcap"), os.path.join(W, "quic.keylog")
IDENT = os.path.join(W, "identity.json")
procs = []


def sh(*args, check=True, timeout=30, **kw):
    return subprocess.run(list(args), check=check, capture_output=True, text=True, timeout=timeout, **kw)


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
        ns(n, "ethtool", "-K", dev, "tso", "off", "gso", "off", "gro", "off", check=False)


def teardown():
    for p in procs:
        if p.poll() is None:
            p.kill()
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
    for n in (PHONE, SERVER):
        for p in sh("ip", "netns", "pids", n, check=False).stdout.split():
            try:
                os.kill(int(p), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
        sh("ip", "netns", "del", n, check=False)


def client(uri, keylog, data=None, timeout=180):
    """gtlsclient in the phone namespace, with a private /etc/hosts naming the server (SNI)."""
    hosts = os.path.join(W, "hosts")
    with open(hosts, "w") as o:
        o.write("127.0.0.1 localhost\n%s %s\n" % (SERVER_IP, HOST))
    args = ["gtlsclient", "-q", "--exit-on-all-streams-close", "--timeout=10s"]
    if data:
        args += ["-d", data]
    args += [HOST, str(PORT), uri]
    cmd = "mount --bind %s /etc/hosts && SSLKEYLOGFILE=%s exec %s" % (hosts, keylog, " ".join("'%s'" % a for a in args))
    t = time.time()
    r = ns(PHONE, "timeout", "-s", "KILL", str(timeout), "unshare", "-m", "sh", "-c", cmd, check=False,
           timeout=timeout + 10)
    return r, time.time() - t


def capture():
    tmp = os.path.join(W, "tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(os.path.join(tmp, "htdocs"))
    cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    sh("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + HOST, "-days", "2",
       "-keyout", key, "-out", cert)
    for name in ("up", "id"):
        with open(os.path.join(tmp, "htdocs", name), "w") as o:
            o.write("ok\n")
    body = os.path.join(tmp, "body.bin")
    with open(body, "wb") as o:
        for _ in range(BODY_MB):
            o.write(os.urandom(1 << 20))
    procs.append(subprocess.Popen(["ip", "netns", "exec", SERVER, "gtlsserver", "-q", "-d", os.path.join(tmp, "htdocs"),
                                   SERVER_IP, str(PORT), key, cert], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL))
    part = CAP + ".part"
    td = subprocess.Popen(["ip", "netns", "exec", PHONE, "tcpdump", "-i", VP, "-s", "0", "-B", "65536", "-w", part,
                           "udp"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    procs.append(td)
    td.stderr.readline()  # "listening on ..."
    time.sleep(0.7)
    kls = []
    for i in range(CONNS + 1):
        kl = os.path.join(tmp, "keylog%d.txt" % i)
        kls.append(kl)
        if i == CONNS:  # the one request that leaks, last, small
            r, dt = client("https://%s:%d/id?imei=%s&v=3" % (HOST, PORT, IMEI), kl, timeout=30)
        else:
            r, dt = client("https://%s:%d/up" % (HOST, PORT), kl, body)
        print("bench-quic: connection %d: %s, exit %d, %.1f s" % (i + 1, "GET /id?imei=..." if i == CONNS else
              "POST %d MiB" % BODY_MB, r.returncode, dt), flush=True)
        if r.returncode != 0 or not os.path.exists(kl):
            raise RuntimeError("gtlsclient failed (exit %d): %s %s" % (r.returncode, r.stdout[-300:], r.stderr[-300:]))
    time.sleep(2.5)  # tcpdump's ring hands over a block only when it is full or after its 1 s timeout
    td.send_signal(signal.SIGINT)
    _, err = td.communicate(timeout=20)
    drops = [l for l in err.splitlines() if "dropped" in l]
    print("bench-quic: tcpdump: %s" % "; ".join(l.strip() for l in drops), flush=True)
    with open(KEYLOG + ".part", "w") as o:
        for kl in kls:
            o.write(open(kl).read())
    os.replace(KEYLOG + ".part", KEYLOG)
    os.replace(part, CAP)
    shutil.rmtree(tmp, ignore_errors=True)


def timed(extra, report):
    """One phonehome run under /usr/bin/time: (wall s, user s, max RSS KiB)."""
    tf = os.path.join(W, "time.out")
    cmd = ["/usr/bin/time", "-f", "%e %U %M", "-o", tf, PH, "-r", CAP, "--no-geoip", "--threads", "1",
           "--device", PHONE_IP, "--identity", IDENT, "--json", report, "-q"] + extra
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=600)
    if r.returncode != 0:
        raise RuntimeError("phonehome failed (exit %d): %s" % (r.returncode, r.stderr[-500:]))
    e, u, m = open(tf).read().split()[-3:]
    return float(e), float(u), int(m)


def imei_leaks(report):
    rep = json.load(open(report))
    return [l for l in rep["leaks"] if l["kind"] == "imei"], rep


def main():
    if os.geteuid() != 0 or not all(shutil.which(t) for t in ("tcpdump", "gtlsclient", "gtlsserver")):
        print("bench-quic: skipped (needs root, tcpdump and ngtcp2's gtlsclient/gtlsserver: make deps)")
        return 0
    if not os.access(PH, os.X_OK):
        print("bench-quic: %s missing (make phonehome)" % PH)
        return 1
    os.makedirs(W, exist_ok=True)
    with open(IDENT, "w") as o:
        json.dump({"imei": [IMEI]}, o)
    if not (KEEP and os.path.exists(CAP) and os.path.exists(KEYLOG)):
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):  # teardown runs in the finally below
            signal.signal(sig, lambda s, f: sys.exit(128 + s))
        try:
            setup()
            capture()
        finally:
            teardown()
    size = os.path.getsize(CAP)
    lines = sh("tcpdump", "-n", "-r", CAP, timeout=120).stdout.splitlines()
    allp = len(lines)
    up = sum(1 for l in lines if l.split()[2].startswith(PHONE_IP + "."))
    conns = len({l.split()[2] for l in lines if l.split()[2].startswith(PHONE_IP + ".")})
    if conns != CONNS + 1:
        print("bench-quic: FAIL: %d connections in the capture, %d made" % (conns, CONNS + 1))
        return 1
    print("bench-quic: %s: %d bytes (%.1f MB), %d packets (%d from the phone)" % (CAP, size, size / 1e6, allp, up))
    subprocess.run(["cat", CAP], stdout=subprocess.DEVNULL)  # page cache warm for both alike
    res = {"keylog": [], "nokey": []}
    rk, rn = os.path.join(W, "report-keylog.json"), os.path.join(W, "report-nokey.json")
    for i in range(RUNS):
        res["keylog"].append(timed(["--keylog", KEYLOG], rk))
        res["nokey"].append(timed([], rn))
        print("bench-quic: run %d: keylog %s  no keylog %s" % (i + 1, res["keylog"][-1], res["nokey"][-1]), flush=True)
    lk, repk = imei_leaks(rk)
    ln, _ = imei_leaks(rn)
    st = repk["stats"]
    med = {k: (statistics.median(x[0] for x in v), statistics.median(x[1] for x in v), max(x[2] for x in v))
           for k, v in res.items()}
    gb = size / 1e9
    extra_cpu = med["keylog"][1] - med["nokey"][1]
    print()
    print("| phonehome -r CAP --threads 1 | wall s | user CPU s | MB/s (wall) | peak RSS MiB |")
    print("|---|---:|---:|---:|---:|")
    for k, name in (("nokey", "without --keylog"), ("keylog", "with --keylog")):
        e, u, m = med[k]
        print("| %s | %.2f | %.2f | %.0f | %.0f |" % (name, e, u, size / 1e6 / e, m / 1024))
    print()
    print("capture %.1f MB; extra CPU with the key log: %.2f s, %.2f CPU-s per GB of capture; wall %.2fx"
          % (size / 1e6, extra_cpu, extra_cpu / gb, med["keylog"][0] / med["nokey"][0]))
    print("decryption alone (capture MB per extra CPU-second): %.0f MB/s; user CPU MB/s without %.0f, with %.0f"
          % (size / 1e6 / extra_cpu if extra_cpu > 0 else float("inf"), size / 1e6 / med["nokey"][1],
             size / 1e6 / med["keylog"][1]))
    print("stats with the key log: %s" % {k: v for k, v in st.items() if k.startswith(("quic", "tls", "http_"))})
    print("(each POST body is decrypted whole but scanned only up to the 1 MiB body cap: http_bodies_truncated)")
    print("IMEI leak with the key log: %d (%s); without: %d" % (
        len(lk), ", ".join(sorted({"%s %s" % (l.get("where"), l.get("encoding")) for l in lk})), len(ln)))
    ok = lk and all(l.get("decrypted") and l.get("transport") == "quic" for l in lk) and not ln
    print("bench-quic: %s" % ("ok: leak found with the key log only" if ok else "FAIL: leak check"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
