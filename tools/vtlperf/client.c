// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * vtlperf's client: N sessions, one thread each (small stacks). Each
 * opens its session (at most --open-limit negotiations at once), waits
 * until every session has opened or failed, then sends its stream and
 * shuts down: vtl_shutdown() returns once the peer has every byte. The
 * aggregate goodput is the payload of all sessions over the time from
 * that common start to the last shutdown. With --bidir the thread also
 * checks the server's stream back (run_streams); its goodput is its
 * payload over the time from its first byte to the last EOF.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include "json.h"
#include "vtlperf.h"

#define OPEN_RETRIES   30    /* NOLISTENER: the server re-arms listeners */
#define OPEN_BACKOFF_MS 200  /* longest wait between two tries */

struct client;

struct cl_sess {
	struct client *c;
	unsigned idx;
	struct perf_sess ps;
};

struct client {
	const struct perf_args *a;
	struct cl_sess *ss;
	pthread_mutex_t lock;
	pthread_cond_t cond;        /* go */
	pthread_cond_t slot_cond;   /* a negotiation slot is free */
	unsigned settled;           /* sessions opened or failed to */
	unsigned opening;           /* negotiations in flight */
	int go;
	double t_begin;             /* the first thread starts */
	double t_start;
	uint64_t test_id, seed_base;
};

/* One session more has opened or failed: the last one starts the test. */
static void settle(struct client *c, int wait)
{
	pthread_mutex_lock(&c->lock);
	if (++c->settled == c->a->nstreams) {
		c->go = 1;
		c->t_start = perf_now();
		pthread_cond_broadcast(&c->cond);
		if (c->a->verbose)  /* the end of the open phase (bench/scale.sh) */
			fprintf(stderr, "vtlperf: all %u sessions settled in %.3f s: sending\n",
				c->a->nstreams, c->t_start - c->t_begin);
	}
	while (wait && !c->go)
		pthread_cond_wait(&c->cond, &c->lock);
	pthread_mutex_unlock(&c->lock);
}

static void open_slot(struct client *c, int take)
{
	if (!c->a->open_limit)
		return;
	pthread_mutex_lock(&c->lock);
	if (take) {
		while (c->opening >= c->a->open_limit)
			pthread_cond_wait(&c->slot_cond, &c->lock);
		c->opening++;
	} else {
		/* one slot, one waiter: a broadcast would wake every thread still
		 * to open (10,000 at -P 10000) for each session opened */
		c->opening--;
		pthread_cond_signal(&c->slot_cond);
	}
	pthread_mutex_unlock(&c->lock);
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0)
		;
}

/* Open the session; the time of vtl_negotiate + vtl_validate is the open
 * time. A server briefly short of armed listeners answers NOLISTENER:
 * try again, backing off. */
static int open_session(struct client *c, struct cl_sess *cs)
{
	struct perf_sess *ps = &cs->ps;
	unsigned try, ms;
	double t0 = 0;
	vtl_sock *s;
	int r;

	for (try = 0;; try++) {
		open_slot(c, 1);
		s = perf_open(c->a, VTL_MODE_SEND, 0, &r);
		if (s) {
			t0 = perf_now();
			r = vtl_negotiate(s, VTL_RELIABLE | VTL_ORDERED, NULL);
			if (!r)
				r = vtl_validate(s, &ps->info);
		}
		ps->open_ms = (perf_now() - t0) * 1e3;
		open_slot(c, 0);
		ps->open_tries = try + 1;
		if (!r) {
			ps->s = s;
			return 0;
		}
		if (r != -VTL_E_NOLISTENER || try == OPEN_RETRIES)
			break;
		vtl_close(s);
		ms = 5u << (try < 6 ? try : 6);
		sleep_ms(ms < OPEN_BACKOFF_MS ? ms : OPEN_BACKOFF_MS);
	}
	perf_errmsg(ps->open_msg, sizeof(ps->open_msg), s, "open", r);
	if (r == -VTL_E_NOLISTENER)
		snprintf(ps->open_msg + strlen(ps->open_msg),
			 sizeof(ps->open_msg) - strlen(ps->open_msg), " (%u tries)", try + 1);
	ps->open_err = r;
	vtl_close(s);
	return r;
}

/* The server's stream back (--bidir): its header must name our test,
 * stream, mode and length (ctx: our own direction). */
