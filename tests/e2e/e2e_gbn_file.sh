#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# e2e_gbn_file: Go-Back-N file transfers between two vtld hosts on a veth.
#   1. 50 MB of random bytes A -> B over -g gbn, byte-exact (sha256).
#   2. four concurrent gbn sessions, two A -> B and two B -> A, 8 MB each,
#      distinct ports, each byte-exact.
#   3. a clean link: no checksum drops on either host, gbn in the pool.
# shellcheck source-path=SCRIPTDIR source=../lib/netns.sh
. "$(dirname "$0")/../lib/netns.sh"
vtl_test_init e2e_gbn_file
vtl_require_bins vtld vtlcat vtlctl

vtl_topo_pair
vtld_start "$NS_A" "$IF_A"
vtld_start "$NS_B" "$IF_B"

vtlctl_status "$NS_A" "$T/status-a0.json"
vtl_assert_eq "$(vtl_json "$T/status-a0.json" "any(g.get('name') == 'gbn' for g in d['grafts'])")" 1 \
	"graft gbn is in A's pool"

# ---- 1. one 50 MB transfer ----------------------------------------------------
vtl_mkfile "$T/big.in" 50M
port=$(vtl_rand_port)
vtlcat_listen "$NS_B" "$port" "$T/big.out" "$T/rx-big.log"
rx=$VTL_BG_PID
vtlcat_send 300 "$NS_A" "$IP_B" "$port" "$T/big.in" "$T/tx-big.log" -g gbn
vtl_expect_exit "$rx" 60 "receiver of the 50 MB file" "$T/rx-big.log"
vtl_assert_same_file "$T/big.in" "$T/big.out" "50 MB A -> B over gbn"
rm -f "$T/big.in" "$T/big.out"

# ---- 2. four concurrent sessions, both directions ------------------------------
p0=$(vtl_rand_port)
ports=("$p0" $((p0 + 1)) $((p0 + 2)) $((p0 + 3)))
#        receiver  sender   peer address of the receiver
dirs=("$NS_B $NS_A $IP_B" "$NS_B $NS_A $IP_B" "$NS_A $NS_B $IP_A" "$NS_A $NS_B $IP_A")
rxpids=()
for i in 0 1 2 3; do
	read -r rns _ _ <<<"${dirs[i]}"
	vtl_mkfile "$T/c$i.in" 8M
	vtlcat_listen "$rns" "${ports[i]}" "$T/c$i.out" "$T/rx-c$i.log"
	rxpids+=("$VTL_BG_PID")
done
txpids=()
for i in 0 1 2 3; do
	read -r _ sns host <<<"${dirs[i]}"
	vtl_bg "$sns" "$T/tx-c$i.log" "$BIN/vtlcat" -g gbn -p "${ports[i]}" \
		--socket "$(vtld_sock "$sns")" -v "$host" <"$T/c$i.in"
	txpids+=("$VTL_BG_PID")
done
for i in 0 1 2 3; do
	vtl_expect_exit "${txpids[i]}" 300 "concurrent sender $i (port ${ports[i]})" "$T/tx-c$i.log"
done
for i in 0 1 2 3; do
	vtl_expect_exit "${rxpids[i]}" 60 "concurrent receiver $i (port ${ports[i]})" "$T/rx-c$i.log"
	vtl_assert_same_file "$T/c$i.in" "$T/c$i.out" "concurrent session $i (${dirs[i]##* } port ${ports[i]})"
done

# ---- 3. counters on a clean link ------------------------------------------------
for ns in "$NS_A" "$NS_B"; do
	vtlctl_status "$ns" "$T/status-$ns.json"
	vtl_assert_eq "$(vtl_counter "$T/status-$ns.json" drop_bad_csum)" 0 "no checksum drops in $ns"
	vtl_assert_eq "$(vtl_json "$T/status-$ns.json" "d['ifname']")" \
		"$([[ $ns == "$NS_A" ]] && echo "$IF_A" || echo "$IF_B")" "vtld in $ns owns its veth"
done
vtl_pass "gbn file transfers"
