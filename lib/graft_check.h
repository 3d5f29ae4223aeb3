/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Checking a graft object, shared by vtld (before a graft enters its
 * pool) and `vtlctl graft verify`: the .vtl.meta metadata (graft_meta.c),
 * and the whole validation (graft_verify.c): read once, sha256, metadata,
 * libbpf open, programs against declared roles, optionally a trial
 * verifier load. Nothing here touches a running pool or daemon.
 */
#ifndef VTL_LIB_GRAFT_CHECK_H
#define VTL_LIB_GRAFT_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include <sys/types.h>
#include <linux/types.h>
#include <vtl/ipc.h>
#include <vtl/shared.h>

#define GRAFT_FILE_MAX   (16u << 20)        /* largest graft object read */
#define GRAFT_REASON_MAX 512
#define GRAFT_LOG_LINES  40                 /* verifier log tail kept */
#define GRAFT_LOG_MAX    VTL_IPC_VERIFY_LOG_MAX

/* Which file a result describes: a result for a file that changed since
 * is stale. */
struct graft_fid {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
};

/* Identify path on disk now; false if it is gone. */
bool graft_fid_of(const char *path, struct graft_fid *f);
bool graft_fid_eq(const struct graft_fid *a, const struct graft_fid *b);

/* The outcome of validating one object file. */
struct graft_report {
	int verdict;                /* 0 good, else -errno */
	__u32 stage;                /* VTL_VERIFY_*: where it stopped */
	bool has_meta, has_hash, trial;
	struct vtl_graft_meta meta;
	__u8 hash[VTL_HASH_LEN];
	__u32 roles_found;          /* VTL_ROLE_* whose programs are present */
	__u64 load_us;              /* trial load: open to loaded, in us */
	char prog[32];              /* program the verifier rejected */
	char reason[GRAFT_REASON_MAX];
	char log[GRAFT_LOG_MAX];    /* verifier log tail, "" unless it ran and failed */
	struct graft_fid fid;       /* the file that was read */
};

/* Read a graft object's metadata. err names what is wrong. */
int graft_read_meta(const char *path, struct vtl_graft_meta *m, char *err, size_t errlen);
/* The same on an object in memory; path is only used in messages. */
int graft_parse_meta(const void *buf, size_t len, const char *path, struct vtl_graft_meta *m,
		     char *err, size_t errlen);

#define GRAFT_V_TRIAL 0x1           /* validation includes a trial load */

/* The whole validation, touching no pool and no running state: read the
 * file, sha256, metadata, libbpf open, programs vs roles, and with
 * GRAFT_V_TRIAL a standalone load (fresh maps; needs CAP_BPF). Used by
 * vtld and by `vtlctl graft verify`. Returns r->verdict. */
int graft_validate(const char *path, unsigned flags, struct graft_report *r);

struct bpf_object;
/* Set a const volatile __u32 tunable in an opened object's .rodata;
 * -ENOENT if the object has no such variable. */
int vtl_obj_set_u32(struct bpf_object *obj, const char *var, __u32 val);

#endif
