// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The wire: see wire.h. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/errqueue.h>
#include <linux/ethtool.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/xsk.h>
#include "log.h"
#include "loop.h"
#include "transport.h"
#include "wire.h"

#define XSK_FRAMES     4096
#define XSK_FRAME_SIZE 2048
#define XSK_RX_SIZE    2048

struct wire;

struct xsk_q {
	struct ep_item ep;
	struct wire *w;
	struct xsk_socket *xsk;
	struct xsk_umem *umem;
	struct xsk_ring_cons rx;
	struct xsk_ring_prod fq;
	struct xsk_ring_cons cq;
	void *area;
	__u32 queue;
};

struct wire {
	struct loop *lp;
	struct transport *tp;
	char ifname[IF_NAMESIZE];
	struct xsk_q q[VTL_MAX_QUEUES];
	int nq;
	int raw_fd;
	struct ep_item raw_ep;
	bool raw_blocked;
	int udp_fd;                      /* VTL over UDP: bound to udp_port */
	struct ep_item udp_ep;
	bool udp_blocked;
	__u16 udp_port;                  /* network order */
	struct ring_buffer *rb;
	struct ep_item rb_ep;
	/* one sendmmsg batch */
	struct mmsghdr msgs[TP_BATCH];
	struct iovec iov[TP_BATCH][3];   /* header, then the payload: at most
	                                  * two pieces of the session queue */
	struct vtl_hdr hdr[TP_BATCH];
	struct sockaddr_in sa[TP_BATCH];
	__u64 addrs[TP_BATCH];
};

static int rx_queue_count(const char *ifname)
{
	struct ethtool_channels ch = { .cmd = ETHTOOL_GCHANNELS };
	struct ifreq ifr = {};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), n = 1;

	if (fd < 0)
		return 1;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (void *)&ch;
	if (ioctl(fd, SIOCETHTOOL, &ifr) == 0)
		n = (int)(ch.rx_count + ch.combined_count);
	close(fd);
	if (n < 1)
		n = 1;
	return n > VTL_MAX_QUEUES ? VTL_MAX_QUEUES : n;
}

/* ---------------------------------------------------------------- send */

static void fill_hdr(struct vtl_hdr *h, __u32 sid, __u8 type, __u8 flags, __u32 seq,
		     __u32 ack, __u16 len)
{
	memset(h, 0, sizeof(*h));
	h->version = VTL_VERSION;
	h->type = type;
	h->flags = flags;
	h->hdr_len = VTL_HDR_LEN;
	h->session_id = htonl(sid);
	h->seq = htonl(seq);
	h->ack = htonl(ack);
	h->len = htons(len);
}

/* Where a peer's frames go: the raw socket (the kernel adds the IPv4
 * header) or the UDP socket, to the peer's address and (UDP) port. */
static struct sockaddr_in peer_sa(const struct vtl_peer *p)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };

	sa.sin_addr.s_addr = p->addr[0];
	sa.sin_port = p->encap == VTL_ENCAP_UDP ? p->port : 0;
	return sa;
}

static int fd_of(const struct wire *w, const struct vtl_peer *p)
{
	return p->encap == VTL_ENCAP_UDP ? w->udp_fd : w->raw_fd;
}

/* A short send: wait for room (EPOLLOUT), then the transport resumes. */
static void wire_block(struct wire *w, int fd)
{
	if (fd == w->udp_fd) {
		if (!w->udp_blocked)
			ep_mod(w->lp, w->udp_fd, EPOLLOUT, &w->udp_ep);
		w->udp_blocked = true;
		return;
	}
	if (w->raw_blocked)
		return;
	w->raw_blocked = true;
	ep_mod(w->lp, w->raw_fd, EPOLLOUT, &w->raw_ep);
}

static int w_send_ctrl(void *ctx, const struct vtl_peer *peer, __u32 sid, __u8 type, __u32 seq,
		       __u32 ack, const void *payload, __u16 len)
{
	struct wire *w = ctx;
	struct sockaddr_in sa = peer_sa(peer);
	struct vtl_hdr h;
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)payload, len } };
	struct msghdr m = { .msg_name = &sa, .msg_namelen = sizeof(sa), .msg_iov = iov,
			    .msg_iovlen = len ? 2 : 1 };

	fill_hdr(&h, sid, type, 0, seq, ack, len);
	if (fd_of(w, peer) < 0)
		return -EAFNOSUPPORT;
	if (sendmsg(fd_of(w, peer), &m, MSG_DONTWAIT) < 0) {
		pr_debug("send type %u to session %08x: %s\n", type, sid, strerror(errno));
		return -errno;
	}
	return 0;
}

