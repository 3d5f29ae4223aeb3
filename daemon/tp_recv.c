// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The receiving half of a session (transport.h). The ingress KTF decides
 * what to accept and hands accepted DATA up; here it is put in order: an
 * in-order graft's packets go straight to the receive queue, a selective
 * one's wait in the reorder buffer (window slots of mss bytes) until the
 * hole below them fills, or until partial reliability gives the hole up
 * (the KTF raises pr_skip; only holes really missing here are skipped and
 * counted as lost). What is in order is acknowledged, with SACK blocks
 * for what is held above it, once per receive batch; a packet that finds
 * no room is not acknowledged, so it comes again.
 */
#include <arpa/inet.h>
#include <string.h>
#include <vtl/errors.h>
#include "tp_int.h"

static void want_ack(struct transport *tp, struct tp_sess *s)
{
	if (s->ack_needed)
		return;
	s->ack_needed = true;
	tp_list_push(tp->ackq, &tp->n_ackq, s);
}

/* Deliver what the reorder buffer holds from rx_nxt on. */
static void rob_drain(struct tp_sess *s)
{
	while (s->rob_len) {
		__u32 idx = s->rx_nxt % s->window, len;

		if (!s->rob_len[idx])
			return;
		len = s->rob_len[idx] - 1u;
		if (bb_room(&s->rxq) < len ||
		    bb_push(&s->rxq, s->rob + (size_t)idx * s->mss, len))
			return; /* the application is slow: keep it, do not acknowledge */
		s->rob_len[idx] = 0;
		s->rx_nxt++;
		s->bytes_rx += len;
	}
}

/* Partial reliability: skip the holes the ingress KTF allowed (pr_skip),
 * and only those really missing here; count them as lost. */
static void pr_skip_holes(struct transport *tp, struct tp_sess *s)
{
	__u32 skip = __atomic_load_n(&s->k->pr_skip, __ATOMIC_ACQUIRE);

	while (s->rob_len && (__s32)(s->rx_nxt - skip) < 0 &&
	       !s->rob_len[s->rx_nxt % s->window]) {
		s->lost++;
		s->rx_nxt++;
		want_ack(tp, s);
		rob_drain(s);
	}
}

/* Up to VTL_SACK_MAX runs of sequence numbers held above rx_nxt, lowest
 * first, end exclusive (network order, as they go on the wire). */
static __u32 fill_sack(const struct tp_sess *s, struct vtl_sack_block *b)
{
	__u32 n = 0, seq = s->rx_nxt + 1;

	if (!s->rob_len)
		return 0;
	while (n < VTL_SACK_MAX && (__s32)(s->rob_hi - seq) > 0) {
		__u32 start;

		while ((__s32)(s->rob_hi - seq) > 0 && !s->rob_len[seq % s->window])
			seq++;
		if ((__s32)(s->rob_hi - seq) <= 0)
			break;
		start = seq;
		while ((__s32)(s->rob_hi - seq) > 0 && s->rob_len[seq % s->window])
			seq++;
		b[n].start = htonl(start);
		b[n].end = htonl(seq);
		n++;
	}
	return n;
}

/* One cumulative ACK (with SACK blocks) per session that asked for one.
 * The egress KTF stamps the ack from rcv_acked: what was delivered. */
void tp_flush_acks(struct transport *tp)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < tp->n_ackq; i++) {
		struct tp_sess *s = tp->ackq[i];
		struct tp_ack *a = &tp->acks[n];

		if (!s)
			continue;
		s->ack_needed = false;
		__atomic_store_n(&s->k->rcv_acked, s->rx_nxt, __ATOMIC_RELEASE);
		a->sid = s->id;
		a->peer = s->peer;
		a->nb = fill_sack(s, a->sack);
		if (++n == TP_BATCH) {
			tp->wire->send_acks(tp->wire_ctx, tp->acks, n);
			n = 0;
		}
	}
	tp->n_ackq = 0;
	if (n)
		tp->wire->send_acks(tp->wire_ctx, tp->acks, n);
}

void tp_rx_data(struct transport *tp, struct tp_sess *s, const struct vtl_hdr *h,
		const void *pay, __u32 len)
{
	__u32 seq = ntohl(h->seq), off = seq - s->rx_nxt, idx;

	if (s->state != TP_OPEN)
		return;
	if (s->orphan && (__s32)off >= 0 && s->reliable) {
		/* new data for an application that let go (as TCP answers data
		 * after close() with a reset) */
		tp->up->abort(tp->up_ctx, s, 0, "data for a closed application", true);
		return;
	}
	s->last_io_ns = tp->now();
	if (!s->touched) {
		s->touched = true;
		tp_list_push(tp->touched, &tp->n_touched, s);
	}
	if (!s->reliable) { /* canonical: arrival order, no acknowledgements */
		if (bb_room(&s->rxq) >= len && !bb_push(&s->rxq, pay, len)) {
			s->rx_nxt = seq + 1;
			s->bytes_rx += len;
		}
		return;
	}
	s->last_progress_ns = tp->now();
	if ((__s32)off < 0) {
		s->dup_rx++;
		want_ack(tp, s); /* our ACK may have been lost */
		return;
	}
	if (off >= s->window || len > s->mss) {
		s->gap_rx++;
		return;
	}
	if (off == 0 && !s->rob_len && !s->partial && bb_room(&s->rxq) >= len &&
	    !bb_push(&s->rxq, pay, len)) { /* in order: straight through */
		s->rx_nxt++;
		s->bytes_rx += len;
		want_ack(tp, s);
		return;
	}
	/* out of order, no room in the receive queue yet, or partial
	 * reliability (which may skip holes): the reorder buffer, made now if
	 * this is the first such packet */
	if (!s->rob_len && tp_rob_alloc(s)) {
		s->gap_rx++;
		return;
	}
	idx = seq % s->window;
	if (s->rob_len[idx]) {
		s->dup_rx++;
	} else {
		memcpy(s->rob + (size_t)idx * s->mss, pay, len);
		s->rob_len[idx] = (__u16)(len + 1);
		if ((__s32)(seq + 1 - s->rob_hi) > 0)
			s->rob_hi = seq + 1;
	}
	want_ack(tp, s);
	if (off == 0)
		rob_drain(s);
}

