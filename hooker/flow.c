// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * One hooked connection, on the host of the application that connected.
 *
 *  1. Find the real destination (hk_flows, published by the sockops
 *     program before the application's ACK left, so it is there when we
 *     accept).
 *  2. Choose the path. A peer known to lack VTL goes straight to TCP.
 *     Otherwise negotiate VTL with the peer host; if it has not answered
 *     within --race ms, start a TCP connect too and take whichever is
 *     ready first (happy eyeballs with a head start for VTL: the TCP
 *     connect is never started while VTL can still win quickly, because
 *     a TCP connection the server accepted cannot be taken back).
 *  3. VTL: send the flow header (OPEN), wait for the peer Hooker's
 *     reverse stream (REPLY, with the result of its connect to the
 *     server). Up to this point no byte of the application has been read,
 *     so any failure still falls back to TCP.
 *  4. Pump bytes until both directions have ended.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vtl/errors.h>
#include "hk.h"

struct flow {
	struct hk_flowrec rec;        /* what vtlctl hooker flows shows */
	int fd;                       /* the application's connection (accepted) */
	struct sockaddr_in app;       /* its address */
	struct vtl_hk_orig orig;      /* where it wanted to go */
	uint64_t id;
	char dst[INET_ADDRSTRLEN];
};

/* Start a non-blocking TCP connect to the real destination. */
static int tcp_start(const struct flow *f)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = f->orig.daddr,
				  .sin_port = f->orig.dport };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) && errno != EINPROGRESS) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

static int tcp_finish(int fd)
{
	socklen_t len = sizeof(int);
	int err = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len))
		err = errno;
	if (err) {
		close(fd);
		return -err;
	}
	return fd;
}

/* Negotiate VTL, racing a TCP connect after the head start. Returns the
 * open VTL session, or NULL with *tcp_fd set (>= 0: a connected TCP
 * socket that won; < 0: no TCP yet) and *verr why VTL did not make it. */
static struct vtl_sock *race(struct flow *f, int *tcp_fd, int *verr, bool known_vtl)
{
	int64_t start = hk_now_ms(), deadline = start + hk->o.nego_ms + 500;
	int64_t tcp_at = known_vtl ? deadline : start + hk->o.race_ms;
	struct vtl_sock *s;
	struct pollfd p[2];
	int tfd = -1, n, r;

	*tcp_fd = -1;
	s = hk_vtl_connect(f->dst, hk->o.vtl_port, ntohs(f->orig.dport), verr);
	if (!s)
		return NULL;
	for (;;) {
		int64_t now = hk_now_ms(), until = tfd < 0 && tcp_at < deadline ? tcp_at : deadline;

		if (tfd < 0 && now >= tcp_at && tcp_at < deadline) {
			tfd = tcp_start(f);
			tcp_at = deadline;  /* once */
			if (tfd < 0)
				pr_debug("flow %016llx: TCP to %s: %s\n", (unsigned long long)f->id,
				       f->dst, strerror(-tfd));
			continue;
		}
		if (now >= deadline) {
			*verr = -VTL_E_TIMEOUT;
			break;
		}
		p[0] = (struct pollfd){ .fd = vtl_fd(s), .events = POLLIN };
		p[1] = (struct pollfd){ .fd = tfd, .events = POLLOUT };
		n = poll(p, tfd >= 0 ? 2 : 1, (int)(until - now));
		if (n < 0 && errno != EINTR) {
			*verr = -errno;
			break;
		}
		if (n <= 0)
			continue;
		/* TCP first: once its handshake is done the server has (or will)
		 * accept it, and taking VTL would leave it a spurious connection;
		 * a VTL session left over is harmless (no flow header follows) */
		if (tfd >= 0 && p[1].revents) {
			tfd = tcp_finish(tfd);
			if (tfd >= 0) {  /* TCP first: VTL did not answer in head start + 1 RTT */
				*tcp_fd = tfd;
				*verr = -VTL_E_TIMEOUT;
				break;
			}
			tcp_at = deadline;  /* refused: VTL may still answer */
			tfd = -1;
			p[1].revents = 0;
		}
		if (p[0].revents) {
			r = vtl_validate(s, NULL);
			if (r == 0) {
				if (tfd >= 0)
					hk_reset_fd(tfd);  /* lost: never reached the server's accept() */
				return s;
			}
			*verr = r;
			vtl_abort(s);
			s = NULL;
			if (tfd < 0)
				return NULL;
			/* VTL said no while TCP is on its way: let TCP finish */
			p[1] = (struct pollfd){ .fd = tfd, .events = POLLOUT };
			if (poll(&p[1], 1, hk->o.connect_ms ? hk->o.connect_ms : -1) != 1) {
				close(tfd);
				*tcp_fd = -ETIMEDOUT;
				return NULL;
			}
			*tcp_fd = tcp_finish(tfd);
			return NULL;
		}
	}
	if (s)
		vtl_abort(s);
	if (tfd >= 0 && *tcp_fd < 0)
		close(tfd);
	return NULL;
}

