// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The Data Broker moves bytes. Receive: one AF_XDP socket per rx queue
 * (copy mode, our own XSKMAP, libxdp with INHIBIT_PROG_LOAD). Send: one
 * raw IPv4 socket of protocol 253, batches through sendmmsg; the egress
 * KTF stamps what it sends. Reacts to KTF events from the ring buffer.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/ethtool.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/errqueue.h>
#include <linux/ip.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/xsk.h>
#include "log.h"
#include "vtld.h"

#define DB_BATCH       64
#define XSK_FRAMES     4096
#define XSK_FRAME_SIZE 2048
#define XSK_RX_SIZE    2048

struct xsk_q {
	struct ep_item ep;
	struct xsk_socket *xsk;
	struct xsk_umem *umem;
	struct xsk_ring_cons rx;
	struct xsk_ring_prod fq;
	struct xsk_ring_cons cq;
	void *area;
	__u32 queue;
};

struct data_broker {
	struct xsk_q q[VTL_MAX_QUEUES];
	int nq;
	int raw_fd;
	struct ep_item raw_ep;
	bool raw_blocked;
	struct ring_buffer *rb;
	struct ep_item rb_ep;
	bool kick[VTL_MAX_SESSIONS];   /* window may have opened */
	bool touched[VTL_MAX_SESSIONS];/* received data this batch */
	struct mmsghdr msgs[DB_BATCH];
	struct iovec iov[DB_BATCH][3];   /* header, then the payload: at most
	                                  * two pieces of the session queue */
	struct vtl_hdr hdr[DB_BATCH];
	struct vtl_sack_block sack[DB_BATCH][VTL_SACK_MAX];
	__u64 addrs[DB_BATCH];
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

static void xsk_rx(struct vtld *d, void *obj, __u32 events);

static int xsk_open(struct vtld *d, struct xsk_q *q, __u32 queue)
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
	err = xsk_socket__create(&q->xsk, d->cfg.ifname, queue, q->umem, &q->rx, NULL, &cfg);
	if (err) {
		pr_warn("AF_XDP socket on %s queue %u: %s\n", d->cfg.ifname, queue, strerror(-err));
		return err;
	}
	if (xsk_ring_prod__reserve(&q->fq, XSK_FRAMES, &idx) != XSK_FRAMES)
		return -ENOMEM;
	for (__u32 i = 0; i < XSK_FRAMES; i++)
		*xsk_ring_prod__fill_addr(&q->fq, idx + i) = (__u64)i * XSK_FRAME_SIZE;
	xsk_ring_prod__submit(&q->fq, XSK_FRAMES);
	fd = xsk_socket__fd(q->xsk);
	if (bpf_map_update_elem(launcher_map_fd(&d->l, "vtl_xsks"), &queue, &fd, BPF_ANY))
		return -errno;
	q->ep.fn = xsk_rx;
	q->ep.obj = q;
	return ep_add(d, (int)fd, EPOLLIN, &q->ep);
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

/* ---------------------------------------------------------------- send */

static void raw_block(struct vtld *d)
{
	struct data_broker *db = d->db;

	if (db->raw_blocked)
		return;
	db->raw_blocked = true;
	ep_mod(d, db->raw_fd, EPOLLOUT, &db->raw_ep);
}

/* Drain the raw socket's error queue. An ICMP protocol unreachable quotes
 * the start of our packet: the VTL header, whose session id says which
 * session's peer has no VTL. Reading the queue also clears the socket's
 * pending error, which would otherwise fail the next unrelated send. */
static void raw_errors(struct vtld *d, int fd)
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
		struct vtl_hdr h;

		if (n < 0)
			return;
		for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
			if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR)
				ee = (const struct sock_extended_err *)CMSG_DATA(c);
		if (!ee || ee->ee_origin != SO_EE_ORIGIN_ICMP || ee->ee_type != 3 /* unreach */ ||
		    ee->ee_code != 2 /* protocol */ || (size_t)n < offsetof(struct vtl_hdr, seq) ||
		    m.msg_namelen < sizeof(dst))
			continue;
		memcpy(&h, data, (size_t)n < sizeof(h) ? (size_t)n : sizeof(h));
		cb_on_unreachable(d, dst.sin_addr.s_addr, ntohl(h.session_id));
	}
}

