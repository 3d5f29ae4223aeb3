/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Everything that crosses the BPF <-> userspace boundary: map layouts,
 * per-session state, ring-buffer events, counter indexes, drop reasons,
 * graft metadata. Fixed-width types only; sizes are asserted.
 */
#ifndef VTL_SHARED_H
#define VTL_SHARED_H

#include <linux/types.h>
#include "wire.h"

/* ---- sizes ------------------------------------------------------------ */
#define VTL_MAX_SESSIONS     16384  /* slots; slot 0 is the canonical graft */
#define VTL_SLOT_CANONICAL   0
#define VTL_MAX_QUEUES       16     /* XSKMAP entries (one per rx queue) */
#define VTL_RETX_BUFS_DEFAULT 16384 /* retransmission copies, shared pool */
#define VTL_WINDOW_MAX       4096   /* largest window a graft may ask for */
#define VTL_FRAME_MAX        1536   /* largest VTL packet kept for retx (hdr+payload) */
#define VTL_MSS_MAX          (VTL_FRAME_MAX - VTL_HDR_LEN)
#define VTL_RINGBUF_BYTES    (1 << 20)

/* XDP prog-array index = slot * VTL_XDP_ROLES + role */
#define VTL_XDP_ROLE_INGRESS  0  /* DATA, NEGO, CLOSE (receiver side) */
#define VTL_XDP_ROLE_LISTENER 1  /* ACK, NACK, NEGO_ACK/NACK, CLOSE_ACK */
#define VTL_XDP_ROLES         2

/* ---- a peer, as VTL reaches it -----------------------------------------
 * The encapsulation: raw IP protocol 253 (the paper's, the default), or
 * UDP (through NATs and clouds), the same VTL header right after the UDP
 * header. A responder answers in the encapsulation, and to the address
 * and port, it was reached by (behind a NAT: the NAT's). */
#define VTL_ENCAP_RAW        0
#define VTL_ENCAP_UDP        1
#define VTL_UDP_PORT_DEFAULT 4753  /* vtld --encap udp[:PORT]; every VTL host listens on it */
#define VTL_AF_INET          4
#define VTL_AF_INET6         6

struct vtl_peer {
	__u8  family;     /* VTL_AF_INET (addr[0]) or VTL_AF_INET6 */
	__u8  encap;      /* VTL_ENCAP_* */
	__u16 port;       /* UDP: the peer's port, network order; raw: 0 */
	__u32 addr[4];    /* network order */
};
_Static_assert(sizeof(struct vtl_peer) == 20, "vtl_peer");

/* ---- session table: HASH, key = session id (host order) ------------- */
struct vtl_session_key {
	__u32 session_id;
};
_Static_assert(sizeof(struct vtl_session_key) == 4, "vtl_session_key");

struct vtl_session_val {
	__u32 slot;       /* index into vtl_state / prog arrays */
	struct vtl_peer peer; /* frames of the session come only from here */
};
_Static_assert(sizeof(struct vtl_session_val) == 24, "vtl_session_val");

/* ---- per-session state: ARRAY[slot], BPF_F_MMAPABLE ------------------
 * Writers: TC egress KTF (snd_nxt, tx counters), XDP listener (snd_una,
 * rtt, dupacks), XDP ingress (rcv_nxt, ts_recent), vtld (configuration,
 * rcv_acked). vtld reads the rest through the mmap. */
