#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# e2e_netns_lib: self-test of tests/lib/netns.sh, including its vtl-netem
# topology and counters, which the loss tests rely on. Needs no vtld.
#   1. pair and routed topologies: ping and a byte-exact TCP transfer, both
#      directions, through the router;
#   2. vtl-netem between A and B (vtl_topo_netem): ping and byte-exact TCP
#      both ways; with --filter vtl and 20 % loss A -> B, protocol-253
#      packets are dropped at about that rate while TCP crosses unimpaired;
#      its counters agree exactly with what B receives; a runtime change of
#      the filter stops the loss; drop-nth drops exactly one DATA packet and
#      never an ACK; its XDP program is noticed by vtl_no_stale_attach and
#      gone after it stops, and then nothing crosses;
#   3. cleanup on every exit path: child tests that fail (set -e, vtl_fail),
#      skip, are signalled (TERM, INT, HUP) while blocked, or hit the
#      watchdog leave no namespace, process, mount or temp dir behind.
# shellcheck source-path=SCRIPTDIR source=../lib/netns.sh
. "$(dirname "$0")/../lib/netns.sh"
vtl_test_init e2e_netns_lib
vtl_require_bins vtl-netem

# ---- 1. topologies ---------------------------------------------------------
vtl_topo_pair
vtl_ping "$NS_A" "$IP_B" 3
vtl_ping "$NS_B" "$IP_A" 3
vtl_mkfile "$T/f4m" 4M
vtl_tcp_xfer "$NS_B" "$IP_B" "$NS_A" "$T/f4m"
vtl_no_stale_attach "$NS_A" "$IF_A"

vtl_topo_routed
vtl_ping "$NS_A" "$IP_B" 3
vtl_ping "$NS_B" "$IP_A" 3
vtl_tcp_xfer "$NS_B" "$IP_B" "$NS_A" "$T/f4m"
vtl_tcp_xfer "$NS_A" "$IP_A" "$NS_B" "$T/f4m"

# ---- 2. vtl-netem ------------------------------------------------------------
vtl_topo_netem --seed 1
vtl_ping "$NS_A" "$IP_B" 3
vtl_tcp_xfer "$NS_B" "$IP_B" "$NS_A" "$T/f4m"
vtl_tcp_xfer "$NS_A" "$IP_A" "$NS_B" "$T/f4m"
in_ns "$NS_R" ip link show dev "$IF_RA" | grep -qw xdp || vtl_fail "ip link shows no xdp on $IF_RA"
if (vtl_no_stale_attach "$NS_R" "$IF_RA") >/dev/null 2>&1; then
	vtl_fail "vtl_no_stale_attach did not notice vtl-netem's XDP program on $IF_RA"
fi
vtl_pass "vtl_no_stale_attach notices an attached XDP program"

# counters DIR NAME: one counter of the last stats (vtl_netem_stats $T/ns.json)
counter() { vtl_netem_count "$T/ns.json" "$1" "$2"; }
# rx_start: B counts the protocol-253 packets it receives, per type, until
# the end marker (into $T/rx.json); raw_send ARGS...: A sends them
rx_start() {
	vtl_bg "$NS_B" "$T/raw-recv.log" python3 "$NETTOOL" raw-recv --timeout 60 --out "$T/rx.json"
	RX_PID=$VTL_BG_PID
	wait_for_line "$T/raw-recv.log" '^ready' 10 "$RX_PID"
}
raw_send() {
	in_ns_t 60 "$NS_A" python3 "$NETTOOL" raw-send --dst "$IP_B" --payload 64 --pps 20000 "$@"
}
rx_end() {
	vtl_expect_exit "$RX_PID" 30 "raw-recv on B" "$T/raw-recv.log" >/dev/null
}
received() { vtl_json "$T/rx.json" "d.get('$1', 0)"; }

# 6000 packets (5000 DATA, 1000 ACK) at 20 % loss of every VTL packet A -> B,
# then the end marker with the loss off (so that it always arrives)
vtl_netem_set a2b loss 20% filter vtl
vtl_netem_ctl reset >/dev/null
vtl_netem_stats "$T/ns.json"
vtl_assert_eq "$(counter a2b rx)" 0 "a2b frames after a counter reset"
rx_start
raw_send --type 4,4,4,4,4,5 --count 6000 --no-end
vtl_mkfile "$T/f1m" 1M
vtl_tcp_xfer "$NS_B" "$IP_B" "$NS_A" "$T/f1m"   # not VTL: not impaired
vtl_netem_set a2b loss 0%
raw_send --count 0
rx_end
vtl_netem_stats "$T/ns.json"
dropped=$(counter a2b drop_loss)
vtl_log "vtl-netem a2b: $(vtl_json "$T/ns.json" "d['a2b']['counters']")"
vtl_assert_eq "$(counter a2b matched)" 6001 "protocol-253 frames vtl-netem matched (filter vtl, incl. the end marker)"
vtl_assert_gt "$(counter a2b passed)" 718 "frames vtl-netem passed unimpaired (the 1 MB of TCP: >= 719 segments)"
# 20 % of 6000: mean 1200, sd 31; accept +-6 sd
(( dropped >= 1014 && dropped <= 1386 )) || vtl_fail "dropped $dropped of 6000 at 20 %, expected 1014..1386"
vtl_pass "vtl-netem dropped $dropped of 6000 VTL packets at 20 %"
vtl_assert_eq "$(( $(received 4) + $(received 5) ))" $((6000 - dropped)) "VTL packets B received = sent - dropped"
vtl_assert_eq "$(( $(counter a2b drop_burst) + $(counter a2b drop_queue) + $(counter a2b drop_limit) + $(counter a2b drop_tx) + $(counter a2b kernel_drops) ))" 0 "frames lost in vtl-netem other than by its random loss"
vtl_assert_eq "$(counter b2a drop_loss)" 0 "nothing dropped b2a (no loss set)"

