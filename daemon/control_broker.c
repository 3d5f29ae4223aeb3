// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The Control Broker: turns an application's OPEN into a session and a
 * negotiation (NEGO / NEGO_ACK / NEGO_NACK), answers the peer's NEGO,
 * deploys the agreed graft through the Launcher, and runs each session's
 * life: close handshake, resets, timeouts.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <vtl/errors.h>
#include "log.h"
#include "vtld.h"

#define NEGO_FIRST_GAP_MS 50
#define NEGO_MAX_GAP_MS   500
#define LINGER_MS         2000

static __u32 rand32(void)
{
	__u32 v = 0;

	while (getrandom(&v, sizeof(v), 0) != sizeof(v))
		;
	return v;
}

static void note_peer(struct vtld *d, struct session *s);

static void session_end(struct vtld *d, struct session *s)
{
	const struct vtl_state *k = launcher_state(&d->l, s->slot);

	note_peer(d, s);
	swap_abandon(d, s);
	d->stats.bytes_tx += s->bytes_tx;     /* before the slot's state is cleared */
	d->stats.bytes_rx += s->bytes_rx;
	d->stats.pkts_tx += k->tx_data;
	d->stats.pkts_retx += k->tx_retx;
	d->stats.pkts_rx += k->rx_data;
	launcher_session_del(&d->l, s->slot, s->id);
	if (s->gi)
		launcher_graft_put(&d->l, s->gi);
	if (s->pg && s->pg->users > 0)
		s->pg->users--;
	if (s->cl) {
		stream_close(d, s->cl);
		s->cl->s = NULL;
	}
	pr_debug("session %08x ended\n", s->id);
	session_free(d, s);
}

void cb_session_stats(struct vtld *d, struct session *s, struct vtl_ipc_stats *o)
{
	const struct vtl_state *st = launcher_state(&d->l, s->slot);

	memset(o, 0, sizeof(*o));
	o->session_id = s->id;
	o->bytes = s->initiator ? s->bytes_tx : s->bytes_rx;
	o->packets = s->initiator ? st->tx_data : st->rx_data;
	o->retransmits = st->tx_retx;
	o->timeouts = st->timeouts;
	o->fast_retx = st->fast_retx;
	o->dup_rx = st->rx_dup + s->dup_rx;
	o->ooo_rx = st->rx_ooo;
	o->duration_us = (now_ns() - s->t_open_ns) / 1000;
	o->srtt_us = st->srtt_us;
	o->lost = s->lost;
}

void cb_abort(struct vtld *d, struct session *s, int code, const char *why, bool reset_peer)
{
	pr_info("session %08x aborted: %s\n", s->id, why);
	if (code)
		d->stats.sessions_aborted++;
	if (s->cl) {
		client_send_error(s->cl, code, "%s", why);
		s->cl->state = CL_DONE;
	}
	if (reset_peer)
		db_send_ctrl(d, s->peer_addr, s->id, VTL_T_RESET, 0, 0, NULL, 0);
	session_end(d, s);
}

static void send_session_msg(struct session *s)
{
	struct vtl_ipc_session m = {};

	if (!s->cl)
		return;
	m.session_id = s->id;
	m.peer_addr = s->peer_addr;
	memcpy(m.graft, s->pg->meta.name, sizeof(m.graft));
	m.graft_version = s->pg->meta.version;
	m.window = s->window;
	m.mss = s->mss;
	m.slot = s->slot;
	s->cl->state = CL_SESSION;
	client_send(s->cl, VTL_IPC_SESSION, &m, sizeof(m));
}

