#!/usr/bin/python3
"""e2e_apps.py - which app sent it: PCAPdroid pcap trailers, PCAPdroid pcapng (both byte orders),
NFLOG; tshark reads every generated file; the JSON names the right app for every leak.

Usage: PHONEHOME=build/san/phonehome e2e_apps.py   (fixtures from tests/gen/apps.py)
Ends with the line "e2e-apps: N passed, M failed".
"""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "gen"))
import apps as G  # noqa: E402

PH = os.environ.get("PHONEHOME", os.path.join(ROOT, "build", "san", "phonehome"))
FIX = os.path.join(ROOT, "build", "fixtures-apps")
IDENT = os.path.join(FIX, "identity.json")
PORTS = sorted(G.APPS)


class Fail(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def fx(name):
    return os.path.join(FIX, name)


def run(cap, *extra, fmt="json"):
    args = [PH, "-r", fx(cap), "--identity", IDENT, "--no-geoip", "--format", fmt] + list(extra)
    p = subprocess.run(args, capture_output=True, text=True)
    if fmt != "json" or p.returncode:
        return p, None
    return p, json.loads(p.stdout)


def leaks_by_port(rep):
    out = {}
    for l in rep["leaks"]:
        check(l["kind"] == "imei", "unexpected leak kind %s" % l["kind"])
        out[l["src_port"]] = l["app"]
    return out


def expect_pcapdroid(rep, with_package):
    got = leaks_by_port(rep)
    check(sorted(got) == PORTS, "leaks on ports %s, want %s" % (sorted(got), PORTS))
    for port, app in G.APPS.items():
        a = got[port]
        if app is None:
            check(a is None, "port %d: app %r, want null" % (port, a))
            continue
        uid, pkg, name = app
        check(a and a["uid"] == uid and a["source"] == "pcapdroid", "port %d: app %r" % (port, a))
        want_name = name or "unknown"
        check(a["name"] == want_name, "port %d: name %r, want %r" % (port, a["name"], want_name))
        want_pkg = (pkg or None) if with_package else None
        check(a["package"] == want_pkg, "port %d: package %r, want %r" % (port, a["package"], want_pkg))
    for f in rep["flows"]:
        check("app" in f, "flow without an app member")
        check(f["device_side"] == "src", "PCAPdroid: phone not the device in flow %s" % f["flow_id"])


def t_tshark():
    for name in sorted(os.listdir(FIX)):
        if not name.endswith((".pcap", ".pcapng")):
            continue
        p = subprocess.run(["tshark", "-r", fx(name)], capture_output=True, text=True)
        err = [l for l in p.stderr.splitlines() if "Running as user" not in l and l.strip()]
        check(p.returncode == 0 and not err, "tshark -r %s: rc %d %s" % (name, p.returncode, err[:2]))
        check(len(p.stdout.splitlines()) >= 40, "tshark -r %s: %d packets" % (name, len(p.stdout.splitlines())))


def t_trailer():
    p, rep = run("pcapdroid.pcap")
    check(p.returncode == 0, p.stderr)
    expect_pcapdroid(rep, False)
    check(rep["stats"]["apps"]["pcapdroid_trailers"] == 30, "trailers %r" % rep["stats"]["apps"])
    check(rep["stats"]["apps"]["pcapdroid_trailers_malformed"] == 0, "malformed trailers")


def t_trailer_threads():
    _, one = run("pcapdroid.pcap", "--threads", "1")
    _, three = run("pcapdroid.pcap", "--threads", "3")
    check(leaks_by_port(one) == leaks_by_port(three), "--threads 1 and 3 differ")
    check([f["app"] for f in one["flows"]] == [f["app"] for f in three["flows"]], "flow apps differ")


def t_pcapng_le():
    p, rep = run("pcapdroid-le.pcapng")
    check(p.returncode == 0, p.stderr)
    expect_pcapdroid(rep, True)


def t_pcapng_be():
    p, rep = run("pcapdroid-be.pcapng")
    check(p.returncode == 0, p.stderr)
    expect_pcapdroid(rep, True)
    check(rep["stats"]["apps"]["pcapng_custom_blocks"] == 3, "custom blocks %r" % rep["stats"]["apps"])


def t_nflog():
    p, rep = run("nflog.pcap")
    check(p.returncode == 0, p.stderr)
    check(rep["inputs"][0]["link_type"] == "NFLOG", "link type %r" % rep["inputs"][0]["link_type"])
    got = leaks_by_port(rep)
    check(sorted(got) == PORTS, "leaks on ports %s" % sorted(got))
    check(got[40001] == {"uid": 10123, "package": None, "name": None, "source": "nflog"}, "40001: %r" % got[40001])
    check(got[40002]["uid"] == 1000 and got[40002]["name"] == "Android system", "40002: %r" % got[40002])
    check(got[40003] is None and got[40004] is None, "packets without NFULA_UID got an app")
    check(rep["stats"]["apps"]["nflog_without_uid"] > 0, "nflog_without_uid not counted")


def t_plain_same():
    _, plain = run("plain.pcap")
    _, droid = run("pcapdroid.pcap")
    check(sorted(leaks_by_port(plain)) == sorted(leaks_by_port(droid)), "leaks differ from the PCAPdroid capture")
    check(all(a is None for a in leaks_by_port(plain).values()), "plain pcap: an app that is not there")
    check(all(f["app"] is None for f in plain["flows"]), "plain pcap: flow app not null")
    check("apps" not in plain["stats"], "plain pcap: stats.apps")


def t_bad_trailer():
    p, rep = run("pcapdroid-bad.pcap")
    check(p.returncode == 0, p.stderr)
    got = leaks_by_port(rep)
    check(sorted(got) == PORTS, "bad trailers: leaks on %s (the packets must still be audited)" % sorted(got))
    check(rep["stats"]["apps"]["pcapdroid_trailers_malformed"] == 4, "malformed %r" % rep["stats"]["apps"])
    check(got[40001]["uid"] == 10123, "flow keeps the app of its first attributed packet")


def t_bad_custom_block():
    p, rep = run("pcapdroid-bad.pcapng")
    check(p.returncode == 0, p.stderr)
    got = leaks_by_port(rep)
    check(sorted(got) == PORTS, "leaks on %s" % sorted(got))
    check(rep["stats"]["apps"]["pcapng_custom_blocks_malformed"] == 1, "malformed %r" % rep["stats"]["apps"])
    check(got[40002] == {"uid": 10145, "package": None, "name": None, "source": "pcapdroid"}, "40002: %r" % got[40002])


def t_app_filter():
    _, rep = run("pcapdroid-le.pcapng", "--app", "com.example.weather", "--app", "-1")
    got = leaks_by_port(rep)
    check(sorted(got) == [40001, 40003], "--app: leaks on %s" % sorted(got))
    check({f["app"]["uid"] for f in rep["flows"]} == {10123, -1}, "--app: flows of other apps")
    _, rep = run("pcapdroid.pcap", "--app", "Flashlight")
    check(sorted(leaks_by_port(rep)) == [40002], "--app by name")


def t_app_bad_option():
    p, _ = run("pcapdroid.pcap", "--app", "")
    check(p.returncode == 2 and len(p.stderr.splitlines()) == 1 and "--app" in p.stderr,
          "--app '': rc %d, %r" % (p.returncode, p.stderr))


def t_summary():
    p, _ = run("pcapdroid-le.pcapng", fmt="text")
    check("\nApps: 3\n" in p.stdout and "com.example.weather (Weather)" in p.stdout and "imei 1" in p.stdout,
          "summary apps table:\n" + p.stdout)
    p, _ = run("plain.pcap", fmt="text")
    check("Apps:" not in p.stdout, "plain pcap: apps table")


def t_eve():
    eve = os.path.join(ROOT, "build", "e2e-apps.eve.json")
    p, _ = run("pcapdroid-le.pcapng", "--eve", eve)
    check(p.returncode == 0, p.stderr)
    recs = [json.loads(l) for l in open(eve)]
    leaks = [r for r in recs if r["event_type"] in ("leak", "alert")]
    check(leaks and all("app" in r["phonehome"] for r in leaks), "EVE leak/alert without phonehome.app")
    apps = {r["src_port"]: r["phonehome"]["app"] for r in recs if r["event_type"] == "leak"}
    check(apps[40001]["package"] == "com.example.weather", "EVE leak app %r" % apps.get(40001))
    flows = [r for r in recs if r["event_type"] == "flow"]
    check(flows and all("app" in r["phonehome"] for r in flows), "EVE flow without phonehome.app")


CITY = os.path.join(ROOT, "build", "test", "test-city.mmdb")


def run_geo(cap, *extra, fmt="json"):
    args = [PH, "-r", fx(cap), "--identity", IDENT, "--geoip", CITY, "--home", "IN", "--format", fmt] + list(extra)
    p = subprocess.run(args, capture_output=True, text=True)
    return p, (json.loads(p.stdout) if fmt == "json" and p.returncode == 0 else None)


def browse_dom(path):
    import shutil
    import tempfile
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    check(exe, "chromium not installed")
    prof = tempfile.mkdtemp(prefix="ph-chromium-")
    try:
        p = subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + prof,
                            "--dump-dom", "file://" + os.path.abspath(path)], capture_output=True, timeout=120)
        check(p.returncode == 0 and b"<html" in p.stdout, "chromium --dump-dom failed: %r" % p.stderr[-300:])
        return p.stdout.decode("utf-8", "replace")
    finally:
        shutil.rmtree(prof, ignore_errors=True)


