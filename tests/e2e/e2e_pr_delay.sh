#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# e2e_pr_delay: the pr-delay graft (delay-bounded partial reliability)
# through vtl-netem: RTT 40 ms, 16 Mb/s, 3 % random loss on DATA and ACKs.
#   1. max delay 5 s: every retransmission arrives in time, nothing is
#      given up, the 4 MB file is byte-exact;
#   2. max delay 30 ms (below the RTT: no retransmission can be in time)
#      with a 10 % loss budget: holes are given up for their age (vtlctl
#      counter "giveup_late" on the receiver), the receiver reports exactly
#      what it skipped (the output is the input minus exactly that many whole
#      packets), stays within the budget, and the transfer completes.
# shellcheck source-path=SCRIPTDIR source=../lib/netns.sh
. "$(dirname "$0")/../lib/netns.sh"
vtl_test_init e2e_pr_delay
vtl_require_bins vtld vtlcat vtlctl vtl-netem

vtl_topo_netem --delay 20ms --rate 16mbit --loss 3% --seed 7
vtld_start "$NS_A" "$IF_A"
vtld_start "$NS_B" "$IF_B"
vtl_mkfile "$T/f4" 4M

xfer() { # MAX_DELAY_MS [vtlcat args]: transfer A -> B with pr-delay
	local d=$1 port rx
	shift
	port=$(vtl_rand_port)
	vtlcat_listen "$NS_B" "$port" "$T/out" "$T/rx.log"
	rx=$VTL_BG_PID
	vtlcat_send 300 "$NS_A" "$IP_B" "$port" "$T/f4" "$T/tx.log" -g pr-delay \
		--max-delay "$d" "$@"
	vtl_expect_exit "$rx" 60 "receiver (pr-delay, max delay $d ms)" "$T/rx.log"
}
field() { sed -nE "s/.*$1 ([0-9.]+).*/\\1/p" "$2" | tail -n 1; }
late() { vtlctl_status "$NS_B" "$T/st.json"; vtl_counter "$T/st.json" giveup_late; }

# 1. a generous max delay: fully reliable in practice
xfer 5000
vtl_assert_eq "$(field lost "$T/rx.log")" 0 "packets given up with a 5 s max delay"
vtl_assert_same_file "$T/f4" "$T/out" "pr-delay, max delay 5 s"
vtl_assert_eq "$(late)" 0 "giveup_late with a 5 s max delay"
vtl_pass "pr-delay, 5 s max delay: byte-exact, $(field retransmissions "$T/tx.log") retransmissions"

# 2. a max delay below the RTT: what is lost stays lost, within budget
xfer 30 --max-loss 10
lost=$(field lost "$T/rx.log")
mss=$(field mss "$T/tx.log")
total=$(( ($(stat -c %s "$T/f4") + mss - 1) / mss ))
vtl_assert_gt "$lost" 0 "packets given up with a 30 ms max delay"
vtl_assert_gt "$(late)" 0 "giveup_late with a 30 ms max delay"
python3 "$(dirname "$0")/../lib/pr_check.py" "$T/f4" "$T/out" "$mss" "$lost" ||
	vtl_fail "pr-delay delivery does not match what it reported"
(( lost * 10 <= total )) || vtl_fail "pr-delay gave up $lost of $total packets, above its 10 % budget"
vtl_pass "pr-delay, 30 ms max delay: gave up $lost of $total packets (budget 10 %), reported exactly; giveup_late $(late)"
vtl_pass "pr-delay through vtl-netem"
