#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# e2e_grafts: the reliable graft family through vtl-netem at the VTL
# paper's setting (RTT 10 ms, 16 Mb/s):
#   1. sw, gbn and sr each carry a 4 MB file byte-exact at 0, 1 and 5 %
#      random loss (both directions); with loss, retransmissions > 0.
#   2. sr with 1 % loss, 2 % reordering and 1 % duplication: byte-exact.
#   3. pr at 5 % loss with a 10 % budget: delivers in order, gives up some
#      packets but no more than 10 %, and reports exactly how many (the
#      received file is the sent one minus exactly that many whole packets).
# sw sends one packet per RTT (about 1.2 Mb/s here), so it carries 1 MB.
# shellcheck source-path=SCRIPTDIR source=../lib/netns.sh
. "$(dirname "$0")/../lib/netns.sh"
vtl_test_init e2e_grafts
vtl_require_bins vtld vtlcat vtl-netem

vtl_topo_netem --delay 5ms --rate 16mbit --seed 42
vtld_start "$NS_A" "$IF_A"
vtld_start "$NS_B" "$IF_B"
vtl_mkfile "$T/f4" 4M
head -c 1M "$T/f4" >"$T/f1"

xfer() { # GRAFT FILE [vtlcat args...]: transfer, leave logs in $T/tx.log $T/rx.log
	local g=$1 f=$2 port rx
	shift 2
	port=$(vtl_rand_port)
	vtlcat_listen "$NS_B" "$port" "$T/out" "$T/rx.log"
	rx=$VTL_BG_PID
	vtlcat_send 300 "$NS_A" "$IP_B" "$port" "$f" "$T/tx.log" -g "$g" "$@"
	vtl_expect_exit "$rx" 60 "receiver ($g)" "$T/rx.log"
}
field() { sed -nE "s/.*$1 ([0-9.]+).*/\\1/p" "$2" | tail -n 1; }

for loss in 0 1 5; do
	vtl_netem_set loss "$loss%"
	for g in sw gbn sr; do
		f="$T/f4"
		[[ $g == sw ]] && f="$T/f1"
		xfer "$g" "$f"
		vtl_assert_same_file "$f" "$T/out" "$g at $loss % loss"
		retx=$(field retransmissions "$T/tx.log")
		[[ $loss == 0 ]] || vtl_assert_gt "$retx" 0 "$g retransmissions at $loss % loss"
		vtl_pass "$g at $loss %: $(grep -o 'goodput [0-9.]* Mb/s' "$T/tx.log"), $retx retransmissions"
	done
done

vtl_netem_set loss 1% reorder 2% dup 1%
xfer sr "$T/f4"
vtl_assert_same_file "$T/f4" "$T/out" "sr with 1 % loss, 2 % reordering, 1 % duplication"
vtl_pass "sr under reordering and duplication: $(grep -o 'duplicates [0-9]*, out of order [0-9]*' "$T/rx.log")"

vtl_netem_set loss 5% reorder 0% dup 0%
xfer pr "$T/f4" --max-loss 10
lost=$(field lost "$T/rx.log")
mss=$(sed -nE 's/.*mss ([0-9]+).*/\1/p' "$T/tx.log" | head -n 1)
vtl_assert_gt "$lost" 0 "pr gave up packets at 5 % loss"
python3 "$(dirname "$0")/../lib/pr_check.py" "$T/f4" "$T/out" "$mss" "$lost" ||
	vtl_fail "pr delivery does not match what it reported"
total=$(( ($(stat -c %s "$T/f4") + mss - 1) / mss ))
(( lost * 10 <= total )) || vtl_fail "pr gave up $lost of $total packets, above its 10 % budget"
vtl_pass "pr: gave up $lost of $total packets (budget 10 %), reported exactly"
vtl_pass "graft family through vtl-netem"
