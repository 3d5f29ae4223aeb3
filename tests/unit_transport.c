// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Unit tests of vtld's transport layer (daemon/transport.h) under a fake
 * wire and a fake clock: no sockets, no BPF, no sleeping. The fake wire
 * plays the egress KTF's part (it numbers DATA frames from snd_nxt and
 * keeps them), the tests play the ingress KTF's (they accept what it would
 * accept) and the peer (they move snd_una and post events).
 *
 *   1 receive: reorder buffer and SACK blocks against a reference model,
 *     for random loss, reordering and duplication patterns; every byte
 *     delivered once, in order (sha256)
 *   2 receive: a slow application: nothing acknowledged that could not be
 *     queued, all of it later
 *   3 partial reliability: exactly the holes below pr_skip that are really
 *     missing are given up and counted
 *   4 send: window, cwnd, Nagle and nodelay, a short send on a blocked
 *     wire, retransmission requests clamped to what is in flight
 *   5 close handshake, both ends, with repeated CLOSEs and lost CLOSE_ACKs
 *   6 keepalive, peer timeout, RESET
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <vtl/errors.h>
#include "check.h"
#include "log.h"
#include "sha256.h"
#include "transport.h"

#define MSS    100
#define PEER   vtl_peer4(htonl(0x0a000002), VTL_ENCAP_RAW, 0)
#define MAXREC 8192

/* ---------------------------------------------------------- the fakes */

static __u64 clock_ns = 1000000000ull;
static __u64 fake_now(void)
{
	return clock_ns;
}

static struct vtl_state kstate[VTL_MAX_SESSIONS];

struct rec_ctrl {
	__u32 sid;
	__u8 type;
	__u32 seq, ack;
};

struct rec_ack {
	__u32 sid;
	__u32 ack;      /* rcv_acked when the ACK left: what the egress KTF stamps */
	__u32 nb;
	__u32 sack[VTL_SACK_MAX][2];
};

static struct fake {
	/* wire */
	int accept;                 /* frames send_data takes (-1: all) */
	bool blocked;
	__u32 quiet_at_send;        /* ev_quiet when the last send_data was called */
	__u32 data_frames;
	size_t data_bytes;
	unsigned char sent[1 << 16]; /* payload bytes numbered by the "egress KTF" */
	__u32 retx_from, retx_to, n_retx;
	struct rec_ctrl ctrl[MAXREC];
	unsigned int n_ctrl;
	struct rec_ack acks[MAXREC];
	unsigned int n_acks;
	/* application */
	size_t take;                /* bytes the application reads per call (0: none) */
	bool hold;                  /* delivery held */
	bool more;                  /* app_more's answer */
	unsigned char got[1 << 20];
	size_t n_got;
	unsigned int n_writable, n_eof, n_done, n_gone, n_abort, n_nego, n_tx_begin;
	int abort_code;
	char abort_why[128];
	bool abort_reset;
} F;

static int w_send_data(void *ctx, const struct tp_sess *s, const struct tp_frame *f,
		       unsigned int n)
{
	unsigned int i, take = F.accept < 0 ? n : (unsigned int)F.accept;

	(void)ctx;
	F.quiet_at_send = s->k->ev_quiet;
	if (take > n)
		take = n;
	for (i = 0; i < take; i++) {
		s->k->snd_nxt++;     /* the egress KTF stamps it */
		for (int k = 0; k < f[i].niov; k++) {
			if (F.data_bytes + f[i].iov[k].iov_len <= sizeof(F.sent))
				memcpy(F.sent + F.data_bytes, f[i].iov[k].iov_base,
				       f[i].iov[k].iov_len);
			F.data_bytes += f[i].iov[k].iov_len;
		}
		F.data_frames++;
	}
	if (take < n) {
		F.blocked = true;
		return (int)take;
	}
	return (int)n;
}

static int w_send_retx(void *ctx, const struct tp_sess *s, __u32 from, __u32 to)
{
	(void)ctx;
	(void)s;
	F.retx_from = from;
	F.retx_to = to;
	F.n_retx++;
	return 0;
}

static void w_send_acks(void *ctx, const struct tp_ack *a, unsigned int n)
{
	(void)ctx;
	for (unsigned int i = 0; i < n && F.n_acks < MAXREC; i++) {
		struct rec_ack *r = &F.acks[F.n_acks++];

		r->sid = a[i].sid;
		r->ack = 0;
		for (__u32 sl = 1; sl < VTL_MAX_SESSIONS; sl++)
			if (kstate[sl].session_id == a[i].sid)
				r->ack = kstate[sl].rcv_acked;
		r->nb = a[i].nb;
		for (__u32 b = 0; b < a[i].nb; b++) {
			r->sack[b][0] = ntohl(a[i].sack[b].start);
			r->sack[b][1] = ntohl(a[i].sack[b].end);
		}
	}
}

static int w_send_ctrl(void *ctx, const struct vtl_peer *peer, __u32 sid, __u8 type, __u32 seq,
		       __u32 ack, const void *payload, __u16 len)
{
	(void)ctx;
	(void)peer;
	(void)payload;
	(void)len;
	if (F.n_ctrl < MAXREC)
		F.ctrl[F.n_ctrl++] = (struct rec_ctrl){ sid, type, seq, ack };
	return 0;
}

static bool w_blocked(void *ctx)
{
	(void)ctx;
	return F.blocked;
}

static const struct tp_wire fake_wire = {
	.send_data = w_send_data, .send_retx = w_send_retx, .send_acks = w_send_acks,
	.send_ctrl = w_send_ctrl, .blocked = w_blocked,
};

static struct transport TP;

static void deliver(struct tp_sess *s)
{
	if (F.hold)
		return;
	for (;;) {
		const unsigned char *p;
		size_t n = tp_rx_peek(s, &p);

		if (!n || !F.take)
			break;
		if (n > F.take)
			n = F.take;
		if (F.n_got + n <= sizeof(F.got))
			memcpy(F.got + F.n_got, p, n);
		F.n_got += n;
		tp_rx_consume(&TP, s, n);
		if (F.take != (size_t)-1)
			break; /* a slow application: one read per wake-up */
	}
	tp_rx_drained(&TP, s);
}

