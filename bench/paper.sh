#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# bench/paper: the VTL paper's Fig. 9 scenario, side by side with TCP cubic
# in the same run. Hosts A and B through vtl-netem: RTT 10 ms (5 ms each
# way), a 16 Mb/s bottleneck, random loss 0, 2 and 5 % on DATA and ACKs
# alike, files of 1, 8 and 32 MB, VTL window 16 (the paper's) and 64.
# Prints FCT and goodput tables and, if gnuplot is installed, writes PNGs
# to bench/out/ (not committed; docs/results.md embeds copies).
#
#   sudo bench/paper.sh [SIZES_MB ("1 8 32")] [LOSSES ("0 2 5")] [GRAFTS ("sr gbn pr")]
set -euo pipefail
# shellcheck source=../tests/lib/netns.sh
. "$(dirname "$0")/../tests/lib/netns.sh"
vtl_test_init bench_paper
vtl_require_bins vtld vtlcat vtl-netem
command -v iperf3 >/dev/null || vtl_skip "iperf3 is not installed (apt-get install iperf3)"

SIZES=${1:-1 8 32}
LOSSES=${2:-0 2 5}
GRAFTS=${3:-sr gbn pr}
WINDOWS="16 64"
RATE=16
OUT=$(cd "$(dirname "$0")" && pwd)/out
mkdir -p "$OUT"

vtl_topo_netem --delay 5ms --rate "${RATE}mbit"
vtld_start "$NS_A" "$IF_A"
vtld_start "$NS_B" "$IF_B"
# the paper compares with TCP cubic; the default here is bbr
in_ns "$NS_A" sysctl -qw net.ipv4.tcp_congestion_control=cubic 2>/dev/null || true

vtl_run() { # GRAFT WINDOW FILE -> "fct_s goodput_mbps lost"
	local g=$1 w=$2 f=$3 port rx extra=()
	port=$(vtl_rand_port)
	[[ $g == pr ]] && extra=(--max-loss 10)
	{
		vtlcat_listen "$NS_B" "$port" "$T/out.bin" "$T/rx.log"
		rx=$VTL_BG_PID
		vtlcat_send 900 "$NS_A" "$IP_B" "$port" "$f" "$T/tx.log" -g "$g" -w "$w" "${extra[@]}"
		vtl_expect_exit "$rx" 120 "receiver" "$T/rx.log"
		[[ $g == pr ]] || vtl_assert_same_file "$f" "$T/out.bin" "$g window $w"
	} >&2
	python3 - "$T/tx.log" "$T/rx.log" <<'PY'
import re, sys
tx, rx = open(sys.argv[1]).read(), open(sys.argv[2]).read()
b, s = re.search(r"(\d+) bytes in ([0-9.]+) s", tx).groups()
lost = re.search(r"lost (\d+) packets", rx)
print("%.3f %.3f %s" % (float(s), int(b) * 8 / float(s) / 1e6, lost.group(1) if lost else 0))
PY
}

tcp_run() { # FILE_MB -> "fct_s goodput_mbps -"
	local mb=$1 port srv
	port=$(vtl_rand_port)
	vtl_bg "$NS_B" "$T/iperf-s.log" iperf3 -s -1 -p "$port"
	srv=$VTL_BG_PID
	wait_for 10 in_ns "$NS_B" sh -c "ss -ltn | grep -q ':$port '"
	in_ns_t 900 "$NS_A" iperf3 -c "$IP_B" -p "$port" -C cubic -n "${mb}M" -J >"$T/iperf.json"
	vtl_wait_pid "$srv" 10 >/dev/null || true
	python3 - "$T/iperf.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))["end"]["sum_received"]
print("%.3f %.3f -" % (d["seconds"], d["bits_per_second"] / 1e6))
PY
}

