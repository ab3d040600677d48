#!/usr/bin/env bash
# End-to-end tests: fresh fixtures in build/fixtures, test GeoIP DBs in build/test, then e2e.py.
# Usage: PHONEHOME=build/san/phonehome bash tests/e2e/run.sh [CASE-SUBSTRING ...]
set -u
cd "$(dirname "$0")/../.."
PY=/usr/bin/python3
: "${PHONEHOME:=build/san/phonehome}"
case "$PHONEHOME" in /*) ;; *) PHONEHOME="$PWD/$PHONEHOME" ;; esac
export PHONEHOME
if [ ! -x "$PHONEHOME" ]; then
	echo "e2e: $PHONEHOME: not an executable (set PHONEHOME)" >&2
	exit 1
fi
rm -rf build/fixtures build/e2e
mkdir -p build/fixtures build/e2e build/test
if ! "$PY" tests/gen/captures.py build/fixtures; then
	echo "e2e: fixture generation failed" >&2
	exit 1
fi
if [ -f tests/gen/mkmmdb.pl ]; then
	if ! perl tests/gen/mkmmdb.pl build/test; then
		echo "e2e: test database generation failed" >&2
		exit 1
	fi
fi
# ASan: leaks are errors; keep the one-line stderr rule checkable.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
"$PY" tests/e2e/e2e.py "$@"; rc=$?
# The auditor's outputs (-o DIR, HTML in headless Chromium, evidence.pcap, EVE) after the core cases.
"$PY" tests/e2e/e2e_report.py "$@" || rc=1
# Encoding chains, payload decoders, channels and detector rules (tests/gen/obfuscation.py).
{ "$PY" tests/gen/obfuscation.py build/fixtures-obf && "$PY" tests/e2e/e2e_obfuscation.py; } || rc=1
exit $rc
