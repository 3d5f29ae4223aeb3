#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# e2e_dissector: the Wireshark/tshark Lua dissector (tools/wireshark/vtl.lua,
# docs/wireshark.md) decodes real VTL traffic captured between two vtld hosts.
#   1. tcpdump captures protocol 253 on both veths of a pair, started (and
#      ready: "listening on" in its log, capture file created) before any
#      VTL traffic.
#   2. 2 MB A -> B over gbn and 64 KB B -> A over sr (`vtlcat -g sr`), each
#      byte-exact; the captures are stopped with SIGINT once they hold the
#      last packet of both sessions, and merged.
#   3. tshark with the dissector decodes every protocol-253 frame: each has
#      a type, session, seq and ack; the types include NEGO, NEGO_ACK, DATA,
#      ACK, CLOSE and CLOSE_ACK; every checksum verifies; nothing is marked
#      malformed; the gbn session carries at least 2 MB / 1448 DATA frames;
#      decoded values agree with each other (NEGO graft names, first DATA
#      seq = NEGO isn, CLOSE seq = isn + packets, CLOSE_ACK ack = CLOSE seq).
#   4. tools/wireshark/vtl_synth.py: crafted packets of every type and
#      malformed ones (short header, length mismatch, unknown type, bad
#      checksum, snaplen cuts, random garbage) get the expected expert info
#      and Info column, and never a Lua error.
#
# Why both veths: vtld's XDP root program takes received VTL frames before
# the packet taps (bpf_redirect_map to the Data Broker's AF_XDP socket, or
# XDP_TX of in-kernel ACKs), so tcpdump on an interface only sees the VTL
# packets that host sends. The capture on IF_B has B's half of both
# sessions (gbn: NEGO_ACK ACK CLOSE_ACK; sr: NEGO DATA CLOSE), the one on
# IF_A the other half; XDP_TX'd ACKs (DUP flag) are seen by neither.
# shellcheck source-path=SCRIPTDIR source=../lib/netns.sh
. "$(dirname "$0")/../lib/netns.sh"
vtl_test_init e2e_dissector
vtl_require_bins vtld vtlcat

for c in tshark tcpdump mergecap; do
	command -v "$c" >/dev/null 2>&1 ||
		vtl_skip "command '$c' not found (apt-get install tshark tcpdump, or tools/install-deps.sh)"
done
tshark -v 2>/dev/null | grep -qi 'with Lua' || vtl_skip "tshark is built without Lua support"
LUA=$VTL_SRC_DIR/tools/wireshark/vtl.lua
[[ -f $LUA ]] || vtl_fail "dissector $LUA missing"
# tshark runs with an empty home: a copy of vtl.lua among the user's Lua
# plugins (~/.local/lib/wireshark/plugins) would clash with -X lua_script.
mkdir -p "$T/home"
TSHARK=(env HOME="$T/home" XDG_CONFIG_HOME="$T/home/.config" tshark -n -X "lua_script:$LUA")

# vtl_tshark OUT ARGS...: tshark with the VTL dissector, stdout to OUT. Fails
# on a non-zero exit or on any Lua message on stderr (a load or runtime
# error of the script is only a warning to tshark).
vtl_tshark() {
	local out=$1 rc=0
	shift
	"${TSHARK[@]}" "$@" >"$out" 2>"$out.err" || rc=$?
	if [[ $rc -ne 0 ]] || grep -qiE 'lua|error' "$out.err"; then
		cat "$out.err" >&2
		vtl_fail "tshark $*: exit status $rc"
	fi
}

# cap_start NAME NS IFACE: tcpdump of protocol 253 on IFACE in NS into
# $T/cap-NAME.pcap; waits for its readiness. -U and --immediate-mode write
# each packet as it arrives (with the default TPACKET_V3 block timeout the
# last second of traffic would still be in the ring at SIGINT); -Z root keeps
# the privileges needed to write into $T; -B 64 MB avoids kernel drops.
declare -A CAP_PID
cap_start() {
	local name=$1 ns=$2 ifc=$3
	vtl_bg "$ns" "$T/tcpdump-$name.log" tcpdump -n -Z root -U --immediate-mode -B 65536 \
		-i "$ifc" -w "$T/cap-$name.pcap" ip proto 253
	CAP_PID[$name]=$VTL_BG_PID
	wait_for_line "$T/tcpdump-$name.log" "listening on $ifc" 10 "$VTL_BG_PID"
	wait_for 10 test -e "$T/cap-$name.pcap" || vtl_fail "tcpdump on $ifc created no $T/cap-$name.pcap"
	vtl_log "capture $name up on $ifc in $ns (pid $VTL_BG_PID)"
}

