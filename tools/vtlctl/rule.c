// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * vtlctl rule list|add|del: the Control Broker's selection and adaptation
 * rules of the running vtld (docs/control-broker.md, docs/adaptation.md).
 *   rule list                 index, kind, origin, hits, canonical text
 *   rule add [at N] RULE      vtld parses RULE with its rules-file parser
 *   rule del N
 * Changes live in vtld's memory only: a restart reads the rules file (or
 * the built-in rules) again.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <vtl/errors.h>
#include "vtlctl.h"

static const char *kind_name(__u32 k)
{
	return k == VTL_RULE_ADAPT ? "adapt" : k == VTL_RULE_SELECT ? "select" : "?";
}

static const char *origin_name(__u32 o)
{
	return o == VTL_RULE_BUILTIN ? "built-in" : o == VTL_RULE_FILE ? "file" :
	       o == VTL_RULE_RUNTIME ? "vtlctl" : "?";
}

static void rule_json(struct json *j, const struct vtl_ipc_rule *r)
{
	json_obj_open(j);
	json_kv_uint(j, "index", r->index);
	json_kv_uint(j, "id", r->id);
	json_kv_str(j, "kind", kind_name(r->kind));
	json_kv_str(j, "origin", origin_name(r->origin));
	json_kv_uint(j, "line", r->line);
	json_kv_uint(j, "hits", r->hits);
	json_key(j, "text");
	json_strn(j, r->text, sizeof(r->text));
	json_obj_close(j);
}

static void rule_row(const struct vtl_ipc_rule *r)
{
	char origin[24];

	if (r->line)
		snprintf(origin, sizeof(origin), "%s:%u", origin_name(r->origin), r->line);
	else
		snprintf(origin, sizeof(origin), "%s", origin_name(r->origin));
	printf("%5u  %-6s %-12s %8llu  %.*s\n", r->index, kind_name(r->kind), origin,
	       (unsigned long long)r->hits, (int)sizeof(r->text), r->text);
}

/* A decimal index 0..RULES_MAX-ish, or an error naming the word. */
static int parse_index(struct ctl *c, const char *s, __u32 *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || !*s || *end || *s == '-' || *s == '+' || v > 0xffffu)
		return ctl_err(c, -EINVAL, "'%s' is not a rule index (as in 'rule list')", s);
	*out = (__u32)v;
	return 0;
}

static int rule_list(struct ctl *c, int argc, char **argv)
{
	const struct vtl_ipc_rule_list *h;
	const struct vtl_ipc_rule *r;
	struct json *j;
	void *buf;
	size_t got;
	int e;

	if (argc > 1)
		return ctl_err(c, -EINVAL, "rule list: unexpected argument '%s'", argv[1]);
	buf = malloc(VTL_IPC_MAX_MSG);
	if (!buf)
		return ctl_err(c, -ENOMEM, "out of memory");
	e = ctl_rpc(c, VTL_IPC_RULE_LIST_REQ, NULL, 0, VTL_IPC_RULE_LIST, buf, VTL_IPC_MAX_MSG,
		    &got);
	h = buf;
	r = (const void *)(h + 1);
	if (!e && (got < sizeof(*h) || h->n > h->max ||
		   got != sizeof(*h) + (size_t)h->n * sizeof(*r)))
		e = ctl_err(c, -VTL_E_PROTO, "bad RULE_LIST reply from vtld");
	if (e) {
		free(buf);
		return e;
	}
	if (c->json) {
		j = ctl_json_open(c);
		if (j) {
			json_arr_open(j);
			for (__u32 i = 0; i < h->n; i++)
				rule_json(j, &r[i]);
			json_arr_close(j);
			ctl_json_close(j);
		}
	} else {
		printf("%5s  %-6s %-12s %8s  %s\n", "INDEX", "KIND", "ORIGIN", "HITS", "RULE");
		for (__u32 i = 0; i < h->n; i++)
			rule_row(&r[i]);
	}
	free(buf);
	return 0;
}

/* One RULE reply (add, del), printed with what happened. */
static int rule_reply(struct ctl *c, __u16 type, const void *req, size_t len, const char *done)
{
	struct vtl_ipc_rule r;
	struct json *j;
	int e;

	e = ctl_rpc_fixed(c, type, req, len, VTL_IPC_RULE, &r, sizeof(r), "RULE");
	if (e)
		return e;
	r.text[sizeof(r.text) - 1] = '\0';
	if (c->json) {
		j = ctl_json_open(c);
		if (j) {
			json_obj_open(j);
			json_kv_str(j, "status", done);
			json_key(j, "rule");
			rule_json(j, &r);
			json_obj_close(j);
			ctl_json_close(j);
		}
	} else {
		printf("%s rule %u (%s): %s\n", done, r.index, kind_name(r.kind), r.text);
	}
	return 0;
}

/* rule add [at N] RULE...: the words of RULE are joined with blanks, so
 * quoting it whole (it has '>' and '<') and not quoting give the same. */
static int rule_add(struct ctl *c, int argc, char **argv)
{
	struct vtl_ipc_rule_add_req q = { .at = VTL_RULE_APPEND };
	size_t n = 0;
	int i = 1;

	if (argc > 2 && !strcmp(argv[1], "at")) {
		if (parse_index(c, argv[2], &q.at))
			return 1;
		i = 3;
	}
	if (i >= argc)
		return ctl_err(c, -EINVAL, "usage: rule add [at N] 'MATCH -> GRAFT[(TUNABLES)]'");
	for (; i < argc; i++) {
		size_t l = strlen(argv[i]);

		if (n + l + 2 > sizeof(q.text))
			return ctl_err(c, -E2BIG, "rule text longer than %zu bytes",
				       sizeof(q.text) - 1);
		if (n)
			q.text[n++] = ' ';
		memcpy(q.text + n, argv[i], l);
		n += l;
	}
	q.text[n] = '\0';
	return rule_reply(c, VTL_IPC_RULE_ADD_REQ, &q, sizeof(q), "added");
}

static int rule_del(struct ctl *c, int argc, char **argv)
{
	struct vtl_ipc_rule_del_req q = { 0 };

	if (argc != 2)
		return ctl_err(c, -EINVAL, "usage: rule del N (N as in 'rule list')");
	if (parse_index(c, argv[1], &q.index))
		return 1;
	return rule_reply(c, VTL_IPC_RULE_DEL_REQ, &q, sizeof(q), "deleted");
}

static const struct ctl_cmd rule_verbs[] = {
	{ "list", rule_list, "", "the rules in order: the first that matches wins" },
	{ "add",  rule_add,  "[at N] RULE", "insert a rule (default: at the end)" },
	{ "del",  rule_del,  "N", "delete rule N" },
	{ NULL, NULL, NULL, NULL }
};

int cmd_rule(struct ctl *c, int argc, char **argv)
{
	return ctl_dispatch(c, rule_verbs, "rule verb", "list", argc - 1, argv + 1);
}
