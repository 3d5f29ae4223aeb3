// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * mygraft: a VTL graft (made from the VTL graft template).
 *
 * As it stands it is Selective Repeat with SACK and AIMD congestion
 * control, composed from the KTF library's transport functions (TFs),
 * plus one TF of its own (tf_xdp_mygraft_data) with a tunable, to show
 * the shape of a TF. Change it, then:
 *   make                       build mygraft.o (needs pkg-config vtl-ktf)
 *   vtlctl graft verify mygraft.o
 *   sudo vtlctl graft test mygraft.o loss 1% delay 5ms rate 16mbit
 *   cp mygraft.o <pool dir>/   vtld picks it up (inotify); vtlcat -g mygraft
 * Guide: docs/graft-authoring.md in the VTL source.
 */
#define VTL_ARQ_CC 1            /* tf_cc.h: AIMD on (a tunable, vtl_cc) */
#include "vtl_ktf.h"            /* maps, parsing, counters, timers, emit, meta */
#include "tf_common.h"          /* NEGO/CLOSE/RESET carriage, ACK stamping */
#include "tf_arq.h"             /* sender: stamp, keep copies, RTO timer, refill */
#include "tf_cumack.h"          /* vtl_ack_advance (used by tf_xdp_sack) */
#include "tf_sack.h"            /* receiver window, SACK sender side */

/* What the pool reads (.vtl.meta): name (<= 23 chars), version, services,
 * roles, window default/min/max. NEGO names a graft by name + version +
 * sha256, so both hosts need the same build. */
VTL_GRAFT_META("mygraft", 1, VTL_SVC_RELIABLE | VTL_SVC_ORDERED | VTL_SVC_CC,
	       VTL_ROLE_EGRESS | VTL_ROLE_INGRESS | VTL_ROLE_LISTENER,
	       VTL_ARQ_WINDOW, 1, VTL_WINDOW_MAX);

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
	(void)ctx;
	if (k->p.vh->type != VTL_T_DATA)
		return VTL_CONTINUE;
	if (k->p.pay_len > mygraft_max_payload)
		return vtl_xdp_drop(VTL_DROP_BAD_LENGTH);
	return VTL_CONTINUE;
}

/* One program per role; up to four TFs each, run in order. */
vtl_build_graft(egress, tf_tc_arq_send, tf_tc_ack, tf_tc_control);
vtl_build_graft(ingress, tf_xdp_mygraft_data, tf_xdp_window_data, tf_xdp_deliver,
		tf_xdp_control);
vtl_build_graft(listener, tf_xdp_sack, tf_xdp_nego_reply);

char LICENSE[] SEC("license") = "Dual BSD/GPL";