# cap_has NAME TYPE SID: the capture NAME (being written) holds a packet of
# TYPE (number) in session SID. A packet cut short by the writer is fine.
cap_has() {
	[[ -n $("${TSHARK[@]}" -r "$T/cap-$1.pcap" -Y "vtl.type == $2 && vtl.session == $3" \
		-T fields -e frame.number 2>/dev/null) ]]
}

# cap_stop NAME: SIGINT, wait for tcpdump to exit 0; fail on kernel drops.
cap_stop() {
	local name=$1 pid=${CAP_PID[$1]} drops
	kill -INT "$pid"
	vtl_expect_exit "$pid" 10 "tcpdump $name (SIGINT)" "$T/tcpdump-$name.log"
	drops=$(sed -n 's/^\([0-9]*\) packets\{0,1\} dropped by kernel.*/\1/p' "$T/tcpdump-$name.log")
	vtl_log "tcpdump $name: $(grep -E 'packets? (captured|received)' "$T/tcpdump-$name.log" | tr '\n' ' ')"
	vtl_assert_eq "${drops:-?}" 0 "tcpdump $name: packets dropped by kernel"
}

# sid_of LOG: the session id a `vtlcat -v` printed, as 0x%08x.
sid_of() {
	local s
	s=$(sed -n 's/^vtlcat: session \(0x[0-9a-fA-F]*\) with .*/\1/p' "$1" | head -n 1)
	[[ -n $s ]] || { cat "$1" >&2; vtl_fail "no 'vtlcat: session 0x...' line in ${1##*/}"; }
	printf '0x%08x' "$((s))"
}

vtl_topo_pair
vtld_start "$NS_A" "$IF_A"
vtld_start "$NS_B" "$IF_B"

# ---- 1. captures, ready before any VTL traffic -------------------------------
cap_start b "$NS_B" "$IF_B"
cap_start a "$NS_A" "$IF_A"

# ---- 2. traffic ----------------------------------------------------------------
SIZE=$((2 * 1024 * 1024))
vtl_mkfile "$T/gbn.in" "$SIZE"
port=$(vtl_rand_port)
vtlcat_listen "$NS_B" "$port" "$T/gbn.out" "$T/rx-gbn.log"
rx=$VTL_BG_PID
# a small window keeps the packet rate within what tcpdump captures on a busy machine
vtlcat_send 120 "$NS_A" "$IP_B" "$port" "$T/gbn.in" "$T/tx-gbn.log" -g gbn -w 4
vtl_expect_exit "$rx" 60 "receiver of the gbn file" "$T/rx-gbn.log"
vtl_assert_same_file "$T/gbn.in" "$T/gbn.out" "2 MB A -> B over gbn"

vtl_mkfile "$T/sr.in" 64K
port=$(vtl_rand_port)
vtlcat_listen "$NS_A" "$port" "$T/sr.out" "$T/rx-sr.log"
rx=$VTL_BG_PID
vtlcat_send 60 "$NS_B" "$IP_A" "$port" "$T/sr.in" "$T/tx-sr.log" -g sr
vtl_expect_exit "$rx" 60 "receiver of the sr file" "$T/rx-sr.log"
vtl_assert_same_file "$T/sr.in" "$T/sr.out" "64 KB B -> A over sr"

SID_GBN=$(sid_of "$T/tx-gbn.log")
SID_SR=$(sid_of "$T/tx-sr.log")
vtl_log "sessions: gbn $SID_GBN, sr $SID_SR"

