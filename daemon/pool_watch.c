// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The pool watcher: inotify on the pool directory, and a worker thread
 * that validates objects (a trial load takes 30-60 ms of verifier time,
 * which must not stall the data path on the epoll thread).
 *
 *   IN_CLOSE_WRITE, IN_MOVED_TO  -> validate on the worker, then apply the
 *                                   result on the epoll thread (pool_apply)
 *   IN_DELETE, IN_MOVED_FROM     -> pool_remove at once
 *   IN_Q_OVERFLOW                -> resync: every file whose identity
 *                                   changed is validated again
 *
 * Only the epoll thread touches struct pool and the Launcher. The worker
 * sees a job (a path) and fills its report; a result for a file that
 * changed again meanwhile is dropped, because the later event has its own
 * job. Clients' requests (graft verify, graft load) run on the same
 * worker; the answer is the caller's (struct pw_ops), on a dup of the
 * client's socket, so a client that left costs nothing.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <vtl/errors.h>
#include "launcher.h"
#include "log.h"
#include "loop.h"
#include "pool.h"
#include "pool_watch.h"

#define PW_MASK (IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM | \
		 IN_DELETE_SELF | IN_MOVE_SELF)

struct pw_job {
	struct pw_job *next;
	int reply_fd;             /* a request's client; -1: a pool file */
	enum pw_kind kind;
	__u32 flags;              /* the request's (GRAFT_LOAD_REQ) */
	char path[PATH_MAX];
	struct graft_report rep;
};

struct pool_watch {
	struct loop *lp;
	struct pool *pool;
	struct launcher *l;
	const struct pw_ops *ops;
	void *ctx;
	int ifd, wd, efd;
	struct ep_item iep, eep;
	unsigned vflags;
	pthread_t thr;
	bool thr_up;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;
	struct pw_job *todo, *done;   /* FIFOs (appended at the tail) */
	int n_verify;
};

static void push(struct pw_job **q, struct pw_job *j)
{
	j->next = NULL;
	while (*q)
		q = &(*q)->next;
	*q = j;
}

static void *worker(void *arg)
{
	struct pool_watch *w = arg;
	__u64 one = 1;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		struct pw_job *j;

		while (!w->stop && !w->todo)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->stop)
			break;
		j = w->todo;
		w->todo = j->next;
		pthread_mutex_unlock(&w->mu);
		graft_validate(j->path, w->vflags, &j->rep);
		pthread_mutex_lock(&w->mu);
		push(&w->done, j);
		if (write(w->efd, &one, sizeof(one)) < 0) {
			/* the counter is saturated only if nobody reads: harmless */
		}
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* Queue a validation; a queued, not yet started job for the same pool
 * file already covers it. */
static int queue_kind(struct pool_watch *w, const char *path, int reply_fd, enum pw_kind kind,
		      __u32 flags)
{
	struct pw_job *j;

	pthread_mutex_lock(&w->mu);
	for (j = w->todo; reply_fd < 0 && j; j = j->next) {
		if (j->reply_fd < 0 && !strcmp(j->path, path)) {
			pthread_mutex_unlock(&w->mu);
			return 0;
		}
	}
	pthread_mutex_unlock(&w->mu);
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->reply_fd = reply_fd;
	j->kind = kind;
	j->flags = flags;
	snprintf(j->path, sizeof(j->path), "%s", path);
	pthread_mutex_lock(&w->mu);
	push(&w->todo, j);
	w->n_verify += reply_fd >= 0;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return 0;
}

static int queue(struct pool_watch *w, const char *path, int reply_fd)
{
	return queue_kind(w, path, reply_fd, reply_fd < 0 ? PW_FILE : PW_VERIFY, 0);
}

/* A pool file's result: apply it unless the file changed since. Returns
 * false when it was not applied for that reason. */
