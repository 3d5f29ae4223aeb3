// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * vtlctl graft load FILE [replace] / graft unload NAME|FILE.
 *
 * vtld never writes to its pool; vtlctl does, with the pool directory's
 * own permissions, and vtld decides (docs/graft-pool.md, "Loading and
 * unloading with vtlctl"):
 *
 *   load    1. vtld validates FILE exactly as the pool does (GRAFT_LOAD
 *              PREPARE: graft_validate with the trial load) and names the
 *              pool file, DIR/NAME.o. A bad file stops here: nothing touched.
 *           2. vtlctl writes DIR/.NAME.o.vtlctl-PID (a dotfile: not a pool
 *              member), checks that its sha256 is the one vtld validated,
 *              keeps a hard link to a file it replaces, and renames it into
 *              place (RENAME_NOREPLACE unless replacing).
 *           3. GRAFT_LOAD COMMIT: vtld validates and applies the pool file
 *              and answers once it is in the pool. Should it refuse, the
 *              old file (or none) is put back.
 *   unload  GRAFT_UNLOAD CHECK (vtld refuses canonical and a graft in use),
 *           unlink, GRAFT_UNLOAD COMMIT (the graft leaves the pool now).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <vtl/errors.h>
#include "graft_check.h"
#include "sha256.h"
#include "vtlctl.h"

/* One GRAFT_LOAD round trip; *r gets the report, dest the pool file. */
static int load_rpc(struct ctl *c, __u32 step, __u32 flags, const char *path,
		    struct graft_report *r, struct vtl_ipc_graft_load *o)
{
	struct vtl_ipc_graft_load_req q = { .step = step, .flags = flags };
	__u8 *buf;
	size_t got;
	int e;

	if (strlen(path) >= sizeof(q.path))
		return ctl_err(c, -ENAMETOOLONG, "%s: path too long for vtld (max %zu)", path,
			       sizeof(q.path) - 1);
	strcpy(q.path, path);
	buf = malloc(VTL_IPC_MAX_MSG);
	if (!buf)
		return ctl_err(c, -ENOMEM, "out of memory");
	e = ctl_rpc(c, VTL_IPC_GRAFT_LOAD_REQ, &q, sizeof(q), VTL_IPC_GRAFT_LOAD, buf,
		    VTL_IPC_MAX_MSG, &got);
	if (!e) {
		memcpy(o, buf, got < sizeof(*o) ? 0 : sizeof(*o));
		if (got < sizeof(*o) || o->v.log_len > VTL_IPC_VERIFY_LOG_MAX ||
		    got != sizeof(*o) + o->v.log_len || o->v.verdict > 0 ||
		    !memchr(o->dest, 0, sizeof(o->dest)))
			e = ctl_err(c, -VTL_E_PROTO, "bad GRAFT_LOAD reply from vtld");
	}
	if (!e)
		ctl_report_from_ipc(&o->v, buf + sizeof(*o), r);
	free(buf);
	return e;
}

/* A rejected file: the report, and the error (JSON: one error document
 * with the validation's details). Returns 1. */
static int load_rejected(struct ctl *c, const char *file, const struct graft_report *r)
{
	static const char *const stage[] = { "ok", "file", "metadata", "object", "programs",
					     "load" };
	struct json *j;

	if (!c->json) {
		ctl_report_print(c, file, r);
		return ctl_err(c, r->verdict, "%s: not loaded; the pool is unchanged", file);
	}
	j = ctl_json_open(c);
	if (!j)
		return 1;
	json_obj_open(j);
	json_kv_str(j, "error", r->reason);
	json_key(j, "code");
	json_int(j, r->verdict);
	json_kv_str(j, "file", file);
	json_kv_str(j, "stage", r->stage < 6 ? stage[r->stage] : "?");
	json_kv_str(j, "program", r->prog);
	json_kv_str(j, "log", r->log);
	json_obj_close(j);
	ctl_json_close(j);
	return 1;
}

static int read_all(struct ctl *c, const char *path, void **out, size_t *len)
{
	struct stat sb;
	size_t got = 0;
	ssize_t n;
	char *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &sb) || !S_ISREG(sb.st_mode) || sb.st_size > GRAFT_FILE_MAX) {
		int e = fd < 0 || errno ? errno : 0;

		if (fd >= 0)
			close(fd);
		return ctl_err(c, e ? -e : -EINVAL, "%s: %s", path, e ? strerror(e) :
			       "not a regular file of at most 16 MiB");
	}
	buf = malloc(sb.st_size ? (size_t)sb.st_size : 1);
	while (buf && got < (size_t)sb.st_size &&
	       ((n = read(fd, buf + got, (size_t)sb.st_size - got)) > 0 || (n < 0 && errno == EINTR)))
		got += n > 0 ? (size_t)n : 0;
	close(fd);
	if (!buf || got != (size_t)sb.st_size) {
		free(buf);
		return ctl_err(c, buf ? -EIO : -ENOMEM, "%s: cannot read it whole", path);
	}
	*out = buf;
	*len = got;
	return 0;
}

