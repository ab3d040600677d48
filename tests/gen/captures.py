#!/usr/bin/python3
"""captures.py - deterministic test captures for phonehome (scapy builds the packets).

Library: Cap (a packet list with a fixed clock), TCP sessions, UDP, DNS, TLS
ClientHello, link-layer wrappers, pcap/pcapng writers.  CLI: `captures.py OUTDIR`
writes one capture per case (CASES) plus the identity files the e2e tests use.
No randomness: fixed timestamps, sequence numbers and IP ids.  Nothing is sent.
"""
import base64
import gzip
import hashlib
import json
import os
import struct
import sys
import urllib.parse
import zlib

import logging
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import (IP, IPv6, TCP, UDP, DNS, DNSQR, DNSRR, Raw, Ether,  # noqa: E402
                       IPv6ExtHdrHopByHop, IPv6ExtHdrDestOpt, ICMPv6ND_RS, ICMPv6ND_RA,
                       ICMPv6ND_NS, ICMPv6NDOptPrefixInfo, BOOTP, DHCP, conf)

conf.verb = 0
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
IDENTITY_EXAMPLE = os.path.join(ROOT, "rules", "identity-example.json")

T0 = 1407661200            # 2014-08-10T09:00:00Z
PHONE = "192.168.43.100"
PHONE6 = "fd00:43::100"
PHONE_MAC = "64:09:80:12:34:56"
GW = "192.168.43.1"
GW_MAC = "02:00:00:43:00:01"
CN = "220.181.111.10"
IN = "49.44.0.10"
US = "142.250.70.10"
CN6 = "240e:ff:1::10"
IN6 = "2405:200::10"
XIAOMI = "api.account.xiaomi.com"
# A phone on an IPv6 hotspot: link-local, a global SLAAC address from the operator's prefix,
# temporary (privacy) addresses that change; and a second phone seen only by its global address.
PREFIX6 = "2409:4042:2a1b:3c4d"
PHONE6_LL = "fe80::6609:80ff:fe12:3456"
PHONE6_GLOBAL = PREFIX6 + ":6609:80ff:fe12:3456"
PHONE6_TEMP1 = PREFIX6 + ":8d1e:52f3:a4b0:917c"
PHONE6_TEMP2 = PREFIX6 + ":31c7:e02a:6b95:d408"
PHONE2_MAC = "64:09:80:ab:cd:ef"
PHONE2_GLOBAL = PREFIX6 + ":6609:80ff:feab:cdef"
GW6_LL = "fe80::1"

# Fallback identity (the shape of rules/identity-example.json: lists of values).
DEFAULT_IDENTITY = {
    "imei": ["862345021234568"],
    "imsi": ["404450123456789"],
    "iccid": ["8991450012345678900"],
    "phone_number": ["+919876543210"],
    "carrier": ["Airtel"],
    "mac": [PHONE_MAC],
    "android_id": ["3f2a9c41b7d05e68"],
    "advertising_id": ["5f1c2a9e-7b3d-4c8a-9e21-0d6b4f3a8c17"],
    "email": ["priya.sharma.test@gmail.com"],
    "serial": ["f3a9c2d1"],
    "sms": ["+919812345678"],
    "contacts": [{"name": "Ravi Kumar", "phone": "+919812300001"}],
    "location": [{"lat": 28.613939, "lon": 77.209023}],
}


