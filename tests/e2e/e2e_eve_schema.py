#!/usr/bin/python3
"""e2e_eve_schema.py - every EVE record phonehome writes validates against Suricata's own schema.

Runs phonehome --eve over the sample, the generated e2e captures (tests/gen/captures.py), a TLS
exchange made here in memory with a key log (no root: Python's ssl over memory BIOs, written as a
pcap with scapy) and a handful of real captures from ../shared/pcaps/ndpi with DNS, HTTP and TLS,
and validates every line against ../shared/suricata/eve-schema.json (Draft 7), extended in memory
with exactly phonehome's two additions: the top-level `leak` and `phonehome` objects (and the
`leak` event_type, were event_type an enum). Also checks content: alert signatures, dns v2 with
answers, http.hostname without a port, community_id recomputed here.

Prints one line per failure and ends with "eve-schema: N passed, M failed" (per capture).
Usage: PHONEHOME=build/san/phonehome e2e_eve_schema.py
"""
import base64
import copy
import hashlib
import ipaddress
import json
import os
import shutil
import ssl
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "gen"))
import captures  # noqa: E402

PH = os.environ.get("PHONEHOME", os.path.join(ROOT, "build", "san", "phonehome"))
SCHEMA = os.path.join(ROOT, "..", "shared", "suricata", "eve-schema.json")
NDPI = os.path.join(ROOT, "..", "shared", "pcaps", "ndpi")
OUT = os.path.join(ROOT, "build", "eve-schema")
FIX = os.path.join(OUT, "fixtures")
DB = os.path.join(ROOT, "build", "test")
SAMPLE = os.path.join(ROOT, "tests", "sample", "redmi1s.pcap")
SAMPLE_IDENT = os.path.join(ROOT, "rules", "identity-example.json")
# Real captures with DNS (odd and malformed names too), HTTP (IPv6, proxy) and TLS (1.2, 1.3, QUIC).
NDPI_CAPTURES = ["dns.pcap", "dns_doh.pcap", "malformed_dns.pcap", "dns_long_domainname.pcap",
                 "bad-dns-traffic.pcap", "http.pcapng", "http_ipv6.pcap", "http-proxy.pcapng",
                 "http_connect.pcap", "443-chrome.pcap", "google_ssl.pcap", "xiaomi.pcap",
                 "tls-appdata.pcap", "tls_1.3_unidirectional_client.pcapng", "quic.pcap"]
# Generated captures that are not captures phonehome accepts (exit 2 by design).
NOT_CAPTURES = {"bad_dlt147.pcap"}
TLS_HOST = captures.XIAOMI


class Fail(Exception):
    pass


def schema():
    """Suricata's schema plus phonehome's two top-level additions, nothing else."""
    s = json.load(open(SCHEMA))
    s = copy.deepcopy(s)
    s["properties"]["leak"] = {"type": "object"}
    s["properties"]["phonehome"] = {"type": "object"}
    et = s["properties"]["event_type"]
    if "enum" in et and "leak" not in et["enum"]:
        et["enum"].append("leak")
    return s


def community_id(e):
    """Community ID v1, seed 0, from the record's own endpoints (the spec's algorithm)."""
    s, d = ipaddress.ip_address(e["src_ip"]), ipaddress.ip_address(e["dest_ip"])
    sp, dp = e["src_port"], e["dest_port"]
    proto = {"TCP": 6, "UDP": 17}[e["proto"]]
    if (s.packed, sp) > (d.packed, dp):
        s, d, sp, dp = d, s, dp, sp
    data = b"\0\0" + s.packed + d.packed + bytes([proto, 0]) + sp.to_bytes(2, "big") + dp.to_bytes(2, "big")
    return "1:" + base64.b64encode(hashlib.sha1(data).digest()).decode()


# ---------------------------------------------------------------- the TLS capture (no root)
def tls_exchange(version, keylog, certdir, request):
    """A real TLS session between two in-memory endpoints; returns [(0 client | 1 server, bytes)]."""
    cert, key = os.path.join(certdir, "cert.pem"), os.path.join(certdir, "key.pem")
    if not os.path.exists(cert):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-keyout", key, "-out", cert, "-days", "3650", "-subj", "/CN=" + TLS_HOST],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sctx.load_cert_chain(cert, key)
    cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    cctx.check_hostname = False
    cctx.verify_mode = ssl.CERT_NONE
    cctx.keylog_filename = keylog
    for c in (sctx, cctx):
        c.minimum_version = c.maximum_version = version
    bio = [ssl.MemoryBIO() for _ in range(4)]  # client in, client out, server in, server out
    cl = cctx.wrap_bio(bio[0], bio[1], server_hostname=TLS_HOST)
    sv = sctx.wrap_bio(bio[2], bio[3], server_side=True)
    segs = []

    def move():
        for d, src, dst in ((0, bio[1], bio[2]), (1, bio[3], bio[0])):
            data = src.read()
            if data:
                segs.append((d, data))
                dst.write(data)

    done = [False, False]
    for _ in range(10):
        for i, end in enumerate((cl, sv)):
            if not done[i]:
                try:
                    end.do_handshake()
                    done[i] = True
                except ssl.SSLWantReadError:
                    pass
        move()
        if all(done):
            break
    cl.write(request)
    move()
    got = sv.read(65536)
    sv.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    move()
    cl.read(65536)
    if got != request:
        raise Fail("TLS exchange: the server read %r" % got[:60])
    return segs


