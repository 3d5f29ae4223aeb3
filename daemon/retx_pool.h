/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The retransmission-copy pool (map vtl_retx): which runs of its entries
 * each sending session owns. A session gets its run when it first sends
 * and gives it back when its sending direction ends, so an idle session,
 * or one that only receives, holds none.
 *
 * Runs come in power-of-two sizes (16 .. VTL_WINDOW_MAX entries), each size
 * with its own free list, carved from the pool's unused end and split from
 * a larger free run when that is used up. A request gets the size that
 * covers it, or the largest smaller one free (at least RP_MIN): when the
 * pool is tight a session sends with less in flight instead of not at
 * all. Every operation is O(number of sizes).
 */
#ifndef VTLD_RETX_POOL_H
#define VTLD_RETX_POOL_H

#include <stdbool.h>
#include <linux/types.h>

#define RP_MIN_ORDER 4                 /* 16 entries */
#define RP_MAX_ORDER 12                /* 4096 = VTL_WINDOW_MAX */
#define RP_ORDERS    (RP_MAX_ORDER - RP_MIN_ORDER + 1)
#define RP_MIN       (1u << RP_MIN_ORDER)

struct retx_pool {
	__u32 size;                /* entries in the map */
	__u32 bump;                /* first entry never handed out */
	__u32 used;                /* entries handed out */
	__u32 *next;               /* free-list link per entry (run starts only) */
	__u32 head[RP_ORDERS];     /* free runs of each size; RP_NONE: empty */
	__u32 nfree[RP_ORDERS];
	__u64 allocs, clamped, failed;
};
#define RP_NONE 0xffffffffu

int rp_init(struct retx_pool *p, __u32 size);
void rp_free_all(struct retx_pool *p);
/* A run for a window of want entries: *base and *count (a power of two,
 * count <= want rounded up). -ENOSPC: nothing free. */
int rp_get(struct retx_pool *p, __u32 want, __u32 *base, __u32 *count);
/* Could rp_get give a run now (at least RP_MIN entries free in one run)? */
bool rp_avail(const struct retx_pool *p);
/* Give back a run rp_get returned. */
void rp_put(struct retx_pool *p, __u32 base, __u32 count);

#endif