static void u_readable(void *ctx, struct tp_sess *s) { (void)ctx; deliver(s); }
static void u_writable(void *ctx, struct tp_sess *s) { (void)ctx; (void)s; F.n_writable++; }
static bool u_more(void *ctx, struct tp_sess *s) { (void)ctx; (void)s; return F.more; }
static void u_eof(void *ctx, struct tp_sess *s) { (void)ctx; (void)s; F.n_eof++; }
static void u_done(void *ctx, struct tp_sess *s) { (void)ctx; (void)s; F.n_done++; }
static int u_tx_begin(void *ctx, struct tp_sess *s)
{
	(void)ctx;
	F.n_tx_begin++;
	s->k->buf_count = s->window;
	return 0;
}
static void u_gone(void *ctx, struct tp_sess *s) { (void)ctx; F.n_gone++; tp_sess_del(&TP, s); }
static void u_abort(void *ctx, struct tp_sess *s, int code, const char *why, bool reset)
{
	(void)ctx;
	F.n_abort++;
	F.abort_code = code;
	F.abort_reset = reset;
	snprintf(F.abort_why, sizeof(F.abort_why), "%s", why);
	tp_sess_del(&TP, s);
}
static void u_nego(void *ctx, const struct vtl_peer *a, const struct vtl_hdr *h, const void *p,
		   __u32 l)
{
	(void)ctx; (void)a; (void)h; (void)p; (void)l;
	F.n_nego++;
}
static void u_unreach(void *ctx, const struct vtl_peer *a, __u32 b) { (void)ctx; (void)a; (void)b; }

static const struct tp_up fake_up = {
	.readable = u_readable, .writable = u_writable, .app_more = u_more, .eof = u_eof,
	.done = u_done, .gone = u_gone, .tx_begin = u_tx_begin, .abort = u_abort, .on_nego = u_nego,
	.on_nego_reply = u_nego, .on_unreachable = u_unreach,
};

#define PEER_TIMEOUT_MS 3000

static void reset_all(void)
{
	memset(&F, 0, sizeof(F));
	F.accept = -1;
	F.take = (size_t)-1;
	memset(kstate, 0, sizeof(kstate));
	tp_init(&TP, kstate, fake_now, PEER_TIMEOUT_MS);
	tp_set_wire(&TP, &fake_wire, NULL);
	tp_set_up(&TP, &fake_up, NULL);
}

static struct tp_sess *new_sess(__u32 id, bool initiator, bool reliable, bool partial,
				__u32 window, __u32 isn)
{
	struct tp_sess *s = calloc(1, sizeof(*s));

	if (!s || tp_sess_add(&TP, s, id))
		return NULL;
	s->peer = PEER;
	s->initiator = initiator;
	s->reliable = reliable;
	s->partial = partial;
	s->window = window;
	s->mss = MSS;
	s->k->session_id = id;
	s->k->snd_nxt = s->k->snd_una = isn;
	s->k->rcv_acked = s->k->rcv_nxt = isn;
	s->rx_nxt = isn;
	tp_open(&TP, s);
	return s;
}

static void frame(struct tp_sess *s, __u8 type, __u32 seq, const void *pay, __u32 len)
{
	struct vtl_hdr h = { .version = VTL_VERSION, .type = type, .hdr_len = VTL_HDR_LEN };

	h.session_id = htonl(s->id);
	h.seq = htonl(seq);
	h.len = htons((__u16)len);
	tp_on_frame(&TP, &s->peer, &h, pay, len);
}

static __u32 rnd_state;
static __u32 rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

/* -------------------------------------------- 1 reorder + SACK vs model */

#define N_PKT 600

struct stream {
	unsigned char data[N_PKT * MSS];
	__u32 len[N_PKT], off[N_PKT];
	size_t total;
};

static void make_stream(struct stream *st)
{
	st->total = 0;
	for (int i = 0; i < N_PKT; i++) {
		st->len[i] = 1 + rnd() % MSS;
		st->off[i] = (__u32)st->total;
		for (__u32 b = 0; b < st->len[i]; b++)
			st->data[st->total + b] = (unsigned char)rnd();
		st->total += st->len[i];
	}
}

/* The reference: SACK runs of packets held above ack, within the window,
 * lowest first, at most VTL_SACK_MAX. */
static __u32 model_sack(const bool *have, __u32 isn, __u32 ack, __u32 window,
			__u32 out[VTL_SACK_MAX][2])
{
	__u32 n = 0, i = ack - isn + 1, hi = ack - isn + window;

	if (hi > N_PKT)
		hi = N_PKT;
	while (n < VTL_SACK_MAX && i < hi) {
		while (i < hi && !have[i])
			i++;
		if (i >= hi)
			break;
		out[n][0] = isn + i;
		while (i < hi && have[i])
			i++;
		out[n][1] = isn + i;
		n++;
	}
	return n;
}

static int last_ack_of(__u32 sid)
{
	for (int i = (int)F.n_acks - 1; i >= 0; i--)
		if (F.acks[i].sid == sid)
			return i;
	return -1;
}

/* Check the ACK the last batch produced against the model. */
static void check_ack(struct tp_sess *s, const bool *have, __u32 isn, __u32 window,
		      unsigned int *bad_ack, unsigned int *bad_sack)
{
	__u32 ack = isn, exp[VTL_SACK_MAX][2], ne;
	int li = last_ack_of(s->id);

	while (ack - isn < N_PKT && have[ack - isn])
		ack++;
	ne = model_sack(have, isn, ack, window, exp);
	if (li < 0)
		return;
	if (F.acks[li].ack != ack)
		(*bad_ack)++;
	if (F.acks[li].nb != ne || memcmp(F.acks[li].sack, exp, ne * sizeof(exp[0]))) {
		if (!(*bad_sack)++) {
			printf("  ack %u: got %u blocks", ack - isn, F.acks[li].nb);
			for (__u32 b = 0; b < F.acks[li].nb; b++)
				printf(" [%u,%u)", F.acks[li].sack[b][0] - isn,
				       F.acks[li].sack[b][1] - isn);
			printf(", want %u", ne);
			for (__u32 b = 0; b < ne; b++)
				printf(" [%u,%u)", exp[b][0] - isn, exp[b][1] - isn);
			printf("\n");
		}
	}
}

