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
};

static inline int bb_init(struct bytebuf *b, size_t cap)
{
	b->buf = malloc(cap);
	b->cap = b->buf ? cap : 0;
	b->head = b->len = 0;
	return b->buf ? 0 : -1;
}

static inline void bb_free(struct bytebuf *b)
{
	free(b->buf);
	b->buf = NULL;
	b->cap = b->head = b->len = 0;
}

static inline size_t bb_room(const struct bytebuf *b)
{
	return b->cap - b->len;
}

/* Append n bytes; the caller checked bb_room(). */
static inline void bb_push(struct bytebuf *b, const void *p, size_t n)
{
	size_t tail = (b->head + b->len) % b->cap;
	size_t first = n < b->cap - tail ? n : b->cap - tail;

	memcpy(b->buf + tail, p, first);
	memcpy(b->buf, (const unsigned char *)p + first, n - first);
	b->len += n;
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

	*p = b->buf + b->head;
	return n < b->len ? n : b->len;
}

static inline void bb_consume(struct bytebuf *b, size_t n)
{
	if (n > b->len)
		n = b->len;
	b->head = (b->head + n) % b->cap;
	b->len -= n;
	if (!b->len)
		b->head = 0;
}

#endif
