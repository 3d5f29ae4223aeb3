#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# e2e_hooker: unmodified TCP programs over VTL through vtl-hooker.
# Two hosts (A, B) on a veth pair, vtld and vtl-hooker on each; the
# programs on A run inside A's hooked cgroup unless said otherwise.
#   1. iperf3 -c (50 MB) to iperf3 -s on B succeeds; the bytes crossed as
#      VTL: B's veth received at least the volume while TCP payload on the
#      veth (captured) stayed under 64 KiB; A's Hooker counts the flows as
#      via_vtl and getpeername() was answered with the real peer.
#      500 round trips on one hooked connection wake vtld for few KTF
#      events (an ACK posts one only while vtld waits for it).
#   2. curl fetches a 10 MB file from python3 -m http.server on B 50 times,
#      sha256 equal each time; then a client that writes 1 MB and closes at
#      once, 100 times in a row: the server receives each one whole, then
#      EOF, and nothing after it.
#      The Control Broker's rule "reliable, dport == PORT -> gbn" puts the
#      curl flows on gbn (both directions); the others get sr.
#      20 curls at the same instant: each byte-exact.
#   4. curl outside the hooked cgroup: not hooked (A's Hooker accepted
#      nothing more) and its bytes are plain TCP on the veth.
# shellcheck source-path=SCRIPTDIR source=../lib/netns.sh
. "$(dirname "$0")/../lib/netns.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/hooker.sh
. "$(dirname "$0")/../lib/hooker.sh"
vtl_test_init e2e_hooker
vtl_require_bins vtld vtlctl vtl-hooker
for c in iperf3 curl tcpdump; do
	command -v "$c" >/dev/null || vtl_skip "$c is not installed"
done

# the Control Broker's rules pick the graft of hooked flows by TCP port
hport=$(vtl_rand_port)
cat >"$T/rules" <<RULES
reliable, dport == $hport -> gbn
reliable -> sr
any -> canonical
RULES
vtl_topo_pair
vtld_start "$NS_A" "$IF_A" --rules "$T/rules"
vtld_start "$NS_B" "$IF_B" --rules "$T/rules"
hk_start "$NS_A"
hk_start "$NS_B"

# capture_start NAME FILTER: tcpdump on IF_A (headers only), ready when it
# says "listening on"; capture_stop NAME: stop it and wait.
capture_start() {
	vtl_bg "$NS_A" "$T/cap-$1.log" tcpdump -i "$IF_A" -nn -s 96 -B 32768 -w "$T/cap-$1.pcap" "$2"
	CAP_PID=$VTL_BG_PID
	wait_for_line "$T/cap-$1.log" 'listening on' 10 "$CAP_PID"
}
capture_stop() {
	kill -INT "$CAP_PID"
	vtl_wait_pid "$CAP_PID" 10 || true
}
# tcp_payload NAME: TCP payload bytes in the capture
tcp_payload() {
	tcpdump -nn -q -r "$T/cap-$1.pcap" 2>/dev/null |
		awk '{ for (i = 1; i < NF; i++) if ($i == "tcp") s += $(i + 1) } END { print s + 0 }'
}
listening() {  # NS PORT: a TCP socket listens on PORT (no connection made)
	[[ -n $(in_ns "$1" ss -Hltn "sport = :$2") ]]
}
rx_bytes() {
	ip -n "$NS_B" -j -s link show dev "$IF_B" |
		python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["stats64"]["rx"]["bytes"])'
}

# ---- 1. iperf3 ---------------------------------------------------------------
port=$(vtl_rand_port)
vtl_bg "$NS_B" "$T/iperf-s.log" iperf3 -s -1 -B "$IP_B" -p "$port"
wait_for 10 listening "$NS_B" "$port" || vtl_fail "iperf3 -s did not listen"
capture_start iperf tcp
rx0=$(rx_bytes)
hk_run_t 120 "$NS_A" iperf3 -c "$IP_B" -p "$port" -n 50M -J >"$T/iperf.json" ||
	{ cat "$T/iperf.json" >&2; vtl_fail "iperf3 through the Hooker failed"; }
