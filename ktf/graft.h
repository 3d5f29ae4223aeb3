/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Graft plumbing: metadata, private state, tunables and vtl_build_graft().
 *
 * A graft object has up to three programs, found by name:
 *   vtl_egress   SEC("tc")  outbound VTL packets of the session
 *   vtl_ingress  SEC("xdp") inbound DATA, NEGO, CLOSE, RESET
 *   vtl_listener SEC("xdp") inbound ACK, NACK, NEGO_ACK/NACK, CLOSE_ACK
 * The root programs (bpf/vtl_root.bpf.c, not part of this library)
 * tail-call them with the session's slot in the per-CPU context. A graft
 * is built from transport functions (TFs): each TF returns a verdict, or
 * VTL_CONTINUE to hand the packet to the next TF in the chain.
 *
 * In a graft, in this order:
 *   VTL_GRAFT_PRIVATE(struct my_state);      optional: per-session state of its own
 *   VTL_GRAFT_META(.name = "my", ...);       what the pool reads
 *   VTL_TUNABLE(__u32, my_knob, 10);         optional: set before load
 *   vtl_build_graft(egress|ingress|listener, tf, ...);   up to VTL_TF_MAX TFs
 */
#ifndef VTL_KTF_GRAFT_H
#define VTL_KTF_GRAFT_H

#include "maps.h"
#include "count.h"
#include "parse.h"
#include "session.h"

#define VTL_CONTINUE (-1)

/* Tunables are read-only data set by the Launcher before load. */
#define VTL_TUNABLE(_type, _name, _default) const volatile _type _name = _default

/*
 * The graft's metadata (section .vtl.meta, struct vtl_graft_meta in
 * include/vtl/shared.h, read by the pool before anything is loaded), with
 * designated initializers:
 *
 *   VTL_GRAFT_META(.name = "sr", .version = 1,
 *                  .services = VTL_SVC_RELIABLE | VTL_SVC_ORDERED | VTL_SVC_CC,
 *                  .roles = VTL_ROLE_EGRESS | VTL_ROLE_INGRESS | VTL_ROLE_LISTENER,
 *                  .window_default = VTL_ARQ_WINDOW, .window_min = 1,
 *                  .window_max = VTL_WINDOW_MAX);
 *
 * name (<= 23 chars), version (not 0), services, roles and the window
 * range are required (the pool refuses a graft without them); optional:
 * .max_loss_ppm (a partially reliable graft's default loss budget) and
 * .max_delay_ms (a delay-bounded graft's default max delay: vtld then sets
 * its vtl_max_delay_ms tunable from the application's). The macro fills
 * magic, meta_version and priv_size (from VTL_GRAFT_PRIVATE); setting them
 * by hand is an -Winitializer-overrides warning.
 */
#define VTL_GRAFT_META(...) __vtl_graft_meta(__VA_ARGS__)
#define __vtl_graft_meta(...)                                                        \
	extern char (*__vtl_meta_declared(int))[2] __attribute__((overloadable));    \
	__attribute__((used)) const struct vtl_graft_meta vtl_meta SEC(".vtl.meta") = { \
		.magic = VTL_META_MAGIC,                                             \
		.meta_version = VTL_META_VERSION,                                    \
		.priv_size = sizeof(*__vtl_priv_size(0)) - 1,                        \
		__VA_ARGS__                                                          \
	}

/*
 * Private per-session state: a graft's own mechanism keeps its state in
 * the shared map vtl_priv (one area of VTL_PRIV_BYTES per slot) instead of
 * adding fields to struct vtl_state. Declare the type once, before
 * VTL_GRAFT_META:
 *
 *   struct tlp_state { __u64 probes; __u32 probe_una; __u32 pad; };
 *   VTL_GRAFT_PRIVATE(struct tlp_state);
 *
 * It static-asserts the size (<= VTL_PRIV_BYTES, 8-byte alignment at
 * most), records it in the metadata (priv_size, checked by the pool), and
 * defines the typed accessor
 *
 *   struct tlp_state *vtl_priv_of(__u32 slot)
 *
 * usable from TFs (k->slot) and timer callbacks (*key). It returns NULL
 * for the canonical slot, and when the slot's area belongs to another
 * graft object: always check it. The area is zeroed when a session is
 * added to the slot and whenever a different loaded graft object (another
 * graft, or the same one with other tunables) is installed in the slot,
 * so a swap starts the new graft with fresh private state and a timer the
 * old graft armed before the swap finds none (NULL) rather than the new
 * graft's. Concurrent writers (several CPUs, a timer) need atomics, as for
 * vtl_state.
 *
 * How: the Launcher tags each area with the load id of the graft object
 * that owns it (the tunable vtl_graft_uid this macro declares). The size
 * reaches VTL_GRAFT_META through clang's overloadable functions (declared,
 * never defined, only ever inside sizeof): the int overload declared here
 * is a better match for 0 than the library's long default, which gives 0.
 */
