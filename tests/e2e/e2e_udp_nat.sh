#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# e2e_udp_nat: VTL over UDP (vtld --encap udp), through a NAT.
#   1. Both encapsulations on one host: A starts sessions over UDP, B over
#      raw protocol 253; A -> B and B -> A at once, byte-exact, and each
#      side's session list shows the encapsulation it was reached by.
#   2. Two initiators behind one masquerading router (nftables in a gateway
#      namespace; B has no route to their networks), 2 % loss each way
#      through vtl-netem between the gateway and B: sr over UDP from both at
#      once, byte-exact; B sees the gateway's address, not theirs, and two
#      ports (both initiators send from port 4753: the NAT must move one).
# shellcheck source-path=SCRIPTDIR source=../lib/netns.sh
. "$(dirname "$0")/../lib/netns.sh"
vtl_test_init e2e_udp_nat
vtl_require_bins vtld vtlcat vtlctl vtl-netem
command -v nft >/dev/null 2>&1 || vtl_skip "nft (Debian package nftables) is not installed"

UDP_PORT=4753   # VTL_UDP_PORT_DEFAULT: the port both vtlds listen on

# session_field NS FIELD: FIELD of the one session NS has, from -j session list
sessions_json() { vtlctl_json "$1" session list >"$T/sl-$1.json"; }
vtlctl_json() {
	local ns=$1
	shift
	in_ns "$ns" "$BIN/vtlctl" --socket "$(vtld_sock "$ns")" -j "$@"
}
have_sessions() { sessions_json "$1" && (( $(vtl_json "$T/sl-$1.json" "len(d)") >= $2 )); }

# ---- 1. both encapsulations on one host ---------------------------------------
vtl_topo_pair
vtld_start "$NS_A" "$IF_A" --encap udp
vtld_start "$NS_B" "$IF_B"
vtl_xfer_start ab "$NS_B" "$NS_A" "$IP_B" 8M -g sr
vtl_xfer_start ba "$NS_A" "$NS_B" "$IP_A" 8M -g sr
wait_for 20 have_sessions "$NS_B" 2 || vtl_fail "B never had both sessions open"
vtl_assert_eq "$(vtl_json "$T/sl-$NS_B.json" "' | '.join(sorted(s['peer'] + ' ' + s['encap'] for s in d))")" \
	"$IP_A raw | $IP_A udp:$UDP_PORT udp" \
	"B: A's session over UDP (from A's port), its own over raw"
vtl_xfer_finish ab 120 "8 MB A -> B, sr over UDP"
vtl_xfer_finish ba 120 "8 MB B -> A, sr over raw protocol 253"

