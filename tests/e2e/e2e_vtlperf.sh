#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# e2e_vtlperf: vtlperf between two vtld hosts on a veth. B runs
# `vtlperf -s -1` (one test, then exit), A the client.
#   a. 1 session of 20 MB over gbn: server and client exit 0, every byte checked.
#   b. N concurrent sessions of 200 kB over sr (N below), both with -j: the
#      client's and the server's JSON totals say N sessions, N * 200 kB
#      bytes, no error, no mismatch.
#   c. the checker itself: the client flips one byte (VTLPERF_CORRUPT_AT),
#      the server must report the mismatch at that offset and exit 1.
#   d. --bidir is for the client (exit status 2 on the server); a --bidir
#      session of 1 MB each way over gbn: both exit 0, the client's text
#      report gives each direction's goodput and the stream back byte-exact
#      (tests/e2e/e2e_duplex.sh tests it under loss and reordering).
# shellcheck source-path=SCRIPTDIR source=../lib/netns.sh
. "$(dirname "$0")/../lib/netns.sh"

# Concurrent sessions of part b. vtld holds at most 255 sessions per host
# today; once it holds 10000, this goes to 1000.
N=100
SIZE_A=20000000
SIZE_B=200000
CORRUPT_AT=123457

vtl_test_init e2e_vtlperf
vtl_require_bins vtld vtlperf

# ---- d. --bidir on the server is bad usage (needs no network) ------------------
rc=0
"$BIN/vtlperf" -s --bidir >"$T/bidir.log" 2>&1 || rc=$?
vtl_assert_eq "$rc" 2 "vtlperf -s --bidir exit status"
grep -q '^vtlperf: -g, -w, -P, -n, -t, --bidir, --half-close and --open-limit are for the client ' \
	"$T/bidir.log" || vtl_fail "-s --bidir: unexpected message: $(cat "$T/bidir.log")"
vtl_pass "vtlperf -s --bidir refused as bad usage"

vtl_topo_pair
vtld_start "$NS_A" "$IF_A"
vtld_start "$NS_B" "$IF_B"

# client_ok SECS NAME [ARGS...]: vtlperf_client, failing unless it exits 0.
client_ok() {
	local rc=0
	vtlperf_client "$@" || rc=$?
	if [[ $rc -ne 0 ]]; then
		tail -n 20 "$T/cli-$2.out" "$T/cli-$2.log" >&2
		vtl_fail "vtlperf client ($2): exit status $rc"
	fi
	vtl_pass "vtlperf client ($2) exited 0"
}

# ---- a. one 20 MB session over gbn ---------------------------------------------
vtlperf_server a
client_ok 120 a -g gbn -P 1 -n "$SIZE_A" -v
vtl_expect_exit "$SRV" 30 "server of the gbn test" "$T/srv-a.log"
grep -qE "^vtlperf: test [0-9a-f]{16} from $IP_A: 1/1 streams complete and byte-exact, $SIZE_A bytes" \
	"$T/srv-a.log" || vtl_fail "server a: no byte-exact summary: $(tail -n 5 "$T/srv-a.log")"
vtl_pass "server a: 1/1 streams, $SIZE_A bytes byte-exact"
grep -q "^vtlperf: opened 1/1 sessions (gbn " "$T/cli-a.out" ||
	vtl_fail "client a did not report the gbn session: $(cat "$T/cli-a.out")"
while read -r line; do vtl_log "gbn: $line"; done < <(grep -v '^vtlperf: session ' "$T/cli-a.out")

# ---- b. N sessions over sr, JSON on both sides -----------------------------------
vtlperf_server b -j
client_ok 240 b -g sr -P "$N" -n "$SIZE_B" -j
vtl_expect_exit "$SRV" 60 "server of the $N-session sr test" "$T/srv-b.log"
grep '^{"role": "server"' "$T/srv-b.log" >"$T/srv-b.json" ||
	vtl_fail "server b printed no JSON: $(tail -n 5 "$T/srv-b.log")"
python3 "$VTL_SRC_DIR/tests/lib/perf_check.py" "$T/cli-b.out" "$T/srv-b.json" "$N" "$SIZE_B" sr ||
	vtl_fail "JSON totals of part b"
vtl_pass "JSON: $N sessions, $((N * SIZE_B)) bytes on both sides, no error"
vtl_log "sr x$N: $(vtl_json "$T/cli-b.out" "'client goodput %.2f Mb/s in %.3f s, open ms min %.3f p50 %.3f max %.3f, retries %d, retransmissions %d' % (d['total']['mbps'], d['total']['seconds'], d['total']['open_ms']['min'], d['total']['open_ms']['p50'], d['total']['open_ms']['max'], d['total']['open_retries'], d['total']['retransmits'])")"
vtl_log "sr x$N: $(vtl_json "$T/srv-b.json" "'server goodput %.2f Mb/s in %.3f s' % (d['total']['mbps'], d['total']['seconds'])")"

# ---- c. a flipped byte must be caught ----------------------------------------------
vtlperf_server c
rc=0
VTLPERF_CORRUPT_AT=$CORRUPT_AT vtlperf_client 120 c -g gbn -P 1 -n 1000000 || rc=$?
vtl_log "client with a corrupted byte exited $rc (the server decides)"
rc=0
vtl_wait_pid "$SRV" 30 || rc=$?
[[ $rc -eq 124 ]] && vtl_fail "server c still running 30 s after the client"
vtl_assert_eq "$rc" 1 "server exit status with a corrupted byte"
grep -q "mismatch at payload offset $CORRUPT_AT: " "$T/srv-c.log" ||
	vtl_fail "server c did not report the mismatch at $CORRUPT_AT: $(tail -n 5 "$T/srv-c.log")"
grep -qE "0/1 streams complete and byte-exact, .* mismatches 1" "$T/srv-c.log" ||
	vtl_fail "server c summary: $(tail -n 3 "$T/srv-c.log")"
vtl_pass "the server caught the byte flipped at offset $CORRUPT_AT"

# ---- d. one --bidir session over gbn ---------------------------------------------
vtlperf_server d
client_ok 120 d -g gbn -P 1 -n 1000000 --bidir
vtl_expect_exit "$SRV" 30 "server of the --bidir test" "$T/srv-d.log"
grep -qE "^vtlperf: sent 1000000 bytes in [0-9.]+ s: goodput [0-9.]+ Mb/s; .*errors 0$" \
	"$T/cli-d.out" || vtl_fail "client d: no 'sent' line: $(cat "$T/cli-d.out")"
grep -qE "^vtlperf: received 1000000 bytes in [0-9.]+ s: goodput [0-9.]+ Mb/s; 1/1 streams back complete and byte-exact, mismatches 0$" \
	"$T/cli-d.out" || vtl_fail "client d: no 'received' line: $(cat "$T/cli-d.out")"
grep -qE "^vtlperf: test [0-9a-f]{16} to $IP_A: sent back 1000000 bytes " "$T/srv-d.log" ||
	vtl_fail "server d: no 'sent back' line: $(tail -n 5 "$T/srv-d.log")"
while read -r line; do vtl_log "gbn --bidir: $line"; done < <(grep -E '^vtlperf: (sent|received) ' "$T/cli-d.out")
vtl_pass "--bidir: 1 MB each way over gbn, byte-exact"

vtl_pass "vtlperf"