def tls_pcap(path, segs, sport):
    """The exchange as one TCP connection from the phone to a server in CN."""
    from scapy.all import Ether, IP, TCP, wrpcap  # noqa: E402  (slow import, only here)
    ends = [(captures.PHONE, sport, captures.PHONE_MAC), (captures.CN, 443, captures.GW_MAC)]
    seq = [1000, 5000]
    t = [1407661200.0]
    pkts = []

    def send(d, flags, data=b""):
        (src, sp, smac), (dst, dp, dmac) = ends[d], ends[1 - d]
        p = (Ether(src=smac, dst=dmac) / IP(src=src, dst=dst) /
             TCP(sport=sp, dport=dp, flags=flags, seq=seq[d], ack=seq[1 - d] if flags != "S" else 0) / data)
        t[0] += 0.001
        p.time = t[0]
        pkts.append(p)
        seq[d] += len(data) + (1 if flags in ("S", "SA", "FA") else 0)

    send(0, "S")
    send(1, "SA")
    send(0, "A")
    for d, data in segs:
        for i in range(0, len(data), 1400):
            send(d, "PA", data[i:i + 1400])
    send(0, "FA")
    send(1, "FA")
    send(0, "A")
    wrpcap(path, pkts)


def make_tls_captures(ident):
    """tls12.pcap and tls13.pcap with their key logs; [] with a line when this system cannot."""
    made = []
    req = ("GET /api/v2/device/register?imei=%s HTTP/1.1\r\nHost: %s:443\r\nUser-Agent: okhttp/3.12.1\r\n\r\n"
           % (ident["imei"], TLS_HOST)).encode()
    for name, ver, port in (("tls12", ssl.TLSVersion.TLSv1_2, 44312), ("tls13", ssl.TLSVersion.TLSv1_3, 44313)):
        pcap, keylog = os.path.join(FIX, name + ".pcap"), os.path.join(FIX, name + ".keys")
        try:
            if os.path.exists(keylog):
                os.unlink(keylog)
            tls_pcap(pcap, tls_exchange(ver, keylog, FIX, req), port)
            made.append((pcap, keylog))
        except (OSError, ssl.SSLError, subprocess.CalledProcessError, Fail) as e:
            print("eve-schema: %s: TLS capture not made here (%s); decrypted output not checked" % (name, e))
    return made


# ---------------------------------------------------------------- checks
def run(cap, extra=(), identity=None, name=None):
    """phonehome --eve over cap; returns the records (a Fail when it did not run)."""
    eve = os.path.join(OUT, (name or os.path.basename(cap)) + ".eve.json")
    if os.path.exists(eve):
        os.unlink(eve)
    args = [PH, "-r", cap, "--identity", identity or os.path.join(FIX, "identity.json"),
            "--geoip", os.path.join(DB, "test-city.mmdb"), "--asn-db", os.path.join(DB, "test-asn.mmdb"),
            "--home", "IN", "--eve", eve] + list(extra)
    p = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=300)
    if p.returncode != 0:
        raise Fail("exit %d: %s" % (p.returncode, p.stderr.decode("utf-8", "replace").strip()[:200]))
    recs = []
    with open(eve) as f:
        for n, line in enumerate(f, 1):
            try:
                recs.append(json.loads(line))
            except ValueError as e:
                raise Fail("line %d is not JSON: %s" % (n, e))
    return recs


def validate(name, recs, validator):
    """One line per invalid record; returns how many were invalid."""
    bad = 0
    for n, r in enumerate(recs, 1):
        errs = sorted(validator.iter_errors(r), key=lambda e: list(e.absolute_path))
        for e in errs[:3]:
            print("eve-schema: %s: record %d (%s): %s at /%s" % (
                name, n, r.get("event_type"), e.message[:200], "/".join(map(str, e.absolute_path))))
        bad += bool(errs)
    return bad


