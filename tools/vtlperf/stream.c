// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * One direction of a vtlperf session (struct perf_dir): the sending side
 * writes the header and the pattern, the receiving side checks every
 * byte of it; perf_duplex runs both on one thread. Client and server
 * both use these; which directions a session runs is theirs to decide.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <string.h>
#include "vtlperf.h"

static int fail(struct perf_dir *d, int err)
{
	if (!d->err)
		d->err = err;
	d->t_end = perf_now();
	return d->err;
}

/* The next chunk of d's stream (the header leads the first): 1 sent, 0
 * nothing more to send, or the error. */
static int tx_chunk(vtl_sock *s, struct perf_dir *d, void *buf, const struct perf_send_opts *o)
{
	const size_t hl = sizeof(struct vtlperf_hdr);
	uint8_t *p = buf;
	size_t at = 0, n;
	ssize_t r;

	if (!d->have_hdr) {
		vtlperf_hdr_pack(&d->raw, &d->h);
		memcpy(p, &d->raw, hl);
		at = hl;
		d->t_first = perf_now();
	} else if (o->time_mode ? perf_now() >= o->deadline : d->off == d->h.bytes) {
		return 0;
	}
	n = PERF_CHUNK - at;
	if (!o->time_mode && d->h.bytes - d->off < n)
		n = (size_t)(d->h.bytes - d->off);
	pattern_fill(d->h.seed, d->off, p + at, n);
	if (o->corrupt && o->corrupt_at >= d->off && o->corrupt_at - d->off < n)
		p[at + (o->corrupt_at - d->off)] ^= 0xff;
	r = vtl_send_data(s, p, at + n);
	if (r < 0) {
		perf_errmsg(d->msg, sizeof(d->msg), s, "send", (int)r);
		return fail(d, (int)r);
	}
	d->have_hdr = 1;
	d->off += n;
	return 1;
}

/* d's direction is shut down (r: vtl_shutdown's result): the peer has
 * every byte, and vtld counts as many as we sent. */
static int tx_done(vtl_sock *s, struct perf_dir *d, int r)
{
	const uint64_t sent = sizeof(struct vtlperf_hdr) + d->off;

	d->t_end = perf_now();
	d->ended = 1;
	if (r < 0) {
		perf_errmsg(d->msg, sizeof(d->msg), s, "shutdown", r);
		return fail(d, r);
	}
	d->have_stats = 1;
	if (d->st.bytes_tx != sent) {
		snprintf(d->msg, sizeof(d->msg), "vtld reports %" PRIu64 " bytes delivered, "
			 "%" PRIu64 " were sent", d->st.bytes_tx, sent);
		return fail(d, PERF_E_COUNT);
	}
	return 0;
}

static int tx_end(vtl_sock *s, struct perf_dir *d)
{
	return tx_done(s, d, vtl_shutdown(s, &d->st));
}

int perf_send(vtl_sock *s, struct perf_dir *d, void *buf, const struct perf_send_opts *o)
{
	int r;

	while ((r = tx_chunk(s, d, buf, o)) > 0)
		;
	return r < 0 ? r : tx_end(s, d);
}

static int check(struct perf_dir *d, const uint8_t *p, size_t n)
{
	size_t k;

	if (!(d->h.flags & VTLPERF_F_TIME) && n > d->h.bytes - d->off) {
		snprintf(d->msg, sizeof(d->msg), "more than the %" PRIu64 " bytes announced",
			 d->h.bytes);
		return fail(d, PERF_E_LONG);
	}
	k = pattern_check(d->h.seed, d->off, p, n);
	if (k != n) {
		d->bad_off = d->off + k;
		snprintf(d->msg, sizeof(d->msg), "mismatch at payload offset %" PRIu64
			 ": got 0x%02x, expected 0x%02x", d->bad_off, p[k],
			 pattern_byte(d->h.seed, d->bad_off));
		d->off += k;
		return fail(d, PERF_E_MISMATCH);
	}
	d->off += n;
	return 0;
}

/* n bytes of d's stream: the header first, then the checked payload. */
static int rx_feed(struct perf_dir *d, const uint8_t *p, size_t n, perf_hdr_fn on_hdr,
		   void *ctx)
{
	const size_t hl = sizeof(struct vtlperf_hdr);
	size_t take;

	if (!d->have_hdr) {
		take = n < hl - d->raw_got ? n : hl - d->raw_got;
		memcpy((uint8_t *)&d->raw + d->raw_got, p, take);
		d->raw_got += take;
		p += take;
		n -= take;
		if (d->raw_got < hl)
			return 0;
		if (vtlperf_hdr_unpack(&d->raw, &d->h, d->msg, sizeof(d->msg)) < 0)
			return fail(d, PERF_E_HEADER);
		d->have_hdr = 1;
		d->t_first = perf_now();
		if (on_hdr && on_hdr(ctx, d) < 0)
			return fail(d, PERF_E_HEADER);
	}
	return n ? check(d, p, n) : 0;
}

