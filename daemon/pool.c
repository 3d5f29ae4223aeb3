// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Graft pool: see pool.h. The metadata is read with libelf; loading is
 * libbpf's job (launcher.c). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "log.h"
#include "pool.h"

int pool_read_meta(const char *path, struct vtl_graft_meta *m, char *err, size_t errlen)
{
	Elf_Scn *scn = NULL;
	struct stat sb;
	GElf_Ehdr eh;
	size_t shstrndx;
	int fd, ret = -ENOENT;
	Elf *e;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (!e || elf_kind(e) != ELF_K_ELF || elf_getshdrstrndx(e, &shstrndx)) {
		snprintf(err, errlen, "%s: not an ELF object", path);
		ret = -EINVAL;
		goto out;
	}
	if (!gelf_getehdr(e, &eh) || fstat(fd, &sb) ||
	    eh.e_shoff + (__u64)eh.e_shnum * eh.e_shentsize > (__u64)sb.st_size) {
		snprintf(err, errlen, "%s: truncated or damaged ELF object", path);
		ret = -EINVAL;
		goto out;
	}
	snprintf(err, errlen, "%s: no .vtl.meta section (not a VTL graft)", path);
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
			ret = -EINVAL;
			goto out;
		}
		memcpy(m, d->d_buf, sizeof(*m));
		if (m->magic != VTL_META_MAGIC || m->meta_version != VTL_META_VERSION) {
			snprintf(err, errlen, "%s: bad metadata magic/version", path);
			ret = -EINVAL;
			goto out;
		}
		if (!memchr(m->name, 0, sizeof(m->name)) || !m->name[0]) {
			snprintf(err, errlen, "%s: graft name is not a terminated string", path);
			ret = -EINVAL;
			goto out;
		}
		if (!m->window_min || m->window_min > m->window_max ||
		    m->window_max > VTL_WINDOW_MAX || m->window_default < m->window_min ||
		    m->window_default > m->window_max) {
			snprintf(err, errlen, "%s: window range %u..%u (default %u) is invalid",
				 path, m->window_min, m->window_max, m->window_default);
			ret = -EINVAL;
			goto out;
		}
		ret = 0;
		break;
	}
out:
	if (e)
		elf_end(e);
	close(fd);
	return ret;
}

int pool_scan(struct pool *p, const char *dir)
{
	struct dirent *de;
	char err[PATH_MAX + 128];
	DIR *d;

	snprintf(p->dir, sizeof(p->dir), "%s", dir);
	p->n = 0;
	d = opendir(dir);
	if (!d) {
		pr_warn("graft pool %s: %s\n", dir, strerror(errno));
		return -errno;
	}
	while ((de = readdir(d))) {
		size_t ln = strlen(de->d_name);
		struct pool_graft *g;

		if (ln < 3 || strcmp(de->d_name + ln - 2, ".o"))
			continue;
		if (p->n >= POOL_MAX) {
			pr_warn("graft pool %s: more than %d grafts, ignoring %s\n", dir, POOL_MAX,
				de->d_name);
			continue;
		}
		g = &p->g[p->n];
		memset(g, 0, sizeof(*g));
		if (snprintf(g->path, sizeof(g->path), "%s/%s", dir, de->d_name) >=
		    (int)sizeof(g->path))
			continue;
		if (pool_read_meta(g->path, &g->meta, err, sizeof(err))) {
			pr_warn("graft pool: skipping %s\n", err);
			continue;
		}
		if (pool_find(p, g->meta.name, g->meta.version)) {
			pr_warn("graft pool: %s duplicates %s v%u, skipped\n", g->path,
				g->meta.name, g->meta.version);
			continue;
		}
		pr_debug("graft pool: %s v%u (%s)\n", g->meta.name, g->meta.version, g->path);
		p->n++;
	}
	closedir(d);
	return p->n;
}

struct pool_graft *pool_find(struct pool *p, const char *name, __u32 version)
{
	struct pool_graft *best = NULL;

	for (int i = 0; i < p->n; i++) {
		struct pool_graft *g = &p->g[i];

		if (strncmp(g->meta.name, name, VTL_GRAFT_NAME_MAX))
			continue;
		if (version && g->meta.version == version)
			return g;
		if (!version && (!best || g->meta.version > best->meta.version))
			best = g;
	}
	return best;
}
