// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * vtlctl stats: daemon-wide figures since vtld started (VTL_IPC_STATS):
 * sessions, negotiations (both directions, refusals by reason), swaps,
 * bytes and packets of every session (ended and running), the pool, the
 * rules, and the shared counters map (printed as status prints it).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <vtl/errors.h>
#include "vtlctl.h"

/* NEGO_NACK reasons (wire.h VTL_NR_*) by name */
static const char *const refusal[8] = {
	[VTL_NR_NO_GRAFT] = "no_graft", [VTL_NR_NO_LISTENER] = "no_listener",
	[VTL_NR_NO_RESOURCES] = "no_resources", [VTL_NR_BAD_PARAMS] = "bad_params",
	[VTL_NR_SESSION_CLASH] = "session_clash",
};

/* One table drives both outputs: the group, the key, the value. */
struct fig {
	const char *group, *key;
	uint64_t v;
};

#define F(g, k, x) { g, k, (uint64_t)(x) }

static int figures(const struct vtl_ipc_dstats *s, struct fig *f)
{
	const struct fig t[] = {
		F("sessions", "open", s->sessions_open),
		F("sessions", "max", s->sessions_max),
		F("sessions", "total", s->sessions_total),
		F("sessions", "aborted", s->sessions_aborted),
		F("negotiation", "sent", s->nego_sent),
		F("negotiation", "acked", s->nego_acked),
		F("negotiation", "nacked", s->nego_nacked),
		F("negotiation", "timeouts", s->nego_timeouts),
		F("negotiation", "accepted", s->nego_accepted),
		F("swaps", "started", s->swaps_started),
		F("swaps", "done", s->swaps_done),
		F("swaps", "failed", s->swaps_failed),
		F("swaps", "by_peer", s->swaps_by_peer),
		F("traffic", "bytes_tx", s->bytes_tx),
		F("traffic", "bytes_rx", s->bytes_rx),
		F("traffic", "packets_tx", s->pkts_tx),
		F("traffic", "packets_retx", s->pkts_retx),
		F("traffic", "packets_rx", s->pkts_rx),
		F("traffic", "ktf_events", s->ktf_events),
		F("traffic", "timer_rescues", s->timer_rescues),
		F("traffic", "retx_waits", s->retx_waits),
		F("traffic", "queue_nomem", s->queue_nomem),
		F("pool", "grafts", s->pool_ok),
		F("pool", "replaced", s->pool_replaced),
		F("pool", "rejected", s->pool_rejected),
		F("pool", "max", s->pool_max),
		F("rules", "select", s->rules_select),
		F("rules", "adapt", s->rules_adapt),
		F("control", "clients", s->clients),
	};
	int n = (int)(sizeof(t) / sizeof(t[0]));

	memcpy(f, t, sizeof(t));
	return n;
}

#define NFIG 48

static void stats_json(struct ctl *c, const struct vtl_ipc_dstats *s)
{
	struct fig f[NFIG];
	struct json *j = ctl_json_open(c);
	int n = figures(s, f);

	if (!j)
		return;
	json_obj_open(j);
	json_kv_uint(j, "uptime_ms", s->uptime_ms);
	for (int i = 0; i < n; i++) {
		if (!i || strcmp(f[i].group, f[i - 1].group)) {
			if (i)
				json_obj_close(j);
			json_key(j, f[i].group);
			json_obj_open(j);
		}
		json_kv_uint(j, f[i].key, f[i].v);
		if (!strcmp(f[i].key, "accepted")) {   /* the refusals go with negotiation */
			json_key(j, "refused");
			json_obj_open(j);
			for (unsigned r = 1; r < 8; r++)
				if (refusal[r] || s->nego_refused[r]) {
					char other[16];

					snprintf(other, sizeof(other), "reason_%u", r);
					json_kv_uint(j, refusal[r] ? refusal[r] : other,
						     s->nego_refused[r]);
				}
			json_obj_close(j);
		}
	}
	if (n)
		json_obj_close(j);
	ctl_json_counters(j, s->cnt_xdp, s->cnt_tc);
	json_obj_close(j);
	ctl_json_close(j);
}

static void stats_text(const struct vtl_ipc_dstats *s)
{
	struct fig f[NFIG];
	char up[32];
	int n = figures(s, f);

	ctl_fmt_uptime(s->uptime_ms, up, sizeof(up));
	printf("uptime       %s\n", up);
	for (int i = 0; i < n; i++) {
		bool first = !i || strcmp(f[i].group, f[i - 1].group);

		if (first)
			printf("%s%-12s %s %llu", i ? "\n" : "", f[i].group, f[i].key,
			       (unsigned long long)f[i].v);
		else
			printf(", %s %llu", f[i].key, (unsigned long long)f[i].v);
		if (!strcmp(f[i].key, "accepted")) {
			uint64_t any = 0;

			for (unsigned r = 1; r < 8; r++)
				any += s->nego_refused[r];
			printf(", refused %llu", (unsigned long long)any);
			for (unsigned r = 1; r < 8 && any; r++)
				if (s->nego_refused[r])
					printf(" %s %llu", refusal[r] ? refusal[r] : "other",
					       (unsigned long long)s->nego_refused[r]);
		}
	}
	printf("\n\n");
	ctl_print_counters(s->cnt_xdp, s->cnt_tc);
}

int cmd_stats(struct ctl *c, int argc, char **argv)
{
	struct vtl_ipc_dstats s;
	int e;

	if (argc > 1)
		return ctl_err(c, -EINVAL, "stats: unexpected argument '%s'", argv[1]);
	e = ctl_rpc_fixed(c, VTL_IPC_STATS_REQ, NULL, 0, VTL_IPC_STATS, &s, sizeof(s), "STATS");
	if (e)
		return e;
	if (c->json)
		stats_json(c, &s);
	else
		stats_text(&s);
	return 0;
}