/* What the graft provides decides how vtld moves its data. */
void cb_set_services(struct session *s, const struct pool_graft *pg, __u32 max_loss_ppm)
{
	__u32 svc = pg->meta.services;

	s->reliable = svc & (VTL_SVC_RELIABLE | VTL_SVC_PARTIAL);
	s->partial = svc & VTL_SVC_PARTIAL;
	s->cc = svc & VTL_SVC_CC;
	s->max_loss_ppm = s->partial ? (max_loss_ppm ? max_loss_ppm : pg->meta.max_loss_ppm) : 0;
	if (s->max_loss_ppm > 1000000)
		s->max_loss_ppm = 1000000;
}

/* A delay-bounded graft (its metadata declares a default max_delay_ms)
 * gets the application's max delay, or its default; other grafts none. */
__u32 cb_max_delay(const struct pool_graft *pg, __u32 requested_ms)
{
	if (!pg->meta.max_delay_ms)
		return 0;
	return requested_ms ? requested_ms : pg->meta.max_delay_ms;
}

static struct peer_fig *peer_fig(struct vtld *d, __u32 addr, bool create)
{
	struct peer_fig *oldest = &d->peers[0];

	for (size_t i = 0; i < sizeof(d->peers) / sizeof(d->peers[0]); i++) {
		if (d->peers[i].addr == addr)
			return &d->peers[i];
		if (d->peers[i].when_ns < oldest->when_ns)
			oldest = &d->peers[i];
	}
	if (!create)
		return NULL;
	memset(oldest, 0, sizeof(*oldest));
	oldest->addr = addr;
	return oldest;
}

/* Remember what a finished session measured, for the next choice. */
static void note_peer(struct vtld *d, struct session *s)
{
	const struct vtl_state *st = launcher_state(&d->l, s->slot);
	struct peer_fig *p;

	if (!s->initiator || !s->reliable || !st->rtt_samples || !st->tx_data)
		return;
	p = peer_fig(d, s->peer_addr, true);
	p->srtt_us = st->srtt_us;
	p->loss_ppm = (__u32)(st->tx_retx * 1000000 / (st->tx_data + st->tx_retx));
	p->when_ns = now_ns();
}

/* The Control Broker's rules pick the graft when the application did not. */
static int choose_graft(struct vtld *d, struct client *c, const struct vtl_ipc_open *o,
			char *name, __u32 *window, __u32 *max_loss)
{
	struct rule_input in = { .services = o->services };
	struct peer_fig *p = peer_fig(d, o->peer_addr, false);
	struct rule_choice ch;

	in.v[RV_MAX_DELAY] = (__u64)o->max_delay_ms * 1000;
	in.v[RV_MIN_TPUT] = o->min_tput_kbps;
	in.v[RV_MAX_LOSS] = o->max_loss_ppm;
	in.known[RV_MAX_DELAY] = o->max_delay_ms != 0;
	in.known[RV_MIN_TPUT] = o->min_tput_kbps != 0;
	in.known[RV_MAX_LOSS] = o->max_loss_ppm != 0;
	in.v[RV_DPORT] = o->app_port;
	in.known[RV_DPORT] = o->app_port != 0;
	if (p) {
		in.v[RV_RTT] = p->srtt_us;
		in.v[RV_LOSS] = p->loss_ppm;
		in.known[RV_RTT] = in.known[RV_LOSS] = 1;
	}
	if (rules_select(&d->rules, &in, &ch)) {
		client_send_error(c, -VTL_E_NOGRAFT, "no Control Broker rule matches services 0x%x",
				  o->services);
		return -1;
	}
	snprintf(name, VTL_GRAFT_NAME_MAX + 1, "%s", ch.graft);
	*window = ch.window;
	*max_loss = ch.max_loss_ppm;
	d->rules.r[ch.index].hits++;
	pr_info("rule at line %d chose %s (window %u, max_loss %u ppm; rule %d, id %u)\n",
		ch.line, ch.graft, ch.window, ch.max_loss_ppm, ch.index, ch.id);
	return 0;
}

/* Load a graft with its default tunables ahead of any session: the
 * Launcher keeps the instance cached, so a session on it deploys with
 * three prog-array updates and no load. */
