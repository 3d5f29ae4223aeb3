// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * vtlctl hooker show|flows|enable|disable [ctl PATH]: vtl-hooker's state over
 * its own control socket (default VTL_HK_CTL_PATH, or $VTL_HOOKER_CTL).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <vtl/errors.h>
#include <vtl/hooker.h>
#include <vtl/vtl.h>
#include "vtlctl.h"

static const char *const bpf_names[VTL_HK_CNT_MAX] = {
	"diverted", "filtered", "no_storage", "established", "peername_rewrites", "direct_tcp",
};
static const char *const user_names[VTL_HK_U_MAX] = {
	"accepted", "via_vtl", "tcp_fallback", "tcp_cached", "tcp_no_vtld", "tcp_busy", "failed",
	"served", "resets", "bytes_up", "bytes_down", "active",
};
static const char *const peer_states[] = { "unknown", "vtl", "no-vtl" };

/* One request; the answer (up to cap bytes) into buf. An error answer
 * (a vtl_hk_status with .error) is reported. Returns the answer's length,
 * or -(exit code) after reporting. */
static ssize_t hk_call(struct ctl *c, const char *path, __u32 op, void *buf, size_t cap)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct vtl_hk_req rq = { .magic = VTL_HK_CTL_MAGIC, .op = op };
	struct pollfd p;
	ssize_t n;
	int fd, e;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ctl_err(c, -ENAMETOOLONG, "control socket path too long: %s", path);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -ctl_err(c, -errno, "socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		e = errno;
		close(fd);
		return -ctl_err(c, -e, "cannot reach vtl-hooker at %s: %s (is it running? "
			       "see 'ctl PATH' or $VTL_HOOKER_CTL)", path, strerror(e));
	}
	if (send(fd, &rq, sizeof(rq), MSG_NOSIGNAL) != (ssize_t)sizeof(rq)) {
		e = errno;
		close(fd);
		return -ctl_err(c, -e, "send to %s: %s", path, strerror(e));
	}
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	if (poll(&p, 1, 5000) != 1) {
		close(fd);
		return -ctl_err(c, -ETIMEDOUT, "vtl-hooker at %s did not answer in 5 s", path);
	}
	n = recv(fd, buf, cap, MSG_TRUNC);
	close(fd);
	if (n == (ssize_t)sizeof(struct vtl_hk_status) && ((struct vtl_hk_status *)buf)->error) {
		struct vtl_hk_status *st = buf;

		st->msg[sizeof(st->msg) - 1] = 0;
		return -ctl_err(c, st->error, "vtl-hooker: %s", st->msg);
	}
	if (n < 4 || (size_t)n > cap || *(__u32 *)buf != VTL_HK_CTL_MAGIC)
		return -ctl_err(c, -EPROTO, "malformed answer from %s (%zd bytes)", path, n);
	return n;
}

static int hk_rpc(struct ctl *c, const char *path, __u32 op, struct vtl_hk_status *st)
{
	ssize_t n = hk_call(c, path, op, st, sizeof(*st));

	if (n < 0)
		return (int)-n;
	if (n != (ssize_t)sizeof(*st))
		return ctl_err(c, -EPROTO, "malformed answer from %s (%zd bytes, want %zu)", path,
			       n, sizeof(*st));
	return 0;
}

