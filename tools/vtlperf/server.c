// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * vtlperf's server. --listeners threads each hold a VTL_F_SHARED_PORT
 * listener on the port (one vtl_sock in RECV mode takes one session);
 * when one gets a session it starts a fresh listener in its place, then
 * checks the stream. Streams are grouped into tests by the test id in
 * their header; a test is over when all of its streams have ended, or
 * when none is running and none has come for PERF_GRACE_S. The main
 * thread reports each test that is over (with -1: the first, then exits).
 * A --bidir stream gets a stream back on the same session (run_streams).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "json.h"
#include "vtlperf.h"

#define PERF_GRACE_S 10.0  /* a test with a stream missing: give up after */

struct srv_res {                /* one stream of a test */
	int seen, done;
	uint32_t session_id;
	struct perf_dir d;          /* the client's stream, checked */
	struct perf_dir tx;         /* --bidir: ours back */
};

struct test {
	struct test *next;
	uint64_t id;
	char peer[48];          /* IPv4 or IPv6 text (vtl_info.peer) */
	struct vtlperf_head h0;     /* the first stream's header */
	unsigned seen, active, ended, ok, mismatches;
	uint64_t bytes, tx_bytes;
	double t_first, t_end, t_event;
	double tx_first, tx_end;    /* --bidir: our streams back */
	struct srv_res *res;        /* [h0.nstreams] */
};

struct server {
	const struct perf_args *a;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct test *tests;
	unsigned armed;             /* listeners waiting for a session */
	unsigned pending;           /* sessions open, header not in yet */
	unsigned orphans;           /* sessions that failed before their test was known */
	int arm_err, ready;
	double t_event, t_arm_said;
};

struct srv_sess {
	struct server *sv;
	struct perf_sess ps;
	struct test *t;
};

static void *listener_main(void *arg);

/* The header is in: find or make its test, refuse what does not fit. */
static int on_hdr(void *ctx, struct perf_dir *d)
{
	struct srv_sess *x = ctx;
	struct server *sv = x->sv;
	const struct vtlperf_head *h = &d->h;
	const char *bad = NULL;
	struct test *t;

	pthread_mutex_lock(&sv->lock);
	for (t = sv->tests; t && t->id != h->test_id; t = t->next)
		;
	if (!t) {
		t = calloc(1, sizeof(*t));
		if (t)
			t->res = calloc(h->nstreams, sizeof(*t->res));
		if (!t || !t->res) {
			free(t);
			pthread_mutex_unlock(&sv->lock);
			snprintf(d->msg, sizeof(d->msg), "out of memory for a test of %u streams",
				 h->nstreams);
			return -1;
		}
		t->id = h->test_id;
		t->h0 = *h;
		snprintf(t->peer, sizeof(t->peer), "%s", x->ps.info.peer);
		t->t_first = d->t_first;
		t->next = sv->tests;
		sv->tests = t;
	}
	if ((h->flags & VTLPERF_F_BIDIR) && !PERF_HAVE_DUPLEX)
		bad = "a bidirectional test needs full-duplex sessions";
	else if (h->nstreams != t->h0.nstreams || h->bytes != t->h0.bytes ||
		 h->flags != t->h0.flags)
		bad = "header disagrees with the test's other streams";
	else if (t->res[h->stream].seen)
		bad = "stream index arrived twice";
	if (bad) {
		pthread_mutex_unlock(&sv->lock);
		snprintf(d->msg, sizeof(d->msg), "test %016" PRIx64 " stream %u: %s",
			 h->test_id, h->stream, bad);
		return -1;
	}
	t->res[h->stream].seen = 1;
	t->res[h->stream].session_id = x->ps.info.session_id;
	t->seen++;
	t->active++;
	t->t_event = perf_now();
	sv->pending--;
	x->t = t;
	pthread_mutex_unlock(&sv->lock);
	return 0;
}

/* The stream back of a --bidir stream: the same test, stream, mode and
 * length, a pattern of its own. */
static void back_head(struct perf_dir *tx, const struct perf_dir *rx)
{
	tx->active = 1;
	tx->h = rx->h;
	tx->h.seed = pattern_seed(rx->h.seed, UINT32_MAX);
}