struct vtl_state {
	/* configuration, written by the Launcher before the slot goes live */
	__u32 session_id;
	__u32 peer_addr;
	__u32 active;       /* 1 while the session exists */
	__u32 window;       /* window in packets (graft tunable) */
	__u32 buf_base;     /* first index in vtl_retx owned by this session */
	__u32 buf_count;    /* number of vtl_retx entries owned (>= window) */
	__u32 isn;          /* first sequence number */
	__u32 min_rto_us;
	__u32 max_rto_us;
	__u32 mss;
	/* sender */
	__u32 snd_nxt;      /* next sequence number to stamp */
	__u32 snd_una;      /* oldest unacknowledged sequence number */
	__u32 recover;      /* fast-retransmit episode ends when snd_una >= recover */
	__u32 dupacks;
	__u32 srtt_us;
	__u32 rttvar_us;
	__u32 rto_us;
	__u32 timer_armed;
	__u64 last_progress_ns; /* last ACK advance or send from idle */
	/* receiver */
	__u32 rcv_nxt;      /* next in-order sequence number the KTF accepts */
	__u32 rcv_acked;    /* delivered to vtld: the cumulative ack we advertise */
	__u32 ts_recent;    /* tsval of the last accepted DATA, echoed in our ACKs */
	__u32 close_seq;    /* receiver: seq of CLOSE once seen, else 0 */
	__u32 flags;        /* VTL_SF_* */
	__u32 ev_quiet;     /* vtld: 1 while it needs no VTL_EV_ACK (nothing queued,
	                     * not closing), so the KTF posts none; 0 (the default,
	                     * and all a vtld that predates it writes): post each */
	/* counters (atomically updated) */
	__u64 tx_data;
	__u64 tx_bytes;
	__u64 tx_retx;
	__u64 tx_acks;
	__u64 rx_data;
	__u64 rx_bytes;
	__u64 rx_dup;
	__u64 rx_ooo;
	__u64 rx_acks;
	__u64 rx_dupacks;
	__u64 timeouts;
	__u64 fast_retx;
	__u64 rtt_samples;
	/* congestion control (AIMD TF), in packets */
	__u32 cwnd;
	__u32 ssthresh;
	__u32 cwnd_acc;     /* acked packets counted towards the next +1 */
	__u32 sack_hi;      /* highest sequence number SACKed + 1, or snd_una */
	__u32 sack[VTL_SACK_MAX][2]; /* last SACK blocks received [start, end) */
	/* receiver, partial reliability */
	__u32 isn_rx;       /* the peer's first sequence number */
	__u32 pr_skip;      /* the KTF lets vtld give up holes below this */
	__u32 pr_granted;   /* holes the KTF allowed to give up */
	__u32 rtt_last_us;  /* the latest RTT sample */
	/* reserved: zero, free for the library (they held sr-tlp's probe count
	 * and probe_una, now in its private state: a graft's own mechanism
	 * keeps its state in vtl_priv, not here) */
	__u64 pad1;
	__u32 ts_recent_ack; /* tsval of the peer's last ACK, echoed in our DATA (tsecr);
	                      * apart from ts_recent (its DATA's, echoed in our ACKs)
	                      * as a session carries data both ways */
	/* receiver, delay-bounded partial reliability (tf_sack.h: vtl_rx_hole_age_us) */
	__u32 hole_seq;     /* the delivery point (rcv_acked) hole_ts refers to */
	__u32 hole_ts;      /* peer's tsval of the first packet seen above hole_seq */
	__u32 hole_hi;      /* ... and its sequence number */
	__u32 rtt_min_us;   /* smallest RTT seen through the echo of our ACK stamps in DATA */
	__u32 pr_late;      /* holes given up because they were older than the max delay */
	__u64 timer_at_ns;  /* when the retransmission timer fires next (tf_arq.h) */
	__u64 pad3;
};
_Static_assert(sizeof(struct vtl_state) == 320, "vtl_state is 320 bytes");

#define VTL_SF_CLOSE_SEEN   0x01 /* receiver saw CLOSE */
#define VTL_SF_CLOSE_ACKED  0x02 /* sender saw CLOSE_ACK */
#define VTL_SF_NEGO_ACKED   0x04 /* initiator saw NEGO_ACK */
#define VTL_SF_NEGO_NACKED  0x08 /* initiator saw NEGO_NACK */

