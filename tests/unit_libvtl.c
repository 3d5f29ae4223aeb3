// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * unit_libvtl: libvtl against a scripted fake vtld (unit_libvtl_fake.c).
 * Each scenario (a CHECK_CASE) forks a fake daemon; both sides check what
 * they see, and the fake's checks count in the same tally. No scenario
 * depends on timing: where one side must wait for the other, they
 * handshake (unit_libvtl_fake.h), and the states waited for are observed
 * in the kernel: a full socket (SIOCOUTQ >= SO_SNDBUF), a thread asleep in
 * poll(2) (/proc/self/task/TID/syscall).
 * Prints "N passed, N failed"; exits non-zero on any failure.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/sockios.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <vtl/vtl.h>
#include "unit_libvtl.h"

/* Handshake tags (unit_libvtl_fake.h): test -> fake vtld */
#define TAG_FULL  'B'  /* the client is blocked on its full socket */
#define TAG_GO    'G'  /* vtl_negotiate is seen waiting: answer it now */
#define TAG_DONE  'D'  /* vtl_send_data returned */

/* ---- backpressure, seen in the kernel ----
 * vtld applies backpressure by not reading. The client's socket is full
 * once the bytes vtld has not read (SIOCOUTQ: the send-buffer memory in
 * use) reach SO_SNDBUF: every send then gets EAGAIN, and libvtl waits in
 * poll(2) until vtld reads or says something. A thread watches for both
 * (the socket full, the test's thread asleep in poll) while the test is
 * inside vtl_send_data, then tells the fake vtld (TAG_FULL), which reads
 * nothing before. Both states hold until the fake vtld acts. */
struct full_watch {
	pthread_t th;
	int fd;
	int tid;           /* the thread that sends */
	int full;          /* seen full with the sender asleep in poll */
	int outq, sndbuf;  /* the last reading */
};

static int in_poll(int tid);

static void *full_watch_fn(void *arg)
{
	struct full_watch *w = arg;
	double deadline = mono_ms() + FAKE_DEADLINE_MS;
	socklen_t l = sizeof(w->sndbuf);

	if (!getsockopt(w->fd, SOL_SOCKET, SO_SNDBUF, &w->sndbuf, &l)) {
		while (!ioctl(w->fd, SIOCOUTQ, &w->outq)) {
			if (w->outq >= w->sndbuf && in_poll(w->tid)) {
				w->full = 1;
				break;
			}
			if (mono_ms() > deadline)
				break;
			nap_us(100);
		}
	}
	t_post(TAG_FULL);  /* full or given up: the fake vtld goes on either way */
	return NULL;
}

static void full_watch_start(struct full_watch *w, int fd)
{
	memset(w, 0, sizeof(*w));
	w->fd = fd;
	w->tid = (int)syscall(SYS_gettid);
	w->outq = w->sndbuf = -1;
	if (pthread_create(&w->th, NULL, full_watch_fn, w)) {
		CHECK(0, "pthread_create");
		w->fd = -1;
		t_post(TAG_FULL);
	}
}

static void full_watch_end(struct full_watch *w)
{
	if (w->fd < 0)
		return;
	pthread_join(w->th, NULL);
	CHECK(w->full, "the client was never seen blocked on a full socket "
	      "(SIOCOUTQ %d, SO_SNDBUF %d): no backpressure was exercised",
	      w->outq, w->sndbuf);
}

/* ---- a receiver's vtl_negotiate, run in a thread ----
 * vtl_negotiate of a receiver returns only once vtld confirmed the
 * listener. The fake vtld holds the answer until the test has seen the
 * thread asleep in poll(2) (its syscall in /proc/self/task/TID/syscall)
 * and not returned; only then does it answer (TAG_GO). */
struct nego_thread {
	pthread_t th;
	vtl_sock *s;
	atomic_int tid;
	atomic_int done;
	int r;
};

static void *nego_fn(void *arg)
{
	struct nego_thread *n = arg;

	atomic_store(&n->tid, (int)syscall(SYS_gettid));
	n->r = vtl_negotiate(n->s, VTL_RELIABLE | VTL_ORDERED, NULL);
	atomic_store(&n->done, 1);
	return NULL;
}

