// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * vtlctl rule list|add|del (ctl.c's dispatch table).
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
#include "ctl_int.h"
#include "log.h"

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

CTL_HANDLER(ctl_rule_list)
{
	struct vtld *d = ctx;
	struct {
		struct vtl_ipc_rule_list h;
		struct vtl_ipc_rule r[RULES_MAX];
	} m;

	_Static_assert(sizeof(m) <= VTL_IPC_MAX_DATA, "a rule list fits one message");
	(void)body;
	(void)len;
	(void)fdp;
	m.h.n = (__u32)d->rules.n;
	m.h.max = RULES_MAX;
	for (int i = 0; i < d->rules.n; i++)
		rule_info(&d->rules, i, &m.r[i]);
	client_send(c, VTL_IPC_RULE_LIST, &m,
		    (__u32)(sizeof(m.h) + (size_t)d->rules.n * sizeof(m.r[0])));
}

CTL_HANDLER(ctl_rule_add)
{
	struct vtld *d = ctx;
	struct vtl_ipc_rule_add_req qq, *q = &qq;
	struct vtl_ipc_rule o;
	struct rule r;
	char err[256];
	int at;

	(void)len;
	(void)fdp;
	memcpy(q, body, sizeof(*q));   /* an aligned copy of the body */

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

CTL_HANDLER(ctl_rule_del)
{
	struct vtld *d = ctx;
	struct vtl_ipc_rule_del_req qq, *q = &qq;
	struct vtl_ipc_rule o;
	char err[256];

	(void)len;
	(void)fdp;
	memcpy(q, body, sizeof(*q));

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

