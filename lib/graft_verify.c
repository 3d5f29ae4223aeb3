// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * graft_validate(): everything vtld checks before a graft object enters
 * the pool, in one function shared with `vtlctl graft verify`.
 *
 *   1. the file: a regular file of at most GRAFT_FILE_MAX bytes, read once;
 *      every later step works on that one snapshot
 *   2. sha256 of the bytes (the content hash NEGO names)
 *   3. ELF structure and .vtl.meta (graft_parse_meta), metadata ranges
 *   4. libbpf opens it (sections, relocations, BTF)
 *   5. programs: vtl_egress is SEC("tc"), vtl_ingress / vtl_listener are
 *      SEC("xdp"); any other program must be XDP or tc too; the roles
 *      declared in .vtl.meta are exactly the role programs present
 *   6. with GRAFT_V_TRIAL: a standalone load (verifier and JIT). Its maps
 *      are created fresh and freed with it; nothing is shared with the
 *      running daemon, nothing is attached. vtl_window is set to the
 *      declared default, as the Launcher would. On failure the verifier
 *      log's tail (the failing instruction and its context) is kept.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/libbpf.h>
#include "graft_check.h"
#include "sha256.h"

#define VLOG_BUF (256u << 10)   /* the kernel keeps the log's tail when it overflows */

static const struct {
	const char *prog;
	__u32 role;
	enum bpf_prog_type type;
	const char *sec;
} roles[] = {
	{ "vtl_egress",   VTL_ROLE_EGRESS,   BPF_PROG_TYPE_SCHED_CLS, "tc" },
	{ "vtl_ingress",  VTL_ROLE_INGRESS,  BPF_PROG_TYPE_XDP,       "xdp" },
	{ "vtl_listener", VTL_ROLE_LISTENER, BPF_PROG_TYPE_XDP,       "xdp" },
};
#define NROLES (sizeof(roles) / sizeof(roles[0]))

static __u64 mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int fail(struct graft_report *r, __u32 stage, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(struct graft_report *r, __u32 stage, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
	va_end(ap);
	r->stage = stage;
	r->verdict = err < 0 ? err : -EINVAL;
	return r->verdict;
}

/* Read the whole file through one descriptor; r->fid names what was read. */
static int read_file(const char *path, struct graft_report *r, void **out, size_t *len)
{
	struct stat sb;
	size_t got = 0;
	char *buf;
	int fd, e;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		e = -errno;
		graft_fid_of(path, &r->fid);
		return fail(r, VTL_VERIFY_FILE, e, "%s: %s", path, strerror(-e));
	}
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode) || sb.st_size > GRAFT_FILE_MAX) {
		e = S_ISREG(sb.st_mode) ? -EFBIG : -EINVAL;
		close(fd);
		return fail(r, VTL_VERIFY_FILE, e, "%s: %s", path, e == -EFBIG ?
			    "larger than " "16 MiB, not a graft" : "not a regular file");
	}
	r->fid = (struct graft_fid){ sb.st_dev, sb.st_ino, sb.st_size, sb.st_mtim };
	buf = malloc(sb.st_size ? (size_t)sb.st_size : 1);
	while (buf && got < (size_t)sb.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)sb.st_size - got);

		if (n <= 0) {
			e = n < 0 ? -errno : -EIO;
			free(buf);
			close(fd);
			return fail(r, VTL_VERIFY_FILE, e, "%s: read: %s", path,
				    n < 0 ? strerror(-e) : "file shrank while reading");
		}
		got += (size_t)n;
	}
	close(fd);
	if (!buf)
		return fail(r, VTL_VERIFY_FILE, -ENOMEM, "%s: out of memory", path);
	*out = buf;
	*len = got;
	return 0;
}

