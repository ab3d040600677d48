#!/usr/bin/python3
"""e2e.py - end-to-end tests: run phonehome on the generated captures, assert on the JSON.

Run through tests/e2e/run.sh (it generates build/fixtures and build/test/*.mmdb).
Every case is one function; each prints "ok NAME" or "FAIL NAME: reason".
"""
import glob
import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "gen"))
import captures  # noqa: E402

PH = os.environ.get("PHONEHOME", os.path.join(ROOT, "build", "san", "phonehome"))
FIX = os.environ.get("FIXTURES", os.path.join(ROOT, "build", "fixtures"))
DB = os.environ.get("TESTDB", os.path.join(ROOT, "build", "test"))
OUT = os.path.join(ROOT, "build", "e2e")
CITY = os.path.join(DB, "test-city.mmdb")
ASN = os.path.join(DB, "test-asn.mmdb")
IDENT = os.path.join(FIX, "identity.json")
SAMPLE = os.path.join(ROOT, "tests", "sample", "redmi1s.pcap")
SAMPLE_IDENT = os.path.join(ROOT, "rules", "identity-example.json")

PHONES = {captures.PHONE, captures.PHONE6, captures.PHONE6_GLOBAL, captures.PHONE6_TEMP1,
          captures.PHONE6_TEMP2, captures.PHONE2_GLOBAL}
KINDS = {"imei", "imsi", "iccid", "phone_number", "carrier", "mac", "android_id",
         "advertising_id", "email", "serial", "sms", "contact", "location"}
WHERE = {"url", "header", "body", "payload", "dns", "websocket", "mqtt", "xmpp"}
VARIANTS = {"plain", "url", "base64", "base64url", "md5", "sha1", "sha256"}
CHAIN = {"gzip", "deflate", "br", "brotli", "zstd", "url", "base64", "base64url"}
SEV = {"low": 1, "medium": 2, "high": 3, "critical": 4}
T_FIRST = "2014-08-10T09:00:00.000000Z"


