// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Negotiation (session.h): the initiator turns an application's OPEN into
 * a session and a NEGO, the responder answers it, and each side deploys
 * the agreed graft through the Launcher.
 *
 *   initiator  OPEN -> rules choose a graft (unless the application named
 *              one) -> load it (a broken object fails here, before the
 *              peer is asked) -> slot on canonical -> NEGO, repeated with
 *              a doubling gap until the deadline -> NEGO_ACK: deploy,
 *              open; NEGO_NACK: fail with the peer's reason
 *   responder  NEGO -> a listener on the port, the same build (name,
 *              version, sha256) in the pool, the window in range, a slot,
 *              the graft deployed -> NEGO_ACK (a repeated NEGO gets the
 *              same answer); anything missing -> NEGO_NACK with why
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <vtl/errors.h>
#include "log.h"
#include "loop.h"
#include "session.h"

#define NEGO_FIRST_GAP_MS 50
#define NEGO_MAX_GAP_MS   500

static __u32 rand32(void)
{
	__u32 v = 0;

	while (getrandom(&v, sizeof(v), 0) != sizeof(v))
		;
	return v;
}

/* The peer an OPEN names: its IPv6 address (peer.family 6), or its IPv4
 * one (peer.family 4, or 0 from a client that only sets peer_addr); the
 * encapsulation and port are this vtld's to choose. */
static struct vtl_peer open_peer(const struct vtl_ipc_open *o, __u8 encap, __u16 port_be)
{
	struct vtl_peer p = vtl_peer4(o->peer_addr, encap, port_be);

	if (o->peer.family == VTL_AF_INET6) {
		p.family = VTL_AF_INET6;
		memcpy(p.addr, o->peer.addr, sizeof(p.addr));
	} else if (o->peer.family == VTL_AF_INET && o->peer.addr[0]) {
		p.addr[0] = o->peer.addr[0];
	}
	return p;
}

static bool peer_unset(const struct vtl_peer *p)
{
	return !(p->addr[0] | p->addr[1] | p->addr[2] | p->addr[3]);
}

/* The Control Broker's rules pick the graft when the application did not. */
static int choose_graft(struct nego *ng, const struct vtl_ipc_open *o, char *name,
			__u32 *window, __u32 *max_loss, char *err, size_t errlen)
{
	struct rule_input in = { .services = o->services };
	struct vtl_peer who = open_peer(o, VTL_ENCAP_RAW, 0);
	const struct peer_fig *p = nego_peer_fig(ng, &who);
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
	if (rules_select(ng->rules, &in, &ch)) {
		snprintf(err, errlen, "no Control Broker rule matches services 0x%x", o->services);
		return -VTL_E_NOGRAFT;
	}
	snprintf(name, VTL_GRAFT_NAME_MAX + 1, "%s", ch.graft);
	*window = ch.window;
	*max_loss = ch.max_loss_ppm;
	ng->rules->r[ch.index].hits++;
	pr_info("rule at line %d chose %s (window %u, max_loss %u ppm; rule %d, id %u)\n",
		ch.line, ch.graft, ch.window, ch.max_loss_ppm, ch.index, ch.id);
	return 0;
}

/* Load a graft with its default tunables ahead of any session: the
 * Launcher keeps the instance cached, so a session on it deploys with
 * three prog-array updates and no load. */
void nego_prewarm(struct nego *ng, struct pool_graft *pg)
{
	struct graft_inst *gi;
	char err[512];

	if (launcher_graft_get_tun(ng->l, pg->path, pg->meta.window_default,
				   pg->meta.max_loss_ppm, pg->meta.max_delay_ms, &gi, err,
				   sizeof(err))) {
		pr_warn("prewarming %s: %s\n", pg->meta.name, err);
		return;
	}
	launcher_graft_put(ng->l, gi);
}

static void send_nego(struct nego *ng, struct session *s)
{
	tp_send_ctrl(ng->tp, &s->tp.peer, s->tp.id, VTL_T_NEGO, &s->ng.msg, sizeof(s->ng.msg));
}

/* ------------------------------------------------------------ initiator */

/* The largest payload of a DATA frame to peer: what the MTU leaves after
 * the IP (20 or 40 bytes) and VTL headers, less the UDP header over UDP. */
