/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The control-socket protocol between vtld and its clients (libvtl,
 * vtlctl). AF_UNIX SOCK_SEQPACKET: one message = one vtl_ipc_hdr + body.
 * Fixed-width, host byte order (same host). Sizes asserted.
 */
#ifndef VTL_IPC_H
#define VTL_IPC_H

#include <linux/types.h>
#include "wire.h"
#include "shared.h"

#define VTL_IPC_MAGIC      0x31544c56u   /* "VTL1" */
#define VTL_IPC_MAX_DATA   65536          /* payload bytes per DATA message */
#define VTL_IPC_MAX_MSG    (VTL_IPC_MAX_DATA + 16)
#define VTL_SOCKET_DIR     "/run/vtl"

/* message types */
#define VTL_IPC_OPEN       1  /* c->d  vtl_ipc_open */
#define VTL_IPC_LISTENING  2  /* d->c  (empty) listener registered */
#define VTL_IPC_SESSION    3  /* d->c  vtl_ipc_session: negotiated, data may flow */
#define VTL_IPC_DATA       4  /* both  raw bytes */
#define VTL_IPC_SHUTDOWN   5  /* c->d  (empty) no more data from the client */
#define VTL_IPC_DONE       6  /* d->c  vtl_ipc_stats: peer has every byte */
#define VTL_IPC_EOF        7  /* d->c  vtl_ipc_stats: peer closed, all delivered */
#define VTL_IPC_ERROR      8  /* d->c  vtl_ipc_error */
#define VTL_IPC_STATUS_REQ 9  /* c->d  (empty) */
#define VTL_IPC_STATUS     10 /* d->c  vtl_ipc_status + grafts + sessions */
#define VTL_IPC_TYPE_MAX   10

struct vtl_ipc_hdr {
	__u32 magic;     /* VTL_IPC_MAGIC */
	__u16 type;      /* VTL_IPC_* */
	__u16 flags;     /* zero */
	__u32 len;       /* body bytes after this header */
	__u32 reserved;  /* zero */
};
_Static_assert(sizeof(struct vtl_ipc_hdr) == 16, "vtl_ipc_hdr");

#define VTL_OPEN_CONNECT 1
#define VTL_OPEN_LISTEN  2

/* vtl_ipc_open.flags */
#define VTL_OPEN_F_SHARED 0x1  /* LISTEN: several listeners may share the port
                                * (each takes one session), if all ask */
#define VTL_OPEN_F_NODELAY 0x2 /* send a short frame as soon as the client has
                                * nothing more queued, even with data in flight */
struct vtl_ipc_open {
	__u32 mode;          /* VTL_OPEN_* */
	__u32 peer_addr;     /* IPv4, network order (CONNECT) */
	__u32 local_addr;    /* IPv4, network order, 0 = any */
	__u16 service_port;  /* CONNECT: target listener; LISTEN: our port */
	__u16 flags;         /* VTL_OPEN_F_* */
	char  graft[VTL_GRAFT_NAME_MAX]; /* "" = let the Control Broker choose */
	__u32 services;      /* VTL_SVC_* */
	__u32 max_delay_ms;
	__u32 min_tput_kbps;
	__u32 max_loss_ppm;
	__u32 window;        /* 0 = graft default */
	__u32 timeout_ms;    /* negotiation timeout, 0 = default */
	__u16 app_port;      /* CONNECT: the application's own port (the Hooker
	                      * passes the TCP destination port), for rules */
	__u16 pad;
	struct vtl_peer peer; /* CONNECT: the peer's address, IPv4 or IPv6 (family
	                       * 0: peer_addr, IPv4); encap and port are vtld's */
};
_Static_assert(sizeof(struct vtl_ipc_open) == 88, "vtl_ipc_open");

struct vtl_ipc_session {
	__u32 session_id;
	__u32 peer_addr;
	char  graft[VTL_GRAFT_NAME_MAX];
	__u32 graft_version;
	__u32 window;
	__u32 mss;
	__u32 slot;
	struct vtl_peer peer; /* address (IPv4 or IPv6), encapsulation, UDP port */
};
_Static_assert(sizeof(struct vtl_ipc_session) == 68, "vtl_ipc_session");

