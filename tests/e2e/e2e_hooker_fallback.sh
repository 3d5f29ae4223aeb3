#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# e2e_hooker_fallback: the Hooker falls back to TCP and fails open.
#   0. A silent peer (a raw protocol-253 socket on B swallows the NEGOs):
#      TCP wins the race after VTL's 100 ms head start.
#   1. No vtld on B: curl in A's hooked cgroup still fetches the file
#      (sha256 equal) over TCP. B's kernel answers the NEGO with ICMP
#      protocol unreachable, so the first fetch falls back at once (no
#      waiting for the race's head start); the next ones go straight to TCP
#      (A's capability cache, which the kernel shares: connect4 leaves
#      those connect()s alone, so they do not pass through the Hooker).
#   1b. With --novtl-ttl 1, the mark expires in both and VTL is tried again.
#   2. vtld on B but no Hooker there (NEGO_NACK: nobody listens): TCP.
#   2b. B's Hooker at its --max-vtl-flows refuses: A falls back to TCP at
#      once (the reset of the forward stream ends its wait) without marking
#      B as lacking VTL; A at its own cap uses TCP without trying VTL.
#   3. vtlctl hooker disable: new connections are not hooked; enable: they
#      are again (over VTL now that B has a Hooker).
#   4. `vtlctl hooker flows` lists the running hooked transfer on both
#      hosts (client on A, server on B, the same flow id). Then A's Hooker
#      killed (SIGKILL) while that transfer runs: the
#      transfer's process is not wedged (it ends, with an error, within
#      seconds); no program stays attached to the cgroup; new connections
#      from the cgroup succeed over plain TCP.
#   5. vtlctl -j hooker errors are JSON.
#   6. B's vtld out of retransmission buffers (--retx-buffers 64: room for
#      one sending session, which a running hooked download holds): 3
#      clients in A's cgroup write 1 MB and close, 4 times each, at once.
#      B cannot open their reverse streams, so every one falls back to TCP
#      before B connects to the server: the server sees 12 whole
#      connections and nothing else, and B is not marked as lacking VTL.
# shellcheck source-path=SCRIPTDIR source=../lib/netns.sh
. "$(dirname "$0")/../lib/netns.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/hooker.sh
. "$(dirname "$0")/../lib/hooker.sh"
vtl_test_init e2e_hooker_fallback
vtl_require_bins vtld vtlctl vtl-hooker
command -v curl >/dev/null || vtl_skip "curl is not installed"
[[ -n $BPFTOOL ]] || vtl_skip "bpftool is not installed"

vtl_topo_pair
vtld_start "$NS_A" "$IF_A"
hk_start "$NS_A" --race 100

mkdir -p "$T/www"
vtl_mkfile "$T/www/f4m" 4M
want=$(vtl_sha256 "$T/www/f4m")
hport=$(vtl_rand_port)
vtl_bg "$NS_B" "$T/http.log" python3 -u -m http.server -b "$IP_B" -d "$T/www" "$hport"
listening() { [[ -n $(in_ns "$1" ss -Hltn "sport = :$2") ]]; }
wait_for 10 listening "$NS_B" "$hport" || vtl_fail "http.server on B did not come up"

# fetch WHAT [CURL ARGS]: curl the file from inside A's hooked cgroup, check
# the bytes, print the time it took in ms
fetch() {
	local what=$1 t0 t1
	shift
	t0=$(_vtl_now_us)
	hk_run_t 60 "$NS_A" curl -sS --fail -o "$T/got" "$@" "http://$IP_B:$hport/f4m" ||
		vtl_fail "$what: curl failed"
	t1=$(_vtl_now_us)
	[[ $(vtl_sha256 "$T/got") == "$want" ]] || vtl_fail "$what: sha256 differs"
	echo $(( (t1 - t0) / 1000 ))
}
count() { hk_count "$NS_A" "$1"; }

