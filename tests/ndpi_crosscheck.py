#!/usr/bin/python3
"""Cross-check: phonehome's app_proto per flow against Debian's ndpiReader (nDPI 4.2)
on a handful of real captures, both with the project's host rules."""
import json, re, subprocess, sys

PH = sys.argv[1]
PCAPS = sys.argv[2:]
LINE = re.compile(r'^\s*\d+\s+(TCP|UDP) (\S+):(\d+) <?-> (\S+):(\d+) .*?\[proto: [\d.]+/([^\]]+)\]')

def key(proto, a, pa, b, pb):
    return (proto,) + tuple(sorted([(a.strip('[]'), int(pa)), (b.strip('[]'), int(pb))]))

def ndpi(path):
    out = subprocess.run(['ndpiReader', '-i', path, '-p', 'rules/vendors.protos', '-v', '2'],
                         capture_output=True, text=True).stdout
    flows = {}
    for line in out.splitlines():
        m = LINE.match(line)
        if m:
            flows[key(m[1], m[2], m[3], m[4], m[5])] = m[6]
    return flows

def ours(path):
    r = subprocess.run([PH, '-r', path, '--no-geoip', '--json', '-'], capture_output=True, text=True)
    if r.returncode:
        raise SystemExit(f'FAIL {path}: phonehome exit {r.returncode}: {r.stderr[:300]}')
    d = json.loads(r.stdout)
    return {key(f['proto'], f['src_ip'], f['src_port'], f['dest_ip'], f['dest_port']): f['app_proto']
            for f in d['flows']}

passed = failed = 0
for p in PCAPS:
    a, b = ndpi(p), ours(p)
    common = [k for k in a if k in b]
    bad = [(k, a[k], b[k]) for k in common if a[k] != b[k]]
    if common and not bad:
        passed += 1
        print(f'ok {p}: {len(common)} flows agree')
    else:
        failed += 1
        print(f'FAIL {p}: {len(common)} common flows, {len(bad)} differ: {bad[:3]}')
print(f'ndpi-crosscheck: {passed} passed, {failed} failed')
sys.exit(1 if failed else 0)
