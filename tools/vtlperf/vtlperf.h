/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * vtlperf: iperf3 for VTL. Shared between vtlperf.c (options, helpers),
 * stream.c (one direction of a session: send or check a stream),
 * client.c and server.c.
 */
#ifndef VTLPERF_H
#define VTLPERF_H

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <vtl/vtl.h>
#include "pattern.h"

#define PERF_CHUNK      65536          /* one libvtl DATA message */
#define PERF_STACK      (64 * 1024)    /* per session thread */
#define PERF_PORT       5201
#define PERF_LISTENERS  128            /* server: listeners kept armed */
#define PERF_OPEN_LIMIT 64             /* client: negotiations at once */
#define PERF_SECS       10             /* client: default -t */

/* Exit statuses */
#define PERF_EXIT_OK    0
#define PERF_EXIT_FAIL  1              /* a session failed or a byte was wrong */
#define PERF_EXIT_USAGE 2              /* bad usage, or asked for what is missing */

/*
 * Full-duplex sessions (--bidir): the one place that turns them on. Each
 * session is driven by two struct perf_dir, one per direction, on the
 * session's one thread (perf_duplex: a chunk out, then what has arrived,
 * taken with vtl_recv_data_nb). With 0, only the client's PERF_TX and the
 * server's PERF_RX run, and --bidir is refused.
 */
#define PERF_HAVE_DUPLEX 1
/* perf_duplex: DATA messages taken between two chunks sent, at most */
#define PERF_DRAIN_MAX   16

struct perf_args {
	int server, once, json, verbose, bidir;
	int half;                       /* --half-close (implies bidir) */
	unsigned port, window, listeners, open_limit, nstreams;
	int timeout_ms;
	uint64_t bytes;                 /* per session; 0: time mode */
	unsigned secs;                  /* time mode */
	const char *socket, *graft, *host;
	char ip[16];                    /* host, resolved */
	int corrupt;                    /* $VTLPERF_CORRUPT_AT (debug) */
	uint64_t corrupt_at;            /* payload offset in stream 0 (the
					 * server: in the stream it sends back) */
};

enum { PERF_TX = 0, PERF_RX = 1 };

/* Errors of our own, beside libvtl's (negative, in perf_dir.err) */
#define PERF_E_MISMATCH (-100000)      /* a byte differs from the pattern */
#define PERF_E_HEADER   (-100001)      /* bad or unexpected stream header */
#define PERF_E_SHORT    (-100002)      /* EOF before the announced bytes */
#define PERF_E_LONG     (-100003)      /* more bytes than announced */
#define PERF_E_COUNT    (-100004)      /* vtld's byte count disagrees */

/* One direction of a session. */
struct perf_dir {
	int active;
	struct vtlperf_head h;          /* sent (TX) or received (RX) */
	int have_hdr;                   /* RX: h is in; TX: h went out */
	struct vtlperf_hdr raw;         /* RX: the header, as it comes in */
	size_t raw_got;
	int ended;                      /* TX: shut down; RX: the peer's EOF */
	uint64_t off;                   /* payload bytes sent / checked */
	double t_first, t_end;          /* first payload byte, end */
	int err;                        /* 0 or a negative code */
	char msg[200];                  /* what went wrong, for humans */
	uint64_t bad_off;               /* PERF_E_MISMATCH: where */
	struct vtl_stats st;            /* libvtl's, at the end */
	int have_stats;
};

/* One session: its socket and both directions. */
struct perf_sess {
	vtl_sock *s;
	struct vtl_info info;
	struct perf_dir dir[2];
	double open_ms;                 /* vtl_negotiate + vtl_validate */
	unsigned open_tries;
	int open_err;
	char open_msg[200];
};

/* vtlperf.c */
double perf_now(void);
int perf_thread(pthread_t *t, int detached, void *(*fn)(void *), void *arg);
vtl_sock *perf_open(const struct perf_args *a, enum vtl_mode mode, uint32_t flags,
		    int *err);
void perf_errmsg(char *buf, size_t len, vtl_sock *s, const char *what, int err);
const char *perf_strerror(int err);
double perf_mbps(uint64_t bytes, double secs);
int client_main(const struct perf_args *a);
int server_main(const struct perf_args *a);

/* stream.c */
struct perf_send_opts {
	int time_mode;
	double deadline;                /* time mode: stop sending then */
	int corrupt;                    /* flip the byte at corrupt_at */
	uint64_t corrupt_at;
};
typedef int (*perf_hdr_fn)(void *ctx, struct perf_dir *d);
/* Send d->h and its payload, then shut the direction down (the peer has
 * every byte once this returns 0). buf: PERF_CHUNK bytes. */
int perf_send(vtl_sock *s, struct perf_dir *d, void *buf, const struct perf_send_opts *o);
/* Receive and check a stream until the peer's EOF. on_hdr is called once
 * the header is in (d->h); a negative return rejects the stream. */
int perf_recv(vtl_sock *s, struct perf_dir *d, void *buf, perf_hdr_fn on_hdr, void *ctx);
/* perf_recv until the header is in (and checked by on_hdr): 1, or 0 when
 * the stream also ended, or the error. */
int perf_recv_hdr(vtl_sock *s, struct perf_dir *d, void *buf, perf_hdr_fn on_hdr,
		  void *ctx);
/* Both directions of one session on this thread: tx's stream a chunk at a
 * time, and after each chunk what has arrived of rx's (vtl_recv_data_nb,
 * at most PERF_DRAIN_MAX messages); then tx shut down (a half-close,
 * vtl_shutdown_nb) while rx is read to the peer's EOF, each direction's
 * end timed when it comes. 0, or the first error (in tx or rx). */
int perf_duplex(vtl_sock *s, struct perf_dir *tx, struct perf_dir *rx, void *txbuf,
		void *rxbuf, const struct perf_send_opts *o, perf_hdr_fn on_hdr, void *ctx);

#endif
