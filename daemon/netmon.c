// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The NetMonitor: per-session RTT (smoothed, latest, minimum), loss and
 * goodput, every NETMON_PERIOD_MS, from the KTFs' own timestamps and
 * counters in the
 * session state (never from ping). It also runs the adaptation rules:
 * when a rule holds for its hold time, and the session has not swapped in
 * the last NETMON_MIN_GAP_MS, the session is swapped (swap.c).
 */
#include <string.h>
#include "log.h"
#include "loop.h"
#include "session.h"

#define NETMON_PERIOD_MS  50
#define NETMON_HOLD_MS    300   /* a rule must hold this long (unless it says) */
#define NETMON_MIN_GAP_MS 2000  /* hysteresis: at most one swap per this */

static void adapt(struct nego *ng, struct session *s, __u64 now)
{
	const struct vtl_state *st = s->tp.k;
	struct rule_input in = { .services = s->req.services };
	struct rule_choice ch;
	char err[256];
	__u64 hold_ns;

	if (!s->tp.initiator || s->sw.gi || !s->tp.reliable)
		return;
	in.v[RV_MAX_DELAY] = (__u64)s->req.max_delay_ms * 1000;
	in.v[RV_MIN_TPUT] = s->req.min_tput_kbps;
	in.v[RV_MAX_LOSS] = s->req.max_loss_ppm;
	in.known[RV_MAX_DELAY] = s->req.max_delay_ms != 0;
	in.known[RV_MIN_TPUT] = s->req.min_tput_kbps != 0;
	in.known[RV_MAX_LOSS] = s->req.max_loss_ppm != 0;
	/* the latest sample, not the smoothed value: a rule's "for" time is
	 * the filter, and a jump in RTT is seen one sample after it happens */
	in.v[RV_RTT] = st->rtt_last_us ? st->rtt_last_us : s->mon.fig.srtt_us;
	in.known[RV_RTT] = st->rtt_samples > 0;
	in.v[RV_LOSS] = s->mon.fig.loss_ppm;
	in.known[RV_LOSS] = st->tx_data > 0;
	if (rules_adapt(ng->rules, &in, &ch) || !strncmp(ch.graft, s->pg->meta.name,
							  VTL_GRAFT_NAME_MAX)) {
		s->mon.adapt_since_ns = 0;
		return;
	}
	if (!s->mon.adapt_since_ns || s->mon.adapt_id != ch.id) {  /* ids survive rule edits */
		s->mon.adapt_since_ns = now;
		s->mon.adapt_id = ch.id;
		return;
	}
	hold_ns = (ch.hold_us ? ch.hold_us : NETMON_HOLD_MS * 1000ull) * 1000ull;
	if (now - s->mon.adapt_since_ns < hold_ns ||
	    (s->sw.last_ns && now - s->sw.last_ns < NETMON_MIN_GAP_MS * 1000000ull))
		return;
	if (swap_start(ng, s, ch.graft, ch.max_loss_ppm, VTL_SWAP_BY_RULE, ch.line, err, sizeof(err)))
		pr_warn("session %08x: rule %d (line %d) wants %s: %s\n", s->tp.id, ch.index, ch.line,
			ch.graft, err);
	else
		ng->rules->r[ch.index].hits++;
	s->mon.adapt_since_ns = 0;
	s->sw.last_ns = now; /* also after a failure: do not retry in a loop */
}

void netmon_tick(struct nego *ng, struct session *s, __u64 now)
{
	const struct vtl_state *st = s->tp.k;
	__u64 dt = now - s->mon.t_ns, dtx, dretx;

	if (s->mon.t_ns && dt < NETMON_PERIOD_MS * 1000000ull)
		return;
	if (s->mon.t_ns) {
		if (s->tp.initiator) {
			__u64 acked = (__u32)(st->snd_una - (__u32)s->mon.una);

			s->mon.fig.goodput_bps = acked * s->tp.mss * 8 * 1000000000ull / dt;
		} else {
			s->mon.fig.goodput_bps = (s->tp.bytes_rx - s->mon.rx_bytes) * 8 * 1000000000ull / dt;
		}
		dtx = st->tx_data - s->mon.tx;
		dretx = st->tx_retx - s->mon.retx;
		if (dtx + dretx)
			s->mon.fig.loss_ppm = (__u32)(dretx * 1000000 / (dtx + dretx));
		s->mon.fig.period_ms = (__u32)(dt / 1000000);
	}
	s->mon.t_ns = now;
	s->mon.una = st->snd_una;
	s->mon.tx = st->tx_data;
	s->mon.retx = st->tx_retx;
	s->mon.rx_bytes = s->tp.bytes_rx;
	s->mon.fig.srtt_us = st->srtt_us;
	s->mon.fig.rttvar_us = st->rttvar_us;
	s->mon.fig.rtt_last_us = st->rtt_last_us;
	if (st->srtt_us && (!s->mon.fig.rtt_min_us || st->srtt_us < s->mon.fig.rtt_min_us))
		s->mon.fig.rtt_min_us = st->srtt_us;
	s->mon.fig.cwnd = s->tp.cc ? st->cwnd : s->tp.window;
	s->mon.fig.lost = s->tp.lost;
	pr_debug("netmon %08x: srtt %u last %u us, loss %u ppm, goodput %llu b/s, cwnd %u\n",
		 s->tp.id, s->mon.fig.srtt_us, s->mon.fig.rtt_last_us, s->mon.fig.loss_ppm,
		 (unsigned long long)s->mon.fig.goodput_bps, s->mon.fig.cwnd);
	adapt(ng, s, now);
}

void netmon_show(const struct session *s, struct vtl_ipc_session_show *o)
{
	__u32 n = s->sw.n < VTL_SWAP_HISTORY ? s->sw.n : VTL_SWAP_HISTORY;

	o->mon = s->mon.fig;
	o->max_loss_ppm = s->max_loss_ppm;
	o->age_ms = (now_ns() - s->tp.t_open_ns) / 1000000;
	o->n_swaps = n;
	for (__u32 i = 0; i < n; i++) /* oldest first */
		o->swaps[i] = s->sw.rec[(s->sw.n - n + i) % VTL_SWAP_HISTORY];
}
