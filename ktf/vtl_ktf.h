/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The KTF library: everything a graft author includes. Header-only, one
 * topic per header:
 *   maps.h    the shared maps every graft reuses (by name)
 *   parse.h   bounds-checked parsing of Ethernet/IPv4/VTL
 *   csum.h    the VTL checksum
 *   count.h   counters and stable drop reasons
 *   session.h per-session state lookup, sequence arithmetic
 *   timer.h   vtl_start_timer/vtl_stop_timer over bpf_timer
 *   emit.h    redirect to the Data Broker, XDP_TX replies, ring events
 *   graft.h   graft metadata, tunables and vtl_build_graft()
 */
#ifndef VTL_KTF_H
#define VTL_KTF_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <vtl/wire.h>
#include <vtl/shared.h>

#include "maps.h"
#include "count.h"
#include "parse.h"
#include "csum.h"
#include "session.h"
#include "timer.h"
#include "emit.h"
#include "graft.h"

#endif
