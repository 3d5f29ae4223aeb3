// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Control Broker selection rules: see rules.h and docs/control-broker.md. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rules.h"

static const char *const default_rules =
	"# built-in rules (vtld --rules FILE replaces them)\n"
	"partial                         -> pr(max_loss=$max_loss)\n"
	"reliable, min_tput >= 100Mb/s   -> sr(window=1024)\n"
	"reliable                        -> sr\n"
	"any                             -> canonical\n";

static const char *const var_names[RV_NVARS] = {
	"max_delay", "min_tput", "max_loss", "rtt", "loss", "dport",
};

struct cur {
	const char *p;
	int line;
	char *err;
	size_t errlen;
};

static void skip_ws(struct cur *c)
{
	while (*c->p == ' ' || *c->p == '\t')
		c->p++;
}

static int fail(struct cur *c, const char *what)
{
	const char *e = c->p;
	int n = 0;

	while (e[n] && e[n] != '\n' && n < 24)
		n++;
	if (c->line > 0)
		snprintf(c->err, c->errlen, "rules line %d: %s at '%.*s'", c->line, what, n, e);
	else   /* one rule given on its own (vtlctl rule add) */
		snprintf(c->err, c->errlen, "rule: %s at '%.*s'", what, n, e);
	return -1;
}

static int word(struct cur *c, char *out, size_t n)
{
	size_t i = 0;

	skip_ws(c);
	while (isalnum((unsigned char)*c->p) || *c->p == '_' || *c->p == '-' || *c->p == '$') {
		if (i + 1 >= n)
			return -1;
		out[i++] = *c->p++;
	}
	out[i] = 0;
	return i ? 0 : -1;
}

/* A number with a unit, converted to the variable's base unit. */
static int value(struct cur *c, enum rule_var v, __u64 *out)
{
	char *end;
	double x;

	skip_ws(c);
	x = strtod(c->p, &end);
	if (end == c->p || x < 0)
		return fail(c, "expected a number");
	c->p = end;
	switch (v) {
	case RV_MAX_DELAY:
	case RV_RTT:
		if (!strncmp(c->p, "us", 2)) { c->p += 2; }
		else if (!strncmp(c->p, "ms", 2)) { c->p += 2; x *= 1e3; }
		else if (*c->p == 's') { c->p += 1; x *= 1e6; }
		else return fail(c, "a time needs a unit (us, ms, s)");
		break;
	case RV_MIN_TPUT:
		if (!strncmp(c->p, "Gb/s", 4)) { c->p += 4; x *= 1e6; }
		else if (!strncmp(c->p, "Mb/s", 4)) { c->p += 4; x *= 1e3; }
		else if (!strncmp(c->p, "kb/s", 4)) { c->p += 4; }
		else return fail(c, "a rate needs a unit (kb/s, Mb/s, Gb/s)");
		break;
	case RV_MAX_LOSS:
	case RV_LOSS:
		if (*c->p == '%') { c->p++; x *= 1e4; }
		else if (!strncmp(c->p, "ppm", 3)) { c->p += 3; }
		else return fail(c, "a loss needs a unit (% or ppm)");
		if (x > 1e6)
			return fail(c, "a loss above 100%");
		break;
	case RV_DPORT:  /* a plain port number */
		if (x < 1 || x > 65535 || x != (double)(__u64)x)
			return fail(c, "a port is a whole number 1..65535");
		break;
	default:
		return fail(c, "internal: unknown variable");
	}
	*out = (__u64)(x + 0.5);
	return 0;
}

static int parse_op(struct cur *c, enum rule_op *op)
{
	static const struct { const char *s; enum rule_op op; } ops[] = {
		{ "<=", RO_LE }, { ">=", RO_GE }, { "==", RO_EQ }, { "!=", RO_NE },
		{ "<", RO_LT }, { ">", RO_GT },
	};

	skip_ws(c);
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		size_t l = strlen(ops[i].s);

		if (!strncmp(c->p, ops[i].s, l)) {
			c->p += l;
			*op = ops[i].op;
			return 0;
		}
	}
	return fail(c, "expected one of < <= > >= == !=");
}