static void raw_writable(struct vtld *d, void *obj, __u32 events)
{
	struct data_broker *db = obj;

	if (events & EPOLLERR)
		raw_errors(d, db->raw_fd);
	if (!(events & EPOLLOUT))
		return;
	db->raw_blocked = false;
	ep_mod(d, db->raw_fd, 0, &db->raw_ep);
	db_kick_all(d);
}

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

static struct sockaddr_in peer_sa(__u32 addr)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };

	sa.sin_addr.s_addr = addr;
	return sa;
}

int db_send_ctrl(struct vtld *d, __u32 peer, __u32 sid, __u8 type, __u32 seq, __u32 ack,
		 const void *payload, __u16 len)
{
	struct sockaddr_in sa = peer_sa(peer);
	struct vtl_hdr h;
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)payload, len } };
	struct msghdr m = { .msg_name = &sa, .msg_namelen = sizeof(sa), .msg_iov = iov,
			    .msg_iovlen = len ? 2 : 1 };

	fill_hdr(&h, sid, type, 0, seq, ack, len);
	if (sendmsg(d->db->raw_fd, &m, MSG_DONTWAIT) < 0) {
		pr_debug("send type %u to session %08x: %s\n", type, sid, strerror(errno));
		return -errno;
	}
	return 0;
}

/* Is more application data already waiting on the control socket? */
static bool client_has_more(struct client *c)
{
	struct pollfd p;

	if (!c)
		return false;
	if (c->rd_paused)
		return true;
	/* an attached stream: what the application wrote is in its socket */
	p = (struct pollfd){ .fd = c->sfd >= 0 ? c->sfd : c->fd, .events = POLLIN };
	return poll(&p, 1, 0) > 0 && (p.revents & POLLIN);
}

void db_send_data(struct vtld *d, struct session *s)
{
	struct data_broker *db = d->db;
	struct vtl_state *st = launcher_state(&d->l, s->slot);
	struct sockaddr_in sa = peer_sa(s->peer_addr);

	/* ACK events wake vtld only while it has a use for them: data queued
	 * (a window to wait for) or a close to finish. Stored before snd_una
	 * is read below; the KTF stores snd_una before it reads ev_quiet. */
	if (__atomic_load_n(&st->ev_quiet, __ATOMIC_RELAXED))
		__atomic_store_n(&st->ev_quiet, 0, __ATOMIC_SEQ_CST);
	if (s->state != S_OPEN || db->raw_blocked)
		return;
	while (s->txq.len) {
		__u32 una = __atomic_load_n(&st->snd_una, __ATOMIC_SEQ_CST);
		__u32 before = __atomic_load_n(&st->snd_nxt, __ATOMIC_ACQUIRE);
		__u32 inflight = before - una, avail, n, stamped, done, i;
		size_t off = 0, frames = s->txq.len / s->mss;
		size_t plen[DB_BATCH];
		int r, err;

		if (s->reliable) {
			__u32 lim = s->window, cwnd = __atomic_load_n(&st->cwnd, __ATOMIC_RELAXED);

			if (s->cc && cwnd && cwnd < lim)
				lim = cwnd;
			avail = inflight < lim ? lim - inflight : 0;
		} else
			avail = DB_BATCH;
		/* Nagle: a short frame only at the end of the stream, or when
		 * it is all there is, nothing is in flight and the application
		 * has nothing more queued (with nodelay: data in flight does
		 * not matter); so a bulk stream is cut at mss boundaries (and
		 * a given-up packet is exactly mss bytes) */
		if (s->txq.len % s->mss &&
		    (s->app_shut || !s->reliable ||
		     ((inflight == 0 || (s->cl && s->cl->nodelay)) && !frames &&
		      !client_has_more(s->cl))))
			frames++;
		n = avail < DB_BATCH ? avail : DB_BATCH;
		if (n > frames)
			n = (__u32)frames;
		if (!n)
			break; /* (still let the application refill the queue below) */
		/* the payload is sent from the session queue itself: the
		 * kernel's copy is the only one */
		for (i = 0; i < n; i++) {
			int k = bb_iov(&s->txq, off, s->mss, &db->iov[i][1], &plen[i]);

			off += plen[i];
			fill_hdr(&db->hdr[i], s->id, VTL_T_DATA, 0, 0, 0, (__u16)plen[i]);
			db->iov[i][0] = (struct iovec){ &db->hdr[i], sizeof(db->hdr[i]) };
			db->msgs[i].msg_hdr = (struct msghdr){ .msg_name = &sa,
				.msg_namelen = sizeof(sa), .msg_iov = db->iov[i],
				.msg_iovlen = (size_t)(1 + k) };
		}
		r = sendmmsg(db->raw_fd, db->msgs, n, MSG_DONTWAIT);
		err = errno;
		stamped = __atomic_load_n(&st->snd_nxt, __ATOMIC_ACQUIRE) - before;
		/* Sent is what the egress KTF stamped: its copy covers any later
		 * drop. Not sendmmsg's count: a raw socket reports success for a
		 * packet dropped at the qdisc (ENOBUFS is hidden without
		 * IP_RECVERR). */
		done = stamped < n ? stamped : n;
		for (i = 0; i < done; i++) {
			bb_consume(&s->txq, plen[i]);
			s->bytes_tx += plen[i];
		}
		if (r < (int)n) {
			if (r < 0 && err != EAGAIN && err != ENOBUFS)
				pr_warn("session %08x: send: %s\n", s->id, strerror(err));
			raw_block(d);
			break;
		}
	}
	/* room in the queue again: read more from the application */
	if (s->cl && s->cl->rd_paused && bb_room(&s->txq) >= VTL_IPC_MAX_DATA)
		client_pause_read(d, s->cl, false);
	stream_resume(d, s);
	if (s->app_shut && !s->txq.len)
		cb_maybe_close(d, s);
	else if (!s->txq.len && !s->app_shut && s->state == S_OPEN)
		__atomic_store_n(&st->ev_quiet, 1, __ATOMIC_RELAXED);
}