/* Keep the last GRAFT_LOG_LINES lines of log in r->log. */
static void log_tail(struct graft_report *r, const char *log)
{
	size_t len = strnlen(log, VLOG_BUF), start;
	int lines = 0;

	while (len && (log[len - 1] == '\n' || log[len - 1] == '\0'))
		len--;
	start = len;
	while (start > 0 && lines < GRAFT_LOG_LINES) {
		start--;
		if (log[start] == '\n' && ++lines == GRAFT_LOG_LINES)
			start++;
	}
	if (len - start >= sizeof(r->log)) {  /* long lines: cut at a line start */
		const char *nl;

		start = len - (sizeof(r->log) - 1);
		nl = memchr(log + start, '\n', len - start);
		if (nl)
			start = (size_t)(nl + 1 - log);
	}
	memcpy(r->log, log + start, len - start);
	r->log[len - start] = '\0';
}

/* From a verifier log: the last instruction it looked at ("12: (71) r1 =
 * ...", without the state comment) and the line after it, which is the
 * verifier's complaint. False if the log has no such pair. */
static bool verifier_said(const char *log, char *insn, size_t ilen, char *msg, size_t mlen)
{
	const char *p = log, *last = NULL;
	char line[256], *op, *end;

	for (; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p)) {
		const char *q = p;

		while (*q >= '0' && *q <= '9')
			q++;
		if (q > p && q[0] == ':' && q[1] == ' ' && q[2] == '(' && strchr(p, '\n'))
			last = p;
	}
	if (!last)
		return false;
	p = strchr(last, '\n') + 1;
	if (!*p || (*p >= '0' && *p <= '9') || *p == ';')
		return false;
	/* "12: (71) r1 = *(u8 *)(r1 +35)   ; R1=..." -> "12: r1 = *(u8 *)(r1 +35)" */
	snprintf(line, sizeof(line), "%.*s", (int)strcspn(last, "\n"), last);
	line[strcspn(line, ";")] = '\0';
	for (size_t n = strlen(line); n && line[n - 1] == ' '; n--)
		line[n - 1] = '\0';
	op = strchr(line, '(');
	end = op ? strchr(op, ')') : NULL;
	if (end && end[1] == ' ')
		memmove(op, end + 2, strlen(end + 2) + 1);
	snprintf(insn, ilen, "%s", line);
	snprintf(msg, mlen, "%.*s", (int)strcspn(p, "\n"), p);
	return true;
}

static const char *type_str(enum bpf_prog_type t)
{
	const char *s = libbpf_bpf_prog_type_str(t);

	return s ? s : "unknown";
}

static int check_progs(struct bpf_object *obj, const char *path, struct graft_report *r)
{
	struct bpf_program *p;
	__u32 missing, extra;

	bpf_object__for_each_program(p, obj) {
		const char *name = bpf_program__name(p);
		enum bpf_prog_type t = bpf_program__type(p);
		size_t i;

		for (i = 0; i < NROLES && strcmp(name, roles[i].prog); i++)
			;
		if (i < NROLES) {
			if (t != roles[i].type)
				return fail(r, VTL_VERIFY_PROGS, -EINVAL,
					    "%s: program %s is %s (SEC(\"%s\")), expected %s "
					    "(SEC(\"%s\"))", path, name, type_str(t),
					    bpf_program__section_name(p),
					    type_str(roles[i].type), roles[i].sec);
			r->roles_found |= roles[i].role;
		} else if (t != BPF_PROG_TYPE_XDP && t != BPF_PROG_TYPE_SCHED_CLS) {
			return fail(r, VTL_VERIFY_PROGS, -EINVAL,
				    "%s: unexpected program %s of type %s (SEC(\"%s\")): a graft "
				    "carries XDP and tc programs only", path, name, type_str(t),
				    bpf_program__section_name(p));
		}
	}
	missing = r->meta.roles & ~r->roles_found;
	extra = r->roles_found & ~r->meta.roles;
	for (size_t i = 0; i < NROLES; i++) {
		if (missing & roles[i].role)
			return fail(r, VTL_VERIFY_PROGS, -EINVAL,
				    "%s: metadata declares role %s but the object has no program "
				    "%s", path, roles[i].prog + 4, roles[i].prog);
		if (extra & roles[i].role)
			return fail(r, VTL_VERIFY_PROGS, -EINVAL,
				    "%s: program %s is present but its role %s is not declared "
				    "in the metadata", path, roles[i].prog, roles[i].prog + 4);
	}
	return 0;
}