rx1=$(rx_bytes)
capture_stop
got=$(vtl_json "$T/iperf.json" "d['end']['sum_received']['bytes']")
sent=$(vtl_json "$T/iperf.json" "d['end']['sum_sent']['bytes']")
tcpb=$(tcp_payload iperf)
vtl_log "iperf3: sent $sent B, server received $got B; veth B rx $((rx1 - rx0)) B; TCP payload on the veth $tcpb B"
vtl_assert_gt "$got" 40000000 "iperf3 server received bytes"
vtl_assert_gt "$((rx1 - rx0))" "$got" "veth bytes into B (vs bytes iperf3 received)"
(( tcpb < 65536 )) || vtl_fail "TCP payload on the veth: $tcpb B (the flow was not hooked)"
vtl_pass "iperf3 crossed as VTL: $got B received, $tcpb B of TCP payload on the wire"
hk_show "$NS_A" "$T/hk1.json"
vtl_assert_eq "$(vtl_json "$T/hk1.json" "d['counters']['via_vtl']")" 2 "A's Hooker: flows via VTL (iperf3 control + data)"
vtl_assert_gt "$(vtl_json "$T/hk1.json" "d['counters']['peername_rewrites']")" 0 "getpeername answers rewritten"

# getpeername() shows the real server, not the Hooker's loopback port
port=$(vtl_rand_port)
vtl_bg "$NS_B" "$T/echo.log" python3 "$NETTOOL" rr-server --bind "$IP_B" --port "$port"
wait_for_line "$T/echo.log" '^listening ' 10 "$VTL_BG_PID"
peer=$(hk_run_t 30 "$NS_A" python3 -c "
import socket; s = socket.create_connection(('$IP_B', $port)); print('%s:%d' % s.getpeername())")
vtl_assert_eq "$peer" "$IP_B:$port" "getpeername() of a hooked socket"

# request/response on one hooked connection: an ACK wakes vtld only while it
# has a use for it (data waiting for the window, a close to finish), so 500
# round trips cost a few KTF events, not one per ACK on each host (>= 500)
ktf_events() {
	in_ns "$1" "$BIN/vtlctl" -j --socket "$(vtld_sock "$1")" stats >"$T/st.json"
	vtl_json "$T/st.json" "d['traffic']['ktf_events']"
}
ev_a=$(ktf_events "$NS_A")
ev_b=$(ktf_events "$NS_B")
hk_run_t 120 "$NS_A" python3 "$NETTOOL" rr-client --host "$IP_B" --port "$port" \
	--size 1 --count 500 --warmup 0 >"$T/rr.json" || vtl_fail "rr-client through the Hooker failed"
ev_a=$(( $(ktf_events "$NS_A") - ev_a ))
ev_b=$(( $(ktf_events "$NS_B") - ev_b ))
vtl_assert_gt 250 "$ev_a" "A's vtld: KTF events over 500 round trips, under 250"
vtl_assert_gt 250 "$ev_b" "B's vtld: KTF events over 500 round trips, under 250"
vtl_pass "500 hooked round trips woke vtld for $ev_a (A) and $ev_b (B) KTF events; p50 $(vtl_json "$T/rr.json" "d['p50_us']") us"

# ---- 2. curl x 50, 1 MB write-and-close x 100 ------------------------------------
mkdir -p "$T/www"
vtl_mkfile "$T/www/f10m" 10M
want=$(vtl_sha256 "$T/www/f10m")
vtl_bg "$NS_B" "$T/http.log" python3 -u -m http.server -b "$IP_B" -d "$T/www" "$hport"
wait_for 10 listening "$NS_B" "$hport" ||
	vtl_fail "http.server on B did not come up"
via0=$(hk_count "$NS_A" via_vtl)
for i in $(seq 1 50); do
	hk_run_t 60 "$NS_A" curl -sS --fail -o "$T/got" "http://$IP_B:$hport/f10m" ||
		vtl_fail "curl #$i through the Hooker failed"
	[[ $(vtl_sha256 "$T/got") == "$want" ]] || vtl_fail "curl #$i: sha256 differs"
done
vtl_assert_eq "$(( $(hk_count "$NS_A" via_vtl) - via0 ))" 50 "curl fetches carried over VTL"
vtl_pass "curl: 50 x 10 MB through the Hooker, sha256 $want each time"
# forward sessions (A -> B) and reverse ones (B -> A) of port $hport ran gbn
vtl_assert_gt "$(grep -c 'accepted gbn ' "$T/vtld-$NS_B.log")" 49 "B's vtld: gbn sessions (rule dport == $hport)"
vtl_assert_gt "$(grep -c 'accepted gbn ' "$T/vtld-$NS_A.log")" 49 "A's vtld: gbn reverse sessions"
vtl_assert_gt "$(grep -c 'accepted sr ' "$T/vtld-$NS_B.log")" 2 "B's vtld: sr sessions for the other ports"

# 20 fetches at the same instant: every one whole, whichever path it took
before=$(hk_count "$NS_A" accepted)
pids=()
for i in $(seq 1 20); do
	hk_run_bg "$NS_A" "$T/par-$i.log" curl -sS --fail -o "$T/par-$i.out" "http://$IP_B:$hport/f10m"
	pids+=("$VTL_BG_PID")
done
for i in $(seq 1 20); do
	vtl_wait_pid "${pids[i - 1]}" 120 || { cat "$T/par-$i.log" >&2; vtl_fail "parallel curl #$i failed"; }
	[[ $(vtl_sha256 "$T/par-$i.out") == "$want" ]] || vtl_fail "parallel curl #$i: sha256 differs"
	rm -f "$T/par-$i.out"
done
hk_show "$NS_A" "$T/par.json"
vtl_assert_eq "$(( $(vtl_json "$T/par.json" "d['counters']['accepted']") - before ))" 20 "parallel connections hooked"
vtl_pass "20 parallel curls through the Hooker, each byte-exact ($(vtl_json "$T/par.json" "d['counters']['via_vtl']") flows over VTL so far, $(vtl_json "$T/par.json" "d['counters']['tcp_fallback']") fell back)"

port=$(vtl_rand_port)
vtl_bg "$NS_B" "$T/sink.log" python3 -u "$NETTOOL" tcp-sink --bind "$IP_B" --port "$port" \
	--count 100 --size 1048576 --timeout 60
sink=$VTL_BG_PID
wait_for_line "$T/sink.log" '^listening ' 10 "$sink"
hk_run_t 300 "$NS_A" python3 "$NETTOOL" tcp-blast --host "$IP_B" --port "$port" --count 100 \
	--size 1048576 || vtl_fail "tcp-blast through the Hooker failed"
vtl_expect_exit "$sink" 120 "tcp-sink: 100 x 1 MB write-and-close, each whole then EOF" "$T/sink.log"

# ---- 4. outside the cgroup: untouched ----------------------------------------------
before=$(hk_count "$NS_A" accepted)
capture_start plain tcp
in_ns_t 60 "$NS_A" curl -sS --fail -o "$T/got" "http://$IP_B:$hport/f10m" ||
	vtl_fail "curl outside the hooked cgroup failed"
capture_stop
[[ $(vtl_sha256 "$T/got") == "$want" ]] || vtl_fail "curl outside the cgroup: sha256 differs"
vtl_assert_eq "$(hk_count "$NS_A" accepted)" "$before" "Hooker connections after a curl outside the cgroup"
tcpb=$(tcp_payload plain)
# (a capture may miss packets under load: half the file is proof enough)
vtl_assert_gt "$tcpb" 5000000 "TCP payload captured on the veth for the unhooked 10 MB curl"
vtl_pass "outside the cgroup: plain TCP ($tcpb B of TCP payload), not hooked"
