#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# bench/new_grafts: the two grafts of issue 6 next to the grafts they
# refine, in the same run, through vtl-netem (16 Mb/s bottleneck).
#
#  1. sr-tlp vs sr: completion time of short requests (10 packets) whose
#     LAST packet is lost (vtl-netem drop-nth 10), at RTT 10 and 20 ms,
#     N requests each, interleaved. Completion = vtlcat's session duration
#     (session open to the peer's CLOSE_ACK: data, recovery and close).
#  2. pr-delay vs pr vs sr: a 4 Mb/s stream of timestamped 8-byte records
#     (tests/lib/ontime.py) for SECS seconds at RTT 40 ms and 2 % loss on
#     DATA and ACKs; each record's age on arrival at the application. For a
#     deadline D: on time (age <= D), late, lost. pr-delay runs with
#     max delay D (the application's QoS), pr with a 10 % loss budget.
#
#   sudo bench/new_grafts.sh [N (20)] [SECS (8)] [DEADLINES_MS ("50 100")]
set -euo pipefail
# shellcheck source=../tests/lib/netns.sh
. "$(dirname "$0")/../tests/lib/netns.sh"
vtl_test_init bench_new_grafts
vtl_require_bins vtld vtlcat vtl-netem

N=${1:-20}
SECS=${2:-8}
DEADLINES=${3:-50 100}
LIB=$(cd "$(dirname "$0")/../tests/lib" && pwd)
OUT=$(cd "$(dirname "$0")" && pwd)/out
mkdir -p "$OUT"

vtl_topo_netem --delay 5ms --rate 16mbit --seed 3
vtld_start "$NS_A" "$IF_A"
vtld_start "$NS_B" "$IF_B"
field() { sed -nE "s/.*$1 ([0-9.]+).*/\\1/p" "$2" | tail -n 1; }

request() { # GRAFT FILE -> "secs timeouts"
	local port rx
	port=$(vtl_rand_port)
	{
		vtlcat_listen "$NS_B" "$port" "$T/out" "$T/rx.log"
		rx=$VTL_BG_PID
		vtlcat_send 60 "$NS_A" "$IP_B" "$port" "$2" "$T/tx.log" -g "$1"
		vtl_expect_exit "$rx" 30 "receiver" "$T/rx.log"
		vtl_assert_same_file "$2" "$T/out" "$1 request"
	} >&2
	echo "$(field 'bytes in' "$T/tx.log") $(field timeouts "$T/tx.log")"
}

# ---- 1. tail loss probe ---------------------------------------------------
TLP="$OUT/tlp.dat"
echo "# rtt_ms graft secs timeouts" >"$TLP"
vtl_mkfile "$T/req" $((10 * 1448))
for rtt in 10 20; do
	vtl_netem_set both delay "$((rtt / 2))ms" loss 0% a2b drop-nth 10
	for ((i = 0; i < N; i++)); do
		for g in sr sr-tlp; do
			echo "$rtt $g $(request "$g" "$T/req")" | tee -a "$TLP" >&2
		done
	done
done

# ---- 2. delay-bounded partial reliability ----------------------------------
ONT="$OUT/ontime.dat"
echo "# deadline_ms graft sent received on_time late" >"$ONT"
vtl_netem_set both delay 20ms loss 2% drop-nth off
stream() { # GRAFT DEADLINE_MS [vtlcat args] -> "sent received on_time late"
	local g=$1 d=$2 port rx sent
	shift 2
	port=$(vtl_rand_port)
	vtl_bg "$NS_B" "$T/srx.log" sh -c "'$BIN/vtlcat' -l -p $port --socket '$(vtld_sock "$NS_B")' \
		-v -o /dev/stdout | python3 '$LIB/ontime.py' rx >'$T/rx.json'"
	rx=$VTL_BG_PID
	wait_for_line "$T/srx.log" "vtlcat: listening on port $port\b" 10 "$rx" >&2
	in_ns_t $((SECS + 120)) "$NS_A" sh -c "python3 '$LIB/ontime.py' tx 4 $SECS 2>'$T/sent' | \
		'$BIN/vtlcat' -g $g $* -p $port --socket '$(vtld_sock "$NS_A")' -v $IP_B" \
		>"$T/stx.log" 2>&1 || vtl_fail "$g stream: sender failed: $(tail -n 3 "$T/stx.log")"
	vtl_expect_exit "$rx" 60 "stream receiver" "$T/srx.log" >&2
	sent=$(cat "$T/sent")
	python3 - "$T/rx.json" "$sent" "$d" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); sent = int(sys.argv[2]); d = float(sys.argv[3])
on = sum(1 for x in r["delays_ms"] if x <= d)
print(sent, r["received"], on, r["received"] - on)
PY
}
for d in $DEADLINES; do
	for g in sr pr pr-delay; do
		extra=()
		[[ $g == pr ]] && extra=(--max-loss 10)
		[[ $g == pr-delay ]] && extra=(--max-delay "$d")
		echo "$d $g $(stream "$g" "$d" "${extra[@]}")" | tee -a "$ONT" >&2
	done
done

python3 - "$TLP" "$ONT" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if not l.startswith("#")]
print("\nbench/new_grafts 1: 10-packet requests, last packet lost, 16 Mb/s (same run)")
print("%-8s %-8s %6s %12s %12s %12s %10s" % ("RTT", "graft", "runs", "median ms", "mean ms", "max ms", "timeouts"))
med = {}
for rtt in sorted({r[0] for r in rows}, key=int):
    for g in ("sr", "sr-tlp"):
        t = [float(r[2]) * 1e3 for r in rows if r[0] == rtt and r[1] == g]
        to = sum(int(r[3]) for r in rows if r[0] == rtt and r[1] == g)
        med[(rtt, g)] = statistics.median(t)
        print("%-8s %-8s %6d %12.1f %12.1f %12.1f %10d" % (rtt + " ms", g, len(t), med[(rtt, g)],
              statistics.mean(t), max(t), to))
    print("%-8s sr-tlp / sr median: %.2f" % ("", med[(rtt, "sr-tlp")] / med[(rtt, "sr")]))
rows = [l.split() for l in open(sys.argv[2]) if not l.startswith("#")]
print("\nbench/new_grafts 2: 4 Mb/s record stream, RTT 40 ms, 2 % loss (same run)")
print("%-10s %-9s %8s %10s %8s %8s" % ("deadline", "graft", "sent", "on time", "late", "lost"))
for d, g, sent, rec, on, late in rows:
    s = int(sent)
    print("%-10s %-9s %8d %9.2f%% %7.2f%% %7.2f%%" % (d + " ms", g, s, 100 * int(on) / s,
          100 * int(late) / s, 100 * (s - int(rec)) / s))
PY
