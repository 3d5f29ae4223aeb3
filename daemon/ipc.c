// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The control socket (AF_UNIX, SOCK_SEQPACKET): one message is one
 * vtl_ipc_hdr + body. Every message is checked (size, magic, type, body
 * length) and a bad one gets a VTL_IPC_ERROR reply naming the problem;
 * the daemon keeps serving everyone else.
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
#include "log.h"
#include "unixsock.h"
#include "vtld.h"

#define MAX_CLIENTS 1024

static int n_clients;

int client_send(struct client *c, __u16 type, const void *body, __u32 len)
{
	struct vtl_ipc_hdr h = { .magic = VTL_IPC_MAGIC, .type = type, .len = len };
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)body, len } };
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = len ? 2 : 1 };

	/* control replies are small; a client whose buffer is full of data
	 * gets a bounded wait (SO_SNDTIMEO) rather than a lost reply */
	if (sendmsg(c->fd, &m, MSG_NOSIGNAL) < 0) {
		pr_debug("client %d: reply type %u lost: %s\n", c->fd, type, strerror(errno));
		return -errno;
	}
	return 0;
}

int client_send_error(struct client *c, int code, const char *fmt, ...)
{
	struct vtl_ipc_error e = { .code = code };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e.msg, sizeof(e.msg), fmt, ap);
	va_end(ap);
	pr_debug("client %d: error %d: %s\n", c->fd, code, e.msg);
	return client_send(c, VTL_IPC_ERROR, &e, sizeof(e));
}

static __u32 client_events(const struct client *c)
{
	return (c->rd_paused ? 0 : EPOLLIN) | (c->wr_waiting ? EPOLLOUT : 0);
}

void client_pause_read(struct vtld *d, struct client *c, bool pause)
{
	if (c->rd_paused == pause)
		return;
	c->rd_paused = pause;
	ep_mod(d, c->fd, client_events(c), &c->ep);
}

void client_want_write(struct vtld *d, struct client *c, bool want)
{
	if (c->wr_waiting == want)
		return;
	c->wr_waiting = want;
	ep_mod(d, c->fd, client_events(c), &c->ep);
}

