#!/usr/bin/python3
"""obfuscation.py - the leak-detection corpus: one capture per encoding chain, per payload
decoder, per channel and per detector rule, plus negatives (captures.py builds the packets).

CLI: `obfuscation.py OUTDIR` writes OUTDIR/obf_*.pcap and OUTDIR/obfuscation.json, the
manifest: name -> {pcap, identity (bool), expect: [{kind, encoding, where, confidence, dest_port,
key?, name?}], negative (bool)}.  Deterministic: fixed clock, no randomness.
"""
import base64
import gzip
import hashlib
import json
import os
import struct
import subprocess
import sys
import urllib.parse
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import captures as C  # noqa: E402

import brotli  # noqa: E402  (Debian python3-brotli)

IDENT = C.load_identity()
IMEI = IDENT["imei"]
MAC = IDENT["mac"]
EMAIL = IDENT["email"]
PHONE = IDENT["phone_number"]
AID = IDENT["android_id"]
# Values no identity holds: what the detectors must find on their own.
OTHER_IMEI = "356938035643809"          # TAC 35693803, Luhn-valid
OTHER_MSISDN = "9876501234"
OTHER_EMAIL = "ravi.k.test@example.org"


def h(name, s, raw=False):
    d = hashlib.new(name, s.encode() if isinstance(s, str) else s)
    return d.digest() if raw else d.hexdigest()


def b64(b, url=False):
    b = b.encode() if isinstance(b, str) else b
    return (base64.urlsafe_b64encode(b) if url else base64.b64encode(b)).decode().rstrip("=")


def b32(b):
    b = b.encode() if isinstance(b, str) else b
    return base64.b32encode(b).decode().rstrip("=")


def rot13(s):
    return s.translate(str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
                                     "NOPQRSTUVWXYZABCDEFGHIJKLMnopqrstuvwxyzabcdefghijklm"))


def zstd_bytes(data):
    p = subprocess.run(["zstd", "-q", "-c", "-19", "--no-check"], input=data, stdout=subprocess.PIPE,
                       check=True)
    return p.stdout


def ws_frame(payload, opcode=1, mask=b"\x37\xfa\x21\x3d"):
    """A masked client frame (RFC 6455 5.2)."""
    n = len(payload)
    hdr = bytes([0x80 | opcode])
    if n < 126:
        hdr += bytes([0x80 | n])
    else:
        hdr += bytes([0x80 | 126]) + struct.pack("!H", n)
    return hdr + mask + bytes(b ^ mask[i & 3] for i, b in enumerate(payload))


def mqtt_str(s):
    return struct.pack("!H", len(s)) + s


def mqtt_connect(client_id):
    var = mqtt_str(b"MQTT") + b"\x04\x02\x00\x3c"
    body = var + mqtt_str(client_id)
    return bytes([0x10, len(body)]) + body


def mqtt_publish(topic, payload):
    body = mqtt_str(topic) + payload
    return bytes([0x30, len(body)]) + body


def dns_query(cap, name, sport):
    q = C.DNS(id=0x4242, rd=1, qd=C.DNSQR(qname=name, qtype="A"))
    cap.add(bytes(C._ip(cap, C.PHONE, C.GW) / C.UDP(sport=sport, dport=53) / q), True)


CASES = {}


def case(name, identity, expect, build, negative=False):
    CASES[name] = {"identity": identity, "expect": expect, "build": build, "negative": negative}


def E(kind, encoding, where, confidence="confirmed", dest_port=80, **kw):
    d = {"kind": kind, "encoding": encoding, "where": where, "confidence": confidence,
         "dest_port": dest_port}
    d.update(kw)
    return d


def get(path, headers=()):
    return lambda cap: C.http_flow(cap, C.http_get(path, headers=headers))


def post(path, body, ctype, headers=()):
    return lambda cap: C.http_flow(cap, C.http_post(path, body, ctype=ctype, headers=headers))


# ------------------------------------------------------------ precomputed chains (identity)
for alg in ("md5", "sha1", "sha256", "sha512"):
    case("hash_%s" % alg, True, [E("imei", alg, "url", key="h")], get("/t?h=" + h(alg, IMEI)))
case("hash_md5_upper", True, [E("imei", "md5", "header", name="X-Sign")],
     get("/t", ["X-Sign: " + h("md5", IMEI).upper()]))
case("base64_md5_raw", True, [E("imei", "base64>md5", "url", key="d")],
     get("/t?d=" + urllib.parse.quote(b64(h("md5", IMEI, raw=True)), safe="")))
case("base64url_sha256_raw", True, [E("imei", "base64url>sha256", "url", key="d")],
     get("/t?d=" + b64(h("sha256", IMEI, raw=True), url=True)))