def t_verdict_apps():
    """The verdict names the apps (text, MD, HTML the same); the HTML's Apps section comes first."""
    d = os.path.join(ROOT, "build", "e2e-apps-report")
    subprocess.run(["rm", "-rf", d])
    p, _ = run_geo("pcapdroid-le.pcapng", "-o", d, fmt="text")
    check(p.returncode == 0, p.stderr)
    want = ("Weather sent IMEI in cleartext to servers in China; Flashlight sent IMEI in cleartext to servers "
            "in China; an app the capture could not name (uid -1) sent IMEI")
    check(want in p.stdout, "text verdict:\n" + p.stdout[-600:])
    check("flows of no known app sent IMEI" in p.stdout, "unattributed flows not in the verdict")
    md = open(os.path.join(d, "report.md")).read()
    check(want in md and "## Apps" in md and "| 10123 | com.example.weather | Weather | pcapdroid | imei 1 |" in md,
          "report.md:\n" + md[:1200])
    dom = browse_dom(os.path.join(d, "report.html"))
    check(want in dom, "HTML verdict")
    ids = [s for s in ("verdict", "apps", "leaks", "chart", "timeline", "foreign") if 'id="%s"' % s in dom]
    check(ids == ["verdict", "apps", "leaks", "chart", "timeline", "foreign"], "sections %s" % ids)
    pos = [dom.index('id="%s"' % s) for s in ids]
    check(pos == sorted(pos), "HTML section order: %s" % sorted(zip(pos, ids)))
    check("com.example.flashlight" in dom[pos[1]:pos[2]] and "Flashlight" in dom[pos[1]:pos[2]],
          "Apps section without the apps")
    # no app known: the verdict keeps its words, no Apps section
    p, _ = run_geo("plain.pcap", fmt="text")
    check("Verdict: IMEI sent in cleartext to servers in China." in p.stdout, "plain verdict:\n" + p.stdout[-300:])


