// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * A session's life in the transport (transport.h): the session table
 * (slot 0 belongs to the canonical graft, which carries negotiation; ids
 * are found through a hash, free slots on a stack), the queues, and the
 * tick: stalled windows, keepalives, peer timeouts, the close handshake's
 * repetitions, idle queues giving their memory back, the end of lingering.
 * With many sessions the tick visits a share of them each time
 * (tp_tick_visits), so its cost does not grow with the table.
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
	/* the lowest slots on top: a small daemon keeps its slots low */
	for (__u32 i = VTL_MAX_SESSIONS - 1; i >= 1; i--)
		tp->free_slots[tp->n_free++] = i;
	tp->slot_hi = 1;
}

static __u32 id_hash(__u32 id)
{
	return (id * 2654435761u) % TP_HASH;
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
	for (h = tp->byid[id_hash(id)]; h; h = h->hnext) {
		if (h->id == id) {
			tp->last_hit = h;
			return h;
		}
	}
	return NULL;
}

int tp_sess_add(struct transport *tp, struct tp_sess *s, __u32 id)
{
	__u32 slot, b = id_hash(id);

	if (!tp->n_free)
		return -ENOSPC;
	slot = tp->free_slots[--tp->n_free];
	bb_init(&s->txq, tp->txq_bytes);
	bb_init(&s->rxq, tp->rxq_bytes);
	s->id = id;
	s->slot = slot;
	s->k = &tp->kstate[slot];
	s->state = TP_NEGOTIATING;
	s->t_open_ns = tp->now();
	s->last_progress_ns = s->t_open_ns;
	s->last_io_ns = s->t_open_ns;
	s->hnext = tp->byid[b];
	tp->byid[b] = s;
	tp->slots[slot] = s;
	tp->n_sess++;
	if (slot >= tp->slot_hi)
		tp->slot_hi = slot + 1;
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
	if (s->waiting)
		list_drop(tp->waitq, tp->n_waitq, s);
	s->waiting = false;
	if (tp->last_hit == s)
		tp->last_hit = NULL;
	if (tp->slots[s->slot] == s) {
		struct tp_sess **pp = &tp->byid[id_hash(s->id)];

		while (*pp && *pp != s)
			pp = &(*pp)->hnext;
		if (*pp)
			*pp = s->hnext;
		tp->slots[s->slot] = NULL;
		tp->free_slots[tp->n_free++] = s->slot;
		tp->n_sess--;
		while (tp->slot_hi > 1 && !tp->slots[tp->slot_hi - 1])
			tp->slot_hi--;
	}
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
	if (s->rob)
		return 0;
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
	o->bytes = s->bytes_tx;
	o->packets = k->tx_data;
	o->bytes_rx = s->bytes_rx;
	o->packets_rx = k->rx_data;
	o->retransmits = k->tx_retx;
	o->timeouts = k->timeouts;
	o->fast_retx = k->fast_retx;
	o->dup_rx = k->rx_dup + s->dup_rx;
	o->ooo_rx = k->rx_ooo;
	o->duration_us = (tp->now() - s->t_open_ns) / 1000;
	o->srtt_us = k->srtt_us;
	o->lost = s->lost;
}

/* Both directions are over: linger, to answer a CLOSE repeated because
 * our CLOSE_ACK was lost. */
void tp_maybe_finish(struct transport *tp, struct tp_sess *s)
{
	if (s->state != TP_OPEN || !s->tx_done || !s->eof_sent)
		return;
	s->state = TP_CLOSING;
	s->linger_until_ns = tp->now() + TP_LINGER_MS * 1000000ull;
}

bool tp_orphan(struct transport *tp, struct tp_sess *s)
{
	if (s->state == TP_CLOSING)
		return true; /* lingering: nothing left to lose */
	if (s->state != TP_OPEN || s->rxq.len)
		return false;
	if (!s->app_shut) {
		/* gone without a shutdown: a close, not an abort, only if the
		 * peer's direction is over and nothing of ours is outstanding
		 * (as a TCP close() with nothing unread sends a FIN) */
		if (!s->eof_sent || s->txq.len || s->k->snd_una != s->k->snd_nxt)
			return false;
		tp_shutdown(tp, s);
		if (s->state != TP_OPEN)
			return true;
	}
	s->orphan = true;
	s->last_io_ns = tp->now();
	return true;
}