/* Check the client's stream; a --bidir one also gets ours back on this
 * thread: both at once (perf_duplex), or with VTLPERF_F_HALF ours only
 * once the client's ended (its EOF), for as long again. */
static void run_streams(struct srv_sess *x, void *buf)
{
	const struct perf_args *a = x->sv->a;
	struct perf_dir *rx = &x->ps.dir[PERF_RX], *tx = &x->ps.dir[PERF_TX];
	struct perf_send_opts o = { .corrupt_at = a->corrupt_at };
	vtl_sock *s = x->ps.s;
	void *tbuf;

	if (perf_recv_hdr(s, rx, buf, on_hdr, x) <= 0)
		return;
	if (!(rx->h.flags & VTLPERF_F_BIDIR)) {
		perf_recv(s, rx, buf, NULL, NULL);
		return;
	}
	back_head(tx, rx);
	o.time_mode = !!(rx->h.flags & VTLPERF_F_TIME);
	o.corrupt = a->corrupt && rx->h.stream == 0;
	tbuf = malloc(PERF_CHUNK);
	if (!tbuf) {
		snprintf(tx->msg, sizeof(tx->msg), "out of memory");
		tx->err = -ENOMEM;
	} else if (rx->h.flags & VTLPERF_F_HALF) {
		if (perf_recv(s, rx, buf, NULL, NULL) == 0) {
			o.deadline = perf_now() + rx->h.duration_ms / 1e3;
			perf_send(s, tx, tbuf, &o);
		}
	} else {
		o.deadline = perf_now() + rx->h.duration_ms / 1e3;
		perf_duplex(s, tx, rx, tbuf, buf, &o, NULL, NULL);
	}
	free(tbuf);
}

/* The session failed: the client's stream did, or ours back. */
static int sess_failed(const struct perf_sess *ps)
{
	const struct perf_dir *tx = &ps->dir[PERF_TX];

	return ps->dir[PERF_RX].err || (tx->active && (tx->err || !tx->ended));
}

static const char *sess_msg(const struct perf_sess *ps)
{
	const struct perf_dir *tx = &ps->dir[PERF_TX];

	if (ps->dir[PERF_RX].err)
		return ps->dir[PERF_RX].msg;
	return tx->err ? tx->msg : "our stream back did not end";
}

/* Under sv->lock: a session of test t is over. */
static void account(struct test *t, const struct perf_sess *ps)
{
	const struct perf_dir *d = &ps->dir[PERF_RX], *tx = &ps->dir[PERF_TX];
	struct srv_res *r = &t->res[d->h.stream];

	r->done = 1;
	r->d = *d;
	r->tx = *tx;
	t->active--;
	t->ended++;
	t->bytes += d->off;
	t->tx_bytes += tx->off;
	if (sess_failed(ps))
		t->mismatches += d->err == PERF_E_MISMATCH;
	else
		t->ok++;
	if (d->t_end > t->t_end)
		t->t_end = d->t_end;
	if (tx->have_hdr && (!t->tx_first || tx->t_first < t->tx_first))
		t->tx_first = tx->t_first;
	if (tx->have_hdr && tx->t_end > t->tx_end)
		t->tx_end = tx->t_end;
	t->t_event = perf_now();
}

static void serve(struct server *sv, vtl_sock *s, const struct vtl_info *info)
{
	struct srv_sess x = { .sv = sv, .ps = { .s = s, .info = *info } };
	struct perf_dir *d = &x.ps.dir[PERF_RX];
	void *buf = malloc(PERF_CHUNK);

	pthread_mutex_lock(&sv->lock);
	sv->pending++;
	pthread_mutex_unlock(&sv->lock);
	d->active = 1;
	if (!buf) {
		snprintf(d->msg, sizeof(d->msg), "out of memory");
		d->err = -ENOMEM;
	} else {
		run_streams(&x, buf);
	}
	free(buf);
	if (sess_failed(&x.ps)) {
		fprintf(stderr, "vtlperf: session %#x from %s: %s\n", info->session_id,
			info->peer, sess_msg(&x.ps));
		vtl_abort(s);  /* the sender sees a reset */
	} else {
		vtl_close(s);
	}
	pthread_mutex_lock(&sv->lock);
	if (x.t) {
		account(x.t, &x.ps);
	} else {
		sv->pending--;
		sv->orphans++;
	}
	sv->t_event = perf_now();
	pthread_cond_broadcast(&sv->cond);
	pthread_mutex_unlock(&sv->lock);
}

