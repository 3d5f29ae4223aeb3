#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# e2e_peer_lost: a peer that vanishes in the middle of a transfer.
# A -- vtl-netem (RTT 10 ms, 16 Mb/s, so the transfer lasts) -- B, vtld on
# both with --peer-timeout 1000. A sends 8 MB to B over sr; once B holds
# some of it, vtl-netem drops every frame both ways: the path is gone,
# silently (no ICMP, no RESET). Then
#   - A's vtld aborts its sending session with "peer stopped answering"
#     within the peer timeout, although its retransmission timer keeps
#     firing meanwhile (a timeout is no sign of life from the peer), and
#     vtlcat on A exits non-zero with that error;
#   - B's vtld aborts its receiving session the same way, and vtlcat -l on
#     B exits non-zero;
#   - neither vtld holds a session afterwards.
# shellcheck source-path=SCRIPTDIR source=../lib/netns.sh
. "$(dirname "$0")/../lib/netns.sh"
vtl_test_init e2e_peer_lost
vtl_require_bins vtld vtlcat vtlctl vtl-netem

PEER_TIMEOUT_MS=1000
vtl_topo_netem --seed 3 --delay 5ms --rate 16mbit
vtld_start "$NS_A" "$IF_A" --peer-timeout "$PEER_TIMEOUT_MS"
vtld_start "$NS_B" "$IF_B" --peer-timeout "$PEER_TIMEOUT_MS"
ctl() { local ns=$1; shift; in_ns_t 30 "$ns" "$BIN/vtlctl" --socket "$(vtld_sock "$ns")" "$@"; }
sessions() { ctl "$1" -j status >"$T/st.json" && vtl_json "$T/st.json" "len(d['sessions'])"; }
received_over() { [[ -f $1 ]] && (( $(stat -c %s "$1") >= $2 )); }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

vtl_mkfile "$T/f.in" 8M
port=$(vtl_rand_port)
vtlcat_listen "$NS_B" "$port" "$T/f.out" "$T/rx.log"
rx=$VTL_BG_PID
vtlcat_send_bg "$NS_A" "$IP_B" "$port" "$T/f.in" "$T/tx.log" -g sr
tx=$VTL_BG_PID
wait_for 30 received_over "$T/f.out" 1000000 || vtl_fail "B received less than 1 MB in 30 s"
vtl_assert_eq "$(sessions "$NS_A")" 1 "A's sessions while the transfer runs"

t0=$(now_ms)
vtl_netem_set both loss 100%
rc=0
vtl_wait_pid "$tx" 20 || rc=$?
t_tx=$(( $(now_ms) - t0 ))
[[ $rc -ne 124 ]] || vtl_fail "A's vtlcat still runs 20 s after the path went silent (its session never timed out)"
[[ $rc -ne 0 ]] || vtl_fail "A's vtlcat exited 0 although B never got the whole file"
grep -q "peer stopped answering" "$T/tx.log" ||
	{ tail -n 5 "$T/tx.log" >&2; vtl_fail "A's vtlcat did not report 'peer stopped answering'"; }
# the peer timeout, a tick or two, and the time for the error to travel
(( t_tx >= PEER_TIMEOUT_MS - 100 && t_tx <= 3 * PEER_TIMEOUT_MS )) ||
	vtl_fail "A's session ended $t_tx ms after the path went silent (peer timeout $PEER_TIMEOUT_MS ms)"
vtl_pass "A's vtlcat: '$(grep -o 'peer stopped answering.*' "$T/tx.log" | head -n 1)' after $t_tx ms (exit $rc)"
grep -q "aborted: peer stopped answering" "$T/vtld-$NS_A.log" ||
	vtl_fail "A's vtld did not log the abort"

rc=0
vtl_wait_pid "$rx" 20 || rc=$?
[[ $rc -ne 124 ]] || vtl_fail "B's vtlcat still runs 20 s after the path went silent"
[[ $rc -ne 0 ]] || vtl_fail "B's vtlcat exited 0 on a transfer cut short"
grep -q "aborted: peer stopped answering" "$T/vtld-$NS_B.log" ||
	vtl_fail "B's vtld did not abort the receiving session as 'peer stopped answering'"
vtl_pass "B's vtlcat exited $rc: $(grep -E 'vtlcat: .*(peer|stopped)' "$T/rx.log" | head -n 1)"

vtl_assert_eq "$(sessions "$NS_A")" 0 "A's sessions after the abort"
vtl_assert_eq "$(sessions "$NS_B")" 0 "B's sessions after the abort"
vtl_netem_set both loss 0%
vtl_pass "a peer that vanishes mid-transfer"
