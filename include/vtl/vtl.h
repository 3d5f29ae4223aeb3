/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * libvtl: the protocol-agnostic API (VTL paper, Table III).
 *
 * Every call returns 0 (or a byte count) on success and a negative
 * error code on failure: -errno or -VTL_E_* (see vtl/errors.h);
 * vtl_strerror() names it.
 */
#ifndef VTL_VTL_H
#define VTL_VTL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "errors.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vtl_sock vtl_sock;

enum vtl_mode {
	VTL_MODE_SEND = 1, /* initiator: negotiates with dst_ip and sends */
	VTL_MODE_RECV = 2, /* responder: waits for a peer's negotiation */
};

/* l4_services bits (same values as on the wire) */
#define VTL_RELIABLE  0x01u
#define VTL_ORDERED   0x02u
#define VTL_PARTIAL   0x04u
#define VTL_CONGESTION_CONTROL 0x08u

/* QoS values, paper Table III. Zero means "no requirement". */
struct vtl_qos {
	uint32_t max_delay_ms;
	uint32_t min_tput_kbps;
	uint32_t max_loss_ppm;   /* tolerated loss, parts per million */
};

/* Options for vtl_init(). Zero-initialise, set .sz = sizeof(struct vtl_opts). */
struct vtl_opts {
	size_t      sz;
	const char *socket_path; /* vtld control socket; NULL: $VTL_SOCKET or default */
	uint16_t    port;        /* service port (listen on / connect to); 0 = 1 */
	const char *graft;       /* ask for this graft by name; NULL: broker chooses */
	uint32_t    window;      /* window tunable; 0 = graft default */
	int         timeout_ms;  /* negotiation timeout; 0 = default (3000) */
	uint32_t    flags;       /* VTL_F_* */
	uint16_t    app_port;    /* the application's port (e.g. the TCP port a
	                          * hooked flow goes to): rules may match on it */
};

/* vtl_opts.flags */
#define VTL_F_SHARED_PORT 0x1u /* RECV: several vtl_socks may listen on one
				* port, each takes one session (all must ask) */
#define VTL_F_NODELAY     0x2u /* like TCP_NODELAY: a short write goes out at
				* once instead of waiting for data in flight */

struct vtl_info {
	uint32_t session_id;
	char     graft[24];
	uint32_t graft_version;
	uint32_t window;
	uint32_t mss;
	char     peer[48];       /* the peer's address: dotted quad or IPv6 */
};

struct vtl_stats {
	uint64_t bytes;          /* SEND socket: bytes sent; RECV: delivered */
	uint64_t packets;
	uint64_t retransmits;
	uint64_t timeouts;
	uint64_t fast_retx;
	uint64_t dup_rx;
	uint64_t ooo_rx;
	uint64_t duration_us;
	uint32_t srtt_us;
	uint32_t session_id;
	uint64_t lost;           /* packets given up on (partial reliability) */
	uint64_t bytes_tx;       /* sessions are full-duplex: bytes we sent */
	uint64_t bytes_rx;       /* ... and bytes the peer sent us, delivered */
};

/* Create a VTL socket bound to the vtld that serves src_ip's interface.
 * mode SEND needs dst_ip (IPv4, or IPv6 with or without [ ]); mode RECV
 * ignores it. src_ip (IPv4) may be NULL. */
int vtl_init(vtl_sock **out, enum vtl_mode mode, const char *src_ip,
	     const char *dst_ip, const struct vtl_opts *opts);

/* Hand the application's requirements to vtld and start negotiation
 * (SEND; does not wait for the answer: see vtl_validate). For RECV,
 * registers the listener and returns once vtld confirmed it (at most
 * timeout_ms), so a peer may connect from then on. */
int vtl_negotiate(vtl_sock *s, uint32_t l4_services, const struct vtl_qos *qos);

/* Block until the negotiation is decided. 0: session open, *info filled
 * (may be NULL). -VTL_E_REFUSED, -VTL_E_NOGRAFT, -VTL_E_TIMEOUT, ... */
int vtl_validate(vtl_sock *s, struct vtl_info *info);

/* Send len bytes; blocks under backpressure. Returns len or an error.
 * Either end may send: a session carries both directions, each with its
 * own sequence space. What the peer sends meanwhile is kept for
 * vtl_recv_data (up to 8 MiB; beyond that vtld holds it back). */
ssize_t vtl_send_data(vtl_sock *s, const void *buf, size_t len);

/* Receive up to len bytes, on either end. Returns bytes read, 0 once the
 * peer shut its direction down and everything before was read. */
