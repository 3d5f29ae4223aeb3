# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# shellcheck shell=bash
#
# Hooker helpers for e2e tests; source after netns.sh and vtl_test_init.
#   hk_start NS [ARGS...]   vtl-hooker in NS, hooking its own new cgroup
#   hk_cgroup NS            that cgroup's path
#   hk_run_t SECS NS CMD... run CMD in NS inside the hooked cgroup, time-limited
#   hk_run_bg NS LOG CMD... the same in the background (VTL_BG_PID)
#   hk_show NS OUT          vtlctl hooker show -j > OUT
#   hk_stop NS [SIGNAL]     stop it and wait
# Cleanup (also on failure): the processes go with the test's namespaces,
# then each cgroup made here is removed (after moving any straggler out).

declare -A _HK_PID _HK_CG

hk_cgroup_root() {
	awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts
}

_hk_rm_cgroup() {
	local cg=$1 pid
	[[ -d $cg ]] || return 0
	while read -r pid; do
		[[ -n $pid ]] && echo "$pid" >"$(hk_cgroup_root)/cgroup.procs" 2>/dev/null
	done <"$cg/cgroup.procs"
	rmdir "$cg" 2>/dev/null || echo "WARN: cannot remove cgroup $cg" >&2
}

hk_cgroup() { echo "${_HK_CG[$1]}"; }
hk_ctl() { echo "$T/hk-$1.ctl"; }

# hk_start NS [ARGS...]: start vtl-hooker in NS; waits for its readiness
# signal (the parent exits 0 once it is attached and listening).
hk_start() {
	local ns=$1 root cg log pidfile rc=0 pid
	shift
	root=$(hk_cgroup_root)
	[[ -n $root ]] || vtl_skip "no cgroup v2 mount in /proc/mounts"
	cg=${_HK_CG[$ns]:-$root/vtl-test-$VTL_SFX-${ns##*-}}
	if [[ -z ${_HK_CG[$ns]:-} ]]; then
		_HK_CG[$ns]=$cg
		_VTL_CLEANUP_CMDS+=("_hk_rm_cgroup '$cg'")
	fi
	log="$T/hooker-$ns.log"
	pidfile="$T/hk-$ns.pid"
	printf '===== hk_start %s (%s) =====\n' "$ns" "$(date +%T.%N)" >>"$log"
	timeout -k 5 30 nsenter --net="/run/netns/$ns" -- "$BIN/vtl-hooker" -g "$cg" \
		-s "$(vtld_sock "$ns")" -C "$(hk_ctl "$ns")" -P "$pidfile" -L stderr "$@" \
		</dev/null >>"$log" 2>&1 || rc=$?
	[[ $rc -eq 0 ]] || { tail -n 30 "$log" >&2; vtl_fail "vtl-hooker in $ns did not start ($rc)"; }
	pid=$(tr -dc 0-9 <"$pidfile")
	_vtl_alive "$pid" || vtl_fail "vtl-hooker in $ns: pidfile names dead pid $pid"
	_VTL_PIDS+=("$pid")
	_HK_PID[$ns]=$pid
	vtl_log "vtl-hooker up in $ns (pid $pid, cgroup $cg)"
}

hk_pid() { echo "${_HK_PID[$1]:-}"; }

hk_stop() {
	local ns=$1 sig=${2:-TERM} pid=${_HK_PID[$1]:-}
	[[ -n $pid ]] || vtl_fail "hk_stop: no vtl-hooker in $ns"
	kill -s "$sig" "$pid"
	wait_for 10 _vtl_not_alive "$pid" || vtl_fail "vtl-hooker in $ns alive 10 s after SIG$sig"
	unset '_HK_PID[$ns]'
	vtl_log "vtl-hooker in $ns stopped (SIG$sig)"
}

# hk_run_t SECS NS CMD...: CMD in NS, inside the hooked cgroup (it joins
# the cgroup before exec, so every socket it makes is hooked), with a time
# limit as in_ns_t.
hk_run_t() {
	local secs=$1 ns=$2 cg
	shift 2
	cg=${_HK_CG[$ns]:?hk_run_t: no hooked cgroup in $ns}
	in_ns_t "$secs" "$ns" sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$cg" "$@"
}

hk_run_bg() {
	local ns=$1 log=$2 cg
	shift 2
	cg=${_HK_CG[$ns]:?hk_run_bg: no hooked cgroup in $ns}
	vtl_bg "$ns" "$log" sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$cg" "$@"
}

hk_show() {
	in_ns "$1" "$BIN/vtlctl" -j hooker show ctl "$(hk_ctl "$1")" >"$2"
}

# hk_count NS KEY: one counter of `vtlctl hooker show -j` (e.g. via_vtl).
hk_count() {
	hk_show "$1" "$T/hk-count.json"
	vtl_json "$T/hk-count.json" "d['counters']['$2']"
}