/* Is thread tid in poll(2) or ppoll(2) right now? */
static int in_poll(int tid)
{
	char path[64], buf[32] = "";
	FILE *f;
	long nr;

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", tid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	if (buf[0] < '0' || buf[0] > '9')  /* "running", or "-1": no syscall */
		return 0;
	nr = strtol(buf, NULL, 10);
#ifdef SYS_poll
	if (nr == SYS_poll)
		return 1;
#endif
	return nr == SYS_ppoll;
}

/* 1 once the thread waits in poll(2), 0 if vtl_negotiate returned, -1 if
 * neither within the deadline. */
static int nego_waiting(struct nego_thread *n)
{
	double deadline = mono_ms() + FAKE_DEADLINE_MS;
	int tid;

	while (mono_ms() < deadline) {
		if (atomic_load(&n->done))
			return 0;
		tid = atomic_load(&n->tid);
		if (tid && in_poll(tid))
			return atomic_load(&n->done) ? 0 : 1;
		nap_us(100);
	}
	return -1;
}

struct vtl_opts opts(const char *path)
{
	struct vtl_opts o = { .sz = sizeof(o), .socket_path = path };

	return o;
}

void send_session(int fd, const char *peer)
{
	struct vtl_ipc_session s = {
		.session_id = SESSION_ID, .peer_addr = inet_addr(peer),
		.graft = "gbn", .graft_version = 2, .window = 64, .mss = 1400,
		.slot = 3,
	};

	d_send(fd, VTL_IPC_SESSION, &s, sizeof(s));
}

void send_stats(int fd, unsigned type, uint64_t bytes)
{
	/* a sender's figures on DONE, a receiver's (the peer's direction) on EOF */
	struct vtl_ipc_stats st = {
		.bytes = type == VTL_IPC_EOF ? 0 : bytes,
		.bytes_rx = type == VTL_IPC_EOF ? bytes : 0,
		.packets = bytes / 1400 + 1, .retransmits = 5,
		.timeouts = 1, .fast_retx = 2, .duration_us = 123456,
		.srtt_us = 10500, .session_id = SESSION_ID,
	};

	d_send(fd, type, &st, sizeof(st));
}

/* ---- 1. sender: OPEN well formed, SESSION, DATA checksummed, DONE ---- */
#define S1_LEN (1024 * 1024 + 123)

static void d_sender_ok(int fd, const void *arg)
{
	static uint8_t body[VTL_IPC_MAX_MSG];
	struct vtl_ipc_open o;
	struct vtl_ipc_hdr h;
	uint64_t sum = FNV_INIT, want = FNV_INIT, count = 0, off;
	uint8_t chunk[4096];
	int n, msgs = 0;

	(void)arg;
	n = d_expect(fd, VTL_IPC_OPEN, &o, sizeof(o));
	CHECK(n == sizeof(o), "OPEN size %d", n);
	CHECK(o.mode == VTL_OPEN_CONNECT, "mode %u", o.mode);
	CHECK(o.peer_addr == inet_addr("10.1.2.3"), "peer %#x", o.peer_addr);
	CHECK(o.local_addr == inet_addr("127.0.0.1"), "local %#x", o.local_addr);
	CHECK(o.service_port == 7, "port %u", o.service_port);
	CHECK(!memcmp(o.graft, "gbn\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0",
			VTL_GRAFT_NAME_MAX), "graft '%.24s'", o.graft);
	CHECK(o.services == (VTL_SVC_RELIABLE | VTL_SVC_ORDERED),
		"services %#x", o.services);
	CHECK(o.max_delay_ms == 50 && o.min_tput_kbps == 16000 &&
		o.max_loss_ppm == 1000, "qos %u %u %u", o.max_delay_ms,
		o.min_tput_kbps, o.max_loss_ppm);
	CHECK(o.window == 64 && o.timeout_ms == 1500 && !o.pad,
		"window %u timeout %u", o.window, o.timeout_ms);
	send_session(fd, "10.1.2.3");
	/* read nothing until the client is blocked on a full socket */
	d_wait(TAG_FULL, FAKE_DEADLINE_MS, "the client blocked on a full socket");
	for (;;) {
		n = d_recv(fd, &h, body, sizeof(body));
		if (n < 0 || h.type != VTL_IPC_DATA)
			break;
		CHECK(n >= 1 && n <= VTL_IPC_MAX_DATA, "DATA of %d", n);
		sum = fnv1a(sum, body, (size_t)n);
		count += (uint64_t)n;
		msgs++;
	}
	CHECK(n == 0 && h.type == VTL_IPC_SHUTDOWN, "got %u (%d), not SHUTDOWN",
		h.type, n);
	for (off = 0; off < S1_LEN; off += sizeof(chunk)) {
		size_t l = S1_LEN - off < sizeof(chunk) ? S1_LEN - off : sizeof(chunk);

		pattern(chunk, off, l);
		want = fnv1a(want, chunk, l);
	}
	CHECK(count == S1_LEN && sum == want, "%llu bytes in %d messages, "
		"checksum %s", (unsigned long long)count, msgs,
		sum == want ? "ok" : "BAD");
	send_stats(fd, VTL_IPC_DONE, count);
	d_expect_close(fd);
}