void db_retransmit(struct vtld *d, struct session *s, __u32 from, __u32 to)
{
	struct data_broker *db = d->db;
	struct vtl_state *st = launcher_state(&d->l, s->slot);
	struct sockaddr_in sa = peer_sa(s->peer_addr);
	__u32 una = st->snd_una, nxt = st->snd_nxt, seq, n;

	if (s->state != S_OPEN && s->state != S_CLOSING)
		return;
	if ((__s32)(from - una) < 0)
		from = una;
	if ((__s32)(to - nxt) > 0)
		to = nxt;
	if ((__s32)(to - from) <= 0)
		return;
	if (to - from > s->window)
		to = from + s->window;
	for (seq = from; seq != to;) {
		for (n = 0; n < DB_BATCH && seq != to; n++, seq++) {
			fill_hdr(&db->hdr[n], s->id, VTL_T_DATA, VTL_F_RETX, seq, 0, 0);
			db->iov[n][0] = (struct iovec){ &db->hdr[n], sizeof(db->hdr[n]) };
			db->msgs[n].msg_hdr = (struct msghdr){ .msg_name = &sa,
				.msg_namelen = sizeof(sa), .msg_iov = db->iov[n], .msg_iovlen = 1 };
		}
		if (sendmmsg(db->raw_fd, db->msgs, n, MSG_DONTWAIT) < (int)n) {
			pr_debug("session %08x: retransmission batch cut short\n", s->id);
			break; /* the timer will ask again */
		}
	}
}

/* Up to VTL_SACK_MAX runs of sequence numbers held above rx_nxt. */
static __u32 fill_sack(const struct session *s, struct vtl_sack_block *b)
{
	__u32 n = 0, seq = s->rx_nxt + 1;

	if (!s->rob_len)
		return 0;
	while (n < VTL_SACK_MAX && (__s32)(s->rob_hi - seq) > 0) {
		__u32 start;

		while ((__s32)(s->rob_hi - seq) > 0 && !s->rob_len[seq % s->window])
			seq++;
		if ((__s32)(s->rob_hi - seq) <= 0)
			break;
		start = seq;
		while ((__s32)(s->rob_hi - seq) > 0 && s->rob_len[seq % s->window])
			seq++;
		b[n].start = htonl(start);
		b[n].end = htonl(seq);
		n++;
	}
	return n;
}