static bool apply(struct pool_watch *w, struct pw_job *j)
{
	struct graft_fid now;

	if (!graft_fid_of(j->path, &now) || !graft_fid_eq(&now, &j->rep.fid)) {
		pr_debug("graft pool: %s changed during validation; a later event covers it\n",
			 j->path);
		return false;
	}
	if (pool_apply(w->pool, j->path, &j->rep))
		launcher_graft_retire(w->l, j->path);
	if (j->rep.verdict == 0 && j->rep.has_meta) {
		struct pool_graft *pg = pool_find(w->pool, j->rep.meta.name, j->rep.meta.version);

		if (pg)
			w->ops->added(w->ctx, pg); /* a few ms on this thread, once per new file */
	}
	return true;
}

static void on_done(void *obj, __u32 events)
{
	struct pool_watch *w = obj;
	struct pw_job *j, *next;
	__u64 cnt;

	(void)events;
	if (read(w->efd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
		pr_debug("pool watch eventfd: %s\n", strerror(errno));
	pthread_mutex_lock(&w->mu);
	j = w->done;
	w->done = NULL;
	pthread_mutex_unlock(&w->mu);
	for (; j; j = next) {
		next = j->next;
		if (j->reply_fd >= 0) {
			bool applied = j->kind == PW_LOAD_COMMIT && apply(w, j);

			w->ops->answer(w->ctx, j->reply_fd, j->kind, j->flags, j->path, &j->rep,
				       applied);
			close(j->reply_fd);
			pthread_mutex_lock(&w->mu);
			w->n_verify--;
			pthread_mutex_unlock(&w->mu);
		} else {
			apply(w, j);
		}
		free(j);
	}
}

/* Drop queued (not started) jobs for path: it is gone. */
static void cancel(struct pool_watch *w, const char *path)
{
	struct pw_job **pp, *j;

	pthread_mutex_lock(&w->mu);
	for (pp = &w->todo; (j = *pp);) {
		if (j->reply_fd < 0 && !strcmp(j->path, path)) {
			*pp = j->next;
			free(j);
		} else {
			pp = &j->next;
		}
	}
	pthread_mutex_unlock(&w->mu);
}

/* Bring the pool in line with the directory without trusting events: files
 * gone leave, files new or changed (identity) are validated. */
static void resync(struct pool_watch *w)
{
	struct pool *p = w->pool;
	char path[PATH_MAX];
	struct graft_fid f;
	struct dirent *de;
	DIR *dir;

	for (int i = 0; i < p->n; i++) {
		struct pool_graft *g = &p->g[i];

		if (g->state == PG_OK && !graft_fid_of(g->path, &f) && pool_remove(p, g->path))
			launcher_graft_retire(w->l, g->path);
	}
	dir = opendir(p->dir);
	if (!dir)
		return;
	while ((de = readdir(dir))) {
		bool known = false;

		if (!pool_is_graft_name(de->d_name) ||
		    snprintf(path, sizeof(path), "%s/%s", p->dir, de->d_name) >= (int)sizeof(path) ||
		    !graft_fid_of(path, &f))
			continue;
		for (int i = 0; i < p->n && !known; i++)
			known = p->g[i].state == PG_OK && !strcmp(p->g[i].path, path) &&
				graft_fid_eq(&p->g[i].fid, &f);
		if (!known)
			queue(w, path, -1);
	}
	closedir(dir);
}

static void on_inotify(void *obj, __u32 events)
{
	struct pool_watch *w = obj;
	char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
	char path[PATH_MAX];
	ssize_t n;

	(void)events;
	while ((n = read(w->ifd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const void *)p;

			p += sizeof(*ev) + ev->len;
			if (ev->mask & IN_Q_OVERFLOW) {
				pr_warn("graft pool: inotify queue overflowed; rescanning %s\n",
					w->pool->dir);
				resync(w);
				continue;
			}
			if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
				pr_warn("graft pool: directory %s was removed or moved; the pool "
					"stays as it is, but is no longer watched\n", w->pool->dir);
				continue;
			}
			if (!ev->len || !pool_is_graft_name(ev->name) ||
			    snprintf(path, sizeof(path), "%s/%s", w->pool->dir, ev->name) >=
			    (int)sizeof(path))
				continue;
			if (ev->mask & (IN_DELETE | IN_MOVED_FROM)) {
				cancel(w, path);
				if (pool_remove(w->pool, path))
					launcher_graft_retire(w->l, path);
			}
			if (ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) {
				pr_debug("graft pool: %s written; validating\n", path);
				queue(w, path, -1);
			}
		}
	}
}

int pool_watch_open(struct pool_watch **out, struct loop *lp, struct pool *pool,
		    struct launcher *l, const struct pw_ops *ops, void *ctx)
{
	struct pool_watch *w = calloc(1, sizeof(*w));
	sigset_t all, old;
	int e;

	*out = w;
	if (!w)
		return -ENOMEM;
	w->lp = lp;
	w->pool = pool;
	w->l = l;
	w->ops = ops;
	w->ctx = ctx;
	w->ifd = w->efd = -1;
	w->vflags = pool->vflags;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->efd < 0)
		return -errno;
	w->eep = (struct ep_item){ on_done, w };
	e = ep_add(lp, w->efd, EPOLLIN, &w->eep);
	if (e)
		return e;
	/* signals are vtld's signalfd's: the worker must never take one */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	e = pthread_create(&w->thr, NULL, worker, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e) {
		pr_warn("graft pool: cannot start the validation thread: %s\n", strerror(e));
		return -e;
	}
	w->thr_up = true;
	w->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	w->wd = w->ifd < 0 ? -1 : inotify_add_watch(w->ifd, pool->dir, PW_MASK);
	if (w->wd < 0) {
		/* not fatal: the pool works, it just does not follow the directory */
		pr_warn("graft pool: cannot watch %s: %s; new files need a restart\n",
			pool->dir, strerror(errno));
		if (w->ifd >= 0)
			close(w->ifd);
		w->ifd = -1;
		return 0;
	}
	w->iep = (struct ep_item){ on_inotify, w };
	e = ep_add(lp, w->ifd, EPOLLIN, &w->iep);
	if (e)
		return e;
	resync(w);  /* whatever changed between the startup scan and the watch */
	pr_debug("graft pool: watching %s\n", pool->dir);
	return 0;
}

