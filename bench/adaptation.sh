#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# bench/adaptation: the VTL paper's Fig. 10 scenario. A transfer starts at
# RTT 20 ms (vtl-netem, 16 Mb/s, 0.5 % loss); after CHANGE_S seconds the
# delay goes to 160 ms each way (RTT 320 ms). VTL runs the rule
#   adapt reliable, rtt >= 300ms for 300ms -> pr(max_loss=10%)
# starting on gbn; TCP cubic runs the same scenario in the same run.
# Goodput over time is sampled every 200 ms (vtlctl monitor -j for VTL,
# iperf3 intervals for TCP), printed, and plotted to bench/out/ if gnuplot
# is installed. The scenario's timing is wall-clock by design.
#
#   sudo bench/adaptation.sh [SIZE_MB (16)] [CHANGE_S (4)] [WINDOW (256)]
set -euo pipefail
# shellcheck source=../tests/lib/netns.sh
. "$(dirname "$0")/../tests/lib/netns.sh"
vtl_test_init bench_adaptation
vtl_require_bins vtld vtlcat vtlctl vtl-netem
command -v iperf3 >/dev/null || vtl_skip "iperf3 is not installed"

MB=${1:-16}
CHANGE=${2:-4}
WIN=${3:-256}
OUT=$(cd "$(dirname "$0")" && pwd)/out
mkdir -p "$OUT"
cat >"$T/rules" <<'RULES'
adapt reliable, rtt >= 300ms for 300ms -> pr(max_loss=10%)
reliable -> gbn
any -> canonical
RULES
vtl_topo_netem --delay 10ms --rate 16mbit --loss 0.5%
vtld_start "$NS_A" "$IF_A" --rules "$T/rules"
vtld_start "$NS_B" "$IF_B" --rules "$T/rules"
in_ns "$NS_A" sysctl -qw net.ipv4.tcp_congestion_control=cubic 2>/dev/null || true
vtl_mkfile "$T/f" "${MB}M"

# ---- VTL ---------------------------------------------------------------------
port=$(vtl_rand_port)
vtlcat_listen "$NS_B" "$port" "$T/f.out" "$T/rx.log"
rx=$VTL_BG_PID
vtl_bg "$NS_A" "$T/mon.jsonl" "$BIN/vtlctl" -j --socket "$(vtld_sock "$NS_A")" monitor interval 200
mon=$VTL_BG_PID
t0=$(date +%s.%N)
vtl_bg "$NS_A" "$T/tx.log" "$BIN/vtlcat" -w "$WIN" -p "$port" --socket "$(vtld_sock "$NS_A")" -v \
	"$IP_B" <"$T/f"
tx=$VTL_BG_PID
sleep "$CHANGE"
vtl_netem_set delay 160ms
vtl_expect_exit "$tx" 900 "VTL sender" "$T/tx.log" >&2
vtl_expect_exit "$rx" 60 "VTL receiver" "$T/rx.log" >&2
kill "$mon" 2>/dev/null || true
vtl_netem_set delay 10ms

# ---- TCP cubic, same scenario -----------------------------------------------
port=$(vtl_rand_port)
vtl_bg "$NS_B" "$T/iperf-s.log" iperf3 -s -1 -p "$port"
wait_for 10 in_ns "$NS_B" sh -c "ss -ltn | grep -q ':$port '"
vtl_bg "$NS_A" "$T/iperf.json" iperf3 -c "$IP_B" -p "$port" -C cubic -t $((CHANGE + 20)) -i 0.2 -J
cli=$VTL_BG_PID
sleep "$CHANGE"
vtl_netem_set delay 160ms
vtl_wait_pid "$cli" 900 >/dev/null || vtl_fail "iperf3 did not finish"

python3 - "$T/mon.jsonl" "$T/iperf.json" "$OUT" "$CHANGE" "$T/tx.log" <<'PY'
import json, sys
mon, ipf, out, change, txlog = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), sys.argv[5]
vtl, t_first, swap_at = [], None, None
for line in open(mon):
    try:
        r = json.loads(line)
    except ValueError:
        continue
    if not r["sessions"]:
        continue
    s = r["sessions"][0]
    t = r["uptime_ms"] / 1e3
    t_first = t if t_first is None else t_first
    vtl.append((t - t_first, s["monitor"]["goodput_bps"] / 1e6, s["graft"],
                s["monitor"]["srtt_us"] / 1e3))
    if swap_at is None and s["graft"] == "pr":
        swap_at = t - t_first
tcp = [(iv["sum"]["end"], iv["sum"]["bits_per_second"] / 1e6)
       for iv in json.load(open(ipf))["intervals"]]
def smooth(pts, width=1.0):
    # 1 s moving average: a 200 ms sample is shorter than a 320 ms RTT
    out = []
    for t, g, *rest in pts:
        w = [x[1] for x in pts if t - width < x[0] <= t]
        out.append((t, sum(w) / len(w), *rest))
    return out
vtl, tcp = smooth(vtl), smooth(tcp)
with open(out + "/adaptation-vtl.dat", "w") as f:
    for t, g, graft, rtt in vtl:
        f.write("%.2f %.3f %s %.1f\n" % (t, g, graft, rtt))
with open(out + "/adaptation-tcp.dat", "w") as f:
    for t, g in tcp:
        f.write("%.2f %.3f\n" % (t, g))
fct = open(txlog).read().split(" bytes in ")[1].split(" s")[0]
print("bench/adaptation: RTT 20 -> 320 ms at t=%.0f s, 16 Mb/s, 0.5 %% loss" % change)
print("  VTL (gbn, rule -> pr): completed in %s s; graft is pr from t=%s s" %
      (fct, "%.2f" % swap_at if swap_at is not None else "never"))
print("  TCP cubic:            ran %.0f s (time-bounded)" % tcp[-1][0])
def mean(xs):
    return sum(xs) / len(xs) if xs else 0
print("  mean goodput after the change: VTL %.2f Mb/s, TCP %.2f Mb/s" %
      (mean([g for t, g, *_ in vtl if t > change + 2]), mean([g for t, g in tcp if t > change + 2])))
print("  series: %s/adaptation-vtl.dat, %s/adaptation-tcp.dat" % (out, out))
PY
if command -v gnuplot >/dev/null; then
	gnuplot <<GP
set terminal pngcairo size 900,450
set output "$OUT/adaptation.png"
set title "RTT 20 -> 320 ms at t=${CHANGE} s, 16 Mb/s, 0.5 % loss"
set xlabel "time (s)"
set ylabel "goodput, 1 s average (Mb/s)"
set grid
set key top right
set arrow from ${CHANGE}, graph 0 to ${CHANGE}, graph 1 nohead dt 2
plot "$OUT/adaptation-vtl.dat" using 1:2 with lines lw 2 title "VTL gbn -> pr (rule)", \
     "$OUT/adaptation-tcp.dat" using 1:2 with lines lw 2 title "TCP cubic"
GP
	echo "  plot: $OUT/adaptation.png"
fi
