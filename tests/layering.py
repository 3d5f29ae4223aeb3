#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""Check vtld's layers (docs/architecture.md) against its source: every
dependency points down, and the transport makes no system call.

  ctl        ctl.c ctl_rules.c ctl_pool.c ctl_int.h        may use all below
  app        ipc.c app.c stream.c app.h                    session, transport, loop
  session    session.c nego.c swap.c netmon.c session.h    transport, loop
  transport  tp_send.c tp_recv.c tp_life.c tp_int.h
             transport.h bytebuf.h                         nothing of vtld's
  wire       wire.c wire_sock.c wire.h wire_int.h          transport, loop
  loop       loop.c loop.h                                 nothing of vtld's
The services (launcher, pool, pool_watch, rules, config) sit beside them;
only main.c and the ctl layer see the whole daemon (vtld.h).

A dependency is an #include of another layer's header or a call of a
function another layer defines (by its prefix). Prints each violation
as FILE:LINE and exits 1; 0 when the house is in order.

Usage: layering.py [DAEMON_DIR]
"""
import os
import re
import sys

LAYERS = {
    "loop": ["loop.c", "loop.h"],
    "wire": ["wire.c", "wire_sock.c", "wire.h", "wire_int.h"],
    "transport": ["tp_send.c", "tp_recv.c", "tp_life.c", "tp_int.h", "transport.h",
                  "bytebuf.h"],
    "session": ["session.c", "nego.c", "swap.c", "netmon.c", "session.h"],
    "app": ["ipc.c", "app.c", "stream.c", "app.h"],
    "ctl": ["ctl.c", "ctl_rules.c", "ctl_pool.c", "ctl_int.h"],
}
ORDER = ["loop", "transport", "wire", "session", "app", "ctl"]
# what each layer may depend on (the transport is below the wire: the wire
# calls its entry points and serves it through struct tp_wire)
ALLOWED = {
    "loop": set(),
    "transport": set(),
    "wire": {"loop", "transport"},
    "session": {"loop", "transport"},
    "app": {"loop", "transport", "session"},
    "ctl": {"loop", "transport", "wire", "session", "app"},
}
# headers that name the whole daemon or a layer
HEADER_LAYER = {h: l for l, fs in LAYERS.items() for h in fs if h.endswith(".h")}
HEADER_LAYER["vtld.h"] = "top"
# function prefixes that belong to a layer
PREFIX_LAYER = [
    (r"loop_|ep_(add|mod|del)\b|now_ns\b", "loop"),
    (r"wire_", "wire"),
    (r"tp_", "transport"),
    (r"session_|nego_|swap_|netmon_|sess_", "session"),
    (r"app_|ipc_|client_|stream_", "app"),
    (r"ctl_", "ctl"),
]
# the transport's files call none of these: sockets, files, time, BPF,
# logging (all of it is the wire's, the loop's or the layers' above)
SYSCALLS = re.compile(
    r"\b(socket|bind|connect|accept4?|listen|send|sendto|sendmsg|sendmmsg|recv|recvfrom|"
    r"recvmsg|read|write|readv|writev|close|open|openat|fopen|poll|ppoll|select|"
    r"epoll_\w+|ioctl|fcntl|mmap|munmap|clock_gettime|gettimeofday|time|getrandom|"
    r"nanosleep|usleep|sleep|bpf_\w+|setsockopt|getsockopt|shutdown|printf|fprintf|"
    r"perror|syslog|pr_warn|pr_info|pr_debug|vtl_log|xsk_\w+|ring_buffer__\w+|"
    r"launcher_\w+)\s*\(")
TP_INCLUDES = {"arpa/inet.h", "errno.h", "stdbool.h", "stddef.h", "stdlib.h", "string.h",
               "sys/uio.h", "linux/types.h", "vtl/ipc.h", "vtl/shared.h", "vtl/wire.h",
               "vtl/errors.h", "transport.h", "tp_int.h", "bytebuf.h",
               "peer.h"}  # lib/peer.h: make and compare struct vtl_peer, no calls


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    return re.sub(r'"(\\.|[^"\\])*"', '""', text)


def layer_of_call(name):
    for pat, layer in PREFIX_LAYER:
        if re.match(pat, name):
            return layer
    return None


def main():
    ddir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "daemon")
    bad = []
    for layer, files in LAYERS.items():
        for f in files:
            path = os.path.join(ddir, f)
            if not os.path.exists(path):
                bad.append("%s: missing (the layer table above is out of date)" % f)
                continue
            raw = open(path).read()
            code = strip_comments(raw)
            for no, line in enumerate(raw.split("\n"), 1):
                m = re.match(r'\s*#\s*include\s*([<"])([^>"]+)[>"]', line)
                if not m:
                    continue
                inc = m.group(2)
                # a layer's header is a quoted, local one (<vtl/wire.h> is
                # the wire format, everyone's)
                other = HEADER_LAYER.get(inc) if m.group(1) == '"' else None
                if layer == "transport" and inc not in TP_INCLUDES:
                    bad.append("%s:%d: the transport includes <%s>" % (f, no, inc))
                elif other == "top" and layer != "ctl":
                    bad.append("%s:%d: includes vtld.h (only main.c and ctl see it all)"
                               % (f, no))
                elif other and other not in ("top", layer) and other not in ALLOWED[layer]:
                    bad.append("%s:%d: %s includes %s, a header of %s" %
                               (f, no, layer, inc, other))
            for no, line in enumerate(code.split("\n"), 1):
                if layer == "transport":
                    for m in SYSCALLS.finditer(line):
                        bad.append("%s:%d: the transport calls %s()" % (f, no, m.group(1)))
                for m in re.finditer(r"(->|\.)?\b([a-z_][a-z0-9_]*)\s*\(", line):
                    if m.group(1):
                        continue   # through a table of operations: not a dependency
                    name = m.group(2)
                    other = layer_of_call(name)
                    if other and other != layer and other not in ALLOWED[layer]:
                        # a definition or a declaration is not a call
                        if re.match(r"\s*(static\s+)?[a-z_].*\b%s\s*\(" % name, line) and \
                           not re.search(r"[=(,]\s*%s\s*\(" % name, line) and \
                           re.match(r"\s*[a-z]", line) and not line.strip().startswith(
                               ("return", "if", "while", "for", "else")):
                            continue
                        bad.append("%s:%d: %s calls %s() of %s" % (f, no, layer, name, other))
    for b in bad:
        print("FAIL " + b)
    print("layering: %d files, %d violations" % (sum(len(v) for v in LAYERS.values()),
                                                   len(bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
