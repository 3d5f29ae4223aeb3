/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Control Broker selection rules: map an application's request (services
 * and QoS) and the NetMonitor's figures for the peer onto a graft and its
 * tunables. First matching rule wins. Syntax in docs/control-broker.md:
 *
 *   partial                        -> pr(max_loss=$max_loss)
 *   reliable, min_tput >= 100Mb/s  -> sr(window=1024)
 *   reliable, rtt >= 300ms         -> pr(max_loss=10%)
 *   reliable                       -> sr
 *   any                            -> canonical
 *   adapt reliable, rtt >= 300ms for 500ms -> pr(max_loss=10%)
 *   adapt reliable, rtt < 200ms for 1s    -> gbn
 */
#ifndef VTLD_RULES_H
#define VTLD_RULES_H

#include <linux/types.h>
#include <vtl/ipc.h>
#include <vtl/wire.h>

#define RULES_MAX      64
#define RULE_CONDS_MAX 8

enum rule_var { RV_MAX_DELAY, RV_MIN_TPUT, RV_MAX_LOSS, RV_RTT, RV_LOSS, RV_DPORT, RV_NVARS };
enum rule_op { RO_LT, RO_LE, RO_GT, RO_GE, RO_EQ, RO_NE };

struct rule_cond {
	enum rule_var var;
	enum rule_op op;
	__u64 value;          /* in the variable's unit: us, kb/s or ppm */
};

struct rule {
	__u32 services;       /* all of these must be requested */
	int ncond;
	struct rule_cond cond[RULE_CONDS_MAX];
	char graft[VTL_GRAFT_NAME_MAX];
	__u32 window;         /* 0: graft default */
	__u32 max_loss_ppm;   /* 0: none given */
	int loss_from_request;/* max_loss=$max_loss */
	int line;
	int adapt;            /* an adaptation rule ("adapt ..."), for running sessions */
	__u64 hold_us;        /* "for DURATION": must hold this long before it fires */
	__u32 id;             /* unique in this struct rules' life (rules_insert) */
	__u32 origin;         /* VTL_RULE_BUILTIN / _FILE / _RUNTIME (ipc.h) */
	__u64 hits;           /* sessions chosen / swaps started (the broker counts) */
};

struct rules {
	struct rule r[RULES_MAX];
	int n;
	__u32 next_id;
};

/* What the broker knows when it chooses. Zero = unknown / no requirement. */
struct rule_input {
	__u32 services;
	__u64 v[RV_NVARS];    /* max_delay us, min_tput kb/s, max_loss ppm, rtt us, loss ppm, dport */
	__u8 known[RV_NVARS]; /* rtt and loss are known only after a measurement */
};

struct rule_choice {
	const char *graft;
	__u32 window;
	__u32 max_loss_ppm;
	int line;             /* the rule that matched (0: built-in default) */
	__u64 hold_us;        /* adaptation rules: the "for" duration, 0 = default */
	int index;            /* rs->r[index] matched */
	__u32 id;             /* its id */
};

void rules_default(struct rules *rs);
/* Parse text; on error returns -1 with err naming the line and token. */
int rules_parse(struct rules *rs, const char *text, char *err, size_t errlen);
int rules_load(struct rules *rs, const char *path, char *err, size_t errlen);

/* Runtime edits (vtlctl rule add|del). One rule in the rules file's
 * syntax, with the same parser; no newline. Errors read "rule: WHAT at
 * 'TEXT'", as the file's read "rules line N: WHAT at 'TEXT'". */
int rules_parse_rule(const char *text, struct rule *out, char *err, size_t errlen);
/* Insert r at index at (0..n; -1: at the end), giving it an id. Refused
 * (-1, err says why) when full or at is out of range. Returns the index. */
int rules_insert(struct rules *rs, int at, const struct rule *r, char *err, size_t errlen);
/* Delete rule index. Refused when index is out of range, or when it is the
 * last selection rule (a broker without one could choose nothing). */
int rules_delete(struct rules *rs, int index, char *err, size_t errlen);
/* The rule as text the parser reads back to the same rule. */
void rules_format(const struct rule *r, char *buf, size_t len);
/* Selection rules (for a new session) and adaptation rules (for a running
 * one, lines starting with "adapt"), first match wins; -ENOENT if none. */
int rules_select(const struct rules *rs, const struct rule_input *in, struct rule_choice *out);
int rules_adapt(const struct rules *rs, const struct rule_input *in, struct rule_choice *out);

#endif
