/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Ways out of a KTF: to the Data Broker (AF_XDP), back out of the
 * interface rewritten (XDP_TX), or an event on the ring buffer. */
#ifndef VTL_KTF_EMIT_H
#define VTL_KTF_EMIT_H

#include "maps.h"
#include "count.h"
#include "parse.h"
#include "csum.h"
#include "session.h"

/* A window for the 16-bit wnd field of the VTL header (network order). */
static __always_inline __u16 vtl_wnd16(__u32 w)
{
	return bpf_htons(w > 0xffff ? 0xffff : w);
}

/* Hand the frame to the Data Broker's AF_XDP socket for this queue. */
static __always_inline int vtl_to_broker(struct xdp_md *ctx)
{
	vtl_count(VTL_DIR_XDP, VTL_CNT_TO_XSK);
	return bpf_redirect_map(&vtl_xsks, ctx->rx_queue_index, XDP_DROP);
}

static __always_inline void vtl_event(__u32 type, struct vtl_state *st, __u32 slot,
				      __u32 from, __u32 to)
{
	struct vtl_event *e = bpf_ringbuf_reserve(&vtl_events, sizeof(*e), 0);

	if (!e)
		return;
	e->type = type;
	e->session_id = st->session_id;
	e->slot = slot;
	e->from = from;
	e->to = to;
	e->pad = 0;
	e->ts_ns = bpf_ktime_get_ns();
	bpf_ringbuf_submit(e, 0);
}

/* TC: set the IP (and, over UDP, the UDP) length of a packet whose VTL
 * part is now vtl_len bytes at l4 (a 20-byte IPv4 header, or IPv6 without
 * extension headers); the UDP checksum stays off (VTL's own covers header
 * and payload). */
static __always_inline int vtl_tc_set_lens(struct __sk_buff *ctx, __u32 l4, __u32 family,
					   __u32 encap, __u32 vtl_len)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	struct ipv6hdr *ip6 = data + sizeof(struct ethhdr);
	struct udphdr *udp;

	if (family == VTL_AF_INET6) {
		udp = (void *)(ip6 + 1);
		if ((void *)(udp + 1) > data_end)
			return -1;
		ip6->payload_len = bpf_htons(l4 - sizeof(struct ethhdr) - sizeof(*ip6) + vtl_len);
	} else {
		udp = (void *)(ip + 1);
		if ((void *)(udp + 1) > data_end)
			return -1;
		ip->tot_len = bpf_htons(l4 - sizeof(struct ethhdr) + vtl_len);
		vtl_ip_csum20(ip);
	}
	if (encap == VTL_ENCAP_UDP) {
		udp->len = bpf_htons(sizeof(*udp) + vtl_len);
		udp->check = 0;
	}
	return 0;
}

/*
 * Turn the received frame into an ACK to its sender and XDP_TX it:
 * swap addresses (and UDP ports), shrink to a bare header, set ack/flags,
 * echo the sender's timestamp, re-checksum. IPv4 with a 20-byte header,
 * or IPv6 without extension headers; l3len and l4len are constants (one
 * copy per IP version and encapsulation: the verifier loses track of a
 * packet pointer moved by a variable header length).
 */
static __always_inline int vtl_xdp_reply_ack_l4(struct xdp_md *ctx, struct vtl_pkt *p,
						__u32 ack, __u8 flags, __u32 wnd,
						const __u32 l3len, const __u32 l4len)
{
	void *data, *data_end;
	struct ethhdr *eth;
	struct iphdr *ip;
	struct ipv6hdr *ip6;
	struct udphdr *udp;
	struct vtl_hdr *vh;
	__u8 mac[ETH_ALEN];
	__u32 tmp, tsecr, sid, a[4];
	__u16 port;

	if (l3len == sizeof(struct iphdr) && (!p->ip || p->ip->ihl != 5))
		return vtl_xdp_drop(VTL_DROP_MALFORMED_IP);
	tsecr = p->vh->tsval;
	sid = p->vh->session_id;
	if (p->pay_len && bpf_xdp_adjust_tail(ctx, -(int)p->pay_len))
		return vtl_xdp_drop(VTL_DROP_HELPER);
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	eth = data;
	ip = (void *)(eth + 1);
	ip6 = (void *)(eth + 1);
	udp = (void *)(eth + 1) + l3len;
	vh = (void *)(eth + 1) + l3len + l4len;
	if ((void *)(ip6 + 1) > data_end || (void *)(udp + 1) > data_end ||
	    (void *)(vh + 1) > data_end)
		return vtl_xdp_drop(VTL_DROP_HELPER);
	__builtin_memcpy(mac, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, mac, ETH_ALEN);
	if (l3len == sizeof(struct ipv6hdr)) {
		__builtin_memcpy(a, &ip6->saddr, 16);
		__builtin_memcpy(&ip6->saddr, &ip6->daddr, 16);
		__builtin_memcpy(&ip6->daddr, a, 16);
		ip6->hop_limit = 64;
		ip6->payload_len = bpf_htons(l4len + VTL_HDR_LEN);
	} else {
		tmp = ip->saddr;
		ip->saddr = ip->daddr;
		ip->daddr = tmp;
		ip->ttl = 64;
		ip->tot_len = bpf_htons(sizeof(*ip) + l4len + VTL_HDR_LEN);
		vtl_ip_csum20(ip);
	}
	if (l4len) {
		port = udp->source;
		udp->source = udp->dest;
		udp->dest = port;
		udp->len = bpf_htons(sizeof(*udp) + VTL_HDR_LEN);
		udp->check = 0;
	}
	vh->version = VTL_VERSION;
	vh->type = VTL_T_ACK;
	vh->flags = flags;
	vh->hdr_len = VTL_HDR_LEN;
	vh->session_id = sid;
	vh->seq = 0;
	vh->ack = bpf_htonl(ack);
	vh->tsval = bpf_htonl(vtl_now_us());
	vh->tsecr = tsecr;
	vh->len = 0;
	vh->wnd = bpf_htons(wnd > 0xffff ? 0xffff : wnd);
	vh->reserved = 0;
	vtl_csum_stamp_hdr(vh);   /* (vh + 1 <= data_end was checked above) */
	vtl_count(VTL_DIR_XDP, VTL_CNT_XDP_TX);
	return XDP_TX;
}

static __always_inline int vtl_xdp_reply_ack(struct xdp_md *ctx, struct vtl_pkt *p,
					     __u32 ack, __u8 flags, __u32 wnd)
{
	const __u32 u = sizeof(struct udphdr);

	if (p->family == VTL_AF_INET6)
		return p->encap == VTL_ENCAP_UDP ?
		       vtl_xdp_reply_ack_l4(ctx, p, ack, flags, wnd, sizeof(struct ipv6hdr), u) :
		       vtl_xdp_reply_ack_l4(ctx, p, ack, flags, wnd, sizeof(struct ipv6hdr), 0);
	return p->encap == VTL_ENCAP_UDP ?
	       vtl_xdp_reply_ack_l4(ctx, p, ack, flags, wnd, sizeof(struct iphdr), u) :
	       vtl_xdp_reply_ack_l4(ctx, p, ack, flags, wnd, sizeof(struct iphdr), 0);
}

#endif
