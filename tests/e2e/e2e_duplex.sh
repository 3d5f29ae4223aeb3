#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# e2e_duplex: full-duplex sessions, measured with vtlperf --bidir (each
# session carries the client's stream to the server and the server's back,
# every byte of both checked). A -- vtl-netem -- B, vtld on A and B, B runs
# `vtlperf -s -1 -j`.
#   a. sr, 2 % loss and 2 % reordering of the VTL frames both ways (5 ms
#      each way): SESSIONS_A sessions of SIZE_A bytes each way, both at
#      once on each session's one thread. Client and server JSON: every
#      byte both ways, no error, no mismatch; vtl-netem dropped and
#      reordered frames in both directions.
#   b. half-close, same path: the client sends SIZE_B and shuts its
#      direction down; the server sends its SIZE_B only after the client's
#      EOF, and the client, already shut down, gets every byte.
#   c. gbn --bidir on a clean path (no loss, no reordering): SESSIONS_C
#      sessions of SIZE_C each way, byte-exact.
#   d. the checker of the stream back: the server flips one byte of it
#      (VTLPERF_CORRUPT_AT); the client reports the mismatch at that offset
#      and exits 1.
# shellcheck source-path=SCRIPTDIR source=../lib/netns.sh
. "$(dirname "$0")/../lib/netns.sh"

SESSIONS_A=2
SIZE_A=4000000
SIZE_B=3000000
SESSIONS_C=4
SIZE_C=2000000
CORRUPT_AT=654321

vtl_test_init e2e_duplex
vtl_require_bins vtld vtlperf vtl-netem

vtl_topo_netem --delay 5ms --filter vtl --loss 2% --reorder 2% --seed 7
vtld_start "$NS_A" "$IF_A"
vtld_start "$NS_B" "$IF_B"

# both_ways NAME SESSIONS SIZE HALF: run the test NAME was started for (the
# client's arguments after the first three), require exit 0 on both sides,
# and check both JSON reports: SESSIONS sessions, SIZE bytes each way on
# each, no error, no mismatch, half_close HALF (0 or 1).
both_ways() {
	local name=$1 n=$2 size=$3 half=$4 rc=0
	shift 4
	vtlperf_client 300 "$name" -j -P "$n" -n "$size" "$@" || rc=$?
	if [[ $rc -ne 0 ]]; then
		tail -n 20 "$T/cli-$name.log" >&2
		vtl_fail "vtlperf client ($name): exit status $rc"
	fi
	vtl_expect_exit "$SRV" 60 "server ($name)" "$T/srv-$name.log"
	grep '^{"role": "server"' "$T/srv-$name.log" >"$T/srv-$name.json" ||
		vtl_fail "server ($name) printed no JSON: $(tail -n 5 "$T/srv-$name.log")"
	python3 - "$T/cli-$name.out" "$T/srv-$name.json" "$n" "$size" "$half" <<'EOF' ||
import json, sys
cli, srv = (json.load(open(p)) for p in sys.argv[1:3])
n, size, half = int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == "1"
bad = []
def want(what, got, exp):
    if got != exp:
        bad.append(f"{what}: {got!r}, expected {exp!r}")
ct, st = cli["total"], srv["total"]
want("client bidir", cli["bidir"], True)
want("client half_close", cli["half_close"], half)
want("client opened", ct["opened"], n)
want("client ok", ct["ok"], n)
want("client errors", ct["errors"], 0)
want("client bytes sent", ct["bytes"], n * size)
want("client bytes received", ct["rx_bytes"], n * size)
want("client streams back ok", ct["rx_ok"], n)
want("client mismatches", ct["mismatches"], 0)
want("client sessions not ok", [s["stream"] for s in cli["sessions"] if not s["ok"]], [])
want("client per-session bytes received", sorted({s["rx_bytes"] for s in cli["sessions"]}),
     [size])
want("same test", srv["test_id"], cli["test_id"])
want("server bidir", srv["bidir"], True)
want("server half_close", srv["half_close"], half)
want("server complete", srv["complete"], True)
want("server ok", st["ok"], n)
want("server errors", st["errors"], 0)
want("server mismatches", st["mismatches"], 0)
want("server missing", st["missing"], 0)
want("server bytes received", st["bytes"], n * size)
want("server bytes sent back", st["tx_bytes"], n * size)
want("server sessions not ok", [s["stream"] for s in srv["sessions"] if not s["ok"]], [])
want("session ids", sorted(s["session_id"] for s in srv["sessions"]),
     sorted(s["session_id"] for s in cli["sessions"]))
for b in bad:
    print("FAIL:", b, file=sys.stderr)
sys.exit(1 if bad else 0)
EOF
		vtl_fail "JSON reports of part $name"
	vtl_pass "$name: $n sessions, $((n * size)) bytes each way, byte-exact, no error"
	vtl_log "$name: $(vtl_json "$T/cli-$name.out" "'client -> server %.2f Mb/s (%d bytes in %.3f s), server -> client %.2f Mb/s (%d bytes in %.3f s); retransmissions %d' % (d['total']['mbps'], d['total']['bytes'], d['total']['seconds'], d['total']['rx_mbps'], d['total']['rx_bytes'], d['total']['rx_seconds'], d['total']['retransmits'])")"
	vtl_log "$name: $(vtl_json "$T/srv-$name.json" "'server: received %.2f Mb/s, sent back %.2f Mb/s in %.3f s' % (d['total']['mbps'], d['total']['tx_mbps'], d['total']['tx_seconds'])")"
}

