#!/usr/bin/python3
"""tests/limits/limits.py - phonehome under attack and faults (part of `make check`).

usage: limits.py PHONEHOME WORKDIR
Attacks (captures from mkflood, beside it in WORKDIR): a SYN flood of distinct flows, a
300 MiB HTTP body, 200k out-of-order segments, a DNS response bomb. Each run must finish,
exit 0, count what it evicted or truncated, and stay under a peak-RSS cap (measured with
/usr/bin/time, of the release build). Faults: a capture cut mid-record, a corrupt record
header, a pcapng with unknown blocks, a full disk and a read-only directory for the
report, and SIGPIPE on --json -. Prints 'N passed, N failed'."""
import json
import os
import struct
import subprocess
import sys
import tempfile

PH = os.path.abspath(sys.argv[1])
W = os.path.abspath(sys.argv[2])
MKFLOOD = os.path.join(W, "mkflood")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ID = os.path.join(ROOT, "bench", "identity.json")
BASE = [PH, "--no-geoip", "--no-rules"] if "--no-rules" in subprocess.run(
    [PH, "--help"], capture_output=True, text=True).stdout else [PH, "--no-geoip"]

# Peak RSS caps (MiB) at the scale of these tests; README "Performance and limits".
CAP_SYN = 400        # 200k SYNs, --max-flows 50000 --max-report-flows 50000
CAP_BODY = 64        # one 300 MiB body
CAP_OOO = 64         # 200k segments, every one out of order
CAP_DNS = 256        # 50k responses x 101 answers

passed = failed = 0


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print(f"ok {name}")
    else:
        failed += 1
        print(f"FAIL {name} {detail}")


def gen(mode, n):
    path = os.path.join(W, f"{mode}-{n}.pcap")
    if not os.path.exists(path):
        subprocess.run([MKFLOOD, mode, str(n), path + ".part"], check=True)
        os.rename(path + ".part", path)
    return path


def run(args, **kw):
    """Runs phonehome under /usr/bin/time; returns (exit, stdout, stderr, peak RSS MiB)."""
    tf = os.path.join(W, "time.out")
    p = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", tf] + args, capture_output=True, **kw)
    try:
        rss = int(open(tf).read().split()[-1]) / 1024
    except (OSError, ValueError, IndexError):
        rss = -1
    return p.returncode, p.stdout, p.stderr, rss


def audit(cap, extra=(), name="r"):
    out = os.path.join(W, name + ".json")
    rc, so, se, rss = run(BASE + ["-r", cap, "--identity", ID, "--json", out] + list(extra))
    doc = json.load(open(out)) if rc == 0 else None
    return rc, doc, rss, se


def leaks(doc, kind, where):
    return [l for l in doc["leaks"] if l["kind"] == kind and l["where"] == where]


# --- attacks -------------------------------------------------------------------------
rc, d, rss, se = audit(gen("syn", 200000), ["--max-flows", "50000", "--max-report-flows", "50000"], "syn")
check("syn flood: completes", rc == 0 and d is not None, se[-300:])
if d:
    s = d["stats"]
    check("syn flood: every flow counted", s["flows"] == 200000, s["flows"])
    check("syn flood: evictions counted", s["evicted"] == 150000 and s["flows_peak"] == 50000,
          (s["evicted"], s["flows_peak"]))
    check("syn flood: listed flows capped", len(d["flows"]) <= 50000, len(d["flows"]))
    check("syn flood: unlisted flows said", any("not listed" in w for w in d["warnings"]), d["warnings"])
check(f"syn flood: peak RSS {rss:.0f} MiB < {CAP_SYN}", 0 < rss < CAP_SYN)

# every flow listed by default: ended flows wait in a temporary file, not in memory
rc, d, rss, se = audit(gen("syn", 200000), ["--max-flows", "50000"], "syn-all")
check("syn flood, no report cap: every flow listed", d is not None and len(d["flows"]) == 200000,
      d and len(d["flows"]))
check("syn flood, no report cap: spill counted", d is not None and d["stats"].get("spill_bytes", 0) > 0,
      d and d["stats"].get("spill_bytes"))
