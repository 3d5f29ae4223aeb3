// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * vtlctl graft: the graft pool.
 *   graft list               every graft vtld knows: in the pool, replaced
 *                            but still in use, rejected (with the reason)
 *   graft show NAME|FILE     the entries of that name (or file), in full
 *   graft verify [daemon] FILE
 *                            validate FILE as vtld would on add: metadata,
 *                            sha256, programs vs roles, trial load. Runs
 *                            here, without a daemon (needs root for the
 *                            trial load); the keyword daemon asks vtld
 *                            (a keyword, not an option: vtlctl's options
 *                            come before the object). Exit 0 good, 1 not.
 *   graft new, graft test    the developer kit: graft_kit.c
 *   graft load FILE [replace], graft unload NAME|FILE: graft_load.c
 * list and show use VTL_IPC_GRAFT_LIST (paged); verify -d uses
 * VTL_IPC_GRAFT_VERIFY. The validation itself is lib/graft_verify.c, vtld's own.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <bpf/libbpf.h>
#include <vtl/errors.h>
#include <vtl/vtl.h>
#include "ipc_client.h"
#include "graft_check.h"
#include "sha256.h"
#include "vtlctl.h"

#define RPC_TIMEOUT_MS 10000   /* a verification may wait behind others */
#define LIST_MAX       4096    /* more entries than any pool can list */

static const char *const stage_names[] = {
	[VTL_VERIFY_OK] = "ok", [VTL_VERIFY_FILE] = "file", [VTL_VERIFY_META] = "metadata",
	[VTL_VERIFY_OBJECT] = "object", [VTL_VERIFY_PROGS] = "programs",
	[VTL_VERIFY_LOAD] = "load",
};

static const char *stage_name(__u32 s)
{
	return s < sizeof(stage_names) / sizeof(stage_names[0]) ? stage_names[s] : "?";
}

static const char *state_name(__u32 s)
{
	return s == VTL_GRAFT_OK ? "ok" : s == VTL_GRAFT_REJECTED ? "rejected" :
	       s == VTL_GRAFT_REPLACED ? "replaced" : "?";
}

static bool zero_hash(const __u8 *h)
{
	static const __u8 z[VTL_HASH_LEN];

	return !memcmp(h, z, VTL_HASH_LEN);
}

/* One request, one reply of type want into buf (cap >= VTL_IPC_MAX_DATA).
 * The framing checks are vtl__recv's; the graft types are not libvtl's,
 * so the body is checked by the caller. Returns 0 or the exit code. */
int ctl_rpc_quiet(struct ctl *c, __u16 type, const void *req, size_t len, __u16 want,
		  void *buf, size_t cap, size_t *got)
{
	int q = c->quiet, r;

	c->quiet = 1;
	r = ctl_rpc(c, type, req, len, want, buf, cap, got);
	c->quiet = q;
	return r;
}

int ctl_rpc(struct ctl *c, __u16 type, const void *req, size_t len, __u16 want,
	    void *buf, size_t cap, size_t *got)
{
	char err[VTL__ERRLEN] = "";
	struct vtl_ipc_hdr h;
	struct iovec iov[2] = { { &h, sizeof(h) }, { buf, cap } };
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2 };
	struct vtl_ipc_error e;
	ssize_t n = -1;
	int fd, r;

	fd = vtl__open_control(c->socket, NULL, err, sizeof(err));
	if (fd < 0)
		return ctl_err(c, fd, "%s", *err ? err : vtl_strerror(fd));
	r = vtl__send(fd, type, req, len, 0);
	if (!r) {
		r = vtl__wait(fd, POLLIN, vtl__now_ms() + RPC_TIMEOUT_MS);
		r = r == 0 ? -ETIMEDOUT : r < 0 ? r : 0;
	}
	if (!r) {
		do {
			n = recvmsg(fd, &m, MSG_TRUNC);
		} while (n < 0 && errno == EINTR);
		r = n < 0 ? -errno : n == 0 ? -VTL_E_DAEMON : 0;
	}
	close(fd);
	if (r == -ETIMEDOUT)
		return ctl_err(c, r, "vtld did not answer within %d ms", RPC_TIMEOUT_MS);
	if (r)
		return ctl_err(c, r, "%s", vtl_strerror(r));
	if ((size_t)n < sizeof(h) || (m.msg_flags & MSG_TRUNC) || h.magic != VTL_IPC_MAGIC ||
	    h.flags || h.reserved || h.len != (size_t)n - sizeof(h))
		return ctl_err(c, -VTL_E_PROTO, "bad reply from vtld: malformed header");
	if (h.type == VTL_IPC_ERROR) {
		if (vtl__body_ok(h.type, buf, h.len))
			return ctl_err(c, -VTL_E_PROTO, "bad reply from vtld: bad ERROR");
		memcpy(&e, buf, sizeof(e));
		e.msg[sizeof(e.msg) - 1] = '\0';
		e.msg[strcspn(e.msg, "\r\n")] = '\0';
		return ctl_err(c, e.code, "vtld: %s", e.msg[0] ? e.msg : vtl_strerror(e.code));
	}
	if (h.type != want)
		return ctl_err(c, -VTL_E_PROTO, "unexpected reply type %u from vtld (is it "
			       "older than this vtlctl?)", h.type);
	*got = h.len;
	return 0;
}