def content(name, recs, alerts=True):
    """What every capture's records must say beyond the schema; a list of failures."""
    bad = []
    for r in recs:
        t = r.get("event_type")
        if "src_ip" in r and r.get("community_id") != community_id(r):
            bad.append("%s flow %s: community_id %s, expected %s" % (t, r["flow_id"], r.get("community_id"),
                                                                      community_id(r)))
        if t == "http" and ":" in r["http"].get("hostname", "").split("]")[-1]:  # [v6] literals aside
            bad.append("http.hostname %r has a port" % r["http"]["hostname"])
        if t == "dns" and (r["dns"].get("version") != 2 or r["dns"].get("type") not in ("query", "answer")):
            bad.append("dns record without version 2 and type: %s" % r["dns"])
        if t == "dns" and r["dns"]["type"] == "answer" and "rcode" not in r["dns"]:
            bad.append("dns answer without rcode: %s" % r["dns"])
        if t == "flow" and not {"state", "reason", "age"} <= set(r["flow"]):
            bad.append("flow record without state, reason or age: %s" % r["flow"])
    types = [r.get("event_type") for r in recs]
    if alerts and types.count("alert") != types.count("leak"):
        bad.append("%d alerts for %d leaks" % (types.count("alert"), types.count("leak")))
    if [r["timestamp"] for r in recs] != sorted(r["timestamp"] for r in recs):
        bad.append("records not in time order")
    return bad


def by_type(recs, t):
    return [r for r in recs if r.get("event_type") == t]


def sample_checks(recs):
    bad = []
    alerts = by_type(recs, "alert")
    if not any("IMEI" in a["alert"]["signature"] and " to CN " in a["alert"]["signature"] for a in alerts):
        bad.append("no alert signature naming the IMEI and CN: %s" % [a["alert"]["signature"] for a in alerts][:3])
    for a in alerts:
        x = a["alert"]
        if not (x["signature"].startswith("phonehome: ") and x["category"] == "Privacy leak" and
                x["gid"] == 1 and x["rev"] == 1 and x["action"] == "allowed" and 1 <= x["severity"] <= 3 and
                9100000 <= x["signature_id"] < 9100100 and len(x["metadata"]["tag"]) == 2):
            bad.append("alert fields: %s" % x)
    imei = [a for a in alerts if a["alert"]["metadata"]["tag"][0] == "imei"]
    if not imei or any(a["alert"]["signature_id"] != 9100001 for a in imei):
        bad.append("IMEI alerts without signature_id 9100001 (kind 0, subject device)")
    leaks = {(l["flow_id"], l["timestamp"], l["leak"]["kind"], l["leak"]["subject"]) for l in by_type(recs, "leak")}
    subj = {None: 0, "device": 1, "third_party": 2}
    for a in alerts:  # each alert's subject digit is its leak's subject
        k = a["alert"]["metadata"]["tag"][0]
        s = (a["alert"]["signature_id"] - 9100000) % 4
        if not any(f == a["flow_id"] and t == a["timestamp"] and kk == k and subj[sb] == s
                   for f, t, kk, sb in leaks):
            bad.append("alert %s: no leak of that kind with subject digit %d" % (a["alert"]["signature_id"], s))
    answers = [d for d in by_type(recs, "dns") if d["dns"]["type"] == "answer"]
    if not answers or not any(d["dns"].get("answers") for d in answers):
        bad.append("no dns answer record with answers")
    for d in answers:
        for x in d["dns"].get("answers", []):
            if not {"rrname", "rrtype", "ttl", "rdata"} <= set(x):
                bad.append("dns answer item %s" % x)
    if not any(d["dns"]["type"] == "query" for d in by_type(recs, "dns")):
        bad.append("no dns query record")
    http = by_type(recs, "http")
    if not any(h["http"].get("status") and h["http"].get("protocol") for h in http):
        bad.append("no http record with status and protocol")
    raw = json.dumps(recs)
    if captures.load_identity(SAMPLE_IDENT)["imei"] in raw:
        bad.append("the IMEI unmasked in the EVE output")
    return bad


def tls_checks(recs):
    bad = []
    if not any(a["alert"]["signature"].find("over TLS (decrypted) to CN (%s)" % TLS_HOST) > 0
               for a in by_type(recs, "alert")):
        bad.append("no alert 'over TLS (decrypted)': %s" % [a["alert"]["signature"] for a in by_type(recs, "alert")])
    if not any(t["tls"].get("version") in ("TLS 1.2", "TLS 1.3") for t in by_type(recs, "tls")):
        bad.append("no tls record with the version: %s" % [t["tls"] for t in by_type(recs, "tls")])
    if not any(h["http"].get("hostname") == TLS_HOST and h["http"].get("http_port") == 443
               for h in by_type(recs, "http")):
        bad.append("no decrypted http record with hostname %s and http_port 443" % TLS_HOST)
    return bad


