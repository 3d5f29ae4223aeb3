#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# e2e_vtlctl_json: `vtlctl -j` prints valid JSON for every command, errors
# included (rule, stats and graft load/unload are exercised in depth by
# e2e_vtlctl_admin) ({"error": ..., "code": N} and a non-zero exit), against a real
# vtld pair with a session running; prefix matching of objects and verbs.
# shellcheck source-path=SCRIPTDIR source=../lib/netns.sh
. "$(dirname "$0")/../lib/netns.sh"
vtl_test_init e2e_vtlctl_json
vtl_require_bins vtld vtlcat vtlctl

vtl_topo_pair
vtld_start "$NS_A" "$IF_A"
vtld_start "$NS_B" "$IF_B"
SOCK=$(vtld_sock "$NS_A")
n=0

# json_ok WANT_RC ARGS...: vtlctl -j ARGS exits WANT_RC (0 or "fail") and
# its stdout is one JSON document; an error document has error and code.
json_ok() {
	local want=$1 rc=0
	shift
	"$BIN/vtlctl" -j --socket "$SOCK" "$@" >"$T/out.json" 2>"$T/err.txt" || rc=$?
	if [[ $want == 0 && $rc -ne 0 ]] || [[ $want == fail && $rc -eq 0 ]]; then
		vtl_fail "vtlctl -j $*: exit $rc ($(cat "$T/out.json" "$T/err.txt"))"
	fi
	python3 -m json.tool "$T/out.json" >/dev/null ||
		vtl_fail "vtlctl -j $*: not JSON: $(head -c 300 "$T/out.json")"
	if [[ $want == fail ]]; then
		vtl_assert_eq "$(vtl_json "$T/out.json" "isinstance(d.get('error'), str) and d['code'] < 0")" 1 \
			"vtlctl -j $*: error document"
	fi
	n=$((n + 1))
}

# a session in flight while we look: a sender that is still feeding
vtl_mkfile "$T/f" 4M
port=$(vtl_rand_port)
vtlcat_listen "$NS_B" "$port" "$T/f.out" "$T/rx.log"
rx=$VTL_BG_PID
mkfifo "$T/fifo"
exec 7<>"$T/fifo" # read-write: opening it does not block; ours is the only writer
vtl_bg "$NS_A" "$T/tx.log" "$BIN/vtlcat" -g sr -p "$port" --socket "$SOCK" -v "$IP_B" \
	<"$T/fifo" 7>&-
tx=$VTL_BG_PID
head -c 1M "$T/f" >&7
wait_for_line "$T/tx.log" "graft sr" 20 "$tx"
"$BIN/vtlctl" -j --socket "$SOCK" session list >"$T/sl.json"
sid=$(vtl_json "$T/sl.json" "d[0]['id']")

json_ok 0 status
json_ok 0 st                      # prefix of status
json_ok 0 graft list
json_ok 0 gr li                   # prefixes of object and verb
json_ok 0 graft show gbn
json_ok 0 graft verify "$POOL/gbn.o"
json_ok 0 graft verify daemon "$POOL/sr.o"
json_ok 0 session list
json_ok 0 session show "$sid"
json_ok 0 session swap "$sid" gbn
json_ok 0 stats
json_ok 0 rule list
json_ok 0 ru                      # rule list, by default
json_ok 0 rule add at 1 'reliable, rtt >= 300ms -> pr(max_loss=10%)'
json_ok 0 rule del 1
"$BIN/vtlctl" -j --socket "$SOCK" monitor count 3 interval 50 >"$T/mon.jsonl" ||
	vtl_fail "vtlctl -j monitor failed"
vtl_assert_eq "$(python3 -c 'import json,sys; r=[json.loads(l) for l in open(sys.argv[1])]; print(len(r), all(x["sessions"] and "srtt_us" in x["sessions"][0]["monitor"] for x in r))' "$T/mon.jsonl")" \
	"3 True" "vtlctl -j monitor: three JSON rounds with the session's figures"
n=$((n + 3))
json_ok fail monitor count 0
json_ok fail monitor speed 3
json_ok fail session swap "$sid" nosuchgraft
json_ok fail session show 0x12345678
json_ok fail session show notanid
json_ok fail graft show nosuchgraft
json_ok fail graft verify /nonexistent.o
json_ok fail nosuchobject
json_ok fail graft nosuchverb
json_ok fail stats now
json_ok fail rule add 'reliable, rtt >= 300 -> pr'
json_ok fail rule del 42
json_ok fail graft load "$BUILD/tests/fixtures/bad_verifier.o"
json_ok fail graft unload canonical
json_ok fail graft unload nosuchgraft
"$BIN/vtlctl" -j --socket "$T/no.sock" status >"$T/out.json" 2>/dev/null && vtl_fail "no daemon: exit 0"
python3 -m json.tool "$T/out.json" >/dev/null || vtl_fail "no daemon: not JSON"
n=$((n + 1))

tail -c +1048577 "$T/f" >&7
exec 7>&-
vtl_expect_exit "$tx" 120 "sender" "$T/tx.log"
vtl_expect_exit "$rx" 60 "receiver" "$T/rx.log"
vtl_assert_same_file "$T/f" "$T/f.out" "4 MB across the vtlctl calls and a swap"
vtl_pass "$n vtlctl -j outputs parsed as JSON, errors included"