def t_verdict_many_apps():
    """At most 3 apps named, then "and N other apps"."""
    p, _ = run_geo("hints.pcap", fmt="text")
    check(p.returncode == 0, p.stderr)
    v = p.stdout[p.stdout.index("Verdict:"):]
    check("; and 2 other apps sent IMEI in cleartext to servers in China" in v, "verdict: " + v)
    check(v.count(" sent ") == 5, "verdict: " + v)  # 3 apps, the other 2, no known app (40106)


def t_csv():
    p, rep = run("csv.pcap", "--apps", fx("connections.csv"))
    check(p.returncode == 0, p.stderr)
    by = {}
    for f in rep["flows"]:
        by.setdefault(f["src_port"], []).append(f["app"])
    check(by[40001] == [{"uid": 10123, "package": None, "name": "Weather", "source": "csv"}], "40001: %r" % by[40001])
    check(by[40002][0]["name"] == "Flashlight, Pro", "App with a comma: %r" % by[40002])
    check(by[40003] == [None] and by[40004] == [None], "flows without a row got an app")
    check([a["name"] for a in by[40005]] == ["Maps", "Browser"], "same 5-tuple, told apart by time: %r" % by[40005])
    got = leaks_by_port(rep)
    check(got[40001]["source"] == "csv", "leak app %r" % got[40001])
    st = rep["stats"]["apps"]
    check(st["csv_rows"] == 5 and st["csv_rows_matched"] == 4 and st["csv_rows_unmatched"] == 1, "stats %r" % st)
    w = [x for x in rep["warnings"] if "--apps" in x]
    check(len(w) == 1 and "1 connection matched no flow" in w[0] and "line 6" in w[0], "warnings %r" % rep["warnings"])
    _, rep = run("csv.pcap", "--apps", fx("connections.csv"), "--app", "Maps")
    check({f["app"]["name"] for f in rep["flows"]} == {"Maps"}, "--app with --apps")