def luhn_ok(digits):
    """True when a digit string passes the Luhn check (IMEI check digit)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def load_identity(path=None):
    """The identity with one value per key (the first of each list); "_raw" is the file."""
    path = path or IDENTITY_EXAMPLE
    raw = dict(DEFAULT_IDENTITY)
    if os.path.exists(path):
        with open(path) as f:
            raw = json.load(f)
    ident = {}
    for k, v in raw.items():
        if k in ("contacts", "sms", "location"):
            ident[k] = v if isinstance(v, list) else [v]
        else:
            ident[k] = v[0] if isinstance(v, list) else v
    ident["_raw"] = raw
    return ident


def ident_contact_phone(ident):
    """Phone number of the first contacts entry."""
    c = ident["contacts"][0]
    for k in ("phone", "phone_number", "number", "tel"):
        if k in c:
            v = c[k]
            return v[0] if isinstance(v, list) else v
    raise KeyError("contact phone")


def ident_sms(ident):
    """First SMS number."""
    s = ident["sms"][0]
    if isinstance(s, dict):
        for k in ("from", "number", "phone", "sender", "address"):
            if k in s:
                return s[k]
    return s


def ident_location(ident):
    """(lat, lon) from whichever shape the identity uses."""
    loc = ident["location"]
    if isinstance(loc, dict):
        lat = loc.get("lat", loc.get("latitude"))
        lon = loc.get("lon", loc.get("lng", loc.get("longitude")))
        return float(lat), float(lon)
    if isinstance(loc, (list, tuple)) and loc and isinstance(loc[0], (dict, list, str)):
        return ident_location({"location": loc[0]})
    if isinstance(loc, (list, tuple)):
        return float(loc[0]), float(loc[1])
    a, b = str(loc).replace("/", ",").split(",")
    return float(a), float(b)


# ---------------------------------------------------------------- link layers
def _mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


def _ethertype(l3):
    return 0x86DD if (l3[0] >> 4) == 6 else 0x0800


def link_ether(l3, out, ethertype=None):
    """Ethernet II; out=True means phone -> network."""
    src, dst = (PHONE_MAC, GW_MAC) if out else (GW_MAC, PHONE_MAC)
    return _mac(dst) + _mac(src) + struct.pack("!H", ethertype or _ethertype(l3)) + l3


def link_vlan(l3, out):
    """802.1Q, VLAN 43."""
    src, dst = (PHONE_MAC, GW_MAC) if out else (GW_MAC, PHONE_MAC)
    return (_mac(dst) + _mac(src) + struct.pack("!HHH", 0x8100, 43, _ethertype(l3)) + l3)


def link_qinq(l3, out):
    """802.1ad outer tag 100 (0x88a8) + 802.1Q inner tag 43."""
    src, dst = (PHONE_MAC, GW_MAC) if out else (GW_MAC, PHONE_MAC)
    return (_mac(dst) + _mac(src) + struct.pack("!HHHH", 0x88A8, 100, 0x8100, 43)
            + struct.pack("!H", _ethertype(l3)) + l3)


def link_sll(l3, out):
    """Linux cooked v1 (DLT 113): 0 = to us, 4 = outgoing."""
    addr = _mac(PHONE_MAC if out else GW_MAC) + b"\0\0"
    return struct.pack("!HHH", 4 if out else 0, 1, 6) + addr + struct.pack("!H", _ethertype(l3)) + l3


def link_sll2(l3, out):
    """Linux cooked v2 (DLT 276)."""
    addr = _mac(PHONE_MAC if out else GW_MAC) + b"\0\0"
    return (struct.pack("!HHIHBB", _ethertype(l3), 0, 3, 1, 4 if out else 0, 6) + addr + l3)


def link_raw(l3, out):
    """Raw IP (DLT 101 / 12)."""
    return l3


def link_null(l3, out):
    """BSD loopback (DLT 0): host-order (little-endian here) address family."""
    af = 2 if (l3[0] >> 4) == 4 else 24
    return struct.pack("<I", af) + l3


def link_loop(l3, out):
    """OpenBSD loopback (DLT 108): network-order address family."""
    af = 2 if (l3[0] >> 4) == 4 else 24
    return struct.pack("!I", af) + l3


LINKS = {  # name -> (DLT, wrapper)
    "ether": (1, link_ether), "vlan": (1, link_vlan), "qinq": (1, link_qinq),
    "sll": (113, link_sll), "sll2": (276, link_sll2), "raw101": (101, link_raw),
    "raw12": (12, link_raw), "null": (0, link_null), "loop": (108, link_loop),
}


# ---------------------------------------------------------------- capture
class Cap:
    """Ordered list of (timestamp, out?, L3 bytes) with a fixed clock."""

    def __init__(self, t0=T0, step=0.010):
        self.t = float(t0)
        self.step = step
        self.pkts = []
        self.ipid = 0x1000

    def add(self, l3, out, ts=None):
        if ts is not None:
            self.t = ts
        self.pkts.append((round(self.t, 6), out, bytes(l3)))
        self.t += self.step

    def next_id(self):
        self.ipid += 1
        return self.ipid

    def frames(self, link="ether"):
        wrap = LINKS[link][1]
        return [(ts, wrap(l3, out)) for ts, out, l3 in self.pkts]

    def write(self, path, link="ether"):
        dlt = LINKS[link][0]
        write_pcap(path, dlt, self.frames(link))


def write_pcap(path, dlt, frames, snaplen=262144):
    """Classic little-endian microsecond pcap."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, dlt))
        for ts, data in frames:
            sec = int(ts)
            usec = int(round((ts - sec) * 1e6))
            f.write(struct.pack("<IIII", sec, usec, len(data), len(data)) + data)


def write_pcapng(path, frames):
    """pcapng with scapy's PcapNgWriter (Ethernet frames); manual writer as fallback."""
    try:
        from scapy.utils import PcapNgWriter
        w = PcapNgWriter(path)
        for ts, data in frames:
            p = Ether(data)
            p.time = ts
            w.write(p)
        w.close()
        return
    except ImportError:
        pass
    with open(path, "wb") as f:
        def block(btype, body):
            body += b"\0" * (-len(body) % 4)
            n = len(body) + 12
            f.write(struct.pack("<II", btype, n) + body + struct.pack("<I", n))
        block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
        block(1, struct.pack("<HHI", 1, 0, 262144))
        for ts, data in frames:
            us = int(round(ts * 1e6))
            block(6, struct.pack("<IIIII", 0, us >> 32, us & 0xFFFFFFFF, len(data), len(data)) + data)


# ---------------------------------------------------------------- L3/L4
def _ip(cap, src, dst, ext6=False):
    if ":" in src:
        l3 = IPv6(src=src, dst=dst, hlim=64, fl=0)
        if ext6:
            l3 = l3 / IPv6ExtHdrHopByHop() / IPv6ExtHdrDestOpt()
        return l3
    return IP(src=src, dst=dst, id=cap.next_id(), ttl=64, flags="DF")


def split(data, sizes):
    """Cut data into segments of the given sizes (the rest is the last segment): [(off, bytes)]."""
    out, off = [], 0
    for n in sizes:
        out.append((off, data[off:off + n]))
        off += n
    if off < len(data):
        out.append((off, data[off:]))
    return out