int ctl_rpc_fixed(struct ctl *c, __u16 type, const void *req, size_t len, __u16 want,
		  void *out, size_t outlen, const char *what)
{
	void *buf = malloc(VTL_IPC_MAX_MSG);
	size_t got;
	int e;

	if (!buf)
		return ctl_err(c, -ENOMEM, "out of memory");
	e = ctl_rpc(c, type, req, len, want, buf, VTL_IPC_MAX_MSG, &got);
	if (!e && got != outlen)
		e = ctl_err(c, -VTL_E_PROTO, "bad %s reply from vtld (%zu bytes, expected %zu)",
			    what, got, outlen);
	if (!e)
		memcpy(out, buf, outlen);
	free(buf);
	return e;
}

static int state_rank(__u32 s)
{
	return s == VTL_GRAFT_OK ? 0 : s == VTL_GRAFT_REPLACED ? 1 : 2;
}

/* ok, then replaced, then rejected; by name, version, path */
static int entry_cmp(const void *pa, const void *pb)
{
	const struct vtl_ipc_graft_entry *a = pa, *b = pb;
	int d = state_rank(a->state) - state_rank(b->state);

	if (!d)
		d = strncmp(a->name, b->name, VTL_GRAFT_NAME_MAX);
	if (!d)
		d = a->version < b->version ? -1 : a->version > b->version;
	return d ? d : strcmp(a->path, b->path);
}

/* The whole listing, every page, sorted. Returns 0 or the exit code. */
static int fetch_list(struct ctl *c, struct vtl_ipc_graft_entry **out, __u32 *count)
{
	struct vtl_ipc_graft_list_req q = { 0 };
	struct vtl_ipc_graft_entry *all = NULL;
	__u8 *buf = malloc(VTL_IPC_MAX_MSG);
	__u32 total = 0;
	size_t got;
	int r = 0;

	if (!buf)
		return ctl_err(c, -ENOMEM, "out of memory");
	do {
		struct vtl_ipc_graft_list l;

		r = ctl_rpc(c, VTL_IPC_GRAFT_LIST_REQ, &q, sizeof(q), VTL_IPC_GRAFT_LIST, buf,
			VTL_IPC_MAX_MSG, &got);
		if (r)
			break;
		memcpy(&l, buf, got < sizeof(l) ? 0 : sizeof(l));
		if (got < sizeof(l) || got != sizeof(l) + (size_t)l.n * sizeof(*all) ||
		    l.start != q.start || l.total > LIST_MAX || l.n > l.total - l.start ||
		    (!l.n && l.start != l.total) || (all && l.total != total)) {
			r = ctl_err(c, -VTL_E_PROTO, "bad GRAFT_LIST reply from vtld");
			break;
		}
		if (!all) {
			total = l.total;
			all = calloc(total ? total : 1, sizeof(*all));
			if (!all) {
				r = ctl_err(c, -ENOMEM, "out of memory");
				break;
			}
		}
		memcpy(all + l.start, buf + sizeof(l), (size_t)l.n * sizeof(*all));
		q.start += l.n;
	} while (q.start < total);
	free(buf);
	if (r) {
		free(all);
		return r;
	}
	for (__u32 i = 0; i < total; i++) {  /* strings from the daemon: terminate */
		all[i].path[sizeof(all[i].path) - 1] = '\0';
		all[i].reason[sizeof(all[i].reason) - 1] = '\0';
	}
	qsort(all, total, sizeof(*all), entry_cmp);
	*out = all;
	*count = total;
	return 0;
}

