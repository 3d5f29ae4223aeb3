#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""perf_check.py CLIENT_JSON SERVER_JSON N SIZE GRAFT: one vtlperf test of N
sessions of SIZE bytes each over GRAFT, as both ends reported it (-j):
every session opened and ended ok on both sides, exactly N*SIZE bytes each
way, no error, mismatch, missing or orphaned stream, the same test and the
same session ids. Prints each problem; exit 1 if there is any."""
import json
import sys


def main():
    cli, srv = (json.load(open(p)) for p in sys.argv[1:3])
    n, size, graft = int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    bad = []

    def want(what, got, exp):
        if got != exp:
            bad.append(f"{what}: {got!r}, expected {exp!r}")

    ct, st = cli["total"], srv["total"]
    want("client sessions", ct["sessions"], n)
    want("client opened", ct["opened"], n)
    want("client ok", ct["ok"], n)
    want("client errors", ct["errors"], 0)
    want("client bytes", ct["bytes"], n * size)
    want("client per-session entries", len(cli["sessions"]), n)
    want("client sessions not ok", [s["stream"] for s in cli["sessions"] if not s["ok"]][:10], [])
    want("client grafts", sorted({s["graft"] for s in cli["sessions"]}), [graft])
    want("distinct session ids", len({s["session_id"] for s in cli["sessions"]}), n)
    want("same test", srv["test_id"], cli["test_id"])
    want("server streams", srv["streams"], n)
    want("server complete", srv["complete"], True)
    want("server ok", st["ok"], n)
    want("server errors", st["errors"], 0)
    want("server mismatches", st["mismatches"], 0)
    want("server missing", st["missing"], 0)
    want("server orphan errors", st.get("orphan_errors", 0), 0)
    want("server bytes", st["bytes"], n * size)
    want("server ok flag", srv.get("ok", True), True)
    want("server session ids", sorted(s["session_id"] for s in srv["sessions"]),
         sorted(s["session_id"] for s in cli["sessions"]))
    for b in bad:
        print("FAIL:", b, file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