static int back_hdr(void *ctx, struct perf_dir *d)
{
	const struct vtlperf_head *m = &((const struct perf_dir *)ctx)->h, *h = &d->h;

	if (h->test_id == m->test_id && h->stream == m->stream &&
	    h->nstreams == m->nstreams && h->flags == m->flags && h->bytes == m->bytes)
		return 0;
	snprintf(d->msg, sizeof(d->msg), "the server's stream back (test %016" PRIx64
		 " stream %u flags %#x bytes %" PRIu64 ") is not for ours", h->test_id,
		 h->stream, h->flags, h->bytes);
	return -1;
}

/* Our stream; with --bidir also the server's back, on this one thread:
 * both at once (perf_duplex), or with --half-close ours first, shut
 * down, then the server's, which it sends only after our EOF. */
static void run_streams(struct cl_sess *cs, const struct perf_send_opts *o)
{
	const struct perf_args *a = cs->c->a;
	struct perf_dir *tx = &cs->ps.dir[PERF_TX], *rx = &cs->ps.dir[PERF_RX];
	void *buf = malloc(PERF_CHUNK), *rbuf = a->bidir ? malloc(PERF_CHUNK) : NULL;

	rx->active = a->bidir;
	if (!buf || (a->bidir && !rbuf)) {
		snprintf(tx->msg, sizeof(tx->msg), "out of memory");
		tx->err = -ENOMEM;
	} else if (!a->bidir) {
		perf_send(cs->ps.s, tx, buf, o);
	} else if (a->half) {
		if (perf_send(cs->ps.s, tx, buf, o) == 0)
			perf_recv(cs->ps.s, rx, rbuf, back_hdr, tx);
	} else {
		perf_duplex(cs->ps.s, tx, rx, buf, rbuf, o, back_hdr, tx);
	}
	free(buf);
	free(rbuf);
}

/* The session failed: a direction did, or the one back did not end. */
static int sess_failed(const struct perf_sess *ps)
{
	const struct perf_dir *rx = &ps->dir[PERF_RX];

	return ps->dir[PERF_TX].err || (rx->active && (rx->err || !rx->ended));
}

static const char *sess_msg(const struct perf_sess *ps)
{
	const struct perf_dir *rx = &ps->dir[PERF_RX];

	if (ps->dir[PERF_TX].err)
		return ps->dir[PERF_TX].msg;
	return rx->err ? rx->msg : "the server's stream back did not end";
}

static void *sess_main(void *arg)
{
	struct cl_sess *cs = arg;
	struct client *c = cs->c;
	const struct perf_args *a = c->a;
	struct perf_dir *d = &cs->ps.dir[PERF_TX];
	struct perf_send_opts o = {
		.time_mode = !a->bytes,
		.corrupt = a->corrupt && cs->idx == 0, .corrupt_at = a->corrupt_at,
	};

	if (open_session(c, cs) < 0) {
		fprintf(stderr, "vtlperf: session %u: %s\n", cs->idx, cs->ps.open_msg);
		settle(c, 0);
		return NULL;
	}
	settle(c, 1);
	d->active = 1;
	d->h = (struct vtlperf_head){
		.flags = (a->bytes ? 0 : VTLPERF_F_TIME) | (a->bidir ? VTLPERF_F_BIDIR : 0) |
			 (a->half ? VTLPERF_F_HALF : 0),
		.test_id = c->test_id,
		.stream = cs->idx, .nstreams = a->nstreams, .bytes = a->bytes,
		.seed = pattern_seed(c->seed_base, cs->idx), .duration_ms = a->secs * 1000,
	};
	o.deadline = c->t_start + a->secs;
	run_streams(cs, &o);
	if (sess_failed(&cs->ps)) {
		fprintf(stderr, "vtlperf: session %u (%#x): %s\n", cs->idx,
			cs->ps.info.session_id, sess_msg(&cs->ps));
		vtl_abort(cs->ps.s);  /* the peer sees a reset, not a clean end */
	} else {
		vtl_close(cs->ps.s);
	}
	cs->ps.s = NULL;
	return NULL;
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return a < b ? -1 : a > b;
}