case("base32_sha1_raw", True, [E("imei", "base32>sha1", "url", key="d")],
     get("/t?d=" + b32(h("sha1", IMEI, raw=True))))
for outer, inner in (("sha1", "md5"), ("md5", "sha256"), ("sha256", "sha1"), ("md5", "md5")):
    case("double_%s_%s" % (outer, inner), True, [E("imei", "%s>%s" % (outer, inner), "url", key="k")],
         get("/t?k=" + h(outer, h(inner, IMEI))))
case("sha1_upper_android_id", True, [E("android_id", "sha1>upper", "url", key="a")],
     get("/t?a=" + h("sha1", AID.upper())))
case("sha256_mac_nosep", True, [E("mac", "sha256", "url", key="m")],
     get("/t?m=" + h("sha256", MAC.replace(":", ""))))
case("md5_imei_nocheck", True, [E("imei", "md5>nocheck", "url", key="x")],
     get("/t?x=" + h("md5", IMEI[:14])))
case("md5_email_upper", True, [E("email", "md5>upper", "body", key="u")],
     post("/t", ("u=" + h("md5", EMAIL.upper())).encode(), "application/x-www-form-urlencoded"))
case("hex_imei", True, [E("imei", "hex", "url", key="v")], get("/t?v=" + IMEI.encode().hex()))
case("base32_email", True, [E("email", "base32", "body", dest_port=80)],
     post("/t", b32(EMAIL).encode(), "text/plain"))
case("html_email", True, [E("email", "html", "body")],
     post("/t", EMAIL.replace("@", "&#64;").replace(".", "&#x2e;").encode(), "text/html"))
case("jsonesc_email", True, [E("email", "jsonesc", "body")],
     post("/t", ('note: "%s"' % EMAIL.replace("@", "\\u0040")).encode(), "text/plain"))
case("reversed_imei", True, [E("imei", "reversed", "url", key="r")], get("/t?r=" + IMEI[::-1]))
case("rot13_email", True, [E("email", "rot13", "body")], post("/t", rot13(EMAIL).encode(), "text/plain"))
case("url_phone", True, [E("phone_number", "url", "url", key="p")],
     get("/t?p=" + urllib.parse.quote(PHONE, safe="")))
case("base64_imei", True, [E("imei", "base64", "header", name="X-D")], get("/t", ["X-D: " + b64(IMEI)]))

# ------------------------------------------------------------ payload decoding (identity)
XINFO = b64(gzip.compress(json.dumps({"imei": IMEI, "model": "2014818"}).encode(), mtime=0))
case("header_base64_gzip_json", True,
     [E("imei", "base64>gzip>json", "header", name="X-INFO", key="imei")],
     get("/t", ["X-INFO: " + XINFO]))
FORM_BLOB = b64(gzip.compress(json.dumps({"deviceInfo": {"id": IMEI}}).encode(), mtime=0))
case("form_base64_gzip_json", True,
     [E("imei", "base64>gzip>json", "body", key="data.deviceInfo.id")],
     post("/t", ("data=" + urllib.parse.quote(FORM_BLOB, safe="")).encode(),
          "application/x-www-form-urlencoded"))
case("form_base64_zlib", True, [E("email", "base64>deflate", "body", key="p")],
     post("/t", ("p=" + urllib.parse.quote(b64(zlib.compress(("mail:" + EMAIL).encode())), safe="")).encode(),
          "application/x-www-form-urlencoded"))
case("json_key_path", True, [E("imei", "plain", "body", key="deviceInfo.id")],
     post("/t", json.dumps({"deviceInfo": {"id": IMEI, "os": "4.4"}}).encode(), "application/json"))
case("json_unicode_escapes", True, [E("imei", "json", "body", key="imei")],
     post("/t", ('{"imei":"%s"}' % "".join("\\u%04x" % ord(c) for c in IMEI)).encode(), "application/json"))
case("json_in_json_string", True, [E("email", "json>jsonesc", "body", key="payload.user.mail")],
     post("/t", json.dumps({"payload": json.dumps({"user": {"mail": EMAIL.replace("@", "\u0040")}},
                                                  ensure_ascii=True).replace("@", "\\u0040")}).encode(),
          "application/json"))
case("form_key", True, [E("imei", "plain", "body", key="device_imei")],
     post("/t", ("device_imei=%s&v=2" % IMEI).encode(), "application/x-www-form-urlencoded"))