/* ---- private state of a graft: ARRAY[slot], map vtl_priv ----------------
 * A graft keeps the per-session state of its own mechanisms here instead of
 * adding fields to vtl_state (ktf/graft.h: VTL_GRAFT_PRIVATE(type) declares
 * its type, at most VTL_PRIV_BYTES, and vtl_priv_of(slot) returns it). The
 * Launcher zeroes data[] and sets owner when a session is added to the slot
 * and whenever another loaded graft object is installed into it; owner is
 * the installed object's load id (its tunable vtl_graft_uid), so a graft
 * whose programs are no longer the slot's (a timer armed before a swap)
 * finds no private state instead of another graft's. */
#define VTL_PRIV_BYTES 256
struct vtl_priv_area {
	__u32 owner;        /* vtl_graft_uid of the graft object that owns data[] */
	__u32 pad;
	__u8  data[VTL_PRIV_BYTES] __attribute__((aligned(8)));
};
_Static_assert(sizeof(struct vtl_priv_area) == 8 + VTL_PRIV_BYTES, "vtl_priv_area");

/* ---- timers: ARRAY[slot], holds a struct bpf_timer ---------------------
 * The userspace view only needs the size; BPF sees struct bpf_timer. */
#define VTL_TIMER_VAL_SIZE 24

/* ---- retransmission copies: ARRAY[buf_base + seq % buf_count] ---------- */
struct vtl_retx_buf {
	__u32 seq;
	__u16 len;          /* bytes of frame[] in use: vtl_hdr + payload */
	__u16 valid;
	__u8  frame[VTL_FRAME_MAX + 4]; /* + room to zero-pad to 4 bytes */
};
_Static_assert(sizeof(struct vtl_retx_buf) == 1548, "vtl_retx_buf");

/* ---- negotiation outcome: HASH, key = session id, pinned as qos_nego ---- */
#define VTL_N_PENDING  0
#define VTL_N_ACCEPT   1
#define VTL_N_REFUSE   2
struct vtl_nego_state {
	__u32 verdict;    /* VTL_N_* */
	__u32 reason;     /* VTL_NR_* */
};
_Static_assert(sizeof(struct vtl_nego_state) == 8, "vtl_nego_state");

/* ---- ring buffer events (KTF -> Data Broker) --------------------------- */
#define VTL_EV_ACK        1  /* snd_una advanced: window opened */
#define VTL_EV_RTO        2  /* retransmission timeout: resend [from, to) */
#define VTL_EV_FAST_RETX  3  /* duplicate acks: resend [from, to) */
#define VTL_EV_CLOSE_ACK  4  /* peer confirmed CLOSE */
#define VTL_EV_NEGO_REPLY 5  /* NEGO_ACK / NEGO_NACK recorded in qos_nego */
#define VTL_EV_PROBE      6  /* loss probe: resend [from, to) once; not a loss
                                signal (no window change, no backoff). Generic:
                                any graft's timer may post it (sr-tlp does) */
struct vtl_event {
	__u32 type;       /* VTL_EV_* */
	__u32 session_id;
	__u32 slot;
	__u32 from;
	__u32 to;
	__u32 pad;
	__u64 ts_ns;
};
_Static_assert(sizeof(struct vtl_event) == 32, "vtl_event");

/* ---- per-CPU scratch handed from a root program to the graft ----------- */
struct vtl_pctx {
	__u32 slot;
	__u32 session_id;
	__u16 l3_off;     /* IP header offset */
	__u16 l4_off;     /* VTL header offset */
	__u16 pay_len;    /* payload length (validated by the root) */
	__u16 encap;      /* VTL_ENCAP_*: a UDP header sits before l4_off */
	__u16 family;     /* VTL_AF_INET (an IPv4 header at l3_off) or VTL_AF_INET6 */
	__u16 pad;
};
_Static_assert(sizeof(struct vtl_pctx) == 20, "vtl_pctx");

/* ---- counters: PERCPU_ARRAY[dir * VTL_CNT_PER_DIR + reason] ------------ */
#define VTL_DIR_XDP 0
#define VTL_DIR_TC  1
#define VTL_CNT_PER_DIR 32

