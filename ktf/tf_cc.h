/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * AIMD congestion control as a TF, in packets: slow start to ssthresh,
 * then +1 per window of ACKed packets; halve on a fast retransmit, back
 * to 1 on a timeout. A graft opts in with `#define VTL_ARQ_CC 1` before
 * including tf_arq.h. The KTFs keep cwnd; vtld reads it through the state
 * mmap and keeps at most min(window, cwnd) packets in flight (the egress
 * KTF enforces only the fixed window: see tf_tc_arq_send).
 */
#ifndef VTL_KTF_TF_CC_H
#define VTL_KTF_TF_CC_H

#ifndef VTL_ARQ_CC
#define VTL_ARQ_CC 0
#endif
VTL_TUNABLE(__u32, vtl_cc, VTL_ARQ_CC);

static __always_inline void vtl_cc_on_ack(struct vtl_state *st, __u32 acked)
{
	if (!vtl_cc || !acked)
		return;
	if (st->cwnd < st->ssthresh) {
		st->cwnd += acked;                 /* slow start */
		return;
	}
	st->cwnd_acc += acked;                     /* congestion avoidance */
	if (st->cwnd_acc >= st->cwnd) {
		st->cwnd_acc -= st->cwnd;
		st->cwnd += 1;
	}
}

/* Does cwnd limit the sender? flight: packets in flight before this ACK.
 * cwnd grows only while it does (the idea of RFC 7661, as in Linux's
 * tcp_is_cwnd_limited): in slow start once the flight reached half of
 * cwnd, in congestion avoidance once it filled cwnd. An
 * application-limited flow (request/response, a paced sender) keeps the
 * cwnd it earned and no more, so a burst after it is not sent at a rate
 * no ACK has vouched for. */
static __always_inline int vtl_cc_limited(const struct vtl_state *st, __u32 flight)
{
	if (st->cwnd < st->ssthresh)
		return flight * 2 >= st->cwnd;
	return flight >= st->cwnd;
}

static __always_inline void vtl_cc_on_loss(struct vtl_state *st)
{
	__u32 half = st->cwnd / 2;

	if (!vtl_cc)
		return;
	st->ssthresh = half > 2 ? half : 2;
	st->cwnd = st->ssthresh;
	st->cwnd_acc = 0;
}

static __always_inline void vtl_cc_on_rto(struct vtl_state *st)
{
	__u32 half = st->cwnd / 2;

	if (!vtl_cc)
		return;
	st->ssthresh = half > 2 ? half : 2;
	st->cwnd = 1;
	st->cwnd_acc = 0;
}

#endif