struct vtl_ipc_stats {
	__u64 bytes;         /* payload bytes sent (handed to the wire) */
	__u64 packets;       /* DATA packets sent */
	__u64 retransmits;
	__u64 timeouts;
	__u64 fast_retx;
	__u64 dup_rx;
	__u64 ooo_rx;
	__u64 duration_us;   /* from SESSION to DONE/EOF */
	__u32 srtt_us;
	__u32 session_id;
	__u64 lost;          /* packets the graft gave up on (partial reliability) */
	__u64 bytes_rx;      /* payload bytes delivered in order (the peer's direction) */
	__u64 packets_rx;    /* DATA packets accepted from the peer */
};
_Static_assert(sizeof(struct vtl_ipc_stats) == 96, "vtl_ipc_stats");

struct vtl_ipc_error {
	__s32 code;          /* -errno or -VTL_E_* */
	__u32 pad;
	char  msg[120];      /* NUL-terminated, human readable */
};
_Static_assert(sizeof(struct vtl_ipc_error) == 128, "vtl_ipc_error");

struct vtl_ipc_status {
	char  ifname[16];
	__u32 ifindex;
	__u32 n_grafts;      /* vtl_ipc_graft_info records that follow */
	__u32 n_sessions;    /* then vtl_ipc_session_info records */
	__u32 xdp_prog_id;
	__u32 tc_prog_id;
	__u32 n_queues;
	__u64 uptime_ms;
	__u64 cnt_xdp[VTL_CNT_PER_DIR]; /* VTL_DROP_* and VTL_CNT_*, summed over CPUs */
	__u64 cnt_tc[VTL_CNT_PER_DIR];
};
_Static_assert(sizeof(struct vtl_ipc_status) == 560, "vtl_ipc_status");

struct vtl_ipc_graft_info {
	char  name[VTL_GRAFT_NAME_MAX];
	__u32 version;
	__u32 services;
	__u32 roles;
	__u32 window_default;
	__u32 window_max;
	__u32 loaded;        /* sessions currently using it */
	__u8  hash[VTL_HASH_LEN];
};
_Static_assert(sizeof(struct vtl_ipc_graft_info) == 80, "vtl_ipc_graft_info");

#define VTL_SESS_NEGOTIATING 1
#define VTL_SESS_OPEN        2
#define VTL_SESS_CLOSING     3
#define VTL_SESS_CLOSED      4
struct vtl_ipc_session_info {
	__u32 session_id;
	__u32 peer_addr;
	__u32 slot;
	__u32 state;         /* VTL_SESS_* */
	__u32 initiator;     /* 1 if this host opened it */
	__u32 window;
	char  graft[VTL_GRAFT_NAME_MAX];
	__u32 snd_nxt;
	__u32 snd_una;
	__u32 rcv_acked;
	__u32 srtt_us;
	__u32 rto_us;
	__u16 peer_port;     /* VTL over UDP: the peer's port, host order (after NAT) */
	__u8  encap;         /* VTL_ENCAP_* */
	__u8  pad;
	__u64 tx_data;
	__u64 tx_retx;
	__u64 rx_data;
	__u64 timeouts;
	__u64 bytes_tx;
	__u64 bytes_rx;
	struct vtl_peer peer; /* the whole peer: IPv6 too (peer_addr is IPv4's) */
	__u32 pad2;
};
_Static_assert(sizeof(struct vtl_ipc_session_info) == 144, "vtl_ipc_session_info");

/* ---- graft pool (appended) ----------------------------------------------
 * These types come after VTL_IPC_TYPE_MAX, which libvtl's session receiver
 * checks; vtlctl parses these replies itself (tools/vtlctl/graft.c). */
#define VTL_IPC_GRAFT_LIST_REQ   11 /* c->d  vtl_ipc_graft_list_req */
#define VTL_IPC_GRAFT_LIST       12 /* d->c  vtl_ipc_graft_list + n entries */
#define VTL_IPC_GRAFT_VERIFY_REQ 13 /* c->d  vtl_ipc_graft_verify_req */
#define VTL_IPC_GRAFT_VERIFY     14 /* d->c  vtl_ipc_graft_verify + log_len bytes */
#define VTL_IPC_GRAFT_TYPE_MAX   14

/* GRAFT_LIST is paged: ask from entry `start`, the reply says how many
 * entries there are in all; ask again from start + n until total. */
