/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * vtld as a whole: one of each layer, composed by main.c. Only the top of
 * the house includes this (main.c and the operator layer, ctl*.c); every
 * layer below is given the few others it uses. docs/architecture.md draws
 * the layers:
 *
 *   ctl        operator requests (vtlctl), one dispatch table     ctl*.c
 *   app        the control socket, the libvtl client protocol      ipc.c app.c stream.c
 *   session    negotiation, swaps, NetMonitor, a session's life    session.c nego.c swap.c netmon.c
 *   transport  send and receive state machines, no syscalls        tp_send.c tp_recv.c tp_life.c
 *   wire       AF_XDP receive, raw send, KTF events                wire.c
 *   loop       epoll, tick, signals, clock                         loop.c
 * and the services beside them: the Launcher (BPF objects, maps, slots),
 * the graft pool and its watcher, the rules, the configuration.
 */
#ifndef VTLD_H
#define VTLD_H

#include <linux/types.h>
#include "app.h"
#include "config.h"
#include "launcher.h"
#include "loop.h"
#include "pool.h"
#include "pool_watch.h"
#include "rules.h"
#include "session.h"
#include "transport.h"
#include "wire.h"

struct vtld {
	struct vtld_config cfg;
	int ifindex;
	__u32 mtu;
	__u32 mss;                 /* local maximum payload per DATA */
	__u64 start_ns;
	struct loop loop;
	struct launcher l;
	struct pool pool;
	struct rules rules;
	struct graft_inst *canon;
	struct transport tp;
	struct wire *w;
	struct nego ng;
	struct app app;
	struct pool_watch *pw;
};

/* ---- ctl.c: the operators' requests ---- */
/* Serve them on the control socket (app's ipc). */
void ctl_init(struct vtld *d);
/* ctl_pool.c: answer a client's graft verify / load once the pool
 * watcher validated the file (struct pw_ops.answer; ctx is d). */
void ctl_pool_answer(void *ctx, int fd, enum pw_kind kind, __u32 flags, const char *path,
		     const struct graft_report *r, bool applied);

#endif
