# shellcheck shell=bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# tests/lib/netns.sh - shared library for VTL end-to-end tests.
#
# Source it from a test script, then call vtl_test_init first:
#
#     . "$(dirname "$0")/../lib/netns.sh"
#     vtl_test_init my_test
#     vtl_topo_pair
#     vtld_start "$NS_A" "$IF_A"
#
# Conventions
#   * Every resource a test creates (namespaces, processes, bpffs mounts,
#     files) is released by one EXIT trap, on every exit path: success,
#     failure, set -e, vtl_fail, SIGINT/SIGTERM/SIGHUP, and the watchdog
#     (VTL_TEST_TIMEOUT). Only SIGKILL of the test shell escapes it, which
#     is why the watchdog fires before ctest's own TIMEOUT.
#   * Exit codes: 0 pass, 1 fail, 77 skip (ctest SKIP_RETURN_CODE 77).
#   * Traffic only ever flows inside the namespaces and veths created here.
#     Namespaces are entered with nsenter --net (never `ip netns exec`,
#     which remounts /sys and hides bpffs).
#   * Names carry a random suffix, so parallel runs do not clash.
#   * No blind sleeps: wait_for / wait_for_line poll a condition with a
#     deadline, vtld_start waits for the daemon's own readiness signal.
#
# Environment
#   VTL_BUILD         build directory (default: <source>/build)
#   VTL_TEST_TIMEOUT  watchdog in seconds; 0 or unset = none. On expiry the
#                     test fails and cleans up.
#   VTL_KEEP_TMP=1    keep $T (logs, files) after the test for debugging.
#   VTL_VERBOSE=1     trace library actions.

[[ -n ${_VTL_NETNS_SH:-} ]] && return 0
_VTL_NETNS_SH=1

VTL_TEST_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VTL_TESTS_DIR=$(dirname "$VTL_TEST_LIB_DIR")
VTL_SRC_DIR=$(dirname "$VTL_TESTS_DIR")

# Library state (internal).
_VTL_NS=()            # namespaces we created, in creation order
_VTL_PIDS=()          # processes we started (background jobs, daemons)
_VTL_CLEANUP_CMDS=()  # commands run at cleanup after the processes are gone
declare -A _VTLD_PID  # namespace -> pid of the vtld running there
declare -A _VTLD_OLD  # namespace -> pid of the last vtld stopped there
_VTL_WATCHDOG=""
_VTL_CLEANED=""
_VTL_ERR_WHERE=""
T=""

# ---------------------------------------------------------------------------
# Reporting
# ---------------------------------------------------------------------------

# vtl_log MSG...: progress line on stdout, prefixed with the test name.
vtl_log() {
	printf '[%s] %s\n' "${VTL_TEST_NAME:-test}" "$*"
}

# _vtl_dbg MSG...: library trace, only with VTL_VERBOSE=1.
_vtl_dbg() {
	[[ ${VTL_VERBOSE:-0} == 1 ]] && printf '[%s] + %s\n' "${VTL_TEST_NAME:-test}" "$*" >&2
	return 0
}

# vtl_skip REASON: print "SKIP: REASON" and exit 77 (cleanup still runs).
# On stderr, so that it is not swallowed by a command substitution.
vtl_skip() {
	printf 'SKIP: %s\n' "$*" >&2
	exit 77
}

# vtl_fail MSG: print "FAIL: MSG" and exit 1 (cleanup still runs).
vtl_fail() {
	printf 'FAIL: %s\n' "$*" >&2
	_VTL_FAILED_MSG=1
	exit 1
}

# vtl_pass MSG: print "PASS: MSG". Does not exit: use it to mark each check
# that succeeded; the test passes by reaching its end.
vtl_pass() {
	printf 'PASS: %s\n' "$*"
}

# vtl_assert_eq ACTUAL EXPECTED MSG: fail unless the two strings are equal.
vtl_assert_eq() {
	if [[ "$1" != "$2" ]]; then
		vtl_fail "$3: got '$1', expected '$2'"
	fi
	vtl_pass "$3 ($1)"
}

# vtl_assert_gt ACTUAL LIMIT MSG: fail unless integer ACTUAL > LIMIT.
vtl_assert_gt() {
	if ! [[ "$1" =~ ^-?[0-9]+$ ]] || (( $1 <= $2 )); then
		vtl_fail "$3: got '$1', expected > $2"
	fi
	vtl_pass "$3 ($1 > $2)"
}

# ---------------------------------------------------------------------------
# Init, cleanup, watchdog
# ---------------------------------------------------------------------------

# vtl_test_init NAME: set up a test. Turns on `set -euo pipefail` (and
# errtrace, so an unexpected failure is reported with its line), requires
# root and the commands ip, nsenter, sha256sum, python3, timeout (skip with
# the reason otherwise), creates the temp dir $T, registers the cleanup trap
# for EXIT INT TERM HUP, starts the watchdog (VTL_TEST_TIMEOUT) and defines:
#   $BUILD  build directory: $VTL_BUILD, else <source>/build
#   $BIN    $BUILD/bin        (vtld, vtlcat, vtlctl, vtl-netem, vtl-hooker)
#   $POOL   $BUILD/grafts     (graft pool)
#   $BPFTOOL path of bpftool, or "" when not installed
#   $NETTOOL python helper (tests/lib/nettool.py)
vtl_test_init() {
	VTL_TEST_NAME=${1:?vtl_test_init NAME}
	set -euo pipefail
	set -E
	trap '_vtl_on_err "$LINENO" "$BASH_COMMAND"' ERR
	trap '_vtl_cleanup' EXIT
	trap '_vtl_on_signal INT 2' INT
	trap '_vtl_on_signal TERM 15' TERM
	trap '_vtl_on_signal HUP 1' HUP

	[[ $(id -u) -eq 0 ]] || vtl_skip "needs root (network namespaces, bpffs, XDP)"
	local c
	for c in ip nsenter sha256sum python3 timeout mktemp awk; do
		command -v "$c" >/dev/null 2>&1 || vtl_skip "command '$c' not found"
	done

	BUILD=${VTL_BUILD:-$VTL_SRC_DIR/build}
	BIN=$BUILD/bin
	POOL=$BUILD/grafts
	BPFTOOL=$(command -v bpftool 2>/dev/null || true)
	[[ -z $BPFTOOL && -x /usr/sbin/bpftool ]] && BPFTOOL=/usr/sbin/bpftool
	NETTOOL=$VTL_TEST_LIB_DIR/nettool.py

	# No '.' anywhere in $T: libbpf 1.1 rewrites every '.' of a pin path to
	# '_' (sanitize_pin_path), so vtld could not pin maps under such a path.
	local tmp=${TMPDIR:-/tmp}
	[[ $tmp == *.* ]] && tmp=/tmp
	T=$(mktemp -d "$tmp/vtl-${VTL_TEST_NAME//./_}-XXXXXX")
	T=$(cd "$T" && pwd -P)  # canonical: it is compared with /proc/mounts
	chmod 755 "$T"
	_vtl_dbg "T=$T BUILD=$BUILD"
	_vtl_start_watchdog
}

