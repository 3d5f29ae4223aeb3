// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * line.c: the delay line. One AF_PACKET socket per interface (promiscuous,
 * PACKET_IGNORE_OUTGOING, PACKET_VNET_HDR, PACKET_AUXDATA) reads frames with
 * recvmmsg; each direction keeps a min-heap of frames ordered by (due time,
 * arrival), and due frames leave in sendmmsg batches on the other socket.
 *
 * Frames are written unchanged, except that:
 *   - a VLAN tag the kernel moved into metadata is put back in the frame;
 *   - a frame whose checksum was left to offload (CHECKSUM_PARTIAL, the
 *     host has tx checksumming on) gets it completed in software, so that
 *     it can cross to the other host and be corrupted meaningfully;
 *   - a GSO super-frame (the host has TSO/GSO on) keeps its virtio header,
 *     so the kernel segments it on R's egress. Impairments then apply to
 *     the super-frame as a whole: turn offloads off on the hosts.
 * The interfaces themselves (offloads, XDP_PASS) are prepared in iface.c.
 */
#include <errno.h>
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "netem.h"

#define VNET_LEN ((int)sizeof(struct virtio_net_hdr))
#define NM_RETRY_NS 100000ull       /* socket buffer full: retry in 100 us */

_Static_assert(sizeof(struct virtio_net_hdr) == sizeof(((struct nm_frame *)0)->vnet),
	       "vnet header size");

/* ---- heap of due frames -------------------------------------------------- */

static inline bool before(const struct nm_frame *a, const struct nm_frame *b)
{
	return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static int heap_push(struct nm_heap *h, struct nm_frame *f)
{
	uint32_t i;

	if (h->n == h->cap) {
		uint32_t cap = h->cap ? h->cap * 2 : 1024;
		struct nm_frame **v = realloc(h->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		h->v = v;
		h->cap = cap;
	}
	i = h->n++;
	while (i && before(f, h->v[(i - 1) / 2])) {
		h->v[i] = h->v[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h->v[i] = f;
	return 0;
}

static struct nm_frame *heap_pop(struct nm_heap *h)
{
	struct nm_frame *top = h->v[0], *last = h->v[--h->n];
	uint32_t i = 0, c;

	while ((c = 2 * i + 1) < h->n) {
		if (c + 1 < h->n && before(h->v[c + 1], h->v[c]))
			c++;
		if (!before(h->v[c], last))
			break;
		h->v[i] = h->v[c];
		i = c;
	}
	if (h->n)
		h->v[i] = last;
	return top;
}

/* ---- sockets -------------------------------------------------------------- */

static int open_sock(const char *name, int ifindex, unsigned *mtu)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				   .sll_ifindex = ifindex };
	struct packet_mreq mr = { .mr_ifindex = ifindex, .mr_type = PACKET_MR_PROMISC };
	int one = 1, rcv = 16 << 20, snd = 8 << 20, fd, e;

	fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)))
		goto fail;
	/* FORCE needs CAP_NET_ADMIN, which we have; fall back quietly */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &snd, sizeof(snd)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, sizeof(snd));
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) ||
	    setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)))
		goto fail;
	e = nm_iface_mtu(fd, name, mtu);
	if (e) {
		close(fd);
		return e;
	}
	return fd;
fail:
	e = -errno;
	close(fd);
	return e;
}

int nm_line_open(struct nm *n)
{
	unsigned mtu_a, mtu_b;
	int e;

	n->ifindex_a = (int)if_nametoindex(n->cfg.if_a);
	if (!n->ifindex_a) {
		pr_warn("-a: no interface '%s' in this namespace\n", n->cfg.if_a);
		return -ENODEV;
	}
	n->ifindex_b = (int)if_nametoindex(n->cfg.if_b);
	if (!n->ifindex_b) {
		pr_warn("-b: no interface '%s' in this namespace\n", n->cfg.if_b);
		return -ENODEV;
	}
	if (n->ifindex_a == n->ifindex_b) {
		pr_warn("-a and -b name the same interface '%s'\n", n->cfg.if_a);
		return -EINVAL;
	}
	n->fd_a = open_sock(n->cfg.if_a, n->ifindex_a, &mtu_a);
	if (n->fd_a < 0) {
		pr_warn("AF_PACKET socket on %s: %s\n", n->cfg.if_a, strerror(-n->fd_a));
		return n->fd_a;
	}
	n->fd_b = open_sock(n->cfg.if_b, n->ifindex_b, &mtu_b);
	if (n->fd_b < 0) {
		pr_warn("AF_PACKET socket on %s: %s\n", n->cfg.if_b, strerror(-n->fd_b));
		return n->fd_b;
	}
	n->d[NM_A2B].in_fd = n->fd_a;
	n->d[NM_A2B].out_fd = n->fd_b;
	n->d[NM_A2B].out_ifindex = n->ifindex_b;
	n->d[NM_A2B].out_ifname = n->cfg.if_b;
	n->d[NM_A2B].out_mtu = mtu_b;
	n->d[NM_B2A].in_fd = n->fd_b;
	n->d[NM_B2A].out_fd = n->fd_a;
	n->d[NM_B2A].out_ifindex = n->ifindex_a;
	n->d[NM_B2A].out_ifname = n->cfg.if_a;
	n->d[NM_B2A].out_mtu = mtu_a;
	e = nm_iface_prepare(n);
	if (e)
		return e;
	nm_line_kernel_drops(n);        /* start from zero */
	for (int i = 0; i < NM_NDIR; i++)
		n->d[i].c.kernel_drops = 0;
	return 0;
}