/* A listener could not be armed: before the server is ready, it gives up
 * (said once); later (vtld away, or at its limit of control connections),
 * the listener retries every second, said at most every 10 s. Returns
 * whether the server was ready. */
static int arm_failed(struct server *sv, vtl_sock *s, int r)
{
	int ready;
	char msg[200];
	double now = perf_now();

	perf_errmsg(msg, sizeof(msg), s, "listen", r);
	pthread_mutex_lock(&sv->lock);
	if (sv->ready ? now - sv->t_arm_said >= 10 : !sv->arm_err) {
		if (sv->ready)
			fprintf(stderr, "vtlperf: %s (retrying every second)\n", msg);
		else if (sv->armed && r == -VTL_E_DAEMON)
			fprintf(stderr, "vtlperf: %s, with %u listeners armed (at vtld's limit "
				"of control connections? try fewer --listeners)\n", msg, sv->armed);
		else
			fprintf(stderr, "vtlperf: %s\n", msg);
		sv->t_arm_said = now;
	}
	if (!sv->arm_err)
		sv->arm_err = r;
	ready = sv->ready;
	pthread_cond_broadcast(&sv->cond);
	pthread_mutex_unlock(&sv->lock);
	return ready;
}

static void *listener_main(void *arg)
{
	struct server *sv = arg;
	struct vtl_info info;
	int r, replaced, ready;
	vtl_sock *s;

	for (;;) {
		s = perf_open(sv->a, VTL_MODE_RECV, VTL_F_SHARED_PORT, &r);
		if (s)
			r = vtl_negotiate(s, VTL_RELIABLE | VTL_ORDERED, NULL);
		if (r < 0) {
			ready = arm_failed(sv, s, r);
			vtl_close(s);
			if (!ready)
				return NULL;   /* the main thread gives up */
			sleep(1);              /* vtld away: retry pace */
			continue;
		}
		pthread_mutex_lock(&sv->lock);
		sv->armed++;
		pthread_cond_broadcast(&sv->cond);
		pthread_mutex_unlock(&sv->lock);
		r = vtl_validate(s, &info);
		pthread_mutex_lock(&sv->lock);
		sv->armed--;
		pthread_mutex_unlock(&sv->lock);
		if (r < 0) {
			char msg[200];

			perf_errmsg(msg, sizeof(msg), s, "accept", r);
			fprintf(stderr, "vtlperf: %s\n", msg);
			vtl_close(s);
			pthread_mutex_lock(&sv->lock);
			sv->orphans++;
			sv->t_event = perf_now();
			pthread_mutex_unlock(&sv->lock);
			continue;
		}
		/* re-arm: a fresh listener takes this one's place; if none can
		 * start, this thread listens again once the session is over */
		replaced = perf_thread(NULL, 1, listener_main, sv) == 0;
		serve(sv, s, &info);
		if (replaced)
			return NULL;
	}
}

static unsigned missing(const struct test *t)
{
	return t->h0.nstreams - t->seen;
}

static int test_ok(const struct test *t)
{
	return t->ok == t->h0.nstreams;
}

