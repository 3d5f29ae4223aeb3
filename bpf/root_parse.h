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

/* The UDP port of VTL over UDP, network order (0: raw only). vtld sets it
 * before it loads the root programs (--encap udp[:PORT]; it always listens
 * on the port, whichever encapsulation it starts sessions in). */
const volatile __u16 vtl_udp_port_be = 0;

/* A VTL packet's headers after the IP header (IPv4 or IPv6), whose
 * payload is plen bytes at l3 + l3len: the optional UDP header, the VTL
 * header and its lengths. Fills p's VTL part; 0 or -VTL_DROP_*. */
static __always_inline int vtl_parse_l4(void *l4p, void *data_end, struct udphdr *udp,
					__u32 plen, struct vtl_pkt *p)
{
	__u32 ul = udp ? sizeof(*udp) : 0;
	struct vtl_hdr *vh;

	if (plen < ul + VTL_HDR_LEN)
		return -VTL_DROP_TRUNCATED;
	if (udp && bpf_ntohs(udp->len) != plen)
		return -VTL_DROP_BAD_LENGTH;
	vh = l4p + ul;
	if ((void *)(vh + 1) > data_end)
		return -VTL_DROP_TRUNCATED;
	if (vh->version != VTL_VERSION)
		return -VTL_DROP_BAD_VERSION;
	if (vh->hdr_len != VTL_HDR_LEN)
		return -VTL_DROP_BAD_HDR_LEN;
	if (bpf_ntohs(vh->len) != plen - ul - VTL_HDR_LEN)
		return -VTL_DROP_BAD_LENGTH;
	if (vh->type == 0 || vh->type > VTL_T_MAX)
		return -VTL_DROP_BAD_TYPE;
	p->udp = udp;
	p->vh = vh;
	p->encap = udp ? VTL_ENCAP_UDP : VTL_ENCAP_RAW;
	p->pay_len = plen - ul - VTL_HDR_LEN;
	return 0;
}

/* IPv6: protocol 253 or UDP of VTL's port as the next header (no
 * extension headers: a VTL host sends none). */
static __always_inline int vtl_parse6(void *data, void *data_end, struct vtl_pkt *p, int inbound)
{
	struct ipv6hdr *ip6 = data + sizeof(struct ethhdr);
	struct udphdr *udp = NULL;
	__u32 plen;
	int r;

	if ((void *)(ip6 + 1) > data_end)
		return VTL_NOT_VTL;
	if (ip6->nexthdr == IPPROTO_UDP && vtl_udp_port_be) {
		udp = (void *)(ip6 + 1);
		if ((void *)(udp + 1) > data_end)
			return VTL_NOT_VTL;
		if ((inbound ? udp->dest : udp->source) != vtl_udp_port_be)
			return VTL_NOT_VTL;
	} else if (ip6->nexthdr != VTL_IPPROTO) {
		return VTL_NOT_VTL;
	}
	if (ip6->version != 6)
		return -VTL_DROP_MALFORMED_IP;
	plen = bpf_ntohs(ip6->payload_len);
	if ((void *)(ip6 + 1) + plen > data_end)
		return -VTL_DROP_TRUNCATED;
	r = vtl_parse_l4(ip6 + 1, data_end, udp, plen, p);
	if (r)
		return r;
	p->eth = data;
	p->ip = NULL;
	p->ip6 = ip6;
	p->family = VTL_AF_INET6;
	p->l3_off = sizeof(struct ethhdr);
	p->l4_off = sizeof(struct ethhdr) + sizeof(*ip6) + (udp ? sizeof(*udp) : 0);
	p->ip_len = sizeof(*ip6) + plen;
	return 0;
}

/* Returns 0 for a well-formed VTL packet, VTL_NOT_VTL for anything that is
 * neither IP (v4 or v6) protocol 253 nor UDP of VTL's port (inbound: to
 * it; outbound: from it), and -VTL_DROP_* for a malformed VTL packet. */
static __always_inline int vtl_parse(void *data, void *data_end, struct vtl_pkt *p, int inbound)
{
	struct ethhdr *eth = data;
	struct udphdr *udp = NULL;
	struct iphdr *ip;
	__u32 ihl, tot;
	int r;

	if ((void *)(eth + 1) > data_end)
		return VTL_NOT_VTL;
	if (eth->h_proto == bpf_htons(ETH_P_IPV6))
		return vtl_parse6(data, data_end, p, inbound);
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return VTL_NOT_VTL;
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end)
		return VTL_NOT_VTL;
	if (ip->protocol == IPPROTO_UDP && vtl_udp_port_be && ip->ihl >= 5) {
		udp = (void *)ip + ip->ihl * 4;
		if ((void *)(udp + 1) > data_end)
			return VTL_NOT_VTL;
		if ((inbound ? udp->dest : udp->source) != vtl_udp_port_be)
			return VTL_NOT_VTL;
	} else if (ip->protocol != VTL_IPPROTO) {
		return VTL_NOT_VTL;
	}
	/* From here on it claims to be VTL: malformed means drop. */
	if (ip->version != 4 || ip->ihl < 5)
		return -VTL_DROP_MALFORMED_IP;
	if (ip->frag_off & bpf_htons(0x3fff)) /* MF or offset: no fragments */
		return -VTL_DROP_MALFORMED_IP;
	ihl = ip->ihl * 4;
	tot = bpf_ntohs(ip->tot_len);
	if (tot < ihl)
		return -VTL_DROP_MALFORMED_IP;
	if (tot < ihl + (udp ? sizeof(*udp) : 0) + VTL_HDR_LEN)
		return -VTL_DROP_TRUNCATED;
	if ((void *)ip + tot > data_end)
		return -VTL_DROP_TRUNCATED;
	r = vtl_parse_l4((void *)ip + ihl, data_end, udp, tot - ihl, p);
	if (r)
		return r;
	p->eth = eth;
	p->ip = ip;
	p->ip6 = NULL;
	p->family = VTL_AF_INET;
	p->l3_off = sizeof(*eth);
	p->l4_off = sizeof(*eth) + ihl + (udp ? sizeof(*udp) : 0);
	p->ip_len = tot;
	return 0;
}

/* Does the frame come from the session's peer (address; for UDP also the
 * encapsulation and the port, which a NAT may have chosen)? */
static __always_inline int vtl_from_peer(const struct vtl_session_val *sv, const struct vtl_pkt *p)
{
	if (sv->peer.encap != p->encap)
		return 0;
	if (p->family == VTL_AF_INET6 && p->ip6) {
		const __u32 *a = (const __u32 *)&p->ip6->saddr;

		if (sv->peer.family != VTL_AF_INET6 || sv->peer.addr[0] != a[0] ||
		    sv->peer.addr[1] != a[1] || sv->peer.addr[2] != a[2] || sv->peer.addr[3] != a[3])
			return 0;
	} else if (p->family == VTL_AF_INET6 || !p->ip || sv->peer.family != VTL_AF_INET ||
		   sv->peer.addr[0] != p->ip->saddr) {
		return 0;
	}
	return p->encap != VTL_ENCAP_UDP || (p->udp && sv->peer.port == p->udp->source);
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
