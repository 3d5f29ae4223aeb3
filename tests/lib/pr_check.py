#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""pr_check.py SENT RECEIVED MSS LOST

Check what a partially reliable session delivered: RECEIVED must be SENT
with whole packets removed and nothing else changed (in order, no
duplicates), and the number of packets removed must be exactly LOST, the
count the receiver reported. The sender cuts the stream at MSS boundaries
(only the last packet may be shorter). Prints a summary; exit 1 on failure.
"""
import sys


def main():
    sent = open(sys.argv[1], "rb").read()
    recv = open(sys.argv[2], "rb").read()
    mss, lost = int(sys.argv[3]), int(sys.argv[4])
    chunks = [sent[i:i + mss] for i in range(0, len(sent), mss)]
    pos, missing = 0, 0
    for c in chunks:
        if recv[pos:pos + len(c)] == c:
            pos += len(c)
        else:
            missing += 1
    if pos != len(recv):
        print("FAIL: %d received bytes are not an in-order subsequence of the sent packets"
              % (len(recv) - pos))
        return 1
    if missing != lost:
        print("FAIL: %d packets missing, the receiver reported %d" % (missing, lost))
        return 1
    print("ok: %d of %d packets given up (%.2f %%), the rest in order and exact"
          % (missing, len(chunks), 100.0 * missing / len(chunks)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
