/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* struct vtl_peer (include/vtl/shared.h) in userspace: make, compare,
 * print. No system calls: the transport uses it too. */
#ifndef VTL_LIB_PEER_H
#define VTL_LIB_PEER_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <vtl/shared.h>

static inline struct vtl_peer vtl_peer4(__u32 addr, __u8 encap, __u16 port_be)
{
	struct vtl_peer p = { .family = VTL_AF_INET, .encap = encap };

	p.addr[0] = addr;
	p.port = encap == VTL_ENCAP_UDP ? port_be : 0;
	return p;
}

static inline bool vtl_peer_eq(const struct vtl_peer *a, const struct vtl_peer *b)
{
	return a->family == b->family && a->encap == b->encap && a->port == b->port &&
	       !memcmp(a->addr, b->addr, a->family == VTL_AF_INET6 ? 16 : 4);
}

/* The same host, whatever the encapsulation and port. */
static inline bool vtl_peer_same_host(const struct vtl_peer *a, const struct vtl_peer *b)
{
	return a->family == b->family &&
	       !memcmp(a->addr, b->addr, a->family == VTL_AF_INET6 ? 16 : 4);
}

#define VTL_PEER_STRLEN 64
/* "10.0.0.2" (raw), "10.0.0.2 udp:4753", "[fd00::2] udp:4753". */
static inline const char *vtl_peer_str(const struct vtl_peer *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";

	inet_ntop(p->family == VTL_AF_INET6 ? AF_INET6 : AF_INET, p->addr, a, sizeof(a));
	if (p->encap == VTL_ENCAP_UDP)
		snprintf(buf, len, p->family == VTL_AF_INET6 ? "[%s] udp:%u" : "%s udp:%u", a,
			 ntohs(p->port));
	else
		snprintf(buf, len, "%s", a);
	return buf;
}

#endif
