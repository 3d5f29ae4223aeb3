#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# e2e_netns_lib: self-test of tests/lib/netns.sh and the vtl_loss injector.
# Needs no vtld, so it runs before the daemon exists.
#   1. pair and routed topologies: ping and a byte-exact TCP transfer, both
#      directions, through the router;
#   2. vtl_loss on the router: protocol-253 packets of the configured types
#      are dropped at about the configured rate, everything else passes and
#      is forwarded; counters agree exactly with what B receives; atomic
#      re-attach with other types; detach leaves nothing behind;
#   3. cleanup on every exit path: child tests that fail (set -e, vtl_fail),
#      skip, are signalled (TERM, INT, HUP) while blocked, or hit the
#      watchdog leave no namespace, process, mount or temp dir behind.
# shellcheck source-path=SCRIPTDIR source=../lib/netns.sh
. "$(dirname "$0")/../lib/netns.sh"
vtl_test_init e2e_netns_lib
vtl_require_bins vtl_loss

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

# ---- 2. loss injector -------------------------------------------------------
# stats_field IFACE NAME: one counter from `vtl_loss --stats` on R.
stats_field() {
	in_ns "$NS_R" "$BIN/vtl_loss" --stats "$1" | head -n 1 |
		awk -v k="$2" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }'
}

# blast TYPES COUNT OUT: A sends COUNT protocol-253 packets (types round
# robin) + an end marker to B; B counts what arrives per type into OUT.
blast() {
	local rpid
	vtl_bg "$NS_B" "$T/raw-recv.log" python3 "$NETTOOL" raw-recv --timeout 60 --out "$3"
	rpid=$VTL_BG_PID
	wait_for_line "$T/raw-recv.log" '^ready' 10 "$rpid"
	in_ns_t 60 "$NS_A" python3 "$NETTOOL" raw-send --dst "$IP_B" --type "$1" \
		--count "$2" --payload 64 --pps 20000
	vtl_expect_exit "$rpid" 30 "raw-recv on B" "$T/raw-recv.log"
}

out=$(in_ns "$NS_R" "$BIN/vtl_loss" "$IF_RA" 200000)
id1=${out##* }
[[ $id1 =~ ^[0-9]+$ ]] || vtl_fail "vtl_loss did not print 'prog id N': $out"
vtl_pass "vtl_loss attached to $IF_RA, prog id $id1"
in_ns "$NS_R" "$BIN/vtl_loss" "$IF_RB" 0 >/dev/null
in_ns "$NS_R" ip link show dev "$IF_RA" | grep -qw xdp || vtl_fail "ip link shows no xdp on $IF_RA"
if (vtl_no_stale_attach "$NS_R" "$IF_RA") >/dev/null 2>&1; then
	vtl_fail "vtl_no_stale_attach did not notice the XDP program on $IF_RA"
fi
vtl_pass "vtl_no_stale_attach notices an attached XDP program"
if in_ns "$NS_R" "$BIN/vtl_loss" --stats "$IF_A" >/dev/null 2>&1; then
	vtl_fail "vtl_loss --stats succeeded on an interface of another namespace"
fi

# 5000 DATA + 1000 ACK at 20 % DATA loss
blast 4,4,4,4,4,5 6000 "$T/rx1.json"
dropped=$(stats_field "$IF_RA" dropped)
eligible=$(stats_field "$IF_RA" eligible)
vtl_seen=$(stats_field "$IF_RA" vtl)
rx_data=$(vtl_json "$T/rx1.json" "d.get('4', 0)")
rx_ack=$(vtl_json "$T/rx1.json" "d.get('5', 0)")
vtl_log "R $IF_RA: $(in_ns "$NS_R" "$BIN/vtl_loss" --stats "$IF_RA" | tr '\n' ' ')"
vtl_assert_eq "$eligible" 5000 "DATA packets seen by the injector"
vtl_assert_eq "$vtl_seen" 6001 "protocol-253 packets seen by the injector (incl. end marker)"
# 20 % of 5000: mean 1000, sd 28; accept +-6 sd
(( dropped >= 830 && dropped <= 1170 )) || vtl_fail "dropped $dropped of 5000 at 20 %, expected 830..1170"
vtl_pass "dropped $dropped of 5000 DATA at 200000 ppm"
vtl_assert_eq "$rx_data" $((5000 - dropped)) "DATA received by B = sent - dropped"
vtl_assert_eq "$rx_ack" 1000 "ACKs are never dropped (type mask DATA)"
vtl_assert_eq "$(stats_field "$IF_RB" dropped)" 0 "nothing dropped at 0 ppm on $IF_RB"

# atomic replacement: now drop every ACK, no DATA
out=$(in_ns "$NS_R" "$BIN/vtl_loss" --types 5 "$IF_RA" 1000000)
id2=${out##* }
[[ $id2 =~ ^[0-9]+$ && $id2 != "$id1" ]] || vtl_fail "re-attach did not give a new prog id: $out"
vtl_assert_eq "$(stats_field "$IF_RA" dropped)" 0 "fresh counters after re-attach"
blast 4,5 2000 "$T/rx2.json"
vtl_assert_eq "$(vtl_json "$T/rx2.json" "d.get('4', 0)")" 1000 "all DATA passes with --types 5"
vtl_assert_eq "$(vtl_json "$T/rx2.json" "d.get('5', 0)")" 0 "every ACK dropped at 1000000 ppm"
vtl_assert_eq "$(stats_field "$IF_RA" dropped)" 1000 "dropped counter with --types 5"

# detach
in_ns "$NS_R" "$BIN/vtl_loss" --detach "$IF_RA"
in_ns "$NS_R" "$BIN/vtl_loss" --detach "$IF_RB"
vtl_no_stale_attach "$NS_R" "$IF_RA"
if in_ns "$NS_R" "$BIN/vtl_loss" --stats "$IF_RA" >/dev/null 2>&1; then
	vtl_fail "vtl_loss --stats still finds a program after --detach"
fi
vtl_ping "$NS_A" "$IP_B" 3

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
