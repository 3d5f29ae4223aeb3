#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""docs_facts: every size and limit that a doc quotes agrees with the code.

The code is the source: include/vtl/*.h, parsed here (stdlib only) for
  - struct sizes:   _Static_assert(sizeof(struct X) == N, ...)
  - constants:      #define VTL_... <number or expression>
  - struct layouts: field offsets and array lengths, computed from the
                    fixed-width types (and checked against the asserts).
The docs are README.md, docs/**/*.md (man pages included) and the READMEs
under tools/ and grafts/template/. What is checked, wherever it appears:

  1. A size quoted next to a struct the headers assert the size of:
     "`struct vtl_state`, 320 bytes", "vtl_ipc_graft_entry (608 bytes)", or
     next to a name for one ("per-session state", "retransmission copies",
     "VTL header", "NEGO payload"; ALIASES below). The size belongs to the
     nearest struct or name before it, within the sentence.
  2. A value quoted next to a constant's name: "`VTL_IPC_ATTACH` = 30",
     "`VTL_IPC_GRAFT_LIST_REQ` (11)".
  3. Array lengths of a struct's fields, in "vtl_x {a, b[N]}" listings and
     in tables of a section that names the struct ("| `reserved[4]` |"),
     and field offsets in such tables ("| 60 | service_port |").
  4. The limits in limits() below (window range, session slots, MSS, header
     length, SACK blocks, graft name length, protocol number, the default
     number of retransmission copies and their memory, ...), found by
     pattern. Each must be found at least once: a rewording that hides a
     fact from this test fails it too, with the pattern to update.
  5. The version in each man page's title block ("% VTLD(8) VTL 0.1.0")
     is CMakeLists.txt's project(vtl VERSION ...).

