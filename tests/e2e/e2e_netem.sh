#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# e2e_netem: the network emulator tools/vtl-netem, measured from the hosts.
# A -- R -- B in one /24, vtl-netem in R as the only path (vtl_topo_netem).
#   1. delay 5 ms each way: median ICMP RTT 10 +- 1.5 ms; changed at run
#      time (ctl) to 20 ms each way: 40 +- 2 ms, and the median one-way delay
#      of UDP datagrams (timestamped with the one CLOCK_MONOTONIC) 20 ms.
#   2. 5 % random loss a2b, --filter vtl, fixed seed: 20000 protocol-253
#      frames A -> B; B gets 94..96 %, netem's drop_loss == sent - received
#      exactly; the same seed again loses exactly the same frames.
#      Gilbert-Elliott 1 %/10 %: about 9.1 % lost in bursts of about 10.
#   3. rate 16 Mb/s a2b (+ the paper's RTT of 10 ms): a 4 MB TCP transfer
#      takes 2.0 s +- 15 %; again with vtl-netem --tbf (tc tbf on R's egress).
#   4. dup 1 %, reorder 2 % (delay 10 ms), --filter udp: 20000 UDP datagrams
#      with sequence numbers; netem's counters near 1 % and 2 %, B sees
#      exactly the duplicates netem made, and about one frame that overtook
#      its predecessor per reordered frame (fewer only when two neighbours
#      were both reordered: 2 % of them). Jitter reorders, except with
#      no-reorder-jitter.
#   5. corrupt 1 %: every corrupted UDP datagram is dropped by B's checksum.
#   6. SIGTERM: vtl-netem exits, prints its final counters, and leaves no
#      XDP program and no qdisc on R's interfaces (checked before the
#      namespaces are deleted).
#   7. --kernel=force refuses to start without sch_netem, --kernel falls back
#      to the line (and says so); bad option values are named.
# shellcheck source-path=SCRIPTDIR source=../lib/netns.sh
. "$(dirname "$0")/../lib/netns.sh"
vtl_test_init e2e_netem
vtl_require_bins vtl-netem

PROBE=$T/nmprobe.py
cat >"$PROBE" <<'EOF'
"""Probes for e2e_netem (stdlib only).
  rtt DST COUNT INTERVAL          ICMP echo RTTs; prints JSON {median_ms, rtts_ms}
  sink PROTO BIND PORT OUT        PROTO udp|253; "ready" on stderr once bound;
                                  counts sequence numbers until the end marker;
                                  one-way delays (one clock: same machine)
  blast PROTO DST PORT FIRST N PPS   sequence numbers FIRST..FIRST+N-1
  end PROTO DST PORT              three end markers
  tcp-send DST PORT FILE CC       send FILE over TCP with congestion control CC
                                  (if allowed), wait for the server to close;
                                  prints the seconds from connect() to close
"""
import hashlib, json, os, select, socket, struct, sys, time

