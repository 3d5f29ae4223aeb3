#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# e2e_graft_verify: the graft developer kit's checks that need no network.
#   1. `vtlctl graft verify` on a graft the verifier rejects
#      (tests/fixtures/bad_verifier.o): exit 1, the reason names the program,
#      the verifier's complaint and the failing instruction, and the log
#      context shows the failing instruction with its source line; -j: the
#      same as one JSON object (ok false, stage load, program, log)
#   2. on good grafts (the template build, sr): exit 0 and the metadata
#      (name, version, services, roles, window); -j too
#   3. `vtlctl graft new`: writes NAME.bpf.c, Makefile, README.md with the
#      placeholder renamed everywhere; refuses to overwrite, refuses bad
#      names (JSON errors with -j); the new graft compiles with the build's
#      BPF flags and verifies under its own name
# shellcheck source-path=SCRIPTDIR source=../lib/netns.sh
. "$(dirname "$0")/../lib/netns.sh"
vtl_test_init e2e_graft_verify
vtl_require_bins vtlctl
FIX=$BUILD/tests/fixtures
TMPL=$BUILD/template/mygraft.o
for f in "$FIX/bad_verifier.o" "$TMPL" "$POOL/sr.o"; do
	[[ -f $f ]] || vtl_skip "$f not built"
done
command -v clang >/dev/null || vtl_skip "clang not found"

