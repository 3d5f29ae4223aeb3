// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The operator layer: every request vtlctl makes, behind one dispatch
 * table {type, exact body length, handler}, served on the control socket
 * next to the applications' requests (app.c). The top of the house: it
 * reads every layer below and changes them only through their own calls.
 *
 *   ctl.c        status, session show|swap, stats
 *   ctl_rules.c  rule list|add|del
 *   ctl_pool.c   graft list|verify|load|unload
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vtl/errors.h>
#include "ctl_int.h"
#include "log.h"

/* One STATUS reply lists as many sessions as fit in one message after the
 * pool's grafts (the count of all open ones is in STATS' sessions_open). */
#define CTL_STATUS_SESSIONS ((VTL_IPC_MAX_DATA - sizeof(struct vtl_ipc_status) - \
			      POOL_MAX * sizeof(struct vtl_ipc_graft_info)) / \
			     sizeof(struct vtl_ipc_session_info))

static CTL_HANDLER(ctl_status)
{
	struct vtld *d = ctx;
	size_t cap = sizeof(struct vtl_ipc_status) + POOL_MAX * sizeof(struct vtl_ipc_graft_info) +
		     CTL_STATUS_SESSIONS * sizeof(struct vtl_ipc_session_info);
	struct vtl_ipc_status *st;
	struct vtl_ipc_graft_info *gi;
	struct vtl_ipc_session_info *si;
	__u8 *buf = calloc(1, cap);

	(void)body;
	(void)len;
	(void)fdp;
	if (!buf) {
		client_send_error(c, -ENOMEM, "out of memory");
		return;
	}
	st = (void *)buf;
	snprintf(st->ifname, sizeof(st->ifname), "%s", d->cfg.ifname);
	st->ifindex = (__u32)d->ifindex;
	st->xdp_prog_id = d->l.xdp_prog_id;
	st->tc_prog_id = d->l.tc_prog_id;
	st->uptime_ms = (now_ns() - d->start_ns) / 1000000;
	launcher_counters(&d->l, st->cnt_xdp, st->cnt_tc);
	gi = (void *)(st + 1);
	for (int i = 0; i < d->pool.n; i++) {
		const struct pool_graft *g = &d->pool.g[i];

		if (g->state != PG_OK)  /* replaced or free: not in the pool */
			continue;
		memcpy(gi->name, g->meta.name, sizeof(gi->name));
		gi->version = g->meta.version;
		gi->services = g->meta.services;
		gi->roles = g->meta.roles;
		gi->window_default = g->meta.window_default;
		gi->window_max = g->meta.window_max;
		gi->loaded = (__u32)g->users;
		memcpy(gi->hash, g->hash, sizeof(gi->hash));
		st->n_grafts++;
		gi++;
	}
	si = (void *)gi;
	for (__u32 i = 1; i < d->tp.slot_hi && st->n_sessions < CTL_STATUS_SESSIONS; i++) {
		const struct session *s = session_at(&d->ng, i);

		if (!s)
			continue;
		session_info(s, si);
		si++;
		st->n_sessions++;
	}
	st->n_queues = (__u32)wire_nqueues(d->w);
	client_send(c, VTL_IPC_STATUS, buf, (__u32)((__u8 *)si - buf));
	free(buf);
}

static CTL_HANDLER(ctl_session_show)
{
	struct vtld *d = ctx;
	struct vtl_ipc_session_req q;
	struct vtl_ipc_session_show o;
	struct session *s;

	(void)len;
	(void)fdp;
	memcpy(&q, body, sizeof(q));
	s = session_by_id(&d->ng, q.session_id);
	if (!s) {
		client_send_error(c, -ENOENT, "no session %08x", q.session_id);
		return;
	}
	memset(&o, 0, sizeof(o));
	session_info(s, &o.info);
	netmon_show(s, &o);
	client_send(c, VTL_IPC_SESSION_SHOW, &o, sizeof(o));
}

static CTL_HANDLER(ctl_session_swap)
{
	struct vtld *d = ctx;
	struct vtl_ipc_session_swap_req sw;
	struct vtl_ipc_session_req q;
	struct session *s;
	char name[VTL_GRAFT_NAME_MAX + 1] = "", err[256];
	int e;

	(void)len;
	(void)fdp;
	memcpy(&sw, body, sizeof(sw));
	memcpy(name, sw.graft, VTL_GRAFT_NAME_MAX);
	s = session_by_id(&d->ng, sw.session_id);
	if (!s) {
		client_send_error(c, -ENOENT, "no session %08x", sw.session_id);
		return;
	}
	if (sw.window && sw.window != s->tp.window) {
		client_send_error(c, -VTL_E_BADPARAM, "a swap keeps the session's window (%u)",
				  s->tp.window);
		return;
	}
	e = swap_start(&d->ng, s, name, sw.max_loss_ppm, VTL_SWAP_BY_OPERATOR, 0, err, sizeof(err));
	if (e) {
		client_send_error(c, e, "%s", err);
		return;
	}
	q.session_id = s->tp.id;
	q.pad = 0;
	client_send(c, VTL_IPC_SESSION_SWAP, &q, sizeof(q));
}

