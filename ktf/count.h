/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Counters and stable drop reasons (numbers in vtl/shared.h). */
#ifndef VTL_KTF_COUNT_H
#define VTL_KTF_COUNT_H

#include "maps.h"

static __always_inline void vtl_count(__u32 dir, __u32 idx)
{
	__u32 k = dir * VTL_CNT_PER_DIR + idx;
	__u64 *v = bpf_map_lookup_elem(&vtl_counters, &k);

	if (v)
		*v += 1; /* per-CPU: no atomics needed */
}

/* Count the reason and drop. */
static __always_inline int vtl_xdp_drop(__u32 reason)
{
	vtl_count(VTL_DIR_XDP, reason);
	return XDP_DROP;
}

static __always_inline int vtl_tc_drop(__u32 reason)
{
	vtl_count(VTL_DIR_TC, reason);
	return TC_ACT_SHOT;
}

#endif
