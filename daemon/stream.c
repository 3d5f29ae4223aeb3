// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Attached streams. A client hands vtld a connected stream socket
 * (VTL_IPC_ATTACH with the fd in SCM_RIGHTS) and vtld moves the session's
 * bytes between that socket and the wire itself, so they no longer pass
 * through the client: the Hooker attaches the application's TCP socket.
 *
 * Sending session: vtld reads the socket while the session queue has room
 * (backpressure: it stops reading), and its EOF is the client's SHUTDOWN.
 * Receiving session: held at step 1 until the client has written the DATA
 * it took before (step 2, START); then vtld writes into the socket, waits
 * for EPOLLOUT when it is full (and acknowledges nothing it could not
 * queue), and at the peer's close shuts the socket down for writing before
 * the EOF message. An error on the socket aborts the session and resets
 * the peer. vtld's copy of the fd is closed when it is no longer needed:
 * at EOF, or when the session or the client ends.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <vtl/errors.h>
#include "app.h"
#include "log.h"
#include "session.h"

/* read from the socket only when the session queue has this much room */
#define STREAM_MIN_ROOM (64u << 10)
/* reads per wake-up, so one fast application does not starve the rest */
#define STREAM_READS    8

static void stream_io(void *obj, __u32 events);

/* Have epoll watch the stream for events (0: not at all). A socket that is
 * not waited for stays out of the epoll set: HUP and ERR are reported even
 * when not asked for, and would wake us in a loop. */
static void stream_poll(struct client *c, __u32 events)
{
	if (c->sfd < 0)
		return;
	if (!events) {
		if (c->s_polled)
			ep_del(c->app->lp, c->sfd);
		c->s_polled = false;
		return;
	}
	if (c->s_polled) {
		ep_mod(c->app->lp, c->sfd, events, &c->sep);
		return;
	}
	c->sep = (struct ep_item){ stream_io, c };
	if (ep_add(c->app->lp, c->sfd, events, &c->sep) == 0)
		c->s_polled = true;
}

void stream_close(struct app *a, struct client *c)
{
	(void)a;
	if (!c || c->sfd < 0)
		return;
	stream_poll(c, 0);
	close(c->sfd);
	c->sfd = -1;
	c->s_held = false;
}

bool stream_held(const struct client *c)
{
	return c && c->sfd >= 0 && c->s_held;
}

static void stream_fail(struct app *a, struct session *s, const char *what, int err)
{
	char why[128];

	snprintf(why, sizeof(why), "attached stream: %s: %s", what, strerror(err));
	session_abort(a->ng, s, -err, why, true);
}

/* Sender: move what the socket holds into the session queue, as room
 * allows, and send it. */
void stream_pull(struct app *a, struct session *s)
{
	struct client *c = s->owner;

	for (int i = 0; i < STREAM_READS; i++) {
		struct iovec iov[2];
		struct msghdr m = { .msg_iov = iov };
		ssize_t n;

		if (!c || c->sfd < 0 || s->tp.app_shut)
			return;
		if (tp_tx_room(&s->tp) < STREAM_MIN_ROOM) {
			stream_poll(c, 0); /* the transport resumes us (stream_resume) */
			return;
		}
		m.msg_iovlen = (size_t)tp_tx_space(a->tp, &s->tp, STREAM_MIN_ROOM, iov);
		if (!m.msg_iovlen) {
			session_abort(a->ng, s, -ENOMEM,
				      "vtld is out of memory for the send queue", true);
			return;
		}
		n = recvmsg(c->sfd, &m, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				stream_poll(c, EPOLLIN);
				/* nothing more queued: a short frame held back
				 * for more (Nagle) may go now */
				if (s->tp.txq.len)
					tp_output(a->tp, &s->tp);
				return;
			}
			stream_fail(a, s, "read", errno);
			return;
		}
		if (n == 0) { /* the application's FIN: our SHUTDOWN */
			pr_debug("session %08x: attached stream ended, %llu bytes queued so far\n",
				 s->tp.id, (unsigned long long)(s->tp.bytes_tx + s->tp.txq.len));
			stream_close(a, c);
			tp_shutdown(a->tp, &s->tp);
			return;
		}
		tp_tx_commit(&s->tp, (size_t)n);
		tp_output(a->tp, &s->tp);
	}
	stream_poll(c, EPOLLIN); /* more next round */
}

/* Sender: the queue has room again (the transport says so). */
void stream_resume(struct app *a, struct session *s)
{
	struct client *c = s->owner;

	(void)a;
	if (c && c->sfd >= 0 && !c->s_polled && s->tp.initiator && !s->tp.app_shut &&
	    tp_tx_room(&s->tp) >= STREAM_MIN_ROOM)
		stream_poll(c, EPOLLIN);
}