ssize_t vtl_recv_data(vtl_sock *s, void *buf, size_t len);

/* vtl_recv_data without waiting, as recv(2) with MSG_DONTWAIT: for one
 * thread that drives both directions of a session (send a chunk, take
 * what has arrived, repeat). Returns what is already buffered in libvtl
 * (the rest of an earlier message, what arrived during vtl_send_data or
 * vtl_shutdown) or waiting on vtl_fd(s); 0 once the peer shut its
 * direction down and everything before was read; -EAGAIN when there is
 * nothing yet: poll vtl_fd(s) for POLLIN before trying again (or send,
 * which takes in what arrives meanwhile). Our DONE after vtl_shutdown_nb,
 * when waiting, is taken on the way. Errors as vtl_recv_data (an ERROR
 * from vtld after the data that preceded it); -VTL_E_STATE before the
 * session is open (it never waits for the negotiation: call vtl_validate
 * first). */
ssize_t vtl_recv_data_nb(vtl_sock *s, void *buf, size_t len);

/* Half-close, as shutdown(SHUT_WR): we send no more; block until the peer
 * has every byte we sent (reliable grafts). The peer's direction goes on:
 * vtl_recv_data still returns its data (what arrives while this call
 * waits is kept for it). Fills *st when non-NULL. */
int vtl_shutdown(vtl_sock *s, struct vtl_stats *st);

/* vtl_shutdown without waiting for the peer: the half-close starts (our
 * SHUTDOWN goes to vtld, taking in what arrives meanwhile, as
 * vtl_send_data does) and the call returns. 0 once the peer has every byte
 * (*st filled, as by vtl_shutdown), -EAGAIN until then: call it again
 * when vtl_fd(s) is readable. Meanwhile vtl_recv_data_nb takes the peer's
 * data, EOF and our DONE as they come. */
int vtl_shutdown_nb(vtl_sock *s, struct vtl_stats *st);

/* Hand vtld a connected stream socket (e.g. TCP), so that vtld moves the
 * session's bytes between it and the network itself, without a copy
 * through the caller. The caller keeps fd; vtld uses its own copy, which
 * it closes when done. After this call:
 *  SEND: vtld reads fd until its EOF and sends what it reads (the socket's
 *        FIN is the session's end); vtl_send_data() is refused, and
 *        vtl_shutdown()/vtl_close() wait until the peer has every byte.
 *  RECV: what an earlier vtl_recv_data() left is written to fd first; then
 *        vtld writes what arrives, and shuts fd down for writing (FIN)
 *        after the last byte; vtl_recv_data() returns 0 from then on.
 * A read or write error on fd (e.g. a reset) aborts the session and resets
 * the peer; the caller then sees that error from vtl_shutdown() or
 * vtl_recv_data(). Blocks for one exchange with vtld (RECV: and while
 * earlier data is written to fd). -VTL_E_BADPARAM: fd is not a stream
 * socket; -VTL_E_STATE: the session is not open or already attached. */
int vtl_attach(vtl_sock *s, int fd);

/* Statistics as of the end of the session (after shutdown or EOF). */
int vtl_get_stats(vtl_sock *s, struct vtl_stats *st);

/* Bytes the session has carried so far (SEND: sent, RECV: delivered),
 * asked of vtld over a control connection of its own: it may be called
 * from another thread while s is in use elsewhere (not while, or after,
 * it is closed). -VTL_E_STATE before the session opened. */
int vtl_get_progress(vtl_sock *s, uint64_t *bytes);

/* Close the socket and free everything. Our direction is shut down first
 * if it was not (waiting for the peer to have every byte, if we sent any),
 * and its result returned. Data the peer sends after this resets the
 * session, as for a TCP socket closed with data still coming. */
int vtl_close(vtl_sock *s);

/* Close the socket at once, without waiting for data in flight: vtld
 * resets the session and the peer's vtl_recv_data() fails with
 * -VTL_E_RESET. Frees s. */
int vtl_abort(vtl_sock *s);

/* File descriptor of the control connection (readable when data or a
 * result is pending), for poll(). */
int vtl_fd(const vtl_sock *s);

const char *vtl_strerror(int err);

/* vtld's own words for the last error on s (e.g. "peer refused graft sr:
 * not in its pool"), or "" if it gave none. Valid until vtl_close(). */
const char *vtl_errmsg(const vtl_sock *s);

#ifdef __cplusplus
}
#endif
#endif /* VTL_VTL_H */