# ---- a. sr --bidir under loss and reordering -----------------------------------
vtlperf_server a -j --listeners 8
both_ways a "$SESSIONS_A" "$SIZE_A" 0 -g sr --bidir
vtl_netem_stats "$T/netem-a.json"
for dir in a2b b2a; do
	dropped=$(vtl_netem_count "$T/netem-a.json" "$dir" drop_loss)
	reordered=$(vtl_netem_count "$T/netem-a.json" "$dir" reordered)
	vtl_assert_gt "$dropped" 0 "VTL frames dropped $dir"
	vtl_assert_gt "$reordered" 0 "VTL frames reordered $dir"
	vtl_log "vtl-netem $dir: dropped $dropped, reordered $reordered of $(vtl_netem_count "$T/netem-a.json" "$dir" matched) VTL frames"
done
vtl_pass "a: the impairments hit both directions"

# ---- b. half-close: the server's stream after the client's EOF -------------------
vtlperf_server b -j --listeners 8
both_ways b 1 "$SIZE_B" 1 -g sr --half-close
grep -q '"half_close": true' "$T/srv-b.json" || vtl_fail "server b did not run a half-close test"

# ---- c. gbn --bidir on a clean path ----------------------------------------------
vtl_netem_set loss 0% reorder 0%
vtlperf_server c -j --listeners 8
both_ways c "$SESSIONS_C" "$SIZE_C" 0 -g gbn --bidir

# ---- d. a flipped byte in the stream back must be caught ----------------------------
PORT=$(vtl_rand_port)
vtl_bg "$NS_B" "$T/srv-d.log" env VTLPERF_CORRUPT_AT="$CORRUPT_AT" "$BIN/vtlperf" -s -1 \
	--listeners 8 -p "$PORT" --socket "$(vtld_sock "$NS_B")"
SRV=$VTL_BG_PID
wait_for_line "$T/srv-d.log" "^vtlperf: listening on port $PORT " 30 "$SRV"
rc=0
vtlperf_client 120 d -j -g gbn -P 1 -n 1000000 --bidir || rc=$?
vtl_assert_eq "$rc" 1 "client exit status with a byte of the stream back flipped"
grep -q "mismatch at payload offset $CORRUPT_AT: " "$T/cli-d.log" ||
	vtl_fail "client d did not report the mismatch at $CORRUPT_AT: $(tail -n 5 "$T/cli-d.log")"
vtl_assert_eq "$(vtl_json "$T/cli-d.out" "d['total']['mismatches']")" 1 "client d mismatches"
vtl_assert_eq "$(vtl_json "$T/cli-d.out" "d['sessions'][0].get('mismatch_offset')")" \
	"$CORRUPT_AT" "client d mismatch offset"
rc=0
vtl_wait_pid "$SRV" 30 || rc=$?
[[ $rc -eq 124 ]] && vtl_fail "server d still running 30 s after the client"
vtl_log "server d exited $rc (its stream back was reset by the client)"
vtl_pass "d: the client caught the byte flipped at offset $CORRUPT_AT of the stream back"

vtl_pass "duplex"
