#!/usr/bin/env bash
# tests/valgrind.sh PHONEHOME - memcheck over a few real captures and the sample, with an
# identity and a JSON report: zero errors and zero definite or indirect leaks, or exit 1.
set -u
cd "$(dirname "$0")/.."
PH=${1:-./phonehome}
command -v valgrind > /dev/null || { echo "valgrind: not installed (make deps)"; exit 1; }
RULES=; "$PH" --help | grep -q -- --no-rules && RULES=--no-rules
out=build/valgrind
mkdir -p "$out"
pass=0 fail=0
for cap in tests/sample/redmi1s.pcap ../shared/pcaps/ndpi/http.pcapng ../shared/pcaps/ndpi/dns_doh.pcap \
	../shared/pcaps/ndpi/xiaomi.pcap ../shared/pcaps/ndpi/443-chrome.pcap; do
	[ -r "$cap" ] || { echo "valgrind: missing $cap"; fail=$((fail + 1)); continue; }
	name=$(basename "$cap")
	if valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect \
		--show-leak-kinds=definite,indirect --error-exitcode=1 --log-file="$out/$name.log" \
		"$PH" -r "$cap" --identity rules/identity-example.json --home IN $RULES \
		--json "$out/$name.json" > /dev/null 2>&1 && [ ! -s "$out/$name.log" ]; then
		echo "ok valgrind $name"
		pass=$((pass + 1))
	else
		echo "FAIL valgrind $name: $(head -5 "$out/$name.log")"
		fail=$((fail + 1))
	fi
done
echo "valgrind: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