/* A selective-repeat sender against the transport's receiver: each round
 * it sends what is missing in [ack, ack + window), in a shuffled order,
 * through a network that loses, reorders and duplicates; the receiver's
 * KTF drops what is outside its window. Every batch's ACK is checked
 * against the model; at the end every byte must have been delivered once,
 * in order. */
static void one_reorder_run(__u32 seed, __u32 window, __u32 isn)
{
	static struct stream st;
	static bool have[N_PKT];
	static __u32 cand[2 * VTL_WINDOW_MAX];
	struct tp_sess *s;
	unsigned char want[SHA256_LEN], got[SHA256_LEN];
	unsigned int bad_sack = 0, bad_ack = 0, rounds = 0;
	__u32 loss = seed % 20, reorder = seed % 7, dup = seed % 5, ack = 0;

	reset_all();
	rnd_state = seed * 2654435761u | 1;
	make_stream(&st);
	memset(have, 0, sizeof(have));
	s = new_sess(0x1000 + seed, false, true, false, window, isn);
	CHECK(s, "seed %u: session", seed);
	if (!s)
		return;
	while (ack < N_PKT && rounds++ < 10000) {
		unsigned int nc = 0, k = 0;

		for (__u32 i = ack; i < ack + window && i < N_PKT; i++)
			if (!have[i] || (dup && rnd() % 100 < dup))
				cand[nc++] = i;
		for (unsigned int i = 0; reorder && i + 1 < nc; i++) {
			if (rnd() % 100 < reorder * 5) {
				unsigned int j = i + 1 + rnd() % (nc - i - 1);
				__u32 t = cand[i];

				cand[i] = cand[j];
				cand[j] = t;
			}
		}
		while (k < nc) {
			unsigned int batch = 1 + rnd() % 16;

			for (; batch-- && k < nc; k++) {
				__u32 i = cand[k], seq = isn + i, acked = kstate[s->slot].rcv_acked;

				if (rnd() % 100 < loss)
					continue;
				/* the ingress KTF: below the delivery point a duplicate
				 * (re-ACKed in kernel), beyond the window dropped */
				if ((__s32)(seq - acked) < 0 ||
				    (__s32)(seq - (acked + window)) >= 0)
					continue;
				frame(s, VTL_T_DATA, seq, st.data + st.off[i], st.len[i]);
				have[i] = true;
			}
			tp_rx_batch_end(&TP);
			check_ack(s, have, isn, window, &bad_ack, &bad_sack);
		}
		while (ack < N_PKT && have[ack])
			ack++;
	}
	CHECK(!bad_ack, "seed %u (loss %u%%, window %u): %u ACKs disagree with the model's "
	      "cumulative ack", seed, loss, window, bad_ack);
	CHECK(!bad_sack, "seed %u (loss %u%%, window %u): %u ACKs' SACK blocks disagree with "
	      "the model", seed, loss, window, bad_sack);
	sha256(st.data, st.total, want);
	sha256(F.got, F.n_got, got);
	CHECK(F.n_got == st.total && !memcmp(want, got, sizeof(want)),
	      "seed %u: delivered %zu of %zu bytes, in order: %s", seed, F.n_got, st.total,
	      memcmp(want, got, sizeof(want)) ? "no" : "yes");
	CHECK(s->rx_nxt == isn + N_PKT && kstate[s->slot].rcv_acked == isn + N_PKT,
	      "seed %u: rx_nxt %u rcv_acked %u, want %u", seed, s->rx_nxt - isn,
	      kstate[s->slot].rcv_acked - isn, N_PKT);
	tp_sess_del(&TP, s);
	free(s);
}

static void case_reorder_sack(void)
{
	for (__u32 seed = 1; seed <= 60; seed++)
		one_reorder_run(seed, seed % 3 ? 64 : 16, seed % 2 ? 1000 : 0xfffffff0u);
}

/* ------------------------------------------------- 2 a slow application */

static void case_slow_app(void)
{
	static unsigned char pay[MSS];
	struct tp_sess *s;
	__u32 isn = 500, n;

	reset_all();
	TP.rxq_bytes = 10 * MSS;                /* room for 10 packets */
	F.take = 0;                             /* the application reads nothing */
	s = new_sess(0x2000, false, true, false, 64, isn);
	if (!s) {
		CHECK(0, "session");
		return;
	}
	for (n = 0; n < 20; n++) {
		memset(pay, (int)n, sizeof(pay));
		frame(s, VTL_T_DATA, isn + n, pay, MSS);
	}
	tp_rx_batch_end(&TP);
	CHECK(kstate[s->slot].rcv_acked == isn + 10, "ack with a full queue: %u, want 10",
	      kstate[s->slot].rcv_acked - isn);
	CHECK(s->rxq.len == 10 * MSS, "queued %zu bytes", s->rxq.len);
	/* the application reads one packet's worth: one more fits, and is
	 * acknowledged; then all of it */
	F.take = MSS;
	deliver(s);
	CHECK(kstate[s->slot].rcv_acked == isn + 11, "ack after one read: %u, want 11",
	      kstate[s->slot].rcv_acked - isn);
	F.take = (size_t)-1;
	while (s->rxq.len || s->rx_nxt != isn + 20)
		deliver(s);
	CHECK(F.n_got == 20 * MSS && kstate[s->slot].rcv_acked == isn + 20,
	      "after reading all: %zu bytes, ack %u", F.n_got, kstate[s->slot].rcv_acked - isn);
	for (n = 0; n < 20; n++)
		if (F.got[n * MSS] != n || F.got[n * MSS + MSS - 1] != n)
			break;
	CHECK(n == 20, "bytes in order (first wrong packet %u)", n);
	tp_sess_del(&TP, s);
	free(s);
}

/* ------------------------------------------ 3 partial reliability skip */