# ---- 0. a silent peer: the race ---------------------------------------------------
# a raw protocol-253 socket on B swallows the NEGOs, so B's kernel sends no
# "protocol unreachable": nothing answers, and TCP must win the race
vtl_bg "$NS_B" "$T/silent.log" python3 -u "$NETTOOL" raw-recv --timeout 120
silent=$VTL_BG_PID
wait_for_line "$T/silent.log" '^ready' 10 "$silent"
ms0=$(fetch "silent peer")
vtl_assert_eq "$(count tcp_fallback)" 1 "silent peer: TCP won the race"
hk_show "$NS_A" "$T/peers0.json"
vtl_assert_eq "$(vtl_json "$T/peers0.json" "(d['peers'][0]['state'], d['peers'][0]['last_error'])")" \
	"('no-vtl', -1003)" "A's view of a silent B (-VTL_E_TIMEOUT)"
(( ms0 >= 100 )) || vtl_fail "silent peer: the fetch took $ms0 ms, less than the 100 ms head start"
vtl_pass "silent peer: TCP after the 100 ms head start ($ms0 ms)"
kill "$silent"
hk_stop "$NS_A"
hk_start "$NS_A" --race 100    # a fresh cache

# ---- 1. no VTL at all on B ---------------------------------------------------------
ms1=$(fetch "no vtld on B, first")
vtl_assert_eq "$(count tcp_fallback)" 1 "first fetch: tried VTL, fell back to TCP"
ms2=$(fetch "no vtld on B, second")
ms3=$(fetch "no vtld on B, third")
# the cache is in the kernel too: the next connects are not even diverted
vtl_assert_eq "$(count direct_tcp)" 2 "next fetches: left as plain TCP by connect4 (B cached as no-VTL)"
vtl_assert_eq "$(count diverted)" 1 "only the first fetch went through A's Hooker"
vtl_assert_eq "$(count accepted)" 1 "A's Hooker accepted only the first fetch"
vtl_assert_eq "$(count tcp_cached)" 0 "no diverted connect() had to be sent to TCP from the cache"
vtl_assert_eq "$(count via_vtl)" 0 "flows over VTL"
hk_show "$NS_A" "$T/peers.json"
vtl_assert_eq "$(vtl_json "$T/peers.json" "d['peers'][0]['state']")" no-vtl "A's view of B"
vtl_assert_eq "$(vtl_json "$T/peers.json" "d['peers'][0]['last_error']")" -1013 \
	"why: B's kernel answered protocol unreachable (-VTL_E_NOVTL), no waiting for the race"
vtl_pass "no vtld on B: TCP fallback (first fetch $ms1 ms through the Hooker, then $ms2 and $ms3 ms as plain TCP from the kernel's cache)"

# ---- 1b. the cache expires: VTL is tried again ------------------------------------
hk_stop "$NS_A"
hk_start "$NS_A" --race 100 --novtl-ttl 1
fetch "no vtld on B, short TTL" >/dev/null
vtl_assert_eq "$(count tcp_fallback)" 1 "first fetch: tried VTL, fell back to TCP"
# readiness: A's Hooker reports when "no VTL at B" expires
novtl_left() {
	hk_show "$NS_A" "$T/ttl.json"
	vtl_json "$T/ttl.json" "d['peers'][0]['retry_in_ms']"
}
novtl_expired() { [[ $(novtl_left) == 0 ]]; }
wait_for 5 novtl_expired ||
	vtl_fail "B's no-VTL mark did not expire after --novtl-ttl 1"
fetch "no vtld on B, after the TTL" >/dev/null
vtl_assert_eq "$(count diverted)" 2 "after the TTL, connect4 diverted the next connect() again"
vtl_assert_eq "$(count tcp_fallback)" 2 "and the Hooker tried VTL again"
vtl_assert_eq "$(count direct_tcp)" 0 "no connect() was left alone by a stale mark"
vtl_pass "the no-VTL mark expires in the kernel and in the Hooker alike (--novtl-ttl 1)"

# ---- 2. vtld on B, no Hooker there ------------------------------------------------
hk_stop "$NS_A"
hk_start "$NS_A" --race 100    # a fresh cache
vtld_start "$NS_B" "$IF_B"
ms=$(fetch "vtld but no Hooker on B")
vtl_assert_eq "$(count tcp_fallback)" 1 "NEGO_NACK (no listener): TCP"
hk_show "$NS_A" "$T/peers2.json"
err=$(vtl_json "$T/peers2.json" "d['peers'][0]['last_error']")
vtl_assert_eq "$err" -1006 "A's last error for B (-VTL_E_NOLISTENER)"
vtl_pass "no Hooker on B: TCP after a refused NEGO ($ms ms)"