A disagreement fails with file:line, what the doc says and what the code
says. Run: tests/docs_facts.py [-v] [--root DIR]  (ctest: docs_facts, label
unit). -v lists every check made.
"""
import argparse
import ast
import glob
import operator
import os
import re
import sys

# ---------------------------------------------------------------- headers --

_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
        ast.FloorDiv: operator.floordiv, ast.Div: operator.floordiv,
        ast.LShift: operator.lshift, ast.RShift: operator.rshift,
        ast.BitOr: operator.or_, ast.BitAnd: operator.and_, ast.Mod: operator.mod}


def c_eval(expr, names):
    """An integer C constant expression over known names, or None."""
    e = re.sub(r"\b(0[xX][0-9a-fA-F]+|\d+)[uUlL]*\b", r"\1", " ".join(expr.split()))
    e = re.sub(r"\(\s*(?:__u\d+|__s\d+|unsigned|int|long)\s*\)", "", e)
    e = re.sub(r"sizeof\s*\(\s*struct\s+(\w+)\s*\)", r"__sizeof_\1", e)
    e = e.replace("/", "//")
    try:
        tree = ast.parse(e, mode="eval")
    except SyntaxError:
        return None

    def ev(n):
        if isinstance(n, ast.Expression):
            return ev(n.body)
        if isinstance(n, ast.Constant) and isinstance(n.value, int):
            return n.value
        if isinstance(n, ast.Name):
            if n.id.startswith("__sizeof_"):
                return names.get(("sizeof", n.id[9:]))
            return names.get(n.id)
        if isinstance(n, ast.BinOp) and type(n.op) in _OPS:
            a, b = ev(n.left), ev(n.right)
            return None if a is None or b is None else _OPS[type(n.op)](a, b)
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.USub):
            v = ev(n.operand)
            return None if v is None else -v
        return None
    try:
        return ev(tree)
    except (ZeroDivisionError, TypeError):
        return None


_SCALARS = {"__u8": 1, "__s8": 1, "char": 1, "__u16": 2, "__s16": 2, "__be16": 2,
            "__u32": 4, "__s32": 4, "__be32": 4, "__u64": 8, "__s64": 8, "__be64": 8}


class Headers:
    def __init__(self, root):
        self.defines = {}       # name -> (value, file, line)
        self.sizes = {}         # struct -> (asserted size, file, line)
        self.structs = {}       # struct -> [(field, type, [dims])]
        self.layout = {}        # struct -> {field: offset}, only if it matches the assert
        self.notes = []
        files = sorted(glob.glob(os.path.join(root, "include", "vtl", "*.h")))
        if not files:
            raise SystemExit("docs_facts: no include/vtl/*.h under %s" % root)
        raw = {f: open(f, encoding="utf-8").read() for f in files}
        names = {}
        # defines, in order, until nothing new resolves (they may refer ahead)
        pending = []
        for f, text in raw.items():
            for i, line in enumerate(text.splitlines(), 1):
                m = re.match(r"\s*#\s*define\s+(VTL_\w+)\s+(.+)$", line)
                if m:
                    val = re.sub(r"/\*.*?(\*/|$)|//.*$", "", m.group(2)).strip()
                    if val:
                        pending.append((m.group(1), val, f, i))
        for _ in range(5):
            left = []
            for name, val, f, i in pending:
                v = c_eval(val, names)
                if v is None:
                    left.append((name, val, f, i))
                else:
                    names[name] = v
                    self.defines[name] = (v, f, i)
            if len(left) == len(pending):
                break
            pending = left
        self.names = names
        for f, text in raw.items():
            body_text = re.sub(r"/\*.*?\*/|//[^\n]*", "", text, flags=re.S)
            for m in re.finditer(r"\benum\s*\w*\s*\{(.*?)\}", body_text, re.S):
                nxt = 0
                for item in m.group(1).split(","):
                    em = re.match(r"\s*(\w+)\s*(?:=\s*(.+))?$", item.strip(), re.S)
                    if not em:
                        continue
                    if em.group(2):
                        v = c_eval(em.group(2), names)
                        if v is None:
                            break
                        nxt = v
                    names.setdefault(em.group(1), nxt)
                    nxt += 1
        for f, text in raw.items():
            nocom = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
            nocom = re.sub(r"//[^\n]*", "", nocom)
            for m in re.finditer(r"\bstruct\s+(\w+)\s*\{(.*?)\}\s*(?:__attribute__\s*\(\(.*?\)\)\s*)?;",
                                 nocom, re.S):
                self.structs[m.group(1)] = self._fields(m.group(2))
            for m in re.finditer(r"_Static_assert\s*\(\s*sizeof\s*\(\s*struct\s+(\w+)\s*\)\s*==\s*"
                                 r"([^,]+),", nocom):
                v = c_eval(m.group(2), names)
                line = nocom.count("\n", 0, m.start()) + 1
                if v is None:
                    self.notes.append("%s:%d: cannot evaluate the size of %s: %s"
                                      % (rel(f), line, m.group(1), m.group(2).strip()))
                    continue
                self.sizes[m.group(1)] = (v, f, line)
                names[("sizeof", m.group(1))] = v
        for s in self.structs:
            lay = self._layout(s, set())
            if lay is None:
                continue
            size, offs = lay
            if s in self.sizes and self.sizes[s][0] != size:
                self.notes.append("layout of struct %s computed as %d bytes, asserted %d: "
                                  "its offsets are not checked" % (s, size, self.sizes[s][0]))
                continue
            self.layout[s] = offs

    def _fields(self, body):
        out = []
        for decl in body.split(";"):
            decl = " ".join(decl.split())
            if not decl or "(" in decl or ":" in decl:
                if decl:
                    out.append((None, None, None))   # something this parser does not model
                continue
            m = re.match(r"(?:const\s+|volatile\s+)*(struct\s+\w+|union\s+\w+|\w+)\s+(.*)$", decl)
            if not m:
                out.append((None, None, None))
                continue
            typ = m.group(1)
            for d in m.group(2).split(","):
                d = d.strip()
                fm = re.match(r"(\**)\s*(\w+)((?:\s*\[[^\]]*\])*)$", d)
                if not fm:
                    out.append((None, None, None))
                    continue
                dims = [c_eval(x, self.names) for x in re.findall(r"\[([^\]]*)\]", fm.group(3))]
                out.append((fm.group(2), "ptr" if fm.group(1) else typ, dims))
        return out

    def _layout(self, s, seen):
        """(size, {field: offset}) with natural alignment, or None."""
        if s in seen or s not in self.structs:
            return None
        off, align, offs = 0, 1, {}
        for name, typ, dims in self.structs[s]:
            if name is None or typ == "ptr" or any(d is None for d in dims):
                return None
            if typ in _SCALARS:
                size = a = _SCALARS[typ]
            elif typ.startswith("struct "):
                sub = self._layout(typ.split()[1], seen | {s})
                if sub is None:
                    return None
                size = sub[0]
                a = self._align(typ.split()[1])
            else:
                return None
            n = 1
            for d in dims:
                n *= d
            off = (off + a - 1) // a * a
            offs[name] = off
            off += size * n
            align = max(align, a)
        return (off + align - 1) // align * align, offs

    def _align(self, s):
        a = 1
        for name, typ, dims in self.structs.get(s, []):
            if typ in _SCALARS:
                a = max(a, _SCALARS[typ])
            elif typ and typ.startswith("struct "):
                a = max(a, self._align(typ.split()[1]))
        return a

    def field(self, s, name):
        for f, typ, dims in self.structs.get(s, []):
            if f == name:
                return typ, dims
        return None


# ------------------------------------------------------------------- docs --

ROOT = "."


def rel(path):
    return os.path.relpath(path, ROOT)


class Block:
    """A paragraph, a table row or a code line, with its first line number.
    Text is joined with single spaces; line_at() maps an offset back."""

    def __init__(self, path, lines):
        self.path = path
        self.starts = []
        parts, pos = [], 0
        for n, text in lines:
            self.starts.append((pos, n))
            parts.append(text)
            pos += len(text) + 1
        self.text = " ".join(parts)

    def line_at(self, off):
        n = self.starts[0][1]
        for pos, ln in self.starts:
            if pos <= off:
                n = ln
        return n


def doc_files(root):
    fs = [os.path.join(root, "README.md")]
    fs += sorted(glob.glob(os.path.join(root, "docs", "**", "*.md"), recursive=True))
    for pat in ("tools/**/README*", "grafts/template/README*"):
        fs += sorted(glob.glob(os.path.join(root, pat), recursive=True))
    return [f for f in fs if os.path.isfile(f)]


def blocks(path):
    """Blocks of one doc, each tagged with its section's heading index."""
    out, para, fence, section = [], [], False, 0
    lines = open(path, encoding="utf-8").read().splitlines()

    def flush():
        if para:
            out.append((section, Block(path, list(para))))
            para.clear()
    for n, line in enumerate(lines, 1):
        s = line.strip()
        if s.startswith("```"):
            flush()
            fence = not fence
            continue
        if fence:
            out.append((section, Block(path, [(n, line)])))
            continue
        if not s:
            flush()
            continue
        if s.startswith("#"):
            flush()
            section += 1
            out.append((section, Block(path, [(n, line)])))
            continue
        if s.startswith("|"):
            flush()
            out.append((section, Block(path, [(n, line)])))
            continue
        para.append((n, line))
    flush()
    return out