void cb_prewarm(struct vtld *d, struct pool_graft *pg)
{
	struct graft_inst *gi;
	char err[512];

	if (launcher_graft_get_tun(&d->l, pg->path, pg->meta.window_default,
				   pg->meta.max_loss_ppm, pg->meta.max_delay_ms, &gi, err,
				   sizeof(err))) {
		pr_warn("prewarming %s: %s\n", pg->meta.name, err);
		return;
	}
	launcher_graft_put(&d->l, gi);
}

/* ------------------------------------------------------------ initiator */

void cb_open(struct vtld *d, struct client *c, const struct vtl_ipc_open *o)
{
	struct launcher_sess ls = {};
	struct pool_graft *pg;
	struct session *s;
	char name[VTL_GRAFT_NAME_MAX + 1] = "", err[512];
	__u32 window, sid, rule_window = 0, rule_loss = 0;
	int e;

	if (c->state != CL_NEW) {
		client_send_error(c, -VTL_E_STATE, "OPEN on a connection that already has one");
		return;
	}
	if (o->flags & ~(VTL_OPEN_F_SHARED | VTL_OPEN_F_NODELAY)) {
		client_send_error(c, -VTL_E_BADPARAM, "OPEN flags %#x: unknown bits", o->flags);
		return;
	}
	c->nodelay = !!(o->flags & VTL_OPEN_F_NODELAY);
	if (o->mode == VTL_OPEN_LISTEN) {
		for (struct client *x = d->clients; x; x = x->next) {
			if (x != c && x->state == CL_LISTEN && x->port == o->service_port &&
			    !(x->shared && (o->flags & VTL_OPEN_F_SHARED))) {
				client_send_error(c, -EADDRINUSE, "port %u already has a listener",
						  o->service_port);
				return;
			}
		}
		c->state = CL_LISTEN;
		c->port = o->service_port;
		c->shared = !!(o->flags & VTL_OPEN_F_SHARED);
		client_send(c, VTL_IPC_LISTENING, NULL, 0);
		return;
	}
	if (o->mode != VTL_OPEN_CONNECT) {
		client_send_error(c, -VTL_E_BADPARAM, "OPEN mode %u is neither CONNECT nor LISTEN",
				  o->mode);
		return;
	}
	if (!o->peer_addr) {
		client_send_error(c, -VTL_E_BADPARAM, "OPEN without a peer address");
		return;
	}
	memcpy(name, o->graft, VTL_GRAFT_NAME_MAX);
	if (!name[0] && choose_graft(d, c, o, name, &rule_window, &rule_loss))
		return;
	pg = pool_find(&d->pool, name, 0);
	if (!pg) {
		client_send_error(c, -VTL_E_NOGRAFT, "graft '%s' is not in the pool %s", name,
				  d->pool.dir);
		return;
	}
	window = o->window ? o->window : rule_window ? rule_window :
		 d->cfg.default_window ? d->cfg.default_window : pg->meta.window_default;
	if (window < pg->meta.window_min || window > pg->meta.window_max) {
		client_send_error(c, -VTL_E_BADPARAM, "window %u outside %s's range %u..%u",
				  window, name, pg->meta.window_min, pg->meta.window_max);
		return;
	}
	do
		sid = rand32();
	while (session_id_used(d, sid));
	s = session_new(d, sid);
	if (!s) {
		client_send_error(c, -VTL_E_NORES, "no free session slot");
		return;
	}
	s->initiator = true;
	s->peer_addr = o->peer_addr;
	s->req_services = o->services;
	s->req_max_delay_ms = o->max_delay_ms;
	s->req_min_tput_kbps = o->min_tput_kbps;
	s->req_max_loss_ppm = o->max_loss_ppm;
	s->pg = pg;
	pg->users++;
	cb_set_services(s, pg, o->max_loss_ppm ? o->max_loss_ppm : rule_loss);
	s->max_delay_ms = cb_max_delay(pg, o->max_delay_ms);
	s->window = window;
	s->mss = d->mss;
	s->port = o->service_port;
	s->isn_tx = rand32();
	s->cl = c;
	c->s = s;
	c->state = CL_CONNECTING;
	/* load the graft now, so a broken object fails before we negotiate */
	e = launcher_graft_get_tun(&d->l, pg->path, window, s->max_loss_ppm, s->max_delay_ms,
				   &s->gi, err, sizeof(err));
	if (e) {
		cb_abort(d, s, -VTL_E_NOGRAFT, err, false);
		return;
	}
	ls = (struct launcher_sess){ .session_id = sid, .peer_addr = s->peer_addr,
		.window = window, .isn_tx = s->isn_tx, .isn_rx = 0, .mss = s->mss };
	e = launcher_session_add(&d->l, s->slot, &ls);
	if (!e)
		e = launcher_slot_set(&d->l, s->slot, d->canon);
	if (e) {
		cb_abort(d, s, -VTL_E_NORES, "no room for the session's state or buffers", false);
		return;
	}
	memcpy(s->nego.graft, pg->meta.name, VTL_GRAFT_NAME_MAX);
	s->nego.graft_version = htonl(pg->meta.version);
	memcpy(s->nego.graft_hash, pg->hash, VTL_HASH_LEN);
	s->nego.service_port = htons(o->service_port);
	s->nego.mss = htons((__u16)s->mss);
	s->nego.window = htonl(window);
	s->nego.services = htonl(o->services);
	s->nego.max_delay_ms = htonl(s->max_delay_ms ? s->max_delay_ms : o->max_delay_ms);
	s->nego.min_tput_kbps = htonl(o->min_tput_kbps);
	s->nego.max_loss_ppm = htonl(s->max_loss_ppm);
	s->nego.isn = htonl(s->isn_tx);
	s->state = S_NEGOTIATING;
	s->nego_gap_ms = NEGO_FIRST_GAP_MS;
	s->nego_next_ns = now_ns() + s->nego_gap_ms * 1000000ull;
	s->nego_deadline_ns = now_ns() +
		(__u64)(o->timeout_ms ? o->timeout_ms : d->cfg.nego_timeout_ms) * 1000000ull;
	pr_info("session %08x: NEGO %s v%u window %u to %s\n", sid, name, pg->meta.version,
		window, inet_ntoa((struct in_addr){ s->peer_addr }));
	d->stats.nego_sent++;
	db_send_ctrl(d, s->peer_addr, sid, VTL_T_NEGO, 0, 0, &s->nego, sizeof(s->nego));
}

