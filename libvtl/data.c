// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libvtl data path: vtl_send_data, vtl_recv_data, vtl_shutdown, and the
 * message pump under them. vtld applies backpressure by not reading the
 * control socket; a sender blocked on it still wakes up for an ERROR.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "libvtl_int.h"

/* vtl__put with the peer's data held to the limit: how often it looks */
#define RQ_FULL_POLL_MS 50

static int conn_lost(int err)
{
	return err == -EPIPE || err == -ECONNRESET || err == -ENOTCONN ||
	       err == -ECONNREFUSED;
}

int vtl__get(struct vtl_sock *s, struct vtl_ipc_hdr *h, void *buf, size_t cap,
	     int64_t deadline, int flags)
{
	const char *why = "?";
	struct vtl_ipc_error e;
	int r, ev;

	if (s->state == VTL_ST_FAILED)
		return s->err;
	if (!buf) {
		buf = s->rbuf;
		cap = VTL_IPC_MAX_DATA;
	}
	for (;;) {
		if (!(flags & MSG_DONTWAIT)) {
			ev = vtl__wait(s->fd, POLLIN, deadline);
			if (ev == 0)
				return -ETIMEDOUT;
			if (ev < 0)
				return ev;
		}
		r = vtl__recv(s->fd, h, buf, cap, MSG_DONTWAIT, &why);
		if (r != -EAGAIN || (flags & MSG_DONTWAIT))
			break;
	}
	if (r == -EAGAIN)
		return r;
	if (conn_lost(r)) {
		why = "control connection lost";
		r = -VTL_E_DAEMON;
	}
	if (r == -VTL_E_PROTO || r == -VTL_E_DAEMON) {
		vtl__dbg(s, "%s", why);
		if (s->state != VTL_ST_FAILED)
			snprintf(s->errmsg, sizeof(s->errmsg), "%s", why);
		return vtl__fail(s, r);
	}
	if (r < 0)
		return r;
	if (h->type == VTL_IPC_ERROR) {
		memcpy(&e, buf, sizeof(e));
		vtl__dbg(s, "vtld: %s (%d)", e.msg, e.code);
		if (s->state != VTL_ST_FAILED) {
			e.msg[sizeof(e.msg) - 1] = 0;
			snprintf(s->errmsg, sizeof(s->errmsg), "%s", e.msg);
		}
		return vtl__fail(s, e.code);
	}
	return r;
}

int vtl__unexpected(struct vtl_sock *s, const struct vtl_ipc_hdr *h)
{
	vtl__dbg(s, "unexpected %s message from vtld (state %d)",
		 vtl__type_name(h->type), s->state);
	return vtl__fail(s, -VTL_E_PROTO);
}

/* Keep n bytes of the peer's data for vtl_recv_data (rq, a ring that
 * grows). -ENOMEM on failure. */
static int rq_push(struct vtl_sock *s, const uint8_t *p, size_t n)
{
	if (s->rq_len + n > s->rq_cap) {
		size_t cap = s->rq_cap ? s->rq_cap : VTL_IPC_MAX_DATA, first;
		uint8_t *nb;

		while (cap < s->rq_len + n)
			cap *= 2;
		nb = malloc(cap);
		if (!nb)
			return -ENOMEM;
		first = s->rq_len < s->rq_cap - s->rq_head ? s->rq_len : s->rq_cap - s->rq_head;
		if (s->rq_len) {
			memcpy(nb, s->rq + s->rq_head, first);
			memcpy(nb + first, s->rq, s->rq_len - first);
		}
		free(s->rq);
		s->rq = nb;
		s->rq_cap = cap;
		s->rq_head = 0;
	}
	for (size_t done = 0; done < n;) {
		size_t tail = (s->rq_head + s->rq_len) % s->rq_cap;
		size_t k = s->rq_cap - tail < n - done ? s->rq_cap - tail : n - done;

		memcpy(s->rq + tail, p + done, k);
		s->rq_len += k;
		done += k;
	}
	return 0;
}

static size_t rq_pop(struct vtl_sock *s, uint8_t *p, size_t n)
{
	size_t got = 0;

	while (got < n && s->rq_len) {
		size_t k = s->rq_cap - s->rq_head;

		if (k > s->rq_len)
			k = s->rq_len;
		if (k > n - got)
			k = n - got;
		memcpy(p + got, s->rq + s->rq_head, k);
		s->rq_head = (s->rq_head + k) % s->rq_cap;
		s->rq_len -= k;
		got += k;
	}
	if (!s->rq_len)
		s->rq_head = 0;
	return got;
}

/* A message from vtld while we send or wait for DONE: the peer's data
 * and EOF (kept for vtl_recv_data), our DONE, or an error. Takes at most
 * one message, and only while what is kept stays under limit. Returns 1
 * (one taken), 0 (none waiting, or no room), or an error. */
