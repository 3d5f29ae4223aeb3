// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Fake vtld for unit_libvtl (see unit_libvtl_fake.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "unit_libvtl_fake.h"

/* The handshake pipes of the running fake: in the test process the test's
 * ends, in the child the daemon's. */
static int sync_in = -1, sync_out = -1;

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* The child: run the script, send the tally back, exit. */
static void __attribute__((noreturn))
fake_child(int lfd, int tally_fd, fake_script fn, const void *arg)
{
	int cfd, t[2];

	alarm(3 * FAKE_DEADLINE_MS / 1000);  /* last resort: a stuck script */
	check_passed = check_failed = check_case_fails = 0;
	cfd = accept(lfd, NULL, NULL);
	close(lfd);
	CHECK(cfd >= 0, "accept: %s", strerror(errno));
	if (cfd >= 0) {
		fn(cfd, arg);
		close(cfd);
	}
	t[0] = check_passed;
	t[1] = check_failed;
	fflush(stdout);
	if (write(tally_fd, t, sizeof(t)) != sizeof(t))
		_exit(2);
	_exit(check_failed ? 1 : 0);
}

int fake_start(struct fake *f, fake_script fn, const void *arg)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int lfd, td[2], fd[2], tl[2];

	snprintf(f->dir, sizeof(f->dir), "/tmp/unit_libvtl.XXXXXX");
	if (!mkdtemp(f->dir)) {
		CHECK(0, "mkdtemp: %s", strerror(errno));
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/vtld.sock", f->dir);
	strcpy(sun.sun_path, f->path);
	lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) ||
	    listen(lfd, 4)) {
		CHECK(0, "fake vtld socket: %s", strerror(errno));
		return -1;
	}
	if (pipe2(td, O_CLOEXEC) || pipe2(fd, O_CLOEXEC) || pipe2(tl, O_CLOEXEC)) {
		CHECK(0, "pipe: %s", strerror(errno));
		return -1;
	}
	fflush(NULL);
	f->pid = fork();
	if (f->pid < 0) {
		CHECK(0, "fork: %s", strerror(errno));
		return -1;
	}
	if (f->pid == 0) {
		close(td[1]);
		close(fd[0]);
		close(tl[0]);
		sync_in = td[0];
		sync_out = fd[1];
		fake_child(lfd, tl[1], fn, arg);
	}
	close(lfd);
	close(td[0]);
	close(fd[1]);
	close(tl[1]);
	f->to_d = sync_out = td[1];
	f->from_d = sync_in = fd[0];
	f->tally = tl[0];
	return 0;
}

