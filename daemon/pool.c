// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Graft pool: see pool.h. The metadata is read by lib/graft_meta.c; validation
 * (lib/graft_verify.c) adds libbpf's view and the trial load. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdarg.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "log.h"
#include "pool.h"
#include "sha256.h"

/* snprintf for messages that may be cut (paths in reasons) */
static void say(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

bool pool_is_graft_name(const char *name)
{
	size_t ln = strlen(name);

	return ln >= 3 && name[0] != '.' && !strcmp(name + ln - 2, ".o");
}

/* ---- rejections ---------------------------------------------------------- */

static struct pool_reject *reject_of(struct pool *p, const char *path)
{
	for (int i = 0; i < POOL_REJECT_MAX; i++)
		if (p->rej[i].used && !strcmp(p->rej[i].path, path))
			return &p->rej[i];
	return NULL;
}

static void reject_del(struct pool *p, const char *path)
{
	struct pool_reject *x = reject_of(p, path);

	if (x)
		memset(x, 0, sizeof(*x));
}

static void reject_add(struct pool *p, const char *path, const struct graft_report *r,
		       const char *reason)
{
	struct pool_reject *x = reject_of(p, path);

	for (int i = 0; !x && i < POOL_REJECT_MAX; i++)
		if (!p->rej[i].used)
			x = &p->rej[i];
	if (!x) {  /* full: the oldest goes */
		x = &p->rej[0];
		for (int i = 1; i < POOL_REJECT_MAX; i++)
			if (p->rej[i].seq < x->seq)
				x = &p->rej[i];
	}
	memset(x, 0, sizeof(*x));
	x->used = true;
	x->seq = ++p->rej_seq;
	snprintf(x->path, sizeof(x->path), "%s", path);
	snprintf(x->reason, sizeof(x->reason), "%s", reason);
	x->has_meta = r->has_meta;
	x->meta = r->meta;
	x->has_hash = r->has_hash;
	memcpy(x->hash, r->hash, sizeof(x->hash));
}

/* ---- entries -------------------------------------------------------------- */

static struct pool_graft *entry_of(struct pool *p, const char *path)
{
	for (int i = 0; i < p->n; i++)
		if (p->g[i].state == PG_OK && !strcmp(p->g[i].path, path))
			return &p->g[i];
	return NULL;
}

static struct pool_graft *entry_alloc(struct pool *p)
{
	for (int i = 0; i < p->n; i++) {
		struct pool_graft *g = &p->g[i];

		if (g->state == PG_FREE || (g->state == PG_REPLACED && g->users <= 0))
			return g;
	}
	return p->n < POOL_MAX ? &p->g[p->n++] : NULL;
}

/* The canonical graft carries NEGO in slot 0: the pool never loses its
 * last one. */
static bool last_canonical(struct pool *p, const struct pool_graft *g)
{
	if (strcmp(g->meta.name, "canonical"))
		return false;
	for (int i = 0; i < p->n; i++)
		if (&p->g[i] != g && p->g[i].state == PG_OK &&
		    !strcmp(p->g[i].meta.name, "canonical"))
			return false;
	return true;
}

/* g leaves the pool for new sessions; its sessions keep it. */
static void entry_retire(struct pool_graft *g)
{
	g->state = g->users > 0 ? PG_REPLACED : PG_FREE;
}

static const char *short_hash(const __u8 *h, char *buf)
{
	sha256_hex(h, buf);
	buf[16] = '\0';
	return buf;
}

static void fill_entry(struct pool_graft *g, const char *path, const struct graft_report *r)
{
	snprintf(g->path, sizeof(g->path), "%s", path);
	g->meta = r->meta;
	memcpy(g->hash, r->hash, sizeof(g->hash));
	g->load_us = r->load_us;
	g->fid = r->fid;
	g->state = PG_OK;
}

bool pool_apply(struct pool *p, const char *path, const struct graft_report *r)
{
	struct pool_graft *a = entry_of(p, path), *dup = NULL, *g;
	char reason[POOL_REASON_MAX + 64], hx[2 * VTL_HASH_LEN + 1];
	bool keep_canon = a && last_canonical(p, a);

	if (r->verdict) {
		say(reason, sizeof(reason), "%s", r->reason);
	} else {
		for (int i = 0; i < p->n && !dup; i++)
			if (&p->g[i] != a && p->g[i].state == PG_OK &&
			    !strncmp(p->g[i].meta.name, r->meta.name, VTL_GRAFT_NAME_MAX) &&
			    p->g[i].meta.version == r->meta.version)
				dup = &p->g[i];
		if (dup)
			say(reason, sizeof(reason), "%s: duplicates %s v%u of %s", path,
				 r->meta.name, r->meta.version, dup->path);
		else if (keep_canon && strcmp(r->meta.name, "canonical"))
			say(reason, sizeof(reason), "%s: no longer holds the canonical graft, "
				 "which is required", path);
		else
			reason[0] = '\0';
	}
	if (reason[0]) {
		reject_add(p, path, r, reason);
		if (keep_canon) {
			pr_warn("graft pool: rejected %s; keeping the canonical graft already in "
				"the pool (it is required)\n", reason);
			return false;
		}
		if (!a) {
			pr_warn("graft pool: rejected %s\n", reason);
			return false;
		}
		pr_warn("graft pool: rejected %s; %s v%u leaves the pool (%d session%s keep%s it)\n",
			reason, a->meta.name, a->meta.version, a->users, a->users == 1 ? "" : "s",
			a->users == 1 ? "s" : "");
		entry_retire(a);
		return true;
	}
	reject_del(p, path);
	if (a && !memcmp(a->hash, r->hash, sizeof(a->hash))) {
		a->fid = r->fid;   /* same content (touched or copied again) */
		return false;
	}
	if (a && a->users <= 0) {
		g = a;             /* nobody uses it: update in place */
	} else {
		g = entry_alloc(p);
		if (!g) {
			say(reason, sizeof(reason), "%s: the pool is full (%d grafts)", path,
				 POOL_MAX);
			reject_add(p, path, r, reason);
			pr_warn("graft pool: rejected %s\n", reason);
			return false;
		}
		if (a)
			a->state = PG_REPLACED;  /* its sessions keep it */
	}
	fill_entry(g, path, r);
	pr_info("graft pool: %s %s v%u from %s (sha256 %s..., trial load %llu us)%s\n",
		a ? "updated" : "added", g->meta.name, g->meta.version, path,
		short_hash(g->hash, hx), (unsigned long long)g->load_us,
		a && g != a ? "; running sessions keep the old build" : "");
	return a != NULL;
}

bool pool_remove(struct pool *p, const char *path)
{
	struct pool_graft *a = entry_of(p, path);

	reject_del(p, path);
	if (!a)
		return false;
	if (last_canonical(p, a)) {
		pr_warn("graft pool: %s is gone; keeping the canonical graft (it is required)\n",
			path);
		return false;
	}
	pr_info("graft pool: %s v%u removed with %s (%d session%s keep%s it)\n", a->meta.name,
		a->meta.version, path, a->users, a->users == 1 ? "" : "s",
		a->users == 1 ? "s" : "");
	entry_retire(a);
	return true;
}

int pool_scan_opts(struct pool *p, const char *dir, unsigned vflags)
{
	struct graft_report *r = malloc(sizeof(*r));
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int ret;

	memset(p, 0, sizeof(*p));
	snprintf(p->dir, sizeof(p->dir), "%s", dir);
	p->vflags = vflags;
	d = opendir(dir);
	if (!d || !r) {
		ret = d ? -ENOMEM : -errno;
		pr_warn("graft pool %s: %s\n", dir, strerror(-ret));
		if (d)
			closedir(d);
		free(r);
		return ret;
	}
	while ((de = readdir(d))) {
		if (!pool_is_graft_name(de->d_name))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= (int)sizeof(path))
			continue;
		graft_validate(path, vflags, r);
		pool_apply(p, path, r);
	}
	closedir(d);
	free(r);
	return pool_count(p);
}

