#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# e2e_hooker_loss: an unmodified iperf3 through the Hooker under loss.
# A -- vtl-netem (RTT 10 ms, 16 Mb/s, 5 % loss each way) -- B.
#   iperf3 -t 10 from A's hooked cgroup (the Control Broker's rules put
#   hooked flows on sr) completes and the server receives more than plain
#   TCP cubic (iperf3 -C cubic outside the cgroup) in the same time, on the
#   same path, in the same run.
# shellcheck source-path=SCRIPTDIR source=../lib/netns.sh
. "$(dirname "$0")/../lib/netns.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/hooker.sh
. "$(dirname "$0")/../lib/hooker.sh"
vtl_test_init e2e_hooker_loss
vtl_require_bins vtld vtlctl vtl-hooker vtl-netem
command -v iperf3 >/dev/null || vtl_skip "iperf3 is not installed"
SECS=${VTL_HK_LOSS_SECS:-10}

vtl_topo_netem --delay 5ms --rate 16mbit
vtl_netem_set both loss 5%
for ns in "$NS_A" "$NS_B"; do
	in_ns "$ns" sysctl -qw net.ipv4.tcp_congestion_control=cubic 2>/dev/null || true
done
vtld_start "$NS_A" "$IF_A"
vtld_start "$NS_B" "$IF_B"
hk_start "$NS_A"
hk_start "$NS_B"
listening() { [[ -n $(in_ns "$1" ss -Hltn "sport = :$2") ]]; }

# run NAME CMD-PREFIX...: one iperf3 test of $SECS s; prints bytes received
run() {
	local name=$1 port
	shift
	port=$(vtl_rand_port)
	vtl_bg "$NS_B" "$T/iperf-s-$name.log" iperf3 -s -1 -B "$IP_B" -p "$port"
	wait_for 10 listening "$NS_B" "$port" || vtl_fail "iperf3 -s did not listen"
	"$@" iperf3 -c "$IP_B" -p "$port" -C cubic -t "$SECS" -J >"$T/iperf-$name.json" ||
		{ tail -n 20 "$T/iperf-$name.json" >&2; vtl_fail "$name: iperf3 failed"; }
	vtl_json "$T/iperf-$name.json" "d['end']['sum_received']['bytes']"
}
tcp=$(run tcp in_ns_t $((SECS + 60)) "$NS_A")
vtl=$(run hooked hk_run_t $((SECS + 60)) "$NS_A")
vtl_assert_eq "$(hk_count "$NS_A" via_vtl)" 2 "iperf3 flows carried over VTL"
grep -q 'accepted sr ' "$T/vtld-$NS_B.log" || vtl_fail "B's vtld accepted no sr session"
ratio=$(awk -v a="$vtl" -v b="$tcp" 'BEGIN { printf "%.2f", a / b }')
vtl_log "5% loss, RTT 10 ms, 16 Mb/s, $SECS s: TCP cubic $tcp B, iperf3 through the Hooker on sr $vtl B ($ratio x)"
vtl_assert_gt "$vtl" "$tcp" "bytes received through the Hooker (sr) vs plain TCP cubic"