static void t_sender_ok(const char *path)
{
	struct vtl_opts o = opts(path);
	struct vtl_qos q = { 50, 16000, 1000 };
	struct vtl_stats st, st2;
	struct vtl_info info;
	struct full_watch w;
	uint8_t *buf = malloc(S1_LEN);
	vtl_sock *s;
	ssize_t n;
	int r;

	o.port = 7;
	o.graft = "gbn";
	o.window = 64;
	o.timeout_ms = 1500;
	pattern(buf, 0, S1_LEN);
	r = vtl_init(&s, VTL_MODE_SEND, "127.0.0.1", "10.1.2.3", &o);
	CHECK(r == 0, "init: %s", vtl_strerror(r));
	if (r) {
		t_post(TAG_FULL);  /* the fake vtld waits for it */
		return free(buf);
	}
	CHECK(vtl_fd(s) >= 0, "fd %d", vtl_fd(s));
	CHECK(vtl_get_stats(s, &st) == -VTL_E_STATE, "stats before the end");
	r = vtl_negotiate(s, VTL_RELIABLE | VTL_ORDERED, &q);
	CHECK(r == 0, "negotiate: %s", vtl_strerror(r));
	r = vtl_validate(s, &info);
	CHECK(r == 0, "validate: %s", vtl_strerror(r));
	CHECK(info.session_id == SESSION_ID && !strcmp(info.graft, "gbn") &&
	      info.graft_version == 2 && info.window == 64 && info.mss == 1400 &&
	      !strcmp(info.peer, "10.1.2.3"), "info %#x %s v%u w%u mss%u %s",
	      info.session_id, info.graft, info.graft_version, info.window,
	      info.mss, info.peer);
	CHECK(vtl_negotiate(s, 0, NULL) == -VTL_E_STATE, "negotiate twice");
	full_watch_start(&w, vtl_fd(s));
	n = vtl_send_data(s, buf, 300001);
	CHECK(n == 300001, "send: %zd", n);
	CHECK(vtl_send_data(s, buf, 0) == 0, "empty send");
	n = vtl_send_data(s, buf + 300001, S1_LEN - 300001);
	CHECK(n == S1_LEN - 300001, "send: %zd", n);
	full_watch_end(&w);
	r = vtl_shutdown(s, &st);
	CHECK(r == 0, "shutdown: %s", vtl_strerror(r));
	CHECK(st.bytes == S1_LEN && st.session_id == SESSION_ID &&
	      st.retransmits == 5 && st.timeouts == 1 && st.fast_retx == 2 &&
	      st.srtt_us == 10500 && st.duration_us == 123456,
	      "stats bytes %llu id %#x", (unsigned long long)st.bytes,
	      st.session_id);
	CHECK(vtl_get_stats(s, &st2) == 0 && !memcmp(&st, &st2, sizeof(st)),
	      "get_stats");
	CHECK(vtl_shutdown(s, NULL) == 0, "second shutdown");
	CHECK(vtl_send_data(s, buf, 10) == -VTL_E_STATE, "send after shutdown");
	CHECK(vtl_close(s) == 0, "close");
	free(buf);
}

