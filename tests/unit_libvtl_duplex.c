// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * unit_libvtl, both directions of one session (full duplex): what the
 * peer sends arrives while we send, while vtl_shutdown waits for our DONE,
 * after it, and around the peer's EOF; vtl_recv_data_nb returns it in
 * order, says -EAGAIN when nothing is there, 0 after the EOF, and the
 * error of an ERROR that came behind data; vtl_shutdown_nb half-closes
 * without waiting, its DONE taken by vtl_recv_data_nb. The fake vtld and the test
 * handshake (unit_libvtl_fake.h): every message a step relies on is in the
 * socket before the step starts, so nothing depends on timing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "unit_libvtl.h"

/* Handshake tags, fake vtld -> test and back */
#define TAG_QUIET  'E'  /* test: nb said -EAGAIN on the quiet, open session */
#define TAG_D1     '1'  /* vtld: the peer's first DATA is in the socket */
#define TAG_D2     '2'  /* vtld: two more DATA wait, unread by the client */
#define TAG_D3     '3'  /* vtld: DATA, DONE, DATA sent after our SHUTDOWN */
#define TAG_READ   '4'  /* test: read all of it */
#define TAG_EOF    '5'  /* vtld: EOF sent */
#define TAG_EARLY  'a'  /* vtld: the peer's DATA and EOF wait */
#define TAG_ERR    'x'  /* vtld: DATA and an ERROR wait */
#define TAG_SHUT   'S'  /* test: vtl_shutdown_nb said -EAGAIN */
#define TAG_TAIL   'T'  /* vtld: DATA, DONE, DATA, EOF wait */

/* Our stream: pattern bytes from OUR_BASE on (the peer's from 0). */
#define OUR_BASE   (1u << 30)

/* The peer's messages in the first scenario, in the order sent. */
static const size_t d_sizes[5] = { 1000, VTL_IPC_MAX_DATA, 7, 2000, 3333 };
#define PEER_TOTAL (1000 + VTL_IPC_MAX_DATA + 7 + 2000 + 3333)
#define OUR1       5000
#define OUR2       (200 * 1024)  /* several DATA messages */

static void stats2(int fd, unsigned type, uint64_t tx, uint64_t rx)
{
	struct vtl_ipc_stats st = {
		.bytes = tx, .bytes_rx = rx, .packets = tx / 1400 + 1,
		.packets_rx = rx / 1400 + 1, .session_id = SESSION_ID,
	};

	d_send(fd, type, &st, sizeof(st));
}

/* daemon side: the peer's bytes [off, off + n) as one DATA */
static uint64_t peer_data(int fd, uint64_t off, size_t n)
{
	static uint8_t buf[VTL_IPC_MAX_DATA];

	pattern(buf, off, n);
	d_send(fd, VTL_IPC_DATA, buf, n);
	return off + n;
}

/* daemon side: read the client's DATA until a message of another type
 * (returned in *type); checks every byte against our pattern from *off. */
static void our_data(int fd, uint64_t *off, unsigned *type)
{
	static uint8_t body[VTL_IPC_MAX_MSG], want[VTL_IPC_MAX_DATA];
	struct vtl_ipc_hdr h = { 0 };
	int n;

	for (;;) {
		n = d_recv(fd, &h, body, sizeof(body));
		if (n < 0 || h.type != VTL_IPC_DATA)
			break;
		pattern(want, OUR_BASE + *off, (size_t)n);
		CHECK(n > 0 && !memcmp(body, want, (size_t)n),
		      "the client's DATA of %d bytes at %llu differs", n,
		      (unsigned long long)*off);
		*off += (uint64_t)n;
	}
	*type = n < 0 ? 0 : h.type;
}

/* client side: send our bytes [*off, *off + n) */
static void send_ours(vtl_sock *s, uint64_t *off, size_t n)
{
	uint8_t *buf = malloc(n);
	ssize_t r;

	if (!buf) {
		CHECK(0, "malloc");
		return;
	}
	pattern(buf, OUR_BASE + *off, n);
	r = vtl_send_data(s, buf, n);
	CHECK(r == (ssize_t)n, "send %zu: %zd (%s)", n, r, vtl_strerror((int)r));
	*off += n;
	free(buf);
}

/* client side: vtl_recv_data_nb with a bufsz-byte buffer until it returns
 * something other than bytes; what came is appended to got (checked
 * against the peer's pattern at the end). Returns the last return. */