/* Index 0..VTL_DROP_MAX are drop reasons; the rest are pass counters.
 * These numbers are stable: vtlctl prints them by name. */
#define VTL_DROP_NONE            0
#define VTL_DROP_MALFORMED_IP    1  /* bad IHL, total length or a fragment */
#define VTL_DROP_TRUNCATED       2  /* VTL header runs past the frame */
#define VTL_DROP_BAD_VERSION     3
#define VTL_DROP_BAD_LENGTH      4  /* payload length disagrees with IP length */
#define VTL_DROP_BAD_CSUM        5
#define VTL_DROP_UNKNOWN_SESSION 6
#define VTL_DROP_NO_GRAFT        7  /* slot empty: tail call fell through */
#define VTL_DROP_BAD_TYPE        8
#define VTL_DROP_OUT_OF_WINDOW   9
#define VTL_DROP_DUPLICATE       10
#define VTL_DROP_OUT_OF_ORDER    11
#define VTL_DROP_WINDOW_FULL     12
#define VTL_DROP_RETX_MISS       13 /* retransmission copy no longer held */
#define VTL_DROP_HELPER          14 /* a BPF helper failed */
#define VTL_DROP_BAD_HDR_LEN     15
#define VTL_DROP_MAX             15
#define VTL_CNT_PASS_NON_VTL     16 /* not VTL: passed untouched */
#define VTL_CNT_VTL              17 /* parsed VTL packets */
#define VTL_CNT_TO_XSK           18 /* redirected to the Data Broker */
#define VTL_CNT_XDP_TX           19 /* answered in kernel (XDP_TX) */
#define VTL_CNT_STAMPED          20 /* egress packets stamped */
#define VTL_CNT_RETX_FILLED      21 /* retx triggers refilled from copies */
#define VTL_CNT_CONSUMED         22 /* handled in kernel and ended there (ACKs) */
#define VTL_CNT_RETX_SKIPPED     23 /* retx trigger for a SACKed packet: not resent */
#define VTL_CNT_PROBE            24 /* loss probes posted by a KTF timer (TC dir);
                                       generic: any graft that posts VTL_EV_PROBE */
#define VTL_CNT_GIVEUP_LATE      25 /* holes given up as older than the max delay (XDP) */
#define VTL_CNT_TIMER_FAIL       26 /* a KTF could not start its retransmission timer
                                     * (TC; the packet went; vtld's watch resends) */
#define VTL_CNT_MAX              27

/* ---- graft metadata: section ".vtl.meta" of every graft object --------- */
#define VTL_META_MAGIC   0x4d4c5456u /* "VTLM" */
#define VTL_META_VERSION 1
#define VTL_ROLE_EGRESS   0x01 /* TC egress program "vtl_egress" */
#define VTL_ROLE_INGRESS  0x02 /* XDP program "vtl_ingress" */
#define VTL_ROLE_LISTENER 0x04 /* XDP program "vtl_listener" */
struct vtl_graft_meta {
	__u32 magic;          /* VTL_META_MAGIC */
	__u32 meta_version;   /* VTL_META_VERSION */
	char  name[VTL_GRAFT_NAME_MAX];
	__u32 version;
	__u32 services;       /* VTL_SVC_* provided */
	__u32 roles;          /* VTL_ROLE_* present */
	__u32 window_default;
	__u32 window_min;
	__u32 window_max;
	__u32 max_loss_ppm;   /* partial reliability: default loss budget */
	__u32 max_delay_ms;   /* delay-bounded grafts: default max delay, 0 = none */
	__u32 priv_size;      /* bytes of private state (VTL_GRAFT_PRIVATE), <= VTL_PRIV_BYTES;
	                       * 0 = none (and in every object built before it: was reserved) */
	__u32 reserved[3];
};
_Static_assert(sizeof(struct vtl_graft_meta) == 80, "vtl_graft_meta");

#endif /* VTL_SHARED_H */