static void case_pr_skip(void)
{
	static unsigned char pay[MSS];
	struct tp_sess *s;
	__u32 isn = 7000;

	reset_all();
	s = new_sess(0x3000, false, true, true, 64, isn);
	if (!s) {
		CHECK(0, "session");
		return;
	}
	/* holes at 0, 1 and 4; 2, 3, 5 .. 9 arrive */
	for (__u32 i = 2; i < 10; i++)
		if (i != 4)
			frame(s, VTL_T_DATA, isn + i, pay, MSS);
	tp_rx_batch_end(&TP);
	CHECK(s->lost == 0 && s->rx_nxt == isn, "nothing given up before the KTF allows it");
	/* the KTF allows giving up below isn + 1: only packet 0 */
	kstate[s->slot].pr_skip = isn + 1;
	frame(s, VTL_T_DATA, isn + 10, pay, MSS);
	tp_rx_batch_end(&TP);
	CHECK(s->lost == 1 && s->rx_nxt == isn + 1, "pr_skip isn+1: lost %llu, rx_nxt %u",
	      (unsigned long long)s->lost, s->rx_nxt - isn);
	/* below isn + 5: packets 1 and 4 are missing, 2 and 3 are here */
	kstate[s->slot].pr_skip = isn + 5;
	frame(s, VTL_T_DATA, isn + 11, pay, MSS);
	tp_rx_batch_end(&TP);
	CHECK(s->lost == 3 && s->rx_nxt == isn + 12, "pr_skip isn+5: lost %llu (want 3), "
	      "rx_nxt %u (want 12)", (unsigned long long)s->lost, s->rx_nxt - isn);
	CHECK(F.n_got == 9 * MSS, "delivered %zu bytes, want %d", F.n_got, 9 * MSS);
	CHECK(kstate[s->slot].rcv_acked == isn + 12, "acknowledged through the skipped holes");
	tp_sess_del(&TP, s);
	free(s);
}

/* A frame the KTF should not have let through (beyond the window, or
 * longer than the mss) must not land in the reorder buffer: its slot is
 * the delivery point's. */
static void case_beyond_window(void)
{
	static unsigned char good[MSS], bad[MSS + 1];
	struct tp_sess *s;
	__u32 isn = 300;

	reset_all();
	s = new_sess(0x3100, false, true, false, 8, isn);
	if (!s) {
		CHECK(0, "session");
		return;
	}
	memset(good, 'g', sizeof(good));
	memset(bad, 'b', sizeof(bad));
	frame(s, VTL_T_DATA, isn + 8, bad, MSS);       /* one window ahead */
	frame(s, VTL_T_DATA, isn + 1, bad, MSS + 1);   /* longer than the mss */
	frame(s, VTL_T_DATA, isn + 1, good, MSS);
	frame(s, VTL_T_DATA, isn, good, MSS);
	tp_rx_batch_end(&TP);
	CHECK(s->gap_rx == 2 && F.n_got == 2 * MSS && !memchr(F.got, 'b', F.n_got),
	      "dropped %llu, delivered %zu bytes, all of them the right ones",
	      (unsigned long long)s->gap_rx, F.n_got);
	CHECK(kstate[s->slot].rcv_acked == isn + 2, "acknowledged %u", kstate[s->slot].rcv_acked - isn);
	tp_sess_del(&TP, s);
	free(s);
}

/* --------------------------------------------------------------- 4 send */

static __u32 inflight(const struct tp_sess *s)
{
	return s->k->snd_nxt - s->k->snd_una;
}

static void ack_to(struct tp_sess *s, __u32 ack)
{
	struct vtl_event e = { .type = VTL_EV_ACK, .session_id = s->id, .slot = s->slot };

	s->k->snd_una = ack;
	tp_on_event(&TP, &e);
	tp_events_end(&TP);
}

static void case_send(void)
{
	static unsigned char buf[64 * MSS];
	struct tp_sess *s;
	struct vtl_event e;
	__u32 isn = 100;

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i * 7);
	reset_all();
	s = new_sess(0x4000, true, true, false, 8, isn);
	if (!s) {
		CHECK(0, "session");
		return;
	}
	/* the window: 8 of 20 full frames go */
	tp_tx_push(&TP, s, buf, 20 * MSS + 30);
	tp_output(&TP, s);
	CHECK(F.data_frames == 8 && inflight(s) == 8, "window 8: %u frames sent", F.data_frames);
	CHECK(F.quiet_at_send == 0, "frames left in the queue: ACK events wanted while sending");
	CHECK(!s->k->ev_quiet, "data queued: ACK events wanted");
	ack_to(s, isn + 8);
	CHECK(F.data_frames == 16, "after an ACK of 8: %u frames", F.data_frames);
	/* cwnd below the window limits a congestion-controlled graft */
	s->cc = true;
	s->k->cwnd = 2;
	ack_to(s, isn + 16);
	CHECK(F.data_frames == 18, "cwnd 2: %u frames (want 18)", F.data_frames);
	s->k->cwnd = 0;
	ack_to(s, isn + 18);
	/* 2 full frames and 30 bytes were left: the full ones go, the short
	 * one waits while data is in flight (Nagle) */
	CHECK(F.data_frames == 20 && s->txq.len == 30, "full frames sent, %zu bytes held",
	      s->txq.len);
	ack_to(s, isn + 20);
	CHECK(F.data_frames == 21 && !s->txq.len, "nothing in flight: the short frame went");
	CHECK(F.quiet_at_send == 1, "the queue's last frame went with ACK events off already "
	      "(an ACK that comes back at once wakes nobody)");
	CHECK(F.data_bytes == 20 * MSS + 30 && !memcmp(F.sent, buf, F.data_bytes),
	      "the bytes on the wire are the application's, in order (%zu)", F.data_bytes);
	CHECK(s->k->ev_quiet == 1, "nothing queued: no ACK events wanted");
	/* one frame in flight: a short frame waits for its ACK */
	tp_tx_push(&TP, s, buf, 10);
	tp_output(&TP, s);
	CHECK(F.data_frames == 21, "short frame held with one frame in flight");
	/* the application has more coming: a short frame waits even idle */
	F.more = true;
	ack_to(s, isn + 21);
	CHECK(F.data_frames == 21, "short frame held while the application has more");
	F.more = false;
	tp_output(&TP, s);
	CHECK(F.data_frames == 22, "short frame sent once it has not");
	/* nodelay: a short frame goes with data in flight */
	s->nodelay = true;
	tp_tx_push(&TP, s, buf, 10);
	tp_output(&TP, s);
	CHECK(F.data_frames == 23, "nodelay: short frame sent with %u in flight", inflight(s) - 1);
	ack_to(s, s->k->snd_nxt);
	/* a blocked wire: what the KTF stamped is sent, the rest stays */
	F.accept = 3;
	tp_tx_push(&TP, s, buf, 6 * MSS);
	tp_output(&TP, s);
	CHECK(F.data_frames == 26 && s->txq.len == 3 * MSS && F.blocked,
	      "short send: %u frames, %zu bytes left", F.data_frames, s->txq.len);
	CHECK(F.quiet_at_send == 1 && s->k->ev_quiet == 0,
	      "bytes left after a short send: ACK events wanted again");
	tp_output(&TP, s);
	CHECK(F.data_frames == 26, "nothing while the wire is blocked");
	F.accept = -1;
	F.blocked = false;
	tp_wire_ready(&TP);
	CHECK(F.data_frames == 29 && !s->txq.len, "the wire is ready: the rest went");
	/* retransmission requests are clamped to [snd_una, snd_nxt) */
	s->k->snd_una = s->k->snd_nxt - 5;
	e = (struct vtl_event){ .type = VTL_EV_RTO, .session_id = s->id, .slot = s->slot,
				.from = s->k->snd_una - 10, .to = s->k->snd_nxt + 10 };
	tp_on_event(&TP, &e);
	CHECK(F.n_retx == 1 && F.retx_from == s->k->snd_una && F.retx_to == s->k->snd_nxt,
	      "RTO clamped to [una, nxt): [%u, %u)", F.retx_from - isn, F.retx_to - isn);
	e.type = VTL_EV_FAST_RETX;
	e.from = e.to = s->k->snd_una + 1;
	tp_on_event(&TP, &e);
	CHECK(F.n_retx == 1, "an empty range is not sent");
	e.session_id = s->id + 1;
	e.type = VTL_EV_PROBE;
	e.from = s->k->snd_una;
	e.to = s->k->snd_una + 1;
	tp_on_event(&TP, &e);
	CHECK(F.n_retx == 1, "an event for another session id in the slot is ignored");
	tp_sess_del(&TP, s);
	free(s);
}