def tcp_session(cap, src, sport, dst, dport, request, response=b"", segments=None,
                resp_segments=None, ext6=False, isn_c=1000, isn_s=5000, close=True,
                handshake=True):
    """Full TCP session: handshake, client segments (order/dups as given), server ACK,
    server response, client ACK, FIN/ACK close.  segments: [(offset, bytes)]."""
    def pkt(out, flags, seq, ack, data=b""):
        s, d, sp, dp = (src, dst, sport, dport) if out else (dst, src, dport, sport)
        p = _ip(cap, s, d, ext6) / TCP(sport=sp, dport=dp, flags=flags, seq=seq, ack=ack,
                                       window=65535)
        if data:
            p = p / Raw(data)
        cap.add(bytes(p), out)

    c, s = isn_c, isn_s
    if handshake:
        pkt(True, "S", c, 0)
        pkt(False, "SA", s, c + 1)
        pkt(True, "A", c + 1, s + 1)
    segments = segments if segments is not None else ([(0, request)] if request else [])
    for off, data in segments:
        pkt(True, "PA", c + 1 + off, s + 1, data)
    c_end = c + 1 + len(request)
    if request:
        pkt(False, "A", s + 1, c_end)
    resp_segments = resp_segments if resp_segments is not None else (
        [(0, response)] if response else [])
    for off, data in resp_segments:
        pkt(False, "PA", s + 1 + off, c_end, data)
    s_end = s + 1 + len(response)
    if response:
        pkt(True, "A", c_end, s_end)
    if close:
        pkt(True, "FA", c_end, s_end)
        pkt(False, "FA", s_end, c_end + 1)
        pkt(True, "A", c_end + 1, s_end + 1)


def udp(cap, src, sport, dst, dport, payload, out=True):
    """One UDP datagram."""
    cap.add(bytes(_ip(cap, src, dst) / UDP(sport=sport, dport=dport) / Raw(payload)), out)


def dns_lookup(cap, name, addr, sport=40000, txid=0x1234, server=GW, client=PHONE):
    """DNS A (or AAAA) query from the phone and the resolver's answer."""
    qtype = "AAAA" if ":" in addr else "A"
    q = DNS(id=txid, rd=1, qd=DNSQR(qname=name, qtype=qtype))
    cap.add(bytes(_ip(cap, client, server) / UDP(sport=sport, dport=53) / q), True)
    r = DNS(id=txid, qr=1, rd=1, ra=1, qd=DNSQR(qname=name, qtype=qtype),
            an=DNSRR(rrname=name, type=qtype, ttl=300, rdata=addr))
    cap.add(bytes(_ip(cap, server, client) / UDP(sport=53, dport=sport) / r), False)


def tls_client_hello(sni):
    """Minimal TLS 1.2 ClientHello record carrying server_name (RFC 6066)."""
    name = sni.encode()
    sni_ext = struct.pack("!HHHBH", 0, len(name) + 5, len(name) + 3, 0, len(name)) + name
    groups = struct.pack("!HHH", 10, 4, 2) + struct.pack("!H", 0x001D)
    exts = sni_ext + groups
    suites = struct.pack("!HHHHH", 8, 0xC02F, 0xC030, 0x009C, 0x002F)
    body = (struct.pack("!H", 0x0303) + bytes(range(32)) + b"\x00" + suites + b"\x01\x00"
            + struct.pack("!H", len(exts)) + exts)
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs


def tls_server_blob(n=64):
    """Opaque server bytes: a ServerHello-shaped header and fixed filler."""
    body = bytes((i * 7 + 3) & 0xFF for i in range(n))
    return b"\x16\x03\x03" + struct.pack("!H", len(body)) + body


def tls_app_data(payload):
    """An application_data record wrapping the given bytes."""
    return b"\x17\x03\x03" + struct.pack("!H", len(payload)) + payload


def http_get(path, host=XIAOMI, headers=()):
    lines = ["GET %s HTTP/1.1" % path, "Host: %s" % host,
             "User-Agent: Dalvik/1.6.0 (Linux; U; Android 4.4.4; 2014818 MIUI/V6.1.1.0)"]
    lines += list(headers)
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def http_post(path, body, host=XIAOMI, ctype="application/x-www-form-urlencoded",
              headers=(), chunks=None):
    """POST with Content-Length, or chunked (chunks = list of body pieces)."""
    lines = ["POST %s HTTP/1.1" % path, "Host: %s" % host, "Content-Type: %s" % ctype,
             "User-Agent: Dalvik/1.6.0 (Linux; U; Android 4.4.4; 2014818 MIUI/V6.1.1.0)"]
    lines += list(headers)
    if chunks is not None:
        lines.append("Transfer-Encoding: chunked")
        data = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks) + b"0\r\n\r\n"
    else:
        lines.append("Content-Length: %d" % len(body))
        data = body
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


def http_ok(body=b'{"code":0,"result":"ok"}', ctype="application/json", extra=()):
    lines = ["HTTP/1.1 200 OK", "Server: Tengine", "Content-Type: %s" % ctype,
             "Content-Length: %d" % len(body)] + list(extra)
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def http_flow(cap, request, dst=CN, sport=43210, dport=80, response=None, **kw):
    """Phone -> dst HTTP exchange."""
    tcp_session(cap, kw.pop("src", PHONE), sport, dst, dport, request,
                http_ok() if response is None else response, **kw)


def b64(s, url=False):
    raw = s.encode() if isinstance(s, str) else s
    if url:
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return base64.b64encode(raw).decode()


def hexhash(name, s):
    return hashlib.new(name, s.encode()).hexdigest()


def gzip_bytes(data):
    return gzip.compress(data, compresslevel=6, mtime=0)


# ---------------------------------------------------------------- cases
def imei_get(ident, extra_query=""):
    return http_get("/api/v2/device/register?imei=%s&model=2014818%s" % (ident["imei"], extra_query))


def case_links(out, ident):
    """The same IMEI GET over every link type."""
    for link in LINKS:
        cap = Cap()
        http_flow(cap, imei_get(ident))
        cap.write(os.path.join(out, "link_%s.pcap" % link), link)
    cap = Cap()
    http_flow(cap, imei_get(ident))
    write_pcapng(os.path.join(out, "link_pcapng.pcapng"), cap.frames("ether"))
    # DLT 147 (USER0): a link type the tool does not know.
    write_pcap(os.path.join(out, "bad_dlt147.pcap"), 147, cap.frames("raw101"))


