/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Cumulative-ACK reliability (Go-Back-N family):
 *  - tf_xdp_inorder_data: the receiver accepts exactly the next packet,
 *    re-delivers what vtld has not confirmed yet (vtld de-duplicates), and
 *    answers anything else in kernel with a duplicate ACK (XDP_TX);
 *  - tf_xdp_cumack: the sender advances snd_una on cumulative ACKs; the
 *    third duplicate ACK starts one go-back-N episode (until snd_una passes
 *    recover): a VTL_EV_FAST_RETX event for [snd_una, snd_nxt) and the
 *    congestion control's on_loss;
 *  - vtl_ack_advance: the ACK bookkeeping every sender-side ACK TF shares
 *    (tf_sack.h's too): RTT sample, snd_una, the congestion control's
 *    on_ack, the VTL_EV_ACK event.
 * The sender side runs on tf_arq.h: a graft that uses it declares
 * VTL_ARQ_TIMER and VTL_ARQ_CC (see there).
 */
#ifndef VTL_KTF_TF_CUMACK_H
#define VTL_KTF_TF_CUMACK_H

#include "vtl_ktf.h"
#include "tf_arq.h"

static __always_inline int tf_xdp_inorder_data(struct xdp_md *ctx, struct vtl_kctx *k)
{
	struct vtl_hdr *vh = k->p.vh;
	struct vtl_state *st = k->st;
	__u32 seq, nxt;

	if (vh->type != VTL_T_DATA)
		return VTL_CONTINUE;
	if (!st)
		return vtl_xdp_drop(VTL_DROP_UNKNOWN_SESSION);
	seq = bpf_ntohl(vh->seq);
	nxt = st->rcv_nxt;
	if (seq == nxt && __sync_val_compare_and_swap(&st->rcv_nxt, nxt, nxt + 1) == nxt) {
		st->ts_recent = bpf_ntohl(vh->tsval);
		__sync_fetch_and_add(&st->rx_data, 1);
		__sync_fetch_and_add(&st->rx_bytes, k->p.pay_len);
		return vtl_to_broker(ctx);
	}
	if (vtl_before(seq, nxt) && !vtl_before(seq, st->rcv_acked))
		return vtl_to_broker(ctx); /* taken but not yet confirmed: resend up */
	if (vtl_before(seq, nxt))
		__sync_fetch_and_add(&st->rx_dup, 1);
	else
		__sync_fetch_and_add(&st->rx_ooo, 1);
	return vtl_xdp_reply_ack(ctx, &k->p, st->rcv_acked, VTL_F_DUP, vtl_window);
}

/* Common ACK bookkeeping: validity, RTT, advancing snd_una. Returns the
 * packets newly acknowledged, or -1 if the ACK is out of window. */
static __always_inline int vtl_ack_advance(struct vtl_kctx *k, __u32 ack)
{
	struct vtl_state *st = k->st;
	__u32 una = st->snd_una, rtt;

	if (vtl_after(ack, st->snd_nxt))
		return -1;
	__sync_fetch_and_add(&st->rx_acks, 1);
	rtt = vtl_rtt_sample(st, k->now_us, bpf_ntohl(k->p.vh->tsecr));
	if (!vtl_after(ack, una))
		return 0;
	st->dupacks = 0;
	st->last_progress_ns = bpf_ktime_get_ns();
	vtl_arq_cc_on_ack(st, k->slot, &(struct vtl_cc_ack){
		.acked = ack - una, .flight = st->snd_nxt - una, .rtt_us = rtt });
	/* The exchange orders the store of snd_una before the load of
	 * ev_quiet, as vtld orders its store of ev_quiet before its load of
	 * snd_una: either it sees the new snd_una or we see it waiting. */
	__sync_lock_test_and_set(&st->snd_una, ack);
	if (!*(volatile __u32 *)&st->ev_quiet)
		vtl_event(VTL_EV_ACK, st, k->slot, una, ack);
	return (int)(ack - una);
}

static __always_inline int tf_xdp_cumack(struct xdp_md *ctx, struct vtl_kctx *k)
{
	struct vtl_hdr *vh = k->p.vh;
	struct vtl_state *st = k->st;
	__u32 una, nxt;
	int adv;

	(void)ctx;
	if (vh->type != VTL_T_ACK)
		return VTL_CONTINUE;
	if (!st)
		return vtl_xdp_drop(VTL_DROP_UNKNOWN_SESSION);
	una = st->snd_una;
	nxt = st->snd_nxt;
	adv = vtl_ack_advance(k, bpf_ntohl(vh->ack));
	if (adv < 0)
		return vtl_xdp_drop(VTL_DROP_OUT_OF_WINDOW);
	if (!adv && bpf_ntohl(vh->ack) == una && una != nxt && (vh->flags & VTL_F_DUP)) {
		__sync_fetch_and_add(&st->rx_dupacks, 1);
		if (++st->dupacks == 3 && !vtl_before(una, st->recover)) {
			st->recover = nxt;
			__sync_fetch_and_add(&st->fast_retx, 1);
			vtl_arq_cc_on_loss(st, k->slot);
			vtl_event(VTL_EV_FAST_RETX, st, k->slot, una, nxt);
		}
	}
	vtl_count(VTL_DIR_XDP, VTL_CNT_CONSUMED);
	return XDP_DROP;
}

#endif