int pool_scan(struct pool *p, const char *dir)
{
	return pool_scan_opts(p, dir, 0);
}

struct pool_graft *pool_find_hash(struct pool *p, const char *name, __u32 version,
				  const __u8 hash[VTL_HASH_LEN])
{
	static const __u8 zero[VTL_HASH_LEN];
	struct pool_graft *best = NULL;
	bool any = !hash || !memcmp(hash, zero, VTL_HASH_LEN);

	for (int i = 0; i < p->n; i++) {
		struct pool_graft *g = &p->g[i];

		if (g->state != PG_OK || strncmp(g->meta.name, name, VTL_GRAFT_NAME_MAX))
			continue;
		if (!any && memcmp(g->hash, hash, VTL_HASH_LEN))
			continue;
		if (version && g->meta.version == version)
			return g;
		if (!version && (!best || g->meta.version > best->meta.version))
			best = g;
	}
	return best;
}

struct pool_graft *pool_find(struct pool *p, const char *name, __u32 version)
{
	return pool_find_hash(p, name, version, NULL);
}

int pool_count(const struct pool *p)
{
	int n = 0;

	for (int i = 0; i < p->n; i++)
		n += p->g[i].state == PG_OK;
	return n;
}

/* A path for the wire: its tail when too long, led by "...". */
static void ipc_path(char *dst, const char *src)
{
	size_t ln = strlen(src);

	if (ln < VTL_IPC_PATH_MAX)
		memcpy(dst, src, ln + 1);
	else
		snprintf(dst, VTL_IPC_PATH_MAX, "...%s", src + ln - (VTL_IPC_PATH_MAX - 4));
}