static int nack_code(__u32 reason)
{
	switch (reason) {
	case VTL_NR_NO_GRAFT: return -VTL_E_NOGRAFT;
	case VTL_NR_NO_LISTENER: return -VTL_E_NOLISTENER;
	case VTL_NR_NO_RESOURCES: return -VTL_E_NORES;
	default: return -VTL_E_REFUSED;
	}
}

void cb_on_nego_reply(struct vtld *d, __u32 saddr, const struct vtl_hdr *h, const void *pay,
		      __u32 len)
{
	struct session *s = session_by_id(d, ntohl(h->session_id));
	const struct vtl_nego *n = pay;
	struct vtl_state *st;
	__u64 t0;
	__u32 mss;

	if (s && s->peer_addr == saddr && len >= sizeof(*n) && (ntohl(n->flags) & VTL_NF_SWAP)) {
		swap_on_reply(d, s, h, n);
		return;
	}
	if (!s || s->peer_addr != saddr || !s->initiator || s->state != S_NEGOTIATING)
		return; /* late duplicate or not ours */
	if (len < sizeof(*n)) {
		pr_warn("session %08x: short NEGO reply (%u bytes) ignored\n", s->id, len);
		return;
	}
	if (h->type == VTL_T_NEGO_NACK) {
		char why[160];
		__u32 r = ntohl(n->reason);

		snprintf(why, sizeof(why), "peer refused graft %.*s: %s", VTL_GRAFT_NAME_MAX,
			 s->nego.graft,
			 r == VTL_NR_NO_GRAFT ? "not in its pool" :
			 r == VTL_NR_NO_LISTENER ? "nobody listens on that port" :
			 r == VTL_NR_NO_RESOURCES ? "no resources" :
			 r == VTL_NR_BAD_PARAMS ? "parameters out of range" :
			 r == VTL_NR_SESSION_CLASH ? "session id clash" : "refused");
		d->stats.nego_nacked++;
		cb_abort(d, s, nack_code(r), why, false);
		return;
	}
	mss = ntohs(n->mss);
	if (mss >= 64 && mss < s->mss)
		s->mss = mss;
	s->isn_rx = ntohl(n->isn);
	st = launcher_state(&d->l, s->slot);
	st->rcv_nxt = s->isn_rx;
	st->rcv_acked = s->isn_rx;
	st->mss = s->mss;
	s->rx_nxt = s->isn_rx;
	t0 = now_ns();
	if (launcher_slot_set(&d->l, s->slot, s->gi)) {
		cb_abort(d, s, -VTL_E_NORES, "cannot deploy the negotiated graft", true);
		return;
	}
	s->state = S_OPEN;
	s->last_progress_ns = now_ns();
	d->stats.nego_acked++;
	d->stats.sessions_total++;
	pr_info("session %08x: NEGO_ACK, %s deployed in slot %u in %llu us\n", s->id,
		s->pg->meta.name, s->slot, (unsigned long long)(s->last_progress_ns - t0) / 1000);
	send_session_msg(s);
}