static int w_send_data(void *ctx, const struct tp_sess *s, const struct tp_frame *f,
		       unsigned int n)
{
	struct wire *w = ctx;
	int r, fd = fd_of(w, &s->peer);

	w->sa[0] = peer_sa(&s->peer);
	for (unsigned int i = 0; i < n; i++) {
		fill_hdr(&w->hdr[i], s->id, VTL_T_DATA, 0, 0, 0, (__u16)f[i].len);
		w->iov[i][0] = (struct iovec){ &w->hdr[i], sizeof(w->hdr[i]) };
		w->iov[i][1] = f[i].iov[0];
		w->iov[i][2] = f[i].iov[1];
		w->msgs[i].msg_hdr = (struct msghdr){ .msg_name = &w->sa[0],
			.msg_namelen = sizeof(w->sa[0]), .msg_iov = w->iov[i],
			.msg_iovlen = (size_t)(1 + f[i].niov) };
	}
	r = sendmmsg(fd, w->msgs, n, MSG_DONTWAIT);
	if (r < (int)n) {
		int err = r < 0 ? -errno : r;

		if (r < 0 && errno != EAGAIN && errno != ENOBUFS)
			pr_warn("session %08x: send: %s\n", s->id, strerror(errno));
		wire_block(w, fd);
		return err;
	}
	return r;
}

static int w_send_retx(void *ctx, const struct tp_sess *s, __u32 from, __u32 to)
{
	struct wire *w = ctx;
	int fd = fd_of(w, &s->peer);
	__u32 seq, n;

	w->sa[0] = peer_sa(&s->peer);
	for (seq = from; seq != to;) {
		for (n = 0; n < TP_BATCH && seq != to; n++, seq++) {
			fill_hdr(&w->hdr[n], s->id, VTL_T_DATA, VTL_F_RETX, seq, 0, 0);
			w->iov[n][0] = (struct iovec){ &w->hdr[n], sizeof(w->hdr[n]) };
			w->msgs[n].msg_hdr = (struct msghdr){ .msg_name = &w->sa[0],
				.msg_namelen = sizeof(w->sa[0]), .msg_iov = w->iov[n],
				.msg_iovlen = 1 };
		}
		if (sendmmsg(fd, w->msgs, n, MSG_DONTWAIT) < (int)n) {
			pr_debug("session %08x: retransmission batch cut short\n", s->id);
			return -EAGAIN;
		}
	}
	return 0;
}

static void w_send_acks(void *ctx, const struct tp_ack *a, unsigned int n)
{
	struct wire *w = ctx;
	unsigned int first = 0;

	for (unsigned int i = 0; i < n; i++) {
		__u16 len = (__u16)(a[i].nb * sizeof(struct vtl_sack_block));

		w->sa[i] = peer_sa(&a[i].peer);
		fill_hdr(&w->hdr[i], a[i].sid, VTL_T_ACK, 0, 0, 0, len);
		w->iov[i][0] = (struct iovec){ &w->hdr[i], sizeof(w->hdr[i]) };
		w->iov[i][1] = (struct iovec){ (void *)a[i].sack, len };
		w->msgs[i].msg_hdr = (struct msghdr){ .msg_name = &w->sa[i],
			.msg_namelen = sizeof(w->sa[i]), .msg_iov = w->iov[i],
			.msg_iovlen = len ? 2 : 1 };
	}
	/* one sendmmsg per run of the same encapsulation */
	for (unsigned int i = 1; i <= n; i++) {
		if (i < n && a[i].peer.encap == a[first].peer.encap)
			continue;
		sendmmsg(fd_of(w, &a[first].peer), w->msgs + first, i - first, MSG_DONTWAIT);
		first = i;
	}
}

static bool w_blocked(void *ctx)
{
	const struct wire *w = ctx;

	return w->raw_blocked || w->udp_blocked;
}

static const struct tp_wire wire_ops = {
	.send_data = w_send_data,
	.send_retx = w_send_retx,
	.send_acks = w_send_acks,
	.send_ctrl = w_send_ctrl,
	.blocked = w_blocked,
};