/* Returns true if VTL carried the flow (or it failed after the point of
 * no return); false: carry it over TCP (*tcp_fd may already be connected). */
static bool try_vtl_slot(struct flow *f, int *tcp_fd)
{
	struct vtl_hk_hello h = {
		.magic = htonl(VTL_HK_MAGIC), .version = VTL_HK_VERSION, .kind = VTL_HK_OPEN,
		.reply_port = htons(hk->o.vtl_port), .flow_id = htobe64(f->id),
		.daddr = f->orig.daddr, .dport = f->orig.dport,
		.saddr = f->app.sin_addr.s_addr, .sport = f->app.sin_port,
	};
	int st = hk_peer_state(f->orig.daddr), err = 0;
	struct hk_waiter w;
	struct vtl_sock *s, *s2;
	uint32_t status = 0;
	int64_t t0 = hk_now_us(), t_nego;

	*tcp_fd = -1;
	if (st == VTL_HK_PEER_NOVTL) {
		hk_cnt_add(VTL_HK_U_TCP_CACHED, 1);
		return false;
	}
	s = race(f, tcp_fd, &err, st == VTL_HK_PEER_VTL);
	if (!s) {
		if (err == -VTL_E_DAEMON) {
			hk_cnt_add(VTL_HK_U_TCP_NO_VTLD, 1);
		} else {
			hk_cnt_add(VTL_HK_U_TCP_FALLBACK, 1);
			hk_peer_result(f->orig.daddr, err, false);
		}
		pr_info("flow %016llx to %s:%u: VTL: %s: over TCP\n", (unsigned long long)f->id,
			f->dst, ntohs(f->orig.dport), vtl_strerror(err));
		return false;
	}
	t_nego = hk_now_us();
	hk_reply_expect(&w, f->id);
	if (vtl_send_data(s, &h, sizeof(h)) < 0) {
		hk_reply_wait(&w, 0, &status, -1);
		vtl_abort(s);
		hk_cnt_add(VTL_HK_U_TCP_FALLBACK, 1);
		return false;
	}
	/* the peer connects to the server first: as long as its connect may take */
	s2 = hk_reply_wait(&w, hk->o.nego_ms + (hk->o.connect_ms ? hk->o.connect_ms : 135000) + 1000,
			   &status, vtl_fd(s));
	if (!s2) {
		pr_info("flow %016llx to %s:%u: no reverse stream from the peer Hooker: "
			"over TCP\n", (unsigned long long)f->id, f->dst, ntohs(f->orig.dport));
		vtl_abort(s);
		hk_cnt_add(VTL_HK_U_TCP_FALLBACK, 1);
		hk_peer_result(f->orig.daddr, -VTL_E_PEER_LOST, false);
		return false;
	}
	hk_peer_result(f->orig.daddr, 0, true);
	if (status) {  /* the peer could not reach the server: as TCP would say */
		pr_info("flow %016llx to %s:%u: the peer Hooker's connect: %s\n",
			(unsigned long long)f->id, f->dst, ntohs(f->orig.dport),
			strerror((int)status));
		hk_cnt_add(VTL_HK_U_FAILED, 1);
		vtl_abort(s2);
		vtl_abort(s);
		hk_reset_fd(f->fd);
		return true;
	}
	hk_cnt_add(VTL_HK_U_VTL, 1);
	pr_debug("flow %016llx to %s:%u: over VTL (negotiated in %lld us, reverse stream %lld us later)\n",
	       (unsigned long long)f->id, f->dst, ntohs(f->orig.dport), (long long)(t_nego - t0),
	       (long long)(hk_now_us() - t_nego));
	hk_flow_set_path(&f->rec, VTL_HK_PATH_VTL);
	hk_pump_vtl(&(struct hk_pipe){ .fd = f->fd, .out = s, .in = s2,
		.fd_out = { &hk->cnt[VTL_HK_U_BYTES_UP], &f->rec.up },
		.in_fd = { &hk->cnt[VTL_HK_U_BYTES_DOWN], &f->rec.down },
		.who = "app", .flow_id = f->id, .rec = &f->rec });
	return true;
}

