// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libvtl: socket setup, negotiation and teardown. The data path
 * (send/recv/shutdown) is in data.c, the control-socket framing in
 * ipc_client.c. No global state: one vtl_sock per thread is safe.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <vtl/shared.h>
#include "libvtl_int.h"

void vtl__dbg(const struct vtl_sock *s, const char *fmt, ...)
{
	va_list ap;

	if (s && !s->debug)
		return;
	va_start(ap, fmt);
	fputs("libvtl: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

const char *vtl_errmsg(const vtl_sock *s)
{
	return s ? s->errmsg : "";
}

int vtl__fail(struct vtl_sock *s, int err)
{
	if (s->state != VTL_ST_FAILED) {
		s->state = VTL_ST_FAILED;
		s->err = err;
		s->rlen = 0;
	}
	return s->err;
}

static int debug_env(void)
{
	const char *v = getenv("VTL_DEBUG");

	return v && *v && strcmp(v, "0");
}

/* Copy the caller's opts, libbpf style: fields past opts->sz are zero,
 * and bytes past our struct (a newer caller) must be zero. */
static int copy_opts(struct vtl_opts *o, const struct vtl_opts *in)
{
	size_t i;

	memset(o, 0, sizeof(*o));
	if (!in)
		return 0;
	if (in->sz < sizeof(in->sz))
		return -VTL_E_BADPARAM;
	memcpy(o, in, in->sz < sizeof(*o) ? in->sz : sizeof(*o));
	for (i = sizeof(*o); i < in->sz; i++)
		if (((const char *)in)[i])
			return -VTL_E_BADPARAM;
	return 0;
}

static int parse_ip(const char *ip, uint32_t *addr)
{
	struct in_addr a;

	if (inet_pton(AF_INET, ip, &a) != 1)
		return -VTL_E_BADPARAM;
	*addr = a.s_addr;
	return 0;
}

/* The peer's address: IPv4 dotted quad or IPv6 (with or without [ ]). */
static int parse_peer(const char *ip, struct vtl_peer *p)
{
	char buf[INET6_ADDRSTRLEN + 2];
	size_t n = strlen(ip);

	memset(p, 0, sizeof(*p));
	if (inet_pton(AF_INET, ip, p->addr) == 1) {
		p->family = VTL_AF_INET;
		return p->addr[0] ? 0 : -VTL_E_BADPARAM;
	}
	if (n >= 2 && ip[0] == '[' && ip[n - 1] == ']' && n - 2 < sizeof(buf)) {
		memcpy(buf, ip + 1, n - 2);
		buf[n - 2] = '\0';
		ip = buf;
	}
	if (inet_pton(AF_INET6, ip, p->addr) != 1)
		return -VTL_E_BADPARAM;
	p->family = VTL_AF_INET6;
	return 0;
}

int vtl_init(vtl_sock **out, enum vtl_mode mode, const char *src_ip,
	     const char *dst_ip, const struct vtl_opts *opts)
{
	char err[VTL__ERRLEN] = "";
	struct vtl_sock *s;
	struct vtl_opts o;
	int r;

	if (!out)
		return -VTL_E_BADPARAM;
	*out = NULL;
	if (mode != VTL_MODE_SEND && mode != VTL_MODE_RECV)
		return -VTL_E_BADPARAM;
	if (copy_opts(&o, opts) < 0 || o.timeout_ms < 0 ||
	    o.window > VTL_WINDOW_MAX || (o.flags & ~(VTL_F_SHARED_PORT | VTL_F_NODELAY)) ||
	    (o.graft && strlen(o.graft) >= VTL_GRAFT_NAME_MAX))
		return -VTL_E_BADPARAM;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->fd = -1;
	s->mode = mode;
	s->debug = debug_env();
	s->port = o.port ? o.port : VTL_DEFAULT_PORT;
	s->window = o.window;
	s->timeout_ms = o.timeout_ms ? o.timeout_ms : VTL_DEFAULT_TIMEOUT_MS;
	s->app_port = o.app_port;
	s->flags = o.flags;
	if (o.graft)
		strcpy(s->graft, o.graft);
	r = -VTL_E_BADPARAM;
	if (src_ip && *src_ip && parse_ip(src_ip, &s->local_addr) < 0) {
		vtl__dbg(s, "bad source address '%s'", src_ip);
		goto fail;
	}
	if (mode == VTL_MODE_SEND && (!dst_ip || parse_peer(dst_ip, &s->peer) < 0)) {
		vtl__dbg(s, "sender needs a destination IPv4 or IPv6 address, got '%s'",
			 dst_ip ? dst_ip : "(null)");
		goto fail;
	}
	if (s->peer.family == VTL_AF_INET)
		s->peer_addr = s->peer.addr[0];
	r = -ENOMEM;
	s->rbuf = malloc(VTL_IPC_MAX_DATA);
	if (!s->rbuf)
		goto fail;
	r = vtl__resolve_socket(o.socket_path, src_ip, s->path, sizeof(s->path), err,
				sizeof(err));
	if (r >= 0)
		r = vtl__connect(s->path, err, sizeof(err));
	if (r < 0) {
		vtl__dbg(s, "%s", err);
		goto fail;
	}
	s->fd = r;
	*out = s;
	return 0;
fail:
	free(s->rbuf);
	free(s);
	return r;
}

int vtl_negotiate(vtl_sock *s, uint32_t l4_services, const struct vtl_qos *qos)
{
	const uint32_t known = VTL_RELIABLE | VTL_ORDERED | VTL_PARTIAL |
			       VTL_CONGESTION_CONTROL;
	struct vtl_ipc_open o = {0};
	struct vtl_ipc_hdr h;
	int r;

	_Static_assert(VTL_RELIABLE == VTL_SVC_RELIABLE &&
		       VTL_ORDERED == VTL_SVC_ORDERED &&
		       VTL_PARTIAL == VTL_SVC_PARTIAL &&
		       VTL_CONGESTION_CONTROL == VTL_SVC_CC,
		       "libvtl service bits are the wire's");
	if (!s || (l4_services & ~known))
		return -VTL_E_BADPARAM;
	if (s->state == VTL_ST_FAILED)
		return s->err;
	if (s->state != VTL_ST_INIT)
		return -VTL_E_STATE;

	o.mode = s->mode == VTL_MODE_SEND ? VTL_OPEN_CONNECT : VTL_OPEN_LISTEN;
	o.peer_addr = s->peer_addr;
	o.peer = s->peer;
	o.local_addr = s->local_addr;
	o.service_port = s->port;
	memcpy(o.graft, s->graft, sizeof(o.graft));
	o.services = l4_services;
	if (qos) {
		o.max_delay_ms = qos->max_delay_ms;
		o.min_tput_kbps = qos->min_tput_kbps;
		o.max_loss_ppm = qos->max_loss_ppm;
	}
	o.window = s->window;
	o.timeout_ms = s->timeout_ms;
	o.app_port = s->app_port;
	if (s->flags & VTL_F_SHARED_PORT)
		o.flags |= VTL_OPEN_F_SHARED;
	if (s->flags & VTL_F_NODELAY)
		o.flags |= VTL_OPEN_F_NODELAY;
	r = vtl__put(s, VTL_IPC_OPEN, &o, sizeof(o));
	if (r < 0)
		return r;
	s->state = VTL_ST_NEGO;
	if (s->mode == VTL_MODE_SEND)
		return 0;

	/* RECV: return once the listener is registered, so the caller can
	 * tell its peers it is ready. */
	r = vtl__get(s, &h, NULL, 0, vtl__now_ms() + s->timeout_ms, 0);
	if (r == -ETIMEDOUT) {
		vtl__dbg(s, "vtld did not confirm the listener within %d ms",
			 s->timeout_ms);
		return vtl__fail(s, -VTL_E_DAEMON);
	}
	if (r < 0)
		return r;
	switch (h.type) {
	case VTL_IPC_SESSION:  /* a peer was faster than LISTENING */
		memcpy(&s->sess, s->rbuf, sizeof(s->sess));
		s->have_sess = 1;
		/* fallthrough */
	case VTL_IPC_LISTENING:
		s->state = VTL_ST_LISTEN;
		return 0;
	}
	return vtl__unexpected(s, &h);
}

static void take_session(struct vtl_sock *s, const struct vtl_ipc_session *ss)
{
	memset(&s->info, 0, sizeof(s->info));
	s->info.session_id = ss->session_id;
	snprintf(s->info.graft, sizeof(s->info.graft), "%.*s",
		 (int)sizeof(ss->graft), ss->graft);
	s->info.graft_version = ss->graft_version;
	s->info.window = ss->window;
	s->info.mss = ss->mss;
	if (ss->peer.family == VTL_AF_INET6)
		inet_ntop(AF_INET6, ss->peer.addr, s->info.peer, sizeof(s->info.peer));
	else
		inet_ntop(AF_INET, &ss->peer_addr, s->info.peer, sizeof(s->info.peer));
	s->stats.session_id = ss->session_id;
	s->state = VTL_ST_OPEN;
	vtl__dbg(s, "session %#x open: graft %s v%u window %u mss %u peer %s",
		 s->info.session_id, s->info.graft, s->info.graft_version,
		 s->info.window, s->info.mss, s->info.peer);
}

int vtl_validate(vtl_sock *s, struct vtl_info *info)
{
	struct vtl_ipc_hdr h;
	int64_t deadline = -1;
	int r;

	if (!s)
		return -VTL_E_BADPARAM;
	if (s->state == VTL_ST_INIT) {
		r = vtl_negotiate(s, VTL_RELIABLE | VTL_ORDERED, NULL);
		if (r < 0)
			return r;
	}
	if (s->state == VTL_ST_FAILED)
		return s->err;
	if (s->have_sess) {
		s->have_sess = 0;
		take_session(s, &s->sess);
	}
	if (s->mode == VTL_MODE_SEND)  /* vtld times the negotiation out */
		deadline = vtl__now_ms() + s->timeout_ms + VTL_DECIDE_SLACK_MS;
	while (s->state == VTL_ST_NEGO || s->state == VTL_ST_LISTEN) {
		r = vtl__get(s, &h, NULL, 0, deadline, 0);
		if (r == -ETIMEDOUT) {
			vtl__dbg(s, "vtld did not decide the negotiation");
			return vtl__fail(s, -VTL_E_DAEMON);
		}
		if (r < 0)
			return r;
		if (h.type != VTL_IPC_SESSION)
			return vtl__unexpected(s, &h);
		take_session(s, (const void *)s->rbuf);
	}
	if (info)
		*info = s->info;
	return 0;
}

int vtl_get_stats(vtl_sock *s, struct vtl_stats *st)
{
	if (!s || !st)
		return -VTL_E_BADPARAM;
	if (!s->have_stats)
		return s->state == VTL_ST_FAILED ? s->err : -VTL_E_STATE;
	*st = s->stats;
	return 0;
}

int vtl_get_progress(vtl_sock *s, uint64_t *bytes)
{
	const struct vtl_ipc_session_info *si;
	struct vtl_ipc_status st;
	struct vtl_ipc_hdr h;
	uint32_t sid;
	uint8_t *buf;
	char err[160];
	int fd, r;

	if (!s || !bytes)
		return -VTL_E_BADPARAM;
	sid = s->info.session_id;  /* set once, when the session opened */
	if (!sid)
		return -VTL_E_STATE;
	buf = malloc(VTL_IPC_MAX_MSG);
	if (!buf)
		return -ENOMEM;
	fd = vtl__connect(s->path, err, sizeof(err));
	r = fd;
	if (fd >= 0)
		r = vtl__send(fd, VTL_IPC_STATUS_REQ, NULL, 0, 0);
	if (r >= 0)
		r = vtl__recv(fd, &h, buf, VTL_IPC_MAX_MSG, 0, NULL);
	if (r >= 0 && h.type != VTL_IPC_STATUS)
		r = h.type == VTL_IPC_ERROR ? -VTL_E_DAEMON : -VTL_E_PROTO;
	if (r >= 0) {  /* vtl__recv checked the lengths against the counts */
		memcpy(&st, buf, sizeof(st));
		si = (const void *)(buf + sizeof(st) +
				    st.n_grafts * sizeof(struct vtl_ipc_graft_info));
		r = -VTL_E_STATE;  /* not (or no longer) a session of vtld's */
		for (uint32_t i = 0; i < st.n_sessions; i++, si++) {
			struct vtl_ipc_session_info x;

			memcpy(&x, si, sizeof(x));
			if (x.session_id != sid)
				continue;
			*bytes = s->mode == VTL_MODE_SEND ? x.bytes_tx : x.bytes_rx;
			r = 0;
			break;
		}
	}
	if (fd >= 0)
		close(fd);
	free(buf);
	return r;
}

int vtl_fd(const vtl_sock *s)
{
	return s ? s->fd : -VTL_E_BADPARAM;
}

int vtl_close(vtl_sock *s)
{
	int r = 0;

	if (!s)
		return 0;
	if (s->state == VTL_ST_OPEN && !s->sent && s->mode == VTL_MODE_RECV) {
		/* nothing of ours to wait for: vtld closes our direction
		 * without us (the session lives on until the peer closes) */
		r = s->attached ? 0 : vtl__put(s, VTL_IPC_SHUTDOWN, NULL, 0);
	} else if (s->state == VTL_ST_OPEN || s->state == VTL_ST_SHUT) {
		r = vtl_shutdown(s, NULL);
	}
	if (s->fd >= 0)
		close(s->fd);
	free(s->rbuf);
	free(s->rq);
	free(s->sbuf);
	free(s);
	return r;
}

int vtl_abort(vtl_sock *s)
{
	if (!s)
		return 0;
	if (s->fd >= 0)
		close(s->fd);  /* vtld: application gone -> RESET to the peer */
	free(s->rbuf);
	free(s->rq);
	free(s->sbuf);
	free(s);
	return 0;
}

const char *vtl_strerror(int err)
{
	int e = err < 0 ? -err : err;

	switch (e) {
	case 0:                return "success";
	case VTL_E_NOGRAFT:    return "graft not in the pool (here or at the peer)";
	case VTL_E_REFUSED:    return "negotiation refused by the peer";
	case VTL_E_TIMEOUT:    return "peer did not answer (no vtld there?)";
	case VTL_E_PEER_LOST:  return "peer lost (stopped acknowledging)";
	case VTL_E_PROTO:      return "malformed control message";
	case VTL_E_NOLISTENER: return "nobody listens on that port at the peer";
	case VTL_E_DAEMON:     return "cannot reach vtld (is it running? "
				      "set VTL_SOCKET to its control socket)";
	case VTL_E_TOOBIG:     return "control message too big";
	case VTL_E_STATE:      return "call not valid in this session state";
	case VTL_E_NORES:      return "no free session slot or buffers";
	case VTL_E_RESET:      return "peer reset the session";
	case VTL_E_BADPARAM:   return "bad argument (address, window, name)";
	case VTL_E_NOVTL:      return "the peer host has no VTL (it answered protocol unreachable)";
	case VTL_E_BASE:       return "unknown VTL error";
	}
	return strerror(e);
}
