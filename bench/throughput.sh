#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# bench/throughput: goodput on a clean veth between two namespaces, measured
# in the same run for
#   - VTL gbn (window 64, the default, and window 1024)  via vtlcat
#   - TCP cubic                                          via iperf3 -C cubic
#   - a raw sendmmsg protocol-253 blaster (vtl-blaster): the ceiling of
#     VTL's send path with no transport logic, received bytes counted on
#     the peer's interface
# and printed as ratios. A benchmark, not a test: it prints figures.
#
#   sudo bench/throughput.sh [SIZE_MB (50)] [RUNS (3)]
set -euo pipefail
# shellcheck source=../tests/lib/netns.sh
. "$(dirname "$0")/../tests/lib/netns.sh"
vtl_test_init bench_throughput
vtl_require_bins vtld vtlcat vtl-blaster
command -v iperf3 >/dev/null || vtl_skip "iperf3 is not installed (apt-get install iperf3)"

MB=${1:-50}
RUNS=${2:-3}
vtl_topo_pair
vtld_start "$NS_A" "$IF_A"
vtld_start "$NS_B" "$IF_B"
vtl_mkfile "$T/f.in" "${MB}M"

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

vtl_gbn() { # WINDOW -> Mb/s (everything but the figure goes to stderr)
	local w=$1 port rx
	{
		port=$(vtl_rand_port)
		vtlcat_listen "$NS_B" "$port" "$T/f.out" "$T/rx.log"
		rx=$VTL_BG_PID
		vtlcat_send 300 "$NS_A" "$IP_B" "$port" "$T/f.in" "$T/tx.log" -g gbn -w "$w"
		vtl_expect_exit "$rx" 60 "receiver" "$T/rx.log"
		vtl_assert_same_file "$T/f.in" "$T/f.out" "gbn window $w"
	} >&2
	sed -n 's/.*goodput \([0-9.]*\) Mb\/s.*/\1/p' "$T/tx.log"
}

tcp_cubic() { # -> Mb/s (receiver side)
	local port
	port=$(vtl_rand_port)
	vtl_bg "$NS_B" "$T/iperf-s.log" iperf3 -s -1 -p "$port"
	local srv=$VTL_BG_PID
	wait_for in_ns "$NS_B" sh -c "ss -ltn | grep -q ':$port '" 10
	in_ns_t 120 "$NS_A" iperf3 -c "$IP_B" -p "$port" -C cubic -n "${MB}M" -J >"$T/iperf.json"
	vtl_wait_pid "$srv" 10 || true
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("%.1f" % (d["end"]["sum_received"]["bits_per_second"]/1e6))' "$T/iperf.json"
}

rx_bytes() { in_ns "$NS_B" cat "/sys/class/net/$IF_B/statistics/rx_bytes" 2>/dev/null ||
	in_ns "$NS_B" ip -s -j link show dev "$IF_B" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["rx"]["bytes"])'; }

blaster() { # -> "send_Mbps recv_Mbps"
	local n=$((MB * 1000000 / 1400)) b0 b1 out secs
	b0=$(rx_bytes)
	out=$(in_ns_t 120 "$NS_A" "$BIN/vtl-blaster" "$IP_B" "$n" 1400)
	b1=$(rx_bytes)
	secs=$(sed -n 's/.* in \([0-9.]*\) s:.*/\1/p' <<<"$out")
	python3 -c "import sys; s=float('$secs'); print('%.1f %.1f' % ($n*1400*8/s/1e6, ($b1-$b0)*1400/1486*8/s/1e6))"
}

declare -a g64 g1024 tcp
for ((i = 0; i < RUNS; i++)); do
	g64+=("$(vtl_gbn 64)")
	g1024+=("$(vtl_gbn 1024)")
	tcp+=("$(tcp_cubic)")
done
G64=$(printf '%s\n' "${g64[@]}" | median)
G1024=$(printf '%s\n' "${g1024[@]}" | median)
TCP=$(printf '%s\n' "${tcp[@]}" | median)
# the blaster's packets are not VTL sessions: run it with vtld stopped
vtld_stop "$NS_A"
vtld_stop "$NS_B"
read -r BS BR <<<"$(blaster)"

python3 - "$MB" "$RUNS" "$G64" "$G1024" "$TCP" "$BS" "$BR" <<'PY'
import sys
mb, runs, g64, g1024, tcp, bs, br = sys.argv[1], sys.argv[2], *map(float, sys.argv[3:])
print(f"bench/throughput: {mb} MB over a clean veth pair, median of {runs} runs")
print(f"  {'VTL gbn, window 64':<28}{g64:10.1f} Mb/s")
print(f"  {'VTL gbn, window 1024':<28}{g1024:10.1f} Mb/s")
print(f"  {'TCP cubic (iperf3)':<28}{tcp:10.1f} Mb/s")
print(f"  {'raw blaster, sent':<28}{bs:10.1f} Mb/s")
print(f"  {'raw blaster, received':<28}{br:10.1f} Mb/s")
print(f"  ratio gbn64/TCP   = {g64/tcp:.3f}   gbn1024/TCP   = {g1024/tcp:.3f}")
print(f"  ratio gbn64/blast = {g64/br:.3f}   gbn1024/blast = {g1024/br:.3f}")
PY
