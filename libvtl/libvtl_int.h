/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* libvtl internals shared by libvtl.c and data.c. */
#ifndef VTL_LIBVTL_INT_H
#define VTL_LIBVTL_INT_H

#include <stdint.h>
#include <vtl/vtl.h>
#include <vtl/ipc.h>
#include "ipc_client.h"

#define VTL_DEFAULT_PORT       1
#define VTL_DEFAULT_TIMEOUT_MS 3000
/* SEND: vtld owns the negotiation timeout (we pass timeout_ms in OPEN);
 * this much on top of it we wait before declaring vtld hung. */
#define VTL_DECIDE_SLACK_MS    10000

enum vtl_sock_state {
	VTL_ST_INIT,     /* vtl_init done, nothing sent */
	VTL_ST_NEGO,     /* OPEN sent (SEND) */
	VTL_ST_LISTEN,   /* RECV: listener registered (LISTENING seen) */
	VTL_ST_OPEN,     /* SESSION seen: data may flow (both ways) */
	VTL_ST_SHUT,     /* SHUTDOWN sent (our direction), waiting for DONE */
	VTL_ST_DONE,     /* DONE seen: the peer has every byte we sent */
	VTL_ST_FAILED,   /* err holds why; every later call returns it */
};

struct vtl_sock {
	int fd;
	enum vtl_mode mode;
	enum vtl_sock_state state;
	int err;                   /* sticky error once VTL_ST_FAILED */
	char errmsg[128];          /* vtld's or libvtl's words for it */
	int debug;                 /* $VTL_DEBUG: diagnostics on stderr */
	uint32_t peer_addr;        /* network order (IPv4) */
	struct vtl_peer peer;      /* SEND: the peer, IPv4 or IPv6 */
	uint32_t local_addr;       /* network order, 0 = any */
	uint16_t port;
	uint16_t app_port;
	uint32_t flags;            /* VTL_F_* */
	char graft[VTL_GRAFT_NAME_MAX];
	uint32_t window;
	int timeout_ms;
	int have_sess;             /* RECV: SESSION arrived before validate */
	struct vtl_ipc_session sess;
	struct vtl_info info;
	struct vtl_stats stats;
	int have_stats;
	int attached;              /* vtl_attach(): vtld moves the bytes */
	char path[108];            /* vtld's control socket (vtl_get_progress) */
	uint8_t *rbuf;             /* VTL_IPC_MAX_DATA: receive buffer */
	size_t roff, rlen;         /* undelivered DATA in rbuf */
	int rx_eof;                /* EOF seen: the peer's direction is over */
	int sent;                  /* DATA was sent (vtl_close waits for DONE) */
	/* The peer's data that arrived while we were sending or waiting for
	 * DONE (the session is full-duplex): delivered after rbuf's rest. */
	uint8_t *rq;
	size_t rq_head, rq_len, rq_cap;
	uint8_t *sbuf;             /* VTL_IPC_MAX_DATA: what such a read lands in */
};

/* The most the peer's data held back while sending (beyond it, vtld's
 * control socket is left unread: backpressure to the peer). */
#define VTL_RQ_MAX   (8u << 20)
/* ... and while vtl_shutdown() waits for DONE, which comes behind it. */
#define VTL_RQ_SHUT_MAX (256u << 20)

void vtl__dbg(const struct vtl_sock *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Record a fatal error (sticky) and return it. */
int vtl__fail(struct vtl_sock *s, int err);
/* Next message into buf (NULL: s->rbuf; cap >= VTL_IPC_MAX_DATA), waiting
 * until deadline (-1: forever; flags MSG_DONTWAIT: not at all). ERROR is
 * turned into its (sticky) code, as are protocol and connection errors.
 * Returns the body length, -ETIMEDOUT or -EAGAIN. */
int vtl__get(struct vtl_sock *s, struct vtl_ipc_hdr *h, void *buf, size_t cap,
	     int64_t deadline, int flags);
/* An unexpected (but well-formed) message: protocol error. */
int vtl__unexpected(struct vtl_sock *s, const struct vtl_ipc_hdr *h);
/* Send one message, blocking under backpressure, but returning early
 * with the daemon's error if one arrives meanwhile. */
int vtl__put(struct vtl_sock *s, unsigned type, const void *body, size_t len);
/* The same, passing passfd (>= 0) along (SCM_RIGHTS). */
int vtl__put_fd(struct vtl_sock *s, unsigned type, const void *body, size_t len, int passfd);
void vtl__take_stats(struct vtl_sock *s, const struct vtl_ipc_stats *st);

#endif /* VTL_LIBVTL_INT_H */
