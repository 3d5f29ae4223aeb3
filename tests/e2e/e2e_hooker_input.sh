#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# e2e_hooker_input: bad input never hurts vtl-hooker.
#   1. Its control socket: random garbage, a wrong magic, an unknown
#      request, an empty message, a 70000-byte message, and clients that
#      connect and say nothing (while a hooked transfer runs, which must
#      not stall). Every message gets an error answer, the Hooker lives on
#      and `vtlctl hooker show` still answers.
#   2. Its VTL port, from a peer: streams whose flow header is garbage,
#      too short, a REPLY for a flow nobody waits for, or an OPEN to an
#      address that is not B's (never contacted: the Hooker is no relay).
#      Each is dropped with a log line naming why; B's Hooker then still
#      serves a real hooked connection.
#   3. Resets cross the Hooker both ways (vtld moves the bytes of a hooked
#      connection itself, and a reset of the application's socket aborts
#      its session): a client that resets its connection after the server
#      has read 100 kB leaves the server with ECONNRESET, not an EOF; a
#      server that resets after sending leaves the client with ECONNRESET.
#      Both flows went over VTL.
#   4. With --pump copy (the Hooker copies the bytes through libvtl instead
#      of attaching the connection to vtld) a hooked fetch is byte-exact.
# shellcheck source-path=SCRIPTDIR source=../lib/netns.sh
. "$(dirname "$0")/../lib/netns.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/hooker.sh
. "$(dirname "$0")/../lib/hooker.sh"
vtl_test_init e2e_hooker_input
vtl_require_bins vtld vtlctl vtlcat vtl-hooker
command -v curl >/dev/null || vtl_skip "curl is not installed"

vtl_topo_pair
vtld_start "$NS_A" "$IF_A"
vtld_start "$NS_B" "$IF_B"
hk_start "$NS_A"
hk_start "$NS_B"
listening() { [[ -n $(in_ns "$1" ss -Hltn "sport = :$2") ]]; }

mkdir -p "$T/www"
vtl_mkfile "$T/www/f" 8M
want=$(vtl_sha256 "$T/www/f")
hport=$(vtl_rand_port)
vtl_bg "$NS_B" "$T/http.log" python3 -u -m http.server -b "$IP_B" -d "$T/www" "$hport"
wait_for 10 listening "$NS_B" "$hport" || vtl_fail "http.server on B did not come up"

# ---- 1. the control socket -----------------------------------------------------------
# a hooked transfer at 2 MB/s runs meanwhile: silent control clients must
# not hold up the Hooker
hk_run_bg "$NS_A" "$T/slow.log" curl -sS --fail --limit-rate 2M -o "$T/slow.out" "http://$IP_B:$hport/f"
slow=$VTL_BG_PID
python3 - "$(hk_ctl "$NS_A")" >"$T/ctlfuzz.log" 2>&1 <<'EOF' || { cat "$T/ctlfuzz.log" >&2; vtl_fail "control socket fuzz"; }
import os, random, socket, struct, sys, time
path = sys.argv[1]
MAGIC, STATUS_SIZE = 0x4b43484b, None
rng = random.Random(int.from_bytes(os.urandom(4), "little"))
def ask(payload, expect_error=True):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(5)
    s.connect(path)
    if payload is not None:
        try:
            s.send(payload)
        except OSError as e:  # too big for the socket: refused by the kernel
            s.close()
            return "send refused (%s)" % e.errno
    r = s.recv(1 << 17)
    s.close()
    if not r:
        return "closed"
    magic, err = struct.unpack_from("<Ii", r)
    if expect_error and err == 0:
        raise SystemExit("no error for %r..." % (payload[:16] if payload else payload))
    return "error %d" % err
silent = []
for i in range(5):  # connect and say nothing; keep them open
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(path)
    silent.append(s)
n = 0
for i in range(200):
    b = os.urandom(rng.randrange(0, 300))
    if len(b) == 8 and struct.unpack_from("<I", b)[0] == MAGIC:
        continue
    ask(b); n += 1
print("wrong magic:", ask(struct.pack("<II", 0x12345678, 1)))
print("unknown op:", ask(struct.pack("<II", MAGIC, 99)))
print("short:", ask(struct.pack("<I", MAGIC)))
print("long:", ask(struct.pack("<II", MAGIC, 1) + b"x" * 100))
print("empty:", ask(b""))
print("70000 B:", ask(b"y" * 70000))
print("show:", ask(struct.pack("<II", MAGIC, 1), expect_error=False))
print("%d garbage messages answered with an error" % n)
for s in silent:
    s.close()
EOF
sed 's/^/   /' "$T/ctlfuzz.log"
_vtl_alive "$(hk_pid "$NS_A")" || vtl_fail "vtl-hooker died of control socket input"
hk_show "$NS_A" "$T/after.json"
vtl_assert_eq "$(vtl_json "$T/after.json" "d['enabled']")" 1 "vtlctl hooker show after the fuzz"
vtl_expect_exit "$slow" 60 "the hooked transfer during the fuzz" "$T/slow.log"
[[ $(vtl_sha256 "$T/slow.out") == "$want" ]] || vtl_fail "hooked transfer during the fuzz: sha256 differs"
vtl_pass "control socket: every bad message answered with an error; hooked traffic unaffected"

