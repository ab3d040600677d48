#!/usr/bin/python3
"""apps.py - captures that say which app sent each packet, written byte for byte (deterministic).

PCAPdroid's pcap with its trailer (pcap_dump.c: fake Ethernet header, IP packet, padding to 4,
32-byte trailer: magic 0x01072021, uid, 20-byte name, CRC-32), PCAPdroid's pcapng (raw IP, a
Custom Block with PEN 62652 per uid, packet comments "u-<uid>"; both byte orders), Linux NFLOG
(DLT 239: TLVs with host-order lengths, NFULA_UID, NFULA_PAYLOAD), and the same traffic as a
plain raw-IP pcap.  Usage: apps.py OUTDIR
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


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "build/fixtures-apps")
