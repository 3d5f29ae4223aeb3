#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# bench/scale: many concurrent sessions between two vtld hosts on a clean
# veth. For each N, `vtlperf -c -P N` (sr, window 16) against `vtlperf -s`,
# and per run:
#   - aggregate goodput (all payload over the common start to the last
#     shutdown) and the open time of a session (vtl_negotiate +
#     vtl_validate: min, p50, p99, max; at most 64 negotiations in flight);
#   - vtld's CPU time per open, on each host: the CPU time of vtld from the
#     client's start to the moment every session has opened (vtlperf -v
#     says so on stderr, read as it comes), over N;
#   - vtld's resident memory, on each host: with every session open
#     (VmRSS when they have all opened, before any data) and its peak over
#     the run (VmHWM, reset before each run through /proc/PID/clear_refs);
#   - TCP cubic for comparison where iperf3 can (-P is capped at 128): the
#     same bytes over 1 and 100 streams.
# Then 100 sessions opened one at a time (--open-limit 1): the open time
# of a negotiation with nothing queued before it (warm: sr with window 16
# is loaded on both hosts by a first session), and vtld's CPU per open.
# Then the kernel memory of vtld's BPF maps (memlock, from the fdinfo of
# the maps vtld holds), which --retx-buffers sizes and N does not.
# A benchmark, not a test: it prints figures, and fails only when a
# session failed or was not byte-exact.
#
#   sudo bench/scale.sh [NS ("1 100 1000 10000")] [RUNS (1)] [TOTAL_MB (100)] [MIN_BYTES (20000)]
#
# Each session carries TOTAL_MB / N, at least MIN_BYTES (so 1 session sends
# 100 MB, 10,000 sessions 20 kB each). VTL_SCALE_TRACE=1 adds a line per
# second while the client runs: vtld CPU on both hosts and the sessions
# open (vtlctl stats).
set -euo pipefail
# shellcheck source=../tests/lib/netns.sh
. "$(dirname "$0")/../tests/lib/netns.sh"
vtl_test_init bench_scale
vtl_require_bins vtld vtlperf vtlctl

NS_LIST=${1:-"1 100 1000 10000"}
RUNS=${2:-1}
TOTAL_MB=${3:-100}
MIN_BYTES=${4:-20000}
GRAFT=sr
WINDOW=16
TRACE=${VTL_SCALE_TRACE:-0}
# The server's listeners kept armed: vtlperf's 128 by default, N up to 1024
# for more sessions (VTL_SCALE_LISTENERS to choose). With 128, re-arming
# falls behind 64 negotiations at once from 1000 sessions on: sessions
# are refused (NOLISTENER), the client tries again after a backoff, and
# the open phase is mostly waiting (10,000 sessions: 21 s instead of 10).
listeners_for() { # N
	local n=$1
	(( n < 128 )) && n=128
	(( n > 1024 )) && n=1024
	echo "${VTL_SCALE_LISTENERS:-$n}"
}

NS_LIST=$(tr ' ' '\n' <<<"$NS_LIST" | awk 'NF && !seen[$1]++' | tr '\n' ' ')
maxn=0
for n in $NS_LIST; do
	[[ $n =~ ^[1-9][0-9]*$ ]] || vtl_fail "bad session count '$n'"
	(( n > maxn )) && maxn=$n
done
# Each session is a control connection in vtlperf and in its vtld, and a
# thread in each vtlperf (the server's listeners, up to 1024, come on top).
if (( $(ulimit -Hn) < maxn + 2048 )); then
	ulimit -Hn $((maxn + 2048)) 2>/dev/null ||
		vtl_skip "descriptor hard limit $(ulimit -Hn) < $((maxn + 2048)) (needs CAP_SYS_RESOURCE to raise)"
fi
ulimit -Sn "$(ulimit -Hn)"
(( 2 * maxn + 2048 < $(cat /proc/sys/kernel/pid_max) )) ||
	vtl_skip "kernel.pid_max $(cat /proc/sys/kernel/pid_max) is too low for 2 x $maxn vtlperf threads"

vtl_topo_pair
# The sender's vtld gives each session a window of retransmission copies
# from one pool: room for every session at once.
RETX=$((maxn * WINDOW))
(( RETX < 16384 )) && RETX=16384
(( RETX > 1048576 )) && RETX=1048576
vtld_start "$NS_A" "$IF_A" --retx-buffers "$RETX"
vtld_start "$NS_B" "$IF_B" --retx-buffers "$RETX"
PID_A=$(vtld_pid "$NS_A")
PID_B=$(vtld_pid "$NS_B")