/* One cumulative ACK (with SACK blocks) per session that took data. */
static void send_acks(struct vtld *d)
{
	struct data_broker *db = d->db;
	struct sockaddr_in sa[DB_BATCH];
	__u32 n = 0, nb;

	for (__u32 i = 1; i < VTL_MAX_SESSIONS; i++) {
		struct session *s = d->slots[i];

		if (!s || !s->ack_needed)
			continue;
		s->ack_needed = false;
		__atomic_store_n(&launcher_state(&d->l, i)->rcv_acked, s->rx_nxt, __ATOMIC_RELEASE);
		nb = fill_sack(s, db->sack[n]);
		sa[n] = peer_sa(s->peer_addr);
		fill_hdr(&db->hdr[n], s->id, VTL_T_ACK, 0, 0, s->rx_nxt,
			 (__u16)(nb * sizeof(struct vtl_sack_block)));
		db->iov[n][0] = (struct iovec){ &db->hdr[n], sizeof(db->hdr[n]) };
		db->iov[n][1] = (struct iovec){ db->sack[n], nb * sizeof(struct vtl_sack_block) };
		db->msgs[n].msg_hdr = (struct msghdr){ .msg_name = &sa[n],
			.msg_namelen = sizeof(sa[n]), .msg_iov = db->iov[n],
			.msg_iovlen = nb ? 2 : 1 };
		if (++n == DB_BATCH) {
			sendmmsg(db->raw_fd, db->msgs, n, MSG_DONTWAIT);
			n = 0;
		}
	}
	if (n)
		sendmmsg(db->raw_fd, db->msgs, n, MSG_DONTWAIT);
}

void db_kick_all(struct vtld *d)
{
	for (__u32 i = 1; i < VTL_MAX_SESSIONS; i++)
		if (d->slots[i])
			db_send_data(d, d->slots[i]);
}

/* ------------------------------------------------------------- receive */

static void rob_drain(struct session *s);

void db_flush_rx(struct vtld *d, struct session *s)
{
	struct client *c = s->cl;

	if (stream_held(c))
		return; /* the client is writing what it took before: START resumes */
	while (c && s->rxq.len) {
		const unsigned char *p;
		size_t n = bb_contig(&s->rxq, &p);
		struct vtl_ipc_hdr h = { .magic = VTL_IPC_MAGIC, .type = VTL_IPC_DATA };
		struct iovec iov[2];
		struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2 };

		if (c->sfd >= 0) { /* attached: straight into the application's socket */
			ssize_t w = stream_write(d, s, p, n);

			if (w <= 0)
				return; /* full (EPOLLOUT armed), or aborted: s is gone */
			n = (size_t)w;
		} else {
			if (n > VTL_IPC_MAX_DATA)
				n = VTL_IPC_MAX_DATA;
			h.len = (__u32)n;
			iov[0] = (struct iovec){ &h, sizeof(h) };
			iov[1] = (struct iovec){ (void *)p, n };
			if (sendmsg(c->fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK)
					client_want_write(d, c, true);
				return;
			}
		}
		bb_consume(&s->rxq, n);
		if (s->rob_len && s->rob_len[s->rx_nxt % s->window]) {
			rob_drain(s); /* room again: release what was held */
			s->ack_needed = true;
		}
	}
	if (s->ack_needed)
		send_acks(d);
	if (c && c->wr_waiting)
		client_want_write(d, c, false);
	if (s->peer_closed && !s->rxq.len && !s->eof_sent)
		cb_on_close(d, s, s->rx_nxt);
}

/* Deliver what the reorder buffer holds from rx_nxt on. */
static void rob_drain(struct session *s)
{
	while (s->rob_len) {
		__u32 idx = s->rx_nxt % s->window, len;

		if (!s->rob_len[idx])
			return;
		len = s->rob_len[idx] - 1u;
		if (bb_room(&s->rxq) < len)
			return; /* the application is slow: keep it, do not acknowledge */
		bb_push(&s->rxq, s->rob + (size_t)idx * s->mss, len);
		s->rob_len[idx] = 0;
		s->rx_nxt++;
		s->bytes_rx += len;
	}
}

/* Partial reliability: skip the holes the ingress KTF allowed (pr_skip),
 * and only those vtld really lacks; count them as lost. */
static void pr_skip_holes(struct vtld *d, struct session *s)
{
	__u32 skip = __atomic_load_n(&launcher_state(&d->l, s->slot)->pr_skip, __ATOMIC_ACQUIRE);

	while (s->rob_len && (__s32)(s->rx_nxt - skip) < 0 &&
	       !s->rob_len[s->rx_nxt % s->window]) {
		s->lost++;
		s->rx_nxt++;
		s->ack_needed = true;
		rob_drain(s);
	}
}

