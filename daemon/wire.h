/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The wire: how VTL frames enter and leave this host. Receive: one
 * AF_XDP socket per rx queue (copy mode, our own XSKMAP, libxdp with
 * INHIBIT_PROG_LOAD), frames parsed and checked, then handed to the
 * transport. Send: a raw IPv4 socket of protocol 253, and a UDP socket
 * bound to VTL's port (VTL over UDP), batches through sendmmsg; each
 * peer's frames go in the encapsulation of its session; the egress KTF
 * stamps what it sends. KTF events come from the
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

/* Open the sockets on ifname (the UDP one on udp_port, host order; 0:
 * none), fill the XSKMAP (xsks_map_fd), read the KTF ring buffer
 * (events_map_fd), and become tp's wire. */
int wire_open(struct wire **out, struct loop *lp, struct transport *tp, const char *ifname,
	      __u16 udp_port, int xsks_map_fd, int events_map_fd);
void wire_close(struct wire *w);
int wire_nqueues(const struct wire *w);

#endif