void nm_line_close(struct nm *n)
{
	nm_iface_restore(n);
	for (int i = 0; i < NM_NDIR; i++) {
		struct nm_dirstate *d = &n->d[i];

		while (d->q.n)
			free(heap_pop(&d->q));
		free(d->q.v);
		d->q.v = NULL;
		d->q_bytes = 0;
	}
	if (n->fd_a >= 0)
		close(n->fd_a);
	if (n->fd_b >= 0)
		close(n->fd_b);
	n->fd_a = n->fd_b = -1;
}

void nm_line_kernel_drops(struct nm *n)
{
	for (int i = 0; i < NM_NDIR; i++) {
		struct tpacket_stats st;
		socklen_t l = sizeof(st);

		if (n->d[i].in_fd >= 0 &&
		    !getsockopt(n->d[i].in_fd, SOL_PACKET, PACKET_STATISTICS, &st, &l))
			n->d[i].c.kernel_drops += st.tp_drops;
	}
}

/* ---- receive ---------------------------------------------------------------- */

/* Finish a CHECKSUM_PARTIAL frame: the field holds the pseudo-header sum. */
static bool csum_complete(uint8_t *f, uint32_t len, uint32_t start, uint32_t off)
{
	uint32_t sum = 0, i;
	uint16_t c;

	if (start >= len || start + off + 2 > len)
		return false;
	for (i = start; i + 1 < len; i += 2)
		sum += (uint32_t)f[i] << 8 | f[i + 1];
	if (i < len)
		sum += (uint32_t)f[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	c = (uint16_t)~sum;
	if (!c)
		c = 0xffff;
	f[start + off] = (uint8_t)(c >> 8);
	f[start + off + 1] = (uint8_t)c;
	return true;
}

static int enqueue(struct nm_dirstate *d, struct nm_frame *f, uint64_t due)
{
	f->due = due;
	f->seq = d->seq++;
	if (heap_push(&d->q, f)) {
		free(f);
		d->c.drop_limit++;
		return -ENOMEM;
	}
	d->q_bytes += f->len;
	if (d->q.n > d->c.max_depth)
		d->c.max_depth = d->q.n;
	return 0;
}

static struct nm_frame *frame_copy(const struct nm_frame *src)
{
	struct nm_frame *f = malloc(sizeof(*f) + src->len);

	if (f)
		memcpy(f, src, sizeof(*f) + src->len);
	return f;
}

static void frame_in(struct nm_dirstate *d, uint64_t now, struct virtio_net_hdr *vh,
		     uint8_t *buf, uint32_t len, const struct tpacket_auxdata *aux)
{
	bool vlan = aux && (aux->tp_status & TP_STATUS_VLAN_VALID);
	uint32_t flen = len + (vlan ? 4 : 0);
	struct nm_frame *f, *dup;
	struct nm_verdict v;

	d->c.rx++;
	d->c.rx_bytes += len;
	if (vh->gso_type != VIRTIO_NET_HDR_GSO_NONE) {
		d->c.gso++;
	} else if (vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		if (csum_complete(buf, len, vh->csum_start, vh->csum_offset))
			d->c.csum_fixed++;
		memset(vh, 0, sizeof(*vh));
	} else {
		memset(vh, 0, sizeof(*vh));
	}
	f = malloc(sizeof(*f) + flen);
	if (!f) {
		d->c.drop_limit++;
		return;
	}
	f->len = flen;
	if (vlan && len >= 12) {
		uint16_t tpid = aux->tp_status & TP_STATUS_VLAN_TPID_VALID ?
				aux->tp_vlan_tpid : ETH_P_8021Q;

		memcpy(f->data, buf, 12);
		f->data[12] = (uint8_t)(tpid >> 8);
		f->data[13] = (uint8_t)tpid;
		f->data[14] = (uint8_t)(aux->tp_vlan_tci >> 8);
		f->data[15] = (uint8_t)aux->tp_vlan_tci;
		memcpy(f->data + 16, buf + 12, len - 12);
		if (vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)
			vh->csum_start += 4;
	} else {
		memcpy(f->data, buf, len);
		f->len = len;
	}
	memcpy(f->vnet, vh, sizeof(f->vnet));

	if (d->kernel || !nm_match(&d->p, f->data, f->len)) {
		d->c.passed++;
		if (d->q.n >= d->p.limit) {
			d->c.drop_limit++;
			free(f);
			return;
		}
		enqueue(d, f, now);
		return;
	}
	nm_impair(d, now, f->data, f->len, &v);
	switch (v.drop) {
	case NM_DROP_LOSS:  d->c.drop_loss++;  free(f); return;
	case NM_DROP_BURST: d->c.drop_burst++; free(f); return;
	case NM_DROP_QUEUE: d->c.drop_queue++; free(f); return;
	case NM_DROP_LIMIT: d->c.drop_limit++; free(f); return;
	case NM_DROP_NTH:   d->c.drop_nth++;   free(f); return;
	}
	dup = v.dup ? frame_copy(f) : NULL;     /* before corruption */
	if (v.corrupt_bit >= 0) {
		f->data[v.corrupt_bit / 8] ^= (uint8_t)(1u << (v.corrupt_bit % 8));
		d->c.corrupted++;
	}
	if (v.reordered)
		d->c.reordered++;
	enqueue(d, f, v.due);
	if (dup && !enqueue(d, dup, v.dup_due))
		d->c.dup++;
}

static struct virtio_net_hdr rx_vnet[NM_BATCH];
static uint8_t rx_buf[NM_BATCH][NM_MAX_FRAME];
static union {
	struct cmsghdr h;
	uint8_t b[CMSG_SPACE(sizeof(struct tpacket_auxdata)) + CMSG_SPACE(sizeof(struct timespec))];
} rx_cmsg[NM_BATCH];

/* The kernel's receive time of a frame (SO_TIMESTAMPNS, CLOCK_REALTIME) on
 * CLOCK_MONOTONIC: delays count from when the frame reached R, not from
 * when vtl-netem got round to reading it. */
static uint64_t arrival(const struct timespec *ts, uint64_t now, int64_t rt_minus_mono)
{
	int64_t t;

	if (!ts)
		return now;
	t = (int64_t)ts->tv_sec * 1000000000ll + ts->tv_nsec - rt_minus_mono;
	if (t > (int64_t)now || t < (int64_t)now - 1000000000ll)
		return now;             /* clock stepped: do not trust it */
	return (uint64_t)t;
}

void nm_line_rx(struct nm *n, int fd)
{
	struct nm_dirstate *d = &n->d[fd == n->fd_a ? NM_A2B : NM_B2A];
	struct mmsghdr msgs[NM_BATCH];
	struct iovec iov[NM_BATCH][2];

	for (int round = 0; round < 4; round++) {
		struct timespec rt;
		int64_t rt_minus_mono;
		uint64_t now;
		int r;

		memset(msgs, 0, sizeof(msgs));
		for (int i = 0; i < NM_BATCH; i++) {
			iov[i][0] = (struct iovec){ &rx_vnet[i], VNET_LEN };
			iov[i][1] = (struct iovec){ rx_buf[i], NM_MAX_FRAME };
			msgs[i].msg_hdr.msg_iov = iov[i];
			msgs[i].msg_hdr.msg_iovlen = 2;
			msgs[i].msg_hdr.msg_control = &rx_cmsg[i];
			msgs[i].msg_hdr.msg_controllen = sizeof(rx_cmsg[i]);
		}
		r = recvmmsg(fd, msgs, NM_BATCH, MSG_DONTWAIT, NULL);
		if (r <= 0) {
			if (r < 0 && errno != EAGAIN && errno != EINTR)
				pr_warn("recvmmsg on %s: %s\n", fd == n->fd_a ? n->cfg.if_a :
					n->cfg.if_b, strerror(errno));
			return;
		}
		now = nm_now();
		clock_gettime(CLOCK_REALTIME, &rt);
		rt_minus_mono = (int64_t)rt.tv_sec * 1000000000ll + rt.tv_nsec - (int64_t)now;
		for (int i = 0; i < r; i++) {
			struct msghdr *mh = &msgs[i].msg_hdr;
			const struct tpacket_auxdata *aux = NULL;
			const struct timespec *ts = NULL;
			struct cmsghdr *c;

			if (msgs[i].msg_len < (unsigned)VNET_LEN + 14 ||
			    (mh->msg_flags & MSG_TRUNC)) {
				d->c.rx++;
				d->c.drop_oversize++;
				continue;
			}
			for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
				if (c->cmsg_level == SOL_PACKET && c->cmsg_type == PACKET_AUXDATA)
					aux = (const void *)CMSG_DATA(c);
				else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS)
					ts = (const void *)CMSG_DATA(c);
			}
			frame_in(d, arrival(ts, now, rt_minus_mono), &rx_vnet[i], rx_buf[i],
				 msgs[i].msg_len - VNET_LEN, aux);
		}
		if (r < NM_BATCH)
			return;
	}
}

