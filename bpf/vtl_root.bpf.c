// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The root programs vtld attaches: vtl_xdp_root on XDP ingress and
 * vtl_tc_root on TC clsact egress. Anything that is not VTL passes after
 * a cheap header check. A VTL packet is parsed and bounds-checked once
 * (and, inbound, its checksum verified), matched to its session and
 * tail-called into that session's graft slot.
 *
 * Not part of the KTF library that graft authors include (ktf/): built
 * from bpf/ into the skeleton vtld embeds (bpf/CMakeLists.txt). It
 * includes the library for the shared maps and context, and its own
 * root_parse.h for what only the root does.
 */
#include "vtl_ktf.h"
#include "root_parse.h"

/* Prog arrays: separate for XDP and TC (a prog array is locked to one
 * program type). XDP index = slot * VTL_XDP_ROLES + role; TC index = slot. */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, VTL_MAX_SESSIONS * VTL_XDP_ROLES);
	__type(key, __u32);
	__type(value, __u32);
} vtl_xdp_progs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, VTL_MAX_SESSIONS);
	__type(key, __u32);
	__type(value, __u32);
} vtl_tc_progs SEC(".maps");

static __always_inline struct vtl_pctx *vtl_fill_ctx(struct vtl_pkt *p, __u32 slot, __u32 sid)
{
	struct vtl_pctx *c = vtl_ctx();

	if (!c)
		return NULL;
	c->slot = slot;
	c->session_id = sid;
	c->l3_off = p->l3_off;
	c->l4_off = p->l4_off;
	c->pay_len = p->pay_len;
	c->encap = (__u16)p->encap;
	c->family = (__u16)p->family;
	c->pad = 0;
	return c;
}

SEC("xdp")
int vtl_xdp_root(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	struct vtl_session_val *sv;
	struct vtl_session_key key;
	struct vtl_pkt p = {};
	__u32 slot, idx;
	__u8 type;
	int r;

	r = vtl_parse(data, data_end, &p, 1);
	if (r == VTL_NOT_VTL) {
		vtl_count(VTL_DIR_XDP, VTL_CNT_PASS_NON_VTL);
		return XDP_PASS;
	}
	if (r < 0)
		return vtl_xdp_drop(-r);
	vtl_count(VTL_DIR_XDP, VTL_CNT_VTL);
	if (p.pay_len > VTL_MSS_MAX)
		return vtl_xdp_drop(VTL_DROP_BAD_LENGTH);
	if (!vtl_xdp_csum_ok(ctx, p.vh, p.l4_off, p.pay_len))
		return vtl_xdp_drop(VTL_DROP_BAD_CSUM);

	type = p.vh->type;
	key.session_id = bpf_ntohl(p.vh->session_id);
	sv = bpf_map_lookup_elem(&vtl_sessions, &key);
	if (sv) {
		if (!vtl_from_peer(sv, &p))
			return vtl_xdp_drop(VTL_DROP_UNKNOWN_SESSION);
		slot = sv->slot;
	} else if (type == VTL_T_NEGO || type == VTL_T_NEGO_NACK || type == VTL_T_RESET) {
		slot = VTL_SLOT_CANONICAL; /* new session: the Control Broker decides */
	} else {
		return vtl_xdp_drop(VTL_DROP_UNKNOWN_SESSION);
	}
	if (slot >= VTL_MAX_SESSIONS || !vtl_fill_ctx(&p, slot, key.session_id))
		return vtl_xdp_drop(VTL_DROP_NO_GRAFT);
	idx = slot * VTL_XDP_ROLES +
	      (vtl_is_listener_type(type) ? VTL_XDP_ROLE_LISTENER : VTL_XDP_ROLE_INGRESS);
	bpf_tail_call(ctx, &vtl_xdp_progs, idx);
	return vtl_xdp_drop(VTL_DROP_NO_GRAFT);
}

SEC("tc")
int vtl_tc_root(struct __sk_buff *skb)
{
	struct vtl_session_val *sv;
	struct vtl_session_key key;
	struct vtl_pkt p = {};
	void *data, *data_end;
	__u32 slot;
	__u8 type;
	int r;

	if (skb->protocol != bpf_htons(ETH_P_IP) && skb->protocol != bpf_htons(ETH_P_IPV6)) {
		vtl_count(VTL_DIR_TC, VTL_CNT_PASS_NON_VTL);
		return TC_ACT_OK;
	}
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	if (data_end - data < skb->len && skb->len <= 14 + 60 + VTL_FRAME_MAX) {
		/* make what we may touch linear; cheap check first */
		struct iphdr *ip = data + sizeof(struct ethhdr);
		struct ipv6hdr *ip6 = data + sizeof(struct ethhdr);

		if (skb->protocol == bpf_htons(ETH_P_IPV6) && (void *)(ip6 + 1) <= data_end &&
		    ip6->nexthdr != VTL_IPPROTO &&
		    (ip6->nexthdr != IPPROTO_UDP || !vtl_udp_port_be)) {
			vtl_count(VTL_DIR_TC, VTL_CNT_PASS_NON_VTL);
			return TC_ACT_OK;
		}
		if (skb->protocol == bpf_htons(ETH_P_IP) && (void *)(ip + 1) <= data_end &&
		    ip->protocol != VTL_IPPROTO &&
		    (ip->protocol != IPPROTO_UDP || !vtl_udp_port_be)) {
			vtl_count(VTL_DIR_TC, VTL_CNT_PASS_NON_VTL);
			return TC_ACT_OK;
		}
		if (skb->protocol == bpf_htons(ETH_P_IP) && (void *)(ip + 1) <= data_end &&
		    ip->protocol == IPPROTO_UDP && ip->ihl == 5) {
			struct udphdr *udp = (void *)(ip + 1);

			if ((void *)(udp + 1) <= data_end && udp->source != vtl_udp_port_be) {
				vtl_count(VTL_DIR_TC, VTL_CNT_PASS_NON_VTL);
				return TC_ACT_OK; /* UDP, not ours: leave it as it is */
			}
		}
		if (bpf_skb_pull_data(skb, skb->len))
			return vtl_tc_drop(VTL_DROP_HELPER);
		data = (void *)(long)skb->data;
		data_end = (void *)(long)skb->data_end;
	}
	r = vtl_parse(data, data_end, &p, 0);
	if (r == VTL_NOT_VTL) {
		vtl_count(VTL_DIR_TC, VTL_CNT_PASS_NON_VTL);
		return TC_ACT_OK;
	}
	if (r < 0)
		return vtl_tc_drop(-r);
	vtl_count(VTL_DIR_TC, VTL_CNT_VTL);
	if (p.pay_len > VTL_MSS_MAX)
		return vtl_tc_drop(VTL_DROP_BAD_LENGTH);
	type = p.vh->type;
	key.session_id = bpf_ntohl(p.vh->session_id);
	sv = bpf_map_lookup_elem(&vtl_sessions, &key);
	if (sv) {
		slot = sv->slot;
	} else if (type == VTL_T_NEGO_NACK || type == VTL_T_RESET) {
		slot = VTL_SLOT_CANONICAL; /* refusals and resets need no session */
	} else {
		return vtl_tc_drop(VTL_DROP_UNKNOWN_SESSION);
	}
	if (slot >= VTL_MAX_SESSIONS || !vtl_fill_ctx(&p, slot, key.session_id))
		return vtl_tc_drop(VTL_DROP_NO_GRAFT);
	bpf_tail_call(skb, &vtl_tc_progs, slot);
	return vtl_tc_drop(VTL_DROP_NO_GRAFT);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
