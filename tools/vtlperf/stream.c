// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * One direction of a vtlperf session (struct perf_dir): the sending side
 * writes the header and the pattern, the receiving side checks every
 * byte of it. Client and server both use these; which directions a
 * session runs is theirs to decide.
 */
#include <inttypes.h>
#include <string.h>
#include "vtlperf.h"

static int fail(struct perf_dir *d, int err)
{
	if (!d->err)
		d->err = err;
	d->t_end = perf_now();
	return d->err;
}

int perf_send(vtl_sock *s, struct perf_dir *d, void *buf, const struct perf_send_opts *o)
{
	const size_t hl = sizeof(struct vtlperf_hdr);
	struct vtlperf_hdr w;
	uint8_t *p = buf;
	size_t at = hl, n;
	ssize_t r;

	vtlperf_hdr_pack(&w, &d->h);
	memcpy(p, &w, hl);  /* the header leads the first message */
	d->t_first = perf_now();
	for (;;) {
		n = PERF_CHUNK - at;
		if (o->time_mode) {
			if (!at && perf_now() >= o->deadline)
				break;
		} else {
			if (d->off == d->h.bytes)
				break;
			if (d->h.bytes - d->off < n)
				n = (size_t)(d->h.bytes - d->off);
		}
		pattern_fill(d->h.seed, d->off, p + at, n);
		if (o->corrupt && o->corrupt_at >= d->off && o->corrupt_at - d->off < n)
			p[at + (o->corrupt_at - d->off)] ^= 0xff;
		r = vtl_send_data(s, p, at + n);
		if (r < 0) {
			perf_errmsg(d->msg, sizeof(d->msg), s, "send", (int)r);
			return fail(d, (int)r);
		}
		d->off += n;
		at = 0;
	}
	r = vtl_shutdown(s, &d->st);
	d->t_end = perf_now();
	if (r < 0) {
		perf_errmsg(d->msg, sizeof(d->msg), s, "shutdown", (int)r);
		return fail(d, (int)r);
	}
	d->have_stats = 1;
	if (d->st.bytes != hl + d->off) {
		snprintf(d->msg, sizeof(d->msg), "vtld reports %" PRIu64 " bytes delivered, "
			 "%" PRIu64 " were sent", d->st.bytes, hl + d->off);
		return fail(d, PERF_E_COUNT);
	}
	return 0;
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

int perf_recv(vtl_sock *s, struct perf_dir *d, void *buf,
	      int (*on_hdr)(void *ctx, struct perf_dir *d), void *ctx)
{
	const size_t hl = sizeof(struct vtlperf_hdr);
	struct vtlperf_hdr w;
	size_t got = 0, take;
	uint8_t *p;
	ssize_t n;
	int r;

	for (;;) {
		n = vtl_recv_data(s, buf, PERF_CHUNK);
		if (n < 0) {
			perf_errmsg(d->msg, sizeof(d->msg), s,
				    d->have_hdr ? "receive" : "receive (before the header)", (int)n);
			return fail(d, (int)n);
		}
		if (n == 0)
			break;
		p = buf;
		if (!d->have_hdr) {
			take = (size_t)n < hl - got ? (size_t)n : hl - got;
			memcpy((uint8_t *)&w + got, p, take);
			got += take;
			p += take;
			n -= (ssize_t)take;
			if (got < hl)
				continue;
			if (vtlperf_hdr_unpack(&w, &d->h, d->msg, sizeof(d->msg)) < 0)
				return fail(d, PERF_E_HEADER);
			d->have_hdr = 1;
			d->t_first = perf_now();
			if (on_hdr && on_hdr(ctx, d) < 0)
				return fail(d, PERF_E_HEADER);
		}
		if (n && (r = check(d, p, (size_t)n)) < 0)
			return r;
	}
	d->t_end = perf_now();
	if (!d->have_hdr) {
		snprintf(d->msg, sizeof(d->msg), "session ended after %zu bytes, "
			 "before the %zu-byte header", got, hl);
		return fail(d, PERF_E_HEADER);
	}
	if (vtl_get_stats(s, &d->st) == 0)
		d->have_stats = 1;
	if (!(d->h.flags & VTLPERF_F_TIME) && d->off != d->h.bytes) {
		snprintf(d->msg, sizeof(d->msg), "session ended after %" PRIu64 " of %"
			 PRIu64 " bytes", d->off, d->h.bytes);
		return fail(d, PERF_E_SHORT);
	}
	return 0;
}