# cpu_into VAR PID: VAR := the CPU time of all of PID's threads in ns
# (schedstat: exact, where utime+stime in /proc/PID/stat count 10 ms
# ticks). Builtins only: no fork, so it can be read the moment the open
# phase ends, before the sending that follows weighs in.
cpu_into() {
	local _f _sum=0 _run _rest
	for _f in /proc/"$2"/task/*/schedstat; do
		read -r _run _rest <"$_f" 2>/dev/null || continue
		_sum=$((_sum + _run))
	done
	printf -v "$1" '%s' "$_sum"
}
cpu_ns() { local v; cpu_into v "$1"; echo "$v"; }
# rss_into VAR PID FIELD: VAR := FIELD (VmRSS, VmHWM) of PID in kB, builtins only
# (the file in one read: line by line, bash seeks back after each line and
# the kernel writes the file anew, so a line that changed length shifts)
rss_into() {
	local _s="" _v=0
	read -r -d '' _s <"/proc/$2/status" || true
	[[ $_s =~ $3:[[:space:]]+([0-9]+) ]] && _v=${BASH_REMATCH[1]}
	printf -v "$1" '%s' "$_v"
}
rss_kb() { local v; rss_into v "$1" "$2"; echo "$v"; }

vtld_idle() { # NS: no session open
	local out
	out=$(in_ns_t 20 "$1" "$BIN/vtlctl" --socket "$(vtld_sock "$1")" -j stats 2>/dev/null) || return 1
	[[ $(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["sessions"]["open"])' "$out") == 0 ]]
}

sessions_open() { # NS -> sessions open (or ?)
	in_ns_t 10 "$1" "$BIN/vtlctl" --socket "$(vtld_sock "$1")" -j stats 2>/dev/null |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["sessions"]["open"])' 2>/dev/null ||
		echo '?'
}

# settle_watch OUT: copy the client's stderr to OUT; at its "settled"
# line, record both vtlds' CPU time and VmRSS in OUT.settled.
settle_watch() {
	local line out=$1 ca cb ra rb
	while IFS= read -r line; do
		if [[ $line == "vtlperf: all "*" sessions settled in "* ]]; then
			cpu_into ca "$PID_A"
			cpu_into cb "$PID_B"
			rss_into ra "$PID_A" VmRSS
			rss_into rb "$PID_B" VmRSS
			echo "$ca $cb $ra $rb $EPOCHREALTIME" >"$out.settled"
		fi
		printf '%s\n' "$line" >>"$out"
	done
}

# run_vtl N BYTES TAG [ARGS...]: one vtlperf run (ARGS: more client
# options); leaves $T/TAG.cli.json,
# $T/TAG.srv.json and $T/TAG.host (vtld figures as JSON). A run in which a
# session failed is recorded (TAG.failed: the errors, counted) and the
# bench goes on; it exits 1 at the end.
run_vtl() {
	local n=$1 bytes=$2 tag=$3 port srv cli rd rc=0 src=0 a0 b0 t0 t1 ia ib next
	shift 3
	echo 5 >"/proc/$PID_A/clear_refs"   # VmHWM := VmRSS
	echo 5 >"/proc/$PID_B/clear_refs"
	port=$(vtl_rand_port)
	# (*.out, not *.log: the library tails every *.log on failure, and
	# the server's JSON is one line of up to a few MB)
	vtl_bg "$NS_B" "$T/$tag.srv.out" "$BIN/vtlperf" -s -1 -j -p "$port" --listeners "$(listeners_for "$n")" \
		--socket "$(vtld_sock "$NS_B")"
	srv=$VTL_BG_PID
	wait_for_line "$T/$tag.srv.out" "^vtlperf: listening on port $port " 60 "$srv" >&2
	# vtld's own CPU time while idle (its 5 ms tick), subtracted below
	cpu_into ia "$PID_A"
	cpu_into ib "$PID_B"
	t0=$EPOCHREALTIME
	sleep 1
	rm -f "$T/$tag.fifo" "$T/$tag.cli.err.settled"
	mkfifo "$T/$tag.fifo"
	settle_watch "$T/$tag.cli.err" <"$T/$tag.fifo" &
	rd=$!
	cpu_into a0 "$PID_A"
	cpu_into b0 "$PID_B"
	t1=$EPOCHREALTIME
	ia=$(awk -v c0="$ia" -v c1="$a0" -v t0="$t0" -v t1="$t1" 'BEGIN { printf "%d", (c1 - c0) / (t1 - t0) }')
	ib=$(awk -v c0="$ib" -v c1="$b0" -v t0="$t0" -v t1="$t1" 'BEGIN { printf "%d", (c1 - c0) / (t1 - t0) }')
	t0=$t1
	in_ns_t 1800 "$NS_A" "$BIN/vtlperf" -c "$IP_B" -p "$port" \
		--socket "$(vtld_sock "$NS_A")" -P "$n" -n "$bytes" -g "$GRAFT" -w "$WINDOW" -j -v "$@" \
		>"$T/$tag.cli.json" 2>"$T/$tag.fifo" &
	cli=$!
	next=$((EPOCHSECONDS + 1))
	while _vtl_alive "$cli"; do
		if [[ $TRACE == 1 ]] && (( EPOCHSECONDS >= next )); then
			printf '  [trace N=%s +%ss] vtld CPU ms A %s B %s, sessions open A %s B %s, RSS A %s B %s MiB\n' \
				"$n" "$((EPOCHSECONDS - ${t0%.*}))" "$(($(cpu_ns "$PID_A") / 1000000))" \
				"$(($(cpu_ns "$PID_B") / 1000000))" \
				"$(sessions_open "$NS_A")" "$(sessions_open "$NS_B")" \
				"$(($(rss_kb "$PID_A" VmRSS) / 1024))" "$(($(rss_kb "$PID_B" VmRSS) / 1024))" >&2
			next=$((EPOCHSECONDS + 1))
		fi
		sleep 0.1
	done
	wait "$cli" || rc=$?
	wait "$rd" || true
	vtl_wait_pid "$srv" 120 || src=$?
	if [[ $rc -ne 0 || $src -ne 0 ]]; then
		{
			echo "client exit status $rc, server exit status $src"
			grep -v '^vtlperf: all ' "$T/$tag.cli.err" |
				sed -E 's/session [0-9]+ \(0x[0-9a-f]+\)/session N/' | sort | uniq -c | sort -rn | head -n 5
		} >"$T/$tag.failed"
		vtl_log "N=$n: FAILED: $(head -n 1 "$T/$tag.failed")" >&2
		sed 1d "$T/$tag.failed" >&2
	fi
	grep '^{"role": "server"' "$T/$tag.srv.out" >"$T/$tag.srv.json" || true
	if [[ -s $T/$tag.cli.err.settled ]]; then
		read -r a1 b1 ra rb t1 <"$T/$tag.cli.err.settled"
	else
		a1=$a0 b1=$b0 ra=0 rb=0 t1=$t0
	fi
	printf '{"cpu_a_ns": %s, "cpu_b_ns": %s, "idle_a_ns_s": %s, "idle_b_ns_s": %s, "open_s": %s, "rss_open_a": %s, "rss_open_b": %s, "hwm_a": %s, "hwm_b": %s}\n' \
		$((a1 - a0)) $((b1 - b0)) "$ia" "$ib" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" \
		"$ra" "$rb" "$(rss_kb "$PID_A" VmHWM)" "$(rss_kb "$PID_B" VmHWM)" >"$T/$tag.host"
	# every session lingers TP_LINGER_MS once closed: wait for both to empty
	wait_for 120 vtld_idle "$NS_A" || vtl_fail "vtld A still has sessions after -P $n"
	wait_for 120 vtld_idle "$NS_B" || vtl_fail "vtld B still has sessions after -P $n"
}

# run_tcp N BYTES TAG: iperf3 -P N, cubic, N * BYTES in all -> $T/TAG.tcp.json
run_tcp() {
	local n=$1 bytes=$2 tag=$3 port srv
	port=$(vtl_rand_port)
	vtl_bg "$NS_B" "$T/$tag.iperf-s.out" iperf3 -s -1 -p "$port"
	srv=$VTL_BG_PID
	wait_for 10 in_ns "$NS_B" sh -c "ss -ltn | grep -q ':$port '" ||
		vtl_fail "iperf3 server did not listen"
	in_ns_t 300 "$NS_A" iperf3 -c "$IP_B" -p "$port" -C cubic -P "$n" -n $((n * bytes)) -J \
		>"$T/$tag.tcp.json" || vtl_fail "iperf3 -P $n failed"
	vtl_wait_pid "$srv" 10 || true
}

HAVE_IPERF=1
command -v iperf3 >/dev/null || HAVE_IPERF=0
[[ $HAVE_IPERF == 1 ]] || vtl_log "iperf3 is not installed: no TCP comparison"

# Warm up: the first session with window 16 loads sr's programs with that
# window on both hosts (a cold open, bench/negotiation.sh's business);
# every session measured below finds them loaded.
vtl_log "warm-up: one session"
run_vtl 1 10000 warm

# rows: LABEL N TAG (a tag per run: TAG-rI)
: >"$T/rows"
for n in $NS_LIST; do
	bytes=$((TOTAL_MB * 1000000 / n))
	(( bytes < MIN_BYTES )) && bytes=$MIN_BYTES
	echo "$n $n n$n" >>"$T/rows"
	for ((i = 0; i < RUNS; i++)); do
		vtl_log "N=$n run $((i + 1))/$RUNS: $bytes bytes per session"
		run_vtl "$n" "$bytes" "n$n-r$i"
		if [[ $HAVE_IPERF == 1 ]] && [[ $n == 1 || $n == 100 ]]; then
			run_tcp "$n" "$bytes" "n$n-r$i"
		fi
	done
done
# The open itself: 100 sessions opened one at a time (--open-limit 1), so
# that the open time is one negotiation with nothing queued before it,
# and vtld's CPU time per open is averaged over 100 of them.
echo "100seq 100 seq" >>"$T/rows"
for ((i = 0; i < RUNS; i++)); do
	vtl_log "100 sessions opened one at a time, run $((i + 1))/$RUNS"
	run_vtl 100 "$MIN_BYTES" "seq-r$i" --open-limit 1
done

# the kernel memory of the BPF maps each vtld holds (memlock in fdinfo)
map_mem() { # PID -> "total_bytes largest_name largest_bytes"
	local pid=$1 fd ids=" " id mem name tot=0 big=0 bigname=""
	for fd in /proc/"$pid"/fd/*; do
		[[ $(readlink "$fd" 2>/dev/null) == anon_inode:bpf-map ]] || continue
		id=$(awk '$1 == "map_id:" { print $2 }' "/proc/$pid/fdinfo/${fd##*/}")
		[[ $ids == *" $id "* ]] && continue
		ids+="$id "
		mem=$(awk '$1 == "memlock:" { print $2 }' "/proc/$pid/fdinfo/${fd##*/}")
		tot=$((tot + mem))
		if (( mem > big )); then
			big=$mem
			name=$("$BPFTOOL" map show id "$id" -j 2>/dev/null |
				python3 -c 'import json,sys; print(json.load(sys.stdin).get("name","?"))' 2>/dev/null || echo "id$id")
			bigname=$name
		fi
	done
	echo "$tot $bigname $big"
}
[[ -n $BPFTOOL ]] || BPFTOOL=false
read -r MAP_A MAPN_A MAPB_A <<<"$(map_mem "$PID_A")"
read -r MAP_B _ _ <<<"$(map_mem "$PID_B")"

