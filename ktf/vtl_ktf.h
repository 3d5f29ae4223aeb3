/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The KTF library: everything a graft author includes. Header-only, one
 * topic per header; each includes what it uses, so any of them can be
 * included alone and in any order (this one includes the base set):
 *   base.h    kernel, libbpf and VTL (include/vtl/) definitions
 *   maps.h    the shared maps every graft reuses (by name)
 *   parse.h   the packet's pointers in a graft (vtl_pkt, vtl_repoint)
 *   csum.h    the VTL checksum
 *   count.h   counters and stable drop reasons
 *   session.h per-session state lookup, sequence arithmetic
 *   timer.h   vtl_start_timer/vtl_stop_timer over bpf_timer
 *   emit.h    redirect to the Data Broker, XDP_TX replies, ring events
 *   graft.h   metadata, private state, tunables, vtl_build_graft()
 * Transport functions, included on their own:
 *   tf_common.h  control packets, ACK stamping (every graft)
 *   tf_arq.h     windowed ARQ sender: copies, RTO timer, RTT; the graft
 *                chooses its timer and congestion control (VTL_ARQ_TIMER,
 *                VTL_ARQ_CC)
 *   tf_cc.h      the congestion-control interface, AIMD and none
 *   tf_cumack.h  Go-Back-N receiver, cumulative ACKs
 *   tf_sack.h    Selective Repeat receiver window, SACK, partial reliability
 * The root programs vtld attaches live in bpf/ of the source tree; they
 * are not part of this library.
 */
#ifndef VTL_KTF_H
#define VTL_KTF_H

#include "base.h"
#include "maps.h"
#include "count.h"
#include "parse.h"
#include "csum.h"
#include "session.h"
#include "timer.h"
#include "emit.h"
#include "graft.h"

#endif
