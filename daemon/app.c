// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The applications' side of vtld (app.h): the libvtl client protocol.
 *
 *   OPEN      LISTEN registers a listener on a service port; CONNECT asks
 *             the session layer to negotiate; SESSION follows once it did
 *   DATA      bytes into the session's send queue (either end: sessions
 *             are full-duplex); when the queue is nearly full vtld stops
 *             reading the client (backpressure is the socket's own) until
 *             the transport reports room
 *   SHUTDOWN  the application is done sending (half-close): DONE follows
 *             once the peer has every byte; the peer's data still comes
 *   ATTACH    hand vtld a stream socket to move the bytes itself
 *             (stream.c)
 * Received bytes go to the client as DATA messages, or into its attached
 * stream; a client that does not read gets EPOLLOUT armed, and what it
 * did not take stays unacknowledged. EOF follows the peer's close, once
 * every byte was delivered.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <vtl/errors.h>
#include "app.h"
#include "log.h"
#include "session.h"

static struct client *owner_of(const struct session *s)
{
	return s->owner;
}

/* Listeners per service port: all of them, and those without
 * VTL_OPEN_F_SHARED. A LISTEN checks its port here rather than walking
 * every client: with 10,000 sessions that walk (11,000 clients, one per
 * session and listener) was a third of the responder's CPU, once per
 * session as vtlperf re-arms a listener for each. Every change of a
 * client's state is in this file (one vtld, one app, per process). */
static unsigned int n_listen[65536], n_excl[65536];

static void set_state(struct client *c, enum client_state st)
{
	if (c->state == CL_LISTEN) {
		n_listen[c->port]--;
		n_excl[c->port] -= !c->shared;
	}
	c->state = st;
	if (st == CL_LISTEN) {
		n_listen[c->port]++;
		n_excl[c->port] += !c->shared;
	}
}

/* ---- requests ---- */

static void listen_on(struct app *a, struct client *c, const struct vtl_ipc_open *o)
{
	bool shared = !!(o->flags & VTL_OPEN_F_SHARED);

	(void)a;
	/* (c is CL_NEW: not counted) a shared listener may join shared ones */
	if (n_excl[o->service_port] || (n_listen[o->service_port] && !shared)) {
		client_send_error(c, -EADDRINUSE, "port %u already has a listener",
				  o->service_port);
		return;
	}
	c->port = o->service_port;
	c->shared = shared;
	set_state(c, CL_LISTEN);
	client_send(c, VTL_IPC_LISTENING, NULL, 0);
}

static void req_open(void *ctx, struct client *c, const void *body, __u32 len, int *fdp)
{
	struct app *a = ctx;
	struct vtl_ipc_open o;
	struct session *s;
	char err[256];
	int r;

	(void)len;
	(void)fdp;
	memcpy(&o, body, sizeof(o));
	if (c->state != CL_NEW) {
		client_send_error(c, -VTL_E_STATE, "OPEN on a connection that already has one");
		return;
	}
	if (o.flags & ~(VTL_OPEN_F_SHARED | VTL_OPEN_F_NODELAY)) {
		client_send_error(c, -VTL_E_BADPARAM, "OPEN flags %#x: unknown bits", o.flags);
		return;
	}
	c->nodelay = !!(o.flags & VTL_OPEN_F_NODELAY);
	if (o.mode == VTL_OPEN_LISTEN) {
		listen_on(a, c, &o);
		return;
	}
	if (o.mode != VTL_OPEN_CONNECT) {
		client_send_error(c, -VTL_E_BADPARAM, "OPEN mode %u is neither CONNECT nor LISTEN",
				  o.mode);
		return;
	}
	r = nego_connect(a->ng, c, &o, &s, err, sizeof(err));
	if (r < 0) {
		client_send_error(c, r, "%s", err);
		return;
	}
	if (r == 0) {   /* (r > 0: created and failed; the client was told) */
		c->s = s;
		set_state(c, CL_CONNECTING);
	}
}

static void req_data(void *ctx, struct client *c, const void *body, __u32 len, int *fdp)
{
	struct app *a = ctx;
	struct session *s = c->s;

	(void)fdp;
	if (!s || c->state != CL_SESSION || s->tp.state != TP_OPEN) {
		client_send_error(c, -VTL_E_STATE, "DATA outside an open session");
		return;
	}
	if (s->tp.app_shut) {
		client_send_error(c, -VTL_E_STATE, "DATA after SHUTDOWN");
		return;
	}
	if (c->sfd >= 0) {
		client_send_error(c, -VTL_E_STATE, "DATA on a session with an attached stream");
		return;
	}
	if (tp_tx_room(&s->tp) < len) {
		client_send_error(c, -VTL_E_PROTO, "DATA while the queue is full");
		return;
	}
	if (tp_tx_push(a->tp, &s->tp, body, len)) {
		session_abort(a->ng, s, -ENOMEM, "vtld is out of memory for the send queue",
			      true);
		return;
	}
	if (tp_tx_room(&s->tp) < VTL_IPC_MAX_DATA)
		client_pause_read(c, true);
	tp_output(a->tp, &s->tp);
}

static void req_shutdown(void *ctx, struct client *c, const void *body, __u32 len, int *fdp)
{
	struct app *a = ctx;

	(void)body;
	(void)len;
	(void)fdp;
	if (!c->s || c->state != CL_SESSION || c->s->tp.app_shut) {
		client_send_error(c, -VTL_E_STATE, c->s && c->state == CL_SESSION ?
				  "SHUTDOWN twice" : "SHUTDOWN outside a session");
		return;
	}
	if (c->sfd >= 0) {
		client_send_error(c, -VTL_E_STATE, "SHUTDOWN on a session with an attached "
				  "stream (its end is the stream's EOF)");
		return;
	}
	tp_shutdown(a->tp, &c->s->tp);
}

static const struct ipc_handler app_requests[] = {
	{ VTL_IPC_OPEN, sizeof(struct vtl_ipc_open), 0, "OPEN", req_open },
	{ VTL_IPC_DATA, VTL_IPC_MAX_DATA, IPC_VARLEN, "DATA", req_data },
	{ VTL_IPC_SHUTDOWN, 0, 0, "SHUTDOWN", req_shutdown },
	{ VTL_IPC_ATTACH, sizeof(struct vtl_ipc_attach), IPC_FD, "ATTACH", stream_attach },
};

void app_init(struct app *a, struct loop *lp, struct nego *ng, struct transport *tp)
{
	memset(a, 0, sizeof(*a));
	a->lp = lp;
	a->ng = ng;
	a->tp = tp;
	a->listen_fd = -1;
	ipc_add_table(a, app_requests, sizeof(app_requests) / sizeof(app_requests[0]), a);
}

void app_client_gone(struct app *a, struct client *c)
{
	set_state(c, CL_DONE);  /* a listener no more */
	if (c->s)
		session_owner_gone(a->ng, c->s);
	stream_close(a, c);
}

/* ---- delivery ---- */

void app_deliver(struct app *a, struct session *s)
{
	struct client *c = owner_of(s);

	if (stream_held(c))
		return; /* the client is writing what it took before: START resumes */
	while (c && s->tp.rxq.len) {
		const unsigned char *p;
		size_t n = tp_rx_peek(&s->tp, &p);
		struct vtl_ipc_hdr h = { .magic = VTL_IPC_MAGIC, .type = VTL_IPC_DATA };
		struct iovec iov[2];
		struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2 };

		if (c->sfd >= 0) { /* attached: straight into the application's socket */
			ssize_t w = stream_write(a, s, p, n);

			if (w <= 0)
				return; /* full (EPOLLOUT armed), or aborted: s is gone */
			n = (size_t)w;
		} else {
			if (n > VTL_IPC_MAX_DATA)
				n = VTL_IPC_MAX_DATA;
			h.len = (__u32)n;
			iov[0] = (struct iovec){ &h, sizeof(h) };
			iov[1] = (struct iovec){ (void *)p, n };
			if (sendmsg(c->fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK)
					client_want_write(c, true);
				return;
			}
		}
		tp_rx_consume(a->tp, &s->tp, n);
	}
	if (c && c->wr_waiting)
		client_want_write(c, false);
	tp_rx_drained(a->tp, &s->tp);
}

