/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Session lookup and sequence-number arithmetic. */
#ifndef VTL_KTF_SESSION_H
#define VTL_KTF_SESSION_H

#include "maps.h"

/* Serial-number comparisons (RFC 1982 style, 32-bit). */
static __always_inline int vtl_before(__u32 a, __u32 b) { return (__s32)(a - b) < 0; }
static __always_inline int vtl_after(__u32 a, __u32 b) { return (__s32)(b - a) < 0; }

static __always_inline struct vtl_pctx *vtl_ctx(void)
{
	__u32 z = 0;

	return bpf_map_lookup_elem(&vtl_pctx, &z);
}

static __always_inline struct vtl_state *vtl_state_of(__u32 slot)
{
	struct vtl_state *st = bpf_map_lookup_elem(&vtl_state, &slot);

	if (!st || !st->active)
		return NULL;
	return st;
}

static __always_inline __u32 vtl_now_us(void)
{
	return (__u32)(bpf_ktime_get_ns() / 1000);
}

/* The retransmission copy for seq, or NULL. */
static __always_inline struct vtl_retx_buf *vtl_retx_of(struct vtl_state *st, __u32 seq)
{
	__u32 k;

	if (!st->buf_count)
		return NULL;
	k = st->buf_base + (seq % st->buf_count);
	return bpf_map_lookup_elem(&vtl_retx, &k);
}

#endif