/* ---- 2. refused: ERROR -VTL_E_REFUSED; socket from $VTL_SOCKET ---- */
static void d_refuse(int fd, const void *arg)
{
	struct vtl_ipc_open o;

	(void)arg;
	d_expect(fd, VTL_IPC_OPEN, &o, sizeof(o));
	/* vtl_validate without vtl_negotiate: reliable+ordered, no QoS */
	CHECK(o.services == (VTL_SVC_RELIABLE | VTL_SVC_ORDERED) &&
		!o.max_delay_ms && !o.min_tput_kbps && !o.max_loss_ppm &&
		o.service_port == 1 && o.timeout_ms == 3000 && !o.graft[0] &&
		!o.window, "defaults: svc %#x port %u timeout %u",
		o.services, o.service_port, o.timeout_ms);
	d_send_error(fd, -VTL_E_REFUSED, "peer refused graft gbn");
	d_expect_close(fd);
}

static void t_refused(const char *path)
{
	vtl_sock *s;
	int r;

	setenv("VTL_SOCKET", path, 1);
	r = vtl_init(&s, VTL_MODE_SEND, NULL, "10.1.2.3", NULL);
	unsetenv("VTL_SOCKET");
	CHECK(r == 0, "init via $VTL_SOCKET: %s", vtl_strerror(r));
	if (r)
		return;
	r = vtl_validate(s, NULL);
	CHECK(r == -VTL_E_REFUSED, "validate: %d %s", r, vtl_strerror(r));
	CHECK(vtl_send_data(s, "x", 1) == -VTL_E_REFUSED, "sticky error");
	CHECK(vtl_shutdown(s, NULL) == -VTL_E_REFUSED, "shutdown");
	CHECK(vtl_close(s) == 0, "close");
}

/* ---- 3. malformed replies: -VTL_E_PROTO (or -VTL_E_DAEMON) ---- */
enum garbage { G_SHORT, G_MAGIC, G_BODYLEN, G_HDRLEN, G_TYPE, G_HUGE,
	       G_LISTENING, G_ERRCODE, G_FLAGS, G_CLOSE, G_COUNT };
static const char *const garbage_name[G_COUNT] = {
	"short", "bad magic", "SESSION body size", "hdr.len mismatch",
	"unknown type", "oversize", "LISTENING to a sender",
	"ERROR code >= 0", "flags set", "daemon closes",
};

static void d_garbage(int fd, const void *arg)
{
	static uint8_t buf[VTL_IPC_MAX_MSG + 100];
	enum garbage g = *(const enum garbage *)arg;
	struct vtl_ipc_hdr h = { .magic = VTL_IPC_MAGIC,
				 .type = VTL_IPC_SESSION, .len = 48 };
	struct vtl_ipc_error e = { .code = 5 };
	struct vtl_ipc_open o;
	size_t len = sizeof(h) + 48;

	d_expect(fd, VTL_IPC_OPEN, &o, sizeof(o));
	switch (g) {
	case G_SHORT:	 len = 5; break;
	case G_MAGIC:	 h.magic = 0x31544c57; break;
	case G_BODYLEN:	 h.len = 10; len = sizeof(h) + 10; break;
	case G_HDRLEN:	 len = sizeof(h) + 20; break;
	case G_TYPE:	 h.type = 99; break;
	case G_HUGE:	 h.type = VTL_IPC_DATA; len = sizeof(buf);
			 h.len = len - sizeof(h); break;
	case G_LISTENING: h.type = VTL_IPC_LISTENING; h.len = 0;
			 len = sizeof(h); break;
	case G_ERRCODE:	 h.type = VTL_IPC_ERROR; h.len = sizeof(e);
			 memcpy(buf + sizeof(h), &e, sizeof(e));
			 len = sizeof(h) + sizeof(e); break;
	case G_FLAGS:	 h.flags = 1; break;
	case G_CLOSE:
	case G_COUNT:	 return;
	}
	memcpy(buf, &h, sizeof(h) < len ? sizeof(h) : len);
	if (g == G_SHORT)
		memcpy(buf, "hello", 5);
	d_send_raw(fd, buf, len);
	d_expect_close(fd);
}

static void t_garbage(const char *path, enum garbage g)
{
	struct vtl_opts o = opts(path);
	int want = g == G_CLOSE ? -VTL_E_DAEMON : -VTL_E_PROTO;
	vtl_sock *s;
	int r;

	r = vtl_init(&s, VTL_MODE_SEND, NULL, "10.1.2.3", &o);
	CHECK(r == 0, "init: %s", vtl_strerror(r));
	if (r)
		return;
	CHECK(vtl_negotiate(s, VTL_RELIABLE, NULL) == 0, "negotiate");
	r = vtl_validate(s, NULL);
	CHECK(r == want, "%s: validate %d (%s)", garbage_name[g], r,
	      vtl_strerror(r));
	CHECK(vtl_validate(s, NULL) == want, "sticky");
	CHECK(vtl_close(s) == 0, "close");
}

