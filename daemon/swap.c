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
#include "vtld.h"

#define SWAP_FIRST_GAP_MS 50
#define SWAP_MAX_GAP_MS   500

static struct vtl_ipc_swap_rec *swap_record(struct session *s, const char *from, const char *to,
					    __u32 cause, int line)
{
	struct vtl_ipc_swap_rec *r = &s->swaps[s->n_swaps % VTL_SWAP_HISTORY];

	memset(r, 0, sizeof(*r));
	r->t_ms = (now_ns() - s->t_open_ns) / 1000000;
	snprintf(r->from, sizeof(r->from), "%s", from);
	snprintf(r->to, sizeof(r->to), "%s", to);
	r->cause = cause;
	r->rule_line = line > 0 ? (__u32)line : 0;
	r->rtt_us = s->mon.rtt_last_us ? s->mon.rtt_last_us : s->mon.srtt_us;
	r->loss_ppm = s->mon.loss_ppm;
	s->n_swaps++;
	return r;
}

static struct vtl_ipc_swap_rec *last_record(struct session *s)
{
	return s->n_swaps ? &s->swaps[(s->n_swaps - 1) % VTL_SWAP_HISTORY] : NULL;
}

/* Point the session at pg/gi on this end. */
static int swap_apply(struct vtld *d, struct session *s, struct pool_graft *pg,
		      struct graft_inst *gi, __u32 loss)
{
	struct vtl_state *st = launcher_state(&d->l, s->slot);
	int e;

	cb_set_services(s, pg, loss);
	s->max_delay_ms = gi->max_delay_ms;
	if (!s->initiator && s->reliable && !s->rob && session_rob_alloc(s))
		return -ENOMEM;
	if (s->partial) {
		/* the loss budget counts from the swap point on */
		st->pr_granted = 0;
		st->isn_rx = st->rcv_acked;
		st->pr_skip = st->rcv_acked;
	}
	e = launcher_slot_set(&d->l, s->slot, gi);
	if (e)
		return e;
	launcher_graft_put(&d->l, s->gi);
	if (s->pg && s->pg->users > 0)
		s->pg->users--;
	s->gi = gi;
	s->pg = pg;
	pg->users++;
	s->last_swap_ns = now_ns();
	return 0;
}

int swap_start(struct vtld *d, struct session *s, const char *graft, __u32 max_loss_ppm,
	       __u32 cause, int rule_line, char *err, size_t errlen)
{
	struct pool_graft *pg;
	struct graft_inst *gi;
	__u32 loss;

	if (!s->initiator || s->state != S_OPEN) {
		snprintf(err, errlen, "only an open session this host initiated can swap");
		return -VTL_E_STATE;
	}
	if (s->swap_gi) {
		snprintf(err, errlen, "a swap to %s is already under way", s->swap_pg->meta.name);
		return -EBUSY;
	}
	pg = pool_find(&d->pool, graft, 0);
	if (!pg) {
		snprintf(err, errlen, "graft '%s' is not in the pool", graft);
		return -VTL_E_NOGRAFT;
	}
	if (!(pg->meta.services & (VTL_SVC_RELIABLE | VTL_SVC_PARTIAL)) || !s->reliable) {
		snprintf(err, errlen, "swaps are between windowed ARQ grafts (sw, gbn, sr, pr)");
		return -VTL_E_BADPARAM;
	}
	if (s->window < pg->meta.window_min || s->window > pg->meta.window_max) {
		snprintf(err, errlen, "%s does not take the session's window %u (%u..%u)", graft,
			 s->window, pg->meta.window_min, pg->meta.window_max);
		return -VTL_E_BADPARAM;
	}
	loss = (pg->meta.services & VTL_SVC_PARTIAL) ?
	       (max_loss_ppm ? max_loss_ppm : s->req_max_loss_ppm ? s->req_max_loss_ppm :
		pg->meta.max_loss_ppm) : 0;
	if (pg == s->pg && loss == s->max_loss_ppm) {
		snprintf(err, errlen, "the session already runs %s", graft);
		return -EALREADY;
	}
	if (launcher_graft_get_tun(&d->l, pg->path, s->window, loss,
				   cb_max_delay(pg, s->req_max_delay_ms), &gi, err, errlen))
		return -VTL_E_NOGRAFT;
	s->swap_gi = gi;
	s->swap_pg = pg;
	s->swap_loss_ppm = loss;
	s->swap_nego = s->nego;
	memcpy(s->swap_nego.graft, pg->meta.name, VTL_GRAFT_NAME_MAX);
	s->swap_nego.graft_version = htonl(pg->meta.version);
	memcpy(s->swap_nego.graft_hash, pg->hash, VTL_HASH_LEN);
	s->swap_nego.max_loss_ppm = htonl(loss);
	if (pg->meta.max_delay_ms)
		s->swap_nego.max_delay_ms = htonl(cb_max_delay(pg, s->req_max_delay_ms));
	s->swap_nego.services = htonl(pg->meta.services);
	s->swap_nego.flags = htonl(VTL_NF_SWAP);
	s->swap_gap_ms = SWAP_FIRST_GAP_MS;
	s->swap_next_ns = now_ns() + SWAP_FIRST_GAP_MS * 1000000ull;
	s->swap_deadline_ns = now_ns() + (__u64)d->cfg.nego_timeout_ms * 1000000ull;
	swap_record(s, s->pg->meta.name, pg->meta.name, cause, rule_line);
	d->stats.swaps_started++;
	pr_info("session %08x: swapping %s -> %s (%s)\n", s->id, s->pg->meta.name,
		pg->meta.name, cause == VTL_SWAP_BY_RULE ? "adaptation rule" : "operator");
	db_send_ctrl(d, s->peer_addr, s->id, VTL_T_NEGO, 0, 0, &s->swap_nego,
		     sizeof(s->swap_nego));
	return 0;
}