# a runtime change, all or nothing: 100 % loss but only of UDP; VTL passes
vtl_netem_set a2b loss 100% filter udp
vtl_netem_ctl reset >/dev/null
rx_start
raw_send --type 4,5 --count 2000
rx_end
vtl_netem_stats "$T/ns.json"
vtl_assert_eq "$(received 4)/$(received 5)" 1000/1000 "DATA/ACK received with --filter udp at 100 % loss"
vtl_assert_eq "$(counter a2b drop_loss)/$(counter a2b matched)" 0/0 "drops/matched with --filter udp"

# drop-nth: the 100th new DATA packet of the session, never an ACK
vtl_netem_set a2b loss 0% filter vtl drop-nth 100
vtl_netem_ctl reset >/dev/null
rx_start
raw_send --type 4,4,4,4,4,5 --count 600
rx_end
vtl_netem_stats "$T/ns.json"
vtl_assert_eq "$(received 4)/$(received 5)" 499/100 "DATA/ACK received with drop-nth 100"
vtl_assert_eq "$(counter a2b drop_nth)" 1 "drop_nth"

# stop: nothing left attached, and nothing crosses any more
vtl_netem_stop TERM
vtl_no_stale_attach "$NS_R" "$IF_RA"
vtl_no_stale_attach "$NS_R" "$IF_RB"
if (vtl_ping "$NS_A" "$IP_B" 1) >/dev/null 2>&1; then
	vtl_fail "A still reaches B with vtl-netem stopped: it is not the only path"
fi
vtl_pass "with vtl-netem stopped, A does not reach B"

# ---- 3. cleanup on every exit path --------------------------------------------
cat >"$T/child.sh" <<'EOF'
# child test: builds a routed topology, a bpffs mount (with a nested one),
# a background job and a daemonized process in its namespaces, then exits
# the way $MODE says. Reports its T, namespaces and pids in $REPORT.
. "$LIB"
vtl_test_init child
vtl_topo_routed
mkdir -p "$T/bpf-x"
mount -t bpf bpf "$T/bpf-x"
mkdir -p "$T/bpf-x/vtl"
mount -t bpf bpf "$T/bpf-x/vtl"
vtl_bg "$NS_B" "$T/bg.log" sleep 600
in_ns "$NS_A" sh -c 'setsid sleep 600 </dev/null >/dev/null 2>&1 & echo $! >"$1"' sh "$T/daemon.pid"
{
	echo "T $T"
	echo "NS ${_VTL_NS[*]}"
	echo "PIDS $VTL_BG_PID $(cat "$T/daemon.pid")"
	echo READY
} >"$REPORT"
case $MODE in
	errexit) false ;;
	fail)    vtl_fail "on purpose" ;;
	skip)    vtl_skip "on purpose" ;;
	*)       in_ns "$NS_A" sleep 600 ;;   # blocked until signalled
esac
echo "child: not reached" >&2
exit 3
EOF

# run_child MODE SIGNAL EXPECTED_RC [ENV...]
run_child() {
	local mode=$1 sig=$2 want=$3 rep="$T/report-$1" rc=0 pid ct nss pids x
	shift 3
	rm -f "$rep"
	env --default-signal=INT "$@" LIB="$VTL_TEST_LIB_DIR/netns.sh" MODE="$mode" REPORT="$rep" \
		VTL_BUILD="$BUILD" bash "$T/child.sh" >"$T/child-$mode.out" 2>&1 &
	pid=$!
	_VTL_PIDS+=("$pid")
	wait_for_line "$rep" '^READY' 30 "$pid"
	[[ $sig != - ]] && kill -s "$sig" "$pid"
	vtl_wait_pid "$pid" 30 || rc=$?
	ct=$(awk '$1 == "T" { print $2 }' "$rep")
	nss=$(awk '$1 == "NS" { $1 = ""; print }' "$rep")
	pids=$(awk '$1 == "PIDS" { $1 = ""; print }' "$rep")
	if [[ $rc != "$want" ]]; then
		cat "$T/child-$mode.out" >&2
		vtl_fail "child '$mode': exit status $rc, expected $want"
	fi
	[[ -n $ct && ! -e $ct ]] || vtl_fail "child '$mode': temp dir $ct left behind"
	grep -qF "$ct" /proc/mounts && vtl_fail "child '$mode': mounts left under $ct: $(grep -F "$ct" /proc/mounts)"
	for x in $nss; do
		[[ -e /run/netns/$x ]] && vtl_fail "child '$mode': namespace $x left behind"
	done
	for x in $pids; do
		_vtl_alive "$x" && vtl_fail "child '$mode': process $x still running"
	done
	vtl_pass "child '$mode' (exit $rc): no namespace, mount, process or temp dir left"
}

run_child errexit - 1
run_child fail - 1
run_child skip - 77
run_child term TERM 143
run_child int INT 130
run_child hup HUP 129
run_child watchdog - 143 VTL_TEST_TIMEOUT=10
grep -q 'FAIL: watchdog' "$T/child-watchdog.out" || vtl_fail "watchdog did not report itself"
grep -q 'SKIP: on purpose' "$T/child-skip.out" || vtl_fail "vtl_skip did not print its reason"
vtl_pass "library self-test complete"
