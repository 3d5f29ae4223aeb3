/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * RUN and CHECK side of the prog-run tests: run a program on a frame with
 * BPF_PROG_TEST_RUN, snapshot the per-CPU counters, read the ring-buffer
 * events, and assert verdicts and exact counter deltas. Checks and cases
 * are tests/check.h's (CHECK, CHECK_CASE, CHECK_DONE).
 */
#ifndef VTL_TEST_HARNESS_H
#define VTL_TEST_HARNESS_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <linux/types.h>
#include <vtl/shared.h>
#include "check.h"
#include "pktgen.h"

struct launcher;

#define X VTL_DIR_XDP
#define T VTL_DIR_TC

struct run {
	int err;         /* -errno of bpf_prog_test_run_opts() */
	__u32 ret;       /* the program's verdict */
	__u32 out_len;
	__u8 out[PKT_MAX + 64];
};

struct cnt {
	__u64 c[2][VTL_CNT_PER_DIR];
};

/* Remember the launcher and root program fds; load the TC shim. */
int harness_init(struct launcher *l, int xdp_fd, int tc_fd);
/* Bind an AF_XDP socket (copy mode) on lo queue 0 into the XSKMAP. */
int harness_xsk_bind_lo(int xsks_map_fd);

void run_prog(bool xdp, const void *in, size_t len, struct run *r);
void snap(struct cnt *c);
const char *cname(int i);
const char *vname(bool xdp, __u32 v);
/* Ring-buffer events (vtl_events) the KTFs post: open once; ev_clear()
 * drops what is queued; ev_collect() takes up to max queued events without
 * waiting; ev_wait() waits up to timeout_ms for one of type on slot
 * (others are dropped) and returns 0, or -ETIMEDOUT. */
int harness_events_open(int events_map_fd);
void ev_clear(void);
int ev_collect(struct vtl_event *out, int max);
int ev_wait(__u32 type, __u32 slot, int timeout_ms, struct vtl_event *out);

/* Counters moved between a and b by exactly the (index, n) int pairs
 * listed (terminated by -1) in direction dir, and nothing else moved. */
bool delta_ok(const char *what, const struct cnt *a, const struct cnt *b, int dir, ...);

#define EXPECT_VERDICT(what, xdp, r, v) do {                                   \
	CHECK((r)->err == 0, "%s: test_run failed: %s", what, strerror(-(r)->err)); \
	CHECK((r)->ret == (__u32)(v), "%s: verdict %s, want %s", what,            \
	      vname(xdp, (r)->ret), vname(xdp, v));                              \
} while (0)

/* Run one frame, check verdict and exact counter deltas (pairs, no -1). */
#define RUN_EXPECT(what, xdp, frame, len, r, verdict, ...) do {                 \
	struct cnt _a, _b;                                                      \
	snap(&_a);                                                              \
	run_prog(xdp, frame, len, r);                                           \
	snap(&_b);                                                              \
	EXPECT_VERDICT(what, xdp, r, verdict);                                  \
	delta_ok(what, &_a, &_b, (xdp) ? X : T, __VA_ARGS__, -1);               \
} while (0)

#endif
