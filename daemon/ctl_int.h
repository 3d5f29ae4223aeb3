/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Between the operator layer's files: each request's handler, named in
 * ctl.c's one dispatch table. ctx is struct vtld; the body has exactly
 * the length the table says. */
#ifndef VTLD_CTL_INT_H
#define VTLD_CTL_INT_H

#include "vtld.h"

#define CTL_HANDLER(name) \
	void name(void *ctx, struct client *c, const void *body, __u32 len, int *fdp)

/* ctl_rules.c: vtlctl rule list|add|del */
CTL_HANDLER(ctl_rule_list);
CTL_HANDLER(ctl_rule_add);
CTL_HANDLER(ctl_rule_del);
/* ctl_pool.c: vtlctl graft list|verify|load|unload */
CTL_HANDLER(ctl_graft_list);
CTL_HANDLER(ctl_graft_verify);
CTL_HANDLER(ctl_graft_load);
CTL_HANDLER(ctl_graft_unload);

#endif