static __u32 nego_mss(const struct nego *ng, const struct vtl_peer *peer)
{
	__u32 mss = peer->family == VTL_AF_INET6 ? ng->mss - 20 : ng->mss; /* 40-byte IPv6 */

	return peer->encap == VTL_ENCAP_UDP ? mss - 8 : mss;
}

int nego_connect(struct nego *ng, void *owner, const struct vtl_ipc_open *o,
		 struct session **out, char *err, size_t errlen)
{
	struct launcher_sess ls = {};
	struct pool_graft *pg;
	struct session *s;
	char name[VTL_GRAFT_NAME_MAX + 1] = "", lerr[512], pstr[VTL_PEER_STRLEN];
	__u32 window, sid, rule_window = 0, rule_loss = 0;
	__u64 now;
	int e;

	*out = NULL;
	if (!o->peer_addr && peer_unset(&o->peer)) {
		snprintf(err, errlen, "OPEN without a peer address");
		return -VTL_E_BADPARAM;
	}
	if (o->peer.family && o->peer.family != VTL_AF_INET && o->peer.family != VTL_AF_INET6) {
		snprintf(err, errlen, "OPEN: peer address family %u is neither 4 nor 6",
			 o->peer.family);
		return -VTL_E_BADPARAM;
	}
	memcpy(name, o->graft, VTL_GRAFT_NAME_MAX);
	if (!name[0]) {
		e = choose_graft(ng, o, name, &rule_window, &rule_loss, err, errlen);
		if (e)
			return e;
	}
	pg = pool_find(ng->pool, name, 0);
	if (!pg) {
		snprintf(err, errlen, "graft '%s' is not in the pool %s", name, ng->pool->dir);
		return -VTL_E_NOGRAFT;
	}
	window = o->window ? o->window : rule_window ? rule_window :
		 ng->cfg->default_window ? ng->cfg->default_window : pg->meta.window_default;
	if (window < pg->meta.window_min || window > pg->meta.window_max) {
		snprintf(err, errlen, "window %u outside %s's range %u..%u", window, name,
			 pg->meta.window_min, pg->meta.window_max);
		return -VTL_E_BADPARAM;
	}
	do
		sid = rand32();
	while (session_id_used(ng, sid));
	s = session_new(ng, sid);
	if (!s) {
		snprintf(err, errlen, "no free session slot");
		return -VTL_E_NORES;
	}
	s->tp.initiator = true;
	/* the encapsulation this host starts sessions in; over UDP, the
	 * peer listens on the same port as we do */
	s->tp.peer = open_peer(o, ng->cfg->encap, htons((__u16)ng->cfg->udp_port));
	s->tp.nodelay = !!(o->flags & VTL_OPEN_F_NODELAY);
	s->req = (struct sess_req){ .services = o->services, .max_delay_ms = o->max_delay_ms,
		.min_tput_kbps = o->min_tput_kbps, .max_loss_ppm = o->max_loss_ppm };
	s->pg = pg;
	pg->users++;
	sess_set_services(s, pg, o->max_loss_ppm ? o->max_loss_ppm : rule_loss);
	s->max_delay_ms = sess_max_delay(pg, o->max_delay_ms);
	s->tp.window = window;
	s->tp.mss = nego_mss(ng, &s->tp.peer);
	s->port = o->service_port;
	s->isn_tx = rand32();
	s->owner = owner;
	*out = s;
	/* load the graft now, so a broken object fails before we negotiate */
	e = launcher_graft_get_tun(ng->l, pg->path, window, s->max_loss_ppm, s->max_delay_ms,
				   &s->gi, lerr, sizeof(lerr));
	if (e) {
		session_abort(ng, s, -VTL_E_NOGRAFT, lerr, false);
		return 1;
	}
	ls = (struct launcher_sess){ .session_id = sid, .peer = s->tp.peer,
		.window = window, .isn_tx = s->isn_tx, .isn_rx = 0, .mss = s->tp.mss };
	e = launcher_session_add(ng->l, s->tp.slot, &ls);
	if (!e)
		e = launcher_slot_set(ng->l, s->tp.slot, ng->canon);
	if (e) {
		session_abort(ng, s, -VTL_E_NORES, "no room for the session's state or buffers",
			      false);
		return 1;
	}
	memcpy(s->ng.msg.graft, pg->meta.name, VTL_GRAFT_NAME_MAX);
	s->ng.msg.graft_version = htonl(pg->meta.version);
	memcpy(s->ng.msg.graft_hash, pg->hash, VTL_HASH_LEN);
	s->ng.msg.service_port = htons(o->service_port);
	s->ng.msg.mss = htons((__u16)s->tp.mss);
	s->ng.msg.window = htonl(window);
	s->ng.msg.services = htonl(o->services);
	s->ng.msg.max_delay_ms = htonl(s->max_delay_ms ? s->max_delay_ms : o->max_delay_ms);
	s->ng.msg.min_tput_kbps = htonl(o->min_tput_kbps);
	s->ng.msg.max_loss_ppm = htonl(s->max_loss_ppm);
	s->ng.msg.isn = htonl(s->isn_tx);
	s->tp.state = TP_NEGOTIATING;
	now = now_ns();
	s->ng.gap_ms = NEGO_FIRST_GAP_MS;
	s->ng.next_ns = now + s->ng.gap_ms * 1000000ull;
	s->ng.deadline_ns = now +
		(__u64)(o->timeout_ms ? o->timeout_ms : ng->cfg->nego_timeout_ms) * 1000000ull;
	pr_info("session %08x: NEGO %s v%u window %u to %s\n", sid, name, pg->meta.version,
		window, vtl_peer_str(&s->tp.peer, pstr, sizeof(pstr)));
	ng->st.nego_sent++;
	send_nego(ng, s);
	return 0;
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

static const char *nack_text(__u32 r)
{
	return r == VTL_NR_NO_GRAFT ? "not in its pool" :
	       r == VTL_NR_NO_LISTENER ? "nobody listens on that port" :
	       r == VTL_NR_NO_RESOURCES ? "no resources" :
	       r == VTL_NR_BAD_PARAMS ? "parameters out of range" :
	       r == VTL_NR_SESSION_CLASH ? "session id clash" : "refused";
}

void nego_on_reply(struct nego *ng, const struct vtl_peer *from, const struct vtl_hdr *h,
		   const void *pay, __u32 len)
{
	struct session *s = session_by_id(ng, ntohl(h->session_id));
	const struct vtl_nego *n = pay;
	struct vtl_state *k;
	__u64 t0;
	__u32 mss;

	if (s && vtl_peer_eq(&s->tp.peer, from) && len >= sizeof(*n) &&
	    (ntohl(n->flags) & VTL_NF_SWAP)) {
		swap_on_reply(ng, s, h, n);
		return;
	}
	if (!s || !vtl_peer_eq(&s->tp.peer, from) || !s->tp.initiator ||
	    s->tp.state != TP_NEGOTIATING)
		return; /* late duplicate or not ours */
	if (len < sizeof(*n)) {
		pr_warn("session %08x: short NEGO reply (%u bytes) ignored\n", s->tp.id, len);
		return;
	}
	if (h->type == VTL_T_NEGO_NACK) {
		char why[160];
		__u32 r = ntohl(n->reason);

		snprintf(why, sizeof(why), "peer refused graft %.*s: %s", VTL_GRAFT_NAME_MAX,
			 s->ng.msg.graft, nack_text(r));
		ng->st.nego_nacked++;
		session_abort(ng, s, nack_code(r), why, false);
		return;
	}
	mss = ntohs(n->mss);
	if (mss >= 64 && mss < s->tp.mss)
		s->tp.mss = mss;
	s->isn_rx = ntohl(n->isn);
	k = s->tp.k;
	k->rcv_nxt = s->isn_rx;      /* the peer's direction starts here */
	k->rcv_acked = s->isn_rx;
	k->isn_rx = s->isn_rx;
	k->pr_skip = s->isn_rx;
	k->hole_seq = s->isn_rx;
	k->hole_hi = s->isn_rx;
	k->mss = s->tp.mss;
	s->tp.rx_nxt = s->isn_rx;
	t0 = now_ns();
	if (launcher_slot_set(ng->l, s->tp.slot, s->gi)) {
		session_abort(ng, s, -VTL_E_NORES, "cannot deploy the negotiated graft", true);
		return;
	}
	tp_open(ng->tp, &s->tp);
	ng->st.nego_acked++;
	ng->st.sessions_total++;
	pr_info("session %08x: NEGO_ACK, %s deployed in slot %u in %llu us\n", s->tp.id,
		s->pg->meta.name, s->tp.slot,
		(unsigned long long)(s->tp.last_progress_ns - t0) / 1000);
	if (s->owner)
		ng->app->opened(ng->app_ctx, s);
}

/* ------------------------------------------------------------ responder */

static void send_nack(struct nego *ng, const struct vtl_peer *to, __u32 sid,
		      const struct vtl_nego *in,
		      __u32 reason)
{
	struct vtl_nego n = *in;
	__u32 sid_key = sid;
	struct vtl_nego_state ns = { .verdict = VTL_N_REFUSE, .reason = reason };

	n.reason = htonl(reason);
	ng->st.nego_refused[reason < 8 ? reason : 0]++;
	bpf_map_update_elem(launcher_map_fd(ng->l, "qos_nego"), &sid_key, &ns, BPF_ANY);
	pr_info("session %08x: NEGO_NACK (reason %u)\n", sid, reason);
	tp_send_ctrl(ng->tp, to, sid, VTL_T_NEGO_NACK, &n, sizeof(n));
}

void nego_on_nego(struct nego *ng, const struct vtl_peer *from, const struct vtl_hdr *h,
		  const void *pay, __u32 len)
{
	char pstr[VTL_PEER_STRLEN];
	__u32 sid = ntohl(h->session_id), window;
	struct vtl_nego_state ns = { .verdict = VTL_N_ACCEPT };
	struct launcher_sess ls;
	const struct vtl_nego *n = pay;
	struct pool_graft *pg;
	struct session *s;
	void *owner;
	char name[VTL_GRAFT_NAME_MAX + 1] = "", err[512] = "";
	__u16 port;

	if (len < sizeof(*n) || !sid) {
		pr_debug("malformed NEGO (%u bytes, session %08x) ignored\n", len, sid);
		return;
	}
	s = session_by_id(ng, sid);
	if (s && vtl_peer_eq(&s->tp.peer, from) && !s->tp.initiator &&
	    (ntohl(n->flags) & VTL_NF_SWAP)) {
		swap_on_nego(ng, s, n);
		return;
	}
	if (s) {
		if (vtl_peer_eq(&s->tp.peer, from) && !s->tp.initiator)
			tp_send_ctrl(ng->tp, from, sid, VTL_T_NEGO_ACK, &s->ng.msg,
				     sizeof(s->ng.msg));
		else
			send_nack(ng, from, sid, n, VTL_NR_SESSION_CLASH);
		return;
	}
	memcpy(name, n->graft, VTL_GRAFT_NAME_MAX);
	port = ntohs(n->service_port);
	owner = ng->app->listener(ng->app_ctx, port);
	if (!owner) {
		send_nack(ng, from, sid, n, VTL_NR_NO_LISTENER);
		return;
	}
	/* the same build: name, version and content hash must all match */
	pg = pool_find_hash(ng->pool, name, ntohl(n->graft_version), n->graft_hash);
	if (!pg) {
		send_nack(ng, from, sid, n, VTL_NR_NO_GRAFT);
		return;
	}
	window = ntohl(n->window);
	if (window < pg->meta.window_min || window > pg->meta.window_max) {
		send_nack(ng, from, sid, n, VTL_NR_BAD_PARAMS);
		return;
	}
	s = session_new(ng, sid);
	if (!s) {
		send_nack(ng, from, sid, n, VTL_NR_NO_RESOURCES);
		return;
	}
	s->tp.peer = *from;   /* answered the way it came (and, behind a NAT, to the NAT) */
	s->pg = pg;
	pg->users++;
	sess_set_services(s, pg, ntohl(n->max_loss_ppm));
	s->max_delay_ms = sess_max_delay(pg, ntohl(n->max_delay_ms));
	s->tp.window = window;
	s->tp.mss = ntohs(n->mss) < nego_mss(ng, from) ? ntohs(n->mss) : nego_mss(ng, from);
	s->port = port;
	s->isn_tx = rand32();
	s->isn_rx = ntohl(n->isn);
	s->tp.rx_nxt = s->isn_rx;
	if (launcher_graft_get_tun(ng->l, pg->path, window, s->max_loss_ppm, s->max_delay_ms,
				   &s->gi, err, sizeof(err))) {
		pr_warn("session %08x: %s\n", sid, err[0] ? err : "out of memory");
		session_end(ng, s);
		send_nack(ng, from, sid, n, VTL_NR_NO_GRAFT);
		return;
	}
	ls = (struct launcher_sess){ .session_id = sid, .peer = *from, .window = window,
		.isn_tx = s->isn_tx, .isn_rx = s->isn_rx, .mss = s->tp.mss };
	if (launcher_session_add(ng->l, s->tp.slot, &ls) ||
	    launcher_slot_set(ng->l, s->tp.slot, s->gi)) {
		pr_info("session %08x from %s: refused, no room for the session's state or "
			"buffers (retransmission copies: --retx-buffers)\n", sid,
			vtl_peer_str(from, pstr, sizeof(pstr)));
		session_end(ng, s);
		send_nack(ng, from, sid, n, VTL_NR_NO_RESOURCES);
		return;
	}
	bpf_map_update_elem(launcher_map_fd(ng->l, "qos_nego"), &sid, &ns, BPF_ANY);
	s->ng.msg = *n;
	s->ng.msg.mss = htons((__u16)s->tp.mss);
	s->ng.msg.isn = htonl(s->isn_tx);
	s->ng.msg.reason = htonl(VTL_NR_OK);
	tp_open(ng->tp, &s->tp);
	s->owner = owner;
	ng->st.nego_accepted++;
	ng->st.sessions_total++;
	pr_info("session %08x: accepted %s v%u window %u from %s\n", sid, name,
		pg->meta.version, window, vtl_peer_str(from, pstr, sizeof(pstr)));
	tp_send_ctrl(ng->tp, from, sid, VTL_T_NEGO_ACK, &s->ng.msg, sizeof(s->ng.msg));
	ng->app->opened(ng->app_ctx, s);
}

/* The peer host answered one of our packets with ICMP protocol
 * unreachable: no vtld runs there (any more). Fail the session now rather
 * than after the negotiation or peer timeout. */
void nego_on_unreachable(struct nego *ng, const struct vtl_peer *peer, __u32 sid)
{
	struct session *s = session_by_id(ng, sid);
	char why[160], pstr[VTL_PEER_STRLEN];

	if (!s || !vtl_peer_eq(&s->tp.peer, peer))
		return;
	snprintf(why, sizeof(why), "peer %s has no VTL (it answered %s unreachable)",
		 vtl_peer_str(peer, pstr, sizeof(pstr)),
		 peer->encap == VTL_ENCAP_UDP ? "port" : "protocol");
	if (s->tp.state == TP_NEGOTIATING && s->tp.initiator) {
		ng->st.nego_timeouts++;
		session_abort(ng, s, -VTL_E_NOVTL, why, false);
	} else if (s->tp.state == TP_OPEN) {
		session_abort(ng, s, -VTL_E_PEER_LOST, why, false);
	}
}

void nego_tick(struct nego *ng)
{
	__u64 now = now_ns();

	for (__u32 i = 1; i < ng->tp->slot_hi; i++) {
		struct session *s = session_at(ng, i);

		if (!s)
			continue;
		switch (s->tp.state) {
		case TP_NEGOTIATING:
			if (now >= s->ng.deadline_ns) {
				ng->st.nego_timeouts++;
				session_abort(ng, s, -VTL_E_TIMEOUT,
					      "no answer to NEGO: is vtld running on the peer?", false);
			} else if (now >= s->ng.next_ns) {
				send_nego(ng, s);
				s->ng.gap_ms = s->ng.gap_ms * 2 > NEGO_MAX_GAP_MS ?
					       NEGO_MAX_GAP_MS : s->ng.gap_ms * 2;
				s->ng.next_ns = now + s->ng.gap_ms * 1000000ull;
			}
			break;
		case TP_OPEN:
			/* (with many sessions, a share of them each tick; one
			 * swapping is timed, so it is visited every time) */
			if (!s->sw.gi && !tp_tick_visits(ng->tp, i))
				break;
			netmon_tick(ng, s, now);
			if (session_at(ng, i) == s)   /* a failed swap may have ended it */
				swap_tick(ng, s, now);
			break;
		default:
			break;
		}
	}
}
