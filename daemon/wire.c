// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The wire: see wire.h. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/ethtool.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
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
#include "wire_int.h"

/* a burst of hundreds of sessions' first windows must fit (a frame the
 * ring has no room for is lost after the KTF counted it) */
#define XSK_FRAMES     8192
#define XSK_FRAME_SIZE 2048
#define XSK_RX_SIZE    4096

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
	struct wsock s[WS_N];            /* the ways out (wire_sock.c) */
	__u16 udp_port;                  /* network order; 0: no UDP */
	struct ring_buffer *rb;
	struct ep_item rb_ep;
	/* one sendmmsg batch */
	struct mmsghdr msgs[TP_BATCH];
	struct iovec iov[TP_BATCH][3];   /* header, then the payload: at most
	                                  * two pieces of the session queue */
	struct vtl_hdr hdr[TP_BATCH];
	union wire_sa sa[TP_BATCH];
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

static int w_send_ctrl(void *ctx, const struct vtl_peer *peer, __u32 sid, __u8 type, __u32 seq,
		       __u32 ack, const void *payload, __u16 len)
{
	struct wire *w = ctx;
	struct wsock *ws = wsock_of(w->s, peer);
	union wire_sa sa;
	struct vtl_hdr h;
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)payload, len } };
	struct msghdr m = { .msg_name = &sa, .msg_namelen = wsock_sa(peer, &sa), .msg_iov = iov,
			    .msg_iovlen = len ? 2 : 1 };

	/* a bare ACK from here is a keepalive (ACKs go by w_send_acks) */
	fill_hdr(&h, sid, type, type == VTL_T_ACK ? VTL_F_KEEPALIVE : 0, seq, ack, len);
	if (ws->fd < 0)
		return -EAFNOSUPPORT;
	if (sendmsg(ws->fd, &m, MSG_DONTWAIT) < 0) {
		pr_debug("send type %u to session %08x: %s\n", type, sid, strerror(errno));
		return -errno;
	}
	return 0;
}

static int w_send_data(void *ctx, const struct tp_sess *s, const struct tp_frame *f,
		       unsigned int n)
{
	struct wire *w = ctx;
	struct wsock *ws = wsock_of(w->s, &s->peer);
	socklen_t salen = wsock_sa(&s->peer, &w->sa[0]);
	int r;

	if (ws->fd < 0)
		return -EAFNOSUPPORT;
	for (unsigned int i = 0; i < n; i++) {
		fill_hdr(&w->hdr[i], s->id, VTL_T_DATA, 0, 0, 0, (__u16)f[i].len);
		w->iov[i][0] = (struct iovec){ &w->hdr[i], sizeof(w->hdr[i]) };
		w->iov[i][1] = f[i].iov[0];
		w->iov[i][2] = f[i].iov[1];
		w->msgs[i].msg_hdr = (struct msghdr){ .msg_name = &w->sa[0],
			.msg_namelen = salen, .msg_iov = w->iov[i],
			.msg_iovlen = (size_t)(1 + f[i].niov) };
	}
	r = sendmmsg(ws->fd, w->msgs, n, MSG_DONTWAIT);
	if (r < (int)n) {
		int err = r < 0 ? -errno : r;

		if (r < 0 && errno != EAGAIN && errno != ENOBUFS)
			pr_warn("session %08x: send: %s\n", s->id, strerror(errno));
		wsock_block(ws);
		return err;
	}
	return r;
}