# The last packet each host sends in each session is written before stopping:
# CLOSE (7) by the sender, CLOSE_ACK (8) by the receiver.
wait_for 30 cap_has a 7 "$SID_GBN" || vtl_fail "capture a never showed the CLOSE of gbn $SID_GBN"
wait_for 30 cap_has b 8 "$SID_GBN" || vtl_fail "capture b never showed the CLOSE_ACK of gbn $SID_GBN"
wait_for 30 cap_has b 7 "$SID_SR" || vtl_fail "capture b never showed the CLOSE of sr $SID_SR"
wait_for 30 cap_has a 8 "$SID_SR" || vtl_fail "capture a never showed the CLOSE_ACK of sr $SID_SR"
cap_stop a
cap_stop b
mergecap -F pcap -w "$T/cap.pcap" "$T/cap-a.pcap" "$T/cap-b.pcap" ||
	vtl_fail "mergecap of the two captures failed"

# ---- 3. decode -----------------------------------------------------------------
vtl_tshark "$T/fields.tsv" -r "$T/cap.pcap" -T fields -E separator=/t -E occurrence=f \
	-e frame.number -e ip.proto -e vtl.type -e vtl.session -e vtl.seq -e vtl.ack \
	-e vtl.checksum.status -e vtl.len -e vtl.flags -e vtl.nego.graft -e vtl.nego.isn \
	-e vtl.nego.mss -e _ws.col.Info
vtl_tshark "$T/summary.txt" -r "$T/cap.pcap"

