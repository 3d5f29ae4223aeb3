/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Between the wire's own files: wire.c (receive, KTF events, the
 * transport's operations) and wire_sock.c (the sockets frames leave by). */
#ifndef VTLD_WIRE_INT_H
#define VTLD_WIRE_INT_H

#include <stdbool.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/types.h>
#include <vtl/shared.h>
#include "loop.h"

struct wire;

/* One way out: IPv4 or IPv6, raw protocol 253 or UDP of VTL's port. */
enum { WS_RAW4, WS_UDP4, WS_RAW6, WS_UDP6, WS_N };

struct wsock {
	struct wire *w;
	struct loop *lp;
	int fd;                 /* -1: not open (no UDP, or no IPv6 here) */
	struct ep_item ep;
	bool blocked;           /* a short send: waiting for EPOLLOUT */
	__u8 family, encap;     /* VTL_AF_*, VTL_ENCAP_* */
};

union wire_sa {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

/* Open the four sockets on ifname (UDP on udp_port, host order; 0: none;
 * IPv6 ones only where the namespace has IPv6) and watch them. */
int wsock_open_all(struct wire *w, struct loop *lp, struct wsock s[WS_N], const char *ifname,
		   __u16 udp_port);
void wsock_close_all(struct wsock s[WS_N]);
/* The socket a peer's frames leave by (its fd is -1 if that way is not
 * open), and the peer's address for it; returns the address length. */
struct wsock *wsock_of(struct wsock s[WS_N], const struct vtl_peer *p);
socklen_t wsock_sa(const struct vtl_peer *p, union wire_sa *sa);
/* A short send on ws: wait for room, then the transport resumes. */
void wsock_block(struct wsock *ws);
/* wire.c: a socket has room again / an ICMP error named a session. */
void wire_sock_ready(struct wire *w);
void wire_sock_unreachable(struct wire *w, const struct vtl_peer *peer, __u32 sid);

#endif
