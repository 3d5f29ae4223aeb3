#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# e2e_sr_tlp: the sr-tlp graft (Selective Repeat + Tail Loss Probe) through
# vtl-netem at the VTL paper's setting (RTT 10 ms, 16 Mb/s):
#   1. a 4 MB file byte-exact at 2 % random loss (both directions);
#   2. short requests of exactly 10 packets whose LAST packet is lost
#      (vtl-netem drop-nth 10: deterministic): with sr-tlp each completes
#      byte-exact without a retransmission timeout, the lost tail repaired
#      by one probe (vtlctl counter "probes", vtlcat "timeouts 0"); plain sr
#      in the same run needs its RTO. Completion times are printed.
# shellcheck source-path=SCRIPTDIR source=../lib/netns.sh
. "$(dirname "$0")/../lib/netns.sh"
vtl_test_init e2e_sr_tlp
vtl_require_bins vtld vtlcat vtlctl vtl-netem

RUNS=${VTL_TLP_RUNS:-3}
vtl_topo_netem --delay 5ms --rate 16mbit --seed 42
vtld_start "$NS_A" "$IF_A"
vtld_start "$NS_B" "$IF_B"
vtl_mkfile "$T/f4" 4M

xfer() { # GRAFT FILE: transfer A -> B; logs in $T/tx.log $T/rx.log
	local g=$1 f=$2 port rx
	port=$(vtl_rand_port)
	vtlcat_listen "$NS_B" "$port" "$T/out" "$T/rx.log"
	rx=$VTL_BG_PID
	vtlcat_send 120 "$NS_A" "$IP_B" "$port" "$f" "$T/tx.log" -g "$g"
	vtl_expect_exit "$rx" 30 "receiver ($g)" "$T/rx.log"
	vtl_assert_same_file "$f" "$T/out" "$g: $(basename "$f")"
}
field() { sed -nE "s/.*$1 ([0-9.]+).*/\\1/p" "$2" | tail -n 1; }
probes() { vtlctl_status "$NS_A" "$T/st.json"; vtl_counter "$T/st.json" probes; }

# 1. bulk at 2 % loss
vtl_netem_set loss 2%
xfer sr-tlp "$T/f4"
retx=$(field retransmissions "$T/tx.log")
vtl_assert_gt "$retx" 0 "sr-tlp retransmissions at 2 % loss"
vtl_pass "sr-tlp 4 MB at 2 % loss: $(grep -o 'goodput [0-9.]* Mb/s' "$T/tx.log"), $retx retransmissions, $(probes) probes so far"
mss=$(field mss "$T/tx.log")
[[ $mss =~ ^[0-9]+$ ]] || vtl_fail "no mss in vtlcat's report"

# 2. short requests, the last of their 10 packets lost
vtl_netem_set both loss 0% a2b drop-nth 10
vtl_mkfile "$T/req" "$((10 * mss))"
p0=$(probes)
times_tlp=() times_sr=()
for ((i = 0; i < RUNS; i++)); do
	xfer sr-tlp "$T/req"
	vtl_assert_eq "$(field timeouts "$T/tx.log")" 0 "sr-tlp run $i: timeouts"
	vtl_assert_eq "$(field retransmissions "$T/tx.log")" 1 "sr-tlp run $i: retransmissions"
	times_tlp+=("$(field 'bytes in' "$T/tx.log")")
	xfer sr "$T/req"
	vtl_assert_gt "$(field timeouts "$T/tx.log")" 0 "sr run $i: timeouts (the tail needs the RTO)"
	times_sr+=("$(field 'bytes in' "$T/tx.log")")
done
p1=$(probes)
vtl_assert_eq "$((p1 - p0))" "$RUNS" "probes sent for $RUNS sr-tlp requests"
vtl_netem_stats "$T/netem.json"
vtl_assert_eq "$(vtl_json "$T/netem.json" "d['a2b']['counters']['drop_nth']")" "$((2 * RUNS))" \
	"tail packets dropped by vtl-netem"
vtl_pass "10-packet requests, last packet lost, completion (s): sr-tlp ${times_tlp[*]} | sr ${times_sr[*]}"
vtl_pass "sr-tlp through vtl-netem"