MP = b"----phb0undary"
MP_BODY = (b"------phb0undary\r\nContent-Disposition: form-data; name=\"meta\"\r\n\r\nv2\r\n"
           b"------phb0undary\r\nContent-Disposition: form-data; name=\"imei\"\r\n\r\n" + IMEI.encode() +
           b"\r\n------phb0undary--\r\n")
case("multipart_part", True, [E("imei", "plain", "body", key="imei")],
     post("/t", MP_BODY, "multipart/form-data; boundary=" + MP.decode()))
case("body_brotli", True, [E("imei", "br", "body", key="imei")],
     post("/t", brotli.compress(json.dumps({"imei": IMEI}).encode()), "application/json",
          ["Content-Encoding: br"]))
case("body_zstd", True, [E("imei", "zstd", "body", key="imei")],
     post("/t", zstd_bytes(json.dumps({"imei": IMEI}).encode()), "application/json",
          ["Content-Encoding: zstd"]))
case("cookie_md5", True, [E("imei", "md5", "header", name="Cookie", key="did")],
     get("/t", ["Cookie: sid=abc123; did=%s; lang=en" % h("md5", IMEI)]))


# ------------------------------------------------------------ channels (identity)
def ws_case(cap):
    req = C.http_get("/ws", headers=["Upgrade: websocket", "Connection: Upgrade",
                                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
                                     "Sec-WebSocket-Version: 13"])
    msg = json.dumps({"type": "hello", "imei": IMEI}).encode()
    resp = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")
    C.tcp_session(cap, C.PHONE, 43300, C.CN, 80, req + ws_frame(msg), resp)


case("websocket_text", True, [E("imei", "plain", "websocket", key="imei")], ws_case)


def mqtt_case(cap):
    data = mqtt_connect(b"dev-1") + mqtt_publish(b"t/reg", ("imei=" + IMEI).encode())
    C.tcp_session(cap, C.PHONE, 43301, C.CN, 1883, data, b"\x20\x02\x00\x00")


case("mqtt_publish", True, [E("imei", "plain", "mqtt", dest_port=1883)], mqtt_case)


def xmpp_case(cap):
    data = ("<?xml version='1.0'?><stream:stream to='chat.example.cn' xmlns='jabber:client'>"
            "<iq type='set'><vcard><EMAIL>%s</EMAIL></vcard></iq>" % EMAIL).encode()
    C.tcp_session(cap, C.PHONE, 43302, C.CN, 5222, data, b"<?xml version='1.0'?><stream:stream>")


case("xmpp_stanza", True, [E("email", "plain", "xmpp", dest_port=5222)], xmpp_case)
case("dns_md5_label", True, [E("imei", "md5", "dns", dest_port=53)],
     lambda cap: dns_query(cap, "%s.t.tracker.example.cn" % h("md5", IMEI), 40100))
case("dns_base32_sha1", True, [E("imei", "base32>sha1", "dns", dest_port=53)],
     lambda cap: dns_query(cap, "%s.x.example.cn" % b32(h("sha1", IMEI, raw=True)).lower(), 40101))
case("raw_tcp_base64", True, [E("imei", "base64", "payload", dest_port=9000)],
     lambda cap: C.tcp_session(cap, C.PHONE, 43303, C.CN, 9000,
                               b"\x00\x07HELLO\x00" + b64(IMEI).encode() + b"\x00", b"\x00OK"))
case("raw_udp_sha256", True, [E("android_id", "sha256", "payload", dest_port=7000)],
     lambda cap: C.udp(cap, C.PHONE, 41000, C.CN, 7000, b"\x01\x02" + h("sha256", AID).encode()))

# ------------------------------------------------------------ detectors (no identity)
S = "suspected"
case("det_imei_raw", False, [E("imei", "plain", "payload", S, dest_port=9001)],
     lambda cap: C.tcp_session(cap, C.PHONE, 43310, C.CN, 9001, b"\x00\x01dev:" + OTHER_IMEI.encode() + b";",
                               b"ok"))
case("det_imei_key", False, [E("imei", "plain", "url", S, key="imei")], get("/d?imei=" + OTHER_IMEI))
case("det_meid_key", False, [E("meid", "plain", "url", S, key="meid")], get("/d?meid=A0000012345678"))
case("det_phone_e164", False, [E("phone_number", "plain", "url", S, key="mobile")],
     get("/d?mobile=%2B14155550123"))
case("det_phone_national", False, [E("phone_number", "plain", "body", S, key="msisdn")],
     post("/d", ("msisdn=" + OTHER_MSISDN).encode(), "application/x-www-form-urlencoded"))
case("det_phone_json", False, [E("phone_number", "plain", "body", S, key="user.tel")],
     post("/d", json.dumps({"user": {"tel": "0" + OTHER_MSISDN}}).encode(), "application/json"))