# _vtl_on_err LINE CMD: ERR trap; remembers where set -e would fire.
_vtl_on_err() {
	local where="${BASH_SOURCE[1]:-?}:$1"
	[[ -z $_VTL_ERR_WHERE ]] && _VTL_ERR_WHERE="$where: $2"
	return 0
}

# _vtl_on_signal NAME NUM: turn a signal into an exit (runs the EXIT trap).
_vtl_on_signal() {
	printf 'FAIL: interrupted by SIG%s\n' "$1" >&2
	_VTL_FAILED_MSG=1
	exit $((128 + $2))
}

# _vtl_start_watchdog: after VTL_TEST_TIMEOUT seconds, SIGTERM the test
# shell, so that it fails and cleans up before ctest's own TIMEOUT kills it
# with SIGKILL (which no trap can catch).
_vtl_start_watchdog() {
	local secs=${VTL_TEST_TIMEOUT:-0} main=$BASHPID
	[[ $secs =~ ^[0-9]+$ ]] && (( secs > 0 )) || return 0
	(
		set +eu
		trap - ERR EXIT INT HUP
		exec </dev/null >/dev/null
		sleep "$secs" 2>/dev/null &
		sp=$!
		trap 'kill "$sp" 2>/dev/null; exit 0' TERM
		wait "$sp"
		printf 'FAIL: watchdog: test exceeded VTL_TEST_TIMEOUT=%ss\n' "$secs" >&2
		kill -TERM "$main" 2>/dev/null
		exit 0
	) &
	_VTL_WATCHDOG=$!
}

# vtl_alive PID: true while PID exists and is not a zombie.
vtl_alive() {
	_vtl_alive "$1"
}