/* ---- what the transport reports ---- */

void app_readable(void *ctx, struct tp_sess *t)
{
	app_deliver(ctx, sess_of(t));
}

void app_writable(void *ctx, struct tp_sess *t)
{
	struct session *s = sess_of(t);
	struct client *c = owner_of(s);

	if (c && c->rd_paused && tp_tx_room(t) >= VTL_IPC_MAX_DATA)
		client_pause_read(c, false);
	stream_resume(ctx, s);
}

/* Is more application data already waiting on the control socket (or in
 * the attached stream)? */
bool app_has_more(void *ctx, struct tp_sess *t)
{
	struct client *c = owner_of(sess_of(t));
	struct pollfd p;

	(void)ctx;
	if (!c)
		return false;
	if (c->rd_paused)
		return true;
	p = (struct pollfd){ .fd = c->sfd >= 0 ? c->sfd : c->fd, .events = POLLIN };
	return poll(&p, 1, 0) > 0 && (p.revents & POLLIN);
}

void app_eof(void *ctx, struct tp_sess *t)
{
	struct session *s = sess_of(t);
	struct client *c = owner_of(s);
	struct vtl_ipc_stats st;

	stream_eof(ctx, s); /* an attached stream gets its FIN first */
	tp_stats(((struct app *)ctx)->tp, t, &st);
	if (c)
		client_send(c, VTL_IPC_EOF, &st, sizeof(st));
	pr_info("session %08x: peer closed, %llu bytes delivered\n", t->id,
		(unsigned long long)t->bytes_rx);
}