# ---- 2b. out of VTL capacity: B refuses, then A's own cap ----------------------------
hk_stop "$NS_A"
hk_start "$NS_A"
hk_start "$NS_B" --max-vtl-flows 0
ms=$(fetch "B at its --max-vtl-flows")
vtl_assert_eq "$(count tcp_fallback)" 1 "B refused the flow (capacity): TCP"
(( ms < 2000 )) || vtl_fail "fallback after B's refusal took $ms ms"
hk_show "$NS_A" "$T/peers3.json"
vtl_assert_eq "$(vtl_json "$T/peers3.json" "d['peers'][0]['state']")" unknown \
	"a peer out of capacity is not marked no-vtl"
hk_stop "$NS_B"
hk_stop "$NS_A"
hk_start "$NS_A" --max-vtl-flows 0
fetch "A at its --max-vtl-flows" >/dev/null
vtl_assert_eq "$(count tcp_busy)" 1 "A's own cap: TCP at once"
vtl_pass "out of VTL capacity on either side: TCP (B's refusal cost $ms ms in all)"

# ---- 3. disable / enable -----------------------------------------------------------
hk_stop "$NS_A"
hk_start "$NS_A"
hk_start "$NS_B"
in_ns "$NS_A" "$BIN/vtlctl" -j hooker disable ctl "$(hk_ctl "$NS_A")" >"$T/dis.json"
vtl_assert_eq "$(vtl_json "$T/dis.json" "d['enabled']")" 0 "hooker disable"
fetch "hooking disabled" >/dev/null
vtl_assert_eq "$(count accepted)" 0 "connections hooked while disabled"
in_ns "$NS_A" "$BIN/vtlctl" -j hooker enable ctl "$(hk_ctl "$NS_A")" >"$T/en.json"
vtl_assert_eq "$(vtl_json "$T/en.json" "d['enabled']")" 1 "hooker enable"
fetch "hooking enabled" >/dev/null
vtl_assert_eq "$(count via_vtl)" 1 "flows over VTL after enable"

live0() { hk_show "$NS_A" "$T/live0.json"; [[ $(vtl_json "$T/live0.json" "d['live_hooked_sockets']") == 0 ]]; }
wait_for 10 live0 || vtl_fail "closed hooked sockets still listed live: $(cat "$T/live0.json")"
vtl_pass "no live hooked sockets once the fetches closed"

# ---- 4. the Hooker dies mid-transfer -------------------------------------------------
vtl_mkfile "$T/www/big" 64M
cg=$(hk_cgroup "$NS_A")
hk_run_bg "$NS_A" "$T/slow.log" curl -sS --limit-rate 2M -o "$T/slow.out" "http://$IP_B:$hport/big"
slow=$VTL_BG_PID
wait_for 10 test -s "$T/slow.out" || vtl_fail "the slow transfer did not start"
[[ $("$BPFTOOL" cgroup show "$cg" | grep -c vtl_hk) -eq 3 ]] || vtl_fail "Hooker programs not attached to $cg"
# the running flow, as each side lists it
in_ns "$NS_A" "$BIN/vtlctl" -j hooker flows ctl "$(hk_ctl "$NS_A")" >"$T/flows-a.json"
in_ns "$NS_B" "$BIN/vtlctl" -j hooker flows ctl "$(hk_ctl "$NS_B")" >"$T/flows-b.json"
vtl_assert_eq "$(vtl_json "$T/flows-a.json" "(d['total'], d['flows'][0]['side'], d['flows'][0]['path'], d['flows'][0]['destination'])")" \
	"(1, 'client', 'vtl', '$IP_B:$hport')" "A's vtlctl hooker flows"
vtl_assert_eq "$(vtl_json "$T/flows-b.json" "(d['total'], d['flows'][0]['side'], d['flows'][0]['id'] == $(vtl_json "$T/flows-a.json" "repr(d['flows'][0]['id'])"))")" \
	"(1, 'server', True)" "B's vtlctl hooker flows (the same flow id)"
