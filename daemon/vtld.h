/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* vtld's shared state and the functions the modules offer each other. */
#ifndef VTLD_H
#define VTLD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>
#include <vtl/ipc.h>
#include <vtl/shared.h>
#include <vtl/wire.h>
#include "bytebuf.h"
#include "config.h"
#include "launcher.h"
#include "pool.h"
#include "rules.h"

struct vtld;

/* epoll dispatch: every registered fd carries one of these */
typedef void (*ep_fn)(struct vtld *d, void *obj, __u32 events);
struct ep_item {
	ep_fn fn;
	void *obj;
};
int ep_add(struct vtld *d, int fd, __u32 events, struct ep_item *it);
int ep_mod(struct vtld *d, int fd, __u32 events, struct ep_item *it);
void ep_del(struct vtld *d, int fd);

enum sess_state {
	S_NEGOTIATING = VTL_SESS_NEGOTIATING,
	S_OPEN = VTL_SESS_OPEN,
	S_CLOSING = VTL_SESS_CLOSING,  /* sender: CLOSE sent; receiver: lingering */
	S_CLOSED = VTL_SESS_CLOSED,
};

#define SESS_TXQ_BYTES (4u << 20)
#define SESS_RXQ_BYTES (8u << 20)

struct client;

struct session {
	__u32 id;
	__u32 slot;
	__u32 peer_addr;           /* network order */
	enum sess_state state;
	bool initiator;
	bool reliable;             /* windowed ARQ with ACKs (reliable or partial) */
	bool cc;                   /* the graft runs AIMD: respect cwnd */
	bool partial;              /* the graft may give packets up (pr) */
	__u32 max_loss_ppm;
	__u32 max_delay_ms;        /* delay-bounded graft's max delay, else 0 */
	struct client *cl;
	struct pool_graft *pg;
	struct graft_inst *gi;
	__u32 window;
	__u32 mss;
	__u32 isn_tx, isn_rx;
	__u16 port;
	struct vtl_nego nego;      /* what we sent (initiator) or answered (responder) */
	/* negotiation */
	__u64 nego_deadline_ns, nego_next_ns;
	__u32 nego_gap_ms;
	/* sending */
	struct bytebuf txq;
	bool app_shut;
	bool close_sent;
	__u64 close_next_ns;
	__u32 close_gap_ms;
	/* receiving */
	__u32 rx_nxt;
	struct bytebuf rxq;
	__u8 *rob;                 /* reorder buffer: window slots of mss bytes */
	__u16 *rob_len;            /* payload length + 1 per slot, 0 = empty */
	__u32 rob_hi;              /* highest sequence number held + 1 */
	__u64 lost;                /* packets given up (partial reliability) */
	bool ack_needed;
	bool peer_closed;          /* CLOSE seen and everything before it taken */
	bool eof_sent;
	__u64 linger_until_ns;
	/* what the application asked for (adaptation rules read it) */
	__u32 req_services;
	__u32 req_max_delay_ms, req_min_tput_kbps, req_max_loss_ppm;
	/* NetMonitor (netmon.c) */
	struct vtl_ipc_monitor mon;
	__u64 mon_t_ns, mon_tx, mon_retx, mon_una, mon_rx_bytes;
	/* graft swap (swap.c) */
	struct graft_inst *swap_gi;   /* initiator: pending swap to this */
	struct pool_graft *swap_pg;
	__u32 swap_loss_ppm;
	struct vtl_nego swap_nego;
	__u64 swap_next_ns, swap_deadline_ns;
	__u32 swap_gap_ms;
	struct vtl_ipc_swap_rec swaps[VTL_SWAP_HISTORY];
	__u32 n_swaps;
	__u64 last_swap_ns;
	__u64 adapt_since_ns;         /* an adaptation rule has held since */
	__u32 adapt_id;               /* ... that rule (struct rule.id) */
	/* bookkeeping */
	__u64 t_open_ns;
	__u64 last_progress_ns;
	__u64 keepalive_ns;        /* sender: last keepalive sent */
	__u64 rx_seen;             /* receiver: KTF packet counters last seen */
	__u64 bytes_tx, bytes_rx;
	__u64 dup_rx, gap_rx;
};

