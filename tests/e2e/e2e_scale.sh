#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# e2e_scale: 1000 concurrent sessions between two vtld hosts on a veth.
# B runs `vtlperf -s -1 -j`, A `vtlperf -c -P 1000 -n 100000 -g sr -w 16 -j`.
#   a. the client's and the server's JSON: 1000 sessions opened and ok,
#      1000 * 100000 bytes on both sides, no error, no mismatch, nothing
#      missing; the server exits 0.
#   b. afterwards both vtlds return to 0 open sessions (each lingers
#      TP_LINGER_MS once both directions closed) and to one control
#      connection: the vtlctl asking (every vtlperf connection is closed).
# The figures (goodput, open times, vtld's peak RSS) go to the log; speed
# is bench/scale.sh's business, not a test's. VTL_SCALE_N=N changes the
# session count (e.g. 10000: see bench/README.md for what that needs).
# shellcheck source-path=SCRIPTDIR source=../lib/netns.sh
. "$(dirname "$0")/../lib/netns.sh"

N=${VTL_SCALE_N:-1000}
SIZE=100000
WINDOW=16

vtl_test_init e2e_scale
vtl_require_bins vtld vtlperf vtlctl

# Descriptors: each session is a control connection, in vtlperf and in
# its vtld (vtld raises its soft limit to the hard one); the server's
# listeners (128) come on top. Each process needs about N + 1024; raise
# the hard limit for what we start from here if it is lower (that needs
# CAP_SYS_RESOURCE).
need=$((N + 1024))
if (( $(ulimit -Hn) < need )); then
	ulimit -Hn "$need" 2>/dev/null || vtl_skip "descriptor hard limit $(ulimit -Hn) < $need and cannot be raised"
fi
ulimit -Sn "$(ulimit -Hn)"

vtl_topo_pair
# --retx-buffers: the sender's vtld gives every session a window's worth
# of retransmission copies (16 with -w 16) from one pool; the default
# 16384 is just enough for 1000 sessions x 16, so give it room for twice
# that (more sessions than the pool serves at once would wait, counted,
# and the test would measure the pool, not the sessions).
RETX=$((N * WINDOW * 2))
(( RETX < 16384 )) && RETX=16384
vtld_start "$NS_A" "$IF_A" --retx-buffers "$RETX"
vtld_start "$NS_B" "$IF_B" --retx-buffers "$RETX"

# (the server's output is srv.out, not *.log: the library prints the tail
# of every *.log on failure, and its JSON is one line of ~150 kB)
PORT=$(vtl_rand_port)
vtl_bg "$NS_B" "$T/srv.out" "$BIN/vtlperf" -s -1 -j -p "$PORT" --socket "$(vtld_sock "$NS_B")"
SRV=$VTL_BG_PID
wait_for_line "$T/srv.out" "^vtlperf: listening on port $PORT " 30 "$SRV"
vtl_vmhwm_kb() { awk '$1 == "VmHWM:" { print $2 }' "/proc/$1/status"; }

rc=0
in_ns_t 600 "$NS_A" "$BIN/vtlperf" -c "$IP_B" -p "$PORT" --socket "$(vtld_sock "$NS_A")" \
	-P "$N" -n "$SIZE" -g sr -w "$WINDOW" -j >"$T/cli.json" 2>"$T/cli.log" || rc=$?
if [[ $rc -ne 0 ]]; then
	# one line per kind of error, with its count
	sed -E 's/session [0-9]+ \(0x[0-9a-f]+\)/session N/' "$T/cli.log" | sort | uniq -c |
		sort -rn | head -n 10 >&2
	vtl_fail "vtlperf client: exit status $rc"
fi
vtl_pass "vtlperf client: $N sessions, exit 0"
rc=0
vtl_wait_pid "$SRV" 120 || rc=$?
if [[ $rc -ne 0 ]]; then
	grep -v '^{' "$T/srv.out" | sed -E 's/session 0x[0-9a-f]+/session N/' | sort | uniq -c |
		sort -rn | head -n 10 >&2
	vtl_fail "server of the $N-session test: exit status $rc"
fi
vtl_pass "server of the $N-session test exited 0"
grep '^{"role": "server"' "$T/srv.out" >"$T/srv.json" ||
	vtl_fail "server printed no JSON: $(grep -v '^{' "$T/srv.out" | tail -n 5)"

python3 "$VTL_SRC_DIR/tests/lib/perf_check.py" "$T/cli.json" "$T/srv.json" "$N" "$SIZE" sr ||
	vtl_fail "JSON totals"
vtl_pass "JSON: $N sessions, $((N * SIZE)) bytes on both sides, no error, no mismatch"
vtl_log "x$N: $(vtl_json "$T/cli.json" "'goodput %.2f Mb/s in %.3f s, open ms min %.3f p50 %.3f p99 %.3f max %.3f, open retries %d, retransmissions %d' % (d['total']['mbps'], d['total']['seconds'], d['total']['open_ms']['min'], d['total']['open_ms']['p50'], d['total']['open_ms']['p99'], d['total']['open_ms']['max'], d['total']['open_retries'], d['total']['retransmits'])")"
vtl_log "x$N: vtld peak RSS A $(($(vtl_vmhwm_kb "$(vtld_pid "$NS_A")") / 1024)) MiB, B $(($(vtl_vmhwm_kb "$(vtld_pid "$NS_B")") / 1024)) MiB"

# ---- b. both vtlds back to no session ---------------------------------------
# vtld_idle NS: `vtlctl -j stats` says no session is open (sessions.open)
# and one control connection (control.clients: vtlctl's own)
vtld_idle() {
	local out
	out=$(in_ns_t 20 "$1" "$BIN/vtlctl" --socket "$(vtld_sock "$1")" -j stats 2>/dev/null) || return 1
	[[ $(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(d["sessions"]["open"], d["control"]["clients"])' "$out") == "0 1" ]]
}
for ns in "$NS_A" "$NS_B"; do
	wait_for 60 vtld_idle "$ns" ||
		vtl_fail "vtld in $ns still has sessions or clients 60 s after the test: $(in_ns "$ns" "$BIN/vtlctl" --socket "$(vtld_sock "$ns")" -j stats | head -c 300)"
	vtl_pass "vtld in $ns: 0 sessions open, no client left"
done
for ns in "$NS_A" "$NS_B"; do
	_vtl_alive "$(vtld_pid "$ns")" || vtl_fail "vtld in $ns died"
done
vtl_pass "scale: $N concurrent sessions"
