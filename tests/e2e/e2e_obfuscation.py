#!/usr/bin/python3
"""e2e_obfuscation.py - the obfuscation and detector corpus (tests/gen/obfuscation.py): every
case's leaks must be exactly the expected ones (kind, encoding chain, where, confidence, dest
port, and key / header name where given). Prints "ok NAME" / "FAIL NAME: why", the corpus recall
and false positives, and "e2e-obfuscation: N passed, N failed"; exit 1 on a failure.
"""
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PH = os.environ.get("PHONEHOME", os.path.join(ROOT, "build", "san", "phonehome"))
FIX = os.environ.get("OBF_FIXTURES", os.path.join(ROOT, "build", "fixtures-obf"))
DB = os.environ.get("TESTDB", os.path.join(ROOT, "build", "test"))
OUT = os.path.join(ROOT, "build", "e2e-obf")
FIELDS = ("kind", "encoding", "where", "confidence", "dest_port", "key", "name")


def run(pcap, identity):
    os.makedirs(OUT, exist_ok=True)
    fd, jpath = tempfile.mkstemp(suffix=".json", dir=OUT)
    os.close(fd)
    args = [PH, "-r", os.path.join(FIX, pcap), "--home", "IN", "--json", jpath, "-q",
            "--geoip", os.path.join(DB, "test-city.mmdb"), "--asn-db", os.path.join(DB, "test-asn.mmdb")]
    if identity:
        args += ["--identity", os.path.join(FIX, "identity.json")]
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    if p.returncode != 0:
        raise RuntimeError("exit %d: %s" % (p.returncode, p.stderr.decode()[:300]))
    with open(jpath) as f:
        rep = json.load(f)
    os.unlink(jpath)
    return rep


def matches(leak, exp):
    # "chain" is where and encoding together, outermost first: header:base64>gzip>json
    chain_ok = leak.get("chain") == "%s:%s" % (leak.get("where"), leak.get("encoding"))
    return chain_ok and all(leak.get(k) == exp[k] for k in FIELDS if k in exp)


def brief(lk):
    return "%s/%s/%s/%s key=%s name=%s port=%s" % (lk["kind"], lk["encoding"], lk["where"], lk["confidence"],
                                                   lk.get("key"), lk.get("name"), lk.get("dest_port"))


def main():
    with open(os.path.join(FIX, "obfuscation.json")) as f:
        cases = json.load(f)
    passed = failed = 0
    want = found = fp = neg_cases = neg_clean = 0
    for name in sorted(cases):
        c = cases[name]
        try:
            rep = run(c["pcap"], c["identity"])
        except Exception as e:  # noqa: BLE001
            print("FAIL %s: %s" % (name, e))
            failed += 1
            continue
        leaks = rep["leaks"]
        why = []
        used = set()
        for exp in c["expect"]:
            want += 1
            hit = [i for i, lk in enumerate(leaks) if i not in used and matches(lk, exp)]
            if hit:
                found += 1
                used.add(hit[0])
            else:
                why.append("missing %s" % {k: exp[k] for k in FIELDS if k in exp})
        extra = [leaks[i] for i in range(len(leaks)) if i not in used]
        fp += len(extra)
        if extra:
            why.append("unexpected %s" % [brief(lk) for lk in extra])
        for lk in leaks:
            if lk["confidence"] == "suspected" and not lk.get("rule", {}).get("description"):
                why.append("suspected leak without a rule description")
            if c["identity"] is False and lk["confidence"] != "suspected":
                why.append("confirmed leak without an identity")
        if c["negative"]:
            neg_cases += 1
            neg_clean += not leaks
        if why:
            print("FAIL %s: %s" % (name, "; ".join(why)))
            failed += 1
        else:
            print("ok %s" % name)
            passed += 1
    recall = 100.0 * found / want if want else 100.0
    print("obfuscation corpus: recall %d/%d (%.1f%%), false positives %d (negative cases clean %d/%d)"
          % (found, want, recall, fp, neg_clean, neg_cases))
    print("e2e-obfuscation: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
