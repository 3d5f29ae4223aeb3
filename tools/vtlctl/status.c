// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* vtlctl status: one VTL_IPC_STATUS_REQ round trip, printed for humans
 * or as JSON. The graft and session printers are shared with the graft
 * and session objects. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <vtl/vtl.h>
#include "ipc_client.h"
#include "vtlctl.h"

#define CTL_TIMEOUT_MS 5000

int ctl_fetch_status(struct ctl *c, struct ctl_status *out)
{
	char err[VTL__ERRLEN] = "";
	struct vtl_ipc_error e;
	struct vtl_ipc_hdr h;
	const char *why = "?";
	int fd, r;

	memset(out, 0, sizeof(*out));
	fd = vtl__open_control(c->socket, NULL, err, sizeof(err));
	if (fd < 0)
		return ctl_err(c, fd, "%s", *err ? err : vtl_strerror(fd));
	out->buf = malloc(VTL_IPC_MAX_DATA);
	if (!out->buf) {
		close(fd);
		return ctl_err(c, -ENOMEM, "out of memory");
	}
	r = vtl__send(fd, VTL_IPC_STATUS_REQ, NULL, 0, 0);
	if (r == 0) {
		r = vtl__wait(fd, POLLIN, vtl__now_ms() + CTL_TIMEOUT_MS);
		if (r == 0)
			r = -ETIMEDOUT;
		else if (r > 0)
			r = vtl__recv(fd, &h, out->buf, VTL_IPC_MAX_DATA, 0, &why);
	}
	close(fd);
	if (r == -EPIPE || r == -ECONNRESET)
		r = -VTL_E_DAEMON;
	if (r == -VTL_E_PROTO)
		r = ctl_err(c, r, "bad reply from vtld: %s", why);
	else if (r == -ETIMEDOUT)
		r = ctl_err(c, r, "vtld did not answer within %d ms",
			    CTL_TIMEOUT_MS);
	else if (r < 0)
		r = ctl_err(c, r, "status: %s", vtl_strerror(r));
	else if (h.type == VTL_IPC_ERROR) {
		memcpy(&e, out->buf, sizeof(e));
		e.msg[strcspn(e.msg, "\r\n")] = '\0';  /* one line */
		r = ctl_err(c, e.code, "vtld: %s", e.msg[0] ? e.msg :
			    vtl_strerror(e.code));
	} else if (h.type != VTL_IPC_STATUS)
		r = ctl_err(c, -VTL_E_PROTO, "unexpected %s reply from vtld",
			    vtl__type_name(h.type));
	else
		r = 0;
	if (r) {
		free(out->buf);
		out->buf = NULL;
		return r;
	}
	/* vtl__recv checked the length against the counts exactly; the
	 * records are 8-byte multiples, so they are aligned in buf. */
	out->st = out->buf;
	out->grafts = (const void *)(out->st + 1);
	out->sessions = (const void *)(out->grafts + out->st->n_grafts);
	return 0;
}

struct json *ctl_json_open(struct ctl *c)
{
	return json_new(stdout, c->pretty);
}

void ctl_json_close(struct json *j)
{
	json_free(j);
}

static const char *ip_str(uint32_t addr, char *buf)
{
	struct in_addr a = { .s_addr = addr };

	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

/* A name from vtld, fit for a terminal: non-printable bytes become '?'. */
static const char *safe(const char *name, size_t max, char *buf)
{
	size_t i;

	for (i = 0; i < max && name[i]; i++)
		buf[i] = name[i] >= 0x20 && name[i] < 0x7f ? name[i] : '?';
	buf[i] = '\0';
	return buf;
}

static void hash_hex(const uint8_t *h, size_t n, char *buf)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(buf + 2 * i, "%02x", h[i]);
	buf[2 * n] = '\0';
}

void ctl_print_grafts(struct ctl *c, struct json *j, const struct ctl_status *s)
{
	char svc[64], roles[64], hash[2 * VTL_HASH_LEN + 1];
	char name[VTL_GRAFT_NAME_MAX + 1];
	uint32_t i;

	(void)c;
	if (j)
		json_arr_open(j);
	else if (s->st->n_grafts)
		printf("%-16s %4s  %-24s %-24s %11s %8s  %s\n", "GRAFT", "VER",
		       "SERVICES", "ROLES", "WINDOW/MAX", "SESSIONS", "HASH");
	else
		printf("no grafts in the pool\n");
	for (i = 0; i < s->st->n_grafts; i++) {
		const struct vtl_ipc_graft_info *g = &s->grafts[i];

		hash_hex(g->hash, VTL_HASH_LEN, hash);
		if (!j) {
			char win[24];

			snprintf(win, sizeof(win), "%u/%u", g->window_default,
				 g->window_max);
			printf("%-16s %4u  %-24s %-24s %11s %8u  %.12s\n",
			       safe(g->name, VTL_GRAFT_NAME_MAX, name), g->version,
			       ctl_services_str(g->services, svc, sizeof(svc)),
			       ctl_roles_str(g->roles, roles, sizeof(roles)),
			       win, g->loaded, hash);
			continue;
		}
		json_obj_open(j);
		json_key(j, "name");
		json_strn(j, g->name, VTL_GRAFT_NAME_MAX);
		json_kv_uint(j, "version", g->version);
		json_key(j, "services");
		ctl_json_services(j, g->services);
		json_key(j, "roles");
		ctl_json_roles(j, g->roles);
		json_kv_uint(j, "window_default", g->window_default);
		json_kv_uint(j, "window_max", g->window_max);
		json_kv_uint(j, "sessions", g->loaded);
		json_kv_str(j, "hash", hash);
		json_obj_close(j);
	}
	if (j)
		json_arr_close(j);
}