def option_checks():
    """--eve-alerts no drops the alerts; a bad value is exit 2 with one line."""
    bad = []
    recs = run(SAMPLE, ["--eve-alerts", "no"], identity=SAMPLE_IDENT, name="redmi1s-no-alerts")
    if by_type(recs, "alert") or not by_type(recs, "leak"):
        bad.append("--eve-alerts no: %d alerts, %d leaks" % (len(by_type(recs, "alert")), len(by_type(recs, "leak"))))
    if any(f["flow"]["alerted"] for f in by_type(recs, "flow")):
        bad.append("--eve-alerts no: a flow says alerted")
    p = subprocess.run([PH, "-r", SAMPLE, "--eve-alerts", "maybe"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    err = p.stderr.decode().strip()
    if p.returncode != 2 or len(err.splitlines()) != 1 or "--eve-alerts" not in err:
        bad.append("--eve-alerts maybe: exit %d, stderr %r" % (p.returncode, err))
    return recs, bad


def accept_checks():
    """--accept: the accepted leaks' alerts carry the tag accepted, action still allowed."""
    acc = os.path.join(OUT, "accepted.json")
    with open(acc, "w") as f:
        json.dump([{"kind": "*", "country": "IN", "reason": "domestic"}], f)
    recs = run(SAMPLE, ["--accept", acc], identity=SAMPLE_IDENT, name="redmi1s-accept")
    alerts = [a["alert"] for a in by_type(recs, "alert")]
    tagged = [a for a in alerts if a["metadata"]["tag"][2:] == ["accepted"]]
    bad = []
    if not tagged or len(tagged) == len(alerts):
        bad.append("--accept: %d of %d alerts tagged accepted" % (len(tagged), len(alerts)))
    if any(a["action"] != "allowed" for a in alerts):
        bad.append("--accept: an alert is not allowed")
    return recs, bad


def cases():
    """(name, thunk returning (records, content failures))."""
    out = [("redmi1s.pcap", lambda: check_one(SAMPLE, identity=SAMPLE_IDENT, extra_checks=sample_checks)),
           ("redmi1s.pcap --eve-alerts", option_checks), ("redmi1s.pcap --accept", accept_checks)]
    for f in sorted(os.listdir(FIX)):
        if f.endswith((".pcap", ".pcapng")) and f not in NOT_CAPTURES and not f.startswith("tls1"):
            out.append((f, lambda p=os.path.join(FIX, f): check_one(p)))
    for pcap, keylog in make_tls_captures(captures.load_identity(os.path.join(FIX, "identity.json"))):
        out.append((os.path.basename(pcap) + " --keylog",
                    lambda p=pcap, k=keylog: check_one(p, extra=["--keylog", k], extra_checks=tls_checks)))
    for f in NDPI_CAPTURES:
        p = os.path.join(NDPI, f)
        if os.path.exists(p):
            out.append(("ndpi/" + f, lambda p=p: check_one(p)))
        else:
            print("eve-schema: ndpi/%s: missing, not checked" % f)
    return out


def check_one(cap, extra=(), identity=None, extra_checks=None):
    recs = run(cap, extra, identity)
    return recs, (extra_checks(recs) if extra_checks else [])


def main():
    from jsonschema import Draft7Validator
    if not os.path.exists(SCHEMA):
        print("eve-schema: %s missing" % SCHEMA)
        return 1
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(FIX)
    if subprocess.run([sys.executable, os.path.join(ROOT, "tests", "gen", "captures.py"), FIX],
                      stdout=subprocess.DEVNULL).returncode:
        print("eve-schema: fixture generation failed")
        return 1
    validator = Draft7Validator(schema())
    passed = failed = records = 0
    counts = {}
    for name, thunk in cases():
        try:
            recs, bad = thunk()
        except Fail as e:
            print("eve-schema: %s: %s" % (name, e))
            failed += 1
            continue
        nbad = validate(name, recs, validator)
        bad += content(name, recs, alerts="--eve-alerts" not in name)
        if not recs:
            bad.append("no EVE record")
        for b in bad[:5]:
            print("eve-schema: %s: %s" % (name, b))
        records += len(recs)
        for r in recs:
            counts[r.get("event_type")] = counts.get(r.get("event_type"), 0) + 1
        if nbad or bad:
            failed += 1
        else:
            passed += 1
    print("eve-schema: %d records (%s)" % (records, ", ".join("%s %d" % kv for kv in sorted(counts.items()))))
    print("eve-schema: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