/* ---- 4. receiver: LISTENING, SESSION, 3 DATA, EOF ---- */
static const size_t r_sizes[3] = { 1000, VTL_IPC_MAX_DATA, 7 };
#define R_TOTAL (1000 + VTL_IPC_MAX_DATA + 7)

static void d_receiver(int fd, const void *arg)
{
	static uint8_t buf[VTL_IPC_MAX_DATA];
	int session_first = *(const int *)arg;
	struct vtl_ipc_open o;
	uint64_t off = 0;
	int i;

	d_expect(fd, VTL_IPC_OPEN, &o, sizeof(o));
	CHECK(o.mode == VTL_OPEN_LISTEN && o.service_port == 9 &&
		!o.peer_addr, "mode %u port %u peer %#x", o.mode,
		o.service_port, o.peer_addr);
	/* vtl_negotiate must wait for this: hold it until the test saw it wait */
	if (d_wait(TAG_GO, FAKE_DEADLINE_MS, "vtl_negotiate seen waiting") < 0)
		return;
	if (!session_first)
		d_send(fd, VTL_IPC_LISTENING, NULL, 0);
	send_session(fd, "192.168.7.9");
	for (i = 0; i < 3; i++) {
		pattern(buf, off, r_sizes[i]);
		d_send(fd, VTL_IPC_DATA, buf, r_sizes[i]);
		off += r_sizes[i];
	}
	send_stats(fd, VTL_IPC_EOF, off);
	/* the receiver sent nothing: vtl_close shuts its direction down
	 * without waiting, and closes */
	d_expect(fd, VTL_IPC_SHUTDOWN, NULL, 0);
	d_expect_close(fd);
}

static void t_receiver(const char *path, size_t bufsz)
{
	uint8_t *got = calloc(1, R_TOTAL + 1), *want = malloc(R_TOTAL);
	uint8_t *buf = malloc(bufsz);
	struct vtl_opts o = opts(path);
	struct nego_thread nt = { 0 };
	struct vtl_info info;
	struct vtl_stats st;
	size_t have = 0;
	vtl_sock *s;
	ssize_t n;
	int r, calls = 0, waiting;

	o.port = 9;
	o.timeout_ms = 2 * FAKE_DEADLINE_MS;  /* the handshake's deadline decides */
	pattern(want, 0, R_TOTAL);
	r = vtl_init(&s, VTL_MODE_RECV, NULL, NULL, &o);
	CHECK(r == 0, "init: %s", vtl_strerror(r));
	if (r)
		goto out;
	nt.s = s;
	if (pthread_create(&nt.th, NULL, nego_fn, &nt)) {
		CHECK(0, "pthread_create");
		vtl_close(s);
		goto out;
	}
	waiting = nego_waiting(&nt);
	CHECK(waiting == 1, waiting == 0 ?
	      "vtl_negotiate returned (%d) before vtld confirmed the listener" :
	      "vtl_negotiate (%d) not seen waiting in poll(2) within the deadline",
	      nt.r);
	t_post(TAG_GO);
	pthread_join(nt.th, NULL);
	r = nt.r;
	CHECK(r == 0, "negotiate: %s", vtl_strerror(r));
	r = vtl_validate(s, &info);
	CHECK(r == 0 && info.session_id == SESSION_ID &&
	      !strcmp(info.peer, "192.168.7.9"), "validate %d peer %s", r,
	      info.peer);
	while ((n = vtl_recv_data(s, buf, bufsz)) > 0 && have + n <= R_TOTAL) {
		memcpy(got + have, buf, (size_t)n);
		have += (size_t)n;
		calls++;
	}
	CHECK(n == 0, "recv ended with %zd (%s)", n, vtl_strerror((int)n));
	CHECK(have == R_TOTAL && !memcmp(got, want, R_TOTAL),
	      "reassembled %zu of %d bytes in %d calls, %s", have, R_TOTAL,
	      calls, memcmp(got, want, have < R_TOTAL ? have : R_TOTAL) ?
	      "content differs" : "content ok");
	if (bufsz < VTL_IPC_MAX_DATA)
		CHECK(calls == 10 + 656 + 1, "%d calls with a %zu byte buffer",
		      calls, bufsz);
	CHECK(vtl_recv_data(s, buf, bufsz) == 0, "0 again after EOF");
	r = vtl_get_stats(s, &st);
	CHECK(r == 0 && st.bytes == R_TOTAL && st.session_id == SESSION_ID,
	      "stats %d bytes %llu", r, (unsigned long long)st.bytes);
	CHECK(vtl_close(s) == 0, "close");
out:
	free(got);
	free(want);
	free(buf);
}

