// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * gbn: Go-Back-N. The sender keeps up to vtl_window packets in flight
 * (copies held by the egress KTF); the receiver accepts only the next
 * in-order packet and acknowledges cumulatively. An out-of-order or
 * duplicate packet is answered in kernel with a duplicate ACK (XDP_TX);
 * three duplicate ACKs or a timeout make the sender go back to snd_una
 * and resend everything outstanding.
 */
#include "vtl_ktf.h"
#include "tf_common.h"
#include "tf_arq.h"

VTL_GRAFT_META("gbn", 1, VTL_SVC_RELIABLE | VTL_SVC_ORDERED,
	       VTL_ROLE_EGRESS | VTL_ROLE_INGRESS | VTL_ROLE_LISTENER,
	       VTL_ARQ_WINDOW, 1, VTL_WINDOW_MAX);

/* ingress: accept exactly the next packet; re-deliver what the broker has
 * not confirmed yet (it de-duplicates); answer anything else with a dup ACK. */
static __always_inline int tf_xdp_gbn_data(struct xdp_md *ctx, struct vtl_kctx *k)
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

/* listener: cumulative ACKs advance snd_una; the third duplicate starts a
 * go-back-N episode (once per window: until snd_una passes recover). */
static __always_inline int tf_xdp_gbn_ack(struct xdp_md *ctx, struct vtl_kctx *k)
{
	struct vtl_hdr *vh = k->p.vh;
	struct vtl_state *st = k->st;
	__u32 ack, una, nxt;

	(void)ctx;
	if (vh->type != VTL_T_ACK)
		return VTL_CONTINUE;
	if (!st)
		return vtl_xdp_drop(VTL_DROP_UNKNOWN_SESSION);
	ack = bpf_ntohl(vh->ack);
	una = st->snd_una;
	nxt = st->snd_nxt;
	if (vtl_after(ack, nxt))
		return vtl_xdp_drop(VTL_DROP_OUT_OF_WINDOW);
	__sync_fetch_and_add(&st->rx_acks, 1);
	vtl_rtt_sample(st, k->now_us, bpf_ntohl(vh->tsecr));
	if (vtl_after(ack, una)) {
		st->snd_una = ack;
		st->dupacks = 0;
		st->last_progress_ns = bpf_ktime_get_ns();
		vtl_event(VTL_EV_ACK, st, k->slot, una, ack);
	} else if (ack == una && una != nxt && (vh->flags & VTL_F_DUP)) {
		__sync_fetch_and_add(&st->rx_dupacks, 1);
		if (++st->dupacks == 3 && !vtl_before(una, st->recover)) {
			st->recover = nxt;
			__sync_fetch_and_add(&st->fast_retx, 1);
			vtl_event(VTL_EV_FAST_RETX, st, k->slot, una, nxt);
		}
	}
	vtl_count(VTL_DIR_XDP, VTL_CNT_CONSUMED);
	return XDP_DROP;
}

vtl_build_graft(egress, tf_tc_arq_send, tf_tc_ack, tf_tc_control);
vtl_build_graft(ingress, tf_xdp_gbn_data, tf_xdp_control);
vtl_build_graft(listener, tf_xdp_gbn_ack, tf_xdp_nego_reply);

char LICENSE[] SEC("license") = "Dual BSD/GPL";