def t_csv_malformed():
    for name, want in (("bad-header.csv", "line 1: no SrcPort column"), ("bad-field.csv", "line 3: bad SrcPort"),
                       ("missing.csv", "missing.csv")):
        d = os.path.join(ROOT, "build", "e2e-apps-bad")
        subprocess.run(["rm", "-rf", d])
        p, _ = run("csv.pcap", "--apps", fx(name), "-o", d)
        check(p.returncode == 2 and len(p.stderr.splitlines()) == 1 and want in p.stderr and fx(name) in p.stderr,
              "%s: rc %d %r" % (name, p.returncode, p.stderr))
        check(not os.path.exists(d), "%s: report written" % name)


def t_hints():
    p, rep = run("hints.pcap")
    check(p.returncode == 0, p.stderr)
    apps = {f["src_port"]: f["app"] for f in rep["flows"]}
    reqs = G.hint_requests(G.C.load_identity())
    for sport, (_, pkg, origin) in reqs.items():
        if pkg is None:
            continue
        check(apps[sport] == {"uid": None, "package": pkg, "name": None, "source": "hint", "hint": origin},
              "%d: %r" % (sport, apps[sport]))
    check(apps[40105]["source"] == "pcapdroid" and apps[40105]["name"] == "Notes", "a hint overrode PCAPdroid: %r" % apps[40105])
    check(apps[40106] is None, "XMLHttpRequest / okhttp taken for a package: %r" % apps[40106])
    check(rep["stats"]["apps"]["flows_by_hint"] == 4, "stats %r" % rep["stats"]["apps"])
    got = leaks_by_port(rep) if False else {l["src_port"]: l["app"] for l in rep["leaks"]}
    check(got[40101]["package"] == "com.miui.browser", "leak app %r" % got.get(40101))
    _, rep = run("hints.pcap", "--app", "com.xiaomi.market")
    check({f["src_port"] for f in rep["flows"]} == {40102}, "--app with a hint")


def tls_expect(rep, package):
    uid, pkg, name = G.TLS_APP
    check(len(rep["leaks"]) == 1, "leaks %r" % rep["leaks"])
    l = rep["leaks"][0]
    check(l["kind"] == "imei" and l["decrypted"] and l["tls_version"] == "TLSv1.3", "leak %r" % l)
    check(l["src_port"] == G.TLS_SPORT, "port %r" % l["src_port"])
    check(l["app"] == {"uid": uid, "package": pkg if package else None, "name": name, "source": "pcapdroid"},
          "app %r" % l["app"])
    check(rep["stats"]["tls_flows_decrypted"] == 1, "stats %r" % rep["stats"])


def t_tls_pcapng_dsb_after_packets():
    p, rep = run("pdtls-ng/pdtls.pcapng")
    check(p.returncode == 0, p.stderr)
    tls_expect(rep, True)
    kl = rep["custody"]["keylogs"]
    check(len(kl) == 1 and kl[0]["path"] == fx("pdtls-ng/pdtls.pcapng") and kl[0]["decryption_secrets_blocks"] == 1
          and kl[0]["decryption_secrets_blocks_malformed"] == 0 and kl[0]["secrets"] == 4, "custody %r" % kl)


