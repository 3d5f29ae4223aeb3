/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The Launcher: loads the root programs and attaches them, loads graft
 * objects from the pool (reusing the shared maps), and installs a graft's
 * programs into a session's prog-array slots. A swap is one prog-array
 * update per role: atomic, nothing detached.
 */
#ifndef VTLD_LAUNCHER_H
#define VTLD_LAUNCHER_H

#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <vtl/shared.h>
#include "retx_pool.h"

#define VTL_TC_HANDLE   0x7674  /* "vt": our clsact egress filter handle */
#define VTL_TC_PRIO     1

enum { GR_EGRESS, GR_INGRESS, GR_LISTENER, GR_NROLES };

struct graft_inst {
	struct graft_inst *next;
	char path[PATH_MAX];
	char name[VTL_GRAFT_NAME_MAX];
	__u32 window;
	__u32 max_loss_ppm;  /* 0: the object's default */
	__u32 max_delay_ms;  /* 0: the object's default (vtl_max_delay_ms) */
	__u32 uid;           /* load id, never reused: owner tag of the slots'
	                      * private areas (tunable vtl_graft_uid) */
	struct bpf_object *obj;
	int fd[GR_NROLES];   /* -1 when the graft lacks the role */
	int refs;
	__u64 load_us;       /* open + verify + JIT */
	bool retired;        /* its file changed: not shared with new sessions */
};

struct launcher_opts {
	int ifindex;           /* 0: load only, attach nothing (tests) */
	const char *ifname;
	const char *bpf_root;  /* NULL: pin nothing */
	__u32 retx_bufs;
	__u16 udp_port;        /* VTL over UDP (host order); 0: raw only */
	__u32 min_rto_us;      /* the RTO floor every graft loads with (vtl_min_rto_us) */
};

struct launcher {
	struct vtl_root *skel;
	struct bpf_link *xdp_link;
	int ifindex;
	char ifname[IF_NAMESIZE];
	bool tc_attached;
	bool tc_hook_created;
	char pin_dir[PATH_MAX];
	bool pinned;
	struct vtl_state *state;   /* mmap of vtl_state, VTL_MAX_SESSIONS entries */
	size_t state_len;
	__u32 retx_bufs;
	__u32 min_rto_us;
	struct retx_pool retx;      /* who owns which vtl_retx entries */
	struct graft_inst *insts;
	__u32 xdp_prog_id;
	__u32 tc_prog_id;
	__u32 uid_last;            /* the last graft_inst.uid given */
};

int launcher_open(struct launcher *l, const struct launcher_opts *o);
void launcher_close(struct launcher *l);

/* Load (or share an already loaded) instance of the graft at path with the
 * given window tunable. On failure, err names the reason. */
int launcher_graft_get(struct launcher *l, const char *path, __u32 window,
		       struct graft_inst **out, char *err, size_t errlen);
/* The same with every tunable: max_loss_ppm (vtl_max_loss_ppm) and
 * max_delay_ms (vtl_max_delay_ms) 0 keep the object's default. */
int launcher_graft_get_tun(struct launcher *l, const char *path, __u32 window,
			   __u32 max_loss_ppm, __u32 max_delay_ms, struct graft_inst **out,
			   char *err, size_t errlen);
void launcher_graft_put(struct launcher *l, struct graft_inst *gi);
/* The file at path changed or left the pool: instances loaded from it
 * stay with their sessions, but launcher_graft_get loads afresh. */
void launcher_graft_retire(struct launcher *l, const char *path);
/* Point a slot's prog-array entries at gi's programs. If the slot held
 * another loaded object, its private area (vtl_priv) is zeroed and handed
 * to gi (a swap starts the new graft with fresh private state). */
int launcher_slot_set(struct launcher *l, __u32 slot, const struct graft_inst *gi);
void launcher_slot_clear(struct launcher *l, __u32 slot);

struct launcher_sess {
	__u32 session_id;
	struct vtl_peer peer;
	__u32 window;
	__u32 isn_tx;      /* our first DATA seq */
	__u32 isn_rx;      /* the peer's first DATA seq */
	__u32 mss;
};
#define VTL_INIT_CWND 10
/* Initialise slot's state (and retx buffers; its private area zeroed),
 * then publish the session. */
int launcher_session_add(struct launcher *l, __u32 slot, const struct launcher_sess *s);
void launcher_session_del(struct launcher *l, __u32 slot, __u32 session_id);
/* Retransmission copies for slot's sending direction, sized by its window
 * (fewer when the pool is tight; vtl_state.buf_count says how many): 0, or
 * -ENOSPC when the pool has none. Given back by launcher_retx_put, or when
 * the session ends. */
int launcher_retx_get(struct launcher *l, __u32 slot);
void launcher_retx_put(struct launcher *l, __u32 slot);

static inline struct vtl_state *launcher_state(struct launcher *l, __u32 slot)
{
	return &l->state[slot];
}

/* Sum the per-CPU counters. */
int launcher_counters(struct launcher *l, __u64 xdp[VTL_CNT_PER_DIR], __u64 tc[VTL_CNT_PER_DIR]);

int launcher_map_fd(struct launcher *l, const char *name);

#endif