static void report_text(const struct server *sv, const struct test *t, unsigned orphans)
{
	double secs = t->t_end - t->t_first;
	unsigned i, shown = 0;

	if (sv->a->verbose) {
		for (i = 0; i < t->h0.nstreams; i++) {
			const struct perf_dir *d = &t->res[i].d, *tx = &t->res[i].tx;

			if (!t->res[i].done || d->err || (tx->active && (tx->err || !tx->ended)))
				continue;  /* errors were said when they happened */
			printf("vtlperf: stream %u (%#x): %" PRIu64 " bytes in %.3f s, %.2f Mb/s, "
			       "byte-exact; duplicates %" PRIu64 ", out of order %" PRIu64 "\n",
			       i, t->res[i].session_id, d->off, d->t_end - d->t_first,
			       perf_mbps(d->off, d->t_end - d->t_first),
			       (uint64_t)d->st.dup_rx, (uint64_t)d->st.ooo_rx);
			if (tx->active)
				printf("vtlperf: stream %u (%#x): sent back %" PRIu64 " bytes in "
				       "%.3f s, %.2f Mb/s\n", i, t->res[i].session_id, tx->off,
				       tx->t_end - tx->t_first,
				       perf_mbps(tx->off, tx->t_end - tx->t_first));
		}
	}
	printf("vtlperf: test %016" PRIx64 " from %s: %u/%u streams complete and byte-exact, "
	       "%" PRIu64 " bytes in %.3f s: goodput %.2f Mb/s; mismatches %u, errors %u",
	       t->id, t->peer, t->ok, t->h0.nstreams, t->bytes, secs,
	       perf_mbps(t->bytes, secs), t->mismatches, t->ended - t->ok);
	if (missing(t)) {
		printf(", missing %u (", missing(t));
		for (i = 0; i < t->h0.nstreams && shown < 8; i++)
			if (!t->res[i].seen)
				printf("%s%u", shown++ ? " " : "", i);
		printf("%s)", missing(t) > shown ? " ..." : "");
	}
	if (orphans)
		printf(", %u session%s failed before their header", orphans,
		       orphans == 1 ? "" : "s");
	printf("\n");
	if (t->h0.flags & VTLPERF_F_BIDIR)
		printf("vtlperf: test %016" PRIx64 " to %s: sent back %" PRIu64 " bytes in %.3f s: "
		       "goodput %.2f Mb/s%s\n", t->id, t->peer, t->tx_bytes,
		       t->tx_end - t->tx_first, perf_mbps(t->tx_bytes, t->tx_end - t->tx_first),
		       t->h0.flags & VTLPERF_F_HALF ? " (each after the client's EOF)" : "");
	fflush(stdout);
}

static void report_json(const struct server *sv, const struct test *t, unsigned orphans,
			int ok)
{
	struct json *j = json_new(stdout, 0);
	double secs = t->t_end - t->t_first;
	char id[17];
	unsigned i;

	if (!j)
		return;
	snprintf(id, sizeof(id), "%016" PRIx64, t->id);
	json_obj_open(j);
	json_kv_str(j, "role", "server");
	json_kv_str(j, "version", VTL_VERSION_STRING);
	json_kv_str(j, "test_id", id);
	json_kv_str(j, "peer", t->peer);
	json_kv_uint(j, "port", sv->a->port);
	json_kv_uint(j, "streams", t->h0.nstreams);
	json_kv_str(j, "mode", t->h0.bytes ? "bytes" : "time");
	json_kv_uint(j, t->h0.bytes ? "bytes_per_session" : "seconds",
		     t->h0.bytes ? t->h0.bytes : t->h0.duration_ms / 1000);
	json_kv_bool(j, "bidir", !!(t->h0.flags & VTLPERF_F_BIDIR));
	json_kv_bool(j, "half_close", !!(t->h0.flags & VTLPERF_F_HALF));
	json_key(j, "sessions");
	json_arr_open(j);
	for (i = 0; i < t->h0.nstreams; i++) {
		const struct perf_dir *d = &t->res[i].d, *tx = &t->res[i].tx;
		int tx_ok = !tx->active || (tx->ended && !tx->err);

		if (!t->res[i].seen)
			continue;
		json_obj_open(j);
		json_kv_uint(j, "stream", i);
		json_kv_uint(j, "session_id", t->res[i].session_id);
		json_kv_uint(j, "bytes", d->off);
		json_kv_double(j, "seconds", d->t_end - d->t_first, 6);
		json_kv_double(j, "mbps", perf_mbps(d->off, d->t_end - d->t_first), 3);
		json_kv_uint(j, "dup_rx", d->st.dup_rx);
		json_kv_uint(j, "ooo_rx", d->st.ooo_rx);
		if (tx->active) {
			json_kv_uint(j, "tx_bytes", tx->off);
			json_kv_double(j, "tx_seconds", tx->t_end - tx->t_first, 6);
			json_kv_double(j, "tx_mbps", perf_mbps(tx->off, tx->t_end - tx->t_first), 3);
			json_kv_bool(j, "tx_ok", t->res[i].done && tx_ok);
		}
		json_kv_bool(j, "ok", t->res[i].done && !d->err && tx_ok);
		json_key(j, "error");
		d->err ? json_str(j, d->msg) : !tx_ok && t->res[i].done ?
			json_str(j, tx->err ? tx->msg : "our stream back did not end") : json_null(j);
		if (d->err == PERF_E_MISMATCH)
			json_kv_uint(j, "mismatch_offset", d->bad_off);
		json_obj_close(j);
	}
	json_arr_close(j);
	json_key(j, "total");
	json_obj_open(j);
	json_kv_uint(j, "ended", t->ended);
	json_kv_uint(j, "ok", t->ok);
	json_kv_uint(j, "errors", t->ended - t->ok);
	json_kv_uint(j, "mismatches", t->mismatches);
	json_kv_uint(j, "missing", missing(t));
	json_kv_uint(j, "orphan_errors", orphans);
	json_kv_uint(j, "bytes", t->bytes);
	json_kv_double(j, "seconds", secs, 6);
	json_kv_double(j, "mbps", perf_mbps(t->bytes, secs), 3);
	if (t->h0.flags & VTLPERF_F_BIDIR) {
		json_kv_uint(j, "tx_bytes", t->tx_bytes);
		json_kv_double(j, "tx_seconds", t->tx_end - t->tx_first, 6);
		json_kv_double(j, "tx_mbps", perf_mbps(t->tx_bytes, t->tx_end - t->tx_first), 3);
	}
	json_obj_close(j);
	json_kv_bool(j, "complete", t->ended == t->h0.nstreams);
	json_kv_bool(j, "ok", ok);
	json_obj_close(j);
	json_free(j);
	fflush(stdout);
}