def t_tls_pcap_keylog_beside():
    p, rep = run("pdtls-pcap/pdtls.pcap")
    check(p.returncode == 0, p.stderr)
    tls_expect(rep, False)
    import hashlib
    path = fx("pdtls-pcap/sslkeylogfile.txt")
    with open(path, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    check(rep["custody"]["keylogs"] == [{"path": path, "source": "beside input (PCAPdroid)", "sha256": sha}],
          "custody %r" % rep["custody"]["keylogs"])
    # the same file as a plain pcap (no trailer) is not PCAPdroid's: the key log beside it is not read
    _, plain = run("plain.pcap")
    check(plain["custody"]["keylogs"] == [], "plain pcap took a key log")


def t_compressed():
    """tcpdump -z gzip's and zstd's files: the app blocks, the pcapng's key log and the key log
    beside a PCAPdroid pcap are found through the decompression, as in the files themselves."""
    import gzip
    def packed(name, how):
        out = fx(name + (".gz" if how == "gzip" else ".zst"))
        if how == "gzip":
            open(out, "wb").write(gzip.compress(open(fx(name), "rb").read()))
        else:
            subprocess.run(["zstd", "-qf", fx(name), "-o", out], check=True)
        return os.path.relpath(out, FIX)
    for name, how in (("pcapdroid-le.pcapng", "gzip"), ("pcapdroid-be.pcapng", "zstd")):
        p, rep = run(packed(name, how))
        check(p.returncode == 0, p.stderr)
        check(rep["inputs"][0]["compression"] == how, "inputs %r" % rep["inputs"])
        expect_pcapdroid(rep, True)
    p, rep = run(packed("pdtls-ng/pdtls.pcapng", "gzip"))
    check(p.returncode == 0, p.stderr)
    tls_expect(rep, True)
    kl = rep["custody"]["keylogs"]
    check(len(kl) == 1 and kl[0]["decryption_secrets_blocks"] == 1 and kl[0]["secrets"] == 4, "custody %r" % kl)
    p, rep = run(packed("pdtls-pcap/pdtls.pcap", "zstd"))
    check(p.returncode == 0, p.stderr)
    tls_expect(rep, False)
    check([k["source"] for k in rep["custody"]["keylogs"]] == ["beside input (PCAPdroid)"],
          "custody %r" % rep["custody"]["keylogs"])


def t_tls_no_key():
    uid, pkg, name = G.TLS_APP
    p, rep = run("pdtls-nokey/pdtls.pcap")
    check(p.returncode == 0, p.stderr)
    check(rep["leaks"] == [] and rep["custody"]["keylogs"] == [], "leaks %r" % rep["leaks"])
    check(rep["stats"]["tls_encrypted_bytes_not_inspected"] > 0, "stats %r" % rep["stats"])
    check([f["app"]["uid"] for f in rep["flows"]] == [uid], "flows %r" % rep["flows"])
    # with a key log that has not this session's keys: counted as encrypted, no key; still the app
    other = fx("pdtls-nokey/other.keys")
    with open(other, "w") as f:
        f.write("CLIENT_TRAFFIC_SECRET_0 %s %s\n" % ("11" * 32, "22" * 32))
    p, rep = run("pdtls-nokey/pdtls.pcap", "--keylog", other)
    check(p.returncode == 0, p.stderr)
    check(rep["leaks"] == [] and rep["stats"]["tls_flows_encrypted_no_key"] == 1, "stats %r" % rep["stats"])
    f = rep["flows"][0]
    check(f["tls_decryption"] == "encrypted, no key" and f["app"]["name"] == name, "flow %r" % f)
    # --keylog given: the key log beside the capture is not read
    p, rep = run("pdtls-pcap/pdtls.pcap", "--keylog", other)
    check(rep["leaks"] == [] and [k["source"] for k in rep["custody"]["keylogs"]] == ["--keylog"],
          "--keylog and beside: %r" % rep["custody"]["keylogs"])


def main():
    G.main(FIX)
    cases = [(n[2:], f) for n, f in sorted(globals().items()) if n.startswith("t_") and callable(f)]
    sel = sys.argv[1:]
    passed = failed = 0
    for name, fn in cases:
        if sel and not any(s in name for s in sel):
            continue
        try:
            fn()
            print("ok %s" % name)
            passed += 1
        except Fail as e:
            print("FAIL %s: %s" % (name, e))
            failed += 1
    print("e2e-apps: %d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