def case_ipv6(out, ident):
    cap = Cap()
    http_flow(cap, imei_get(ident), src=PHONE6, dst=CN6, ext6=True)
    http_flow(cap, http_get("/ok?x=1", host="api.example.in"), src=PHONE6, dst=IN6, sport=43211,
              ext6=False)
    cap.write(os.path.join(out, "ipv6_ext.pcap"))


def encoding_variants(ident):
    """name -> (request bytes, kind, expected encoding, where)."""
    imei, phone = ident["imei"], ident["phone_number"]
    nat = phone[3:] if phone.startswith("+91") else phone.lstrip("+")
    cc, rest = phone[1:3], phone[3:]
    grouped_sp = "+%s %s %s" % (cc, rest[:5], rest[5:])
    grouped_dash = "+%s-%s-%s" % (cc, rest[:5], rest[5:])
    mac_up = ident["mac"].replace(":", "").upper()
    v = {
        "imei_plain": (imei_get(ident), "imei", "plain", "url"),
        "imei_base64": (http_get("/api/v2/ping", headers=["X-Device-Id: " + b64(imei)]),
                        "imei", "base64", "header"),
        "imei_base64url": (http_get("/api/v2/ping?d=" + b64(imei, url=True)), "imei",
                           "base64url", "url"),
        "phone_url": (http_get("/api/v2/login?phone=" + urllib.parse.quote(phone, safe="")),
                      "phone_number", "url", "url"),
        "phone_plain": (http_get("/api/v2/login?phone=" + phone), "phone_number", "plain", "url"),
        "phone_base64": (http_get("/api/v2/ping", headers=["X-Phone: " + b64(phone)]),
                         "phone_number", "base64", "header"),
        "phone_base64url": (http_get("/api/v2/ping?p=" + b64(phone, url=True)), "phone_number",
                            "base64url", "url"),
        "phone_national": (http_get("/api/v2/login?tel=0" + nat), "phone_number", "plain", "url"),
        "phone_grouped_space": (http_post("/api/v2/profile", ("tel=" + grouped_sp).encode(),
                                          ctype="text/plain"), "phone_number", "plain", "body"),
        "phone_grouped_dash": (http_get("/api/v2/login?tel=" + grouped_dash), "phone_number",
                               "plain", "url"),
        "phone_00": (http_get("/api/v2/login?tel=00" + phone.lstrip("+")), "phone_number",
                     "plain", "url"),
        "mac_upper_nosep": (http_get("/api/v2/ping?m=" + mac_up), "mac", "plain", "url"),
    }
    for h in ("md5", "sha1", "sha256"):
        v["imei_%s_lower" % h] = (http_get("/api/v2/ping?h=" + hexhash(h, imei)), "imei", h, "url")
        v["imei_%s_upper" % h] = (http_get("/api/v2/ping", headers=[
            "X-Hash: " + hexhash(h, imei).upper()]), "imei", h, "header")
        v["phone_%s_lower" % h] = (http_get("/api/v2/ping?ph=" + hexhash(h, phone)),
                                   "phone_number", h, "url")
        v["phone_%s_upper" % h] = (http_get("/api/v2/ping?ph=" + hexhash(h, phone).upper()),
                                   "phone_number", h, "url")
    return v


def case_encodings(out, ident):
    for name, (req, _k, _e, _w) in encoding_variants(ident).items():
        cap = Cap()
        http_flow(cap, req)
        cap.write(os.path.join(out, "enc_%s.pcap" % name))


def case_reassembly(out, ident):
    req = imei_get(ident)
    cut = req.index(ident["imei"].encode()) + 7          # inside the IMEI
    segs = split(req, [cut])
    for name, order in (("tcp_split", segs),
                        ("tcp_ooo", None),
                        ("tcp_retrans", None)):
        cap = Cap()
        if name == "tcp_ooo":
            three = split(req, [cut - 20, 20])           # 1 | 2 (IMEI start) | 3
            order = [three[2], three[0], three[1]]
        elif name == "tcp_retrans":
            three = split(req, [cut - 20, 20])
            o1, d1 = three[1]
            overlap = (o1 + 5, req[o1 + 5:o1 + 30])      # partial overlap into segment 3
            order = [three[0], three[1], three[1], overlap, three[2]]
        http_flow(cap, req, segments=order)
        cap.write(os.path.join(out, "%s.pcap" % name))


def case_bodies(out, ident):
    imei = ident["imei"]
    body = ('{"device":{"imei":"%s","model":"2014818","miui":"V6.1.1.0"}}' % imei).encode()
    cut = body.index(imei.encode()) + 6
    reqs = {
        "body_chunked": http_post("/api/v2/stat", b"", ctype="application/json",
                                  chunks=[body[:cut], body[cut:]]),
        "body_gzip": http_post("/api/v2/stat", gzip_bytes(body), ctype="application/json",
                               headers=["Content-Encoding: gzip"]),
        "body_deflate": http_post("/api/v2/stat", zlib.compress(body, 6), ctype="application/json",
                                  headers=["Content-Encoding: deflate"]),
    }
    gz = gzip_bytes(body)
    reqs["body_gzip_chunked"] = http_post("/api/v2/stat", b"", ctype="application/json",
                                          headers=["Content-Encoding: gzip"],
                                          chunks=[gz[:20], gz[20:]])
    for name, req in reqs.items():
        cap = Cap()
        http_flow(cap, req)
        cap.write(os.path.join(out, "%s.pcap" % name))