struct rx {
	uint8_t got[PEER_TOTAL + 1];
	size_t have;
};

static ssize_t drain(vtl_sock *s, struct rx *x, size_t bufsz)
{
	uint8_t *buf = malloc(bufsz);
	ssize_t n = -ENOMEM;

	while (buf && (n = vtl_recv_data_nb(s, buf, bufsz)) > 0) {
		CHECK(x->have + (size_t)n <= PEER_TOTAL, "more than the peer sent");
		if (x->have + (size_t)n > PEER_TOTAL)
			break;
		memcpy(x->got + x->have, buf, (size_t)n);
		x->have += (size_t)n;
	}
	free(buf);
	return n;
}

static int rx_exact(const struct rx *x, size_t want)
{
	uint8_t *w = malloc(want);
	int ok;

	if (!w)
		return 0;
	pattern(w, 0, want);
	ok = x->have == want && !memcmp(x->got, w, want);
	free(w);
	return ok;
}

/* ---- 1. we half-close first: the peer's DATA before, during and after
 * our sends and our shutdown (one DATA before our DONE, one after), then
 * its EOF ---- */
static void d_we_close_first(int fd, const void *arg)
{
	uint8_t body[VTL_IPC_MAX_MSG], want[OUR1];
	uint64_t poff = 0, ooff = 0;
	struct vtl_ipc_hdr h;
	unsigned type;
	int n;

	(void)arg;
	d_expect(fd, VTL_IPC_OPEN, body, sizeof(body));
	send_session(fd, "10.1.2.3");
	if (d_wait(TAG_QUIET, FAKE_DEADLINE_MS, "vtl_recv_data_nb said -EAGAIN") < 0)
		return;
	poff = peer_data(fd, poff, d_sizes[0]);
	d_post(TAG_D1);
	n = d_recv(fd, &h, body, sizeof(body));  /* our first send: one message */
	pattern(want, OUR_BASE, OUR1);
	CHECK(n == OUR1 && h.type == VTL_IPC_DATA && !memcmp(body, want, OUR1),
	      "first DATA of the client: type %u, %d bytes", h.type, n);
	ooff = OUR1;
	poff = peer_data(fd, poff, d_sizes[1]);
	poff = peer_data(fd, poff, d_sizes[2]);
	d_post(TAG_D2);
	our_data(fd, &ooff, &type);
	CHECK(type == VTL_IPC_SHUTDOWN && ooff == OUR1 + OUR2,
	      "after %llu bytes of the client's DATA: type %u, not SHUTDOWN",
	      (unsigned long long)ooff, type);
	poff = peer_data(fd, poff, d_sizes[3]);   /* before our DONE */
	stats2(fd, VTL_IPC_DONE, ooff, poff);
	poff = peer_data(fd, poff, d_sizes[4]);   /* after it */
	d_post(TAG_D3);
	if (d_wait(TAG_READ, FAKE_DEADLINE_MS, "the test read the peer's data") < 0)
		return;
	stats2(fd, VTL_IPC_EOF, ooff, poff);
	d_post(TAG_EOF);
	d_expect_close(fd);  /* both directions over: nothing more to say */
}

