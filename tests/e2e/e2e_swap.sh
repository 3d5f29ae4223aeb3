#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# e2e_swap: hot swap of a running session's graft, through renegotiation.
#   1. Forced: an 8 MB gbn transfer through vtl-netem with 2 % loss is
#      swapped to sr mid-transfer by `vtlctl session swap`; the file
#      arrives byte-exact; `vtlctl session show -j` on both ends records the
#      swap (operator on the initiator, peer on the responder) with its
#      timestamps.
#   2. Adaptation: vtld runs the paper's rule
#         adapt reliable, rtt >= 300ms for 50ms -> pr(max_loss=10%)
#      (with a 50 ms hold). A 32 MB transfer starts at RTT 20 ms on gbn (0.5 % loss); the emulator's delay is raised
#      to 160 ms each way (RTT 320 ms); the rule swaps gbn -> pr on both ends
#      within 2 s of the change; pr keeps its budget (whole packets given up,
#      at most 10 % of those after the swap, reported exactly).
# shellcheck source-path=SCRIPTDIR source=../lib/netns.sh
. "$(dirname "$0")/../lib/netns.sh"
vtl_test_init e2e_swap
vtl_require_bins vtld vtlcat vtlctl vtl-netem

cat >"$T/rules" <<'RULES'
adapt reliable, rtt >= 300ms for 50ms -> pr(max_loss=10%)
reliable -> gbn
any -> canonical
RULES
vtl_topo_netem --delay 5ms --rate 16mbit --seed 11
vtld_start "$NS_A" "$IF_A" --rules "$T/rules"
vtld_start "$NS_B" "$IF_B" --rules "$T/rules"

ctl() { local ns=$1; shift; "$BIN/vtlctl" --socket "$(vtld_sock "$ns")" "$@"; }
# first session id in NS's session list (hex), empty if none
sid_of() { ctl "$1" -j session list >"$T/sl.json" 2>/dev/null &&
	vtl_json "$T/sl.json" "'%08x' % d[0]['session_id'] if d else ''" 2>/dev/null || true; }
acked() { ctl "$NS_A" -j session show "$1" >"$T/ss.json" 2>/dev/null &&
	vtl_json "$T/ss.json" "d['snd_una'] - d['snd_nxt'] + d['tx_data']" 2>/dev/null || echo 0; }
# conditions for wait_for (re-evaluated on every poll)
have_sid() { [[ -n $(sid_of "$NS_A") ]]; }
no_sid() { ctl "$NS_A" -j session list >"$T/sl.json" 2>/dev/null && [[ $(vtl_json "$T/sl.json" "len(d)") == 0 ]]; }
acked_over() { (( $(acked "$1") > $2 )); }
swap_done() { (( $(done_ms "$1") > 0 )); }

# ---- 1. forced gbn -> sr under 2 % loss ------------------------------------------
vtl_netem_set loss 2%
vtl_mkfile "$T/f.in" 8M
port=$(vtl_rand_port)
vtlcat_listen "$NS_B" "$port" "$T/f.out" "$T/rx1.log"
rx=$VTL_BG_PID
vtlcat_send_bg "$NS_A" "$IP_B" "$port" "$T/f.in" "$T/tx1.log" -g gbn
tx=$VTL_BG_PID
wait_for 20 have_sid
sid=$(sid_of "$NS_A")
wait_for 30 acked_over "$sid" 1000 # well into the transfer
ctl "$NS_A" session swap "$sid" sr >"$T/swap.out" || vtl_fail "session swap: $(cat "$T/swap.out")"
vtl_pass "$(cat "$T/swap.out")"
done_ms() { ctl "$1" -j session show "$sid" >"$T/sw-$1.json" 2>/dev/null &&
	vtl_json "$T/sw-$1.json" "d['swaps'][-1]['done_ms'] if d['swaps'] else 0" 2>/dev/null || echo 0; }
wait_for 10 swap_done "$NS_A"
vtl_assert_eq "$(vtl_json "$T/sw-$NS_A.json" "(d['graft'], d['swaps'][-1]['from'], d['swaps'][-1]['to'], d['swaps'][-1]['cause'])")" \
	"('sr', 'gbn', 'sr', 'operator')" "initiator records the operator's swap"
