// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Byte movers. A hooked connection is a TCP socket on each end (the
 * application's on the initiating host, the server's on the other) and
 * two one-way VTL sessions between the Hookers. Close ordering is the
 * point: a FIN becomes the session's end, which completes only once the
 * peer has every byte, and the peer turns the VTL end of stream into
 * shutdown(SHUT_WR) after the last byte was written. A reset on either
 * side becomes a reset on the other (vtl_abort / RST).
 *
 * By default vtld moves the bytes itself: the socket is attached to both
 * sessions (vtl_attach) and the Hooker only waits for their ends. With
 * --pump copy they go through here (two threads, libvtl send/recv).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>
#include "hk.h"

#define BUFSZ 65536

void hk_reset_fd(int fd)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };

	if (fd < 0)
		return;
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
}

int hk_connect_tcp(uint32_t addr, uint16_t port, int timeout_ms)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = addr,
				  .sin_port = port };
	struct pollfd p;
	socklen_t len = sizeof(int);
	int fd, err = 0, one = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) && errno != EINPROGRESS) {
		err = -errno;
		goto fail;
	}
	/* timeout_ms 0: as long as the kernel keeps trying (tcp_syn_retries),
	 * as a blocking connect() would */
	p = (struct pollfd){ .fd = fd, .events = POLLOUT };
	if (poll(&p, 1, timeout_ms ? timeout_ms : -1) != 1) {
		err = -ETIMEDOUT;
		goto fail;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) || err) {
		err = err ? -err : -errno;
		goto fail;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
fail:
	close(fd);
	return err;
}

/* ---- TCP <-> VTL --------------------------------------------------- */

struct pump {
	struct hk_pipe p;
	atomic_bool aborted;
	bool attached;
};

static void pump_abort(struct pump *pp, const char *why, int err)
{
	if (atomic_exchange(&pp->aborted, true))
		return;
	pr_info("flow %016llx (%s): reset: %s (%d)\n", (unsigned long long)pp->p.flow_id,
		pp->p.who, why, err);
	/* wake whoever is blocked: the TCP reader, and libvtl on either
	 * session (vtld sees its client go and resets the peer). Attached,
	 * the socket is left alone: vtld would read its shutdown as a FIN,
	 * i.e. a clean end; it is reset once vtld has let go of it. */
	if (!pp->attached)
		shutdown(pp->p.fd, SHUT_RDWR);
	shutdown(vtl_fd(pp->p.out), SHUT_RDWR);
	shutdown(vtl_fd(pp->p.in), SHUT_RDWR);
}

static void count(_Atomic uint64_t *const c[2], uint64_t n)
{
	atomic_fetch_add(c[0], n);
	atomic_fetch_add(c[1], n);
}