struct vtl_ipc_graft_list_req {
	__u32 start;
	__u32 reserved;      /* zero */
};
_Static_assert(sizeof(struct vtl_ipc_graft_list_req) == 8, "vtl_ipc_graft_list_req");

struct vtl_ipc_graft_list {
	__u32 total;         /* entries in the pool listing (all pages) */
	__u32 start;         /* index of the first entry in this reply */
	__u32 n;             /* vtl_ipc_graft_entry records that follow */
	__u32 reserved;
};
_Static_assert(sizeof(struct vtl_ipc_graft_list) == 16, "vtl_ipc_graft_list");

#define VTL_GRAFT_OK       1 /* in the pool: listable and negotiable */
#define VTL_GRAFT_REJECTED 2 /* failed validation: reason says why */
#define VTL_GRAFT_REPLACED 3 /* file replaced or removed; old build kept for its sessions */

#define VTL_IPC_PATH_MAX   256  /* longer paths keep their tail, led by "..." */
#define VTL_IPC_REASON_MAX 256
struct vtl_ipc_graft_entry {
	char  name[VTL_GRAFT_NAME_MAX]; /* "" when the metadata was unreadable */
	__u32 version;
	__u32 services;      /* VTL_SVC_* */
	__u32 roles;         /* VTL_ROLE_* declared */
	__u32 window_default;
	__u32 window_min;
	__u32 window_max;
	__u32 max_loss_ppm;
	__u32 users;         /* sessions using it */
	__u32 state;         /* VTL_GRAFT_* */
	__u32 load_us;       /* trial load (verifier + JIT) time, 0 if not run */
	__u8  hash[VTL_HASH_LEN]; /* sha256 of the object file; zero if unread */
	char  path[VTL_IPC_PATH_MAX];
	char  reason[VTL_IPC_REASON_MAX]; /* why REJECTED; "" otherwise */
};
_Static_assert(sizeof(struct vtl_ipc_graft_entry) == 608, "vtl_ipc_graft_entry");

/* Validate a file as if it were dropped into the pool, without adding it. */
#define VTL_IPC_VERIFY_PATH_MAX 1024
struct vtl_ipc_graft_verify_req {
	char  path[VTL_IPC_VERIFY_PATH_MAX]; /* absolute, NUL-terminated */
};
_Static_assert(sizeof(struct vtl_ipc_graft_verify_req) == 1024, "vtl_ipc_graft_verify_req");

/* Where validation stopped (or VTL_VERIFY_OK when it passed). */
#define VTL_VERIFY_OK      0
#define VTL_VERIFY_FILE    1 /* cannot read the file */
#define VTL_VERIFY_META    2 /* ELF structure or .vtl.meta */
#define VTL_VERIFY_OBJECT  3 /* libbpf cannot open it as a BPF object */
#define VTL_VERIFY_PROGS   4 /* programs vs declared roles, program types */
#define VTL_VERIFY_LOAD    5 /* trial load: verifier or map creation */

#define VTL_IPC_VERIFY_LOG_MAX 16384
struct vtl_ipc_graft_verify {
	__s32 verdict;       /* 0 = good, else -errno */
	__u32 stage;         /* VTL_VERIFY_* */
	__u32 roles_found;   /* VTL_ROLE_* whose programs are present */
	__u32 has_meta;      /* 1 if meta is valid */
	__u64 load_us;       /* trial load time, 0 if not reached */
	struct vtl_graft_meta meta;
	__u8  hash[VTL_HASH_LEN];
	__u32 has_hash;
	__u32 log_len;       /* verifier log tail bytes after this struct */
	char  reason[VTL_IPC_REASON_MAX];
	char  prog[32];      /* program the verifier rejected, "" otherwise */
};
_Static_assert(sizeof(struct vtl_ipc_graft_verify) == 432, "vtl_ipc_graft_verify");

/* ---- sessions: NetMonitor figures, swap history, forced swap ---------- */
#define VTL_IPC_SESSION_SHOW_REQ 15 /* c->d  vtl_ipc_session_req */
#define VTL_IPC_SESSION_SHOW     16 /* d->c  vtl_ipc_session_show */
#define VTL_IPC_SESSION_SWAP_REQ 17 /* c->d  vtl_ipc_session_swap_req */
#define VTL_IPC_SESSION_SWAP     18 /* d->c  vtl_ipc_session_req (accepted) */

