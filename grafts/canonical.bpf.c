// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * canonical: the unreliable message service every session starts on, and
 * the carrier of negotiation. Egress stamps a sequence number (for loss
 * accounting only), time and checksum; ingress hands DATA straight to the
 * Data Broker in arrival order; nothing is retransmitted.
 */
#include "vtl_ktf.h"
#include "tf_common.h"

VTL_GRAFT_META(.name = "canonical", .version = 1, .services = 0,
	       .roles = VTL_ROLE_EGRESS | VTL_ROLE_INGRESS | VTL_ROLE_LISTENER,
	       .window_default = 64, .window_min = 1, .window_max = VTL_WINDOW_MAX);

static __always_inline int tf_tc_canon_data(struct __sk_buff *ctx, struct vtl_kctx *k)
{
	struct vtl_hdr *vh = k->p.vh;
	struct vtl_state *st = k->st;
	struct vtl_retx_buf *buf;
	__u32 zero = 0, len;

	if (vh->type != VTL_T_DATA)
		return VTL_CONTINUE;
	if (!st)
		return vtl_tc_drop(VTL_DROP_UNKNOWN_SESSION);
	vh->flags = 0;
	vh->seq = bpf_htonl(__sync_fetch_and_add(&st->snd_nxt, 1));
	vh->tsval = bpf_htonl(k->now_us);
	vh->ack = 0;
	vh->tsecr = 0;
	buf = bpf_map_lookup_elem(&vtl_scratch, &zero);
	if (!buf)
		return vtl_tc_drop(VTL_DROP_HELPER);
	len = VTL_HDR_LEN + k->p.pay_len;
	if (vtl_tc_copy_stamp(ctx, vh, k->p.l4_off, buf->frame, len))
		return vtl_tc_drop(VTL_DROP_BAD_LENGTH);
	__sync_fetch_and_add(&st->tx_data, 1);
	__sync_fetch_and_add(&st->tx_bytes, k->p.pay_len);
	vtl_count(VTL_DIR_TC, VTL_CNT_STAMPED);
	return TC_ACT_OK;
}

static __always_inline int tf_xdp_canon_data(struct xdp_md *ctx, struct vtl_kctx *k)
{
	struct vtl_state *st = k->st;

	if (k->p.vh->type != VTL_T_DATA)
		return VTL_CONTINUE;
	if (!st)
		return vtl_xdp_drop(VTL_DROP_UNKNOWN_SESSION);
	__sync_fetch_and_add(&st->rx_data, 1);
	__sync_fetch_and_add(&st->rx_bytes, k->p.pay_len);
	return vtl_to_broker(ctx);
}

/* Unreliable: CLOSE goes up whatever came before it. */
static __always_inline int tf_xdp_canon_close(struct xdp_md *ctx, struct vtl_kctx *k)
{
	struct vtl_state *st = k->st;

	if (k->p.vh->type != VTL_T_CLOSE)
		return VTL_CONTINUE;
	if (!st)
		return vtl_xdp_drop(VTL_DROP_UNKNOWN_SESSION);
	st->close_seq = bpf_ntohl(k->p.vh->seq);
	__sync_fetch_and_or(&st->flags, VTL_SF_CLOSE_SEEN);
	return vtl_to_broker(ctx);
}

/* An ACK means nothing to an unreliable service: consume it. */
static __always_inline int tf_xdp_canon_ack(struct xdp_md *ctx, struct vtl_kctx *k)
{
	(void)ctx;
	if (k->p.vh->type != VTL_T_ACK && k->p.vh->type != VTL_T_NACK)
		return VTL_CONTINUE;
	vtl_count(VTL_DIR_XDP, VTL_CNT_CONSUMED);
	return XDP_DROP;
}

vtl_build_graft(egress, tf_tc_canon_data, tf_tc_ack, tf_tc_control);
vtl_build_graft(ingress, tf_xdp_canon_data, tf_xdp_canon_close, tf_xdp_control);
vtl_build_graft(listener, tf_xdp_nego_reply, tf_xdp_canon_ack);

char LICENSE[] SEC("license") = "Dual BSD/GPL";