python3 - "$T" "$NS_LIST" "$RUNS" "$RETX" "$MAP_A" "$MAP_B" "$MAPN_A" "$MAPB_A" <<'PY'
import json, os, sys
T, ns, runs, retx = sys.argv[1], [int(x) for x in sys.argv[2].split()], int(sys.argv[3]), int(sys.argv[4])
map_a, map_b, big_name, big = int(sys.argv[5]), int(sys.argv[6]), sys.argv[7], int(sys.argv[8])

def rng(v, fmt):
    v = sorted(v)
    if not v:
        return "-"
    mid = v[(len(v) - 1) // 2]
    return fmt % mid if len(v) == 1 else (fmt % mid) + " [" + (fmt % v[0]) + ".." + (fmt % v[-1]) + "]"

def med(v):
    v = sorted(v)
    return v[(len(v) - 1) // 2]

print(f"bench/scale: sr window 16 on a clean veth pair, {runs} run(s) per N "
      f"(median [min..max]); vtld --retx-buffers {retx}")
hdr = ("N", "bytes/sess", "ok", "goodput Mb/s", "open p50 ms", "open p99 ms", "open max ms",
       "CPU/open A us", "CPU/open B us", "RSS open A/B MiB", "RSS peak A/B MiB")
rows, tcp, idle = [], {}, []
for line in open(f"{T}/rows"):
    label, n, prefix = line.split()
    n = int(n)
    r = {k: [] for k in ("mbps", "p50", "p99", "max", "ca", "cb", "ra", "rb", "ha", "hb",
                         "tcp", "ok")}
    bytes_ = "-"
    for i in range(runs):
        tag = f"{prefix}-r{i}"
        try:
            c = json.load(open(f"{T}/{tag}.cli.json"))
        except (OSError, ValueError):
            r["ok"].append(0)
            continue
        h = json.load(open(f"{T}/{tag}.host"))
        t = c["total"]
        bytes_ = str(c["bytes_per_session"])
        r["ok"].append(t["ok"])
        r["mbps"].append(t["mbps"])
        r["p50"].append(t["open_ms"]["p50"])
        r["p99"].append(t["open_ms"]["p99"])
        r["max"].append(t["open_ms"]["max"])
        # vtld's CPU over the open phase, less what it spends idle in as long
        r["ca"].append(max(0, h["cpu_a_ns"] - h["idle_a_ns_s"] * h["open_s"]) / n / 1e3)
        r["cb"].append(max(0, h["cpu_b_ns"] - h["idle_b_ns_s"] * h["open_s"]) / n / 1e3)
        idle += [h["idle_a_ns_s"] / 1e6, h["idle_b_ns_s"] / 1e6]
        r["ra"].append(h["rss_open_a"] / 1024)
        r["rb"].append(h["rss_open_b"] / 1024)
        r["ha"].append(h["hwm_a"] / 1024)
        r["hb"].append(h["hwm_b"] / 1024)
        p = f"{T}/{tag}.tcp.json"
        if os.path.exists(p):
            d = json.load(open(p))
            r["tcp"].append(d["end"]["sum_received"]["bits_per_second"] / 1e6)
    ok = f"{min(r['ok'])}/{n}" if min(r["ok"]) < n else "all"
    rows.append((label, bytes_, ok, rng(r["mbps"], "%.1f"), rng(r["p50"], "%.2f"),
                 rng(r["p99"], "%.2f"), rng(r["max"], "%.1f"), rng(r["ca"], "%.0f"),
                 rng(r["cb"], "%.0f"), rng(r["ra"], "%.0f") + " / " + rng(r["rb"], "%.0f"),
                 rng(r["ha"], "%.0f") + " / " + rng(r["hb"], "%.0f")))
    if r["tcp"] and r["mbps"]:
        tcp[label] = (r["tcp"], r["mbps"])
w = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(hdr)]
print("  " + "  ".join(h.rjust(w[i]) for i, h in enumerate(hdr)))
for row in rows:
    print("  " + "  ".join(x.rjust(w[i]) for i, x in enumerate(row)))
for n, (t, v) in tcp.items():
    print(f"  TCP cubic (iperf3 -P {n}, same bytes): {rng(t, '%.1f')} Mb/s; "
          f"ratio VTL/TCP = {med(v) / med(t):.3f}")
print(f"  BPF maps held by vtld (kernel memory, memlock): A {map_a / 2**20:.1f} MiB, "
      f"B {map_b / 2**20:.1f} MiB; the largest: {big_name} {big / 2**20:.1f} MiB")
if idle:
    print(f"  vtld idle (no session): {rng(idle, '%.1f')} ms of CPU per second")
print("  100seq: 100 sessions opened one at a time (--open-limit 1): the open time of one"
      " negotiation.\n  A sends, B receives. ok: sessions complete and byte-exact (the fewest of the runs)."
      "\n  CPU/open: vtld's CPU time (all threads, schedstat) from the client's start until"
      " every session opened,\n  less its idle rate over as long, over N. RSS open: VmRSS then;"
      " RSS peak: VmHWM over the run.")
PY
failed=$(find "$T" -maxdepth 1 -name "*.failed" | wc -l)
(( failed == 0 )) || vtl_fail "$failed run(s) with failed sessions (above)"
