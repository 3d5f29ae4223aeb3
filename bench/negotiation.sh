#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# bench/negotiation: how long VTL takes to set up a session, next to what
# TCP needs to connect, at the same RTT (vtl-netem, 5 ms each way).
#   - TCP connect(): SYN / SYN-ACK, median of N
#   - VTL negotiation (NEGO -> NEGO_ACK -> graft deployed -> application
#     told), median of N, per graft, with the graft already loaded
#     ("warm": the Launcher shares one loaded instance per graft and
#     tunables, so a session's deploy is three prog-array updates)
#   - per graft: load + verify + JIT time of a new instance ("cold"), and
#     the slot deploy time, from vtld's log
#
#   sudo bench/negotiation.sh [N (20)] [ONE_WAY_DELAY (5ms)]
set -euo pipefail
# shellcheck source=../tests/lib/netns.sh
. "$(dirname "$0")/../tests/lib/netns.sh"
vtl_test_init bench_negotiation
vtl_require_bins vtld vtlcat vtl-netem

N=${1:-20}
DELAY=${2:-5ms}
vtl_topo_netem --delay "$DELAY"
vtld_start "$NS_A" "$IF_A"
vtld_start "$NS_B" "$IF_B"
vtl_mkfile "$T/one" 1K

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

tcp_connect_ms() {
	local port
	port=$(vtl_rand_port)
	vtl_bg "$NS_B" "$T/tcp-srv.log" python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1]))); s.listen(64); print("ready", flush=True)
while True:
    c, _ = s.accept(); c.close()' "$port"
	wait_for_line "$T/tcp-srv.log" ready 10 "$VTL_BG_PID"
	in_ns "$NS_A" python3 -c '
import socket, sys, time
for _ in range(int(sys.argv[3])):
    s = socket.socket(); t = time.perf_counter()
    s.connect((sys.argv[1], int(sys.argv[2]))); d = time.perf_counter() - t
    print("%.3f" % (d * 1e3)); s.close()' "$IP_B" "$port" "$N" | median
}

vtl_nego_ms() { # GRAFT -> median ms over N sessions (the first one warms up)
	local g=$1 i port rx
	: >"$T/nego-$g.txt"
	for ((i = 0; i <= N; i++)); do
		port=$(vtl_rand_port)
		vtlcat_listen "$NS_B" "$port" "$T/o" "$T/rx.log" >&2
		rx=$VTL_BG_PID
		vtlcat_send 60 "$NS_A" "$IP_B" "$port" "$T/one" "$T/tx.log" -g "$g" >&2
		vtl_expect_exit "$rx" 30 "receiver" "$T/rx.log" >&2
		((i == 0)) && continue
		sed -n 's/.*negotiated in \([0-9.]*\) ms.*/\1/p' "$T/tx.log" >>"$T/nego-$g.txt"
	done
	median <"$T/nego-$g.txt"
}

TCP=$(tcp_connect_ms)
declare -A NEGO
for g in canonical sw gbn sr pr; do
	NEGO[$g]=$(vtl_nego_ms "$g")
done

printf '\nbench/negotiation: one-way delay %s, median of %s\n' "$DELAY" "$N"
printf '  %-28s %9.3f ms\n' "TCP connect()" "$TCP"
for g in canonical sw gbn sr pr; do
	printf '  %-28s %9.3f ms   (%.2f x TCP connect)\n' "VTL negotiation, $g (warm)" \
		"${NEGO[$g]}" "$(echo "${NEGO[$g]} / $TCP" | bc -l)"
done
printf '\n  per-graft load+verify+JIT (cold instance) and slot deploy, from vtld logs:\n'
for ns in "$NS_A" "$NS_B"; do
	sed -n 's/.*loaded graft .*\/\([a-z]*\)\.o (window \([0-9]*\)) in \([0-9]*\) us.*/\1 \2 \3/p' \
		"$T/vtld-$ns.log" | sort -u -k1,1 |
		awk -v h="$([[ $ns == "$NS_A" ]] && echo A || echo B)" \
			'{ printf "  host %s  %-10s window %-5s load %8.3f ms\n", h, $1, $2, $3 / 1000 }'
done
grep -ho 'deployed in slot [0-9]* in [0-9]* us' "$T/vtld-$NS_A.log" |
	awk '{ s += $6; n++ } END { if (n) printf "  slot deploy (3 prog-array updates): mean %.1f us over %d sessions\n", s / n, n }'
