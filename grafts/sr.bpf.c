// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * sr: Selective Repeat with SACK. The receiver takes any packet inside its
 * window; vtld buffers out-of-order packets, delivers in order and reports
 * what it holds in SACK blocks. The sender resends only the holes (the
 * egress KTF skips SACKed packets). AIMD congestion control.
 */
#include "tf_common.h"
#include "tf_sack.h"

VTL_GRAFT_META(.name = "sr", .version = 1,
	       .services = VTL_SVC_RELIABLE | VTL_SVC_ORDERED | VTL_SVC_CC,
	       .roles = VTL_ROLE_EGRESS | VTL_ROLE_INGRESS | VTL_ROLE_LISTENER,
	       .window_default = VTL_ARQ_WINDOW, .window_min = 1, .window_max = VTL_WINDOW_MAX);

VTL_ARQ_TIMER(vtl_arq_timer_cb);
VTL_ARQ_CC(vtl_cc_aimd);

vtl_build_graft(egress, tf_tc_arq_send, tf_tc_ack, tf_tc_control);
vtl_build_graft(ingress, tf_xdp_window_data, tf_xdp_deliver, tf_xdp_control);
vtl_build_graft(listener, tf_xdp_sack, tf_xdp_nego_reply);

char LICENSE[] SEC("license") = "Dual BSD/GPL";
