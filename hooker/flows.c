// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The registry of open flows, for `vtlctl hooker flows`: each flow thread
 * registers its record for as long as it runs; the pumps count bytes into
 * it. Listing copies the records under the lock.
 */
#include <pthread.h>
#include "hk.h"

static struct hk_flowrec *head;
static uint32_t count;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

void hk_flow_register(struct hk_flowrec *r)
{
	r->start_ms = hk_now_ms();
	pthread_mutex_lock(&lock);
	r->prev = NULL;
	r->next = head;
	if (head)
		head->prev = r;
	head = r;
	count++;
	pthread_mutex_unlock(&lock);
}

void hk_flow_unregister(struct hk_flowrec *r)
{
	pthread_mutex_lock(&lock);
	if (r->prev)
		r->prev->next = r->next;
	else
		head = r->next;
	if (r->next)
		r->next->prev = r->prev;
	count--;
	pthread_mutex_unlock(&lock);
}

void hk_flow_set_path(struct hk_flowrec *r, uint8_t path)
{
	pthread_mutex_lock(&lock);
	r->f.path = path;
	pthread_mutex_unlock(&lock);
}

void hk_flow_set_vtl(struct hk_flowrec *r, struct vtl_sock *up, struct vtl_sock *down)
{
	pthread_mutex_lock(&lock);
	r->v_up = up;
	r->v_down = down;
	pthread_mutex_unlock(&lock);
}

/* A flow's counter: vtld's figure while vtld moves its bytes (asked over
 * a control connection of its own; the lock keeps the session open). */
static uint64_t bytes_of(_Atomic uint64_t *c, struct vtl_sock *s)
{
	uint64_t b;

	if (s && vtl_get_progress(s, &b) == 0)
		return b;
	return atomic_load(c);
}

int hk_flow_snapshot(struct vtl_hk_flow *out, int max, uint32_t *total)
{
	int64_t now = hk_now_ms();
	struct hk_flowrec *r;
	int n = 0;

	pthread_mutex_lock(&lock);
	*total = count;
	for (r = head; r && n < max; r = r->next) {
		out[n] = r->f;
		out[n].bytes_up = bytes_of(&r->up, r->v_up);
		out[n].bytes_down = bytes_of(&r->down, r->v_down);
		out[n].age_ms = (uint32_t)(now - r->start_ms);
		n++;
	}
	pthread_mutex_unlock(&lock);
	return n;
}
