// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The sending half of a session (transport.h): what may go now, the
 * retransmission triggers the KTFs ask for, and the close handshake.
 *
 * The egress KTF numbers, stamps and keeps a copy of every DATA frame, so
 * a frame counts as sent when the KTF stamped it (snd_nxt moved), not when
 * the wire took it: a raw socket reports success for a packet dropped at
 * the qdisc, while the KTF's copy covers any later loss.
 */
#include <errno.h>
#include <string.h>
#include <vtl/errors.h>
#include "tp_int.h"

int tp_tx_push(struct transport *tp, struct tp_sess *s, const void *p, size_t n)
{
	if (bb_push(&s->txq, p, n)) {
		tp->stats.nomem++;
		return -ENOMEM;
	}
	s->last_io_ns = tp->now();
	return 0;
}

int tp_tx_space(struct transport *tp, struct tp_sess *s, size_t min, struct iovec iov[2])
{
	struct bytebuf *q = &s->txq;
	size_t want = q->len + min, room, tail;

	if (bb_reserve(q, want < q->max ? want : q->max)) {
		tp->stats.nomem++;
		return 0;
	}
	if (q->cap == q->len)
		return 0;
	s->last_io_ns = tp->now();
	room = q->cap - q->len;
	tail = (q->head + q->len) % q->cap;

	iov[0] = (struct iovec){ q->buf + tail, room < q->cap - tail ? room : q->cap - tail };
	if (iov[0].iov_len < room) {
		iov[1] = (struct iovec){ q->buf, room - iov[0].iov_len };
		return 2;
	}
	return 1;
}

void tp_tx_commit(struct tp_sess *s, size_t n)
{
	if (n > s->txq.cap - s->txq.len)
		n = s->txq.cap - s->txq.len;
	s->txq.len += n;
}

int tp_send_ctrl(struct transport *tp, const struct vtl_peer *peer, __u32 sid, __u8 type,
		 const void *payload, __u16 len)
{
	return tp->wire->send_ctrl(tp->wire_ctx, peer, sid, type, 0, 0, payload, len);
}

void tp_reset_peer(struct transport *tp, const struct tp_sess *s)
{
	tp->wire->send_ctrl(tp->wire_ctx, &s->peer, s->id, VTL_T_RESET, 0, 0, NULL, 0);
}

/* How many frames may go now: the window (and cwnd, when the graft runs
 * congestion control; and the retransmission copies the session got)
 * less what is in flight; an unreliable graft has no window. */
static __u32 tx_allowance(const struct tp_sess *s, __u32 inflight)
{
	__u32 lim, cwnd, bufs;

	if (!s->reliable)
		return TP_BATCH;
	lim = s->window;
	bufs = __atomic_load_n(&s->k->buf_count, __ATOMIC_RELAXED);
	if (bufs < lim)
		lim = bufs;
	cwnd = __atomic_load_n(&s->k->cwnd, __ATOMIC_RELAXED);
	if (s->cc && cwnd && cwnd < lim)
		lim = cwnd;
	return inflight < lim ? lim - inflight : 0;
}

/* Nagle: a short frame goes only at the end of the stream, or when it is
 * all there is, nothing is in flight and the application has nothing more
 * queued (with nodelay: data in flight does not matter); so a bulk stream
 * is cut at mss boundaries (and a given-up packet is exactly mss bytes). */
static bool short_frame_may_go(struct transport *tp, struct tp_sess *s, __u32 inflight,
			       size_t full_frames)
{
	if (s->app_shut || !s->reliable)
		return true;
	if (full_frames || (inflight && !s->nodelay))
		return false;
	return !tp->up->app_more(tp->up_ctx, s);
}

/* The CLOSE of our direction goes once the application is done and the
 * peer has every byte; it is repeated (tp_tick) until its CLOSE_ACK. The
 * peer's direction is not affected (half-close). */
static void maybe_close(struct transport *tp, struct tp_sess *s)
{
	struct vtl_state *k = s->k;
	__u32 srtt_ms;

	if (s->state != TP_OPEN || !s->app_shut || s->txq.len || s->close_sent)
		return;
	/* (an atomic load: ordered after tp_output's store of ev_quiet) */
	if (s->reliable && __atomic_load_n(&k->snd_una, __ATOMIC_SEQ_CST) != k->snd_nxt)
		return;
	srtt_ms = k->srtt_us / 1000;
	s->close_sent = true;
	s->close_gap_ms = srtt_ms * 2 > TP_CLOSE_GAP_MS ? srtt_ms * 2 : TP_CLOSE_GAP_MS;
	s->close_next_ns = tp->now() + s->close_gap_ms * 1000000ull;
	s->last_progress_ns = tp->now();
	tp->wire->send_ctrl(tp->wire_ctx, &s->peer, s->id, VTL_T_CLOSE, k->snd_nxt, 0, NULL, 0);
}

