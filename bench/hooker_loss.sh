#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# bench/hooker_loss: what an unmodified TCP application gets through the
# Hooker under loss, next to plain TCP cubic on the same path, in the same
# run. A -- vtl-netem (RTT 10 ms, 16 Mb/s, the paper's setting) -- B, vtld
# and vtl-hooker on both; hooked flows go on sr (the Control Broker's
# built-in rules). For each loss rate (random, each way, every frame):
#   - TCP cubic: iperf3 -C cubic -t SECS from A outside the hooked cgroup
#   - hooked:    the same from inside A's hooked cgroup (over VTL)
# with vtl-netem reseeded before each run, so both face the same loss
# pattern for the same frame sequence. Prints the bytes each server
# received, goodput and the ratio hooked / TCP.
# A benchmark, not a test: it prints figures and ratios. (The correctness
# of the same path, byte-exact and all over VTL, is tests/e2e/e2e_hooker_loss.sh.)
#
#   sudo bench/hooker_loss.sh [SECS (10)] [LOSSES ("5")]
# e.g. bench/hooker_loss.sh 10 "0 1 2 5"
set -euo pipefail
# shellcheck source=../tests/lib/netns.sh
. "$(dirname "$0")/../tests/lib/netns.sh"
# shellcheck source=../tests/lib/hooker.sh
. "$(dirname "$0")/../tests/lib/hooker.sh"
vtl_test_init bench_hooker_loss
vtl_require_bins vtld vtlctl vtl-hooker vtl-netem
command -v iperf3 >/dev/null || vtl_skip "iperf3 is not installed (apt-get install iperf3)"

SECS=${1:-10}
LOSSES=${2:-5}
SEED=5
vtl_topo_netem --seed "$SEED" --delay 5ms --rate 16mbit
# the paper compares with TCP cubic; the default here is bbr
for ns in "$NS_A" "$NS_B"; do
	in_ns "$ns" sysctl -qw net.ipv4.tcp_congestion_control=cubic 2>/dev/null || true
done
vtld_start "$NS_A" "$IF_A"
vtld_start "$NS_B" "$IF_B"
hk_start "$NS_A"
hk_start "$NS_B"
listening() { [[ -n $(in_ns "$1" ss -Hltn "sport = :$2") ]]; }

# run NAME CMD-PREFIX...: one iperf3 run of $SECS s; prints the bytes the
# server received
run() {
	local name=$1 port
	shift
	port=$(vtl_rand_port)
	vtl_bg "$NS_B" "$T/iperf-s-$name.log" iperf3 -s -1 -B "$IP_B" -p "$port"
	wait_for 10 listening "$NS_B" "$port" || vtl_fail "iperf3 -s did not listen"
	vtl_netem_ctl seed "$SEED" >/dev/null
	"$@" iperf3 -c "$IP_B" -p "$port" -C cubic -t "$SECS" -J >"$T/iperf-$name.json" ||
		{ tail -n 20 "$T/iperf-$name.json" >&2; vtl_fail "$name: iperf3 failed"; }
	vtl_json "$T/iperf-$name.json" "d['end']['sum_received']['bytes']"
}

RES="$T/results"
: >"$RES"
for loss in $LOSSES; do
	vtl_netem_set both loss "$loss%"
	via0=$(hk_count "$NS_A" via_vtl)
	tcp=$(run "tcp-$loss" in_ns_t $((SECS + 60)) "$NS_A")
	vtl=$(run "hooked-$loss" hk_run_t $((SECS + 60)) "$NS_A")
	via=$(( $(hk_count "$NS_A" via_vtl) - via0 ))
	[[ $via == 2 ]] || vtl_log "warning: $via of 2 hooked iperf3 flows went over VTL at $loss %"
	echo "$loss $tcp $vtl $via" | tee -a "$RES" >&2
done

python3 - "$RES" "$SECS" <<'EOF'
import sys
secs = float(sys.argv[2])
print("\nbench/hooker_loss: iperf3 -t %g through vtl-netem (RTT 10 ms, 16 Mb/s), same run" % secs)
print("  %-8s %14s %14s %10s %10s %8s %8s" %
      ("loss", "TCP cubic B", "Hooker (sr) B", "TCP Mb/s", "Hkr Mb/s", "ratio", "via VTL"))
for line in open(sys.argv[1]):
    loss, tcp, vtl, via = line.split()
    tcp, vtl = int(tcp), int(vtl)
    print("  %-8s %14d %14d %10.2f %10.2f %8s %8s" %
          (loss + " %", tcp, vtl, tcp * 8 / secs / 1e6, vtl * 8 / secs / 1e6,
           "%.2f" % (vtl / tcp) if tcp else "-", via + "/2"))
EOF
