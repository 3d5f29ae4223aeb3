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
#include <string.h>
#include <sys/socket.h>
#include "libvtl_int.h"

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

/* A message from vtld while we are sending can only be bad news. */
static int pending(struct vtl_sock *s)
{
	struct vtl_ipc_hdr h;
	int r = vtl__get(s, &h, NULL, 0, 0, MSG_DONTWAIT);

	if (r == -EAGAIN)
		return 0;
	return r < 0 ? r : vtl__unexpected(s, &h);
}

int vtl__put(struct vtl_sock *s, unsigned type, const void *body, size_t len)
{
	int r, ev;

	if (s->state == VTL_ST_FAILED)
		return s->err;
	for (;;) {
		r = pending(s);
		if (r < 0)
			return r;
		r = vtl__send(s->fd, type, body, len, MSG_DONTWAIT);
		if (r == 0)
			return 0;
		if (conn_lost(r)) {  /* an ERROR may be queued before the close */
			r = pending(s);
			return r < 0 ? r : vtl__fail(s, -VTL_E_DAEMON);
		}
		if (r != -EAGAIN)
			return r;
		/* backpressure: wait until vtld reads, or says something */
		ev = vtl__wait(s->fd, POLLIN | POLLOUT, -1);
		if (ev < 0)
			return ev;
	}
}

void vtl__take_stats(struct vtl_sock *s, const struct vtl_ipc_stats *in)
{
	struct vtl_ipc_stats st;

	memcpy(&st, in, sizeof(st));  /* in may be a caller's unaligned buffer */
	s->stats.bytes = st.bytes;
	s->stats.packets = st.packets;
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
	s->state = VTL_ST_DONE;
}

ssize_t vtl_send_data(vtl_sock *s, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	size_t off, n;
	int r;

	if (!s || (!buf && len) || len > SSIZE_MAX)
		return -VTL_E_BADPARAM;
	if (s->mode != VTL_MODE_SEND)
		return -VTL_E_STATE;
	if (s->state < VTL_ST_OPEN) {
		r = vtl_validate(s, NULL);
		if (r < 0)
			return r;
	}
	if (s->state == VTL_ST_FAILED)
		return s->err;
	if (s->state != VTL_ST_OPEN)
		return -VTL_E_STATE;
	for (off = 0; off < len; off += n) {
		n = len - off < VTL_IPC_MAX_DATA ? len - off : VTL_IPC_MAX_DATA;
		r = vtl__put(s, VTL_IPC_DATA, p + off, n);
		if (r < 0)
			return r;
	}
	return (ssize_t)len;
}

ssize_t vtl_recv_data(vtl_sock *s, void *buf, size_t len)
{
	struct vtl_ipc_hdr h;
	size_t n;
	int r, direct;

	if (!s || (!buf && len))
		return -VTL_E_BADPARAM;
	if (s->mode != VTL_MODE_RECV)
		return -VTL_E_STATE;
	if (s->rlen) {  /* the rest of an earlier DATA message */
		n = len < s->rlen ? len : s->rlen;
		memcpy(buf, s->rbuf + s->roff, n);
		s->roff += n;
		s->rlen -= n;
		return (ssize_t)n;
	}
	if (s->state == VTL_ST_DONE)
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
		if (direct)
			return r;
		n = len < (size_t)r ? len : (size_t)r;
		memcpy(buf, s->rbuf, n);
		s->roff = n;
		s->rlen = (size_t)r - n;
		return (ssize_t)n;
	case VTL_IPC_EOF:
		vtl__take_stats(s, direct ? buf : (void *)s->rbuf);
		vtl__dbg(s, "session %#x: end of data", s->stats.session_id);
		return 0;
	}
	return vtl__unexpected(s, &h);
}

int vtl_shutdown(vtl_sock *s, struct vtl_stats *st)
{
	struct vtl_ipc_hdr h;
	int r;

	if (!s)
		return -VTL_E_BADPARAM;
	if (s->mode == VTL_MODE_RECV) {  /* nothing to flush */
		if (st)
			*st = s->stats;
		return 0;
	}
	if (s->state == VTL_ST_FAILED)
		return s->err;
	if (s->state < VTL_ST_OPEN)
		return -VTL_E_STATE;
	if (s->state == VTL_ST_OPEN) {
		r = vtl__put(s, VTL_IPC_SHUTDOWN, NULL, 0);
		if (r < 0)
			return r;
		s->state = VTL_ST_SHUT;
	}
	/* No timeout of our own: vtld decides when the peer is lost. */
	while (s->state == VTL_ST_SHUT) {
		r = vtl__get(s, &h, NULL, 0, -1, 0);
		if (r < 0)
			return r;
		if (h.type != VTL_IPC_DONE)
			return vtl__unexpected(s, &h);
		vtl__take_stats(s, (const void *)s->rbuf);
		vtl__dbg(s, "session %#x: peer has all %llu bytes",
			 s->stats.session_id,
			 (unsigned long long)s->stats.bytes);
	}
	if (st)
		*st = s->stats;
	return 0;
}
