/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* A byte ring used for the per-session send and receive queues. */
#ifndef VTLD_BYTEBUF_H
#define VTLD_BYTEBUF_H

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

struct bytebuf {
	unsigned char *buf;
	size_t cap, head, len;
	size_t max;           /* the most it may hold; memory comes as it fills */
};

#define BB_FIRST (64u << 10)  /* the first allocation, at most */

/* An empty queue of at most max bytes; it allocates nothing yet. */
static inline void bb_init(struct bytebuf *b, size_t max)
{
	b->buf = NULL;
	b->cap = b->head = b->len = 0;
	b->max = max;
}

static inline void bb_free(struct bytebuf *b)
{
	free(b->buf);
	b->buf = NULL;
	b->cap = b->head = b->len = 0;
}

/* An empty queue gives its memory back (it grows again when used). */
static inline void bb_trim(struct bytebuf *b)
{
	if (!b->len && b->buf)
		bb_free(b);
}

static inline size_t bb_room(const struct bytebuf *b)
{
	return b->max - b->len;
}

/* Room for need bytes in all (need <= max): double the buffer as needed,
 * unwrapping what it holds. -1: out of memory (nothing changed). */
static inline int bb_reserve(struct bytebuf *b, size_t need)
{
	size_t cap = b->cap ? b->cap : (b->max < BB_FIRST ? b->max : BB_FIRST);
	unsigned char *nb;

	if (need <= b->cap)
		return 0;
	if (need > b->max)
		return -1;
	while (cap < need)
		cap = cap * 2 > b->max ? b->max : cap * 2;
	nb = malloc(cap);
	if (!nb)
		return -1;
	if (b->len) {
		size_t first = b->len < b->cap - b->head ? b->len : b->cap - b->head;

		memcpy(nb, b->buf + b->head, first);
		memcpy(nb + first, b->buf, b->len - first);
	}
	free(b->buf);
	b->buf = nb;
	b->cap = cap;
	b->head = 0;
	return 0;
}

/* Append n bytes; the caller checked bb_room(). -1: out of memory. */
static inline int bb_push(struct bytebuf *b, const void *p, size_t n)
{
	size_t tail, first;

	if (bb_reserve(b, b->len + n))
		return -1;
	tail = (b->head + b->len) % b->cap;
	first = n < b->cap - tail ? n : b->cap - tail;
	memcpy(b->buf + tail, p, first);
	memcpy(b->buf, (const unsigned char *)p + first, n - first);
	b->len += n;
	return 0;
}

/* Up to n bytes from offset off as at most two iovecs (the ring may wrap),
 * without copying; *got says how many bytes they hold. Returns the number
 * of iovecs (0 when there is nothing at off). */
static inline int bb_iov(const struct bytebuf *b, size_t off, size_t n, struct iovec iov[2],
			 size_t *got)
{
	size_t start, first;

	*got = 0;
	if (off >= b->len)
		return 0;
	if (n > b->len - off)
		n = b->len - off;
	start = (b->head + off) % b->cap;
	first = n < b->cap - start ? n : b->cap - start;
	iov[0] = (struct iovec){ b->buf + start, first };
	iov[1] = (struct iovec){ b->buf, n - first };
	*got = n;
	return n > first ? 2 : 1;
}

/* Contiguous readable bytes at the head. */
static inline size_t bb_contig(const struct bytebuf *b, const unsigned char **p)
{
	size_t n = b->cap - b->head;

	*p = b->buf ? b->buf + b->head : NULL;
	return n < b->len ? n : b->len;
}

static inline void bb_consume(struct bytebuf *b, size_t n)
{
	if (n > b->len)
		n = b->len;
	if (!n)
		return;
	b->head = (b->head + n) % b->cap;
	b->len -= n;
	if (!b->len)
		b->head = 0;
}

#endif
