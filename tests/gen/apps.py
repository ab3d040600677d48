#!/usr/bin/python3
"""apps.py - captures that say which app sent each packet, written byte for byte (deterministic).

PCAPdroid's pcap with its trailer (pcap_dump.c: fake Ethernet header, IP packet, padding to 4,
32-byte trailer: magic 0x01072021, uid, 20-byte name, CRC-32), PCAPdroid's pcapng (raw IP, a
Custom Block with PEN 62652 per uid, packet comments "u-<uid>"; both byte orders), Linux NFLOG
(DLT 239: TLVs with host-order lengths, NFULA_UID, NFULA_PAYLOAD), and the same traffic as a
plain raw-IP pcap.  Usage: apps.py OUTDIR

The PCAPdroid TLS captures (write_tls) carry a real TLS 1.3 session made in memory with Python's
ssl module: random keys, so those files differ from run to run (the rest is byte for byte).
"""
import json
import os
import struct
import sys
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import captures as C  # noqa: E402

VPN = "10.215.173.1"          # PCAPdroid's VPN address
SERVER = C.CN
# sport -> (uid, package, name): None = a frame without a trailer / uid
APPS = {
    40001: (10123, "com.example.weather", "Weather"),
    40002: (10145, "com.example.flashlight", "Flashlight"),
    40003: (-1, "", ""),
    40004: None,
}
NFLOG_UIDS = {40001: 10123, 40002: 1000, 40003: None, 40004: None}


def traffic(ident):
    """Four connections from the phone, each sending the IMEI to the same server: [(ts, l3, sport, out)]."""
    cap = C.Cap()
    marks = []
    for sport in sorted(APPS):
        start = len(cap.pkts)
        C.tcp_session(cap, VPN, sport, SERVER, 80, C.imei_get(ident, "&app=%d" % sport),
                      C.http_ok(), isn_c=1000 + sport, isn_s=9000 + sport)
        marks += [sport] * (len(cap.pkts) - start)
    return [(ts, l3, sport, out) for (ts, out, l3), sport in zip(cap.pkts, marks)]


def trailer_frame(l3, uid, name, cut=None, bad_crc=False):
    eth = b"\0" * 12 + (b"\x08\x00" if l3[0] >> 4 == 4 else b"\x86\xdd")
    frame = eth + l3
    frame += b"\0" * (-len(frame) % 4)
    t = struct.pack("!Ii", 0x01072021, uid) + name.encode()[:20].ljust(20, b"\0")
    crc = zlib.crc32(frame + t) & 0xffffffff
    frame += t + struct.pack("<I", crc ^ (1 if bad_crc else 0))
    return frame[:len(frame) - cut] if cut else frame


def plain_eth(l3):
    return b"\0" * 12 + (b"\x08\x00" if l3[0] >> 4 == 4 else b"\x86\xdd") + l3


def write_pcapdroid(path, pkts, bad=False):
    frames = []
    for i, (ts, l3, sport, out) in enumerate(pkts):
        app = APPS[sport]
        if app is None:
            frames.append((ts, plain_eth(l3)))
            continue
        uid, pkg, name = app
        label = name or ""
        cut = bad_crc = None
        if bad and sport == 40001 and l3[9] == 6 and len(l3) > 60:   # the request: trailer cut short
            cut = 10
        if bad and sport == 40002 and len(l3) > 60:                # the request: CRC wrong
            bad_crc = True
        frames.append((ts, trailer_frame(l3, uid, label, cut, bad_crc)))
    C.write_pcap(path, 1, frames)


def write_pcapng(path, pkts, endian="<", bad=False):
    with open(path, "wb") as f:
        def block(btype, body):
            body += b"\0" * (-len(body) % 4)
            n = len(body) + 12
            f.write(struct.pack(endian + "II", btype, n) + body + struct.pack(endian + "I", n))

        def opt(code, val):
            return struct.pack(endian + "HH", code, len(val)) + val + b"\0" * (-len(val) % 4)

        block(0x0A0D0D0A, struct.pack(endian + "IHHq", 0x1A2B3C4D, 1, 0, -1) +
              opt(4, b"PCAPdroid v1.7.0") + opt(0, b""))
        block(1, struct.pack(endian + "HHI", 101, 0, 65535))
        mapped = set()
        for ts, l3, sport, out in pkts:
            app = APPS[sport]
            opts = b""
            if app is not None:
                uid, pkg, name = app
                if uid not in mapped:
                    mapped.add(uid)
                    p, n = pkg.encode(), name.encode()
                    if bad and uid == 10145:  # lengths that run past the block
                        body = struct.pack(endian + "IHBBiBB", 62652, 1, 1, 0, uid, 200, 200) + p + n
                    else:
                        body = struct.pack(endian + "IHBBiBB", 62652, 1, 1, 0, uid, len(p), len(n)) + p + n
                    block(0x00000BAD, body)
                opts = opt(1, b"u-%d" % uid) + opt(0, b"")
            us = int(round(ts * 1e6))
            body = struct.pack(endian + "IIIII", 0, us >> 32, us & 0xffffffff, len(l3), len(l3))
            body += l3 + b"\0" * (-len(l3) % 4) + opts
            block(6, body)