struct totals {
	unsigned opened, ok, errors;
	uint64_t bytes, retx, timeouts, fast_retx, retries;
	double secs, open_min, open_p50, open_p99, open_max;
	/* --bidir: the server's streams back (their first byte to the last EOF) */
	unsigned rx_ok, mismatches;
	uint64_t rx_bytes;
	double rx_secs;
	const struct perf_sess *first;  /* the first opened session */
};

static void sum_up(const struct client *c, struct totals *t)
{
	unsigned n = c->a->nstreams, i;
	double t_end = c->t_start, *open = calloc(n, sizeof(*open));
	double rx_first = 0, rx_end = 0;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < n; i++) {
		const struct perf_sess *ps = &c->ss[i].ps;
		const struct perf_dir *d = &ps->dir[PERF_TX], *rx = &ps->dir[PERF_RX];

		t->retries += ps->open_tries ? ps->open_tries - 1 : 0;
		if (ps->open_err || !ps->open_tries) {
			t->errors++;
			continue;
		}
		if (!t->first)
			t->first = ps;
		if (open)
			open[t->opened] = ps->open_ms;
		t->opened++;
		if (sess_failed(ps))
			t->errors++;
		else
			t->ok++;
		t->bytes += d->off;
		t->rx_bytes += rx->off;
		t->rx_ok += rx->active && rx->ended && !rx->err;
		t->mismatches += rx->err == PERF_E_MISMATCH;
		if (rx->have_hdr && (!rx_first || rx->t_first < rx_first))
			rx_first = rx->t_first;
		if (rx->have_hdr && rx->t_end > rx_end)
			rx_end = rx->t_end;
		t->retx += d->st.retransmits;
		t->timeouts += d->st.timeouts;
		t->fast_retx += d->st.fast_retx;
		if (d->t_end > t_end)
			t_end = d->t_end;
	}
	t->secs = t_end - c->t_start;
	t->rx_secs = rx_first ? rx_end - rx_first : 0;
	if (open && t->opened) {
		qsort(open, t->opened, sizeof(*open), cmp_double);
		t->open_min = open[0];
		t->open_p50 = open[(t->opened - 1) / 2];
		t->open_p99 = open[(t->opened - 1) * 99 / 100];
		t->open_max = open[t->opened - 1];
	}
	free(open);
}

static void json_sess(struct json *j, const struct cl_sess *cs)
{
	const struct perf_sess *ps = &cs->ps;
	const struct perf_dir *d = &ps->dir[PERF_TX], *rx = &ps->dir[PERF_RX];
	int opened = !ps->open_err && ps->open_tries;
	const char *err = !opened ? ps->open_msg : sess_failed(ps) ? sess_msg(ps) : NULL;

	json_obj_open(j);
	json_kv_uint(j, "stream", cs->idx);
	json_kv_uint(j, "session_id", ps->info.session_id);
	json_kv_str(j, "graft", opened ? ps->info.graft : "");
	json_kv_uint(j, "window", ps->info.window);
	json_kv_uint(j, "mss", ps->info.mss);
	json_kv_double(j, "open_ms", opened ? ps->open_ms : 0, 3);
	json_kv_uint(j, "open_tries", ps->open_tries);
	json_kv_uint(j, "bytes", d->off);
	json_kv_double(j, "seconds", opened ? d->t_end - d->t_first : 0, 6);
	json_kv_double(j, "mbps", opened ? perf_mbps(d->off, d->t_end - d->t_first) : 0, 3);
	json_kv_uint(j, "retransmits", d->st.retransmits);
	json_kv_uint(j, "timeouts", d->st.timeouts);
	json_kv_uint(j, "fast_retx", d->st.fast_retx);
	json_kv_uint(j, "srtt_us", d->st.srtt_us);
	if (rx->active) {  /* --bidir: the server's stream back */
		json_kv_uint(j, "rx_bytes", rx->off);
		json_kv_double(j, "rx_seconds", rx->have_hdr ? rx->t_end - rx->t_first : 0, 6);
		json_kv_double(j, "rx_mbps", rx->have_hdr ?
			       perf_mbps(rx->off, rx->t_end - rx->t_first) : 0, 3);
		json_kv_bool(j, "rx_ok", rx->ended && !rx->err);
		if (rx->err == PERF_E_MISMATCH)
			json_kv_uint(j, "mismatch_offset", rx->bad_off);
	}
	json_kv_bool(j, "ok", opened && !sess_failed(ps));
	json_key(j, "error");
	err ? json_str(j, err) : json_null(j);
	json_obj_close(j);
}