class Fail(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def fx(name):
    return os.path.join(FIX, name)


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class Run:
    def __init__(self, rc, out, err, rep):
        self.rc, self.out, self.err, self.rep = rc, out, err, rep

    def leaks(self, **kw):
        return [lk for lk in self.rep["leaks"] if all(lk.get(k) == v for k, v in kw.items())]

    def flows(self, **kw):
        return [fl for fl in self.rep["flows"] if all(fl.get(k) == v for k, v in kw.items())]


def ph(args, json_path=None, env=None, timeout=120):
    """Runs phonehome with args; returns rc, stdout, stderr."""
    p = subprocess.run([PH] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout, env=env)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def run(inputs, extra=(), identity=IDENT, dbs=True):
    """Runs on inputs with the test databases; expects exit 0 and a valid report."""
    if isinstance(inputs, str):
        inputs = [inputs]
    os.makedirs(OUT, exist_ok=True)
    fd, jpath = tempfile.mkstemp(suffix=".json", dir=OUT)
    os.close(fd)
    os.unlink(jpath)
    args = []
    for i in inputs:
        args += ["-r", i]
    if identity:
        args += ["--identity", identity]
    if dbs:
        args += ["--geoip", CITY, "--asn-db", ASN]
    args += list(extra) + ["--json", jpath]
    rc, out, err = ph(args)
    check(rc == 0, "exit %d (want 0); stderr: %s" % (rc, err.strip()[:300]))
    check(os.path.exists(jpath), "no JSON report written")
    with open(jpath) as f:
        try:
            rep = json.load(f)
        except ValueError as e:
            raise Fail("report is not valid JSON: %s" % e)
    os.unlink(jpath)
    r = Run(rc, out, err, rep)
    invariants(r, inputs)
    return r


def invariants(r, inputs):
    """Spec rules true of every report."""
    rep = r.rep
    for k in ("tool", "inputs", "options", "stats", "warnings", "flows", "leaks", "summary"):
        check(k in rep, "report lacks top-level key %r" % k)
    check(rep["tool"].get("name") == "phonehome", "tool.name %r" % rep["tool"].get("name"))
    check(len(rep["inputs"]) == len(inputs), "inputs has %d entries, want %d" % (
        len(rep["inputs"]), len(inputs)))
    for inp, path in zip(rep["inputs"], inputs):
        check(inp.get("sha256") == sha256(path), "inputs sha256 mismatch for %s" % path)
        for k in ("path", "link_type", "packets", "bytes", "first_seen", "last_seen"):
            check(k in inp, "inputs entry lacks %r" % k)
    flow_ids = {}
    for fl in rep["flows"]:
        for k in ("flow_id", "src_ip", "src_port", "dest_ip", "dest_port", "proto", "app_proto",
                  "category", "host", "host_source", "country", "asn", "asn_org", "foreign",
                  "pkts_toserver", "pkts_toclient", "bytes_toserver", "bytes_toclient",
                  "first_seen", "last_seen", "leaks"):
            check(k in fl, "flow lacks %r" % k)
        check(fl["proto"] in ("TCP", "UDP"), "flow proto %r" % fl["proto"])
        check(fl["host_source"] in ("sni", "http", "dns", None), "host_source %r" % fl["host_source"])
        check(fl["country"] != "AU", "flow %s -> %s geolocated AU (private range looked up)" % (
            fl["src_ip"], fl["dest_ip"]))
        check(fl["dest_ip"] not in PHONES, "flow with the phone %s as destination" % fl["dest_ip"])
        flow_ids[fl["flow_id"]] = fl
    per_flow, per_kind, seen = {}, {}, set()
    for lk in rep["leaks"]:
        for k in ("flow_id", "kind", "encoding", "where", "timestamp", "src_ip", "src_port",
                  "dest_ip", "dest_port", "host", "country", "foreign", "severity", "evidence"):
            check(k in lk, "leak lacks %r" % k)
        check(lk["kind"] in KINDS, "leak kind %r" % lk["kind"])
        check(lk["where"] in WHERE, "leak where %r" % lk["where"])
        check(lk["severity"] in SEV, "leak severity %r" % lk["severity"])
        check(lk["src_ip"] in PHONES or (lk["src_ip"], lk["dest_port"]) == ("0.0.0.0", 67),  # DHCP
              "leak src_ip %r is not the phone" % lk["src_ip"])
        check(lk["country"] != "AU", "leak geolocated AU (phone/private range looked up)")
        parts = lk["encoding"].split(">")
        # "gzip" alone is gzip>plain with the plain dropped.
        check(parts[-1] in VARIANTS or parts[-1] in CHAIN, "leak encoding %r" % lk["encoding"])
        check(all(p in CHAIN for p in parts[:-1]), "leak encoding chain %r" % lk["encoding"])
        check(not (len(parts) > 1 and parts[-1] == "plain"), "'plain' not dropped in %r" % lk["encoding"])
        check(lk["flow_id"] in flow_ids, "leak flow_id %r not in flows" % lk["flow_id"])
        fl = flow_ids[lk["flow_id"]]
        check((lk["src_ip"], lk["dest_ip"], lk["dest_port"]) == (fl["src_ip"], fl["dest_ip"],
                                                                   fl["dest_port"]),
              "leak endpoints differ from its flow")
        per_flow[lk["flow_id"]] = per_flow.get(lk["flow_id"], 0) + 1
        per_kind[lk["kind"]] = per_kind.get(lk["kind"], 0) + 1
        check(isinstance(lk["evidence"], str) and lk["evidence"], "empty evidence")
    for fid, fl in flow_ids.items():
        check(fl["leaks"] == per_flow.get(fid, 0), "flow %s leaks=%s but %d leak records" % (
            fid, fl["leaks"], per_flow.get(fid, 0)))
    kinds = rep["summary"].get("kinds", {})
    for k, n in per_kind.items():
        check(kinds.get(k) == n, "summary.kinds[%s]=%r, want %d" % (k, kinds.get(k), n))
    check("AU" not in rep["summary"].get("countries", {}), "summary.countries has AU")
    finding_invariants(rep)
    if not rep["options"].get("home"):
        check(not any(lk["foreign"] for lk in rep["leaks"]), "foreign leak without --home")


SUBJECTS = {"device", "third_party", None}


def finding_invariants(rep):
    """Every leak has a subject and belongs to exactly one finding, whose fields agree with its hits."""
    check("findings" in rep, "report lacks findings")
    ids = [f["id"] for f in rep["findings"]]
    check(ids == list(range(1, len(ids) + 1)), "finding ids %r are not 1..n" % ids[:20])
    owner = {}
    for f in rep["findings"]:
        for k in ("id", "kind", "subject", "count", "confirmed", "hits", "flow_id", "dest_ip", "dest_port", "host",
                  "country", "foreign", "severity", "encrypted", "decrypted", "where", "leaks", "identifiers"):
            check(k in f, "finding lacks %r" % k)
        check(f["hits"] == len(f["leaks"]) and f["leaks"], "finding %d hits %d, leaks %r" % (f["id"], f["hits"], f["leaks"]))
        check(0 <= f["confirmed"] <= f["count"] <= f["hits"], "finding %d count %d confirmed %d hits %d" % (
            f["id"], f["count"], f["confirmed"], f["hits"]))
        check(len(f["identifiers"]) == f["count"], "finding %d: %d identifiers, count %d" % (
            f["id"], len(f["identifiers"]), f["count"]))
        hits = [rep["leaks"][i] for i in f["leaks"]]
        conf = [h["confidence"] == "confirmed" for h in hits]
        check(conf == sorted(conf, reverse=True), "finding %d: the identity's hits not first" % f["id"])
        check(max(SEV[h["severity"]] for h in hits) == SEV[f["severity"]], "finding %d severity" % f["id"])
        for h in hits:
            check((h["kind"], h["subject"], h["flow_id"], h["dest_ip"], h["dest_port"]) ==
                  (f["kind"], f["subject"], f["flow_id"], f["dest_ip"], f["dest_port"]),
                  "finding %d: a hit of another kind, subject or flow" % f["id"])
        for i in f["leaks"]:
            check(i not in owner, "leak %d in two findings" % i)
            owner[i] = f["id"]
    for i, lk in enumerate(rep["leaks"]):
        check(lk.get("subject", "missing") in SUBJECTS, "leak subject %r" % lk.get("subject", "missing"))
        check(lk.get("finding") == owner.get(i), "leak %d finding %r, listed in %r" % (
            i, lk.get("finding"), owner.get(i)))
    if rep["options"].get("identity_sha256") is None:
        check(all(lk["subject"] is None for lk in rep["leaks"]), "a subject without an identity file")


def one(r, what, **kw):
    got = r.leaks(**kw)
    if len(got) != 1:
        brief = [(lk["kind"], lk["encoding"], lk["where"], lk["dest_ip"]) for lk in r.rep["leaks"]]
        raise Fail("%s: want exactly 1 leak %s, got %d; all leaks: %s" % (what, kw, len(got), brief))
    return got[0]


def none_of(r, what, **kw):
    got = r.leaks(**kw)
    check(not got, "%s: want no leak %s, got %s" % (what, kw, [
        (lk["kind"], lk["encoding"], lk["where"], lk.get("evidence")) for lk in got]))


def asn_is(v, n):
    return v == n or (isinstance(v, str) and v.upper().lstrip("AS") == str(n))


CASES = []


def case(fn):
    CASES.append(fn)
    return fn


# ---------------------------------------------------------------- link types
def imei_http_leak(r, ident, home=True):
    lk = one(r, "imei", kind="imei")
    check(lk["encoding"] == "plain", "encoding %r" % lk["encoding"])
    check(lk["where"] == "url", "where %r" % lk["where"])
    check(lk["dest_ip"] == captures.CN and lk["dest_port"] == 80, "dest %s:%s" % (
        lk["dest_ip"], lk["dest_port"]))
    check(lk["src_ip"] == captures.PHONE and lk["src_port"] == 43210, "src %s:%s" % (
        lk["src_ip"], lk["src_port"]))
    check(lk["country"] == "CN", "country %r" % lk["country"])
    check(lk["host"] == captures.XIAOMI, "host %r" % lk["host"])
    check(lk["foreign"] is home, "foreign %r" % lk["foreign"])
    check(len(r.rep["leaks"]) == 1, "want 1 leak in total, got %d" % len(r.rep["leaks"]))
    return lk


def link_case(link, fname):
    def fn():
        path = fx(fname)
        r = run(path, ["--home", "IN"])
        ident = captures.load_identity(IDENT)
        lk = imei_http_leak(r, ident)
        check(lk["timestamp"] == "2014-08-10T09:00:00.030000Z", "timestamp %r" % lk["timestamp"])
        check(r.rep["stats"]["packets"] == 10, "stats.packets %r" % r.rep["stats"]["packets"])
        inp = r.rep["inputs"][0]
        check(inp["packets"] == 10, "inputs.packets %r" % inp["packets"])
        check(inp["first_seen"] == T_FIRST, "first_seen %r" % inp["first_seen"])
        check(inp["last_seen"] == "2014-08-10T09:00:00.090000Z", "last_seen %r" % inp["last_seen"])
        check(len(r.rep["flows"]) == 1, "want 1 flow, got %d" % len(r.rep["flows"]))
        fl = r.rep["flows"][0]
        check(fl["proto"] == "TCP" and "HTTP" in (fl["app_proto"] or ""), "proto %r/%r" % (
            fl["proto"], fl["app_proto"]))
        check((fl["pkts_toserver"], fl["pkts_toclient"]) == (6, 4), "pkts %r/%r (want 6/4)" % (
            fl["pkts_toserver"], fl["pkts_toclient"]))
        check(fl["bytes_toserver"] > 0 and fl["bytes_toclient"] > 0, "zero flow bytes")
        check(asn_is(fl["asn"], 23724), "asn %r" % fl["asn"])
        check(fl["host_source"] == "http", "host_source %r" % fl["host_source"])
        check(fl["leaks"] == 1, "flow leaks %r" % fl["leaks"])
        check(r.rep["stats"].get("flows") == 1, "stats.flows %r" % r.rep["stats"].get("flows"))
    fn.__name__ = "link_" + link
    return fn


for _l in captures.LINKS:
    case(link_case(_l, "link_%s.pcap" % _l))
case(link_case("pcapng", "link_pcapng.pcapng"))


@case
def ipv6_ext_headers():
    r = run(fx("ipv6_ext.pcap"), ["--home", "IN"])
    lk = one(r, "imei", kind="imei")
    check(lk["src_ip"] == captures.PHONE6, "src_ip %r" % lk["src_ip"])
    check(lk["dest_ip"] == captures.CN6 and lk["dest_port"] == 80, "dest %r" % lk["dest_ip"])
    check(lk["country"] == "CN" and lk["foreign"] is True, "country/foreign %r/%r" % (
        lk["country"], lk["foreign"]))
    check(lk["encoding"] == "plain" and lk["where"] == "url", "enc/where %r/%r" % (
        lk["encoding"], lk["where"]))
    fin = r.flows(dest_ip=captures.IN6)
    check(len(fin) == 1 and fin[0]["country"] == "IN" and fin[0]["foreign"] is False,
          "IPv6 flow to IN: %r" % [(f["country"], f["foreign"]) for f in fin])


# ---------------------------------------------------------------- encodings
def enc_case(name, kind, enc, where):
    def fn():
        r = run(fx("enc_%s.pcap" % name), ["--home", "IN"])
        got = r.leaks(kind=kind)
        check(len(got) == 1, "want exactly 1 %s leak, got %s" % (kind, [
            (lk["encoding"], lk["where"]) for lk in got]))
        lk = got[0]
        # Digit strings have identical base64 and base64url alphabets (only padding differs).
        ok = {enc} | ({"base64", "base64url"} if enc == "base64url" else set())
        check(lk["encoding"] in ok, "encoding %r, want %s" % (lk["encoding"], "/".join(sorted(ok))))
        check(lk["where"] == where, "where %r, want %r" % (lk["where"], where))
        check(lk["dest_ip"] == captures.CN and lk["country"] == "CN" and lk["foreign"] is True,
              "dest/country/foreign %r/%r/%r" % (lk["dest_ip"], lk["country"], lk["foreign"]))
    fn.__name__ = "enc_" + name
    return fn


def _load_encodings():
    try:
        with open(fx("encodings.json")) as f:
            return json.load(f)
    except OSError:
        return {}


for _n, (_k, _e, _w) in sorted(_load_encodings().items()):
    case(enc_case(_n, _k, _e, _w))


# ---------------------------------------------------------------- reassembly, bodies
def single_imei(fname, enc, where):
    def fn():
        r = run(fx(fname), ["--home", "IN"])
        lk = one(r, "imei", kind="imei")
        check(lk["encoding"] == enc, "encoding %r, want %r" % (lk["encoding"], enc))
        check(lk["where"] == where, "where %r, want %r" % (lk["where"], where))
        check(lk["dest_ip"] == captures.CN and lk["foreign"] is True, "dest/foreign")
    fn.__name__ = fname.split(".")[0]
    return fn


for _f in ("tcp_split.pcap", "tcp_ooo.pcap", "tcp_retrans.pcap"):
    case(single_imei(_f, "plain", "url"))
case(single_imei("body_chunked.pcap", "plain", "body"))
case(single_imei("body_gzip.pcap", "gzip", "body"))
case(single_imei("body_gzip_chunked.pcap", "gzip", "body"))
case(single_imei("body_deflate.pcap", "deflate", "body"))


# ---------------------------------------------------------------- geography
@case
def foreign_vs_domestic():
    r = run(fx("foreign_domestic.pcap"), ["--home", "IN"])
    cn = one(r, "imei to CN", kind="imei", dest_ip=captures.CN)
    inn = one(r, "imei to IN", kind="imei", dest_ip=captures.IN)
    check(cn["country"] == "CN" and cn["foreign"] is True, "CN leak %r/%r" % (cn["country"], cn["foreign"]))
    check(inn["country"] == "IN" and inn["foreign"] is False, "IN leak %r/%r" % (
        inn["country"], inn["foreign"]))
    check(SEV[cn["severity"]] > SEV[inn["severity"]], "severity CN %r not > IN %r" % (
        cn["severity"], inn["severity"]))
    check(inn["host"] == "api.example.in", "IN host %r" % inn["host"])
    fl = r.flows(dest_ip=captures.IN)
    check(len(fl) == 1 and asn_is(fl[0]["asn"], 55836), "IN flow asn %r" % [f["asn"] for f in fl])
    c = r.rep["summary"]["countries"]
    check(c.get("CN", {}).get("leaks") == 1 and c.get("IN", {}).get("leaks") == 1,
          "summary.countries %r" % c)
    check(c["CN"].get("flows") == 1 and c["CN"].get("bytes", 0) > 0, "summary CN %r" % c["CN"])
    check(r.rep["options"].get("home") == "IN", "options.home %r" % r.rep["options"].get("home"))
    check(r.rep["options"].get("identity_sha256") == sha256(IDENT), "options.identity_sha256")


@case
def allow_makes_domestic():
    r = run(fx("foreign_domestic.pcap"), ["--home", "IN", "--allow", "CN"])
    cn = one(r, "imei to CN", kind="imei", dest_ip=captures.CN)
    check(cn["foreign"] is False, "CN leak foreign with --allow CN")
    check(all(not f["foreign"] for f in r.rep["flows"]), "a flow is foreign with --allow CN")
    allow = r.rep["options"].get("allow")
    check(allow == ["CN"] or allow == "CN", "options.allow %r" % allow)


@case
def no_home_nothing_foreign():
    r = run(fx("foreign_domestic.pcap"))
    check(len(r.leaks(kind="imei")) == 2, "want 2 imei leaks, got %d" % len(r.leaks(kind="imei")))
    check(not any(f["foreign"] for f in r.rep["flows"]), "a flow is foreign without --home")


@case
def phone_never_geolocated():
    # test-city.mmdb maps 192.168.0.0/16 to AU: any AU means a private address was looked up.
    r = run(fx("redmi1s.pcap"), ["--home", "IN"])
    check(r.rep["flows"], "no flows")
    for fl in r.rep["flows"]:
        check(fl["src_ip"] == captures.PHONE, "flow src %r is not the phone" % fl["src_ip"])


# ---------------------------------------------------------------- negatives
@case
def neg_server_to_phone():
    r = run(fx("neg_server_to_phone.pcap"), ["--home", "IN"])
    check(r.rep["leaks"] == [], "want no leaks, got %s" % [lk["kind"] for lk in r.rep["leaks"]])
    check(len(r.rep["flows"]) == 1, "want 1 flow")
    fl = r.rep["flows"][0]
    check(fl["src_ip"] == captures.PHONE and fl["dest_ip"] == captures.CN, "flow direction %s -> %s" % (
        fl["src_ip"], fl["dest_ip"]))
    check(fl["pkts_toclient"] == 4 and fl["pkts_toserver"] == 6, "pkts %r/%r (want 6/4)" % (
        fl["pkts_toserver"], fl["pkts_toclient"]))


@case
def neg_luhn_neighbour():
    r = run(fx("neg_luhn.pcap"), ["--home", "IN"])
    none_of(r, "Luhn-failing IMEI", kind="imei")


@case
def midflow_server_first():
    # The first packet is the server's: direction must still come from the device, not order.
    r = run(fx("midflow_server_first.pcap"), ["--home", "IN"])
    lk = one(r, "imei", kind="imei")
    check(lk["src_ip"] == captures.PHONE and lk["src_port"] == 43300, "src %s:%s" % (
        lk["src_ip"], lk["src_port"]))
    check(lk["dest_ip"] == captures.CN and lk["dest_port"] == 80 and lk["foreign"] is True,
          "dest %s:%s foreign %r" % (lk["dest_ip"], lk["dest_port"], lk["foreign"]))
    check(len(r.rep["flows"]) == 1 and r.rep["flows"][0]["src_ip"] == captures.PHONE,
          "flows %r" % [(f["src_ip"], f["dest_ip"]) for f in r.rep["flows"]])


# ---------------------------------------------------------------- other kinds
@case
def kind_contact_and_sms():
    r = run(fx("kind_contact_sms.pcap"), ["--home", "IN"])
    c = r.leaks(kind="contact")
    s = r.leaks(kind="sms")
    check(c, "no contact leak; leaks: %s" % [lk["kind"] for lk in r.rep["leaks"]])
    check(s, "no sms leak; leaks: %s" % [lk["kind"] for lk in r.rep["leaks"]])
    for lk in c + s:
        check(lk["where"] == "body", "%s where %r" % (lk["kind"], lk["where"]))
    check(any(lk["encoding"] == "url" for lk in c), "contact encodings %r" % [lk["encoding"] for lk in c])
    check(any(lk["encoding"] == "url" for lk in s), "sms encodings %r" % [lk["encoding"] for lk in s])
    none_of(r, "own number", kind="phone_number")


@case
def kind_carrier_header():
    r = run(fx("kind_carrier.pcap"), ["--home", "IN"])
    lk = one(r, "carrier", kind="carrier")
    check(lk["where"] == "header" and lk["encoding"] == "plain", "where/enc %r/%r" % (
        lk["where"], lk["encoding"]))


@case
def kind_location_json():
    r = run(fx("kind_location.pcap"), ["--home", "IN"])
    lk = one(r, "location", kind="location")
    check(lk["where"] == "body", "where %r" % lk["where"])


@case
def kind_email_urlencoded():
    r = run(fx("kind_email.pcap"), ["--home", "IN"])
    lk = one(r, "email", kind="email")
    check(lk["where"] == "url" and lk["encoding"] == "url", "where/enc %r/%r" % (
        lk["where"], lk["encoding"]))


@case
def udp_payload_android_id():
    r = run(fx("udp_payload.pcap"), ["--home", "IN"])
    lk = one(r, "android_id", kind="android_id")
    check(lk["where"] == "payload" and lk["encoding"] == "plain", "where/enc %r/%r" % (
        lk["where"], lk["encoding"]))
    check(lk["dest_port"] == 5683 and lk["src_port"] == 41000, "ports %r/%r" % (
        lk["src_port"], lk["dest_port"]))
    fl = r.flows(flow_id=lk["flow_id"])[0]
    check(fl["proto"] == "UDP", "flow proto %r" % fl["proto"])
    check((fl["pkts_toserver"], fl["pkts_toclient"]) == (1, 1), "pkts %r/%r" % (
        fl["pkts_toserver"], fl["pkts_toclient"]))


# ---------------------------------------------------------------- host names
@case
def host_from_dns():
    r = run(fx("host_dns.pcap"), ["--home", "IN"])
    fl = r.flows(dest_ip=captures.CN, dest_port=5222)
    check(len(fl) == 1, "want 1 flow to CN:5222")
    check(fl[0]["host"] == "push.xiaomi.com", "host %r" % fl[0]["host"])
    check(fl[0]["host_source"] == "dns", "host_source %r" % fl[0]["host_source"])
    lk = one(r, "imei in raw TCP", kind="imei")
    check(lk["where"] == "payload" and lk["host"] == "push.xiaomi.com", "where/host %r/%r" % (
        lk["where"], lk["host"]))
    dns = r.flows(dest_port=53, proto="UDP")
    check(len(dns) == 1 and dns[0]["app_proto"] and "DNS" in dns[0]["app_proto"],
          "DNS flow app_proto %r" % [d["app_proto"] for d in dns])


@case
def host_from_sni():
    r = run(fx("host_sni.pcap"), ["--home", "IN"])
    check(len(r.rep["flows"]) == 1, "want 1 flow")
    fl = r.rep["flows"][0]
    check(fl["host"] == "account.xiaomi.com", "host %r" % fl["host"])
    check(fl["host_source"] == "sni", "host_source %r" % fl["host_source"])
    check("TLS" in (fl["app_proto"] or ""), "app_proto %r" % fl["app_proto"])
    check(r.rep["leaks"] == [], "leak matched inside TLS: %s" % [
        (lk["kind"], lk["where"]) for lk in r.rep["leaks"]])



# ---------------------------------------------------------------- identifiers in host names
def masked(v):
    """identity_mask: the first and last 4 kept (2 for 6 to 11 characters)."""
    keep = 4 if len(v) >= 12 else 2 if len(v) >= 6 else 0
    return v[:keep] + "x" * (len(v) - 2 * keep) + v[len(v) - keep:] if keep else "x" * len(v)


def id_hosts_report(extra=()):
    """id_hosts.pcap's report and the expected host names: {dest_port: host}, DHCP name."""
    ident = captures.load_identity(IDENT)
    r = run(fx("id_hosts.pcap"), ["--home", "IN"] + list(extra))
    dns_name, http_host, sni, dhcp = captures.id_hosts(ident)
    return r, ident, {5222: dns_name, 80: http_host, 443: sni}, dhcp


def id_hosts_leaks(r, hosts, show):
    """The leaks are reported either way: the IMEI in the Host header (to US, foreign) and in
    the DNS query, the Android ID in the ClientHello; each with its host as the flows have it."""
    f = (lambda h: h) if show else (lambda h: re.sub(r"^([0-9a-f]+)", lambda m: masked(m.group(1)), h))
    lk = one(r, "IMEI in the Host header", kind="imei", where="header")
    check(lk["dest_ip"] == captures.US and lk["foreign"] is True, "dest %r foreign %r" % (lk["dest_ip"], lk["foreign"]))
    check(lk["host"] == f(hosts[80]), "leak host %r, want %r" % (lk["host"], f(hosts[80])))
    fd = [x for x in r.rep["findings"] if x["flow_id"] == lk["flow_id"]]
    check(len(fd) == 1 and fd[0]["host"] == f(hosts[80]), "finding host %r" % [x["host"] for x in fd])
    one(r, "IMEI in the DNS query", kind="imei", where="dns", dest_port=53)
    one(r, "Android ID in the DHCP host name", kind="android_id", dest_port=67)
    lk = one(r, "Android ID in the SNI", kind="android_id", dest_port=443)
    check(lk["host"] == f(hosts[443]), "leak host %r, want %r" % (lk["host"], f(hosts[443])))
    return f


@case
def gateway_resolver_echo_is_no_leak():
    """The hotspot's resolver and DHCP server (the gateway, a private address) repeat the phone's
    query name and host name in their answers: each identifier is one leak, the phone's, none the
    gateway's."""
    r = run(fx("gateway_resolver.pcap"), ["--home", "IN"])
    check(all(lk["src_ip"] == captures.PHONE for lk in r.rep["leaks"]),
          "leaks from %r" % sorted({lk["src_ip"] for lk in r.rep["leaks"]}))
    one(r, "IMEI in the DNS query to the gateway", kind="imei", where="dns", dest_ip=captures.GW, dest_port=53)
    one(r, "Android ID in the DHCP request", kind="android_id", dest_ip=captures.GW, dest_port=67)


@case
def id_in_host_names_masked():
    """report.json masks identifiers in host names (flows, leaks, findings, DHCP names) like
    every other file: no identity value appears anywhere in it."""
    r, ident, hosts, dhcp = id_hosts_report()
    f = id_hosts_leaks(r, hosts, False)
    for port, h in hosts.items():
        fl = r.flows(dest_port=port, proto="TCP")
        check(len(fl) == 1 and fl[0]["host"] == f(h), "flow to port %d: host %r, want %r" % (
            port, [x["host"] for x in fl], f(h)))
    check(fl[0]["host"].endswith(".push.example.cn") and "x" * 8 in fl[0]["host"], "not masked: %r" % fl[0]["host"])
    dev = [d for d in r.rep["devices"] if d["mac"] == captures.PHONE_MAC]
    check(len(dev) == 1 and dev[0]["hostname"] == "android-" + masked(ident["android_id"]),
          "DHCP host name %r" % [d["hostname"] for d in dev])
    text = json.dumps(r.rep)
    for k in ("imei", "android_id"):
        check(ident[k] not in text, "%s %s unmasked in report.json" % (k, ident[k]))


@case
def id_in_host_names_shown():
    """--show-identifiers: the same host names as captured."""
    r, ident, hosts, dhcp = id_hosts_report(["--show-identifiers"])
    id_hosts_leaks(r, hosts, True)
    for port, h in hosts.items():
        fl = r.flows(dest_port=port, proto="TCP")
        check(len(fl) == 1 and fl[0]["host"] == h, "flow to port %d: host %r, want %r" % (
            port, [x["host"] for x in fl], h))
    dev = [d for d in r.rep["devices"] if d["mac"] == captures.PHONE_MAC]
    check(len(dev) == 1 and dev[0]["hostname"] == dhcp, "DHCP host name %r" % [d["hostname"] for d in dev])

# ---------------------------------------------------------------- damaged captures
@case
def truncated_capture():
    with open(fx("truncated.meta.json")) as f:
        n = json.load(f)["complete_records"]
    r = run(fx("truncated.pcap"), ["--home", "IN"])
    check(r.rep["warnings"], "no warning for the truncated capture")
    check(r.rep["stats"]["packets"] == n, "stats.packets %r, want %d" % (r.rep["stats"]["packets"], n))
    check(r.rep["inputs"][0]["packets"] == n, "inputs.packets %r" % r.rep["inputs"][0]["packets"])
    one(r, "imei before the cut", kind="imei")


@case
def malformed_packets():
    with open(fx("malformed.meta.json")) as f:
        meta = json.load(f)
    r = run(fx("malformed.pcap"), ["--home", "IN"])
    st = r.rep["stats"]
    check(st["packets"] == meta["records"], "stats.packets %r, want %d" % (st["packets"], meta["records"]))
    check(st.get("malformed", 0) >= 3, "stats.malformed %r, want >= 3" % st.get("malformed"))
    skipped = sum(st.get("skipped", {}).values())
    check(skipped >= 2, "stats.skipped %r (unknown ethertype + ARP), want >= 2" % st.get("skipped"))
    check(st["malformed"] + skipped >= meta["bad"], "malformed+skipped %d < %d" % (
        st["malformed"] + skipped, meta["bad"]))
    one(r, "imei in the valid session", kind="imei")


# ---------------------------------------------------------------- options, outputs
@case
def multiple_inputs():
    a, b = fx("udp_payload.pcap"), fx("kind_carrier.pcap")
    r = run([a, b], ["--home", "IN"])
    one(r, "android_id", kind="android_id")
    one(r, "carrier", kind="carrier")
    check(r.rep["stats"]["packets"] == 12, "stats.packets %r, want 12" % r.rep["stats"]["packets"])


@case
def read_glob_in_version_order():
    # a rotated set as -w -C names it: raw.pcap, raw.pcap1, ..., raw.pcap10; read in that order
    d = tempfile.mkdtemp(dir=OUT)
    srcs = [fx("udp_payload.pcap"), fx("kind_carrier.pcap")]
    names = ["raw.pcap", "raw.pcap2", "raw.pcap10"]
    for n, src in zip(names, srcs + srcs[:1]):
        shutil.copyfile(src, os.path.join(d, n))
    rc, out, err = ph(["-r", os.path.join(d, "raw.pcap*"), "--identity", IDENT, "--no-geoip",
                       "--json", os.path.join(d, "g.json")])
    check(rc == 0, "glob: exit %d: %s" % (rc, err[-300:]))
    rep = json.load(open(os.path.join(d, "g.json")))
    got = [os.path.basename(i["path"]) for i in rep["inputs"]]
    check(got == names, "inputs %s, want version order %s" % (got, names))
    check(rep["inputs"][2]["sha256"] == sha256(os.path.join(d, "raw.pcap10")), "inputs sha256")
    check(any(lk["kind"] == "carrier" for lk in rep["leaks"]), "no carrier leak from raw.pcap2")
    rc, out, err = ph(["-r", os.path.join(d, "none*.pcap"), "--no-geoip"])
    check(rc == 2 and err.count("\n") == 1 and "no file matches" in err, "no match: %d %r" % (rc, err))


@case
def device_option_ip_and_mac():
    for dev in (captures.PHONE, captures.PHONE_MAC):
        r = run(fx("link_ether.pcap"), ["--home", "IN", "--device", dev])
        lk = one(r, "imei with --device %s" % dev, kind="imei")
        check(lk["src_ip"] == captures.PHONE, "src_ip %r" % lk["src_ip"])
        check(captures.PHONE in json.dumps(r.rep["options"].get("devices")) or dev in json.dumps(
            r.rep["options"].get("devices")), "options.devices %r" % r.rep["options"].get("devices"))


# ---------------------------------------------------------------- devices by MAC
PHONE_V6 = (captures.PHONE6_GLOBAL, captures.PHONE6_TEMP1, captures.PHONE6_TEMP2)


def device(r, mac):
    got = [d for d in r.rep["devices"] if d["mac"] == mac]
    check(len(got) == 1, "want device %s once, devices: %s" % (mac, [d["mac"] for d in r.rep["devices"]]))
    return got[0]


def phone_leaks(r, with_phone2=True):
    """The IMEI from the global, both temporary and the IPv4 address (and the second phone)."""
    srcs = sorted(lk["src_ip"] for lk in r.leaks(kind="imei"))
    want = list(PHONE_V6) + [captures.PHONE] + ([captures.PHONE2_GLOBAL] if with_phone2 else [])
    check(srcs == sorted(want), "imei leaks from %s, want %s" % (srcs, sorted(want)))
    check(all(lk["where"] == "url" for lk in r.leaks(kind="imei")), "a leak not in the URL (echo scanned?)")
    check(not r.leaks(src_ip=captures.CN6) and not r.leaks(src_ip=captures.CN),
          "the servers' echo was scanned as if a device sent it")


def phone_addresses(d, option=False):
    learned = {a["address"]: a["learned"] for a in d["addresses"]}
    want = {captures.PHONE6_LL: "ndp", captures.PHONE6_GLOBAL: "ndp", captures.PHONE6_TEMP1: "ndp",
            captures.PHONE: "dhcp", captures.PHONE6_TEMP2: "option" if option else "mac"}
    check(learned == want, "addresses %s, want %s" % (learned, want))
    check(all(a["first_seen"].startswith("2014-08-10T") for a in d["addresses"]), "first_seen %r" % d["addresses"])
    times = [a["first_seen"] for a in d["addresses"]]
    check(times == sorted(times), "addresses not in order first seen: %s" % times)
    t2 = [a for a in d["addresses"] if a["address"] == captures.PHONE6_TEMP2][0]
    check(t2["first_seen"] >= "2014-08-10T10:00:00", "TEMP2 first_seen %r (an hour in)" % t2["first_seen"])


def device_link_case(link):
    def fn():
        r = run(fx("devices_%s.pcap" % link), ["--home", "IN"])
        phone_leaks(r)
        sel = r.rep["device_selection"]
        check(sel["method"] == "link-layer", "method %r" % sel["method"])
        check(sel["gateways"] == [captures.GW_MAC], "gateways %r" % sel["gateways"])
        check(sel["not_scanned"]["flows"] == 0, "not_scanned %r" % sel["not_scanned"])
        check(not any("not scanned" in w for w in r.rep["warnings"]), "warnings %r" % r.rep["warnings"])
        check([d["mac"] for d in r.rep["devices"]] == [captures.PHONE_MAC, captures.PHONE2_MAC],
              "devices %r (the gateway must not be one)" % [d["mac"] for d in r.rep["devices"]])
        d = device(r, captures.PHONE_MAC)
        phone_addresses(d)
        check(d["source"] == "ndp" and d["hostname"] == "Redmi1S" and d["under_test"] is True,
              "device %r" % {k: d[k] for k in ("source", "hostname", "under_test")})
        d2 = device(r, captures.PHONE2_MAC)
        check([(a["address"], a["learned"]) for a in d2["addresses"]] == [(captures.PHONE2_GLOBAL, "mac")],
              "second phone %r" % d2["addresses"])
        for fl in r.flows(dest_port=80):
            check(fl["src_ip"] in PHONES and fl["device_side"] == "src", "flow %s -> %s device_side %r" % (
                fl["src_ip"], fl["dest_ip"], fl["device_side"]))
    fn.__name__ = "devices_by_mac_" + link
    return fn


case(device_link_case("ether"))
case(device_link_case("sll"))


@case
def devices_raw_ip_warns():
    r = run(fx("devices_raw.pcap"), ["--home", "IN"])
    one(r, "imei over IPv4 (a private address)", kind="imei", src_ip=captures.PHONE)
    check(len(r.rep["leaks"]) == 1, "want only the IPv4 leak, got %d" % len(r.rep["leaks"]))
    sel = r.rep["device_selection"]
    check(sel["method"] == "address-ranges" and "no link layer" in sel["reason"], "selection %r" % sel)
    ns = sel["not_scanned"]
    v6 = [fl for fl in r.rep["flows"] if fl["src_ip"] in PHONE_V6 + (captures.PHONE2_GLOBAL,)]
    check(len(v6) == 4, "want 4 IPv6 flows listed, got %d" % len(v6))
    check(ns["flows"] == 4 and ns["addresses"] == 4 and ns["addresses_more"] is False, "not_scanned %r" % ns)
    check(ns["packets"] == sum(f["pkts_toserver"] + f["pkts_toclient"] for f in v6) == 40, "packets %r" % ns)
    check(ns["bytes"] == sum(f["bytes_toserver"] + f["bytes_toclient"] for f in v6), "bytes %r" % ns)
    w = [w for w in r.rep["warnings"] if "not scanned" in w]
    check(len(w) == 1 and "4 flows" in w[0] and "4 global addresses" in w[0] and "no link layer" in w[0]
          and "--device" in w[0], "warnings %r" % r.rep["warnings"])
    check("not scanned" in r.err and "no link layer" in r.err, "stderr %r" % r.err[:300])


@case
def devices_raw_ip_device_addr():
    extra = ["--home", "IN"]
    for a in PHONE_V6 + (captures.PHONE,):
        extra += ["--device", a]
    r = run(fx("devices_raw.pcap"), extra)
    phone_leaks(r, with_phone2=False)
    ns = r.rep["device_selection"]["not_scanned"]
    check(r.rep["device_selection"]["method"] == "option", "method %r" % r.rep["device_selection"]["method"])
    check(ns["flows"] == 1 and ns["addresses"] == 1, "not_scanned %r (the second phone)" % ns)


@case
def devices_option_mac():
    r = run(fx("devices_ether.pcap"), ["--home", "IN", "--device", captures.PHONE_MAC])
    phone_leaks(r, with_phone2=False)
    sel = r.rep["device_selection"]
    check(sel["method"] == "option", "method %r" % sel["method"])
    d = device(r, captures.PHONE_MAC)
    check(d["source"] == "option" and d["under_test"] is True, "device %r/%r" % (d["source"], d["under_test"]))
    phone_addresses(d, option=True)
    check(device(r, captures.PHONE2_MAC)["under_test"] is False, "second phone under test")
    check(sel["not_scanned"]["flows"] == 1, "not_scanned %r" % sel["not_scanned"])


@case
def deterministic_report():
    outs = []
    for i in range(2):
        j = os.path.join(OUT, "det%d.json" % i)
        rc, _o, err = ph(["-r", fx("redmi1s.pcap"), "--identity", IDENT, "--geoip", CITY,
                          "--asn-db", ASN, "--home", "IN", "--json", j])
        check(rc == 0, "exit %d: %s" % (rc, err.strip()[:200]))
        with open(j) as f:  # custody: the wall-clock time and this run's --json path differ
            doc = json.load(f)
        doc.pop("custody", None)
        outs.append(json.dumps(doc, sort_keys=True))
    check(outs[0] == outs[1], "two runs on the same input gave different reports")


@case
def json_to_stdout():
    rc, out, err = ph(["-r", fx("link_ether.pcap"), "--identity", IDENT, "--geoip", CITY,
                       "--asn-db", ASN, "--home", "IN", "--json", "-"])
    check(rc == 0, "exit %d: %s" % (rc, err.strip()[:200]))
    try:
        rep = json.loads(out)
    except ValueError as e:
        raise Fail("stdout is not one JSON document: %s" % e)
    check(len(rep.get("leaks", [])) == 1 and rep["leaks"][0]["kind"] == "imei", "leaks %r" % rep.get("leaks"))


@case
def device_file_is_written_not_replaced():
    """--json and --eve to /dev/null (a device node of the test's own): written into, not replaced by a
    regular file renamed over it, which once turned a machine's /dev/null into a file."""
    if os.geteuid() != 0:
        return
    os.makedirs(OUT, exist_ok=True)
    node = os.path.join(OUT, "null")
    if os.path.lexists(node):
        os.unlink(node)
    os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    rc, _o, err = ph(["-r", fx("redmi1s.pcap"), "--identity", IDENT, "--geoip", CITY, "--asn-db", ASN,
                      "--home", "IN", "--json", node, "--eve", node])
    check(rc == 0, "exit %d: %s" % (rc, err.strip()[:200]))
    check(stat.S_ISCHR(os.lstat(node).st_mode), "%s is no longer a device node" % node)
    check(not [n for n in os.listdir(OUT) if n.startswith("null.tmp") or n.startswith(".null.tmp")],
          "a temporary file was left beside it")
    os.unlink(node)


@case
def human_summary():
    rc, out, err = ph(["-r", fx("foreign_domestic.pcap"), "--identity", IDENT, "--geoip", CITY,
                       "--asn-db", ASN, "--home", "IN"])
    check(rc == 0, "exit %d: %s" % (rc, err.strip()[:200]))
    check(out.strip(), "no summary on stdout")
    check("CN" in out or "China" in out, "summary does not mention the foreign country CN")
    check("imei" in out.lower(), "summary does not mention the leak kind imei")


@case
def identity_bad_luhn_warns():
    bad = fx("identity-bad-luhn.json")
    r = run(fx("link_ether.pcap"), ["--home", "IN"], identity=bad)
    check("imei" in r.err.lower(), "no IMEI warning on stderr: %r" % r.err[:200])
    check(any("imei" in w.lower() for w in r.rep["warnings"]), "no IMEI warning in report: %r" %
          r.rep["warnings"])


# ---------------------------------------------------------------- bad input: exit 2
def bad_input(name, args, mention):
    def fn():
        target = os.path.join(OUT, "keep-%s.json" % name)
        os.makedirs(OUT, exist_ok=True)
        before = b'{"pre-existing": true}\n'
        with open(target, "wb") as f:
            f.write(before)
        rc, out, err = ph(args + ["--json", target])
        check(rc == 2, "exit %d, want 2; stderr %r" % (rc, err[:200]))
        lines = err.rstrip("\n").split("\n")
        check(len(lines) == 1 and lines[0].strip(), "stderr not exactly one line: %r" % err[:300])
        alts = mention if isinstance(mention, tuple) else (mention,)
        check(any(m in err for m in alts), "stderr %r does not mention %s" % (
            err.strip(), " or ".join(repr(m) for m in alts)))
        with open(target, "rb") as f:
            check(f.read() == before, "--json target was modified")
    fn.__name__ = "bad_" + name
    return fn


def _base(cap="link_ether.pcap"):
    return ["-r", fx(cap), "--identity", IDENT, "--geoip", CITY, "--asn-db", ASN]


_missing = os.path.join(FIX, "does-not-exist.pcap")
for _name, _args, _mention in (
        ("missing_file", ["-r", _missing, "--identity", IDENT, "--geoip", CITY, "--asn-db", ASN],
         "does-not-exist.pcap"),
        ("text_file", _base("not_a_capture.txt"), "not_a_capture.txt"),
        ("dlt147", _base("bad_dlt147.pcap"), "bad_dlt147.pcap"),
        ("identity_malformed", ["-r", fx("link_ether.pcap"), "--identity",
                                fx("identity-malformed.json"), "--geoip", CITY, "--asn-db", ASN],
         "identity-malformed.json"),
        ("identity_unknown_key", ["-r", fx("link_ether.pcap"), "--identity",
                                  fx("identity-unknown-key.json"), "--geoip", CITY, "--asn-db", ASN],
         "identity-unknown-key.json"),
        ("home_XX1", _base() + ["--home", "XX1"], ("--home", "XX1")),
        ("home_india", _base() + ["--home", "india"], ("--home", "india")),
        ("geoip_missing", ["-r", fx("link_ether.pcap"), "--identity", IDENT, "--geoip",
                           os.path.join(FIX, "no-such.mmdb"), "--asn-db", ASN], "no-such.mmdb"),
        ("geoip_corrupt", ["-r", fx("link_ether.pcap"), "--identity", IDENT, "--geoip",
                           fx("corrupt.mmdb"), "--asn-db", ASN], "corrupt.mmdb"),
        ("asn_db_missing", ["-r", fx("link_ether.pcap"), "--identity", IDENT, "--geoip", CITY,
                            "--asn-db", os.path.join(FIX, "no-such-asn.mmdb")], "no-such-asn.mmdb"),
        ("unknown_option", _base() + ["--frobnicate"], "frobnicate"),
        ("allow_bad", _base() + ["--home", "IN", "--allow", "CN,XYZ"], ("--allow", "XYZ")),
        ("device_bad", _base() + ["--device", "phone"], ("--device", "phone")),
        ("max_flows_zero", _base() + ["--max-flows", "0"], "--max-flows"),
        ("max_reassembly_text", _base() + ["--max-reassembly", "lots"], "--max-reassembly"),
        ("threads_zero", _base() + ["--threads", "0"], "--threads"),
        ("threads_too_many", _base() + ["--threads", "65"], "--threads"),
        ("threads_live", ["-i", "lo", "--threads", "2"], "--threads"),
        ("duration_zero", ["-i", "lo", "--duration", "0"], "--duration"),
        ("count_negative", ["-i", "lo", "--count", "-5"], "--count"),
        ("write_without_live", _base() + ["-w", os.path.join(OUT, "x.pcap")], "-w"),
        ("read_and_live", _base() + ["-i", "lo"], "-i"),
        ("keylog_missing", _base() + ["--keylog", os.path.join(FIX, "no-such.keys")], "no-such.keys"),
        ("rules_missing", _base() + ["--rules", os.path.join(FIX, "no-such-rules.json")], "no-such-rules.json"),
):
    case(bad_input(_name, _args, _mention))


# ---------------------------------------------------------------- whose data (captures.case_whose)
def whose_flows(r):
    """The four flows of whose.pcap by source port: book, lookup, e-mail, own number."""
    by = {fl["src_port"]: fl["flow_id"] for fl in r.rep["flows"]}
    return [by.get(p) for p in (47001, 47002, 47003, 47004)]


@case
def whose_address_book():
    r = run(fx("whose.pcap"), ["--home", "IN"], identity=fx("identity-book.json"))
    book, _, _, _ = whose_flows(r)
    hits = r.leaks(flow_id=book)
    check(len(hits) >= captures.BOOK_SIZE, "address book: %d hits" % len(hits))
    check(all(h["kind"] == "contact" and h["subject"] == "third_party" for h in hits),
          "address book hits %r" % sorted({(h["kind"], h["subject"]) for h in hits}))
    fs = [f for f in r.rep["findings"] if f["flow_id"] == book]
    check(len(fs) == 1, "address book: want one finding, got %d" % len(fs))
    f = fs[0]
    check((f["kind"], f["subject"], f["count"], f["confirmed"]) == ("contact", "third_party", captures.BOOK_SIZE, 2),
          "address book finding %r" % {k: f[k] for k in ("kind", "subject", "count", "confirmed")})
    check(f["hits"] == len(hits) and f["foreign"] is True and f["severity"] == "critical" and f["dest_port"] == 80,
          "address book finding %r" % {k: f[k] for k in ("hits", "foreign", "severity", "dest_port")})
    canaries = {captures.ident_contact_phone(captures.load_identity(fx("identity-book.json"))),
                captures.CANARY2["phone"]}
    masked = {"%s%s%s" % (v[:4], "x" * (len(v) - 8), v[-4:]) for v in canaries}
    check(all(any(m in i for m in masked) for i in f["identifiers"][:2]) and
          not any(m in i for m in masked for i in f["identifiers"][2:]),
          "canaries not listed first: %r" % f["identifiers"][:4])
    check(all(r.rep["leaks"][i]["confidence"] == "confirmed" for i in f["leaks"][:4]), "confirmed hits not first")
    for lk in hits:  # no stranger's number unmasked in any evidence
        check(not re.search(r"\+9198451\d{5}", lk["evidence"]), "unmasked number in evidence %r" % lk["evidence"])


@case
def whose_lookup_email_own():
    r = run(fx("whose.pcap"), ["--home", "IN"], identity=fx("identity-book.json"))
    _, lookup, mail, own = whose_flows(r)
    lk = one(r, "caller-ID lookup", flow_id=lookup)
    check((lk["kind"], lk["subject"], lk["confidence"]) == ("phone_number", "third_party", "suspected"),
          "lookup %r" % [lk[k] for k in ("kind", "subject", "confidence")])
    lk = one(r, "someone else's e-mail", flow_id=mail)
    check((lk["kind"], lk["subject"]) == ("email", "third_party"), "e-mail %r" % [lk["kind"], lk["subject"]])
    lk = one(r, "own number", flow_id=own)
    check((lk["kind"], lk["subject"], lk["confidence"]) == ("phone_number", "device", "confirmed"),
          "own number %r" % [lk[k] for k in ("kind", "subject", "confidence")])
    check(len(r.rep["findings"]) == 4, "findings %d, want 4" % len(r.rep["findings"]))
    want = ("the phone's number; the numbers of %d contacts and 2 of their names; another person's number; "
            "another person's e-mail address sent in cleartext to servers in China" % captures.BOOK_SIZE)
    check("Verdict: %s." % want in r.out, "verdict not %r in the summary:\n%s" % (want, r.out[-600:]))
    check("Findings: 4 (1 of the phone's own identifiers, 3 of other people's data) from" in r.out,
          "summary findings count:\n%s" % r.out[-900:])


@case
def whose_no_identity():
    r = run(fx("whose.pcap"), ["--home", "IN"], identity=None)
    check(r.rep["leaks"], "no rule hits without an identity file")
    check(all(lk["subject"] is None for lk in r.rep["leaks"]), "subjects %r" % sorted(
        {str(lk["subject"]) for lk in r.rep["leaks"]}))
    check(all(f["subject"] is None for f in r.rep["findings"]), "finding subjects not null")
    book, lookup, mail, own = whose_flows(r)
    kinds = sorted({lk["kind"] for lk in r.leaks(flow_id=book)})
    check(kinds == ["contact", "phone_number"], "address book kinds without identity %r" % kinds)
    check(len(r.leaks(flow_id=book, kind="contact")) == 1, "address-book rule: one hit without identity")
    check(len(r.leaks(flow_id=book, kind="phone_number")) == captures.BOOK_SIZE, "phone-key hits %d" %
          len(r.leaks(flow_id=book, kind="phone_number")))
    for fid, kind in ((lookup, "phone_number"), (mail, "email"), (own, "phone_number")):
        check(one(r, "flow %s" % fid, flow_id=fid)["kind"] == kind, "flow %s kind" % fid)


# ---------------------------------------------------------------- the sample
def redmi_checks(r):
    for kind in ("imei", "phone_number", "carrier", "contact", "sms"):
        got = [lk for lk in r.leaks(kind=kind, country="CN") if lk["foreign"] is True]
        check(got, "no foreign %s leak to CN" % kind)
        check(all(lk["dest_ip"] == captures.CN and lk["dest_port"] == 80 for lk in got),
              "%s leak not to 220.181.111.10:80" % kind)
    check(all(lk["foreign"] is False for lk in r.leaks(country="IN")), "IN leak marked foreign")
    check(r.leaks(dest_ip=captures.IN), "no leak to the domestic server")
    check(not r.leaks(dest_port=443), "leak reported inside TLS")
    g = r.flows(dest_ip=captures.US, dest_port=443)
    check(len(g) == 1 and g[0]["host"] == "www.google.com" and g[0]["host_source"] == "sni"
          and g[0]["country"] == "US", "US TLS flow %r" % [(f["host"], f["host_source"], f["country"])
                                                          for f in g])
    x = r.flows(dest_ip=captures.CN, dest_port=80)
    check(x and all(f["host"] == captures.XIAOMI for f in x), "xiaomi flows host %r" % [
        f["host"] for f in x])
    c = r.rep["summary"]["countries"]
    check(c.get("CN", {}).get("leaks", 0) > 0, "summary.countries.CN %r" % c.get("CN"))


@case
def redmi1s_fixture():
    redmi_checks(run(fx("redmi1s.pcap"), ["--home", "IN"]))


@case
def sample_redmi1s():
    check(os.path.exists(SAMPLE), "%s missing" % SAMPLE)
    check(os.path.exists(SAMPLE_IDENT), "%s missing" % SAMPLE_IDENT)
    check(os.path.getsize(SAMPLE) < 100 * 1024, "sample larger than 100 KB")
    redmi_checks(run(SAMPLE, ["--home", "IN"], identity=SAMPLE_IDENT))


@case
def sample_reproducible():
    check(os.path.exists(SAMPLE), "%s missing" % SAMPLE)
    out = os.path.join(OUT, "redmi1s-regen.pcap")
    p = subprocess.run([sys.executable, os.path.join(ROOT, "tests", "gen", "sample.py"), out,
                        SAMPLE_IDENT], stderr=subprocess.PIPE)
    check(p.returncode == 0, "sample.py failed: %s" % p.stderr.decode()[:200])
    check(sha256(out) == sha256(SAMPLE), "tests/sample/redmi1s.pcap differs from sample.py output")


@case
def generator_deterministic():
    d = os.path.join(OUT, "regen")
    p = subprocess.run([sys.executable, os.path.join(ROOT, "tests", "gen", "captures.py"), d],
                       stderr=subprocess.PIPE)
    check(p.returncode == 0, "captures.py failed: %s" % p.stderr.decode()[:200])
    for path in sorted(glob.glob(os.path.join(FIX, "*"))):
        other = os.path.join(d, os.path.basename(path))
        check(os.path.exists(other) and sha256(other) == sha256(path),
              "%s differs between two generator runs" % os.path.basename(path))


def main():
    only = sys.argv[1:]
    passed = failed = 0
    for fn in CASES:
        if only and not any(o in fn.__name__ for o in only):
            continue
        try:
            fn()
            print("ok %s" % fn.__name__)
            passed += 1
        except Fail as e:
            print("FAIL %s: %s" % (fn.__name__, e))
            failed += 1
        except Exception as e:  # a crash of the test itself is a failure too
            print("FAIL %s: %s: %s" % (fn.__name__, type(e).__name__, e))
            failed += 1
        sys.stdout.flush()
    print("e2e: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
