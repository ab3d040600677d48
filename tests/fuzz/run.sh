#!/usr/bin/env bash
# tests/fuzz/run.sh SECONDS TARGET... - runs each libFuzzer target for SECONDS on its corpus
# (build/fuzz/corpus/TARGET, grown in place); a crash stops with its reproducer in
# build/fuzz/artifacts/ (copy it to tests/fuzz/crashes/TARGET-NAME and add a regression test).
set -u
cd "$(dirname "$0")/../.."
secs=$1; shift
mkdir -p build/fuzz/artifacts
rc=0
for t in "$@"; do
	c=build/fuzz/corpus/$t
	mkdir -p "$c" tests/fuzz/crashes/$t
	echo "fuzz: $t for ${secs}s ($(ls "$c" | wc -l) seeds)"
	if ! build/fuzz/fuzz_$t "$c" tests/fuzz/crashes/$t -max_total_time="$secs" -rss_limit_mb=2048 \
		-max_len=65536 -timeout=10 -print_final_stats=1 -artifact_prefix=build/fuzz/artifacts/$t- \
		> build/fuzz/$t.log 2>&1; then
		echo "fuzz: $t FAILED: $(grep -m1 'ERROR\|SUMMARY' build/fuzz/$t.log)"
		rc=1
	fi
	grep -E "stat::number_of_executed_units|stat::peak_rss_mb|cov: " build/fuzz/$t.log | tail -3 | tr '\n' ' '
	echo
done
exit $rc
