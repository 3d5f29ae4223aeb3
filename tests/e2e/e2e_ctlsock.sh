#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# e2e_ctlsock: vtld's control socket survives malformed clients.
# tests/lib/ipc_fuzz.py sends, each on a fresh connection: random garbage
# (short and long), a wrong magic, bogus types, headers whose len disagrees
# with the message size, bad bodies for the vtlctl types 19..29 (rule,
# stats, graft load/unload: nothing may change), a 70000-byte message, an
# empty message, ATTACH without a descriptor or with one that is a pipe or
# comes without a session, and descriptors riding on other messages; each must
# get a VTL_IPC_ERROR reply. Then 50 connections opened and dropped at once
# and 50 unread STATUS_REQs. Afterwards vtld must still run, hold no leaked
# file descriptors, answer `vtlctl status`, and carry a gbn transfer.
# shellcheck source-path=SCRIPTDIR source=../lib/netns.sh
. "$(dirname "$0")/../lib/netns.sh"
vtl_test_init e2e_ctlsock
vtl_require_bins vtld vtlcat vtlctl

vtl_topo_pair
vtld_start "$NS_A" "$IF_A"
vtld_start "$NS_B" "$IF_B"
pid=$(vtld_pid "$NS_A")
sock=$(vtld_sock "$NS_A")

fd_count() {
	find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l
}
vtlctl_status "$NS_A" "$T/status0.json"
fds0=$(fd_count)
vtl_log "vtld in $NS_A: pid $pid, $fds0 open fds"

rc=0
python3 "$VTL_TEST_LIB_DIR/ipc_fuzz.py" "$sock" "$IF_A" >"$T/fuzz.log" 2>&1 || rc=$?
cat "$T/fuzz.log"
[[ $rc -eq 0 ]] || vtl_fail "control-socket checks failed (ipc_fuzz.py exit $rc)"
vtl_pass "every malformed message got a VTL_IPC_ERROR reply"

vtl_alive "$pid" || vtl_fail "vtld in $NS_A died during the fuzzing"
fds_ok() { (( $(fd_count) <= fds0 + 2 )); }
wait_for 10 fds_ok || vtl_fail "vtld leaks file descriptors: $fds0 before, $(fd_count) after"
vtl_pass "vtld fds back to $(fd_count) (baseline $fds0)"

vtlctl_status "$NS_A" "$T/status1.json"
vtl_assert_eq "$(vtl_json "$T/status1.json" "d['ifname']")" "$IF_A" "vtlctl status still answers"

vtl_mkfile "$T/small.in" 1M
port=$(vtl_rand_port)
vtlcat_listen "$NS_B" "$port" "$T/small.out" "$T/rx.log"
rx=$VTL_BG_PID
vtlcat_send 120 "$NS_A" "$IP_B" "$port" "$T/small.in" "$T/tx.log" -g gbn
vtl_expect_exit "$rx" 30 "receiver" "$T/rx.log"
vtl_assert_same_file "$T/small.in" "$T/small.out" "gbn transfer after the fuzzing"
vtl_alive "$pid" || vtl_fail "vtld in $NS_A is gone"
vtl_pass "control socket robustness"
