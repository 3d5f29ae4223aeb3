#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""Small network helpers for the VTL netns tests (stdlib only).

Run inside a namespace with in_ns / vtl_bg from tests/lib/netns.sh.

  tcp-server --bind IP --port P --out FILE [--timeout S]
      accept one TCP connection, write everything received to FILE, exit 0.
      Prints "listening IP P" on stderr once bound (the readiness line).
  tcp-client --host IP --port P --in FILE [--timeout S]
      send FILE, half-close, wait for the server to close, exit 0.
  ping [--count N] [--timeout S] DST
      ICMP echo over a raw socket; prints ping's summary line
      "N packets transmitted, M received"; exit 0 iff M == N.
  raw-send --dst IP [--type T[,T...]] [--count N] [--payload B] [--pps R] [--no-end]
      send N VTL-shaped packets (IPv4 protocol 253, 32-byte VTL header with
      version 1 and the given types, round-robin, session 0x5e55, + B payload
      bytes) and one final end marker (type CLOSE, session 0xffffffff);
      --no-end leaves the marker out (--count 0 sends only the marker).
  raw-recv [--timeout S] [--out FILE]
      count received protocol-253 packets per VTL type until the end
      marker arrives; prints "ready" on stderr once the socket is open and
      the counts as JSON {"<type>": n, ...} on stdout (or into FILE).
  tcp-sink --bind IP --port P --count N --size B [--timeout S]
      accept N connections one after the other; each must deliver exactly
      B bytes (the pattern tcp-blast sends), then EOF, and EOF again on a
      second read (no byte after the end). Prints one JSON line per
      connection {"n", "bytes", "sha256", "ok", "peer"} on stdout and a
      summary on stderr; exit 0 iff all N were whole.
  tcp-blast --host IP --port P --count N --size B [--timeout S]
      N times: connect, write B bytes, close at once (no half-close, no
      waiting for the peer).
  rr-server --bind IP --port P
      echo server for rr-client: answers each SIZE-byte request with SIZE
      bytes, one connection at a time, until killed.
  rr-client --host IP --port P --size B --count N [--warmup W]
      N request/response round trips of B bytes on one connection;
      prints {"size", "count", "p50_us", "p99_us", "mean_us"} as JSON.
