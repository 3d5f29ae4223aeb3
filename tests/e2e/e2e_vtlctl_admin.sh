#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# e2e_vtlctl_admin: the vtlctl commands that change a running vtld, and
# stats. Two vtld hosts, each on its own copy of build/grafts in $T.
#   1. rule list|add|del: a rule added at index 0 decides the graft of the
#      next session (vtlcat without -g gets gbn instead of sr), its hit
#      count shows it; deleting it brings sr back; a syntax error comes
#      back as the rules parser's message, non-zero, rules unchanged; bad
#      indexes and deleting the last selection rule are refused
#   2. stats: sessions, negotiations (a refusal by reason on both ends),
#      bytes and the counters map agree with what this test did
#   3. graft load: the verifier-rejected and the missing-role fixtures fail
#      (non-zero, the verifier's reason) and leave the pool directory and
#      listing unchanged; gbn2 loads (listed when the command returns, a
#      transfer uses it); again: "already"; another build needs 'replace'
#   4. graft unload: refused for canonical and while a session uses gbn2;
#      once the session ends it goes, with its file
#   5. a restart reads the rules again (runtime rules are gone) and keeps
#      the loaded graft (its file is in the pool)
# Every -j output, errors included, must parse as JSON.
# shellcheck source-path=SCRIPTDIR source=../lib/netns.sh
. "$(dirname "$0")/../lib/netns.sh"
vtl_test_init e2e_vtlctl_admin
vtl_require_bins vtld vtlcat vtlctl
FIX=$BUILD/tests/fixtures
for f in gbn2 bad_verifier missing_role; do
	[[ -f $FIX/$f.o ]] || vtl_skip "fixture $FIX/$f.o not built (build the test_fixtures target)"
done

mkdir -p "$T/pool-a" "$T/pool-b"
cp "$POOL"/*.o "$T/pool-a/"
cp "$POOL"/*.o "$T/pool-b/"
vtl_topo_pair
POOL=$T/pool-a vtld_start "$NS_A" "$IF_A"
POOL=$T/pool-b vtld_start "$NS_B" "$IF_B"
n=0

# ctl WANT NS OUT ARGS...: vtlctl -j ARGS against the vtld of NS, stdout to
# OUT. WANT is 0 (must exit 0) or fail (must exit non-zero with an error
# document {"error": str, "code": <0}). OUT must be one JSON document.
ctl() {
	local want=$1 ns=$2 out=$3 rc=0
	shift 3
	in_ns_t 30 "$ns" "$BIN/vtlctl" -j --socket "$(vtld_sock "$ns")" "$@" >"$out" 2>"$out.err" || rc=$?
	if [[ $want == 0 && $rc -ne 0 ]] || [[ $want == fail && $rc -eq 0 ]]; then
		vtl_fail "vtlctl -j $*: exit $rc ($(cat "$out" "$out.err"))"
	fi
	# one python per call: the machine may be busy, and python starts slowly
	rc=0
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(sys.argv[2] == "fail" and not (isinstance(d.get("error"), str) and d["code"] < 0) and 3)' \
		"$out" "$want" 2>/dev/null || rc=$?
	[[ $rc -ne 3 ]] || vtl_fail "vtlctl -j $*: not an error document: $(head -c 300 "$out")"
	[[ $rc -eq 0 ]] || vtl_fail "vtlctl -j $*: not JSON: $(head -c 300 "$out")"
	n=$((n + 1))
}

# send_graft TAG [VTLCAT ARGS...]: a 256 KB transfer A -> B, byte-exact.
send_graft() {
	local tag=$1 port
	shift
	vtl_mkfile "$T/$tag.in" 256K
	port=$(vtl_rand_port)
	vtlcat_listen "$NS_B" "$port" "$T/$tag.out" "$T/rx-$tag.log"
	vtlcat_send 60 "$NS_A" "$IP_B" "$port" "$T/$tag.in" "$T/tx-$tag.log" "$@"
	vtl_expect_exit "$VTL_BG_PID" 30 "receiver $tag" "$T/rx-$tag.log"
	vtl_assert_same_file "$T/$tag.in" "$T/$tag.out" "256 KB A -> B ($tag)"
}
# graft_of TAG: the graft that send_graft TAG's session negotiated (vtlcat -v)
graft_of() {
	sed -nE 's/.*: graft ([^ ]+) v.*/\1/p' "$T/tx-$1.log" | head -n 1
}

