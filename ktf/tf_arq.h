/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The sender half of windowed ARQ, shared by every reliable graft:
 *  - tf_tc_arq_send: stamp seq/ack/timestamps/checksum on new DATA, keep a
 *    copy for retransmission, arm the retransmission timer;
 *  - tf_tc_arq_refill: a header-only DATA with VTL_F_RETX is a
 *    retransmission trigger from the Data Broker: grow it back into the
 *    stored frame (bpf_skb_change_tail + bpf_skb_store_bytes); a trigger
 *    for a packet the peer SACKed is not sent (VTL_CNT_RETX_SKIPPED);
 *  - vtl_rtt_sample: RFC 6298 estimator from echoed timestamps;
 *  - the retransmission timer: vtl_arq_timer_cb (timeout -> VTL_EV_RTO),
 *    and the pieces a graft's own timer reuses (vtl_arq_timer_enter,
 *    vtl_arq_rto_step, vtl_arq_timer_set, vtl_arq_rearm, vtl_arq_probe_seq);
 *  - vtl_sacked: is seq inside one of the peer's last SACK blocks?
 * Tunables (set before load): vtl_window, vtl_min_rto_us, vtl_max_rto_us,
 * vtl_init_rto_us.
 *
 * Hooks: a graft that includes this header declares, once each, at file
 * scope (anywhere in the file):
 *
 *   VTL_ARQ_TIMER(vtl_arq_timer_cb);   the retransmission timer's callback:
 *                                      the library's, or the graft's own
 *                                      (grafts/sr-tlp.bpf.c: a loss probe)
 *   VTL_ARQ_CC(vtl_cc_aimd);           its congestion control: vtl_cc_aimd,
 *                                      vtl_cc_none, or its own (tf_cc.h)
 *
 * There is no default: a graft that declares neither does not compile
 * ("function 'vtl_arq_timer' has internal linkage but is not defined",
 * pointing at the declaration below, which says what to write).
 */
#ifndef VTL_KTF_TF_ARQ_H
#define VTL_KTF_TF_ARQ_H

#include "vtl_ktf.h"
#include "tf_cc.h"

/* The window's compiled default; vtld always sets the tunable (the
 * negotiated window, within the metadata's range). */
#ifndef VTL_ARQ_WINDOW
#define VTL_ARQ_WINDOW 64
#endif
VTL_TUNABLE(__u32, vtl_window, VTL_ARQ_WINDOW);
VTL_TUNABLE(__u32, vtl_min_rto_us, 5000);
VTL_TUNABLE(__u32, vtl_max_rto_us, 1000000);
VTL_TUNABLE(__u32, vtl_init_rto_us, 50000);

/* ---- hooks: defined in the graft by VTL_ARQ_TIMER and VTL_ARQ_CC ---------
 * Declared here, used by the TFs below, defined by the graft's choice. A
 * graft that forgets one gets -Wundefined-internal, made an error here. */
#pragma clang diagnostic error "-Wundefined-internal"
static int vtl_arq_timer(void *map, __u32 *key, struct vtl_timer_val *val); /* not defined? write VTL_ARQ_TIMER(vtl_arq_timer_cb); (or your own callback) in the graft */
static __always_inline void vtl_arq_cc_on_ack(struct vtl_state *st, __u32 slot, const struct vtl_cc_ack *a); /* not defined? write VTL_ARQ_CC(vtl_cc_aimd); or VTL_ARQ_CC(vtl_cc_none); in the graft */
static __always_inline void vtl_arq_cc_on_loss(struct vtl_state *st, __u32 slot); /* not defined? write VTL_ARQ_CC(vtl_cc_aimd); or VTL_ARQ_CC(vtl_cc_none); in the graft */
static __always_inline void vtl_arq_cc_on_rto(struct vtl_state *st, __u32 slot); /* not defined? write VTL_ARQ_CC(vtl_cc_aimd); or VTL_ARQ_CC(vtl_cc_none); in the graft */

/*
 * VTL_ARQ_TIMER(cb): every arm of the session's retransmission timer
 * (vtl_arq_arm) calls cb, a vtl_timer_cb (timer.h): a real static
 * function, defined before or after this line. vtl_arq_timer_cb is the
 * library's: on a timeout it doubles the RTO, calls the congestion
 * control's on_rto and posts VTL_EV_RTO for [snd_una, snd_nxt).
 */
