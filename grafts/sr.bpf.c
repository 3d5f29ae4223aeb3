// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * sr: Selective Repeat with SACK. The receiver takes any packet inside its
 * window; vtld buffers out-of-order packets, delivers in order and reports
 * what it holds in SACK blocks. The sender resends only the holes (the
 * egress KTF skips SACKed packets). AIMD congestion control.
 */
#define VTL_ARQ_CC 1
#include "vtl_ktf.h"
#include "tf_common.h"
#include "tf_arq.h"
#include "tf_cumack.h"
#include "tf_sack.h"

VTL_GRAFT_META("sr", 1, VTL_SVC_RELIABLE | VTL_SVC_ORDERED | VTL_SVC_CC,
	       VTL_ROLE_EGRESS | VTL_ROLE_INGRESS | VTL_ROLE_LISTENER,
	       VTL_ARQ_WINDOW, 1, VTL_WINDOW_MAX);

vtl_build_graft(egress, tf_tc_arq_send, tf_tc_ack, tf_tc_control);
vtl_build_graft(ingress, tf_xdp_window_data, tf_xdp_deliver, tf_xdp_control);
vtl_build_graft(listener, tf_xdp_sack, tf_xdp_nego_reply);

char LICENSE[] SEC("license") = "Dual BSD/GPL";