def case_foreign(out, ident):
    cap = Cap()
    http_flow(cap, imei_get(ident), dst=CN, sport=43210)
    http_flow(cap, http_get("/v1/register?imei=%s" % ident["imei"], host="api.example.in"),
              dst=IN, sport=43211)
    cap.write(os.path.join(out, "foreign_domestic.pcap"))


def case_negatives(out, ident):
    imei = ident["imei"]
    # Server -> phone only: the response carries the IMEI, the request does not.
    cap = Cap()
    http_flow(cap, http_get("/api/v2/device/info?model=2014818"),
              response=http_ok(('{"imei":"%s"}' % imei).encode()))
    cap.write(os.path.join(out, "neg_server_to_phone.pcap"))
    # Luhn-failing neighbour of the IMEI.
    d = int(imei[7])
    bad = imei[:7] + str((d + 1) % 10) + imei[8:]
    assert not luhn_ok(bad)
    cap = Cap()
    http_flow(cap, http_get("/api/v2/device/register?imei=%s&model=2014818" % bad))
    cap.write(os.path.join(out, "neg_luhn.pcap"))


def case_midflow(out, ident):
    """Capture starts mid-connection with a server packet: the phone is still the client."""
    cap = Cap()
    tail = http_ok()[-12:]
    req = imei_get(ident)

    def seg(out_, seq, ack, data=b"", flags="PA"):
        s, d, sp, dp = (PHONE, CN, 43300, 80) if out_ else (CN, PHONE, 80, 43300)
        p = _ip(cap, s, d) / TCP(sport=sp, dport=dp, flags=flags, seq=seq, ack=ack, window=65535)
        cap.add(bytes(p / Raw(data)) if data else bytes(p), out_)
    seg(False, 9000, 3000, tail)
    seg(True, 3000, 9000 + len(tail), flags="A")
    seg(True, 3000, 9000 + len(tail), req)
    seg(False, 9000 + len(tail), 3000 + len(req), http_ok())
    cap.write(os.path.join(out, "midflow_server_first.pcap"))


def case_misc_kinds(out, ident):
    contact, sms = ident_contact_phone(ident), ident_sms(ident)
    q = lambda s: urllib.parse.quote(s, safe="")
    form = "op=sync&contact=%s&sms_from=%s&ts=1407661200" % (q(contact), q(sms))
    reqs = {
        "kind_contact_sms": http_post("/api/v2/sync", form.encode()),
        "kind_carrier": http_get("/api/v2/ping", headers=["X-Carrier: " + ident["carrier"]]),
        "kind_email": http_get("/api/v2/user?email=" + q(ident["email"])),
    }
    lat, lon = ident_location(ident)
    reqs["kind_location"] = http_post(
        "/api/v2/weather", ('{"lat":%.6f,"lon":%.6f,"acc":20}' % (lat, lon)).encode(),
        ctype="application/json")
    for name, req in reqs.items():
        cap = Cap()
        http_flow(cap, req)
        cap.write(os.path.join(out, "%s.pcap" % name))
    cap = Cap()
    udp(cap, PHONE, 41000, CN, 5683,
        b"\x40\x02\x12\x34\xb4push" + b"\xff" + ("aid=%s" % ident["android_id"]).encode())
    udp(cap, CN, 5683, PHONE, 41000, b"\x60\x44\x12\x34", out=False)
    cap.write(os.path.join(out, "udp_payload.pcap"))


def case_hosts(out, ident):
    cap = Cap()
    dns_lookup(cap, "push.xiaomi.com", CN)
    payload = b"\x00\x01XMPUSH\x00" + ("dev=%s;" % ident["imei"]).encode() + b"\x00\x00"
    tcp_session(cap, PHONE, 44000, CN, 5222, payload, b"\x00\x02OK\x00")
    cap.write(os.path.join(out, "host_dns.pcap"))
    cap = Cap()
    hello = tls_client_hello("account.xiaomi.com")
    # The IMEI bytes inside TLS application data must not be reported.
    req = hello + tls_app_data(("imei=%s" % ident["imei"]).encode())
    tcp_session(cap, PHONE, 44001, CN, 443, req, tls_server_blob())
    cap.write(os.path.join(out, "host_sni.pcap"))


def case_truncated(out, ident):
    cap = Cap()
    http_flow(cap, imei_get(ident))
    path = os.path.join(out, "truncated.pcap")
    cap.write(path)
    frames = cap.frames("ether")
    # Cut in the middle of the last record's data.
    size = os.path.getsize(path) - len(frames[-1][1]) // 2
    with open(path, "r+b") as f:
        f.truncate(size)
    with open(os.path.join(out, "truncated.meta.json"), "w") as f:
        json.dump({"complete_records": len(frames) - 1}, f)


