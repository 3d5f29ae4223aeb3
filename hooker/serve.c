// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * VTL streams that peer Hookers open to us. Each starts with a flow
 * header (struct vtl_hk_hello):
 *   OPEN   a hooked connection on the peer host: connect to the real
 *          server here, open the reverse stream back (REPLY, with the
 *          connect's result), then pump bytes both ways;
 *   REPLY  the reverse stream of one of our own flows: hand it to the
 *          flow waiting for it (hk_reply_wait).
 * --listeners VTL listeners share the Hooker's VTL port (VTL_F_SHARED_PORT)
 * so that a burst of NEGOs never finds the port without a listener.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vtl/errors.h>
#include "hk.h"

#define HELLO_TIMEOUT_MS 5000

/* ---- flows waiting for their reverse stream ------------------------- */

static struct hk_waiter *waiters;
static pthread_mutex_t wlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wcond = PTHREAD_COND_INITIALIZER;

void hk_reply_expect(struct hk_waiter *w, uint64_t id)
{
	*w = (struct hk_waiter){ .id = id };
	pthread_mutex_lock(&wlock);
	w->next = waiters;
	waiters = w;
	pthread_mutex_unlock(&wlock);
}

/* A message from vtld on a sender's socket can only be bad news (the
 * peer reset the forward stream, vtld went away). */
static bool fwd_broken(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return fd >= 0 && poll(&p, 1, 0) > 0;
}

struct vtl_sock *hk_reply_wait(struct hk_waiter *w, int timeout_ms, uint32_t *status,
			       int watch_fd)
{
	int64_t deadline = hk_now_ms() + timeout_ms;
	struct hk_waiter **pp;
	struct timespec ts;
	struct vtl_sock *s;

	pthread_mutex_lock(&wlock);
	/* in slices, so that a broken forward stream ends the wait at once */
	while (!w->done && !atomic_load(&hk->stopping) && hk_now_ms() < deadline &&
	       !fwd_broken(watch_fd)) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 50 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&wcond, &wlock, &ts);
	}
	for (pp = &waiters; *pp; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	s = w->s;
	*status = w->status;
	pthread_mutex_unlock(&wlock);
	return s;
}

static bool reply_deliver(uint64_t id, struct vtl_sock *s, uint32_t status)
{
	struct hk_waiter *w;
	bool found = false;

	pthread_mutex_lock(&wlock);
	for (w = waiters; w; w = w->next)
		if (w->id == id && !w->done) {
			w->s = s;
			w->status = status;
			w->done = found = true;
			pthread_cond_broadcast(&wcond);
			break;
		}
	pthread_mutex_unlock(&wlock);
	return found;
}

/* ---- helpers --------------------------------------------------------- */

/* Exactly n bytes from a RECV session, or an error (-ETIMEDOUT). */
int hk_recv_exact(struct vtl_sock *s, void *buf, size_t n, int timeout_ms)
{
	int64_t deadline = hk_now_ms() + timeout_ms;
	char *p = buf;
	ssize_t r;

	/* Nothing read yet, or less than asked for: libvtl holds nothing
	 * more for us, so polling its socket is right. */
	while (n) {
		struct pollfd pf = { .fd = vtl_fd(s), .events = POLLIN };
		int left = (int)(deadline - hk_now_ms());

		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(&pf, 1, left) == 0)
			return -ETIMEDOUT;
		r = vtl_recv_data(s, p, n);
		if (r == 0)
			return -ECONNRESET;  /* end of stream inside the header */
		if (r < 0)
			return (int)r;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Only addresses of this host: a flow header must not turn the Hooker
 * into an open relay to anywhere. */
static bool is_local(uint32_t addr)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = addr };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool ok;

	if (fd < 0)
		return false;
	ok = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

struct vtl_sock *hk_vtl_connect(const char *peer, uint16_t port, uint16_t app_port, int *err)
{
	struct vtl_opts o = { .sz = sizeof(o), .socket_path = hk->o.vtl_socket,
			      .port = port, .timeout_ms = hk->o.nego_ms, .app_port = app_port,
			      .flags = VTL_F_NODELAY };
	struct vtl_sock *s;
	int r;

	r = vtl_init(&s, VTL_MODE_SEND, NULL, peer, &o);
	if (r < 0) {
		*err = r;
		return NULL;
	}
	r = vtl_negotiate(s, VTL_RELIABLE | VTL_ORDERED | VTL_CONGESTION_CONTROL, NULL);
	if (r < 0) {
		*err = r;
		vtl_abort(s);
		return NULL;
	}
	*err = 0;
	return s;
}

/* ---- the server side of a flow --------------------------------------- */