/* Drain the raw socket's error queue. An ICMP protocol unreachable quotes
 * the start of our packet: the VTL header, whose session id says which
 * session's peer has no VTL. Reading the queue also clears the socket's
 * pending error, which would otherwise fail the next unrelated send. */
static void sock_errors(struct wire *w, int fd, __u8 encap)
{
	for (int i = 0; i < 64; i++) {
		char ctl[512], data[64];
		struct sockaddr_in dst = {};
		struct iovec iov = { data, sizeof(data) };
		struct msghdr m = { .msg_name = &dst, .msg_namelen = sizeof(dst), .msg_iov = &iov,
				    .msg_iovlen = 1, .msg_control = ctl,
				    .msg_controllen = sizeof(ctl) };
		const struct sock_extended_err *ee = NULL;
		struct cmsghdr *c;
		ssize_t n = recvmsg(fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT);
		struct vtl_peer peer;
		struct vtl_hdr h;

		if (n < 0)
			return;
		for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
			if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR)
				ee = (const struct sock_extended_err *)CMSG_DATA(c);
		/* raw: protocol unreachable; UDP: port unreachable (the
		 * quoted payload starts with the VTL header either way) */
		if (!ee || ee->ee_origin != SO_EE_ORIGIN_ICMP || ee->ee_type != 3 /* unreach */ ||
		    ee->ee_code != (encap == VTL_ENCAP_UDP ? 3 : 2) ||
		    (size_t)n < offsetof(struct vtl_hdr, seq) || m.msg_namelen < sizeof(dst))
			continue;
		memcpy(&h, data, (size_t)n < sizeof(h) ? (size_t)n : sizeof(h));
		peer = vtl_peer4(dst.sin_addr.s_addr, encap, dst.sin_port);
		tp_on_unreachable(w->tp, &peer, ntohl(h.session_id));
	}
}

static void raw_ready(void *obj, __u32 events)
{
	struct wire *w = obj;

	if (events & EPOLLERR)
		sock_errors(w, w->raw_fd, VTL_ENCAP_RAW);
	if (!(events & EPOLLOUT))
		return;
	w->raw_blocked = false;
	ep_mod(w->lp, w->raw_fd, 0, &w->raw_ep);
	tp_wire_ready(w->tp);
}

static void udp_ready(void *obj, __u32 events)
{
	struct wire *w = obj;

	if (events & EPOLLERR)
		sock_errors(w, w->udp_fd, VTL_ENCAP_UDP);
	if (!(events & EPOLLOUT))
		return;
	w->udp_blocked = false;
	ep_mod(w->lp, w->udp_fd, 0, &w->udp_ep);
	tp_wire_ready(w->tp);
}

/* ------------------------------------------------------------- receive */

/* Check one received frame (Ethernet, IPv4, protocol 253 or UDP to our
 * port, the VTL header and its length) and hand it to the transport with
 * the peer it came from. The XDP root checked it too; this side trusts
 * nothing it did not check itself. */
static void rx_frame(struct wire *w, const __u8 *pkt, __u32 len)
{
	const struct ethhdr *eth = (const void *)pkt;
	const struct udphdr *udp = NULL;
	const struct iphdr *ip;
	const struct vtl_hdr *h;
	struct vtl_peer from;
	__u32 ihl, tot, plen, l4;

	if (len < sizeof(*eth) + sizeof(*ip) || eth->h_proto != htons(ETH_P_IP))
		return;
	ip = (const void *)(eth + 1);
	ihl = ip->ihl * 4u;
	tot = ntohs(ip->tot_len);
	if (ihl < 20 || sizeof(*eth) + tot > len || tot < ihl)
		return;
	if (ip->protocol == IPPROTO_UDP) {
		if (tot < ihl + sizeof(*udp))
			return;
		udp = (const void *)((const __u8 *)ip + ihl);
		if (!w->udp_port || udp->dest != w->udp_port || ntohs(udp->len) != tot - ihl)
			return;
		l4 = ihl + sizeof(*udp);
		from = vtl_peer4(ip->saddr, VTL_ENCAP_UDP, udp->source);
	} else if (ip->protocol == VTL_IPPROTO) {
		l4 = ihl;
		from = vtl_peer4(ip->saddr, VTL_ENCAP_RAW, 0);
	} else {
		return;
	}
	if (tot < l4 + VTL_HDR_LEN)
		return;
	h = (const void *)((const __u8 *)ip + l4);
	plen = ntohs(h->len);
	if (h->version != VTL_VERSION || plen != tot - l4 - VTL_HDR_LEN)
		return;
	tp_on_frame(w->tp, &from, h, h + 1, plen);
}