static int absorb(struct vtl_sock *s, size_t limit, int64_t deadline, int flags)
{
	struct vtl_ipc_hdr h;
	int r;

	if (s->rq_len + VTL_IPC_MAX_DATA > limit)
		return 0;
	if (!s->sbuf && !(s->sbuf = malloc(VTL_IPC_MAX_DATA)))
		return -ENOMEM;
	r = vtl__get(s, &h, s->sbuf, VTL_IPC_MAX_DATA, deadline, flags);
	if (r == -EAGAIN)
		return 0;
	if (r < 0)
		return r;
	switch (h.type) {
	case VTL_IPC_DATA:
		if (s->attached)
			return 1;
		r = rq_push(s, s->sbuf, (size_t)r);
		return r < 0 ? vtl__fail(s, r) : 1;
	case VTL_IPC_EOF:
		vtl__take_stats(s, (const void *)s->sbuf);
		s->rx_eof = 1;
		return 1;
	case VTL_IPC_DONE:
		if (s->state != VTL_ST_SHUT)
			break;
		vtl__take_stats(s, (const void *)s->sbuf);
		s->state = VTL_ST_DONE;
		return 1;
	}
	return vtl__unexpected(s, &h);
}

static int pending(struct vtl_sock *s)
{
	int r;

	while ((r = absorb(s, VTL_RQ_MAX, 0, MSG_DONTWAIT)) == 1)
		;
	return r;
}

int vtl__put(struct vtl_sock *s, unsigned type, const void *body, size_t len)
{
	return vtl__put_fd(s, type, body, len, -1);
}

int vtl__put_fd(struct vtl_sock *s, unsigned type, const void *body, size_t len, int passfd)
{
	int r, ev;

	if (s->state == VTL_ST_FAILED)
		return s->err;
	for (;;) {
		r = pending(s);
		if (r < 0)
			return r;
		r = vtl__send_fd(s->fd, type, body, len, MSG_DONTWAIT, passfd);
		if (r == 0)
			return 0;
		if (conn_lost(r)) {  /* an ERROR may be queued before the close */
			r = pending(s);
			return r < 0 ? r : vtl__fail(s, -VTL_E_DAEMON);
		}
		if (r != -EAGAIN)
			return r;
		/* backpressure: wait until vtld reads, or says something. With
		 * the peer's data held up to VTL_RQ_MAX, what waits is not taken
		 * (POLLIN would wake us at once, again and again): look again
		 * every RQ_FULL_POLL_MS, for an ERROR that may come behind it. */
		if (s->rq_len + VTL_IPC_MAX_DATA > VTL_RQ_MAX)
			ev = vtl__wait(s->fd, POLLOUT, vtl__now_ms() + RQ_FULL_POLL_MS);
		else
			ev = vtl__wait(s->fd, POLLIN | POLLOUT, -1);
		if (ev < 0)
			return ev;
	}
}

void vtl__take_stats(struct vtl_sock *s, const struct vtl_ipc_stats *in)
{
	struct vtl_ipc_stats st;

	memcpy(&st, in, sizeof(st));  /* in may be a caller's unaligned buffer */
	/* bytes and packets: what a socket of this mode is about (sent by the
	 * one that connected, delivered to the one that listened); both
	 * directions in bytes_tx/bytes_rx */
	s->stats.bytes = s->mode == VTL_MODE_SEND ? st.bytes : st.bytes_rx;
	s->stats.packets = s->mode == VTL_MODE_SEND ? st.packets : st.packets_rx;
	s->stats.bytes_tx = st.bytes;
	s->stats.bytes_rx = st.bytes_rx;
	s->stats.retransmits = st.retransmits;
	s->stats.timeouts = st.timeouts;
	s->stats.fast_retx = st.fast_retx;
	s->stats.dup_rx = st.dup_rx;
	s->stats.ooo_rx = st.ooo_rx;
	s->stats.duration_us = st.duration_us;
	s->stats.srtt_us = st.srtt_us;
	s->stats.session_id = st.session_id;
	s->stats.lost = st.lost;
	s->have_stats = 1;
}

/* Wait for the negotiation if it is still open; the sticky error if the
 * socket failed. */
static int opened(struct vtl_sock *s)
{
	int r;

	if (s->state < VTL_ST_OPEN) {
		r = vtl_validate(s, NULL);
		if (r < 0)
			return r;
	}
	return s->state == VTL_ST_FAILED ? s->err : 0;
}