static void serve_open(struct vtl_sock *s, const struct vtl_hk_hello *h, const char *peer)
{
	struct vtl_hk_hello rep = { .magic = htonl(VTL_HK_MAGIC), .version = VTL_HK_VERSION,
				    .kind = VTL_HK_REPLY, .flow_id = h->flow_id };
	struct in_addr da = { .s_addr = h->daddr };
	uint64_t id = be64toh(h->flow_id);
	struct hk_flowrec rec = {};
	int64_t t0 = hk_now_us(), t1, t2;
	struct vtl_sock *s2;
	int fd, err;
	char dst[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &da, dst, sizeof(dst));

	hk_cnt_add(VTL_HK_U_SERVED, 1);
	/* The reverse stream first: if it fails (no room at either vtld, the
	 * peer's listeners busy), the peer falls back to TCP and the server
	 * has seen nothing. Its connect, local, takes far less than the
	 * negotiation's round trip. */
	s2 = hk_vtl_connect(peer, ntohs(h->reply_port), ntohs(h->dport), &err);
	if (s2 && (err = vtl_validate(s2, NULL)) < 0) {
		vtl_abort(s2);
		s2 = NULL;
	}
	if (!s2) {
		pr_info("flow %016llx from %s: reverse stream failed: %s\n",
			(unsigned long long)id, peer, vtl_strerror(err));
		vtl_abort(s);
		return;
	}
	t1 = hk_now_us();
	if (!is_local(h->daddr)) {
		pr_info("flow %016llx from %s: %s is not an address of this host: refused\n",
			(unsigned long long)id, peer, dst);
		fd = -EACCES;
	} else {
		fd = hk_connect_tcp(h->daddr, h->dport, hk->o.connect_ms);
	}
	rep.status = htonl(fd < 0 ? (uint32_t)-fd : 0);
	if (vtl_send_data(s2, &rep, sizeof(rep)) < 0 || fd < 0) {
		if (fd < 0)
			pr_info("flow %016llx from %s: connect %s:%u: %s\n",
				(unsigned long long)id, peer, dst, ntohs(h->dport),
				strerror(-fd));
		vtl_close(s2);  /* the REPLY says why; then end of stream */
		hk_reset_fd(fd);
		vtl_abort(s);
		return;
	}
	t2 = hk_now_us();
	pr_debug("flow %016llx from %s: serving %s:%u (reverse stream in %lld us, connect %lld us)\n",
	       (unsigned long long)id, peer, dst, ntohs(h->dport), (long long)(t1 - t0),
	       (long long)(t2 - t1));
	rec.f = (struct vtl_hk_flow){ .id = id, .side = VTL_HK_SIDE_SERVER,
		.path = VTL_HK_PATH_VTL, .app_addr = h->saddr, .app_port = ntohs(h->sport),
		.daddr = h->daddr, .dport = ntohs(h->dport) };
	inet_pton(AF_INET, peer, &rec.f.peer);
	hk_flow_register(&rec);
	hk_pump_vtl(&(struct hk_pipe){ .fd = fd, .out = s2, .in = s,
		.fd_out = { &hk->cnt[VTL_HK_U_BYTES_DOWN], &rec.down },
		.in_fd = { &hk->cnt[VTL_HK_U_BYTES_UP], &rec.up },
		.who = "server", .flow_id = id, .rec = &rec, .server = true });
	hk_flow_unregister(&rec);
}

static void *serve_main(void *arg)
{
	struct vtl_sock *s = arg;
	struct vtl_hk_hello h;
	struct vtl_info info;
	int r;

	atomic_fetch_add(&hk->flows_live, 1);
	vtl_validate(s, &info);  /* already open: fills info */
	r = hk_recv_exact(s, &h, sizeof(h), HELLO_TIMEOUT_MS);
	if (r < 0 || ntohl(h.magic) != VTL_HK_MAGIC || h.version != VTL_HK_VERSION ||
	    (h.kind != VTL_HK_OPEN && h.kind != VTL_HK_REPLY)) {
		pr_info("session %#x from %s: %s: dropped\n", info.session_id, info.peer,
			r < 0 ? "no flow header" : "bad flow header");
		vtl_abort(s);
	} else if (h.kind == VTL_HK_REPLY) {
		if (!reply_deliver(be64toh(h.flow_id), s, ntohl(h.status))) {
			pr_info("reverse stream for unknown flow %016llx from %s: dropped\n",
				(unsigned long long)be64toh(h.flow_id), info.peer);
			vtl_abort(s);
		}
	} else if (!hk_vtl_slot_get()) {
		/* the peer's Hooker sees the reset at once and uses TCP */
		pr_info("flow %016llx from %s: --max-vtl-flows (%d) reached: refused\n",
			(unsigned long long)be64toh(h.flow_id), info.peer, hk->o.max_vtl);
		vtl_abort(s);
	} else {
		serve_open(s, &h, info.peer);
		hk_vtl_slot_put();
	}
	atomic_fetch_sub(&hk->flows_live, 1);
	return NULL;
}

static void *listener_main(void *arg)
{
	struct vtl_opts o = { .sz = sizeof(o), .socket_path = hk->o.vtl_socket,
			      .port = hk->o.vtl_port, .flags = VTL_F_SHARED_PORT };
	bool said = false, daemon_up;
	struct vtl_sock *s;
	pthread_t t;
	int r;

	(void)arg;
	o.timeout_ms = 600000;  /* a listener waits as long as it must */
	while (!atomic_load(&hk->stopping)) {
		r = vtl_init(&s, VTL_MODE_RECV, NULL, NULL, &o);
		daemon_up = r == 0;
		if (!r) {
			r = vtl_negotiate(s, VTL_RELIABLE | VTL_ORDERED, NULL);
			if (!r) {
				said = false;
				r = vtl_validate(s, NULL);
			}
			if (r < 0)
				vtl_abort(s);
		}
		if (r < 0) {
			if (!said)
				pr_warn("VTL listener on port %u: %s (retrying every second)\n",
				       hk->o.vtl_port, daemon_up ? vtl_strerror(r) :
				       "cannot reach vtld");
			said = true;
			sleep(1);  /* vtld is away: retry pace, not a wait for an event */
			continue;
		}
		if (pthread_create(&t, NULL, serve_main, s)) {
			vtl_abort(s);
			continue;
		}
		pthread_detach(t);
	}
	return NULL;
}

int hk_serve_start(void)
{
	pthread_t t;
	int i;

	for (i = 0; i < hk->o.listeners; i++) {
		if (pthread_create(&t, NULL, listener_main, NULL))
			return -errno;
		pthread_detach(t);
	}
	return 0;
}