static void client_free(struct vtld *d, struct client *c)
{
	struct client **pp;

	if (c->s)
		cb_app_gone(d, c->s);
	stream_close(d, c);
	ep_del(d, c->fd);
	close(c->fd);
	for (pp = &d->clients; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	free(c->buf);
	free(c);
	n_clients--;
}

int ipc_n_clients(void)
{
	return n_clients;
}

void ctl_fill_session_info(struct vtld *d, const struct session *s,
			   struct vtl_ipc_session_info *si)
{
	const struct vtl_state *k = launcher_state(&d->l, s->slot);

	memset(si, 0, sizeof(*si));
	si->session_id = s->id;
	si->peer_addr = s->peer_addr;
	si->slot = s->slot;
	si->state = s->state;
	si->initiator = s->initiator;
	si->window = s->window;
	memcpy(si->graft, s->pg->meta.name, sizeof(si->graft));
	si->snd_nxt = k->snd_nxt;
	si->snd_una = k->snd_una;
	si->rcv_acked = k->rcv_acked;
	si->srtt_us = k->srtt_us;
	si->rto_us = k->rto_us;
	si->tx_data = k->tx_data;
	si->tx_retx = k->tx_retx;
	si->rx_data = k->rx_data;
	si->timeouts = k->timeouts;
	si->bytes_tx = s->bytes_tx;
	si->bytes_rx = s->bytes_rx;
}

static void send_status(struct vtld *d, struct client *c)
{
	size_t cap = sizeof(struct vtl_ipc_status) + POOL_MAX * sizeof(struct vtl_ipc_graft_info) +
		     VTL_MAX_SESSIONS * sizeof(struct vtl_ipc_session_info);
	struct vtl_ipc_status *st;
	struct vtl_ipc_graft_info *gi;
	struct vtl_ipc_session_info *si;
	__u8 *buf = calloc(1, cap);

	if (!buf) {
		client_send_error(c, -ENOMEM, "out of memory");
		return;
	}
	st = (void *)buf;
	snprintf(st->ifname, sizeof(st->ifname), "%s", d->cfg.ifname);
	st->ifindex = (__u32)d->ifindex;
	st->xdp_prog_id = d->l.xdp_prog_id;
	st->tc_prog_id = d->l.tc_prog_id;
	st->uptime_ms = (now_ns() - d->start_ns) / 1000000;
	launcher_counters(&d->l, st->cnt_xdp, st->cnt_tc);
	gi = (void *)(st + 1);
	for (int i = 0; i < d->pool.n; i++) {
		const struct pool_graft *g = &d->pool.g[i];

		if (g->state != PG_OK)  /* replaced or free: not in the pool */
			continue;
		memcpy(gi->name, g->meta.name, sizeof(gi->name));
		gi->version = g->meta.version;
		gi->services = g->meta.services;
		gi->roles = g->meta.roles;
		gi->window_default = g->meta.window_default;
		gi->window_max = g->meta.window_max;
		gi->loaded = (__u32)g->users;
		memcpy(gi->hash, g->hash, sizeof(gi->hash));
		st->n_grafts++;
		gi++;
	}
	si = (void *)gi;
	for (__u32 i = 1; i < VTL_MAX_SESSIONS; i++) {
		if (!d->slots[i])
			continue;
		ctl_fill_session_info(d, d->slots[i], si);
		si++;
		st->n_sessions++;
	}
	st->n_queues = (__u32)db_nqueues(d);
	client_send(c, VTL_IPC_STATUS, buf, (__u32)((__u8 *)si - buf));
	free(buf);
}

/* vtlctl session show ID / session swap ID GRAFT */
static void session_request(struct vtld *d, struct client *c, const struct vtl_ipc_hdr *h,
			    const __u8 *body)
{
	struct vtl_ipc_session_swap_req sw;
	struct vtl_ipc_session_req q;
	struct vtl_ipc_session_show o;
	struct session *s;
	char name[VTL_GRAFT_NAME_MAX + 1] = "", err[256];
	int e;

	if (h->type == VTL_IPC_SESSION_SHOW_REQ) {
		if (h->len != sizeof(q)) {
			client_send_error(c, -VTL_E_PROTO, "SESSION_SHOW_REQ body is %u bytes, "
					  "expected %zu", h->len, sizeof(q));
			return;
		}
		memcpy(&q, body, sizeof(q));
		s = session_by_id(d, q.session_id);
		if (!s) {
			client_send_error(c, -ENOENT, "no session %08x", q.session_id);
			return;
		}
		memset(&o, 0, sizeof(o));
		ctl_fill_session_info(d, s, &o.info);
		netmon_show(d, s, &o);
		client_send(c, VTL_IPC_SESSION_SHOW, &o, sizeof(o));
		return;
	}
	if (h->len != sizeof(sw)) {
		client_send_error(c, -VTL_E_PROTO, "SESSION_SWAP_REQ body is %u bytes, expected %zu",
				  h->len, sizeof(sw));
		return;
	}
	memcpy(&sw, body, sizeof(sw));
	memcpy(name, sw.graft, VTL_GRAFT_NAME_MAX);
	s = session_by_id(d, sw.session_id);
	if (!s) {
		client_send_error(c, -ENOENT, "no session %08x", sw.session_id);
		return;
	}
	if (sw.window && sw.window != s->window) {
		client_send_error(c, -VTL_E_BADPARAM, "a swap keeps the session's window (%u)",
				  s->window);
		return;
	}
	e = swap_start(d, s, name, sw.max_loss_ppm, VTL_SWAP_BY_OPERATOR, 0, err, sizeof(err));
	if (e) {
		client_send_error(c, e, "%s", err);
		return;
	}
	q.session_id = s->id;
	q.pad = 0;
	client_send(c, VTL_IPC_SESSION_SWAP, &q, sizeof(q));
}

static void handle_msg(struct vtld *d, struct client *c, const struct vtl_ipc_hdr *h,
		       const __u8 *body, int *fdp)
{
	if (*fdp >= 0 && h->type != VTL_IPC_ATTACH) {
		client_send_error(c, -VTL_E_PROTO, "message type %u carries a file descriptor",
				  h->type);
		return;
	}
	switch (h->type) {
	case VTL_IPC_OPEN:
		if (h->len != sizeof(struct vtl_ipc_open)) {
			client_send_error(c, -VTL_E_PROTO, "OPEN body is %u bytes, expected %zu",
					  h->len, sizeof(struct vtl_ipc_open));
			return;
		}
		cb_open(d, c, (const struct vtl_ipc_open *)body);
		return;
	case VTL_IPC_DATA:
		if (!c->s || c->state != CL_SESSION || !c->s->initiator || c->s->app_shut ||
		    c->s->state != S_OPEN) {
			client_send_error(c, -VTL_E_STATE, "DATA outside an open sending session");
			return;
		}
		if (c->sfd >= 0) {
			client_send_error(c, -VTL_E_STATE, "DATA on a session with an attached "
					  "stream");
			return;
		}
		if (bb_room(&c->s->txq) < h->len) {
			client_send_error(c, -VTL_E_PROTO, "DATA while the queue is full");
			return;
		}
		bb_push(&c->s->txq, body, h->len);
		if (bb_room(&c->s->txq) < VTL_IPC_MAX_DATA)
			client_pause_read(d, c, true);
		db_send_data(d, c->s);
		return;
	case VTL_IPC_SHUTDOWN:
		if (h->len || !c->s || c->state != CL_SESSION || !c->s->initiator) {
			client_send_error(c, -VTL_E_STATE, "SHUTDOWN outside a sending session");
			return;
		}
		if (c->sfd >= 0) {
			client_send_error(c, -VTL_E_STATE, "SHUTDOWN on a session with an attached "
					  "stream (its end is the stream's EOF)");
			return;
		}
		cb_app_shutdown(d, c->s);
		return;
	case VTL_IPC_ATTACH:
		stream_attach(d, c, body, h->len, fdp);
		return;
	case VTL_IPC_GRAFT_LIST_REQ:
		pool_ipc_list(d, c, body, h->len);
		return;
	case VTL_IPC_GRAFT_VERIFY_REQ:
		pool_ipc_verify(d, c, body, h->len);
		return;
	case VTL_IPC_SESSION_SHOW_REQ:
	case VTL_IPC_SESSION_SWAP_REQ:
		session_request(d, c, h, body);
		return;
	case VTL_IPC_RULE_LIST_REQ:
	case VTL_IPC_RULE_ADD_REQ:
	case VTL_IPC_RULE_DEL_REQ:
		ctl_ipc_rules(d, c, h, body);
		return;
	case VTL_IPC_STATS_REQ:
		ctl_ipc_stats(d, c, body, h->len);
		return;
	case VTL_IPC_GRAFT_LOAD_REQ:
		pool_ipc_load(d, c, body, h->len);
		return;
	case VTL_IPC_GRAFT_UNLOAD_REQ:
		pool_ipc_unload(d, c, body, h->len);
		return;
	case VTL_IPC_STATUS_REQ:
		if (h->len) {
			client_send_error(c, -VTL_E_PROTO, "STATUS_REQ carries no body");
			return;
		}
		send_status(d, c);
		return;
	default:
		client_send_error(c, -VTL_E_PROTO, "message type %u is not a request", h->type);
	}
}

/* One message into c->buf (MSG_TRUNC: the real length). A descriptor that
 * came with it (SCM_RIGHTS, only ATTACH may carry one) goes to *fdp; any
 * further ones are closed, and a message whose descriptors did not fit
 * gets -1 in *fdp and an error from handle_msg's check (they were closed
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

static void client_io(struct vtld *d, void *obj, __u32 events)
{
	struct client *c = obj;
	int budget = 64;

	if (events & EPOLLOUT && c->s)
		db_flush_rx(d, c->s);
	if (events & (EPOLLHUP | EPOLLERR) && !(events & EPOLLIN)) {
		client_free(d, c);
		return;
	}
	while (!c->rd_paused && budget--) {
		struct vtl_ipc_hdr h;
		int fd = -1;
		ssize_t n = recv_msg(c, &fd);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return;
			client_free(d, c);
			return;
		}
		if (n == 0 && fd < 0 && (events & (EPOLLHUP | EPOLLRDHUP))) {
			/* orderly close, or an empty message: SEQPACKET can't tell; a
			 * closed peer also shows EPOLLHUP/RDHUP */
			client_free(d, c);
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
			handle_msg(d, c, &h, c->buf + sizeof(h), &fd);
		if (fd >= 0)
			close(fd); /* not taken: nobody else will */
	}
}