END = 0xFFFFFFFFFFFFFFFF
SEQ = struct.Struct("!QQ")   # sequence number, send time (CLOCK_MONOTONIC ns)


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def rtt(dst, count, interval):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    ident, out = os.getpid() & 0xFFFF, []
    for seq in range(1, int(count) + 1):
        body = bytes(56)
        hdr = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
        s.sendto(struct.pack("!BBHHH", 8, 0, csum(hdr + body), ident, seq) + body, (dst, 0))
        t0 = time.perf_counter()
        while True:
            left = t0 + 2 - time.perf_counter()
            if left <= 0 or not select.select([s], [], [], left)[0]:
                break
            d = s.recv(2048)
            ihl = (d[0] & 15) * 4
            typ, _, _, rid, rseq = struct.unpack("!BBHHH", d[ihl:ihl + 8])
            if typ == 0 and rid == ident and rseq == seq:
                out.append((time.perf_counter() - t0) * 1e3)
                break
        time.sleep(float(interval))
    r = sorted(out)
    print(json.dumps({"sent": int(count), "received": len(r),
                      "median_ms": r[len(r) // 2] if r else -1, "rtts_ms": out}))


def sock(proto):
    if proto == "udp":
        return socket.socket(socket.AF_INET, socket.SOCK_DGRAM), 0
    return socket.socket(socket.AF_INET, socket.SOCK_RAW, int(proto)), 1


def sink(proto, bind, port, out):
    s, raw = sock(proto)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind((bind, int(port) if not raw else 0))
    print("ready", file=sys.stderr, flush=True)
    seqs, owd, deadline = [], [], time.monotonic() + 120
    while time.monotonic() < deadline:
        if not select.select([s], [], [], 1)[0]:
            continue
        d = s.recv(65536)
        now = time.monotonic_ns()  # one clock for every namespace
        if raw:
            d = d[(d[0] & 15) * 4:]
        if len(d) < SEQ.size:
            continue
        q, sent = SEQ.unpack_from(d)
        if q == END:
            break
        seqs.append(q)
        owd.append((now - sent) / 1e6)
    # early: frames that arrived before the frame sent just before them
    seen, pos, dups, desc = set(), {}, 0, 0
    for i, q in enumerate(seqs):
        if q in seen:
            dups += 1
        seen.add(q)
        pos.setdefault(q, i)
        if i and q < seqs[i - 1]:
            desc += 1
    early = sum(1 for q in pos if q - 1 in pos and pos[q] < pos[q - 1])
    lo, hi = (min(seen), max(seen)) if seen else (0, -1)
    missing = [q for q in range(lo, hi + 1) if q not in seen]
    mset = set(missing)
    bursts = sum(1 for q in missing if q - 1 not in mset)  # runs of lost frames
    res = {"received": len(seqs), "unique": len(seen), "dups": dups, "descents": desc,
           "early": early,
           "first": lo, "last": hi, "missing_in_range": len(missing),
           "loss_bursts": bursts,
           "missing_sha": hashlib.sha256(repr(missing).encode()).hexdigest()[:16],
           "done": time.monotonic() < deadline}
    o = sorted(owd) or [0]
    res["owd_ms"] = {"median": o[len(o) // 2], "p1": o[len(o) // 100],
                     "p99": o[len(o) * 99 // 100], "max": o[-1]}
    with open(out, "w") as f:
        json.dump(res, f)
    return 0 if res["done"] else 1


def blast(proto, dst, port, first, n, pps):
    s, raw = sock(proto)
    first, n, pps = int(first), int(n), float(pps)
    pad, t0 = bytes(100), time.monotonic()
    for i in range(n):
        s.sendto(SEQ.pack(first + i, time.monotonic_ns()) + pad, (dst, int(port)))
        if i % 10 == 9:
            ahead = t0 + (i + 1) / pps - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)


def end(proto, dst, port):
    s, raw = sock(proto)
    for _ in range(3):
        s.sendto(SEQ.pack(END, 0) + bytes(100), (dst, int(port)))


def tcp_send(dst, port, path, cc):
    data = open(path, "rb").read()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, cc.encode())
    except OSError as e:
        print("congestion control %s: %s" % (cc, e), file=sys.stderr)
    s.settimeout(60)
    t0 = time.monotonic()
    s.connect((dst, int(port)))
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    while s.recv(4096):
        pass
    print("%.3f" % (time.monotonic() - t0))


cmd = sys.argv[1]
sys.exit({"rtt": rtt, "sink": sink, "blast": blast, "end": end,
          "tcp-send": tcp_send}[cmd](*sys.argv[2:]) or 0)
EOF

# Counter COUNTER of direction DIR in a stats JSON file.
nm_counter() {
	vtl_json "$1" "d['$2']['counters']['$3']"
}

# median_rtt: median ICMP RTT A -> B in ms, over 30 probes 30 ms apart.
median_rtt() {
	local out
	out=$(in_ns_t 60 "$NS_A" python3 "$PROBE" rtt "$IP_B" 30 0.03) || vtl_fail "rtt probe failed: $out"
	echo "$out" >"$T/rtt.json"
	[[ $(vtl_json "$T/rtt.json" "d['received']") == 30 ]] ||
		vtl_fail "rtt probe: $(vtl_json "$T/rtt.json" "d['received']")/30 replies"
	vtl_json "$T/rtt.json" "round(d['median_ms'], 3)"
}

# assert_within VALUE LO HI MSG: LO <= VALUE <= HI (decimals allowed).
assert_within() {
	awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v >= lo && v <= hi) }' ||
		vtl_fail "$4: $1 not within [$2, $3]"
	vtl_pass "$4: $1 within [$2, $3]"
}

# stream PROTO FIRST N PPS OUT: sink in B, N datagrams A -> B, end markers.
# Before the end markers the a2b impairments are reset (SETBACK...) so the
# markers cannot be lost. Writes the sink's JSON into OUT.
stream() {
	local proto=$1 first=$2 n=$3 pps=$4 out=$5 port spid
	shift 5
	port=$(vtl_rand_port)
	vtl_bg "$NS_B" "$T/sink-$port.log" python3 "$PROBE" sink "$proto" "$IP_B" "$port" "$out"
	spid=$VTL_BG_PID
	wait_for_line "$T/sink-$port.log" '^ready' 10 "$spid"
	in_ns_t 120 "$NS_A" python3 "$PROBE" blast "$proto" "$IP_B" "$port" "$first" "$n" "$pps" ||
		vtl_fail "blast $proto to $IP_B failed"
	[[ $# -gt 0 ]] && vtl_netem_set "$@"
	in_ns_t 10 "$NS_A" python3 "$PROBE" end "$proto" "$IP_B" "$port" || vtl_fail "end markers failed"
	vtl_expect_exit "$spid" 30 "sink ($proto)" "$T/sink-$port.log"
}

vtl_topo_netem --seed 42
grep -q '^vtl-netem: seed 42$' "$NETEM_LOG" || vtl_fail "vtl-netem did not print its seed"
vtl_pass "vtl-netem printed 'seed 42'"
for ifc in "$IF_RA" "$IF_RB"; do
	in_ns "$NS_R" ip -d link show dev "$ifc" | grep -q 'prog/xdp.*name vtl_netem_pass' ||
		vtl_fail "no XDP_PASS program on $ifc while vtl-netem runs"
done
vtl_pass "XDP_PASS attached to $IF_RA and $IF_RB"
# the kernel of R does not forward: stop the line... it is the only path
[[ $(in_ns "$NS_R" cat /proc/sys/net/ipv4/ip_forward) == 0 ]] || vtl_fail "R forwards in the kernel"
vtl_ping "$NS_A" "$IP_B" 3

# --- 1. delay, changed at run time --------------------------------------------
vtl_netem_set both delay 5ms
rtt=$(median_rtt)
assert_within "$rtt" 8.5 11.5 "median RTT with 5 ms each way (ms)"
vtl_netem_set both delay 20ms
rtt=$(median_rtt)
assert_within "$rtt" 38 42 "median RTT after ctl set both delay 20ms (ms)"
stream udp 0 1000 1000 "$T/owd.json"
owd=$(vtl_json "$T/owd.json" "round(d['owd_ms']['median'], 3)")
vtl_log "one-way delay A -> B at 20 ms: $(vtl_json "$T/owd.json" "d['owd_ms']")"
assert_within "$owd" 19.8 20.8 "median one-way delay A -> B at 20 ms (ms)"
vtl_netem_set both delay 0

# --- 2. random loss, deterministic ---------------------------------------------
N=20000
for run in 1 2; do
	vtl_netem_ctl seed 4242 >/dev/null
	vtl_netem_ctl reset >/dev/null
	vtl_netem_set a2b loss 5% filter vtl
	stream 253 0 "$N" 10000 "$T/loss$run.json" a2b loss 0
	vtl_netem_stats "$T/loss$run-stats.json"
	got=$(vtl_json "$T/loss$run.json" "d['received']")
	lost=$(nm_counter "$T/loss$run-stats.json" a2b drop_loss)
	matched=$(vtl_json "$T/loss$run-stats.json" "d['a2b']['counters']['rx'] - d['a2b']['counters']['passed']")
	kdrop=$(nm_counter "$T/loss$run-stats.json" a2b kernel_drops)
	vtl_log "run $run: sent $N, received $got, netem drop_loss $lost, matched $matched, kernel drops $kdrop"
	assert_within "$got" $((N * 94 / 100)) $((N * 96 / 100)) "run $run: frames received at 5 % loss"
	vtl_assert_eq "$lost" "$((N - got))" "run $run: netem drop_loss == sent - received"
	vtl_assert_eq "$matched" "$((N + 3))" "run $run: netem saw every protocol-253 frame (+3 end markers)"
	eval "sha$run=\$(vtl_json \"\$T/loss\$run.json\" \"d['missing_sha']\")"
done
# shellcheck disable=SC2154 # set by eval
vtl_assert_eq "$sha2" "$sha1" "seed 4242 twice: the same frames lost"

# Gilbert-Elliott: P(good->bad) 1 %, P(bad->good) 10 %, all lost in bad:
# 1/11 = 9.1 % lost, in bursts of 1/0.1 = 10 frames on average.
vtl_netem_ctl reset >/dev/null
vtl_netem_set a2b ge 1%,10% filter vtl
stream 253 0 "$N" 10000 "$T/ge.json" a2b ge off
vtl_netem_stats "$T/ge-stats.json"
got=$(vtl_json "$T/ge.json" "d['received']")
lost=$(nm_counter "$T/ge-stats.json" a2b drop_burst)
blen=$(vtl_json "$T/ge.json" "round(d['missing_in_range'] / max(d['loss_bursts'], 1), 2)")
vtl_log "Gilbert-Elliott: received $got of $N, netem drop_burst $lost, mean burst $blen frames"
vtl_assert_eq "$lost" "$((N - got))" "netem drop_burst == sent - received"
assert_within "$lost" $((N * 6 / 100)) $((N * 125 / 1000)) "burst loss near 9.1 % (6..12.5 %)"
assert_within "$blen" 7 13 "mean loss burst length near 10 frames"
vtl_netem_set both filter all

# --- 3. rate 16 Mb/s, the paper's RTT of 10 ms ------------------------------------
vtl_mkfile "$T/4mb.in" 4000000
tcp_time() {  # prints the duration in s of a 4 MB TCP (cubic) transfer A -> B
	local port spid log secs
	port=$(vtl_rand_port)
	log="$T/tcp-$port.log"
	vtl_bg "$NS_B" "$log" python3 "$NETTOOL" tcp-server --bind "$IP_B" --port "$port" \
		--out "$T/4mb.out" --timeout 60
	spid=$VTL_BG_PID
	wait_for_line "$log" '^listening ' 10 "$spid"
	secs=$(in_ns_t 60 "$NS_A" python3 "$PROBE" tcp-send "$IP_B" "$port" "$T/4mb.in" cubic) ||
		vtl_fail "TCP client to $IP_B:$port failed"
	vtl_expect_exit "$spid" 30 "TCP server" "$log" >/dev/null
	cmp -s "$T/4mb.in" "$T/4mb.out" || vtl_fail "4 MB TCP transfer corrupted"
	echo "$secs"
}
vtl_netem_set both delay 5ms a2b rate 16mbit
secs=$(tcp_time)
assert_within "$secs" 1.70 2.30 "4 MB TCP at 16 Mb/s (line bottleneck), seconds"
vtl_netem_stats "$T/rate-stats.json"
vtl_log "a2b bottleneck: drop_queue $(nm_counter "$T/rate-stats.json" a2b drop_queue), max depth $(nm_counter "$T/rate-stats.json" a2b max_depth)"

vtl_netem_stop
vtl_netem_start --seed 42 --tbf --delay 5ms --a2b --rate 16mbit
in_ns "$NS_R" tc qdisc show dev "$IF_RB" | grep -q 'tbf .*rate 16Mbit' ||
	vtl_fail "--tbf: no tbf 16Mbit on $IF_RB: $(in_ns "$NS_R" tc qdisc show dev "$IF_RB")"
secs=$(tcp_time)
assert_within "$secs" 1.70 2.30 "4 MB TCP at 16 Mb/s (--tbf), seconds"
vtl_netem_set both rate off delay 0
in_ns "$NS_R" tc qdisc show dev "$IF_RB" | grep -q tbf &&
	vtl_fail "set rate off left the tbf on $IF_RB"
vtl_pass "set rate off removed the tbf"

# --- 4. duplication and reordering ----------------------------------------------------
vtl_netem_ctl reset >/dev/null
vtl_netem_set a2b delay 10ms dup 1% reorder 2% filter udp
stream udp 0 "$N" 10000 "$T/dup.json" a2b dup 0 reorder 0
vtl_netem_stats "$T/dup-stats.json"
dup=$(nm_counter "$T/dup-stats.json" a2b dup)
reo=$(nm_counter "$T/dup-stats.json" a2b reordered)
got=$(vtl_json "$T/dup.json" "d['received']")
bdups=$(vtl_json "$T/dup.json" "d['dups']")
desc=$(vtl_json "$T/dup.json" "d['descents']")
early=$(vtl_json "$T/dup.json" "d['early']")
vtl_log "netem dup $dup reordered $reo; B received $got, duplicates $bdups, early $early, descents $desc"
assert_within "$dup" $((N / 200)) $((N * 3 / 200)) "netem duplicated 1 % (0.5..1.5 %) of $N"
assert_within "$reo" $((N * 14 / 1000)) $((N * 26 / 1000)) "netem reordered 2 % (1.4..2.6 %) of $N"
vtl_assert_eq "$got" "$((N + dup))" "B received every datagram plus the duplicates"
vtl_assert_eq "$bdups" "$dup" "duplicates seen at B == netem dup counter"
assert_within "$early" $((reo * 93 / 100)) "$reo" "frames at B that overtook their predecessor (about one per reordered frame)"

# jitter: 10 +- 4 ms (normal) at 2000 pps reorders, unless --no-reorder-jitter
vtl_netem_set a2b delay 10ms jitter 4ms dist normal no-reorder-jitter
stream udp 0 2000 2000 "$T/jit1.json"
vtl_assert_eq "$(vtl_json "$T/jit1.json" "d['descents']")" 0 "jitter with no-reorder-jitter: order kept"
vtl_netem_set a2b reorder-jitter
stream udp 0 2000 2000 "$T/jit2.json" a2b jitter 0
vtl_assert_gt "$(vtl_json "$T/jit2.json" "d['descents']")" 100 "jitter that may reorder: descents at B"

# --- 5. corruption ------------------------------------------------------------------------
snmp_udp() {  # UDP InErrors of B (includes InCsumErrors)
	# shellcheck disable=SC2016 # awk program
	in_ns "$NS_B" awk '/^Udp:/ { if (!h) { for (i = 1; i <= NF; i++) c[$i] = i; h = 1 }
		else print $c["InErrors"] }' /proc/net/snmp
}
vtl_netem_ctl reset >/dev/null
err0=$(snmp_udp)
vtl_netem_set a2b delay 0 corrupt 1% filter udp
stream udp 0 "$N" 10000 "$T/cor.json" a2b corrupt 0
vtl_netem_stats "$T/cor-stats.json"
cor=$(nm_counter "$T/cor-stats.json" a2b corrupted)
got=$(vtl_json "$T/cor.json" "d['received']")
err1=$(snmp_udp)
assert_within "$cor" $((N / 200)) $((N * 3 / 200)) "netem corrupted 1 % (0.5..1.5 %) of $N"
vtl_assert_eq "$got" "$((N - cor))" "B received every datagram netem did not corrupt"
vtl_assert_eq "$((err1 - err0))" "$cor" "B's UDP checksum errors == netem corrupted"

# --- 6. clean exit ------------------------------------------------------------------------------
# check_clean N: after the N-th vtl-netem of this test exited: N sets of
# final counters logged, no control socket, no XDP program and no qdisc
# left on R's interfaces.
check_clean() {
	local ifc
	vtl_assert_eq "$(grep -c 'final counters' "$NETEM_LOG")" "$1" "final counters printed at each exit"
	[[ ! -e $NETEM_CTL ]] || vtl_fail "control socket $NETEM_CTL left behind"
	vtl_no_stale_attach "$NS_R" "$IF_RA"
	vtl_no_stale_attach "$NS_R" "$IF_RB"
	for ifc in "$IF_RA" "$IF_RB"; do
		if in_ns "$NS_R" tc qdisc show dev "$ifc" | grep -qE 'tbf|netem'; then
			vtl_fail "qdisc left on $ifc: $(in_ns "$NS_R" tc qdisc show dev "$ifc")"
		fi
	done
	vtl_pass "no qdisc left on R's interfaces"
}
vtl_netem_stop TERM
check_clean 2

# --- 7. --kernel without sch_netem; parsers name the bad value ----------------------------------
if in_ns "$NS_R" tc qdisc add dev "$IF_RA" root handle ffe2: netem 2>/dev/null; then
	in_ns "$NS_R" tc qdisc del dev "$IF_RA" root
	vtl_log "note: this kernel has sch_netem: the fallback of --kernel is not checked"
else
	rc=0
	out=$(in_ns_t 30 "$NS_R" "$BIN/vtl-netem" -a "$IF_RA" -b "$IF_RB" -f --kernel=force 2>&1) || rc=$?
	[[ $rc -ne 0 && $out == *"sch_netem is not usable here"* ]] ||
		vtl_fail "--kernel=force without sch_netem: exit status $rc: $out"
	vtl_pass "--kernel=force refuses to start: $(head -n 1 <<<"$out")"
	vtl_netem_start --kernel --delay 5ms
	grep -q 'falling back to the userspace delay line' "$NETEM_LOG" ||
		vtl_fail "--kernel did not report its fallback"
	rtt=$(median_rtt)
	assert_within "$rtt" 8.5 11.5 "--kernel fell back to the line: median RTT with 5 ms each way (ms)"
	vtl_netem_stop TERM
	check_clean 3
fi
# check_bad OPTION VALUE MESSAGE: vtl-netem refuses VALUE with exit status 2
# and "vtl-netem: MESSAGE...".
check_bad() {
	local rc=0 out
	out=$("$BIN/vtl-netem" -a "$IF_RA" -b "$IF_RB" -f "$1" "$2" 2>&1) || rc=$?
	[[ $rc -eq 2 && $out == "vtl-netem: $3"* ]] || vtl_fail "vtl-netem $1 $2: exit status $rc, '$out'"
	vtl_pass "vtl-netem $1 $2: $out"
}
check_bad --loss 5x "--loss: '5x' is not a percentage"
check_bad --delay 3parsec "--delay: '3parsec' is not a time"
check_bad --rate 16q "--rate: '16q' is not a rate"
check_bad --ge 1,x "--ge: 'x' is not a percentage"
vtl_pass "vtl-netem"