/* ------------------------------------------------------------ responder */

static void send_nack(struct vtld *d, __u32 saddr, __u32 sid, const struct vtl_nego *in,
		      __u32 reason)
{
	struct vtl_nego n = *in;
	__u32 sid_key = sid;
	struct vtl_nego_state ns = { .verdict = VTL_N_REFUSE, .reason = reason };

	n.reason = htonl(reason);
	d->stats.nego_refused[reason < 8 ? reason : 0]++;
	bpf_map_update_elem(launcher_map_fd(&d->l, "qos_nego"), &sid_key, &ns, BPF_ANY);
	pr_info("session %08x: NEGO_NACK (reason %u)\n", sid, reason);
	db_send_ctrl(d, saddr, sid, VTL_T_NEGO_NACK, 0, 0, &n, sizeof(n));
}

void cb_on_nego(struct vtld *d, __u32 saddr, const struct vtl_hdr *h, const void *pay, __u32 len)
{
	__u32 sid = ntohl(h->session_id), window;
	struct vtl_nego_state ns = { .verdict = VTL_N_ACCEPT };
	struct launcher_sess ls;
	const struct vtl_nego *n = pay;
	struct pool_graft *pg;
	struct session *s;
	struct client *c;
	char name[VTL_GRAFT_NAME_MAX + 1] = "", err[512];
	__u16 port;

	if (len < sizeof(*n) || !sid) {
		pr_debug("malformed NEGO (%u bytes, session %08x) ignored\n", len, sid);
		return;
	}
	s = session_by_id(d, sid);
	if (s && s->peer_addr == saddr && !s->initiator && (ntohl(n->flags) & VTL_NF_SWAP)) {
		swap_on_nego(d, s, n);
		return;
	}
	if (s) {
		if (s->peer_addr == saddr && !s->initiator)
			db_send_ctrl(d, saddr, sid, VTL_T_NEGO_ACK, 0, 0, &s->nego, sizeof(s->nego));
		else
			send_nack(d, saddr, sid, n, VTL_NR_SESSION_CLASH);
		return;
	}
	memcpy(name, n->graft, VTL_GRAFT_NAME_MAX);
	port = ntohs(n->service_port);
	for (c = d->clients; c; c = c->next)
		if (c->state == CL_LISTEN && c->port == port)
			break;
	if (!c) {
		send_nack(d, saddr, sid, n, VTL_NR_NO_LISTENER);
		return;
	}
	/* the same build: name, version and content hash must all match */
	pg = pool_find_hash(&d->pool, name, ntohl(n->graft_version), n->graft_hash);
	if (!pg) {
		send_nack(d, saddr, sid, n, VTL_NR_NO_GRAFT);
		return;
	}
	window = ntohl(n->window);
	if (window < pg->meta.window_min || window > pg->meta.window_max) {
		send_nack(d, saddr, sid, n, VTL_NR_BAD_PARAMS);
		return;
	}
	s = session_new(d, sid);
	if (!s) {
		send_nack(d, saddr, sid, n, VTL_NR_NO_RESOURCES);
		return;
	}
	s->peer_addr = saddr;
	s->pg = pg;
	pg->users++;
	cb_set_services(s, pg, ntohl(n->max_loss_ppm));
	s->max_delay_ms = cb_max_delay(pg, ntohl(n->max_delay_ms));
	s->window = window;
	s->mss = ntohs(n->mss) < d->mss ? ntohs(n->mss) : d->mss;
	s->port = port;
	s->isn_tx = rand32();
	s->isn_rx = ntohl(n->isn);
	s->rx_nxt = s->isn_rx;
	if ((s->reliable && session_rob_alloc(s)) ||
	    launcher_graft_get_tun(&d->l, pg->path, window, s->max_loss_ppm, s->max_delay_ms,
				   &s->gi, err, sizeof(err))) {
		pr_warn("session %08x: %s\n", sid, err);
		session_end(d, s);
		send_nack(d, saddr, sid, n, VTL_NR_NO_GRAFT);
		return;
	}
	ls = (struct launcher_sess){ .session_id = sid, .peer_addr = saddr, .window = window,
		.isn_tx = s->isn_tx, .isn_rx = s->isn_rx, .mss = s->mss, .receiver = 1 };
	if (launcher_session_add(&d->l, s->slot, &ls) ||
	    launcher_slot_set(&d->l, s->slot, s->gi)) {
		session_end(d, s);
		send_nack(d, saddr, sid, n, VTL_NR_NO_RESOURCES);
		return;
	}
	bpf_map_update_elem(launcher_map_fd(&d->l, "qos_nego"), &sid, &ns, BPF_ANY);
	s->nego = *n;
	s->nego.mss = htons((__u16)s->mss);
	s->nego.isn = htonl(s->isn_tx);
	s->nego.reason = htonl(VTL_NR_OK);
	s->state = S_OPEN;
	s->cl = c;
	c->s = s;
	d->stats.nego_accepted++;
	d->stats.sessions_total++;
	pr_info("session %08x: accepted %s v%u window %u from %s\n", sid, name,
		pg->meta.version, window, inet_ntoa((struct in_addr){ saddr }));
	db_send_ctrl(d, saddr, sid, VTL_T_NEGO_ACK, 0, 0, &s->nego, sizeof(s->nego));
	send_session_msg(s);
}

