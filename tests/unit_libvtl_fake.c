// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Fake vtld for unit_libvtl (see unit_libvtl_fake.h). */
#include <errno.h>
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

int fake_errors;

int fake_start(struct fake *f, fake_script fn, const void *arg)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int lfd, cfd;

	snprintf(f->dir, sizeof(f->dir), "/tmp/unit_libvtl.XXXXXX");
	if (!mkdtemp(f->dir)) {
		perror("mkdtemp");
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/vtld.sock", f->dir);
	strcpy(sun.sun_path, f->path);
	lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) ||
	    listen(lfd, 4)) {
		perror("fake vtld socket");
		return -1;
	}
	fflush(NULL);
	f->pid = fork();
	if (f->pid < 0) {
		perror("fork");
		return -1;
	}
	if (f->pid == 0) {
		alarm(15);  /* a stuck script fails instead of hanging */
		cfd = accept(lfd, NULL, NULL);
		close(lfd);
		if (cfd < 0) {
			perror("accept");
			_exit(2);
		}
		fn(cfd, arg);
		close(cfd);
		_exit(fake_errors ? 1 : 0);
	}
	close(lfd);
	return 0;
}

int fake_finish(struct fake *f)
{
	int st = 0;

	while (waitpid(f->pid, &st, 0) < 0 && errno == EINTR)
		;
	unlink(f->path);
	rmdir(f->dir);
	if (WIFSIGNALED(st))
		fprintf(stderr, "  fake vtld died of signal %d\n", WTERMSIG(st));
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
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
	D_CHECK(n >= (ssize_t)sizeof(*h) && n <= VTL_IPC_MAX_MSG,
		"client message of %zd bytes", n);
	if (n < (ssize_t)sizeof(*h) || n > VTL_IPC_MAX_MSG)
		return -1;
	memcpy(h, buf, sizeof(*h));
	D_CHECK(h->magic == VTL_IPC_MAGIC && !h->flags && !h->reserved &&
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

	D_CHECK(n >= 0 && h.type == type, "wanted type %u, got %u (r %d)",
		type, h.type, n);
	return n;
}

void d_expect_close(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct vtl_ipc_hdr h;
	uint8_t b[64];
	int n;

	D_CHECK(poll(&p, 1, 3000) == 1, "client did not close");
	n = d_recv(fd, &h, b, sizeof(b));
	D_CHECK(n == -2, "client sent type %u instead of closing", h.type);
}

void d_send_raw(int fd, const void *buf, size_t len)
{
	ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

	D_CHECK(n == (ssize_t)len, "send %zu: %s", len, strerror(errno));
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

void d_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

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
