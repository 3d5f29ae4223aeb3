#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# e2e_gbn_loss: Go-Back-N recovers from random loss.
# A -- R -- B, vtld on A and B, the vtl_loss XDP injector on both of R's
# ingress veths dropping 2 % of DATA packets (20000 ppm). 50 MB A -> B over
# gbn must arrive byte-exact; the sender must report retransmissions > 0
# and the injector on A's side must have dropped DATA packets. (The injector
# on R also gives the veth peers of A and B an XDP program, which XDP_TX
# and redirect on veth need: VTL-DESIGN.md section 9.)
# shellcheck source-path=SCRIPTDIR source=../lib/netns.sh
. "$(dirname "$0")/../lib/netns.sh"
vtl_test_init e2e_gbn_loss
vtl_require_bins vtld vtlcat vtlctl vtl_loss

vtl_topo_routed
for ifc in "$IF_RA" "$IF_RB"; do
	out=$(in_ns "$NS_R" "$BIN/vtl_loss" "$ifc" 20000) || vtl_fail "vtl_loss on $ifc: $out"
	vtl_log "loss injector on $ifc: $out"
done
vtld_start "$NS_A" "$IF_A"
vtld_start "$NS_B" "$IF_B"

vtl_mkfile "$T/big.in" 50M
port=$(vtl_rand_port)
vtlcat_listen "$NS_B" "$port" "$T/big.out" "$T/rx.log"
rx=$VTL_BG_PID
vtlcat_send 600 "$NS_A" "$IP_B" "$port" "$T/big.in" "$T/tx.log" -g gbn
vtl_expect_exit "$rx" 60 "receiver" "$T/rx.log"
vtl_assert_same_file "$T/big.in" "$T/big.out" "50 MB A -> B over gbn at 2 % DATA loss"

retx=$(sed -nE 's/.*retransmissions[^0-9]*([0-9]+).*/\1/p' "$T/tx.log" | tail -n 1)
[[ -n $retx ]] || { cat "$T/tx.log" >&2; vtl_fail "sender printed no 'retransmissions N' line"; }
vtl_assert_gt "$retx" 0 "sender retransmissions"

stats=$(in_ns "$NS_R" "$BIN/vtl_loss" --stats "$IF_RA" | head -n 1)
vtl_log "injector on $IF_RA: $stats"
read -r _ passed _ dropped _ eligible _ <<<"$stats"
vtl_assert_gt "$dropped" 0 "DATA packets dropped by the injector on $IF_RA"
# 50 MB is >= 35000 DATA packets: the drop rate must be near 2 %
(( eligible > 0 && dropped * 1000 >= eligible * 10 && dropped * 1000 <= eligible * 35 )) ||
	vtl_fail "injector dropped $dropped of $eligible DATA packets, expected 1..3.5 %"
vtl_pass "injector dropped $dropped of $eligible DATA packets ($passed passed)"
vtl_pass "gbn under loss"