static int parse_match(struct cur *c, struct rule *r)
{
	for (;;) {
		const char *start;
		char w[32];
		int v;

		skip_ws(c);
		start = c->p;
		if (word(c, w, sizeof(w)))
			return fail(c, "expected a service or a condition");
		if (!strcmp(w, "for")) {
			__u64 us;

			if (!r->adapt)
				return fail(c, "'for' belongs to adaptation rules");
			if (value(c, RV_RTT, &us))
				return -1;
			r->hold_us = us;
		} else if (!strcmp(w, "any")) {
		} else if (!strcmp(w, "reliable")) {
			r->services |= VTL_SVC_RELIABLE;
		} else if (!strcmp(w, "ordered")) {
			r->services |= VTL_SVC_ORDERED;
		} else if (!strcmp(w, "partial")) {
			r->services |= VTL_SVC_PARTIAL;
		} else if (!strcmp(w, "cc")) {
			r->services |= VTL_SVC_CC;
		} else {
			for (v = 0; v < RV_NVARS; v++)
				if (!strcmp(w, var_names[v]))
					break;
			if (v == RV_NVARS) {
				c->p = start;   /* point at the word itself */
				return fail(c, "unknown service or variable");
			}
			if (r->ncond == RULE_CONDS_MAX)
				return fail(c, "too many conditions");
			r->cond[r->ncond].var = (enum rule_var)v;
			if (parse_op(c, &r->cond[r->ncond].op) ||
			    value(c, (enum rule_var)v, &r->cond[r->ncond].value))
				return -1;
			r->ncond++;
		}
		skip_ws(c);
		if (*c->p == ',') {
			c->p++;
			continue;
		}
		if (!strncmp(c->p, "for", 3) && (c->p[3] == ' ' || c->p[3] == '\t'))
			continue; /* "... for 300ms" */
		return 0;
	}
}

static int parse_action(struct cur *c, struct rule *r)
{
	char w[32];

	if (word(c, w, sizeof(w)) || strlen(w) >= VTL_GRAFT_NAME_MAX)
		return fail(c, "expected a graft name");
	strcpy(r->graft, w);
	skip_ws(c);
	if (*c->p != '(')
		return 0;
	c->p++;
	for (;;) {
		char k[32];
		__u64 v;

		if (word(c, k, sizeof(k)))
			return fail(c, "expected a tunable name");
		skip_ws(c);
		if (*c->p++ != '=')
			return c->p--, fail(c, "expected '='");
		skip_ws(c);
		if (!strcmp(k, "window")) {
			char *end;
			unsigned long x = strtoul(c->p, &end, 10);

			if (end == c->p || x < 1 || x > 65535)
				return fail(c, "window must be 1..65535");
			c->p = end;
			r->window = (__u32)x;
		} else if (!strcmp(k, "max_loss")) {
			if (!strncmp(c->p, "$max_loss", 9)) {
				c->p += 9;
				r->loss_from_request = 1;
			} else {
				if (value(c, RV_MAX_LOSS, &v))
					return -1;
				r->max_loss_ppm = (__u32)v;
			}
		} else {
			return fail(c, "unknown tunable (window, max_loss)");
		}
		skip_ws(c);
		if (*c->p == ',') {
			c->p++;
			continue;
		}
		if (*c->p == ')') {
			c->p++;
			return 0;
		}
		return fail(c, "expected ',' or ')'");
	}
}

/* One rule from c->p (not blank, not a comment) up to the end of its line. */
static int parse_one(struct cur *c, struct rule *r)
{
	if (!strncmp(c->p, "adapt", 5) && (c->p[5] == ' ' || c->p[5] == '\t')) {
		c->p += 5;
		r->adapt = 1;
	}
	if (parse_match(c, r))
		return -1;
	skip_ws(c);
	if (strncmp(c->p, "->", 2))
		return fail(c, "expected '->'");
	c->p += 2;
	if (parse_action(c, r))
		return -1;
	skip_ws(c);
	if (*c->p == '#')
		while (*c->p && *c->p != '\n')
			c->p++;
	if (*c->p && *c->p != '\n')
		return fail(c, "unexpected text after the rule");
	return 0;
}

