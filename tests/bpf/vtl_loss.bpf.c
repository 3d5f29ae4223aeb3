// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * vtl_loss: a tiny XDP loss injector for the router of the routed test
 * topology, to be used until tools/vtl-netem exists.
 *
 * Attached to the router's ingress veths. An IPv4 protocol-253 frame whose
 * VTL header type (byte 1 of the header that follows the IP header) is in
 * type_mask (default: DATA only) is dropped with probability
 * loss_ppm / 1e6. Everything else, and every frame not dropped, gets
 * XDP_PASS: the kernel then forwards it. Counters: per-CPU array loss_cnt.
 *
 * Only the first fragment carries the VTL header; later fragments pass.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <vtl/wire.h>
#include "vtl_loss.h"

/* Tunables, set by the loader before load. */
const volatile __u32 loss_ppm = 0;                     /* 0..1000000 */
const volatile __u32 type_mask = 1u << VTL_T_DATA;     /* bit n = VTL type n */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, VTL_LOSS_NCNT);
	__type(key, __u32);
	__type(value, __u64);
} loss_cnt SEC(".maps");

static __always_inline void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&loss_cnt, &idx);

	if (v)
		*v += 1;   /* per-CPU: no atomics needed */
}

static __always_inline int pass(void)
{
	count(VTL_LOSS_CNT_PASSED);
	return XDP_PASS;
}

SEC("xdp")
int xdp_loss(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *iph;
	__u8 *vtl;
	__u32 ihl, type;

	if ((void *)(eth + 1) > data_end)
		return pass();
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return pass();
	iph = (void *)(eth + 1);
	if ((void *)(iph + 1) > data_end)
		return pass();
	if (iph->protocol != VTL_IPPROTO)
		return pass();
	count(VTL_LOSS_CNT_VTL);
	if (iph->frag_off & bpf_htons(0x1fff))   /* not the first fragment */
		return pass();
	ihl = iph->ihl * 4;
	if (ihl < sizeof(*iph))
		return pass();
	vtl = (__u8 *)iph + ihl;
	if ((void *)(vtl + 2) > data_end)        /* need version and type */
		return pass();
	type = vtl[1];
	if (type > 31 || !(type_mask & (1u << type)))
		return pass();
	count(VTL_LOSS_CNT_ELIGIBLE);
	if (bpf_get_prandom_u32() % VTL_LOSS_PPM_MAX < loss_ppm) {
		count(VTL_LOSS_CNT_DROPPED);
		return XDP_DROP;
	}
	return pass();
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
