// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * pr-delay: delay-bounded partial reliability, written on the public KTF
 * API only. Like pr, a Selective Repeat sender and a receiver that delivers
 * in order as soon as possible; unlike pr, a missing packet is given up
 * when it is older than the application's max delay (the QoS max_delay_ms,
 * tunable vtl_max_delay_ms, set by vtld from the request or NEGO), not
 * after a fixed reordering threshold. A packet that can still arrive in
 * time is waited for (the sender retransmits it); one that cannot is
 * skipped, so the data behind it is not held back any longer. Losses stay
 * within vtl_max_loss_ppm as well (by default no limit: the delay decides).
 * vtld reports every packet it skipped (vtlcat: "lost N").
 *
 * The age of the missing packet is measured in the ingress KTF without
 * synchronised clocks (ktf/tf_sack.h vtl_rx_hole_age_us): the sender's
 * stamp of the first packet seen above the hole bounds its send time, and
 * half the smallest RTT, measured through the echo of the receiver's ACK
 * stamps in DATA (the listener's vtl_ack_echo), stands for the one-way
 * delay. The check runs when DATA arrives; with nothing arriving, nothing
 * is waiting behind the hole either.
 *
 * Counters: st->pr_late per session, VTL_CNT_GIVEUP_LATE ("giveup_late")
 * per host: holes the KTF allowed vtld to skip because they were too old.
 */
#define VTL_PR_MAX_LOSS_PPM 1000000 /* the loss budget's default: no limit unless asked */
#include "tf_common.h"
#include "tf_sack.h"

#ifndef VTL_PR_MAX_DELAY_MS
#define VTL_PR_MAX_DELAY_MS 100
#endif
VTL_TUNABLE(__u32, vtl_max_delay_ms, VTL_PR_MAX_DELAY_MS);

VTL_GRAFT_META(.name = "pr-delay", .version = 1,
	       .services = VTL_SVC_PARTIAL | VTL_SVC_ORDERED | VTL_SVC_CC,
	       .roles = VTL_ROLE_EGRESS | VTL_ROLE_INGRESS | VTL_ROLE_LISTENER,
	       .window_default = VTL_ARQ_WINDOW, .window_min = 1, .window_max = VTL_WINDOW_MAX,
	       .max_loss_ppm = VTL_PR_MAX_LOSS_PPM, .max_delay_ms = VTL_PR_MAX_DELAY_MS);

VTL_ARQ_TIMER(vtl_arq_timer_cb);
VTL_ARQ_CC(vtl_cc_aimd);

/* ingress, after tf_xdp_window_data: give up a hole older than max delay */
static __always_inline int tf_xdp_delay_giveup(struct xdp_md *ctx, struct vtl_kctx *k)
{
	struct vtl_state *st = k->st;

	(void)ctx;
	if (k->p.vh->type != VTL_T_DATA || !st)
		return VTL_CONTINUE;
	if (vtl_rx_hole_age_us(k) >= vtl_max_delay_ms * 1000 && vtl_pr_grant(st)) {
		__sync_fetch_and_add(&st->pr_late, 1);
		vtl_count(VTL_DIR_XDP, VTL_CNT_GIVEUP_LATE);
	}
	return VTL_CONTINUE;
}

/* listener: echo the receiver's ACK stamps in our DATA, then SACK */
static __always_inline int tf_xdp_ack_echo(struct xdp_md *ctx, struct vtl_kctx *k)
{
	(void)ctx;
	vtl_ack_echo(k);
	return VTL_CONTINUE;
}

vtl_build_graft(egress, tf_tc_arq_send, tf_tc_ack, tf_tc_control);
vtl_build_graft(ingress, tf_xdp_window_data, tf_xdp_delay_giveup, tf_xdp_deliver,
		tf_xdp_control);
vtl_build_graft(listener, tf_xdp_ack_echo, tf_xdp_sack, tf_xdp_nego_reply);

char LICENSE[] SEC("license") = "Dual BSD/GPL";
