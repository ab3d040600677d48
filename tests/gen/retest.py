#!/usr/bin/python3
"""retest.py - a capture pair for `phonehome diff`: the same phone before and after a firmware update.

Before: the IMEI in cleartext to api.account.xiaomi.com, the e-mail to api.example.in, the
Android ID to track.example.com in the US, the phone number to data.mistat.xiaomi.com, the
serial in a raw TCP stream (no host name) to a Google address.
After: the IMEI over TLS (a real TLS 1.3 exchange made in memory by Python's ssl module, keys in
retest_after.keys), no e-mail, track.example.com now in Singapore, data.mistat.xiaomi.com on another
address of the same organisation, the serial to another address of the same ASN, and a new leak
of the advertising ID to sdkconfig.ad.xiaomi.com in China.
Countries come from the test database (tests/gen/mkmmdb.pl).  Everything is deterministic but
the TLS bytes (OpenSSL's randoms and the throw-away certificate).
Usage: retest.py OUTDIR -> retest_before.pcap, retest_after.pcap, retest_after.keys, retest-identity.json
"""
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import captures  # noqa: E402
from captures import (Cap, PHONE, XIAOMI, dns_lookup, http_flow, http_get, http_post, http_ok,  # noqa: E402
                      tcp_session, _ip)
from scapy.all import TCP, Raw  # noqa: E402

CN_API = "220.181.111.10"         # api.account.xiaomi.com (AS23724, CN)
IN_API = "49.44.0.10"             # api.example.in (AS55836, IN)
TRACK_US = "142.250.70.20"        # track.example.com before (AS15169, US)
TRACK_SG = "103.1.0.20"           # track.example.com after (AS131111, SG)
MISTAT_OLD = "220.181.111.30"     # data.mistat.xiaomi.com before
MISTAT_NEW = "220.181.112.40"     # ... after: another address, same name and organisation
RAW_OLD = "142.250.70.100"        # raw stream, no host name (AS15169)
RAW_NEW = "142.251.5.5"           # ... after: another address of AS15169
ADS = "220.181.111.50"            # sdkconfig.ad.xiaomi.com (new after)
ADS_HOST = "sdkconfig.ad.xiaomi.com"
MISTAT = "data.mistat.xiaomi.com"
TRACK = "track.example.com"


def tcp_exchange(cap, src, sport, dst, dport, chunks, isn_c=3000, isn_s=8000, mss=1400):
    """TCP session carrying chunks [(from_phone, bytes)] in order, each ACKed; MSS-sized segments."""
    def pkt(out, flags, seq, ack, data=b""):
        s, d, sp, dp = (src, dst, sport, dport) if out else (dst, src, dport, sport)
        p = _ip(cap, s, d) / TCP(sport=sp, dport=dp, flags=flags, seq=seq, ack=ack, window=65535)
        cap.add(bytes(p / Raw(data)) if data else bytes(p), out)

    c, s = isn_c + 1, isn_s + 1
    pkt(True, "S", isn_c, 0)
    pkt(False, "SA", isn_s, c)
    pkt(True, "A", c, s)
    for out, data in chunks:
        for off in range(0, len(data), mss):
            seg = data[off:off + mss]
            if out:
                pkt(True, "PA", c, s, seg)
                c += len(seg)
            else:
                pkt(False, "PA", s, c, seg)
                s += len(seg)
        if out:  # the other side's ACK
            pkt(False, "A", s, c)
        else:
            pkt(True, "A", c, s)
    pkt(True, "FA", c, s)
    pkt(False, "FA", s, c + 1)
    pkt(True, "A", c + 1, s + 1)


