#!/usr/bin/python3
"""Precision of the detector rules on real traffic: runs phonehome without --identity over every
capture in ../shared/pcaps/ndpi (relative to the project root) and compares the suspected leaks
with the reviewed list in tests/precision/expected.json. A capture fails when a suspected hit
appears that is not listed, or a listed one disappears; one line per difference, then
"precision: N passed, M failed" (captures).

Usage: precision.py PHONEHOME [--jobs N] [--captures DIR] [--only NAME ...] [--dump FILE]
--dump writes the hits found in expected.json's layout (reasons empty) for a review."""
import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXPECTED = os.path.join(ROOT, "tests", "precision", "expected.json")
FIELDS = ("kind", "sha256", "dest_port", "where", "chain", "key")


def mask(v):
    """Enough of a value to recognise it in a difference line, not the value."""
    return v[:3] + "..." + v[-4:] if len(v) > 10 else v[:2] + "..."


def hits(phonehome, path, tmp):
    """(exit status, Counter of hit keys, {hit key: masked value}, stderr)"""
    out = os.path.join(tmp, os.path.basename(path) + ".json")
    r = subprocess.run([phonehome, "-r", path, "--json", out, "--threads", "1", "--no-geoip",
                        "--show-identifiers"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       text=True)
    if r.returncode != 0:
        return r.returncode, Counter(), {}, r.stderr.strip()
    with open(out) as f:
        rep = json.load(f)
    os.unlink(out)
    c, shown = Counter(), {}
    for l in rep["leaks"]:
        if l.get("confidence") != "suspected":
            continue
        v = l["identifier"]
        k = (l["kind"], hashlib.sha256(v.encode()).hexdigest(), l["dest_port"], l["where"], l["chain"],
             l.get("key"))
        c[k] += 1
        shown[k] = mask(v)
    return 0, c, shown, ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("phonehome")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--captures", default=os.path.join(ROOT, "..", "shared", "pcaps", "ndpi"))
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--dump")
    a = ap.parse_args()
    with open(EXPECTED) as f:
        exp = json.load(f)
    if not os.path.isdir(a.captures):
        print(f"precision: {a.captures}: no such directory", file=sys.stderr)
        print("precision: 0 passed, 1 failed")
        return 1
    names = sorted(n for n in os.listdir(a.captures) if n.endswith((".pcap", ".pcapng", ".cap")))
    if a.only:
        names = [n for n in names if n in a.only]
    t0 = time.time()
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(a.jobs) as ex:
        res = dict(zip(names, ex.map(lambda n: hits(a.phonehome, os.path.join(a.captures, n), tmp), names)))
    passed = failed = 0
    dump = {}
    for n in names:
        rc, got, shown, err = res[n]
        ok = True
        if n in exp.get("unsupported", {}):
            if rc != 2:
                print(f"{n}: expected exit 2 ({exp['unsupported'][n]}), got {rc}")
                ok = False
        elif rc != 0:
            print(f"{n}: exit {rc}: {err}")
            ok = False
        else:
            want, names_of = Counter(), {}
            for e in exp["captures"].get(n, []):
                k = tuple(e[f] for f in FIELDS)
                want[k] += e.get("count", 1)
                names_of[k] = e["masked"]
            for k, c in sorted((got - want).items(), key=str):
                print(f"{n}: unexpected {c}x {k[0]} {shown[k]} port {k[2]} {k[3]} {k[4]} key={k[5]} sha256={k[1][:12]}")
                ok = False
            for k, c in sorted((want - got).items(), key=str):
                print(f"{n}: missing {c}x {k[0]} {names_of[k]} port {k[2]} {k[3]} {k[4]} key={k[5]} sha256={k[1][:12]}")
                ok = False
            if got:
                dump[n] = [dict(zip(FIELDS, k), masked=shown[k], count=c, reason="")
                           for k, c in sorted(got.items(), key=str)]
        passed += ok
        failed += not ok
    if a.dump:
        with open(a.dump, "w") as f:
            json.dump(dump, f, indent=1)
    print(f"precision: {len(names)} captures in {time.time() - t0:.1f} s", file=sys.stderr)
    print(f"precision: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
