/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Between the transport's own files (tp_send.c, tp_recv.c, tp_life.c). */
#ifndef VTLD_TP_INT_H
#define VTLD_TP_INT_H

#include "transport.h"

/* Is s still the session in its slot (a callback may have ended it)? */
static inline bool tp_alive(const struct transport *tp, const struct tp_sess *s, __u32 slot,
			    __u32 id)
{
	return tp->slots[slot] == s && s->id == id;
}

/* Append s to a work list (transport.h: TP_LIST_MAX entries). Entries of
 * sessions that ended are NULL (tp_sess_del); a full list is compacted. */
static inline void tp_list_push(struct tp_sess **list, unsigned int *n, struct tp_sess *s)
{
	if (*n == TP_LIST_MAX) {
		unsigned int k = 0;

		for (unsigned int i = 0; i < *n; i++)
			if (list[i])
				list[k++] = list[i];
		*n = k;
	}
	list[(*n)++] = s;
}

/* An ACK advanced (or may have): send more, or close. */
void tp_progress(struct transport *tp, struct tp_sess *s);
/* Retransmission triggers for [from, to) of s, clamped to what is in
 * flight (the KTF asked, or its timer could not be armed). */
void tp_retransmit(struct transport *tp, struct tp_sess *s, __u32 from, __u32 to);
/* the tick's share of a closing sender */
void tp_close_tick(struct transport *tp, struct tp_sess *s, __u64 now);
/* frames for a known session from its peer */
void tp_rx_data(struct transport *tp, struct tp_sess *s, const struct vtl_hdr *h,
		const void *pay, __u32 len);
void tp_rx_close(struct transport *tp, struct tp_sess *s, __u32 seq);
void tp_rx_reset(struct transport *tp, struct tp_sess *s);
/* send every ACK on the ACK queue */
void tp_flush_acks(struct transport *tp);
/* a receiving session's reorder buffer (window slots of mss bytes), made
 * when the first packet arrives out of order */
int tp_rob_alloc(struct tp_sess *s);
/* both directions are over: start lingering */
void tp_maybe_finish(struct transport *tp, struct tp_sess *s);

#endif
