#!/usr/bin/python3
"""bench/found.py - the injected leaks (bench/mkcap.c's manifest) a phonehome report found.

usage: found.py REPORT.json LEAKS.manifest   (prints "found N/M"; exit 1 when one is missing)"""
import json
import sys


def injected_found(doc, manifest):
    """(wanted, found) sets of (client port, kind, where) for the leaks mkcap injected."""
    want = set()
    for line in open(manifest):
        port, kind, where = line.split()
        want.add((int(port), kind, where))
    got = set()
    for l in doc["leaks"]:
        if l.get("dest_ip") == "220.181.38.148" and l.get("foreign"):
            got.add((l["src_port"], l["kind"], l["where"]))
    return want, want & got


if __name__ == "__main__":
    want, got = injected_found(json.load(open(sys.argv[1])), sys.argv[2])
    print(f"found {len(got)}/{len(want)}")
    sys.exit(0 if got == want else 1)
