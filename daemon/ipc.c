// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The control socket (app.h): AF_UNIX, SOCK_SEQPACKET, one message is one
 * vtl_ipc_hdr + body. A message is checked before any handler sees it:
 * its size, magic, reserved fields, that the header's length is the
 * body's, that its type is a request some table serves, that the body has
 * the length that request takes, and that it carries a descriptor only
 * if that request takes one. A bad message gets a VTL_IPC_ERROR reply
 * naming the problem; the daemon keeps serving everyone else.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <vtl/errors.h>
#include "app.h"
#include "log.h"
#include "unixsock.h"

#define MAX_CLIENTS (2 * VTL_MAX_SESSIONS) /* a session and a listener each */

/* One receive buffer for every client: messages are read and handled one
 * at a time on the epoll thread, and no handler keeps the body after it
 * returns (DATA is copied into the send queue). A buffer per client cost
 * 64 KiB of resident memory per sending session (each DATA message
 * touches all of it): 640 MiB at 10,000 sessions. */
static __u8 rx_buf[VTL_IPC_MAX_MSG + 1];

int ipc_send_fd(int fd, __u16 type, const void *body, __u32 len)
{
	struct vtl_ipc_hdr h = { .magic = VTL_IPC_MAGIC, .type = type, .len = len };
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)body, len } };
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = len ? 2 : 1 };

	/* control replies are small; a client whose buffer is full of data
	 * gets a bounded wait (SO_SNDTIMEO) rather than a lost reply */
	if (sendmsg(fd, &m, MSG_NOSIGNAL) < 0) {
		pr_debug("client %d: reply type %u lost: %s\n", fd, type, strerror(errno));
		return -errno;
	}
	return 0;
}

static int vsend_error(int fd, int code, const char *fmt, va_list ap)
{
	struct vtl_ipc_error e = { .code = code };

	vsnprintf(e.msg, sizeof(e.msg), fmt, ap);
	pr_debug("client %d: error %d: %s\n", fd, code, e.msg);
	return ipc_send_fd(fd, VTL_IPC_ERROR, &e, sizeof(e));
}

int ipc_send_error_fd(int fd, int code, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsend_error(fd, code, fmt, ap);
	va_end(ap);
	return r;
}

int client_send(struct client *c, __u16 type, const void *body, __u32 len)
{
	return ipc_send_fd(c->fd, type, body, len);
}

int client_send_error(struct client *c, int code, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsend_error(c->fd, code, fmt, ap);
	va_end(ap);
	return r;
}

static __u32 client_events(const struct client *c)
{
	return (c->rd_paused ? 0 : EPOLLIN) | (c->wr_waiting ? EPOLLOUT : 0);
}

void client_pause_read(struct client *c, bool pause)
{
	if (c->rd_paused == pause)
		return;
	c->rd_paused = pause;
	ep_mod(c->app->lp, c->fd, client_events(c), &c->ep);
}

void client_want_write(struct client *c, bool want)
{
	if (c->wr_waiting == want)
		return;
	c->wr_waiting = want;
	ep_mod(c->app->lp, c->fd, client_events(c), &c->ep);
}

