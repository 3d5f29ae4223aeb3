// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Session objects: allocation of a slot, lookup by id, release. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "vtld.h"

__u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static struct session *last_hit;

struct session *session_by_id(struct vtld *d, __u32 id)
{
	if (last_hit && last_hit->id == id && d->slots[last_hit->slot] == last_hit)
		return last_hit;
	for (__u32 i = 1; i < VTL_MAX_SESSIONS; i++) {
		if (d->slots[i] && d->slots[i]->id == id) {
			last_hit = d->slots[i];
			return last_hit;
		}
	}
	return NULL;
}

bool session_id_used(struct vtld *d, __u32 id)
{
	return !id || session_by_id(d, id) != NULL;
}

/* A new session in the first free slot (slot 0 is the canonical graft). */
struct session *session_new(struct vtld *d, __u32 id)
{
	struct session *s;
	__u32 slot;

	for (slot = 1; slot < VTL_MAX_SESSIONS; slot++)
		if (!d->slots[slot])
			break;
	if (slot == VTL_MAX_SESSIONS)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	if (bb_init(&s->txq, SESS_TXQ_BYTES) || bb_init(&s->rxq, SESS_RXQ_BYTES)) {
		bb_free(&s->txq);
		free(s);
		return NULL;
	}
	s->id = id;
	s->slot = slot;
	s->t_open_ns = now_ns();
	s->last_progress_ns = s->t_open_ns;
	d->slots[slot] = s;
	return s;
}

/* The reorder buffer of a receiving session: window slots of mss bytes. */
int session_rob_alloc(struct session *s)
{
	s->rob = malloc((size_t)s->window * s->mss);
	s->rob_len = calloc(s->window, sizeof(*s->rob_len));
	s->rob_hi = s->rx_nxt;
	if (!s->rob || !s->rob_len) {
		free(s->rob);
		free(s->rob_len);
		s->rob = NULL;
		s->rob_len = NULL;
		return -ENOMEM;
	}
	return 0;
}

void session_free(struct vtld *d, struct session *s)
{
	if (last_hit == s)
		last_hit = NULL;
	if (d->slots[s->slot] == s)
		d->slots[s->slot] = NULL;
	bb_free(&s->txq);
	bb_free(&s->rxq);
	free(s->rob);
	free(s->rob_len);
	free(s);
}
