#!/usr/bin/env bash
# bench/live.sh - `make bench-live`: the highest rate a live capture sustains with no kernel
# drop and every injected leak found. tcpreplay replays the benchmark corpus into a veth
# pair between two network namespaces of its own; phonehome -i captures on the other end.
#
# usage: bench/live.sh PHONEHOME [WORKDIR]      (root: network namespaces)
# Each rate step replays the corpus 1 to 8 times (--loop) so that it lasts about 9 s, under 60.
# env:   BENCH_MB=100 (corpus size, MiB), BENCH_LEAKS=200 (leaking flows, 3 leaks each),
#        RATES="50 100 200 400 800 top top-w" (tcpreplay --mbps steps; top: --topspeed;
#        top-w: --topspeed with -w -C 100 -W 3, the raw copy rotated)
set -euo pipefail
cd "$(dirname "$0")/.."
PH=$(readlink -f "${1:-./phonehome}")
W=${2:-build/bench-live}
MB=${BENCH_MB:-100}
LEAKS=${BENCH_LEAKS:-200}
RATES=${RATES:-50 100 200 400 800 top top-w}
ID=bench/identity.json
IMEI=862345021234568 PHONE=+919876543210 EMAIL=priya.sharma.test@gmail.com
DEV=64:09:80:12:34:56          # the phone's MAC in every frame bench/mkcap.c writes
CAP=$W/live.pcap
STEP_S=60                      # every step is bounded
TAG=phb$$
NA=${TAG}r NB=${TAG}c VA=${TAG}a VB=${TAG}b

if [ "$(id -u)" -ne 0 ]; then
	echo "bench-live: skipped: needs root (network namespaces)"
	exit 0
fi
command -v tcpreplay > /dev/null || { echo "bench-live: tcpreplay not installed (make bench-deps)"; exit 1; }
mkdir -p "$W"
chmod 0777 "$W"
if [ ! -s "$CAP" ] || [ bench/mkcap.c -nt "$CAP" ]; then
	echo "bench-live: building $CAP (${MB} MiB, $LEAKS leaking flows)"
	build/bench/mkcap "$CAP.part" "$MB" "$LEAKS" "$W/live.leaks" "$IMEI" "$PHONE" "$EMAIL" \
		$(ls ../shared/pcaps/ndpi/*.pcap ../shared/pcaps/ndpi/*.pcapng 2>/dev/null | LC_ALL=C sort) 2>&1 |
		grep -v '^mkcap: skip' || true
	mv "$CAP.part" "$CAP"
fi
read -r PKTS BYTES < <(build/bench/pcapread "$CAP" | awk '{print $1, $3}')
INJECTED=$(wc -l < "$W/live.leaks")
RES=$W/results.txt
: > "$RES"

# The file figure first: the same corpus, the same options, read with -r (median of 3);
# and the start-up alone (an empty capture: patterns compiled, databases opened).
AUDIT=(--identity "$ID" --home IN --device "$DEV" -q)
head -c 24 "$CAP" > "$W/empty.pcap"
for t in 1 2 start; do
	ts=()
	for _ in 1 2 3; do
		s=$(date +%s.%N)
		if [ "$t" = start ]; then
			timeout "$STEP_S" "$PH" -r "$W/empty.pcap" "${AUDIT[@]}" --json "$W/empty.json" > /dev/null 2>&1
		else
			timeout "$STEP_S" "$PH" -r "$CAP" "${AUDIT[@]}" --threads "$t" --json "$W/file-$t.json" > /dev/null 2> "$W/file-$t.err"
		fi
		e=$(date +%s.%N)
		ts+=("$(awk -v s="$s" -v e="$e" 'BEGIN { print e - s }')")
	done
	echo "file-$t $(printf '%s\n' "${ts[@]}" | sort -n | sed -n 2p) $W/file-$t.json" >> "$RES"
done

cleanup() {
	for n in "$NA" "$NB"; do
		for p in $(ip netns pids "$n" 2> /dev/null); do kill -9 "$p" 2> /dev/null || true; done
		ip netns del "$n" 2> /dev/null || true
	done
}
trap cleanup EXIT
ip netns add "$NA"
ip netns add "$NB"
ip link add "$VA" type veth peer name "$VB"
ip link set "$VA" netns "$NA"
ip link set "$VB" netns "$NB"
for x in "$NA $VA 192.0.2.1" "$NB $VB 192.0.2.2"; do
	set -- $x
	ip netns exec "$1" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1
	ip netns exec "$1" ip link set "$2" mtu 65535   # the corpus has frames up to 64 KiB (offloaded segments)
	ip netns exec "$1" ip addr add "$3/24" dev "$2"
	ip netns exec "$1" ip link set "$2" up
done

for rate in $RATES; do
	out=$W/live-$rate.json
	rm -f "$out"
	# --count: phonehome stops once it has every packet; a drop leaves it to the SIGINT below
	# each step replays the corpus often enough to last about 9 s (its time at 100 Mbit/s), so the
	# 32 MiB kernel ring cannot hide a rate phonehome does not sustain: 1 loop at 50 and 100, 8 at 800
	# top-w: at top speed with the raw copy written too, rotated (-C 100, a ring of 3 files)
	if [ "${rate#top}" != "$rate" ]; then loops=8; else loops=$(( rate < 100 ? 1 : rate / 100 )); fi
	wopt=()
	if [ "$rate" = top-w ]; then rm -f "$W"/raw.pcap*; wopt=(-w "$W/raw.pcap" -C 100 -W 3); fi
	ip netns exec "$NB" timeout -s INT $((STEP_S + 30)) "$PH" -i "$VB" "${AUDIT[@]}" -Z root --count $((PKTS * loops)) \
		"${wopt[@]}" --json "$out" > /dev/null 2> "$W/live-$rate.err" &
	php=$!
	for _ in $(seq 300); do  # until its packet socket is open (-q prints no "capturing on")
		[ "$(ip netns exec "$NB" wc -l < /proc/net/packet)" -gt 1 ] && break
		sleep 0.1
	done
	sleep 0.2
	if [ "${rate#top}" != "$rate" ]; then opt=--topspeed; else opt="--mbps=$rate"; fi
	ip netns exec "$NA" timeout "$STEP_S" tcpreplay -i "$VA" -K --loop="$loops" "$opt" "$CAP" \
		> "$W/tcpreplay-$rate.out" 2>&1 || true
	for _ in $(seq 100); do kill -0 "$php" 2> /dev/null || break; sleep 0.2; done
	kill -INT "$php" 2> /dev/null || true
	wait "$php" || true
	echo "live-$rate $W/tcpreplay-$rate.out $out $loops" >> "$RES"
done
rm -f "$W"/raw.pcap*

/usr/bin/python3 bench/live_table.py "$RES" "$W/live.leaks" "$PKTS" "$BYTES"