static void ip_str(__u32 a, char *buf)
{
	inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static int prefix_len(__u32 mask)
{
	return __builtin_popcount(mask);
}

static void print_json(struct ctl *c, const struct vtl_hk_status *st)
{
	struct json *j = ctl_json_open(c);
	char a[INET_ADDRSTRLEN];
	unsigned i;

	if (!j)
		return;
	json_obj_open(j);
	json_kv_uint(j, "pid", st->pid);
	json_key(j, "enabled");
	json_bool(j, (int)st->enabled);
	json_kv_str(j, "cgroup", st->cgroup);
	json_kv_uint(j, "listen_port", st->listen_port);
	json_kv_uint(j, "vtl_port", st->vtl_port);
	json_key(j, "ports");
	json_arr_open(j);
	for (i = 0; i < st->nports && i < 16; i++)
		json_uint(j, st->ports[i]);
	json_arr_close(j);
	ip_str(st->dst_net, a);
	json_key(j, "dst");
	if (st->dst_mask) {
		char pfx[32];

		snprintf(pfx, sizeof(pfx), "%s/%d", a, prefix_len(st->dst_mask));
		json_str(j, pfx);
	} else {
		json_str(j, "any");
	}
	json_kv_uint(j, "live_hooked_sockets", st->live);
	json_key(j, "counters");
	json_obj_open(j);
	for (i = 0; i < VTL_HK_U_MAX; i++)
		json_kv_uint(j, user_names[i], st->user[i]);
	for (i = 0; i < VTL_HK_CNT_MAX; i++)
		json_kv_uint(j, bpf_names[i], st->bpf[i]);
	json_obj_close(j);
	json_key(j, "peers");
	json_arr_open(j);
	for (i = 0; i < st->npeers && i < VTL_HK_MAX_PEERS; i++) {
		const struct vtl_hk_peer *p = &st->peers[i];

		json_obj_open(j);
		ip_str(p->addr, a);
		json_kv_str(j, "addr", a);
		json_kv_str(j, "state", p->state < 3 ? peer_states[p->state] : "?");
		json_kv_uint(j, "retry_in_ms", p->expires_ms);
		json_kv_uint(j, "flows", p->flows);
		json_kv_uint(j, "fallbacks", p->fallbacks);
		json_key(j, "last_error");
		json_int(j, (__s32)p->last_err);
		json_obj_close(j);
	}
	json_arr_close(j);
	json_obj_close(j);
	ctl_json_close(j);
}

static void print_text(const struct vtl_hk_status *st)
{
	char a[INET_ADDRSTRLEN];
	unsigned i;

	printf("vtl-hooker pid %u: hooking %s\n", st->pid, st->enabled ? "ENABLED" : "disabled");
	printf("  cgroup      %s\n", st->cgroup);
	printf("  loopback    127.0.0.1:%u    VTL port %u\n", st->listen_port, st->vtl_port);
	printf("  ports       ");
	if (!st->nports)
		printf("any");
	for (i = 0; i < st->nports && i < 16; i++)
		printf("%s%u", i ? "," : "", st->ports[i]);
	ip_str(st->dst_net, a);
	if (st->dst_mask)
		printf("    dst %s/%d\n", a, prefix_len(st->dst_mask));
	else
		printf("    dst any\n");
	printf("  live hooked sockets %llu\n", (unsigned long long)st->live);
	printf("  counters\n");
	for (i = 0; i < VTL_HK_U_MAX; i++)
		printf("    %-18s %llu\n", user_names[i], (unsigned long long)st->user[i]);
	for (i = 0; i < VTL_HK_CNT_MAX; i++)
		printf("    %-18s %llu\n", bpf_names[i], (unsigned long long)st->bpf[i]);
	if (st->npeers)
		printf("  peers\n");
	for (i = 0; i < st->npeers && i < VTL_HK_MAX_PEERS; i++) {
		const struct vtl_hk_peer *p = &st->peers[i];

		ip_str(p->addr, a);
		printf("    %-15s %-7s flows %u fallbacks %u", a,
		       p->state < 3 ? peer_states[p->state] : "?", p->flows, p->fallbacks);
		if (p->expires_ms)
			printf(" (VTL retried in %u ms)", p->expires_ms);
		if (p->last_err)
			printf(" last error: %s", vtl_strerror((int)p->last_err));
		printf("\n");
	}
}

static const char *ctl_path(int *argc, char **argv)
{
	const char *env = getenv("VTL_HOOKER_CTL");

	if (*argc >= 3 && !strcmp(argv[1], "ctl")) {
		*argc -= 2;
		return argv[2];
	}
	return env && *env ? env : VTL_HK_CTL_PATH;
}

static int run(struct ctl *c, int argc, char **argv, __u32 op)
{
	struct vtl_hk_status st;
	const char *path = ctl_path(&argc, argv);
	int r;

	if (argc > 1)
		return ctl_err(c, -EINVAL, "hooker %s: unexpected '%s' (only 'ctl PATH')", argv[0],
			       argv[1]);
	r = hk_rpc(c, path, op, &st);
	if (r)
		return r;
	if (c->json)
		print_json(c, &st);
	else if (op == VTL_HK_REQ_SHOW)
		print_text(&st);
	else
		printf("hooking %s\n", st.enabled ? "enabled" : "disabled");
	return 0;
}

static const char *const path_names[] = { "choosing", "vtl", "tcp" };

static int hk_flows(struct ctl *c, int argc, char **argv)
{
	static struct {
		struct vtl_hk_flows h;
		struct vtl_hk_flow f[VTL_HK_MAX_FLOWS];
	} m;
	const char *path = ctl_path(&argc, argv);
	char app[INET_ADDRSTRLEN], dst[INET_ADDRSTRLEN], peer[INET_ADDRSTRLEN];
	struct json *j;
	ssize_t n;
	__u32 i;

	if (argc > 1)
		return ctl_err(c, -EINVAL, "hooker flows: unexpected '%s' (only 'ctl PATH')", argv[1]);
	n = hk_call(c, path, VTL_HK_REQ_FLOWS, &m, sizeof(m));
	if (n < 0)
		return (int)-n;
	if ((size_t)n < sizeof(m.h) || m.h.n > VTL_HK_MAX_FLOWS ||
	    (size_t)n != sizeof(m.h) + m.h.n * sizeof(m.f[0]))
		return ctl_err(c, -EPROTO, "malformed flow list from %s (%zd bytes)", path, n);
	j = c->json ? ctl_json_open(c) : NULL;
	if (j) {
		json_obj_open(j);
		json_kv_uint(j, "total", m.h.total);
		json_key(j, "flows");
		json_arr_open(j);
	} else {
		printf("%u flow(s)%s\n", m.h.total, m.h.total > m.h.n ? " (first ones listed)" : "");
		if (m.h.n)
			printf("  %-16s %-6s %-8s %-21s %-21s %-15s %12s %12s %8s\n", "id", "side",
			       "path", "application", "destination", "peer", "up B", "down B",
			       "age s");
	}
	for (i = 0; i < m.h.n; i++) {
		const struct vtl_hk_flow *f = &m.f[i];
		const char *side = f->side == VTL_HK_SIDE_SERVER ? "server" : "client";
		const char *p = f->path < 3 ? path_names[f->path] : "?";
		char id[20], a[32], d[32];

		ip_str(f->app_addr, app);
		ip_str(f->daddr, dst);
		ip_str(f->peer, peer);
		snprintf(id, sizeof(id), "%016llx", (unsigned long long)f->id);
		snprintf(a, sizeof(a), "%s:%u", app, f->app_port);
		snprintf(d, sizeof(d), "%s:%u", dst, f->dport);
		if (j) {
			json_obj_open(j);
			json_kv_str(j, "id", id);
			json_kv_str(j, "side", side);
			json_kv_str(j, "path", p);
			json_kv_str(j, "application", a);
			json_kv_str(j, "destination", d);
			json_kv_str(j, "peer", peer);
			json_kv_uint(j, "bytes_up", f->bytes_up);
			json_kv_uint(j, "bytes_down", f->bytes_down);
			json_kv_uint(j, "age_ms", f->age_ms);
			json_obj_close(j);
		} else {
			printf("  %-16s %-6s %-8s %-21s %-21s %-15s %12llu %12llu %8.1f\n", id, side, p,
			       a, d, peer, (unsigned long long)f->bytes_up,
			       (unsigned long long)f->bytes_down, f->age_ms / 1000.0);
		}
	}
	if (j) {
		json_arr_close(j);
		json_obj_close(j);
		ctl_json_close(j);
	}
	return 0;
}

static int hk_show(struct ctl *c, int argc, char **argv)
{
	return run(c, argc, argv, VTL_HK_REQ_SHOW);
}

static int hk_enable(struct ctl *c, int argc, char **argv)
{
	return run(c, argc, argv, VTL_HK_REQ_ENABLE);
}

static int hk_disable(struct ctl *c, int argc, char **argv)
{
	return run(c, argc, argv, VTL_HK_REQ_DISABLE);
}

int cmd_hooker(struct ctl *c, int argc, char **argv)
{
	static const struct ctl_cmd verbs[] = {
		{ "show",    hk_show,    "[ctl PATH]", "state, counters and peers" },
		{ "flows",   hk_flows,   "[ctl PATH]", "the hooked connections open now" },
		{ "enable",  hk_enable,  "[ctl PATH]", "hook new connections" },
		{ "disable", hk_disable, "[ctl PATH]", "new connections stay plain TCP" },
		{ NULL, NULL, NULL, NULL }
	};

	return ctl_dispatch(c, verbs, "hooker verb", "show", argc - 1, argv + 1);
}
