// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* vtlperf's stream header and payload pattern: see pattern.h. */
#include <arpa/inet.h>
#include <endian.h>
#include <stdio.h>
#include <string.h>
#include "pattern.h"

#define GAMMA 0x9e3779b97f4a7c15ull
#define BLOCK 64 /* words checked between two looks at the difference */

static inline uint64_t mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* word i of the pattern, in the byte order it has in the stream */
static inline uint64_t word(uint64_t seed, uint64_t i)
{
	return htole64(mix(seed + (i + 1) * GAMMA));
}

uint64_t pattern_seed(uint64_t base, uint32_t stream)
{
	return mix(base ^ mix(stream + 1ull));
}

uint8_t pattern_byte(uint64_t seed, uint64_t off)
{
	uint64_t w = word(seed, off / 8);

	return ((const uint8_t *)&w)[off % 8];
}

void pattern_fill(uint64_t seed, uint64_t off, void *buf, size_t len)
{
	uint8_t *p = buf;
	uint64_t i, w;

	while (len && off % 8) {            /* head, up to a word boundary */
		*p++ = pattern_byte(seed, off++);
		len--;
	}
	for (i = off / 8; len >= 8; i++, p += 8, len -= 8, off += 8) {
		w = word(seed, i);
		memcpy(p, &w, 8);
	}
	while (len--)                         /* tail */
		*p++ = pattern_byte(seed, off++);
}

size_t pattern_check(uint64_t seed, uint64_t off, const void *buf, size_t len)
{
	const uint8_t *p = buf, *start = buf;
	uint64_t i, w, diff;
	size_t n, k;

	while (len && off % 8) {
		if (*p != pattern_byte(seed, off))
			return (size_t)(p - start);
		p++, off++, len--;
	}
	i = off / 8;
	while (len >= 8) {
		n = len / 8 < BLOCK ? len / 8 : BLOCK;
		diff = 0;
		for (k = 0; k < n; k++) {
			memcpy(&w, p + 8 * k, 8);
			diff |= w ^ word(seed, i + k);
		}
		if (diff)  /* find the byte: this block only */
			for (k = 0; k < 8 * n; k++)
				if (p[k] != pattern_byte(seed, off + k))
					return (size_t)(p + k - start);
		p += 8 * n, off += 8 * n, i += n, len -= 8 * n;
	}
	for (; len; p++, off++, len--)
		if (*p != pattern_byte(seed, off))
			return (size_t)(p - start);
	return (size_t)(p - start);
}

void vtlperf_hdr_pack(struct vtlperf_hdr *w, const struct vtlperf_head *h)
{
	memset(w, 0, sizeof(*w));
	w->magic = htonl(VTLPERF_MAGIC);
	w->version = VTLPERF_VERSION;
	w->hdr_len = sizeof(*w);
	w->flags = htons(h->flags);
	w->test_id = htobe64(h->test_id);
	w->stream = htonl(h->stream);
	w->nstreams = htonl(h->nstreams);
	w->bytes = htobe64(h->bytes);
	w->seed = htobe64(h->seed);
	w->duration_ms = htonl(h->duration_ms);
}

int vtlperf_hdr_unpack(const struct vtlperf_hdr *w, struct vtlperf_head *h,
		       char *why, size_t whylen)
{
	const char *bad = NULL;

	h->flags = ntohs(w->flags);
	h->test_id = be64toh(w->test_id);
	h->stream = ntohl(w->stream);
	h->nstreams = ntohl(w->nstreams);
	h->bytes = be64toh(w->bytes);
	h->seed = be64toh(w->seed);
	h->duration_ms = ntohl(w->duration_ms);
	if (ntohl(w->magic) != VTLPERF_MAGIC)
		bad = "bad magic (not a vtlperf client?)";
	else if (w->version != VTLPERF_VERSION)
		bad = "unknown header version";
	else if (w->hdr_len != sizeof(*w))
		bad = "bad header length";
	else if (h->flags & ~VTLPERF_F_KNOWN)
		bad = "unknown header flags";
	else if ((h->flags & VTLPERF_F_HALF) && !(h->flags & VTLPERF_F_BIDIR))
		bad = "half-close without a stream back";
	else if (w->reserved)
		bad = "reserved header field not zero";
	else if (!h->nstreams || h->nstreams > VTLPERF_MAX_STREAMS)
		bad = "bad stream count";
	else if (h->stream >= h->nstreams)
		bad = "stream index beyond the stream count";
	else if (!!(h->flags & VTLPERF_F_TIME) != !h->bytes)
		bad = "byte count does not fit the mode";
	if (!bad)
		return 0;
	snprintf(why, whylen, "%s", bad);
	return -1;
}