struct vtl_ipc_session_req {
	__u32 session_id;
	__u32 pad;
};
_Static_assert(sizeof(struct vtl_ipc_session_req) == 8, "vtl_ipc_session_req");

struct vtl_ipc_session_swap_req {
	__u32 session_id;
	__u32 window;        /* 0: keep the session's window (the only choice in v1) */
	__u32 max_loss_ppm;  /* 0: the graft's default */
	__u32 pad;
	char  graft[VTL_GRAFT_NAME_MAX];
};
_Static_assert(sizeof(struct vtl_ipc_session_swap_req) == 40, "vtl_ipc_session_swap_req");

#define VTL_SWAP_HISTORY 8
#define VTL_SWAP_BY_OPERATOR 1  /* vtlctl session swap */
#define VTL_SWAP_BY_RULE     2  /* an adaptation rule fired */
#define VTL_SWAP_BY_PEER     3  /* the peer renegotiated */
struct vtl_ipc_swap_rec {
	__u64 t_ms;          /* since the session opened */
	__u64 done_ms;       /* both ends swapped (0: still pending / failed) */
	char  from[VTL_GRAFT_NAME_MAX];
	char  to[VTL_GRAFT_NAME_MAX];
	__u32 cause;         /* VTL_SWAP_BY_* */
	__u32 rule_line;     /* the rule, for VTL_SWAP_BY_RULE */
	__u32 rtt_us;        /* NetMonitor figures when it was decided */
	__u32 loss_ppm;
};
_Static_assert(sizeof(struct vtl_ipc_swap_rec) == 80, "vtl_ipc_swap_rec");

/* NetMonitor figures for one session, over the last measurement period */
struct vtl_ipc_monitor {
	__u32 srtt_us;
	__u32 rttvar_us;
	__u32 rtt_min_us;
	__u32 loss_ppm;      /* retransmitted / sent over the period */
	__u64 goodput_bps;   /* acknowledged (sender) or delivered (receiver) */
	__u32 cwnd;
	__u32 period_ms;
	__u64 lost;          /* packets given up (partial reliability) */
	__u32 rtt_last_us;   /* the latest RTT sample */
	__u32 pad;
};
_Static_assert(sizeof(struct vtl_ipc_monitor) == 48, "vtl_ipc_monitor");

struct vtl_ipc_session_show {
	struct vtl_ipc_session_info info;
	struct vtl_ipc_monitor mon;
	__u32 max_loss_ppm;
	__u32 n_swaps;       /* records used in swaps[] (the last ones) */
	__u64 age_ms;
	struct vtl_ipc_swap_rec swaps[VTL_SWAP_HISTORY];
};
_Static_assert(sizeof(struct vtl_ipc_session_show) == 144 + 48 + 16 + 8 * 80,
	       "vtl_ipc_session_show");

/* ---- vtlctl rule / stats / graft load|unload (types 19..29) ------------ */
#define VTL_IPC_RULE_LIST_REQ    19 /* c->d  (empty) */
#define VTL_IPC_RULE_LIST        20 /* d->c  vtl_ipc_rule_list + n vtl_ipc_rule */
#define VTL_IPC_RULE_ADD_REQ     21 /* c->d  vtl_ipc_rule_add_req */
#define VTL_IPC_RULE_DEL_REQ     22 /* c->d  vtl_ipc_rule_del_req */
#define VTL_IPC_RULE             23 /* d->c  vtl_ipc_rule: the rule added / deleted */
#define VTL_IPC_STATS_REQ        24 /* c->d  (empty) */
#define VTL_IPC_STATS            25 /* d->c  vtl_ipc_dstats */
#define VTL_IPC_GRAFT_LOAD_REQ   26 /* c->d  vtl_ipc_graft_load_req */
#define VTL_IPC_GRAFT_LOAD       27 /* d->c  vtl_ipc_graft_load + log_len bytes */
#define VTL_IPC_GRAFT_UNLOAD_REQ 28 /* c->d  vtl_ipc_graft_unload_req */
#define VTL_IPC_GRAFT_UNLOAD     29 /* d->c  vtl_ipc_graft_unload */

