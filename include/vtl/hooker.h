/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The Hooker: what crosses between hooker.bpf.c and vtl-hooker (maps),
 * what two Hookers say to each other at the start of a VTL stream (the
 * flow header), and vtl-hooker's control socket (vtlctl hooker).
 * Fixed-width types only; sizes are asserted. See docs/hooker.md.
 */
#ifndef VTL_HOOKER_H
#define VTL_HOOKER_H

#include <linux/types.h>

/* ---- maps (hooker.bpf.c <-> vtl-hooker) ------------------------------ */

/* hk_cfg: ARRAY[1]. Written by vtl-hooker before it attaches. */
struct vtl_hk_cfg {
	__u32 enabled;       /* 0: connect4 diverts nothing (vtlctl hooker disable) */
	__u32 hooker_addr;   /* where hooked connects go, IPv4 network order (127.0.0.1) */
	__u16 hooker_port;   /* network order */
	__u16 port_filter;   /* 1: only destination ports present in hk_ports */
	__u32 hooker_tgid;   /* vtl-hooker's own connects are never diverted */
	__u64 netns_cookie;  /* only sockets of vtl-hooker's network namespace */
	__u32 dst_net;       /* destination filter, network order; dst_mask 0 = any */
	__u32 dst_mask;
	__u32 notsent_lowat; /* TCP_NOTSENT_LOWAT set on hooked sockets, 0: untouched */
	__u32 pad;
};
_Static_assert(sizeof(struct vtl_hk_cfg) == 40, "vtl_hk_cfg");

/* hk_orig: SK_STORAGE on the application's socket (set by connect4, read
 * by getpeername4 and sock_ops); hk_flows: LRU_HASH keyed by the
 * application socket's local address, so vtl-hooker can find the real
 * destination of a connection it accepted. */
struct vtl_hk_orig {
	__u32 daddr;         /* the destination the application asked for, network order */
	__u16 dport;         /* network order */
	__u16 pad;
	__u64 cookie;        /* socket cookie of the application's socket */
	__u64 pid_tgid;      /* who connected (for logs and vtlctl hooker show) */
};
_Static_assert(sizeof(struct vtl_hk_orig) == 24, "vtl_hk_orig");

struct vtl_hk_flow_key {
	__u32 addr;          /* application socket's local address, network order */
	__u16 port;          /* its local port, network order */
	__u16 pad;
};
_Static_assert(sizeof(struct vtl_hk_flow_key) == 8, "vtl_hk_flow_key");

/* hk_socks: SOCKHASH of the hooked applications' sockets, keyed by their
 * 4-tuple. The kernel drops an entry when its socket closes, so the keys
 * are the live hooked connections. */
struct vtl_hk_tuple {
	__u32 saddr, daddr;  /* network order */
	__u16 sport, dport;  /* network order */
};
_Static_assert(sizeof(struct vtl_hk_tuple) == 12, "vtl_hk_tuple");

/* hk_novtl: HASH of peer hosts known to lack VTL (vtl-hooker's capability
 * cache), key: IPv4 address, network order; value: until when, in
 * CLOCK_MONOTONIC ns (bpf_ktime_get_ns()). connect4 leaves a connect() to
 * such a peer alone: plain TCP, with no relay through vtl-hooker. */
#define VTL_HK_NOVTL_MAX  64

/* hk_stats: PERCPU_ARRAY indexes */
enum {
	VTL_HK_CNT_DIVERTED,      /* connect()s sent to vtl-hooker */
	VTL_HK_CNT_FILTERED,      /* TCP connect()s left alone by a filter */
	VTL_HK_CNT_NO_STORAGE,    /* could not record the destination: left alone */
	VTL_HK_CNT_ESTABLISHED,   /* diverted sockets that reached ESTABLISHED */
	VTL_HK_CNT_PEERNAME,      /* getpeername() answers rewritten */
	VTL_HK_CNT_DIRECT,        /* connect()s to a peer cached as lacking VTL:
	                           * left alone (plain TCP, no relay) */
	VTL_HK_CNT_MAX
};

/* ---- flow header: first bytes of each VTL stream between Hookers ------ */
#define VTL_HK_MAGIC      0x4b484c56u  /* "VLHK" read as little-endian bytes */
#define VTL_HK_VERSION    1
#define VTL_HK_OPEN       1  /* initiator -> peer: connect to daddr:dport */
#define VTL_HK_REPLY      2  /* peer -> initiator: the reverse stream of flow_id */

struct vtl_hk_hello {
	__be32 magic;        /* VTL_HK_MAGIC */
	__u8   version;      /* VTL_HK_VERSION */
	__u8   kind;         /* VTL_HK_OPEN / VTL_HK_REPLY */
	__be16 reply_port;   /* OPEN: VTL service port the reverse stream goes to */
	__be64 flow_id;      /* chosen by the initiator, echoed in REPLY */
	__be32 daddr;        /* OPEN: the real destination (must be local to the peer) */
	__be16 dport;
	__be16 sport;        /* OPEN: the application's source port (logs only) */
	__be32 saddr;        /* OPEN: the application's address (logs only) */
	__be32 status;       /* REPLY: 0 = connected to the server, else an errno */
};
_Static_assert(sizeof(struct vtl_hk_hello) == 32, "vtl_hk_hello");