ctl "$NS_B" -j session show "$sid" >"$T/sw-b.json"
vtl_assert_eq "$(vtl_json "$T/sw-b.json" "(d['graft'], d['swaps'][-1]['to'], d['swaps'][-1]['cause'], d['swaps'][-1]['done_ms'] > 0)")" \
	"('sr', 'sr', 'peer', True)" "responder records the peer's swap"
vtl_expect_exit "$tx" 300 "sender across the swap" "$T/tx1.log"
vtl_expect_exit "$rx" 60 "receiver across the swap" "$T/rx1.log"
vtl_assert_same_file "$T/f.in" "$T/f.out" "8 MB gbn -> sr mid-transfer at 2 % loss"

# ---- 2. adaptation rule: RTT 20 -> 320 ms swaps gbn -> pr -----------------------
# part 1's session ends once both directions closed and the linger is over
wait_for 15 no_sid
vtl_netem_set loss 0.5% delay 10ms
vtl_mkfile "$T/f32.in" 32M  # the paper's scenario: a 32 MB transfer
port=$(vtl_rand_port)
vtlcat_listen "$NS_B" "$port" "$T/g.out" "$T/rx2.log"
rx=$VTL_BG_PID
vtlcat_send_bg "$NS_A" "$IP_B" "$port" "$T/f32.in" "$T/tx2.log"
tx=$VTL_BG_PID
wait_for 20 have_sid
sid=$(sid_of "$NS_A")
grep -q "graft gbn" "$T/tx2.log" || wait_for_line "$T/tx2.log" "graft gbn" 10 "$tx"
wait_for 30 acked_over "$sid" 500
t_change=$(ctl "$NS_A" -j session show "$sid" | python3 -c 'import json,sys; print(json.load(sys.stdin)["age_ms"])')
vtl_netem_set delay 160ms
wait_for 10 swap_done "$NS_A"
vtl_assert_eq "$(vtl_json "$T/sw-$NS_A.json" "(d['graft'], d['swaps'][-1]['from'], d['swaps'][-1]['to'], d['swaps'][-1]['cause'], d['swaps'][-1]['rule_line'])")" \
	"('pr', 'gbn', 'pr', 'rule', 1)" "the rtt rule swapped gbn -> pr"
t_done=$(vtl_json "$T/sw-$NS_A.json" "d['swaps'][-1]['done_ms']")
rtt_at=$(vtl_json "$T/sw-$NS_A.json" "d['swaps'][-1]['rtt_us']")
(( t_done - t_change <= 2000 )) || vtl_fail "swap completed $((t_done - t_change)) ms after the RTT change (> 2 s)"
vtl_assert_gt "$rtt_at" 300000 "srtt when the rule fired (us)"
ctl "$NS_B" -j session show "$sid" >"$T/sw-b2.json"
vtl_assert_eq "$(vtl_json "$T/sw-b2.json" "(d['graft'], d['max_loss_ppm'])")" "('pr', 100000)" \
	"responder runs pr with a 10 % budget"
t_dec=$(vtl_json "$T/sw-$NS_A.json" "d['swaps'][-1]['t_ms']")
vtl_pass "gbn -> pr decided $((t_dec - t_change)) ms and done on both ends $((t_done - t_change)) ms after the RTT change (rtt $((rtt_at / 1000)) ms)"
vtl_netem_set delay 10ms # let the rest go quickly
vtl_expect_exit "$tx" 300 "sender across the adaptation" "$T/tx2.log"
vtl_expect_exit "$rx" 60 "receiver across the adaptation" "$T/rx2.log"
lost=$(sed -nE 's/.*lost ([0-9]+) packets.*/\1/p' "$T/rx2.log" | tail -n 1)
mss=$(sed -nE 's/.*mss ([0-9]+).*/\1/p' "$T/tx2.log" | head -n 1)
python3 "$(dirname "$0")/../lib/pr_check.py" "$T/f32.in" "$T/g.out" "$mss" "$lost" ||
	vtl_fail "the data delivered across gbn -> pr does not match the loss report"
total=$(( ($(stat -c %s "$T/f32.in") + mss - 1) / mss ))
(( lost * 10 <= total )) || vtl_fail "gave up $lost of $total packets: over the 10 % budget"
vtl_pass "pr after the swap gave up $lost of $total packets, reported exactly"
vtl_pass "graft hot swap"