static void rx_data(struct vtld *d, struct session *s, const struct vtl_hdr *h,
		    const void *pay, __u32 len)
{
	__u32 seq = ntohl(h->seq), off = seq - s->rx_nxt;

	if (s->state != S_OPEN)
		return;
	d->db->touched[s->slot] = true;
	if (!s->reliable) { /* canonical: arrival order, no acknowledgements */
		if (bb_room(&s->rxq) >= len) {
			bb_push(&s->rxq, pay, len);
			s->rx_nxt = seq + 1;
			s->bytes_rx += len;
		}
		return;
	}
	s->last_progress_ns = now_ns();
	if ((__s32)off < 0) {
		s->dup_rx++;
		s->ack_needed = true; /* our ACK may have been lost */
		return;
	}
	if (off >= s->window || len > s->mss) {
		s->gap_rx++;
		return;
	}
	if (off == 0 && !s->rob_len) { /* in-order graft: straight through */
		if (bb_room(&s->rxq) < len)
			return; /* not acknowledged: it will come again */
		bb_push(&s->rxq, pay, len);
		s->rx_nxt++;
		s->bytes_rx += len;
		s->ack_needed = true;
		return;
	}
	if (!s->rob_len) {
		s->gap_rx++;
		return;
	}
	if (s->rob_len[seq % s->window]) {
		s->dup_rx++;
	} else {
		memcpy(s->rob + (size_t)(seq % s->window) * s->mss, pay, len);
		s->rob_len[seq % s->window] = (__u16)(len + 1);
		if ((__s32)(seq + 1 - s->rob_hi) > 0)
			s->rob_hi = seq + 1;
	}
	s->ack_needed = true;
	if (off == 0)
		rob_drain(s);
}

static void rx_frame(struct vtld *d, const __u8 *pkt, __u32 len)
{
	const struct ethhdr *eth = (const void *)pkt;
	const struct iphdr *ip;
	const struct vtl_hdr *h;
	struct session *s;
	__u32 ihl, tot, plen;
	const __u8 *pay;

	if (len < sizeof(*eth) + sizeof(*ip) || eth->h_proto != htons(ETH_P_IP))
		return;
	ip = (const void *)(eth + 1);
	ihl = ip->ihl * 4u;
	tot = ntohs(ip->tot_len);
	if (ip->protocol != VTL_IPPROTO || ihl < 20 || tot < ihl + VTL_HDR_LEN ||
	    sizeof(*eth) + tot > len)
		return;
	h = (const void *)((const __u8 *)ip + ihl);
	plen = ntohs(h->len);
	if (h->version != VTL_VERSION || plen != tot - ihl - VTL_HDR_LEN)
		return;
	pay = (const __u8 *)(h + 1);
	switch (h->type) {
	case VTL_T_NEGO:
		cb_on_nego(d, ip->saddr, h, pay, plen);
		return;
	case VTL_T_NEGO_ACK:
	case VTL_T_NEGO_NACK:
		cb_on_nego_reply(d, ip->saddr, h, pay, plen);
		return;
	}
	s = session_by_id(d, ntohl(h->session_id));
	if (!s || s->peer_addr != ip->saddr)
		return;
	switch (h->type) {
	case VTL_T_DATA:
		rx_data(d, s, h, pay, plen);
		break;
	case VTL_T_CLOSE:
		cb_on_close(d, s, ntohl(h->seq));
		break;
	case VTL_T_RESET:
		cb_on_reset(d, s);
		break;
	}
}

static void after_rx_batch(struct vtld *d)
{
	struct data_broker *db = d->db;

	for (__u32 i = 1; i < VTL_MAX_SESSIONS; i++)
		if (db->touched[i] && d->slots[i] && d->slots[i]->partial)
			pr_skip_holes(d, d->slots[i]);
	send_acks(d);
	for (__u32 i = 1; i < VTL_MAX_SESSIONS; i++) {
		if (!db->touched[i])
			continue;
		db->touched[i] = false;
		if (d->slots[i])
			db_flush_rx(d, d->slots[i]);
	}
}