def nflog_frame(l3, uid):
    def tlv(t, v):
        return struct.pack("<HH", 4 + len(v), t) + v + b"\0" * (-len(v) % 4)
    fr = struct.pack("!BBH", 2, 0, 0)
    fr += tlv(1, struct.pack("!HBB", 0x0800, 3, 0))            # NFULA_PACKET_HDR
    if uid is not None:
        fr += tlv(11, struct.pack("!i", uid))                   # NFULA_UID
    fr += tlv(10, b"phonehome\0")                               # NFULA_PREFIX
    fr += tlv(9, l3)                                            # NFULA_PAYLOAD
    return fr


def write_nflog(path, pkts):
    frames = [(ts, nflog_frame(l3, NFLOG_UIDS[sport] if out else None)) for ts, l3, sport, out in pkts]
    C.write_pcap(path, 239, frames)


# --apps: PCAPdroid's connections CSV (ConnectionsAdapter.dumpConnectionsCsv; header from
# res/values/strings.xml connections_csv_fields), for a plain capture of the same phone.
CSV_HEADER = ("IPProto,SrcIP,SrcPort,DstIp,DstPort,UID,App,Proto,Status,Info,BytesSent,BytesRcvd,"
              "PktsSent,PktsRcvd,FirstSeen,LastSeen")
# sport -> [(uid, app name)] one per connection, in time order; a second connection on 40005
# reuses the ports 700 s later (its row is told apart by FirstSeen..LastSeen)
CSV_APPS = {40001: [(10123, "Weather")], 40002: [(10145, "Flashlight, Pro")],
            40005: [(10200, "Maps"), (10300, "Browser")]}


def csv_capture(ident):
    """Plain raw-IP capture: 40001..40004 as in traffic(), then 40005 twice; [(sport, first_ts, last_ts)]."""
    cap = C.Cap()
    conns = []
    for i, sport in enumerate([40001, 40002, 40003, 40004, 40005, 40005]):
        start = len(cap.pkts)
        ts = C.T0 + (700 if i == 5 else 0) + i * 1.0
        cap.t = ts
        C.tcp_session(cap, VPN, sport, SERVER, 80, C.imei_get(ident, "&app=%d" % sport),
                      C.http_ok(), isn_c=1000 + sport + i, isn_s=9000 + sport)
        conns.append((sport, cap.pkts[start][0], cap.pkts[-1][0]))
    return cap, conns


def write_csv(path, conns, bad=None):
    rows = [CSV_HEADER]
    seen = {}
    for sport, t0, t1 in conns:
        apps = CSV_APPS.get(sport)
        if not apps:
            continue
        uid, name = apps[seen.get(sport, 0)]
        seen[sport] = seen.get(sport, 0) + 1
        rows.append("6,%s,%d,%s,80,%d,%s,HTTP,Closed,%s,200,100,5,4,%d,%d" % (
            VPN, sport, SERVER, uid, name, C.XIAOMI, int(t0 * 1000), int(t1 * 1000)))
    # a connection the capture does not have
    rows.append("17,%s,49999,8.8.8.8,53,1051,netd,DNS,Closed,example.com,60,120,1,1,%d,%d" % (
        VPN, C.T0 * 1000, C.T0 * 1000 + 50))
    if bad == "header":
        rows[0] = rows[0].replace("SrcPort,", "")
    elif bad == "field":
        rows[2] = rows[2].replace(",40002,", ",4000x,")
    with open(path, "w") as f:
        f.write("\n".join(rows) + "\n")


