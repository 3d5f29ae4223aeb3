/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* A packet's Ethernet/IPv4/(UDP)/VTL pointers in a graft. The root program
 * parsed and bounds-checked the headers once (bpf/root_parse.h: every
 * length is checked before it is read) and left the offsets in the
 * per-CPU context; vtl_repoint() re-derives and re-checks the pointers
 * for the verifier, which does not carry them across the tail call. */
#ifndef VTL_KTF_PARSE_H
#define VTL_KTF_PARSE_H

#include "base.h"

struct vtl_pkt {
	struct ethhdr *eth;
	struct iphdr *ip;    /* IPv4: the IP header; IPv6: NULL */
	struct ipv6hdr *ip6; /* IPv6: the IP header; IPv4: NULL */
	struct udphdr *udp;  /* VTL over UDP: the UDP header; raw: NULL */
	struct vtl_hdr *vh;
	__u32 l3_off;
	__u32 l4_off;   /* the VTL header */
	__u32 pay_len;
	__u32 ip_len;   /* IP header + payload */
	__u32 encap;    /* VTL_ENCAP_* */
	__u32 family;   /* VTL_AF_INET or VTL_AF_INET6 */
};

/* Re-derive the packet pointers in a graft from the offsets the root left
 * in the per-CPU context (the verifier needs its own bounds check). */
static __always_inline int vtl_repoint(void *data, void *data_end, struct vtl_pctx *c,
				       struct vtl_pkt *p)
{
	__u32 l4 = c->l4_off & 0x7f; /* <= 14 + 60 + 8: bounded for the verifier */
	__u32 l3len;

	p->eth = data;
	p->ip = NULL;
	p->ip6 = NULL;
	p->family = c->family;
	if (p->family == VTL_AF_INET6) {
		p->ip6 = data + sizeof(struct ethhdr);
		if ((void *)(p->ip6 + 1) > data_end)
			return -1;
		l3len = sizeof(struct ipv6hdr);
	} else {
		p->ip = data + sizeof(struct ethhdr);
		if ((void *)(p->ip + 1) > data_end)
			return -1;
		l3len = sizeof(struct iphdr);
	}
	if (l4 < sizeof(struct ethhdr) + l3len)
		return -1;
	p->vh = data + l4;
	p->udp = NULL;
	if ((void *)(p->vh + 1) > data_end)
		return -1;
	p->encap = c->encap;
	if (p->encap == VTL_ENCAP_UDP) {
		if (l4 < sizeof(struct ethhdr) + l3len + sizeof(struct udphdr))
			return -1;
		p->udp = data + l4 - sizeof(struct udphdr);
		if ((void *)(p->udp + 1) > data_end)
			return -1;
	}
	p->l3_off = sizeof(struct ethhdr);
	p->l4_off = l4;
	p->pay_len = c->pay_len;
	p->ip_len = l4 - sizeof(struct ethhdr) + VTL_HDR_LEN + c->pay_len;
	return 0;
}

#endif