void ctl_print_sessions(struct ctl *c, struct json *j, const struct ctl_status *s)
{
	char peer[CTL_PEER_STRLEN], addr[INET6_ADDRSTRLEN], id[16], name[VTL_GRAFT_NAME_MAX + 1];
	uint32_t i;

	(void)c;
	if (j)
		json_arr_open(j);
	else if (s->st->n_sessions)
		printf("%-10s %-21s %-3s %-16s %-11s %6s %21s %10s %9s %6s\n",
		       "ID", "PEER", "DIR", "GRAFT", "STATE", "WINDOW",
		       "SND_UNA/SND_NXT", "RCV_ACKED", "SRTT", "RETX");
	else
		printf("no sessions\n");
	for (i = 0; i < s->st->n_sessions; i++) {
		const struct vtl_ipc_session_info *x = &s->sessions[i];

		snprintf(id, sizeof(id), "0x%08x", x->session_id);
		ctl_peer_str(x, peer, sizeof(peer));
		if (x->peer.family == VTL_AF_INET6)
			inet_ntop(AF_INET6, x->peer.addr, addr, sizeof(addr));
		else
			ip_str(x->peer_addr, addr);
		if (!j) {
			char una[24], srtt[16];

			snprintf(una, sizeof(una), "%u/%u", x->snd_una, x->snd_nxt);
			snprintf(srtt, sizeof(srtt), "%.2fms", x->srtt_us / 1000.0);
			printf("%-10s %-21s %-3s %-16s %-11s %6u %21s %10u "
			       "%9s %6llu\n", id, peer,
			       x->initiator ? "out" : "in",
			       safe(x->graft, VTL_GRAFT_NAME_MAX, name),
			       ctl_sess_state_name(x->state), x->window, una,
			       x->rcv_acked, srtt,
			       (unsigned long long)x->tx_retx);
			continue;
		}
		json_obj_open(j);
		json_kv_str(j, "id", id);
		json_kv_uint(j, "session_id", x->session_id);
		json_kv_str(j, "peer", peer);
		json_kv_str(j, "peer_addr", addr);
		json_kv_str(j, "encap", ctl_encap_name(x->encap));
		json_kv_uint(j, "peer_port", x->peer_port);
		json_kv_uint(j, "slot", x->slot);
		json_kv_str(j, "state", ctl_sess_state_name(x->state));
		json_key(j, "initiator");
		json_bool(j, x->initiator);
		json_key(j, "graft");
		json_strn(j, x->graft, VTL_GRAFT_NAME_MAX);
		json_kv_uint(j, "window", x->window);
		json_kv_uint(j, "snd_una", x->snd_una);
		json_kv_uint(j, "snd_nxt", x->snd_nxt);
		json_kv_uint(j, "rcv_acked", x->rcv_acked);
		json_kv_uint(j, "srtt_us", x->srtt_us);
		json_kv_uint(j, "rto_us", x->rto_us);
		json_kv_uint(j, "tx_data", x->tx_data);
		json_kv_uint(j, "tx_retx", x->tx_retx);
		json_kv_uint(j, "rx_data", x->rx_data);
		json_kv_uint(j, "timeouts", x->timeouts);
		json_kv_uint(j, "bytes_tx", x->bytes_tx);
		json_kv_uint(j, "bytes_rx", x->bytes_rx);
		json_obj_close(j);
	}
	if (j)
		json_arr_close(j);
}

/* The value of counter i in one direction (d < 2) or summed (d == 2). */
static uint64_t cnt(const __u64 *xdp, const __u64 *tc, unsigned d, unsigned i)
{
	return d == 0 ? xdp[i] : d == 1 ? tc[i] : xdp[i] + tc[i];
}

/* Name of counter i, or "cnt_N" into buf; NULL: unnamed and v == 0. */
static const char *cnt_name(unsigned i, uint64_t v, char *buf, size_t len)
{
	const char *name = ctl_counter_name(i);

	if (name || !v)
		return name;
	snprintf(buf, len, "cnt_%u", i);
	return buf;
}

