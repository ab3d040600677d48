#!/usr/bin/env bash
# Runs each cmocka unit-test binary; cmocka reports on stderr, so both streams are kept.
set -u
fail=0; pass=0
for t in "$@"; do
	if out=$("$t" 2>&1); then
		pass=$((pass + 1))
	else
		fail=$((fail + 1)); echo "$out"; echo "FAILED: $t"
	fi
	echo "$out" | grep -E '^\[  (PASSED|FAILED)  \]' | sed "s|^|$(basename "$t"): |"
done
echo "unit: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
