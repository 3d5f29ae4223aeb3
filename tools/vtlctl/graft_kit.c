// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * vtlctl graft new|test: the graft developer kit.
 *   graft new NAME [DIR]     write the graft template (grafts/template,
 *                            embedded at build time) renamed to NAME into
 *                            DIR (default ./NAME): NAME.bpf.c, Makefile,
 *                            README.md. Never overwrites a file.
 *   graft test FILE [loss P] [delay T] [rate R] [jitter T] [size S]
 *                   [seed N] [timeout SECS] [pool DIR]
 *                            run FILE through a two-host vtl-netem
 *                            scenario: the script vtl-graft-test (found
 *                            in $VTL_GRAFT_TEST, the install tree's
 *                            libexec/vtl, or the source tree), exec'd with
 *                            the same options; its exit code is ours.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <vtl/wire.h>
#include "vtlctl.h"

#define TEMPLATE_NAME "mygraft"   /* the placeholder in grafts/template */

/* A graft name: [a-z][a-z0-9_]*, short enough for .vtl.meta; it becomes a
 * file name, a C string and part of C identifiers. */
static int name_ok(const char *n)
{
	size_t len = strlen(n);

	if (!len || len >= VTL_GRAFT_NAME_MAX || n[0] < 'a' || n[0] > 'z')
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!((n[i] >= 'a' && n[i] <= 'z') || (n[i] >= '0' && n[i] <= '9') || n[i] == '_'))
			return 0;
	return 1;
}