# ------------------------------------------------------------------ checks --

# Names the docs use for a struct instead of its C name.
ALIASES = [
    (r"\bVTL header\b", "vtl_hdr"),
    (r"^#+\s*Header\b", "vtl_hdr"),
    (r"\bNEGO payload\b", "vtl_nego"),
    (r"\b(?:per-session|session) state\b", "vtl_state"),
    (r"\bthe state's\b", "vtl_state"),
    (r"\bretransmission (?:copies|copy|buffers?)\b", "vtl_retx_buf"),
    (r"\bgraft metadata\b", "vtl_graft_meta"),
]

SIZE_RE = re.compile(r"(?<![\w.])(\d+)(?:\s?-?\s?)(?:bytes?\b|B\b|-byte\b)")
SENT_END = re.compile(r"\.\s|;|\|")


class Checker:
    def __init__(self, h, verbose):
        self.h = h
        self.verbose = verbose
        self.fails = []
        self.done = []

    def check(self, blk, off, what, doc_val, code_val, src):
        where = "%s:%d" % (rel(blk.path), blk.line_at(off))
        if doc_val == code_val:
            self.done.append("%s: %s = %s" % (where, what, doc_val))
        else:
            self.fails.append("%s: %s: the doc says %s, the code says %s (%s)"
                              % (where, what, doc_val, code_val, src))

    def src(self, kind, name):
        tbl = self.h.sizes if kind == "size" else self.h.defines
        _, f, line = tbl[name]
        return "%s:%d" % (rel(f), line)

    # 1. sizes next to struct names
    def struct_sizes(self, blk):
        t = blk.text
        mentions = []
        for s in self.h.sizes:
            for m in re.finditer(r"\b(?:struct\s+)?%s\b(?![\w\[])" % re.escape(s), t):
                mentions.append((m.start(), m.end(), s))
        for pat, s in ALIASES:
            if s in self.h.sizes:
                for m in re.finditer(pat, t, re.I):
                    mentions.append((m.start(), m.end(), s))
        if not mentions:
            return
        # a constant's name between a struct and a size claims the size
        # ("`vtl_priv_area`: a tag and `VTL_PRIV_BYTES` = 256 bytes")
        for m in re.finditer(r"\bVTL_[A-Z0-9_]+\b", t):
            mentions.append((m.start(), m.end(), None))
        mentions.sort()
        for m in SIZE_RE.finditer(t):
            val = int(m.group(1))
            # "at most 256 bytes" is a limit, not the size of a struct
            if re.search(r"(?:at most|up to|<=|≤|less than|over)\s*$", t[max(0, m.start() - 12):m.start()]):
                continue
            best = None
            for a, b, s in mentions:
                if b <= m.start() and m.start() - b <= 60 and not SENT_END.search(t[b:m.start()]):
                    best = (a, s)
            # "a 320-byte vtl_state": the size before the name
            if best is None and t[m.start():m.end()].endswith("-byte"):
                for a, b, s in mentions:
                    if 0 <= a - m.end() <= 12:
                        best = (a, s)
                        break
            if best is None or best[1] is None:
                continue
            s = best[1]
            self.check(blk, m.start(), "size of struct %s" % s, val, self.h.sizes[s][0],
                       self.src("size", s))

    # 2. constants quoted by name
    def define_values(self, blk):
        for m in re.finditer(r"\b(VTL_\w+)`?\s*(?:\(|=|is\s)\s*(0x[0-9a-fA-F]+|\d+)\b(?![\w.])",
                             blk.text):
            name = m.group(1)
            if name not in self.h.defines:
                continue
            self.check(blk, m.start(), name, int(m.group(2), 0), self.h.defines[name][0],
                       self.src("define", name))

    # 3. field arrays and offsets
    def fields(self, blk, ctx):
        t = blk.text
        for m in re.finditer(r"\b(vtl_\w+)`?\s*\{([^}]*)\}", t):
            s = m.group(1)
            for fm in re.finditer(r"\b(\w+)\[(\d+)\]", m.group(2)):
                self._field_dim(blk, m.start(2) + fm.start(), s, fm.group(1), int(fm.group(2)))
        if not ctx or not t.lstrip().startswith("|"):
            return
        cells = [c.strip().strip("`").strip() for c in t.strip().strip("|").split("|")]
        for i, c in enumerate(cells[:2]):
            fm = re.match(r"(\w+)(?:\[(\d+)\])?(?:\s*\((\d+)\))?$", c)
            if not fm or fm.group(1).isdigit():
                continue
            if fm.group(2):
                self._field_dim(blk, 0, ctx, fm.group(1), int(fm.group(2)))
            if i == 1 and cells[0].isdigit() and ctx in self.h.layout:
                offs = self.h.layout[ctx]
                if fm.group(1) in offs:
                    self.check(blk, 0, "offset of %s.%s" % (ctx, fm.group(1)), int(cells[0]),
                               offs[fm.group(1)], "computed from include/vtl")
            break

    def _field_dim(self, blk, off, s, field, dim):
        f = self.h.field(s, field)
        if not f or not f[1] or f[1][0] is None:
            return
        self.check(blk, off, "length of %s.%s[]" % (s, field), dim, f[1][0],
                   "struct %s in include/vtl" % s)

    def context(self, blk, ctx):
        """The struct a section is about: the last one it names."""
        found = None
        for m in re.finditer(r"\b(?:struct\s+)?(vtl_\w+)\b", blk.text):
            if m.group(1) in self.h.structs:
                found = m.group(1)
        return found or ctx