ssize_t vtl_send_data(vtl_sock *s, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	size_t off, n;
	int r;

	if (!s || (!buf && len) || len > SSIZE_MAX)
		return -VTL_E_BADPARAM;
	r = opened(s);
	if (r < 0)
		return r;
	if (s->state != VTL_ST_OPEN || s->attached)
		return -VTL_E_STATE;
	for (off = 0; off < len; off += n) {
		n = len - off < VTL_IPC_MAX_DATA ? len - off : VTL_IPC_MAX_DATA;
		r = vtl__put(s, VTL_IPC_DATA, p + off, n);
		if (r < 0)
			return r;
		s->sent = 1;
	}
	return (ssize_t)len;
}

/* What is already here, up to len bytes: the rest of an earlier DATA
 * message first, then what came while we were sending. 0: nothing. */
static size_t take_buffered(struct vtl_sock *s, void *buf, size_t len)
{
	size_t n;

	if (s->rlen) {
		n = len < s->rlen ? len : s->rlen;
		memcpy(buf, s->rbuf + s->roff, n);
		s->roff += n;
		s->rlen -= n;
		return n;
	}
	return s->rq_len ? rq_pop(s, buf, len) : 0;
}

ssize_t vtl_recv_data(vtl_sock *s, void *buf, size_t len)
{
	struct vtl_ipc_hdr h;
	size_t n;
	int r, direct;

	if (!s || (!buf && len))
		return -VTL_E_BADPARAM;
	for (;;) {
		if (len && (n = take_buffered(s, buf, len)))
			return (ssize_t)n;
		if (s->rx_eof)
			return 0;
		if (s->state == VTL_ST_FAILED)
			return s->err;
		if (!len)
			return 0;
		if (s->state < VTL_ST_OPEN) {
			r = vtl_validate(s, NULL);
			if (r < 0)
				return r;
		}
		/* A buffer that holds any DATA message is received into directly. */
		direct = len >= VTL_IPC_MAX_DATA;
		r = vtl__get(s, &h, direct ? buf : NULL, direct ? len : 0, -1, 0);
		if (r < 0)
			return r;
		switch (h.type) {
		case VTL_IPC_DATA:
			if (s->attached)  /* vtld writes into the attached stream */
				continue;
			if (direct)
				return r;
			n = len < (size_t)r ? len : (size_t)r;
			memcpy(buf, s->rbuf, n);
			s->roff = n;
			s->rlen = (size_t)r - n;
			return (ssize_t)n;
		case VTL_IPC_EOF:
			vtl__take_stats(s, direct ? buf : (void *)s->rbuf);
			s->rx_eof = 1;
			vtl__dbg(s, "session %#x: end of data", s->stats.session_id);
			return 0;
		case VTL_IPC_DONE:  /* our direction finished while we read */
			if (s->state != VTL_ST_SHUT)
				return vtl__unexpected(s, &h);
			vtl__take_stats(s, direct ? buf : (void *)s->rbuf);
			s->state = VTL_ST_DONE;
			continue;
		}
		return vtl__unexpected(s, &h);
	}
}

/* The messages already waiting are taken as a sender takes them
 * (absorb: DATA into rq, EOF, our DONE, an ERROR), one at a time, until
 * there is something to return. vtld's messages come in the order it sent
 * them, so DATA before the peer's EOF is returned before the 0. */
ssize_t vtl_recv_data_nb(vtl_sock *s, void *buf, size_t len)
{
	size_t n;
	int r;

	if (!s || (!buf && len))
		return -VTL_E_BADPARAM;
	for (;;) {
		if (len && (n = take_buffered(s, buf, len)))
			return (ssize_t)n;
		if (s->rx_eof)
			return 0;
		if (s->state == VTL_ST_FAILED)
			return s->err;
		if (s->state < VTL_ST_OPEN)
			return -VTL_E_STATE;
		if (!len)
			return 0;
		/* rq is empty here: absorb always has room for one message */
		r = absorb(s, VTL_RQ_MAX, 0, MSG_DONTWAIT);
		if (r <= 0)
			return r ? r : -EAGAIN;
	}
}

/* Our half of a half-close: SHUTDOWN to vtld (OPEN -> SHUT), unless it
 * went already. */
static int shut_start(struct vtl_sock *s)
{
	int r;

	if (s->state == VTL_ST_FAILED)
		return s->err;
	if (s->state < VTL_ST_OPEN)
		return -VTL_E_STATE;
	if (s->state == VTL_ST_OPEN) {
		/* attached: the stream's EOF is the shutdown; vtld sends it */
		r = s->attached ? 0 : vtl__put(s, VTL_IPC_SHUTDOWN, NULL, 0);
		if (r < 0)
			return r;
		s->state = VTL_ST_SHUT;
		if (s->attached && s->mode == VTL_MODE_RECV)
			s->state = VTL_ST_DONE;  /* vtld writes the stream; nothing of ours */
	}
	return 0;
}

