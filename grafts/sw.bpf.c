// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * sw: stop-and-wait. One packet in flight; the receiver accepts the next
 * in-order packet and ACKs it; a timeout resends. Go-Back-N's TFs with the
 * window pinned to 1.
 */
#define VTL_ARQ_WINDOW 1
#include "vtl_ktf.h"
#include "tf_common.h"
#include "tf_arq.h"
#include "tf_cumack.h"

VTL_GRAFT_META("sw", 1, VTL_SVC_RELIABLE | VTL_SVC_ORDERED,
	       VTL_ROLE_EGRESS | VTL_ROLE_INGRESS | VTL_ROLE_LISTENER, 1, 1, 1);

vtl_build_graft(egress, tf_tc_arq_send, tf_tc_ack, tf_tc_control);
vtl_build_graft(ingress, tf_xdp_inorder_data, tf_xdp_control);
vtl_build_graft(listener, tf_xdp_cumack, tf_xdp_nego_reply);

char LICENSE[] SEC("license") = "Dual BSD/GPL";