/* JSON: "counters": {name: xdp + tc}, then "counters_xdp" and
 * "counters_tc": every named counter, plus any non-zero unnamed one. */
void ctl_json_counters(struct json *j, const __u64 *xdp, const __u64 *tc)
{
	static const char *const keys[3] = { "counters_xdp", "counters_tc",
					     "counters" };
	static const unsigned order[3] = { 2, 0, 1 };
	const char *name;
	char other[16];
	unsigned k, i;

	for (k = 0; k < 3; k++) {
		json_key(j, keys[order[k]]);
		json_obj_open(j);
		for (i = 0; i < VTL_CNT_PER_DIR; i++) {
			uint64_t v = cnt(xdp, tc, order[k], i);

			name = cnt_name(i, v, other, sizeof(other));
			if (name)
				json_kv_uint(j, name, v);
		}
		json_obj_close(j);
	}
}

/* Human: the non-zero counters, per direction. */
void ctl_print_counters(const __u64 *xdp, const __u64 *tc)
{
	static const char *const dirs[2] = { "xdp", "tc" };
	unsigned d, i, shown = 0;
	const char *name;
	char other[16];

	for (d = 0; d < 2; d++) {
		for (i = 0; i < VTL_CNT_PER_DIR; i++) {
			uint64_t v = cnt(xdp, tc, d, i);

			name = cnt_name(i, v, other, sizeof(other));
			if (!v || !name)
				continue;
			if (!shown++)
				printf("counters:\n");
			printf("  %-4s %-22s %llu\n", dirs[d], name,
			       (unsigned long long)v);
		}
	}
	if (!shown)
		printf("counters: all zero\n");
}

void ctl_fmt_uptime(uint64_t ms, char *buf, size_t len)
{
	uint64_t s = ms / 1000;

	if (s >= 86400)
		snprintf(buf, len, "%llud%02lluh%02llum%02llus",
			 (unsigned long long)(s / 86400),
			 (unsigned long long)(s / 3600 % 24),
			 (unsigned long long)(s / 60 % 60),
			 (unsigned long long)(s % 60));
	else if (s >= 3600)
		snprintf(buf, len, "%lluh%02llum%02llus",
			 (unsigned long long)(s / 3600),
			 (unsigned long long)(s / 60 % 60),
			 (unsigned long long)(s % 60));
	else if (s >= 60)
		snprintf(buf, len, "%llum%02llus", (unsigned long long)(s / 60),
			 (unsigned long long)(s % 60));
	else
		snprintf(buf, len, "%.1fs", ms / 1000.0);
}

int cmd_status(struct ctl *c, int argc, char **argv)
{
	struct ctl_status s;
	const struct vtl_ipc_status *st;
	struct json *j = NULL;
	char up[32];
	int r;

	if (argc > 1)
		return ctl_err(c, -EINVAL, "status: unexpected argument '%s'",
			       argv[1]);
	r = ctl_fetch_status(c, &s);
	if (r)
		return r;
	st = s.st;
	if (!c->json) {
		ctl_fmt_uptime(st->uptime_ms, up, sizeof(up));
		char ifname[sizeof(st->ifname) + 1];

		printf("interface  %s (ifindex %u), %u queue%s\n",
		       safe(st->ifname, sizeof(st->ifname), ifname), st->ifindex,
		       st->n_queues, st->n_queues == 1 ? "" : "s");
		printf("uptime     %s\n", up);
		printf("programs   xdp id %u, tc id %u\n\n", st->xdp_prog_id,
		       st->tc_prog_id);
		printf("grafts (%u):\n", st->n_grafts);
		ctl_print_grafts(c, NULL, &s);
		printf("\nsessions (%u):\n", st->n_sessions);
		ctl_print_sessions(c, NULL, &s);
		printf("\n");
		ctl_print_counters(st->cnt_xdp, st->cnt_tc);
		free(s.buf);
		return 0;
	}
	j = ctl_json_open(c);
	if (!j) {
		free(s.buf);
		return ctl_err(c, -ENOMEM, "out of memory");
	}
	json_obj_open(j);
	json_key(j, "ifname");
	json_strn(j, st->ifname, sizeof(st->ifname));
	json_kv_uint(j, "ifindex", st->ifindex);
	json_kv_uint(j, "queues", st->n_queues);
	json_kv_uint(j, "uptime_ms", st->uptime_ms);
	json_kv_uint(j, "xdp_prog_id", st->xdp_prog_id);
	json_kv_uint(j, "tc_prog_id", st->tc_prog_id);
	json_key(j, "grafts");
	ctl_print_grafts(c, j, &s);
	json_key(j, "sessions");
	ctl_print_sessions(c, j, &s);
	ctl_json_counters(j, st->cnt_xdp, st->cnt_tc);
	json_obj_close(j);
	ctl_json_close(j);
	free(s.buf);
	return 0;
}