def limits(h):
    """(what, pattern, expected, near): every match of pattern (its group 1)
    must give the expected value; with near, only matches that have near
    within 100 characters before them or 40 after (the same sentence)."""
    d = {k: v[0] for k, v in h.defines.items()}
    sz = {k: v[0] for k, v in h.sizes.items()}
    retx_mib = d["VTL_RETX_BUFS_DEFAULT"] * sz["vtl_retx_buf"] / 2**20
    retx_kib = sz["vtl_retx_buf"] / 1024
    page = (d["VTL_IPC_MAX_DATA"] - sz["vtl_ipc_graft_list"]) // sz["vtl_ipc_graft_entry"]
    retx = r"retx-buffers|retransmission (?:buffers|copies)"
    return [
        # "1..4096" said of the window option; not a graft's own "range 1..64"
        ("window range (VTL_WINDOW_MAX)", r"(?<![/\w])(?<!range )1\s?\.\.\s?(\d+)",
         d["VTL_WINDOW_MAX"], r"(?i)\bwindow\b"),
        ("session slots (VTL_MAX_SESSIONS - slot 0)", r"\b(\d+) (?:session )?slots\b",
         d["VTL_MAX_SESSIONS"] - 1, None),
        ("slot range (VTL_MAX_SESSIONS)", r"\bslots? \(?1\s?\.\.\s?(\d+)", d["VTL_MAX_SESSIONS"] - 1, None),
        ("largest payload (VTL_MSS_MAX)", r"(?:at most|>|≤|<=)\s*(\d{3,})\b", d["VTL_MSS_MAX"],
         r"(?i)payload length"),
        ("header length (VTL_HDR_LEN)", r"hdr_len\s*(?:\(|≠|!=|=)\s*(\d+)", d["VTL_HDR_LEN"], None),
        ("header length (VTL_HDR_LEN)", r"IP (?:payload|header)\s*[−-]\s*(\d+)", d["VTL_HDR_LEN"], None),
        ("header length (VTL_HDR_LEN)", r"IHL\s*\+\s*(\d+)", d["VTL_HDR_LEN"], None),
        ("header length (VTL_HDR_LEN)", r"VTL header is (\d+)", d["VTL_HDR_LEN"], None),
        ("SACK blocks per ACK (VTL_SACK_MAX)", r"(?:up to|at most|to)\s+(\d+)\s+SACK blocks",
         d["VTL_SACK_MAX"], None),
        ("SACK blocks per ACK (VTL_SACK_MAX)", r"there are up to (\d+)", d["VTL_SACK_MAX"], r"SACK"),
        ("graft name length (VTL_GRAFT_NAME_MAX - NUL)", r"at most (\d+) (?:bytes|characters)",
         d["VTL_GRAFT_NAME_MAX"] - 1, r"(?i)\bname\b|\[a-z\]"),
        ("packet types (VTL_T_MAX)", r"\b0 or > (\d+)", d["VTL_T_MAX"], None),
        ("IP protocol (VTL_IPPROTO)", r"\b(?:protocol|proto)[ -](\d{3})\b", d["VTL_IPPROTO"], None),
        ("graft list paths (VTL_IPC_PATH_MAX - NUL)", r"[Pp]aths longer than (\d+) bytes",
         d["VTL_IPC_PATH_MAX"] - 1, None),
        ("graft list page (VTL_IPC_MAX_DATA / vtl_ipc_graft_entry)", r"up to (\d+) entries per reply",
         page, None),
        ("default retransmission copies (VTL_RETX_BUFS_DEFAULT)", r"retx-buffers[^|]*\|\s*(\d+)\s*\|",
         d["VTL_RETX_BUFS_DEFAULT"], None),
        ("default retransmission copies (VTL_RETX_BUFS_DEFAULT)",
         r"\|\s*(\d{3,})\s*(?:\([^)|]*\))?\s*\|\s*$", d["VTL_RETX_BUFS_DEFAULT"], r"retx-buffers"),
        ("default retransmission copies (VTL_RETX_BUFS_DEFAULT)", r"Default:\s*(\d+)",
         d["VTL_RETX_BUFS_DEFAULT"], retx),
        ("default retransmission copies (VTL_RETX_BUFS_DEFAULT)", r"\((\d+) by default\)",
         d["VTL_RETX_BUFS_DEFAULT"], retx),
        ("memory of the default retransmission copies, MiB", r"about (\d+(?:\.\d+)?) MiB",
         retx_mib, retx),
        ("memory of one retransmission copy, KiB", r"about (\d+(?:\.\d+)?) KiB", retx_kib, retx),
    ]