# ---- 2. bad flow headers from a VTL peer ------------------------------------------
# hello PACK: magic version kind reply_port flow_id daddr dport sport saddr status
hello() {
	python3 -c '
import socket, struct, sys
kind, daddr = int(sys.argv[1]), socket.inet_aton(sys.argv[2])
sys.stdout.buffer.write(struct.pack("!IBBHQ4sHH4sI", 0x4b484c56, 1, kind, 7400,
                                    0x1234, daddr, 80, 5555, daddr, 0))' "$@"
}
head -c 32 /dev/urandom >"$T/garbage"
printf 'VTL' >"$T/short"
hello 2 "$IP_B" >"$T/reply"        # a REPLY nobody waits for
hello 1 "$IP_A" >"$T/notlocal"     # OPEN to an address that is not B's
before=$(grep -c . "$T/hooker-$NS_B.log")
for f in garbage short reply notlocal; do
	in_ns_t 30 "$NS_A" "$BIN/vtlcat" -p 7400 --socket "$(vtld_sock "$NS_A")" "$IP_B" \
		<"$T/$f" >"$T/vtlcat-$f.log" 2>&1 || true
done
wait_for 10 grep -q 'is not an address of this host' "$T/hooker-$NS_B.log" ||
	vtl_fail "B's Hooker did not refuse an OPEN to $IP_A"
for why in 'bad flow header' 'no flow header' 'reverse stream for unknown flow'; do
	grep -q "$why" "$T/hooker-$NS_B.log" || { tail -n 20 "$T/hooker-$NS_B.log" >&2; vtl_fail "B's Hooker logged no '$why'"; }
done
vtl_pass "bad flow headers dropped: $(tail -n +"$before" "$T/hooker-$NS_B.log" | grep -cE 'dropped|refused') log lines"
_vtl_alive "$(hk_pid "$NS_B")" || vtl_fail "B's Hooker died of bad flow headers"
hk_run_t 60 "$NS_A" curl -sS --fail -o "$T/got" "http://$IP_B:$hport/f" || vtl_fail "curl after the bad headers"
[[ $(vtl_sha256 "$T/got") == "$want" ]] || vtl_fail "curl after the bad headers: sha256 differs"
vtl_assert_eq "$(hk_count "$NS_A" via_vtl)" 2 "hooked fetches over VTL (during the fuzz and after)"
vtl_pass "B's Hooker serves hooked connections after the bad input"

# ---- 3. resets cross the Hooker ---------------------------------------------------
rport=$(vtl_rand_port)
vtl_bg "$NS_B" "$T/rst-server.log" python3 -u - "$IP_B" "$rport" <<'EOF'
import socket, struct, sys
l = socket.create_server((sys.argv[1], int(sys.argv[2])))
print("listening", flush=True)
def result(c, got):
    try:
        while True:
            b = c.recv(65536)
            if not b:
                return "eof after %d" % got
            got += len(b)
    except ConnectionResetError:
        return "reset after %d" % got
# 1: the client resets after we read 100 kB (we say "k" then)
c, _ = l.accept()
got = 0
while got < 100000:
    b = c.recv(65536)
    if not b:
        break
    got += len(b)
c.sendall(b"k")
print("server saw", result(c, got), flush=True)
# 2: we send 50 kB after the client's "x", then reset
c, _ = l.accept()
c.recv(1)
c.sendall(b"y" * 50000)
c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
c.close()
print("server reset its connection", flush=True)
EOF
rsrv=$VTL_BG_PID
wait_for_line "$T/rst-server.log" '^listening' 10 "$rsrv"
vtl0=$(hk_count "$NS_A" via_vtl)
hk_run_t 60 "$NS_A" python3 - "$IP_B" "$rport" >"$T/rst-client.log" 2>&1 <<'EOF' ||
import socket, struct, sys
addr = (sys.argv[1], int(sys.argv[2]))
c = socket.create_connection(addr)
c.sendall(b"a" * 100000)
assert c.recv(1) == b"k"
c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
c.close()
c = socket.create_connection(addr)
c.sendall(b"x")
got = 0
try:
    while True:
        b = c.recv(65536)
        if not b:
            print("client saw eof after %d" % got)
            break
        got += len(b)
except ConnectionResetError:
    print("client saw reset after %d" % got)
EOF
	vtl_fail "reset client: $(cat "$T/rst-client.log")"
vtl_expect_exit "$rsrv" 30 "reset server" "$T/rst-server.log"
grep -q '^server saw reset after 100000$' "$T/rst-server.log" ||
	vtl_fail "a client's reset reached the server as: $(grep 'server saw' "$T/rst-server.log")"
grep -q '^client saw reset after' "$T/rst-client.log" ||
	vtl_fail "a server's reset reached the client as: $(cat "$T/rst-client.log")"
vtl_assert_eq "$(($(hk_count "$NS_A" via_vtl) - vtl0))" 2 "reset flows over VTL"
vtl_pass "resets cross the Hooker: $(grep 'server saw' "$T/rst-server.log"); $(cat "$T/rst-client.log")"

# ---- 4. the copying pump still works -------------------------------------------------
hk_stop "$NS_A"
hk_stop "$NS_B"
hk_start "$NS_A" --pump copy
hk_start "$NS_B" --pump copy
hk_run_t 60 "$NS_A" curl -sS --fail -o "$T/got" "http://$IP_B:$hport/f" || vtl_fail "curl with --pump copy"
[[ $(vtl_sha256 "$T/got") == "$want" ]] || vtl_fail "curl with --pump copy: sha256 differs"
vtl_assert_eq "$(hk_count "$NS_A" via_vtl)" 1 "the --pump copy fetch went over VTL"
vtl_pass "--pump copy: the Hooker copies the bytes itself, byte-exact"
