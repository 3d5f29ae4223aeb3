// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* A graft object's .vtl.meta section (see graft_check.h): found with
 * libelf, checked field by field, each problem named with the file. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "graft_check.h"

#define ROLES_ALL (VTL_ROLE_EGRESS | VTL_ROLE_INGRESS | VTL_ROLE_LISTENER)
#define SVC_ALL   (VTL_SVC_RELIABLE | VTL_SVC_ORDERED | VTL_SVC_PARTIAL | VTL_SVC_CC)

/* Ranges beyond what the loader needs: what a sane graft declares. */
static int meta_ranges(const struct vtl_graft_meta *m, const char *path, char *err, size_t errlen)
{
	for (const char *c = m->name; *c; c++) {
		if (*c <= ' ' || *c > '~') {
			snprintf(err, errlen, "%s: graft name has a blank or non-printable character",
				 path);
			return -EINVAL;
		}
	}
	if (!m->version)
		snprintf(err, errlen, "%s: graft version 0 is reserved (it means 'any')", path);
	else if (!(m->roles & ROLES_ALL) || (m->roles & ~ROLES_ALL))
		snprintf(err, errlen, "%s: roles 0x%x: need egress/ingress/listener bits only",
			 path, m->roles);
	else if (m->services & ~SVC_ALL)
		snprintf(err, errlen, "%s: unknown service bits 0x%x", path, m->services & ~SVC_ALL);
	else if (m->max_loss_ppm > 1000000)
		snprintf(err, errlen, "%s: max_loss_ppm %u exceeds 1000000", path, m->max_loss_ppm);
	else if (m->max_delay_ms > 3600000)
		snprintf(err, errlen, "%s: max_delay_ms %u exceeds an hour", path, m->max_delay_ms);
	else if (m->priv_size > VTL_PRIV_BYTES)
		snprintf(err, errlen, "%s: private state of %u bytes exceeds the %u-byte area "
			 "(VTL_PRIV_BYTES)", path, m->priv_size, VTL_PRIV_BYTES);
	else if (m->reserved[0] | m->reserved[1] | m->reserved[2])
		snprintf(err, errlen, "%s: reserved metadata fields are not zero", path);
	else
		return 0;
	return -EINVAL;
}

/* The metadata of an opened ELF of size bytes. */
static int meta_from_elf(Elf *e, size_t size, const char *path, struct vtl_graft_meta *m,
			 char *err, size_t errlen)
{
	Elf_Scn *scn = NULL;
	GElf_Ehdr eh;
	size_t shstrndx;

	if (!e || elf_kind(e) != ELF_K_ELF || elf_getshdrstrndx(e, &shstrndx)) {
		snprintf(err, errlen, "%s: not an ELF object", path);
		return -EINVAL;
	}
	if (!gelf_getehdr(e, &eh) ||
	    eh.e_shoff + (__u64)eh.e_shnum * eh.e_shentsize > (__u64)size) {
		snprintf(err, errlen, "%s: truncated or damaged ELF object", path);
		return -EINVAL;
	}
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		const char *name;

		if (!gelf_getshdr(scn, &sh))
			continue;
		name = elf_strptr(e, shstrndx, sh.sh_name);
		if (!name || strcmp(name, ".vtl.meta"))
			continue;
		d = elf_getdata(scn, NULL);
		if (!d || d->d_size != sizeof(*m) || !d->d_buf) {
			snprintf(err, errlen, "%s: .vtl.meta has %zu bytes, expected %zu", path,
				 d ? d->d_size : 0, sizeof(*m));
			return -EINVAL;
		}
		memcpy(m, d->d_buf, sizeof(*m));
		if (m->magic != VTL_META_MAGIC || m->meta_version != VTL_META_VERSION) {
			snprintf(err, errlen, "%s: bad metadata magic/version", path);
			return -EINVAL;
		}
		if (!memchr(m->name, 0, sizeof(m->name)) || !m->name[0]) {
			snprintf(err, errlen, "%s: graft name is not a terminated string", path);
			return -EINVAL;
		}
		if (!m->window_min || m->window_min > m->window_max ||
		    m->window_max > VTL_WINDOW_MAX || m->window_default < m->window_min ||
		    m->window_default > m->window_max) {
			snprintf(err, errlen, "%s: window range %u..%u (default %u) is invalid",
				 path, m->window_min, m->window_max, m->window_default);
			return -EINVAL;
		}
		return meta_ranges(m, path, err, errlen);
	}
	snprintf(err, errlen, "%s: no .vtl.meta section (not a VTL graft)", path);
	return -ENOENT;
}

int graft_read_meta(const char *path, struct vtl_graft_meta *m, char *err, size_t errlen)
{
	struct stat sb;
	Elf *e;
	int fd, ret;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return ret;
	}
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (fstat(fd, &sb))
		sb.st_size = 0;
	ret = meta_from_elf(e, (size_t)sb.st_size, path, m, err, errlen);
	if (e)
		elf_end(e);
	close(fd);
	return ret;
}

int graft_parse_meta(const void *buf, size_t len, const char *path, struct vtl_graft_meta *m,
		    char *err, size_t errlen)
{
	Elf *e;
	int ret;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	/* libelf only reads an ELF_C_READ memory image */
	e = elf_memory((char *)buf, len);
	ret = meta_from_elf(e, len, path, m, err, errlen);
	if (e)
		elf_end(e);
	return ret;
}

bool graft_fid_of(const char *path, struct graft_fid *f)
{
	struct stat sb;

	memset(f, 0, sizeof(*f));
	if (stat(path, &sb))
		return false;
	f->dev = sb.st_dev;
	f->ino = sb.st_ino;
	f->size = sb.st_size;
	f->mtime = sb.st_mtim;
	return true;
}

bool graft_fid_eq(const struct graft_fid *a, const struct graft_fid *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec;
}

