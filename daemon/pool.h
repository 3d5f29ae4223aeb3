/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The graft pool: a directory of graft objects, each carrying its
 * metadata in the ELF section .vtl.meta. Every object is validated before
 * it enters the pool (graft_validate: ELF and metadata, sha256, programs
 * against declared roles, and in vtld a trial verifier load). vtld keeps
 * the pool current with inotify (pool_watch.c).
 *
 * Entries never move: sessions hold struct pool_graft pointers. An entry
 * whose file is replaced or removed while sessions use it becomes
 * PG_REPLACED (kept for those sessions, invisible to pool_find); entries
 * are reused only once nobody uses them.
 */
#ifndef VTLD_POOL_H
#define VTLD_POOL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include <sys/types.h>
#include <linux/types.h>
#include <vtl/ipc.h>
#include <vtl/shared.h>
#include "graft_check.h"

#define POOL_MAX        64
#define POOL_REJECT_MAX 32                 /* rejections remembered, oldest dropped */
#define POOL_REASON_MAX GRAFT_REASON_MAX

enum pool_state {
	PG_FREE = 0,        /* unused slot */
	PG_OK,              /* in the pool: listable, negotiable */
	PG_REPLACED,        /* file replaced/removed; kept while users > 0 */
};

struct pool_graft {
	char path[PATH_MAX];
	struct vtl_graft_meta meta;
	int users;                  /* sessions using it */
	__u8 hash[VTL_HASH_LEN];    /* sha256 of the object file */
	enum pool_state state;
	__u64 load_us;              /* trial load time (0: not run) */
	struct graft_fid fid;
};

struct pool_reject {
	char path[PATH_MAX];
	char reason[POOL_REASON_MAX];
	struct vtl_graft_meta meta; /* valid when has_meta */
	__u8 hash[VTL_HASH_LEN];    /* valid when has_hash */
	bool has_meta, has_hash, used;
	__u64 seq;                  /* age, to drop the oldest */
};

struct pool {
	char dir[PATH_MAX];
	struct pool_graft g[POOL_MAX];
	int n;                      /* entries of g[] ever used; never shrinks */
	unsigned vflags;            /* GRAFT_V_* for every validation */
	struct pool_reject rej[POOL_REJECT_MAX];
	__u64 rej_seq;
};

/* Startup scan of dir (the pool must not be in use): every *.o is
 * validated; bad ones are logged and remembered as rejected. Returns the
 * number of grafts in the pool, or -errno when dir is unreadable.
 * pool_scan validates without a trial load. */
int pool_scan_opts(struct pool *p, const char *dir, unsigned vflags);
int pool_scan(struct pool *p, const char *dir);

/* Apply a validation result for path (vtld's main thread). A good object
 * enters the pool (replacing the entry for the same path: in place if
 * nobody uses it, else that entry becomes PG_REPLACED); a bad one is
 * remembered as rejected and its path's old entry leaves the pool. The
 * last canonical graft always stays. Returns true when loaded instances
 * of path must no longer be shared for new sessions. */
bool pool_apply(struct pool *p, const char *path, const struct graft_report *r);
/* path was deleted or moved away: its entry leaves the pool for new
 * sessions. Same return value. */
bool pool_remove(struct pool *p, const char *path);

/* Is name a pool member's file name ("*.o", not hidden)? */
bool pool_is_graft_name(const char *name);

/* Lookups among PG_OK entries. version 0: the highest version. */
struct pool_graft *pool_find(struct pool *p, const char *name, __u32 version);
/* The same, and hash must match unless it is all-zero (any build); this
 * is what a NEGO's graft_hash asks for. */
struct pool_graft *pool_find_hash(struct pool *p, const char *name, __u32 version,
				  const __u8 hash[VTL_HASH_LEN]);
int pool_count(const struct pool *p);  /* PG_OK entries */

/* The pool as GRAFT_LIST shows it: PG_OK entries, PG_REPLACED ones still
 * in use, then the rejections. Fills up to max entries from index start
 * (max 0: count only); returns the total. */
int pool_list(const struct pool *p, struct vtl_ipc_graft_entry *out, int start, int max);

#endif
