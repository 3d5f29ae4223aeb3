/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Graft plumbing: metadata, tunables and vtl_build_graft().
 *
 * A graft object has up to three programs, found by name:
 *   vtl_egress   SEC("tc")  outbound VTL packets of the session
 *   vtl_ingress  SEC("xdp") inbound DATA, NEGO, CLOSE, RESET
 *   vtl_listener SEC("xdp") inbound ACK, NACK, NEGO_ACK/NACK, CLOSE_ACK
 * The root programs tail-call them with the session's slot in the
 * per-CPU context. A graft is built from transport functions (TFs):
 * each TF returns a verdict, or VTL_CONTINUE to hand the packet to the
 * next TF in the chain.
 */
#ifndef VTL_KTF_GRAFT_H
#define VTL_KTF_GRAFT_H

#define VTL_CONTINUE (-1)

/* Declare the graft's metadata (section .vtl.meta, read by the pool).
 * _PR adds the default loss budget of a partially reliable graft; _QOS
 * also the default max delay (ms) of a delay-bounded one: vtld then sets
 * its vtl_max_delay_ms tunable from the application's max delay. */
#define VTL_GRAFT_META_QOS(_name, _version, _services, _roles, _wdef, _wmin, _wmax, _loss, \
			   _delay)                                                          \
	__attribute__((used)) const struct vtl_graft_meta vtl_meta SEC(".vtl.meta") = { \
		.magic = VTL_META_MAGIC, .meta_version = VTL_META_VERSION,      \
		.name = _name, .version = _version, .services = _services,      \
		.roles = _roles, .window_default = _wdef, .window_min = _wmin,  \
		.window_max = _wmax, .max_loss_ppm = _loss, .max_delay_ms = _delay, \
	}
#define VTL_GRAFT_META_PR(_name, _version, _services, _roles, _wdef, _wmin, _wmax, _loss) \
	VTL_GRAFT_META_QOS(_name, _version, _services, _roles, _wdef, _wmin, _wmax, _loss, 0)
#define VTL_GRAFT_META(_name, _version, _services, _roles, _wdef, _wmin, _wmax) \
	VTL_GRAFT_META_PR(_name, _version, _services, _roles, _wdef, _wmin, _wmax, 0)

/* Tunables are read-only data set by the Launcher before load. */
#define VTL_TUNABLE(_type, _name, _default) const volatile _type _name = _default

/* What every TF gets. */
struct vtl_kctx {
	struct vtl_pkt p;
	struct vtl_state *st;   /* NULL on the canonical slot for unknown sessions */
	__u32 slot;
	__u32 now_us;
};

static __always_inline int vtl_xdp_enter(struct xdp_md *ctx, struct vtl_kctx *k)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	struct vtl_pctx *c = vtl_ctx();

	if (!c || vtl_repoint(data, data_end, c, &k->p))
		return -1;
	k->slot = c->slot;
	k->st = k->slot == VTL_SLOT_CANONICAL ? NULL : vtl_state_of(k->slot);
	k->now_us = vtl_now_us();
	return 0;
}

static __always_inline int vtl_tc_enter(struct __sk_buff *skb, struct vtl_kctx *k)
{
	void *data = (void *)(long)skb->data, *data_end = (void *)(long)skb->data_end;
	struct vtl_pctx *c = vtl_ctx();

	if (!c || vtl_repoint(data, data_end, c, &k->p))
		return -1;
	k->slot = c->slot;
	k->st = k->slot == VTL_SLOT_CANONICAL ? NULL : vtl_state_of(k->slot);
	k->now_us = vtl_now_us();
	return 0;
}

#define __VTL_TF_STEP(tf) do { int __r = tf(ctx, &__k); if (__r != VTL_CONTINUE) return __r; } while (0)
#define __VTL_TF_1(a) __VTL_TF_STEP(a)
#define __VTL_TF_2(a, b) __VTL_TF_1(a); __VTL_TF_STEP(b)
#define __VTL_TF_3(a, b, c) __VTL_TF_2(a, b); __VTL_TF_STEP(c)
#define __VTL_TF_4(a, b, c, d) __VTL_TF_3(a, b, c); __VTL_TF_STEP(d)
#define __VTL_TF_N(_1, _2, _3, _4, N, ...) N
#define __VTL_TF_CHAIN(...) __VTL_TF_N(__VA_ARGS__, __VTL_TF_4, __VTL_TF_3, __VTL_TF_2, __VTL_TF_1)(__VA_ARGS__)

/*
 * vtl_build_graft(role, tf...) defines the program for one role out of up
 * to four TFs run in order. role is egress (TC), ingress or listener (XDP).
 * A chain that runs off its end drops the packet with VTL_DROP_BAD_TYPE.
 */
#define __vtl_build_xdp(_prog, ...)                                         \
	SEC("xdp") int _prog(struct xdp_md *ctx)                            \
	{                                                                   \
		struct vtl_kctx __k = {};                                   \
		if (vtl_xdp_enter(ctx, &__k))                               \
			return vtl_xdp_drop(VTL_DROP_TRUNCATED);            \
		__VTL_TF_CHAIN(__VA_ARGS__);                                \
		return vtl_xdp_drop(VTL_DROP_BAD_TYPE);                     \
	}
#define __vtl_build_tc(_prog, ...)                                          \
	SEC("tc") int _prog(struct __sk_buff *ctx)                          \
	{                                                                   \
		struct vtl_kctx __k = {};                                   \
		if (vtl_tc_enter(ctx, &__k))                                \
			return vtl_tc_drop(VTL_DROP_TRUNCATED);             \
		__VTL_TF_CHAIN(__VA_ARGS__);                                \
		return vtl_tc_drop(VTL_DROP_BAD_TYPE);                      \
	}
#define __vtl_build_egress(...)   __vtl_build_tc(vtl_egress, __VA_ARGS__)
#define __vtl_build_ingress(...)  __vtl_build_xdp(vtl_ingress, __VA_ARGS__)
#define __vtl_build_listener(...) __vtl_build_xdp(vtl_listener, __VA_ARGS__)
#define vtl_build_graft(role, ...) __vtl_build_##role(__VA_ARGS__)

#endif
