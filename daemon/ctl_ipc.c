// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * vtlctl rule list|add|del and vtlctl stats, on the control socket.
 *
 * Rules are edited in place in d->rules, on the epoll thread like every
 * other use of them, so an edit is atomic for the Control Broker and the
 * NetMonitor. A rule added at runtime is parsed by rules_parse_rule, the
 * rules file's own parser. Edits are not written back to the rules file:
 * a restart reads the file (or the built-in rules) again.
 */
#include <errno.h>
#include <string.h>
#include <vtl/errors.h>
#include "log.h"
#include "vtld.h"

static void rule_info(const struct rules *rs, int i, struct vtl_ipc_rule *o)
{
	const struct rule *r = &rs->r[i];

	memset(o, 0, sizeof(*o));
	o->index = (__u32)i;
	o->id = r->id;
	o->kind = r->adapt ? VTL_RULE_ADAPT : VTL_RULE_SELECT;
	o->origin = r->origin;
	o->line = r->origin == VTL_RULE_RUNTIME ? 0 : (__u32)r->line;
	o->hits = r->hits;
	rules_format(r, o->text, sizeof(o->text));
}

static void rule_list(struct vtld *d, struct client *c)
{
	struct {
		struct vtl_ipc_rule_list h;
		struct vtl_ipc_rule r[RULES_MAX];
	} m;

	_Static_assert(sizeof(m) <= VTL_IPC_MAX_DATA, "a rule list fits one message");
	m.h.n = (__u32)d->rules.n;
	m.h.max = RULES_MAX;
	for (int i = 0; i < d->rules.n; i++)
		rule_info(&d->rules, i, &m.r[i]);
	client_send(c, VTL_IPC_RULE_LIST, &m,
		    (__u32)(sizeof(m.h) + (size_t)d->rules.n * sizeof(m.r[0])));
}

static void rule_add(struct vtld *d, struct client *c, const struct vtl_ipc_rule_add_req *q)
{
	struct vtl_ipc_rule o;
	struct rule r;
	char err[256];
	int at;

	if (q->reserved || !memchr(q->text, 0, sizeof(q->text))) {
		client_send_error(c, -VTL_E_PROTO, "RULE_ADD_REQ: %s", q->reserved ?
				  "reserved field not zero" : "rule text not NUL-terminated");
		return;
	}
	if (q->at != VTL_RULE_APPEND && q->at > RULES_MAX) {
		client_send_error(c, -VTL_E_BADPARAM, "index %u is past the end (there are %d "
				  "rules: 0..%d)", q->at, d->rules.n, d->rules.n);
		return;
	}
	if (rules_parse_rule(q->text, &r, err, sizeof(err))) {
		client_send_error(c, -VTL_E_BADPARAM, "%s", err);
		return;
	}
	at = rules_insert(&d->rules, q->at == VTL_RULE_APPEND ? -1 : (int)q->at, &r, err,
			  sizeof(err));
	if (at < 0) {
		client_send_error(c, at == -1 && d->rules.n >= RULES_MAX ? -ENOSPC :
				  -VTL_E_BADPARAM, "%s", err);
		return;
	}
	rule_info(&d->rules, at, &o);
	pr_info("rules: vtlctl added rule %d (id %u): %s\n", at, o.id, o.text);
	client_send(c, VTL_IPC_RULE, &o, sizeof(o));
}

static void rule_del(struct vtld *d, struct client *c, const struct vtl_ipc_rule_del_req *q)
{
	struct vtl_ipc_rule o;
	char err[256];

	if (q->index >= (__u32)d->rules.n) {
		client_send_error(c, -ENOENT, "no rule %u (the rules are 0..%d)", q->index,
				  d->rules.n - 1);
		return;
	}
	if (q->id && d->rules.r[q->index].id != q->id) {
		client_send_error(c, -ESTALE, "rule %u is no longer the rule with id %u (the "
				  "rules changed meanwhile); list them again", q->index, q->id);
		return;
	}
	rule_info(&d->rules, (int)q->index, &o);
	if (rules_delete(&d->rules, (int)q->index, err, sizeof(err))) {
		client_send_error(c, -EPERM, "%s", err);
		return;
	}
	pr_info("rules: vtlctl deleted rule %u (id %u): %s\n", q->index, o.id, o.text);
	client_send(c, VTL_IPC_RULE, &o, sizeof(o));
}

void ctl_ipc_rules(struct vtld *d, struct client *c, const struct vtl_ipc_hdr *h,
		   const void *body)
{
	static const struct { __u16 type; __u32 len; const char *name; } want[] = {
		{ VTL_IPC_RULE_LIST_REQ, 0, "RULE_LIST_REQ" },
		{ VTL_IPC_RULE_ADD_REQ, sizeof(struct vtl_ipc_rule_add_req), "RULE_ADD_REQ" },
		{ VTL_IPC_RULE_DEL_REQ, sizeof(struct vtl_ipc_rule_del_req), "RULE_DEL_REQ" },
	};
	union {
		struct vtl_ipc_rule_add_req add;
		struct vtl_ipc_rule_del_req del;
	} q;

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		if (want[i].type != h->type)
			continue;
		if (h->len != want[i].len) {
			client_send_error(c, -VTL_E_PROTO, "%s body is %u bytes, expected %u",
					  want[i].name, h->len, want[i].len);
			return;
		}
		memcpy(&q, body, h->len);   /* aligned copies of the body */
		if (h->type == VTL_IPC_RULE_LIST_REQ)
			rule_list(d, c);
		else if (h->type == VTL_IPC_RULE_ADD_REQ)
			rule_add(d, c, &q.add);
		else
			rule_del(d, c, &q.del);
		return;
	}
}

void ctl_ipc_stats(struct vtld *d, struct client *c, const void *body, __u32 len)
{
	struct vtl_ipc_dstats o = d->stats;
	struct vtl_ipc_graft_entry e;
	int total;

	(void)body;
	if (len) {
		client_send_error(c, -VTL_E_PROTO, "STATS_REQ carries no body");
		return;
	}
	o.uptime_ms = (now_ns() - d->start_ns) / 1000000;
	o.sessions_max = VTL_MAX_SESSIONS - 1;   /* slot 0 is the canonical graft's */
	for (__u32 i = 1; i < VTL_MAX_SESSIONS; i++) {
		const struct session *s = d->slots[i];
		const struct vtl_state *k;

		if (!s)
			continue;
		k = launcher_state(&d->l, i);
		o.sessions_open++;
		o.bytes_tx += s->bytes_tx;
		o.bytes_rx += s->bytes_rx;
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
	o.clients = (__u32)ipc_n_clients();
	launcher_counters(&d->l, o.cnt_xdp, o.cnt_tc);
	client_send(c, VTL_IPC_STATS, &o, sizeof(o));
}