static void xsk_rx(struct vtld *d, void *obj, __u32 events)
{
	struct xsk_q *q = obj;
	struct data_broker *db = d->db;
	int rounds = 16;

	(void)events;
	while (rounds--) {
		__u32 idx, fidx, n = xsk_ring_cons__peek(&q->rx, DB_BATCH, &idx);

		if (!n)
			break;
		for (__u32 i = 0; i < n; i++) {
			const struct xdp_desc *desc = xsk_ring_cons__rx_desc(&q->rx, idx + i);

			db->addrs[i] = xsk_umem__extract_addr(desc->addr);
			rx_frame(d, xsk_umem__get_data(q->area, desc->addr), desc->len);
		}
		xsk_ring_cons__release(&q->rx, n);
		if (xsk_ring_prod__reserve(&q->fq, n, &fidx) == n) {
			for (__u32 i = 0; i < n; i++)
				*xsk_ring_prod__fill_addr(&q->fq, fidx + i) = db->addrs[i];
			xsk_ring_prod__submit(&q->fq, n);
		}
		after_rx_batch(d);
	}
}

/* --------------------------------------------------------- KTF events */

static int rb_event(void *ctx, void *data, size_t len)
{
	struct vtld *d = ctx;
	const struct vtl_event *e = data;
	struct session *s;

	if (len < sizeof(*e) || e->slot >= VTL_MAX_SESSIONS)
		return 0;
	d->stats.ktf_events++;
	s = d->slots[e->slot];
	if (!s || s->id != e->session_id)
		return 0;
	switch (e->type) {
	case VTL_EV_ACK:
		s->last_progress_ns = now_ns();
		d->db->kick[e->slot] = true;
		break;
	case VTL_EV_RTO:
	case VTL_EV_FAST_RETX:
	case VTL_EV_PROBE: /* the KTF chose the packets; the broker only triggers */
		db_retransmit(d, s, e->from, e->to);
		break;
	case VTL_EV_CLOSE_ACK:
		cb_on_close_ack(d, s);
		break;
	}
	return 0;
}

static void rb_ready(struct vtld *d, void *obj, __u32 events)
{
	struct data_broker *db = obj;

	(void)events;
	ring_buffer__consume(db->rb);
	for (__u32 i = 1; i < VTL_MAX_SESSIONS; i++) {
		if (!db->kick[i])
			continue;
		db->kick[i] = false;
		if (d->slots[i])
			cb_on_progress(d, d->slots[i]);
	}
}

/* ------------------------------------------------------------ set up */

static int raw_open(struct vtld *d)
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
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, d->cfg.ifname, strlen(d->cfg.ifname))) {
		pr_warn("raw socket options: %s\n", strerror(errno));
		close(fd);
		return -errno;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	/* ICMP errors about what we sent come to the error queue (EPOLLERR):
	 * a host without vtld answers "protocol unreachable" */
	if (setsockopt(fd, IPPROTO_IP, IP_RECVERR, &one, sizeof(one)))
		pr_warn("raw socket IP_RECVERR: %s (no early 'no VTL there')\n", strerror(errno));
	return fd;
}

int db_open(struct vtld *d)
{
	struct data_broker *db = calloc(1, sizeof(*db));
	int err, nq;

	if (!db)
		return -ENOMEM;
	db->raw_fd = -1;
	d->db = db;
	db->raw_fd = raw_open(d);
	if (db->raw_fd < 0)
		return db->raw_fd;
	db->raw_ep = (struct ep_item){ raw_writable, db };
	err = ep_add(d, db->raw_fd, 0, &db->raw_ep);
	if (err)
		return err;
	db->rb = ring_buffer__new(launcher_map_fd(&d->l, "vtl_events"), rb_event, d, NULL);
	if (!db->rb)
		return -errno;
	db->rb_ep = (struct ep_item){ rb_ready, db };
	err = ep_add(d, ring_buffer__epoll_fd(db->rb), EPOLLIN, &db->rb_ep);
	if (err)
		return err;
	nq = rx_queue_count(d->cfg.ifname);
	for (int i = 0; i < nq; i++) {
		err = xsk_open(d, &db->q[i], (__u32)i);
		db->nq = i + 1;
		if (err)
			return err;
	}
	pr_info("data broker: %d AF_XDP queue(s), raw protocol %d socket\n", nq, VTL_IPPROTO);
	return 0;
}

int db_nqueues(const struct vtld *d)
{
	return d->db ? d->db->nq : 0;
}

void db_close(struct vtld *d)
{
	struct data_broker *db = d->db;

	if (!db)
		return;
	for (int i = 0; i < db->nq; i++)
		xsk_close(&db->q[i]);
	ring_buffer__free(db->rb);
	if (db->raw_fd >= 0)
		close(db->raw_fd);
	free(db);
	d->db = NULL;
}
