#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# e2e_coexist_cleanup: vtld leaves ordinary traffic alone and leaves nothing
# behind.
#   1. with vtld on both hosts, ping and a 10 MB plain TCP transfer work
#      (byte-exact) and B's root program counts them as non-VTL passes;
#   2. SIGTERM: no XDP/TC program left on A's veth, pin directory
#      <bpf-root>/vtl/<ifname> gone, ping still works;
#   3. kill -9 leaves stale state behind; the next vtld must start anyway,
#      clean it up and carry a gbn transfer; then SIGTERM leaves nothing.
# shellcheck source-path=SCRIPTDIR source=../lib/netns.sh
. "$(dirname "$0")/../lib/netns.sh"
vtl_test_init e2e_coexist_cleanup
vtl_require_bins vtld vtlcat vtlctl

vtl_topo_pair
PINDIR="$T/bpf-$NS_A/vtl/$IF_A"
vtld_start "$NS_A" "$IF_A"
vtld_start "$NS_B" "$IF_B"
[[ -d $PINDIR ]] || vtl_fail "vtld did not pin under $PINDIR"
vtl_pass "vtld pins under $PINDIR"

# ---- 1. coexistence -------------------------------------------------------------
vtlctl_status "$NS_B" "$T/status-b0.json"
pass0=$(vtl_counter "$T/status-b0.json" pass_non_vtl)
vtl_ping "$NS_A" "$IP_B" 3
vtl_mkfile "$T/tcp.in" 10M
vtl_tcp_xfer "$NS_B" "$IP_B" "$NS_A" "$T/tcp.in"
vtlctl_status "$NS_B" "$T/status-b1.json"
pass1=$(vtl_counter "$T/status-b1.json" pass_non_vtl)
# >= 3 echo requests and ~7000 TCP segments reached B's XDP root program
vtl_assert_gt $((pass1 - pass0)) 100 "B's pass_non_vtl grew with ping + TCP"

# check_stopped: A's vtld is gone; nothing of it may remain.
check_stopped() {
	vtl_no_stale_attach "$NS_A" "$IF_A"
	[[ ! -e $PINDIR ]] || vtl_fail "pin directory $PINDIR still exists: $(find "$PINDIR" -mindepth 1 -maxdepth 1 -printf "%f " 2>&1)"
	vtl_pass "pin directory $PINDIR removed"
	[[ ! -e $(vtld_sock "$NS_A") ]] || vtl_fail "control socket $(vtld_sock "$NS_A") left behind"
}

# ---- 2. SIGTERM --------------------------------------------------------------------
vtld_stop "$NS_A" TERM
check_stopped
vtl_ping "$NS_A" "$IP_B" 3

# ---- 3. kill -9, restart over the stale state --------------------------------------
vtld_start "$NS_A" "$IF_A"
vtld_stop "$NS_A" KILL
stale=""
in_ns "$NS_A" ip -d link show dev "$IF_A" | grep -q 'prog/xdp' && stale+="XDP program attached; "
[[ -e $PINDIR ]] && stale+="pins: $(find "$PINDIR" -mindepth 1 -maxdepth 1 -printf "%f ")"
[[ -S $(vtld_sock "$NS_A") ]] && stale+="; control socket"
vtl_log "state left behind by kill -9: ${stale:-none}"
vtld_start "$NS_A" "$IF_A"
vtl_pass "vtld starts over the state of a killed instance"

# exactly one XDP program on A's veth, and it is the new instance's
xdp_ids=$(in_ns "$NS_A" ip -d link show dev "$IF_A" | grep -oE 'prog/xdp id [0-9]+' | awk '{ print $3 }' || true)
vtl_assert_eq "$(wc -w <<<"$xdp_ids")" 1 "XDP programs on $IF_A after the restart"
vtlctl_status "$NS_A" "$T/status-a2.json"
status_id=$(vtl_json "$T/status-a2.json" "d.get('xdp_prog_id', '')")
if [[ -n $status_id ]]; then
	vtl_assert_eq "$xdp_ids" "$status_id" "the attached XDP program is the new vtld's"
else
	vtl_log "note: status JSON has no xdp_prog_id; attached id $xdp_ids not cross-checked"
fi

vtl_mkfile "$T/small.in" 2M
port=$(vtl_rand_port)
vtlcat_listen "$NS_B" "$port" "$T/small.out" "$T/rx.log"
rx=$VTL_BG_PID
vtlcat_send 120 "$NS_A" "$IP_B" "$port" "$T/small.in" "$T/tx.log" -g gbn
vtl_expect_exit "$rx" 30 "receiver" "$T/rx.log"
vtl_assert_same_file "$T/small.in" "$T/small.out" "gbn transfer after kill -9 and restart"

vtld_stop "$NS_A" TERM
check_stopped
vtl_ping "$NS_A" "$IP_B" 3
vtl_pass "coexistence and cleanup"
