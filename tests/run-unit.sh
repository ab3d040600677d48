#!/usr/bin/env bash
# Runs each cmocka unit-test binary; cmocka reports on stderr, so both streams are kept.
# Ends with one line "unit: N passed, N failed" counting test cases, not binaries.
set -u
fail=0; pass=0; bad=0
for t in "$@"; do
	out=$("$t" 2>&1); rc=$?
	p=$(echo "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
	f=$(echo "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
	pass=$((pass + ${p:-0})); fail=$((fail + ${f:-0}))
	if [ $rc -ne 0 ]; then
		bad=$((bad + 1)); echo "$out" | tail -40; echo "FAILED: $t (exit $rc)"
		[ -z "$f" ] && fail=$((fail + 1))
	fi
	echo "$(basename "$t"): ${p:-0} passed, ${f:-0} failed"
done
echo "unit: $pass passed, $fail failed"
[ "$bad" -eq 0 ]