def near(text, m, pat):
    """pat within 100 characters before match m or 40 after it; in a table
    row, anywhere in the row (a row states one fact)."""
    if not pat:
        return True
    if text.lstrip().startswith("|"):
        return re.search(pat, text) is not None
    return re.search(pat, text[max(0, m.start() - 100):m.end() + 40]) is not None


def approx(doc, code):
    """A quoted "about X" equals code rounded to X's decimals."""
    dec = len(doc.split(".")[1]) if "." in doc else 0
    return round(code, dec) == float(doc)


def main():
    global ROOT
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    ROOT = a.root
    h = Headers(a.root)
    c = Checker(h, a.verbose)
    lim = limits(h)
    hits = [0] * len(lim)
    for path in doc_files(a.root):
        ctx, sec = None, -1
        for section, blk in blocks(path):
            if section != sec:
                ctx, sec = None, section
            ctx = c.context(blk, ctx)
            c.struct_sizes(blk)
            c.define_values(blk)
            c.fields(blk, ctx)
            for i, (what, pat, want, filt) in enumerate(lim):
                for m in re.finditer(pat, blk.text):
                    if not near(blk.text, m, filt):
                        continue
                    hits[i] += 1
                    got = m.group(1)
                    if isinstance(want, float):
                        where = "%s:%d" % (rel(path), blk.line_at(m.start()))
                        if approx(got, want):
                            c.done.append("%s: %s = about %s" % (where, what, got))
                        else:
                            c.fails.append("%s: %s: the doc says about %s, the code gives %.2f"
                                           % (where, what, got, want))
                    else:
                        c.check(blk, m.start(), what, int(got), want, "include/vtl")
    # the man pages' title blocks name the project's version
    pm = re.search(r"project\s*\(\s*vtl\s+VERSION\s+([\d.]+)",
                   open(os.path.join(a.root, "CMakeLists.txt"), encoding="utf-8").read())
    mans = sorted(glob.glob(os.path.join(a.root, "docs", "man", "*.md")))
    for path in mans:
        first = open(path, encoding="utf-8").readline()
        mv = re.match(r"%\s*\S+\(\d\)\s+VTL\s+(\S+)\s", first)
        where = "%s:1" % rel(path)
        if not pm:
            c.fails.append("CMakeLists.txt: no project(vtl VERSION ...) to check the man pages against")
            break
        if not mv:
            c.fails.append("%s: the title block names no VTL version (want 'VTL %s')"
                           % (where, pm.group(1)))
        elif mv.group(1) != pm.group(1):
            c.fails.append("%s: man page version: the doc says %s, CMakeLists.txt's project() "
                           "says %s" % (where, mv.group(1), pm.group(1)))
        else:
            c.done.append("%s: man page version = %s" % (where, mv.group(1)))
    # not silent: a fact no doc states any more is a reworded doc this test
    # no longer sees, or a fact dropped on purpose; either way, say so
    seen = {}
    for (what, pat, want, filt), n in zip(lim, hits):
        seen[what] = seen.get(what, 0) + n
    for what, n in seen.items():
        if not n:
            c.fails.append("no doc states the %s any more (or its wording changed): "
                           "update the pattern in tests/docs_facts.py" % what)
    for note in h.notes:
        print("note: " + note)
    if a.verbose:
        for d in c.done:
            print("ok   " + d)
    for f in c.fails:
        print("FAIL " + f)
    print("docs_facts: %d facts checked in %d docs against %d struct sizes and %d constants "
          "of include/vtl: %d disagree" % (len(c.done) + len(c.fails), len(doc_files(a.root)),
                                            len(h.sizes), len(h.defines), len(c.fails)))
    return 1 if c.fails else 0


if __name__ == "__main__":
    sys.exit(main())
