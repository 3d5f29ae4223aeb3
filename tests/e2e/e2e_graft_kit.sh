#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# e2e_graft_kit: a graft written out of tree, from an installed VTL only.
#   1. `cmake --install $BUILD --prefix $T/prefix`; from here on every tool,
#      header, pool object and .pc file comes from $T/prefix
#   2. the installed vtlctl writes a new graft from the template
#      (`graft new kitg`) into $T/work, outside the source tree
#   3. `make` builds it with PKG_CONFIG_PATH=$T/prefix/.../pkgconfig only: the
#      compiler's include paths all point into $T/prefix (and the system),
#      none into the source or build tree; libvtl.pc resolves too
#   4. two hosts (veth pair) run the installed vtld on copies of the
#      installed pool; the graft is dropped into both running pools
#      (`make install POOL=...`: temp file + rename; a plain cp on B),
#      both list it without a restart, `vtlcat -g kitg` negotiates it and
#      moves a 4 MB file byte-exact
#   5. `vtlctl -j graft test kitg.o` (the installed script and test
#      library) carries 1 MB through vtl-netem at 1 % loss, byte-exact
# shellcheck source-path=SCRIPTDIR source=../lib/netns.sh
. "$(dirname "$0")/../lib/netns.sh"
vtl_test_init e2e_graft_kit
vtl_require_bins vtld vtlcat vtlctl vtl-netem
for c in cmake make clang pkg-config gcc; do
	command -v "$c" >/dev/null || vtl_skip "$c not found"
done

# ---- 1. install ---------------------------------------------------------------------
P=$T/prefix
cmake --install "$BUILD" --prefix "$P" >"$T/install.log" 2>&1 ||
	vtl_fail "cmake --install failed: $(tail -n 5 "$T/install.log")"
pc=$(find "$P" -name vtl-ktf.pc -print -quit)
[[ -n $pc ]] || vtl_fail "no vtl-ktf.pc installed under $P"
[[ -f $(dirname "$pc")/libvtl.pc ]] || vtl_fail "no libvtl.pc next to vtl-ktf.pc"
export PKG_CONFIG_PATH
PKG_CONFIG_PATH=$(dirname "$pc")
vtl_pass "installed to $P (pkg-config dir ${PKG_CONFIG_PATH#"$P"/})"

# Installed binaries only: one directory for the test library's $BIN.
BIN=$T/bin
mkdir -p "$BIN"
for b in vtld vtlcat vtlctl vtl-netem; do
	f=$(find "$P" -type f -name "$b" -perm -u+x -print -quit)
	[[ -n $f ]] || vtl_fail "$b is not installed under $P"
	ln -s "$f" "$BIN/$b"
done
ipool=$(pkg-config --variable=graftdir vtl-ktf)
[[ -f $ipool/canonical.o && -f $ipool/sr.o ]] || vtl_fail "the installed pool $ipool lacks canonical.o/sr.o"

# ---- 2. graft new ---------------------------------------------------------------------
mkdir -p "$T/work"
(cd "$T/work" && "$BIN/vtlctl" graft new kitg) >"$T/new.log" 2>&1 ||
	vtl_fail "graft new: $(cat "$T/new.log")"
G=$T/work/kitg
[[ -f $G/kitg.bpf.c && -f $G/Makefile ]] || vtl_fail "graft new wrote no kitg.bpf.c/Makefile: $(ls "$G")"
cmp -s <(sed 's/kitg/mygraft/g' "$G/kitg.bpf.c") "$(pkg-config --variable=templatedir vtl-ktf)/mygraft.bpf.c" ||
	vtl_fail "kitg.bpf.c is not the installed template renamed"
vtl_pass "vtlctl graft new kitg: the installed template, renamed"