# Hints on a hotspot capture: sport -> (request, expected package, origin); 40105 also has a
# PCAPdroid trailer naming another app, which the hint must not override
def hint_requests(ident):
    imei = ident["imei"]
    get = "GET /v1/stat?imei=%s HTTP/1.1\r\nHost: %s\r\n%s\r\n" 
    return {
        40101: (get % (imei, C.XIAOMI, "X-Requested-With: com.miui.browser\r\nUser-Agent: Mozilla/5.0 (Linux; Android 13; wv)\r\n"),
                "com.miui.browser", "X-Requested-With"),
        40102: (get % (imei, C.XIAOMI, "User-Agent: Dalvik/2.1.0 (Linux; U; Android 13; M2101K6G Build/TKQ1) com.xiaomi.market/4.2\r\n"),
                "com.xiaomi.market", "User-Agent"),
        40103: (C.http_post("/v1/report", ('{"imei":"%s","packageName":"com.xiaomi.finddevice","ver":3}' % imei).encode(),
                            ctype="application/json"), "com.xiaomi.finddevice", "packageName"),
        40104: (C.http_post("/v1/report", ("imei=%s&app_id=com.miui.analytics&v=1" % imei).encode()),
                "com.miui.analytics", "app_id"),
        40105: (get % (imei, C.XIAOMI, "X-Requested-With: com.evil.webview\r\n"), None, None),
        40106: (get % (imei, C.XIAOMI, "X-Requested-With: XMLHttpRequest\r\nUser-Agent: okhttp/4.9.0\r\n"), None, None),
    }


def write_hints(path, ident):
    cap = C.Cap()
    marks = []
    for sport, (req, _, _) in sorted(hint_requests(ident).items()):
        start = len(cap.pkts)
        C.tcp_session(cap, VPN, sport, SERVER, 80, req.encode() if isinstance(req, str) else req,
                      C.http_ok(), isn_c=1000 + sport, isn_s=9000 + sport)
        marks += [sport] * (len(cap.pkts) - start)
    frames = []
    for (ts, out, l3), sport in zip(cap.pkts, marks):
        if sport == 40105:
            frames.append((ts, trailer_frame(l3, 10160, "Notes")))
        else:
            frames.append((ts, plain_eth(l3)))
    C.write_pcap(path, 1, frames)


# A real TLS 1.3 session of one app (the IMEI in its HTTP request), as PCAPdroid writes it:
# a pcapng whose Decryption Secrets Block comes after the session's packets (pcap_dump.c flushes
# the key log it learnt since the last export), and a pcap with trailers plus the key log that
# PCAPdroid exports beside it (MainActivity.startExportSslkeylogfile: "sslkeylogfile.txt").
TLS_APP = (10177, "com.example.maps", "Maps")
TLS_SPORT = 40010
TLS_HOST = "api.example.cn"


def tls_session(ident, keylog, certdir):
    """[(out, bytes)] of a TLS 1.3 exchange between two in-memory endpoints; keys logged to keylog."""
    import ssl
    import subprocess
    cert, key = os.path.join(certdir, "cert.pem"), os.path.join(certdir, "key.pem")
    if not os.path.exists(cert):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-keyout", key, "-out", cert, "-days", "3650", "-subj", "/CN=" + TLS_HOST],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if os.path.exists(keylog):
        os.unlink(keylog)
    sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sctx.load_cert_chain(cert, key)
    cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    cctx.check_hostname = False
    cctx.verify_mode = ssl.CERT_NONE
    cctx.keylog_filename = keylog
    for c in (sctx, cctx):
        c.minimum_version = c.maximum_version = ssl.TLSVersion.TLSv1_3
    bio = [ssl.MemoryBIO() for _ in range(4)]  # client in, client out, server in, server out
    cl = cctx.wrap_bio(bio[0], bio[1], server_hostname=TLS_HOST)
    sv = sctx.wrap_bio(bio[2], bio[3], server_side=True)
    segs = []

    def move():
        for out, src, dst in ((True, bio[1], bio[2]), (False, bio[3], bio[0])):
            data = src.read()
            if data:
                segs.append((out, data))
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
    request = C.http_get("/api/v2/device/register?imei=%s&app=maps" % ident["imei"], host=TLS_HOST)
    cl.write(request)
    move()
    if sv.read(65536) != request:
        raise RuntimeError("TLS exchange: the server did not read the request")
    sv.write(C.http_ok())
    move()
    cl.read(65536)
    return segs