static void report_json(const struct client *c, const struct totals *t)
{
	const struct perf_args *a = c->a;
	struct json *j = json_new(stdout, 0);
	char id[17];
	unsigned i;

	if (!j)
		return;
	snprintf(id, sizeof(id), "%016" PRIx64, c->test_id);
	json_obj_open(j);
	json_kv_str(j, "role", "client");
	json_kv_str(j, "version", VTL_VERSION_STRING);
	json_kv_str(j, "test_id", id);
	json_kv_str(j, "host", a->host);
	json_kv_str(j, "ip", a->ip);
	json_kv_uint(j, "port", a->port);
	json_key(j, "graft");
	a->graft ? json_str(j, a->graft) : json_null(j);
	json_kv_uint(j, "streams", a->nstreams);
	json_kv_str(j, "mode", a->bytes ? "bytes" : "time");
	json_kv_uint(j, a->bytes ? "bytes_per_session" : "seconds", a->bytes ? a->bytes : a->secs);
	json_kv_bool(j, "bidir", a->bidir);
	json_kv_bool(j, "half_close", a->half);
	json_key(j, "sessions");
	json_arr_open(j);
	for (i = 0; i < a->nstreams; i++)
		json_sess(j, &c->ss[i]);
	json_arr_close(j);
	json_key(j, "total");
	json_obj_open(j);
	json_kv_uint(j, "sessions", a->nstreams);
	json_kv_uint(j, "opened", t->opened);
	json_kv_uint(j, "ok", t->ok);
	json_kv_uint(j, "errors", t->errors);
	json_kv_uint(j, "bytes", t->bytes);
	json_kv_double(j, "seconds", t->secs, 6);
	json_kv_double(j, "mbps", perf_mbps(t->bytes, t->secs), 3);
	json_kv_uint(j, "retransmits", t->retx);
	json_kv_uint(j, "timeouts", t->timeouts);
	json_kv_uint(j, "fast_retx", t->fast_retx);
	json_kv_uint(j, "open_retries", t->retries);
	if (a->bidir) {
		json_kv_uint(j, "rx_bytes", t->rx_bytes);
		json_kv_double(j, "rx_seconds", t->rx_secs, 6);
		json_kv_double(j, "rx_mbps", perf_mbps(t->rx_bytes, t->rx_secs), 3);
		json_kv_uint(j, "rx_ok", t->rx_ok);
		json_kv_uint(j, "mismatches", t->mismatches);
	}
	json_key(j, "open_ms");
	json_obj_open(j);
	json_kv_double(j, "min", t->open_min, 3);
	json_kv_double(j, "p50", t->open_p50, 3);
	json_kv_double(j, "p99", t->open_p99, 3);
	json_kv_double(j, "max", t->open_max, 3);
	json_obj_close(j);
	json_obj_close(j);
	json_kv_bool(j, "ok", !t->errors);
	json_obj_close(j);
	json_free(j);
	fflush(stdout);
}

