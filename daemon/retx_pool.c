// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The retransmission-copy pool's allocator (retx_pool.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "retx_pool.h"

int rp_init(struct retx_pool *p, __u32 size)
{
	memset(p, 0, sizeof(*p));
	p->next = calloc(size ? size : 1, sizeof(*p->next));
	if (!p->next)
		return -ENOMEM;
	p->size = size;
	for (int o = 0; o < RP_ORDERS; o++)
		p->head[o] = RP_NONE;
	return 0;
}

void rp_free_all(struct retx_pool *p)
{
	free(p->next);
	p->next = NULL;
}

static int order_of(__u32 n)
{
	int o = RP_MIN_ORDER;

	while (o < RP_MAX_ORDER && (1u << o) < n)
		o++;
	return o;
}

static void push_free(struct retx_pool *p, int o, __u32 base)
{
	p->next[base] = p->head[o - RP_MIN_ORDER];
	p->head[o - RP_MIN_ORDER] = base;
	p->nfree[o - RP_MIN_ORDER]++;
}

static __u32 pop_free(struct retx_pool *p, int o)
{
	__u32 b = p->head[o - RP_MIN_ORDER];

	if (b != RP_NONE) {
		p->head[o - RP_MIN_ORDER] = p->next[b];
		p->nfree[o - RP_MIN_ORDER]--;
	}
	return b;
}

/* A free run of exactly order o: its own list, the unused end, or a split
 * of a larger free run (the halves not taken go to their lists). */
static __u32 take(struct retx_pool *p, int o)
{
	__u32 n = 1u << o, b = pop_free(p, o);

	if (b != RP_NONE)
		return b;
	if (p->size - p->bump >= n) {
		b = p->bump;
		p->bump += n;
		return b;
	}
	for (int big = o + 1; big <= RP_MAX_ORDER; big++) {
		b = pop_free(p, big);
		if (b == RP_NONE)
			continue;
		while (big > o) {
			big--;
			push_free(p, big, b + (1u << big));
		}
		return b;
	}
	return RP_NONE;
}

int rp_get(struct retx_pool *p, __u32 want, __u32 *base, __u32 *count)
{
	int o = order_of(want ? want : 1);

	for (int t = o; t >= RP_MIN_ORDER; t--) {
		__u32 b = take(p, t);

		if (b == RP_NONE)
			continue;
		*base = b;
		*count = 1u << t;
		p->used += *count;
		p->allocs++;
		if (t < o)
			p->clamped++;
		return 0;
	}
	p->failed++;
	return -ENOSPC;
}

bool rp_avail(const struct retx_pool *p)
{
	if (p->size - p->bump >= RP_MIN)
		return true;
	for (int o = 0; o < RP_ORDERS; o++)
		if (p->head[o] != RP_NONE)
			return true;
	return false;
}

void rp_put(struct retx_pool *p, __u32 base, __u32 count)
{
	int o = order_of(count);

	if (!count || base >= p->size || (1u << o) != count || count > p->size - base)
		return;
	p->used -= count;
	push_free(p, o, base);
}
