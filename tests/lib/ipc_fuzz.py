#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""Malformed-message checks for vtld's control socket (include/vtl/ipc.h).

usage: ipc_fuzz.py SOCKET IFNAME

AF_UNIX SOCK_SEQPACKET; one message = struct vtl_ipc_hdr (u32 magic,
u16 type, u16 flags, u32 len, u32 reserved; host byte order, which is little-endian
here) + len body bytes. Every malformed message below is sent on a fresh
connection and must be answered with one VTL_IPC_ERROR message
(hdr.len = 128: s32 code < 0, u32 pad, char msg[120] NUL-terminated).
A valid STATUS_REQ before and after must be answered with VTL_IPC_STATUS
naming IFNAME. Then 50 connections are opened and dropped at once, and 50
more each send a STATUS_REQ and close without reading the reply.
Exit status 0 when every check passed.
"""

import os
import signal
import socket
import struct
import sys

MAGIC = 0x31544C56
HDR = struct.Struct("=IHHII")
assert HDR.size == 16
T_OPEN, T_DATA, T_ERROR, T_STATUS_REQ, T_STATUS = 1, 4, 8, 9, 10
TYPE_MAX = 10
MAX_MSG = 65536 + 16
ERR_BODY = 128
STATUS_MIN = 560
TIMEOUT = 5.0

failures = []


def hdr(typ, length, magic=MAGIC, flags=0, reserved=0):
    return HDR.pack(magic, typ, flags, length, reserved)


def connect(path):
    # Blocking connect: it waits while vtld's listen backlog is full (a
    # non-blocking one fails with EAGAIN). The alarm in main() bounds it.
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(path)
    s.settimeout(TIMEOUT)
    return s


def recv_msg(s):
    """One message, or None on EOF; raises socket.timeout."""
    b = s.recv(1 << 17)
    return b if b else None


def check(ok, name, detail):
    print("%-4s %-22s %s" % ("ok" if ok else "FAIL", name, detail), flush=True)
    if not ok:
        failures.append(name)


def status_ok(path, ifname, name):
    try:
        s = connect(path)
        s.send(hdr(T_STATUS_REQ, 0))
        m = recv_msg(s)
        s.close()
    except OSError as e:
        check(False, name, "STATUS_REQ: %s" % e)
        return
    if m is None or len(m) < HDR.size:
        check(False, name, "STATUS_REQ: no reply (%r)" % (m,))
        return
    magic, typ, _, length, _ = HDR.unpack_from(m)
    body = m[HDR.size:]
    ok = (magic == MAGIC and typ == T_STATUS and length == len(body)
          and length >= STATUS_MIN)
    got_if = body[:16].split(b"\0", 1)[0].decode(errors="replace") if ok else "?"
    check(ok and got_if == ifname, name,
          "reply type %d len %d ifname %r" % (typ, length, got_if))


def expect_error(path, name, payload, fds=()):
    try:
        s = connect(path)
        if fds:
            socket.send_fds(s, [payload], list(fds))
        else:
            s.send(payload)
        m = recv_msg(s)
    except socket.timeout:
        check(False, name, "no reply within %.0f s" % TIMEOUT)
        return
    except OSError as e:
        check(False, name, "socket error: %s" % e)
        return
    finally:
        try:
            s.close()
        except (OSError, UnboundLocalError):
            pass
    if m is None:
        check(False, name, "connection closed without a VTL_IPC_ERROR reply")
        return
    if len(m) != HDR.size + ERR_BODY:
        check(False, name, "reply of %d bytes, want %d" % (len(m), HDR.size + ERR_BODY))
        return
    magic, typ, flags, length, _ = HDR.unpack_from(m)
    code, _pad = struct.unpack_from("=iI", m, HDR.size)
    raw = m[HDR.size + 8:]
    msg = raw.split(b"\0", 1)[0].decode(errors="replace")
    ok = (magic == MAGIC and typ == T_ERROR and flags == 0 and length == ERR_BODY
          and code < 0 and b"\0" in raw)
    check(ok, name, "type %d code %d %r" % (typ, code, msg))


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    path, ifname = sys.argv[1], sys.argv[2]
    signal.alarm(120)   # a hung vtld must not hang the test (SIGALRM kills us)

    status_ok(path, ifname, "status-before")

    garbage = bytearray(os.urandom(200))
    if struct.unpack_from("=I", garbage)[0] == MAGIC:
        garbage[0] ^= 0xFF
    cases = [
        ("garbage-short", os.urandom(5)),
        ("garbage-200", bytes(garbage)),
        ("wrong-magic", hdr(T_STATUS_REQ, 0, magic=MAGIC ^ 0x01000000)),
        ("bogus-type-0", hdr(0, 0)),
        ("bogus-type-max+1", hdr(TYPE_MAX + 1, 0)),
        ("bogus-type-0xffff", hdr(0xFFFF, 0)),
        ("len-over-size", hdr(T_STATUS_REQ, 64)),
        ("len-under-size", hdr(T_STATUS_REQ, 0) + bytes(32)),
        ("open-short-body", hdr(T_OPEN, 64) + bytes(32)),
        ("huge-70000", hdr(T_DATA, 70000 - HDR.size) + os.urandom(70000 - HDR.size)),
        ("empty", b""),
    ]
    assert len(cases[-2][1]) == 70000 and 70000 > MAX_MSG
    # vtlctl rule / stats / graft load|unload (types 19..29): wrong sizes,
    # replies sent as requests, bad fields; none may change anything
    for t in range(19, 30):
        cases.append(("type-%d-3-bytes" % t, hdr(t, 3) + b"\x01\x02\x03"))
    text = lambda b: b.ljust(256, b"\0")
    fpath = lambda b: b.ljust(1024, b"\0")
    cases += [
        ("rule-add-unterminated", hdr(21, 264) + struct.pack("=II", 0xFFFFFFFF, 0) + b"x" * 256),
        ("rule-add-reserved", hdr(21, 264) + struct.pack("=II", 0xFFFFFFFF, 1) +
         text(b"any -> canonical")),
        ("rule-add-at-1000", hdr(21, 264) + struct.pack("=II", 1000, 0) + text(b"any -> canonical")),
        ("rule-add-garbage", hdr(21, 264) + struct.pack("=II", 0xFFFFFFFF, 0) +
         text(bytes(b % 254 + 1 for b in os.urandom(200)))),
        ("rule-del-1000", hdr(22, 8) + struct.pack("=II", 1000, 0)),
        ("rule-del-0-wrong-id", hdr(22, 8) + struct.pack("=II", 0, 0xFFFFFFF0)),
        ("stats-with-body", hdr(24, 4) + bytes(4)),
        ("load-bad-step", hdr(26, 1032) + struct.pack("=II", 7, 0) + fpath(b"/x.o")),
        ("load-bad-flags", hdr(26, 1032) + struct.pack("=II", 1, 0x80) + fpath(b"/x.o")),
        ("load-relative", hdr(26, 1032) + struct.pack("=II", 1, 0) + fpath(b"x.o")),
        ("load-unterminated", hdr(26, 1032) + struct.pack("=II", 1, 0) + b"/" * 1024),
        ("load-commit-outside-pool", hdr(26, 1032) + struct.pack("=II", 2, 0) + fpath(b"/etc/passwd")),
        ("unload-bad-step", hdr(28, 264) + struct.pack("=II", 9, 0) + text(b"gbn")),
        ("unload-reserved", hdr(28, 264) + struct.pack("=II", 1, 5) + text(b"gbn")),
        ("unload-unterminated", hdr(28, 264) + struct.pack("=II", 1, 0) + b"g" * 256),
        ("unload-commit-outside-pool", hdr(28, 264) + struct.pack("=II", 2, 0) + text(b"/etc/passwd")),
        ("unload-commit-not-a-path", hdr(28, 264) + struct.pack("=II", 2, 0) + text(b"gbn")),
    ]
    for name, payload in cases:
        expect_error(path, name, payload)

    # ATTACH (30) and descriptors riding along (SCM_RIGHTS): each must get
    # an error, and vtld must close every descriptor it was sent (the test
    # counts vtld's fds afterwards)
    att = lambda step, res=0: hdr(30, 8) + struct.pack("=II", step, res)
    pr, pw = os.pipe()
    sp = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    for name, payload, fds in [
        ("attach-no-fd", att(1), ()),
        ("attach-short", hdr(30, 3) + b"\1\2\3", (sp[0].fileno(),)),
        ("attach-pipe", att(1), (pr,)),
        ("attach-no-session", att(1), (sp[0].fileno(),)),
        ("attach-tcp-no-session", att(1), (tcp.fileno(),)),
        ("attach-bad-step", att(9), (sp[0].fileno(),)),
        ("attach-reserved", att(1, 7), (sp[0].fileno(),)),
        ("attach-start-no-stream", att(2), ()),
        ("attach-start-with-fd", att(2), (sp[0].fileno(),)),
        ("attached-as-request", hdr(31, 0), ()),
        ("status-with-fd", hdr(T_STATUS_REQ, 0), (pw,)),
        ("data-with-3-fds", hdr(T_DATA, 4) + b"abcd", (pr, pw, sp[1].fileno())),
    ]:
        expect_error(path, name, payload, fds)
    for f in (pr, pw):
        os.close(f)
    for x in (sp[0], sp[1], tcp):
        x.close()

    # 50 connections opened and dropped at once
    socks = []
    try:
        for _ in range(50):
            socks.append(connect(path))
    except OSError as e:
        check(False, "50-connect", "connection %d: %s" % (len(socks) + 1, e))
    for s in socks:
        s.close()
    check(len(socks) == 50, "50-connect-drop", "%d connections opened and closed" % len(socks))

    # 50 requests whose reply nobody reads (vtld must not die of SIGPIPE)
    socks = []
    try:
        for _ in range(50):
            s = connect(path)
            s.send(hdr(T_STATUS_REQ, 0))
            socks.append(s)
    except OSError as e:
        check(False, "50-request-drop", "connection %d: %s" % (len(socks) + 1, e))
    for s in socks:
        s.close()
    check(len(socks) == 50, "50-request-drop", "%d requests sent, replies unread" % len(socks))

    status_ok(path, ifname, "status-after")
    if failures:
        print("%d check(s) failed: %s" % (len(failures), " ".join(failures)), flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
