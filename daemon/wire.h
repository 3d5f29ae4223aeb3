/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The wire: how VTL frames enter and leave this host. Receive: one
 * AF_XDP socket per rx queue (copy mode, our own XSKMAP, libxdp with
 * INHIBIT_PROG_LOAD), frames parsed and checked, then handed to the
 * transport. Send: one raw IPv4 socket of protocol 253, batches through
 * sendmmsg; the egress KTF stamps what it sends. KTF events come from the
 * ring buffer. It calls nothing above the transport's entry points
 * (tp_on_frame, tp_rx_batch_end, tp_on_event, tp_events_end,
 * tp_wire_ready, tp_on_unreachable) and serves the transport's struct
 * tp_wire.
 */
#ifndef VTLD_WIRE_H
#define VTLD_WIRE_H

#include <linux/types.h>

struct loop;
struct transport;
struct wire;

/* Open the sockets on ifname, fill the XSKMAP (xsks_map_fd), read the
 * KTF ring buffer (events_map_fd), and become tp's wire. */
int wire_open(struct wire **out, struct loop *lp, struct transport *tp, const char *ifname,
	      int xsks_map_fd, int events_map_fd);
void wire_close(struct wire *w);
int wire_nqueues(const struct wire *w);

#endif