static int write_all(int fd, const char *b, size_t n)
{
	ssize_t w;

	while (n) {
		w = send(fd, b, n, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

/* VTL -> TCP: the bytes of `in`, then a FIN after the last one. */
static void *pump_down(void *arg)
{
	struct pump *pp = arg;
	char *buf = malloc(BUFSZ);
	ssize_t n;
	int r;

	if (!buf) {
		pump_abort(pp, "out of memory", -ENOMEM);
		return NULL;
	}
	for (;;) {
		n = vtl_recv_data(pp->p.in, buf, BUFSZ);
		if (n == 0) {  /* the other end sent FIN and we have it all */
			shutdown(pp->p.fd, SHUT_WR);
			break;
		}
		if (n < 0) {
			if (!atomic_load(&pp->aborted))
				pump_abort(pp, vtl_strerror((int)n), (int)n);
			break;
		}
		r = write_all(pp->p.fd, buf, (size_t)n);
		if (r) {
			pump_abort(pp, "TCP write", r);
			break;
		}
		count(pp->p.in_fd, (uint64_t)n);
	}
	free(buf);
	return NULL;
}

/* TCP -> VTL: the socket's bytes, then vtl_shutdown at its FIN. */
static void pump_up(struct pump *pp)
{
	char *buf = malloc(BUFSZ);
	ssize_t n;
	int r;

	if (!buf) {
		pump_abort(pp, "out of memory", -ENOMEM);
		return;
	}
	for (;;) {
		n = recv(pp->p.fd, buf, BUFSZ, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (atomic_load(&pp->aborted))
			break;
		if (n < 0) {
			pump_abort(pp, "TCP read", -errno);
			break;
		}
		if (n == 0) {
			r = vtl_shutdown(pp->p.out, NULL);
			if (r < 0)
				pump_abort(pp, vtl_strerror(r), r);
			break;
		}
		r = (int)vtl_send_data(pp->p.out, buf, (size_t)n);
		if (r < 0) {
			pump_abort(pp, vtl_strerror(r), r);
			break;
		}
		count(pp->p.fd_out, (uint64_t)n);
	}
	free(buf);
}

/* Attached: the end of `out` (the socket's FIN reached the peer). */
static void *wait_out(void *arg)
{
	struct pump *pp = arg;
	struct vtl_stats st;
	int r = vtl_shutdown(pp->p.out, &st);

	if (r < 0) {
		if (!atomic_load(&pp->aborted))
			pump_abort(pp, vtl_strerror(r), r);
		return NULL;
	}
	count(pp->p.fd_out, st.bytes);
	return NULL;
}

/* Attached: the end of `in` (vtld wrote every byte, then a FIN). */
static void wait_in(struct pump *pp)
{
	struct vtl_stats st;
	char b[1];
	ssize_t n = vtl_recv_data(pp->p.in, b, sizeof(b));

	if (n != 0) {
		if (!atomic_load(&pp->aborted))
			pump_abort(pp, n < 0 ? vtl_strerror((int)n) : "data on an attached session",
				   n < 0 ? (int)n : -EPROTO);
		return;
	}
	if (vtl_get_stats(pp->p.in, &st) == 0)
		count(pp->p.in_fd, st.bytes);
}

void hk_pump_vtl(struct hk_pipe *p)
{
	struct pump pp = { .p = *p, .attached = !hk->o.copy_pump };
	void *(*bg)(void *) = pp.attached ? wait_out : pump_down;
	pthread_t down;
	bool threaded;
	int r;

	if (pp.attached) {
		r = vtl_attach(p->out, p->fd);
		if (!r)
			r = vtl_attach(p->in, p->fd);
		if (r) {
			pump_abort(&pp, vtl_strerror(r), r);
			goto out;
		}
		if (p->rec)
			hk_flow_set_vtl(p->rec, p->server ? p->in : p->out,
					p->server ? p->out : p->in);
	}
	threaded = pthread_create(&down, NULL, bg, &pp) == 0;
	if (!threaded)
		pump_abort(&pp, "cannot start a thread", -errno);
	else if (pp.attached)
		wait_in(&pp);
	else
		pump_up(&pp);
	if (threaded)
		pthread_join(down, NULL);
out:
	if (pp.attached && p->rec)
		hk_flow_set_vtl(p->rec, NULL, NULL);  /* before they are closed */
	if (atomic_load(&pp.aborted)) {
		hk_cnt_add(VTL_HK_U_RESETS, 1);
		hk_reset_fd(p->fd);
		vtl_abort(p->out);
		vtl_abort(p->in);
	} else {
		close(p->fd);
		vtl_close(p->out);
		vtl_close(p->in);
	}
}

/* ---- TCP <-> TCP (the fallback) ------------------------------------- */

struct dir {
	int from, to;
	char *buf;
	size_t off, len;
	bool eof, done;
	_Atomic uint64_t *bytes, *flow_bytes;
};

/* Move what can be moved without blocking; -errno on a hard error. */
static int dir_step(struct dir *d, short rev_from, short rev_to)
{
	ssize_t n;

	if (!d->len && !d->eof && (rev_from & (POLLIN | POLLHUP | POLLERR))) {
		n = recv(d->from, d->buf, BUFSZ, MSG_DONTWAIT);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		if (n == 0)
			d->eof = true;
		if (n > 0) {
			d->off = 0;
			d->len = (size_t)n;
		}
	}
	if (d->len && (rev_to & (POLLOUT | POLLERR))) {
		n = send(d->to, d->buf + d->off, d->len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		if (n > 0) {
			d->off += (size_t)n;
			d->len -= (size_t)n;
			atomic_fetch_add(d->bytes, (uint64_t)n);
			atomic_fetch_add(d->flow_bytes, (uint64_t)n);
		}
	}
	if (d->eof && !d->len && !d->done) {
		shutdown(d->to, SHUT_WR);
		d->done = true;
	}
	return 0;
}

void hk_pump_tcp(int a, int b, struct hk_flowrec *rec)
{
	struct dir d[2] = {
		{ .from = a, .to = b, .bytes = &hk->cnt[VTL_HK_U_BYTES_UP], .flow_bytes = &rec->up },
		{ .from = b, .to = a, .bytes = &hk->cnt[VTL_HK_U_BYTES_DOWN],
		  .flow_bytes = &rec->down },
	};
	uint64_t flow_id = rec->f.id;
	struct pollfd p[2];
	int r = 0, i;

	d[0].buf = malloc(BUFSZ);
	d[1].buf = malloc(BUFSZ);
	if (!d[0].buf || !d[1].buf)
		r = -ENOMEM;
	while (!r && !(d[0].done && d[1].done)) {
		p[0] = (struct pollfd){ .fd = a };
		p[1] = (struct pollfd){ .fd = b };
		for (i = 0; i < 2; i++) {
			struct pollfd *pf = &p[i], *pt = &p[!i];

			if (!d[i].len && !d[i].eof)
				pf->events |= POLLIN;
			if (d[i].len)
				pt->events |= POLLOUT;
		}
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		for (i = 0; i < 2 && !r; i++)
			r = dir_step(&d[i], p[i].revents, p[!i].revents);
	}
	if (r) {
		pr_info("flow %016llx (tcp): reset: %s\n", (unsigned long long)flow_id,
			strerror(-r));
		hk_cnt_add(VTL_HK_U_RESETS, 1);
		hk_reset_fd(a);
		hk_reset_fd(b);
	} else {
		close(a);
		close(b);
	}
	free(d[0].buf);
	free(d[1].buf);
}
