// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The Hooker's kernel half, attached to one cgroup v2 by vtl-hooker with
 * bpf_links that die with the process (so a dead Hooker leaves nothing
 * attached: new connections go over plain TCP).
 *
 *   cgroup/connect4     a TCP connect() that passes the filters is sent to
 *                       vtl-hooker's loopback listener; the real
 *                       destination is kept in the socket's storage. A
 *                       connect() to a peer in hk_novtl (known to lack
 *                       VTL) is left alone: plain TCP, no relay.
 *   cgroup/getpeername4 the application still sees its real peer.
 *   sockops             when the diverted socket is ESTABLISHED, publish
 *                       "local address -> real destination" in hk_flows
 *                       (vtl-hooker looks its accepted connection up
 *                       there) and add the socket to hk_socks, the live
 *                       list of hooked connections; its close (the state
 *                       callback) takes it out again.
 *
 * hk_socks is a plain hash, not a SOCKHASH: membership in a sockmap gives
 * the socket a psock and tcp_bpf's recvmsg, under which a blocking recv()
 * that an RST wakes returns EAGAIN instead of ECONNRESET (measured here,
 * kernel 6.18; docs/hooker.md). No program of ours redirects, so nothing
 * needs the psock.
 */
#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <vtl/hooker.h>

#define SOCK_STREAM 1  /* <sys/socket.h> is not for BPF targets */

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vtl_hk_cfg);
} hk_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u16);    /* destination port, network order */
	__type(value, __u8);
} hk_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct vtl_hk_orig);
} hk_orig SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct vtl_hk_flow_key);
	__type(value, struct vtl_hk_orig);
} hk_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct vtl_hk_tuple);
	__type(value, __u64);   /* socket cookie */
} hk_socks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VTL_HK_NOVTL_MAX);
	__type(key, __u32);     /* peer address, network order */
	__type(value, __u64);   /* until, bpf_ktime_get_ns() */
} hk_novtl SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, VTL_HK_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} hk_stats SEC(".maps");

static __always_inline void hk_count(__u32 i)
{
	__u64 *v = bpf_map_lookup_elem(&hk_stats, &i);

	if (v)
		*v += 1;
}

/* Return value 1 everywhere: these hooks never refuse a connect(). */
SEC("cgroup/connect4")
int vtl_hk_connect4(struct bpf_sock_addr *ctx)
{
	struct vtl_hk_orig *o;
	struct vtl_hk_cfg *cfg;
	__u32 zero = 0, daddr;
	__u64 *until;
	__u16 dport;

	if (ctx->type != SOCK_STREAM || ctx->protocol != IPPROTO_TCP)
		return 1;
	cfg = bpf_map_lookup_elem(&hk_cfg, &zero);
	if (!cfg || !cfg->enabled)
		return 1;
	if (bpf_get_netns_cookie(ctx) != cfg->netns_cookie ||
	    (bpf_get_current_pid_tgid() >> 32) == cfg->hooker_tgid)
		return 1;
	daddr = ctx->user_ip4;
	dport = (__u16)ctx->user_port;
	/* loopback, the unspecified address and multicast are never hooked */
	if ((bpf_ntohl(daddr) >> 24) == 127 || daddr == 0 ||
	    (bpf_ntohl(daddr) >> 28) == 0xe ||
	    (cfg->dst_mask && (daddr & cfg->dst_mask) != cfg->dst_net) ||
	    (cfg->port_filter && !bpf_map_lookup_elem(&hk_ports, &dport))) {
		hk_count(VTL_HK_CNT_FILTERED);
		return 1;
	}
	/* a peer that lacks VTL: relaying through vtl-hooker would only cost */
	until = bpf_map_lookup_elem(&hk_novtl, &daddr);
	if (until) {
		if (bpf_ktime_get_ns() < *until) {
			hk_count(VTL_HK_CNT_DIRECT);
			return 1;
		}
		bpf_map_delete_elem(&hk_novtl, &daddr);  /* expired: try VTL again */
	}
	o = bpf_sk_storage_get(&hk_orig, ctx->sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!o) {
		hk_count(VTL_HK_CNT_NO_STORAGE);  /* fail open: plain TCP */
		return 1;
	}
	o->daddr = daddr;
	o->dport = dport;
	o->cookie = bpf_get_socket_cookie(ctx);
	o->pid_tgid = bpf_get_current_pid_tgid();
	ctx->user_ip4 = cfg->hooker_addr;
	ctx->user_port = cfg->hooker_port;
	hk_count(VTL_HK_CNT_DIVERTED);
	return 1;
}

SEC("cgroup/getpeername4")
int vtl_hk_getpeername4(struct bpf_sock_addr *ctx)
{
	struct vtl_hk_orig *o;

	if (!ctx->sk)
		return 1;
	o = bpf_sk_storage_get(&hk_orig, ctx->sk, 0, 0);
	if (!o || !o->daddr)
		return 1;
	ctx->user_ip4 = o->daddr;
	ctx->user_port = o->dport;
	hk_count(VTL_HK_CNT_PEERNAME);
	return 1;
}

SEC("sockops")
int vtl_hk_sockops(struct bpf_sock_ops *skops)
{
	struct vtl_hk_flow_key key = {};
	struct vtl_hk_tuple t = {};
	struct vtl_hk_cfg *cfg;
	__u32 zero = 0;
	struct vtl_hk_orig *o;
	struct bpf_sock *sk;
	__u64 cookie;
	__u32 rp;

	if (skops->family != 2 /* AF_INET */)
		return 1;
	/* remote_port holds the port in network order; older kernels put it
	 * in the upper 16 bits. */
	rp = skops->remote_port;
	t.saddr = skops->local_ip4;
	t.sport = bpf_htons((__u16)skops->local_port);
	t.daddr = skops->remote_ip4;
	t.dport = (__u16)(rp > 0xffff ? rp >> 16 : rp);
	if (skops->op == BPF_SOCK_OPS_STATE_CB) {
		if (skops->args[1] == BPF_TCP_CLOSE)
			bpf_map_delete_elem(&hk_socks, &t);
		return 1;
	}
	if (skops->op != BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB)
		return 1;
	sk = skops->sk;
	if (!sk)
		return 1;
	o = bpf_sk_storage_get(&hk_orig, sk, 0, 0);
	if (!o || !o->daddr)
		return 1;
	key.addr = skops->local_ip4;
	key.port = t.sport;
	bpf_map_update_elem(&hk_flows, &key, o, BPF_ANY);
	cookie = bpf_get_socket_cookie(skops);
	if (bpf_map_update_elem(&hk_socks, &t, &cookie, BPF_ANY) == 0)
		bpf_sock_ops_cb_flags_set(skops, skops->bpf_sock_ops_cb_flags |
					  BPF_SOCK_OPS_STATE_CB_FLAG);
	/* The Hooker is slower than loopback: keep what the application has
	 * written but the Hooker not yet taken small, as the path's own
	 * window would (its receive buffer is bounded too). */
	cfg = bpf_map_lookup_elem(&hk_cfg, &zero);
	if (cfg && cfg->notsent_lowat) {
		int v = (int)cfg->notsent_lowat;

		bpf_setsockopt(skops, 6 /* SOL_TCP */, 25 /* TCP_NOTSENT_LOWAT */, &v, sizeof(v));
	}
	hk_count(VTL_HK_CNT_ESTABLISHED);
	return 1;
}