# ---- 1. rules -----------------------------------------------------------------
ctl 0 "$NS_A" "$T/r0.json" rule list
vtl_assert_eq "$(vtl_json "$T/r0.json" "[(r['index'], r['kind'], r['origin']) for r in d]")" \
	'[[0, "select", "built-in"], [1, "select", "built-in"], [2, "select", "built-in"], [3, "select", "built-in"]]' \
	"rule list: the four built-in selection rules"
send_graft sel0
vtl_assert_eq "$(graft_of sel0)" sr "before any edit, a reliable session gets sr (built-in rule)"

ctl 0 "$NS_A" "$T/add.json" rule add at 0 'reliable, ordered -> gbn(window=32)'
vtl_assert_eq "$(vtl_json "$T/add.json" "(d['status'], d['rule']['index'], d['rule']['origin'], d['rule']['text'])")" \
	"('added', 0, 'vtlctl', 'reliable, ordered -> gbn(window=32)')" "rule add at 0"
send_graft sel1
vtl_assert_eq "$(graft_of sel1)" gbn "after 'rule add at 0', vtlcat without -g gets gbn"
grep -q "window 32" "$T/tx-sel1.log" || vtl_fail "the rule's window is not the session's: $(cat "$T/tx-sel1.log")"
ctl 0 "$NS_A" "$T/r1.json" rule list
vtl_assert_eq "$(vtl_json "$T/r1.json" "(len(d), d[0]['hits'], d[3]['hits'], d[3]['text'])")" "(5, 1, 1, 'reliable -> sr')" \
	"rule list: 5 rules; the added one chose one session, sr's rule (now index 3) one"
# a syntax error: the rules parser's own message, and nothing changes
ctl fail "$NS_A" "$T/bad.json" rule add 'reliable, rtt >= 300 -> pr'
vtl_assert_eq "$(vtl_json "$T/bad.json" "d['error']")" \
	"vtld: rule: a time needs a unit (us, ms, s) at ' -> pr'" "rule add: the parser's message"
rc=0
in_ns_t 30 "$NS_A" "$BIN/vtlctl" --socket "$(vtld_sock "$NS_A")" rule add 'fast -> sr' \
	>"$T/bad.txt" 2>&1 || rc=$?
[[ $rc -ne 0 ]] && grep -q "unknown service or variable at 'fast -> sr'" "$T/bad.txt" ||
	vtl_fail "rule add 'fast -> sr' (text): exit $rc, $(cat "$T/bad.txt")"
ctl fail "$NS_A" "$T/e.json" rule add at 9 'any -> canonical'
ctl fail "$NS_A" "$T/e.json" rule add at -1 'any -> canonical'
ctl fail "$NS_A" "$T/e.json" rule del 5
ctl fail "$NS_A" "$T/e.json" rule del x
ctl fail "$NS_A" "$T/e.json" rule add
ctl 0 "$NS_A" "$T/r2.json" rule list
vtl_assert_eq "$(vtl_json "$T/r2.json" "[r['text'] for r in d]")" "$(vtl_json "$T/r1.json" "[r['text'] for r in d]")" \
	"refused edits changed nothing"
ctl 0 "$NS_A" "$T/del.json" rule del 0
vtl_assert_eq "$(vtl_json "$T/del.json" "(d['status'], d['rule']['text'])")" \
	"('deleted', 'reliable, ordered -> gbn(window=32)')" "rule del 0"