int rules_parse(struct rules *rs, const char *text, char *err, size_t errlen)
{
	struct cur c = { .p = text, .line = 1, .err = err, .errlen = errlen };

	rs->n = 0;
	rs->next_id = 1;
	while (*c.p) {
		struct rule r = { .line = c.line, .origin = VTL_RULE_FILE };

		skip_ws(&c);
		if (*c.p == '#' || *c.p == '\n' || !*c.p) {
			while (*c.p && *c.p != '\n')
				c.p++;
		} else {
			if (rs->n == RULES_MAX)
				return fail(&c, "too many rules");
			if (parse_one(&c, &r))
				return -1;
			r.id = rs->next_id++;
			rs->r[rs->n++] = r;
		}
		if (*c.p == '\n') {
			c.p++;
			c.line++;
		}
	}
	if (!rs->n) {
		snprintf(err, errlen, "rules: no rule at all");
		return -1;
	}
	for (int i = 0; i < rs->n; i++)
		if (!rs->r[i].adapt)
			return 0;
	snprintf(err, errlen, "rules: no selection rule (only adaptation rules)");
	return -1;
}

int rules_parse_rule(const char *text, struct rule *out, char *err, size_t errlen)
{
	struct cur c = { .p = text, .line = 0, .err = err, .errlen = errlen };
	struct rule r = { .origin = VTL_RULE_RUNTIME };

	if (strpbrk(text, "\r\n"))
		return fail(&c, "one rule, without a line break");
	skip_ws(&c);
	if (!*c.p || *c.p == '#')
		return fail(&c, "expected a rule (MATCH -> GRAFT)");
	if (parse_one(&c, &r))
		return -1;
	*out = r;
	return 0;
}

int rules_insert(struct rules *rs, int at, const struct rule *r, char *err, size_t errlen)
{
	if (rs->n >= RULES_MAX) {
		snprintf(err, errlen, "vtld holds %d rules already, its maximum", RULES_MAX);
		return -1;
	}
	if (at < 0)
		at = rs->n;
	if (at > rs->n) {
		snprintf(err, errlen, "index %d is past the end (there %s %d rule%s: 0..%d)", at,
			 rs->n == 1 ? "is" : "are", rs->n, rs->n == 1 ? "" : "s", rs->n);
		return -1;
	}
	memmove(&rs->r[at + 1], &rs->r[at], (size_t)(rs->n - at) * sizeof(rs->r[0]));
	rs->r[at] = *r;
	rs->r[at].id = rs->next_id++;
	rs->r[at].hits = 0;
	rs->n++;
	return at;
}

int rules_delete(struct rules *rs, int index, char *err, size_t errlen)
{
	int sel = 0;

	if (index < 0 || index >= rs->n) {
		snprintf(err, errlen, "no rule %d (there %s %d: 0..%d)", index,
			 rs->n == 1 ? "is" : "are", rs->n, rs->n - 1);
		return -1;
	}
	for (int i = 0; i < rs->n; i++)
		sel += !rs->r[i].adapt;
	if (!rs->r[index].adapt && sel == 1) {
		snprintf(err, errlen, "rule %d is the last selection rule; vtld needs one to "
			 "choose a graft (add another first)", index);
		return -1;
	}
	memmove(&rs->r[index], &rs->r[index + 1], (size_t)(rs->n - index - 1) * sizeof(rs->r[0]));
	rs->n--;
	return 0;
}

/* ---- formatting: the canonical text of a parsed rule ---- */

