/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * vtl-hooker internals. One process per host (per network namespace):
 *   bpf.c    the cgroup, the BPF object and its links
 *   flow.c   a hooked connection: VTL or TCP (happy eyeballs), then pumps
 *   serve.c  VTL streams from peer Hookers: the server side, and the
 *            reverse streams of our own flows
 *   pump.c   byte movers between a TCP socket and a VTL socket
 *   peers.c  what each peer host can do (the capability cache)
 *   ctl.c    the control socket (vtlctl hooker)
 */
#ifndef VTL_HK_H
#define VTL_HK_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <vtl/hooker.h>
#include <vtl/vtl.h>
#include "log.h"

struct hk_opts {
	const char *cgroup;       /* path, or a name under the cgroup2 mount */
	bool root_cgroup;         /* --root-cgroup: hook every process */
	const char *vtl_socket;   /* vtld's control socket; NULL: libvtl's default */
	const char *ctl_path;     /* our control socket */
	const char *pidfile;
	uint16_t vtl_port;        /* VTL service port between Hookers */
	uint16_t listen_port;     /* loopback TCP port (0: the kernel picks) */
	uint16_t ports[16];       /* port filter, host order */
	int nports;
	uint32_t dst_net, dst_mask;  /* network order */
	int race_ms;              /* VTL head start before TCP is tried */
	int nego_ms;              /* VTL negotiation timeout */
	int connect_ms;           /* TCP connect timeout (both sides) */
	int novtl_ttl_s;          /* how long "no VTL there" is believed */
	int listeners;            /* VTL listeners kept open */
	int max_vtl;              /* flows on VTL at once (each holds 2 vtld slots) */
	int lowat;                /* TCP_NOTSENT_LOWAT on hooked sockets (0: none) */
	int rcvbuf;               /* SO_RCVBUF of the loopback listener (0: auto) */
	bool copy_pump;           /* --pump copy: bytes through the Hooker (else
	                           * vtld moves them: vtl_attach) */
	bool disabled;            /* start disabled */
	bool foreground;
	const char *log;          /* "stderr", "syslog", NULL: by foreground */
	int verbose;
};

struct hk {
	struct hk_opts o;
	char cgroup_path[256];
	bool cgroup_made;         /* we created it: remove it at exit if empty */
	struct hooker_bpf *skel;
	struct bpf_link *links[3];
	int listen_fd;            /* loopback TCP listener */
	int ctl_fd;
	uint16_t listen_port;     /* host order */
	atomic_bool stopping;
	_Atomic uint64_t cnt[VTL_HK_U_MAX];
	atomic_uint flows_live;   /* threads still running flows */
	atomic_int vtl_flows;     /* flows holding VTL sessions (both sides) */
};

extern struct hk *hk;

#define hk_cnt_add(i, n) atomic_fetch_add(&hk->cnt[(i)], (uint64_t)(n))

/* Logging: pr_warn/pr_info/pr_debug (lib/log.h), ident "vtl-hooker", to
 * stderr or syslog (--log); debug with -v, libbpf's debug with -vv. */

/* bpf.c */
int hk_bpf_setup(void);          /* cgroup, load, cfg, attach */
void hk_bpf_teardown(void);      /* detach, remove our cgroup */
int hk_bpf_set_enabled(bool on);
bool hk_bpf_enabled(void);
int hk_bpf_lookup_flow(uint32_t addr, uint16_t port, struct vtl_hk_orig *o);
void hk_bpf_novtl(uint32_t addr, int64_t until_ms);  /* 0: remove */
void hk_bpf_counters(__u64 out[VTL_HK_CNT_MAX], __u64 *live);

/* flow.c: takes ownership of the accepted fd */
void hk_flow_start(int fd);

/* flow.c: a place among --max-vtl-flows */
bool hk_vtl_slot_get(void);
void hk_vtl_slot_put(void);

/* serve.c */
int hk_serve_start(void);        /* the VTL listener threads */
struct hk_waiter {                /* a flow waiting for its reverse stream */
	uint64_t id;
	struct vtl_sock *s;
	uint32_t status;
	bool done;
	struct hk_waiter *next;
};
void hk_reply_expect(struct hk_waiter *w, uint64_t flow_id);
/* The reverse stream of w's flow, or NULL after timeout_ms or as soon as
 * watch_fd (the forward stream's vtl_fd, or -1) has news. */
struct vtl_sock *hk_reply_wait(struct hk_waiter *w, int timeout_ms, uint32_t *status,
			       int watch_fd);
int hk_recv_exact(struct vtl_sock *s, void *buf, size_t n, int timeout_ms);
struct vtl_sock *hk_vtl_connect(const char *peer, uint16_t port, uint16_t app_port, int *err);

/* flows.c: the registry of open flows (vtlctl hooker flows) */
struct hk_flowrec {
	struct vtl_hk_flow f;     /* fixed fields; bytes and age filled at listing */
	_Atomic uint64_t up, down;
	struct vtl_sock *v_up, *v_down;  /* attached sessions: bytes are vtld's */
	int64_t start_ms;
	struct hk_flowrec *prev, *next;
};
void hk_flow_register(struct hk_flowrec *r);
void hk_flow_unregister(struct hk_flowrec *r);
void hk_flow_set_path(struct hk_flowrec *r, uint8_t path);
/* Attached sessions (NULL, NULL: no longer; before they are closed). */
void hk_flow_set_vtl(struct hk_flowrec *r, struct vtl_sock *up, struct vtl_sock *down);
int hk_flow_snapshot(struct vtl_hk_flow *out, int max, uint32_t *total);

/* pump.c: both directions of one flow; takes ownership of everything. */
struct hk_pipe {
	int fd;                   /* the TCP socket (application or server) */
	struct vtl_sock *out;     /* fd's bytes go here (SEND) */
	struct vtl_sock *in;      /* its bytes go to fd (RECV) */
	_Atomic uint64_t *fd_out[2];  /* counters for fd -> out bytes (global, flow) */
	_Atomic uint64_t *in_fd[2];   /* counters for in -> fd bytes */
	const char *who;          /* for logs */
	struct hk_flowrec *rec;   /* its record in the registry */
	bool server;              /* fd is the server's: out carries bytes down */
	uint64_t flow_id;
};
void hk_pump_vtl(struct hk_pipe *p);
void hk_pump_tcp(int a, int b, struct hk_flowrec *r);  /* plain TCP splice */
int hk_connect_tcp(uint32_t addr, uint16_t port, int timeout_ms);  /* -errno */
void hk_reset_fd(int fd);        /* close with RST */

/* peers.c */
int hk_peer_state(uint32_t addr);        /* VTL_HK_PEER_* */
void hk_peer_result(uint32_t addr, int err, bool via_vtl);
int hk_peer_snapshot(struct vtl_hk_peer *out, int max);

/* ctl.c */
int hk_ctl_open(void);
int hk_ctl_start(void);          /* the thread that answers vtlctl */
void hk_ctl_close(void);

int64_t hk_now_ms(void);
int64_t hk_now_us(void);

#endif