"""

import argparse
import json
import os
import select
import socket
import struct
import hashlib
import sys
import time

VTL_IPPROTO = 253
VTL_T_CLOSE = 7
END_SESSION = 0xFFFFFFFF
# struct vtl_hdr, include/vtl/wire.h: network order, 32 bytes
VTL_HDR = struct.Struct("!BBBBIIIIIHHHH")
assert VTL_HDR.size == 32


def err(msg):
    print(msg, file=sys.stderr, flush=True)


def tcp_server(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((a.bind, a.port))
    s.listen(1)
    s.settimeout(a.timeout)
    err("listening %s %d" % s.getsockname())
    c, peer = s.accept()
    c.settimeout(a.timeout)
    n = 0
    with open(a.out, "wb") as f:
        while True:
            b = c.recv(1 << 20)
            if not b:
                break
            f.write(b)
            n += len(b)
    c.close()
    s.close()
    err("received %d bytes from %s:%d" % (n, peer[0], peer[1]))
    return 0


def tcp_client(a):
    s = socket.create_connection((a.host, a.port), timeout=a.timeout)
    with open(a.infile, "rb") as f:
        n = s.sendfile(f)
    s.shutdown(socket.SHUT_WR)
    while s.recv(4096):
        pass
    s.close()
    err("sent %d bytes to %s:%d" % (n, a.host, a.port))
    return 0


def icmp_csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def ping(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    ident = os.getpid() & 0xFFFF
    got = 0
    for seq in range(1, a.count + 1):
        body = struct.pack("!d", time.time()) + bytes(48)
        hdr = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
        pkt = struct.pack("!BBHHH", 8, 0, icmp_csum(hdr + body), ident, seq) + body
        s.sendto(pkt, (a.dst, 0))
        deadline = time.monotonic() + a.timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            r, _, _ = select.select([s], [], [], left)
            if not r:
                break
            data, _ = s.recvfrom(2048)
            ihl = (data[0] & 0x0F) * 4
            typ, _, _, rid, rseq = struct.unpack("!BBHHH", data[ihl:ihl + 8])
            if typ == 0 and rid == ident and rseq == seq:
                got += 1
                break
    print("%d packets transmitted, %d received" % (a.count, got), flush=True)
    return 0 if got == a.count else 1


def raw_send(a):
    types = [int(t) for t in a.type.split(",")]
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, VTL_IPPROTO)
    payload = bytes(a.payload)
    interval = 1.0 / a.pps if a.pps > 0 else 0.0
    start = time.monotonic()
    for i in range(a.count):
        t = types[i % len(types)]
        hdr = VTL_HDR.pack(1, t, 0, 32, 0x5E55, i, 0, 0, 0, len(payload), 0, 0, 0)
        s.sendto(hdr + payload, (a.dst, 0))
        if interval and i % 16 == 15:
            ahead = start + (i + 1) * interval - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
    if not a.no_end:
        end = VTL_HDR.pack(1, VTL_T_CLOSE, 0, 32, END_SESSION, a.count, 0, 0, 0, 0, 0, 0, 0)
        s.sendto(end, (a.dst, 0))
    err("sent %d packets (types %s)%s to %s" %
        (a.count, a.type, "" if a.no_end else " and the end marker", a.dst))
    return 0


def raw_recv(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, VTL_IPPROTO)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    err("ready")
    counts = {}
    deadline = time.monotonic() + a.timeout
    done = False
    while not done:
        left = deadline - time.monotonic()
        if left <= 0:
            err("raw-recv: timeout before the end marker")
            break
        r, _, _ = select.select([s], [], [], left)
        if not r:
            continue
        data = s.recv(65536)
        ihl = (data[0] & 0x0F) * 4
        if len(data) < ihl + VTL_HDR.size:
            counts["short"] = counts.get("short", 0) + 1
            continue
        f = VTL_HDR.unpack_from(data, ihl)
        if f[1] == VTL_T_CLOSE and f[4] == END_SESSION:
            done = True
            continue
        counts[str(f[1])] = counts.get(str(f[1]), 0) + 1
    out = json.dumps(counts, sort_keys=True)
    if a.out:
        with open(a.out, "w") as fo:
            fo.write(out + "\n")
    else:
        print(out, flush=True)
    return 0 if done else 1


def pattern(size, n):
    """The bytes tcp-blast sends on its n-th connection (deterministic)."""
    seed = hashlib.sha256(b"vtl-blast-%d" % n).digest()
    block = hashlib.sha256(seed).digest() * 2048  # 64 KiB
    head = struct.pack("!8sQ", b"VTLBLAST", n)  # which connection this is
    return (head + block * (size // len(block) + 1))[:size]


def tcp_sink(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((a.bind, a.port))
    s.listen(128)
    s.settimeout(a.timeout)
    err("listening %s %d" % s.getsockname())
    good = 0
    seen = set()
    for n in range(a.count):
        c, peer = s.accept()
        c.settimeout(a.timeout)
        h = hashlib.sha256()
        got = 0
        why = ""
        head = b""
        try:
            while True:
                b = c.recv(1 << 20)
                if not b:
                    break
                h.update(b)
                got += len(b)
                if len(head) < 16:
                    head += b[:16 - len(head)]
            if c.recv(1):  # after EOF nothing more may come
                why = "data after EOF"
        except OSError as e:
            why = "error before EOF: %s" % e
        c.close()
        # connections may reach us in another order than they were made:
        # the header says which one this is
        idx = n
        if len(head) == 16 and head[:8] == b"VTLBLAST":
            idx = struct.unpack("!Q", head[8:])[0]
        want = hashlib.sha256(pattern(a.size, idx)).hexdigest()
        if idx in seen:
            why = "connection %d delivered twice" % idx
        seen.add(idx)
        ok = not why and got == a.size and h.hexdigest() == want
        if not ok and not why:
            why = "got %d bytes, want %d%s" % (got, a.size,
                                                "" if got != a.size else " (content differs)")
        good += ok
        print(json.dumps({"n": n, "idx": idx, "bytes": got, "sha256": h.hexdigest(), "ok": ok,
                          "why": why, "peer": "%s:%d" % peer}), flush=True)
    s.close()
    err("%d of %d connections whole" % (good, a.count))
    return 0 if good == a.count else 1


def tcp_blast(a):
    for n in range(a.first, a.first + a.count):
        data = pattern(a.size, n)
        c = socket.create_connection((a.host, a.port), timeout=a.timeout)
        c.sendall(data)
        c.close()
    err("sent %d x %d bytes to %s:%d" % (a.count, a.size, a.host, a.port))
    return 0


def recv_exact(c, n):
    b = bytearray()
    while len(b) < n:
        x = c.recv(n - len(b))
        if not x:
            raise EOFError("peer closed after %d of %d bytes" % (len(b), n))
        b += x
    return bytes(b)


def rr_server(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((a.bind, a.port))
    s.listen(4)
    err("listening %s %d" % s.getsockname())
    while True:
        c, _ = s.accept()
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            size = struct.unpack("!I", recv_exact(c, 4))[0]
            while True:
                c.sendall(recv_exact(c, size))
        except (EOFError, OSError):
            c.close()


def rr_client(a):
    c = socket.create_connection((a.host, a.port), timeout=30)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    c.sendall(struct.pack("!I", a.size))
    req = b"r" * a.size
    lat = []
    for i in range(a.warmup + a.count):
        t0 = time.perf_counter()
        c.sendall(req)
        recv_exact(c, a.size)
        if i >= a.warmup:
            lat.append((time.perf_counter() - t0) * 1e6)
    c.close()
    lat.sort()
    print(json.dumps({"size": a.size, "count": a.count,
                      "p50_us": round(lat[len(lat) // 2], 1),
                      "p99_us": round(lat[min(len(lat) - 1, int(len(lat) * 0.99))], 1),
                      "mean_us": round(sum(lat) / len(lat), 1)}))
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    q = sub.add_parser("tcp-server")
    q.add_argument("--bind", required=True)
    q.add_argument("--port", type=int, required=True)
    q.add_argument("--out", required=True)
    q.add_argument("--timeout", type=float, default=60)
    q = sub.add_parser("tcp-client")
    q.add_argument("--host", required=True)
    q.add_argument("--port", type=int, required=True)
    q.add_argument("--in", dest="infile", required=True)
    q.add_argument("--timeout", type=float, default=60)
    q = sub.add_parser("ping")
    q.add_argument("--count", type=int, default=3)
    q.add_argument("--timeout", type=float, default=1)
    q.add_argument("dst")
    q = sub.add_parser("raw-send")
    q.add_argument("--dst", required=True)
    q.add_argument("--type", default="4")
    q.add_argument("--count", type=int, default=1000)
    q.add_argument("--payload", type=int, default=0)
    q.add_argument("--pps", type=float, default=20000)
    q.add_argument("--no-end", action="store_true")
    q = sub.add_parser("raw-recv")
    q.add_argument("--timeout", type=float, default=60)
    q.add_argument("--out")
    q = sub.add_parser("tcp-sink")
    q.add_argument("--bind", required=True)
    q.add_argument("--port", type=int, required=True)
    q.add_argument("--count", type=int, default=1)
    q.add_argument("--size", type=int, required=True)
    q.add_argument("--timeout", type=float, default=60)
    q = sub.add_parser("tcp-blast")
    q.add_argument("--host", required=True)
    q.add_argument("--port", type=int, required=True)
    q.add_argument("--count", type=int, default=1)
    q.add_argument("--first", type=int, default=0, help="index of the first connection")
    q.add_argument("--size", type=int, required=True)
    q.add_argument("--timeout", type=float, default=60)
    q = sub.add_parser("rr-server")
    q.add_argument("--bind", required=True)
    q.add_argument("--port", type=int, required=True)
    q = sub.add_parser("rr-client")
    q.add_argument("--host", required=True)
    q.add_argument("--port", type=int, required=True)
    q.add_argument("--size", type=int, default=1)
    q.add_argument("--count", type=int, default=1000)
    q.add_argument("--warmup", type=int, default=50)
    a = p.parse_args()
    return {"tcp-sink": tcp_sink, "tcp-blast": tcp_blast, "rr-server": rr_server,
            "rr-client": rr_client,"tcp-server": tcp_server, "tcp-client": tcp_client, "ping": ping,
            "raw-send": raw_send, "raw-recv": raw_recv}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
