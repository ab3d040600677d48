#!/usr/bin/python3
"""e2e_diff.py - `phonehome diff` on a generated re-test pair (tests/gen/retest.py).

Audits the before and after captures with the test GeoIP databases (-o DIR each), then checks the
machine-readable diff (--json -), the text verdict and sections, --fail-on-new, diff.html in headless
Chromium (no script, the four sections), that identifiers stay masked, and bad input (one line
naming the file, exit 2).  Ends with "e2e-diff: N passed, M failed".
Usage: PHONEHOME=build/san/phonehome /usr/bin/python3 tests/e2e/e2e_diff.py
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
sys.path.insert(0, os.path.join(ROOT, "tests", "gen"))
import captures  # noqa: E402
import retest  # noqa: E402
from e2e import Fail, check  # noqa: E402  (importing e2e or e2e_report runs no case)
from e2e_report import browse, Dom  # noqa: E402

PH = os.path.abspath(os.environ.get("PHONEHOME", os.path.join(ROOT, "build", "san", "phonehome")))
FIX = os.path.join(ROOT, "build", "fixtures-retest")
OUT = os.path.join(ROOT, "build", "e2e-diff")
DB = os.path.join(ROOT, "build", "test")
IDENT = os.path.join(FIX, "retest-identity.json")
BEFORE, AFTER, NOKEY = os.path.join(OUT, "before"), os.path.join(OUT, "after"), os.path.join(OUT, "after-nokey")
VERDICT = "1 leak gone, 1 new, 2 changed: the advertising ID now goes to sdkconfig.ad.xiaomi.com in China."

os.environ.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
os.environ.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")


def ph(args):
    p = subprocess.run([PH] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def audit(cap, outdir, extra=()):
    rc, _out, err = ph(["-r", os.path.join(FIX, cap), "--identity", IDENT, "--home", "IN",
                        "--geoip", os.path.join(DB, "test-city.mmdb"), "--asn-db", os.path.join(DB, "test-asn.mmdb"),
                        "-o", outdir] + list(extra))
    if rc != 0:
        raise SystemExit("e2e-diff: audit of %s failed (exit %d): %s" % (cap, rc, err.strip()[:300]))


def diff_json(*args):
    rc, out, err = ph(["diff"] + list(args) + ["--json", "-"])
    check(rc == 0, "diff exit %d: %s" % (rc, err.strip()))
    check(err == "", "stderr not empty: %r" % err)
    try:
        return json.loads(out)
    except ValueError as e:
        raise Fail("--json - is not JSON: %s" % e)


def one(items, kind, what):
    got = [i for i in items if i["kind"] == kind]
    check(len(got) == 1, "%s: want one %s, got %s" % (what, kind, [i["kind"] for i in items]))
    return got[0]


CASES = []


def case(fn):
    CASES.append(fn)
    return fn


@case
def json_pair():
    d = diff_json(BEFORE, AFTER)
    check(d["tool"]["name"] == "phonehome" and d["tool"]["diff_format"] == 1, "tool %r" % d["tool"])
    check(d["compared"] == "findings", "compared %r (both reports have findings[])" % d["compared"])
    check(d["counts"] == {"gone": 1, "new": 1, "changed": 2, "unchanged": 2}, "counts %r" % d["counts"])
    check(d["verdict"] + "." == VERDICT, "verdict %r" % d["verdict"])
    check(d["new_foreign"] is True, "new_foreign %r" % d["new_foreign"])
    for side, path in (("old", BEFORE), ("new", AFTER)):
        rep = d["reports"][side]
        check(rep["path"] == os.path.join(path, "report.json"), "reports.%s.path %r" % (side, rep["path"]))
        check(rep["report_format"] == 1 and rep["leaks"] == 5, "reports.%s %r" % (side, rep))
    g = one(d["gone"], "email", "gone")
    check(g["destination"]["host"] == "api.example.in" and g["countries"] == ["IN"], "gone %r" % g)
    n = one(d["new"], "advertising_id", "new")
    check(n["destination"]["host"] == retest.ADS_HOST and n["destination"]["domain"] == "xiaomi.com",
          "new destination %r" % n["destination"])
    check(n["countries"] == ["CN"] and n["foreign"] is True and n["transports"] == ["TCP/80"], "new %r" % n)
    tls = one(d["changed"], "imei", "changed")
    check(sorted(tls["changes"]) == ["tls", "transport"], "IMEI changes %r" % tls["changes"])
    check(tls["old"]["encrypted"] is False and tls["new"]["encrypted"] is True and tls["new"]["decrypted"] is True,
          "IMEI encrypted/decrypted %r -> %r" % (tls["old"]["transport_state"], tls["new"]["transport_state"]))
    check(tls["old"]["transports"] == ["TCP/80"] and tls["new"]["transports"] == ["TCP/443"], "IMEI transports")
    check(tls["new"]["encodings"] == ["plain"], "IMEI encodings %r (tls> is the transport)" % tls["new"]["encodings"])
    moved = one(d["changed"], "android_id", "changed")
    check(moved["changes"] == ["country"], "Android ID changes %r" % moved["changes"])
    check(moved["old"]["countries"] == ["US"] and moved["new"]["countries"] == ["SG"], "countries")
    cdn = one(d["unchanged"], "phone_number", "unchanged")
    check(cdn["destination"]["host"] == retest.MISTAT, "same name on another address: %r" % cdn["destination"])
    raw = one(d["unchanged"], "serial", "unchanged")
    check(raw["destination"]["host"] is None and raw["destination"]["asn"] == 15169,
          "no host name, same ASN: %r" % raw["destination"])


@case
def text_verdict_and_sections():
    rc, out, err = ph(["diff", BEFORE, AFTER])
    check(rc == 0 and not err, "exit %d, stderr %r" % (rc, err))
    lines = out.splitlines()
    check(lines[0] == VERDICT, "first line %r" % lines[0])
    for h in ("Gone (1)", "New (1)", "Changed (2)", "Unchanged (2)"):
        check(h in lines, "no section line %r" % h)
    check(lines.index("Gone (1)") < lines.index("New (1)") < lines.index("Changed (2)") < lines.index("Unchanged (2)"),
          "sections out of order")
    check(any(ln.startswith("  ~ IMEI to api.account.xiaomi.com: cleartext -> TLS (decrypted)") for ln in lines),
          "IMEI change line missing")
    check(any(ln.startswith("  ~ Android ID to track.example.com: country US -> SG") for ln in lines),
          "Android ID change line missing")


@case
def fail_on_new():
    rc, out, _ = ph(["diff", "--fail-on-new", BEFORE, AFTER])
    check(rc == 1, "new foreign leak: exit %d, want 1" % rc)
    check(out.splitlines()[0] == VERDICT, "the text is still printed")
    rc, out, _ = ph(["diff", "--fail-on-new", AFTER, BEFORE])  # the reverse: only the e-mail to India is new
    check(rc == 0, "no new foreign leak: exit %d, want 0" % rc)
    check(out.startswith("1 leak gone, 1 new, 2 changed: the e-mail address now goes to api.example.in in India."),
          "reverse verdict %r" % out.splitlines()[0])


@case
def same_report():
    d = diff_json(BEFORE, os.path.join(BEFORE, "report.json"))
    check(d["counts"] == {"gone": 0, "new": 0, "changed": 0, "unchanged": 5}, "counts %r" % d["counts"])
    check(d["verdict"] == "No change: the same 5 leaks to the same destinations", "verdict %r" % d["verdict"])


@case
def without_the_key_the_tls_leak_is_gone():
    d = diff_json(BEFORE, NOKEY)
    check(d["counts"]["gone"] == 2, "counts %r" % d["counts"])
    one(d["gone"], "imei", "gone without --keylog")


@case
def json_file_and_report_dir():
    out = os.path.join(OUT, "cmp")
    shutil.rmtree(out, ignore_errors=True)
    j = os.path.join(OUT, "cmp.json")
    rc, text, err = ph(["diff", BEFORE, AFTER, "-o", out, "--json", j])
    check(rc == 0 and not err, "exit %d: %s" % (rc, err))
    check(text.splitlines()[0] == VERDICT, "text on stdout with --json FILE")
    check(sorted(os.listdir(out)) == ["diff.html", "diff.json"], "files %r" % os.listdir(out))
    with open(j) as f, open(os.path.join(out, "diff.json")) as g:
        check(json.load(f) == json.load(g), "--json FILE and DIR/diff.json differ")


@case
def html_in_chromium():
    page = os.path.join(OUT, "cmp", "diff.html")
    with open(page) as f:
        src = f.read()
    check("<script" not in src.lower(), "diff.html has a script")
    check("default-src 'none'" in src, "no Content-Security-Policy")
    dom = browse(page)
    d = Dom(dom)
    check(not d.tags("script") and "<script" not in dom.lower(), "the DOM has a script")
    ids = {a.get("id") for _t, a in d.elems if a.get("id")}
    for sid in ("verdict", "gone", "new", "changed", "unchanged"):
        check(sid in ids, "no element #%s" % sid)
    text = " ".join(d.text().split())
    check(VERDICT in text, "verdict not shown")
    for h in ("1. Gone (1)", "2. New (1)", "3. Changed (2)", "4. Unchanged (2)"):
        check(h in text, "heading %r not shown" % h)
    check("cleartext -> TLS (decrypted)" in text and "sdkconfig.ad.xiaomi.com" in text, "rows not shown")
    verdict = [a for t, a in d.elems if a.get("id") == "verdict"]
    check("bad" in verdict[0].get("class", ""), "verdict not marked bad for a new foreign leak")


@case
def identifiers_stay_masked():
    raw = json.load(open(IDENT))
    values = [raw[k][0] for k in ("imei", "email", "android_id", "advertising_id", "phone_number", "serial")]
    rc, text, _ = ph(["diff", BEFORE, AFTER])
    outs = [text]
    for name in ("diff.json", "diff.html"):
        with open(os.path.join(OUT, "cmp", name)) as f:
            outs.append(f.read())
    for v in values:
        check(not any(v in o for o in outs), "identifier %s shown unmasked" % v[:4])
    d = diff_json(BEFORE, AFTER)
    n = one(d["new"], "advertising_id", "new")
    check(n["identifier"] and "x" in n["identifier"], "masked identifier %r" % n["identifier"])


@case
def masked_hosts_compare():
    """report.json masks identifiers in host names, and diff compares what it reads: the same
    capture twice is no change; the phone with another IMEI (in its host names too) matches its
    findings by domain, the masked host changed, nothing gone or new."""
    runs = []
    for n, imei in ((1, None), (2, "862345021234576")):
        raw = json.load(open(IDENT))
        if imei:
            raw["imei"] = [imei]
        ident_path = os.path.join(OUT, "idh%d-identity.json" % n)
        with open(ident_path, "w") as f:
            json.dump(raw, f)
        cap_dir = os.path.join(OUT, "idh%d" % n)
        os.makedirs(cap_dir, exist_ok=True)
        ident = captures.load_identity(ident_path)
        captures.case_id_hosts(cap_dir, ident)
        rc, _o, err = ph(["-r", os.path.join(cap_dir, "id_hosts.pcap"), "--identity", ident_path, "--home", "IN",
                          "--geoip", os.path.join(DB, "test-city.mmdb"), "--asn-db", os.path.join(DB, "test-asn.mmdb"),
                          "--json", os.path.join(cap_dir, "report.json")])
        check(rc == 0, "audit exit %d: %s" % (rc, err.strip()[:300]))
        with open(os.path.join(cap_dir, "report.json")) as f:
            text = f.read()
        check(ident["imei"] not in text, "IMEI unmasked in report.json")
        runs.append((cap_dir, ident))
    d = diff_json(runs[0][0], runs[0][0])
    check(d["counts"]["gone"] == d["counts"]["new"] == d["counts"]["changed"] == 0, "counts %r" % d["counts"])
    d = diff_json(runs[0][0], runs[1][0])
    check(d["counts"]["gone"] == 0 and d["counts"]["new"] == 0, "another IMEI: counts %r" % d["counts"])
    hosts = [(c["old"]["destination"]["host"], c["new"]["destination"]["host"]) for c in d["changed"]
             if c["kind"] == "imei" and c["changes"] == ["host"]]
    check(("8623xxxxxxx4568.api.example.cn", "8623xxxxxxx4576.api.example.cn") in hosts,
          "the IMEI host change: %r" % hosts)
    rc, text, _ = ph(["diff", runs[0][0], runs[1][0]])
    check(not any(i["imei"] in text for _d, i in runs), "IMEI unmasked in the diff")

def bad(args, name, want_rc=2):
    rc, out, err = ph(["diff"] + args)
    check(rc == want_rc, "%s: exit %d, want %d" % (args, rc, want_rc))
    lines = err.strip().splitlines()
    check(len(lines) == 1, "%s: stderr is not one line: %r" % (args, err))
    check(name in lines[0] and lines[0].startswith("phonehome: diff: "), "%s: %r does not name %s" % (args, lines[0], name))
    check(out == "", "%s: stdout %r" % (args, out[:100]))


@case
def bad_input():
    tmp = tempfile.mkdtemp(dir=OUT)
    rep = json.load(open(os.path.join(BEFORE, "report.json")))
    notjson, alien, future, legacy, empty = (os.path.join(tmp, n) for n in (
        "notjson.json", "alien.json", "future.json", "legacy.json", "emptydir"))
    with open(notjson, "w") as f:
        f.write('{"tool": {"name": "phonehome"')
    with open(alien, "w") as f:
        json.dump({"imei": ["1"]}, f)
    rep["tool"]["report_format"] = 99
    with open(future, "w") as f:
        json.dump(rep, f)
    del rep["tool"]["report_format"]
    with open(legacy, "w") as f:
        json.dump(rep, f)
    os.mkdir(empty)
    bad([BEFORE, os.path.join(tmp, "missing.json")], "missing.json")
    bad([notjson, AFTER], "notjson.json")
    bad([BEFORE, alien], "alien.json")
    bad([future, AFTER], "future.json")
    bad([BEFORE, empty], os.path.join(empty, "report.json"))
    bad([BEFORE], "two reports")
    bad([BEFORE, AFTER, "--bogus"], "--bogus")
    d = diff_json(legacy, AFTER)  # no report_format: written by an older phonehome, format 1
    check(d["reports"]["old"]["report_format"] == 1 and d["counts"]["new"] == 1, "legacy report %r" % d["counts"])


@case
def help_text():
    rc, out, _ = ph(["diff", "--help"])
    check(rc == 0 and out.startswith("usage: phonehome diff OLD NEW"), "diff --help")
    rc, out, _ = ph(["--help"])
    check(rc == 0 and "phonehome diff OLD NEW" in out, "--help does not mention diff")


def main():
    if not os.access(PH, os.X_OK):
        print("e2e-diff: %s: not an executable (set PHONEHOME)" % PH)
        print("e2e-diff: 0 passed, 1 failed")
        return 1
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    if not os.path.exists(os.path.join(DB, "test-city.mmdb")):
        subprocess.run(["perl", os.path.join(ROOT, "tests", "gen", "mkmmdb.pl"), DB], check=True,
                       stdout=subprocess.DEVNULL)
    retest.main(["retest.py", FIX])
    audit("retest_before.pcap", BEFORE)
    audit("retest_after.pcap", AFTER, ["--keylog", os.path.join(FIX, "retest_after.keys")])
    audit("retest_after.pcap", NOKEY)
    passed = failed = 0
    for fn in CASES:
        try:
            fn()
            print("ok %s" % fn.__name__)
            passed += 1
        except (Fail, OSError, ValueError, KeyError, IndexError, TypeError, subprocess.SubprocessError) as e:
            print("FAIL %s: %s" % (fn.__name__, e))
            failed += 1
    print("e2e-diff: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
