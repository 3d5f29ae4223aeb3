/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Congestion control for the windowed ARQ (tf_arq.h): the interface, and
 * the library's two congestion controls, vtl_cc_aimd and vtl_cc_none.
 *
 * A congestion control NAME is three callbacks the ARQ calls; a graft that
 * includes tf_arq.h chooses one, explicitly, with
 *
 *   VTL_ARQ_CC(vtl_cc_aimd);     AIMD (gbn, sr, pr, sr-tlp, pr-delay)
 *   VTL_ARQ_CC(vtl_cc_none);     none: cwnd stays where the Launcher put it (sw)
 *   VTL_ARQ_CC(mycc);            a graft's own: mycc_on_ack, mycc_on_loss, mycc_on_rto
 *
 * The callbacks (static __always_inline void, st never NULL):
 *   NAME_on_ack(st, slot, const struct vtl_cc_ack *a)
 *       an ACK advanced snd_una by a->acked packets; a->flight packets
 *       were in flight before it; a->rtt_us is the RTT sample this ACK gave
 *       (0: none). Called before snd_una moves (vtl_ack_advance).
 *   NAME_on_loss(st, slot)
 *       a loss-recovery episode starts (a fast retransmit: the third
 *       duplicate ACK, or SACKs far enough above snd_una), once per episode.
 *   NAME_on_rto(st, slot)
 *       the retransmission timer fired (vtl_arq_rto_step).
 * The output is st->cwnd, in packets: vtld keeps at most min(window, cwnd)
 * packets in flight for a graft that declares VTL_SVC_CC (the egress KTF
 * enforces only the window). The Launcher starts a session at
 * cwnd = min(window, VTL_INIT_CWND), ssthresh = ~0. st->ssthresh and
 * st->cwnd_acc are the library AIMD's; a congestion control of your own
 * keeps its state in the graft's private state (graft.h:
 * VTL_GRAFT_PRIVATE, vtl_priv_of(slot)). Writing st->cwnd anywhere else,
 * behind the ARQ's back, is not supported: the hook is the way in. The ARQ
 * itself does not depend on which congestion control is chosen.
 */
#ifndef VTL_KTF_TF_CC_H
#define VTL_KTF_TF_CC_H

#include "vtl_ktf.h"

/* What an ACK tells the congestion control. */
struct vtl_cc_ack {
	__u32 acked;    /* packets newly acknowledged (snd_una's advance), > 0 */
	__u32 flight;   /* packets in flight before this ACK (snd_nxt - snd_una) */
	__u32 rtt_us;   /* the RTT sample from this ACK's echoed timestamp, 0: none */
};

/* ---- none: cwnd is left alone -------------------------------------------- */
static __always_inline void vtl_cc_none_on_ack(struct vtl_state *st, __u32 slot,
					       const struct vtl_cc_ack *a)
{
	(void)st, (void)slot, (void)a;
}

static __always_inline void vtl_cc_none_on_loss(struct vtl_state *st, __u32 slot)
{
	(void)st, (void)slot;
}

static __always_inline void vtl_cc_none_on_rto(struct vtl_state *st, __u32 slot)
{
	(void)st, (void)slot;
}

/* ---- AIMD, in packets ------------------------------------------------------
 * Slow start to ssthresh, then +1 per window of ACKed packets; halve on a
 * loss episode, back to 1 on a timeout. */

/* Does cwnd limit the sender? flight: packets in flight before this ACK.
 * cwnd grows only while it does (the idea of RFC 7661, as in Linux's
 * tcp_is_cwnd_limited): in slow start once the flight reached half of
 * cwnd, in congestion avoidance once it filled cwnd. An
 * application-limited flow (request/response, a paced sender) keeps the
 * cwnd it earned and no more, so a burst after it is not sent at a rate
 * no ACK has vouched for. Reusable by other congestion controls. */
static __always_inline int vtl_cc_limited(const struct vtl_state *st, __u32 flight)
{
	if (st->cwnd < st->ssthresh)
		return flight * 2 >= st->cwnd;
	return flight >= st->cwnd;
}

static __always_inline void vtl_cc_aimd_on_ack(struct vtl_state *st, __u32 slot,
					       const struct vtl_cc_ack *a)
{
	(void)slot;
	if (!a->acked || !vtl_cc_limited(st, a->flight))
		return;
	if (st->cwnd < st->ssthresh) {
		st->cwnd += a->acked;              /* slow start */
		return;
	}
	st->cwnd_acc += a->acked;                  /* congestion avoidance */
	if (st->cwnd_acc >= st->cwnd) {
		st->cwnd_acc -= st->cwnd;
		st->cwnd += 1;
	}
}

static __always_inline void vtl_cc_aimd_on_loss(struct vtl_state *st, __u32 slot)
{
	__u32 half = st->cwnd / 2;

	(void)slot;
	st->ssthresh = half > 2 ? half : 2;
	st->cwnd = st->ssthresh;
	st->cwnd_acc = 0;
}

static __always_inline void vtl_cc_aimd_on_rto(struct vtl_state *st, __u32 slot)
{
	__u32 half = st->cwnd / 2;

	(void)slot;
	st->ssthresh = half > 2 ? half : 2;
	st->cwnd = 1;
	st->cwnd_acc = 0;
}

#endif