static void shut_done(struct vtl_sock *s, struct vtl_stats *st)
{
	vtl__dbg(s, "session %#x: peer has all %llu bytes we sent", s->stats.session_id,
		 (unsigned long long)s->stats.bytes_tx);
	if (st)
		*st = s->stats;
}

int vtl_shutdown(vtl_sock *s, struct vtl_stats *st)
{
	int r;

	if (!s)
		return -VTL_E_BADPARAM;
	r = shut_start(s);
	if (r < 0)
		return r;
	/* No timeout of our own: vtld decides when the peer is lost. The
	 * peer's data may come first: it is kept for vtl_recv_data. */
	while (s->state == VTL_ST_SHUT) {
		r = absorb(s, VTL_RQ_SHUT_MAX, -1, 0);
		if (r < 0)
			return r;
		if (r == 0)
			return vtl__fail(s, -ENOBUFS);
	}
	shut_done(s, st);
	return 0;
}

int vtl_shutdown_nb(vtl_sock *s, struct vtl_stats *st)
{
	int r;

	if (!s)
		return -VTL_E_BADPARAM;
	r = shut_start(s);
	if (r < 0)
		return r;
	while (s->state == VTL_ST_SHUT) {  /* what waits, without waiting */
		r = absorb(s, VTL_RQ_SHUT_MAX, 0, MSG_DONTWAIT);
		if (r < 0)
			return r;
		if (r == 0)
			return -EAGAIN;
	}
	shut_done(s, st);
	return 0;
}

/* All of n bytes to a stream socket, blocking or not. */
static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			int ev = vtl__wait(fd, POLLOUT, -1);

			if (ev < 0)
				return ev;
			continue;
		}
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* SEND: as any message (an ERROR already waiting comes first). RECV: DATA
 * may be waiting, and must stay there (vtl_attach writes it to fd). */
static int put_attach(struct vtl_sock *s, const struct vtl_ipc_attach *a, int fd)
{
	int r;

	if (s->mode == VTL_MODE_SEND)
		return vtl__put_fd(s, VTL_IPC_ATTACH, a, sizeof(*a), fd);
	r = vtl__send_fd(s->fd, VTL_IPC_ATTACH, a, sizeof(*a), 0, fd);
	if (r < 0 && conn_lost(r))
		return vtl__fail(s, -VTL_E_DAEMON);
	return r;
}

int vtl_attach(vtl_sock *s, int fd)
{
	struct vtl_ipc_attach a = { .step = VTL_ATTACH_FD };
	struct vtl_ipc_hdr h;
	socklen_t tl = sizeof(int);
	int type = 0, r;

	if (!s || fd < 0)
		return -VTL_E_BADPARAM;
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) || type != SOCK_STREAM)
		return -VTL_E_BADPARAM;
	r = opened(s);
	if (r < 0)
		return r;
	if (s->attached || (s->mode == VTL_MODE_SEND && s->state != VTL_ST_OPEN))
		return -VTL_E_STATE;
	if (s->mode == VTL_MODE_RECV && s->rlen) {  /* left by vtl_recv_data() */
		r = write_all(fd, s->rbuf + s->roff, s->rlen);
		if (r < 0)
			return r;
		s->rlen = 0;
	}
	if (s->mode == VTL_MODE_RECV && s->rx_eof) {  /* EOF seen, everything written */
		s->attached = 1;
		shutdown(fd, SHUT_WR);
		return 0;
	}
	r = put_attach(s, &a, fd);
	if (r < 0)
		return r;
	/* RECV: what vtld delivered before it took the stream comes first */
	for (;;) {
		r = vtl__get(s, &h, NULL, 0, -1, 0);
		if (r < 0)
			return r;
		if (h.type == VTL_IPC_ATTACHED)
			break;
		if (s->mode == VTL_MODE_RECV && h.type == VTL_IPC_DATA) {
			r = write_all(fd, s->rbuf, (size_t)r);
			if (r < 0)
				return r;
			continue;
		}
		if (s->mode == VTL_MODE_RECV && h.type == VTL_IPC_EOF) {
			vtl__take_stats(s, (const void *)s->rbuf);
			s->rx_eof = 1;
			continue;
		}
		return vtl__unexpected(s, &h);
	}
	s->attached = 1;
	vtl__dbg(s, "stream attached (%s)", s->mode == VTL_MODE_SEND ? "vtld reads it" :
		 "vtld writes it");
	if (s->mode == VTL_MODE_SEND)
		return 0;
	if (s->rx_eof) {  /* EOF came first: vtld kept no copy */
		shutdown(fd, SHUT_WR);
		return 0;
	}
	a.step = VTL_ATTACH_START;
	return put_attach(s, &a, -1);
}