send_graft sel2
vtl_assert_eq "$(graft_of sel2)" sr "after 'rule del 0', sr again"
# the last selection rule stays; adaptation rules are listed with their kind
ctl 0 "$NS_B" "$T/e.json" rule add 'adapt reliable, rtt >= 300ms for 50ms -> pr(max_loss=10%)'
for i in 0 1 2; do ctl 0 "$NS_B" "$T/e.json" rule del 0; done
ctl fail "$NS_B" "$T/last.json" rule del 0
grep -q "last selection rule" "$T/last.json" || vtl_fail "rule del of the last selection rule: $(cat "$T/last.json")"
ctl 0 "$NS_B" "$T/rb.json" rule list
vtl_assert_eq "$(vtl_json "$T/rb.json" "[(r['kind'], r['text']) for r in d]")" \
	'[["select", "any -> canonical"], ["adapt", "adapt reliable, rtt >= 300ms for 50ms -> pr(max_loss=10%)"]]' \
	"B keeps its last selection rule; the adaptation rule is listed as adapt"
vtl_pass "rule list|add|del"

# ---- 2. stats -------------------------------------------------------------------
rc=0
in_ns_t 30 "$NS_A" "$BIN/vtlcat" -g gbn -p "$(vtl_rand_port)" --socket "$(vtld_sock "$NS_A")" \
	"$IP_B" </dev/null >"$T/tx-nl.log" 2>&1 || rc=$?
[[ $rc -ne 0 ]] || vtl_fail "vtlcat to a port nobody listens on exited 0"
ctl 0 "$NS_A" "$T/sa.json" stats
ctl 0 "$NS_B" "$T/sb.json" stats
vtl_assert_eq "$(vtl_json "$T/sa.json" "(d['sessions']['total'], d['negotiation']['sent'], d['negotiation']['acked'], d['negotiation']['nacked'], d['traffic']['bytes_tx'] >= 3 * 262144, d['traffic']['packets_tx'] > 0, d['counters']['stamped'] > 0)")" \
	"(3, 4, 3, 1, True, True, True)" "A's stats: 3 sessions, 4 NEGOs sent, 3 acked, 1 refused; bytes and counters"
vtl_assert_eq "$(vtl_json "$T/sb.json" "(d['negotiation']['accepted'], d['negotiation']['refused']['no_listener'] >= 1, d['traffic']['bytes_rx'] >= 3 * 262144, d['counters']['to_xsk'] > 0, d['rules'])")" \
	"(3, True, True, True, {'select': 1, 'adapt': 1})" "B's stats: 3 accepted, the refusal by reason, bytes, rules"
in_ns_t 30 "$NS_A" "$BIN/vtlctl" --socket "$(vtld_sock "$NS_A")" stats >"$T/stats.txt" ||
	vtl_fail "vtlctl stats (text) failed"
grep -qE '^negotiation +sent 4, acked 3, nacked 1' "$T/stats.txt" && grep -q "tc   stamped" "$T/stats.txt" ||
	vtl_fail "vtlctl stats (text): $(cat "$T/stats.txt")"
ctl fail "$NS_A" "$T/e.json" stats extra
vtl_pass "stats"

# ---- 3. graft load ----------------------------------------------------------------
pool_state() { # NS DIR: the pool's listing and its directory, for before/after
	ctl 0 "$1" "$T/ps.json" graft list
	vtl_json "$T/ps.json" "sorted((g['name'], g['state'], g['sha256']) for g in d)"
	(cd "$2" && ls -A && sha256sum -- *.o)
}
before=$(pool_state "$NS_A" "$T/pool-a")
ctl fail "$NS_A" "$T/lb.json" graft load "$FIX/bad_verifier.o"
vtl_assert_eq "$(vtl_json "$T/lb.json" "(d['stage'], d['program'], 'invalid access to packet' in d['log'], 'the verifier rejected program vtl_ingress' in d['error'])")" \
	"('load', 'vtl_ingress', True, True)" "graft load of the broken graft: the verifier's reason and log"