static size_t put(char *buf, size_t len, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static size_t put(char *buf, size_t len, size_t n, const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(buf + (n < len ? n : len), n < len ? len - n : 0, fmt, ap);
	va_end(ap);
	return n + (k > 0 ? (size_t)k : 0);
}

static size_t put_value(char *buf, size_t len, size_t n, enum rule_var v, __u64 x)
{
	unsigned long long u = x;

	switch (v) {
	case RV_MAX_DELAY:
	case RV_RTT:
		return u && !(u % 1000000) ? put(buf, len, n, "%llus", u / 1000000) :
		       u && !(u % 1000) ? put(buf, len, n, "%llums", u / 1000) :
		       put(buf, len, n, "%lluus", u);
	case RV_MIN_TPUT:
		return u && !(u % 1000000) ? put(buf, len, n, "%lluGb/s", u / 1000000) :
		       u && !(u % 1000) ? put(buf, len, n, "%lluMb/s", u / 1000) :
		       put(buf, len, n, "%llukb/s", u);
	case RV_DPORT:
		return put(buf, len, n, "%llu", u);
	default:
		return !(u % 10000) ? put(buf, len, n, "%llu%%", u / 10000) :
		       put(buf, len, n, "%lluppm", u);
	}
}

void rules_format(const struct rule *r, char *buf, size_t len)
{
	static const char *const ops[] = {
		[RO_LT] = "<", [RO_LE] = "<=", [RO_GT] = ">", [RO_GE] = ">=",
		[RO_EQ] = "==", [RO_NE] = "!=",
	};
	static const struct { __u32 bit; const char *name; } svc[] = {
		{ VTL_SVC_RELIABLE, "reliable" }, { VTL_SVC_ORDERED, "ordered" },
		{ VTL_SVC_PARTIAL, "partial" }, { VTL_SVC_CC, "cc" },
	};
	size_t n = 0;
	int items = 0;

	if (!len)
		return;
	buf[0] = '\0';
	if (r->adapt)
		n = put(buf, len, n, "adapt ");
	for (size_t i = 0; i < sizeof(svc) / sizeof(svc[0]); i++)
		if (r->services & svc[i].bit)
			n = put(buf, len, n, "%s%s", items++ ? ", " : "", svc[i].name);
	for (int k = 0; k < r->ncond; k++) {
		n = put(buf, len, n, "%s%s %s ", items++ ? ", " : "", var_names[r->cond[k].var],
			ops[r->cond[k].op]);
		n = put_value(buf, len, n, r->cond[k].var, r->cond[k].value);
	}
	if (!items)
		n = put(buf, len, n, "any");
	if (r->adapt && r->hold_us) {
		n = put(buf, len, n, " for ");
		n = put_value(buf, len, n, RV_RTT, r->hold_us);
	}
	n = put(buf, len, n, " -> %s", r->graft);
	if (r->window || r->max_loss_ppm || r->loss_from_request) {
		n = put(buf, len, n, "(");
		if (r->window)
			n = put(buf, len, n, "window=%u", r->window);
		if (r->loss_from_request)
			n = put(buf, len, n, "%smax_loss=$max_loss", r->window ? ", " : "");
		else if (r->max_loss_ppm) {
			n = put(buf, len, n, "%smax_loss=", r->window ? ", " : "");
			n = put_value(buf, len, n, RV_MAX_LOSS, r->max_loss_ppm);
		}
		put(buf, len, n, ")");
	}
}

void rules_default(struct rules *rs)
{
	char err[128];

	if (rules_parse(rs, default_rules, err, sizeof(err)))
		abort(); /* the built-in text is covered by the unit tests */
	for (int i = 0; i < rs->n; i++)
		rs->r[i].origin = VTL_RULE_BUILTIN;
}

int rules_load(struct rules *rs, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t n;
	int ret;

	if (!f) {
		snprintf(err, errlen, "rules file %s: %s", path, strerror(errno));
		return -1;
	}
	buf = calloc(1, 65537);
	n = buf ? fread(buf, 1, 65536, f) : 0;
	fclose(f);
	if (!buf)
		return -1;
	if (n == 65536) {
		snprintf(err, errlen, "rules file %s: larger than 64 KiB", path);
		free(buf);
		return -1;
	}
	ret = rules_parse(rs, buf, err, errlen);
	free(buf);
	return ret;
}

static int cmp(__u64 a, enum rule_op op, __u64 b)
{
	switch (op) {
	case RO_LT: return a < b;
	case RO_LE: return a <= b;
	case RO_GT: return a > b;
	case RO_GE: return a >= b;
	case RO_EQ: return a == b;
	case RO_NE: return a != b;
	}
	return 0;
}

static int match(const struct rules *rs, int adapt, const struct rule_input *in,
		 struct rule_choice *out)
{
	for (int i = 0; i < rs->n; i++) {
		const struct rule *r = &rs->r[i];
		int ok = r->adapt == adapt && (in->services & r->services) == r->services;

		for (int k = 0; ok && k < r->ncond; k++) {
			const struct rule_cond *cd = &r->cond[k];

			/* a condition on a figure nobody measured yet does not hold */
			ok = in->known[cd->var] && cmp(in->v[cd->var], cd->op, cd->value);
		}
		if (!ok)
			continue;
		out->graft = r->graft;
		out->window = r->window;
		out->max_loss_ppm = r->loss_from_request ? (__u32)in->v[RV_MAX_LOSS] : r->max_loss_ppm;
		out->line = r->line;
		out->hold_us = r->hold_us;
		out->index = i;
		out->id = r->id;
		return 0;
	}
	return -ENOENT;
}

int rules_select(const struct rules *rs, const struct rule_input *in, struct rule_choice *out)
{
	return match(rs, 0, in, out);
}

int rules_adapt(const struct rules *rs, const struct rule_input *in, struct rule_choice *out)
{
	return match(rs, 1, in, out);
}