/* Control Broker rules, as vtld holds them (docs/control-broker.md). */
#define VTL_RULE_TEXT_MAX   256
#define VTL_RULE_SELECT     0   /* kind: chooses the graft of a new session */
#define VTL_RULE_ADAPT      1   /* kind: swaps a running session ("adapt ...") */
#define VTL_RULE_BUILTIN    0   /* origin: vtld's built-in rules */
#define VTL_RULE_FILE       1   /* origin: vtld --rules FILE */
#define VTL_RULE_RUNTIME    2   /* origin: vtlctl rule add */
struct vtl_ipc_rule {
	__u32 index;         /* position: the first match in index order wins */
	__u32 id;            /* unique for this vtld's life, never reused */
	__u32 kind;          /* VTL_RULE_SELECT / VTL_RULE_ADAPT */
	__u32 origin;        /* VTL_RULE_BUILTIN / _FILE / _RUNTIME */
	__u32 line;          /* line in the rules file (origin FILE, BUILTIN), else 0 */
	__u32 reserved;
	__u64 hits;          /* sessions it chose (select), swaps it started (adapt) */
	char  text[VTL_RULE_TEXT_MAX]; /* canonical text, NUL-terminated */
};
_Static_assert(sizeof(struct vtl_ipc_rule) == 288, "vtl_ipc_rule");

struct vtl_ipc_rule_list {
	__u32 n;             /* vtl_ipc_rule records that follow (<= max) */
	__u32 max;           /* rules vtld can hold */
};
_Static_assert(sizeof(struct vtl_ipc_rule_list) == 8, "vtl_ipc_rule_list");

#define VTL_RULE_APPEND 0xffffffffu
struct vtl_ipc_rule_add_req {
	__u32 at;            /* index to insert at (0..n), VTL_RULE_APPEND: at the end */
	__u32 reserved;      /* zero */
	char  text[VTL_RULE_TEXT_MAX]; /* one rule, rules-file syntax, NUL-terminated */
};
_Static_assert(sizeof(struct vtl_ipc_rule_add_req) == 264, "vtl_ipc_rule_add_req");

struct vtl_ipc_rule_del_req {
	__u32 index;
	__u32 id;            /* 0: any; else the rule at index must have this id */
};
_Static_assert(sizeof(struct vtl_ipc_rule_del_req) == 8, "vtl_ipc_rule_del_req");

/* Daemon-wide figures since vtld started. */
struct vtl_ipc_dstats {
	__u64 uptime_ms;
	__u32 sessions_open;     /* now */
	__u32 sessions_max;      /* slots */
	__u64 sessions_total;    /* that reached open, both directions */
	__u64 nego_sent;         /* sessions this host initiated (NEGO sent) */
	__u64 nego_acked;        /* ... the peer accepted */
	__u64 nego_nacked;       /* ... the peer refused (NEGO_NACK) */
	__u64 nego_timeouts;     /* ... nobody answered (or the host answered
	                          * ICMP protocol unreachable: no vtld there) */
	__u64 nego_accepted;     /* peers' NEGOs this host accepted */
	__u64 nego_refused[8];   /* ... refused, by VTL_NR_* reason (index 0 unused) */
	__u64 sessions_aborted;  /* ended by an error (timeout, reset, peer lost) */
	__u64 swaps_started;     /* initiator: swaps asked for */
	__u64 swaps_done;        /* initiator: both ends swapped */
	__u64 swaps_failed;      /* initiator: refused, no answer, or not deployed */
	__u64 swaps_by_peer;     /* responder: the peer swapped us */
	__u64 bytes_tx;          /* payload bytes sent / delivered, all sessions */
	__u64 bytes_rx;
	__u64 pkts_tx;           /* DATA packets stamped by the egress KTF */
	__u64 pkts_retx;         /* retransmitted */
	__u64 pkts_rx;           /* DATA packets accepted by the ingress KTF */
	__u64 ktf_events;        /* events the KTFs posted to vtld (ring buffer):
	                          * ACK advances while vtld had data waiting or a
	                          * close to finish, retransmission requests,
	                          * CLOSE_ACKs; each one is a wake-up */
	__u64 timer_rescues;     /* a window in flight with no KTF timer armed (its
	                          * start failed): vtld resent the oldest packet */
	__u64 retx_waits;        /* a first DATA waited: no retransmission copies */
	__u64 queue_nomem;       /* a send or receive queue could not grow */
	__u32 pool_ok;           /* grafts in the pool */
	__u32 pool_replaced;     /* old builds kept for running sessions */
	__u32 pool_rejected;     /* files rejected (remembered) */
	__u32 pool_max;
	__u32 rules_select;      /* selection rules */
	__u32 rules_adapt;       /* adaptation rules */
	__u32 clients;           /* connections on the control socket, this one included */
	__u32 reserved;
	__u64 cnt_xdp[VTL_CNT_PER_DIR]; /* as in vtl_ipc_status */
	__u64 cnt_tc[VTL_CNT_PER_DIR];
};
_Static_assert(sizeof(struct vtl_ipc_dstats) == 272 + 16 * VTL_CNT_PER_DIR, "vtl_ipc_dstats");

