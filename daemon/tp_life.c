// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * A session's life in the transport (transport.h): the session table
 * (slot 0 belongs to the canonical graft, which carries negotiation), the
 * queues, and the tick: stalled windows, keepalives, peer timeouts, the
 * close handshake's repetitions and the end of lingering.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <vtl/errors.h>
#include "tp_int.h"

void tp_init(struct transport *tp, struct vtl_state *kstate, __u64 (*now)(void),
	     __u32 peer_timeout_ms)
{
	memset(tp, 0, sizeof(*tp));
	tp->kstate = kstate;
	tp->now = now;
	tp->peer_timeout_ns = (__u64)peer_timeout_ms * 1000000ull;
	tp->txq_bytes = TP_TXQ_BYTES;
	tp->rxq_bytes = TP_RXQ_BYTES;
}

void tp_set_wire(struct transport *tp, const struct tp_wire *w, void *ctx)
{
	tp->wire = w;
	tp->wire_ctx = ctx;
}

void tp_set_up(struct transport *tp, const struct tp_up *up, void *ctx)
{
	tp->up = up;
	tp->up_ctx = ctx;
}

struct tp_sess *tp_sess_by_id(struct transport *tp, __u32 id)
{
	struct tp_sess *h = tp->last_hit;

	if (h && h->id == id && tp->slots[h->slot] == h)
		return h;
	for (__u32 i = 1; i < VTL_MAX_SESSIONS; i++) {
		if (tp->slots[i] && tp->slots[i]->id == id) {
			tp->last_hit = tp->slots[i];
			return tp->last_hit;
		}
	}
	return NULL;
}

int tp_sess_add(struct transport *tp, struct tp_sess *s, __u32 id)
{
	__u32 slot;

	for (slot = 1; slot < VTL_MAX_SESSIONS; slot++)
		if (!tp->slots[slot])
			break;
	if (slot == VTL_MAX_SESSIONS)
		return -ENOSPC;
	if (bb_init(&s->txq, tp->txq_bytes) || bb_init(&s->rxq, tp->rxq_bytes)) {
		bb_free(&s->txq);
		return -ENOMEM;
	}
	s->id = id;
	s->slot = slot;
	s->k = &tp->kstate[slot];
	s->state = TP_NEGOTIATING;
	s->t_open_ns = tp->now();
	s->last_progress_ns = s->t_open_ns;
	tp->slots[slot] = s;
	return 0;
}

static void list_drop(struct tp_sess **list, unsigned int n, const struct tp_sess *s)
{
	for (unsigned int i = 0; i < n; i++)
		if (list[i] == s)
			list[i] = NULL;
}

void tp_sess_del(struct transport *tp, struct tp_sess *s)
{
	if (s->ack_needed)
		list_drop(tp->ackq, tp->n_ackq, s);
	if (s->touched)
		list_drop(tp->touched, tp->n_touched, s);
	if (s->kicked)
		list_drop(tp->kicked, tp->n_kicked, s);
	s->ack_needed = s->touched = s->kicked = false;
	if (tp->last_hit == s)
		tp->last_hit = NULL;
	if (tp->slots[s->slot] == s)
		tp->slots[s->slot] = NULL;
	bb_free(&s->txq);
	bb_free(&s->rxq);
	free(s->rob);
	free(s->rob_len);
	s->rob = NULL;
	s->rob_len = NULL;
	s->state = TP_CLOSED;
}

int tp_rob_alloc(struct tp_sess *s)
{
	s->rob = malloc((size_t)s->window * s->mss);
	s->rob_len = calloc(s->window, sizeof(*s->rob_len));
	s->rob_hi = s->rx_nxt;
	if (!s->rob || !s->rob_len) {
		free(s->rob);
		free(s->rob_len);
		s->rob = NULL;
		s->rob_len = NULL;
		return -ENOMEM;
	}
	return 0;
}

void tp_open(struct transport *tp, struct tp_sess *s)
{
	s->state = TP_OPEN;
	s->last_progress_ns = tp->now();
}

void tp_stats(struct transport *tp, const struct tp_sess *s, struct vtl_ipc_stats *o)
{
	const struct vtl_state *k = s->k;

	memset(o, 0, sizeof(*o));
	o->session_id = s->id;
	o->bytes = s->initiator ? s->bytes_tx : s->bytes_rx;
	o->packets = s->initiator ? k->tx_data : k->rx_data;
	o->retransmits = k->tx_retx;
	o->timeouts = k->timeouts;
	o->fast_retx = k->fast_retx;
	o->dup_rx = k->rx_dup + s->dup_rx;
	o->ooo_rx = k->rx_ooo;
	o->duration_us = (tp->now() - s->t_open_ns) / 1000;
	o->srtt_us = k->srtt_us;
	o->lost = s->lost;
}

/* An open session's tick. */
static void open_tick(struct transport *tp, struct tp_sess *s, __u64 now)
{
	struct vtl_state *k = s->k;
	__u32 slot = s->slot, id = s->id;
	__u64 seen;

	if (s->initiator && (s->txq.len || s->app_shut)) {
		/* ACK events are the fast path; one the KTF could not post (ring
		 * buffer full) must not stall a window or a close */
		tp_progress(tp, s);
		if (!tp_alive(tp, s, slot, id) || s->state != TP_OPEN)
			return;
	}
	if (s->initiator && k->snd_una == k->snd_nxt && !s->txq.len) {
		/* idle sender: nothing owed; a keepalive (a bare ACK, consumed
		 * by the peer's listener KTF) every quarter of the peer timeout
		 * tells the receiver we are here */
		s->last_progress_ns = now;
		if (now - s->keepalive_ns >= tp->peer_timeout_ns / 4) {
			s->keepalive_ns = now;
			tp->wire->send_ctrl(tp->wire_ctx, s->peer, s->id, VTL_T_ACK, 0, 0, NULL, 0);
		}
		return;
	}
	/* Anything from the peer shows up in the KTF counters: data,
	 * duplicates and keepalives at a receiver, ACKs (advancing or not) at
	 * a sender, also those that came while vtld asked for no ACK events
	 * (ev_quiet). Not the KTF's last_progress_ns: its retransmission
	 * timer restamps that at every timeout, so a sender whose peer is
	 * gone would never time out. */
	seen = k->rx_data + k->rx_acks + k->rx_dup + k->rx_ooo;
	if (seen != s->rx_seen) {
		s->rx_seen = seen;
		s->last_progress_ns = now;
	}
	if (now - s->last_progress_ns < tp->peer_timeout_ns)
		return;
	tp->up->abort(tp->up_ctx, s, -VTL_E_PEER_LOST, "peer stopped answering", true);
}

void tp_tick(struct transport *tp)
{
	__u64 now = tp->now();

	for (__u32 i = 1; i < VTL_MAX_SESSIONS; i++) {
		struct tp_sess *s = tp->slots[i];

		if (!s)
			continue;
		switch (s->state) {
		case TP_OPEN:
			open_tick(tp, s, now);
			break;
		case TP_CLOSING:
			if (!s->initiator) {
				if (now >= s->linger_until_ns)
					tp->up->gone(tp->up_ctx, s);
			} else {
				tp_close_tick(tp, s, now);
			}
			break;
		default:
			break; /* negotiation is the session layer's */
		}
	}
}