static void xsk_rx(void *obj, __u32 events)
{
	struct xsk_q *q = obj;
	struct wire *w = q->w;
	int rounds = 16;

	(void)events;
	while (rounds--) {
		__u32 idx, fidx, n = xsk_ring_cons__peek(&q->rx, TP_BATCH, &idx);

		if (!n)
			break;
		for (__u32 i = 0; i < n; i++) {
			const struct xdp_desc *desc = xsk_ring_cons__rx_desc(&q->rx, idx + i);

			w->addrs[i] = xsk_umem__extract_addr(desc->addr);
			rx_frame(w, xsk_umem__get_data(q->area, desc->addr), desc->len);
		}
		xsk_ring_cons__release(&q->rx, n);
		if (xsk_ring_prod__reserve(&q->fq, n, &fidx) == n) {
			for (__u32 i = 0; i < n; i++)
				*xsk_ring_prod__fill_addr(&q->fq, fidx + i) = w->addrs[i];
			xsk_ring_prod__submit(&q->fq, n);
		}
		tp_rx_batch_end(w->tp);
	}
}

static int xsk_open(struct wire *w, struct xsk_q *q, __u32 queue, int xsks_map_fd)
{
	struct xsk_umem_config ucfg = {
		.fill_size = XSK_FRAMES, .comp_size = 64,
		.frame_size = XSK_FRAME_SIZE, .frame_headroom = 0,
	};
	struct xsk_socket_config cfg = {
		.rx_size = XSK_RX_SIZE, .tx_size = 0,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.bind_flags = XDP_COPY,
	};
	size_t len = (size_t)XSK_FRAMES * XSK_FRAME_SIZE;
	__u32 idx, fd;
	int err;

	q->w = w;
	q->queue = queue;
	q->area = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (q->area == MAP_FAILED) {
		q->area = NULL;
		return -errno;
	}
	err = xsk_umem__create(&q->umem, q->area, len, &q->fq, &q->cq, &ucfg);
	if (err) {
		pr_warn("AF_XDP umem for queue %u: %s\n", queue, strerror(-err));
		return err;
	}
	err = xsk_socket__create(&q->xsk, w->ifname, queue, q->umem, &q->rx, NULL, &cfg);
	if (err) {
		pr_warn("AF_XDP socket on %s queue %u: %s\n", w->ifname, queue, strerror(-err));
		return err;
	}
	if (xsk_ring_prod__reserve(&q->fq, XSK_FRAMES, &idx) != XSK_FRAMES)
		return -ENOMEM;
	for (__u32 i = 0; i < XSK_FRAMES; i++)
		*xsk_ring_prod__fill_addr(&q->fq, idx + i) = (__u64)i * XSK_FRAME_SIZE;
	xsk_ring_prod__submit(&q->fq, XSK_FRAMES);
	fd = xsk_socket__fd(q->xsk);
	if (bpf_map_update_elem(xsks_map_fd, &queue, &fd, BPF_ANY))
		return -errno;
	q->ep = (struct ep_item){ xsk_rx, q };
	return ep_add(w->lp, (int)fd, EPOLLIN, &q->ep);
}

static void xsk_close(struct xsk_q *q)
{
	if (q->xsk)
		xsk_socket__delete(q->xsk);
	if (q->umem)
		xsk_umem__delete(q->umem);
	if (q->area)
		munmap(q->area, (size_t)XSK_FRAMES * XSK_FRAME_SIZE);
	memset(q, 0, sizeof(*q));
}

/* --------------------------------------------------------- KTF events */

static int rb_event(void *ctx, void *data, size_t len)
{
	struct wire *w = ctx;

	if (len < sizeof(struct vtl_event))
		return 0;
	tp_on_event(w->tp, data);
	return 0;
}

static void rb_ready(void *obj, __u32 events)
{
	struct wire *w = obj;

	(void)events;
	ring_buffer__consume(w->rb);
	tp_events_end(w->tp);
}

/* ------------------------------------------------------------ set up */