check(f"syn flood, no report cap: peak RSS {rss:.0f} MiB < {CAP_SYN}", 0 < rss < CAP_SYN)

rc, d, rss, se = audit(gen("body", 300), [], "body")
check("2 GB-style body: completes", rc == 0 and d is not None, se[-300:])
if d:
    check("body: truncation counted", d["stats"]["http_bodies_truncated"] == 1)
    check("body: IMEI in the URL found", len(leaks(d, "imei", "url")) == 1)
    check("body: IMEI past the cap honestly not claimed", not leaks(d, "imei", "body"))
    check("body: scan stop reported with its byte count",
          any("scan stopped early in 1 flow" in w and "after 10" in w for w in d["warnings"]), d["warnings"])
check(f"body: peak RSS {rss:.0f} MiB < {CAP_BODY}", 0 < rss < CAP_BODY)

ooo = gen("ooo", 200000)
rc, d, rss, se = audit(ooo, [], "ooo")
check("out-of-order flood: completes", rc == 0 and d is not None, se[-300:])
if d:
    s = d["stats"]
    check("ooo: queue capped, hole skipped and counted", s["reasm_gaps"] >= 1 and s["reasm_out_of_order"] <= 256,
          (s["reasm_gaps"], s["reasm_out_of_order"]))
    check("ooo: IMEI before the hole found", len(leaks(d, "imei", "url")) == 1)
    check("ooo: scan stop reported", any("scan stopped early" in w for w in d["warnings"]), d["warnings"])
check(f"ooo: peak RSS {rss:.0f} MiB < {CAP_OOO}", 0 < rss < CAP_OOO)
rc, d, rss, se = audit(ooo, ["--max-reassembly", "1000"], "ooo-small")
check("ooo: --max-reassembly 1000 queues at most 10 segments",
      rc == 0 and d["stats"]["reasm_out_of_order"] <= 10, d and d["stats"]["reasm_out_of_order"])
rc, so, se, _ = run(BASE + ["-r", ooo, "--max-reassembly", "0"])
check("--max-reassembly 0 is refused: exit 2, one line", rc == 2 and se.count(b"\n") == 1, se)

rc, d, rss, se = audit(gen("dns", 50000), [], "dns")
check("DNS bomb: completes", rc == 0 and d is not None, se[-300:])
if d:
    check("dns: every response parsed or counted malformed",
          d["stats"]["dns_responses"] + d["stats"]["dns_malformed"] == 50000, d["stats"])
check(f"dns: peak RSS {rss:.0f} MiB < {CAP_DNS}", 0 < rss < CAP_DNS)

# --- faults --------------------------------------------------------------------------
small = gen("syn", 3000)
raw = open(small, "rb").read()
tmp = tempfile.mkdtemp(dir=W)


def write(name, data):
    p = os.path.join(tmp, name)
    open(p, "wb").write(data)
    return p


cut = write("cut.pcap", raw[:len(raw) - 30])  # the last record cut in its data
rc, d, rss, se = audit(cut, [], "cut")
check("capture cut mid-record: exit 0, packets before it kept",
      rc == 0 and d["inputs"][0]["packets"] == 2999, d and d["inputs"][0])
check("capture cut mid-record: said in the report",
      rc == 0 and any("read stopped" in w or "truncated" in w for w in d["warnings"]), d and d["warnings"])

bad = bytearray(raw)
rec = 24 + 10 * (16 + 54)  # the 11th record header: caplen far past any snaplen
bad[rec + 8:rec + 12] = struct.pack("<I", 0x7fffffff)
badp = write("badhdr.pcap", bytes(bad))
rc, d, rss, se = audit(badp, [], "badhdr")
check("corrupt record header: exit 0, the 10 packets before kept",
      rc == 0 and d["inputs"][0]["packets"] == 10, d and d["inputs"][0])
check("corrupt record header: said in the report",
      rc == 0 and any("read stopped" in w for w in d["warnings"]), d and d["warnings"])


