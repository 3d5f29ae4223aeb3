#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# bench/throughput: the ladder on a clean veth between two namespaces, all
# measured in the same run, each a median of RUNS:
#   - raw protocol-253 blaster and UDP blaster (vtl-blaster): the ceilings
#     of VTL's two send paths with no transport logic (received payload
#     counted on the peer's interface, vtld stopped)
#   - VTL gbn and sr, default settings (the graft's default window), over
#     raw protocol 253 and over UDP (vtld --encap udp), via vtlperf: every
#     byte checked at the receiver, goodput until the peer has every byte
#   - VTL full duplex: sr, both ways at once in one session (vtlperf
#     --bidir), the sum of both directions
#   - TCP cubic via iperf3 (-C cubic; this machine defaults to bbr)
# and the ratios of each VTL figure to TCP (the issue's bar: 0.6).
# A benchmark, not a test: it prints figures.
#
#   sudo bench/throughput.sh [SIZE_MB (50)] [RUNS (3)]
set -euo pipefail
# shellcheck source=../tests/lib/netns.sh
. "$(dirname "$0")/../tests/lib/netns.sh"
vtl_test_init bench_throughput
vtl_require_bins vtld vtlperf vtl-blaster
command -v iperf3 >/dev/null || vtl_skip "iperf3 is not installed (apt-get install iperf3)"

MB=${1:-50}
RUNS=${2:-3}
BYTES=$((MB * 1000000))
UDP_PORT=4753
vtl_topo_pair

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# vtlperf GRAFT [EXTRA...] -> Mb/s (the client's total; bidir: both ways)
vtl_perf() {
	local g=$1
	shift
	{
		vtlperf_server perf
		vtlperf_client 300 perf -g "$g" -n "$BYTES" -j "$@" ||
			{ tail -5 "$T/cli-perf.log"; vtl_fail "vtlperf -g $g $*: failed"; }
		vtl_expect_exit "$SRV" 60 "vtlperf server ($g $*): every byte checked" \
			"$T/srv-perf.log"
	} >&2
	python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["total"]
print("%.1f" % (t["mbps"] + t.get("rx_mbps", 0)))' "$T/cli-perf.out"
}

tcp_cubic() { # -> Mb/s (receiver side)
	local port srv
	port=$(vtl_rand_port)
	vtl_bg "$NS_B" "$T/iperf-s.log" iperf3 -s -1 -p "$port"
	srv=$VTL_BG_PID
	wait_for 10 in_ns "$NS_B" sh -c "ss -ltn | grep -q ':$port '" ||
		vtl_fail "iperf3 server did not listen"
	in_ns_t 120 "$NS_A" iperf3 -c "$IP_B" -p "$port" -C cubic -n "${MB}M" -J >"$T/iperf.json"
	vtl_wait_pid "$srv" 10 || true
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("%.1f" % (d["end"]["sum_received"]["bits_per_second"]/1e6))' "$T/iperf.json"
}

# (nsenter keeps the host's /sys: the counters come from ip -s)
rx_bytes() { in_ns "$NS_B" ip -s -j link show dev "$IF_B" |
	python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["rx"]["bytes"])'; }

blaster() { # [--udp PORT] -> "send_Mbps recv_Mbps" (payload)
	local n=$((BYTES / 1400)) b0 b1 out secs frame=$((14 + 20 + 32 + 1400))
	[[ ${1:-} == --udp ]] && frame=$((frame + 8))
	b0=$(rx_bytes)
	out=$(in_ns_t 120 "$NS_A" "$BIN/vtl-blaster" "$@" "$IP_B" "$n" 1400)
	b1=$(rx_bytes)
	secs=$(sed -n 's/.* in \([0-9.]*\) s:.*/\1/p' <<<"$out")
	python3 -c "s=float('$secs'); print('%.1f %.1f' % ($n*1400*8/s/1e6, ($b1-$b0)*1400/$frame*8/s/1e6))"
}

bidir_ok() {
	local out
	out=$("$BIN/vtlperf" -c 192.0.2.1 --bidir 2>&1 || true)
	[[ $out != *"not built yet"* ]]
}

declare -A R
add() { R[$1]="${R[$1]:-} $2"; }
vtld_start "$NS_A" "$IF_A"
vtld_start "$NS_B" "$IF_B"
for ((i = 0; i < RUNS; i++)); do
	add gbn_raw "$(vtl_perf gbn)"
	add sr_raw "$(vtl_perf sr)"
	if bidir_ok; then add sr_bidir "$(vtl_perf sr --bidir)"; fi
	add tcp "$(tcp_cubic)"
done
# A starts its sessions over UDP now (B answers either way)
vtld_stop "$NS_A"
vtld_start "$NS_A" "$IF_A" --encap udp
for ((i = 0; i < RUNS; i++)); do
	add gbn_udp "$(vtl_perf gbn)"
	add sr_udp "$(vtl_perf sr)"
done
# the blasters' packets are not VTL sessions: run them with vtld stopped
vtld_stop "$NS_A"
vtld_stop "$NS_B"
read -r BS BR <<<"$(blaster)"
read -r US UR <<<"$(blaster --udp "$UDP_PORT")"

{
	for k in "${!R[@]}"; do
		printf '%s %s\n' "$k" "$(printf '%s\n' ${R[$k]} | median)"
	done
	printf 'blast_raw_sent %s\nblast_raw %s\nblast_udp_sent %s\nblast_udp %s\n' \
		"$BS" "$BR" "$US" "$UR"
} >"$T/figures.txt"
python3 - "$MB" "$RUNS" "$T/figures.txt" <<'PY'
import sys
mb, runs, path = sys.argv[1], sys.argv[2], sys.argv[3]
f = dict(l.split() for l in open(path) if l.strip())
f = {k: float(v) for k, v in f.items()}
tcp = f["tcp"]
rows = [("raw blaster, received", "blast_raw"), ("UDP blaster, received", "blast_udp"),
        ("VTL gbn, raw 253", "gbn_raw"), ("VTL sr, raw 253", "sr_raw"),
        ("VTL gbn, UDP", "gbn_udp"), ("VTL sr, UDP", "sr_udp"),
        ("VTL sr, full duplex (sum)", "sr_bidir"), ("TCP cubic (iperf3)", "tcp")]
print(f"bench/throughput: {mb} MB over a clean veth pair, median of {runs} runs "
      f"(VTL: default window; blasters: 1400 B payload)")
print(f"  {'':<28}{'Mb/s':>10}{'x TCP':>8}")
for name, k in rows:
    if k in f:
        print(f"  {name:<28}{f[k]:10.1f}{f[k] / tcp:8.2f}")
low = [n for n, k in rows[2:6] if k in f and f[k] / tcp < 0.6]
print("  the bar (VTL gbn and sr >= 0.6 x TCP cubic): " +
      ("met" if not low else "not met by " + ", ".join(low)))
PY