/* The wire took less than it was given: resume s when it has room. */
static void wait_wire(struct transport *tp, struct tp_sess *s)
{
	if (s->waiting)
		return;
	s->waiting = true;
	tp_list_push(tp->waitq, &tp->n_waitq, s);
}

/* The first DATA of a reliable session needs retransmission copies. */
static bool have_copies(struct transport *tp, struct tp_sess *s)
{
	if (!s->reliable || __atomic_load_n(&s->k->buf_count, __ATOMIC_ACQUIRE))
		return true;
	if (!tp->up->tx_begin(tp->up_ctx, s))
		return true;
	tp->stats.retx_waits++;   /* the pool is empty: the tick tries again */
	return false;
}

void tp_output(struct transport *tp, struct tp_sess *s)
{
	struct vtl_state *k = s->k;
	struct tp_frame *f = tp->frames;
	__u32 id = s->id, slot = s->slot;

	/* ACK events wake vtld only while it has a use for them: data queued
	 * (a window to wait for) or a close to finish. Stored before snd_una
	 * is read below; the KTF stores snd_una before it reads ev_quiet. */
	if (__atomic_load_n(&k->ev_quiet, __ATOMIC_RELAXED))
		__atomic_store_n(&k->ev_quiet, 0, __ATOMIC_SEQ_CST);
	if (s->state != TP_OPEN || s->close_sent)
		return;
	if (s->txq.len && tp->wire->blocked(tp->wire_ctx)) {
		wait_wire(tp, s);
		return;
	}
	if (s->txq.len && !have_copies(tp, s))
		return;
	while (s->txq.len) {
		__u32 una = __atomic_load_n(&k->snd_una, __ATOMIC_SEQ_CST);
		__u32 before = __atomic_load_n(&k->snd_nxt, __ATOMIC_ACQUIRE);
		__u32 inflight = before - una, n, stamped, done, i;
		size_t off = 0, frames = s->txq.len / s->mss;
		bool quiet;
		int r;

		if (s->txq.len % s->mss && short_frame_may_go(tp, s, inflight, frames))
			frames++;
		n = tx_allowance(s, inflight);
		if (n > TP_BATCH)
			n = TP_BATCH;
		if (n > frames)
			n = (__u32)frames;
		if (!n)
			break; /* (still let the application refill the queue below) */
		/* the payload goes from the send queue itself: the kernel's copy
		 * is the only one */
		for (i = 0; i < n; i++) {
			f[i].niov = bb_iov(&s->txq, off, s->mss, f[i].iov, &f[i].len);
			off += f[i].len;
		}
		/* The last queued bytes go (and no close waits): ask for no ACK
		 * events from now on, before the frames leave, so that an ACK
		 * coming back at once (a request/response flow on veth, where the
		 * peer runs inside our sendmmsg) finds vtld not waiting. */
		quiet = !s->app_shut && off == s->txq.len;
		if (quiet)
			__atomic_store_n(&k->ev_quiet, 1, __ATOMIC_RELAXED);
		r = tp->wire->send_data(tp->wire_ctx, s, f, n);
		stamped = __atomic_load_n(&k->snd_nxt, __ATOMIC_ACQUIRE) - before;
		done = stamped < n ? stamped : n;
		for (i = 0; i < done; i++) {
			bb_consume(&s->txq, f[i].len);
			s->bytes_tx += f[i].len;
		}
		/* not all of it went: ACK events are wanted again; the store is
		 * ordered before the next reading of snd_una, as at the top */
		if (quiet && s->txq.len)
			__atomic_store_n(&k->ev_quiet, 0, __ATOMIC_SEQ_CST);
		if (r < (int)n) {
			wait_wire(tp, s); /* the wire is blocked: tp_wire_ready resumes */
			break;
		}
	}
	/* room in the queue again: the application may write more */
	if (!s->app_shut)
		tp->up->writable(tp->up_ctx, s);
	if (!tp_alive(tp, s, slot, id))
		return; /* the application's side failed: s is gone */
	if (s->app_shut && !s->txq.len)
		maybe_close(tp, s);
	else if (!s->txq.len && !s->app_shut && s->state == TP_OPEN)
		__atomic_store_n(&k->ev_quiet, 1, __ATOMIC_RELAXED);
}