def case_malformed(out, ident):
    """Five broken packets between the halves of a valid HTTP session."""
    cap = Cap()
    http_flow(cap, imei_get(ident))
    good = cap.frames("ether")
    bad = []
    # IPv4 with IHL 15 (60-byte header) and total length 400 in a 28-byte packet.
    ip = bytearray(bytes(IP(src=PHONE, dst=CN, id=0x2001) / UDP(sport=1, dport=2)))
    ip[0] = 0x4F
    ip[2:4] = struct.pack("!H", 400)
    bad.append(link_ether(bytes(ip), True))
    # TCP with data offset 15 (60 bytes) in a 20-byte TCP header.
    t = bytearray(bytes(IP(src=PHONE, dst=CN, id=0x2002) / TCP(sport=43999, dport=80, flags="PA",
                                                               seq=1, ack=1)))
    t[20 + 12] = 0xF0 | (t[20 + 12] & 0x0F)
    bad.append(link_ether(bytes(t), True))
    # UDP header cut to 4 bytes (IP total length says so too).
    u = bytearray(bytes(IP(src=PHONE, dst=CN, id=0x2003, proto=17) / Raw(b"\x9c\x40\x00\x35")))
    bad.append(link_ether(bytes(u), True))
    # Unknown ethertype 0x88b5 (local experimental).
    bad.append(link_ether(b"\x01\x02\x03\x04" * 10, True, ethertype=0x88B5))
    # ARP request for the gateway.
    arp = (struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + _mac(PHONE_MAC) + bytes([192, 168, 43, 100])
           + b"\0" * 6 + bytes([192, 168, 43, 1]))
    bad.append(_mac("ff:ff:ff:ff:ff:ff") + _mac(PHONE_MAC) + b"\x08\x06" + arp)
    ts = good[2][0]
    frames = good[:3] + [(ts + 0.001 * (i + 1), b) for i, b in enumerate(bad)] + good[3:]
    write_pcap(os.path.join(out, "malformed.pcap"), 1, frames)
    with open(os.path.join(out, "malformed.meta.json"), "w") as f:
        json.dump({"records": len(frames), "bad": len(bad)}, f)


def case_bad_inputs(out, ident):
    with open(os.path.join(out, "not_a_capture.txt"), "w") as f:
        f.write("this is not a capture file\n" * 4)
    with open(os.path.join(out, "identity-malformed.json"), "w") as f:
        f.write('{"imei": "%s", "phone_number": \n' % ident["imei"])
    unk = dict(ident["_raw"])
    unk["shoe_size"] = ["44"]
    with open(os.path.join(out, "identity-unknown-key.json"), "w") as f:
        json.dump(unk, f, indent=2)
    bad = dict(ident["_raw"])
    imei = ident["imei"]
    bad["imei"] = [imei[:-1] + str((int(imei[-1]) + 1) % 10)]
    assert not luhn_ok(bad["imei"][0])
    with open(os.path.join(out, "identity-bad-luhn.json"), "w") as f:
        json.dump(bad, f, indent=2)
    with open(os.path.join(out, "corrupt.mmdb"), "wb") as f:
        f.write(b"\x00" * 64 + b"not a maxmind database" + b"\xab" * 200)


def redmi_session(cap, ident):
    """A Redmi-1S-like session on a hotspot (used by the sample and the redmi1s case)."""
    q = lambda s: urllib.parse.quote(s, safe="")
    imei, phone = ident["imei"], ident["phone_number"]
    dns_lookup(cap, XIAOMI, CN, sport=40001, txid=0x0A01)
    dns_lookup(cap, "api.example.in", IN, sport=40002, txid=0x0A02)
    dns_lookup(cap, "www.google.com", US, sport=40003, txid=0x0A03)
    dns_lookup(cap, "data.mistat.xiaomi.com", CN, sport=40004, txid=0x0A04)
    login = ("user=%s&imei=%s&carrier=%s&_json=true&sid=passport" % (
        q(phone), imei, q(ident["carrier"]))).encode()
    http_flow(cap, http_post("/pass/serviceLogin", login, headers=[
        "X-Carrier: " + ident["carrier"]]), sport=45001,
        response=http_ok(b'{"code":0,"desc":"ok","location":"https://account.xiaomi.com/"}'))
    http_flow(cap, http_get("/api/user/device_setting?imei=%s&phone=%s&model=2014818" % (
        imei, q(phone))), sport=45002)
    http_flow(cap, http_get("/api/contacts/sync?op=add&number=%s&name=%s" % (
        q(ident_contact_phone(ident)), q(ident["contacts"][0].get("name", "x")))), sport=45003)
    http_flow(cap, http_post("/api/sms/stat", ("from=%s&imei=%s&t=1407661300" % (
        q(ident_sms(ident)), imei)).encode()), sport=45004)
    tcp_session(cap, PHONE, 45005, CN, 443, tls_client_hello("account.xiaomi.com")
                + tls_app_data(bytes(range(48))), tls_server_blob())
    tcp_session(cap, PHONE, 45006, US, 443, tls_client_hello("www.google.com")
                + tls_app_data(bytes(range(32))), tls_server_blob(), isn_c=7000, isn_s=9000)
    http_flow(cap, http_get("/v1/config?imei=%s&carrier=%s" % (imei, q(ident["carrier"])),
                            host="api.example.in"), dst=IN, sport=45007)


def case_redmi(out, ident):
    cap = Cap()
    redmi_session(cap, ident)
    cap.write(os.path.join(out, "redmi1s.pcap"))


CASES = [case_links, case_ipv6, case_encodings, case_reassembly, case_bodies, case_foreign,
         case_negatives, case_midflow, case_misc_kinds, case_hosts, case_truncated, case_malformed,
         case_bad_inputs, case_redmi]


HOSTILE_HOST = "<script>alert(1)</script>"
HOSTILE_HOST2 = 'x"</style><img src=x onerror=alert(2)>.cn'
HOSTILE_UA = "</title></style><script>document.body.setAttribute('data-pwned','1')</script>"


