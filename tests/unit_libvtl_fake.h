/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* A scripted fake vtld for unit_libvtl: a forked child that listens on
 * a temporary SOCK_SEQPACKET path, accepts one client and runs a script.
 * The daemon side speaks raw framing (not libvtl's helpers), so the
 * client's framing is checked independently. */
#ifndef UNIT_LIBVTL_FAKE_H
#define UNIT_LIBVTL_FAKE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <vtl/ipc.h>

struct fake {
	char dir[64];
	char path[108];
	pid_t pid;
};

typedef void (*fake_script)(int fd, const void *arg);

/* Start the daemon (listening before this returns). 0 or -1. */
int fake_start(struct fake *f, fake_script fn, const void *arg);
/* Wait for the script's end; 0 when every daemon-side check passed. */
int fake_finish(struct fake *f);

/* ---- daemon side (runs in the child) ---- */
extern int fake_errors;
#define D_CHECK(cond, ...) do {                                           \
	if (!(cond)) {                                                    \
		fake_errors++;                                            \
		fprintf(stderr, "  fake vtld %s:%d: check '%s' failed: ",  \
			__FILE__, __LINE__, #cond);                       \
		fprintf(stderr, __VA_ARGS__);                             \
		fputc('\n', stderr);                                      \
	}                                                                 \
} while (0)

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
void d_sleep_ms(int ms);

/* ---- client side (the test process) ---- */
extern int cur_failed;  /* checks failed in the running scenario */
#define CHECK(cond, ...) do {                                             \
	if (!(cond)) {                                                    \
		cur_failed++;                                             \
		fprintf(stderr, "  %s:%d: check '%s' failed: ", __FILE__, \
			__LINE__, #cond);                                 \
		fprintf(stderr, __VA_ARGS__);                             \
		fputc('\n', stderr);                                      \
	}                                                                 \
} while (0)

/* ---- both sides ---- */
uint64_t fnv1a(uint64_t h, const void *p, size_t n);
#define FNV_INIT 0xcbf29ce484222325ull
/* Deterministic test data: byte at stream offset off. */
void pattern(uint8_t *buf, uint64_t off, size_t n);
double mono_ms(void);

#endif