/* A reason usually starts with the file's path, shown elsewhere. */
static const char *bare_reason(const char *reason, const char *path)
{
	size_t n = strlen(path);

	return !strncmp(reason, path, n) && !strncmp(reason + n, ": ", 2) ? reason + n + 2 :
	       reason;
}

static void name_str(const char *name, char *buf)
{
	size_t i;

	for (i = 0; i < VTL_GRAFT_NAME_MAX && name[i]; i++)
		buf[i] = name[i] > 0x20 && name[i] < 0x7f ? name[i] : '?';
	buf[i] = '\0';
}

static void entry_json(struct json *j, const struct vtl_ipc_graft_entry *e)
{
	char hex[2 * VTL_HASH_LEN + 1] = "";

	if (!zero_hash(e->hash))
		sha256_hex(e->hash, hex);
	json_obj_open(j);
	json_key(j, "name");
	json_strn(j, e->name, VTL_GRAFT_NAME_MAX);
	json_kv_uint(j, "version", e->version);
	json_kv_str(j, "state", state_name(e->state));
	json_key(j, "services");
	ctl_json_services(j, e->services);
	json_key(j, "roles");
	ctl_json_roles(j, e->roles);
	json_kv_uint(j, "window_default", e->window_default);
	json_kv_uint(j, "window_min", e->window_min);
	json_kv_uint(j, "window_max", e->window_max);
	json_kv_uint(j, "max_loss_ppm", e->max_loss_ppm);
	json_kv_uint(j, "users", e->users);
	json_kv_str(j, "sha256", hex);
	json_kv_str(j, "path", e->path);
	json_kv_uint(j, "trial_load_us", e->load_us);
	json_kv_str(j, "reason", bare_reason(e->reason, e->path));
	json_obj_close(j);
}

static int graft_list(struct ctl *c, int argc, char **argv)
{
	struct vtl_ipc_graft_entry *e;
	char svc[64], roles[64], win[32], name[VTL_GRAFT_NAME_MAX + 1];
	char hex[2 * VTL_HASH_LEN + 1];
	struct json *j;
	__u32 n;
	int r;

	if (argc > 1)
		return ctl_err(c, -EINVAL, "graft list: unexpected argument '%s'", argv[1]);
	r = fetch_list(c, &e, &n);
	if (r)
		return r;
	if (c->json) {
		j = ctl_json_open(c);
		if (!j) {
			free(e);
			return ctl_err(c, -ENOMEM, "out of memory");
		}
		json_arr_open(j);
		for (__u32 i = 0; i < n; i++)
			entry_json(j, &e[i]);
		json_arr_close(j);
		ctl_json_close(j);
		free(e);
		return 0;
	}
	if (!n)
		printf("no grafts in the pool\n");
	else
		printf("%-16s %4s  %-8s %-24s %-24s %13s %8s  %-12s  %s\n", "GRAFT", "VER",
		       "STATE", "SERVICES", "ROLES", "WINDOW", "SESSIONS", "SHA256", "PATH");
	for (__u32 i = 0; i < n; i++) {
		name_str(e[i].name, name);
		sha256_hex(e[i].hash, hex);
		snprintf(win, sizeof(win), "%u/%u..%u", e[i].window_default, e[i].window_min,
			 e[i].window_max);
		printf("%-16s %4u  %-8s %-24s %-24s %13s %8u  %.12s  %s\n", name[0] ? name : "-",
		       e[i].version, state_name(e[i].state),
		       ctl_services_str(e[i].services, svc, sizeof(svc)),
		       ctl_roles_str(e[i].roles, roles, sizeof(roles)), e[i].version ? win : "-",
		       e[i].users, zero_hash(e[i].hash) ? "-" : hex, e[i].path);
		if (e[i].reason[0])
			printf("%22s%s\n", "", bare_reason(e[i].reason, e[i].path));
	}
	free(e);
	return 0;
}