void tp_output_all(struct transport *tp)
{
	for (__u32 i = 1; i < tp->slot_hi; i++)
		if (tp->slots[i] && tp->slots[i]->txq.len)
			tp_output(tp, tp->slots[i]);
}

void tp_wire_ready(struct transport *tp)
{
	unsigned int n = tp->n_waitq;

	/* (a session cut short again goes to the end of the list: only those
	 * that were waiting before this call are served now) */
	for (unsigned int i = 0; i < n && !tp->wire->blocked(tp->wire_ctx); i++) {
		struct tp_sess *s = tp->waitq[i];

		if (!s)
			continue;
		tp->waitq[i] = NULL;
		s->waiting = false;
		tp_output(tp, s);
	}
	/* keep the ones not reached, in order */
	{
		unsigned int k = 0;

		for (unsigned int i = 0; i < tp->n_waitq; i++)
			if (tp->waitq[i])
				tp->waitq[k++] = tp->waitq[i];
		tp->n_waitq = k;
	}
}

void tp_progress(struct transport *tp, struct tp_sess *s)
{
	__u32 slot = s->slot, id = s->id;

	tp_output(tp, s);
	if (tp_alive(tp, s, slot, id))
		maybe_close(tp, s);
}

void tp_shutdown(struct transport *tp, struct tp_sess *s)
{
	if (s->app_shut)
		return;
	s->app_shut = true;
	tp_progress(tp, s);
}

/* The KTF asked for [from, to) again (timeout, fast retransmit, probe):
 * it chose the packets; the transport clamps to what is in flight and
 * the wire sends header-only triggers the egress KTF refills. */
void tp_retransmit(struct transport *tp, struct tp_sess *s, __u32 from, __u32 to)
{
	struct vtl_state *k = s->k;
	__u32 una = k->snd_una, nxt = k->snd_nxt;

	if (s->state != TP_OPEN || s->tx_done)
		return;
	if ((__s32)(from - una) < 0)
		from = una;
	if ((__s32)(to - nxt) > 0)
		to = nxt;
	if ((__s32)(to - from) <= 0)
		return;
	if (to - from > s->window)
		to = from + s->window;
	tp->wire->send_retx(tp->wire_ctx, s, from, to); /* cut short: the KTF asks again */
}

void tp_on_event(struct transport *tp, const struct vtl_event *e)
{
	struct tp_sess *s;

	if (e->slot >= VTL_MAX_SESSIONS)
		return;
	tp->stats.ktf_events++;
	s = tp->slots[e->slot];
	if (!s || s->id != e->session_id)
		return;
	switch (e->type) {
	case VTL_EV_ACK:
		s->last_progress_ns = tp->now();
		if (!s->kicked) {
			s->kicked = true;
			tp_list_push(tp->kicked, &tp->n_kicked, s);
		}
		break;
	case VTL_EV_RTO:
	case VTL_EV_FAST_RETX:
	case VTL_EV_PROBE:
		tp_retransmit(tp, s, e->from, e->to);
		break;
	case VTL_EV_CLOSE_ACK:
		if (s->state == TP_OPEN && s->close_sent && !s->tx_done) {
			__u32 slot = s->slot, id = s->id;

			s->tx_done = true;
			tp->up->done(tp->up_ctx, s);
			if (tp_alive(tp, s, slot, id))
				tp_maybe_finish(tp, s);
		}
		break;
	}
}

void tp_events_end(struct transport *tp)
{
	/* (a session may end, and its entry be reused, while the list runs:
	 * the flag is cleared before anything is called) */
	for (unsigned int i = 0; i < tp->n_kicked; i++) {
		struct tp_sess *s = tp->kicked[i];

		if (!s)
			continue;
		s->kicked = false;
		tp_progress(tp, s);
	}
	tp->n_kicked = 0;
}

/* The tick's share for a closing sender: repeat the CLOSE with a growing
 * gap, give up once the peer stopped answering. */
void tp_close_tick(struct transport *tp, struct tp_sess *s, __u64 now)
{
	if (now - s->last_progress_ns >= tp->peer_timeout_ns) {
		tp->up->abort(tp->up_ctx, s, -VTL_E_PEER_LOST, "peer did not confirm CLOSE", true);
		return;
	}
	if (now >= s->close_next_ns) {
		tp->wire->send_ctrl(tp->wire_ctx, &s->peer, s->id, VTL_T_CLOSE, s->k->snd_nxt, 0,
				    NULL, 0);
		s->close_gap_ms = s->close_gap_ms * 2 > 1000 ? 1000 : s->close_gap_ms * 2;
		s->close_next_ns = now + s->close_gap_ms * 1000000ull;
	}
}