static int raw_open(const char *ifname)
{
	struct sock_filter drop_all[] = { BPF_STMT(BPF_RET | BPF_K, 0) };
	struct sock_fprog prog = { .len = 1, .filter = drop_all };
	int fd, sz = 4 << 20, one = 1;

	fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, VTL_IPPROTO);
	if (fd < 0) {
		pr_warn("raw socket (protocol %d): %s\n", VTL_IPPROTO, strerror(errno));
		return -errno;
	}
	/* we only send on it; receive goes through AF_XDP */
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) ||
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, strlen(ifname))) {
		int e = -errno;

		pr_warn("raw socket options: %s\n", strerror(errno));
		close(fd);
		return e;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	/* ICMP errors about what we sent come to the error queue (EPOLLERR):
	 * a host without vtld answers "protocol unreachable" */
	if (setsockopt(fd, IPPROTO_IP, IP_RECVERR, &one, sizeof(one)))
		pr_warn("raw socket IP_RECVERR: %s (no early 'no VTL there')\n", strerror(errno));
	return fd;
}

/* VTL over UDP: a datagram socket bound to the port on the interface. It
 * only sends (what arrives goes to AF_XDP; a filter drops anything the
 * stack would queue here), with UDP checksums off: the KTFs stamp the
 * packet after the socket, and the VTL checksum covers header and
 * payload; and it owns the port, so the host sends no port unreachable. */
static int udp_open(const char *ifname, __u16 port)
{
	struct sock_filter drop_all[] = { BPF_STMT(BPF_RET | BPF_K, 0) };
	struct sock_fprog prog = { .len = 1, .filter = drop_all };
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd, sz = 4 << 20, one = 1;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) ||
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, strlen(ifname)) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_NO_CHECK, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int e = -errno;

		pr_warn("UDP socket (port %u on %s): %s\n", port, ifname, strerror(errno));
		close(fd);
		return e;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	if (setsockopt(fd, IPPROTO_IP, IP_RECVERR, &one, sizeof(one)))
		pr_warn("UDP socket IP_RECVERR: %s (no early 'no VTL there')\n", strerror(errno));
	return fd;
}

int wire_open(struct wire **out, struct loop *lp, struct transport *tp, const char *ifname,
	      __u16 udp_port, int xsks_map_fd, int events_map_fd)
{
	struct wire *w = calloc(1, sizeof(*w));
	int err, nq;

	*out = w;
	if (!w)
		return -ENOMEM;
	w->lp = lp;
	w->tp = tp;
	w->raw_fd = -1;
	w->udp_fd = -1;
	snprintf(w->ifname, sizeof(w->ifname), "%s", ifname);
	w->raw_fd = raw_open(ifname);
	if (w->raw_fd < 0)
		return w->raw_fd;
	if (udp_port) {
		w->udp_fd = udp_open(ifname, udp_port);
		if (w->udp_fd < 0)
			return w->udp_fd;
		w->udp_port = htons(udp_port);
		w->udp_ep = (struct ep_item){ udp_ready, w };
		err = ep_add(lp, w->udp_fd, 0, &w->udp_ep);
		if (err)
			return err;
	}
	tp_set_wire(tp, &wire_ops, w);
	w->raw_ep = (struct ep_item){ raw_ready, w };
	err = ep_add(lp, w->raw_fd, 0, &w->raw_ep);
	if (err)
		return err;
	w->rb = ring_buffer__new(events_map_fd, rb_event, w, NULL);
	if (!w->rb)
		return -errno;
	w->rb_ep = (struct ep_item){ rb_ready, w };
	err = ep_add(lp, ring_buffer__epoll_fd(w->rb), EPOLLIN, &w->rb_ep);
	if (err)
		return err;
	nq = rx_queue_count(ifname);
	for (int i = 0; i < nq; i++) {
		err = xsk_open(w, &w->q[i], (__u32)i, xsks_map_fd);
		w->nq = i + 1;
		if (err)
			return err;
	}
	if (udp_port)
		pr_info("wire: %d AF_XDP queue(s), raw protocol %d and UDP port %u sockets\n", nq,
			VTL_IPPROTO, udp_port);
	else
		pr_info("wire: %d AF_XDP queue(s), raw protocol %d socket\n", nq, VTL_IPPROTO);
	return 0;
}

int wire_nqueues(const struct wire *w)
{
	return w ? w->nq : 0;
}

void wire_close(struct wire *w)
{
	if (!w)
		return;
	for (int i = 0; i < w->nq; i++)
		xsk_close(&w->q[i]);
	ring_buffer__free(w->rb);
	if (w->raw_fd >= 0)
		close(w->raw_fd);
	if (w->udp_fd >= 0)
		close(w->udp_fd);
	free(w);
}
