// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * sr-tlp: Selective Repeat with a Tail Loss Probe (Flach et al.; PQUIC's
 * TLP plugin; RFC 8985 section 7), written on the public KTF API only.
 *
 * The problem: when the last packets of a burst are lost, no later packet
 * arrives to produce the SACKs that start a fast retransmission, so the
 * sender waits for the retransmission timeout.
 *
 * The probe: when data is in flight and no ACK has advanced snd_una for a
 * probe timeout
 *     PTO = min(max(2 * SRTT, vtl_tlp_min_us), RTO)
 * the sender resends the highest packet in flight that the peer has not
 * SACKed, once per snd_una (one probe per episode), outside a recovery
 * episode. The probe is not a loss signal: no window cut, no backoff. Its
 * ACK either completes the transfer (the probe was the lost tail) or SACKs
 * it, which lets the SACK logic find the holes below. The RTO is then timed
 * from the probe. Every ACK that advances snd_una brings the timer forward
 * to now + PTO (never later than it was: an RTO due earlier still fires),
 * so the probe is timed from the last progress, not from the first send.
 *
 * How it is emitted (VTL-DESIGN section 2): the timer callback has no
 * packet; it posts VTL_EV_PROBE [seq, seq + 1) on the ring buffer, the Data
 * Broker sends a header-only trigger, and the egress KTF (tf_tc_arq_send)
 * refills it from the kernel-held copy, like every retransmission.
 *
 * State: what the probe needs per session (how many went out, and snd_una
 * at the last one) is sr-tlp's private state (VTL_GRAFT_PRIVATE below),
 * not a field of the shared struct vtl_state; it starts zeroed with each
 * session and with each swap to sr-tlp. VTL_EV_PROBE and the host counter
 * VTL_CNT_PROBE are generic library facilities any graft may use.
 *
 * Counters: tlp_state.probes per session, VTL_CNT_PROBE ("probes") per host.
 */
#include "tf_common.h"
#include "tf_sack.h"

#ifndef VTL_TLP_MIN_US
#define VTL_TLP_MIN_US 10000
#endif
VTL_TUNABLE(__u32, vtl_tlp_min_us, VTL_TLP_MIN_US); /* lower bound of the PTO */

/* Per session, in vtl_priv. */
struct tlp_state {
	__u64 probes;       /* loss probes posted (VTL_EV_PROBE) */
	__u32 probe_una;    /* snd_una when the last probe went out: one per ACK advance */
	__u32 pad;
};
VTL_GRAFT_PRIVATE(struct tlp_state);

VTL_GRAFT_META(.name = "sr-tlp", .version = 1,
	       .services = VTL_SVC_RELIABLE | VTL_SVC_ORDERED | VTL_SVC_CC,
	       .roles = VTL_ROLE_EGRESS | VTL_ROLE_INGRESS | VTL_ROLE_LISTENER,
	       .window_default = VTL_ARQ_WINDOW, .window_min = 1, .window_max = VTL_WINDOW_MAX);

VTL_ARQ_TIMER(tlp_timer);   /* the retransmission timer probes first (below) */
VTL_ARQ_CC(vtl_cc_aimd);

/* The probe timeout in ns, or 0 (no probe) before the first RTT sample. */
static __always_inline __u64 tlp_pto_ns(const struct vtl_state *st)
{
	__u64 pto = 2 * (__u64)st->srtt_us;

	if (!st->srtt_us)
		return 0;
	if (pto < vtl_tlp_min_us)
		pto = vtl_tlp_min_us;
	if (pto > st->rto_us)
		pto = st->rto_us;
	return pto * 1000;
}

/* One probe per snd_una, and none while a recovery episode repairs holes
 * (nor without private state: a timer left from before a swap). */
static __always_inline int tlp_allowed(const struct vtl_state *st, const struct tlp_state *ps)
{
	__u32 una = st->snd_una;

	if (!ps || una == st->snd_nxt || vtl_before(una, st->recover))
		return 0;
	return !(ps->probes && ps->probe_una == una);
}

static __always_inline void tlp_probe(struct vtl_state *st, struct tlp_state *ps, __u32 slot,
				      __u64 now)
{
	__u32 seq = vtl_arq_probe_seq(st);

	ps->probe_una = st->snd_una;
	__sync_fetch_and_add(&ps->probes, 1);
	st->last_progress_ns = now;     /* the RTO counts from the probe */
	vtl_count(VTL_DIR_TC, VTL_CNT_PROBE);
	vtl_event(VTL_EV_PROBE, st, slot, seq, seq + 1);
}

/* The session's timer: probe when the PTO has passed, else the RTO step. */
static int tlp_timer(void *map, __u32 *key, struct vtl_timer_val *val)
{
	struct vtl_state *st = vtl_arq_timer_enter(*key);
	struct tlp_state *ps;
	__u64 now, pto, at;

	(void)map;
	if (!st)
		return 0;
	ps = vtl_priv_of(*key);
	now = bpf_ktime_get_ns();
	pto = tlp_pto_ns(st);
	if (pto && tlp_allowed(st, ps) && now - st->last_progress_ns >= pto) {
		tlp_probe(st, ps, *key, now);
		at = now + (__u64)st->rto_us * 1000;
	} else {
		at = vtl_arq_rto_step(st, *key, now);
		if (pto && tlp_allowed(st, ps) && st->last_progress_ns + pto < at)
			at = st->last_progress_ns + pto;
	}
	vtl_arq_timer_set(st, val, at);
	return 0;
}

/* listener: SACK processing, then time the probe from this ACK if it
 * advanced snd_una and data is still in flight. */
static __always_inline int tf_xdp_sack_tlp(struct xdp_md *ctx, struct vtl_kctx *k)
{
	struct vtl_state *st = k->st;
	__u32 una = st ? st->snd_una : 0;
	int verdict = tf_xdp_sack(ctx, k);
	__u64 pto;

	if (verdict == VTL_CONTINUE || !st || st->snd_una == una)
		return verdict;
	pto = tlp_pto_ns(st);
	if (pto && st->snd_una != st->snd_nxt)
		vtl_arq_rearm(st, k->slot, bpf_ktime_get_ns() + pto);
	return verdict;
}

vtl_build_graft(egress, tf_tc_arq_send, tf_tc_ack, tf_tc_control);
vtl_build_graft(ingress, tf_xdp_window_data, tf_xdp_deliver, tf_xdp_control);
vtl_build_graft(listener, tf_xdp_sack_tlp, tf_xdp_nego_reply);

char LICENSE[] SEC("license") = "Dual BSD/GPL";