/* ---- 5. ERROR while the sender is blocked on backpressure ---- */
static void d_lost_mid_send(int fd, const void *arg)
{
	static uint8_t body[VTL_IPC_MAX_MSG];
	struct vtl_ipc_hdr h;

	(void)arg;
	d_expect(fd, VTL_IPC_OPEN, body, sizeof(body));
	send_session(fd, "10.1.2.3");
	/* the client is asleep in poll(2) on its full socket */
	d_wait(TAG_FULL, FAKE_DEADLINE_MS, "the client blocked on a full socket");
	d_send_error(fd, -VTL_E_PEER_LOST, "peer stopped acknowledging");
	/* neither reading nor closing: only the ERROR can wake the client */
	d_wait(TAG_DONE, FAKE_DEADLINE_MS,
	       "vtl_send_data returned after the ERROR, vtld neither reading nor closing");
	d_recv(fd, &h, body, sizeof(body));
	CHECK(h.type == VTL_IPC_DATA, "type %u", h.type);
}

static void t_lost_mid_send(const char *path)
{
	struct vtl_opts o = opts(path);
	size_t len = 16 << 20;
	char *buf = calloc(1, len);
	struct full_watch w;
	vtl_sock *s;
	ssize_t n;

	if (vtl_init(&s, VTL_MODE_SEND, NULL, "10.1.2.3", &o)) {
		CHECK(0, "init");
		t_post(TAG_FULL);
		return free(buf);
	}
	full_watch_start(&w, vtl_fd(s));
	n = vtl_send_data(s, buf, len);  /* validates implicitly */
	t_post(TAG_DONE);
	full_watch_end(&w);
	CHECK(n == -VTL_E_PEER_LOST, "send: %zd (%s)", n, vtl_strerror((int)n));
	CHECK(vtl_shutdown(s, NULL) == -VTL_E_PEER_LOST, "shutdown");
	CHECK(vtl_close(s) == 0, "close");
	free(buf);
}

/* ---- 6. vtl_close shuts a sender down; its result is returned ---- */
static void d_close_shuts(int fd, const void *arg)
{
	int fail = *(const int *)arg;
	struct vtl_ipc_hdr h;
	uint8_t body[VTL_IPC_MAX_MSG];
	int n;

	d_expect(fd, VTL_IPC_OPEN, body, sizeof(body));
	send_session(fd, "10.1.2.3");
	n = d_expect(fd, VTL_IPC_DATA, body, sizeof(body));
	CHECK(n == 5 && !memcmp(body, "hello", 5), "DATA %d", n);
	n = d_recv(fd, &h, body, sizeof(body));
	CHECK(n == 0 && h.type == VTL_IPC_SHUTDOWN, "type %u", h.type);
	if (fail)
		d_send_error(fd, -VTL_E_PEER_LOST, "gone");
	else
		send_stats(fd, VTL_IPC_DONE, 5);
	d_expect_close(fd);
}

static void t_close_shuts(const char *path, int fail)
{
	struct vtl_opts o = opts(path);
	vtl_sock *s;
	int r;

	if (vtl_init(&s, VTL_MODE_SEND, NULL, "10.1.2.3", &o)) {
		CHECK(0, "init");
		return;
	}
	CHECK(vtl_validate(s, NULL) == 0, "validate");
	CHECK(vtl_send_data(s, "hello", 5) == 5, "send");
	r = vtl_close(s);
	CHECK(r == (fail ? -VTL_E_PEER_LOST : 0), "close: %d", r);
}

