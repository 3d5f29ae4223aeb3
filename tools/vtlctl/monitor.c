// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * vtlctl monitor [count N] [interval MS]: a live view of the sessions and
 * their NetMonitor figures (RTT, loss, goodput, cwnd), one round per
 * interval. With -j, one JSON document per round (JSON lines).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <vtl/errors.h>
#include "vtlctl.h"

static int num(struct ctl *c, const char *what, const char *s, long min, long max, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	if (errno || !*s || *end || *out < min || *out > max)
		return ctl_err(c, -EINVAL, "monitor: %s '%s' is not in %ld..%ld", what, s, min, max);
	return 0;
}

static int one_round(struct ctl *c, long round, void *buf)
{
	struct ctl_status s;
	struct json *j = NULL;
	int r;

	r = ctl_fetch_status(c, &s);
	if (r)
		return r;
	if (c->json) {
		j = ctl_json_open(c);
		if (!j) {
			free(s.buf);
			return ctl_err(c, -ENOMEM, "out of memory");
		}
		json_obj_open(j);
		json_key(j, "round"); json_uint(j, (uint64_t)round);
		json_key(j, "uptime_ms"); json_uint(j, s.st->uptime_ms);
		json_key(j, "sessions");
		json_arr_open(j);
	} else {
		printf("--- %.1f s  %u session(s)\n", s.st->uptime_ms / 1e3, s.st->n_sessions);
	}
	for (uint32_t i = 0; i < s.st->n_sessions; i++) {
		struct vtl_ipc_session_req q = { .session_id = s.sessions[i].session_id };
		const struct vtl_ipc_session_show *o = buf;
		size_t got;

		/* a session may end between the two requests: skip it quietly */
		if (ctl_rpc_quiet(c, VTL_IPC_SESSION_SHOW_REQ, &q, sizeof(q), VTL_IPC_SESSION_SHOW,
				  buf, VTL_IPC_MAX_DATA, &got) || got != sizeof(*o))
			continue;
		if (j) {
			ctl_json_session_show(j, o); /* the same object as session show -j */
		} else {
			printf("  %08x %-8.*s %-11s srtt %8.3f ms  last %8.3f ms  loss %6.2f %%  "
			       "goodput %9.3f Mb/s  cwnd %5u  lost %llu  swaps %u\n",
			       o->info.session_id, (int)sizeof(o->info.graft), o->info.graft,
			       ctl_sess_state_name(o->info.state), o->mon.srtt_us / 1e3,
			       o->mon.rtt_last_us / 1e3, o->mon.loss_ppm / 1e4,
			       o->mon.goodput_bps / 1e6, o->mon.cwnd,
			       (unsigned long long)o->mon.lost, o->n_swaps);
		}
	}
	if (j) {
		json_arr_close(j);
		json_obj_close(j);
		ctl_json_close(j);
	}
	fflush(stdout);
	free(s.buf);
	return 0;
}

int cmd_monitor(struct ctl *c, int argc, char **argv)
{
	long count = 0, interval = 1000, round;
	void *buf;
	int r = 0;

	for (int i = 1; i < argc; i += 2) {
		if (i + 1 >= argc)
			return ctl_err(c, -EINVAL, "monitor: '%s' needs a value", argv[i]);
		if (!strcmp(argv[i], "count")) {
			if (num(c, "count", argv[i + 1], 1, 1000000, &count))
				return 1;
		} else if (!strcmp(argv[i], "interval")) {
			if (num(c, "interval", argv[i + 1], 10, 3600000, &interval))
				return 1;
		} else {
			return ctl_err(c, -EINVAL, "monitor: unknown argument '%s' (count N, "
				       "interval MS)", argv[i]);
		}
	}
	buf = malloc(VTL_IPC_MAX_DATA);
	if (!buf)
		return ctl_err(c, -ENOMEM, "out of memory");
	for (round = 1; !count || round <= count; round++) {
		struct timespec ts = { interval / 1000, (interval % 1000) * 1000000L };

		r = one_round(c, round, buf);
		if (r || (count && round == count))
			break;
		nanosleep(&ts, NULL); /* the refresh period of a live view */
	}
	free(buf);
	return r;
}