json_valid() { python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$1" 2>/dev/null; }

# ---- 1. a verifier error --------------------------------------------------------
rc=0
"$BIN/vtlctl" graft verify "$FIX/bad_verifier.o" >"$T/bad.txt" 2>&1 || rc=$?
vtl_assert_eq "$rc" 1 "graft verify on a verifier error exits 1"
grep -q 'REJECTED at the load stage' "$T/bad.txt" || vtl_fail "no verdict: $(cat "$T/bad.txt")"
grep -qE 'reason .*rejected program vtl_ingress: invalid access to packet.*\(insn 1: r1 = \*\(u8 \*\)\(r1 \+35\)\)' \
	"$T/bad.txt" || vtl_fail "the reason lacks the program, complaint or insn: $(cat "$T/bad.txt")"
grep -qE '^ +1: \(71\) r1 = \*\(u8 \*\)\(r1 \+35\)$' "$T/bad.txt" ||
	vtl_fail "the log context lacks the failing instruction: $(cat "$T/bad.txt")"
grep -qE '^ +; return vh->type == VTL_T_DATA .*@ bad_verifier.bpf.c:[0-9]+$' "$T/bad.txt" ||
	vtl_fail "the log context lacks the failing source line: $(cat "$T/bad.txt")"
vtl_pass "graft verify prints the failing instruction in context: $(grep -m1 reason "$T/bad.txt" | sed 's/^ *//')"

rc=0
"$BIN/vtlctl" -j graft verify "$FIX/bad_verifier.o" >"$T/bad.json" 2>"$T/bad.err" || rc=$?
vtl_assert_eq "$rc" 1 "graft verify -j on a verifier error exits 1"
json_valid "$T/bad.json" || vtl_fail "graft verify -j printed invalid JSON: $(head -c 300 "$T/bad.json")"
vtl_assert_eq "$(vtl_json "$T/bad.json" "[d['ok'], d['stage'], d['program'], d['name'], d['code'] < 0]")" \
	'[false, "load", "vtl_ingress", "bad_verifier", true]' "graft verify -j verdict"
vtl_assert_eq "$(vtl_json "$T/bad.json" "'invalid access to packet' in d['log'] and '1: (71) r1 = *(u8 *)(r1 +35)' in d['log'] and 'insn 1' in d['reason']")" \
	1 "graft verify -j carries the failing instruction and its log context"

# ---- 2. good grafts -----------------------------------------------------------------
for f in "$TMPL" "$POOL/sr.o"; do
	name=$(basename "$f" .o)
	"$BIN/vtlctl" graft verify "$f" >"$T/good.txt" 2>&1 || vtl_fail "graft verify $f: $(cat "$T/good.txt")"
	grep -qE "^  graft +$name v1$" "$T/good.txt" || vtl_fail "no metadata for $name: $(cat "$T/good.txt")"
	grep -qE '^  roles +egress,ingress,listener \(programs: egress,ingress,listener\)$' "$T/good.txt" ||
		vtl_fail "no roles for $name: $(cat "$T/good.txt")"
	grep -qE '^  window +default 64, range 1\.\.4096$' "$T/good.txt" || vtl_fail "no window for $name"
	"$BIN/vtlctl" -j graft verify "$f" >"$T/good.json" || vtl_fail "graft verify -j $f failed"
	json_valid "$T/good.json" || vtl_fail "graft verify -j $f: invalid JSON"
	vtl_assert_eq "$(vtl_json "$T/good.json" "[d['ok'], d['name'], d['version'], d['services'], d['roles'], d['trial_load'], d['log']]")" \
		"[true, \"$name\", 1, [\"reliable\", \"ordered\", \"cc\"], [\"egress\", \"ingress\", \"listener\"], true, \"\"]" \
		"graft verify -j $name: metadata and a passed trial load"
done

# ---- 3. graft new ---------------------------------------------------------------------
cd "$T"
"$BIN/vtlctl" graft new kit_one >"$T/new.txt" || vtl_fail "graft new kit_one: $(cat "$T/new.txt")"
for f in kit_one.bpf.c Makefile README.md; do
	[[ -s kit_one/$f ]] || vtl_fail "graft new did not write kit_one/$f"
done
grep -rq mygraft kit_one && vtl_fail "the placeholder is left in: $(grep -rn mygraft kit_one | head -3)"
grep -q 'VTL_GRAFT_META(.name = "kit_one", .version = 1' kit_one/kit_one.bpf.c || vtl_fail "metadata not renamed"
grep -q '^GRAFT      := kit_one$' kit_one/Makefile || vtl_fail "Makefile not renamed"
vtl_pass "graft new wrote kit_one/{kit_one.bpf.c,Makefile,README.md}, renamed"
"$BIN/vtlctl" -j graft new kit_two "$T/elsewhere" >"$T/new.json" || vtl_fail "graft new -j failed"
vtl_assert_eq "$(vtl_json "$T/new.json" "[d['graft'], d['dir'], len(d['files'])]")" \
	"[\"kit_two\", \"$T/elsewhere\", 3]" "graft new -j NAME DIR"
[[ -s $T/elsewhere/kit_two.bpf.c ]] || vtl_fail "graft new NAME DIR did not write DIR/NAME.bpf.c"

before=$(sha256sum kit_one/* | sha256sum)
rc=0
"$BIN/vtlctl" -j graft new kit_one >"$T/exists.json" || rc=$?
vtl_assert_eq "$rc" 1 "graft new over an existing graft exits 1"
vtl_assert_eq "$(vtl_json "$T/exists.json" "[('exists' in d['error']), d['code']]")" '[true, -17]' \
	"graft new refuses to overwrite (JSON error, EEXIST)"
vtl_assert_eq "$(sha256sum kit_one/* | sha256sum)" "$before" "the existing files are untouched"
for bad in Bad-Name 9lives "" a_name_that_is_far_too_long_for_meta "../x"; do
	rc=0
	"$BIN/vtlctl" -j graft new "$bad" >"$T/badname.json" || rc=$?
	[[ $rc == 1 ]] && json_valid "$T/badname.json" && [[ $(vtl_json "$T/badname.json" "d['code']") == -22 ]] ||
		vtl_fail "graft new '$bad' was not refused with EINVAL: $(cat "$T/badname.json")"
done
vtl_pass "graft new refuses bad names"

# The new graft builds with the same flags as the in-tree ones and verifies
# under its own name (the out-of-tree build from an installed prefix is
# e2e_graft_kit's).
arch=$(gcc -dumpmachine)
clang -g -O2 -target bpf -mcpu=v3 -Wall -Werror -I"$VTL_SRC_DIR/ktf" -I"$VTL_SRC_DIR/include" \
	-I"/usr/include/$arch" -c kit_one/kit_one.bpf.c -o kit_one/kit_one.o ||
	vtl_fail "the new graft does not compile"
"$BIN/vtlctl" -j graft verify kit_one/kit_one.o >"$T/k1.json" || vtl_fail "kit_one.o does not verify: $(cat "$T/k1.json")"
vtl_assert_eq "$(vtl_json "$T/k1.json" "[d['ok'], d['name']]")" '[true, "kit_one"]' "the new graft verifies as kit_one"
vtl_pass "graft verify and graft new"
