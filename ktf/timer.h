/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * vtl_start_timer()/vtl_stop_timer(): one bpf_timer per session slot,
 * armed with an absolute deadline (BPF_F_TIMER_ABS, falls back to a
 * relative one on kernels before 6.7). A timer callback has no packet:
 * it updates state and posts a ring-buffer event; vtld transmits.
 */
#ifndef VTL_KTF_TIMER_H
#define VTL_KTF_TIMER_H

#include "maps.h"

#ifndef BPF_F_TIMER_ABS
#define BPF_F_TIMER_ABS (1ULL << 0)
#endif
#ifndef CLOCK_MONOTONIC
#define CLOCK_MONOTONIC 1
#endif

typedef int (*vtl_timer_cb)(void *map, __u32 *key, struct vtl_timer_val *val);

/* Arm slot's timer to fire us microseconds from now, calling cb. */
static __always_inline int vtl_start_timer(__u32 slot, __u64 us, vtl_timer_cb cb)
{
	struct vtl_timer_val *t = bpf_map_lookup_elem(&vtl_timers, &slot);
	__u64 now = bpf_ktime_get_ns();
	long err;

	if (!t)
		return -1;
	t->slot = slot;
	bpf_timer_init(&t->t, &vtl_timers, CLOCK_MONOTONIC); /* -EBUSY once done */
	err = bpf_timer_set_callback(&t->t, cb);
	if (err)
		return err;
	err = bpf_timer_start(&t->t, now + us * 1000, BPF_F_TIMER_ABS);
	if (err == -22) /* EINVAL: kernel without BPF_F_TIMER_ABS */
		err = bpf_timer_start(&t->t, us * 1000, 0);
	return err;
}

static __always_inline int vtl_stop_timer(__u32 slot)
{
	struct vtl_timer_val *t = bpf_map_lookup_elem(&vtl_timers, &slot);

	if (!t)
		return -1;
	return bpf_timer_cancel(&t->t);
}

#endif