/* ------------------------------------------------------------ lifetime */

void cb_maybe_close(struct vtld *d, struct session *s)
{
	struct vtl_state *st = launcher_state(&d->l, s->slot);
	__u32 srtt_ms;

	if (s->state != S_OPEN || !s->app_shut || s->txq.len)
		return;
	/* (an atomic load: ordered after db_send_data's store of ev_quiet) */
	if (s->reliable && __atomic_load_n(&st->snd_una, __ATOMIC_SEQ_CST) != st->snd_nxt)
		return;
	srtt_ms = st->srtt_us / 1000;
	s->state = S_CLOSING;
	s->close_sent = true;
	s->close_gap_ms = srtt_ms * 2 > 20 ? srtt_ms * 2 : 20;
	s->close_next_ns = now_ns() + s->close_gap_ms * 1000000ull;
	s->last_progress_ns = now_ns();
	db_send_ctrl(d, s->peer_addr, s->id, VTL_T_CLOSE, st->snd_nxt, 0, NULL, 0);
}

void cb_on_progress(struct vtld *d, struct session *s)
{
	db_send_data(d, s);
	cb_maybe_close(d, s);
}

void cb_app_shutdown(struct vtld *d, struct session *s)
{
	s->app_shut = true;
	cb_on_progress(d, s);
}