ctl fail "$NS_A" "$T/lm.json" graft load "$FIX/missing_role.o"
grep -q "no program vtl_egress" "$T/lm.json" || vtl_fail "graft load missing_role: $(cat "$T/lm.json")"
rc=0
in_ns_t 30 "$NS_A" "$BIN/vtlctl" --socket "$(vtld_sock "$NS_A")" graft load "$FIX/bad_verifier.o" \
	>"$T/lb.txt" 2>&1 || rc=$?
[[ $rc -ne 0 ]] && grep -q "REJECTED at the load stage" "$T/lb.txt" && grep -q "not loaded; the pool is unchanged" "$T/lb.txt" ||
	vtl_fail "graft load (text) of the broken graft: exit $rc, $(cat "$T/lb.txt")"
ctl fail "$NS_A" "$T/e.json" graft load "$T/nonexistent.o"
ctl fail "$NS_A" "$T/e.json" graft load "$FIX/gbn2.o" now
vtl_assert_eq "$(pool_state "$NS_A" "$T/pool-a")" "$before" "failed loads left A's pool and its directory unchanged"

for ns in "$NS_A" "$NS_B"; do   # both ends need the graft
	ctl 0 "$ns" "$T/load.json" graft load "$FIX/gbn2.o"
done
dir_a=$(cd "$T/pool-a" && pwd -P)
vtl_assert_eq "$(vtl_json "$T/load.json" "(d['status'], d['name'], d['sha256'], d['replaced'])")" \
	"('loaded', 'gbn2', '$(vtl_sha256 "$FIX/gbn2.o")', False)" "graft load gbn2"
ctl 0 "$NS_A" "$T/l1.json" graft list   # no waiting: the command returns once it is in
vtl_assert_eq "$(vtl_json "$T/l1.json" "[(g['state'], g['path']) for g in d if g['name'] == 'gbn2']")" \
	"[[\"ok\", \"$dir_a/gbn2.o\"]]" "gbn2 is in A's pool when graft load returns"
vtl_assert_eq "$(vtl_sha256 "$T/pool-a/gbn2.o")" "$(vtl_sha256 "$FIX/gbn2.o")" "the pool file is the fixture"
[[ -z $(find "$T/pool-a" -name '.*') ]] || vtl_fail "graft load left files behind: $(ls -A "$T/pool-a")"
send_graft g2 -g gbn2
vtl_assert_eq "$(graft_of g2)" gbn2 "a session uses the loaded gbn2"
ctl 0 "$NS_A" "$T/again.json" graft load "$FIX/gbn2.o"
vtl_assert_eq "$(vtl_json "$T/again.json" "d['status']")" already "loading it again: already in the pool"
{ cat "$FIX/gbn2.o"; printf '\n'; } >"$T/gbn2-new.o"   # another build, same name and version
ctl fail "$NS_A" "$T/rep.json" graft load "$T/gbn2-new.o"
grep -q "add 'replace'" "$T/rep.json" || vtl_fail "another build without replace: $(cat "$T/rep.json")"
vtl_assert_eq "$(vtl_sha256 "$T/pool-a/gbn2.o")" "$(vtl_sha256 "$FIX/gbn2.o")" "refused: the pool file is unchanged"
for ns in "$NS_A" "$NS_B"; do
	ctl 0 "$ns" "$T/rep.json" graft load "$T/gbn2-new.o" replace
done
vtl_assert_eq "$(vtl_json "$T/rep.json" "(d['status'], d['replaced'], d['sha256'])")" \
	"('loaded', True, '$(vtl_sha256 "$T/gbn2-new.o")')" "graft load ... replace: the new build"
vtl_pass "graft load"