# ---- 3. out-of-tree build via pkg-config ---------------------------------------------
make -C "$G" >"$T/make.log" 2>&1 || vtl_fail "make: $(tail -n 20 "$T/make.log")"
[[ -s $G/kitg.o ]] || vtl_fail "make built no kitg.o"
cc_line=$(grep -E '^clang .* -c kitg\.bpf\.c' "$T/make.log") || vtl_fail "no compile line in $(cat "$T/make.log")"
src_real=$(cd "$VTL_SRC_DIR" && pwd -P)
build_real=$(cd "$BUILD" && pwd -P)
for arg in $cc_line; do
	[[ $arg == -I* ]] || continue
	d=$(readlink -f "${arg#-I}")
	[[ $d == "$src_real"* || $d == "$build_real"* ]] &&
		vtl_fail "the graft build uses an include path into the source/build tree: $arg"
	[[ $d == "$P"/* || $d == /usr/include* ]] || vtl_fail "unexpected include path $arg"
done
grep -q -- '-mcpu=v3' <<<"$cc_line" || vtl_fail "the compile line lacks -mcpu=v3: $cc_line"
vtl_pass "built out of tree with pkg-config only: $cc_line"
pkg-config --cflags --libs libvtl >"$T/libvtl.flags" || vtl_fail "pkg-config libvtl failed"
libdir=$(pkg-config --variable=libdir libvtl)
incdir=$(pkg-config --variable=includedir libvtl)
[[ -f $libdir/libvtl.a && -f $incdir/vtl/vtl.h && -f $incdir/vtl/ktf/vtl_ktf.h ]] ||
	vtl_fail "libvtl.pc points to $libdir and $incdir, which lack libvtl.a / vtl/vtl.h / vtl/ktf"
vtl_pass "libvtl.pc resolves into the prefix: $(cat "$T/libvtl.flags")"
"$BIN/vtlctl" -j graft verify "$G/kitg.o" >"$T/verify.json" || vtl_fail "graft verify kitg.o: $(cat "$T/verify.json")"
vtl_assert_eq "$(vtl_json "$T/verify.json" "[d['ok'], d['name']]")" '[true, "kitg"]' "kitg.o verifies"

# ---- 4. hot add into running pools, negotiate, transfer -----------------------------
mkdir -p "$T/pool-a" "$T/pool-b"
cp "$ipool"/*.o "$T/pool-a/"
cp "$ipool"/*.o "$T/pool-b/"
vtl_topo_pair
POOL=$T/pool-a
vtld_start "$NS_A" "$IF_A"
POOL=$T/pool-b
vtld_start "$NS_B" "$IF_B"
make -C "$G" install POOL="$T/pool-a" >>"$T/make.log" 2>&1 || vtl_fail "make install: $(tail -n 5 "$T/make.log")"
cp "$G/kitg.o" "$T/pool-b/"

_listed() { # NS: the vtld of NS lists kitg as ok
	"$BIN/vtlctl" --socket "$(vtld_sock "$1")" -j graft list >"$T/list-$1.json" 2>/dev/null &&
		[[ $(vtl_json "$T/list-$1.json" "any(g['name'] == 'kitg' and g['state'] == 'ok' for g in d)") == 1 ]]
}
for ns in "$NS_A" "$NS_B"; do
	wait_for 20 _listed "$ns" || vtl_fail "vtld in $ns did not list kitg within 20 s: $(cat "$T/list-$ns.json")"
done
vtl_pass "both running vtlds took kitg into their pools (no restart)"

vtl_mkfile "$T/f4" 4M
port=$(vtl_rand_port)
vtlcat_listen "$NS_B" "$port" "$T/out" "$T/rx.log"
rx=$VTL_BG_PID
vtlcat_send 120 "$NS_A" "$IP_B" "$port" "$T/f4" "$T/tx.log" -g kitg
vtl_expect_exit "$rx" 30 "receiver" "$T/rx.log"
grep -q 'graft kitg v1' "$T/tx.log" || vtl_fail "the session did not run on kitg: $(cat "$T/tx.log")"
vtl_assert_same_file "$T/f4" "$T/out" "4 MB over the out-of-tree graft kitg"
for ns in "$NS_A" "$NS_B"; do
	[[ $(vtld_pid "$ns") == $(tr -dc 0-9 <"$T/$ns.pid") ]] || vtl_fail "vtld in $ns was restarted"
done

# ---- 5. vtlctl graft test from the prefix -------------------------------------------------
rc=0
VTL_TEST_TIMEOUT=150 timeout -k 10 180 "$BIN/vtlctl" -j graft test "$G/kitg.o" size 1M loss 1% >"$T/gtest.json" \
	2>"$T/gtest.log" || rc=$?
[[ $rc == 0 ]] || vtl_fail "vtlctl graft test exited $rc: $(cat "$T/gtest.json") $(tail -n 20 "$T/gtest.log")"
vtl_assert_eq "$(vtl_json "$T/gtest.json" "[d['ok'], d['byte_exact'], d['graft'], d['bytes_received'], d['sha256_sent'] == d['sha256_received']]")" \
	'[true, true, "kitg", 1048576, true]' "graft test: 1 MB byte-exact through vtl-netem at 1 % loss"
vtl_pass "graft test: $(vtl_json "$T/gtest.json" "'goodput %s Mb/s, %d retransmissions, netem dropped %d' % (d['goodput_mbps'], d['retransmissions'], d['netem_dropped']['a2b'] + d['netem_dropped']['b2a'])")"
vtl_pass "a graft built out of tree from the installed kit runs between two namespaces"
