// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * A session's birth and end in the session layer (session.h): its slot in
 * the transport, its graft reference, its KTF state, and what it leaves
 * behind (the figures the next choice of graft reads, the daemon's
 * counters).
 */
#include <errno.h>
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <vtl/errors.h>
#include "log.h"
#include "loop.h"
#include "session.h"

void nego_init(struct nego *ng, struct transport *tp, struct launcher *l, struct pool *pool,
	       struct rules *rules, const struct vtld_config *cfg, __u32 mss,
	       struct graft_inst *canon)
{
	memset(ng, 0, sizeof(*ng));
	ng->tp = tp;
	ng->l = l;
	ng->pool = pool;
	ng->rules = rules;
	ng->cfg = cfg;
	ng->mss = mss;
	ng->canon = canon;
}

void nego_set_app(struct nego *ng, const struct sess_app *app, void *ctx)
{
	ng->app = app;
	ng->app_ctx = ctx;
}

struct session *session_by_id(struct nego *ng, __u32 id)
{
	struct tp_sess *t = tp_sess_by_id(ng->tp, id);

	return t ? sess_of(t) : NULL;
}

bool session_id_used(struct nego *ng, __u32 id)
{
	return !id || session_by_id(ng, id) != NULL;
}

struct session *session_new(struct nego *ng, __u32 id)
{
	struct session *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	if (tp_sess_add(ng->tp, &s->tp, id)) {
		free(s);
		return NULL;
	}
	return s;
}

/* What the graft provides decides how the transport moves its data. */
void sess_set_services(struct session *s, const struct pool_graft *pg, __u32 max_loss_ppm)
{
	__u32 svc = pg->meta.services;

	s->tp.reliable = svc & (VTL_SVC_RELIABLE | VTL_SVC_PARTIAL);
	s->tp.partial = svc & VTL_SVC_PARTIAL;
	s->tp.cc = svc & VTL_SVC_CC;
	s->max_loss_ppm = s->tp.partial ?
			  (max_loss_ppm ? max_loss_ppm : pg->meta.max_loss_ppm) : 0;
	if (s->max_loss_ppm > 1000000)
		s->max_loss_ppm = 1000000;
}

/* A delay-bounded graft (its metadata declares a default max_delay_ms)
 * gets the application's max delay, or its default; other grafts none. */
__u32 sess_max_delay(const struct pool_graft *pg, __u32 requested_ms)
{
	if (!pg->meta.max_delay_ms)
		return 0;
	return requested_ms ? requested_ms : pg->meta.max_delay_ms;
}

static struct peer_fig *peer_fig(struct nego *ng, const struct vtl_peer *addr, bool create)
{
	struct peer_fig *oldest = &ng->peers[0];

	for (size_t i = 0; i < sizeof(ng->peers) / sizeof(ng->peers[0]); i++) {
		if (ng->peers[i].when_ns && vtl_peer_same_host(&ng->peers[i].addr, addr))
			return &ng->peers[i];
		if (ng->peers[i].when_ns < oldest->when_ns)
			oldest = &ng->peers[i];
	}
	if (!create)
		return NULL;
	memset(oldest, 0, sizeof(*oldest));
	oldest->addr = *addr;
	return oldest;
}

const struct peer_fig *nego_peer_fig(struct nego *ng, const struct vtl_peer *addr)
{
	return peer_fig(ng, addr, false);
}

/* Remember what a finished session measured, for the next choice. */
static void note_peer(struct nego *ng, struct session *s)
{
	const struct vtl_state *k = s->tp.k;
	struct peer_fig *p;

	if (!s->tp.initiator || !s->tp.reliable || !k->rtt_samples || !k->tx_data)
		return;
	p = peer_fig(ng, &s->tp.peer, true);
	p->srtt_us = k->srtt_us;
	p->loss_ppm = (__u32)(k->tx_retx * 1000000 / (k->tx_data + k->tx_retx));
	p->when_ns = now_ns();
}