void cb_on_close_ack(struct vtld *d, struct session *s)
{
	struct vtl_ipc_stats st;

	if (s->state != S_CLOSING || !s->close_sent)
		return;
	cb_session_stats(d, s, &st);
	if (s->cl) {
		client_send(s->cl, VTL_IPC_DONE, &st, sizeof(st));
		s->cl->state = CL_DONE;
	}
	pr_info("session %08x: closed, %llu bytes, %llu retransmissions\n", s->id,
		(unsigned long long)st.bytes, (unsigned long long)st.retransmits);
	session_end(d, s);
}

void cb_on_close(struct vtld *d, struct session *s, __u32 seq)
{
	struct vtl_ipc_stats st;

	if (s->initiator || (s->state != S_OPEN && s->state != S_CLOSING))
		return;
	if (!s->reliable)
		s->rx_nxt = seq; /* unreliable: what did not come is not coming */
	if (seq != s->rx_nxt)
		return; /* data before it is missing: the sender will ask again */
	s->peer_closed = true;
	if (s->rxq.len || stream_held(s->cl)) {
		db_flush_rx(d, s); /* comes back here once drained */
		return;
	}
	if (!s->eof_sent) {
		stream_eof(d, s); /* an attached stream gets its FIN first */
		cb_session_stats(d, s, &st);
		if (s->cl)
			client_send(s->cl, VTL_IPC_EOF, &st, sizeof(st));
		s->eof_sent = true;
		s->state = S_CLOSING;
		s->linger_until_ns = now_ns() + LINGER_MS * 1000000ull;
		pr_info("session %08x: peer closed, %llu bytes delivered\n", s->id,
			(unsigned long long)s->bytes_rx);
	}
	db_send_ctrl(d, s->peer_addr, s->id, VTL_T_CLOSE_ACK, 0, seq, NULL, 0);
}

void cb_on_reset(struct vtld *d, struct session *s)
{
	if (s->state == S_CLOSING && s->eof_sent) {
		session_end(d, s); /* we were only lingering */
		return;
	}
	cb_abort(d, s, -VTL_E_RESET, "peer reset the session", false);
}

void cb_app_gone(struct vtld *d, struct session *s)
{
	s->cl = NULL;
	if (s->state == S_CLOSING && s->eof_sent)
		return; /* linger to answer a repeated CLOSE */
	cb_abort(d, s, 0, "application closed its socket", true);
}

/* The peer host answered one of our packets with ICMP protocol
 * unreachable: no vtld runs there (any more). Fail the session now rather
 * than after the negotiation or peer timeout. */
void cb_on_unreachable(struct vtld *d, __u32 peer, __u32 sid)
{
	struct session *s = session_by_id(d, sid);
	char why[96];

	if (!s || s->peer_addr != peer)
		return;
	snprintf(why, sizeof(why), "peer %s has no VTL (it answered protocol unreachable)",
		 inet_ntoa((struct in_addr){ peer }));
	if (s->state == S_NEGOTIATING && s->initiator) {
		d->stats.nego_timeouts++;
		cb_abort(d, s, -VTL_E_NOVTL, why, false);
	} else if (s->state == S_OPEN) {
		cb_abort(d, s, -VTL_E_PEER_LOST, why, false);
	}
}

