#!/usr/bin/env bash
# Sanitizer sweep: the sanitizer build over every real capture in ../shared/pcaps/ndpi.
# Passes when no run crashes or prints a sanitizer report; exit 2 is accepted only
# with a one-line "unsupported link type" or "cannot read capture" error.
set -u
PH=${PHONEHOME:-build/san/phonehome}
DIR=${SWEEP_DIR:-../shared/pcaps/ndpi}
OUT=build/sweep
[ -d "$DIR" ] || { echo "sweep: $DIR not found (the shared captures sit beside the project)"; exit 1; }
rm -rf "$OUT"; mkdir -p "$OUT"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1
run_one() {
	f=$1; b=$(basename "$f"); log="$OUT/$b.log"
	"$PH" -r "$f" --identity rules/identity-example.json --home IN --json "$OUT/$b.json" >/dev/null 2>"$log"
	rc=$?
	if grep -qE "Sanitizer|runtime error|LeakSanitizer" "$log"; then echo "FAIL $b: sanitizer report"; return; fi
	case $rc in
	0) [ -s "$OUT/$b.json" ] && echo "ok $b" || echo "FAIL $b: no report";;
	2) grep -qE "unsupported link type|cannot read capture" "$log" && [ "$(wc -l <"$log")" -eq 1 ] \
		&& echo "skip $b: $(cat "$log")" || echo "FAIL $b: exit 2: $(head -c 200 "$log")";;
	*) echo "FAIL $b: exit $rc: $(tail -n 3 "$log" | tr '\n' ' ' | head -c 300)";;
	esac
}
export -f run_one; export PH OUT
find "$DIR" -maxdepth 1 -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) | sort \
	| xargs -P "$(nproc)" -I{} bash -c 'run_one "$@"' _ {} > "$OUT/results.txt"
pass=$(grep -c '^ok ' "$OUT/results.txt"); skip=$(grep -c '^skip ' "$OUT/results.txt")
fail=$(grep -c '^FAIL ' "$OUT/results.txt")
grep '^FAIL ' "$OUT/results.txt" | head -20
echo "sweep: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