static bool entry_matches(const struct vtl_ipc_graft_entry *e, const char *what)
{
	const char *base = strrchr(e->path, '/');

	return !strncmp(e->name, what, VTL_GRAFT_NAME_MAX) || !strcmp(e->path, what) ||
	       (base && !strcmp(base + 1, what));
}

static int graft_show(struct ctl *c, int argc, char **argv)
{
	struct vtl_ipc_graft_entry *e;
	char svc[64], roles[64], name[VTL_GRAFT_NAME_MAX + 1], hex[2 * VTL_HASH_LEN + 1];
	struct json *j = NULL;
	__u32 n, hits = 0;
	int r;

	if (argc < 2)   /* "graft show" alone lists, as it always did */
		return graft_list(c, argc, argv);
	if (argc > 2)
		return ctl_err(c, -EINVAL, "graft show: unexpected argument '%s'", argv[2]);
	r = fetch_list(c, &e, &n);
	if (r)
		return r;
	for (__u32 i = 0; i < n; i++)
		hits += entry_matches(&e[i], argv[1]);
	if (!hits) {
		free(e);
		return ctl_err(c, -VTL_E_NOGRAFT, "no graft or file '%s' in the pool", argv[1]);
	}
	if (c->json && !(j = ctl_json_open(c))) {
		free(e);
		return ctl_err(c, -ENOMEM, "out of memory");
	}
	if (j)
		json_arr_open(j);
	for (__u32 i = 0, k = 0; i < n; i++) {
		const struct vtl_ipc_graft_entry *x = &e[i];

		if (!entry_matches(x, argv[1]))
			continue;
		if (j) {
			entry_json(j, x);
			continue;
		}
		name_str(x->name, name);
		sha256_hex(x->hash, hex);
		printf("%s%s v%u (%s)\n", k++ ? "\n" : "", name[0] ? name : "-", x->version,
		       state_name(x->state));
		printf("  path          %s\n", x->path);
		printf("  sha256        %s\n", zero_hash(x->hash) ? "-" : hex);
		printf("  services      %s\n", ctl_services_str(x->services, svc, sizeof(svc)));
		printf("  roles         %s\n", ctl_roles_str(x->roles, roles, sizeof(roles)));
		printf("  window        default %u, range %u..%u\n", x->window_default,
		       x->window_min, x->window_max);
		printf("  max_loss_ppm  %u\n", x->max_loss_ppm);
		printf("  sessions      %u\n", x->users);
		if (x->load_us)
			printf("  trial load    %u us\n", x->load_us);
		if (x->reason[0])
			printf("  reason        %s\n", bare_reason(x->reason, x->path));
	}
	if (j) {
		json_arr_close(j);
		ctl_json_close(j);
	}
	free(e);
	return 0;
}

/* ---- verify -------------------------------------------------------------- */

static void report_json(struct ctl *c, const char *file, const struct graft_report *r)
{
	char hex[2 * VTL_HASH_LEN + 1] = "";
	struct json *j = ctl_json_open(c);

	if (!j)
		return;
	if (r->has_hash)
		sha256_hex(r->hash, hex);
	json_obj_open(j);
	json_kv_str(j, "file", file);
	json_key(j, "ok");
	json_bool(j, !r->verdict);
	json_kv_str(j, "stage", stage_name(r->stage));
	json_kv_str(j, "reason", bare_reason(r->reason, file));
	json_key(j, "code");
	json_int(j, r->verdict);
	if (r->has_meta) {
		json_key(j, "name");
		json_strn(j, r->meta.name, VTL_GRAFT_NAME_MAX);
		json_kv_uint(j, "version", r->meta.version);
		json_key(j, "services");
		ctl_json_services(j, r->meta.services);
		json_key(j, "roles");
		ctl_json_roles(j, r->meta.roles);
		json_kv_uint(j, "window_default", r->meta.window_default);
		json_kv_uint(j, "window_min", r->meta.window_min);
		json_kv_uint(j, "window_max", r->meta.window_max);
		json_kv_uint(j, "max_loss_ppm", r->meta.max_loss_ppm);
	}
	json_key(j, "programs");
	ctl_json_roles(j, r->roles_found);
	json_kv_str(j, "sha256", hex);
	json_key(j, "trial_load");
	json_bool(j, r->trial);
	json_kv_uint(j, "load_us", r->load_us);
	json_kv_str(j, "program", r->prog);
	json_kv_str(j, "log", r->log);
	json_obj_close(j);
	ctl_json_close(j);
}

