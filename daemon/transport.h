/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The transport layer: each session's sending and receiving state
 * machines, in userspace terms. What the grafts decide in the kernel
 * (what to accept, acknowledge, retransmit, give up) arrives as the KTF
 * state (struct vtl_state, read through the Launcher's mmap) and as
 * events; this layer does the rest:
 *   sending    the send queue, how much may go now (window, cwnd, Nagle),
 *              retransmission triggers for the KTF's requests, the close
 *              handshake (CLOSE until CLOSE_ACK), keepalives   tp_send.c
 *   receiving  in-order delivery through the reorder buffer, partial
 *              reliability's skipping, ACK + SACK building, the peer's
 *              close, lingering                               tp_recv.c
 *   life       the session table, peer timeout, the tick      tp_life.c
 *
 * It has no sockets and makes no system calls: frames leave through the
 * wire operations it is given (struct tp_wire; wire.c, or a fake in
 * tests), time comes from its clock, and what the layers above must know
 * (data to deliver, room to write, a session that ended, a NEGO) goes up
 * through struct tp_up. So it runs unchanged under a fake wire and clock
 * (tests/unit_transport.c).
 */
#ifndef VTLD_TRANSPORT_H
#define VTLD_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/uio.h>
#include <linux/types.h>
#include <vtl/ipc.h>
#include <vtl/shared.h>
#include <vtl/wire.h>
#include "bytebuf.h"
#include "peer.h"

#define TP_BATCH        64            /* frames per wire call */
#define TP_TXQ_BYTES    (4u << 20)    /* per session, at most: application bytes not yet sent */
#define TP_RXQ_BYTES    (8u << 20)    /* per session, at most: in-order bytes not yet delivered */
#define TP_LINGER_MS    2000          /* both directions closed: answer a repeated CLOSE */
#define TP_CLOSE_GAP_MS 20            /* first CLOSE retransmission gap, at least */
#define TP_IDLE_FREE_MS 1000          /* an empty queue idle this long gives its memory back */
#define TP_LIST_MAX     (2 * VTL_MAX_SESSIONS) /* work list room (ended sessions leave holes) */
#define TP_HASH         (2 * VTL_MAX_SESSIONS) /* session id -> session buckets */
#define TP_SWEEP_FROM   512           /* more sessions than this: the tick visits a share */
#define TP_SWEEP_TICKS  4             /* ... each of them every this many ticks */

enum tp_state {
	TP_NEGOTIATING = VTL_SESS_NEGOTIATING,
	TP_OPEN = VTL_SESS_OPEN,
	TP_CLOSING = VTL_SESS_CLOSING,  /* sender: CLOSE sent; receiver: lingering */
	TP_CLOSED = VTL_SESS_CLOSED,
};

/* One session, as the transport sees it. Embedded in the session layer's
 * struct session; the transport allocates nothing else per session than
 * its queues and reorder buffer. */
struct tp_sess {
	__u32 id;
	__u32 slot;
	struct vtl_peer peer;      /* address, encapsulation, UDP port */
	enum tp_state state;       /* OPEN while either direction is; CLOSING: both
	                            * ended, lingering to answer a repeated CLOSE */
	bool initiator;            /* this end opened the session (negotiation, swaps);
	                            * data flows both ways whoever opened it */
	bool reliable;             /* windowed ARQ with ACKs (reliable or partial) */
	bool cc;                   /* the graft runs congestion control: respect cwnd */
	bool partial;              /* the graft may give packets up (pr) */
	bool nodelay;              /* no Nagle: short frames go at once */
	bool selective;            /* the graft accepts out of order: a reorder buffer */
	__u32 window;
	__u32 mss;
	struct vtl_state *k;       /* the KTFs' state of the slot */
	/* sending (queue and retransmission copies come with the first write) */
	struct bytebuf txq;
	bool app_shut;             /* no more data from the application */
	bool close_sent;
	bool tx_done;              /* the peer confirmed our CLOSE: it has every byte */
	__u64 close_next_ns;
	__u32 close_gap_ms;
	__u64 keepalive_ns;        /* last keepalive sent */
	__u64 unarmed_ns;          /* since when data is in flight with no KTF timer armed */
	/* receiving */
	__u32 rx_nxt;              /* next sequence number to deliver */
	struct bytebuf rxq;
	__u8 *rob;                 /* reorder buffer: window slots of mss bytes */
	__u16 *rob_len;            /* payload length + 1 per slot, 0 = empty */
	__u32 rob_hi;              /* highest sequence number held + 1 */
	__u64 lost;                /* packets given up (partial reliability) */
	bool peer_closed;          /* CLOSE seen and everything before it taken */
	bool eof_sent;             /* the peer's direction is over: EOF delivered, CLOSE_ACK sent */
	bool orphan;               /* the application let go: what the peer sends is unwanted */
	__u64 linger_until_ns;
	__u64 rx_seen;             /* the KTF's counters of what came from the peer, last seen */
	/* bookkeeping */
	struct tp_sess *hnext;     /* the id hash's chain */
	__u64 t_open_ns;
	__u64 last_io_ns;          /* last data queued or delivered (idle queues are freed) */
	__u64 last_progress_ns;
	__u64 bytes_tx, bytes_rx;  /* payload handed to the wire / delivered in order */
	__u64 dup_rx, gap_rx;
	/* work lists of the transport (in at most one of each) */
	bool ack_needed;           /* on tp->ackq */
	bool touched;              /* on tp->touched: took data in this receive batch */
	bool kicked;               /* on tp->kicked: an ACK event opened the window */
	bool waiting;              /* on tp->waitq: cut short by a blocked wire */
};

/* A frame's payload: at most two pieces of a session's send queue. */
struct tp_frame {
	struct iovec iov[2];
	int niov;
	size_t len;
};

/* An ACK to send: the cumulative ack is what the egress KTF stamps from
 * rcv_acked; the SACK blocks ride in the payload (network order). */
struct tp_ack {
	__u32 sid;
	struct vtl_peer peer;
	__u32 nb;
	struct vtl_sack_block sack[VTL_SACK_MAX];
};

/* What the transport needs from the wire (wire.c, or a test's fake).
 * Every call is non-blocking. */
struct tp_wire {
	/* n DATA frames of s, in order; the egress KTF numbers and stamps
	 * them. Returns how many the kernel took (fewer: the wire is blocked
	 * and calls tp_wire_ready later), or -errno. */
	int (*send_data)(void *ctx, const struct tp_sess *s, const struct tp_frame *f,
			 unsigned int n);
	/* Retransmission triggers (header-only DATA with VTL_F_RETX) for
	 * [from, to) of s: the egress KTF refills each from its copy. */
	int (*send_retx)(void *ctx, const struct tp_sess *s, __u32 from, __u32 to);
	/* ACKs of several sessions in one batch. */
	void (*send_acks)(void *ctx, const struct tp_ack *a, unsigned int n);
	/* One control frame (NEGO family, CLOSE, CLOSE_ACK, RESET, a
	 * keepalive ACK). Returns 0 or -errno. */
	int (*send_ctrl)(void *ctx, const struct vtl_peer *peer, __u32 sid, __u8 type, __u32 seq,
			 __u32 ack, const void *payload, __u16 len);
	/* Is the wire waiting for room (after a short send_data)? */
	bool (*blocked)(void *ctx);
};

/* What the layers above learn from the transport. Set by main.c, which
 * composes the layers; each callback may end the session it is given
 * (the transport checks before it touches the session again). */
struct tp_up {
	/* app: data is waiting in s's receive queue, or the peer closed:
	 * deliver what the application takes (tp_rx_peek/tp_rx_consume),
	 * then tp_rx_drained unless delivery is held */
	void (*readable)(void *ctx, struct tp_sess *s);
	/* app: s's send queue has room again */
	void (*writable)(void *ctx, struct tp_sess *s);
	/* app: is more application data already waiting (Nagle holds a short
	 * frame back for it)? */
	bool (*app_more)(void *ctx, struct tp_sess *s);
	/* app: the peer closed and every byte was delivered */
	void (*eof)(void *ctx, struct tp_sess *s);
	/* session layer: the peer confirmed our CLOSE: it has every byte we
	 * sent (the other direction may go on) */
	void (*done)(void *ctx, struct tp_sess *s);
	/* session layer: both directions are over and the linger too (or the
	 * peer reset a session that had nothing left) */
	void (*gone)(void *ctx, struct tp_sess *s);
	/* session layer: s is about to send its first DATA: give it
	 * retransmission copies (vtl_state.buf_count). 0, or -errno: try later */
	int (*tx_begin)(void *ctx, struct tp_sess *s);
	/* session layer: s failed (code -VTL_E_*, why for the application);
	 * reset_peer: tell the peer with a RESET */
	void (*abort)(void *ctx, struct tp_sess *s, int code, const char *why, bool reset_peer);
	/* session layer: negotiation frames, and ICMP "no VTL there" */
	void (*on_nego)(void *ctx, const struct vtl_peer *from, const struct vtl_hdr *h,
			const void *pay, __u32 len);
	void (*on_nego_reply)(void *ctx, const struct vtl_peer *from, const struct vtl_hdr *h,
			      const void *pay, __u32 len);
	void (*on_unreachable)(void *ctx, const struct vtl_peer *peer, __u32 sid);
};

struct tp_stats {
	__u64 ktf_events;          /* ring-buffer events decoded (each a wake-up) */
	__u64 nomem;               /* queue growth refused (out of memory) */
	__u64 retx_waits;          /* a first DATA waited for retransmission copies */
	__u64 timer_rescues;       /* data in flight, the KTF's timer not armed (it could
	                            * not start one): vtld retransmitted the oldest */
};

struct transport {
	struct tp_sess *slots[VTL_MAX_SESSIONS]; /* slot 0 is the canonical graft's */
	struct tp_sess *last_hit;  /* lookup cache */
	struct tp_sess *byid[TP_HASH]; /* id -> session (chained through hnext) */
	__u32 free_slots[VTL_MAX_SESSIONS]; /* a stack of free slots */
	__u32 n_free;
	__u32 n_sess;
	__u32 slot_hi;             /* every slot in use is below this */
	__u32 tick_no;
	struct vtl_state *kstate;  /* the KTFs' state, VTL_MAX_SESSIONS entries */
	const struct tp_wire *wire;
	void *wire_ctx;
	const struct tp_up *up;
	void *up_ctx;
	__u64 (*now)(void);
	__u64 peer_timeout_ns;
	size_t txq_bytes, rxq_bytes;   /* per session (TP_TXQ_BYTES, TP_RXQ_BYTES) */
	/* work lists: sessions with an ACK to send, that took data in this
	 * receive batch, whose window an ACK event opened (a session is on a
	 * list at most once; one that ends leaves a NULL) */
	struct tp_sess *ackq[TP_LIST_MAX];
	unsigned int n_ackq;
	struct tp_sess *touched[TP_LIST_MAX];
	unsigned int n_touched;
	struct tp_sess *kicked[TP_LIST_MAX];
	unsigned int n_kicked;
	struct tp_sess *waitq[TP_LIST_MAX];
	unsigned int n_waitq;
	/* per call scratch */
	struct tp_frame frames[TP_BATCH];
	struct tp_ack acks[TP_BATCH];
	struct tp_stats stats;
};

/* ---- set up (tp_life.c) ---- */
void tp_init(struct transport *tp, struct vtl_state *kstate, __u64 (*now)(void),
	     __u32 peer_timeout_ms);
void tp_set_wire(struct transport *tp, const struct tp_wire *w, void *ctx);
void tp_set_up(struct transport *tp, const struct tp_up *up, void *ctx);

/* ---- the session table (tp_life.c) ---- */
/* Put s (zeroed by the caller) in a free slot under id. Its queues come
 * when it first uses them. -ENOSPC: no slot. */
int tp_sess_add(struct transport *tp, struct tp_sess *s, __u32 id);
/* Take s out of the table and free its queues (not s itself). */
void tp_sess_del(struct transport *tp, struct tp_sess *s);
struct tp_sess *tp_sess_by_id(struct transport *tp, __u32 id);
static inline struct tp_sess *tp_sess_at(const struct transport *tp, __u32 slot)
{
	return slot < VTL_MAX_SESSIONS ? tp->slots[slot] : NULL;
}
/* Does this tick visit slot (tp_tick's share, for the layers above that
 * walk the sessions each tick)? Every slot at least every TP_SWEEP_TICKS. */
static inline bool tp_tick_visits(const struct transport *tp, __u32 slot)
{
	return tp->n_sess <= TP_SWEEP_FROM || slot % TP_SWEEP_TICKS == tp->tick_no % TP_SWEEP_TICKS;
}
/* The negotiation is over: data may flow. */
void tp_open(struct transport *tp, struct tp_sess *s);
/* What the application sees of s (vtl_ipc_stats). */
void tp_stats(struct transport *tp, const struct tp_sess *s, struct vtl_ipc_stats *o);

/* ---- entry points of the wire (wire.c calls only these) ---- */
/* A received VTL frame, its IPv4 and VTL headers checked by the wire. */
void tp_on_frame(struct transport *tp, const struct vtl_peer *from, const struct vtl_hdr *h,
		 const void *pay, __u32 len);
/* The end of a receive batch: give up holes, send ACKs, deliver. */
void tp_rx_batch_end(struct transport *tp);
/* A KTF event (ring buffer), and the end of a batch of them. */
void tp_on_event(struct transport *tp, const struct vtl_event *e);
void tp_events_end(struct transport *tp);
/* The wire has room again after a short send. */
void tp_wire_ready(struct transport *tp);
/* The peer's host answered ICMP protocol unreachable for session sid. */
void tp_on_unreachable(struct transport *tp, const struct vtl_peer *peer, __u32 sid);

/* ---- sending (tp_send.c) ---- */
static inline size_t tp_tx_room(const struct tp_sess *s)
{
	return bb_room(&s->txq);
}
/* Queue n application bytes (the caller checked tp_tx_room). -ENOMEM: the
 * queue could not grow (nothing was queued). */
int tp_tx_push(struct transport *tp, struct tp_sess *s, const void *p, size_t n);
/* Free space of the send queue (at least min bytes of it, grown as needed)
 * as at most two iovecs, for a reader that fills it directly (attached
 * streams); then tp_tx_commit. 0: out of memory. */
int tp_tx_space(struct transport *tp, struct tp_sess *s, size_t min, struct iovec iov[2]);
void tp_tx_commit(struct tp_sess *s, size_t n);
/* Send what the window, cwnd and Nagle allow; then tell the application
 * if there is room, or start the close once all is acknowledged. */
void tp_output(struct transport *tp, struct tp_sess *s);
/* tp_output for every session (the wire is writable again, a swap). */
void tp_output_all(struct transport *tp);
/* The application has no more data: close our direction once the peer
 * has it all (half-close: the peer's direction goes on). */
void tp_shutdown(struct transport *tp, struct tp_sess *s);
/* The application let go of s. If its direction was shut (or is shut now:
 * the peer's was over and nothing of ours was outstanding), s lives on
 * until the peer closes its own (new data from the peer resets it);
 * otherwise, or with bytes not yet delivered to the application, the
 * caller resets s. Returns true when s lives on. */
bool tp_orphan(struct transport *tp, struct tp_sess *s);
/* Send a RESET to s's peer. */
void tp_reset_peer(struct transport *tp, const struct tp_sess *s);
/* A control frame for the layers above (negotiation). */
int tp_send_ctrl(struct transport *tp, const struct vtl_peer *peer, __u32 sid, __u8 type,
		 const void *payload, __u16 len);

/* ---- receiving (tp_recv.c) ---- */
/* The in-order bytes waiting for the application, the first contiguous
 * run of them; then tp_rx_consume what it took. */
size_t tp_rx_peek(const struct tp_sess *s, const unsigned char **p);
void tp_rx_consume(struct transport *tp, struct tp_sess *s, size_t n);
/* Delivery is done for now (nothing waits, or the application is full):
 * send the ACKs it made possible; if the peer closed and everything was
 * delivered, finish the close (eof, CLOSE_ACK, linger). */
void tp_rx_drained(struct transport *tp, struct tp_sess *s);

/* ---- time (tp_life.c) ---- */
/* Every LOOP_TICK_MS: stalled windows, keepalives, peer timeouts, CLOSE
 * retransmissions, the end of lingering. */
void tp_tick(struct transport *tp);

#endif
