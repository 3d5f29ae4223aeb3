/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* A scripted fake vtld for unit_libvtl: a forked child that listens on
 * a temporary SOCK_SEQPACKET path, accepts one client and runs a script.
 * The daemon side speaks raw framing (not libvtl's helpers), so the
 * client's framing is checked independently.
 *
 * Both sides use CHECK (tests/check.h). The child's tally comes back to
 * the test through a pipe when the script ends, so its checks are counted
 * in the one "N passed, N failed" line and fail the running CHECK_CASE.
 *
 * Handshakes instead of sleeps: two pipes between the test and the fake
 * vtld carry one-byte tags. A side that must wait for the other (the fake
 * vtld holding a reply until the client is provably blocked, the test
 * saying it got its answer) waits for a tag with a deadline, and a missed
 * deadline is a failed check that names what did not happen. */
#ifndef UNIT_LIBVTL_FAKE_H
#define UNIT_LIBVTL_FAKE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <vtl/ipc.h>
#include "check.h"

struct fake {
	char dir[64];
	char path[108];
	pid_t pid;
	int to_d;     /* test -> fake vtld tags (write end) */
	int from_d;   /* fake vtld -> test tags (read end) */
	int tally;    /* the fake vtld's check tally (read end) */
};

typedef void (*fake_script)(int fd, const void *arg);

/* Start the daemon (listening before this returns). 0 or -1. */
int fake_start(struct fake *f, fake_script fn, const void *arg);
/* Wait for the script's end and add its checks to the tally; 0 when every
 * daemon-side check passed. */
int fake_finish(struct fake *f);

/* Deadline of every handshake and of d_expect_close, in ms: generous, it
 * only matters when something is broken. */
#define FAKE_DEADLINE_MS 10000

/* ---- daemon side (runs in the child) ---- */
/* Receive one client message: body length, -2 when the client closed,
 * -1 on a framing error (counted). */
int d_recv(int fd, struct vtl_ipc_hdr *h, void *body, size_t cap);
/* Receive one message and require its type; returns the body length. */
int d_expect(int fd, unsigned type, void *body, size_t cap);
/* Require that the client closes without sending anything more. */
void d_expect_close(int fd);
void d_send(int fd, unsigned type, const void *body, size_t len);
void d_send_raw(int fd, const void *buf, size_t len);
void d_send_error(int fd, int code, const char *msg);
/* Tell the test TAG happened. */
void d_post(char tag);
/* Wait up to ms for the test's TAG; a failed check naming WHAT (what the
 * test should have reported) at the deadline. 0, or -1 at the deadline. */
int d_wait(char tag, int ms, const char *what);

/* ---- client side (the test process), on the running fake ---- */
void t_post(char tag);
int t_wait(char tag, int ms, const char *what);

/* ---- both sides ---- */
uint64_t fnv1a(uint64_t h, const void *p, size_t n);
#define FNV_INIT 0xcbf29ce484222325ull
/* Deterministic test data: byte at stream offset off. */
void pattern(uint8_t *buf, uint64_t off, size_t n);
double mono_ms(void);
/* Sleep us microseconds: only to pace a loop that polls a condition. */
void nap_us(long us);

#endif
