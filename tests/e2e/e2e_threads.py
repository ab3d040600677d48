#!/usr/bin/python3
"""Sharded audit: --threads 1 and --threads 3 give the same report.

On the bundled sample and the larger real captures, the JSON reports of one worker and of
three must agree on every flow (addresses, ports, counters, times, hosts, countries, leaks),
every leak, the EVE events and the counters. The only allowed difference is nDPI's app
protocol of a few flows: its cross-flow caches (STUN peers, Teams, mining) are per worker.

usage: e2e_threads.py PHONEHOME WORKDIR [CAPTURE ...]
"""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NDPI_PCAPS = os.path.join(ROOT, "..", "shared", "pcaps", "ndpi")
APP_KEYS = {"app_proto", "category"}
STAT_PER_WORKER = {"flows_peak", "ndpi_unknown"}  # a sum of peaks; nDPI's caches
MAX_APP_DIFF = 0.005  # of flows


def audit(ph, work, cap, threads):
    out = os.path.join(work, "t%d" % threads)
    os.makedirs(out, exist_ok=True)
    for name in ("report.json", "events.json"):
        if os.path.exists(os.path.join(out, name)):
            os.unlink(os.path.join(out, name))
    cmd = [ph, "-r", cap, "--identity", os.path.join(ROOT, "rules", "identity-example.json"),
           "--home", "IN", "--threads", str(threads), "--json", os.path.join(out, "report.json"),
           "--eve", os.path.join(out, "events.json")]
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise RuntimeError("exit %d: %s" % (r.returncode, r.stderr.strip()[-300:]))
    rep = json.load(open(os.path.join(out, "report.json")))
    with open(os.path.join(out, "events.json")) as f:
        events = [json.loads(line) for line in f if line.strip()]
    return rep, events


def strip(d, keys):
    return {k: v for k, v in d.items() if k not in keys}


def compare(a, b, ea, eb):
    """Problems (list of strings) and the number of flows whose app protocol differs."""
    bad = []
    if (a["custody"].get("workers"), b["custody"].get("workers")) != (1, 3):
        bad.append("custody.workers: %s, %s (want 1, 3)" % (a["custody"].get("workers"), b["custody"].get("workers")))
    if len(a["flows"]) != len(b["flows"]):
        return ["flows: %d vs %d" % (len(a["flows"]), len(b["flows"]))], 0
    app = 0
    for x, y in zip(a["flows"], b["flows"]):
        if strip(x, APP_KEYS) != strip(y, APP_KEYS):
            bad.append("flow %s differs: %s / %s" % (x.get("flow_id"), x, y))
            break
        app += x["app_proto"] != y["app_proto"]
    la = [strip(l, APP_KEYS) for l in a["leaks"]]
    lb = [strip(l, APP_KEYS) for l in b["leaks"]]
    if la != lb:
        bad.append("leaks differ (%d vs %d)" % (len(la), len(lb)))
    if a.get("findings") != b.get("findings"):  # built after the merge: identical, ids and all
        bad.append("findings differ (%d vs %d)" % (len(a.get("findings", [])), len(b.get("findings", []))))
    sa, sb = strip(a["stats"], STAT_PER_WORKER), strip(b["stats"], STAT_PER_WORKER)
    if sa != sb:
        bad.append("stats differ: %s" % {k: (sa[k], sb.get(k)) for k in sa if sa[k] != sb.get(k)})
    if a.get("warnings") != b.get("warnings"):
        bad.append("warnings differ: %s / %s" % (a.get("warnings"), b.get("warnings")))
    ev = lambda es: [strip(e, APP_KEYS | {"app_proto"}) for e in es if e.get("event_type") != "flow"]
    if ev(ea) != ev(eb):
        bad.append("EVE events differ (%d vs %d)" % (len(ea), len(eb)))
    return bad, app


def captures(args):
    if args:
        return args
    caps = [os.path.join(ROOT, "tests", "sample", "redmi1s.pcap")]
    if os.path.isdir(NDPI_PCAPS):
        big = sorted((os.path.getsize(os.path.join(NDPI_PCAPS, f)), f) for f in os.listdir(NDPI_PCAPS))
        caps += [os.path.join(NDPI_PCAPS, f) for _, f in big[-40:]]
    return caps


def main():
    ph, work = sys.argv[1], sys.argv[2]
    passed = failed = 0
    flows = app = 0
    for cap in captures(sys.argv[3:]):
        name = os.path.basename(cap)
        try:
            a, ea = audit(ph, work, cap, 1)
            b, eb = audit(ph, work, cap, 3)
        except RuntimeError as e:
            if "unsupported link type" in str(e):
                print("skip %s: %s" % (name, e))
                continue
            print("FAIL %s: %s" % (name, e))
            failed += 1
            continue
        bad, n = compare(a, b, ea, eb)
        flows += len(a["flows"])
        app += n
        if bad:
            print("FAIL %s: %s" % (name, "; ".join(s[:400] for s in bad)))
            failed += 1
        else:
            passed += 1
    share = app / flows if flows else 0
    print("threads: %d flows, app protocol differs in %d (%.3f%%, limit %.1f%%)" % (
        flows, app, 100 * share, 100 * MAX_APP_DIFF))
    if share > MAX_APP_DIFF:
        failed += 1
    print("e2e-threads: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