/* ---- transmit --------------------------------------------------------------- */

static void sent_ok(struct nm_dirstate *d, struct nm_frame *f, uint64_t now)
{
	static const uint64_t edge[NM_LATE_BUCKETS - 1] = {
		10000, 50000, 100000, 250000, 1000000, 5000000, 20000000 };
	uint64_t late = now > f->due ? now - f->due : 0;
	int b = 0;

	d->c.fwd++;
	d->c.fwd_bytes += f->len;
	d->c.late_n++;
	d->c.late_sum_ns += late;
	if (late > d->c.late_max_ns)
		d->c.late_max_ns = late;
	while (b < NM_LATE_BUCKETS - 1 && late >= edge[b])
		b++;
	d->c.late_hist[b]++;
	free(f);
}

static void flush_dir(struct nm_dirstate *d, uint64_t now)
{
	struct nm_frame *batch[NM_BATCH];
	struct mmsghdr msgs[NM_BATCH];
	struct iovec iov[NM_BATCH][2];

	if (d->retry_at > now)
		return;
	d->retry_at = 0;
	while (d->q.n && d->q.v[0]->due <= now + NM_EARLY_NS) {
		int k = 0, sent = 0;

		while (k < NM_BATCH && d->q.n && d->q.v[0]->due <= now + NM_EARLY_NS) {
			struct nm_frame *f = heap_pop(&d->q);

			d->q_bytes -= f->len;
			iov[k][0] = (struct iovec){ f->vnet, VNET_LEN };
			iov[k][1] = (struct iovec){ f->data, f->len };
			memset(&msgs[k], 0, sizeof(msgs[k]));
			msgs[k].msg_hdr.msg_iov = iov[k];
			msgs[k].msg_hdr.msg_iovlen = 2;
			batch[k++] = f;
		}
		while (sent < k) {
			/* sendmmsg hides the error of a message after the first: one
			 * that a qdisc dropped (ENOBUFS) would then be sent again. With
			 * our tbf, which drops by design, send one by one. */
			unsigned vlen = d->tbf ? 1 : (unsigned)(k - sent);
			int r = sendmmsg(d->out_fd, msgs + sent, vlen, MSG_DONTWAIT);

			if (r > 0) {
				for (int i = 0; i < r; i++)
					sent_ok(d, batch[sent + i], now);
				sent += r;
			} else if (errno == EINTR) {
				continue;
			} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
				/* socket buffer full: put the rest back, retry soon */
				for (int i = sent; i < k; i++) {
					heap_push(&d->q, batch[i]);
					d->q_bytes += batch[i]->len;
				}
				d->retry_at = now + NM_RETRY_NS;
				return;
			} else {
				/* ENOBUFS: dropped by the qdisc (tbf full) or the veth */
				if (errno == ENOBUFS && d->tbf)
					d->c.drop_queue++;
				else
					d->c.drop_tx++;
				pr_debug("%s: send on %s: %s\n", d->name, d->out_ifname,
						strerror(errno));
				free(batch[sent++]);
			}
		}
		now = nm_now();
	}
}

void nm_line_flush(struct nm *n)
{
	for (int i = 0; i < NM_NDIR; i++)
		flush_dir(&n->d[i], nm_now());
}

uint64_t nm_line_next_due(struct nm *n)
{
	uint64_t next = 0;

	for (int i = 0; i < NM_NDIR; i++) {
		const struct nm_dirstate *d = &n->d[i];
		uint64_t t = d->retry_at ? d->retry_at : d->q.n ? d->q.v[0]->due : 0;

		if (t && (!next || t < next))
			next = t;
	}
	return next;
}
