// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The loop: see loop.h. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include "log.h"
#include "loop.h"

__u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

int ep_add(struct loop *lp, int fd, __u32 events, struct ep_item *it)
{
	struct epoll_event ev = { .events = events, .data.ptr = it };

	return epoll_ctl(lp->epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

int ep_mod(struct loop *lp, int fd, __u32 events, struct ep_item *it)
{
	struct epoll_event ev = { .events = events, .data.ptr = it };

	return epoll_ctl(lp->epfd, EPOLL_CTL_MOD, fd, &ev) ? -errno : 0;
}

void ep_del(struct loop *lp, int fd)
{
	epoll_ctl(lp->epfd, EPOLL_CTL_DEL, fd, NULL);
}

static void on_signal(void *obj, __u32 events)
{
	struct loop *lp = obj;
	struct signalfd_siginfo si;

	(void)events;
	while (read(lp->sig_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGINT || si.ssi_signo == SIGTERM) {
			pr_info("signal %u: shutting down\n", si.ssi_signo);
			lp->stop = true;
		}
	}
}

static void on_tick(void *obj, __u32 events)
{
	struct loop *lp = obj;
	__u64 exp;

	(void)events;
	if (read(lp->tick_fd, &exp, sizeof(exp)) < 0 && errno != EAGAIN)
		pr_debug("timerfd: %s\n", strerror(errno));
	if (lp->on_tick)
		lp->on_tick(lp->tick_ctx);
}

int loop_open(struct loop *lp, void (*tick)(void *ctx), void *ctx)
{
	struct itimerspec its = { .it_interval = { 0, LOOP_TICK_MS * 1000000L },
				  .it_value = { 0, LOOP_TICK_MS * 1000000L } };
	sigset_t mask;
	int e;

	lp->sig_fd = lp->tick_fd = -1;
	lp->stop = false;
	lp->on_tick = tick;
	lp->tick_ctx = ctx;
	lp->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (lp->epfd < 0)
		return -errno;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	lp->sig_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	lp->sig_ep = (struct ep_item){ on_signal, lp };
	e = lp->sig_fd < 0 ? -errno : ep_add(lp, lp->sig_fd, EPOLLIN, &lp->sig_ep);
	if (e)
		return e;
	lp->tick_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (lp->tick_fd < 0 || timerfd_settime(lp->tick_fd, 0, &its, NULL))
		return -errno;
	lp->tick_ep = (struct ep_item){ on_tick, lp };
	return ep_add(lp, lp->tick_fd, EPOLLIN, &lp->tick_ep);
}

void loop_close(struct loop *lp)
{
	if (lp->tick_fd >= 0)
		close(lp->tick_fd);
	if (lp->sig_fd >= 0)
		close(lp->sig_fd);
	if (lp->epfd >= 0)
		close(lp->epfd);
	lp->tick_fd = lp->sig_fd = lp->epfd = -1;
}

void loop_run(struct loop *lp)
{
	struct epoll_event evs[64];

	while (!lp->stop) {
		int n = epoll_wait(lp->epfd, evs, 64, 1000);

		if (n < 0 && errno != EINTR) {
			pr_warn("epoll_wait: %s\n", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			struct ep_item *it = evs[i].data.ptr;

			it->fn(it->obj, evs[i].events);
		}
	}
}
