#!/usr/bin/env bash
# bench/memory.sh - `make bench-memory`: is phonehome's memory flat in the capture's size?
# Builds the bench corpus at two sizes with bench/mkcap.c (the same captures, more copies),
# audits each (2 workers, JSON report, as `make bench`), and ndpiReader the small one; prints
# wall seconds, peak RSS, spilled bytes and the injected leaks found, and fails when the large
# run's peak RSS is over 1.2x the small one's, the small one's over a third of ndpiReader's, or
# an injected leak is missed. Not part of `make check`: the large corpus is 10 GB on disk.
#
# usage: bench/memory.sh PHONEHOME [WORKDIR]
# env:   SMALL_MB=990 LARGE_MB=10240 (MiB), BENCH_LEAKS=200, MEM_CLEAN=1 (remove the large capture after)
set -euo pipefail
cd "$(dirname "$0")/.."
PH=${1:-./phonehome}
W=${2:-build/bench-memory}
SMALL=${SMALL_MB:-990} LARGE=${LARGE_MB:-10240} LEAKS=${BENCH_LEAKS:-200}
PCAPS=../shared/pcaps/ndpi
IMEI=862345021234568 PHONE=+919876543210 EMAIL=priya.sharma.test@gmail.com
mkdir -p "$W"

# room MB: fails before writing when $W cannot hold an MB corpus and its report (a tenth more),
# rather than filling the disk part-way through the 10 GB one
room() {
	local free need=$(( $1 * 11 / 10 + 1024 ))
	free=$(df -Pm "$W" | awk 'NR == 2 { print $4 }')
	if [ "$free" -lt "$need" ]; then
		echo "bench-memory: $W has $free MiB free, the $1 MiB corpus needs about $need (LARGE_MB= for a smaller one)" >&2
		exit 1
	fi
}

corpus() {  # corpus MB: builds $W/MB.pcap once
	local cap=$W/$1.pcap
	if [ ! -s "$cap" ] || [ bench/mkcap.c -nt "$cap" ]; then
		room "$1"
		echo "bench-memory: building $cap ($1 MiB)"
		build/bench/mkcap "$cap.part" "$1" "$LEAKS" "$W/$1.leaks" "$IMEI" "$PHONE" "$EMAIL" \
			$(ls "$PCAPS"/*.pcap "$PCAPS"/*.pcapng 2>/dev/null | LC_ALL=C sort) 2>&1 | grep -v '^mkcap: skip' || true
		mv "$cap.part" "$cap"
	fi
}

# timed NAME CMD...: "wall_s peak_rss_kib" of one run into $W/NAME.time
timed() {
	local name=$1; shift
	/usr/bin/time -f '%e %M' -o "$W/$name.time" "$@" > "$W/$name.out" 2> "$W/$name.err" || {
		echo "bench-memory: $name failed: $(tail -1 "$W/$name.err")"; exit 1; }
}

for mb in "$SMALL" "$LARGE"; do
	corpus "$mb"
	cat "$W/$mb.pcap" > /dev/null
	timed "phonehome-$mb" "$PH" -r "$W/$mb.pcap" --identity bench/identity.json --home IN --json "$W/$mb.json" -q
done
timed "ndpiReader-$SMALL" ndpiReader -i "$W/$SMALL.pcap" -q

/usr/bin/python3 - "$W" "$SMALL" "$LARGE" <<'PY'
import json, os, sys
sys.path.insert(0, "bench")
from found import injected_found
w, small, large = sys.argv[1:4]
def t(name):
    s, k = open(f"{w}/{name}.time").read().split()
    return float(s), int(k)
ok = True
rows = []
for mb in (small, large):
    doc = json.load(open(f"{w}/{mb}.json"))
    want, got = injected_found(doc, f"{w}/{mb}.leaks")
    ok &= want == got
    s, k = t(f"phonehome-{mb}")
    st = doc["stats"]
    rows.append((mb, os.path.getsize(f"{w}/{mb}.pcap"), st["packets"], st["flows"], len(doc["leaks"]),
                 s, k, st.get("spill_bytes", 0), f"{len(got)}/{len(want)}"))
nd_s, nd_k = t(f"ndpiReader-{small}")
print()
print("| corpus | packets | flows | leaks | phonehome wall s | peak RSS MiB | spilled MB | injected found |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for mb, size, pk, fl, lk, s, k, sp, fd in rows:
    print(f"| {size / 1e9:.2f} GB | {pk} | {fl} | {lk} | {s:.2f} | {k / 1024:.0f} | {sp / 1e6:.0f} | {fd} |")
print(f"| ndpiReader on {rows[0][1] / 1e9:.2f} GB | | | | {nd_s:.2f} | {nd_k / 1024:.0f} | | |")
flat = rows[1][6] / rows[0][6]
third = rows[0][6] / nd_k
print()
for name, good, how in (("peak RSS large <= 1.2 x small", flat <= 1.2, f"{flat:.3f}x"),
                        ("peak RSS small <= ndpiReader / 3", third <= 1 / 3, f"{third:.3f} of ndpiReader's"),
                        ("every injected leak found", ok, "")):
    print(f"target {name}: {'met' if good else 'MISSED'} {how}")
    ok &= good
sys.exit(0 if ok else 1)
PY
rc=$?
[ "${MEM_CLEAN:-0}" = 1 ] && rm -f "$W/$LARGE.pcap"
exit $rc