void tp_rx_batch_end(struct transport *tp)
{
	unsigned int n;

	for (unsigned int i = 0; i < tp->n_touched; i++) {
		struct tp_sess *s = tp->touched[i];

		if (s && s->partial)
			pr_skip_holes(tp, s);
	}
	tp_flush_acks(tp);
	/* deliver; a session may end meanwhile (its entry is cleared) */
	n = tp->n_touched;
	for (unsigned int i = 0; i < n; i++) {
		struct tp_sess *s = tp->touched[i];

		if (!s)
			continue;
		tp->touched[i] = NULL;
		s->touched = false;
		tp->up->readable(tp->up_ctx, s);
	}
	tp->n_touched = 0;
}

size_t tp_rx_peek(const struct tp_sess *s, const unsigned char **p)
{
	return bb_contig(&s->rxq, p);
}

void tp_rx_consume(struct transport *tp, struct tp_sess *s, size_t n)
{
	bb_consume(&s->rxq, n);
	if (s->rob_len && s->rob_len[s->rx_nxt % s->window]) {
		rob_drain(s); /* room again: release what was held */
		want_ack(tp, s);
	}
}

/* Every byte before the peer's CLOSE is delivered: tell the application,
 * confirm the CLOSE, and linger to confirm a repeated one. */
static void finish_close(struct transport *tp, struct tp_sess *s)
{
	__u32 slot = s->slot, id = s->id, seq = s->rx_nxt;

	tp->up->eof(tp->up_ctx, s);
	if (!tp_alive(tp, s, slot, id))
		return;
	s->eof_sent = true;
	tp->wire->send_ctrl(tp->wire_ctx, &s->peer, s->id, VTL_T_CLOSE_ACK, 0, seq, NULL, 0);
	tp_maybe_finish(tp, s);
}

void tp_rx_drained(struct transport *tp, struct tp_sess *s)
{
	if (s->ack_needed)
		tp_flush_acks(tp);
	if (s->peer_closed && !s->rxq.len && !s->eof_sent)
		finish_close(tp, s);
}

void tp_rx_close(struct transport *tp, struct tp_sess *s, __u32 seq)
{
	if (s->state != TP_OPEN && s->state != TP_CLOSING)
		return;
	if (!s->reliable)
		s->rx_nxt = seq; /* unreliable: what did not come is not coming */
	if (seq != s->rx_nxt)
		return; /* data before it is missing: the sender will ask again */
	s->peer_closed = true;
	if (s->eof_sent) { /* a repeated CLOSE: our CLOSE_ACK was lost */
		tp->wire->send_ctrl(tp->wire_ctx, &s->peer, s->id, VTL_T_CLOSE_ACK, 0, seq, NULL, 0);
		return;
	}
	/* deliver what is left; the application's side finishes the close
	 * through tp_rx_drained once it has everything */
	tp->up->readable(tp->up_ctx, s);
}

void tp_rx_reset(struct transport *tp, struct tp_sess *s)
{
	__u32 slot = s->slot, id = s->id;

	/* The KTF saw the CLOSE_ACK before this RESET, but its event (ring
	 * buffer) may come after the RESET (AF_XDP): the peer has every byte
	 * we sent, so that direction ended well; say so first. */
	if (s->state == TP_OPEN && s->close_sent && !s->tx_done &&
	    (__atomic_load_n(&s->k->flags, __ATOMIC_ACQUIRE) & VTL_SF_CLOSE_ACKED)) {
		s->tx_done = true;
		tp->up->done(tp->up_ctx, s);
		if (!tp_alive(tp, s, slot, id))
			return;
	}
	if (s->state == TP_CLOSING || (s->orphan && s->tx_done && !s->rxq.len)) {
		tp->up->gone(tp->up_ctx, s); /* nothing was left to lose */
		return;
	}
	tp->up->abort(tp->up_ctx, s, -VTL_E_RESET, "peer reset the session", false);
}

void tp_on_frame(struct transport *tp, const struct vtl_peer *from, const struct vtl_hdr *h,
		 const void *pay, __u32 len)
{
	struct tp_sess *s;

	switch (h->type) {
	case VTL_T_NEGO:
		tp->up->on_nego(tp->up_ctx, from, h, pay, len);
		return;
	case VTL_T_NEGO_ACK:
	case VTL_T_NEGO_NACK:
		tp->up->on_nego_reply(tp->up_ctx, from, h, pay, len);
		return;
	}
	s = tp_sess_by_id(tp, ntohl(h->session_id));
	if (!s || !vtl_peer_eq(&s->peer, from))
		return;
	switch (h->type) {
	case VTL_T_DATA:
		tp_rx_data(tp, s, h, pay, len);
		break;
	case VTL_T_CLOSE:
		tp_rx_close(tp, s, ntohl(h->seq));
		break;
	case VTL_T_RESET:
		tp_rx_reset(tp, s);
		break;
	}
}

void tp_on_unreachable(struct transport *tp, const struct vtl_peer *peer, __u32 sid)
{
	tp->up->on_unreachable(tp->up_ctx, peer, sid);
}
