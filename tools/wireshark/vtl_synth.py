#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""vtl_synth.py: check tools/wireshark/vtl.lua against crafted packets.

Writes a pcap of hand-made VTL packets (every type, SACK blocks, RETX/DUP,
over IPv4 and IPv6, raw protocol 253 and UDP port 4753,
NEGO_NACK reasons) and of malformed ones (short header, length mismatch,
unknown type, bad version, hdr_len, checksum, short NEGO, bad SACK payload,
snaplen cuts), plus seeded random garbage, decodes it with tshark and the
dissector, and checks each frame's verdict and Info column. No root needed.

    python3 tools/wireshark/vtl_synth.py [--tshark tshark] [--lua vtl.lua] [--keep DIR]

Exit 0 when every check passes, 1 otherwise. Layouts follow
include/vtl/wire.h (32-byte header, 96-byte struct vtl_nego, 8-byte SACK
blocks).
"""
import argparse
import os
import random
import re
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
HDR = struct.Struct("!BBBBIIIIIHHHH")   # struct vtl_hdr, 32 bytes
NEGO = struct.Struct("!24sI32sHHIIIIIIII")  # struct vtl_nego, 96 bytes
assert HDR.size == 32 and NEGO.size == 96


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s > 0xffff:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def vtl(t, sid=0x1234abcd, seq=0, ack=0, flags=0, payload=b"", wnd=64,
        lenfield=None, hdr_len=32, ver=1, badcsum=False):
    ln = len(payload) if lenfield is None else lenfield
    h = HDR.pack(ver, t, flags, hdr_len, sid, seq, ack, 1000, 900, ln & 0xffff, 0, wnd, 0)
    c = csum(h + payload) ^ (0x1234 if badcsum else 0)
    return h[:26] + struct.pack("!H", c) + h[28:] + payload


def nego(graft=b"gbn", ver=1, port=5000, mss=1448, window=64, svc=3, delay=100,
         tput=2000, loss=1000, isn=5000, reason=0, flags=0, h=b"\0" * 32):
    return NEGO.pack(graft, ver, h, port, mss, window, svc, delay, tput, loss, isn, reason, flags)


def ipv4(payload, proto=253):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0, 64, proto, 0,
                    bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def ipv6(payload, nxt):
    src = bytes([0xfd] + [0] * 14 + [1])
    dst = bytes([0xfd] + [0] * 14 + [2])
    return struct.pack("!IHBB", 6 << 28, len(payload), nxt, 64) + src + dst + payload


def frame(vtl_bytes):
    """Ethernet + IPv4 protocol 253 + vtl_bytes; ("udp", bytes): VTL over
    UDP (port 4753 both ways, checksum 0, as vtld sends it)."""
    if isinstance(vtl_bytes, tuple):
        kind, body = vtl_bytes
        if kind.startswith("udp"):
            body = struct.pack("!HHHH", 4753, 4753, 8 + len(body), 0) + body
        proto = 17 if kind.startswith("udp") else 253
        if kind.endswith("6"):
            return b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x86\xdd" + ipv6(body, proto)
        return b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00" + ipv4(body, proto=proto)
    return b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00" + ipv4(vtl_bytes)


# (packet bytes, snaplen or None, verdict, Info regex)
# verdict: ok | malformed | badcsum | truncated | any (random: only "no error")
def cases():
    sack = lambda *b: b"".join(struct.pack("!II", *x) for x in b)
    c = [
        (vtl(1, payload=nego()), None, "ok",
         r"^VTL NEGO sid=0x1234abcd graft=gbn v1 port=5000 isn=5000 mss=1448 wnd=64$"),
        (vtl(2, payload=nego(isn=7000, h=bytes(range(32)))), None, "ok",
         r"^VTL NEGO_ACK sid=0x1234abcd graft=gbn v1 port=5000 isn=7000 "),
        (vtl(3, payload=nego(graft=b"sr", reason=1)), None, "ok",
         r"^VTL NEGO_NACK sid=0x1234abcd graft=sr v1 port=5000 reason=no graft$"),
        (vtl(3, payload=nego(reason=5)), None, "ok", r"reason=session clash$"),
        (vtl(1, payload=nego(flags=1)), None, "ok", r"^VTL NEGO .* SWAP$"),
        (vtl(4, seq=5000, payload=os.urandom(1448)), None, "ok",
         r"^VTL DATA sid=0x1234abcd seq=5000 len=1448$"),
        (vtl(4, seq=5001, flags=1, payload=b"abc"), None, "ok",
         r"^VTL DATA sid=0x1234abcd seq=5001 len=3 \[RETX\]$"),
        (vtl(4, seq=5002, payload=b"odd"), None, "ok", r"len=3$"),
        (vtl(5, ack=5012), None, "ok", r"^VTL ACK sid=0x1234abcd ack=5012$"),
        (vtl(5, ack=5012, payload=sack((5014, 5020))), None, "ok",
         r"^VTL ACK sid=0x1234abcd ack=5012 sack=\[5014,5020\)$"),
        (vtl(5, ack=5012, flags=2, payload=sack((5014, 5020), (5030, 5031), (6000, 6001), (7000, 7010))),
         None, "ok", r"^VTL ACK sid=0x1234abcd ack=5012 \[DUP\] sack=\[5014,5020\),\[5030,5031\),"
                     r"\[6000,6001\),\[7000,7010\)$"),
        (vtl(6, seq=42), None, "ok", r"^VTL NACK sid=0x1234abcd seq=42 len=0$"),
        (vtl(7, seq=6000), None, "ok", r"^VTL CLOSE sid=0x1234abcd seq=6000$"),
        (vtl(8, ack=6000), None, "ok", r"^VTL CLOSE_ACK sid=0x1234abcd ack=6000$"),
        (vtl(9, sid=0xffffffff), None, "ok", r"^VTL RESET sid=0xffffffff$"),
        (vtl(4, seq=1, payload=b"hello", badcsum=True), None, "badcsum", r"\[BAD CHECKSUM\]$"),
        (vtl(4, seq=1)[:20], None, "malformed", r"^VTL \[Malformed Packet: short header"),
        (vtl(4, seq=1)[:1], None, "malformed", r"^VTL \[Malformed Packet: short header"),
        (vtl(4, seq=1, payload=b"hello", lenfield=9), None, "malformed",
         r"\[Malformed Packet: payload length 9, but the IP packet carries 5 bytes"),
        (vtl(4, seq=1, payload=b"hello", lenfield=2), None, "malformed", r"payload length 2, but"),
        (vtl(12, seq=1), None, "malformed", r"^VTL type=12 .*unknown type 12"),
        (vtl(0, seq=1), None, "malformed", r"unknown type 0"),
        (vtl(4, seq=1, ver=2), None, "malformed", r"version 2, expected 1"),
        (vtl(4, seq=1, hdr_len=40), None, "malformed", r"hdr_len 40, expected 32"),
        (vtl(1, payload=nego()[:50]), None, "malformed", r"NEGO payload is 50 bytes"),
        (vtl(2, payload=nego() + b"x"), None, "malformed", r"NEGO_ACK payload is 97 bytes"),
        (vtl(5, ack=1, payload=b"1234567"), None, "malformed", r"ACK payload of 7 bytes"),
        (vtl(5, ack=1, payload=sack(*[(1, 2)] * 5)), None, "malformed", r"ACK payload of 40 bytes"),
        (vtl(4, seq=1, payload=b"z" * 1505), None, "malformed", r"payload length 1505 exceeds 1504"),
        (vtl(4, seq=9, payload=b"y" * 1000), 14 + 20 + 0, "truncated",
         r"^VTL \[Packet size limited during capture\]$"),
        (vtl(4, seq=9, payload=b"y" * 1000), 14 + 20 + 10, "truncated",
         r"^VTL \[Packet size limited during capture\]$"),
        (vtl(4, seq=9, payload=b"y" * 1000), 14 + 20 + 100, "truncated",
         r"^VTL DATA sid=0x1234abcd seq=9 len=1000 \[Packet size limited during capture\]$"),
        (vtl(1, payload=nego()), 14 + 20 + 60, "truncated",
         r"^VTL NEGO sid=0x1234abcd \[Packet size limited during capture\]$"),
        (vtl(1, payload=nego(graft=b"\x01\xffbad\nname-with-24-bytes!!")), None, "ok",
         r"^VTL NEGO sid=0x1234abcd graft=\\x01\\xffbad\\x0aname-with-24-bytes v1 "),
        # VTL over UDP (vtld --encap udp): the same header after UDP port 4753
        (("udp", vtl(1, payload=nego(mss=1440))), None, "ok",
         r"^VTL NEGO sid=0x1234abcd graft=gbn v1 port=5000 isn=5000 mss=1440 wnd=64$"),
        (("udp", vtl(4, seq=5000, payload=os.urandom(1440))), None, "ok",
         r"^VTL DATA sid=0x1234abcd seq=5000 len=1440$"),
        (("udp", vtl(5, ack=5012, payload=sack((5014, 5020)))), None, "ok",
         r"^VTL ACK sid=0x1234abcd ack=5012 sack=\[5014,5020\)$"),
        (("udp", vtl(4, seq=1, payload=b"hello", badcsum=True)), None, "badcsum",
         r"\[BAD CHECKSUM\]$"),
        (("udp", vtl(4, seq=1, payload=b"hello", lenfield=9)), None, "malformed",
         r"\[Malformed Packet: payload length 9, but"),
        # IPv6: protocol 253 as the next header, and UDP
        (("raw6", vtl(4, seq=77, payload=os.urandom(1420))), None, "ok",
         r"^VTL DATA sid=0x1234abcd seq=77 len=1420$"),
        (("raw6", vtl(1, payload=nego(mss=1428))), None, "ok",
         r"^VTL NEGO sid=0x1234abcd graft=gbn v1 port=5000 isn=5000 mss=1428 wnd=64$"),
        (("udp6", vtl(5, ack=9, payload=sack((10, 12)))), None, "ok",
         r"^VTL ACK sid=0x1234abcd ack=9 sack=\[10,12\)$"),
        (("udp6", vtl(4, seq=1, payload=b"hello", lenfield=9)), None, "malformed",
         r"\[Malformed Packet: payload length 9, but"),
    ]
    rnd = random.Random(253)
    for _ in range(400):
        t = rnd.choice([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255])
        pl = bytes(rnd.getrandbits(8) for _ in range(rnd.choice([0, 1, 7, 8, 16, 33, 40, 95, 96, 97, 300, 1505])))
        p = vtl(t, rnd.getrandbits(32), rnd.getrandbits(32), rnd.getrandbits(32), rnd.getrandbits(8), pl,
                lenfield=rnd.choice([None, None, rnd.getrandbits(16)]), hdr_len=rnd.choice([32, 32, 0]),
                ver=rnd.choice([1, 1, 2]), badcsum=rnd.random() < 0.2)
        if rnd.random() < 0.2:
            p = p[:rnd.randrange(len(p) + 1)] or b"\0"
        snap = None if rnd.random() < 0.8 else rnd.randrange(34, 34 + len(p) + 1)
        c.append((p, snap, "any", r"^VTL"))
    return c


def write_pcap(path, cs):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, (p, snap, _, _) in enumerate(cs):
            fr = frame(p)
            cap = len(fr) if snap is None else min(snap, len(fr))
            f.write(struct.pack("<IIII", 1700000000 + i, 0, cap, len(fr)))
            f.write(fr[:cap])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tshark", default="tshark")
    ap.add_argument("--lua", default=os.path.join(HERE, "vtl.lua"))
    ap.add_argument("--keep", metavar="DIR", help="write synth.pcap into DIR and keep it")
    a = ap.parse_args()

    cs = cases()
    d = a.keep or tempfile.mkdtemp(prefix="vtl-synth-")
    pcap = os.path.join(d, "synth.pcap")
    write_pcap(pcap, cs)
    cmd = [a.tshark, "-n", "-X", "lua_script:" + a.lua, "-r", pcap, "-T", "fields",
           "-E", "separator=\t", "-E", "occurrence=f",
           "-e", "frame.number", "-e", "vtl.type", "-e", "vtl.checksum.status",
           "-e", "vtl.malformed", "-e", "vtl.checksum.bad", "-e", "vtl.dissector_error",
           "-e", "vtl.truncated", "-e", "_ws.col.Info"]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    err = "\n".join(l for l in r.stderr.splitlines() if "Running as user" not in l)
    if not a.keep:
        os.unlink(pcap)
        os.rmdir(d)
    if r.returncode != 0 or re.search(r"lua|error", err, re.I):
        print("FAIL: %s: exit %d\n%s" % (" ".join(cmd), r.returncode, err))
        return 1
    rows = [l.split("\t") for l in r.stdout.splitlines()]
    fails = []
    if len(rows) != len(cs):
        fails.append("tshark printed %d frames, wrote %d" % (len(rows), len(cs)))
    counts = {}
    for row, (_, _, want, info_re) in zip(rows, cs):
        row += [""] * (8 - len(row))
        num, typ, cst, mal, bad, derr, trunc, info = row[:8]
        got = ("error" if derr else "malformed" if mal else "badcsum" if bad
               else "truncated" if trunc else "ok")
        counts[got] = counts.get(got, 0) + 1
        if got == "error" or (want != "any" and got != want):
            fails.append("frame %s: verdict %s, expected %s (Info: %s)" % (num, got, want, info))
        elif not re.search(info_re, info):
            fails.append("frame %s: Info %r does not match %r" % (num, info, info_re))
        elif want == "ok" and cst != "1":
            fails.append("frame %s: checksum status %r, expected 1" % (num, cst))
    for f in fails[:20]:
        print("FAIL: " + f)
    if fails:
        return 1
    print("PASS: %d crafted and random frames decoded as expected, no dissector error (%s)"
          % (len(cs), ", ".join("%s %d" % kv for kv in sorted(counts.items()))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
