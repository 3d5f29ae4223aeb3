/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The session layer (the Control Broker): opening a session, choosing its
 * graft through the rules, negotiating it with the peer (NEGO, NEGO_ACK,
 * NEGO_NACK), deploying it through the Launcher, swapping it later
 * (swap.c) on an operator's request or an adaptation rule the NetMonitor
 * (netmon.c) found true, and ending it. Above the transport, below the
 * application layer:
 *
 *   session.c  a session's birth and end, and what it leaves behind
 *   nego.c     initiator and responder sides of the negotiation
 *   swap.c     renegotiation of a running session's graft
 *   netmon.c   RTT, loss and goodput per session; adaptation rules
 *
 * struct session is split into the parts each layer owns: the transport's
 * struct tp_sess, this layer's negotiation, swap and monitor parts, and
 * an opaque owner that belongs to the application layer, which this layer
 * reaches only through struct sess_app.
 */
#ifndef VTLD_SESSION_H
#define VTLD_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <vtl/ipc.h>
#include <vtl/shared.h>
#include <vtl/wire.h>
#include "config.h"
#include "launcher.h"
#include "pool.h"
#include "rules.h"
#include "transport.h"

#define container_of(p, type, member) ((type *)((char *)(p) - offsetof(type, member)))

/* What the application asked for (the adaptation rules read it). */
struct sess_req {
	__u32 services;
	__u32 max_delay_ms;
	__u32 min_tput_kbps;
	__u32 max_loss_ppm;
};

/* nego.c: the negotiation in flight (initiator) and what was agreed */
struct sess_nego {
	struct vtl_nego msg;       /* what we sent (initiator) or answered (responder) */
	__u64 deadline_ns;         /* initiator: give up then */
	__u64 next_ns;             /* ... and send NEGO again then */
	__u32 gap_ms;
};

/* swap.c: a swap in flight (initiator) and the history */
struct sess_swap {
	struct graft_inst *gi;     /* initiator: swapping to this */
	struct pool_graft *pg;
	__u32 loss_ppm;
	struct vtl_nego msg;
	__u64 next_ns, deadline_ns;
	__u32 gap_ms;
	struct vtl_ipc_swap_rec rec[VTL_SWAP_HISTORY];
	__u32 n;                   /* swaps so far (rec[] keeps the last ones) */
	__u64 last_ns;
};

/* netmon.c: the NetMonitor's figures and the adaptation rule in force */
struct sess_mon {
	struct vtl_ipc_monitor fig;
	__u64 t_ns, tx, retx, una, rx_bytes;   /* at the last period */
	__u64 adapt_since_ns;      /* an adaptation rule has held since */
	__u32 adapt_id;            /* ... that rule (struct rule.id) */
};

struct session {
	struct tp_sess tp;         /* the transport's part */
	struct pool_graft *pg;     /* the graft it runs */
	struct graft_inst *gi;
	__u32 max_loss_ppm;        /* partial reliability's budget, else 0 */
	__u32 max_delay_ms;        /* delay-bounded graft's max delay, else 0 */
	__u16 port;                /* the responder's listener */
	__u32 isn_tx, isn_rx;
	struct sess_req req;
	struct sess_nego ng;
	struct sess_swap sw;
	struct sess_mon mon;
	void *owner;               /* the application layer's (a client), or NULL */
};

static inline struct session *sess_of(struct tp_sess *t)
{
	return container_of(t, struct session, tp);
}

/* What the session layer tells the application layer (app.c), set by
 * main.c. owner is what nego_connect was given, or what listener()
 * returned. */
struct sess_app {
	/* the owner listening on port that takes a new session, or NULL */
	void *(*listener)(void *ctx, __u16 port);
	/* negotiated: data may flow (s->owner is set) */
	void (*opened)(void *ctx, struct session *s);
	/* the peer has every byte of s (the sender's close is confirmed) */
	void (*finished)(void *ctx, struct session *s, const struct vtl_ipc_stats *st);
	/* s ends with an error (code -VTL_E_* or -errno) */
	void (*failed)(void *ctx, struct session *s, int code, const char *why);
	/* s is going away now: forget it */
	void (*released)(void *ctx, struct session *s);
};

/* Last figures measured per peer, for the next choice of graft. */
struct peer_fig {
	struct vtl_peer addr;      /* the host (encapsulation and port aside) */
	__u32 srtt_us;
	__u32 loss_ppm;
	__u64 when_ns;
};