static void client_free(struct client *c)
{
	struct app *a = c->app;
	struct client **pp;

	app_client_gone(a, c);
	ep_del(a->lp, c->fd);
	close(c->fd);
	for (pp = &a->clients; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	free(c);
	a->n_clients--;
}

void ipc_add_table(struct app *a, const struct ipc_handler *h, size_t n, void *ctx)
{
	if (a->n_tables < APP_TABLES)
		a->tables[a->n_tables++] = (struct ipc_table){ h, n, ctx };
}

static void dispatch(struct app *a, struct client *c, const struct vtl_ipc_hdr *h,
		     const __u8 *body, int *fdp)
{
	for (int t = 0; t < a->n_tables; t++) {
		const struct ipc_table *tb = &a->tables[t];

		for (size_t i = 0; i < tb->n; i++) {
			const struct ipc_handler *x = &tb->h[i];

			if (x->type != h->type)
				continue;
			if (*fdp >= 0 && !(x->flags & IPC_FD)) {
				client_send_error(c, -VTL_E_PROTO, "message type %u carries a file "
						  "descriptor", h->type);
				return;
			}
			if ((x->flags & IPC_VARLEN) ? h->len > x->len : h->len != x->len) {
				client_send_error(c, -VTL_E_PROTO, "%s body is %u bytes, expected %s%u",
						  x->name, h->len,
						  (x->flags & IPC_VARLEN) ? "at most " : "", x->len);
				return;
			}
			x->fn(tb->ctx, c, body, h->len, fdp);
			return;
		}
	}
	if (*fdp >= 0)
		client_send_error(c, -VTL_E_PROTO, "message type %u carries a file descriptor",
				  h->type);
	else
		client_send_error(c, -VTL_E_PROTO, "message type %u is not a request", h->type);
}

/* One message into c->buf (MSG_TRUNC: the real length). A descriptor that
 * came with it (SCM_RIGHTS, only ATTACH may carry one) goes to *fdp; any
 * further ones are closed, and a message whose descriptors did not fit
 * gets -1 in *fdp and an error from the handler's check (they were closed
 * by the kernel). */
static ssize_t recv_msg(struct client *c, int *fdp)
{
	union {
		char buf[CMSG_SPACE(4 * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { c->buf, VTL_IPC_MAX_MSG + 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			    .msg_controllen = sizeof(ctl.buf) };
	struct cmsghdr *cm;
	ssize_t n = recvmsg(c->fd, &m, MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC);

	if (n < 0)
		return n;
	for (cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm)) {
		size_t nfd;
		int fds[4];

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		nfd = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		if (nfd > 4)
			nfd = 4;
		memcpy(fds, CMSG_DATA(cm), nfd * sizeof(int));
		for (size_t i = 0; i < nfd; i++) {
			if (*fdp < 0)
				*fdp = fds[i];
			else
				close(fds[i]);
		}
	}
	return n;
}

static void client_io(void *obj, __u32 events)
{
	struct client *c = obj;
	struct app *a = c->app;
	int budget = 64;

	if (events & EPOLLOUT && c->s)
		app_deliver(a, c->s);
	if (events & (EPOLLHUP | EPOLLERR) && !(events & EPOLLIN)) {
		client_free(c);
		return;
	}
	while (!c->rd_paused && budget--) {
		struct vtl_ipc_hdr h;
		int fd = -1;
		ssize_t n = recv_msg(c, &fd);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return;
			client_free(c);
			return;
		}
		if (n == 0 && fd < 0 && (events & (EPOLLHUP | EPOLLRDHUP))) {
			/* orderly close, or an empty message: SEQPACKET can't tell; a
			 * closed peer also shows EPOLLHUP/RDHUP */
			client_free(c);
			return;
		}
		if (n == 0)
			client_send_error(c, -VTL_E_PROTO, "empty message");
		else if (n > VTL_IPC_MAX_MSG)
			client_send_error(c, -VTL_E_TOOBIG, "message of %zd bytes exceeds %d",
					  n, VTL_IPC_MAX_MSG);
		else if ((size_t)n < sizeof(h))
			client_send_error(c, -VTL_E_PROTO, "message of %zd bytes is shorter than "
					  "the %zu-byte header", n, sizeof(h));
		else if (memcpy(&h, c->buf, sizeof(h)), h.magic != VTL_IPC_MAGIC)
			client_send_error(c, -VTL_E_PROTO, "bad magic 0x%08x", h.magic);
		else if (h.len != (size_t)n - sizeof(h))
			client_send_error(c, -VTL_E_PROTO, "header says %u body bytes, message "
					  "has %zu", h.len, (size_t)n - sizeof(h));
		else if (h.flags || h.reserved)
			client_send_error(c, -VTL_E_PROTO, "reserved header fields are not zero");
		else
			dispatch(a, c, &h, c->buf + sizeof(h), &fd);
		if (fd >= 0)
			close(fd); /* not taken: nobody else will */
	}
}

static void accept_clients(void *obj, __u32 events)
{
	struct app *a = obj;

	(void)events;
	for (;;) {
		struct timeval tv = { .tv_sec = 1 };
		int fd = accept4(a->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		struct client *c;

		if (fd < 0)
			return;
		if (a->n_clients >= MAX_CLIENTS) {
			pr_warn("control socket: %d clients, refusing more\n", a->n_clients);
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->buf = rx_buf;
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		/* the socket is non-blocking for reads; replies use sendmsg
		 * without MSG_DONTWAIT and SO_SNDTIMEO bounds them */
		c->app = a;
		c->fd = fd;
		c->sfd = -1;
		c->ep = (struct ep_item){ client_io, c };
		c->next = a->clients;
		a->clients = c;
		a->n_clients++;
		ep_add(a->lp, fd, EPOLLIN | EPOLLRDHUP, &c->ep);
	}
}

int ipc_open(struct app *a, const char *path)
{
	char err[256];
	int fd;

	snprintf(a->socket_path, sizeof(a->socket_path), "%s", path);
	fd = vtl_unix_listen(path, 128, 0660, err, sizeof(err));
	if (fd < 0) {
		pr_warn("%s\n", err);
		return fd;
	}
	a->listen_fd = fd;
	a->listen_ep = (struct ep_item){ accept_clients, a };
	return ep_add(a->lp, fd, EPOLLIN, &a->listen_ep);
}

void ipc_close(struct app *a)
{
	while (a->clients)
		client_free(a->clients);
	if (a->listen_fd >= 0) {
		close(a->listen_fd);
		unlink(a->socket_path);
		a->listen_fd = -1;
	}
}