/* graft load, in two steps; vtlctl writes the pool file between them (vtld
 * never writes to its pool: docs/graft-pool.md, "Loading with vtlctl"). */
#define VTL_LOAD_PREPARE 1   /* validate path (anywhere); say where it would go */
#define VTL_LOAD_COMMIT  2   /* path is in the pool now: validate, apply, answer */
#define VTL_LOAD_REPLACE 0x1 /* flags: an existing pool file of that name may be replaced */
struct vtl_ipc_graft_load_req {
	__u32 step;          /* VTL_LOAD_* */
	__u32 flags;         /* VTL_LOAD_REPLACE */
	char  path[VTL_IPC_VERIFY_PATH_MAX]; /* absolute, NUL-terminated */
};
_Static_assert(sizeof(struct vtl_ipc_graft_load_req) == 1032, "vtl_ipc_graft_load_req");

struct vtl_ipc_graft_load {
	struct vtl_ipc_graft_verify v;  /* the validation, as GRAFT_VERIFY; log after */
	char  dest[VTL_IPC_VERIFY_PATH_MAX]; /* the pool file: NAME.o in the pool dir */
	__u32 replaces;      /* 1: dest exists (a build of that name is replaced) */
	__u32 identical;     /* 1: dest already holds these very bytes */
};
_Static_assert(sizeof(struct vtl_ipc_graft_load) == 432 + 1024 + 8, "vtl_ipc_graft_load");

#define VTL_UNLOAD_CHECK  1  /* may NAME leave the pool? answer with its file */
#define VTL_UNLOAD_COMMIT 2  /* its file is gone: drop it from the pool now */
struct vtl_ipc_graft_unload_req {
	__u32 step;          /* VTL_UNLOAD_* */
	__u32 reserved;      /* zero */
	char  name[VTL_IPC_PATH_MAX]; /* graft name, file name or pool path */
};
_Static_assert(sizeof(struct vtl_ipc_graft_unload_req) == 264, "vtl_ipc_graft_unload_req");

struct vtl_ipc_graft_unload {
	char  name[VTL_GRAFT_NAME_MAX];
	__u32 version;
	__u32 reserved;
	__u8  hash[VTL_HASH_LEN];
	char  path[VTL_IPC_VERIFY_PATH_MAX]; /* the pool file */
};
_Static_assert(sizeof(struct vtl_ipc_graft_unload) == 24 + 8 + 32 + 1024, "vtl_ipc_graft_unload");

/* ---- attached streams (type 30, 31) ------------------------------------
 * A client hands vtld a connected stream socket (SCM_RIGHTS, one fd, with
 * ATTACH step 1) and vtld moves the session's bytes between it and the
 * wire itself (docs/architecture.md, "Attached streams"). Sending session: vtld reads
 * the socket until EOF, then closes the session; DONE follows as after
 * SHUTDOWN. Receiving session: after ATTACHED the client writes into the
 * socket whatever DATA it took before, then sends step 2; vtld writes from
 * then on, shuts the socket down for writing after the last byte and sends
 * EOF. A reset or error on the socket aborts the session (ERROR). */
#define VTL_IPC_ATTACH   30 /* c->d  vtl_ipc_attach (+ SCM_RIGHTS fd at step 1) */
#define VTL_IPC_ATTACHED 31 /* d->c  (empty) step 1 done */

#define VTL_ATTACH_FD    1  /* here is the socket (sender: vtld starts reading) */
#define VTL_ATTACH_START 2  /* receiver: earlier DATA is written, vtld may write */
struct vtl_ipc_attach {
	__u32 step;          /* VTL_ATTACH_* */
	__u32 reserved;      /* zero */
};
_Static_assert(sizeof(struct vtl_ipc_attach) == 8, "vtl_ipc_attach");

#endif /* VTL_IPC_H */
