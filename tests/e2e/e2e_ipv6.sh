#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# e2e_ipv6: VTL over IPv6, raw protocol 253 and UDP, through vtl-netem at
# 2 % loss each way. A starts its sessions over raw IPv6, B over UDP; sr
# A -> B and B -> A at once, 8 MB each, byte-exact; each side's session
# list names the peer's IPv6 address and the encapsulation; the DATA went
# over IPv6 (vtl-netem counted the loss).
# shellcheck source-path=SCRIPTDIR source=../lib/netns.sh
. "$(dirname "$0")/../lib/netns.sh"
vtl_test_init e2e_ipv6
vtl_require_bins vtld vtlcat vtlctl vtl-netem
UDP_PORT=4753

sessions_json() {
	in_ns "$1" "$BIN/vtlctl" --socket "$(vtld_sock "$1")" -j session list >"$T/sl-$1.json"
}
have_sessions() { sessions_json "$1" && (( $(vtl_json "$T/sl-$1.json" "len(d)") >= $2 )); }
v6_ready() { in_ns "$1" ip -6 addr show dev "$2" | grep -q "$3" && ! in_ns "$1" ip -6 addr show dev "$2" | grep -q tentative; }

vtl_topo_netem
for ns in "$NS_A" "$NS_B"; do
	in_ns "$ns" sh -c 'echo 0 > /proc/sys/net/ipv6/conf/all/disable_ipv6' 2>/dev/null || true
done
x=$(_vtl_rand_hex 2)
IP6_A="fd00:$x::1"
IP6_B="fd00:$x::2"
ip -n "$NS_A" -6 addr add "$IP6_A/64" dev "$IF_A" nodad ||
	vtl_skip "cannot add an IPv6 address (IPv6 disabled on this host?)"
ip -n "$NS_B" -6 addr add "$IP6_B/64" dev "$IF_B" nodad
wait_for 5 v6_ready "$NS_A" "$IF_A" "$IP6_A" || vtl_fail "A's IPv6 address never became usable"
wait_for 5 v6_ready "$NS_B" "$IF_B" "$IP6_B" || vtl_fail "B's IPv6 address never became usable"
vtl_netem_set loss 2%
vtld_start "$NS_A" "$IF_A"
vtld_start "$NS_B" "$IF_B" --encap udp
grep -q 'over IPv4 and IPv6' "$T/vtld-$NS_A.log" || vtl_fail "A's vtld opened no IPv6 sockets"

vtl_xfer_start ab "$NS_B" "$NS_A" "$IP6_B" 8M -g sr
vtl_xfer_start ba "$NS_A" "$NS_B" "[$IP6_A]" 8M -g sr
wait_for 20 have_sessions "$NS_A" 2 || vtl_fail "A never had both sessions open"
vtl_assert_eq "$(vtl_json "$T/sl-$NS_A.json" "' | '.join(sorted(s['peer'] + ' ' + s['encap'] for s in d))")" \
	"[$IP6_B] udp:$UDP_PORT udp | $IP6_B raw" \
	"A: its session to B over raw IPv6, B's over UDP/IPv6"
vtl_xfer_finish ab 240 "8 MB A -> B, sr over raw IPv6 at 2 % loss"
vtl_xfer_finish ba 240 "8 MB B -> A, sr over UDP/IPv6 at 2 % loss"
grep -q "with $IP6_B: graft sr" "$T/tx-ab.log" || vtl_fail "vtlcat did not name B's IPv6 address"
vtl_netem_stats "$T/netem.json"
drops=$(vtl_json "$T/netem.json" "d['a2b']['counters']['drop_loss'] + d['b2a']['counters']['drop_loss']")
vtl_assert_gt "$drops" 50 "vtl-netem dropped packets on the way (2 %)"
vtl_pass "e2e_ipv6"
