#!/usr/bin/env bash
# bench/run.sh - `make bench`: builds the benchmark capture when missing, then times
# phonehome's full audit and the reference tools on it, in one go (rounds of every command
# once), and prints a table.
#
# usage: bench/run.sh PHONEHOME [WORKDIR]
# env:   RUNS=5 (runs per command, median reported), SLOW_RUNS=1 (for tshark),
#        BENCH_MB=990 (size of the capture in MiB), BENCH_LEAKS=200, BENCH_SKIP="tshark ngrep"
set -euo pipefail
cd "$(dirname "$0")/.."
PH=${1:-./phonehome}
W=${2:-build/bench}
RUNS=${RUNS:-5}
SLOW_RUNS=${SLOW_RUNS:-1}
MB=${BENCH_MB:-990}
LEAKS=${BENCH_LEAKS:-200}
SKIP=" ${BENCH_SKIP:-} "
PCAPS=../shared/pcaps/ndpi
ID=bench/identity.json
IMEI=862345021234568 PHONE=+919876543210 EMAIL=priya.sharma.test@gmail.com
CAP=$W/bench.pcap
mkdir -p "$W"

if [ ! -s "$CAP" ] || [ bench/mkcap.c -nt "$CAP" ]; then
	echo "bench: building $CAP from $PCAPS (${MB} MiB, $LEAKS leaking flows)"
	"$W/mkcap" "$CAP.part" "$MB" "$LEAKS" "$W/bench.leaks" "$IMEI" "$PHONE" "$EMAIL" \
		$(ls "$PCAPS"/*.pcap "$PCAPS"/*.pcapng 2>/dev/null | LC_ALL=C sort) 2>&1 | grep -v '^mkcap: skip' || true
	mv "$CAP.part" "$CAP"
fi
read -r PKTS BYTES < <("$W/pcapread" "$CAP" | awk '{print $1, $3}')
FLOWS=$("$W/flowtable" "$CAP" | awk '{print $1}')
echo "bench: $CAP: $PKTS packets, $BYTES bytes, $FLOWS flows (5-tuple)"
cat "$CAP" > /dev/null  # page cache warm for every command alike

# the 20-way alternation for ngrep: identifier variants as a tester would type them
NGREP_RE="$IMEI|862345021234576|404450123456789|8991450012345678900|919876543210|9876543210|98765 43210"
NGREP_RE="$NGREP_RE|Airtel|64:09:80:12:34:56|640980123456|3f2a9c41b7d05e68|5f1c2a9e-7b3d-4c8a-9e21-0d6b4f3a8c17"
NGREP_RE="$NGREP_RE|priya.sharma.test@gmail.com|priya.sharma.test%40gmail.com|f3a9c2d1|919812345678|919812300001"
NGREP_RE="$NGREP_RE|919812300002|anita.desai.test@example.in|919812300003"

RES=$W/results.txt
: > "$RES"
# The commands run in rounds, each once per round, so that a slow spell of this shared machine
# falls on all of them alike: the ratios are of runs made side by side.
NAMES=()
declare -A CMD NRUN TS RSS FAILED
# add NAME NRUNS CMD...: a command of the rounds (skipped when not installed or in BENCH_SKIP)
add() {
	local name=$1 n=$2; shift 2
	case "$SKIP" in *" $name "*) return 0;; esac
	if ! command -v "$1" > /dev/null; then
		echo "bench: $name: $1 not installed (make bench-deps), skipped"; return 0
	fi
	NAMES+=("$name"); NRUN[$name]=$n; CMD[$name]=$(printf '%q ' "$@"); TS[$name]=""; RSS[$name]=0
}
# once NAME: one timed run, its wall seconds and peak RSS kept
once() {
	local name=$1 t m
	if ! eval "/usr/bin/time -f '%e %M' -o \"\$W/time.out\" ${CMD[$name]}" > "$W/$name.out" 2> "$W/$name.err"; then
		echo "bench: $name failed: $(tail -1 "$W/$name.err")"; FAILED[$name]=1; return 0
	fi
	read -r t m < "$W/time.out"
	TS[$name]+="$t "
	if [ "$m" -gt "${RSS[$name]}" ]; then RSS[$name]=$m; fi
}

add phonehome "$RUNS" "$PH" -r "$CAP" --identity "$ID" --home IN --json "$W/report.json"
add phonehome-1 "$RUNS" "$PH" -r "$CAP" --identity "$ID" --home IN --threads 1 --json "$W/report-1.json"
add libpcap-read "$RUNS" "$W/pcapread" "$CAP"
add flow-table "$RUNS" "$W/flowtable" "$CAP"
add hyperscan "$RUNS" "$W/hsscan" "$ID" "$CAP"
add ndpiReader "$RUNS" ndpiReader -i "$CAP" -q
add ngrep "$RUNS" ngrep -q -t -I "$CAP" -W none "$NGREP_RE"
add tshark "$SLOW_RUNS" tshark -n -r "$CAP" -Y "frame contains \"$IMEI\""

ROUNDS=$(( RUNS > SLOW_RUNS ? RUNS : SLOW_RUNS ))
for i in $(seq "$ROUNDS"); do
	for name in "${NAMES[@]}"; do
		if [ "$i" -le "${NRUN[$name]}" ] && [ -z "${FAILED[$name]:-}" ]; then once "$name"; fi
	done
done
for name in "${NAMES[@]}"; do
	[ -z "${FAILED[$name]:-}" ] || continue
	med=$(printf '%s\n' ${TS[$name]} | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
	echo "$name $med ${RSS[$name]} ${NRUN[$name]}" >> "$RES"
	printf 'bench: %-12s %6.2f s  %7d KiB  (%s)\n' "$name" "$med" "${RSS[$name]}" "${TS[$name]% }"
done

/usr/bin/python3 bench/table.py "$RES" "$PKTS" "$BYTES" "$W/report.json" "$W/bench.leaks" "$ID"