/* Write data to tmp (new file) and make it durable. */
static int write_tmp(const char *tmp, const void *data, size_t len)
{
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	size_t off = 0;
	int e = 0;

	if (fd < 0)
		return -errno;
	while (off < len && !e) {
		ssize_t n = write(fd, (const char *)data + off, len - off);

		if (n > 0)
			off += (size_t)n;
		else if (n < 0 && errno != EINTR)
			e = -errno;
	}
	if (!e && fsync(fd))
		e = -errno;
	if (close(fd) && !e)
		e = -errno;
	if (e)
		unlink(tmp);
	return e;
}

static void print_loaded(struct ctl *c, const char *file, const struct graft_report *r,
			 const char *dest, bool replaced, bool already)
{
	char hex[2 * VTL_HASH_LEN + 1], name[VTL_GRAFT_NAME_MAX + 1] = "";
	struct json *j;

	sha256_hex(r->hash, hex);
	memcpy(name, r->meta.name, VTL_GRAFT_NAME_MAX);
	if (!c->json) {
		if (already)
			printf("%s: %s v%u is in the pool already, as %s (sha256 %.16s...)\n", file,
			       name, r->meta.version, dest, hex);
		else
			printf("loaded %s v%u from %s into the pool as %s (sha256 %.16s..., trial "
			       "load %llu us)%s\n", name, r->meta.version, file, dest, hex,
			       (unsigned long long)r->load_us, replaced ?
			       "; it replaced the previous file, whose sessions keep their build" :
			       "");
		return;
	}
	j = ctl_json_open(c);
	if (!j)
		return;
	json_obj_open(j);
	json_kv_str(j, "status", already ? "already" : "loaded");
	json_kv_str(j, "file", file);
	json_kv_str(j, "name", name);
	json_kv_uint(j, "version", r->meta.version);
	json_kv_str(j, "sha256", hex);
	json_kv_str(j, "path", dest);
	json_key(j, "replaced");
	json_bool(j, replaced);
	json_kv_uint(j, "load_us", r->load_us);
	json_obj_close(j);
	ctl_json_close(j);
}

int ctl_graft_load(struct ctl *c, int argc, char **argv)
{
	static struct graft_report r;
	static struct vtl_ipc_graft_load o;
	char abs[PATH_MAX], tmp[PATH_MAX], old[PATH_MAX] = "", *slash;
	char dir[VTL_IPC_VERIFY_PATH_MAX];
	__u8 hash[SHA256_LEN];
	__u32 flags = 0;
	bool replaces = false, have_old = false;
	void *data = NULL;
	size_t len = 0;
	int e;

	if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "replace")))
		return ctl_err(c, -EINVAL, "usage: graft load FILE [replace]%s%s%s",
			       argc == 3 ? " (unexpected '" : "", argc == 3 ? argv[2] : "",
			       argc == 3 ? "')" : "");
	if (argc == 3)
		flags |= VTL_LOAD_REPLACE;
	if (!realpath(argv[1], abs))
		return ctl_err(c, -errno, "%s: %s", argv[1], strerror(errno));
	if (read_all(c, abs, &data, &len))
		return 1;
	sha256(data, len, hash);
	/* 1. vtld validates; a bad file stops here */
	e = load_rpc(c, VTL_LOAD_PREPARE, flags, abs, &r, &o);
	if (!e && r.verdict)
		e = load_rejected(c, abs, &r);
	if (!e && o.identical) {
		print_loaded(c, abs, &r, o.dest, false, true);
		goto out;
	}
	if (!e && memcmp(hash, r.hash, sizeof(hash)))
		e = ctl_err(c, -ESTALE, "%s changed while vtld validated it; nothing loaded", abs);
	if (e || !strcmp(abs, o.dest))
		goto commit;   /* on error, or the file is in place already */
	/* 2. the pool file, written beside it and renamed into place */
	replaces = o.replaces;
	snprintf(dir, sizeof(dir), "%s", o.dest);
	slash = strrchr(dir, '/');
	if (!slash) {
		e = ctl_err(c, -VTL_E_PROTO, "vtld named pool file '%s'", o.dest);
		goto out;
	}
	*slash = '\0';
	snprintf(tmp, sizeof(tmp), "%s/.%s.vtlctl-%d", dir, slash + 1, (int)getpid());
	e = write_tmp(tmp, data, len);
	if (e) {
		e = ctl_err(c, e, "cannot write %s: %s; the pool is unchanged", tmp, strerror(-e));
		goto out;
	}
	if (replaces) {   /* keep the file we replace, to put it back if vtld refuses */
		snprintf(old, sizeof(old), "%s/.%s.vtlctl-old-%d", dir, slash + 1, (int)getpid());
		have_old = link(o.dest, old) == 0;
	}
	if (replaces ? rename(tmp, o.dest) :
	    renameat2(AT_FDCWD, tmp, AT_FDCWD, o.dest, RENAME_NOREPLACE)) {
		e = -errno;
		unlink(tmp);
		if (have_old)
			unlink(old);
		e = ctl_err(c, e, "cannot move it into the pool as %s: %s%s", o.dest, strerror(-e),
			    e == -EEXIST ? " (the file appeared meanwhile; add 'replace'?)" : "");
		goto out;
	}