void cb_tick(struct vtld *d)
{
	__u64 now = now_ns(), peer_to = (__u64)d->cfg.peer_timeout_ms * 1000000ull;

	for (__u32 i = 1; i < VTL_MAX_SESSIONS; i++) {
		struct session *s = d->slots[i];
		struct vtl_state *st;

		if (!s)
			continue;
		st = launcher_state(&d->l, i);
		switch (s->state) {
		case S_NEGOTIATING:
			if (now >= s->nego_deadline_ns) {
				d->stats.nego_timeouts++;
				cb_abort(d, s, -VTL_E_TIMEOUT,
					 "no answer to NEGO: is vtld running on the peer?", false);
			} else if (now >= s->nego_next_ns) {
				db_send_ctrl(d, s->peer_addr, s->id, VTL_T_NEGO, 0, 0, &s->nego,
					     sizeof(s->nego));
				s->nego_gap_ms = s->nego_gap_ms * 2 > NEGO_MAX_GAP_MS ?
						 NEGO_MAX_GAP_MS : s->nego_gap_ms * 2;
				s->nego_next_ns = now + s->nego_gap_ms * 1000000ull;
			}
			break;
		case S_OPEN:
			netmon_tick(d, s, now);
			if (!d->slots[i])
				break; /* a failed swap may have ended it */
			swap_tick(d, s, now);
			if (s->initiator && (s->txq.len || s->app_shut)) {
				/* ACK events are the fast path; one the KTF could not
				 * post (ring buffer full) must not stall a window or
				 * a close, so the tick looks too */
				cb_on_progress(d, s);
				if (d->slots[i] != s || s->state != S_OPEN)
					break;
			}
			if (s->initiator && st->snd_una == st->snd_nxt && !s->txq.len) {
				/* idle sender: nothing owed; a keepalive (a bare ACK,
				 * consumed by the peer's listener KTF) every quarter
				 * of the peer timeout tells the receiver we are here */
				s->last_progress_ns = now;
				if (now - s->keepalive_ns >= peer_to / 4) {
					s->keepalive_ns = now;
					db_send_ctrl(d, s->peer_addr, s->id, VTL_T_ACK, 0, 0, NULL, 0);
				}
				break;
			}
			if (!s->initiator) {
				/* anything from the peer (data, duplicates, keepalives)
				 * shows up in the KTF counters */
				__u64 seen = st->rx_data + st->rx_acks + st->rx_dup + st->rx_ooo;

				if (seen != s->rx_seen) {
					s->rx_seen = seen;
					s->last_progress_ns = now;
				}
			}
			/* an ACK that advanced while vtld asked for no events
			 * (ev_quiet) is progress too: the KTF stamps it */
			if (s->initiator && st->last_progress_ns > s->last_progress_ns)
				/* (stamped on another CPU, perhaps after now was read) */
				s->last_progress_ns = st->last_progress_ns < now ?
						      st->last_progress_ns : now;
			if (now - s->last_progress_ns < peer_to)
				break;
			cb_abort(d, s, -VTL_E_PEER_LOST, "peer stopped answering", true);
			break;
		case S_CLOSING:
			if (!s->initiator) {
				if (now >= s->linger_until_ns)
					session_end(d, s);
			} else if (now - s->last_progress_ns >= peer_to) {
				cb_abort(d, s, -VTL_E_PEER_LOST, "peer did not confirm CLOSE", true);
			} else if (now >= s->close_next_ns) {
				db_send_ctrl(d, s->peer_addr, s->id, VTL_T_CLOSE, st->snd_nxt, 0,
					     NULL, 0);
				s->close_gap_ms = s->close_gap_ms * 2 > 1000 ? 1000 :
						  s->close_gap_ms * 2;
				s->close_next_ns = now + s->close_gap_ms * 1000000ull;
			}
			break;
		default:
			break;
		}
	}
}