def case_hostile(out, ident):
    """HTML/CSS injection attempts in every captured string the report shows: Host headers,
    user agent, URL, header names, a DNS name; each request also leaks the IMEI to CN."""
    cap = Cap()
    dns_lookup(cap, "a-b.evil-cdn.cn", CN, sport=40011, txid=0x0B01)
    http_flow(cap, http_get("/r?imei=%s&x=\"><script>alert(3)</script>" % ident["imei"],
                            host=HOSTILE_HOST, headers=["User-Agent2: " + HOSTILE_UA]), sport=46001)
    http_flow(cap, http_get("/s?imei=%s" % ident["imei"], host=HOSTILE_HOST2,
                            headers=["X-</style>: " + HOSTILE_UA]), sport=46002)
    cap.write(os.path.join(out, "hostile.pcap"))


CASES.append(case_hostile)

BOOK_SIZE = 34          # contacts in the address-book upload, two of them the identity's canaries
CANARY2 = {"name": "Meera Iyer", "phone": "+919812300002"}
OTHER_EMAIL = "arjun.mehta.friend@example.org"
CALLER = "+919845012345"  # an unknown caller's number, looked up


def book_identity(ident):
    """The identity with a second canary contact (the address-book cases)."""
    raw = json.loads(json.dumps(ident["_raw"]))
    raw["contacts"] = list(raw["contacts"]) + [CANARY2]
    return raw


def case_whose(out, ident):
    """Whose data: an address book of BOOK_SIZE contacts in one JSON POST (two canaries among
    strangers), a caller-ID lookup of an unknown number, an e-mail that is not the phone's, and
    the phone's own number; one flow each, in this order."""
    raw = book_identity(ident)
    with open(os.path.join(out, "identity-book.json"), "w") as f:
        json.dump(raw, f, indent=2)
    book = []
    for i in range(BOOK_SIZE):
        if i == 5:
            book.append(dict(raw["contacts"][0]))
        elif i == 20:
            book.append(dict(CANARY2))
        else:
            book.append({"name": "Friend %02d" % i, "phone": "+9198451%05d" % (1000 + 37 * i)})
    body = json.dumps({"device": "2014818", "contacts": book}).encode()
    cap = Cap()
    http_flow(cap, http_post("/api/contacts/upload", body, ctype="application/json"), sport=47001)
    http_flow(cap, http_get("/api/callerid/lookup?number=%s" % urllib.parse.quote(CALLER, safe="")),
              sport=47002)
    http_flow(cap, http_post("/api/share/invite", json.dumps({"to": OTHER_EMAIL, "via": "mail"}).encode(),
                             ctype="application/json"), sport=47003)
    http_flow(cap, http_get("/api/user/profile?msisdn=%s" % urllib.parse.quote(ident["phone_number"],
                                                                               safe="")), sport=47004)
    cap.write(os.path.join(out, "whose.pcap"))


CASES.append(case_whose)


def _solicited(addr):
    """Solicited-node multicast address of addr (RFC 4291)."""
    import ipaddress
    low = ipaddress.IPv6Address(addr).packed[-3:]
    return str(ipaddress.IPv6Address(bytes.fromhex("ff0200000000000000000001ff") + low))


def devices_session(cap, ident):
    """A phone joins an IPv6 hotspot (RS, RA, DAD for its global and a temporary address),
    gets an IPv4 lease by DHCP, and sends its IMEI over HTTP from its global address, its
    temporary address, a later temporary address (no DAD seen) and IPv4. A second phone is
    seen only sending from its global address. Each server echoes the IMEI back: what the
    gateway carries in must never count as sent by a device. Returns the frame indexes of
    the second phone."""
    imei = ident["imei"]
    echo = http_ok(('{"imei":"%s"}' % imei).encode())
    cap.add(bytes(IPv6(src=PHONE6_LL, dst="ff02::2", hlim=255) / ICMPv6ND_RS()), True)
    cap.add(bytes(IPv6(src=GW6_LL, dst="ff02::1", hlim=255) / ICMPv6ND_RA()
                  / ICMPv6NDOptPrefixInfo(prefix=PREFIX6 + "::", prefixlen=64)), False)
    for a in (PHONE6_GLOBAL, PHONE6_TEMP1):
        cap.add(bytes(IPv6(src="::", dst=_solicited(a), hlim=255) / ICMPv6ND_NS(tgt=a)), True)
    mac = _mac(PHONE_MAC)
    req = BOOTP(op=1, chaddr=mac + b"\0" * 10, xid=0x4301) / DHCP(options=[
        ("message-type", "request"), ("requested_addr", PHONE), ("hostname", "Redmi1S"),
        ("vendor_class_id", "android-dhcp-13"), "end"])
    cap.add(bytes(IP(src="0.0.0.0", dst="255.255.255.255", id=cap.next_id()) / UDP(sport=68, dport=67)
                  / req), True)
    ack = BOOTP(op=2, chaddr=mac + b"\0" * 10, xid=0x4301, yiaddr=PHONE, siaddr=GW) / DHCP(options=[
        ("message-type", "ack"), ("server_id", GW), ("lease_time", 3600), "end"])
    cap.add(bytes(IP(src=GW, dst="255.255.255.255", id=cap.next_id()) / UDP(sport=67, dport=68) / ack), False)
    http_flow(cap, imei_get(ident), src=PHONE6_GLOBAL, dst=CN6, sport=43401, response=echo)
    http_flow(cap, imei_get(ident), src=PHONE6_TEMP1, dst=CN6, sport=43402, response=echo)
    cap.t += 3600  # an hour later: a new temporary address, its DAD not captured
    http_flow(cap, imei_get(ident), src=PHONE6_TEMP2, dst=CN6, sport=43403, response=echo)
    http_flow(cap, imei_get(ident), src=PHONE, dst=CN, sport=43404, response=echo)
    first = len(cap.pkts)
    http_flow(cap, imei_get(ident), src=PHONE2_GLOBAL, dst=IN6, sport=43405, response=echo)
    return range(first, len(cap.pkts))


