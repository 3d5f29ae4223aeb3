/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The shared maps. Defined identically in the root object and in every
 * graft; the Launcher makes each graft reuse the root's instances by name
 * (its list of shared maps, daemon/launcher.c), so all state is keyed per
 * session slot and never global. */
#ifndef VTL_KTF_MAPS_H
#define VTL_KTF_MAPS_H

#include "base.h"

struct vtl_timer_val {
	struct bpf_timer t;
	__u32 slot;
	__u32 pad;
};
_Static_assert(sizeof(struct vtl_timer_val) == VTL_TIMER_VAL_SIZE, "timer value");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VTL_MAX_SESSIONS);
	__type(key, struct vtl_session_key);
	__type(value, struct vtl_session_val);
} vtl_sessions SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, VTL_MAX_SESSIONS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct vtl_state);
} vtl_state SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, VTL_MAX_SESSIONS);
	__type(key, __u32);
	__type(value, struct vtl_timer_val);
} vtl_timers SEC(".maps");

/* a graft's private per-session state (graft.h: VTL_GRAFT_PRIVATE) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, VTL_MAX_SESSIONS);
	__type(key, __u32);
	__type(value, struct vtl_priv_area);
} vtl_priv SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, VTL_RETX_BUFS_DEFAULT);
	__type(key, __u32);
	__type(value, struct vtl_retx_buf);
} vtl_retx SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VTL_MAX_SESSIONS);
	__type(key, __u32);
	__type(value, struct vtl_nego_state);
} qos_nego SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, VTL_RINGBUF_BYTES);
} vtl_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vtl_pctx);
} vtl_pctx SEC(".maps");

/* per-CPU room for one frame copy (checksumming without a retx copy) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vtl_retx_buf);
} vtl_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2 * VTL_CNT_PER_DIR);
	__type(key, __u32);
	__type(value, __u64);
} vtl_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, VTL_MAX_QUEUES);
	__type(key, __u32);
	__type(value, __u32);
} vtl_xsks SEC(".maps");

#endif
