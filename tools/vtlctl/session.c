// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * vtlctl session list|show|swap: sessions, their NetMonitor figures and
 * swap history, and forcing a graft swap on a running session.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <vtl/errors.h>
#include "vtlctl.h"

static int session_list(struct ctl *c, int argc, char **argv)
{
	struct ctl_status s;
	struct json *j = NULL;
	int r;

	if (argc > 1)
		return ctl_err(c, -EINVAL, "session list: unexpected argument '%s'", argv[1]);
	r = ctl_fetch_status(c, &s);
	if (r)
		return r;
	if (c->json && !(j = ctl_json_open(c))) {
		free(s.buf);
		return ctl_err(c, -ENOMEM, "out of memory");
	}
	ctl_print_sessions(c, j, &s);
	if (j)
		ctl_json_close(j);
	free(s.buf);
	return 0;
}

static int parse_id(struct ctl *c, const char *s, __u32 *id)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 16);
	if (errno || !*s || *end || v == 0 || v > 0xffffffffUL)
		return ctl_err(c, -EINVAL, "'%s' is not a session id (hex, as in session list)", s);
	*id = (__u32)v;
	return 0;
}

static const char *cause_name(__u32 c)
{
	return c == VTL_SWAP_BY_OPERATOR ? "operator" : c == VTL_SWAP_BY_RULE ? "rule" :
	       c == VTL_SWAP_BY_PEER ? "peer" : "?";
}

void ctl_json_session_show(struct json *j, const struct vtl_ipc_session_show *o)
{
	const struct vtl_ipc_session_info *i = &o->info;
	char peer[CTL_PEER_STRLEN], addr[INET6_ADDRSTRLEN], id[16];

	ctl_peer_str(i, peer, sizeof(peer));
	if (i->peer.family == VTL_AF_INET6)
		inet_ntop(AF_INET6, i->peer.addr, addr, sizeof(addr));
	else
		inet_ntop(AF_INET, &i->peer_addr, addr, sizeof(addr));
	snprintf(id, sizeof(id), "0x%08x", i->session_id);
	json_obj_open(j);
	json_key(j, "id"); json_str(j, id);
	json_key(j, "session_id"); json_uint(j, i->session_id);
	json_key(j, "peer"); json_str(j, peer);
	json_key(j, "peer_addr"); json_str(j, addr);
	json_key(j, "encap"); json_str(j, ctl_encap_name(i->encap));
	json_key(j, "peer_port"); json_uint(j, i->peer_port);
	json_key(j, "graft"); json_strn(j, i->graft, sizeof(i->graft));
	json_key(j, "state"); json_str(j, ctl_sess_state_name(i->state));
	json_key(j, "initiator"); json_bool(j, i->initiator);
	json_key(j, "window"); json_uint(j, i->window);
	json_key(j, "max_loss_ppm"); json_uint(j, o->max_loss_ppm);
	json_key(j, "age_ms"); json_uint(j, o->age_ms);
	json_key(j, "snd_una"); json_uint(j, i->snd_una);
	json_key(j, "snd_nxt"); json_uint(j, i->snd_nxt);
	json_key(j, "rcv_acked"); json_uint(j, i->rcv_acked);
	json_key(j, "tx_data"); json_uint(j, i->tx_data);
	json_key(j, "tx_retx"); json_uint(j, i->tx_retx);
	json_key(j, "rx_data"); json_uint(j, i->rx_data);
	json_key(j, "timeouts"); json_uint(j, i->timeouts);
	json_key(j, "bytes_tx"); json_uint(j, i->bytes_tx);
	json_key(j, "bytes_rx"); json_uint(j, i->bytes_rx);
	json_key(j, "monitor");
	json_obj_open(j);
	json_key(j, "srtt_us"); json_uint(j, o->mon.srtt_us);
	json_key(j, "rttvar_us"); json_uint(j, o->mon.rttvar_us);
	json_key(j, "rtt_min_us"); json_uint(j, o->mon.rtt_min_us);
	json_key(j, "rtt_last_us"); json_uint(j, o->mon.rtt_last_us);
	json_key(j, "loss_ppm"); json_uint(j, o->mon.loss_ppm);
	json_key(j, "goodput_bps"); json_uint(j, o->mon.goodput_bps);
	json_key(j, "cwnd"); json_uint(j, o->mon.cwnd);
	json_key(j, "period_ms"); json_uint(j, o->mon.period_ms);
	json_key(j, "lost"); json_uint(j, o->mon.lost);
	json_obj_close(j);
	json_key(j, "swaps");
	json_arr_open(j);
	for (__u32 k = 0; k < o->n_swaps && k < VTL_SWAP_HISTORY; k++) {
		const struct vtl_ipc_swap_rec *w = &o->swaps[k];

		json_obj_open(j);
		json_key(j, "t_ms"); json_uint(j, w->t_ms);
		json_key(j, "done_ms"); json_uint(j, w->done_ms);
		json_key(j, "from"); json_strn(j, w->from, sizeof(w->from));
		json_key(j, "to"); json_strn(j, w->to, sizeof(w->to));
		json_key(j, "cause"); json_str(j, cause_name(w->cause));
		json_key(j, "rule_line"); json_uint(j, w->rule_line);
		json_key(j, "rtt_us"); json_uint(j, w->rtt_us);
		json_key(j, "loss_ppm"); json_uint(j, w->loss_ppm);
		json_obj_close(j);
	}
	json_arr_close(j);
	json_obj_close(j);
}

