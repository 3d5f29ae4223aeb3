// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xdp_pass.bpf.c: the XDP program vtl-netem attaches to both of its veths.
 *
 * It only passes every frame to the stack, where vtl-netem's AF_PACKET
 * sockets read it. It exists because of a veth rule (docs/vtl-netem.md, How it works):
 * frames that the host on the other end sends with XDP_TX or bpf_redirect
 * are dropped unless this (peer) veth has an XDP program.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int vtl_netem_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
