/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Bounds-checked parsing of Ethernet + IPv4 + VTL. Every length is checked
 * before it is read. */
#ifndef VTL_KTF_PARSE_H
#define VTL_KTF_PARSE_H

#define VTL_NOT_VTL 1 /* vtl_parse(): not a VTL packet, pass it on */

struct vtl_pkt {
	struct ethhdr *eth;
	struct iphdr *ip;
	struct vtl_hdr *vh;
	__u32 l3_off;
	__u32 l4_off;
	__u32 pay_len;
	__u32 ip_len;   /* IPv4 total length */
};

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

/* Re-derive the packet pointers in a graft from the offsets the root left
 * in the per-CPU context (the verifier needs its own bounds check). */
static __always_inline int vtl_repoint(void *data, void *data_end, struct vtl_pctx *c,
				       struct vtl_pkt *p)
{
	__u32 l4 = c->l4_off & 0x7f; /* <= 14 + 60: bounded for the verifier */

	if (l4 < sizeof(struct ethhdr) + sizeof(struct iphdr))
		return -1;
	p->eth = data;
	p->ip = data + sizeof(struct ethhdr);
	p->vh = data + l4;
	if ((void *)(p->ip + 1) > data_end || (void *)(p->vh + 1) > data_end)
		return -1;
	p->l3_off = sizeof(struct ethhdr);
	p->l4_off = l4;
	p->pay_len = c->pay_len;
	p->ip_len = l4 - sizeof(struct ethhdr) + VTL_HDR_LEN + c->pay_len;
	return 0;
}

static __always_inline int vtl_is_listener_type(__u8 type)
{
	return type == VTL_T_ACK || type == VTL_T_NACK || type == VTL_T_NEGO_ACK ||
	       type == VTL_T_NEGO_NACK || type == VTL_T_CLOSE_ACK;
}

#endif