static int trial_load(struct bpf_object *obj, const char *path, char *vlog,
		      struct graft_report *r)
{
	char insn[96], msg[160];
	struct bpf_program *p;
	__u64 t0;
	int e;

	e = vtl_obj_set_u32(obj, "vtl_window", r->meta.window_default);
	if (e && e != -ENOENT)
		return fail(r, VTL_VERIFY_LOAD, e, "%s: cannot set tunable vtl_window: %s", path,
			    strerror(-e));
	r->trial = true;
	t0 = mono_us();
	e = bpf_object__load(obj);
	r->load_us = mono_us() - t0;
	if (!e)
		return 0;
	/* libbpf loads programs in order and stops at the first failure */
	bpf_object__for_each_program(p, obj) {
		if (bpf_program__autoload(p) && bpf_program__fd(p) < 0) {
			snprintf(r->prog, sizeof(r->prog), "%s", bpf_program__name(p));
			break;
		}
	}
	log_tail(r, vlog);
	if (e == -EPERM && !r->log[0])
		return fail(r, VTL_VERIFY_LOAD, e, "%s: trial load: %s (needs root, or CAP_BPF "
			    "and CAP_NET_ADMIN)", path, strerror(-e));
	if (r->prog[0] && verifier_said(r->log, insn, sizeof(insn), msg, sizeof(msg)))
		return fail(r, VTL_VERIFY_LOAD, e, "%s: the verifier rejected program %s: %s "
			    "(insn %s)", path, r->prog, msg, insn);
	if (r->prog[0])
		return fail(r, VTL_VERIFY_LOAD, e, "%s: the verifier rejected program %s: %s",
			    path, r->prog, strerror(-e));
	return fail(r, VTL_VERIFY_LOAD, e, "%s: trial load failed: %s", path, strerror(-e));
}

int graft_validate(const char *path, unsigned flags, struct graft_report *r)
{
	char objname[64], *vlog = NULL;
	const char *base = strrchr(path, '/');
	struct bpf_object *obj;
	void *buf = NULL;
	size_t len = 0;
	int e;

	memset(r, 0, sizeof(*r));
	if (read_file(path, r, &buf, &len))
		return r->verdict;
	sha256(buf, len, r->hash);
	r->has_hash = true;
	e = graft_parse_meta(buf, len, path, &r->meta, r->reason, sizeof(r->reason));
	if (e) {
		r->stage = VTL_VERIFY_META;
		r->verdict = e;
		goto out;
	}
	r->has_meta = true;

	snprintf(objname, sizeof(objname), "%s", base ? base + 1 : path);
	objname[strcspn(objname, ".")] = '\0';
	vlog = (flags & GRAFT_V_TRIAL) ? calloc(1, VLOG_BUF) : NULL;
	if ((flags & GRAFT_V_TRIAL) && !vlog) {
		fail(r, VTL_VERIFY_LOAD, -ENOMEM, "%s: out of memory", path);
		goto out;
	}
	{
		/* log level 0: no log on success; on failure libbpf loads again
		 * at level 1 into vlog */
		LIBBPF_OPTS(bpf_object_open_opts, o, .object_name = objname,
			    .kernel_log_buf = vlog, .kernel_log_size = vlog ? VLOG_BUF : 0,
			    .kernel_log_level = 0);

		obj = bpf_object__open_mem(buf, len, &o);
	}
	if (!obj) {
		e = -errno;
		fail(r, VTL_VERIFY_OBJECT, e, "%s: not a loadable BPF object: %s", path,
		     strerror(-e));
		goto out;
	}
	if (!check_progs(obj, path, r) && (flags & GRAFT_V_TRIAL))
		trial_load(obj, path, vlog, r);
	bpf_object__close(obj);
out:
	if (r->verdict && !r->reason[0])
		snprintf(r->reason, sizeof(r->reason), "%s: validation failed: %s", path,
			 strerror(-r->verdict));
	if (!r->verdict)
		r->stage = VTL_VERIFY_OK;
	free(vlog);
	free(buf);
	return r->verdict;
}