/* Queues (and a reorder buffer holding nothing) idle for a while give
 * their memory back: an idle session costs its few hundred bytes. */
static void trim_idle(struct tp_sess *s, __u64 now)
{
	if (now - s->last_io_ns < TP_IDLE_FREE_MS * 1000000ull)
		return;
	bb_trim(&s->txq);
	bb_trim(&s->rxq);
	if (s->rob && s->rob_hi == s->rx_nxt) {
		free(s->rob);
		free(s->rob_len);
		s->rob = NULL;
		s->rob_len = NULL;
	}
}

/* The KTF's retransmission timer is what recovers a window whose packets
 * (or ACKs) were all lost. Its start can fail (bpf_timer_init allocates
 * atomically: -ENOMEM was seen with hundreds of sessions starting at once),
 * and then nothing re-arms it while the window is full. With data in
 * flight and no timer armed for an RTO, vtld resends the oldest packet:
 * the egress KTF refills it and arms the timer again. */
static void timer_watch(struct transport *tp, struct tp_sess *s, __u64 now)
{
	struct vtl_state *k = s->k;
	__u64 rto_ns;

	if (!s->reliable || s->tx_done ||
	    __atomic_load_n(&k->snd_una, __ATOMIC_RELAXED) == k->snd_nxt ||
	    __atomic_load_n(&k->timer_armed, __ATOMIC_RELAXED)) {
		s->unarmed_ns = 0;
		return;
	}
	if (!s->unarmed_ns) {
		s->unarmed_ns = now;
		return;
	}
	rto_ns = (__u64)(k->rto_us ? k->rto_us : 50000) * 1000;
	if (now - s->unarmed_ns < rto_ns)
		return;
	s->unarmed_ns = 0;
	tp->stats.timer_rescues++;
	tp_retransmit(tp, s, k->snd_una, k->snd_una + 1);
}

/* An open session's tick. */
static void open_tick(struct transport *tp, struct tp_sess *s, __u64 now)
{
	struct vtl_state *k = s->k;
	__u32 slot = s->slot, id = s->id;
	__u64 seen;

	if (s->txq.len || (s->app_shut && !s->close_sent)) {
		/* ACK events are the fast path; one the KTF could not post (ring
		 * buffer full) must not stall a window or a close */
		tp_progress(tp, s);
		if (!tp_alive(tp, s, slot, id) || s->state != TP_OPEN)
			return;
	}
	trim_idle(s, now);
	timer_watch(tp, s, now);
	if (!tp_alive(tp, s, slot, id))
		return;
	if (s->orphan && s->tx_done && now - s->last_io_ns >= tp->peer_timeout_ns) {
		/* (as TCP's FIN_WAIT_2 timeout) the application is gone and the
		 * peer, though alive, never closes its direction */
		tp->up->abort(tp->up_ctx, s, 0, "peer did not close its direction", true);
		return;
	}
	/* Nothing of ours in flight: a keepalive (a bare ACK, consumed by the
	 * peer's listener KTF) every quarter of the peer timeout tells the
	 * peer we are here; both ends send them, so either notices the other
	 * is gone. */
	if (k->snd_una == k->snd_nxt && !s->txq.len &&
	    now - s->keepalive_ns >= tp->peer_timeout_ns / 4) {
		s->keepalive_ns = now;
		tp->wire->send_ctrl(tp->wire_ctx, &s->peer, s->id, VTL_T_ACK, 0, 0, NULL, 0);
	}
	/* Anything from the peer shows up in the KTF counters: data,
	 * duplicates, ACKs (advancing or not) and keepalives, also those that
	 * came while vtld asked for no ACK events (ev_quiet). Not the KTF's
	 * last_progress_ns: its retransmission timer restamps that at every
	 * timeout, so a sender whose peer is gone would never time out. */
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

	for (__u32 i = 1; i < tp->slot_hi; i++) {
		struct tp_sess *s = tp->slots[i];

		if (!s)
			continue;
		switch (s->state) {
		case TP_OPEN:
			if (s->close_sent && !s->tx_done)
				tp_close_tick(tp, s, now);   /* (every tick: few, and timed) */
			else if (tp_tick_visits(tp, i))
				open_tick(tp, s, now);
			break;
		case TP_CLOSING:
			if (now >= s->linger_until_ns)
				tp->up->gone(tp->up_ctx, s);
			break;
		default:
			break; /* negotiation is the session layer's */
		}
	}
	tp->tick_no++;
}