vtl_assert_gt "$(vtl_json "$T/flows-a.json" "d['flows'][0]['bytes_down']")" 0 "bytes the running flow brought down"
# the kernel's live list: the running connection, and none of the closed ones
hk_show "$NS_A" "$T/live.json"
vtl_assert_eq "$(vtl_json "$T/live.json" "d['live_hooked_sockets']")" 1 "live hooked sockets during the transfer"
hk_stop "$NS_A" KILL
rc=0
vtl_wait_pid "$slow" 15 || rc=$?
[[ $rc -ne 124 ]] || vtl_fail "the hooked transfer is wedged 15 s after the Hooker died"
vtl_pass "hooked transfer ended (curl exit status $rc) after the Hooker was killed"
wait_for 5 sh -c "! '$BPFTOOL' cgroup show '$cg' | grep -q vtl_hk" ||
	vtl_fail "programs still attached to $cg after the Hooker died"
vtl_pass "nothing left attached to $cg"
served=$(in_ns "$NS_B" "$BIN/vtlctl" -j hooker show ctl "$(hk_ctl "$NS_B")" |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["counters"]["served"])')
for i in 1 2 3; do fetch "after the Hooker died #$i" >/dev/null; done
vtl_assert_eq "$(in_ns "$NS_B" "$BIN/vtlctl" -j hooker show ctl "$(hk_ctl "$NS_B")" |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["counters"]["served"])')" "$served" \
	"flows B's Hooker served after A's died (plain TCP)"
vtl_pass "fail open: 3 fetches over plain TCP after the Hooker died"

# ---- 5. JSON errors ------------------------------------------------------------------
rc=0
in_ns "$NS_A" "$BIN/vtlctl" -j hooker show ctl "$T/nobody.ctl" >"$T/err.json" || rc=$?
[[ $rc -ne 0 ]] || vtl_fail "vtlctl hooker show on a dead socket exited 0"
vtl_json "$T/err.json" "d['error']" >/dev/null || vtl_fail "error output is not JSON"
vtl_pass "vtlctl -j hooker error: $(cat "$T/err.json")"

# ---- 6. B's vtld out of retransmission buffers ----------------------------------------
hk_stop "$NS_B"
vtld_stop "$NS_B"
vtld_start "$NS_B" "$IF_B" --retx-buffers 64
hk_start "$NS_B"
hk_start "$NS_A"
# a slow download holds B's only sending session (its reverse stream)
hk_run_bg "$NS_A" "$T/hold.log" curl -sS --limit-rate 1M -o /dev/null "http://$IP_B:$hport/big"
hold=$VTL_BG_PID
via_is() { [[ $(count via_vtl) == "$1" ]]; }
wait_for 10 via_is 1 || vtl_fail "the holding download did not go over VTL"
bport=$(vtl_rand_port)
vtl_bg "$NS_B" "$T/sink6.log" python3 -u "$NETTOOL" tcp-sink --bind "$IP_B" --port "$bport" \
	--count 12 --size 1048576 --timeout 60
sink=$VTL_BG_PID
wait_for_line "$T/sink6.log" '^listening ' 10 "$sink"
blasters=()
for i in 0 1 2; do
	hk_run_bg "$NS_A" "$T/blast6-$i.log" python3 "$NETTOOL" tcp-blast --host "$IP_B" \
		--port "$bport" --count 4 --first $((i * 4)) --size 1048576
	blasters+=("$VTL_BG_PID")
done
for i in 0 1 2; do
	vtl_expect_exit "${blasters[$i]}" 60 "client $i: 4 x write 1 MB and close" "$T/blast6-$i.log"
done
vtl_expect_exit "$sink" 60 "tcp-sink: 12 connections, each whole, nothing else" "$T/sink6.log"
kill "$hold" 2>/dev/null || true
hk_show "$NS_A" "$T/peers6.json"
vtl_assert_eq "$(vtl_json "$T/peers6.json" "(d['counters']['via_vtl'], d['counters']['tcp_fallback'])")" \
	"(1, 12)" "A: the holding download over VTL, the 12 over TCP"
vtl_assert_eq "$(vtl_json "$T/peers6.json" "d['peers'][0]['state']")" vtl \
	"a peer out of session room is not marked no-vtl"
grep -q 'no room for the session' "$T/vtld-$NS_B.log" ||
	vtl_fail "B's vtld logged no refusal for lack of room"
vtl_pass "out of retransmission buffers at B: 12 clean TCP fallbacks, the server saw nothing else"