static CTL_HANDLER(ctl_stats)
{
	struct vtld *d = ctx;
	struct vtl_ipc_dstats o = d->ng.st;
	struct vtl_ipc_graft_entry e;
	int total;

	(void)body;
	(void)len;
	(void)fdp;
	o.uptime_ms = (now_ns() - d->start_ns) / 1000000;
	o.sessions_max = VTL_MAX_SESSIONS - 1;   /* slot 0 is the canonical graft's */
	o.ktf_events = d->tp.stats.ktf_events;
	o.timer_rescues = d->tp.stats.timer_rescues;
	o.retx_waits = d->tp.stats.retx_waits;
	o.queue_nomem = d->tp.stats.nomem;
	for (__u32 i = 1; i < d->tp.slot_hi; i++) {
		const struct session *s = session_at(&d->ng, i);
		const struct vtl_state *k;

		if (!s)
			continue;
		k = s->tp.k;
		o.sessions_open++;
		o.bytes_tx += s->tp.bytes_tx;
		o.bytes_rx += s->tp.bytes_rx;
		o.pkts_tx += k->tx_data;
		o.pkts_retx += k->tx_retx;
		o.pkts_rx += k->rx_data;
	}
	total = pool_list(&d->pool, NULL, 0, 0);
	for (int i = 0; i < total; i++) {
		pool_list(&d->pool, &e, i, 1);
		o.pool_ok += e.state == VTL_GRAFT_OK;
		o.pool_replaced += e.state == VTL_GRAFT_REPLACED;
		o.pool_rejected += e.state == VTL_GRAFT_REJECTED;
	}
	o.pool_max = POOL_MAX;
	for (int i = 0; i < d->rules.n; i++) {
		o.rules_adapt += d->rules.r[i].adapt != 0;
		o.rules_select += !d->rules.r[i].adapt;
	}
	o.clients = (__u32)d->app.n_clients;
	launcher_counters(&d->l, o.cnt_xdp, o.cnt_tc);
	client_send(c, VTL_IPC_STATS, &o, sizeof(o));
}

/* Every operator request: type, exact body length, handler. */
static const struct ipc_handler ctl_requests[] = {
	{ VTL_IPC_STATUS_REQ, 0, 0, "STATUS_REQ", ctl_status },
	{ VTL_IPC_GRAFT_LIST_REQ, sizeof(struct vtl_ipc_graft_list_req), 0, "GRAFT_LIST_REQ",
	  ctl_graft_list },
	{ VTL_IPC_GRAFT_VERIFY_REQ, sizeof(struct vtl_ipc_graft_verify_req), 0,
	  "GRAFT_VERIFY_REQ", ctl_graft_verify },
	{ VTL_IPC_SESSION_SHOW_REQ, sizeof(struct vtl_ipc_session_req), 0, "SESSION_SHOW_REQ",
	  ctl_session_show },
	{ VTL_IPC_SESSION_SWAP_REQ, sizeof(struct vtl_ipc_session_swap_req), 0,
	  "SESSION_SWAP_REQ", ctl_session_swap },
	{ VTL_IPC_RULE_LIST_REQ, 0, 0, "RULE_LIST_REQ", ctl_rule_list },
	{ VTL_IPC_RULE_ADD_REQ, sizeof(struct vtl_ipc_rule_add_req), 0, "RULE_ADD_REQ",
	  ctl_rule_add },
	{ VTL_IPC_RULE_DEL_REQ, sizeof(struct vtl_ipc_rule_del_req), 0, "RULE_DEL_REQ",
	  ctl_rule_del },
	{ VTL_IPC_STATS_REQ, 0, 0, "STATS_REQ", ctl_stats },
	{ VTL_IPC_GRAFT_LOAD_REQ, sizeof(struct vtl_ipc_graft_load_req), 0, "GRAFT_LOAD_REQ",
	  ctl_graft_load },
	{ VTL_IPC_GRAFT_UNLOAD_REQ, sizeof(struct vtl_ipc_graft_unload_req), 0,
	  "GRAFT_UNLOAD_REQ", ctl_graft_unload },
};

void ctl_init(struct vtld *d)
{
	ipc_add_table(&d->app, ctl_requests, sizeof(ctl_requests) / sizeof(ctl_requests[0]), d);
}
