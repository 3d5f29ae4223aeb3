/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The loop: vtld's one epoll thread, its periodic tick, its signals and
 * its clock. The lowest layer: it knows nothing of sessions. Every fd in
 * the epoll set carries a struct ep_item naming what to call.
 */
#ifndef VTLD_LOOP_H
#define VTLD_LOOP_H

#include <stdbool.h>
#include <linux/types.h>

#define LOOP_TICK_MS 5

typedef void (*ep_fn)(void *obj, __u32 events);
struct ep_item {
	ep_fn fn;
	void *obj;
};

struct loop {
	int epfd;
	int sig_fd;
	int tick_fd;
	struct ep_item sig_ep;
	struct ep_item tick_ep;
	bool stop;                  /* SIGINT/SIGTERM seen: loop_run returns */
	void (*on_tick)(void *ctx); /* every LOOP_TICK_MS */
	void *tick_ctx;
};

/* CLOCK_MONOTONIC in ns: every timestamp in vtld. */
__u64 now_ns(void);

/* Create the epoll set, block SIGINT/SIGTERM into a signalfd and start
 * the tick, which calls on_tick(ctx). Returns 0 or -errno. */
int loop_open(struct loop *lp, void (*on_tick)(void *ctx), void *ctx);
void loop_close(struct loop *lp);
/* Dispatch events until a signal asks to stop (or epoll fails). */
void loop_run(struct loop *lp);

int ep_add(struct loop *lp, int fd, __u32 events, struct ep_item *it);
int ep_mod(struct loop *lp, int fd, __u32 events, struct ep_item *it);
void ep_del(struct loop *lp, int fd);

#endif
