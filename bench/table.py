#!/usr/bin/python3
"""bench/table.py - prints the benchmark table and checks phonehome's targets.

usage: table.py RESULTS PACKETS BYTES REPORT.json LEAKS.manifest IDENTITY
RESULTS has one line per command: name median_seconds max_rss_kib runs.
Exit 1 when a target is missed or an injected leak was not found."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from found import injected_found  # noqa: E402

res_path, pkts, nbytes, report, manifest, identity = sys.argv[1:7]
pkts, nbytes = int(pkts), int(nbytes)
rows = []
for line in open(res_path):
    name, t, rss, n = line.split()
    rows.append((name, float(t), int(rss), int(n)))
by = {r[0]: r for r in rows}
what = {
    "phonehome": "full audit: identity, nDPI, geo, JSON (one worker per core)",
    "phonehome-1": "the same, --threads 1 (one pipeline; the custody hash on a thread of its own)",
    "libpcap-read": "pcap_next_ex loop, nothing else",
    "flow-table": "decode + bare 5-tuple table",
    "hyperscan": "block scan of every payload",
    "ndpiReader": "ndpiReader -i FILE -q (nDPI 4.2)",
    "ngrep": "ngrep, 20-way alternation",
    "tshark": "tshark -Y 'frame contains IMEI'",
}
ph = by.get("phonehome")
print()
print("| command | what | wall s (median) | packets/s | Gbit/s | peak RSS MiB | time / phonehome | RSS / phonehome |")
print("|---|---|---:|---:|---:|---:|---:|---:|")
for name, t, rss, n in rows:
    pps = pkts / t if t else 0
    gbps = nbytes * 8 / t / 1e9 if t else 0
    rt = f"{t / ph[1]:.2f}x" if ph else "-"
    rr = f"{rss / ph[2]:.2f}x" if ph else "-"
    print(f"| {name} | {what.get(name, '')} | {t:.2f} ({n} runs) | {pps / 1e6:.2f} M | {gbps:.2f} | {rss / 1024:.0f} | {rt} | {rr} |")
print()

ok = True
if ph:
    doc = json.load(open(report))
    print(f"capture: {pkts} packets, {nbytes / 1e9:.2f} GB; phonehome: {doc['stats'].get('flows')} flows, "
          f"{doc['options'].get('identity_patterns')} patterns, {len(doc['leaks'])} leaks")
    want, got = injected_found(doc, manifest)
    missing = want - got
    print(f"injected leaks found: {len(got)}/{len(want)}")
    if missing:
        ok = False
        print("MISSING:", sorted(missing)[:10])
    targets = []
    nd = by.get("ndpiReader")
    rd = by.get("libpcap-read")
    if nd:
        targets.append(("wall <= ndpiReader / 3", ph[1] <= nd[1] / 3, f"{nd[1] / ph[1]:.2f}x faster"))
        targets.append(("peak RSS <= ndpiReader / 3", ph[2] <= nd[2] / 3, f"{nd[2] / ph[2]:.2f}x less"))
    if rd:
        targets.append(("wall <= 4 x libpcap read", ph[1] <= 4 * rd[1], f"{ph[1] / rd[1]:.2f}x the floor"))
    for name, good, how in targets:
        print(f"target {name}: {'met' if good else 'MISSED'} ({how})")
        ok = ok and good
sys.exit(0 if ok else 1)