static void report_text(const char *file, const struct graft_report *r)
{
	char svc[64], roles[64], progs[64], hex[2 * VTL_HASH_LEN + 1];
	char name[VTL_GRAFT_NAME_MAX + 1];

	if (r->verdict)
		printf("%s: REJECTED at the %s stage\n  reason      %s\n", file,
		       stage_name(r->stage), bare_reason(r->reason, file));
	else
		printf("%s: ok\n", file);
	if (r->has_meta) {
		name_str(r->meta.name, name);
		printf("  graft       %s v%u\n", name, r->meta.version);
		printf("  services    %s\n", ctl_services_str(r->meta.services, svc, sizeof(svc)));
		printf("  roles       %s (programs: %s)\n",
		       ctl_roles_str(r->meta.roles, roles, sizeof(roles)),
		       ctl_roles_str(r->roles_found, progs, sizeof(progs)));
		printf("  window      default %u, range %u..%u\n", r->meta.window_default,
		       r->meta.window_min, r->meta.window_max);
		printf("  max loss    %u ppm\n", r->meta.max_loss_ppm);
	}
	if (r->has_hash) {
		sha256_hex(r->hash, hex);
		printf("  sha256      %s\n", hex);
	}
	if (r->trial)
		printf("  trial load  %llu us%s\n", (unsigned long long)r->load_us,
		       r->verdict ? " (failed)" : " (verifier + JIT, fresh maps)");
	else if (!r->verdict)
		printf("  trial load  not run\n");
	if (r->log[0]) {
		printf("  verifier log%s%s, last lines:\n", r->prog[0] ? " of " : "", r->prog);
		for (const char *p = r->log; *p;) {
			int ln = (int)strcspn(p, "\n");

			printf("    %.*s\n", ln, p);
			p += ln + (p[ln] == '\n');
		}
	}
}

/* vtld's answer as a graft_report. Returns 0 or the exit code. */
static int verify_remote(struct ctl *c, const char *path, struct graft_report *r)
{
	struct vtl_ipc_graft_verify_req q = { 0 };
	struct vtl_ipc_graft_verify v;
	__u8 *buf = malloc(VTL_IPC_MAX_MSG);
	size_t got;
	int e;

	if (!buf)
		return ctl_err(c, -ENOMEM, "out of memory");
	if (strlen(path) >= sizeof(q.path)) {
		free(buf);
		return ctl_err(c, -ENAMETOOLONG, "%s: path too long for vtld (max %zu)", path,
			       sizeof(q.path) - 1);
	}
	memcpy(q.path, path, strlen(path) + 1);
	e = ctl_rpc(c, VTL_IPC_GRAFT_VERIFY_REQ, &q, sizeof(q), VTL_IPC_GRAFT_VERIFY, buf,
		VTL_IPC_MAX_MSG, &got);
	if (!e) {
		memcpy(&v, buf, got < sizeof(v) ? 0 : sizeof(v));
		if (got < sizeof(v) || v.log_len > VTL_IPC_VERIFY_LOG_MAX ||
		    got != sizeof(v) + v.log_len || v.verdict > 0)
			e = ctl_err(c, -VTL_E_PROTO, "bad GRAFT_VERIFY reply from vtld");
	}
	if (e) {
		free(buf);
		return e;
	}
	ctl_report_from_ipc(&v, buf + sizeof(v), r);
	free(buf);
	return 0;
}

