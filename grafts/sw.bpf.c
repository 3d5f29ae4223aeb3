// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * sw: stop-and-wait. One packet in flight; the receiver accepts the next
 * in-order packet and ACKs it; a timeout resends. Go-Back-N's TFs with the
 * window pinned to 1 (the metadata's range: vtld sets vtl_window to 1).
 * No congestion control.
 */
#include "tf_common.h"
#include "tf_cumack.h"

VTL_GRAFT_META(.name = "sw", .version = 1, .services = VTL_SVC_RELIABLE | VTL_SVC_ORDERED,
	       .roles = VTL_ROLE_EGRESS | VTL_ROLE_INGRESS | VTL_ROLE_LISTENER,
	       .window_default = 1, .window_min = 1, .window_max = 1);

VTL_ARQ_TIMER(vtl_arq_timer_cb);
VTL_ARQ_CC(vtl_cc_none);

vtl_build_graft(egress, tf_tc_arq_send, tf_tc_ack, tf_tc_control);
vtl_build_graft(ingress, tf_xdp_inorder_data, tf_xdp_control);
vtl_build_graft(listener, tf_xdp_cumack, tf_xdp_nego_reply);

char LICENSE[] SEC("license") = "Dual BSD/GPL";