static void t_we_close_first(const char *path, const void *arg)
{
	struct vtl_opts o = opts(path);
	struct rx *x = calloc(1, sizeof(*x));
	struct vtl_stats st;
	uint64_t ooff = 0;
	uint8_t b[16];
	vtl_sock *s;
	ssize_t n;
	int r;

	(void)arg;
	if (!x || vtl_init(&s, VTL_MODE_SEND, NULL, "10.1.2.3", &o)) {
		CHECK(0, "init");
		free(x);
		return;
	}
	CHECK(vtl_recv_data_nb(s, b, sizeof(b)) == -VTL_E_STATE, "nb before the session");
	CHECK(vtl_recv_data_nb(s, NULL, 10) == -VTL_E_BADPARAM, "nb without a buffer");
	CHECK(vtl_recv_data_nb(NULL, b, 10) == -VTL_E_BADPARAM, "nb without a socket");
	r = vtl_validate(s, NULL);
	CHECK(r == 0, "validate: %s", vtl_strerror(r));
	n = vtl_recv_data_nb(s, b, sizeof(b));
	CHECK(n == -EAGAIN, "nb on a quiet session: %zd (%s)", n, vtl_strerror((int)n));
	t_post(TAG_QUIET);

	/* DATA waiting on the socket: taken at once, then nothing */
	t_wait(TAG_D1, FAKE_DEADLINE_MS, "the peer's first DATA sent");
	n = drain(s, x, 65536);
	CHECK(n == -EAGAIN && x->have == d_sizes[0], "first DATA: %zu bytes, then %zd",
	      x->have, n);
	send_ours(s, &ooff, OUR1);

	/* DATA that waits while we send is kept for us, in order */
	t_wait(TAG_D2, FAKE_DEADLINE_MS, "two more DATA of the peer sent");
	send_ours(s, &ooff, OUR2);
	n = drain(s, x, 3000);  /* smaller than a message: in pieces */
	CHECK(n == -EAGAIN && x->have == d_sizes[0] + d_sizes[1] + d_sizes[2],
	      "DATA taken while sending: %zu bytes in all, then %zd", x->have, n);

	/* half-close: DATA before our DONE is kept, DATA after it waits */
	r = vtl_shutdown(s, &st);
	CHECK(r == 0 && st.bytes_tx == OUR1 + OUR2, "shutdown %d (%s), bytes_tx %llu",
	      r, vtl_strerror(r), (unsigned long long)st.bytes_tx);
	CHECK(vtl_send_data(s, b, 1) == -VTL_E_STATE, "send after our shutdown");
	t_wait(TAG_D3, FAKE_DEADLINE_MS, "DATA, DONE, DATA sent");
	n = drain(s, x, 65536);
	CHECK(n == -EAGAIN && x->have == PEER_TOTAL,
	      "the peer's direction after our DONE: %zu of %d bytes, then %zd",
	      x->have, PEER_TOTAL, n);
	t_post(TAG_READ);

	/* the peer's EOF: 0, and 0 again, from either call */
	t_wait(TAG_EOF, FAKE_DEADLINE_MS, "EOF sent");
	n = drain(s, x, 65536);
	CHECK(n == 0, "nb after the EOF: %zd (%s)", n, vtl_strerror((int)n));
	CHECK(vtl_recv_data_nb(s, b, sizeof(b)) == 0, "nb: 0 again");
	CHECK(vtl_recv_data(s, b, sizeof(b)) == 0, "vtl_recv_data: 0 after EOF");
	CHECK(rx_exact(x, PEER_TOTAL), "the peer's %d bytes, byte-exact (%zu came)",
	      PEER_TOTAL, x->have);
	r = vtl_get_stats(s, &st);
	CHECK(r == 0 && st.bytes_tx == OUR1 + OUR2 && st.bytes_rx == PEER_TOTAL,
	      "stats %d: tx %llu rx %llu", r, (unsigned long long)st.bytes_tx,
	      (unsigned long long)st.bytes_rx);
	CHECK(vtl_close(s) == 0, "close");
	free(x);
}

/* ---- 2. the peer ends first (a responder): its DATA and EOF arrive
 * while we send; our direction goes on after its EOF ---- */
#define EARLY_PEER 300
#define OUR3       (100 * 1024)
#define OUR4       1000

static void d_peer_ends_first(int fd, const void *arg)
{
	uint8_t body[VTL_IPC_MAX_MSG];
	uint64_t ooff = 0;
	unsigned type;

	(void)arg;
	d_expect(fd, VTL_IPC_OPEN, body, sizeof(body));
	d_send(fd, VTL_IPC_LISTENING, NULL, 0);
	send_session(fd, "192.168.7.9");
	peer_data(fd, 0, EARLY_PEER);
	stats2(fd, VTL_IPC_EOF, 0, EARLY_PEER);
	d_post(TAG_EARLY);
	our_data(fd, &ooff, &type);
	CHECK(type == VTL_IPC_SHUTDOWN && ooff == OUR3 + OUR4,
	      "after %llu bytes of the client's DATA: type %u, not SHUTDOWN",
	      (unsigned long long)ooff, type);
	stats2(fd, VTL_IPC_DONE, ooff, EARLY_PEER);
	d_expect_close(fd);
}