/* The peer's EOF: the header was there, the length is the announced one,
 * and vtld delivered as many bytes as we checked. */
static int rx_end(vtl_sock *s, struct perf_dir *d)
{
	const size_t hl = sizeof(struct vtlperf_hdr);

	d->t_end = perf_now();
	d->ended = 1;
	if (!d->have_hdr) {
		snprintf(d->msg, sizeof(d->msg), "session ended after %zu bytes, "
			 "before the %zu-byte header", d->raw_got, hl);
		return fail(d, PERF_E_HEADER);
	}
	if (vtl_get_stats(s, &d->st) == 0)
		d->have_stats = 1;
	if (!(d->h.flags & VTLPERF_F_TIME) && d->off != d->h.bytes) {
		snprintf(d->msg, sizeof(d->msg), "session ended after %" PRIu64 " of %"
			 PRIu64 " bytes", d->off, d->h.bytes);
		return fail(d, PERF_E_SHORT);
	}
	if (d->have_stats && d->st.bytes_rx != hl + d->off) {
		snprintf(d->msg, sizeof(d->msg), "vtld reports %" PRIu64 " bytes delivered, "
			 "%" PRIu64 " were checked", d->st.bytes_rx, hl + d->off);
		return fail(d, PERF_E_COUNT);
	}
	return 0;
}

/* One receive into buf (nb: without waiting): 1 bytes taken, 0 the
 * stream ended (and was checked), -EAGAIN nothing yet, or the error. */
static int rx_step(vtl_sock *s, struct perf_dir *d, void *buf, int nb, perf_hdr_fn on_hdr,
		   void *ctx)
{
	ssize_t n = nb ? vtl_recv_data_nb(s, buf, PERF_CHUNK) : vtl_recv_data(s, buf, PERF_CHUNK);
	int r;

	if (n == -EAGAIN && nb)
		return -EAGAIN;
	if (n < 0) {
		perf_errmsg(d->msg, sizeof(d->msg), s,
			    d->have_hdr ? "receive" : "receive (before the header)", (int)n);
		return fail(d, (int)n);
	}
	if (n == 0)
		return rx_end(s, d);
	r = rx_feed(d, buf, (size_t)n, on_hdr, ctx);
	return r < 0 ? r : 1;
}

int perf_recv(vtl_sock *s, struct perf_dir *d, void *buf, perf_hdr_fn on_hdr, void *ctx)
{
	int r;

	while ((r = rx_step(s, d, buf, 0, on_hdr, ctx)) > 0)
		;
	return r;
}

int perf_recv_hdr(vtl_sock *s, struct perf_dir *d, void *buf, perf_hdr_fn on_hdr,
		  void *ctx)
{
	int r = 1;

	while (!d->have_hdr && (r = rx_step(s, d, buf, 0, on_hdr, ctx)) > 0)
		;
	return r;
}

/* The end of a duplex session: our half-close (vtl_shutdown_nb) and the
 * rest of the peer's stream, each timed when it comes (a vtl_shutdown
 * would hold the peer's EOF back until our DONE). */
static int duplex_tail(vtl_sock *s, struct perf_dir *tx, struct perf_dir *rx, void *rxbuf,
		       perf_hdr_fn on_hdr, void *ctx)
{
	struct pollfd p = { .fd = vtl_fd(s), .events = POLLIN };
	int r = 0;

	while (!tx->ended || !rx->ended) {
		if (!tx->ended) {
			r = vtl_shutdown_nb(s, &tx->st);
			if (r != -EAGAIN && (r = tx_done(s, tx, r)) < 0)
				return r;
		}
		/* all of what is kept and waiting, before poll(2) on the socket */
		while (!rx->ended && (r = rx_step(s, rx, rxbuf, 1, on_hdr, ctx)) > 0)
			;
		if (!rx->ended && r != -EAGAIN)
			return r;
		if ((!tx->ended || !rx->ended) && poll(&p, 1, -1) < 0 && errno != EINTR) {
			snprintf(rx->msg, sizeof(rx->msg), "poll: %s", strerror(errno));
			return fail(rx, -errno);
		}
	}
	return 0;
}

int perf_duplex(vtl_sock *s, struct perf_dir *tx, struct perf_dir *rx, void *txbuf,
		void *rxbuf, const struct perf_send_opts *o, perf_hdr_fn on_hdr, void *ctx)
{
	int r, k;

	while ((r = tx_chunk(s, tx, txbuf, o)) > 0) {
		for (k = 0; k < PERF_DRAIN_MAX && !rx->ended; k++) {
			r = rx_step(s, rx, rxbuf, 1, on_hdr, ctx);
			if (r == -EAGAIN || r == 0)
				break;
			if (r < 0)
				return r;
		}
	}
	return r < 0 ? r : duplex_tail(s, tx, rx, rxbuf, on_hdr, ctx);
}