def tls_packets(segs):
    """The exchange as one TCP connection from the phone: [(ts, l3)]."""
    from scapy.all import IP, TCP, Raw
    cap = C.Cap()
    seq = {True: 7000, False: 17000}

    def pkt(out, flags, data=b""):
        s, d, sp, dp = (VPN, SERVER, TLS_SPORT, 443) if out else (SERVER, VPN, 443, TLS_SPORT)
        p = IP(src=s, dst=d, id=cap.next_id()) / TCP(sport=sp, dport=dp, flags=flags, seq=seq[out],
                                                      ack=seq[not out] if "A" in flags else 0, window=65535)
        if data:
            p = p / Raw(data)
        cap.add(bytes(p), out)
        seq[out] += len(data) + (1 if "S" in flags or "F" in flags else 0)

    pkt(True, "S")
    pkt(False, "SA")
    pkt(True, "A")
    for out, data in segs:
        for i in range(0, len(data), 1400):
            pkt(out, "PA", data[i:i + 1400])
        pkt(not out, "A")
    pkt(True, "FA")
    pkt(False, "FA")
    pkt(True, "A")
    return [(ts, l3) for ts, out, l3 in cap.pkts]


def write_tls(out, ident):
    """pdtls-ng/pdtls.pcapng (DSB after the packets), pdtls-pcap/pdtls.pcap + sslkeylogfile.txt,
    pdtls-nokey/pdtls.pcap (no key log beside it)."""
    for d in ("pdtls-ng", "pdtls-pcap", "pdtls-nokey"):
        os.makedirs(os.path.join(out, d), exist_ok=True)
    keylog = os.path.join(out, "pdtls-pcap", "sslkeylogfile.txt")
    pkts = tls_packets(tls_session(ident, keylog, out))
    with open(keylog, "rb") as f:
        keys = f.read()
    uid, pkg, name = TLS_APP
    frames = [(ts, trailer_frame(l3, uid, name)) for ts, l3 in pkts]
    C.write_pcap(os.path.join(out, "pdtls-pcap", "pdtls.pcap"), 1, frames)
    C.write_pcap(os.path.join(out, "pdtls-nokey", "pdtls.pcap"), 1, frames)
    with open(os.path.join(out, "pdtls-ng", "pdtls.pcapng"), "wb") as f:
        def block(btype, body):
            body += b"\0" * (-len(body) % 4)
            f.write(struct.pack("<II", btype, len(body) + 12) + body + struct.pack("<I", len(body) + 12))

        def opt(code, val):
            return struct.pack("<HH", code, len(val)) + val + b"\0" * (-len(val) % 4)

        block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1) + opt(4, b"PCAPdroid v1.7.0") + opt(0, b""))
        block(1, struct.pack("<HHI", 101, 0, 65535))
        p, n = pkg.encode(), name.encode()
        block(0x00000BAD, struct.pack("<IHBBiBB", 62652, 1, 1, 0, uid, len(p), len(n)) + p + n)
        for ts, l3 in pkts:
            us = int(round(ts * 1e6))
            body = struct.pack("<IIIII", 0, us >> 32, us & 0xffffffff, len(l3), len(l3))
            block(6, body + l3 + b"\0" * (-len(l3) % 4) + opt(1, b"u-%d" % uid) + opt(0, b""))
        block(0x0000000A, struct.pack("<II", 0x544c534b, len(keys)) + keys)  # after the packets
    return keys


def main(out):
    os.makedirs(out, exist_ok=True)
    ident = C.load_identity()
    with open(os.path.join(out, "identity.json"), "w") as f:
        json.dump(ident["_raw"], f, indent=1)
    pkts = traffic(ident)
    write_pcapdroid(os.path.join(out, "pcapdroid.pcap"), pkts)
    write_pcapdroid(os.path.join(out, "pcapdroid-bad.pcap"), pkts, bad=True)
    write_pcapng(os.path.join(out, "pcapdroid-le.pcapng"), pkts, "<")
    write_pcapng(os.path.join(out, "pcapdroid-be.pcapng"), pkts, ">")
    write_pcapng(os.path.join(out, "pcapdroid-bad.pcapng"), pkts, "<", bad=True)
    write_nflog(os.path.join(out, "nflog.pcap"), pkts)
    C.write_pcap(os.path.join(out, "plain.pcap"), 101, [(ts, l3) for ts, l3, _, _ in pkts])
    cap, conns = csv_capture(ident)
    C.write_pcap(os.path.join(out, "csv.pcap"), 101, [(ts, l3) for ts, _, l3 in cap.pkts])
    write_csv(os.path.join(out, "connections.csv"), conns)
    write_csv(os.path.join(out, "bad-header.csv"), conns, bad="header")
    write_csv(os.path.join(out, "bad-field.csv"), conns, bad="field")
    write_hints(os.path.join(out, "hints.pcap"), ident)
    write_tls(out, ident)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "build/fixtures-apps")
