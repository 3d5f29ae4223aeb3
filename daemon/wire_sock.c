// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The sockets VTL frames leave by (wire_int.h): raw protocol 253 and UDP
 * of VTL's port, for IPv4 and IPv6. The kernel adds the IP (and UDP)
 * header; the egress KTF stamps the rest. They only send: what arrives
 * goes to AF_XDP (wire.c), and a filter drops anything the stack would
 * queue here. UDP checksums are off (the KTFs rewrite the packet after the
 * socket; the VTL checksum covers header and payload), and the UDP sockets
 * own the port, so the host answers no port unreachable for it. ICMP
 * errors about what we sent come to each socket's error queue: "protocol
 * unreachable" (raw) or "port unreachable" (UDP) means no VTL at the peer.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/errqueue.h>
#include <linux/filter.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include "log.h"
#include "peer.h"
#include "wire_int.h"

#ifndef UDP_NO_CHECK6_TX
#define UDP_NO_CHECK6_TX 101
#endif
#ifndef UDP_NO_CHECK6_RX
#define UDP_NO_CHECK6_RX 102
#endif

socklen_t wsock_sa(const struct vtl_peer *p, union wire_sa *sa)
{
	__u16 port = p->encap == VTL_ENCAP_UDP ? p->port : 0;

	memset(sa, 0, sizeof(*sa));
	if (p->family == VTL_AF_INET6) {
		sa->in6.sin6_family = AF_INET6;
		memcpy(&sa->in6.sin6_addr, p->addr, 16);
		sa->in6.sin6_port = port;
		return sizeof(sa->in6);
	}
	sa->in.sin_family = AF_INET;
	sa->in.sin_addr.s_addr = p->addr[0];
	sa->in.sin_port = port;
	return sizeof(sa->in);
}

struct wsock *wsock_of(struct wsock s[WS_N], const struct vtl_peer *p)
{
	int i = (p->family == VTL_AF_INET6 ? WS_RAW6 : WS_RAW4) + (p->encap == VTL_ENCAP_UDP);

	return &s[i];
}

void wsock_block(struct wsock *ws)
{
	if (ws->blocked || ws->fd < 0)
		return;
	ws->blocked = true;
	ep_mod(ws->lp, ws->fd, EPOLLOUT, &ws->ep);
}

/* Drain a socket's error queue. The ICMP error quotes the start of our
 * packet's payload: the VTL header, whose session id says which session's
 * peer has no VTL. Reading the queue also clears the socket's pending
 * error, which would otherwise fail the next unrelated send. */
static void ws_errors(struct wsock *ws)
{
	for (int i = 0; i < 64; i++) {
		char ctl[512], data[64];
		union wire_sa dst = {};
		struct iovec iov = { data, sizeof(data) };
		struct msghdr m = { .msg_name = &dst, .msg_namelen = sizeof(dst), .msg_iov = &iov,
				    .msg_iovlen = 1, .msg_control = ctl,
				    .msg_controllen = sizeof(ctl) };
		const struct sock_extended_err *ee = NULL;
		struct cmsghdr *c;
		ssize_t n = recvmsg(ws->fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT);
		struct vtl_peer peer;
		struct vtl_hdr h;
		bool no_vtl;

		if (n < 0)
			return;
		for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
			if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
			    (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR))
				ee = (const struct sock_extended_err *)CMSG_DATA(c);
		if (!ee || (size_t)n < offsetof(struct vtl_hdr, seq))
			continue;
		if (ws->family == VTL_AF_INET6)
			/* raw: "unrecognized next header" (parameter problem 1);
			 * UDP: port unreachable (unreachable 4) */
			no_vtl = ee->ee_origin == SO_EE_ORIGIN_ICMP6 &&
				 (ws->encap == VTL_ENCAP_UDP ? ee->ee_type == 1 && ee->ee_code == 4 :
							       ee->ee_type == 4 && ee->ee_code == 1);
		else
			no_vtl = ee->ee_origin == SO_EE_ORIGIN_ICMP && ee->ee_type == 3 &&
				 ee->ee_code == (ws->encap == VTL_ENCAP_UDP ? 3 : 2);
		if (!no_vtl)
			continue;
		memcpy(&h, data, (size_t)n < sizeof(h) ? (size_t)n : sizeof(h));
		if (ws->family == VTL_AF_INET6) {
			if (m.msg_namelen < sizeof(dst.in6))
				continue;
			peer = (struct vtl_peer){ .family = VTL_AF_INET6, .encap = ws->encap,
				.port = ws->encap == VTL_ENCAP_UDP ? dst.in6.sin6_port : 0 };
			memcpy(peer.addr, &dst.in6.sin6_addr, 16);
		} else {
			if (m.msg_namelen < sizeof(dst.in))
				continue;
			peer = vtl_peer4(dst.in.sin_addr.s_addr, ws->encap, dst.in.sin_port);
		}
		wire_sock_unreachable(ws->w, &peer, ntohl(h.session_id));
	}
}