void pool_watch_close(struct pool_watch *w)
{
	struct pw_job *j, *next;

	if (!w)
		return;
	if (w->thr_up) {
		pthread_mutex_lock(&w->mu);
		w->stop = true;
		pthread_cond_signal(&w->cv);
		pthread_mutex_unlock(&w->mu);
		pthread_join(w->thr, NULL);
	}
	for (int q = 0; q < 2; q++) {
		for (j = q ? w->done : w->todo; j; j = next) {
			next = j->next;
			if (j->reply_fd >= 0)
				close(j->reply_fd);
			free(j);
		}
	}
	if (w->ifd >= 0) {
		ep_del(w->lp, w->ifd);
		close(w->ifd);
	}
	if (w->efd >= 0) {
		ep_del(w->lp, w->efd);
		close(w->efd);
	}
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w);
}

/* ---- clients' requests ------------------------------------------------------ */

int pool_watch_request(struct pool_watch *w, int client_fd, const char *path, enum pw_kind kind,
		       __u32 flags)
{
	int fd, busy;

	if (!w || !w->thr_up)
		return -VTL_E_DAEMON;
	pthread_mutex_lock(&w->mu);
	busy = w->n_verify >= PW_MAX_VERIFY;
	pthread_mutex_unlock(&w->mu);
	if (busy)
		return -EBUSY;
	fd = fcntl(client_fd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0 || queue_kind(w, path, fd, kind, flags)) {
		if (fd >= 0)
			close(fd);
		return -ENOMEM;
	}
	return 0;
}