RES="$OUT/paper.dat"
echo "# size_MB loss_pct protocol window fct_s goodput_Mbps lost_pkts" >"$RES"
for mb in $SIZES; do
	vtl_mkfile "$T/f$mb" "${mb}M"
	for loss in $LOSSES; do
		vtl_netem_set both loss "${loss}%"
		read -r fct gp _ <<<"$(tcp_run "$mb")"
		echo "$mb $loss tcp-cubic - $fct $gp -" | tee -a "$RES" >&2
		for g in $GRAFTS; do
			for w in $WINDOWS; do
				read -r fct gp lost <<<"$(vtl_run "$g" "$w" "$T/f$mb")"
				echo "$mb $loss $g $w $fct $gp $lost" | tee -a "$RES" >&2
			done
		done
	done
	rm -f "$T/f$mb"
done

python3 - "$RES" "$RATE" <<'PY'
import sys, collections
rows = [l.split() for l in open(sys.argv[1]) if not l.startswith("#")]
rate = float(sys.argv[2])
print("\nbench/paper: RTT 10 ms, %g Mb/s bottleneck (vtl-netem), same run" % rate)
print("%-8s %-6s %-12s %10s %14s %10s %8s" % ("size", "loss", "protocol", "FCT s", "goodput Mb/s", "vs TCP", "lost"))
tcp = {(r[0], r[1]): float(r[5]) for r in rows if r[2] == "tcp-cubic"}
for r in rows:
    name = r[2] if r[3] == "-" else "%s w%s" % (r[2], r[3])
    ratio = float(r[5]) / tcp[(r[0], r[1])] if tcp.get((r[0], r[1])) else 0
    print("%-8s %-6s %-12s %10s %14s %10.2f %8s" % (r[0] + " MB", r[1] + " %", name, r[4], r[5], ratio, r[6]))
print("\ntargets (largest file):")
big = max(rows, key=lambda r: float(r[0]))[0]
def gp(p, w, loss):
    for r in rows:
        if r[0] == big and r[1] == loss and r[2] == p and r[3] == w:
            return float(r[5])
for w in ("16", "64"):
    v = gp("sr", w, "0")
    if v: print("  sr w%s at 0%%: %.2f x link rate (target >= 0.9)" % (w, v / rate))
    for loss in ("2", "5"):
        v = gp("sr", w, loss)
        if v and tcp.get((big, loss)): print("  sr w%s at %s%%: %.2f x TCP cubic (target >= 1)" % (w, loss, v / tcp[(big, loss)]))
    v = gp("pr", w, "5")
    if v and tcp.get((big, "5")): print("  pr w%s at 5%%: %.2f x TCP cubic (target >= 1.5)" % (w, v / tcp[(big, "5")]))
PY

if command -v gnuplot >/dev/null; then
	for mb in $SIZES; do
		for what in fct goodput; do
			col=$([[ $what == fct ]] && echo 5 || echo 6)
			gnuplot <<GP
set terminal pngcairo size 800,500
set output "$OUT/paper-${what}-${mb}MB.png"
set title "${mb} MB, RTT 10 ms, ${RATE} Mb/s: $what"
set xlabel "loss (%)"
set ylabel "$([[ $what == fct ]] && echo "flow completion time (s)" || echo "goodput (Mb/s)")"
set key outside
set grid
plot "< awk '\$1 == $mb && \$3 == \"tcp-cubic\"' $RES" using 2:$col with linespoints title "TCP cubic", \
     $(for g in $GRAFTS; do for w in $WINDOWS; do printf '"< awk '\''$1 == %s \&\& $3 == \\"%s\\" \&\& $4 == %s'\'' %s" using 2:%s with linespoints title "%s w%s", ' "$mb" "$g" "$w" "$RES" "$col" "$g" "$w"; done; done | sed 's/, $//')
GP
		done
	done
	echo "plots: $OUT/paper-*.png"
else
	echo "gnuplot not installed: no plots (apt-get install gnuplot-nox)"
fi
