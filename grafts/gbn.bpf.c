// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * gbn: Go-Back-N. The sender keeps up to vtl_window packets in flight
 * (copies held by the egress KTF); the receiver accepts only the next
 * in-order packet and acknowledges cumulatively. An out-of-order or
 * duplicate packet is answered in kernel with a duplicate ACK (XDP_TX);
 * three duplicate ACKs or a timeout make the sender go back to snd_una
 * and resend everything outstanding. AIMD congestion control.
 */
#include "tf_common.h"
#include "tf_cumack.h"

VTL_GRAFT_META(.name = "gbn", .version = 1,
	       .services = VTL_SVC_RELIABLE | VTL_SVC_ORDERED | VTL_SVC_CC,
	       .roles = VTL_ROLE_EGRESS | VTL_ROLE_INGRESS | VTL_ROLE_LISTENER,
	       .window_default = VTL_ARQ_WINDOW, .window_min = 1, .window_max = VTL_WINDOW_MAX);

VTL_ARQ_TIMER(vtl_arq_timer_cb);
VTL_ARQ_CC(vtl_cc_aimd);

vtl_build_graft(egress, tf_tc_arq_send, tf_tc_ack, tf_tc_control);
vtl_build_graft(ingress, tf_xdp_inorder_data, tf_xdp_control);
vtl_build_graft(listener, tf_xdp_cumack, tf_xdp_nego_reply);

char LICENSE[] SEC("license") = "Dual BSD/GPL";
