/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What only the root programs (vtl_root.bpf.c) do to a packet before a
 * graft sees it: parse and bounds-check Ethernet + IPv4 + VTL once (every
 * length is checked before it is read), verify an inbound packet's
 * checksum, and pick the XDP role (ingress or listener) by type. Not part
 * of the KTF library: grafts get the result through the per-CPU context
 * (ktf/parse.h vtl_repoint, ktf/graft.h vtl_xdp_enter/vtl_tc_enter).
 */
#ifndef VTL_ROOT_PARSE_H
#define VTL_ROOT_PARSE_H

#include "vtl_ktf.h"

#define VTL_NOT_VTL 1 /* vtl_parse(): not a VTL packet, pass it on */

/* Returns 0 for a well-formed VTL packet, VTL_NOT_VTL for anything that is
 * not IPv4 protocol 253, and -VTL_DROP_* for a malformed VTL packet. */
static __always_inline int vtl_parse(void *data, void *data_end, struct vtl_pkt *p)
{
	struct ethhdr *eth = data;
	struct iphdr *ip;
	struct vtl_hdr *vh;
	__u32 ihl, tot;

	if ((void *)(eth + 1) > data_end)
		return VTL_NOT_VTL;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return VTL_NOT_VTL;
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end)
		return VTL_NOT_VTL;
	if (ip->protocol != VTL_IPPROTO)
		return VTL_NOT_VTL;
	/* From here on it claims to be VTL: malformed means drop. */
	if (ip->version != 4 || ip->ihl < 5)
		return -VTL_DROP_MALFORMED_IP;
	if (ip->frag_off & bpf_htons(0x3fff)) /* MF or offset: no fragments */
		return -VTL_DROP_MALFORMED_IP;
	ihl = ip->ihl * 4;
	tot = bpf_ntohs(ip->tot_len);
	if (tot < ihl)
		return -VTL_DROP_MALFORMED_IP;
	if (tot < ihl + VTL_HDR_LEN)
		return -VTL_DROP_TRUNCATED;
	if ((void *)ip + tot > data_end)
		return -VTL_DROP_TRUNCATED;
	vh = (void *)ip + ihl;
	if ((void *)(vh + 1) > data_end)
		return -VTL_DROP_TRUNCATED;
	if (vh->version != VTL_VERSION)
		return -VTL_DROP_BAD_VERSION;
	if (vh->hdr_len != VTL_HDR_LEN)
		return -VTL_DROP_BAD_HDR_LEN;
	if (bpf_ntohs(vh->len) != tot - ihl - VTL_HDR_LEN)
		return -VTL_DROP_BAD_LENGTH;
	if (vh->type == 0 || vh->type > VTL_T_MAX)
		return -VTL_DROP_BAD_TYPE;
	p->eth = eth;
	p->ip = ip;
	p->vh = vh;
	p->l3_off = sizeof(*eth);
	p->l4_off = sizeof(*eth) + ihl;
	p->pay_len = tot - ihl - VTL_HDR_LEN;
	p->ip_len = tot;
	return 0;
}

/* Ingress: does the checksum of the VTL packet at l4_off (header +
 * pay_len bytes) verify? Short packets (ACKs, control) are summed in
 * place; a data packet is copied into per-CPU scratch and summed with the
 * kernel's helper, which costs a fraction of a 4-byte loop over 1.4 KB of
 * packet (measured: docs/results.md, "XDP checksum"). */
static __always_inline int vtl_xdp_csum_ok(struct xdp_md *ctx, struct vtl_hdr *vh,
					   __u32 l4_off, __u32 pay_len)
{
	__u32 len = VTL_HDR_LEN + pay_len, zero = 0;
	struct vtl_retx_buf *scratch;

	if (len <= VTL_CSUM_SMALL_MAX ||
	    !(scratch = bpf_map_lookup_elem(&vtl_scratch, &zero)))
		return vtl_csum_ok(vh, pay_len, (void *)(long)ctx->data_end);
	if (len > VTL_FRAME_MAX)
		return 0;
	if (bpf_xdp_load_bytes(ctx, l4_off, scratch->frame, len))
		return 0;
	return vtl_csum_copy(scratch->frame, len) == 0;
}

/* Which XDP role of the session's graft gets a packet of this type:
 * the listener (replies to what this host sent) or the ingress. */
static __always_inline int vtl_is_listener_type(__u8 type)
{
	return type == VTL_T_ACK || type == VTL_T_NACK || type == VTL_T_NEGO_ACK ||
	       type == VTL_T_NEGO_NACK || type == VTL_T_CLOSE_ACK;
}


#endif