extern char (*__vtl_priv_size(long))[1] __attribute__((overloadable));
extern char (*__vtl_meta_declared(long))[1] __attribute__((overloadable));

#define VTL_GRAFT_PRIVATE(_type)                                                     \
	VTL_TUNABLE(__u32, vtl_graft_uid, 0);                                        \
	static __always_inline _type *vtl_priv_of(__u32 slot)                        \
	{                                                                            \
		struct vtl_priv_area *__a;                                           \
                                                                                     \
		if (slot == VTL_SLOT_CANONICAL)                                      \
			return NULL;                                                 \
		__a = bpf_map_lookup_elem(&vtl_priv, &slot);                         \
		if (!__a || __a->owner != vtl_graft_uid)                             \
			return NULL;                                                 \
		return (_type *)__a->data;                                           \
	}                                                                            \
	extern char (*__vtl_priv_size(int))[sizeof(_type) + 1] __attribute__((overloadable)); \
	_Static_assert(sizeof(*__vtl_meta_declared(0)) == 1,                         \
		       "VTL_GRAFT_PRIVATE(" #_type ") must come before VTL_GRAFT_META"); \
	_Static_assert(_Alignof(_type) <= 8, #_type ": private state is 8-byte aligned"); \
	_Static_assert(sizeof(_type) <= VTL_PRIV_BYTES,                              \
		       #_type " is larger than the private area (VTL_PRIV_BYTES)")

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

/*
 * A chain runs up to VTL_TF_MAX TFs. The TFs are inlined into one program,
 * so the limit is only the size of this macro table; what bounds a chain
 * in practice is the verifier's budget for the whole program (1M
 * instructions processed), which a longer chain spends like a longer TF.
 * A chain of more than VTL_TF_MAX (up to 16) is a compile error that says
 * so.
 */
#define VTL_TF_MAX 8
#define __VTL_TF_STEP(tf) do { int __r = tf(ctx, &__k); if (__r != VTL_CONTINUE) return __r; } while (0)
#define __VTL_TF_1(a) __VTL_TF_STEP(a)
#define __VTL_TF_2(a, ...) __VTL_TF_STEP(a); __VTL_TF_1(__VA_ARGS__)
#define __VTL_TF_3(a, ...) __VTL_TF_STEP(a); __VTL_TF_2(__VA_ARGS__)
#define __VTL_TF_4(a, ...) __VTL_TF_STEP(a); __VTL_TF_3(__VA_ARGS__)
#define __VTL_TF_5(a, ...) __VTL_TF_STEP(a); __VTL_TF_4(__VA_ARGS__)
#define __VTL_TF_6(a, ...) __VTL_TF_STEP(a); __VTL_TF_5(__VA_ARGS__)
#define __VTL_TF_7(a, ...) __VTL_TF_STEP(a); __VTL_TF_6(__VA_ARGS__)
#define __VTL_TF_8(a, ...) __VTL_TF_STEP(a); __VTL_TF_7(__VA_ARGS__)
#define __VTL_TF_TOO_MANY(...) \
	_Static_assert(0, "vtl_build_graft: more than VTL_TF_MAX (8) TFs in one chain")
#define __VTL_TF_N(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16, \
		   N, ...) N
#define __VTL_TF_CHAIN(...)                                                          \
	__VTL_TF_N(__VA_ARGS__, __VTL_TF_TOO_MANY, __VTL_TF_TOO_MANY, __VTL_TF_TOO_MANY, \
		   __VTL_TF_TOO_MANY, __VTL_TF_TOO_MANY, __VTL_TF_TOO_MANY,          \
		   __VTL_TF_TOO_MANY, __VTL_TF_TOO_MANY, __VTL_TF_8, __VTL_TF_7,     \
		   __VTL_TF_6, __VTL_TF_5, __VTL_TF_4, __VTL_TF_3, __VTL_TF_2,       \
		   __VTL_TF_1)(__VA_ARGS__)

/*
 * vtl_build_graft(role, tf...) defines the program for one role out of up
 * to VTL_TF_MAX TFs run in order. role is egress (TC), ingress or listener
 * (XDP). A chain that runs off its end drops the packet with
 * VTL_DROP_BAD_TYPE.
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
