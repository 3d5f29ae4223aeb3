/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The graft pool: a directory of graft objects, each carrying its
 * metadata in the ELF section .vtl.meta. */
#ifndef VTLD_POOL_H
#define VTLD_POOL_H

#include <limits.h>
#include <linux/types.h>
#include <vtl/shared.h>

#define POOL_MAX 64

struct pool_graft {
	char path[PATH_MAX];
	struct vtl_graft_meta meta;
	int users;                  /* sessions using it */
};

struct pool {
	char dir[PATH_MAX];
	struct pool_graft g[POOL_MAX];
	int n;
};

/* Read a graft object's metadata. err names what is wrong. */
int pool_read_meta(const char *path, struct vtl_graft_meta *m, char *err, size_t errlen);

/* (Re)scan the directory; bad files are reported and skipped. */
int pool_scan(struct pool *p, const char *dir);
struct pool_graft *pool_find(struct pool *p, const char *name, __u32 version);

#endif
