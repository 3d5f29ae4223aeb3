/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Transport functions every graft needs: carrying the control packets
 * (NEGO family, CLOSE, RESET) and stamping outbound ACKs. Compose them
 * with vtl_build_graft() after the graft's own TFs.
 */
#ifndef VTL_KTF_TF_COMMON_H
#define VTL_KTF_TF_COMMON_H

#include "vtl_ktf.h"

/* egress: stamp time and checksum on control packets and pass them. */
static __always_inline int tf_tc_control(struct __sk_buff *ctx, struct vtl_kctx *k)
{
	struct vtl_hdr *vh = k->p.vh;
	__u8 t = vh->type;

	if (t == VTL_T_DATA || t == VTL_T_ACK)
		return VTL_CONTINUE;
	vh->tsval = bpf_htonl(k->now_us);
	if (vtl_csum_stamp_small(vh, k->p.pay_len, (void *)(long)ctx->data_end))
		return vtl_tc_drop(VTL_DROP_BAD_LENGTH);
	vtl_count(VTL_DIR_TC, VTL_CNT_STAMPED);
	return TC_ACT_OK;
}

/* egress: an ACK from the Data Broker advertises what the broker has
 * taken (rcv_acked) and echoes the last accepted timestamp. */
static __always_inline int tf_tc_ack(struct __sk_buff *ctx, struct vtl_kctx *k)
{
	struct vtl_hdr *vh = k->p.vh;
	struct vtl_state *st = k->st;

	if (vh->type != VTL_T_ACK)
		return VTL_CONTINUE;
	if (!st)
		return vtl_tc_drop(VTL_DROP_UNKNOWN_SESSION);
	vh->ack = bpf_htonl(st->rcv_acked);
	/* a keepalive answers no DATA: an old ts_recent would make a bogus
	 * RTT sample (seconds) at a peer whose data is in flight */
	vh->tsecr = vh->flags & VTL_F_KEEPALIVE ? 0 : bpf_htonl(st->ts_recent);
	vh->tsval = bpf_htonl(k->now_us);
	vh->wnd = vtl_wnd16(st->window);
	if (vtl_csum_stamp_small(vh, k->p.pay_len, (void *)(long)ctx->data_end))
		return vtl_tc_drop(VTL_DROP_BAD_LENGTH);
	__sync_fetch_and_add(&st->tx_acks, 1);
	vtl_count(VTL_DIR_TC, VTL_CNT_STAMPED);
	return TC_ACT_OK;
}

/* ingress: NEGO and RESET go to the Control Broker; CLOSE goes once every
 * packet before it was accepted (seq == rcv_nxt), or again if it is a
 * duplicate of one already seen, so the broker can re-acknowledge. */
static __always_inline int tf_xdp_control(struct xdp_md *ctx, struct vtl_kctx *k)
{
	struct vtl_hdr *vh = k->p.vh;
	struct vtl_state *st = k->st;
	__u32 seq;

	switch (vh->type) {
	case VTL_T_NEGO:
	case VTL_T_RESET:
		return vtl_to_broker(ctx);
	case VTL_T_CLOSE:
		if (!st)
			return vtl_xdp_drop(VTL_DROP_UNKNOWN_SESSION);
		seq = bpf_ntohl(vh->seq);
		if (seq == st->rcv_nxt || vtl_before(seq, st->rcv_nxt)) {
			st->close_seq = seq;
			__sync_fetch_and_or(&st->flags, VTL_SF_CLOSE_SEEN);
			return vtl_to_broker(ctx);
		}
		return vtl_xdp_drop(VTL_DROP_OUT_OF_ORDER);
	}
	return VTL_CONTINUE;
}

/* listener: record the peer's answer to our NEGO in qos_nego and wake the
 * Control Broker; note CLOSE_ACK. */
static __always_inline int tf_xdp_nego_reply(struct xdp_md *ctx, struct vtl_kctx *k)
{
	struct vtl_hdr *vh = k->p.vh;
	struct vtl_state *st = k->st;
	struct vtl_nego_state ns = {};
	__u32 sid;

	switch (vh->type) {
	case VTL_T_NEGO_ACK:
	case VTL_T_NEGO_NACK:
		sid = bpf_ntohl(vh->session_id);
		ns.verdict = vh->type == VTL_T_NEGO_ACK ? VTL_N_ACCEPT : VTL_N_REFUSE;
		if (vh->type == VTL_T_NEGO_NACK && k->p.pay_len >= sizeof(struct vtl_nego)) {
			struct vtl_nego *n = (void *)(vh + 1);

			if ((void *)(n + 1) <= (void *)(long)ctx->data_end)
				ns.reason = bpf_ntohl(n->reason);
		}
		bpf_map_update_elem(&qos_nego, &sid, &ns, BPF_ANY);
		if (st)
			__sync_fetch_and_or(&st->flags, vh->type == VTL_T_NEGO_ACK ?
					    VTL_SF_NEGO_ACKED : VTL_SF_NEGO_NACKED);
		return vtl_to_broker(ctx);
	case VTL_T_CLOSE_ACK:
		if (!st)
			return vtl_xdp_drop(VTL_DROP_UNKNOWN_SESSION);
		if (bpf_ntohl(vh->ack) != st->snd_nxt)
			return vtl_xdp_drop(VTL_DROP_OUT_OF_WINDOW);
		__sync_fetch_and_or(&st->flags, VTL_SF_CLOSE_ACKED);
		vtl_event(VTL_EV_CLOSE_ACK, st, k->slot, bpf_ntohl(vh->ack), 0);
		vtl_count(VTL_DIR_XDP, VTL_CNT_CONSUMED);
		return XDP_DROP;
	}
	return VTL_CONTINUE;
}

#endif
