/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The pool watcher (pool_watch.c): inotify on the pool directory, and a
 * worker thread that validates graft objects (a trial load takes 30-60 ms
 * of verifier time, which must not stall the loop). A service under the
 * session and control layers: what it finds goes to them through
 * struct pw_ops.
 */
#ifndef VTLD_POOL_WATCH_H
#define VTLD_POOL_WATCH_H

#include <stdbool.h>
#include <linux/types.h>
#include "graft_check.h"

struct launcher;
struct loop;
struct pool;
struct pool_graft;
struct pool_watch;

#define PW_MAX_VERIFY 8   /* clients' validations queued at once */

/* What a validation is for: a pool file (inotify), or a client's
 * request: graft verify, graft load's two steps (docs/graft-pool.md). */
enum pw_kind { PW_FILE, PW_VERIFY, PW_LOAD_PREPARE, PW_LOAD_COMMIT };

struct pw_ops {
	/* a new or changed graft entered the pool */
	void (*added)(void *ctx, struct pool_graft *pg);
	/* a client's request was validated: answer on fd (closed after).
	 * PW_LOAD_COMMIT: applied says whether the result was applied to
	 * the pool (false: the file changed meanwhile). */
	void (*answer)(void *ctx, int fd, enum pw_kind kind, __u32 flags, const char *path,
		       const struct graft_report *r, bool applied);
};

int pool_watch_open(struct pool_watch **out, struct loop *lp, struct pool *pool,
		    struct launcher *l, const struct pw_ops *ops, void *ctx);
void pool_watch_close(struct pool_watch *w);
/* Validate path on the worker for the client on client_fd (a dup of it
 * gets the answer). -VTL_E_DAEMON: the worker is not running; -EBUSY:
 * PW_MAX_VERIFY already queued; -ENOMEM. */
int pool_watch_request(struct pool_watch *w, int client_fd, const char *path, enum pw_kind kind,
		       __u32 flags);

#endif
