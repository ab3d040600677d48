#!/usr/bin/env bash
# tests/fuzz/corpus.sh OUTDIR - seed corpora from the real captures and the e2e fixtures.
set -eu
cd "$(dirname "$0")/../.."
out=${1:-build/fuzz/corpus}
mkdir -p "$out"
/usr/bin/python3 tests/fuzz/corpus.py "$out" ../shared/pcaps/ndpi/*.pcap $(ls build/e2e/*.pcap 2>/dev/null || true) \
	$(ls tests/fuzz/crashes/*.pcap 2>/dev/null || true) tests/sample/*.pcap
# h3: the unit tests' connections, written by test_h3 as fuzz_h3 records.
if [ -x build/san/test_h3 ]; then
	mkdir -p "$out/h3"
	PH_H3_SEEDS="$out/h3" build/san/test_h3 >/dev/null 2>&1 || true
fi