# ---- 4. graft unload ----------------------------------------------------------------
ctl fail "$NS_A" "$T/uc.json" graft unload canonical
grep -q "canonical carries negotiation" "$T/uc.json" || vtl_fail "unload canonical: $(cat "$T/uc.json")"
ctl fail "$NS_A" "$T/e.json" graft unload nosuchgraft
# a session on gbn2, fed through a fifo so that it stays open meanwhile
vtl_mkfile "$T/busy.in" 1M
port=$(vtl_rand_port)
vtlcat_listen "$NS_B" "$port" "$T/busy.out" "$T/rx-busy.log"
rx=$VTL_BG_PID
mkfifo "$T/fifo"
exec 7<>"$T/fifo"
vtl_bg "$NS_A" "$T/tx-busy.log" "$BIN/vtlcat" -g gbn2 -p "$port" --socket "$(vtld_sock "$NS_A")" -v \
	"$IP_B" <"$T/fifo" 7>&-
tx=$VTL_BG_PID
head -c 512K "$T/busy.in" >&7
wait_for_line "$T/tx-busy.log" "graft gbn2 v" 20 "$tx"
ctl fail "$NS_A" "$T/ub.json" graft unload gbn2
grep -q "used by 1 session" "$T/ub.json" || vtl_fail "unload while in use: $(cat "$T/ub.json")"
[[ -f $T/pool-a/gbn2.o ]] || vtl_fail "a refused unload removed the file"
tail -c +524289 "$T/busy.in" >&7
exec 7>&-
vtl_expect_exit "$tx" 60 "sender on gbn2" "$T/tx-busy.log"
vtl_expect_exit "$rx" 30 "receiver on gbn2" "$T/rx-busy.log"
vtl_assert_same_file "$T/busy.in" "$T/busy.out" "1 MB over gbn2 while its unload was refused"
# the responder ends the session a moment after the sender: B's unload waits for it
wait_for 10 in_ns_t 10 "$NS_B" "$BIN/vtlctl" --socket "$(vtld_sock "$NS_B")" graft unload gbn2 ||
	vtl_fail "B could not unload gbn2 after its session: $(in_ns_t 10 "$NS_B" "$BIN/vtlctl" --socket "$(vtld_sock "$NS_B")" graft unload gbn2 2>&1)"
ctl 0 "$NS_A" "$T/u.json" graft unload gbn2.o
vtl_assert_eq "$(vtl_json "$T/u.json" "(d['status'], d['name'], d['path'])")" \
	"('unloaded', 'gbn2', '$dir_a/gbn2.o')" "graft unload gbn2 (by file name)"
[[ ! -e $T/pool-a/gbn2.o ]] || vtl_fail "gbn2.o is still in A's pool directory"
ctl 0 "$NS_A" "$T/l2.json" graft list
vtl_assert_eq "$(vtl_json "$T/l2.json" "[g['name'] for g in d if g['name'] == 'gbn2']")" "[]" "gbn2 is no longer listed"
vtl_pass "graft unload"

# ---- 5. a restart ---------------------------------------------------------------------
ctl 0 "$NS_A" "$T/e.json" rule add at 0 'any -> gbn'
ctl 0 "$NS_A" "$T/e.json" graft load "$FIX/gbn2.o"
vtld_stop "$NS_A"
POOL=$T/pool-a vtld_start "$NS_A" "$IF_A"
ctl 0 "$NS_A" "$T/r5.json" rule list
vtl_assert_eq "$(vtl_json "$T/r5.json" "[r['origin'] for r in d]")" \
	'["built-in", "built-in", "built-in", "built-in"]' "after a restart, the built-in rules again"
ctl 0 "$NS_A" "$T/l5.json" graft list
vtl_assert_eq "$(vtl_json "$T/l5.json" "[g['state'] for g in d if g['name'] == 'gbn2']")" '["ok"]' \
	"after a restart, the loaded graft is still in the pool"
vtl_pass "$n vtlctl -j outputs parsed as JSON; rule, stats, graft load/unload"
