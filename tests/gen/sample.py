#!/usr/bin/python3
"""sample.py - writes the shipped Redmi 1S sample capture (tests/sample/redmi1s.pcap).

A hotspot session: DNS, cleartext HTTP to api.account.xiaomi.com carrying the
identity of rules/identity-example.json, HTTPS to CN and US, a domestic request.
Deterministic: `sample.py OUT.pcap [IDENTITY.json]`.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import captures  # noqa: E402


def main(argv):
    if len(argv) not in (2, 3):
        sys.stderr.write("usage: sample.py OUT.pcap [IDENTITY.json]\n")
        return 2
    ident_path = argv[2] if len(argv) == 3 else captures.IDENTITY_EXAMPLE
    if not os.path.exists(ident_path):
        sys.stderr.write("sample.py: %s: no such identity file\n" % ident_path)
        return 2
    ident = captures.load_identity(ident_path)
    cap = captures.Cap()
    captures.redmi_session(cap, ident)
    out = argv[1]
    if os.path.dirname(out):
        os.makedirs(os.path.dirname(out), exist_ok=True)
    cap.write(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
