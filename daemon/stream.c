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
#include "log.h"
#include "vtld.h"

/* read from the socket only when the session queue has this much room */
#define STREAM_MIN_ROOM (64u << 10)
/* reads per wake-up, so one fast application does not starve the rest */
#define STREAM_READS    8

static void stream_io(struct vtld *d, void *obj, __u32 events);

/* Have epoll watch the stream for events (0: not at all). A socket that is
 * not waited for stays out of the epoll set: HUP and ERR are reported even
 * when not asked for, and would wake us in a loop. */
static void stream_poll(struct vtld *d, struct client *c, __u32 events)
{
	if (c->sfd < 0)
		return;
	if (!events) {
		if (c->s_polled)
			ep_del(d, c->sfd);
		c->s_polled = false;
		return;
	}
	if (c->s_polled) {
		ep_mod(d, c->sfd, events, &c->sep);
		return;
	}
	c->sep = (struct ep_item){ stream_io, c };
	if (ep_add(d, c->sfd, events, &c->sep) == 0)
		c->s_polled = true;
}

void stream_close(struct vtld *d, struct client *c)
{
	if (!c || c->sfd < 0)
		return;
	stream_poll(d, c, 0);
	close(c->sfd);
	c->sfd = -1;
	c->s_held = false;
}

bool stream_held(const struct client *c)
{
	return c && c->sfd >= 0 && c->s_held;
}

static void stream_fail(struct vtld *d, struct session *s, const char *what, int err)
{
	char why[128];

	snprintf(why, sizeof(why), "attached stream: %s: %s", what, strerror(err));
	cb_abort(d, s, -err, why, true);
}

/* Sender: move what the socket holds into the session queue, as room
 * allows, and send it. */
void stream_pull(struct vtld *d, struct session *s)
{
	struct client *c = s->cl;

	for (int i = 0; i < STREAM_READS; i++) {
		struct bytebuf *q = &s->txq;
		size_t room = bb_room(q), tail = (q->head + q->len) % q->cap;
		struct iovec iov[2];
		struct msghdr m = { .msg_iov = iov, .msg_iovlen = 1 };
		ssize_t n;

		if (!c || c->sfd < 0 || s->app_shut)
			return;
		if (room < STREAM_MIN_ROOM) {
			stream_poll(d, c, 0); /* db_send_data resumes us (stream_resume) */
			return;
		}
		iov[0] = (struct iovec){ q->buf + tail, room < q->cap - tail ? room : q->cap - tail };
		if (iov[0].iov_len < room) {
			iov[1] = (struct iovec){ q->buf, room - iov[0].iov_len };
			m.msg_iovlen = 2;
		}
		n = recvmsg(c->sfd, &m, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				stream_poll(d, c, EPOLLIN);
				/* nothing more queued: a short frame held back
				 * for more (Nagle) may go now */
				if (s->txq.len)
					db_send_data(d, s);
				return;
			}
			stream_fail(d, s, "read", errno);
			return;
		}
		if (n == 0) { /* the application's FIN: our SHUTDOWN */
			pr_debug("session %08x: attached stream ended, %llu bytes queued so far\n",
				 s->id, (unsigned long long)(s->bytes_tx + q->len));
			stream_close(d, c);
			cb_app_shutdown(d, s);
			return;
		}
		q->len += (size_t)n;
		db_send_data(d, s);
	}
	stream_poll(d, c, EPOLLIN); /* more next round */
}

/* Sender: the queue has room again (called by db_send_data). */
void stream_resume(struct vtld *d, struct session *s)
{
	struct client *c = s->cl;

	if (c && c->sfd >= 0 && !c->s_polled && s->initiator && !s->app_shut &&
	    bb_room(&s->txq) >= STREAM_MIN_ROOM)
		stream_poll(d, c, EPOLLIN);
}

/* Receiver: write n bytes at p. Returns what was written (> 0), 0 when the
 * socket is full (EPOLLOUT armed), or -1 when the session was aborted
 * (s is gone). */
ssize_t stream_write(struct vtld *d, struct session *s, const void *p, size_t n)
{
	struct client *c = s->cl;
	ssize_t w;

	do {
		w = send(c->sfd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);
	} while (w < 0 && errno == EINTR);
	if (w > 0)
		return w;
	if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		stream_poll(d, c, EPOLLOUT);
		return 0;
	}
	stream_fail(d, s, "write", w < 0 ? errno : EPIPE);
	return -1;
}

/* Receiver: every byte is written; the peer closed. FIN to the socket. */
void stream_eof(struct vtld *d, struct session *s)
{
	struct client *c = s->cl;

	if (!c || c->sfd < 0)
		return;
	if (shutdown(c->sfd, SHUT_WR))
		pr_debug("session %08x: attached stream: shutdown: %s\n", s->id, strerror(errno));
	stream_close(d, c);
}

static void stream_io(struct vtld *d, void *obj, __u32 events)
{
	struct client *c = obj;
	struct session *s = c->s;

	(void)events;
	if (!s) {
		stream_close(d, c);
		return;
	}
	if (s->initiator) {
		stream_pull(d, s);
		return;
	}
	/* receiver: writable again, or an error (the next write reports it) */
	stream_poll(d, c, 0);
	db_flush_rx(d, s);
}

/* VTL_IPC_ATTACH. *fdp is the descriptor that came with the message (-1:
 * none); it is taken (set to -1) when kept, else the caller closes it. */
void stream_attach(struct vtld *d, struct client *c, const void *body, __u32 len, int *fdp)
{
	struct session *s = c->s;
	struct vtl_ipc_attach a;
	socklen_t tl = sizeof(int);
	int type = 0;

	if (len != sizeof(a)) {
		client_send_error(c, -VTL_E_PROTO, "ATTACH body is %u bytes, expected %zu", len,
				  sizeof(a));
		return;
	}
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
		db_flush_rx(d, s);
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
	if (s->initiator ? s->state != S_OPEN || s->app_shut :
			   s->state != S_OPEN && !s->eof_sent) {
		client_send_error(c, -VTL_E_STATE, "ATTACH: the session is not open");
		return;
	}
	if (!s->initiator && s->eof_sent) {
		/* nothing left to write: the client has it all, and ends the
		 * stream itself */
		client_send(c, VTL_IPC_ATTACHED, NULL, 0);
		return;
	}
	c->sfd = *fdp;
	*fdp = -1;
	c->s_held = !s->initiator;
	pr_debug("session %08x: stream attached (%s)\n", s->id,
		 s->initiator ? "vtld reads it" : "vtld writes it");
	client_send(c, VTL_IPC_ATTACHED, NULL, 0);
	if (s->initiator)
		stream_pull(d, s);
}