/* ------------------------------------------------- 5 close handshake */

static int count_ctrl(__u8 type)
{
	int n = 0;

	for (unsigned int i = 0; i < F.n_ctrl; i++)
		n += F.ctrl[i].type == type;
	return n;
}

/* Shut down s's (empty) direction and confirm its CLOSE. */
static void close_ours(struct tp_sess *s)
{
	struct vtl_event e = { .type = VTL_EV_CLOSE_ACK, .session_id = s->id, .slot = s->slot };

	tp_shutdown(&TP, s);
	tp_on_event(&TP, &e);
}

static void case_close_sender(void)
{
	static unsigned char buf[3 * MSS];
	struct tp_sess *s;
	struct vtl_event e;
	__u32 isn = 40, id = 0x5000;

	reset_all();
	s = new_sess(id, true, true, false, 64, isn);
	if (!s) {
		CHECK(0, "session");
		return;
	}
	tp_tx_push(&TP, s, buf, sizeof(buf));
	tp_shutdown(&TP, s);
	CHECK(F.data_frames == 3 && !count_ctrl(VTL_T_CLOSE) && s->state == TP_OPEN,
	      "no CLOSE while data is unacknowledged");
	ack_to(s, isn + 2);
	CHECK(!count_ctrl(VTL_T_CLOSE), "no CLOSE with one packet unacknowledged");
	ack_to(s, isn + 3);
	CHECK(count_ctrl(VTL_T_CLOSE) == 1 && s->close_sent && s->state == TP_OPEN &&
	      F.ctrl[F.n_ctrl - 1].seq == isn + 3, "CLOSE with seq = snd_nxt once all is acked");
	/* the CLOSE_ACK is lost: repeated at 20, then 40 ms gaps */
	clock_ns += 19 * 1000000ull;
	tp_tick(&TP);
	CHECK(count_ctrl(VTL_T_CLOSE) == 1, "not repeated before 20 ms");
	clock_ns += 2 * 1000000ull;
	tp_tick(&TP);
	CHECK(count_ctrl(VTL_T_CLOSE) == 2, "repeated after 20 ms");
	clock_ns += 30 * 1000000ull;
	tp_tick(&TP);
	CHECK(count_ctrl(VTL_T_CLOSE) == 2, "the gap doubles (40 ms)");
	clock_ns += 15 * 1000000ull;
	tp_tick(&TP);
	CHECK(count_ctrl(VTL_T_CLOSE) == 3, "repeated after 40 ms");
	e = (struct vtl_event){ .type = VTL_EV_CLOSE_ACK, .session_id = id, .slot = s->slot };
	tp_on_event(&TP, &e);
	CHECK(F.n_done == 1 && s->tx_done && s->state == TP_OPEN && tp_sess_by_id(&TP, id) == s,
	      "CLOSE_ACK: our direction is done, the peer's goes on");
	frame(s, VTL_T_CLOSE, isn, NULL, 0);  /* the peer closes its (empty) direction */
	deliver(s);
	CHECK(F.n_eof == 1 && count_ctrl(VTL_T_CLOSE_ACK) == 1 && s->state == TP_CLOSING,
	      "the peer's CLOSE: EOF, CLOSE_ACK, both directions over: lingering");
	clock_ns += (TP_LINGER_MS + 10) * 1000000ull;
	tp_tick(&TP);
	CHECK(F.n_gone == 1 && !tp_sess_by_id(&TP, id), "linger over: the session ends");
	free(s);
	/* a sender whose peer never confirms gives up after the peer timeout */
	s = new_sess(id + 1, true, true, false, 64, isn);
	if (!s) {
		CHECK(0, "session");
		return;
	}
	tp_shutdown(&TP, s);
	CHECK(s->close_sent && count_ctrl(VTL_T_CLOSE) == 4, "nothing queued: CLOSE at once");
	for (int i = 0; i < 1000 && F.n_abort == 0; i++) {
		clock_ns += 5 * 1000000ull;
		tp_tick(&TP);
	}
	CHECK(F.n_abort == 1 && F.abort_code == -VTL_E_PEER_LOST && F.abort_reset &&
	      strstr(F.abort_why, "did not confirm CLOSE"), "abort: %d %s", F.abort_code,
	      F.abort_why);
	free(s);
}