/* ---- 7. receiver: an ERROR instead of LISTENING ---- */
static void d_listen_error(int fd, const void *arg)
{
	struct vtl_ipc_open o;

	(void)arg;
	d_expect(fd, VTL_IPC_OPEN, &o, sizeof(o));
	d_send_error(fd, -EADDRINUSE, "port 9 has a listener");
	d_expect_close(fd);
}

static void t_listen_error(const char *path)
{
	struct vtl_opts o = opts(path);
	vtl_sock *s;
	int r;

	if (vtl_init(&s, VTL_MODE_RECV, NULL, NULL, &o)) {
		CHECK(0, "init");
		return;
	}
	r = vtl_negotiate(s, VTL_RELIABLE, NULL);
	CHECK(r == -EADDRINUSE, "negotiate %d", r);
	CHECK(!strcmp(vtl_strerror(r), strerror(EADDRINUSE)), "strerror");
	CHECK(vtl_close(s) == 0, "close");
}

/* ---- scenarios without a daemon: unit_libvtl_local.c ---- */
void t_params(void);
void t_resolve(void);
void t_strerror(void);

/* The running scenario: its fake vtld's script, the argument of both
 * sides, and the client. */
static fake_script cur_script;
static const void *cur_arg;
static void (*cur_client)(const char *path, const void *arg);

static void run_fake(void)
{
	struct fake f;

	if (fake_start(&f, cur_script, cur_arg) < 0)
		return;
	cur_client(f.path, cur_arg);
	fake_finish(&f);
}

void scenario(const char *name, fake_script d, const void *arg,
	      void (*client)(const char *path, const void *arg))
{
	cur_script = d;
	cur_arg = arg;
	cur_client = client;
	CHECK_CASE(name, run_fake);
}

/* adapters: one signature for scenario() */
static void c_sender_ok(const char *p, const void *a) { (void)a; t_sender_ok(p); }
static void c_refused(const char *p, const void *a) { (void)a; t_refused(p); }
static void c_garbage(const char *p, const void *a) { t_garbage(p, *(const enum garbage *)a); }
static void c_recv_small(const char *p, const void *a) { (void)a; t_receiver(p, 100); }
static void c_recv_big(const char *p, const void *a) { (void)a; t_receiver(p, 256 * 1024); }
static void c_lost(const char *p, const void *a) { (void)a; t_lost_mid_send(p); }
static void c_close(const char *p, const void *a) { t_close_shuts(p, *(const int *)a); }
static void c_listen_error(const char *p, const void *a) { (void)a; t_listen_error(p); }

int main(void)
{
	static const enum garbage gs[G_COUNT] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	static const int zero = 0, one = 1;
	char name[64];
	int g;

	alarm(100);  /* a hang dies here, before ctest's TIMEOUT (120 s) */
	signal(SIGPIPE, SIG_IGN);  /* a handshake to a fake vtld that died */
	unsetenv("VTL_SOCKET");
	scenario("sender: OPEN, SESSION, DATA checksum under backpressure, DONE",
		 d_sender_ok, NULL, c_sender_ok);
	scenario("sender: refused via ERROR ($VTL_SOCKET)", d_refuse, NULL, c_refused);
	for (g = 0; g < G_COUNT; g++) {
		snprintf(name, sizeof(name), "malformed reply: %s", garbage_name[g]);
		scenario(name, d_garbage, &gs[g], c_garbage);
	}
	scenario("receiver: negotiate waits for LISTENING; 100-byte buffer reassembles",
		 d_receiver, &zero, c_recv_small);
	scenario("receiver: large buffer, SESSION without LISTENING", d_receiver,
		 &one, c_recv_big);
	scenario("sender: ERROR while blocked on backpressure", d_lost_mid_send,
		 NULL, c_lost);
	scenario("close shuts a sender down (DONE)", d_close_shuts, &zero, c_close);
	scenario("close shuts a sender down (ERROR)", d_close_shuts, &one, c_close);
	scenario("receiver: ERROR instead of LISTENING", d_listen_error, NULL,
		 c_listen_error);
	duplex_scenarios();
	CHECK_CASE("parameter checks", t_params);
	CHECK_CASE("control socket resolution", t_resolve);
	CHECK_CASE("vtl_strerror", t_strerror);
	return CHECK_DONE();
}