# ---- 2. behind a NAT, 2 % loss -------------------------------------------------
# A  (10.232.x.1) --+
#                    G (NAT; outside 10.234.y.1) -- [vtl-netem in R] -- B (10.234.y.2)
# A2 (10.235.x.1) --+
_vtl_new_sfx
x=$((16#$(_vtl_rand_hex 1)))
y=$((16#$(_vtl_rand_hex 1)))
_vtl_add_ns a NS_A
_vtl_add_ns a2 NS_A2
_vtl_add_ns g NS_G
_vtl_add_ns r NS_R
_vtl_add_ns b NS_B
IF_A="va-$VTL_SFX"; IF_GA="vga-$VTL_SFX"; IF_GB="vgb-$VTL_SFX"
IF_RA="vra-$VTL_SFX"; IF_RB="vrb-$VTL_SFX"; IF_B="vb-$VTL_SFX"
IF_A2="va2-$VTL_SFX"; IF_GA2="vga2-$VTL_SFX"
_vtl_veth "$NS_A" "$IF_A" "$NS_G" "$IF_GA"
_vtl_veth "$NS_A2" "$IF_A2" "$NS_G" "$IF_GA2"
_vtl_veth "$NS_G" "$IF_GB" "$NS_R" "$IF_RA"
_vtl_veth "$NS_R" "$IF_RB" "$NS_B" "$IF_B"
IP_A="10.232.$x.1"; IP_GA="10.232.$x.254"; IP_G="10.234.$y.1"; IP_B="10.234.$y.2"
IP_A2="10.235.$x.1"; IP_GA2="10.235.$x.254"
ip -n "$NS_A" addr add "$IP_A/24" dev "$IF_A"
ip -n "$NS_A2" addr add "$IP_A2/24" dev "$IF_A2"
ip -n "$NS_G" addr add "$IP_GA/24" dev "$IF_GA"
ip -n "$NS_G" addr add "$IP_GA2/24" dev "$IF_GA2"
ip -n "$NS_G" addr add "$IP_G/24" dev "$IF_GB"
ip -n "$NS_B" addr add "$IP_B/24" dev "$IF_B"
in_ns "$NS_G" sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward'
for ifc in "$IF_RA" "$IF_RB"; do
	in_ns "$NS_R" sh -c "echo 1 > /proc/sys/net/ipv6/conf/$ifc/disable_ipv6" 2>/dev/null || true
done
for p in "$NS_A $IF_A" "$NS_A2 $IF_A2" "$NS_G $IF_GA" "$NS_G $IF_GA2" "$NS_G $IF_GB" "$NS_R $IF_RA" "$NS_R $IF_RB" "$NS_B $IF_B"; do
	_vtl_offloads_off $p
done
_vtl_links_up "$NS_A" "$IF_A" "$NS_A2" "$IF_A2" "$NS_G" "$IF_GA" "$NS_G" "$IF_GA2" \
	"$NS_G" "$IF_GB" "$NS_R" "$IF_RA" "$NS_R" "$IF_RB" "$NS_B" "$IF_B"
ip -n "$NS_A" route add default via "$IP_GA"
ip -n "$NS_A2" route add default via "$IP_GA2"
# B knows no way to A's network: only the gateway's translation brings replies back
in_ns "$NS_G" nft -f - <<NFT
table ip vtl_nat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "$IF_GB" ip saddr { 10.232.$x.0/24, 10.235.$x.0/24 } masquerade
	}
}
NFT
vtl_netem_start
vtl_log "topology nat: $NS_A/$IF_A $IP_A -> [$NS_G NAT $IP_G] -> [vtl-netem $NS_R] -> $NS_B/$IF_B $IP_B"
vtl_netem_set loss 2%
vtld_start "$NS_A" "$IF_A" --encap udp
vtld_start "$NS_A2" "$IF_A2" --encap udp
vtld_start "$NS_B" "$IF_B"

vtl_xfer_start nat1 "$NS_B" "$NS_A" "$IP_B" 8M -g sr
vtl_xfer_start nat2 "$NS_B" "$NS_A2" "$IP_B" 8M -g sr
wait_for 20 have_sessions "$NS_B" 2 || vtl_fail "B never saw both sessions"
peers=$(vtl_json "$T/sl-$NS_B.json" "' | '.join(sorted(s['peer'] for s in d))")
nports=$(vtl_json "$T/sl-$NS_B.json" "len({s['peer_port'] for s in d})")
[[ $(vtl_json "$T/sl-$NS_B.json" "all(s['peer_addr'] == '$IP_G' and s['encap'] == 'udp' for s in d)") == 1 ]] ||
	vtl_fail "B's sessions come from '$peers', want the gateway $IP_G over UDP (the NAT's address)"
vtl_assert_eq "$nports" 2 "B tells the two initiators apart by the ports the NAT gave them ($peers)"
for i in 1 2; do
	vtl_xfer_finish "nat$i" 240 "8 MB initiator $i -> B, sr over UDP through a NAT at 2 % loss"
done
vtl_netem_stats "$T/netem.json"
drops=$(vtl_json "$T/netem.json" "d['a2b']['counters']['drop_loss'] + d['b2a']['counters']['drop_loss']")
vtl_assert_gt "$drops" 50 "vtl-netem dropped packets on the way (2 %)"
vtl_pass "e2e_udp_nat"