#define VTL_ARQ_TIMER(cb)                                                            \
	static int cb(void *map, __u32 *key, struct vtl_timer_val *val);             \
	static int vtl_arq_timer(void *map, __u32 *key, struct vtl_timer_val *val)   \
	{                                                                            \
		return cb(map, key, val);                                            \
	}                                                                            \
	_Static_assert(1, "VTL_ARQ_TIMER(" #cb ")")

/*
 * VTL_ARQ_CC(name): the ARQ calls name_on_ack, name_on_loss and name_on_rto
 * (tf_cc.h: the interface; vtl_cc_aimd, vtl_cc_none). A graft's own
 * congestion control defines the three (static __always_inline) before
 * this line.
 */
#define VTL_ARQ_CC(name)                                                             \
	static __always_inline void vtl_arq_cc_on_ack(struct vtl_state *st, __u32 slot, \
						      const struct vtl_cc_ack *a)    \
	{                                                                            \
		name##_on_ack(st, slot, a);                                          \
	}                                                                            \
	static __always_inline void vtl_arq_cc_on_loss(struct vtl_state *st, __u32 slot) \
	{                                                                            \
		name##_on_loss(st, slot);                                            \
	}                                                                            \
	static __always_inline void vtl_arq_cc_on_rto(struct vtl_state *st, __u32 slot) \
	{                                                                            \
		name##_on_rto(st, slot);                                             \
	}                                                                            \
	_Static_assert(1, "VTL_ARQ_CC(" #name ")")

static __always_inline __u32 vtl_clamp_rto(__u64 rto)
{
	if (rto < vtl_min_rto_us)
		rto = vtl_min_rto_us;
	if (rto > vtl_max_rto_us)
		rto = vtl_max_rto_us;
	return (__u32)rto;
}

/*
 * The retransmission timer. A timer callback has no packet: it changes
 * state and posts events. vtl_arq_timer_enter() is the common start of a
 * callback (session gone or idle: NULL; else the timer is marked armed
 * again); vtl_arq_rto_step() fires the RTO when it is due and returns the
 * absolute deadline (ns) to re-arm for; vtl_arq_timer_set() re-arms. A
 * graft refines the timer (a loss probe, say: grafts/sr-tlp.bpf.c) with
 * its own callback made of these, chosen with VTL_ARQ_TIMER(cb).
 */
static __always_inline struct vtl_state *vtl_arq_timer_enter(__u32 slot)
{
	struct vtl_state *st = bpf_map_lookup_elem(&vtl_state, &slot);

	if (!st || !st->active)
		return NULL;
	st->timer_armed = 0;
	if (st->snd_una == st->snd_nxt)
		return NULL;          /* idle: the next send re-arms */
	if (__sync_val_compare_and_swap(&st->timer_armed, 0, 1) != 0)
		return NULL;          /* a sender re-armed it meanwhile */
	return st;
}

/* (Re-)arm the timer from its callback for an absolute deadline (ns). */
static __always_inline void vtl_arq_timer_set(struct vtl_state *st, struct vtl_timer_val *val,
					      __u64 at)
{
	st->timer_at_ns = at;
	bpf_timer_start(&val->t, at, BPF_F_TIMER_ABS);
}

static __always_inline __u64 vtl_arq_rto_step(struct vtl_state *st, __u32 slot, __u64 now)
{
	__u64 rto_ns = (__u64)st->rto_us * 1000;
	__u32 una = st->snd_una, nxt = st->snd_nxt;

	if (now - st->last_progress_ns < rto_ns)
		return st->last_progress_ns + rto_ns;
	__sync_fetch_and_add(&st->timeouts, 1);
	st->rto_us = vtl_clamp_rto((__u64)st->rto_us * 2);
	st->last_progress_ns = now;
	st->recover = nxt;
	st->dupacks = 0;
	vtl_arq_cc_on_rto(st, slot);
	vtl_event(VTL_EV_RTO, st, slot, una, nxt);
	return now + (__u64)st->rto_us * 1000;
}

/* The library's retransmission timer: VTL_ARQ_TIMER(vtl_arq_timer_cb). */
static __always_inline int vtl_arq_timer_cb(void *map, __u32 *key, struct vtl_timer_val *val)
{
	struct vtl_state *st = vtl_arq_timer_enter(*key);

	(void)map;
	if (st)
		vtl_arq_timer_set(st, val, vtl_arq_rto_step(st, *key, bpf_ktime_get_ns()));
	return 0;
}

/* Move the session's running retransmission timer earlier, to an absolute
 * deadline (ns), e.g. for a probe after an ACK; never later, so an RTO
 * already due by then still fires. Nothing when the timer is idle. */
static __always_inline void vtl_arq_rearm(struct vtl_state *st, __u32 slot, __u64 deadline)
{
	struct vtl_timer_val *t;

	if (!st->timer_armed || deadline >= st->timer_at_ns)
		return;
	t = bpf_map_lookup_elem(&vtl_timers, &slot);
	if (t) {
		st->timer_at_ns = deadline;
		bpf_timer_start(&t->t, deadline, BPF_F_TIMER_ABS);
	}
}

static __always_inline void vtl_arq_arm(struct vtl_kctx *k)
{
	struct vtl_state *st = k->st;
	__u64 us;

	if (st->timer_armed)
		return;
	if (__sync_val_compare_and_swap(&st->timer_armed, 0, 1) != 0)
		return;
	us = st->rto_us ? st->rto_us : vtl_init_rto_us;
	st->timer_at_ns = bpf_ktime_get_ns() + us * 1000;
	if (vtl_start_timer(k->slot, us, vtl_arq_timer)) {
		st->timer_armed = 0;
		vtl_count(VTL_DIR_TC, VTL_CNT_TIMER_FAIL); /* vtld's watch resends */
	}
}

/* Take an RTT sample from an echoed timestamp (tsecr: our tsval the peer
 * echoes; 0: none). Returns the sample in us (at least 1), or 0 for none. */
static __always_inline __u32 vtl_rtt_sample(struct vtl_state *st, __u32 now_us, __u32 tsecr)
{
	__u32 rtt, err;

	if (!tsecr)
		return 0;
	rtt = now_us - tsecr;
	if (rtt > 60000000) /* older than a minute: wrapped or bogus */
		return 0;
	st->rtt_last_us = rtt;
	if (!st->srtt_us) {
		st->srtt_us = rtt ? rtt : 1;
		st->rttvar_us = rtt / 2;
	} else {
		err = rtt > st->srtt_us ? rtt - st->srtt_us : st->srtt_us - rtt;
		st->rttvar_us = st->rttvar_us - (st->rttvar_us >> 2) + (err >> 2);
		st->srtt_us = st->srtt_us - (st->srtt_us >> 3) + (rtt >> 3);
	}
	st->rto_us = vtl_clamp_rto((__u64)st->srtt_us + 4 * (__u64)st->rttvar_us);
	st->rtt_samples++;
	return rtt ? rtt : 1;
}

static __always_inline int vtl_sacked(struct vtl_state *st, __u32 seq)
{
#pragma clang loop unroll(full)
	for (int i = 0; i < VTL_SACK_MAX; i++) {
		__u32 s = st->sack[i][0], e = st->sack[i][1];

		if (s != e && !vtl_before(seq, s) && vtl_before(seq, e))
			return 1;
	}
	return 0;
}

/* The highest sequence number in flight the peer has not SACKed: what a
 * loss probe resends. snd_una when everything above it is SACKed. */
static __always_inline __u32 vtl_arq_probe_seq(struct vtl_state *st)
{
	__u32 una = st->snd_una, p = st->snd_nxt - 1;

#pragma clang loop unroll(full)
	for (int pass = 0; pass < VTL_SACK_MAX; pass++) {
#pragma clang loop unroll(full)
		for (int i = 0; i < VTL_SACK_MAX; i++) {
			__u32 s = st->sack[i][0], e = st->sack[i][1];

			if (s != e && !vtl_before(p, s) && vtl_before(p, e))
				p = s - 1;
		}
	}
	return vtl_before(p, una) ? una : p;
}

/* Retransmission trigger: refill from the stored copy. */
static __always_inline int tf_tc_arq_refill(struct __sk_buff *ctx, struct vtl_kctx *k)
{
	struct vtl_state *st = k->st;
	struct vtl_retx_buf *buf;
	struct vtl_hdr *bh;
	__u32 seq, len, l4 = k->p.l4_off;
	int c;

	seq = bpf_ntohl(k->p.vh->seq);
	if (vtl_before(seq, st->snd_una) || !vtl_before(seq, st->snd_nxt))
		return vtl_tc_drop(VTL_DROP_RETX_MISS); /* acked meanwhile */
	if (vtl_sacked(st, seq)) {
		vtl_count(VTL_DIR_TC, VTL_CNT_RETX_SKIPPED); /* the peer has it */
		return TC_ACT_SHOT;
	}
	buf = vtl_retx_of(st, seq);
	if (!buf || !buf->valid || buf->seq != seq)
		return vtl_tc_drop(VTL_DROP_RETX_MISS);
	if (k->p.pay_len || l4 != sizeof(struct ethhdr) +
	    (k->p.family == VTL_AF_INET6 ? sizeof(struct ipv6hdr) : sizeof(struct iphdr)) +
	    (k->p.encap == VTL_ENCAP_UDP ? sizeof(struct udphdr) : 0))
		return vtl_tc_drop(VTL_DROP_BAD_LENGTH);
	len = buf->len;
	if (len < VTL_HDR_LEN || len > VTL_FRAME_MAX)
		return vtl_tc_drop(VTL_DROP_RETX_MISS);
	/* restamp the copy (flag, time, ack, checksum), then put it on the wire */
	bh = (struct vtl_hdr *)buf->frame;
	bh->flags |= VTL_F_RETX;
	bh->tsval = bpf_htonl(k->now_us);
	bh->ack = bpf_htonl(st->rcv_acked);
	bh->csum = 0;
	c = vtl_csum_copy(buf->frame, len);
	if (c < 0)
		return vtl_tc_drop(VTL_DROP_HELPER);
	bh->csum = (__u16)c;
	if (bpf_skb_change_tail(ctx, l4 + len, 0))
		return vtl_tc_drop(VTL_DROP_HELPER);
	if (bpf_skb_store_bytes(ctx, l4 & 0x7f, buf->frame, len, 0) ||
	    vtl_tc_set_lens(ctx, l4, k->p.family, k->p.encap, len))
		return vtl_tc_drop(VTL_DROP_HELPER);
	__sync_fetch_and_add(&st->tx_retx, 1);
	vtl_count(VTL_DIR_TC, VTL_CNT_RETX_FILLED);
	vtl_arq_arm(k);
	return TC_ACT_OK;
}

/* New DATA: stamp, copy, arm. */
static __always_inline int tf_tc_arq_send(struct __sk_buff *ctx, struct vtl_kctx *k)
{
	struct vtl_hdr *vh = k->p.vh;
	struct vtl_state *st = k->st;
	struct vtl_retx_buf *buf;
	__u32 una, nxt, seq, len;

	if (vh->type != VTL_T_DATA)
		return VTL_CONTINUE;
	if (!st)
		return vtl_tc_drop(VTL_DROP_UNKNOWN_SESSION);
	if (vh->flags & VTL_F_RETX)
		return tf_tc_arq_refill(ctx, k);
	len = VTL_HDR_LEN + k->p.pay_len;
	if (len > VTL_FRAME_MAX)
		return vtl_tc_drop(VTL_DROP_BAD_LENGTH);
	una = st->snd_una;
	nxt = st->snd_nxt;
	/* Only the fixed window is enforced here: snd_una only grows, so a
	 * Data Broker that checked it before sending is never refused in the
	 * middle of a batch. cwnd can shrink at any moment (a loss seen on
	 * another CPU), so vtld enforces it when it decides what to send. */
	if (nxt - una >= vtl_window || nxt - una >= st->buf_count)
		return vtl_tc_drop(VTL_DROP_WINDOW_FULL);
	seq = __sync_fetch_and_add(&st->snd_nxt, 1);
	buf = vtl_retx_of(st, seq);
	if (!buf)
		return vtl_tc_drop(VTL_DROP_RETX_MISS);
	vh->flags = 0;
	vh->seq = bpf_htonl(seq);
	vh->ack = bpf_htonl(st->rcv_acked);
	vh->tsval = bpf_htonl(k->now_us);
	vh->tsecr = bpf_htonl(st->ts_recent_ack);
	vh->wnd = vtl_wnd16(vtl_window);
	if (vtl_tc_copy_stamp(ctx, vh, k->p.l4_off, buf->frame, len))
		return vtl_tc_drop(VTL_DROP_HELPER);
	buf->seq = seq;
	buf->len = len;
	buf->valid = 1;
	if (una == nxt)
		st->last_progress_ns = bpf_ktime_get_ns();
	__sync_fetch_and_add(&st->tx_data, 1);
	__sync_fetch_and_add(&st->tx_bytes, k->p.pay_len);
	vtl_count(VTL_DIR_TC, VTL_CNT_STAMPED);
	vtl_arq_arm(k);
	return TC_ACT_OK;
}

#endif