/* ---- control socket (vtlctl hooker) ---------------------------------- */
#define VTL_HK_CTL_MAGIC   0x4b43484bu   /* "KHCK" */
#define VTL_HK_CTL_PATH    "/run/vtl/hooker.sock"
#define VTL_HK_REQ_SHOW    1
#define VTL_HK_REQ_ENABLE  2
#define VTL_HK_REQ_DISABLE 3
#define VTL_HK_REQ_FLOWS   4  /* answer: struct vtl_hk_flows + n x vtl_hk_flow */

struct vtl_hk_req {
	__u32 magic;         /* VTL_HK_CTL_MAGIC */
	__u32 op;            /* VTL_HK_REQ_* */
};
_Static_assert(sizeof(struct vtl_hk_req) == 8, "vtl_hk_req");

#define VTL_HK_MAX_PEERS 16

struct vtl_hk_peer {
	__u32 addr;          /* network order */
	__u32 state;         /* VTL_HK_PEER_* */
	__u32 expires_ms;    /* NOVTL: ms until VTL is tried again */
	__u32 flows;         /* flows carried over VTL to this peer */
	__u32 fallbacks;     /* flows that fell back to TCP */
	__u32 last_err;      /* last VTL error (negative VTL_E_* or errno), 0 none */
};
_Static_assert(sizeof(struct vtl_hk_peer) == 24, "vtl_hk_peer");

#define VTL_HK_PEER_UNKNOWN 0
#define VTL_HK_PEER_VTL     1  /* the last negotiation succeeded */
#define VTL_HK_PEER_NOVTL   2  /* no VTL there: straight to TCP until expiry */

/* Counters kept by vtl-hooker (userspace side). */
enum {
	VTL_HK_U_ACCEPTED,        /* hooked connections accepted */
	VTL_HK_U_VTL,             /* carried over VTL */
	VTL_HK_U_TCP_FALLBACK,    /* tried VTL, carried over TCP */
	VTL_HK_U_TCP_CACHED,      /* peer known to lack VTL: TCP at once (a
	                           * connect() diverted before hk_novtl knew) */
	VTL_HK_U_TCP_NO_VTLD,     /* no local vtld: TCP */
	VTL_HK_U_TCP_BUSY,        /* --max-vtl-flows reached: TCP */
	VTL_HK_U_FAILED,          /* neither path reached the server */
	VTL_HK_U_SERVED,          /* flows accepted from peer Hookers */
	VTL_HK_U_RESETS,          /* flows that ended in a reset */
	VTL_HK_U_BYTES_UP,        /* application -> server bytes */
	VTL_HK_U_BYTES_DOWN,      /* server -> application bytes */
	VTL_HK_U_ACTIVE,          /* flows open now (a gauge) */
	VTL_HK_U_MAX
};

struct vtl_hk_status {
	__u32 magic;         /* VTL_HK_CTL_MAGIC; 0 in an error reply */
	__s32 error;         /* 0, or -errno for a refused request */
	__u32 pid;
	__u32 enabled;
	__u16 listen_port;   /* loopback TCP port hooked connects land on (host order) */
	__u16 vtl_port;      /* VTL service port (host order) */
	__u32 npeers;
	__u32 dst_net, dst_mask;  /* network order */
	__u32 nports;
	__u32 pad;
	__u16 ports[16];     /* host order, the port filter (empty: all) */
	char  cgroup[256];   /* the hooked cgroup's path */
	__u64 bpf[VTL_HK_CNT_MAX];
	__u64 user[VTL_HK_U_MAX];
	__u64 live;          /* entries in hk_socks now */
	struct vtl_hk_peer peers[VTL_HK_MAX_PEERS];
	char  msg[128];      /* error text */
};
_Static_assert(sizeof(struct vtl_hk_status) ==
	       4 * 10 + 32 + 256 + 8 * (VTL_HK_CNT_MAX + VTL_HK_U_MAX + 1) +
	       24 * VTL_HK_MAX_PEERS + 128, "vtl_hk_status");

/* One hooked connection, as VTL_HK_REQ_FLOWS lists it. */
#define VTL_HK_MAX_FLOWS   256
#define VTL_HK_SIDE_CLIENT 1  /* the application is on this host */
#define VTL_HK_SIDE_SERVER 2  /* served for a peer Hooker: the server is here */
#define VTL_HK_PATH_NEGO   0  /* choosing */
#define VTL_HK_PATH_VTL    1
#define VTL_HK_PATH_TCP    2

struct vtl_hk_flow {
	__u64 id;            /* flow id (the same on both hosts) */
	__u64 bytes_up;      /* application -> server, so far */
	__u64 bytes_down;    /* server -> application */
	__u32 age_ms;
	__u32 peer;          /* the other host, network order */
	__u32 app_addr;      /* the application's address, network order */
	__u32 daddr;         /* the real destination, network order */
	__u16 app_port;      /* host order */
	__u16 dport;         /* host order */
	__u8  side;          /* VTL_HK_SIDE_* */
	__u8  path;          /* VTL_HK_PATH_* */
	__u16 pad;
};
_Static_assert(sizeof(struct vtl_hk_flow) == 48, "vtl_hk_flow");

struct vtl_hk_flows {
	__u32 magic;         /* VTL_HK_CTL_MAGIC */
	__s32 error;         /* always 0 (errors come as a vtl_hk_status) */
	__u32 n;             /* entries that follow */
	__u32 total;         /* flows open (n is at most VTL_HK_MAX_FLOWS) */
};
_Static_assert(sizeof(struct vtl_hk_flows) == 16, "vtl_hk_flows");

#endif /* VTL_HOOKER_H */