static void list_graft(struct vtl_ipc_graft_entry *e, const struct pool_graft *g)
{
	memset(e, 0, sizeof(*e));
	memcpy(e->name, g->meta.name, sizeof(e->name));
	e->version = g->meta.version;
	e->services = g->meta.services;
	e->roles = g->meta.roles;
	e->window_default = g->meta.window_default;
	e->window_min = g->meta.window_min;
	e->window_max = g->meta.window_max;
	e->max_loss_ppm = g->meta.max_loss_ppm;
	e->users = g->users > 0 ? (__u32)g->users : 0;
	e->state = g->state == PG_OK ? VTL_GRAFT_OK : VTL_GRAFT_REPLACED;
	e->load_us = g->load_us > 0xffffffffu ? 0xffffffffu : (__u32)g->load_us;
	memcpy(e->hash, g->hash, sizeof(e->hash));
	ipc_path(e->path, g->path);
}

static void list_reject(struct vtl_ipc_graft_entry *e, const struct pool_reject *x)
{
	memset(e, 0, sizeof(*e));
	if (x->has_meta) {
		memcpy(e->name, x->meta.name, sizeof(e->name));
		e->name[sizeof(e->name) - 1] = '\0';
		e->version = x->meta.version;
		e->services = x->meta.services;
		e->roles = x->meta.roles;
		e->window_default = x->meta.window_default;
		e->window_min = x->meta.window_min;
		e->window_max = x->meta.window_max;
		e->max_loss_ppm = x->meta.max_loss_ppm;
	}
	e->state = VTL_GRAFT_REJECTED;
	if (x->has_hash)
		memcpy(e->hash, x->hash, sizeof(e->hash));
	ipc_path(e->path, x->path);
	memcpy(e->reason, x->reason, strnlen(x->reason, sizeof(e->reason) - 1));
}

int pool_list(const struct pool *p, struct vtl_ipc_graft_entry *out, int start, int max)
{
	int k = 0;

	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < p->n; i++) {
			const struct pool_graft *g = &p->g[i];

			if (pass == 0 ? g->state != PG_OK :
			    g->state != PG_REPLACED || g->users <= 0)
				continue;
			if (k >= start && k - start < max)
				list_graft(&out[k - start], g);
			k++;
		}
	}
	for (int i = 0; i < POOL_REJECT_MAX; i++) {
		if (!p->rej[i].used)
			continue;
		if (k >= start && k - start < max)
			list_reject(&out[k - start], &p->rej[i]);
		k++;
	}
	return k;
}
