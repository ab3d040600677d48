#!/usr/bin/python3
"""bench/live_table.py - make bench-live's table: per tcpreplay rate, what it achieved, the
kernel's drops and the injected leaks phonehome found; then the file figure.
usage: live_table.py RESULTS MANIFEST PACKETS BYTES (RESULTS written by bench/live.sh)"""
import json, re, sys
res, manifest, pkts, nbytes = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
want = set()
for line in open(manifest):
    port, kind, where = line.split()
    want.add((int(port), kind, where))

def found(path):
    try:
        doc = json.load(open(path))
    except (OSError, ValueError):
        return None, None, None
    got = {(l["src_port"], l["kind"], l["where"]) for l in doc["leaks"]
           if l.get("dest_ip") == "220.181.38.148" and l.get("foreign")}
    st = doc["stats"]
    return len(want & got), st.get("kernel_dropped"), st.get("packets")

print(f"bench-live: corpus {pkts} packets, {nbytes / 1e6:.1f} MB of frames, {len(want)} injected leaks")
print()
print("| tcpreplay | achieved Mbit/s | packets/s | packets seen | kernel drops | leaks found / injected |")
print("|---|---:|---:|---:|---:|---:|")
best = None
file_rows, start = [], 0.0
for line in open(res):
    f = line.split()
    if f[0] == "file-start":
        start = float(f[1])
        continue
    if f[0].startswith("file-"):
        n, _, _ = found(f[2])
        file_rows.append((f[0][5:], float(f[1]), n))
        continue
    rate = f[0][5:]
    txt = open(f[1]).read()
    m = re.search(r"Rated: [\d.]+ Bps, ([\d.]+) Mbps, ([\d.]+) pps", txt)
    sent = re.search(r"Actual: (\d+) packets", txt)
    failed = re.search(r"Failed packets:\s+(\d+)", txt)
    mbps, pps = (float(m.group(1)), float(m.group(2))) if m else (0.0, 0.0)
    n, drops, seen = found(f[2])
    loops = int(f[3])
    ok = n == len(want) and drops == 0 and seen == pkts * loops and not (failed and int(failed.group(1)))
    label = ("--topspeed" if rate.startswith("top") else f"--mbps {rate}") + (f" --loop {loops}" if loops > 1 else "")
    if rate == "top-w":
        label += ", phonehome -w -C 100 -W 3"
    print(f"| {label} | {mbps:.0f} | {pps:,.0f} | {seen} | {drops} | {n} / {len(want)}{'' if ok else ' ✗'} |")
    if not sent or (failed and int(failed.group(1))):
        print(f"|   tcpreplay: {sent.group(0) if sent else 'no summary'}"
              f"{', failed ' + failed.group(1) if failed else ''} | | | | | |")
    if ok and (best is None or mbps > best[0]):
        best = (mbps, pps, label)
print()
for t, s, n in file_rows:
    net = max(s - start, 1e-3)
    print(f"file (-r, --threads {t}): {s:.2f} s, {nbytes * 8 / s / 1e6:.0f} Mbit/s, {pkts / s:,.0f} packets/s; "
          f"without the {start:.2f} s start-up: {nbytes * 8 / net / 1e6:.0f} Mbit/s, {pkts / net:,.0f} packets/s; "
          f"leaks {n} / {len(want)}")
if best:
    print(f"highest rate with no kernel drop and every leak found: {best[0]:.0f} Mbit/s ({best[1]:,.0f} packets/s, "
          f"{best[2]}), {best[0] / 300:.1f}x a 300 Mbit/s Wi-Fi hotspot")
else:
    print("no rate ran without a kernel drop or a missed leak")
    sys.exit(1)
