#!/usr/bin/python3
"""tests/fuzz/corpus.py - seed corpora for the libFuzzer targets, from the real captures
in ../shared/pcaps/ndpi/, the generated e2e fixtures and the identity files.

usage: corpus.py OUTDIR CAPTURE...   (classic pcap files; pcapng ones are skipped)
Writes OUTDIR/<target>/<sha1> files; deterministic, capped per target."""
import glob
import gzip
import hashlib
import os
import struct
import sys
import zlib

out = sys.argv[1]
caps = sys.argv[2:]
DLT_INDEX = {1: 0, 113: 1, 276: 2, 101: 3, 228: 4, 229: 5, 0: 6, 108: 7}
LIMIT = {"decode": 3000, "http": 1500, "dns": 1500, "reasm": 200, "decomp": 200, "identity": 50}
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
print("fuzz corpus:", ", ".join(f"{k} {v}" for k, v in sorted(count.items())))
