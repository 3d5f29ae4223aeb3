#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# build_variants: the whole tree builds with warnings as errors in the two
# configurations CI's own build (gcc, RelWithDebInfo) does not cover:
#   gcc   Release         (-O3: more flow analysis, e.g. -Wformat-truncation;
#                          NDEBUG: assert()s gone)
#   clang RelWithDebInfo  (clang's own warnings: -Wstring-concatenation, ...)
# each configured afresh with -DVTL_WERROR=ON in a temporary directory under
# the build tree ($VTL_BUILD/build-variants/NAME, removed when it passes,
# kept for a look when it fails). Fails on any configure or build error and
# lists every compiler diagnostic (file:line: warning/error [-Wflag]).
#
#   VTL_BUILD=build tests/build_variants.sh [NAME...]   NAME: gcc-release, clang-relwithdebinfo
#
# ctest runs it with label "build" (tests/CMakeLists.txt). About a minute
# per variant on 2 cores. Exit 77 (skip) only when a compiler is missing.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${VTL_BUILD:-$top/build}
base="$build/build-variants"
jobs=$(nproc 2>/dev/null || echo 2)

# name  C compiler  CMAKE_BUILD_TYPE
variants=(
	"gcc-release gcc Release"
	"clang-relwithdebinfo clang RelWithDebInfo"
)
want=("$@")

fail=0 ran=0
for v in "${variants[@]}"; do
	read -r name cc type <<<"$v"
	if [[ ${#want[@]} -gt 0 && " ${want[*]} " != *" $name "* ]]; then
		continue
	fi
	if ! command -v "$cc" >/dev/null; then
		echo "SKIP: $name: no $cc on this machine"
		continue
	fi
	dir="$base/$name"
	log="$base/$name.log"
	rm -rf "$dir"
	mkdir -p "$dir"
	t0=$(date +%s)
	echo "== $name: $cc $($cc -dumpversion), CMAKE_BUILD_TYPE=$type, VTL_WERROR=ON, -j$jobs"
	ok=1
	if ! cmake -S "$top" -B "$dir" -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE="$type" \
		-DVTL_WERROR=ON >"$log" 2>&1; then
		ok=0
		echo "FAIL: $name: cmake configure failed:"
		tail -n 30 "$log"
	else
		# keep going past a failed file, so that every diagnostic is listed
		keep=(-k)
		grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja' "$dir/CMakeCache.txt" && keep=(-k 0)
		cmake --build "$dir" -j"$jobs" -- "${keep[@]}" >>"$log" 2>&1 || ok=0
	fi
	ran=$((ran + 1))
	# Every diagnostic, once, whether or not the build stopped on it.
	diags=$(grep -E '^[^ ].*:[0-9]+:[0-9]+: (warning|error):' "$log" | sort -u)
	if [[ -n $diags ]]; then
		ok=0
		echo "$name: compiler diagnostics:"
		printf '  %s\n' "${diags//$'\n'/$'\n'  }"
	fi
	if [[ $ok -eq 1 ]]; then
		echo "PASS: $name builds with warnings as errors ($(( $(date +%s) - t0 )) s)"
		rm -rf "$dir" "$log"
	else
		fail=1
		echo "FAIL: $name ($(( $(date +%s) - t0 )) s); the build's output: $log"
		if [[ -z $diags ]]; then
			grep -vE '^\[ *[0-9]+%\]' "$log" | tail -n 25 | sed 's/^/  | /'
		fi
	fi
done
rmdir "$base" 2>/dev/null
[[ $ran -gt 0 ]] || exit 77
exit $fail