for kind, key, val in (("imsi", "imsi", "404451234567890"), ("iccid", "iccid", "8991101200003204510"),
                       ("device_id", "deviceid", "a1b2c3d4e5f60718"),
                       ("android_id", "android_id", "9774d56d682e549c"),
                       ("advertising_id", "gaid", "38400000-8cf0-11bd-b23e-10b96e40000d"),
                       ("advertising_id", "idfa", "6D92078A-8246-4BA4-AE5B-76104861E7DC"),
                       ("advertising_id", "oaid", "f7d9e3c2-44b1-4a7e-9c55-1d2e3f4a5b6c"),
                       ("mac", "mac", "02:1a:11:f0:c4:9e"), ("serial", "serial", "R58M12ABCDE"),
                       ("sms", "sms", "Your OTP is 482913"),
                       ("contact", "contacts", "Asha:9876512345")):
    case("det_key_%s_query" % key, False, [E(kind, "plain", "url", S, key=key)],
         get("/d?" + urllib.parse.urlencode({key: val})))
case("det_key_imsi_header", False, [E("imsi", "plain", "header", S, name="X-IMSI", key="IMSI")],
     get("/d", ["X-IMSI: 404451234567890"]))
case("det_key_deviceid_json", False, [E("device_id", "plain", "body", S, key="deviceInfo.id")],
     post("/d", json.dumps({"deviceInfo": {"id": "c0ffee00aa55"}}).encode(), "application/json"))
case("det_key_lat_json", False,
     [E("location", "plain", "body", S, key="lat"), E("location", "plain", "body", S, key="lon")],
     post("/d", b'{"lat":28.61394,"lon":77.20902}', "application/json"))
case("det_latlon_pair", False, [E("location", "plain", "body", S)],
     post("/d", b"pos 28.61394, 77.20902 acc 20", "text/plain"))
case("det_email", False, [E("email", "plain", "body", S)],
     post("/d", ("reg " + OTHER_EMAIL + " ok").encode(), "text/plain"))
case("det_address_book", False, [E("contact", "plain", "body", S)],
     post("/d", json.dumps({"book": [{"n": "A", "p": "+919812300011"}, {"n": "B", "p": "9812300022"},
                                     {"n": "C", "p": "09812300033"}, {"n": "D", "p": "+919812300044"}]}).encode(),
          "application/json"))
case("det_base64_gzip_json_key", False,
     [E("imei", "base64>gzip>json", "header", S, name="X-INFO", key="imei")],
     get("/d", ["X-INFO: " + b64(gzip.compress(json.dumps({"imei": OTHER_IMEI}).encode(), mtime=0))]))

# ------------------------------------------------------------ precision
case("confirmed_not_suspected", True, [E("imei", "plain", "url", key="imei")], get("/d?imei=" + IMEI))
case("neg_random_hex", True, [], get("/d?token=9f86d081884c7d659a2feaa0c55ad015"), negative=True)
case("neg_luhn_unrelated_key", False, [], get("/d?txn_id=%s&amount=100" % OTHER_IMEI), negative=True)
case("neg_order_number", False, [], get("/d?order_id=%s&qty=1" % OTHER_MSISDN), negative=True)
case("neg_server_response", True, [],
     lambda cap: C.http_flow(cap, C.http_get("/d/info"),
                             response=C.http_ok(json.dumps({"imei": IMEI, "mobile": PHONE,
                                                            "email": EMAIL}).encode())), negative=True)
case("neg_server_response_rules", False, [],
     lambda cap: C.http_flow(cap, C.http_get("/d/info"),
                             response=C.http_ok(json.dumps({"imei": OTHER_IMEI, "mobile": "+14155550123"}).encode())),
     negative=True)
case("neg_retina_image", False, [], get("/img/icon@2x.png?v=3"), negative=True)
case("neg_zero_placeholder", False, [], get("/d?imei=000000000000000&mac=00:00:00:00:00:00"), negative=True)


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: obfuscation.py OUTDIR\n")
        return 2
    out = argv[1]
    os.makedirs(out, exist_ok=True)
    manifest = {}
    for name, c in CASES.items():
        cap = C.Cap()
        c["build"](cap)
        path = os.path.join(out, "obf_%s.pcap" % name)
        cap.write(path)
        manifest[name] = {"pcap": os.path.basename(path), "identity": c["identity"],
                          "expect": c["expect"], "negative": c["negative"]}
    with open(os.path.join(out, "identity.json"), "w") as f:
        json.dump(IDENT["_raw"], f, indent=1)
    with open(os.path.join(out, "obfuscation.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