static void accept_clients(struct vtld *d, void *obj, __u32 events)
{
	(void)obj;
	(void)events;
	for (;;) {
		struct timeval tv = { .tv_sec = 1 };
		int fd = accept4(d->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		struct client *c;

		if (fd < 0)
			return;
		if (n_clients >= MAX_CLIENTS) {
			pr_warn("control socket: %d clients, refusing more\n", n_clients);
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (c)
			c->buf = malloc(VTL_IPC_MAX_MSG + 1);
		if (!c || !c->buf) {
			free(c);
			close(fd);
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		/* the socket is non-blocking for reads; replies use sendmsg
		 * without MSG_DONTWAIT and SO_SNDTIMEO bounds them */
		c->fd = fd;
		c->sfd = -1;
		c->ep = (struct ep_item){ client_io, c };
		c->next = d->clients;
		d->clients = c;
		n_clients++;
		ep_add(d, fd, EPOLLIN | EPOLLRDHUP, &c->ep);
	}
}

int ipc_open(struct vtld *d)
{
	char err[256];
	int fd = vtl_unix_listen(d->cfg.socket_path, 128, 0660, err, sizeof(err));

	if (fd < 0) {
		pr_warn("%s\n", err);
		return fd;
	}
	d->listen_fd = fd;
	d->listen_ep = (struct ep_item){ accept_clients, NULL };
	return ep_add(d, fd, EPOLLIN, &d->listen_ep);
}

void ipc_close(struct vtld *d)
{
	while (d->clients)
		client_free(d, d->clients);
	if (d->listen_fd >= 0) {
		close(d->listen_fd);
		unlink(d->cfg.socket_path);
		d->listen_fd = -1;
	}
}