static void t_peer_ends_first(const char *path, const void *arg)
{
	struct vtl_opts o = opts(path);
	struct rx *x = calloc(1, sizeof(*x));
	struct vtl_stats st;
	uint64_t ooff = 0;
	uint8_t b[16];
	vtl_sock *s;
	ssize_t n;
	int r;

	(void)arg;
	o.port = 9;
	if (!x || vtl_init(&s, VTL_MODE_RECV, NULL, NULL, &o)) {
		CHECK(0, "init");
		free(x);
		return;
	}
	r = vtl_negotiate(s, VTL_RELIABLE | VTL_ORDERED, NULL);
	CHECK(r == 0, "negotiate: %s", vtl_strerror(r));
	CHECK(vtl_recv_data_nb(s, b, sizeof(b)) == -VTL_E_STATE, "nb while listening");
	r = vtl_validate(s, NULL);
	CHECK(r == 0, "validate: %s", vtl_strerror(r));
	t_wait(TAG_EARLY, FAKE_DEADLINE_MS, "the peer's DATA and EOF sent");
	send_ours(s, &ooff, OUR3);  /* takes both in while it sends */
	n = drain(s, x, 65536);
	CHECK(n == 0 && rx_exact(x, EARLY_PEER), "the peer's direction: %zu bytes "
	      "(want %d, byte-exact), then %zd", x->have, EARLY_PEER, n);
	CHECK(vtl_recv_data(s, b, sizeof(b)) == 0, "vtl_recv_data: 0, without waiting");
	send_ours(s, &ooff, OUR4);  /* ours goes on after the peer's EOF */
	r = vtl_shutdown(s, &st);
	CHECK(r == 0 && st.bytes_tx == OUR3 + OUR4 && st.bytes_rx == EARLY_PEER &&
	      st.bytes == EARLY_PEER, "shutdown %d (%s): tx %llu rx %llu bytes %llu",
	      r, vtl_strerror(r), (unsigned long long)st.bytes_tx,
	      (unsigned long long)st.bytes_rx, (unsigned long long)st.bytes);
	CHECK(vtl_recv_data_nb(s, b, sizeof(b)) == 0, "nb: still 0 after DONE");
	CHECK(vtl_close(s) == 0, "close");
	free(x);
}

/* ---- 3. DATA, then an ERROR: the data first, then the error, sticky ---- */
#define BEFORE_ERR 100

static void d_error_behind_data(int fd, const void *arg)
{
	uint8_t body[VTL_IPC_MAX_MSG];

	(void)arg;
	d_expect(fd, VTL_IPC_OPEN, body, sizeof(body));
	send_session(fd, "10.1.2.3");
	peer_data(fd, 0, BEFORE_ERR);
	d_send_error(fd, -VTL_E_PEER_LOST, "peer stopped acknowledging");
	d_post(TAG_ERR);
	d_expect_close(fd);
}

static void t_error_behind_data(const char *path, const void *arg)
{
	struct vtl_opts o = opts(path);
	struct rx *x = calloc(1, sizeof(*x));
	uint8_t b[16];
	vtl_sock *s;
	ssize_t n;

	(void)arg;
	if (!x || vtl_init(&s, VTL_MODE_SEND, NULL, "10.1.2.3", &o)) {
		CHECK(0, "init");
		free(x);
		return;
	}
	CHECK(vtl_validate(s, NULL) == 0, "validate");
	t_wait(TAG_ERR, FAKE_DEADLINE_MS, "DATA and ERROR sent");
	n = drain(s, x, 65536);
	CHECK(n == -VTL_E_PEER_LOST && rx_exact(x, BEFORE_ERR),
	      "%zu bytes (want %d), then %zd (%s)", x->have, BEFORE_ERR, n,
	      vtl_strerror((int)n));
	CHECK(vtl_recv_data_nb(s, b, sizeof(b)) == -VTL_E_PEER_LOST, "sticky (nb)");
	CHECK(vtl_recv_data(s, b, sizeof(b)) == -VTL_E_PEER_LOST, "sticky (recv)");
	CHECK(vtl_send_data(s, b, 1) == -VTL_E_PEER_LOST, "sticky (send)");
	CHECK(strstr(vtl_errmsg(s), "stopped acknowledging") != NULL, "errmsg '%s'",
	      vtl_errmsg(s));
	CHECK(vtl_close(s) == 0, "close");
	free(x);
}

/* ---- 4. the half-close without waiting: vtl_shutdown_nb starts it;
 * DATA, our DONE, DATA and the peer's EOF are taken by vtl_recv_data_nb;
 * vtl_shutdown_nb then says 0 ---- */