def block(btype, body):
    body += b"\0" * (-len(body) % 4)
    n = 12 + len(body)
    return struct.pack("<II", btype, n) + body + struct.pack("<I", n)


pkt = raw[24 + 16:24 + 16 + 54]
ng = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
ng += block(0x00000BAD, b"an unknown block type, to be skipped")
ng += block(0x00000001, struct.pack("<HHI", 1, 0, 65535))
ng += block(0x80000123, b"a local-use block")
for i in range(5):
    ng += block(0x00000006, struct.pack("<IIIII", 0, 0, 1000 + i, 54, 54) + pkt)
    ng += block(0x00000BAD, b"x" * 7)
ngp = write("unknown.pcapng", ng)
rc, d, rss, se = audit(ngp, [], "pcapng")
check("pcapng with unknown blocks: exit 0, 5 packets read",
      rc == 0 and d["inputs"][0]["packets"] == 5, (rc, se[-200:], d and d["inputs"][0]))

# a full disk: a 64 KiB tmpfs holding a previous report that must survive
mnt = os.path.join(tmp, "full")
os.mkdir(mnt)
if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", mnt], capture_output=True).returncode == 0:
    try:
        rep = os.path.join(mnt, "report.json")
        rc1, _, se1, _ = run(BASE + ["-r", ngp, "--json", rep])
        before = open(rep, "rb").read() if rc1 == 0 else b""
        rc, so, se, _ = run(BASE + ["-r", gen("syn", 5000), "--json", rep])
        check("full disk: exit 2 with one line", rc == 2 and se.count(b"\n") == 1 and b"report" in se, (rc, se))
        check("full disk: previous report intact", before and open(rep, "rb").read() == before)
        check("full disk: no temporary file left", os.listdir(mnt) == ["report.json"], os.listdir(mnt))
    finally:
        subprocess.run(["umount", mnt])
    # a full $TMPDIR while ended flows are spilled: one line, exit 2, no report, nothing left
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", mnt], check=True)
    try:
        rep = os.path.join(tmp, "spill-report.json")
        rc, so, se, _ = run(BASE + ["-r", gen("syn", 200000), "--max-flows", "50000", "--json", rep],
                            env=dict(os.environ, TMPDIR=mnt))
        check("full TMPDIR: exit 2 with one line", rc == 2 and se.count(b"\n") == 1 and b"temporary" in se, (rc, se))
        check("full TMPDIR: no report written", not os.path.exists(rep))
        check("full TMPDIR: no temporary file left", os.listdir(mnt) == [], os.listdir(mnt))
    finally:
        subprocess.run(["umount", mnt])
    ro = os.path.join(tmp, "ro")
    os.mkdir(ro)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", ro], check=True)
    try:
        rc, so, se, _ = run(BASE + ["-r", ngp, "--json", os.path.join(ro, "report.json")])
        check("unwritable output directory: exit 2 with one line", rc == 2 and se.count(b"\n") == 1, (rc, se))
    finally:
        subprocess.run(["umount", ro])
else:  # not root: permission bits do the read-only part; a full disk needs a mount
    os.chmod(mnt, 0o555)
    rc, so, se, _ = run(BASE + ["-r", ngp, "--json", os.path.join(mnt, "report.json")])
    check("unwritable output directory: exit 2 with one line", rc == 2 and se.count(b"\n") == 1, (rc, se))
    print("skip full disk (needs root to mount a small tmpfs)")