static void case_close_receiver(void)
{
	static unsigned char pay[MSS];
	struct tp_sess *s;
	__u32 isn = 90, id = 0x5100;

	reset_all();
	s = new_sess(id, false, true, false, 64, isn);
	if (!s) {
		CHECK(0, "session");
		return;
	}
	F.take = 0;     /* the application does not read yet */
	frame(s, VTL_T_DATA, isn, pay, MSS);
	frame(s, VTL_T_DATA, isn + 1, pay, MSS);
	tp_rx_batch_end(&TP);
	frame(s, VTL_T_CLOSE, isn + 3, NULL, 0);
	CHECK(!s->peer_closed && !F.n_eof, "a CLOSE beyond what arrived is ignored");
	frame(s, VTL_T_CLOSE, isn + 2, NULL, 0);
	CHECK(s->peer_closed && !F.n_eof && !count_ctrl(VTL_T_CLOSE_ACK),
	      "CLOSE in order, data undelivered: no EOF, no CLOSE_ACK yet");
	F.take = (size_t)-1;
	deliver(s);
	CHECK(F.n_eof == 1 && count_ctrl(VTL_T_CLOSE_ACK) == 1 && s->state == TP_OPEN &&
	      s->eof_sent && F.ctrl[F.n_ctrl - 1].ack == isn + 2,
	      "all delivered: EOF, CLOSE_ACK(ack %u); our direction still open",
	      F.n_ctrl ? F.ctrl[F.n_ctrl - 1].ack - isn : 0);
	/* our CLOSE_ACK was lost: the repeated CLOSE gets another */
	frame(s, VTL_T_CLOSE, isn + 2, NULL, 0);
	CHECK(F.n_eof == 1 && count_ctrl(VTL_T_CLOSE_ACK) == 2, "repeated CLOSE re-ACKed, one EOF");
	/* our side closes too (half-close the other way): then it lingers */
	close_ours(s);
	CHECK(s->state == TP_CLOSING && F.n_done == 1, "both directions over: lingering");
	/* lingering ends after TP_LINGER_MS */
	clock_ns += (TP_LINGER_MS - 10) * 1000000ull;
	tp_tick(&TP);
	CHECK(!F.n_gone, "still lingering");
	clock_ns += 20 * 1000000ull;
	tp_tick(&TP);
	CHECK(F.n_gone == 1 && !tp_sess_by_id(&TP, id), "linger over: gone");
	free(s);
	/* a held delivery (an attached stream being handed over) holds the
	 * EOF too */
	s = new_sess(id + 1, false, true, false, 64, isn);
	if (!s) {
		CHECK(0, "session");
		return;
	}
	F.hold = true;
	frame(s, VTL_T_CLOSE, isn, NULL, 0);
	CHECK(F.n_eof == 1 && count_ctrl(VTL_T_CLOSE_ACK) == 2, "held: no EOF yet");
	F.hold = false;
	deliver(s);
	CHECK(F.n_eof == 2 && count_ctrl(VTL_T_CLOSE_ACK) == 3, "released: EOF and CLOSE_ACK");
	close_ours(s);
	/* a RESET while lingering ends it quietly */
	frame(s, VTL_T_RESET, 0, NULL, 0);
	CHECK(F.n_gone == 2 && !F.n_abort, "RESET while lingering: gone, not aborted");
	free(s);
}

/* ----------------------------------------- 6 keepalive, timeout, RESET */

static int count_ctrl_sid(__u8 type, __u32 sid)
{
	int n = 0;

	for (unsigned int i = 0; i < F.n_ctrl; i++)
		n += F.ctrl[i].type == type && F.ctrl[i].sid == sid;
	return n;
}