bool hk_vtl_slot_get(void)
{
	if (atomic_fetch_add(&hk->vtl_flows, 1) < hk->o.max_vtl)
		return true;
	atomic_fetch_sub(&hk->vtl_flows, 1);
	return false;
}

void hk_vtl_slot_put(void)
{
	atomic_fetch_sub(&hk->vtl_flows, 1);
}

/* try_vtl_slot within --max-vtl-flows: past it, TCP at once (vtld's
 * session slots are shared with every other application). */
static bool try_vtl(struct flow *f, int *tcp_fd)
{
	bool r;

	*tcp_fd = -1;
	if (!hk_vtl_slot_get()) {
		hk_cnt_add(VTL_HK_U_TCP_BUSY, 1);
		return false;
	}
	r = try_vtl_slot(f, tcp_fd);
	hk_vtl_slot_put();
	return r;
}

static void *flow_main(void *arg)
{
	struct flow *f = arg;
	socklen_t len = sizeof(f->app);
	int tfd;

	if (getpeername(f->fd, (struct sockaddr *)&f->app, &len) ||
	    hk_bpf_lookup_flow(f->app.sin_addr.s_addr, f->app.sin_port, &f->orig)) {
		/* not one of ours (someone connected to the port directly) */
		pr_info("connection from %s:%u was not diverted by the Hooker: closed\n",
			inet_ntoa(f->app.sin_addr), ntohs(f->app.sin_port));
		hk_reset_fd(f->fd);
		goto out;
	}
	hk_cnt_add(VTL_HK_U_ACCEPTED, 1);
	inet_ntop(AF_INET, &f->orig.daddr, f->dst, sizeof(f->dst));
	f->rec.f = (struct vtl_hk_flow){ .id = f->id, .side = VTL_HK_SIDE_CLIENT,
		.path = VTL_HK_PATH_NEGO, .peer = f->orig.daddr,
		.app_addr = f->app.sin_addr.s_addr, .app_port = ntohs(f->app.sin_port),
		.daddr = f->orig.daddr, .dport = ntohs(f->orig.dport) };
	hk_flow_register(&f->rec);
	if (try_vtl(f, &tfd))
		goto out_registered;
	if (tfd < 0)
		tfd = hk_connect_tcp(f->orig.daddr, f->orig.dport, hk->o.connect_ms);
	if (tfd < 0) {
		pr_info("flow %016llx to %s:%u: TCP: %s\n", (unsigned long long)f->id, f->dst,
			ntohs(f->orig.dport), strerror(-tfd));
		hk_cnt_add(VTL_HK_U_FAILED, 1);
		hk_reset_fd(f->fd);
		goto out_registered;
	}
	hk_flow_set_path(&f->rec, VTL_HK_PATH_TCP);
	hk_pump_tcp(f->fd, tfd, &f->rec);
out_registered:
	hk_flow_unregister(&f->rec);
out:
	atomic_fetch_sub(&hk->flows_live, 1);
	atomic_fetch_sub(&hk->cnt[VTL_HK_U_ACTIVE], 1);
	free(f);
	return NULL;
}

void hk_flow_start(int fd)
{
	struct flow *f = calloc(1, sizeof(*f));
	pthread_attr_t a;
	pthread_t t;

	if (!f) {
		hk_reset_fd(fd);
		return;
	}
	f->fd = fd;
	if (getrandom(&f->id, sizeof(f->id), 0) != sizeof(f->id))
		f->id = ((uint64_t)rand() << 32) ^ (uint64_t)hk_now_ms();
	atomic_fetch_add(&hk->flows_live, 1);
	atomic_fetch_add(&hk->cnt[VTL_HK_U_ACTIVE], 1);
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &a, flow_main, f)) {
		atomic_fetch_sub(&hk->flows_live, 1);
		atomic_fetch_sub(&hk->cnt[VTL_HK_U_ACTIVE], 1);
		hk_reset_fd(fd);
		free(f);
	}
	pthread_attr_destroy(&a);
}