# Per-frame checks, then one summary line of counts.
report=$(awk -F'\t' -v gbn="$SID_GBN" -v sr="$SID_SR" '
BEGIN {
	split("NEGO NEGO_ACK NEGO_NACK DATA ACK NACK CLOSE CLOSE_ACK RESET", nm, " ")
	bad = ""; M = 4294967296
}
function fail(msg) { if (bad == "") bad = "frame " $1 ": " msg }
{
	frames++
	if ($2 != 253) { fail("ip.proto " $2); next }
	p253++
	if ($3 != "") typed++
	if ($3 == "" || $4 == "" || $5 == "" || $6 == "") { fail("missing type/session/seq/ack: " $0); next }
	t = ($3 in nm) ? nm[$3] : "?" $3
	seen[t]++
	if ($7 != 1) fail("checksum status " $7 " (1 = good)")
	if ($4 != gbn && $4 != sr) fail("unexpected session " $4)
	if ($13 !~ ("^VTL " t " sid=" $4)) fail("Info column \"" $13 "\"")
	if (t == "NEGO") { graft[$4] = $10; isn[$4] = $11 }
	if (t == "NEGO_ACK") { mss[$4] = $12; risn[$4] = $11 }
	if (t == "DATA") {
		ndata[$4]++
		if (!(($4, $5) in dseq)) { dseq[$4, $5] = 1; udata[$4]++ }
		if (!($4 in dmin) || ($5 - isn[$4] + M) % M < (dmin[$4] - isn[$4] + M) % M) dmin[$4] = $5
		if ($8 > maxlen[$4]) maxlen[$4] = $8
	}
	# sessions are full-duplex: the responder closes its own (here empty)
	# direction too, with a CLOSE at its ISN (from NEGO_ACK)
	if (t == "CLOSE") { if (($4 in risn) && $5 == risn[$4]) rclose[$4] = $5; else closeseq[$4] = $5 }
	if (t == "CLOSE_ACK") { if (($4 in risn) && $6 == risn[$4]) rcloseack[$4] = $6; else closeack[$4] = $6 }
}
END {
	if (graft[gbn] != "gbn") bad = bad "; NEGO of " gbn " names graft \"" graft[gbn] "\""
	if (graft[sr] != "sr") bad = bad "; NEGO of " sr " names graft \"" graft[sr] "\""
	if (dmin[gbn] != isn[gbn]) bad = bad "; first DATA seq " dmin[gbn] " != NEGO isn " isn[gbn]
	if ((isn[gbn] + udata[gbn]) % M != closeseq[gbn])
		bad = bad "; CLOSE seq " closeseq[gbn] " != isn " isn[gbn] " + " udata[gbn] " packets"
	if (closeack[gbn] != closeseq[gbn]) bad = bad "; CLOSE_ACK ack " closeack[gbn] " != CLOSE seq " closeseq[gbn]
	if (!(gbn in rclose) || !(gbn in rcloseack))
		bad = bad "; the responder did not close its direction (CLOSE and CLOSE_ACK at its isn " risn[gbn] ")"
	if (maxlen[gbn] > mss[gbn]) bad = bad "; DATA len " maxlen[gbn] " > mss " mss[gbn]
	types = ""
	for (i = 1; i <= 9; i++) if (nm[i] in seen) types = types " " nm[i] "=" seen[nm[i]]
	printf "frames=%d p253=%d typed=%d data_gbn=%d udata_gbn=%d data_sr=%d mss_gbn=%s types=%s|%s\n", \
		frames, p253, typed, ndata[gbn], udata[gbn], ndata[sr], mss[gbn], substr(types, 2), bad
}' "$T/fields.tsv")
vtl_log "decoded: ${report%%|*}"
problems=${report#*|}
[[ -z $problems ]] || vtl_fail "decoding: ${problems#; }"
get() { sed -n "s/.*\b$1=\([0-9]*\).*/\1/p" <<<"${report%%|*}"; }

vtl_tshark "$T/count.txt" -r "$T/cap.pcap" -T fields -e frame.number
total=$(wc -l <"$T/count.txt")
vtl_assert_gt "$total" 0 "frames in the capture"
vtl_assert_eq "$(get p253)" "$total" "every captured frame is IPv4 protocol 253"
vtl_assert_eq "$(get typed)" "$(get p253)" "every protocol-253 frame decoded with a vtl.type"
vtl_pass "every frame shows a type, session, seq and ack; Info column 'VTL <TYPE> sid=<session>'"
for t in NEGO NEGO_ACK DATA ACK CLOSE CLOSE_ACK; do
	vtl_assert_gt "$(get "$t")" 0 "decoded $t frames"
done
vtl_pass "checksum status correct (vtl.checksum.status == 1) for all $(get p253) frames"
min_data=$(( (SIZE + 1447) / 1448 ))
vtl_assert_gt "$(get udata_gbn)" $((min_data - 1)) "distinct DATA frames of the 2 MB gbn session (>= $min_data)"
vtl_assert_gt "$(get data_sr)" 0 "DATA frames of the sr session"
vtl_pass "NEGO graft names, isn, CLOSE seq and CLOSE_ACK ack agree with the DATA frames"

# Nothing malformed, no bad checksum, no dissector (Lua) error.
vtl_tshark "$T/bad.txt" -r "$T/cap.pcap" \
	-Y 'vtl.malformed || vtl.checksum.bad || vtl.dissector_error || _ws.malformed || _ws.lua' \
	-T fields -e frame.number
vtl_assert_eq "$(wc -l <"$T/bad.txt")" 0 "frames marked malformed, bad checksum or Lua error"

# A sample of the decoded output (docs/wireshark.md shows one).
vtl_log "sample (tshark -X lua_script:tools/wireshark/vtl.lua -r cap.pcap):"
{
	grep -m 3 -E 'VTL (NEGO|NEGO_ACK) ' "$T/summary.txt"
	grep -m 2 -E 'VTL DATA ' "$T/summary.txt"
	grep -m 2 -E 'VTL ACK ' "$T/summary.txt"
	grep -m 2 -E 'VTL (CLOSE|CLOSE_ACK) ' "$T/summary.txt"
} | sort -n -k1,1 | sed 's/^/    /'

# ---- 4. crafted and malformed packets ------------------------------------------
# Every type, SACK blocks, flags, NEGO_NACK reasons; short header, length
# mismatch, unknown type, bad version/hdr_len/checksum, short NEGO, bad SACK,
# snaplen cuts; 400 seeded random packets: each verdict (expert info) and
# Info column as expected, never a dissector (Lua) error.
out=$(HOME="$T/home" XDG_CONFIG_HOME="$T/home/.config" \
	python3 "$VTL_SRC_DIR/tools/wireshark/vtl_synth.py" --lua "$LUA" 2>&1) || {
	printf '%s\n' "$out" >&2
	vtl_fail "tools/wireshark/vtl_synth.py: crafted packets not decoded as expected"
}
printf '%s\n' "$out"
vtl_pass "dissector decodes a gbn and an sr session, and crafted and malformed packets"
