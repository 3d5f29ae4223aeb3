// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * vtlctl graft list|verify|load|unload: vtld's side (ctl.c's dispatch
 * table). Validation runs on the pool watcher's worker thread; its answer
 * comes back here (ctl_pool_answer) and goes to the client on a dup of
 * its socket.
 *
 * Load and unload: vtld still never writes to its
 * pool directory; vtlctl does, between two requests (docs/graft-pool.md,
 * "Loading and unloading with vtlctl"):
 *
 *   load    PREPARE FILE  validate FILE on the pool worker (graft_validate,
 *                         the pool's own check) and answer with the report
 *                         and the pool file it would become (NAME.o); refuse
 *                         what the pool would refuse (a duplicate version,
 *                         replacing without VTL_LOAD_REPLACE)
 *           (vtlctl writes DIR/.NAME.o.tmp, checks its sha256, renames it)
 *           COMMIT DEST   validate DEST again and apply it now (inotify
 *                         would, too: the answer is the readiness signal)
 *   unload  CHECK NAME    refuse canonical and grafts that sessions use;
 *                         answer with the file
 *           (vtlctl removes the file)
 *           COMMIT PATH   the file is gone: the graft leaves the pool now
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <vtl/errors.h>
#include "ctl_int.h"
#include "log.h"

/* Is path DIR/NAME.o, directly in the pool directory? */
static bool in_pool_dir(const struct vtld *d, const char *path)
{
	size_t n = strlen(d->pool.dir);

	return !strncmp(path, d->pool.dir, n) && path[n] == '/' && !strchr(path + n + 1, '/') &&
	       pool_is_graft_name(path + n + 1);
}

static struct pool_graft *ok_at(struct vtld *d, const char *path)
{
	for (int i = 0; i < d->pool.n; i++)
		if (d->pool.g[i].state == PG_OK && !strcmp(d->pool.g[i].path, path))
			return &d->pool.g[i];
	return NULL;
}

/* A graft name fit for a file name: letters, digits, '_', '-', '.'. */
static bool file_safe(const char *name)
{
	if (!name[0] || name[0] == '.')
		return false;
	for (const char *c = name; *c; c++)
		if (!(*c >= 'a' && *c <= 'z') && !(*c >= 'A' && *c <= 'Z') &&
		    !(*c >= '0' && *c <= '9') && *c != '_' && *c != '-' && *c != '.')
			return false;
	return true;
}

/* A report as GRAFT_VERIFY carries it; the log tail goes to log (may be
 * NULL; room for VTL_IPC_VERIFY_LOG_MAX). Returns the log's length. */
static size_t report_ipc(const struct graft_report *r, struct vtl_ipc_graft_verify *v, void *log)
{
	size_t loglen = strnlen(r->log, sizeof(r->log));

	if (loglen > VTL_IPC_VERIFY_LOG_MAX)
		loglen = VTL_IPC_VERIFY_LOG_MAX;
	memset(v, 0, sizeof(*v));
	v->verdict = r->verdict;
	v->stage = r->stage;
	v->roles_found = r->roles_found;
	v->has_meta = r->has_meta;
	v->load_us = r->load_us;
	if (r->has_meta)
		v->meta = r->meta;
	v->has_hash = r->has_hash;
	memcpy(v->hash, r->hash, sizeof(v->hash));
	v->log_len = (__u32)loglen;
	/* the wire keeps the reason's first 255 bytes */
	memcpy(v->reason, r->reason, strnlen(r->reason, sizeof(v->reason) - 1));
	snprintf(v->prog, sizeof(v->prog), "%s", r->prog);
	if (log)
		memcpy(log, r->log, loglen);
	return loglen;
}

static void send_verify(int fd, const struct graft_report *r)
{
	struct vtl_ipc_graft_verify *v = malloc(sizeof(*v) + VTL_IPC_VERIFY_LOG_MAX);
	size_t loglen;

	if (!v) {
		ipc_send_error_fd(fd, -ENOMEM, "out of memory");
		return;
	}
	loglen = report_ipc(r, v, v + 1);
	ipc_send_fd(fd, VTL_IPC_GRAFT_VERIFY, v, (__u32)(sizeof(*v) + loglen));
	free(v);
}

/* Copy a pool path into a reply's field; false (with an error to fd)
 * when it does not fit: a cut path would name another file. */
static bool path_field(int fd, char *field, size_t size, const char *path)
{
	size_t n = strlen(path);

	if (n >= size) {
		ipc_send_error_fd(fd, -ENAMETOOLONG, "pool path of %zu bytes is longer than the "
				  "control protocol carries (%zu)", n, size - 1);
		return false;
	}
	memcpy(field, path, n + 1);
	return true;
}

static void send_load(int fd, const struct graft_report *r, const char *dest, bool replaces,
		      bool identical)
{
	struct vtl_ipc_graft_load *o = calloc(1, sizeof(*o) + VTL_IPC_VERIFY_LOG_MAX);
	size_t loglen;

	if (!o) {
		ipc_send_error_fd(fd, -ENOMEM, "out of memory");
		return;
	}
	loglen = report_ipc(r, &o->v, o + 1);
	if (!path_field(fd, o->dest, sizeof(o->dest), dest)) {
		free(o);
		return;
	}
	o->replaces = replaces;
	o->identical = identical;
	ipc_send_fd(fd, VTL_IPC_GRAFT_LOAD, o, (__u32)(sizeof(*o) + loglen));
	free(o);
}

static void load_prepared(struct vtld *d, int fd, const char *path, __u32 flags,
			  const struct graft_report *r)
{
	char name[VTL_GRAFT_NAME_MAX + 1] = "", dest[VTL_IPC_VERIFY_PATH_MAX];
	struct pool_graft *at, *dup = NULL;
	bool replaces;

	if (r->verdict) {   /* the report says why; nothing else to do */
		send_load(fd, r, "", false, false);
		return;
	}
	memcpy(name, r->meta.name, VTL_GRAFT_NAME_MAX);
	if (!file_safe(name)) {
		ipc_send_error_fd(fd, -VTL_E_BADPARAM, "graft name '%s' cannot name a pool file "
				  "(letters, digits, '_', '-', '.')", name);
		return;
	}
	if (snprintf(dest, sizeof(dest), "%s/%s.o", d->pool.dir, name) >= (int)sizeof(dest)) {
		ipc_send_error_fd(fd, -ENAMETOOLONG, "pool path %s/%s.o is too long", d->pool.dir,
				  name);
		return;
	}
	for (int i = 0; i < d->pool.n && !dup; i++) {
		struct pool_graft *g = &d->pool.g[i];

		if (g->state == PG_OK && strcmp(g->path, dest) && g->meta.version == r->meta.version &&
		    !strncmp(g->meta.name, name, VTL_GRAFT_NAME_MAX))
			dup = g;
	}
	if (dup && !memcmp(dup->hash, r->hash, VTL_HASH_LEN)) {
		send_load(fd, r, dup->path, false, true);   /* these bytes are in the pool */
		return;
	}
	if (dup) {
		ipc_send_error_fd(fd, -EEXIST, "%s v%u is in the pool already as %s (another "
				  "build); the pool refuses a second one", name, r->meta.version,
				  dup->path);
		return;
	}
	at = ok_at(d, dest);
	if (at && !memcmp(at->hash, r->hash, VTL_HASH_LEN) && strcmp(path, dest)) {
		send_load(fd, r, dest, false, true);
		return;
	}
	replaces = at || access(dest, F_OK) == 0;
	if (replaces && strcmp(path, dest) && !(flags & VTL_LOAD_REPLACE)) {
		if (at)
			ipc_send_error_fd(fd, -EEXIST, "the pool has %s v%u in %s already; add "
					  "'replace' to upgrade it (sessions on it keep the old build)",
					  at->meta.name, at->meta.version, dest);
		else
			ipc_send_error_fd(fd, -EEXIST, "%s exists (not a graft in the pool); add "
					  "'replace' to overwrite it", dest);
		return;
	}
	send_load(fd, r, dest, replaces, false);
}

static void load_committed(struct vtld *d, int fd, const char *path, const struct graft_report *r,
			   bool applied)
{
	struct pool_graft *g = ok_at(d, path);
	struct vtl_ipc_graft_entry e;
	int total;

	if (r->verdict || (g && applied && !memcmp(g->hash, r->hash, VTL_HASH_LEN))) {
		send_load(fd, r, path, false, false);
		return;
	}
	if (!applied) {
		ipc_send_error_fd(fd, -ESTALE, "%s changed while vtld validated it", path);
		return;
	}
	/* valid, yet not in the pool: the pool refused it (duplicate, full) */
	total = pool_list(&d->pool, NULL, 0, 0);
	for (int i = 0; i < total; i++) {
		pool_list(&d->pool, &e, i, 1);
		if (e.state == VTL_GRAFT_REJECTED && !strcmp(e.path, path)) {
			ipc_send_error_fd(fd, -EINVAL, "the pool refused it: %s", e.reason);
			return;
		}
	}
	ipc_send_error_fd(fd, -EINVAL, "%s is valid but did not enter the pool", path);
}

static void watch_request(struct vtld *d, struct client *c, const char *path,
			  enum pw_kind kind, __u32 flags)
{
	int e = pool_watch_request(d->pw, c->fd, path, kind, flags);

	if (e == -VTL_E_DAEMON)
		client_send_error(c, e, "graft validation is not running");
	else if (e == -EBUSY)
		client_send_error(c, e, "%d verifications already queued; try again",
				  PW_MAX_VERIFY);
	else if (e)
		client_send_error(c, -ENOMEM, "cannot queue the verification");
}

void ctl_pool_answer(void *ctx, int fd, enum pw_kind kind, __u32 flags, const char *path,
		     const struct graft_report *r, bool applied)
{
	struct vtld *d = ctx;

	if (kind == PW_VERIFY)
		send_verify(fd, r);
	else if (kind == PW_LOAD_PREPARE)
		load_prepared(d, fd, path, flags, r);
	else if (kind == PW_LOAD_COMMIT)
		load_committed(d, fd, path, r, applied);
}

CTL_HANDLER(ctl_graft_list)
{
	enum { PAGE = (VTL_IPC_MAX_DATA - sizeof(struct vtl_ipc_graft_list)) /
		      sizeof(struct vtl_ipc_graft_entry) };
	struct vtld *d = ctx;
	struct vtl_ipc_graft_list_req q;
	struct vtl_ipc_graft_list *h;
	int total;
	__u8 *buf;

	(void)len;
	(void)fdp;
	memcpy(&q, body, sizeof(q));
	total = pool_list(&d->pool, NULL, 0, 0);
	if (q.reserved || q.start > (__u32)total) {
		client_send_error(c, -VTL_E_BADPARAM, "GRAFT_LIST_REQ: start %u of %d entries%s",
				  q.start, total, q.reserved ? ", reserved not zero" : "");
		return;
	}
	buf = calloc(1, sizeof(*h) + PAGE * sizeof(struct vtl_ipc_graft_entry));
	if (!buf) {
		client_send_error(c, -ENOMEM, "out of memory");
		return;
	}
	h = (void *)buf;
	h->total = (__u32)total;
	h->start = q.start;
	h->n = (__u32)total - q.start < PAGE ? (__u32)total - q.start : PAGE;
	pool_list(&d->pool, (void *)(h + 1), (int)q.start, (int)h->n);
	client_send(c, VTL_IPC_GRAFT_LIST, buf,
		    (__u32)(sizeof(*h) + h->n * sizeof(struct vtl_ipc_graft_entry)));
	free(buf);
}

CTL_HANDLER(ctl_graft_verify)
{
	const struct vtl_ipc_graft_verify_req *q = body;

	(void)len;
	(void)fdp;
	if (!memchr(q->path, 0, sizeof(q->path)) || q->path[0] != '/') {
		client_send_error(c, -VTL_E_BADPARAM, "GRAFT_VERIFY_REQ: the path must be "
				  "absolute and NUL-terminated");
		return;
	}
	watch_request(ctx, c, q->path, PW_VERIFY, 0);
}

CTL_HANDLER(ctl_graft_load)
{
	struct vtld *d = ctx;
	struct vtl_ipc_graft_load_req q;

	(void)len;
	(void)fdp;
	memcpy(&q, body, sizeof(q));
	if (!memchr(q.path, 0, sizeof(q.path)) || q.path[0] != '/' ||
	    (q.step != VTL_LOAD_PREPARE && q.step != VTL_LOAD_COMMIT) ||
	    (q.flags & ~(__u32)VTL_LOAD_REPLACE)) {
		client_send_error(c, -VTL_E_BADPARAM, "GRAFT_LOAD_REQ: bad step %u or flags %#x, or "
				  "the path is not absolute and NUL-terminated", q.step, q.flags);
		return;
	}
	if (q.step == VTL_LOAD_COMMIT && !in_pool_dir(d, q.path)) {
		client_send_error(c, -VTL_E_BADPARAM, "%s is not a graft file in the pool %s",
				  q.path, d->pool.dir);
		return;
	}
	watch_request(d, c, q.path, q.step == VTL_LOAD_PREPARE ? PW_LOAD_PREPARE :
		      PW_LOAD_COMMIT, q.flags);
}

/* ---- unload ---- */

static bool matches(const struct pool_graft *g, const char *what)
{
	const char *base = strrchr(g->path, '/');

	return !strncmp(g->meta.name, what, VTL_GRAFT_NAME_MAX) || !strcmp(g->path, what) ||
	       (base && !strcmp(base + 1, what));
}

static void send_unload(struct client *c, const struct pool_graft *g, const char *path)
{
	struct vtl_ipc_graft_unload o = { 0 };

	if (g) {
		memcpy(o.name, g->meta.name, sizeof(o.name));
		o.version = g->meta.version;
		memcpy(o.hash, g->hash, sizeof(o.hash));
	}
	if (path_field(c->fd, o.path, sizeof(o.path), path))
		client_send(c, VTL_IPC_GRAFT_UNLOAD, &o, sizeof(o));
}

/* Sessions on g (running, or swapping to it), as "0x.., 0x.." into buf. */
static int users_of(struct vtld *d, const struct pool_graft *g, char *buf, size_t len)
{
	size_t n = 0;
	int k = 0;

	buf[0] = '\0';
	for (__u32 i = 1; i < d->tp.slot_hi; i++) {
		const struct session *s = session_at(&d->ng, i);

		if (!s || (s->pg != g && s->sw.pg != g))
			continue;
		if (n < len)
			n += (size_t)snprintf(buf + n, len - n, "%s%08x", k ? ", " : "", s->tp.id);
		k++;
	}
	return k > g->users ? k : g->users;
}

static void unload_check(struct vtld *d, struct client *c, const char *what)
{
	struct pool_graft *hit = NULL;
	char ids[96], files[192] = "";
	size_t fn = 0;
	int nhit = 0, nuse;

	for (int i = 0; i < d->pool.n; i++) {
		struct pool_graft *g = &d->pool.g[i];

		if (g->state != PG_OK || !matches(g, what))
			continue;
		hit = g;
		if (fn < sizeof(files))
			fn += (size_t)snprintf(files + fn, sizeof(files) - fn, "%s%s", nhit ? ", " : "",
					       g->path);
		nhit++;
	}
	if (!nhit) {
		client_send_error(c, -VTL_E_NOGRAFT, "no graft or file '%s' in the pool", what);
		return;
	}
	if (nhit > 1) {
		client_send_error(c, -EINVAL, "'%s' names %d pool files (%s); name one file", what,
				  nhit, files);
		return;
	}
	if (!strcmp(hit->meta.name, "canonical")) {
		client_send_error(c, -EPERM, "canonical carries negotiation and cannot be unloaded "
				  "(graft load FILE replace upgrades it)");
		return;
	}
	nuse = users_of(d, hit, ids, sizeof(ids));
	if (nuse) {
		client_send_error(c, -EBUSY, "%s v%u is used by %d session%s (%s); end or swap "
				  "%s first", hit->meta.name, hit->meta.version, nuse,
				  nuse == 1 ? "" : "s", ids, nuse == 1 ? "it" : "them");
		return;
	}
	send_unload(c, hit, hit->path);
}

CTL_HANDLER(ctl_graft_unload)
{
	struct vtld *d = ctx;
	struct vtl_ipc_graft_unload_req q;
	struct pool_graft *g;

	(void)len;
	(void)fdp;
	memcpy(&q, body, sizeof(q));
	if (!memchr(q.name, 0, sizeof(q.name)) || !q.name[0] || q.reserved ||
	    (q.step != VTL_UNLOAD_CHECK && q.step != VTL_UNLOAD_COMMIT)) {
		client_send_error(c, -VTL_E_BADPARAM, "GRAFT_UNLOAD_REQ: bad step %u, reserved "
				  "field, or name", q.step);
		return;
	}
	if (q.step == VTL_UNLOAD_CHECK) {
		unload_check(d, c, q.name);
		return;
	}
	if (!in_pool_dir(d, q.name)) {
		client_send_error(c, -VTL_E_BADPARAM, "%s is not a graft file in the pool %s",
				  q.name, d->pool.dir);
		return;
	}
	if (access(q.name, F_OK) == 0) {
		client_send_error(c, -EEXIST, "%s is still there; remove it first", q.name);
		return;
	}
	g = ok_at(d, q.name);      /* inotify may have removed it already */
	send_unload(c, g, q.name);
	if (g && pool_remove(&d->pool, q.name))
		launcher_graft_retire(&d->l, q.name);
}