def tls_chunks(sni, request, response, keylog, tmp):
    """A TLS exchange between two in-memory ssl objects: [(from_client, bytes)], key log appended."""
    cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-subj", "/CN=" + sni, "-days", "2", "-keyout", key, "-out", cert],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sctx.load_cert_chain(cert, key)
    sctx.num_tickets = 0
    cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    cctx.check_hostname = False
    cctx.verify_mode = ssl.CERT_NONE
    cctx.keylog_filename = keylog
    cin, cout, sin, sout = (ssl.MemoryBIO() for _ in range(4))
    cli = cctx.wrap_bio(cin, cout, server_side=False, server_hostname=sni)
    srv = sctx.wrap_bio(sin, sout, server_side=True)
    chunks = []

    def pump():
        for out, src, dst in ((True, cout, sin), (False, sout, cin)):
            data = src.read()
            if data:
                if chunks and chunks[-1][0] == out:
                    chunks[-1] = (out, chunks[-1][1] + data)
                else:
                    chunks.append((out, data))
                dst.write(data)

    done = [False, False]
    for _ in range(20):
        for i, obj in enumerate((cli, srv)):
            if not done[i]:
                try:
                    obj.do_handshake()
                    done[i] = True
                except ssl.SSLWantReadError:
                    pass
            pump()
        if all(done):
            break
    assert all(done), "in-memory TLS handshake did not finish"
    cli.write(request)
    pump()
    got = b""
    while len(got) < len(request):
        got += srv.read(65536)
    srv.write(response)
    pump()
    back = b""
    while len(back) < len(response):
        back += cli.read(65536)
    return chunks


def before(ident, path):
    q = lambda s: urllib.parse.quote(s, safe="")  # noqa: E731
    cap = Cap()
    dns_lookup(cap, XIAOMI, CN_API, sport=41001, txid=0x2001)
    http_flow(cap, http_get("/api/v2/device/register?imei=%s&model=2014818" % ident["imei"]), dst=CN_API,
              sport=47001)
    dns_lookup(cap, "api.example.in", IN_API, sport=41002, txid=0x2002)
    http_flow(cap, http_post("/v1/account", ("email=%s" % q(ident["email"])).encode(), host="api.example.in"),
              dst=IN_API, sport=47002)
    dns_lookup(cap, TRACK, TRACK_US, sport=41003, txid=0x2003)
    http_flow(cap, http_get("/t?aid=%s" % ident["android_id"], host=TRACK), dst=TRACK_US, sport=47003)
    dns_lookup(cap, MISTAT, MISTAT_OLD, sport=41004, txid=0x2004)
    http_flow(cap, http_post("/mistats", ("phone=%s" % q(ident["phone_number"])).encode(), host=MISTAT),
              dst=MISTAT_OLD, sport=47004)
    tcp_session(cap, PHONE, 47005, RAW_OLD, 5228, b"HELLO serial=%s\n" % ident["serial"].encode(), b"OK\n")
    cap.write(path)


def after(ident, path, keylog):
    q = lambda s: urllib.parse.quote(s, safe="")  # noqa: E731
    cap = Cap()
    dns_lookup(cap, XIAOMI, CN_API, sport=41001, txid=0x2001)
    tmp = tempfile.mkdtemp(prefix="ph-retest-")
    try:
        if os.path.exists(keylog):
            os.unlink(keylog)
        req = http_get("/api/v2/device/register?imei=%s&model=2014818" % ident["imei"])
        tcp_exchange(cap, PHONE, 47001, CN_API, 443, tls_chunks(XIAOMI, req, http_ok(), keylog, tmp))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    dns_lookup(cap, TRACK, TRACK_SG, sport=41003, txid=0x2003)
    http_flow(cap, http_get("/t?aid=%s" % ident["android_id"], host=TRACK), dst=TRACK_SG, sport=47003)
    dns_lookup(cap, MISTAT, MISTAT_NEW, sport=41004, txid=0x2004)
    http_flow(cap, http_post("/mistats", ("phone=%s" % q(ident["phone_number"])).encode(), host=MISTAT),
              dst=MISTAT_NEW, sport=47004)
    tcp_session(cap, PHONE, 47005, RAW_NEW, 5228, b"HELLO serial=%s\n" % ident["serial"].encode(), b"OK\n")
    dns_lookup(cap, ADS_HOST, ADS, sport=41006, txid=0x2006)
    http_flow(cap, http_get("/sdk/config?gaid=%s" % ident["advertising_id"], host=ADS_HOST), dst=ADS,
              sport=47006)
    cap.write(path)


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: retest.py OUTDIR\n")
        return 2
    out = argv[1]
    os.makedirs(out, exist_ok=True)
    ident = captures.load_identity()
    with open(os.path.join(out, "retest-identity.json"), "w") as f:
        json.dump(ident["_raw"], f, indent=2)
    before(ident, os.path.join(out, "retest_before.pcap"))
    after(ident, os.path.join(out, "retest_after.pcap"), os.path.join(out, "retest_after.keys"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