enum client_state { CL_NEW, CL_LISTEN, CL_CONNECTING, CL_SESSION, CL_DONE };

struct client {
	struct ep_item ep;
	int fd;
	enum client_state state;
	__u16 port;
	bool shared;               /* LISTEN with VTL_OPEN_F_SHARED */
	bool nodelay;              /* VTL_OPEN_F_NODELAY: no Nagle on this session */
	struct session *s;
	bool rd_paused;            /* not reading: session tx queue full */
	bool wr_waiting;           /* EPOLLOUT armed: app not reading */
	int sfd;                   /* attached stream (stream.c), -1: none */
	struct ep_item sep;
	bool s_polled;             /* sfd is in the epoll set */
	bool s_held;               /* receiver: attached, waiting for START */
	struct client *next;
	__u8 *buf;                 /* receive buffer, VTL_IPC_MAX_MSG + 1 */
};

struct data_broker;

struct vtld {
	struct vtld_config cfg;
	int ifindex;
	__u32 mtu;
	__u32 mss;                 /* local maximum payload per DATA */
	int epfd;
	struct launcher l;
	struct pool pool;
	struct rules rules;
	struct peer_fig {
		__u32 addr;
		__u32 srtt_us;
		__u32 loss_ppm;
		__u64 when_ns;
	} peers[64];               /* last figures measured per peer */
	struct graft_inst *canon;
	struct pool_watch *pw;     /* pool_watch.c: inotify + validation thread */
	struct data_broker *db;
	int listen_fd;
	struct ep_item listen_ep;
	int sig_fd;
	struct ep_item sig_ep;
	int tick_fd;
	struct ep_item tick_ep;
	struct client *clients;
	struct session *slots[VTL_MAX_SESSIONS];
	bool stop;
	__u64 start_ns;
	/* daemon-wide counters (vtlctl stats): the session figures here are
	 * those of ended sessions; ctl_ipc.c adds the live ones */
	struct vtl_ipc_dstats stats;
};

__u64 now_ns(void);

/* ---- session.c ---- */
struct session *session_new(struct vtld *d, __u32 id);
struct session *session_by_id(struct vtld *d, __u32 id);
void session_free(struct vtld *d, struct session *s);
int session_rob_alloc(struct session *s);
bool session_id_used(struct vtld *d, __u32 id);

/* ---- data_broker.c ---- */
int db_open(struct vtld *d);
void db_close(struct vtld *d);
int db_nqueues(const struct vtld *d);
void db_send_data(struct vtld *d, struct session *s);
int db_send_ctrl(struct vtld *d, __u32 peer, __u32 sid, __u8 type, __u32 seq, __u32 ack,
		 const void *payload, __u16 len);
void db_retransmit(struct vtld *d, struct session *s, __u32 from, __u32 to);
void db_flush_rx(struct vtld *d, struct session *s);
void db_kick_all(struct vtld *d);

/* ---- control_broker.c ---- */
void cb_open(struct vtld *d, struct client *c, const struct vtl_ipc_open *o);
void cb_prewarm(struct vtld *d, struct pool_graft *pg);
void cb_set_services(struct session *s, const struct pool_graft *pg, __u32 max_loss_ppm);
__u32 cb_max_delay(const struct pool_graft *pg, __u32 requested_ms);
void cb_on_nego(struct vtld *d, __u32 saddr, const struct vtl_hdr *h, const void *pay, __u32 len);
void cb_on_nego_reply(struct vtld *d, __u32 saddr, const struct vtl_hdr *h, const void *pay,
		      __u32 len);