static void test_free(struct test *t)
{
	free(t->res);
	free(t);
}

/* Under sv->lock: unlink and return a test that is over, or NULL. */
static struct test *take_over(struct server *sv, double now)
{
	struct test **pp, *t;

	for (pp = &sv->tests; (t = *pp); pp = &t->next) {
		if (t->ended == t->h0.nstreams ||
		    (!t->active && !sv->pending && now - t->t_event >= PERF_GRACE_S)) {
			*pp = t->next;
			return t;
		}
	}
	return NULL;
}

static void wait_armed(struct server *sv)
{
	pthread_mutex_lock(&sv->lock);
	while (sv->armed < sv->a->listeners && !sv->arm_err)
		pthread_cond_wait(&sv->cond, &sv->lock);
	sv->ready = !sv->arm_err;
	pthread_mutex_unlock(&sv->lock);
}

int server_main(const struct perf_args *a)
{
	static struct server sv = { .lock = PTHREAD_MUTEX_INITIALIZER,
				    .cond = PTHREAD_COND_INITIALIZER };
	struct timespec ts;
	struct test *t;
	unsigned i, orphans;
	int r, ok;

	sv.a = a;
	for (i = 0; i < a->listeners; i++) {
		r = perf_thread(NULL, 1, listener_main, &sv);
		if (r < 0) {
			fprintf(stderr, "vtlperf: cannot start listener %u: %s\n", i, strerror(-r));
			return PERF_EXIT_FAIL;
		}
	}
	wait_armed(&sv);
	if (!sv.ready)
		return PERF_EXIT_FAIL;  /* arm_failed() said why */
	fprintf(stderr, "vtlperf: listening on port %u (%u listeners)\n", a->port, a->listeners);
	fflush(stderr);
	pthread_mutex_lock(&sv.lock);
	sv.t_event = perf_now();
	for (;;) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 250 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&sv.cond, &sv.lock, &ts);
		while ((t = take_over(&sv, perf_now()))) {
			orphans = sv.orphans;
			sv.orphans = 0;
			pthread_mutex_unlock(&sv.lock);
			ok = test_ok(t) && !(a->once && orphans);
			if (a->json)
				report_json(&sv, t, orphans, ok);
			else
				report_text(&sv, t, orphans);
			test_free(t);
			if (a->once)
				exit(ok ? PERF_EXIT_OK : PERF_EXIT_FAIL);
			pthread_mutex_lock(&sv.lock);
		}
		if (a->once && !sv.tests && sv.orphans && !sv.pending &&
		    perf_now() - sv.t_event >= PERF_GRACE_S) {
			fprintf(stderr, "vtlperf: %u session%s failed before their header, "
				"and no test started\n", sv.orphans, sv.orphans == 1 ? "" : "s");
			exit(PERF_EXIT_FAIL);
		}
	}
}
