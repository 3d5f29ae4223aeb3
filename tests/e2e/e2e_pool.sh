#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# e2e_pool: the graft pool follows its directory while vtld runs.
#   Two vtld hosts, each on its own copy of build/grafts in $T.
#   1. the listing: canonical and gbn are ok, their sha256 is the file's
#      (in `graft list -j` and in `status -j`)
#   2. hot add: gbn2 (tests/fixtures/gbn2.bpf.c: gbn under another name) is
#      dropped in, on A as temp file + rename (IN_MOVED_TO), on B by a plain
#      cp (IN_CLOSE_WRITE); once both list it, `vtlcat -g gbn2` carries a
#      file byte-exact, and neither vtld was restarted
#   3. while a 20 MB gbn transfer runs: the verifier-rejected fixture and
#      the missing-role fixture are dropped into both pools and listed as
#      rejected with their reason; A's gbn.o is replaced by a new build
#      (same code, one trailing byte: another sha256). The transfer
#      completes byte-exact; new sessions get the new build
#   4. `vtlctl graft verify`: exit 1 and the verifier log for the broken
#      fixture, exit 0 and valid JSON for gbn.o; the same through vtld
#      (verify daemon), which adds nothing to the pool
#   5. deleting gbn2.o takes it out of A's pool: -g gbn2 is refused;
#      deleting a rejected file forgets the rejection
# shellcheck source-path=SCRIPTDIR source=../lib/netns.sh
. "$(dirname "$0")/../lib/netns.sh"
vtl_test_init e2e_pool
vtl_require_bins vtld vtlcat vtlctl
FIX=$BUILD/tests/fixtures
for f in gbn2 bad_verifier missing_role; do
	[[ -f $FIX/$f.o ]] || vtl_skip "fixture $FIX/$f.o not built (build the test_fixtures target)"
done

# ctl NS ARGS...: vtlctl against the vtld of NS.
ctl() {
	local ns=$1
	shift
	in_ns_t 30 "$ns" "$BIN/vtlctl" --socket "$(vtld_sock "$ns")" "$@"
}

# list_json NS FILE: `vtlctl -j graft list` into FILE, valid JSON or fail.
list_json() {
	ctl "$1" -j graft list >"$2" 2>"$2.err" || vtl_fail "vtlctl graft list in $1: $(cat "$2.err")"
	python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$2" 2>/dev/null ||
		vtl_fail "vtlctl -j graft list in $1 printed invalid JSON: $(head -c 300 "$2")"
}

# _has NS NAME STATE [REASON_SUBSTRING]: the pool of NS lists NAME in STATE.
_has() {
	local f="$T/has-$1.json"
	ctl "$1" -j graft list >"$f" 2>/dev/null || return 1
	[[ $(vtl_json "$f" "any(g['name'] == '$2' and g['state'] == '$3' and '${4:-}' in g['reason'] for g in d)") == 1 ]]
}
_lacks() {
	! _has "$@"
}

# expect_listed NS NAME STATE [REASON]: bounded poll (20 s) for _has.
expect_listed() {
	wait_for 20 _has "$@" || {
		cat "$T/has-$1.json" >&2 || true
		tail -n 20 "$T/vtld-$1.log" >&2 || true
		vtl_fail "$2 not listed as $3${4:+ (reason with '$4')} in $1 within 20 s"
	}
	vtl_pass "$1 lists $2 as $3${4:+ ($4)}"
}