commit:
	if (e)
		goto out;
	/* 3. vtld applies it and says so */
	e = load_rpc(c, VTL_LOAD_COMMIT, 0, o.dest, &r, &o);
	if (!e && r.verdict)
		e = load_rejected(c, o.dest, &r);
	if (e && strcmp(abs, o.dest)) {   /* undo step 2 */
		if (have_old ? rename(old, o.dest) : unlink(o.dest))
			fprintf(stderr, "%s: could not undo: %s: %s\n", c->prog, o.dest,
				strerror(errno));
		have_old = false;
	}
	if (!e)
		print_loaded(c, abs, &r, o.dest, o.replaces || replaces, false);
out:
	if (have_old)
		unlink(old);
	free(data);
	return e ? 1 : 0;
}

int ctl_graft_unload(struct ctl *c, int argc, char **argv)
{
	struct vtl_ipc_graft_unload_req q = { .step = VTL_UNLOAD_CHECK };
	struct vtl_ipc_graft_unload o, done;   /* CHECK's answer names the graft */
	char name[VTL_GRAFT_NAME_MAX + 1] = "";
	struct json *j;
	int e;

	if (argc != 2)
		return ctl_err(c, -EINVAL, "usage: graft unload NAME|FILE");
	if (strlen(argv[1]) >= sizeof(q.name) || !argv[1][0])
		return ctl_err(c, -EINVAL, "'%s': not a graft name or pool file", argv[1]);
	strcpy(q.name, argv[1]);
	e = ctl_rpc_fixed(c, VTL_IPC_GRAFT_UNLOAD_REQ, &q, sizeof(q), VTL_IPC_GRAFT_UNLOAD, &o,
			  sizeof(o), "GRAFT_UNLOAD");
	if (!e && !memchr(o.path, 0, sizeof(o.path)))
		e = ctl_err(c, -VTL_E_PROTO, "bad GRAFT_UNLOAD reply from vtld: path");
	if (!e) {
		if (unlink(o.path))
			e = ctl_err(c, -errno, "cannot remove %s: %s; the pool is unchanged", o.path,
				    strerror(errno));
	}
	if (!e) {
		q.step = VTL_UNLOAD_COMMIT;
		if (strlen(o.path) >= sizeof(q.name)) {   /* inotify removes it all the same */
			fprintf(stderr, "%s: %s removed; vtld drops it on its own\n", c->prog, o.path);
		} else {
			memcpy(q.name, o.path, strlen(o.path) + 1);
			e = ctl_rpc_fixed(c, VTL_IPC_GRAFT_UNLOAD_REQ, &q, sizeof(q),
					  VTL_IPC_GRAFT_UNLOAD, &done, sizeof(done), "GRAFT_UNLOAD");
		}
	}
	if (e)
		return e;
	memcpy(name, o.name, VTL_GRAFT_NAME_MAX);
	if (!c->json) {
		printf("unloaded %s v%u: %s removed from the pool\n", name, o.version, o.path);
		return 0;
	}
	j = ctl_json_open(c);
	if (j) {
		json_obj_open(j);
		json_kv_str(j, "status", "unloaded");
		json_kv_str(j, "name", name);
		json_kv_uint(j, "version", o.version);
		json_kv_str(j, "path", o.path);
		json_obj_close(j);
		ctl_json_close(j);
	}
	return 0;
}
