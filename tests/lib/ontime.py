#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""Timestamped constant-rate records, to measure per-record delivery delay.

  ontime.py tx RATE_MBPS SECS   write 8-byte records (index, CLOCK_MONOTONIC
                                us, big-endian u32 each) to stdout at the
                                rate; print the count sent on stderr
  ontime.py rx                  read records from stdin; at EOF print JSON
                                {"received": N, "delays_ms": [...]} (each
                                record's age on arrival, in index order)

Sender and receiver must share CLOCK_MONOTONIC (namespaces of one host).
A record is 8 bytes and VTL's mss (1448) is a multiple of 8, so a packet a
partially reliable graft gives up removes whole records.
"""
import json
import os
import struct
import sys
import time

REC = struct.Struct(">II")


def now_us():
    return time.monotonic_ns() // 1000


def tx(rate_mbps, secs):
    per_s = rate_mbps * 1e6 / 8 / REC.size
    out = os.fdopen(sys.stdout.fileno(), "wb", buffering=0)
    t0 = time.monotonic()
    n = 0
    while True:
        el = time.monotonic() - t0
        if el >= secs:
            break
        due = int(el * per_s)
        if due > n:
            ts = now_us() & 0xFFFFFFFF
            out.write(b"".join(REC.pack(i, ts) for i in range(n, due)))
            n = due
        time.sleep(0.0005)
    out.close()
    print(n, file=sys.stderr)


def rx():
    inp = os.fdopen(sys.stdin.fileno(), "rb", buffering=0)
    buf = b""
    delays = {}
    while True:
        chunk = inp.read(65536)
        if not chunk:
            break
        now = now_us() & 0xFFFFFFFF
        buf += chunk
        k = len(buf) // REC.size * REC.size
        for i, ts in REC.iter_unpack(buf[:k]):
            delays.setdefault(i, ((now - ts) & 0xFFFFFFFF) / 1000.0)
        buf = buf[k:]
    print(json.dumps({"received": len(delays),
                      "delays_ms": [delays[i] for i in sorted(delays)]}))


if __name__ == "__main__":
    if sys.argv[1:2] == ["tx"]:
        tx(float(sys.argv[2]), float(sys.argv[3]))
    elif sys.argv[1:2] == ["rx"]:
        rx()
    else:
        sys.exit(__doc__)
