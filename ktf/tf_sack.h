/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Selective-acknowledgement reliability (Selective Repeat family):
 *  - tf_xdp_window_data: the receiver accepts any packet inside
 *    [rcv_acked, rcv_acked + window) and hands it to vtld, which buffers
 *    out-of-order packets, delivers in order and reports what it holds
 *    in SACK blocks; below the window: a duplicate, re-ACKed in kernel;
 *  - tf_xdp_sack: the sender advances snd_una, records the peer's SACK
 *    blocks inside (snd_una, snd_nxt] (the egress KTF then skips SACKed
 *    packets on retransmission), and once the highest block ends more
 *    than VTL_REORDER_THRESH above snd_una starts one recovery episode
 *    (until snd_una passes recover): VTL_EV_FAST_RETX for
 *    [snd_una, highest SACKed) and the congestion control's on_loss.
 *  - tf_xdp_pr_giveup: partial reliability policy (see below), and the
 *    pieces other give-up policies reuse: vtl_pr_grant (within the loss
 *    budget), vtl_rx_hole_age_us (how old the missing packet is),
 *    vtl_ack_echo (lets the receiver measure the RTT).
 * The sender side runs on tf_arq.h: a graft that uses it declares
 * VTL_ARQ_TIMER and VTL_ARQ_CC (see there).
 */
#ifndef VTL_KTF_TF_SACK_H
#define VTL_KTF_TF_SACK_H

#include "vtl_ktf.h"
#include "tf_arq.h"
#include "tf_cumack.h"

#define VTL_REORDER_THRESH 3

static __always_inline int tf_xdp_window_data(struct xdp_md *ctx, struct vtl_kctx *k)
{
	struct vtl_hdr *vh = k->p.vh;
	struct vtl_state *st = k->st;
	__u32 seq, acked, nxt;

	if (vh->type != VTL_T_DATA)
		return VTL_CONTINUE;
	if (!st)
		return vtl_xdp_drop(VTL_DROP_UNKNOWN_SESSION);
	seq = bpf_ntohl(vh->seq);
	acked = st->rcv_acked;
	if (vtl_before(seq, acked)) {
		__sync_fetch_and_add(&st->rx_dup, 1);
		return vtl_xdp_reply_ack(ctx, &k->p, acked, VTL_F_DUP, vtl_window);
	}
	if (!vtl_before(seq, acked + vtl_window))
		return vtl_xdp_drop(VTL_DROP_OUT_OF_WINDOW);
	nxt = st->rcv_nxt; /* highest seen + 1 */
	if (vtl_after(seq, nxt))
		__sync_fetch_and_add(&st->rx_ooo, 1);
	if (!vtl_before(seq, nxt))
		st->rcv_nxt = seq + 1;
	st->ts_recent = bpf_ntohl(vh->tsval);
	__sync_fetch_and_add(&st->rx_data, 1);
	__sync_fetch_and_add(&st->rx_bytes, k->p.pay_len);
	return VTL_CONTINUE; /* to tf_xdp_pr_giveup or tf_xdp_deliver */
}

/* Last TF of a receive chain: hand accepted DATA to vtld. */
static __always_inline int tf_xdp_deliver(struct xdp_md *ctx, struct vtl_kctx *k)
{
	if (k->p.vh->type != VTL_T_DATA)
		return VTL_CONTINUE;
	return vtl_to_broker(ctx);
}

/*
 * Partial reliability: when the packet at the delivery point (rcv_acked)
 * is still missing although VTL_REORDER_THRESH later packets arrived, give
 * it up if that keeps the losses within vtl_max_loss_ppm of the packets
 * so far: the KTF raises pr_skip, and vtld, which holds the reorder buffer,
 * skips every hole below pr_skip it really lacks and reports it as lost.
 * VTL_PR_MAX_LOSS_PPM is the tunable's compiled default (a graft may
 * define another before including this header); vtld sets the tunable
 * from the application's loss or the metadata's max_loss_ppm.
 */
#ifndef VTL_PR_MAX_LOSS_PPM
#define VTL_PR_MAX_LOSS_PPM 100000
#endif
VTL_TUNABLE(__u32, vtl_max_loss_ppm, VTL_PR_MAX_LOSS_PPM);

/* Allow vtld to give up the packet at the delivery point (rcv_acked) if
 * that keeps the losses within vtl_max_loss_ppm of the packets so far.
 * Returns 1 when allowed now. */
static __always_inline int vtl_pr_grant(struct vtl_state *st)
{
	__u32 acked = st->rcv_acked, total;

	if (vtl_after(st->pr_skip, acked))
		return 0;                   /* already allowed, vtld has not caught up */
	total = st->rcv_nxt - st->isn_rx;
	if ((__u64)(st->pr_granted + 1) * 1000000 > (__u64)vtl_max_loss_ppm * total)
		return 0;                   /* budget spent: wait for the retransmission */
	st->pr_skip = acked + 1;
	__sync_fetch_and_add(&st->pr_granted, 1);
	return 1;
}