_vtl_alive() {
	local line st
	[[ $1 =~ ^[0-9]+$ ]] || return 1
	read -r line 2>/dev/null <"/proc/$1/stat" || return 1
	st=${line##*) }     # the state follows "(comm) "
	st=${st%% *}
	[[ -n $st && $st != Z && $st != X ]]
}

# _vtl_ns_inode NS: inode of a namespace we created (for pid ownership checks).
_vtl_ns_inode() {
	stat -L -c %i "/run/netns/$1" 2>/dev/null
}

# _vtl_our_pids: every live process that belongs to this test: those running
# inside one of our namespaces, the ones we recorded, and the vtld pids in
# $T/*.pid whose command line mentions $T. Never matches by name.
_vtl_our_pids() {
	local ns pid f
	{
		for ns in "${_VTL_NS[@]}"; do
			[[ -e /run/netns/$ns ]] && ip netns pids "$ns" 2>/dev/null
		done
		for pid in "${_VTL_PIDS[@]}"; do
			_vtl_pid_is_ours "$pid" && echo "$pid"
		done
		if [[ -n $T && -d $T ]]; then
			for f in "$T"/*.pid; do
				[[ -f $f ]] || continue
				pid=$(tr -dc 0-9 <"$f" 2>/dev/null | head -c 10)
				[[ -n $pid ]] || continue
				tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF -- "$T" && echo "$pid"
			done
		fi
	} | sort -un | while read -r pid; do
		[[ -n $pid && $pid != "$$" && $pid != "$BASHPID" ]] && _vtl_alive "$pid" && echo "$pid"
	done
	return 0
}

# _vtl_pid_is_ours PID: PID lives in one of our namespaces, or its command
# line mentions $T (guards against pid reuse after the process is gone).
_vtl_pid_is_ours() {
	local pid=$1 ino ns
	_vtl_alive "$pid" || return 1
	ino=$(stat -L -c %i "/proc/$pid/ns/net" 2>/dev/null) || return 1
	for ns in "${_VTL_NS[@]}"; do
		[[ $ino == "$(_vtl_ns_inode "$ns")" ]] && return 0
	done
	[[ -n $T ]] && tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF -- "$T"
}

# _vtl_kill_all: SIGTERM every process of ours, wait up to 5 s, then
# SIGKILL what is left and wait up to 3 s more.
_vtl_kill_all() {
	local pids pid i
	pids=$(_vtl_our_pids)
	[[ -z $pids ]] && return 0
	_vtl_dbg "TERM $pids"
	for pid in $pids; do kill -TERM "$pid" 2>/dev/null; done
	for ((i = 0; i < 100; i++)); do
		pids=$(for pid in $pids; do _vtl_alive "$pid" && echo "$pid"; done)
		[[ -z $pids ]] && break
		sleep 0.05
	done
	# anything started meanwhile (a daemon's children) goes too
	# shellcheck disable=SC2046,SC2086 # word lists of pids
	pids=$(printf '%s\n' $pids $(_vtl_our_pids) | sort -un)
	[[ -z $pids ]] && return 0
	_vtl_dbg "KILL $pids"
	for pid in $pids; do kill -KILL "$pid" 2>/dev/null; done
	for ((i = 0; i < 60; i++)); do
		pids=$(for pid in $pids; do _vtl_alive "$pid" && echo "$pid"; done)
		[[ -z $pids ]] && break
		sleep 0.05
	done
	[[ -z $pids ]] || echo "WARN: processes survived SIGKILL: $pids" >&2
	return 0
}

# _vtl_umount_under_T: lazily unmount everything mounted at or under $T
# (bpffs of vtld or of the test), deepest first.
_vtl_umount_under_T() {
	local m
	[[ -n $T ]] || return 0
	awk -v t="$T" '$2 == t || index($2, t "/") == 1 { print $2 }' /proc/mounts |
		sort -r | while read -r m; do
		m=$(printf '%b' "${m//\\/\\0}")   # /proc/mounts escapes: \040 etc.
		_vtl_dbg "umount -l $m"
		umount -l "$m" 2>/dev/null || echo "WARN: cannot umount $m" >&2
	done
}

# vtl_cleanup: release everything. Called by the EXIT trap; idempotent.
#   - prints the tail of every log in $T when the test failed
#   - stops the watchdog
#   - kills every process of ours (TERM, then KILL after 5 s)
#   - deletes every namespace we created (that also removes their veths
#     and the XDP/TC attachments on them)
#   - unmounts every mount under $T (vtld's bpffs), then rm -rf $T
vtl_cleanup() {
	local rc=${1:-0} ns f i
	[[ -n $_VTL_CLEANED ]] && return 0
	_VTL_CLEANED=1
	set +eu
	trap - ERR
	trap '' INT TERM HUP

	if [[ $rc -ne 0 && $rc -ne 77 ]]; then
		[[ -z ${_VTL_FAILED_MSG:-} ]] &&
			printf 'FAIL: exit status %s%s\n' "$rc" \
				"${_VTL_ERR_WHERE:+ (first failing command: $_VTL_ERR_WHERE)}" >&2
		if [[ -n $T && -d $T ]]; then
			for f in "$T"/*.log; do
				[[ -s $f ]] || continue
				printf -- '----- tail of %s -----\n' "${f##*/}" >&2
				tail -n 25 "$f" >&2
			done
		fi
	fi

	for f in $_VTL_WATCHDOG; do
		kill -TERM "$f" 2>/dev/null
	done
	_vtl_kill_all
	# extensions (tests/lib/hooker.sh: cgroups) clean up after the processes
	for f in "${_VTL_CLEANUP_CMDS[@]}"; do
		_vtl_dbg "cleanup: $f"
		eval "$f" || echo "WARN: cleanup step failed: $f" >&2
	done

	for ((i = ${#_VTL_NS[@]} - 1; i >= 0; i--)); do
		ns=${_VTL_NS[i]}
		if [[ -e /run/netns/$ns ]]; then
			_vtl_dbg "ip netns del $ns"
			ip netns del "$ns" 2>/dev/null || echo "WARN: cannot delete netns $ns" >&2
		fi
	done
	_vtl_umount_under_T

	if [[ -n $T && -d $T ]]; then
		if [[ ${VTL_KEEP_TMP:-0} == 1 ]]; then
			echo "kept $T" >&2
		else
			rm -rf -- "$T"
		fi
	fi
	return 0
}

# _vtl_cleanup: the EXIT trap; keeps the test's exit status.
_vtl_cleanup() {
	local rc=$?
	vtl_cleanup "$rc"
	exit "$rc"
}

# ---------------------------------------------------------------------------
# Polling
# ---------------------------------------------------------------------------

# _vtl_now_us: monotonic-enough wall clock in microseconds.
_vtl_now_us() {
	local t=${EPOCHREALTIME//[.,]/}
	echo "$((10#$t))"
}

# _vtl_secs_to_us SECS: "2" or "0.5" -> microseconds.
_vtl_secs_to_us() {
	awk -v s="$1" 'BEGIN { printf "%d\n", s * 1000000 }'
}

# wait_for TIMEOUT_S CMD...: run CMD (output discarded) every 0.05 s until
# it succeeds; returns 1 at the deadline (the caller decides how to fail).
wait_for() {
	local deadline
	deadline=$(( $(_vtl_now_us) + $(_vtl_secs_to_us "$1") ))
	shift
	until "$@" >/dev/null 2>&1; do
		(( $(_vtl_now_us) >= deadline )) && return 1
		sleep 0.05
	done
	return 0
}

# wait_for_line FILE REGEX TIMEOUT_S [PID]: wait until a line of FILE
# matches the extended REGEX. Fails (vtl_fail, with the file's tail) at the
# deadline, or as soon as PID (the process writing FILE) has exited.
wait_for_line() {
	local file=$1 re=$2 secs=$3 pid=${4:-} deadline
	deadline=$(( $(_vtl_now_us) + $(_vtl_secs_to_us "$secs") ))
	until grep -qE -- "$re" "$file" 2>/dev/null; do
		if [[ -n $pid ]] && ! _vtl_alive "$pid"; then
			# one last look: it may have written the line and exited
			grep -qE -- "$re" "$file" 2>/dev/null && return 0
			echo "----- tail of $file -----" >&2
			tail -n 20 "$file" >&2 2>/dev/null
			vtl_fail "process $pid exited before '$re' appeared in ${file##*/}"
		fi
		if (( $(_vtl_now_us) >= deadline )); then
			echo "----- tail of $file -----" >&2
			tail -n 20 "$file" >&2 2>/dev/null
			vtl_fail "no line matching '$re' in ${file##*/} within ${secs}s"
		fi
		sleep 0.05
	done
}

# vtl_wait_pid PID TIMEOUT_S: wait for PID (a background job of this shell)
# to exit; returns its exit status, or 124 if it is still running at the
# deadline (it is left running; cleanup kills it).
vtl_wait_pid() {
	local pid=$1 deadline rc=0
	deadline=$(( $(_vtl_now_us) + $(_vtl_secs_to_us "$2") ))
	while _vtl_alive "$pid"; do
		(( $(_vtl_now_us) >= deadline )) && return 124
		sleep 0.05
	done
	wait "$pid" 2>/dev/null || rc=$?
	return "$rc"
}

# vtl_expect_exit PID TIMEOUT_S WHAT [LOG]: vtl_wait_pid and fail (with the
# tail of LOG) unless PID exited 0.
vtl_expect_exit() {
	local rc=0
	vtl_wait_pid "$1" "$2" || rc=$?
	if [[ $rc -ne 0 ]]; then
		if [[ -n ${4:-} && -f $4 ]]; then
			echo "----- tail of $4 -----" >&2
			tail -n 20 "$4" >&2
		fi
		[[ $rc -eq 124 ]] && vtl_fail "$3: still running after ${2}s"
		vtl_fail "$3: exit status $rc"
	fi
	vtl_pass "$3 exited 0"
}

# ---------------------------------------------------------------------------
# Namespaces and topologies
# ---------------------------------------------------------------------------

# _vtl_rand_hex NBYTES: random lowercase hex string.
_vtl_rand_hex() {
	od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'
}

# _vtl_new_sfx: pick a fresh 6-hex-digit suffix into VTL_SFX.
_vtl_new_sfx() {
	VTL_SFX=$(_vtl_rand_hex 3)
}

# _vtl_add_ns ROLE VAR: create namespace "vtl-<sfx>-<role>", record it for
# cleanup, bring lo up, and store its name in the variable VAR.
_vtl_add_ns() {
	local role=$1 var=$2 name err
	name="vtl-$VTL_SFX-$role"
	[[ -e /run/netns/$name ]] && vtl_fail "netns $name already exists (suffix clash)"
	# recorded before it exists: a signal right after the add cannot leak it
	_VTL_NS+=("$name")
	if ! err=$(ip netns add "$name" 2>&1); then
		vtl_skip "cannot create network namespaces: $err"
	fi
	ip -n "$name" link set lo up
	printf -v "$var" '%s' "$name"
	_vtl_dbg "netns $name"
}

# _vtl_veth NS1 IF1 NS2 IF2: veth pair IF1 (in NS1) <-> IF2 (in NS2),
# created directly inside the namespaces (never in the caller's).
_vtl_veth() {
	ip -n "$1" link add "$2" type veth peer name "$4" netns "$3"
}

# _vtl_links_up NS IF [NS IF...]: bring every IF up, then wait (5 s) until
# each has carrier (a veth has it once both of its ends are up).
_vtl_links_up() {
	local a=("$@") i
	for ((i = 0; i < ${#a[@]}; i += 2)); do
		ip -n "${a[i]}" link set "${a[i + 1]}" up
	done
	for ((i = 0; i < ${#a[@]}; i += 2)); do
		wait_for 5 _vtl_has_carrier "${a[i]}" "${a[i + 1]}" ||
			vtl_fail "${a[i + 1]} in ${a[i]} has no carrier"
	done
}

_vtl_has_carrier() {
	ip -n "$1" link show dev "$2" | grep -q 'LOWER_UP'
}

# _vtl_offloads_off NS IF: turn off tso gso gro tx-checksumming if ethtool
# exists; silently does nothing otherwise.
_vtl_offloads_off() {
	command -v ethtool >/dev/null 2>&1 || return 0
	in_ns "$1" ethtool -K "$2" tso off gso off gro off tx off >/dev/null 2>&1 || true
}

# vtl_topo_pair: hosts A and B in fresh namespaces, one veth pair.
# Sets NS_A NS_B IF_A IF_B IP_A IP_B (10.231.x.1 and .2 on a /24, x random)
# and NET_PREFIX (e.g. 10.231.17). Nothing is turned off.
vtl_topo_pair() {
	local x
	_vtl_new_sfx
	x=$((16#$(_vtl_rand_hex 1)))
	_vtl_add_ns a NS_A
	_vtl_add_ns b NS_B
	IF_A="va-$VTL_SFX"
	IF_B="vb-$VTL_SFX"
	_vtl_veth "$NS_A" "$IF_A" "$NS_B" "$IF_B"
	NET_PREFIX="10.231.$x"
	IP_A="$NET_PREFIX.1"
	IP_B="$NET_PREFIX.2"
	ip -n "$NS_A" addr add "$IP_A/24" dev "$IF_A"
	ip -n "$NS_B" addr add "$IP_B/24" dev "$IF_B"
	_vtl_links_up "$NS_A" "$IF_A" "$NS_B" "$IF_B"
	vtl_log "topology pair: $NS_A/$IF_A $IP_A <-> $NS_B/$IF_B $IP_B"
}

# vtl_topo_routed: A -- R -- B. Three namespaces, two veth pairs, two /24s,
# ip_forward on R, routes on A and B via R (R is a plain router: to impair
# the path, use vtl_topo_netem). Offloads (tso gso gro tx csum) off on all
# four veths. Sets NS_A NS_B NS_R IF_A IF_B IF_RA IF_RB IP_A IP_B IP_RA IP_RB.
#   A: IF_A  10.231.x.1/24   <->  R: IF_RA 10.231.x.254/24
#   B: IF_B  10.231.y.2/24   <->  R: IF_RB 10.231.y.254/24   (y = x+1 mod 256)
vtl_topo_routed() {
	local x y
	_vtl_new_sfx
	x=$((16#$(_vtl_rand_hex 1)))
	y=$(((x + 1) % 256))
	_vtl_add_ns a NS_A
	_vtl_add_ns r NS_R
	_vtl_add_ns b NS_B
	IF_A="va-$VTL_SFX"
	IF_RA="vra-$VTL_SFX"
	IF_B="vb-$VTL_SFX"
	IF_RB="vrb-$VTL_SFX"
	_vtl_veth "$NS_A" "$IF_A" "$NS_R" "$IF_RA"
	_vtl_veth "$NS_B" "$IF_B" "$NS_R" "$IF_RB"
	IP_A="10.231.$x.1"
	IP_RA="10.231.$x.254"
	IP_B="10.231.$y.2"
	IP_RB="10.231.$y.254"
	ip -n "$NS_A" addr add "$IP_A/24" dev "$IF_A"
	ip -n "$NS_R" addr add "$IP_RA/24" dev "$IF_RA"
	ip -n "$NS_R" addr add "$IP_RB/24" dev "$IF_RB"
	ip -n "$NS_B" addr add "$IP_B/24" dev "$IF_B"
	in_ns "$NS_R" sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward'
	_vtl_offloads_off "$NS_A" "$IF_A"
	_vtl_offloads_off "$NS_R" "$IF_RA"
	_vtl_offloads_off "$NS_R" "$IF_RB"
	_vtl_offloads_off "$NS_B" "$IF_B"
	_vtl_links_up "$NS_A" "$IF_A" "$NS_R" "$IF_RA" "$NS_R" "$IF_RB" "$NS_B" "$IF_B"
	ip -n "$NS_A" route add "10.231.$y.0/24" via "$IP_RA"
	ip -n "$NS_B" route add "10.231.$x.0/24" via "$IP_RB"
	vtl_log "topology routed: $NS_A/$IF_A $IP_A <-> [$IF_RA $NS_R $IF_RB] <-> $NS_B/$IF_B $IP_B"
}

# in_ns NS CMD...: run CMD inside namespace NS (nsenter --net, so bpffs and
# /sys stay visible). Stdin/stdout/stderr are the caller's. The command runs
# as a job the shell waits for, so a signal to the test interrupts the wait
# at once and the cleanup kills the command (it lives in our namespace).
in_ns() {
	local ns=$1 pid rc=0
	shift
	if _vtl_have_stdin; then
		nsenter --net="/run/netns/$ns" -- "$@" <&0 &
	else
		nsenter --net="/run/netns/$ns" -- "$@" </dev/null &
	fi
	pid=$!
	wait "$pid" || rc=$?
	return "$rc"
}

# _vtl_have_stdin: fd 0 is open (it may be closed under some CI runners,
# and `<&0` would then fail).
_vtl_have_stdin() {
	[[ -e /proc/self/fd/0 ]]
}

# in_ns_t SECS NS CMD...: in_ns with a time limit; returns 124 on timeout
# (CMD gets SIGTERM, then SIGKILL 5 s later).
in_ns_t() {
	local secs=$1 ns=$2 pid rc=0
	shift 2
	if _vtl_have_stdin; then
		timeout -k 5 "$secs" nsenter --net="/run/netns/$ns" -- "$@" <&0 &
	else
		timeout -k 5 "$secs" nsenter --net="/run/netns/$ns" -- "$@" </dev/null &
	fi
	pid=$!
	wait "$pid" || rc=$?
	return "$rc"
}

# vtl_bg NS LOG CMD...: start CMD in the background inside NS, stdout and
# stderr to LOG, stdin from /dev/null unless redirected by the caller.
# Records the pid for cleanup and leaves it in VTL_BG_PID (nsenter execs
# CMD, so the pid is CMD's own).
vtl_bg() {
	local ns=$1 log=$2
	shift 2
	if _vtl_have_stdin; then
		nsenter --net="/run/netns/$ns" -- "$@" >"$log" 2>&1 <&0 &
	else
		nsenter --net="/run/netns/$ns" -- "$@" >"$log" 2>&1 </dev/null &
	fi
	VTL_BG_PID=$!
	_VTL_PIDS+=("$VTL_BG_PID")
	_vtl_dbg "bg $VTL_BG_PID in $ns: $*"
}

# ---------------------------------------------------------------------------
# Files and checks
# ---------------------------------------------------------------------------

# vtl_mkfile PATH SIZE: SIZE random bytes (head -c syntax: 1M = 1048576).
vtl_mkfile() {
	head -c "$2" /dev/urandom >"$1"
}

# vtl_sha256 FILE: print the hex sha256 of FILE.
vtl_sha256() {
	sha256sum "$1" | awk '{ print $1 }'
}

# vtl_assert_same_file SENT RECEIVED MSG: byte-exact comparison by sha256,
# sizes reported on failure.
vtl_assert_same_file() {
	local a b
	[[ -f $2 ]] || vtl_fail "$3: $2 does not exist"
	a=$(vtl_sha256 "$1")
	b=$(vtl_sha256 "$2")
	if [[ $a != "$b" ]]; then
		vtl_fail "$3: sha256 differs (sent $(stat -c %s "$1") B $a, received $(stat -c %s "$2") B $b)"
	fi
	vtl_pass "$3: $(stat -c %s "$2") bytes, sha256 $a"
}

# vtl_rand_port: a random service port in 20000..59999.
vtl_rand_port() {
	echo $((20000 + 16#$(_vtl_rand_hex 2) % 40000))
}

# vtl_ping NS DST COUNT: send COUNT echo requests (1 s timeout each) from NS
# to DST; fails unless every reply arrives. Uses ping when installed,
# otherwise an ICMP raw socket in python3.
vtl_ping() {
	local ns=$1 dst=$2 count=${3:-3} out rx
	if command -v ping >/dev/null 2>&1; then
		out=$(in_ns "$ns" ping -n -c "$count" -W 1 -i 0.2 "$dst" 2>&1) || true
	else
		out=$(in_ns "$ns" python3 "$NETTOOL" ping --count "$count" --timeout 1 "$dst" 2>&1) || true
	fi
	rx=$(printf '%s\n' "$out" | sed -n 's/.* \([0-9][0-9]*\) \(packets \)\{0,1\}received.*/\1/p' | tail -n 1)
	if [[ $rx != "$count" ]]; then
		printf '%s\n' "$out" >&2
		vtl_fail "ping $dst from $ns: ${rx:-0}/$count replies"
	fi
	vtl_pass "ping $dst from $ns: $rx/$count replies"
}

# vtl_tcp_xfer NS_SRV IP_SRV NS_CLI FILE: plain TCP transfer of FILE from
# NS_CLI to a one-shot python server at IP_SRV in NS_SRV; byte-exact check.
vtl_tcp_xfer() {
	local nss=$1 ip=$2 nsc=$3 file=$4 port out log spid
	port=$(vtl_rand_port)
	out="$T/tcp-$port.out"
	log="$T/tcp-$port-server.log"
	vtl_bg "$nss" "$log" python3 "$NETTOOL" tcp-server --bind "$ip" --port "$port" --out "$out" --timeout 120
	spid=$VTL_BG_PID
	wait_for_line "$log" '^listening ' 10 "$spid"
	in_ns_t 120 "$nsc" python3 "$NETTOOL" tcp-client --host "$ip" --port "$port" --in "$file" ||
		vtl_fail "TCP client to $ip:$port failed"
	vtl_expect_exit "$spid" 30 "TCP server" "$log"
	vtl_assert_same_file "$file" "$out" "TCP transfer to $ip:$port"
}

# vtl_json FILE PYEXPR: evaluate PYEXPR with d = the JSON document in FILE
# and print the result (dicts/lists as JSON, booleans as 0/1).
vtl_json() {
	python3 - "$1" "$2" <<'EOF'
import json, sys
with open(sys.argv[1]) as f:
    d = json.load(f)
v = eval(sys.argv[2], {"d": d, "any": any, "all": all, "len": len, "sum": sum})
if isinstance(v, bool):
    print(int(v))
elif isinstance(v, (dict, list)):
    print(json.dumps(v))
else:
    print(v)
EOF
}

# vtl_no_stale_attach NS IFACE: assert that nothing of VTL is left on IFACE:
#   - `ip link show dev IFACE` shows no xdp at all,
#   - `bpftool net show dev IFACE` lists no program named vtl*,
#   - `tc filter show dev IFACE egress` (and ingress) lists no program named
#     vtl* (names resolved by id with bpftool when tc does not print them).
vtl_no_stale_attach() {
	local ns=$1 ifc=$2 out ids id name tcout
	out=$(in_ns "$ns" ip -d link show dev "$ifc") || vtl_fail "no interface $ifc in $ns"
	if printf '%s\n' "$out" | grep -qwE 'xdp(generic|drv|offload|multi)?|prog/xdp'; then
		printf '%s\n' "$out" >&2
		vtl_fail "stale XDP program on $ifc in $ns"
	fi
	tcout=$( {
		in_ns "$ns" tc filter show dev "$ifc" egress 2>/dev/null
		in_ns "$ns" tc filter show dev "$ifc" ingress 2>/dev/null
	} || true)
	if printf '%s\n' "$tcout" | grep -qE '(^|[ :])vtl[^ ]*'; then
		printf '%s\n' "$tcout" >&2
		vtl_fail "stale vtl TC filter on $ifc in $ns"
	fi
	ids=$(printf '%s\n' "$tcout" | grep -oE '\bid [0-9]+' | awk '{ print $2 }' || true)
	if [[ -n $BPFTOOL ]]; then
		out=$(in_ns "$ns" "$BPFTOOL" net show dev "$ifc" 2>&1) ||
			vtl_fail "bpftool net show dev $ifc failed: $out"
		if printf '%s\n' "$out" | grep -qE '(^|[ :/])vtl[^ ]* '; then
			printf '%s\n' "$out" >&2
			vtl_fail "bpftool lists a vtl program on $ifc in $ns"
		fi
		ids="$ids $(printf '%s\n' "$out" | grep -oE '\bid [0-9]+' | awk '{ print $2 }' || true)"
		for id in $ids; do
			name=$("$BPFTOOL" prog show id "$id" 2>/dev/null |
				sed -n 's/.* name \([^ ]*\).*/\1/p' | head -n 1) || true
			if [[ $name == vtl* ]]; then
				printf '%s\n' "$out" "$tcout" >&2
				vtl_fail "program $name (id $id) still attached to $ifc in $ns"
			fi
		done
	else
		vtl_log "note: bpftool not installed, checked ip link and tc only"
	fi
	vtl_pass "no VTL attachment left on $ifc in $ns"
}

# ---------------------------------------------------------------------------
# vtld and its tools
# ---------------------------------------------------------------------------

# vtl_require_bins NAME...: skip (with the reason) unless $BIN/NAME exists.
vtl_require_bins() {
	local b
	for b in "$@"; do
		[[ -x $BIN/$b ]] || vtl_skip "$BIN/$b not built (set VTL_BUILD or build the project first)"
	done
}

# vtld_sock NS: path of the control socket of the vtld in NS.
vtld_sock() {
	echo "$T/$1.sock"
}

# vtld_pid NS: pid of the vtld started in NS.
vtld_pid() {
	echo "${_VTLD_PID[$1]:-}"
}

# vtld_start NS IFACE [EXTRA_ARGS...]: start vtld on IFACE inside NS:
#   vtld -i IFACE --pool $POOL --bpf-root $T/bpf-NS --socket $T/NS.sock
#        --pidfile $T/NS.pid [EXTRA_ARGS]
# without -f. vtld daemonizes; its parent exits 0 only once the daemon is
# ready (the readiness signal), non-zero on failure. stdout/stderr of both
# go to $T/vtld-NS.log (appended across restarts). Fails, with the log,
# unless the parent exits 0 within 30 s, the pidfile names a live process
# and the socket exists. Records the pid for cleanup.
vtld_start() {
	local ns=$1 ifc=$2 log pidfile sock rc=0 pid
	shift 2
	log="$T/vtld-$ns.log"
	pidfile="$T/$ns.pid"
	sock=$(vtld_sock "$ns")
	(( ${#sock} < 108 )) || vtl_fail "socket path too long for AF_UNIX: $sock"
	mkdir -p "$T/bpf-$ns"
	# a pidfile left by a killed vtld stays: vtld must replace it
	printf '===== vtld_start %s %s (%s) =====\n' "$ns" "$ifc" "$(date +%T.%N)" >>"$log"
	timeout -k 5 30 nsenter --net="/run/netns/$ns" -- \
		"$BIN/vtld" -i "$ifc" --no-config --pool "$POOL" --bpf-root "$T/bpf-$ns" \
		--socket "$sock" --pidfile "$pidfile" "$@" </dev/null >>"$log" 2>&1 || rc=$?
	if [[ $rc -ne 0 ]]; then
		echo "----- $log -----" >&2
		tail -n 40 "$log" >&2
		[[ $rc -eq 124 ]] && vtl_fail "vtld in $ns did not report ready within 30 s"
		vtl_fail "vtld in $ns failed to start (exit status $rc)"
	fi
	[[ -s $pidfile ]] || vtl_fail "vtld in $ns exited 0 but wrote no pidfile $pidfile"
	pid=$(tr -dc 0-9 <"$pidfile")
	[[ $pid != "${_VTLD_OLD[$ns]:-}" ]] ||
		vtl_fail "vtld in $ns did not rewrite $pidfile (still names the old pid $pid)"
	_vtl_alive "$pid" || {
		tail -n 40 "$log" >&2
		vtl_fail "vtld in $ns: pidfile names pid $pid, which is not running (stale pidfile not rewritten?)"
	}
	_VTL_PIDS+=("$pid")
	_VTLD_PID[$ns]=$pid
	[[ -S $sock ]] || vtl_fail "vtld in $ns is ready but $sock is not a socket"
	vtl_log "vtld up in $ns on $ifc (pid $pid)"
}

# vtld_stop NS [SIGNAL]: send SIGTERM (or SIGNAL, e.g. KILL) to the vtld of
# NS and wait up to 10 s for it to exit; fails if it does not.
vtld_stop() {
	local ns=$1 sig=${2:-TERM} pid
	pid=${_VTLD_PID[$ns]:-}
	[[ -n $pid ]] || vtl_fail "vtld_stop: no vtld started in $ns"
	_vtl_alive "$pid" || vtl_fail "vtld in $ns (pid $pid) died before SIG$sig"
	kill -s "$sig" "$pid"
	wait_for 10 _vtl_not_alive "$pid" || vtl_fail "vtld in $ns (pid $pid) still running 10 s after SIG$sig"
	unset '_VTLD_PID[$ns]'
	_VTLD_OLD[$ns]=$pid
	vtl_log "vtld in $ns stopped (SIG$sig)"
}

_vtl_not_alive() {
	! _vtl_alive "$1"
}

# vtlctl_status NS OUTFILE: `vtlctl -j status` against the vtld of NS into
# OUTFILE; fails unless it exits 0 and prints valid JSON.
vtlctl_status() {
	local ns=$1 out=$2
	in_ns_t 20 "$ns" "$BIN/vtlctl" --socket "$(vtld_sock "$ns")" -j status >"$out" 2>"$out.err" ||
		vtl_fail "vtlctl status in $ns failed: $(cat "$out.err")"
	python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$out" 2>/dev/null ||
		vtl_fail "vtlctl -j status in $ns printed invalid JSON: $(head -c 300 "$out")"
}

# vtl_counter STATUSFILE NAME: value of counters[NAME] in a vtlctl status
# JSON; fails when the counter is missing.
vtl_counter() {
	local v
	v=$(vtl_json "$1" "d.get('counters', {}).get('$2', 'MISSING')")
	[[ $v == MISSING ]] && vtl_fail "counter '$2' missing from $(basename "$1")"
	echo "$v"
}

# vtlcat_listen NS PORT OUTFILE LOG [EXTRA...]: start `vtlcat -l` in NS and
# wait (10 s) for "vtlcat: listening on port PORT". Leaves the pid in
# VTL_BG_PID.
vtlcat_listen() {
	local ns=$1 port=$2 out=$3 log=$4
	shift 4
	vtl_bg "$ns" "$log" "$BIN/vtlcat" -l -p "$port" -o "$out" --socket "$(vtld_sock "$ns")" -v "$@"
	wait_for_line "$log" "vtlcat: listening on port $port\b" 10 "$VTL_BG_PID"
}

# vtlcat_send_bg NS HOST PORT FILE LOG [EXTRA...]: the same, in the
# background (VTL_BG_PID); wait for it with vtl_expect_exit or vtl_wait_pid.
vtlcat_send_bg() {
	local ns=$1 host=$2 port=$3 file=$4 log=$5
	shift 5
	vtl_bg "$ns" "$log" "$BIN/vtlcat" "$@" -p "$port" --socket "$(vtld_sock "$ns")" -v "$host" \
		<"$file"
}

# vtlperf_server NAME [ARGS...]: `vtlperf -s -1 ARGS` in NS_B on a fresh
# port (PORT), its output to $T/srv-NAME.log; waits for its "listening"
# line (every listener armed). Leaves the pid in SRV.
vtlperf_server() {
	local name=$1
	shift
	PORT=$(vtl_rand_port)
	vtl_bg "$NS_B" "$T/srv-$name.log" "$BIN/vtlperf" -s -1 -p "$PORT" \
		--socket "$(vtld_sock "$NS_B")" "$@"
	SRV=$VTL_BG_PID
	wait_for_line "$T/srv-$name.log" "^vtlperf: listening on port $PORT " 30 "$SRV"
}

# vtlperf_client SECS NAME [ARGS...]: `vtlperf -c IP_B -p PORT ARGS` in
# NS_A; stdout to $T/cli-NAME.out (JSON with -j), stderr to
# $T/cli-NAME.log. Returns its exit status.
vtlperf_client() {
	local secs=$1 name=$2 rc=0
	shift 2
	in_ns_t "$secs" "$NS_A" "$BIN/vtlperf" -c "$IP_B" -p "$PORT" \
		--socket "$(vtld_sock "$NS_A")" "$@" >"$T/cli-$name.out" 2>"$T/cli-$name.log" || rc=$?
	return "$rc"
}

# vtl_xfer_start NAME NS_RX NS_TX HOST SIZE [EXTRA...]: a vtlcat transfer of
# SIZE random bytes from NS_TX to HOST (in NS_RX), in the background:
# listener first, then the sender ($T/NAME.in, .out, rx-NAME.log,
# tx-NAME.log); finish it with vtl_xfer_finish.
declare -A _VTL_XFER_RX _VTL_XFER_TX
vtl_xfer_start() {
	local name=$1 nrx=$2 ntx=$3 host=$4 size=$5 port
	shift 5
	vtl_mkfile "$T/$name.in" "$size"
	port=$(vtl_rand_port)
	vtlcat_listen "$nrx" "$port" "$T/$name.out" "$T/rx-$name.log"
	_VTL_XFER_RX[$name]=$VTL_BG_PID
	vtlcat_send_bg "$ntx" "$host" "$port" "$T/$name.in" "$T/tx-$name.log" "$@"
	_VTL_XFER_TX[$name]=$VTL_BG_PID
}

# vtl_xfer_finish NAME SECS WHAT: both ends of transfer NAME exit 0 (the
# sender within SECS) and the bytes arrived exact.
vtl_xfer_finish() {
	local name=$1 secs=$2 what=$3
	vtl_expect_exit "${_VTL_XFER_TX[$name]}" "$secs" "sender: $what" "$T/tx-$name.log"
	vtl_expect_exit "${_VTL_XFER_RX[$name]}" 60 "receiver: $what" "$T/rx-$name.log"
	vtl_assert_same_file "$T/$name.in" "$T/$name.out" "$what"
}

# vtlcat_send SECS NS HOST PORT FILE LOG [EXTRA...]: send FILE with vtlcat
# (extra args e.g. -g gbn) from NS to HOST:PORT; stderr (with -v stats) to
# LOG. Fails unless it exits 0 within SECS.
vtlcat_send() {
	local secs=$1 ns=$2 host=$3 port=$4 file=$5 log=$6 rc=0
	shift 6
	in_ns_t "$secs" "$ns" "$BIN/vtlcat" "$@" -p "$port" --socket "$(vtld_sock "$ns")" -v "$host" \
		<"$file" >"$log" 2>&1 || rc=$?
	if [[ $rc -ne 0 ]]; then
		echo "----- tail of $log -----" >&2
		tail -n 20 "$log" >&2
		[[ $rc -eq 124 ]] && vtl_fail "vtlcat to $host:$port timed out after ${secs}s"
		vtl_fail "vtlcat to $host:$port: exit status $rc"
	fi
	vtl_pass "vtlcat $* to $host:$port exited 0"
}

# ---------------------------------------------------------------------------
# vtl-netem: the network emulator (tools/vtl-netem, docs/vtl-netem.md)
# ---------------------------------------------------------------------------

# vtl_topo_netem [NETEM_ARGS...]: A -- R -- B with vtl-netem in R as a
# transparent L2 delay line. A and B share one /24 (10.233.x.0/24, x
# random; ARP crosses the line too); R has no address, ip_forward=0, no
# bridge and IPv6 off on its veths, so only vtl-netem moves frames between
# IF_RA and IF_RB. Offloads (tso gso gro tx csum) are off on all four veths.
# Then starts vtl-netem in R with vtl_netem_start [NETEM_ARGS] (below) and
# waits for its readiness signal.
# Sets NS_A NS_B NS_R IF_A IF_B IF_RA IF_RB IP_A IP_B NET_PREFIX, NETEM_CTL
# (control socket), NETEM_LOG and NETEM_PID; the pid is recorded for cleanup.
vtl_topo_netem() {
	local x ifc
	vtl_require_bins vtl-netem
	_vtl_new_sfx
	x=$((16#$(_vtl_rand_hex 1)))
	_vtl_add_ns a NS_A
	_vtl_add_ns r NS_R
	_vtl_add_ns b NS_B
	IF_A="va-$VTL_SFX"
	IF_RA="vra-$VTL_SFX"
	IF_B="vb-$VTL_SFX"
	IF_RB="vrb-$VTL_SFX"
	_vtl_veth "$NS_A" "$IF_A" "$NS_R" "$IF_RA"
	_vtl_veth "$NS_B" "$IF_B" "$NS_R" "$IF_RB"
	NET_PREFIX="10.233.$x"
	IP_A="$NET_PREFIX.1"
	IP_B="$NET_PREFIX.2"
	ip -n "$NS_A" addr add "$IP_A/24" dev "$IF_A"
	ip -n "$NS_B" addr add "$IP_B/24" dev "$IF_B"
	in_ns "$NS_R" sh -c 'echo 0 > /proc/sys/net/ipv4/ip_forward'
	for ifc in "$IF_RA" "$IF_RB"; do
		in_ns "$NS_R" sh -c "echo 1 > /proc/sys/net/ipv6/conf/$ifc/disable_ipv6" 2>/dev/null || true
	done
	_vtl_offloads_off "$NS_A" "$IF_A"
	_vtl_offloads_off "$NS_R" "$IF_RA"
	_vtl_offloads_off "$NS_R" "$IF_RB"
	_vtl_offloads_off "$NS_B" "$IF_B"
	_vtl_links_up "$NS_A" "$IF_A" "$NS_R" "$IF_RA" "$NS_R" "$IF_RB" "$NS_B" "$IF_B"

	vtl_netem_start "$@"
	vtl_log "topology netem: $NS_A/$IF_A $IP_A <-> [$IF_RA vtl-netem $IF_RB in $NS_R] <-> $NS_B/$IF_B $IP_B"
}

# vtl_netem_start [NETEM_ARGS...]: (re)start vtl-netem in NS_R between IF_RA
# and IF_RB, after vtl_topo_netem (e.g. once vtl_netem_stop has stopped the
# previous one, to try other start-up options such as --tbf):
#   vtl-netem -a IF_RA -b IF_RB --ctl $T/netem.sock --pidfile $T/netem.pid
#             --rt [NETEM_ARGS]
# without -f, stdout/stderr appended to $T/netem.log. --rt (SCHED_FIFO) keeps
# frames on time while the hosts load the CPUs (measured: max lateness
# 2-12 ms instead of 12-53 ms during a TCP transfer); VTL_NETEM_RT=0 leaves
# it out. Waits for its
# readiness signal: the parent exits 0 once both sockets are bound, XDP_PASS
# is attached and the control socket listens. Fails, with the log, unless
# it is ready within 30 s. Sets NETEM_CTL NETEM_LOG NETEM_PID and records
# the pid for cleanup.
vtl_netem_start() {
	local rc=0 pidfile rt=(--rt)
	[[ ${VTL_NETEM_RT:-1} == 0 ]] && rt=()
	NETEM_CTL="$T/netem.sock"
	NETEM_LOG="$T/netem.log"
	pidfile="$T/netem.pid"
	(( ${#NETEM_CTL} < 108 )) || vtl_fail "socket path too long for AF_UNIX: $NETEM_CTL"
	printf '===== vtl-netem start (%s): %s\n' "$(date +%T.%N)" "${rt[*]} $*" >>"$NETEM_LOG"
	timeout -k 5 30 nsenter --net="/run/netns/$NS_R" -- \
		"$BIN/vtl-netem" -a "$IF_RA" -b "$IF_RB" --ctl "$NETEM_CTL" \
		--pidfile "$pidfile" "${rt[@]}" "$@" </dev/null >>"$NETEM_LOG" 2>&1 || rc=$?
	if [[ $rc -ne 0 ]]; then
		echo "----- $NETEM_LOG -----" >&2
		tail -n 40 "$NETEM_LOG" >&2
		[[ $rc -eq 124 ]] && vtl_fail "vtl-netem did not report ready within 30 s"
		vtl_fail "vtl-netem failed to start (exit status $rc)"
	fi
	NETEM_PID=$(tr -dc 0-9 <"$pidfile" 2>/dev/null || true)
	_vtl_alive "$NETEM_PID" || vtl_fail "vtl-netem is ready but its pidfile names no live process"
	_VTL_PIDS+=("$NETEM_PID")
	[[ -S $NETEM_CTL ]] || vtl_fail "vtl-netem is ready but $NETEM_CTL is not a socket"
	vtl_log "vtl-netem up in $NS_R between $IF_RA and $IF_RB (pid $NETEM_PID): $*"
}

# vtl_netem_ctl ARGS...: `vtl-netem ctl $NETEM_CTL ARGS...` (any command:
# set, show, stats -j, reset, seed N); its output on stdout. Fails, with
# vtl-netem's message, unless it exits 0 within 10 s.
vtl_netem_ctl() {
	local out rc=0
	out=$(timeout -k 2 10 "$BIN/vtl-netem" ctl "$NETEM_CTL" "$@" 2>&1) || rc=$?
	[[ $rc -eq 0 ]] || vtl_fail "vtl-netem ctl $*: ${out:-exit status $rc}"
	printf '%s\n' "$out"
}

# vtl_netem_set ARGS...: `vtl-netem ctl $NETEM_CTL set ARGS...`, e.g.
#   vtl_netem_set a2b delay 160ms loss 2%
# Fails unless vtl-netem accepts the change; logs the new settings.
vtl_netem_set() {
	local out
	out=$(vtl_netem_ctl set "$@") || exit 1
	vtl_log "netem set $*"
	_vtl_dbg "$out"
}

# vtl_netem_stats FILE: `vtl-netem ctl $NETEM_CTL stats -j` into FILE (JSON:
# per direction a2b/b2a, "params" and "counters"). Read it with vtl_json,
# e.g. vtl_json FILE "d['a2b']['counters']['drop_loss']".
vtl_netem_stats() {
	vtl_netem_ctl stats -j >"$1" || exit 1
	python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$1" 2>/dev/null ||
		vtl_fail "vtl-netem stats -j printed invalid JSON: $(head -c 300 "$1")"
}

# vtl_netem_count FILE DIR NAME: one counter of a vtl_netem_stats FILE for
# direction DIR (a2b or b2a), e.g. vtl_netem_count "$T/s.json" a2b drop_loss.
# NAME "matched" is rx - passed: the frames the filter handed to the
# impairments (with --filter vtl: exactly the protocol-253 frames). Fails
# when the counter is missing.
vtl_netem_count() {
	local v expr="d['$2']['counters'].get('$3', 'MISSING')"
	[[ $3 == matched ]] && expr="d['$2']['counters']['rx'] - d['$2']['counters']['passed']"
	v=$(vtl_json "$1" "$expr") || vtl_fail "cannot read $2 $3 from $(basename "$1")"
	[[ $v == MISSING ]] && vtl_fail "vtl-netem counter $2 $3 missing from $(basename "$1")"
	echo "$v"
}

# vtl_netem_stop [SIGNAL]: send SIGTERM (or SIGNAL) to vtl-netem and wait up
# to 10 s for it to exit; fails if it does not. The final counters are in
# $NETEM_LOG.
vtl_netem_stop() {
	local sig=${1:-TERM}
	_vtl_alive "${NETEM_PID:-}" || vtl_fail "vtl-netem (pid ${NETEM_PID:-?}) is not running"
	kill -s "$sig" "$NETEM_PID"
	wait_for 10 _vtl_not_alive "$NETEM_PID" ||
		vtl_fail "vtl-netem (pid $NETEM_PID) still running 10 s after SIG$sig"
	vtl_log "vtl-netem stopped (SIG$sig)"
}