void cb_on_close(struct vtld *d, struct session *s, __u32 seq);
void cb_on_close_ack(struct vtld *d, struct session *s);
void cb_on_reset(struct vtld *d, struct session *s);
void cb_on_progress(struct vtld *d, struct session *s);
void cb_maybe_close(struct vtld *d, struct session *s);
void cb_app_shutdown(struct vtld *d, struct session *s);
void cb_app_gone(struct vtld *d, struct session *s);
void cb_abort(struct vtld *d, struct session *s, int code, const char *why, bool reset_peer);
void cb_tick(struct vtld *d);
void cb_on_unreachable(struct vtld *d, __u32 peer, __u32 sid);
void cb_session_stats(struct vtld *d, struct session *s, struct vtl_ipc_stats *st);

/* ---- pool_watch.c ---- */
int pool_watch_open(struct vtld *d);
void pool_watch_close(struct vtld *d);
void pool_ipc_list(struct vtld *d, struct client *c, const void *body, __u32 len);
void pool_ipc_verify(struct vtld *d, struct client *c, const void *body, __u32 len);
/* Validate path on the pool worker for a client's request; the result
 * goes to the client (PW_VERIFY) or to pool_ctl.c (PW_LOAD_*). */
enum pw_kind { PW_FILE, PW_VERIFY, PW_LOAD_PREPARE, PW_LOAD_COMMIT };
void pool_watch_request(struct vtld *d, struct client *c, const char *path, enum pw_kind kind,
			__u32 flags);
/* A report as GRAFT_VERIFY carries it; the log tail goes to log (may be
 * NULL; room for VTL_IPC_VERIFY_LOG_MAX). Returns the log's length. */
size_t pool_report_ipc(const struct graft_report *r, struct vtl_ipc_graft_verify *v, void *log);
/* pool_ctl.c: vtlctl graft load|unload */
void pool_load_prepared(struct vtld *d, struct client *c, const char *path, __u32 flags,
			const struct graft_report *r);
void pool_load_committed(struct vtld *d, struct client *c, const char *path,
			 const struct graft_report *r, bool applied);
void pool_ipc_load(struct vtld *d, struct client *c, const void *body, __u32 len);
void pool_ipc_unload(struct vtld *d, struct client *c, const void *body, __u32 len);

/* ---- swap.c ---- */
int swap_start(struct vtld *d, struct session *s, const char *graft, __u32 max_loss_ppm,
	       __u32 cause, int rule_line, char *err, size_t errlen);
void swap_on_nego(struct vtld *d, struct session *s, const struct vtl_nego *n);
void swap_on_reply(struct vtld *d, struct session *s, const struct vtl_hdr *h,
		   const struct vtl_nego *n);
void swap_tick(struct vtld *d, struct session *s, __u64 now);
void swap_abandon(struct vtld *d, struct session *s);

/* ---- netmon.c ---- */
void netmon_tick(struct vtld *d, struct session *s, __u64 now);
void netmon_show(struct vtld *d, struct session *s, struct vtl_ipc_session_show *o);

/* ---- ctl_ipc.c: vtlctl rule list|add|del, stats ---- */
void ctl_ipc_rules(struct vtld *d, struct client *c, const struct vtl_ipc_hdr *h,
		   const void *body);
void ctl_ipc_stats(struct vtld *d, struct client *c, const void *body, __u32 len);
void ctl_fill_session_info(struct vtld *d, const struct session *s,
			   struct vtl_ipc_session_info *si);

/* ---- stream.c: attached streams ---- */
void stream_attach(struct vtld *d, struct client *c, const void *body, __u32 len, int *fdp);
void stream_pull(struct vtld *d, struct session *s);
void stream_resume(struct vtld *d, struct session *s);
ssize_t stream_write(struct vtld *d, struct session *s, const void *p, size_t n);
void stream_eof(struct vtld *d, struct session *s);
void stream_close(struct vtld *d, struct client *c);
bool stream_held(const struct client *c);

/* ---- ipc.c ---- */
int ipc_open(struct vtld *d);
void ipc_close(struct vtld *d);
int client_send(struct client *c, __u16 type, const void *body, __u32 len);
int ipc_n_clients(void);
int client_send_error(struct client *c, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void client_pause_read(struct vtld *d, struct client *c, bool pause);
void client_want_write(struct vtld *d, struct client *c, bool want);

#endif