static void case_liveness(void)
{
	struct tp_sess *tx, *rx;
	__u64 start;
	int ka_tx, ka_rx;

	reset_all();
	/* the two ends of one session (ids differ only to tell them apart) */
	tx = new_sess(0x6000, true, true, false, 64, 1);
	rx = new_sess(0x6001, false, true, false, 64, 1);
	if (!tx || !rx) {
		CHECK(0, "sessions");
		return;
	}
	/* an idle end sends a keepalive every quarter of the timeout (both
	 * ends: either may be the one that waits); an end that sees the
	 * other's (rx_acks) stays */
	start = clock_ns;
	while (clock_ns - start < 2ull * PEER_TIMEOUT_MS * 1000000ull) {
		unsigned int before = F.n_ctrl;

		clock_ns += 5 * 1000000ull;
		tp_tick(&TP);
		for (unsigned int i = before; i < F.n_ctrl; i++) {
			if (F.ctrl[i].type != VTL_T_ACK)
				continue;
			if (F.ctrl[i].sid == tx->id)
				rx->k->rx_acks++;   /* the peer's listener KTF counted it */
			else if (F.ctrl[i].sid == rx->id)
				tx->k->rx_acks++;
		}
	}
	ka_tx = count_ctrl_sid(VTL_T_ACK, tx->id);
	ka_rx = count_ctrl_sid(VTL_T_ACK, rx->id);
	CHECK(ka_tx >= 8 && ka_tx <= 9 && ka_rx >= 8 && ka_rx <= 9, "keepalives over two "
	      "timeouts: %d and %d (want 8-9: one at once, then one per 750 ms)", ka_tx, ka_rx);
	CHECK(!F.n_abort, "nobody timed out while keepalives flowed");
	/* they stop: each end gives up after the peer timeout, not before */
	start = rx->last_progress_ns;
	while (F.n_abort < 2 && clock_ns - start < 3ull * PEER_TIMEOUT_MS * 1000000ull) {
		clock_ns += 5 * 1000000ull;
		tp_tick(&TP);
	}
	CHECK(F.n_abort == 2 && F.abort_code == -VTL_E_PEER_LOST &&
	      clock_ns - start >= PEER_TIMEOUT_MS * 1000000ull &&
	      clock_ns - start <= (PEER_TIMEOUT_MS + 10) * 1000000ull,
	      "both ends lost their peer %llu ms after the last keepalive: %s",
	      (unsigned long long)(clock_ns - start) / 1000000, F.abort_why);
	free(rx);
	free(tx);
	F.n_abort = 1;
	tx = new_sess(0x6004, true, true, false, 64, 1);
	if (!tx) {
		CHECK(0, "session");
		return;
	}
	/* a sender with data in flight and no ACK gives up as well */
	tp_tx_push(&TP, tx, "x", 1);
	tp_output(&TP, tx);
	start = clock_ns;
	while (F.n_abort == 1 && clock_ns - start < 3ull * PEER_TIMEOUT_MS * 1000000ull) {
		clock_ns += 5 * 1000000ull;
		tp_tick(&TP);
	}
	CHECK(F.n_abort == 2 && strstr(F.abort_why, "stopped answering") && F.abort_reset,
	      "sender: %s", F.abort_why);
	free(tx);
	/* ... even while its retransmission timer fires (the KTF restamps
	 * its last_progress_ns at each timeout); ACKs, even ones that do not
	 * advance, keep it alive */
	tx = new_sess(0x6003, true, true, false, 64, 1);
	if (!tx) {
		CHECK(0, "session");
		return;
	}
	tp_tx_push(&TP, tx, "y", 1);
	tp_output(&TP, tx);
	start = clock_ns;
	for (int i = 0; F.n_abort == 2 && clock_ns - start < 3ull * PEER_TIMEOUT_MS * 1000000ull;
	     i++) {
		clock_ns += 5 * 1000000ull;
		if (i % 40 == 0)
			tx->k->last_progress_ns = clock_ns;   /* an RTO, every 200 ms */
		if (clock_ns - start < PEER_TIMEOUT_MS * 1000000ull && i % 100 == 0)
			tx->k->rx_acks++;                     /* the peer answers, for a while */
		tp_tick(&TP);
	}
	CHECK(F.n_abort == 3 && strstr(F.abort_why, "stopped answering") &&
	      clock_ns - start >= 2ull * PEER_TIMEOUT_MS * 1000000ull - 500000000ull,
	      "a sender whose peer went silent while its RTO fired: %s after %llu ms", F.abort_why,
	      (unsigned long long)(clock_ns - start) / 1000000);
	free(tx);
	/* a RESET aborts an open session, without a RESET back */
	rx = new_sess(0x6002, false, true, false, 64, 1);
	if (!rx) {
		CHECK(0, "session");
		return;
	}
	frame(rx, VTL_T_RESET, 0, NULL, 0);
	CHECK(F.n_abort == 4 && F.abort_code == -VTL_E_RESET && !F.abort_reset,
	      "RESET: abort %d, reset back %d", F.abort_code, F.abort_reset);
	free(rx);
	/* frames of other addresses and unknown sessions are ignored;
	 * negotiation frames go up */
	{
		struct vtl_hdr h = { .version = VTL_VERSION, .type = VTL_T_NEGO };
		struct vtl_peer p = PEER, other = vtl_peer4(p.addr[0], VTL_ENCAP_UDP, htons(4753));

		tp_on_frame(&TP, &p, &h, NULL, 0);
		CHECK(F.n_nego == 1, "NEGO goes to the session layer");
		/* a session's frames come from its peer: same address over
		 * another encapsulation (or port) is someone else */
		rx = new_sess(0x6005, false, true, false, 64, 1);
		if (rx) {
			h.type = VTL_T_RESET;
			h.session_id = htonl(rx->id);
			tp_on_frame(&TP, &other, &h, NULL, 0);
			CHECK(F.n_abort == 4, "a RESET from the same address over UDP is ignored");
			tp_on_frame(&TP, &rx->peer, &h, NULL, 0);
			CHECK(F.n_abort == 5, "... and taken from the session's own peer");
			free(rx);
		}
	}
}

/* ------------------------------- 7 full duplex, half-close, orphans */