def devices_frames(cap, link, phone2):
    """The session's frames on Ethernet, Linux cooked v1 (the sender's MAC) or raw IP."""
    frames = []
    for i, (ts, out, l3) in enumerate(cap.pkts):
        phone = PHONE2_MAC if i in phone2 else PHONE_MAC
        src, dst = (phone, GW_MAC) if out else (GW_MAC, phone)
        if link == "ether":
            f = _mac(dst) + _mac(src) + struct.pack("!H", _ethertype(l3)) + l3
        elif link == "sll":
            f = struct.pack("!HHH", 4 if not out else 0, 1, 6) + _mac(src) + b"\0\0" + struct.pack(
                "!H", _ethertype(l3)) + l3
        else:
            f = l3
        frames.append((ts, f))
    return frames


def case_devices(out, ident):
    cap = Cap()
    phone2 = devices_session(cap, ident)
    for link, dlt in (("ether", 1), ("sll", 113), ("raw", 101)):
        write_pcap(os.path.join(out, "devices_%s.pcap" % link), dlt, devices_frames(cap, link, phone2))


CASES.append(case_devices)


def id_hosts(ident):
    """The host names of id_hosts.pcap: (DNS name, Host header, SNI, DHCP host name)."""
    return ("%s.t.example.cn" % ident["imei"], "%s.api.example.cn" % ident["imei"],
            "%s.push.example.cn" % ident["android_id"], "android-%s" % ident["android_id"])


def case_id_hosts(out, ident):
    """Identifiers inside host names: a DHCP host name android-<Android ID> (a leak from
    0.0.0.0), a DNS query for <IMEI>.t.example.cn and a TCP flow to its address, an HTTP request to US whose Host header
    is <IMEI>.api.example.cn, and a TLS ClientHello to IN naming <Android ID>.push.example.cn."""
    dns_name, http_host, sni, dhcp_name = id_hosts(ident)
    cap = Cap()
    req = BOOTP(op=1, chaddr=_mac(PHONE_MAC) + b"\0" * 10, xid=0x4302) / DHCP(options=[
        ("message-type", "request"), ("requested_addr", PHONE), ("hostname", dhcp_name), "end"])
    cap.add(bytes(IP(src="0.0.0.0", dst="255.255.255.255", id=cap.next_id()) / UDP(sport=68, dport=67)
                  / req), True)
    ack = BOOTP(op=2, chaddr=_mac(PHONE_MAC) + b"\0" * 10, xid=0x4302, yiaddr=PHONE, siaddr=GW) / DHCP(options=[
        ("message-type", "ack"), ("server_id", GW), ("lease_time", 3600), "end"])
    cap.add(bytes(IP(src=GW, dst="255.255.255.255", id=cap.next_id()) / UDP(sport=67, dport=68) / ack), False)
    # a resolver beyond the gateway: one on it (a private address) would count as a device,
    # its answer echoing the name as a second leak
    dns_lookup(cap, dns_name, CN, sport=40031, txid=0x0D01, server=IN)
    tcp_session(cap, PHONE, 44101, CN, 5222, b"\x00\x01hello\x00", b"\x00\x02OK\x00")
    http_flow(cap, http_get("/v1/ping", host=http_host), dst=US, sport=46101)
    tcp_session(cap, PHONE, 46102, IN, 443, tls_client_hello(sni), tls_server_blob())
    cap.write(os.path.join(out, "id_hosts.pcap"))


CASES.append(case_id_hosts)


def case_gateway_resolver(out, ident):
    """The hotspot's own resolver (GW:53, a private address) answers a query for <IMEI>.t.example.cn:
    the answer repeats the name, and must not be a second leak "sent" by the gateway. Its DHCP ACK
    repeats the phone's host name android-<Android ID> the same way."""
    dns_name, _h, _s, dhcp_name = id_hosts(ident)
    cap = Cap()
    dns_lookup(cap, dns_name, CN, sport=40041, txid=0x0D02)
    tcp_session(cap, PHONE, 44111, CN, 5222, b"\x00\x01hello\x00", b"\x00\x02OK\x00")
    req = BOOTP(op=1, chaddr=_mac(PHONE_MAC) + b"\0" * 10, ciaddr=PHONE, xid=0x4303) / DHCP(options=[
        ("message-type", "request"), ("hostname", dhcp_name), "end"])
    cap.add(bytes(IP(src=PHONE, dst=GW, id=cap.next_id()) / UDP(sport=68, dport=67) / req), True)
    ack = BOOTP(op=2, chaddr=_mac(PHONE_MAC) + b"\0" * 10, xid=0x4303, ciaddr=PHONE, yiaddr=PHONE) / DHCP(options=[
        ("message-type", "ack"), ("server_id", GW), ("hostname", dhcp_name), "end"])
    cap.add(bytes(IP(src=GW, dst=PHONE, id=cap.next_id()) / UDP(sport=67, dport=68) / ack), False)
    cap.write(os.path.join(out, "gateway_resolver.pcap"))


CASES.append(case_gateway_resolver)

def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: captures.py OUTDIR\n")
        return 2
    out = argv[1]
    os.makedirs(out, exist_ok=True)
    ident = load_identity()
    assert luhn_ok(ident["imei"]), "identity IMEI fails Luhn"
    with open(os.path.join(out, "identity.json"), "w") as f:
        json.dump(ident["_raw"], f, indent=2)
    with open(os.path.join(out, "encodings.json"), "w") as f:
        json.dump({k: v[1:] for k, v in encoding_variants(ident).items()}, f, indent=1)
    for case in CASES:
        case(out, ident)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
