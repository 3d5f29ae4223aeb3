// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * mygraft: a VTL graft (made from the VTL graft template).
 *
 * As it stands it is Selective Repeat with SACK and AIMD congestion
 * control, composed from the KTF library's transport functions (TFs),
 * plus one TF of its own (tf_xdp_mygraft_data) with a tunable and a
 * per-session counter in private state, to show the shape of a TF.
 * Change it, then:
 *   make                       build mygraft.o (needs pkg-config vtl-ktf)
 *   vtlctl graft verify mygraft.o
 *   sudo vtlctl graft test mygraft.o loss 1% delay 5ms rate 16mbit
 *   cp mygraft.o <pool dir>/   vtld picks it up (inotify); vtlcat -g mygraft
 * Guide: docs/graft-authoring.md in the VTL source.
 */
#include "vtl_ktf.h"            /* maps, parsing, counters, timers, emit, meta */
#include "tf_common.h"          /* NEGO/CLOSE/RESET carriage, ACK stamping */
#include "tf_arq.h"             /* sender: stamp, keep copies, RTO timer, refill */
#include "tf_sack.h"            /* receiver window, SACK sender side */

/* Private per-session state (optional): this graft's own fields, in the
 * shared map vtl_priv instead of struct vtl_state. At most VTL_PRIV_BYTES;
 * zeroed for each new session and when a swap installs this graft;
 * vtl_priv_of(slot) returns it (or NULL: check). Before VTL_GRAFT_META. */
struct mygraft_state {
	__u64 big_payloads;     /* DATA payloads above half of mygraft_max_payload */
};
VTL_GRAFT_PRIVATE(struct mygraft_state);

/* What the pool reads (.vtl.meta), by field name: name (<= 23 chars),
 * version, services, roles, window default/min/max; optional max_loss_ppm,
 * max_delay_ms. NEGO names a graft by name + version + sha256, so both
 * hosts need the same build. */
VTL_GRAFT_META(.name = "mygraft", .version = 1,
	       .services = VTL_SVC_RELIABLE | VTL_SVC_ORDERED | VTL_SVC_CC,
	       .roles = VTL_ROLE_EGRESS | VTL_ROLE_INGRESS | VTL_ROLE_LISTENER,
	       .window_default = VTL_ARQ_WINDOW, .window_min = 1, .window_max = VTL_WINDOW_MAX);

/* tf_arq.h's hooks, chosen explicitly (no default): the retransmission
 * timer (the library's, or a callback of your own) and the congestion
 * control (vtl_cc_aimd, vtl_cc_none, or your own: tf_cc.h). */
VTL_ARQ_TIMER(vtl_arq_timer_cb);
VTL_ARQ_CC(vtl_cc_aimd);

/* A tunable: const volatile rodata, set by the loader before load (the
 * verifier then sees a constant). Here: the largest DATA payload accepted. */
VTL_TUNABLE(__u32, mygraft_max_payload, VTL_MSS_MAX);

/*
 * A TF: (program context, KTF context) -> verdict. Return VTL_CONTINUE to
 * hand the packet to the next TF of the chain, or end it: XDP_DROP via
 * vtl_xdp_drop(VTL_DROP_*) (counted by reason), vtl_to_broker(ctx) (up to
 * vtld), XDP_TX after a rewrite (vtl_xdp_reply_ack). k->p has the packet's
 * pointers, already bounds-checked; k->st the session state (NULL for a
 * packet of no known session); k->slot and k->now_us.
 */
static __always_inline int tf_xdp_mygraft_data(struct xdp_md *ctx, struct vtl_kctx *k)
{
	struct mygraft_state *ms;

	(void)ctx;
	if (k->p.vh->type != VTL_T_DATA)
		return VTL_CONTINUE;
	if (k->p.pay_len > mygraft_max_payload)
		return vtl_xdp_drop(VTL_DROP_BAD_LENGTH);
	ms = vtl_priv_of(k->slot);
	if (ms && k->p.pay_len > mygraft_max_payload / 2)
		__sync_fetch_and_add(&ms->big_payloads, 1);
	return VTL_CONTINUE;
}

/* One program per role; up to VTL_TF_MAX (8) TFs each, run in order. */
vtl_build_graft(egress, tf_tc_arq_send, tf_tc_ack, tf_tc_control);
vtl_build_graft(ingress, tf_xdp_mygraft_data, tf_xdp_window_data, tf_xdp_deliver,
		tf_xdp_control);
vtl_build_graft(listener, tf_xdp_sack, tf_xdp_nego_reply);

char LICENSE[] SEC("license") = "Dual BSD/GPL";