mkdir -p "$T/pool-a" "$T/pool-b"
cp "$POOL"/*.o "$T/pool-a/"
cp "$POOL"/*.o "$T/pool-b/"
vtl_topo_pair
POOL=$T/pool-a
vtld_start "$NS_A" "$IF_A"
POOL=$T/pool-b
vtld_start "$NS_B" "$IF_B"
pid_a=$(vtld_pid "$NS_A")
pid_b=$(vtld_pid "$NS_B")

# ---- 1. the listing -----------------------------------------------------------
list_json "$NS_A" "$T/list0.json"
for g in canonical gbn; do
	vtl_assert_eq "$(vtl_json "$T/list0.json" "[x['state'] for x in d if x['name'] == '$g']")" '["ok"]' \
		"$g is in A's pool, once"
	vtl_assert_eq "$(vtl_json "$T/list0.json" "[x['sha256'] for x in d if x['name'] == '$g'][0]")" \
		"$(vtl_sha256 "$T/pool-a/$g.o")" "$g's listed sha256 is its file's"
done
vtlctl_status "$NS_A" "$T/status0.json"
vtl_assert_eq "$(vtl_json "$T/status0.json" "[g['hash'] for g in d['grafts'] if g['name'] == 'gbn'][0]")" \
	"$(vtl_sha256 "$T/pool-a/gbn.o")" "status reports gbn's sha256"

# ---- 2. hot add -----------------------------------------------------------------
cp "$FIX/gbn2.o" "$T/pool-a/.gbn2.o.tmp"   # a dotfile is not a pool member
mv "$T/pool-a/.gbn2.o.tmp" "$T/pool-a/gbn2.o"
cp "$FIX/gbn2.o" "$T/pool-b/gbn2.o"
expect_listed "$NS_A" gbn2 ok
expect_listed "$NS_B" gbn2 ok
ctl "$NS_A" graft show gbn2 >"$T/show-gbn2.txt" || vtl_fail "graft show gbn2 failed"
grep -q "sha256        $(vtl_sha256 "$FIX/gbn2.o")" "$T/show-gbn2.txt" ||
	vtl_fail "graft show gbn2 does not show its sha256: $(cat "$T/show-gbn2.txt")"
vtl_mkfile "$T/g2.in" 4M
port=$(vtl_rand_port)
vtlcat_listen "$NS_B" "$port" "$T/g2.out" "$T/rx-g2.log"
rx=$VTL_BG_PID
vtlcat_send 120 "$NS_A" "$IP_B" "$port" "$T/g2.in" "$T/tx-g2.log" -g gbn2
vtl_expect_exit "$rx" 30 "receiver of the gbn2 transfer" "$T/rx-g2.log"
vtl_assert_same_file "$T/g2.in" "$T/g2.out" "4 MB A -> B over the hot-added gbn2"
grep -q "graft gbn2 v1" "$T/tx-g2.log" || vtl_fail "the session did not use gbn2: $(cat "$T/tx-g2.log")"
vtl_assert_eq "$(vtld_pid "$NS_A") $(vtld_pid "$NS_B")" "$pid_a $pid_b" "no vtld was restarted"

# ---- 3. bad files and a replaced graft while a transfer runs ----------------------
# The sender reads a FIFO that this script holds open: the first 4 MB go in
# now, the rest only after every change below, so the session is busy
# through all of them by construction, not by timing.
vtl_mkfile "$T/big.in" 20M
port=$(vtl_rand_port)
vtlcat_listen "$NS_B" "$port" "$T/big.out" "$T/rx-big.log"
rx=$VTL_BG_PID
mkfifo "$T/big.fifo"
exec 8<>"$T/big.fifo" # read-write: opening it does not block; ours is the only writer
vtl_bg "$NS_A" "$T/tx-big.log" "$BIN/vtlcat" -g gbn -p "$port" --socket "$(vtld_sock "$NS_A")" \
	-v "$IP_B" <"$T/big.fifo" 8>&-
tx=$VTL_BG_PID
head -c 4M "$T/big.in" >&8   # returns once vtlcat has read all but the FIFO's buffer
wait_for_line "$T/tx-big.log" "session .* graft gbn v" 20 "$tx"
for p in pool-a pool-b; do
	cp "$FIX/bad_verifier.o" "$T/$p/bad_verifier.o"
	cp "$FIX/missing_role.o" "$T/$p/missing_role.o"
done
# gbn.o: a new build (one trailing byte) while a session runs on it, on
# both hosts (NEGO names a graft by name, version AND content hash, so a new
# session needs the same build on both sides)
for p in pool-a pool-b; do
	{ cat "$T/$p/gbn.o"; printf '\n'; } >"$T/$p/.gbn.new"
	mv "$T/$p/.gbn.new" "$T/$p/gbn.o"
done
for ns in "$NS_A" "$NS_B"; do
	expect_listed "$ns" bad_verifier rejected "the verifier rejected program vtl_ingress"
	expect_listed "$ns" missing_role rejected "declares role egress but the object has no program vtl_egress"
done
grep -q "rejected $T/pool-a/bad_verifier.o: the verifier rejected program vtl_ingress" "$T/vtld-$NS_A.log" ||
	vtl_fail "vtld's log does not name the rejected file and reason"
vtl_pass "vtld logged the rejection with file and reason"
expect_listed "$NS_A" gbn replaced
expect_listed "$NS_B" gbn replaced
list_json "$NS_A" "$T/list3.json"
vtl_assert_eq "$(vtl_json "$T/list3.json" "[(x['state'], x['users'], x['sha256']) for x in d if x['name'] == 'gbn']")" \
	"$(vtl_json "$T/list0.json" "[('ok', 0, '$(vtl_sha256 "$T/pool-a/gbn.o")'), ('replaced', 1, [x['sha256'] for x in d if x['name'] == 'gbn'][0])]")" \
	"A offers the new gbn build to new sessions; the running session keeps the old one"
# a new session meanwhile: the Launcher loads the new build instead of sharing
# the old one's loaded instance
vtl_mkfile "$T/nb.in" 1M
port=$(vtl_rand_port)
vtlcat_listen "$NS_B" "$port" "$T/nb.out" "$T/rx-nb.log"
rx2=$VTL_BG_PID
vtlcat_send 60 "$NS_A" "$IP_B" "$port" "$T/nb.in" "$T/tx-nb.log" -g gbn
vtl_expect_exit "$rx2" 30 "receiver on the new gbn build" "$T/rx-nb.log"
vtl_assert_same_file "$T/nb.in" "$T/nb.out" "1 MB over A's new gbn build, next to the old one"
vtl_assert_eq "$(grep -c "loaded graft $T/pool-a/gbn.o " "$T/vtld-$NS_A.log")" 2 \
	"the new session loaded the new build (two gbn loads in A's log)"
_vtl_alive "$tx" || vtl_fail "the 20 MB transfer ended before the pool changes were checked"
vtl_pass "all of the above happened while the gbn transfer was running"
tail -c +$(( (4 << 20) + 1 )) "$T/big.in" >&8
exec 8>&-
vtl_expect_exit "$tx" 300 "the 20 MB gbn sender" "$T/tx-big.log"
vtl_expect_exit "$rx" 60 "the 20 MB gbn receiver" "$T/rx-big.log"
vtl_assert_same_file "$T/big.in" "$T/big.out" "20 MB gbn transfer across the pool changes"
rm -f "$T/big.in" "$T/big.out"
wait_for 20 _lacks "$NS_A" gbn replaced || vtl_fail "the replaced gbn build is still listed after its session"
vtl_pass "the replaced build leaves the listing with its last session"

# ---- 4. vtlctl graft verify ---------------------------------------------------------
rc=0
"$BIN/vtlctl" graft verify "$FIX/bad_verifier.o" >"$T/verify-bad.txt" 2>&1 || rc=$?
vtl_assert_eq "$rc" 1 "graft verify on the broken graft exits 1"
grep -q "invalid access to packet" "$T/verify-bad.txt" && grep -q "verifier log" "$T/verify-bad.txt" ||
	vtl_fail "graft verify did not print the verifier log: $(cat "$T/verify-bad.txt")"
vtl_pass "graft verify prints the verifier log tail"
"$BIN/vtlctl" graft verify "$POOL/gbn.o" >"$T/verify-good.txt" 2>&1 ||
	vtl_fail "graft verify gbn.o failed: $(cat "$T/verify-good.txt")"
"$BIN/vtlctl" -j graft verify "$POOL/gbn.o" >"$T/verify-good.json" ||
	vtl_fail "graft verify -j gbn.o failed: $(cat "$T/verify-good.json")"
vtl_assert_eq "$(vtl_json "$T/verify-good.json" "(d['ok'], d['name'], d['sha256'], d['load_us'] > 0)")" \
	"(True, 'gbn', '$(vtl_sha256 "$POOL/gbn.o")', True)" "graft verify -j gbn.o: ok, name, sha256, load time"
rc=0
"$BIN/vtlctl" -j graft verify "$FIX/bad_verifier.o" >"$T/verify-bad.json" || rc=$?
vtl_assert_eq "$rc:$(vtl_json "$T/verify-bad.json" "(d['ok'], d['stage'], d['program'], 'invalid access to packet' in d['log'])")" \
	"1:(False, 'load', 'vtl_ingress', True)" "graft verify -j on the broken graft"
rc=0
ctl "$NS_A" graft verify daemon "$FIX/bad_verifier.o" >"$T/verify-d-bad.txt" 2>&1 || rc=$?
vtl_assert_eq "$rc" 1 "verify through vtld: the broken graft exits 1"
grep -q "invalid access to packet" "$T/verify-d-bad.txt" ||
	vtl_fail "vtld's verification has no verifier log: $(cat "$T/verify-d-bad.txt")"
ctl "$NS_A" -j graft verify daemon "$FIX/gbn2.o" >"$T/verify-d-good.json" ||
	vtl_fail "verify through vtld: gbn2.o failed: $(cat "$T/verify-d-good.json")"
vtl_assert_eq "$(vtl_json "$T/verify-d-good.json" "(d['ok'], d['name'])")" "(True, 'gbn2')" \
	"verify through vtld: gbn2.o is good"
cp "$FIX/gbn2.o" "$T/elsewhere.o"
ctl "$NS_A" graft verify daemon "$T/elsewhere.o" >/dev/null || vtl_fail "verify daemon elsewhere.o failed"
list_json "$NS_A" "$T/list4.json"
vtl_assert_eq "$(vtl_json "$T/list4.json" "any('elsewhere' in g['path'] for g in d)")" 0 \
	"a verified file outside the pool is not added"

# ---- 5. removal ------------------------------------------------------------------------
rm "$T/pool-a/gbn2.o" "$T/pool-a/bad_verifier.o"
wait_for 20 _lacks "$NS_A" gbn2 ok || vtl_fail "gbn2 still listed in A after rm"
wait_for 20 _lacks "$NS_A" bad_verifier rejected || vtl_fail "bad_verifier's rejection outlived its file"
vtl_pass "deleted files leave A's listing"
rc=0
in_ns_t 30 "$NS_A" "$BIN/vtlcat" -g gbn2 -p "$(vtl_rand_port)" --socket "$(vtld_sock "$NS_A")" \
	"$IP_B" </dev/null >"$T/tx-gone.log" 2>&1 || rc=$?
[[ $rc -ne 0 ]] && grep -qi "not in the pool" "$T/tx-gone.log" ||
	vtl_fail "-g gbn2 after its removal: exit $rc, $(cat "$T/tx-gone.log")"
vtl_pass "a removed graft is refused for new sessions"
list_json "$NS_A" "$T/list5.json"
vtl_assert_eq "$(vtl_json "$T/list5.json" "[g['state'] for g in d if g['name'] == 'canonical']")" '["ok"]' \
	"canonical stays"
vtl_assert_eq "$(vtld_pid "$NS_A") $(vtld_pid "$NS_B")" "$pid_a $pid_b" "same vtld processes throughout"
_vtl_alive "$pid_a" && _vtl_alive "$pid_b" || vtl_fail "a vtld died"
vtl_pass "graft pool hot add, reject, replace and remove"