static void show_text(const struct vtl_ipc_session_show *o)
{
	const struct vtl_ipc_session_info *i = &o->info;
	char peer[CTL_PEER_STRLEN];

	ctl_peer_str(i, peer, sizeof(peer));
	printf("session %08x  peer %s  %s  graft %.*s  window %u  %s, age %.1f s\n",
	       i->session_id, peer, ctl_sess_state_name(i->state), (int)sizeof(i->graft),
	       i->graft, i->window, i->initiator ? "initiator" : "responder", o->age_ms / 1e3);
	printf("  seq      snd_una %u  snd_nxt %u  rcv_acked %u\n", i->snd_una, i->snd_nxt,
	       i->rcv_acked);
	printf("  packets  tx %llu  retx %llu  rx %llu  timeouts %llu  lost %llu\n",
	       (unsigned long long)i->tx_data, (unsigned long long)i->tx_retx,
	       (unsigned long long)i->rx_data, (unsigned long long)i->timeouts,
	       (unsigned long long)o->mon.lost);
	printf("  monitor  srtt %.3f ms (min %.3f, var %.3f)  loss %.2f %%  goodput %.3f Mb/s  "
	       "cwnd %u\n", o->mon.srtt_us / 1e3, o->mon.rtt_min_us / 1e3, o->mon.rttvar_us / 1e3,
	       o->mon.loss_ppm / 1e4, o->mon.goodput_bps / 1e6, o->mon.cwnd);
	for (__u32 k = 0; k < o->n_swaps && k < VTL_SWAP_HISTORY; k++) {
		const struct vtl_ipc_swap_rec *w = &o->swaps[k];

		printf("  swap     at %.3f s %.*s -> %.*s by %s", w->t_ms / 1e3,
		       (int)sizeof(w->from), w->from, (int)sizeof(w->to), w->to,
		       cause_name(w->cause));
		if (w->cause == VTL_SWAP_BY_RULE)
			printf(" (rule line %u)", w->rule_line);
		if (w->done_ms)
			printf(", both ends at %.3f s", w->done_ms / 1e3);
		else
			printf(", not completed");
		printf(" [rtt %.1f ms, loss %.2f %%]\n", w->rtt_us / 1e3, w->loss_ppm / 1e4);
	}
}

