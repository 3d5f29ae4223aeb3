// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Hot swap of a running session's graft, through renegotiation.
 *
 * The initiator sends NEGO with VTL_NF_SWAP and the same session id; the
 * responder deploys the new graft into the session's slot and answers
 * NEGO_ACK; then the initiator deploys its side. Deploying is three
 * prog-array updates per end: atomic per role, nothing detached. The
 * per-session state (sequence numbers, retransmission copies, RTT, cwnd)
 * belongs to the session, not to the graft, so every packet in flight is
 * handled by the old or the new KTF with the same numbers: nothing is lost
 * or duplicated. The responder swaps first, so the receiver is never less
 * capable than the sender (a gbn sender ignores an sr receiver's SACKs).
 * The window stays the session's: the retransmission copies are indexed
 * by seq % window.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <vtl/errors.h>
#include "log.h"
#include "loop.h"
#include "session.h"

#define SWAP_FIRST_GAP_MS 50
#define SWAP_MAX_GAP_MS   500

static struct vtl_ipc_swap_rec *swap_record(struct session *s, const char *from, const char *to,
					    __u32 cause, int line)
{
	struct vtl_ipc_swap_rec *r = &s->sw.rec[s->sw.n % VTL_SWAP_HISTORY];

	memset(r, 0, sizeof(*r));
	r->t_ms = (now_ns() - s->tp.t_open_ns) / 1000000;
	snprintf(r->from, sizeof(r->from), "%s", from);
	snprintf(r->to, sizeof(r->to), "%s", to);
	r->cause = cause;
	r->rule_line = line > 0 ? (__u32)line : 0;
	r->rtt_us = s->mon.fig.rtt_last_us ? s->mon.fig.rtt_last_us : s->mon.fig.srtt_us;
	r->loss_ppm = s->mon.fig.loss_ppm;
	s->sw.n++;
	return r;
}

static struct vtl_ipc_swap_rec *last_record(struct session *s)
{
	return s->sw.n ? &s->sw.rec[(s->sw.n - 1) % VTL_SWAP_HISTORY] : NULL;
}

/* Point the session at pg/gi on this end. */
static int swap_apply(struct nego *ng, struct session *s, struct pool_graft *pg,
		      struct graft_inst *gi, __u32 loss)
{
	struct vtl_state *st = s->tp.k;
	int e;

	sess_set_services(s, pg, loss);
	s->max_delay_ms = gi->max_delay_ms;
	if (s->tp.partial) {
		/* the loss budget counts from the swap point on */
		st->pr_granted = 0;
		st->isn_rx = st->rcv_acked;
		st->pr_skip = st->rcv_acked;
	}
	e = launcher_slot_set(ng->l, s->tp.slot, gi);
	if (e)
		return e;
	launcher_graft_put(ng->l, s->gi);
	if (s->pg && s->pg->users > 0)
		s->pg->users--;
	s->gi = gi;
	s->pg = pg;
	pg->users++;
	s->sw.last_ns = now_ns();
	return 0;
}

int swap_start(struct nego *ng, struct session *s, const char *graft, __u32 max_loss_ppm,
	       __u32 cause, int rule_line, char *err, size_t errlen)
{
	struct pool_graft *pg;
	struct graft_inst *gi;
	__u32 loss;

	if (!s->tp.initiator || s->tp.state != TP_OPEN) {
		snprintf(err, errlen, "only an open session this host initiated can swap");
		return -VTL_E_STATE;
	}
	if (s->sw.gi) {
		snprintf(err, errlen, "a swap to %s is already under way", s->sw.pg->meta.name);
		return -EBUSY;
	}
	pg = pool_find(ng->pool, graft, 0);
	if (!pg) {
		snprintf(err, errlen, "graft '%s' is not in the pool", graft);
		return -VTL_E_NOGRAFT;
	}
	if (!(pg->meta.services & (VTL_SVC_RELIABLE | VTL_SVC_PARTIAL)) || !s->tp.reliable) {
		snprintf(err, errlen, "swaps are between windowed ARQ grafts (sw, gbn, sr, pr)");
		return -VTL_E_BADPARAM;
	}
	if (s->tp.window < pg->meta.window_min || s->tp.window > pg->meta.window_max) {
		snprintf(err, errlen, "%s does not take the session's window %u (%u..%u)", graft,
			 s->tp.window, pg->meta.window_min, pg->meta.window_max);
		return -VTL_E_BADPARAM;
	}
	loss = (pg->meta.services & VTL_SVC_PARTIAL) ?
	       (max_loss_ppm ? max_loss_ppm : s->req.max_loss_ppm ? s->req.max_loss_ppm :
		pg->meta.max_loss_ppm) : 0;
	if (pg == s->pg && loss == s->max_loss_ppm) {
		snprintf(err, errlen, "the session already runs %s", graft);
		return -EALREADY;
	}
	if (launcher_graft_get_tun(ng->l, pg->path, s->tp.window, loss,
				   sess_max_delay(pg, s->req.max_delay_ms), &gi, err, errlen))
		return -VTL_E_NOGRAFT;
	s->sw.gi = gi;
	s->sw.pg = pg;
	s->sw.loss_ppm = loss;
	s->sw.msg = s->ng.msg;
	memcpy(s->sw.msg.graft, pg->meta.name, VTL_GRAFT_NAME_MAX);
	s->sw.msg.graft_version = htonl(pg->meta.version);
	memcpy(s->sw.msg.graft_hash, pg->hash, VTL_HASH_LEN);
	s->sw.msg.max_loss_ppm = htonl(loss);
	if (pg->meta.max_delay_ms)
		s->sw.msg.max_delay_ms = htonl(sess_max_delay(pg, s->req.max_delay_ms));
	s->sw.msg.services = htonl(pg->meta.services);
	s->sw.msg.flags = htonl(VTL_NF_SWAP);
	s->sw.gap_ms = SWAP_FIRST_GAP_MS;
	s->sw.next_ns = now_ns() + SWAP_FIRST_GAP_MS * 1000000ull;
	s->sw.deadline_ns = now_ns() + (__u64)ng->cfg->nego_timeout_ms * 1000000ull;
	swap_record(s, s->pg->meta.name, pg->meta.name, cause, rule_line);
	ng->st.swaps_started++;
	pr_info("session %08x: swapping %s -> %s (%s)\n", s->tp.id, s->pg->meta.name,
		pg->meta.name, cause == VTL_SWAP_BY_RULE ? "adaptation rule" : "operator");
	tp_send_ctrl(ng->tp, &s->tp.peer, s->tp.id, VTL_T_NEGO, &s->sw.msg, sizeof(s->sw.msg));
	return 0;
}

void swap_abandon(struct nego *ng, struct session *s)
{
	if (!s->sw.gi)
		return;
	launcher_graft_put(ng->l, s->sw.gi);
	s->sw.gi = NULL;
	s->sw.pg = NULL;
}

void swap_tick(struct nego *ng, struct session *s, __u64 now)
{
	if (!s->sw.gi)
		return;
	if (now >= s->sw.deadline_ns) {
		pr_warn("session %08x: no answer to the swap to %s; staying on %s\n", s->tp.id,
			s->sw.pg->meta.name, s->pg->meta.name);
		ng->st.swaps_failed++;
		swap_abandon(ng, s);
		return;
	}
	if (now < s->sw.next_ns)
		return;
	tp_send_ctrl(ng->tp, &s->tp.peer, s->tp.id, VTL_T_NEGO, &s->sw.msg, sizeof(s->sw.msg));
	s->sw.gap_ms = s->sw.gap_ms * 2 > SWAP_MAX_GAP_MS ? SWAP_MAX_GAP_MS : s->sw.gap_ms * 2;
	s->sw.next_ns = now + s->sw.gap_ms * 1000000ull;
}

/* Initiator: the responder's answer. */
void swap_on_reply(struct nego *ng, struct session *s, const struct vtl_hdr *h,
		   const struct vtl_nego *n)
{
	struct vtl_ipc_swap_rec *r = last_record(s);

	if (!s->tp.initiator || !s->sw.gi ||
	    strncmp(n->graft, s->sw.pg->meta.name, VTL_GRAFT_NAME_MAX))
		return; /* late duplicate */
	if (h->type == VTL_T_NEGO_NACK) {
		pr_warn("session %08x: peer refused the swap to %s (reason %u); staying on %s\n",
			s->tp.id, s->sw.pg->meta.name, ntohl(n->reason), s->pg->meta.name);
		ng->st.swaps_failed++;
		swap_abandon(ng, s);
		return;
	}
	if (swap_apply(ng, s, s->sw.pg, s->sw.gi, s->sw.loss_ppm)) {
		ng->st.swaps_failed++;
		session_abort(ng, s, -VTL_E_NORES, "cannot deploy the swapped graft", true);
		return;
	}
	s->ng.msg = s->sw.msg;
	s->sw.gi = NULL;
	s->sw.pg = NULL;
	if (r)
		r->done_ms = (now_ns() - s->tp.t_open_ns) / 1000000;
	ng->st.swaps_done++;
	pr_info("session %08x: swapped to %s on both ends\n", s->tp.id, s->pg->meta.name);
	tp_output_all(ng->tp);
}

static void swap_nack(struct nego *ng, struct session *s, const struct vtl_nego *in, __u32 why)
{
	struct vtl_nego n = *in;

	n.reason = htonl(why);
	tp_send_ctrl(ng->tp, &s->tp.peer, s->tp.id, VTL_T_NEGO_NACK, &n, sizeof(n));
}

/* Responder: the initiator asks to swap. Idempotent. */
void swap_on_nego(struct nego *ng, struct session *s, const struct vtl_nego *n)
{
	char name[VTL_GRAFT_NAME_MAX + 1] = "", err[512];
	struct vtl_ipc_swap_rec *r;
	struct pool_graft *pg;
	struct graft_inst *gi;
	__u32 loss = ntohl(n->max_loss_ppm);

	if (s->tp.state != TP_OPEN)
		return;
	memcpy(name, n->graft, VTL_GRAFT_NAME_MAX);
	pg = pool_find_hash(ng->pool, name, ntohl(n->graft_version), n->graft_hash);
	if (!pg) {
		swap_nack(ng, s, n, VTL_NR_NO_GRAFT);
		return;
	}
	if (pg == s->pg && (!s->tp.partial || loss == s->max_loss_ppm)) {
		/* a repeated request: we swapped already */
		tp_send_ctrl(ng->tp, &s->tp.peer, s->tp.id, VTL_T_NEGO_ACK, &s->ng.msg,
			     sizeof(s->ng.msg));
		return;
	}
	if (s->tp.window < pg->meta.window_min || s->tp.window > pg->meta.window_max ||
	    !(pg->meta.services & (VTL_SVC_RELIABLE | VTL_SVC_PARTIAL)) || !s->tp.reliable) {
		swap_nack(ng, s, n, VTL_NR_BAD_PARAMS);
		return;
	}
	if (launcher_graft_get_tun(ng->l, pg->path, s->tp.window, loss,
				   sess_max_delay(pg, ntohl(n->max_delay_ms)), &gi, err, sizeof(err))) {
		pr_warn("session %08x: swap: %s\n", s->tp.id, err);
		swap_nack(ng, s, n, VTL_NR_NO_GRAFT);
		return;
	}
	r = swap_record(s, s->pg->meta.name, pg->meta.name, VTL_SWAP_BY_PEER, 0);
	if (swap_apply(ng, s, pg, gi, loss)) {
		launcher_graft_put(ng->l, gi);
		swap_nack(ng, s, n, VTL_NR_NO_RESOURCES);
		return;
	}
	r->done_ms = r->t_ms;
	ng->st.swaps_by_peer++;
	s->ng.msg = *n;
	s->ng.msg.isn = htonl(s->isn_tx);
	s->ng.msg.mss = htons((__u16)s->tp.mss);
	s->ng.msg.reason = htonl(VTL_NR_OK);
	pr_info("session %08x: peer swapped us to %s\n", s->tp.id, pg->meta.name);
	tp_send_ctrl(ng->tp, &s->tp.peer, s->tp.id, VTL_T_NEGO_ACK, &s->ng.msg, sizeof(s->ng.msg));
}