/* s with every TEMPLATE_NAME replaced by name (malloc'd; *outlen set). */
static char *rename_all(const unsigned char *s, size_t len, const char *name, size_t *outlen)
{
	size_t tl = strlen(TEMPLATE_NAME), nl = strlen(name), n = 0, o = 0;
	char *out;

	for (size_t i = 0; i + tl <= len; i++)
		if (!memcmp(s + i, TEMPLATE_NAME, tl))
			n++;
	out = malloc(len + n * nl + 1);
	if (!out)
		return NULL;
	for (size_t i = 0; i < len;) {
		if (i + tl <= len && !memcmp(s + i, TEMPLATE_NAME, tl)) {
			memcpy(out + o, name, nl);
			o += nl;
			i += tl;
		} else {
			out[o++] = (char)s[i++];
		}
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

static int write_new(const char *path, const char *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	size_t off = 0;

	if (fd < 0)
		return -errno;
	while (off < len) {
		ssize_t w = write(fd, buf + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int e = w < 0 ? -errno : -EIO;

			close(fd);
			unlink(path);
			return e;
		}
		off += (size_t)w;
	}
	return close(fd) ? -errno : 0;
}

int cmd_graft_new(struct ctl *c, int argc, char **argv)
{
	char dir[PATH_MAX], paths[8][PATH_MAX + 64];
	const struct vtl_embedded_file *f;
	const char *name;
	struct json *j;
	int n = 0, e;

	if (argc < 2)
		return ctl_err(c, -EINVAL, "graft new: missing NAME (try '%s graft help')", c->prog);
	if (argc > 3)
		return ctl_err(c, -EINVAL, "graft new: unexpected argument '%s'", argv[3]);
	name = argv[1];
	if (!name_ok(name))
		return ctl_err(c, -EINVAL, "graft new: bad name '%s': use a-z, 0-9 and '_', "
			       "starting with a letter, at most %d characters", name,
			       VTL_GRAFT_NAME_MAX - 1);
	if (snprintf(dir, sizeof(dir), "%s", argc > 2 ? argv[2] : name) >= (int)sizeof(dir))
		return ctl_err(c, -ENAMETOOLONG, "graft new: directory name too long");
	if (mkdir(dir, 0755) && errno != EEXIST)
		return ctl_err(c, -errno, "%s: %s", dir, strerror(errno));
	/* check first, so that nothing is half-written over existing files */
	for (f = vtl_graft_template; f->name; f++, n++) {
		char *fname;
		size_t fl;
		struct stat sb;

		if (n >= (int)(sizeof(paths) / sizeof(paths[0])))
			return ctl_err(c, -E2BIG, "graft new: template has too many files");
		fname = rename_all((const unsigned char *)f->name, strlen(f->name), name, &fl);
		if (!fname)
			return ctl_err(c, -ENOMEM, "out of memory");
		snprintf(paths[n], sizeof(paths[n]), "%s/%s", dir, fname);
		free(fname);
		if (!lstat(paths[n], &sb))
			return ctl_err(c, -EEXIST, "graft new: %s exists; not overwriting it",
				       paths[n]);
	}
	n = 0;
	for (f = vtl_graft_template; f->name; f++, n++) {
		size_t len;
		char *body = rename_all(f->data, f->len, name, &len);

		if (!body)
			return ctl_err(c, -ENOMEM, "out of memory");
		e = write_new(paths[n], body, len);
		free(body);
		if (e)
			return ctl_err(c, e, "%s: %s", paths[n], strerror(-e));
	}
	if (c->json) {
		j = ctl_json_open(c);
		if (!j)
			return ctl_err(c, -ENOMEM, "out of memory");
		json_obj_open(j);
		json_kv_str(j, "graft", name);
		json_kv_str(j, "dir", dir);
		json_key(j, "files");
		json_arr_open(j);
		for (int i = 0; i < n; i++)
			json_str(j, paths[i]);
		json_arr_close(j);
		json_obj_close(j);
		ctl_json_close(j);
		return 0;
	}
	for (int i = 0; i < n; i++)
		printf("created %s\n", paths[i]);
	printf("next:\n"
	       "  make -C %s                 (needs pkg-config vtl-ktf; "
	       "PKG_CONFIG_PATH=<prefix>/lib/pkgconfig)\n"
	       "  %s graft verify %s/%s.o\n"
	       "  sudo %s graft test %s/%s.o loss 1%%\n", dir, c->prog, dir, name, c->prog, dir,
	       name);
	return 0;
}

/* ---- test ------------------------------------------------------------- */

static int exe_dir(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);
	char *slash;

	if (n <= 0)
		return -1;
	buf[n] = '\0';
	slash = strrchr(buf, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	return 0;
}

/* The vtl-graft-test script: $VTL_GRAFT_TEST, the install tree (next to
 * this binary), or the source tree this vtlctl was built from. */
static int find_script(char *out, size_t len)
{
	const char *env = getenv("VTL_GRAFT_TEST");
	char dir[PATH_MAX];

	if (env && *env) {
		snprintf(out, len, "%s", env);
		return access(out, X_OK) ? -errno : 0;
	}
	if (!exe_dir(dir, sizeof(dir)) &&
	    snprintf(out, len, "%s/%s/vtl-graft-test", dir, VTL_LIBEXEC_REL) < (int)len &&
	    !access(out, X_OK))
		return 0;
	snprintf(out, len, "%s/tools/vtl-graft-test", VTL_SOURCE_DIR);
	return access(out, X_OK) ? -ENOENT : 0;
}

int cmd_graft_test(struct ctl *c, int argc, char **argv)
{
	static const char *const keys[] = {
		"loss", "delay", "rate", "jitter", "size", "seed", "timeout", "pool", NULL
	};
	char script[PATH_MAX], dir[PATH_MAX], opt[32];
	char **av = calloc((size_t)argc * 2 + 4, sizeof(*av));
	const char *file = NULL;
	int n = 0, e;

	if (!av)
		return ctl_err(c, -ENOMEM, "out of memory");
	e = find_script(script, sizeof(script));
	if (e) {
		free(av);
		return ctl_err(c, e, "graft test: cannot find vtl-graft-test (set VTL_GRAFT_TEST)");
	}
	av[n++] = script;
	if (c->json)
		av[n++] = "-j";
	for (int i = 1; i < argc; i++) {
		int k;

		for (k = 0; keys[k] && strcmp(keys[k], argv[i]); k++)
			;
		if (keys[k]) {
			if (i + 1 >= argc) {
				free(av);
				return ctl_err(c, -EINVAL, "graft test: %s needs a value", argv[i]);
			}
			snprintf(opt, sizeof(opt), "--%s", keys[k]);
			av[n++] = strdup(opt);
			av[n++] = argv[++i];
		} else if (!file && argv[i][0] != '-') {
			file = argv[i];
		} else {
			free(av);
			return ctl_err(c, -EINVAL, "graft test: unexpected argument '%s'", argv[i]);
		}
	}
	if (!file) {
		free(av);
		return ctl_err(c, -EINVAL, "graft test: missing FILE (try '%s graft help')", c->prog);
	}
	av[n++] = (char *)file;
	av[n] = NULL;
	/* the script finds vtld, vtlcat and vtl-netem next to this binary */
	if (!getenv("VTL_BIN") && !exe_dir(dir, sizeof(dir)))
		setenv("VTL_BIN", dir, 1);
	fflush(NULL);
	execv(script, av);
	e = -errno;
	free(av);
	return ctl_err(c, e, "%s: %s", script, strerror(-e));
}
