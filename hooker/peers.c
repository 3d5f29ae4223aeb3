// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The capability cache: what each peer host answered last time. A peer
 * without VTL (no answer, nobody listening on the Hooker's VTL port, no
 * common graft) is sent straight to TCP for --novtl-ttl seconds, so only
 * the first connection to it pays the VTL head start. The kernel keeps a
 * copy (hk_novtl): connect4 leaves connections to such a peer alone, so
 * they do not even pass through this process.
 */
#include <pthread.h>
#include <string.h>
#include <vtl/errors.h>
#include "hk.h"

#define NPEERS VTL_HK_NOVTL_MAX  /* hk_novtl holds at most every peer */

struct peer {
	uint32_t addr;
	int state;
	int64_t until_ms;
	uint32_t flows, fallbacks;
	int last_err;
	int64_t used_ms;
};

static struct peer peers[NPEERS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static struct peer *find(uint32_t addr, bool create)
{
	struct peer *old = &peers[0];
	int i;

	for (i = 0; i < NPEERS; i++) {
		if (peers[i].addr == addr)
			return &peers[i];
		if (peers[i].used_ms < old->used_ms)
			old = &peers[i];
	}
	if (!create)
		return NULL;
	if (old->addr && old->state == VTL_HK_PEER_NOVTL)
		hk_bpf_novtl(old->addr, 0);
	memset(old, 0, sizeof(*old));  /* evict the least recently used */
	old->addr = addr;
	old->state = VTL_HK_PEER_UNKNOWN;
	return old;
}

int hk_peer_state(uint32_t addr)
{
	struct peer *p;
	int st = VTL_HK_PEER_UNKNOWN;

	pthread_mutex_lock(&lock);
	p = find(addr, false);
	if (p) {
		p->used_ms = hk_now_ms();
		if (p->state == VTL_HK_PEER_NOVTL && p->until_ms <= p->used_ms) {
			p->state = VTL_HK_PEER_UNKNOWN;  /* try VTL again */
			hk_bpf_novtl(addr, 0);
		}
		st = p->state;
	}
	pthread_mutex_unlock(&lock);
	return st;
}

/* err: 0 (VTL carried the flow) or why VTL did not. Only answers that
 * say something about the peer host mark it as lacking VTL. */
void hk_peer_result(uint32_t addr, int err, bool via_vtl)
{
	struct peer *p;

	pthread_mutex_lock(&lock);
	p = find(addr, true);
	p->used_ms = hk_now_ms();
	p->last_err = err;
	if (via_vtl) {
		if (p->state == VTL_HK_PEER_NOVTL)
			hk_bpf_novtl(addr, 0);
		p->state = VTL_HK_PEER_VTL;
		p->flows++;
	} else {
		p->fallbacks++;
		/* "nobody listens" from a peer whose Hooker served us before
		 * means its listeners were all taken by a burst of flows, not
		 * that it has none: this flow goes over TCP, the next tries VTL */
		bool busy = err == -VTL_E_NOLISTENER && p->state == VTL_HK_PEER_VTL;

		if (!busy && (err == -VTL_E_TIMEOUT || err == -VTL_E_NOLISTENER ||
			      err == -VTL_E_NOVTL || err == -VTL_E_NOGRAFT ||
			      err == -VTL_E_REFUSED)) {
			p->state = VTL_HK_PEER_NOVTL;
			p->until_ms = p->used_ms + (int64_t)hk->o.novtl_ttl_s * 1000;
			if (hk->o.novtl_ttl_s)
				hk_bpf_novtl(addr, p->until_ms);
		}
	}
	pthread_mutex_unlock(&lock);
}

int hk_peer_snapshot(struct vtl_hk_peer *out, int max)
{
	int64_t now = hk_now_ms();
	int i, n = 0;

	pthread_mutex_lock(&lock);
	for (i = 0; i < NPEERS && n < max; i++) {
		if (!peers[i].addr)
			continue;
		out[n] = (struct vtl_hk_peer){
			.addr = peers[i].addr,
			.state = (uint32_t)peers[i].state,
			.expires_ms = peers[i].state == VTL_HK_PEER_NOVTL &&
				      peers[i].until_ms > now ?
				      (uint32_t)(peers[i].until_ms - now) : 0,
			.flows = peers[i].flows,
			.fallbacks = peers[i].fallbacks,
			.last_err = (uint32_t)peers[i].last_err,
		};
		n++;
	}
	pthread_mutex_unlock(&lock);
	return n;
}