/* v->log_len bytes of log follow in log (checked by the caller). */
void ctl_report_from_ipc(const struct vtl_ipc_graft_verify *v, const void *log,
			 struct graft_report *r)
{
	memset(r, 0, sizeof(*r));
	r->verdict = v->verdict;
	r->stage = v->stage;
	r->has_meta = v->has_meta;
	r->meta = v->meta;
	r->meta.name[VTL_GRAFT_NAME_MAX - 1] = '\0';
	r->has_hash = v->has_hash;
	memcpy(r->hash, v->hash, sizeof(r->hash));
	r->roles_found = v->roles_found;
	r->load_us = v->load_us;
	r->trial = v->load_us > 0;
	memcpy(r->reason, v->reason, sizeof(v->reason) - 1);
	memcpy(r->prog, v->prog, sizeof(v->prog) - 1);
	memcpy(r->log, log, v->log_len < sizeof(r->log) ? v->log_len : sizeof(r->log) - 1);
}

void ctl_report_print(struct ctl *c, const char *file, const struct graft_report *r)
{
	if (c->json)
		report_json(c, file, r);
	else
		report_text(file, r);
}

static int graft_verify(struct ctl *c, int argc, char **argv)
{
	static struct graft_report r;
	const char *file = NULL;
	char abs[PATH_MAX];
	bool remote = false;
	int e;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "daemon") && !remote && !file)
			remote = true;
		else if (file)
			return ctl_err(c, -EINVAL, "graft verify: unexpected argument '%s'", argv[i]);
		else
			file = argv[i];
	}
	if (!file)
		return ctl_err(c, -EINVAL, "graft verify: missing FILE (try '%s help')", c->prog);
	if (!realpath(file, abs))
		return ctl_err(c, -errno, "%s: %s", file, strerror(errno));
	if (remote) {
		e = verify_remote(c, abs, &r);
		if (e)
			return e;
	} else {
		libbpf_set_print(NULL);   /* everything worth saying is in the report */
		graft_validate(abs, GRAFT_V_TRIAL, &r);
		if (r.verdict == -EPERM && r.stage == VTL_VERIFY_LOAD)
			snprintf(r.reason + strlen(r.reason), sizeof(r.reason) - strlen(r.reason),
				 "; or ask vtld: %s graft verify daemon FILE", c->prog);
	}
	if (r.verdict && r.stage == VTL_VERIFY_FILE)
		return ctl_err(c, r.verdict, "%s", r.reason);
	ctl_report_print(c, abs, &r);
	return r.verdict ? 1 : 0;
}

static const struct ctl_cmd graft_verbs[] = {
	{ "list",   graft_list,   "", "the pool: ok, replaced and rejected grafts" },
	{ "show",   graft_show,   "[NAME|FILE]", "one graft in full (no argument: list)" },
	{ "verify", graft_verify, "[daemon] FILE",
	  "validate FILE as vtld would (here, or by vtld)" },
	{ "new",    cmd_graft_new, "NAME [DIR]",
	  "write a new graft from the template into DIR (default ./NAME)" },
	{ "test",   cmd_graft_test, "FILE [KEY VALUE]...",
	  "run FILE through a two-host vtl-netem scenario (root); KEY: loss delay rate "
	  "jitter size seed timeout pool" },
	{ "load",   ctl_graft_load, "FILE [replace]",
	  "validate FILE by vtld and add it to its pool" },
	{ "unload", ctl_graft_unload, "NAME|FILE", "remove a graft nobody uses from the pool" },
	{ NULL, NULL, NULL, NULL }
};

int cmd_graft(struct ctl *c, int argc, char **argv)
{
	if (argc > 1 && (!strcmp(argv[1], "help") || !strcmp(argv[1], "-h"))) {
		for (const struct ctl_cmd *t = graft_verbs; t->name; t++)
			printf("  %s graft %-6s %-20s %s\n", c->prog, t->name, t->args, t->help);
		return 0;
	}
	return ctl_dispatch(c, graft_verbs, "graft verb", "list", argc - 1, argv + 1);
}