static void report_text(const struct client *c, const struct totals *t)
{
	const struct perf_args *a = c->a;
	unsigned i;

	if (a->verbose) {
		for (i = 0; i < a->nstreams; i++) {
			const struct perf_sess *ps = &c->ss[i].ps;
			const struct perf_dir *d = &ps->dir[PERF_TX], *rx = &ps->dir[PERF_RX];

			if (ps->open_err || sess_failed(ps))
				continue;  /* said when it failed */
			printf("vtlperf: session %u (%#x): %s%" PRIu64 " bytes in %.3f s, %.2f Mb/s, "
			       "open %.3f ms, retransmissions %" PRIu64 ", srtt %.3f ms\n",
			       i, ps->info.session_id, rx->active ? "sent " : "", d->off,
			       d->t_end - d->t_first, perf_mbps(d->off, d->t_end - d->t_first),
			       ps->open_ms, (uint64_t)d->st.retransmits, d->st.srtt_us / 1000.0);
			if (rx->active)
				printf("vtlperf: session %u (%#x): received %" PRIu64 " bytes in "
				       "%.3f s, %.2f Mb/s, byte-exact\n", i, ps->info.session_id,
				       rx->off, rx->t_end - rx->t_first,
				       perf_mbps(rx->off, rx->t_end - rx->t_first));
		}
	}
	if (t->first)
		printf("vtlperf: opened %u/%u sessions (%s v%u, window %u, mss %u): open time "
		       "min %.3f ms, p50 %.3f ms, p99 %.3f ms, max %.3f ms; %" PRIu64 " retries\n",
		       t->opened, a->nstreams, t->first->info.graft,
		       t->first->info.graft_version, t->first->info.window,
		       t->first->info.mss, t->open_min, t->open_p50, t->open_p99, t->open_max,
		       t->retries);
	else
		printf("vtlperf: opened 0/%u sessions\n", a->nstreams);
	printf("vtlperf: %s%" PRIu64 " bytes in %.3f s: goodput %.2f Mb/s; retransmissions %"
	       PRIu64 " (timeouts %" PRIu64 ", fast %" PRIu64 "); errors %u\n",
	       a->bidir ? "sent " : "", t->bytes, t->secs, perf_mbps(t->bytes, t->secs),
	       t->retx, t->timeouts, t->fast_retx, t->errors);
	if (a->bidir)
		printf("vtlperf: received %" PRIu64 " bytes in %.3f s: goodput %.2f Mb/s; "
		       "%u/%u streams back complete and byte-exact, mismatches %u\n",
		       t->rx_bytes, t->rx_secs, perf_mbps(t->rx_bytes, t->rx_secs), t->rx_ok,
		       a->nstreams, t->mismatches);
	fflush(stdout);
}

int client_main(const struct perf_args *a)
{
	struct client c = { .a = a, .lock = PTHREAD_MUTEX_INITIALIZER,
			    .cond = PTHREAD_COND_INITIALIZER,
			    .slot_cond = PTHREAD_COND_INITIALIZER };
	pthread_t *th;
	struct totals t;
	unsigned i;
	char *started;
	int r;

	c.ss = calloc(a->nstreams, sizeof(*c.ss));
	th = calloc(a->nstreams, sizeof(*th));
	started = calloc(a->nstreams, 1);
	if (!c.ss || !th || !started) {
		fprintf(stderr, "vtlperf: out of memory\n");
		return PERF_EXIT_FAIL;
	}
	if (getrandom(&c.test_id, sizeof(c.test_id), 0) != sizeof(c.test_id) ||
	    getrandom(&c.seed_base, sizeof(c.seed_base), 0) != sizeof(c.seed_base))
		c.test_id = (uint64_t)perf_now() * 1000003u ^ (uint64_t)getpid() << 32;
	if (!a->json) {
		if (a->bytes)
			printf("vtlperf: %u session%s to %s port %u, %" PRIu64 " bytes each%s\n",
			       a->nstreams, a->nstreams == 1 ? "" : "s", a->ip, a->port, a->bytes,
			       a->half ? " way, the server's after ours" :
			       a->bidir ? " way, both at once" : "");
		else
			printf("vtlperf: %u session%s to %s port %u, %u s%s\n", a->nstreams,
			       a->nstreams == 1 ? "" : "s", a->ip, a->port, a->secs,
			       a->half ? " each way, the server's after ours" :
			       a->bidir ? " each way, both at once" : "");
		fflush(stdout);
	}
	c.t_begin = perf_now();
	for (i = 0; i < a->nstreams; i++) {
		c.ss[i].c = &c;
		c.ss[i].idx = i;
		r = perf_thread(&th[i], 0, sess_main, &c.ss[i]);
		if (r < 0) {
			struct perf_sess *ps = &c.ss[i].ps;

			ps->open_err = r;
			ps->open_tries = 1;
			snprintf(ps->open_msg, sizeof(ps->open_msg), "cannot start a thread: %s",
				 strerror(-r));
			fprintf(stderr, "vtlperf: session %u: %s\n", i, ps->open_msg);
			settle(&c, 0);
			continue;
		}
		started[i] = 1;
	}
	for (i = 0; i < a->nstreams; i++)
		if (started[i])
			pthread_join(th[i], NULL);
	sum_up(&c, &t);
	if (a->json)
		report_json(&c, &t);
	else
		report_text(&c, &t);
	free(started);
	free(th);
	free(c.ss);
	return t.errors ? PERF_EXIT_FAIL : PERF_EXIT_OK;
}
