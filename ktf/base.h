/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What every KTF header builds on: the kernel's BPF, Ethernet, IPv4 and TC
 * definitions, libbpf's helper declarations, and VTL's wire format and
 * shared definitions (include/vtl/). Every header of the library includes
 * it (and whatever else it uses), so any one of them may be included alone
 * and in any order.
 */
#ifndef VTL_KTF_BASE_H
#define VTL_KTF_BASE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <linux/in.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <vtl/wire.h>
#include <vtl/shared.h>

#endif