void swap_abandon(struct vtld *d, struct session *s)
{
	if (!s->swap_gi)
		return;
	launcher_graft_put(&d->l, s->swap_gi);
	s->swap_gi = NULL;
	s->swap_pg = NULL;
}

void swap_tick(struct vtld *d, struct session *s, __u64 now)
{
	if (!s->swap_gi)
		return;
	if (now >= s->swap_deadline_ns) {
		pr_warn("session %08x: no answer to the swap to %s; staying on %s\n", s->id,
			s->swap_pg->meta.name, s->pg->meta.name);
		d->stats.swaps_failed++;
		swap_abandon(d, s);
		return;
	}
	if (now < s->swap_next_ns)
		return;
	db_send_ctrl(d, s->peer_addr, s->id, VTL_T_NEGO, 0, 0, &s->swap_nego,
		     sizeof(s->swap_nego));
	s->swap_gap_ms = s->swap_gap_ms * 2 > SWAP_MAX_GAP_MS ? SWAP_MAX_GAP_MS : s->swap_gap_ms * 2;
	s->swap_next_ns = now + s->swap_gap_ms * 1000000ull;
}

/* Initiator: the responder's answer. */
void swap_on_reply(struct vtld *d, struct session *s, const struct vtl_hdr *h,
		   const struct vtl_nego *n)
{
	struct vtl_ipc_swap_rec *r = last_record(s);

	if (!s->initiator || !s->swap_gi ||
	    strncmp(n->graft, s->swap_pg->meta.name, VTL_GRAFT_NAME_MAX))
		return; /* late duplicate */
	if (h->type == VTL_T_NEGO_NACK) {
		pr_warn("session %08x: peer refused the swap to %s (reason %u); staying on %s\n",
			s->id, s->swap_pg->meta.name, ntohl(n->reason), s->pg->meta.name);
		d->stats.swaps_failed++;
		swap_abandon(d, s);
		return;
	}
	if (swap_apply(d, s, s->swap_pg, s->swap_gi, s->swap_loss_ppm)) {
		d->stats.swaps_failed++;
		cb_abort(d, s, -VTL_E_NORES, "cannot deploy the swapped graft", true);
		return;
	}
	s->nego = s->swap_nego;
	s->swap_gi = NULL;
	s->swap_pg = NULL;
	if (r)
		r->done_ms = (now_ns() - s->t_open_ns) / 1000000;
	d->stats.swaps_done++;
	pr_info("session %08x: swapped to %s on both ends\n", s->id, s->pg->meta.name);
	db_kick_all(d);
}

static void swap_nack(struct vtld *d, struct session *s, const struct vtl_nego *in, __u32 why)
{
	struct vtl_nego n = *in;

	n.reason = htonl(why);
	db_send_ctrl(d, s->peer_addr, s->id, VTL_T_NEGO_NACK, 0, 0, &n, sizeof(n));
}

/* Responder: the initiator asks to swap. Idempotent. */
void swap_on_nego(struct vtld *d, struct session *s, const struct vtl_nego *n)
{
	char name[VTL_GRAFT_NAME_MAX + 1] = "", err[512];
	struct vtl_ipc_swap_rec *r;
	struct pool_graft *pg;
	struct graft_inst *gi;
	__u32 loss = ntohl(n->max_loss_ppm);

	if (s->state != S_OPEN)
		return;
	memcpy(name, n->graft, VTL_GRAFT_NAME_MAX);
	pg = pool_find_hash(&d->pool, name, ntohl(n->graft_version), n->graft_hash);
	if (!pg) {
		swap_nack(d, s, n, VTL_NR_NO_GRAFT);
		return;
	}
	if (pg == s->pg && (!s->partial || loss == s->max_loss_ppm)) {
		/* a repeated request: we swapped already */
		db_send_ctrl(d, s->peer_addr, s->id, VTL_T_NEGO_ACK, 0, 0, &s->nego, sizeof(s->nego));
		return;
	}
	if (s->window < pg->meta.window_min || s->window > pg->meta.window_max ||
	    !(pg->meta.services & (VTL_SVC_RELIABLE | VTL_SVC_PARTIAL)) || !s->reliable) {
		swap_nack(d, s, n, VTL_NR_BAD_PARAMS);
		return;
	}
	if (launcher_graft_get_tun(&d->l, pg->path, s->window, loss,
				   cb_max_delay(pg, ntohl(n->max_delay_ms)), &gi, err, sizeof(err))) {
		pr_warn("session %08x: swap: %s\n", s->id, err);
		swap_nack(d, s, n, VTL_NR_NO_GRAFT);
		return;
	}
	r = swap_record(s, s->pg->meta.name, pg->meta.name, VTL_SWAP_BY_PEER, 0);
	if (swap_apply(d, s, pg, gi, loss)) {
		launcher_graft_put(&d->l, gi);
		swap_nack(d, s, n, VTL_NR_NO_RESOURCES);
		return;
	}
	r->done_ms = r->t_ms;
	d->stats.swaps_by_peer++;
	s->nego = *n;
	s->nego.isn = htonl(s->isn_tx);
	s->nego.mss = htons((__u16)s->mss);
	s->nego.reason = htonl(VTL_NR_OK);
	pr_info("session %08x: peer swapped us to %s\n", s->id, pg->meta.name);
	db_send_ctrl(d, s->peer_addr, s->id, VTL_T_NEGO_ACK, 0, 0, &s->nego, sizeof(s->nego));
}