static void case_duplex(void)
{
	static unsigned char buf[3 * MSS], pay[MSS];
	struct tp_sess *s;
	struct vtl_event e;
	__u32 isn = 700, id = 0x7000;

	reset_all();
	s = new_sess(id, false, true, false, 64, isn);   /* the responder sends too */
	if (!s) {
		CHECK(0, "session");
		return;
	}
	CHECK(!s->txq.buf && !s->rxq.buf && !s->rob && !F.n_tx_begin,
	      "a new session holds no queue, no reorder buffer, no copies");
	tp_tx_push(&TP, s, buf, sizeof(buf));
	tp_output(&TP, s);
	CHECK(F.data_frames == 3 && F.n_tx_begin == 1 && s->txq.buf,
	      "first write: copies asked for once, 3 frames out");
	memset(pay, 'a', sizeof(pay));
	frame(s, VTL_T_DATA, isn, pay, MSS);
	frame(s, VTL_T_DATA, isn + 1, pay, MSS);
	tp_rx_batch_end(&TP);
	CHECK(F.n_got == 2 * MSS && !s->rob, "the peer's data in the same session, in order, "
	      "without a reorder buffer");
	/* half-close ours: the CLOSE waits for the ACK, the peer's data goes on */
	tp_shutdown(&TP, s);
	CHECK(!count_ctrl(VTL_T_CLOSE), "no CLOSE with data unacknowledged");
	ack_to(s, isn + 3);
	CHECK(count_ctrl(VTL_T_CLOSE) == 1, "CLOSE of our direction");
	e = (struct vtl_event){ .type = VTL_EV_CLOSE_ACK, .session_id = id, .slot = s->slot };
	tp_on_event(&TP, &e);
	CHECK(F.n_done == 1 && s->state == TP_OPEN, "our direction done, session open");
	frame(s, VTL_T_DATA, isn + 3, pay, MSS);      /* out of order: a hole at isn+2 */
	tp_rx_batch_end(&TP);
	CHECK(s->rob && F.n_got == 2 * MSS, "out of order: the reorder buffer comes now");
	frame(s, VTL_T_DATA, isn + 2, pay, MSS);
	tp_rx_batch_end(&TP);
	CHECK(F.n_got == 4 * MSS, "after our half-close the peer's bytes still arrive: %zu",
	      F.n_got);
	frame(s, VTL_T_CLOSE, isn + 4, NULL, 0);
	CHECK(F.n_eof == 1 && s->state == TP_CLOSING, "the peer closes: EOF, lingering");
	clock_ns += (TP_LINGER_MS + 10) * 1000000ull;
	tp_tick(&TP);
	CHECK(F.n_gone == 1, "gone after the linger");
	free(s);

	/* idle queues give their memory back */
	s = new_sess(id + 1, true, true, false, 64, isn);
	if (!s) {
		CHECK(0, "session");
		return;
	}
	tp_tx_push(&TP, s, buf, 10);
	tp_output(&TP, s);
	ack_to(s, isn + 1);
	frame(s, VTL_T_DATA, isn, pay, 10);
	tp_rx_batch_end(&TP);
	CHECK(s->txq.buf && s->rxq.buf, "queues in use");
	for (int i = 0; i < (int)(TP_IDLE_FREE_MS / 5) + 4; i++) {
		clock_ns += 5 * 1000000ull;
		s->k->rx_acks++;   /* the peer's keepalives */
		tp_tick(&TP);
	}
	CHECK(!s->txq.buf && !s->rxq.buf && !F.n_abort, "idle for %u ms: no queue memory",
	      TP_IDLE_FREE_MS);
	/* the application lets go without shutting down: not an orphan */
	CHECK(!tp_orphan(&TP, s), "no shutdown: a reset, not an orphan");
	tp_shutdown(&TP, s);
	CHECK(tp_orphan(&TP, s) && s->orphan, "shut down, all delivered: it lives on");
	frame(s, VTL_T_DATA, isn + 1, pay, 10);
	CHECK(F.n_abort == 1 && F.abort_reset && strstr(F.abort_why, "closed application"),
	      "new data for an orphan: reset (%s)", F.abort_why);
	free(s);

	/* the peer's direction is over and nothing of ours is outstanding: an
	 * application that lets go without a shutdown closes, not resets */
	s = new_sess(id + 2, false, true, false, 64, isn);
	if (!s) {
		CHECK(0, "session");
		return;
	}
	frame(s, VTL_T_CLOSE, isn, NULL, 0);
	CHECK(F.n_eof == 2 && s->eof_sent, "the peer closed its (empty) direction");
	F.n_ctrl = 0;
	CHECK(tp_orphan(&TP, s) && s->app_shut && count_ctrl(VTL_T_CLOSE) == 1,
	      "let go after EOF: our direction closes (CLOSE), no reset");
	e = (struct vtl_event){ .type = VTL_EV_CLOSE_ACK, .session_id = s->id, .slot = s->slot };
	tp_on_event(&TP, &e);
	CHECK(s->state == TP_CLOSING && F.n_abort == 1, "both directions over: lingering");
	tp_sess_del(&TP, s);
	free(s);
}

/* ------------------------------------------ 8 ten thousand sessions */

static void case_many(void)
{
	enum { N = 10000 };
	static struct tp_sess *ss[N];
	unsigned int ok = 1, found = 0;
	__u32 ids[N];

	reset_all();
	for (int i = 0; i < N; i++) {
		ids[i] = 0x9e3779b9u * (__u32)(i + 1);
		ss[i] = new_sess(ids[i], i & 1, true, false, 16, 1);
		if (!ss[i]) {
			CHECK(0, "session %d", i);
			return;
		}
	}
	CHECK(TP.n_sess == N && TP.slot_hi == N + 1, "%u sessions, slots below %u", TP.n_sess,
	      TP.slot_hi);
	for (int i = 0; i < N; i++)
		ok &= tp_sess_by_id(&TP, ids[i]) == ss[i];
	CHECK(ok, "each found by its id");
	for (int i = 0; i < N; i += 2) {
		tp_sess_del(&TP, ss[i]);
		free(ss[i]);
		ss[i] = NULL;
	}
	for (int i = 0; i < N; i++)
		found += tp_sess_by_id(&TP, ids[i]) != NULL;
	CHECK(found == N / 2, "deleted ones are gone (%u found)", found);
	/* a tick visits a share of them; in TP_SWEEP_TICKS ticks, all */
	for (int t = 0; t < TP_SWEEP_TICKS; t++) {
		unsigned int before = F.n_ctrl;

		tp_tick(&TP);
		CHECK(F.n_ctrl - before < N / 2, "tick %d: %u keepalives (a share)", t,
		      F.n_ctrl - before);
	}
	CHECK(F.n_ctrl == N / 2, "every idle session sent its keepalive "
	      "within %d ticks: %u", TP_SWEEP_TICKS, F.n_ctrl);
	for (int i = 0; i < N; i++) {
		if (!ss[i])
			continue;
		tp_sess_del(&TP, ss[i]);
		free(ss[i]);
	}
	CHECK(TP.n_sess == 0 && TP.slot_hi == 1 && TP.n_free == VTL_MAX_SESSIONS - 1,
	      "all slots free again");
}

int main(void)
{
	vtl_log_set_level(VTL_LOG_WARN);
	CHECK_CASE("1 receive: reorder buffer and SACK vs a reference model (60 patterns)",
		   case_reorder_sack);
	CHECK_CASE("2 receive: a slow application", case_slow_app);
	CHECK_CASE("2 receive: a frame beyond the window or the mss is dropped", case_beyond_window);
	CHECK_CASE("3 partial reliability: holes below pr_skip only", case_pr_skip);
	CHECK_CASE("4 send: window, cwnd, Nagle, blocked wire, retransmissions", case_send);
	CHECK_CASE("5 close: sender", case_close_sender);
	CHECK_CASE("5 close: receiver", case_close_receiver);
	CHECK_CASE("6 keepalive, peer timeout, RESET", case_liveness);
	CHECK_CASE("7 full duplex, half-close, idle memory, orphans", case_duplex);
	CHECK_CASE("8 ten thousand sessions: lookup, slots, the tick's share", case_many);
	return CHECK_DONE();
}
