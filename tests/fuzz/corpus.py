#!/usr/bin/python3
"""tests/fuzz/corpus.py - seed corpora for the libFuzzer targets, from the real captures
in ../shared/pcaps/ndpi/, the generated e2e fixtures and the identity files.

usage: corpus.py OUTDIR CAPTURE...   (classic pcap files; pcapng ones are skipped)
Writes OUTDIR/<target>/<sha1> files; deterministic, capped per target."""
import glob
import gzip
import hashlib
import os
import re
import struct
import sys
import zlib

out = sys.argv[1]
caps = sys.argv[2:]
DLT_INDEX = {1: 0, 113: 1, 276: 2, 101: 3, 228: 4, 229: 5, 0: 6, 108: 7}
LIMIT = {"decode": 3000, "http": 1500, "dns": 1500, "reasm": 200, "decomp": 200, "identity": 50,
         "keylog": 200, "tlsdec": 1000}
count = {}


def seed(target, data):
    if count.get(target, 0) >= LIMIT[target]:
        return
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    p = os.path.join(d, hashlib.sha1(data).hexdigest())
    if not os.path.exists(p):
        open(p, "wb").write(data)
        count[target] = count.get(target, 0) + 1


def packets(path):
    b = open(path, "rb").read()
    if len(b) < 24:
        return
    magic = b[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        return
    dlt = struct.unpack(e + "I", b[20:24])[0] & 0xffff
    off = 24
    while off + 16 <= len(b):
        incl = struct.unpack(e + "I", b[off + 8:off + 12])[0]
        if incl > 262144 or off + 16 + incl > len(b):
            return
        yield dlt, b[off + 16:off + 16 + incl]
        off += 16 + incl


def l4(dlt, f):
    """(proto, sport, dport, payload) of an Ethernet/raw IPv4 TCP/UDP frame, else None."""
    if dlt == 1:
        if len(f) < 14 or f[12:14] != b"\x08\x00":
            return None
        ip = f[14:]
    elif dlt in (101, 228):
        ip = f
    else:
        return None
    if len(ip) < 20 or ip[0] >> 4 != 4:
        return None
    hl = (ip[0] & 15) * 4
    proto = ip[9]
    t = ip[hl:]
    if proto == 6 and len(t) >= 20:
        return 6, struct.unpack(">H", t[0:2])[0], struct.unpack(">H", t[2:4])[0], t[(t[12] >> 4) * 4:]
    if proto == 17 and len(t) >= 8:
        return 17, struct.unpack(">H", t[0:2])[0], struct.unpack(">H", t[2:4])[0], t[8:]
    return None


METHODS = (b"GET ", b"POST ", b"PUT ", b"HEAD ", b"OPTIONS ", b"CONNECT ")
for path in caps:
    n = 0
    for dlt, f in packets(path):
        n += 1
        if n > 400:
            break
        if dlt in DLT_INDEX and n <= 20:
            seed("decode", bytes([DLT_INDEX[dlt]]) + f)
        r = l4(dlt, f)
        if not r:
            continue
        proto, sp, dp, pl = r
        if proto == 6 and pl.startswith(METHODS):
            seed("http", b"\x20" + pl)
        if proto == 17 and sp in (53, 5353) and pl:
            seed("dns", pl)

body = b'{"imei":"862345021234568","phone":"+919876543210"}' * 4
reqs = [
    b"POST /a?x=1 HTTP/1.1\r\nHost: h.example\r\nContent-Length: %d\r\n\r\n" % len(body) + body,
    b"POST /b HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    b"POST /c HTTP/1.1\r\nHost: h\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n"
    % len(gzip.compress(body, mtime=0)) + gzip.compress(body, mtime=0),
    b"POST /d HTTP/1.1\r\nHost: h\r\nContent-Encoding: deflate\r\nTransfer-Encoding: chunked\r\n\r\n"
    + b"%x\r\n" % len(zlib.compress(body)) + zlib.compress(body) + b"\r\n0\r\n\r\n",
    b"GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x05hello",
]
for i, r in enumerate(reqs):
    seed("http", bytes([i * 9]) + r)
    seed("http", b"\xff" + r + r)
for i, c in enumerate([gzip.compress(body, mtime=0), zlib.compress(body), zlib.compress(body)[2:-4], body]):
    seed("decomp", bytes([(1 + i) % 4, 0]) + c)
    seed("decomp", bytes([(1 + i) % 4, 1]) + c[: len(c) // 2])
for i in range(60):
    recs = b""
    for j in range(4):
        recs += struct.pack(">IBB", (i * 37 + j * 100) & 0x3ff, 20 + j, (i >> j) & 0x83) + bytes([65 + j]) * (20 + j)
    seed("reasm", bytes([i & 1]) + recs)
root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
for p in sorted(glob.glob(os.path.join(root, "rules", "*.json")) + [os.path.join(root, "bench", "identity.json")]):
    seed("identity", open(p, "rb").read())


def pcapng_prefix(path):
    """A pcapng file up to its first packet block (keylog_add_pcapng reads every block; this seed stops there) plus that block."""
    b = open(path, "rb").read()
    if b[:4] != b"\x0a\x0d\x0d\x0a" or len(b) < 12:
        return None
    e = "<" if b[8:12] == b"\x4d\x3c\x2b\x1a" else ">"
    off = 0
    while off + 12 <= len(b) and off < 65536:
        t, n = struct.unpack(e + "II", b[off:off + 8])
        if n < 12:
            break
        off += n
        if t in (2, 3, 6):
            break
    return b[:min(off, 65536)]


def pcapng_block(e, t, body):
    body += b"\0" * (-len(body) % 4)
    n = len(body) + 12
    return struct.pack(e + "II", t, n) + body + struct.pack(e + "I", n)


def pcapng_dsb(text, big=False, tail=b""):
    """SHB, a Decryption Secrets Block of type TLSK with text, an IDB, tail (blocks after)."""
    e = ">" if big else "<"
    shb = pcapng_block(e, 0x0A0D0D0A, struct.pack(e + "IHHq", 0x1A2B3C4D, 1, 0, -1))
    dsb = pcapng_block(e, 0x0A, struct.pack(e + "II", 0x544C534B, len(text)) + text)
    idb = pcapng_block(e, 1, struct.pack(e + "HHI", 1, 0, 65535))
    return shb + dsb + idb + tail


# keylog: NSS key log text and pcapng Decryption Secrets Blocks
CR = bytes.fromhex("cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7")
lines = [
    b"CLIENT_RANDOM %s %s" % (CR.hex().encode(), bytes(range(48)).hex().encode()),
    b"CLIENT_HANDSHAKE_TRAFFIC_SECRET %s %s" % (CR.hex().encode(), bytes(range(1, 33)).hex().encode()),
    b"SERVER_HANDSHAKE_TRAFFIC_SECRET %s %s" % (CR.hex().upper().encode(), bytes(range(2, 34)).hex().encode()),
    b"CLIENT_TRAFFIC_SECRET_0 %s %s" % (CR.hex().encode(), bytes(range(3, 51)).hex().encode()),
    b"SERVER_TRAFFIC_SECRET_0 %s %s" % (CR.hex().encode(), bytes(range(4, 52)).hex().encode()),
    b"EXPORTER_SECRET %s %s" % (CR.hex().encode(), bytes(32).hex().encode()),
    b"CLIENT_EARLY_TRAFFIC_SECRET %s %s" % (CR.hex().encode(), bytes(32).hex().encode()),
    b"RSA 0123456789abcdef 0303" + b"ab" * 46,
    b"# SSL/TLS secrets log file, generated by NSS",
    b"CLIENT_RANDOM %s %s" % (bytes(32).hex().encode(), bytes(64).hex().encode()),
    b"CLIENT_RANDOM %s %s" % (CR.hex()[:62].encode(), bytes(48).hex().encode()),
    b"NOT A KEY LOG LINE",
    b"",
]
good = b"\n".join(lines[:9]) + b"\n"
seed("keylog", good)
seed("keylog", good.replace(b"\n", b"\r\n"))
seed("keylog", good[:-1])
seed("keylog", b"\n".join(lines) + b"\n" + b"A" * 600 + b"\n" + lines[0])
for i in range(40):  # many randoms: the hash table grows
    seed("keylog", b"".join(b"CLIENT_RANDOM %064x %s\n" % (i * 100 + j, bytes(48).hex().encode())
                            for j in range(20 + 13 * i)))
for i, l in enumerate(lines):
    seed("keylog", l + b"\n" + lines[(i + 3) % len(lines)])
epb = pcapng_block("<", 6, struct.pack("<IIIII", 0, 0, 0, 4, 4) + b"abcd")
seed("keylog", pcapng_dsb(good))
seed("keylog", pcapng_dsb(good, big=True))
seed("keylog", pcapng_dsb(good[:-1], tail=epb + pcapng_block("<", 0x0A, struct.pack("<II", 0x544C534B, 4) + b"x\n\n\n")))
seed("keylog", pcapng_dsb(lines[3] + b"\n" + lines[4]) + pcapng_dsb(lines[0])[28:])
seed("keylog", pcapng_dsb(b"") + pcapng_block("<", 0x0A, struct.pack("<II", 0x12345678, 4) + b"abcd"))
for p in sorted(glob.glob(os.path.join(root, "..", "shared", "pcaps", "ndpi", "*.pcapng")))[:60]:
    b = pcapng_prefix(p)
    if b:
        seed("keylog", b)

# tlsdec: cfg (suite index, etm, key log variant), split, srv, [server bytes], ops (fuzz_tlsdec.c)
src = open(os.path.join(root, "src", "tls_decrypt.c")).read()
SUITES = sorted((int(i, 16), int(t)) for i, t in re.findall(r'\{ 0x([0-9A-Fa-f]{4}), "\w+", (\d)', src))
SRV_RANDOM = bytes(0x5E ^ i for i in range(32))


def op(plain, typ=23, keys=0, damage=0, pad=0):
    return bytes([keys | damage << 2 | pad << 4, typ]) + struct.pack(">H", len(plain)) + plain


def server_hello_rec(suite, tls13, etm, padding=0):
    ext = (struct.pack(">HHH", 43, 2, 0x0304) if tls13 else b"") + (struct.pack(">HH", 22, 0) if etm else b"")
    if padding:  # longer than the 2048 bytes of a ServerHello kept
        ext += struct.pack(">HH", 21, padding) + bytes(padding)
    body = struct.pack(">H", 0x0303) + SRV_RANDOM + b"\0" + struct.pack(">HBH", suite, 0, len(ext)) + ext
    m = struct.pack(">I", 2 << 24 | len(body)) + body
    return struct.pack(">BHH", 22, 0x0303, len(m)) + m


REQ = b"POST /v1/track?imei=862345021234568 HTTP/1.1\r\nHost: api.example.test\r\nContent-Type: " \
      b"application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body
GET = b"GET /?phone=%2B919876543210 HTTP/1.1\r\nHost: api.example.test\r\nUser-Agent: x\r\n\r\n"
hb = b"\x83\x86\x84\x41\x10api.example.test\x40\x06x-imei\x0f862345021234568"
H2 = (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + struct.pack(">I", 0)[1:] + b"\x04\x00" + struct.pack(">I", 0)
      + struct.pack(">I", len(hb))[1:] + b"\x01\x04" + struct.pack(">I", 1) + hb
      + struct.pack(">I", len(body))[1:] + b"\x00\x01" + struct.pack(">I", 1) + body)
FIN = b"\x14\x00\x00\x20" + bytes(range(32))
KU = b"\x18\x00\x00\x01\x01"
for i, (sid, tls13) in enumerate(SUITES):
    for v in range(4):
        for etm in (0, 1):
            cfg = i | etm << 5 | v << 6
            if tls13:
                ops = op(FIN, 22) + op(REQ) + op(KU, 22) + op(GET)
                seed("tlsdec", bytes([cfg, 0, 0]) + ops)
                seed("tlsdec", bytes([cfg, 0x35, 0x1A]) + op(b"\x14\x03\x03\x00\x01\x01", 0, keys=3)
                     + op(FIN, 22, pad=2) + op(H2[:40]) + op(H2[40:], pad=15) + op(KU + KU, 22))
                seed("tlsdec", bytes([cfg, 0x01, 0x06]) + op(REQ, keys=2) + op(GET, damage=1) + op(GET, damage=2))
            elif v == 0:
                seed("tlsdec", bytes([cfg, 0, 0]) + op(REQ) + op(GET) + op(b"\x01\x00", 21))
                seed("tlsdec", bytes([cfg, 0x71, 0x18]) + op(H2, pad=1) + op(GET, pad=4) + op(GET, pad=8)
                     + op(GET, damage=3))
            else:
                seed("tlsdec", bytes([cfg, 0, 0]) + op(REQ))  # no keys for it: nothing decrypted
                continue
            sh = server_hello_rec(sid, tls13, etm)
            seed("tlsdec", bytes([cfg, 0x20, 1]) + struct.pack(">H", len(sh)) + sh + op(REQ[:30]) + op(REQ[30:])
                 + op(b"\x17\x03\x03\x00\x20" + bytes(32), keys=3))
for i, (sid, tls13) in enumerate(SUITES[:2] + SUITES[-2:]):
    sh = server_hello_rec(sid, tls13, 0, 2500)
    seed("tlsdec", bytes([SUITES.index((sid, tls13)), 0x70, 1]) + struct.pack(">H", len(sh)) + sh + op(REQ))
seed("tlsdec", bytes([0, 0, 0]) + op(b"\x17\x03\x03\x48\x01" + bytes(0x4801), keys=3))
seed("tlsdec", bytes([0, 0, 0]) + op(b"\x16\x03\x03\x00\x04\x02\x00\x00\x00", 0x80, keys=3) + op(REQ))
print("fuzz corpus:", ", ".join(f"{k} {v}" for k, v in sorted(count.items())))