static __always_inline int tf_xdp_pr_giveup(struct xdp_md *ctx, struct vtl_kctx *k)
{
	struct vtl_state *st = k->st;

	(void)ctx;
	if (k->p.vh->type != VTL_T_DATA || !st)
		return VTL_CONTINUE;
	if (vtl_after(st->rcv_nxt, st->rcv_acked + VTL_REORDER_THRESH))
		vtl_pr_grant(st);           /* a hole old enough */
	return VTL_CONTINUE;
}

/*
 * Receiver: the age (us) of the packet at the delivery point (rcv_acked)
 * while it is missing, judged from what arrives after it. Its send time is
 * at most the sender's stamp (tsval) of the first packet seen above it,
 * kept in hole_ts/hole_hi while the delivery point stays below hole_hi, so
 *   age >= (tsval of this packet - hole_ts) + one-way delay,
 * the one-way delay taken as half the smallest RTT seen through the echo
 * of our ACK stamps in DATA (rtt_min_us: 0 until the sender echoes them,
 * see vtl_ack_echo). A lower bound, in the sender's clock: no clock sync.
 * Call for accepted DATA; returns 0 when nothing above it has arrived.
 */
static __always_inline __u32 vtl_rx_hole_age_us(struct vtl_kctx *k)
{
	struct vtl_state *st = k->st;
	__u32 acked = st->rcv_acked, seq = bpf_ntohl(k->p.vh->seq);
	__u32 ts = bpf_ntohl(k->p.vh->tsval), ecr = bpf_ntohl(k->p.vh->tsecr), rtt;

	if (ecr) {
		rtt = k->now_us - ecr;
		if (rtt < 60000000 && (!st->rtt_min_us || rtt < st->rtt_min_us))
			st->rtt_min_us = rtt ? rtt : 1;
	}
	if (st->hole_seq != acked) {            /* the delivery point moved */
		st->hole_seq = acked;
		/* a reference behind the delivery point, or beyond the window
		 * (never set: state starts zeroed, the ISN is random), is none */
		if (!vtl_after(st->hole_hi, acked) || vtl_after(st->hole_hi, acked + vtl_window))
			st->hole_hi = acked;
	}
	if (vtl_after(seq, acked) &&
	    (!vtl_after(st->hole_hi, acked) || vtl_before(ts, st->hole_ts))) {
		st->hole_hi = seq;              /* an earlier bound */
		st->hole_ts = ts;
	}
	if (!vtl_after(st->hole_hi, acked))
		return 0;
	return (vtl_after(ts, st->hole_ts) ? ts - st->hole_ts : 0) + st->rtt_min_us / 2;
}

/* Sender: remember the peer's ACK stamp; the egress KTF echoes it in DATA
 * (tsecr), which lets the receiver measure the RTT (vtl_rx_hole_age_us). */
static __always_inline void vtl_ack_echo(struct vtl_kctx *k)
{
	if (k->st && k->p.vh->type == VTL_T_ACK && k->p.vh->tsval)
		k->st->ts_recent_ack = bpf_ntohl(k->p.vh->tsval);
}

static __always_inline int tf_xdp_sack(struct xdp_md *ctx, struct vtl_kctx *k)
{
	struct vtl_hdr *vh = k->p.vh;
	struct vtl_state *st = k->st;
	void *data_end = (void *)(long)ctx->data_end;
	struct vtl_sack_block *b = (void *)(vh + 1);
	__u32 ack, una, nxt, hi, nb;
	int adv;

	if (vh->type != VTL_T_ACK)
		return VTL_CONTINUE;
	if (!st)
		return vtl_xdp_drop(VTL_DROP_UNKNOWN_SESSION);
	ack = bpf_ntohl(vh->ack);
	adv = vtl_ack_advance(k, ack);
	if (adv < 0)
		return vtl_xdp_drop(VTL_DROP_OUT_OF_WINDOW);
	una = st->snd_una;
	nxt = st->snd_nxt;
	hi = una;
	nb = k->p.pay_len / sizeof(*b);
#pragma clang loop unroll(full)
	for (int i = 0; i < VTL_SACK_MAX; i++) {
		__u32 s = 0, e = 0;

		if ((__u32)i < nb && (void *)(b + i + 1) <= data_end) {
			s = bpf_ntohl(b[i].start);
			e = bpf_ntohl(b[i].end);
			/* only blocks inside (snd_una, snd_nxt] mean anything */
			if (!vtl_after(s, una) || vtl_after(e, nxt) || !vtl_after(e, s))
				s = e = 0;
		}
		st->sack[i][0] = s;
		st->sack[i][1] = e;
		if (s != e && vtl_after(e, hi))
			hi = e;
	}
	st->sack_hi = hi;
	if (hi - una > VTL_REORDER_THRESH && !vtl_before(una, st->recover) && !adv) {
		st->recover = nxt;
		__sync_fetch_and_add(&st->fast_retx, 1);
		vtl_arq_cc_on_loss(st, k->slot);
		vtl_event(VTL_EV_FAST_RETX, st, k->slot, una, hi);
	}
	vtl_count(VTL_DIR_XDP, VTL_CNT_CONSUMED);
	return XDP_DROP;
}

#endif
