#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# e2e_nego: graft negotiation between two vtld hosts through vtl-netem.
#   1. 30 sessions negotiate and carry a file byte-exact while vtl-netem
#      drops 5 % of EVERY VTL packet, both ways (--filter vtl: NEGO,
#      NEGO_ACK, DATA, ACK, CLOSE...; ARP and ICMP cross unimpaired).
#   2. Asking for a graft the peer does not have: NEGO_NACK, and the sender
#      fails with a clear "not in its pool" error; the responder's qos_nego
#      map is not needed for that, but the sender's error text is asserted.
#   3. No vtld on the peer host: its kernel answers the NEGO with ICMP
#      protocol unreachable and the sender fails at once with "has no VTL"
#      (well before its 1000 ms timeout). A silent peer (an address nobody
#      answers for): a timeout error within the 1000 ms asked for + 300 ms.
#   4. The Control Broker's rules choose the graft when none is named:
#      partial -> pr, reliable -> sr (built-in rules).
# shellcheck source-path=SCRIPTDIR source=../lib/netns.sh
. "$(dirname "$0")/../lib/netns.sh"
vtl_test_init e2e_nego
vtl_require_bins vtld vtlcat vtlctl vtl-netem

vtl_topo_netem --seed 5
# B's pool lacks sr
mkdir -p "$T/poolB"
for g in "$POOL"/*.o; do [[ $(basename "$g") == sr.o ]] || cp "$g" "$T/poolB/"; done
vtld_start "$NS_A" "$IF_A"
POOL="$T/poolB" vtld_start "$NS_B" "$IF_B"

# ---- 2. graft missing at the peer -----------------------------------------------
port=$(vtl_rand_port)
vtlcat_listen "$NS_B" "$port" "$T/x.out" "$T/rx-nack.log"
vtl_mkfile "$T/small" 10K
rc=0
in_ns_t 20 "$NS_A" "$BIN/vtlcat" -g sr -p "$port" --socket "$(vtld_sock "$NS_A")" "$IP_B" \
	<"$T/small" >"$T/nack.log" 2>&1 || rc=$?
[[ $rc -ne 0 ]] || vtl_fail "vtlcat -g sr succeeded although B has no sr"
grep -q "not in its pool" "$T/nack.log" || { cat "$T/nack.log" >&2; vtl_fail "no clear NEGO_NACK error"; }
vtl_pass "missing graft: $(head -n 1 "$T/nack.log")"
# the listener is still there: the next (good) session gets it
vtlcat_send 30 "$NS_A" "$IP_B" "$port" "$T/small" "$T/tx-after-nack.log" -g gbn
vtl_expect_exit "$VTL_BG_PID" 20 "receiver after a refused NEGO" "$T/rx-nack.log"
vtl_assert_same_file "$T/small" "$T/x.out" "transfer after a refused NEGO"

# ---- 4. rules choose the graft ----------------------------------------------------
for spec in "partial:pr" "reliable,ordered:sr"; do
	svc=${spec%%:*} want=${spec##*:}
	[[ $want == sr ]] && want=gbn # B has no sr: the broker picks sr, B refuses
	port=$(vtl_rand_port)
	vtlcat_listen "$NS_B" "$port" "$T/r.out" "$T/rx-rule.log"
	rc=0
	in_ns_t 20 "$NS_A" "$BIN/vtlcat" -s "$svc" -p "$port" --socket "$(vtld_sock "$NS_A")" -v \
		"$IP_B" <"$T/small" >"$T/rule.log" 2>&1 || rc=$?
	if [[ $svc == partial ]]; then
		[[ $rc -eq 0 ]] || { cat "$T/rule.log" >&2; vtl_fail "partial session failed"; }
		grep -q "graft pr" "$T/rule.log" || { cat "$T/rule.log" >&2; vtl_fail "rules did not choose pr"; }
		vtl_expect_exit "$VTL_BG_PID" 20 "receiver of the partial session" "$T/rx-rule.log"
		vtl_pass "services partial -> pr"
	else
		[[ $rc -ne 0 ]] && grep -q "graft sr" "$T/rule.log" ||
			{ cat "$T/rule.log" >&2; vtl_fail "reliable did not ask for sr"; }
		grep -q "rule at line [0-9]* chose sr" "$T/vtld-$NS_A.log" || vtl_fail "vtld did not log the rule"
		vtl_pass "services reliable -> sr (refused by B, which lacks it)"
		kill "$VTL_BG_PID" 2>/dev/null || true
	fi
done

# ---- 1. 30 negotiations under 5 % loss of every packet type ----------------------
vtl_netem_set both loss 5% filter vtl
vtl_netem_ctl reset >/dev/null
vtl_mkfile "$T/m.in" 64K
t0=$(date +%s%N)
for i in $(seq 1 30); do
	port=$(vtl_rand_port)
	vtlcat_listen "$NS_B" "$port" "$T/m.out" "$T/rx-m.log"
	rx=$VTL_BG_PID
	vtlcat_send 60 "$NS_A" "$IP_B" "$port" "$T/m.in" "$T/tx-m.log" -g gbn >/dev/null
	vtl_expect_exit "$rx" 30 "receiver $i under loss" "$T/rx-m.log" >/dev/null
	vtl_assert_same_file "$T/m.in" "$T/m.out" "session $i under 5 % loss" >/dev/null
done
t1=$(date +%s%N)
vtl_netem_stats "$T/netem.json"
drops_ab=$(vtl_netem_count "$T/netem.json" a2b drop_loss)
drops_ba=$(vtl_netem_count "$T/netem.json" b2a drop_loss)
vtl_assert_gt "$drops_ab" 0 "VTL packets A -> B dropped by vtl-netem"
vtl_assert_gt "$drops_ba" 0 "VTL packets B -> A dropped by vtl-netem"
vtl_pass "30 sessions under 5 % loss of all types in $(( (t1 - t0) / 1000000 )) ms ($drops_ab of $(vtl_netem_count "$T/netem.json" a2b matched) VTL packets dropped A -> B, $drops_ba of $(vtl_netem_count "$T/netem.json" b2a matched) B -> A)"

# ---- 3. no vtld on the peer: at once; a silent peer: timeout within the bound -------
vtl_netem_set both loss 0%
vtld_stop "$NS_B"
# failed_nego DST LOG: vtlcat to DST must fail; sets MS to how long it took
failed_nego() {
	local t0 t1 rc=0
	t0=$(date +%s%N)
	in_ns_t 20 "$NS_A" "$BIN/vtlcat" -g gbn -t 1000 --socket "$(vtld_sock "$NS_A")" "$1" \
		<"$T/small" >"$2" 2>&1 || rc=$?
	t1=$(date +%s%N)
	MS=$(( (t1 - t0) / 1000000 ))
	[[ $rc -ne 0 ]] || vtl_fail "vtlcat to $1 succeeded with no vtld there"
}
failed_nego "$IP_B" "$T/novtl.log"
grep -qi "has no VTL" "$T/novtl.log" || { cat "$T/novtl.log" >&2; vtl_fail "no clear 'no VTL there' error"; }
(( MS < 700 )) || vtl_fail "'no VTL there' took $MS ms (the ICMP answer was not used)"
vtl_pass "no vtld at the peer host: '$(head -n 1 "$T/novtl.log")' after $MS ms"
failed_nego "${IP_B%.*}.77" "$T/timeout.log"
grep -qi "no answer" "$T/timeout.log" || { cat "$T/timeout.log" >&2; vtl_fail "no clear timeout error"; }
(( MS >= 1000 && MS <= 1300 )) || vtl_fail "timeout after $MS ms, expected 1000..1300"
vtl_pass "silent peer: '$(head -n 1 "$T/timeout.log")' after $MS ms"
vtl_pass "negotiation"
