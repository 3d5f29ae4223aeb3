#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# e2e_gbn_loss: Go-Back-N recovers from random loss.
# A -- vtl-netem -- B, vtld on A and B; vtl-netem drops 2 % of the VTL
# frames from A to B (--filter vtl: DATA, and the NEGO and CLOSE with them;
# ARP and everything else cross unimpaired, and so do B's ACKs). 50 MB
# A -> B over gbn must arrive byte-exact; the sender must report
# retransmissions > 0, and vtl-netem must have dropped between 1 and 3.5 %
# of the VTL frames it saw from A, and none from B. (vtl-netem
# also gives the veth peers of A and B the XDP program that XDP_TX and
# redirect on veth need: docs/vtl-netem.md.)
# shellcheck source-path=SCRIPTDIR source=../lib/netns.sh
. "$(dirname "$0")/../lib/netns.sh"
vtl_test_init e2e_gbn_loss
vtl_require_bins vtld vtlcat vtlctl vtl-netem

vtl_topo_netem --seed 2 --filter vtl --a2b --loss 2%
vtld_start "$NS_A" "$IF_A"
vtld_start "$NS_B" "$IF_B"

vtl_mkfile "$T/big.in" 50M
port=$(vtl_rand_port)
vtlcat_listen "$NS_B" "$port" "$T/big.out" "$T/rx.log"
rx=$VTL_BG_PID
vtlcat_send 600 "$NS_A" "$IP_B" "$port" "$T/big.in" "$T/tx.log" -g gbn
vtl_expect_exit "$rx" 60 "receiver" "$T/rx.log"
vtl_assert_same_file "$T/big.in" "$T/big.out" "50 MB A -> B over gbn at 2 % loss of VTL frames"

retx=$(sed -nE 's/.*retransmissions[^0-9]*([0-9]+).*/\1/p' "$T/tx.log" | tail -n 1)
[[ -n $retx ]] || { cat "$T/tx.log" >&2; vtl_fail "sender printed no 'retransmissions N' line"; }
vtl_assert_gt "$retx" 0 "sender retransmissions"

vtl_netem_stats "$T/netem.json"
vtl_log "vtl-netem a2b: $(vtl_json "$T/netem.json" "d['a2b']['counters']")"
matched=$(vtl_netem_count "$T/netem.json" a2b matched)
dropped=$(vtl_netem_count "$T/netem.json" a2b drop_loss)
vtl_assert_gt "$dropped" 0 "VTL frames A -> B dropped by vtl-netem"
# 50 MB is >= 35000 DATA frames: the drop rate must be near 2 %
(( matched > 35000 && dropped * 1000 >= matched * 10 && dropped * 1000 <= matched * 35 )) ||
	vtl_fail "vtl-netem dropped $dropped of $matched VTL frames A -> B, expected 1..3.5 %"
vtl_pass "vtl-netem dropped $dropped of $matched VTL frames A -> B"
vtl_assert_eq "$(vtl_netem_count "$T/netem.json" b2a drop_loss)" 0 "frames dropped B -> A"
vtl_pass "gbn under loss"