#define NB_OURS  1000
#define NB_PEER1 500
#define NB_PEER2 200

static void d_shutdown_nb(int fd, const void *arg)
{
	uint8_t body[VTL_IPC_MAX_MSG];
	uint64_t ooff = 0, poff = 0;
	unsigned type;

	(void)arg;
	d_expect(fd, VTL_IPC_OPEN, body, sizeof(body));
	send_session(fd, "10.1.2.3");
	our_data(fd, &ooff, &type);
	CHECK(type == VTL_IPC_SHUTDOWN && ooff == NB_OURS,
	      "after %llu bytes of the client's DATA: type %u, not SHUTDOWN",
	      (unsigned long long)ooff, type);
	if (d_wait(TAG_SHUT, FAKE_DEADLINE_MS, "vtl_shutdown_nb returned -EAGAIN") < 0)
		return;
	poff = peer_data(fd, poff, NB_PEER1);
	stats2(fd, VTL_IPC_DONE, ooff, poff);
	poff = peer_data(fd, poff, NB_PEER2);
	stats2(fd, VTL_IPC_EOF, ooff, poff);
	d_post(TAG_TAIL);
	d_expect_close(fd);
}

static void t_shutdown_nb(const char *path, const void *arg)
{
	struct vtl_opts o = opts(path);
	struct rx *x = calloc(1, sizeof(*x));
	struct vtl_stats st = { 0 };
	uint64_t ooff = 0;
	uint8_t b[16];
	vtl_sock *s;
	ssize_t n;
	int r;

	(void)arg;
	if (!x || vtl_init(&s, VTL_MODE_SEND, NULL, "10.1.2.3", &o)) {
		CHECK(0, "init");
		free(x);
		return;
	}
	CHECK(vtl_shutdown_nb(s, &st) == -VTL_E_STATE, "shutdown_nb before the session");
	CHECK(vtl_validate(s, NULL) == 0, "validate");
	send_ours(s, &ooff, NB_OURS);
	r = vtl_shutdown_nb(s, &st);
	CHECK(r == -EAGAIN, "shutdown_nb, no DONE yet: %d (%s)", r, vtl_strerror(r));
	CHECK(vtl_shutdown_nb(s, &st) == -EAGAIN, "shutdown_nb again: still -EAGAIN");
	CHECK(vtl_send_data(s, b, 1) == -VTL_E_STATE, "send after shutdown_nb");
	n = vtl_recv_data_nb(s, b, sizeof(b));
	CHECK(n == -EAGAIN, "nb: %zd", n);
	t_post(TAG_SHUT);
	t_wait(TAG_TAIL, FAKE_DEADLINE_MS, "DATA, DONE, DATA, EOF sent");
	n = drain(s, x, 65536);  /* takes the DONE between the two DATA */
	CHECK(n == 0 && rx_exact(x, NB_PEER1 + NB_PEER2),
	      "the peer's direction: %zu bytes (want %d, byte-exact), then %zd (%s)",
	      x->have, NB_PEER1 + NB_PEER2, n, vtl_strerror((int)n));
	r = vtl_shutdown_nb(s, &st);
	CHECK(r == 0 && st.bytes_tx == NB_OURS && st.bytes_rx == NB_PEER1 + NB_PEER2,
	      "shutdown_nb after DONE: %d (%s), tx %llu rx %llu", r, vtl_strerror(r),
	      (unsigned long long)st.bytes_tx, (unsigned long long)st.bytes_rx);
	CHECK(vtl_shutdown(s, NULL) == 0, "vtl_shutdown after it: 0 at once");
	CHECK(vtl_close(s) == 0, "close");
	free(x);
}

void duplex_scenarios(void)
{
	scenario("duplex: DATA before, during and after our sends and half-close, "
		 "DONE between, EOF", d_we_close_first, NULL, t_we_close_first);
	scenario("duplex: the peer's EOF while we send, ours goes on (responder)",
		 d_peer_ends_first, NULL, t_peer_ends_first);
	scenario("duplex: nb returns DATA, then the ERROR behind it", d_error_behind_data,
		 NULL, t_error_behind_data);
	scenario("duplex: vtl_shutdown_nb; DATA, DONE, DATA, EOF taken by nb",
		 d_shutdown_nb, NULL, t_shutdown_nb);
}