void session_end(struct nego *ng, struct session *s)
{
	const struct vtl_state *k = s->tp.k;

	note_peer(ng, s);
	swap_abandon(ng, s);
	ng->st.bytes_tx += s->tp.bytes_tx;     /* before the slot's state is cleared */
	ng->st.bytes_rx += s->tp.bytes_rx;
	ng->st.pkts_tx += k->tx_data;
	ng->st.pkts_retx += k->tx_retx;
	ng->st.pkts_rx += k->rx_data;
	launcher_session_del(ng->l, s->tp.slot, s->tp.id);
	if (s->gi)
		launcher_graft_put(ng->l, s->gi);
	if (s->pg && s->pg->users > 0)
		s->pg->users--;
	if (s->owner)
		ng->app->released(ng->app_ctx, s);
	s->owner = NULL;
	pr_debug("session %08x ended\n", s->tp.id);
	tp_sess_del(ng->tp, &s->tp);
	free(s);
}

void session_abort(struct nego *ng, struct session *s, int code, const char *why,
		   bool reset_peer)
{
	pr_info("session %08x aborted: %s\n", s->tp.id, why);
	if (code)
		ng->st.sessions_aborted++;
	if (s->owner)
		ng->app->failed(ng->app_ctx, s, code, why);
	if (reset_peer)
		tp_reset_peer(ng->tp, &s->tp);
	session_end(ng, s);
}

void session_done(struct nego *ng, struct session *s)
{
	struct vtl_ipc_stats st;

	/* our direction is over: its retransmission copies go back */
	launcher_retx_put(ng->l, s->tp.slot);
	tp_stats(ng->tp, &s->tp, &st);
	if (s->owner)
		ng->app->finished(ng->app_ctx, s, &st);
	pr_info("session %08x: our direction closed, %llu bytes, %llu retransmissions\n",
		s->tp.id, (unsigned long long)st.bytes, (unsigned long long)st.retransmits);
}

int session_tx_begin(struct nego *ng, struct session *s)
{
	int e = launcher_retx_get(ng->l, s->tp.slot);

	if (e && !ng->retx_waits++)
		pr_warn("retransmission copies exhausted (retx-buffers = %u): sessions wait "
			"for copies to send\n", ng->l->retx_bufs);
	return e;
}

void session_owner_gone(struct nego *ng, struct session *s)
{
	s->owner = NULL;
	/* shut down (or lingering) with nothing undelivered: the session
	 * finishes the close without its application */
	if (tp_orphan(ng->tp, &s->tp))
		return;
	session_abort(ng, s, 0, "application closed its socket", true);
}

void session_info(const struct session *s, struct vtl_ipc_session_info *si)
{
	const struct vtl_state *k = s->tp.k;

	memset(si, 0, sizeof(*si));
	si->session_id = s->tp.id;
	si->peer_addr = s->tp.peer.family == VTL_AF_INET ? s->tp.peer.addr[0] : 0;
	si->peer = s->tp.peer;
	si->peer_port = ntohs(s->tp.peer.port);
	si->encap = s->tp.peer.encap;
	si->slot = s->tp.slot;
	si->state = s->tp.state;
	si->initiator = s->tp.initiator;
	si->window = s->tp.window;
	memcpy(si->graft, s->pg->meta.name, sizeof(si->graft));
	si->snd_nxt = k->snd_nxt;
	si->snd_una = k->snd_una;
	si->rcv_acked = k->rcv_acked;
	si->srtt_us = k->srtt_us;
	si->rto_us = k->rto_us;
	si->tx_data = k->tx_data;
	si->tx_retx = k->tx_retx;
	si->rx_data = k->rx_data;
	si->timeouts = k->timeouts;
	si->bytes_tx = s->tp.bytes_tx;
	si->bytes_rx = s->tp.bytes_rx;
}