/* ---- what the session layer reports ---- */

static void *sess_listener(void *ctx, __u16 port)
{
	struct app *a = ctx;

	for (struct client *c = a->clients; c; c = c->next)
		if (c->state == CL_LISTEN && c->port == port)
			return c;
	return NULL;
}

static void sess_opened(void *ctx, struct session *s)
{
	struct client *c = owner_of(s);
	struct vtl_ipc_session m = {};

	(void)ctx;
	c->s = s;
	s->tp.nodelay = c->nodelay;
	m.session_id = s->tp.id;
	m.peer_addr = s->tp.peer.family == VTL_AF_INET ? s->tp.peer.addr[0] : 0;
	m.peer = s->tp.peer;
	memcpy(m.graft, s->pg->meta.name, sizeof(m.graft));
	m.graft_version = s->pg->meta.version;
	m.window = s->tp.window;
	m.mss = s->tp.mss;
	m.slot = s->tp.slot;
	set_state(c, CL_SESSION);
	client_send(c, VTL_IPC_SESSION, &m, sizeof(m));
}

static void sess_finished(void *ctx, struct session *s, const struct vtl_ipc_stats *st)
{
	struct client *c = owner_of(s);

	(void)ctx;
	/* (the peer's direction may go on: the client stays in CL_SESSION
	 * and still receives; its session ends when both directions did) */
	client_send(c, VTL_IPC_DONE, st, sizeof(*st));
}

static void sess_failed(void *ctx, struct session *s, int code, const char *why)
{
	struct client *c = owner_of(s);

	(void)ctx;
	client_send_error(c, code, "%s", why);
	set_state(c, CL_DONE);
}

static void sess_released(void *ctx, struct session *s)
{
	struct client *c = owner_of(s);

	stream_close(ctx, c);
	c->s = NULL;
}

const struct sess_app app_sess_ops = {
	.listener = sess_listener,
	.opened = sess_opened,
	.finished = sess_finished,
	.failed = sess_failed,
	.released = sess_released,
};