struct nego {
	struct transport *tp;
	struct launcher *l;
	struct pool *pool;
	struct rules *rules;
	const struct vtld_config *cfg;
	__u32 mss;                 /* local maximum payload per DATA */
	struct graft_inst *canon;  /* the canonical graft (slot 0, and new sessions) */
	struct peer_fig peers[64];
	const struct sess_app *app;
	void *app_ctx;
	/* daemon-wide counters this layer keeps (vtlctl stats); bytes and
	 * packets are those of ended sessions */
	struct vtl_ipc_dstats st;
	__u64 retx_waits;          /* a first DATA found the copy pool empty */
};

/* ---- session.c ---- */
void nego_init(struct nego *ng, struct transport *tp, struct launcher *l, struct pool *pool,
	       struct rules *rules, const struct vtld_config *cfg, __u32 mss,
	       struct graft_inst *canon);
void nego_set_app(struct nego *ng, const struct sess_app *app, void *ctx);
struct session *session_new(struct nego *ng, __u32 id);
bool session_id_used(struct nego *ng, __u32 id);
struct session *session_by_id(struct nego *ng, __u32 id);
static inline struct session *session_at(struct nego *ng, __u32 slot)
{
	struct tp_sess *t = tp_sess_at(ng->tp, slot);

	return t ? sess_of(t) : NULL;
}
/* End s now: its slot, state, graft reference and memory are released. */
void session_end(struct nego *ng, struct session *s);
/* End s with an error: the owner hears why; reset_peer sends a RESET. */
void session_abort(struct nego *ng, struct session *s, int code, const char *why,
		   bool reset_peer);
/* Our direction of s is over (the peer confirmed our CLOSE). */
void session_done(struct nego *ng, struct session *s);
/* s sends its first DATA: retransmission copies (the transport's tx_begin). */
int session_tx_begin(struct nego *ng, struct session *s);
/* The owner went away (its connection closed). */
void session_owner_gone(struct nego *ng, struct session *s);
/* What the graft provides decides how the transport moves its data. */
void sess_set_services(struct session *s, const struct pool_graft *pg, __u32 max_loss_ppm);
/* A delay-bounded graft gets the application's max delay, or its default. */
__u32 sess_max_delay(const struct pool_graft *pg, __u32 requested_ms);
/* vtlctl status / session show: one session's line. */
void session_info(const struct session *s, struct vtl_ipc_session_info *si);
/* What the last sessions to addr measured, or NULL. */
const struct peer_fig *nego_peer_fig(struct nego *ng, const struct vtl_peer *addr);

/* ---- nego.c ---- */
/* OPEN CONNECT from owner: choose, load and negotiate a graft. Returns 0
 * (*out is the new session, NEGO sent), -code with err when nothing was
 * created, or 1 when the session was created and failed at once (the
 * owner was told through sess_app.failed). */
int nego_connect(struct nego *ng, void *owner, const struct vtl_ipc_open *o,
		 struct session **out, char *err, size_t errlen);
/* Load a graft with its default tunables ahead of any session. */
void nego_prewarm(struct nego *ng, struct pool_graft *pg);
/* From the transport: a NEGO, a reply, ICMP protocol unreachable. */
void nego_on_nego(struct nego *ng, const struct vtl_peer *from, const struct vtl_hdr *h,
		  const void *pay,
		  __u32 len);
void nego_on_reply(struct nego *ng, const struct vtl_peer *from, const struct vtl_hdr *h,
		   const void *pay,
		   __u32 len);
void nego_on_unreachable(struct nego *ng, const struct vtl_peer *peer, __u32 sid);
/* Every LOOP_TICK_MS: NEGO retransmissions and deadlines; the NetMonitor
 * and swaps of open sessions. */
void nego_tick(struct nego *ng);

/* ---- swap.c ---- */
int swap_start(struct nego *ng, struct session *s, const char *graft, __u32 max_loss_ppm,
	       __u32 cause, int rule_line, char *err, size_t errlen);
void swap_on_nego(struct nego *ng, struct session *s, const struct vtl_nego *n);
void swap_on_reply(struct nego *ng, struct session *s, const struct vtl_hdr *h,
		   const struct vtl_nego *n);
void swap_tick(struct nego *ng, struct session *s, __u64 now);
void swap_abandon(struct nego *ng, struct session *s);

/* ---- netmon.c ---- */
void netmon_tick(struct nego *ng, struct session *s, __u64 now);
void netmon_show(const struct session *s, struct vtl_ipc_session_show *o);

#endif