static void ws_ready(void *obj, __u32 events)
{
	struct wsock *ws = obj;

	if (events & EPOLLERR)
		ws_errors(ws);
	if (!(events & EPOLLOUT))
		return;
	ws->blocked = false;
	ep_mod(ws->lp, ws->fd, 0, &ws->ep);
	wire_sock_ready(ws->w);
}

static int ws_open(struct wsock *ws, const char *ifname, __u16 port)
{
	struct sock_filter drop_all[] = { BPF_STMT(BPF_RET | BPF_K, 0) };
	struct sock_fprog prog = { .len = 1, .filter = drop_all };
	bool v6 = ws->family == VTL_AF_INET6, udp = ws->encap == VTL_ENCAP_UDP;
	int fd, sz = 4 << 20, one = 1, err;
	const char *what;

	fd = socket(v6 ? AF_INET6 : AF_INET, (udp ? SOCK_DGRAM : SOCK_RAW) | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, udp ? 0 : VTL_IPPROTO);
	if (fd < 0)
		return -errno;
	what = "options";
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) ||
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, strlen(ifname)))
		goto fail;
	if (udp) {
		union wire_sa sa = {};
		socklen_t len;

		if (v6) {
			sa.in6.sin6_family = AF_INET6;
			sa.in6.sin6_port = htons(port);
			len = sizeof(sa.in6);
			if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) ||
			    setsockopt(fd, IPPROTO_UDP, UDP_NO_CHECK6_TX, &one, sizeof(one)) ||
			    setsockopt(fd, IPPROTO_UDP, UDP_NO_CHECK6_RX, &one, sizeof(one)))
				goto fail;
		} else {
			sa.in.sin_family = AF_INET;
			sa.in.sin_port = htons(port);
			len = sizeof(sa.in);
			if (setsockopt(fd, SOL_SOCKET, SO_NO_CHECK, &one, sizeof(one)))
				goto fail;
		}
		what = "bind";
		if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
		    bind(fd, &sa.sa, len))
			goto fail;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	if (v6 ? setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &one, sizeof(one)) :
		 setsockopt(fd, IPPROTO_IP, IP_RECVERR, &one, sizeof(one)))
		pr_warn("%s socket: no ICMP errors (%s): no early 'no VTL there'\n",
			v6 ? "IPv6" : "IPv4", strerror(errno));
	ws->fd = fd;
	return 0;
fail:
	err = -errno;
	pr_warn("%s %s socket on %s: %s: %s\n", v6 ? "IPv6" : "IPv4",
		udp ? "UDP" : "raw protocol 253", ifname, what, strerror(errno));
	close(fd);
	return err;
}

int wsock_open_all(struct wire *w, struct loop *lp, struct wsock s[WS_N], const char *ifname,
		   __u16 udp_port)
{
	static const __u8 fam[WS_N] = { VTL_AF_INET, VTL_AF_INET, VTL_AF_INET6, VTL_AF_INET6 };
	static const __u8 enc[WS_N] = { VTL_ENCAP_RAW, VTL_ENCAP_UDP, VTL_ENCAP_RAW,
					 VTL_ENCAP_UDP };
	int err;

	for (int i = 0; i < WS_N; i++)
		s[i] = (struct wsock){ .w = w, .lp = lp, .fd = -1, .family = fam[i],
				       .encap = enc[i] };
	for (int i = 0; i < WS_N; i++) {
		if (enc[i] == VTL_ENCAP_UDP && !udp_port)
			continue;
		err = ws_open(&s[i], ifname, udp_port);
		if (err && fam[i] == VTL_AF_INET6 &&
		    (err == -EAFNOSUPPORT || err == -EADDRNOTAVAIL)) {
			pr_info("no IPv6 on %s: VTL over IPv4 only\n", ifname);
			break;
		}
		if (err)
			return err;
		s[i].ep = (struct ep_item){ ws_ready, &s[i] };
		err = ep_add(lp, s[i].fd, 0, &s[i].ep);
		if (err)
			return err;
	}
	return 0;
}

void wsock_close_all(struct wsock s[WS_N])
{
	for (int i = 0; i < WS_N; i++) {
		if (s[i].fd >= 0)
			close(s[i].fd);
		s[i].fd = -1;
	}
}