int fake_finish(struct fake *f)
{
	int st = 0, t[2] = { 0, 0 };
	ssize_t n;

	/* the script's waits for the test end at EOF, not at their deadline */
	close_fd(&f->to_d);
	sync_out = -1;
	do {
		n = read(f->tally, t, sizeof(t));
	} while (n < 0 && errno == EINTR);
	while (waitpid(f->pid, &st, 0) < 0 && errno == EINTR)
		;
	close_fd(&f->tally);
	close_fd(&f->from_d);
	sync_in = -1;
	unlink(f->path);
	rmdir(f->dir);
	CHECK(n == sizeof(t), "the fake vtld ended without its tally (%s %d)",
	      WIFSIGNALED(st) ? "signal" : "exit status",
	      WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
	if (n != sizeof(t))
		return -1;
	check_passed += t[0];
	check_failed += t[1];
	check_case_fails += t[1];
	return t[1] ? -1 : 0;
}

/* Wait up to ms for one tag on fd; 1 got it, 0 deadline, -1 EOF/error. */
static int wait_tag(int fd, char tag, int ms, char *got)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	double deadline = mono_ms() + ms;
	int r;

	*got = 0;
	for (;;) {
		int left = (int)(deadline - mono_ms());

		r = poll(&p, 1, left > 0 ? left : 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -1 : 0;
		if (read(fd, got, 1) != 1)
			return -1;
		return *got == tag ? 1 : -1;
	}
}

static void post_tag(int fd, char tag)
{
	CHECK(fd >= 0 && write(fd, &tag, 1) == 1, "handshake '%c': %s", tag,
	      fd < 0 ? "no fake vtld" : strerror(errno));
}

/* Both sides wait alike; who waits and who may have gone name the failure. */
static int sync_wait(char tag, int ms, const char *who, const char *what, const char *other)
{
	char got;
	int r = wait_tag(sync_in, tag, ms, &got);

	CHECK(r == 1, "%s: %s (tag '%c'): %s", who, what, tag,
	      r == 0 ? "not within the deadline" :
	      got ? "another tag came first" : other);
	return r == 1 ? 0 : -1;
}

void d_post(char tag)
{
	post_tag(sync_out, tag);
}

int d_wait(char tag, int ms, const char *what)
{
	return sync_wait(tag, ms, "fake vtld", what, "the test went away first");
}

void t_post(char tag)
{
	post_tag(sync_out, tag);
}

int t_wait(char tag, int ms, const char *what)
{
	return sync_wait(tag, ms, "test", what, "the fake vtld ended first");
}

int d_recv(int fd, struct vtl_ipc_hdr *h, void *body, size_t cap)
{
	static uint8_t buf[VTL_IPC_MAX_MSG + 64];
	ssize_t n;

	do {
		n = recv(fd, buf, sizeof(buf), MSG_TRUNC);
	} while (n < 0 && errno == EINTR);
	if (n == 0)
		return -2;
	CHECK(n >= (ssize_t)sizeof(*h) && n <= VTL_IPC_MAX_MSG,
	      "client message of %zd bytes", n);
	if (n < (ssize_t)sizeof(*h) || n > VTL_IPC_MAX_MSG)
		return -1;
	memcpy(h, buf, sizeof(*h));
	CHECK(h->magic == VTL_IPC_MAGIC && !h->flags && !h->reserved &&
	      h->len == n - sizeof(*h) && h->len <= cap,
	      "bad header: magic %#x flags %u reserved %u len %u (msg %zd)",
	      h->magic, h->flags, h->reserved, h->len, n);
	if (h->len != n - sizeof(*h) || h->len > cap)
		return -1;
	memcpy(body, buf + sizeof(*h), h->len);
	return (int)h->len;
}

int d_expect(int fd, unsigned type, void *body, size_t cap)
{
	struct vtl_ipc_hdr h = {0};
	int n = d_recv(fd, &h, body, cap);

	CHECK(n >= 0 && h.type == type, "wanted type %u, got %u (r %d)",
	      type, h.type, n);
	return n;
}

void d_expect_close(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct vtl_ipc_hdr h = {0};
	uint8_t b[64];
	int n;

	CHECK(poll(&p, 1, FAKE_DEADLINE_MS) == 1, "client did not close within %d ms",
	      FAKE_DEADLINE_MS);
	n = d_recv(fd, &h, b, sizeof(b));
	CHECK(n == -2, "client sent type %u instead of closing", h.type);
}

void d_send_raw(int fd, const void *buf, size_t len)
{
	ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

	CHECK(n == (ssize_t)len, "send %zu: %s", len, strerror(errno));
}

void d_send(int fd, unsigned type, const void *body, size_t len)
{
	static uint8_t buf[VTL_IPC_MAX_MSG];
	struct vtl_ipc_hdr h = { .magic = VTL_IPC_MAGIC, .type = type,
				 .len = len };

	memcpy(buf, &h, sizeof(h));
	if (len)
		memcpy(buf + sizeof(h), body, len);
	d_send_raw(fd, buf, sizeof(h) + len);
}

void d_send_error(int fd, int code, const char *msg)
{
	struct vtl_ipc_error e = { .code = code };

	snprintf(e.msg, sizeof(e.msg), "%s", msg);
	d_send(fd, VTL_IPC_ERROR, &e, sizeof(e));
}

void nap_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n--) {
		h ^= *b++;
		h *= 0x100000001b3ull;
	}
	return h;
}

void pattern(uint8_t *buf, uint64_t off, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint64_t x = (off + i) * 0x9e3779b97f4a7c15ull;

		buf[i] = (uint8_t)(x >> 56) ^ (uint8_t)((off + i) / 251);
	}
}

double mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}