/* Receiver: write n bytes at p. Returns what was written (> 0), 0 when the
 * socket is full (EPOLLOUT armed), or -1 when the session was aborted
 * (s is gone). */
ssize_t stream_write(struct app *a, struct session *s, const void *p, size_t n)
{
	struct client *c = s->owner;
	ssize_t w;

	do {
		w = send(c->sfd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);
	} while (w < 0 && errno == EINTR);
	if (w > 0)
		return w;
	if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		stream_poll(c, EPOLLOUT);
		return 0;
	}
	stream_fail(a, s, "write", w < 0 ? errno : EPIPE);
	return -1;
}

/* Receiver: every byte is written; the peer closed. FIN to the socket. */
void stream_eof(struct app *a, struct session *s)
{
	struct client *c = s->owner;

	if (!c || c->sfd < 0)
		return;
	if (shutdown(c->sfd, SHUT_WR))
		pr_debug("session %08x: attached stream: shutdown: %s\n", s->tp.id, strerror(errno));
	stream_close(a, c);
}

static void stream_io(void *obj, __u32 events)
{
	struct client *c = obj;
	struct app *a = c->app;
	struct session *s = c->s;

	(void)events;
	if (!s) {
		stream_close(a, c);
		return;
	}
	if (s->tp.initiator) {
		stream_pull(a, s);
		return;
	}
	/* receiver: writable again, or an error (the next write reports it) */
	stream_poll(c, 0);
	app_deliver(a, s);
}

/* VTL_IPC_ATTACH. *fdp is the descriptor that came with the message (-1:
 * none); it is taken (set to -1) when kept, else the caller closes it. */
void stream_attach(void *ctx, struct client *c, const void *body, __u32 len, int *fdp)
{
	struct app *ap = ctx;
	struct session *s = c->s;
	struct vtl_ipc_attach a;
	socklen_t tl = sizeof(int);
	int type = 0;

	(void)len;   /* (checked against the request table) */
	memcpy(&a, body, sizeof(a));
	if (a.reserved) {
		client_send_error(c, -VTL_E_PROTO, "ATTACH: reserved field is not zero");
		return;
	}
	if (a.step == VTL_ATTACH_START) {
		if (*fdp >= 0) {
			client_send_error(c, -VTL_E_PROTO, "ATTACH START carries no descriptor");
			return;
		}
		if (!s || !stream_held(c)) {
			client_send_error(c, -VTL_E_STATE, "ATTACH START without a held receiving "
					  "stream");
			return;
		}
		c->s_held = false;
		app_deliver(ap, s);
		return;
	}
	if (a.step != VTL_ATTACH_FD) {
		client_send_error(c, -VTL_E_BADPARAM, "ATTACH step %u is unknown", a.step);
		return;
	}
	if (*fdp < 0) {
		client_send_error(c, -VTL_E_PROTO, "ATTACH without a file descriptor (SCM_RIGHTS)");
		return;
	}
	if (getsockopt(*fdp, SOL_SOCKET, SO_TYPE, &type, &tl) || type != SOCK_STREAM) {
		client_send_error(c, -VTL_E_BADPARAM, "ATTACH: the descriptor is not a stream "
				  "socket");
		return;
	}
	if (!s || c->state != CL_SESSION) {
		client_send_error(c, -VTL_E_STATE, "ATTACH without a session");
		return;
	}
	if (c->sfd >= 0) {
		client_send_error(c, -VTL_E_STATE, "ATTACH: a stream is already attached");
		return;
	}
	if (s->tp.initiator ? s->tp.state != TP_OPEN || s->tp.app_shut :
			      s->tp.state != TP_OPEN && !s->tp.eof_sent) {
		client_send_error(c, -VTL_E_STATE, "ATTACH: the session is not open");
		return;
	}
	if (!s->tp.initiator && s->tp.eof_sent) {
		/* nothing left to write: the client has it all, and ends the
		 * stream itself */
		client_send(c, VTL_IPC_ATTACHED, NULL, 0);
		return;
	}
	c->sfd = *fdp;
	*fdp = -1;
	c->s_held = !s->tp.initiator;
	pr_debug("session %08x: stream attached (%s)\n", s->tp.id,
		 s->tp.initiator ? "vtld reads it" : "vtld writes it");
	client_send(c, VTL_IPC_ATTACHED, NULL, 0);
	if (s->tp.initiator)
		stream_pull(ap, s);
}