# SIGPIPE: the reader of --json - goes away after 100 bytes
p1 = subprocess.Popen(BASE + ["-r", gen("syn", 5000), "--json", "-"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
head = p1.stdout.read(100)
p1.stdout.close()
try:
    err = p1.stderr.read()
    rc = p1.wait(timeout=60)
except subprocess.TimeoutExpired:
    p1.kill()
    rc, err = -999, b"hung"
check("SIGPIPE on --json -: exit 2, one line, no crash", rc == 2 and err.count(b"\n") == 1 and len(head) == 100,
      (rc, err[-200:]))


# Pipes: -r - and -r FIFO (what -r <(zcat f.pcap.gz) is) are read once, by libpcap; nothing
# reads them ahead (the format check, the key-log and app-block walks)
import hashlib
import signal
import threading
import time
small = gen("syn", 5000)
small_bytes = open(small, "rb").read()
ref_rep = os.path.join(W, "pipe-ref.json")
run(BASE + ["-r", small, "--json", ref_rep])
ref = json.load(open(ref_rep))
pipe_rep = os.path.join(W, "pipe-stdin.json")
rc, so, se, _ = run(BASE + ["-r", "-", "--json", pipe_rep], input=small_bytes)
d = json.load(open(pipe_rep)) if rc == 0 else {}
check("-r -: read from standard input, exit 0", rc == 0, (rc, se[-300:]))
check("-r -: the same flows as the file", d.get("flows") == ref["flows"] and len(ref["flows"]) > 1000,
      (len(d.get("flows", [])), len(ref["flows"])))
check("-r -: its SHA-256 is of the bytes piped",
      d and d["inputs"][0]["sha256"] == hashlib.sha256(small_bytes).hexdigest() and d["inputs"][0]["path"] == "/dev/stdin",
      d and d["inputs"][0])
bad_rep = os.path.join(W, "pipe-bad.json")
rc, so, se, _ = run(BASE + ["-r", "-", "--json", bad_rep], input=b"not a capture\n")
check("-r - with no capture on it: exit 2, one line naming it, no report",
      rc == 2 and se.count(b"\n") == 1 and b"/dev/stdin" in se and not os.path.exists(bad_rep), (rc, se))
rc, so, se, _ = run(BASE + ["-r", "-", "-r", "-", "--json", bad_rep], input=b"")
check("-r - twice: exit 2, one line", rc == 2 and se.count(b"\n") == 1, (rc, se))

fifo = os.path.join(W, "capture.fifo")
if os.path.exists(fifo):
    os.unlink(fifo)
os.mkfifo(fifo)
fifo_rep = os.path.join(W, "pipe-fifo.json")
writer = threading.Thread(target=lambda: open(fifo, "wb").write(small_bytes))
writer.start()
rc, so, se, _ = run(BASE + ["-r", fifo, "--json", fifo_rep])
writer.join()
d = json.load(open(fifo_rep)) if rc == 0 else {}
check("-r FIFO: the same flows as the file", rc == 0 and d["flows"] == ref["flows"], (rc, se[-300:]))

# A signal during the reads: the report covers what was read and says so, the inputs not read
# are named; a pipe whose writer stays open does not keep phonehome waiting
stop_rep = os.path.join(W, "pipe-stopped.json")
p = subprocess.Popen(BASE + ["-r", fifo, "-r", small, "-r", small, "--json", stop_rep],
                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
w = open(fifo, "wb")
w.write(small_bytes[:len(small_bytes) // 2])
w.flush()
time.sleep(1.5)
p.send_signal(signal.SIGINT)
try:
    err = p.stderr.read()
    rc = p.wait(timeout=30)
except subprocess.TimeoutExpired:
    p.kill()
    rc, err = -999, b"hung with the pipe's writer open"
w.close()
check("SIGINT while a pipe's writer stays open: exit 0 at once", rc == 0, (rc, err[-300:]))
d = json.load(open(stop_rep)) if rc == 0 else {"inputs": [{}], "warnings": []}
inp = d["inputs"][0]
check("SIGINT: the input read in part says it was stopped, after how many packets",
      "stopped by SIGINT" in (inp.get("warning") or "") and 0 < inp.get("packets", 0) < ref["inputs"][0]["packets"]
      and "after %d packets" % inp.get("packets", -1) in (inp.get("warning") or ""), inp)
check("SIGINT: the inputs not read are named in the warnings",
      any("2 inputs not read" in x and small in x for x in d["warnings"]) and len(d["inputs"]) == 1, d["warnings"])
check("SIGINT: said on stderr too", err.count(b"stopped by SIGINT") == 2, err[-400:])
os.unlink(fifo)

# Compressed captures (tcpdump -z gzip, Wireshark's .gz, zstd): read as they are, the custody
# SHA-256 of the file on disk; cut short, the report says so; the others named, exit 2
import gzip as gz_mod
cz = {}
for name, data in (("gz", gz_mod.compress(small_bytes)),
                   ("zst", subprocess.run(["zstd", "-qc", small], capture_output=True, check=True).stdout)):
    cz[name] = os.path.join(W, "small.pcap." + name)
    open(cz[name], "wb").write(data)
    rep_z = os.path.join(W, "z-%s.json" % name)
    rc, so, se, _ = run(BASE + ["-r", cz[name], "--json", rep_z])
    d = json.load(open(rep_z)) if rc == 0 else {"inputs": [{}]}
    check(".pcap.%s: the same flows as the file" % name, rc == 0 and d["flows"] == ref["flows"], (rc, se[-300:]))
    check(".pcap.%s: its SHA-256 is the compressed file's, its compression named" % name,
          d["inputs"][0].get("sha256") == hashlib.sha256(data).hexdigest()
          and d["inputs"][0].get("compression") == {"gz": "gzip", "zst": "zstd"}[name], d["inputs"][0])
rc, so, se, _ = run(BASE + ["-r", "-", "--json", pipe_rep], input=open(cz["gz"], "rb").read())
d = json.load(open(pipe_rep)) if rc == 0 else {}
check("-r - with a .pcap.gz piped: the same flows", rc == 0 and d["flows"] == ref["flows"], (rc, se[-300:]))
cut = os.path.join(W, "small-cut.pcap.gz")
gzdata = open(cz["gz"], "rb").read()
open(cut, "wb").write(gzdata[:len(gzdata) // 2])
rc, so, se, _ = run(BASE + ["-r", cut, "--json", pipe_rep])
d = json.load(open(pipe_rep)) if rc == 0 else {"inputs": [{}]}
inp = d["inputs"][0]
check("a .gz cut short: exit 0, the packets before the cut, the input says it was cut short",
      rc == 0 and 0 < inp.get("packets", 0) < ref["inputs"][0]["packets"]
      and "gzip: the file ends inside its compressed data (cut short)" in (inp.get("warning") or ""), (rc, inp))
rot = [os.path.join(W, "rot.pcap%s.gz" % k) for k in ("", "1", "2")]
for i, f in enumerate(rot):  # tcpdump -C 1 -z gzip: the set in order is the capture
    open(f, "wb").write(gz_mod.compress(small_bytes))
rc, so, se, _ = run(BASE + ["-r", os.path.join(W, "rot.pcap*.gz"), "--json", pipe_rep])
d = json.load(open(pipe_rep)) if rc == 0 else {"inputs": []}
check("-r 'rot.pcap*.gz': a gzipped rotated set, each file read in order",
      [i["path"] for i in d["inputs"]] == rot and all(i["compression"] == "gzip" for i in d["inputs"]), (rc, se[-300:]))
# A ring tcpdump -W wrapped (ring.pcap0 holds the newest packets): a -r pattern reads it in
# capture order, by each file's first packet; the files given in another order are warned
recs, pos = [], 24
while pos + 16 <= len(small_bytes):
    incl = struct.unpack("<I", small_bytes[pos + 8:pos + 12])[0]
    recs.append(small_bytes[pos:pos + 16 + incl])
    pos += 16 + incl
third = len(recs) // 3
parts = [recs[:third], recs[third:2 * third], recs[2 * third:]]
ring = [os.path.join(W, "ring.pcap%d" % k) for k in range(3)]
for k, part in zip((1, 2, 0), parts):  # oldest in ring.pcap1, newest in ring.pcap0
    open(ring[k], "wb").write(small_bytes[:24] + b"".join(part))
rc, so, se, _ = run(BASE + ["-r", os.path.join(W, "ring.pcap*"), "--json", pipe_rep])
d = json.load(open(pipe_rep)) if rc == 0 else {"inputs": [], "flows": None, "warnings": []}
check("-r 'ring.pcap*' of a wrapped ring: read in capture order, the same flows as the whole capture",
      [i["path"] for i in d["inputs"]] == [ring[1], ring[2], ring[0]] and d["flows"] == ref["flows"]
      and not any("out of capture order" in w for w in d["warnings"]), (rc, [i["path"] for i in d["inputs"]]))
rc, so, se, _ = run(BASE + ["-r", ring[0], "-r", ring[1], "-r", ring[2], "--json", pipe_rep])
d = json.load(open(pipe_rep)) if rc == 0 else {"warnings": []}
w = [x for x in d["warnings"] if "out of capture order" in x]
check("the ring's files given newest first: one warning naming the file that begins before the one read ends",
      len(w) == 1 and w[0].startswith("inputs out of capture order: %s begins at " % ring[1]) and ring[0] in w[0]
      and b"out of capture order" in se, (rc, d["warnings"]))
# A pcapng whose interfaces have different link types (dumpcap -i wlan0 -i wwan0), which
# libpcap refuses: each packet read with its interface's link type (every frame of the capture
# on the Ethernet interface, one raw IP packet on the other); through a pipe, one line, exit 2
def ng_block(btype, body):
    body += b"\0" * (-len(body) % 4)
    return struct.pack("<II", btype, len(body) + 12) + body + struct.pack("<I", len(body) + 12)
mixed = os.path.join(W, "mixed.pcapng")
ng = [ng_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)),
      ng_block(1, struct.pack("<HHI", 1, 0, 0)), ng_block(1, struct.pack("<HHI", 101, 0, 0))]
for r in recs:
    sec, usec, incl, orig = struct.unpack("<IIII", r[:16])
    ts = sec * 1000000 + usec
    ng.append(ng_block(6, struct.pack("<IIIII", 0, ts >> 32, ts & 0xffffffff, incl, orig) + r[16:]))
udp = struct.pack("!HHHH", 40000, 9999, 12, 0) + b"wwan"
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0, bytes([192, 0, 2, 1]), bytes([198, 51, 100, 1]))
ts = sec * 1000000 + usec + 1
ng.append(ng_block(6, struct.pack("<IIIII", 1, ts >> 32, ts & 0xffffffff, len(ip + udp), len(ip + udp)) + ip + udp))
open(mixed, "wb").write(b"".join(ng))
rep_m = os.path.join(W, "mixed.json")
rc, so, se, _ = run(BASE + ["-r", mixed, "--json", rep_m])
d = json.load(open(rep_m)) if rc == 0 else {"inputs": [{}], "flows": []}
extra = [f for f in d["flows"] if f.get("dest_ip") == "198.51.100.1" or "198.51.100.1" in json.dumps(f)]
check("a pcapng with interfaces of two link types: read, each packet with its own",
      rc == 0 and d["inputs"][0].get("link_type") == "EN10MB+RAW" and d["inputs"][0].get("packets") == len(recs) + 1
      and len(extra) == 1 and [f for f in d["flows"] if f not in extra] == ref["flows"], (rc, se[-300:], d["inputs"]))
rc, so, se, _ = run(BASE + ["-r", "-", "--json", rep_m], input=open(mixed, "rb").read())
d2 = json.load(open(rep_m)) if rc == 0 else {"inputs": [{}], "flows": []}
check("the same through a pipe: its interfaces are declared in its first bytes",
      rc == 0 and d2["inputs"][0].get("link_type") == "EN10MB+RAW" and d2["flows"] == d["flows"], (rc, se[-300:]))
# A week rotated every few minutes is thousands of files: 3,000 read by one pattern, in order
many = os.path.join(W, "many")
os.makedirs(many, exist_ok=True)
for k in range(3000):
    open(os.path.join(many, "raw.pcap%d" % k if k else "raw.pcap"), "wb").write(small_bytes[:24] + recs[k % len(recs)])
rc, so, se, _ = run(BASE + ["-r", os.path.join(many, "raw.pcap*"), "--json", pipe_rep])
d = json.load(open(pipe_rep)) if rc == 0 else {"inputs": []}
check("-r 'raw.pcap*' of 3,000 files: every one read, in capture order",
      rc == 0 and len(d["inputs"]) == 3000 and d["inputs"][10]["path"].endswith("raw.pcap10"), (rc, se[-300:]))
xz = os.path.join(W, "small.pcap.xz")
open(xz, "wb").write(bytes.fromhex("fd377a585a00") + b"\0" * 32)
rc, so, se, _ = run(BASE + ["-r", xz, "--json", bad_rep])
check("-r FILE.xz: exit 2, one line naming the file, the compression and the way to read it, no report",
      rc == 2 and se.count(b"\n") == 1 and xz.encode() in se and b"xz-compressed" in se and b"xzcat" in se
      and not os.path.exists(bad_rep), (rc, se))

# ^C while the PDF prints (a stand-in for Chromium: an empty PDF at once, its content after a
# pause; a profile with a tree in it, its pid and profile noted): one ^C lets the reports end,
# also when it is the terminal's (sent to phonehome's process group); a second exits at once
# (130), kills Chromium and leaves no temporary file and no profile behind
fake = os.path.join(W, "fakebin")
os.makedirs(fake, exist_ok=True)
with open(os.path.join(fake, "chromium"), "w") as f:
    f.write('#!/bin/sh\nfor a; do case "$a" in --print-to-pdf=*) out="${a#--print-to-pdf=}";;\n'
            '  --user-data-dir=*) udd="${a#--user-data-dir=}";; esac; done\n'
            'mkdir -p "$udd/Default/Cache/x" && echo x > "$udd/Default/Cache/x/f"\n'
            'echo "$$ $udd" > "$FAKE_NOTE"\n'
            ': > "$out"; sleep "${FAKE_PAUSE:-2}"; echo "%PDF-1.4" > "$out"\n')
os.chmod(os.path.join(fake, "chromium"), 0o755)


def pdf_run(signals, pause, group=False):
    out = tempfile.mkdtemp(dir=W, prefix="pdf-")
    note = os.path.join(out + ".note")
    env = dict(os.environ, PATH=fake + ":" + os.environ["PATH"], FAKE_PAUSE=str(pause), FAKE_NOTE=note)
    p = subprocess.Popen(BASE + ["-r", small, "-o", out, "--pdf"], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, env=env, start_new_session=True)
    t0 = time.time()
    while not os.path.exists(note) and time.time() - t0 < 60 and p.poll() is None:
        time.sleep(0.05)
    time.sleep(0.2)
    for _ in range(signals):
        if group:
            os.killpg(p.pid, signal.SIGINT)
        else:
            p.send_signal(signal.SIGINT)
        time.sleep(0.3)
    try:
        err = p.stderr.read()
        rc = p.wait(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill()
        rc, err = -999, b"hung"
    pid, udd = (open(note).read().split() + ["0", ""])[:2] if os.path.exists(note) else ("0", "")
    return rc, err, out, int(pid), udd


def alive(pid):
    try:
        os.kill(pid, 0)
        return open("/proc/%d/stat" % pid).read().split()[2] != "Z"
    except OSError:
        return False


rc, err, out, pid, udd = pdf_run(1, 2)
check("one ^C while the PDF prints: the reports end, the PDF with them",
      rc == 0 and os.path.getsize(os.path.join(out, "report.pdf")) > 0, (rc, err[-300:], os.listdir(out)))
rc, err, out, pid, udd = pdf_run(1, 2, group=True)
check("one ^C at the terminal (phonehome's process group) while the PDF prints: the PDF still prints",
      rc == 0 and os.path.getsize(os.path.join(out, "report.pdf")) > 0 and udd and not os.path.exists(udd),
      (rc, err[-300:], os.listdir(out), udd))
rc, err, out, pid, udd = pdf_run(2, 30)
left = [n for n in os.listdir(out) if ".tmp" in n]
check("a second ^C: exit 130 at once, no temporary file left", rc == 130 and not left, (rc, err[-300:], left))
check("a second ^C: Chromium is killed and its profile removed",
      pid > 0 and not alive(pid) and udd.startswith("/tmp/phonehome-chromium.") and not os.path.exists(udd),
      (pid, alive(pid), udd, os.path.exists(udd)))

print(f"limits: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