static int w_send_retx(void *ctx, const struct tp_sess *s, __u32 from, __u32 to)
{
	struct wire *w = ctx;
	struct wsock *ws = wsock_of(w->s, &s->peer);
	socklen_t salen = wsock_sa(&s->peer, &w->sa[0]);
	__u32 seq, n;

	if (ws->fd < 0)
		return -EAFNOSUPPORT;
	for (seq = from; seq != to;) {
		for (n = 0; n < TP_BATCH && seq != to; n++, seq++) {
			fill_hdr(&w->hdr[n], s->id, VTL_T_DATA, VTL_F_RETX, seq, 0, 0);
			w->iov[n][0] = (struct iovec){ &w->hdr[n], sizeof(w->hdr[n]) };
			w->msgs[n].msg_hdr = (struct msghdr){ .msg_name = &w->sa[0],
				.msg_namelen = salen, .msg_iov = w->iov[n],
				.msg_iovlen = 1 };
		}
		if (sendmmsg(ws->fd, w->msgs, n, MSG_DONTWAIT) < (int)n) {
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

		socklen_t salen = wsock_sa(&a[i].peer, &w->sa[i]);

		fill_hdr(&w->hdr[i], a[i].sid, VTL_T_ACK, 0, 0, 0, len);
		w->iov[i][0] = (struct iovec){ &w->hdr[i], sizeof(w->hdr[i]) };
		w->iov[i][1] = (struct iovec){ (void *)a[i].sack, len };
		w->msgs[i].msg_hdr = (struct msghdr){ .msg_name = &w->sa[i],
			.msg_namelen = salen, .msg_iov = w->iov[i],
			.msg_iovlen = len ? 2 : 1 };
	}
	/* one sendmmsg per run of the same way out */
	for (unsigned int i = 1; i <= n; i++) {
		struct wsock *ws = wsock_of(w->s, &a[first].peer);

		if (i < n && wsock_of(w->s, &a[i].peer) == ws)
			continue;
		if (ws->fd >= 0)
			sendmmsg(ws->fd, w->msgs + first, i - first, MSG_DONTWAIT);
		first = i;
	}
}

static bool w_blocked(void *ctx)
{
	const struct wire *w = ctx;

	for (int i = 0; i < WS_N; i++)
		if (w->s[i].blocked)
			return true;
	return false;
}

static const struct tp_wire wire_ops = {
	.send_data = w_send_data,
	.send_retx = w_send_retx,
	.send_acks = w_send_acks,
	.send_ctrl = w_send_ctrl,
	.blocked = w_blocked,
};

void wire_sock_ready(struct wire *w)
{
	tp_wire_ready(w->tp);
}

void wire_sock_unreachable(struct wire *w, const struct vtl_peer *peer, __u32 sid)
{
	tp_on_unreachable(w->tp, peer, sid);
}

/* ------------------------------------------------------------- receive */

/* The VTL part after an IP header: UDP to our port, or protocol 253 as
 * the next header; plen bytes of IP payload at l4p. Fills from's
 * encapsulation and port; returns the VTL header or NULL. */
static const struct vtl_hdr *rx_l4(const struct wire *w, const __u8 *l4p, __u32 plen,
				   __u8 proto, struct vtl_peer *from, __u32 *pay)
{
	const struct udphdr *udp = (const void *)l4p;
	const struct vtl_hdr *h;
	__u32 ul = 0;

	if (proto == IPPROTO_UDP) {
		if (plen < sizeof(*udp) || !w->udp_port || udp->dest != w->udp_port ||
		    ntohs(udp->len) != plen)
			return NULL;
		ul = sizeof(*udp);
		from->encap = VTL_ENCAP_UDP;
		from->port = udp->source;
	} else if (proto != VTL_IPPROTO) {
		return NULL;
	}
	if (plen < ul + VTL_HDR_LEN)
		return NULL;
	h = (const void *)(l4p + ul);
	*pay = ntohs(h->len);
	if (h->version != VTL_VERSION || *pay != plen - ul - VTL_HDR_LEN)
		return NULL;
	return h;
}

/* Check one received frame (Ethernet, IPv4 or IPv6 without extension
 * headers, protocol 253 or UDP to our port, the VTL header and its length)
 * and hand it to the transport with the peer it came from. The XDP root
 * checked it too; this side trusts nothing it did not check itself. */
static void rx_frame(struct wire *w, const __u8 *pkt, __u32 len)
{
	const struct ethhdr *eth = (const void *)pkt;
	struct vtl_peer from = {};
	const struct vtl_hdr *h;
	__u32 pay = 0;

	if (len < sizeof(*eth))
		return;
	if (eth->h_proto == htons(ETH_P_IP)) {
		const struct iphdr *ip = (const void *)(eth + 1);
		__u32 ihl, tot;

		if (len < sizeof(*eth) + sizeof(*ip))
			return;
		ihl = ip->ihl * 4u;
		tot = ntohs(ip->tot_len);
		if (ihl < 20 || sizeof(*eth) + tot > len || tot < ihl)
			return;
		from = vtl_peer4(ip->saddr, VTL_ENCAP_RAW, 0);
		h = rx_l4(w, (const __u8 *)ip + ihl, tot - ihl, ip->protocol, &from, &pay);
	} else if (eth->h_proto == htons(ETH_P_IPV6)) {
		const struct ipv6hdr *ip6 = (const void *)(eth + 1);
		__u32 plen;

		if (len < sizeof(*eth) + sizeof(*ip6))
			return;
		plen = ntohs(ip6->payload_len);
		if (sizeof(*eth) + sizeof(*ip6) + plen > len)
			return;
		from.family = VTL_AF_INET6;
		memcpy(from.addr, &ip6->saddr, 16);
		h = rx_l4(w, (const __u8 *)(ip6 + 1), plen, ip6->nexthdr, &from, &pay);
	} else {
		return;
	}
	if (h)
		tp_on_frame(w->tp, &from, h, h + 1, pay);
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
	snprintf(w->ifname, sizeof(w->ifname), "%s", ifname);
	w->udp_port = htons(udp_port);
	err = wsock_open_all(w, lp, w->s, ifname, udp_port);
	if (err)
		return err;
	tp_set_wire(tp, &wire_ops, w);
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
	pr_info("wire: %d AF_XDP queue(s); raw protocol %d and UDP port %u (0: none), over IPv4%s\n",
		nq, VTL_IPPROTO, udp_port, w->s[WS_RAW6].fd >= 0 ? " and IPv6" : " only");
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
	wsock_close_all(w->s);
	free(w);
}