static int session_show(struct ctl *c, int argc, char **argv)
{
	struct vtl_ipc_session_req q = {};
	struct vtl_ipc_session_show *o;
	struct json *j;
	void *buf;
	size_t got;
	int r;

	if (argc == 1)
		return session_list(c, argc, argv);
	if (argc > 2)
		return ctl_err(c, -EINVAL, "session show: unexpected argument '%s'", argv[2]);
	if (parse_id(c, argv[1], &q.session_id))
		return 1;
	buf = malloc(VTL_IPC_MAX_DATA);
	if (!buf)
		return ctl_err(c, -ENOMEM, "out of memory");
	r = ctl_rpc(c, VTL_IPC_SESSION_SHOW_REQ, &q, sizeof(q), VTL_IPC_SESSION_SHOW, buf,
		    VTL_IPC_MAX_DATA, &got);
	if (!r && got != sizeof(*o))
		r = ctl_err(c, -VTL_E_PROTO, "bad SESSION_SHOW reply (%zu bytes)", got);
	if (!r) {
		o = buf;
		if (c->json) {
			j = ctl_json_open(c);
			if (j) {
				ctl_json_session_show(j, o);
				ctl_json_close(j);
			}
		} else {
			show_text(o);
		}
	}
	free(buf);
	return r;
}

/* session swap ID GRAFT [max_loss PERCENT] */
static int session_swap(struct ctl *c, int argc, char **argv)
{
	struct vtl_ipc_session_swap_req q = {};
	struct json *j;
	void *buf;
	size_t got;
	int r;

	if (argc != 3 && argc != 5)
		return ctl_err(c, -EINVAL, "usage: session swap ID GRAFT [max_loss PERCENT]");
	if (parse_id(c, argv[1], &q.session_id))
		return 1;
	if (strlen(argv[2]) >= sizeof(q.graft))
		return ctl_err(c, -EINVAL, "graft name '%s' is too long", argv[2]);
	strcpy(q.graft, argv[2]);
	if (argc == 5) {
		char *end;
		double p = strtod(argv[4], &end);

		if (strcmp(argv[3], "max_loss") || end == argv[4] || (*end && strcmp(end, "%")) ||
		    p < 0 || p > 100)
			return ctl_err(c, -EINVAL, "expected 'max_loss PERCENT', got '%s %s'",
				       argv[3], argv[4]);
		q.max_loss_ppm = (__u32)(p * 1e4 + 0.5);
	}
	buf = malloc(VTL_IPC_MAX_DATA);
	if (!buf)
		return ctl_err(c, -ENOMEM, "out of memory");
	r = ctl_rpc(c, VTL_IPC_SESSION_SWAP_REQ, &q, sizeof(q), VTL_IPC_SESSION_SWAP, buf,
		    VTL_IPC_MAX_DATA, &got);
	free(buf);
	if (r)
		return r;
	if (c->json) {
		j = ctl_json_open(c);
		if (j) {
			json_obj_open(j);
			json_key(j, "session_id"); json_uint(j, q.session_id);
			json_key(j, "swap"); json_str(j, q.graft);
			json_key(j, "status"); json_str(j, "started");
			json_obj_close(j);
			ctl_json_close(j);
		}
	} else {
		printf("session %08x: swap to %s started (see: vtlctl session show %08x)\n",
		       q.session_id, q.graft, q.session_id);
	}
	return 0;
}

static const struct ctl_cmd session_verbs[] = {
	{ "list", session_list, "", "list the sessions" },
	{ "show", session_show, "[ID]", "one session: NetMonitor figures, swap history" },
	{ "swap", session_swap, "ID GRAFT [max_loss P]", "renegotiate and hot-swap the graft" },
	{ NULL, NULL, NULL, NULL }
};

int cmd_session(struct ctl *c, int argc, char **argv)
{
	return ctl_dispatch(c, session_verbs, "session verb", "list", argc - 1, argv + 1);
}
