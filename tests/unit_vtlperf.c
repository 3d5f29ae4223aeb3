// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * vtlperf's checker (tools/vtlperf/pattern.c): the pattern fills and
 * checks the same bytes whatever the cut of the stream, finds a wrong byte
 * wherever it is, differs between seeds and offsets, and the stream
 * header round-trips and refuses what is malformed.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "pattern.h"

#define LEN 4096

static uint64_t rnd_state = 88172645463325252ull;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

/* The stream cut in random pieces at random offsets reads the same as
 * byte by byte (pattern_byte), and checks clean. */
static void cuts(void)
{
	static uint8_t whole[LEN], piece[LEN];
	uint64_t seed = 0x1234, base = 1000003;
	size_t off, n;
	int bad = 0;

	for (off = 0; off < LEN; off++)
		whole[off] = pattern_byte(seed, base + off);
	for (off = 0; off < LEN; off += n) {
		n = 1 + rnd() % 77;
		if (n > LEN - off)
			n = LEN - off;
		pattern_fill(seed, base + off, piece, n);
		bad += memcmp(piece, whole + off, n) != 0;
		bad += pattern_check(seed, base + off, whole + off, n) != n;
	}
	CHECK(!bad, "%d pieces differ from the byte-by-byte pattern", bad);
	pattern_fill(seed, base, piece, LEN);
	CHECK(!memcmp(piece, whole, LEN), "one fill of %d bytes differs", LEN);
	CHECK(pattern_check(seed, base, piece, 0) == 0, "an empty check");
}

/* Each byte flipped in turn, at aligned and unaligned starts: found at
 * exactly its place. */
static void every_byte(void)
{
	static uint8_t buf[600];
	size_t i, k, starts[] = { 0, 3, 8, 13 };
	int missed = 0;

	for (k = 0; k < sizeof(starts) / sizeof(starts[0]); k++) {
		pattern_fill(7, starts[k], buf, sizeof(buf));
		for (i = 0; i < sizeof(buf); i++) {
			buf[i] ^= 0x01;
			missed += pattern_check(7, starts[k], buf, sizeof(buf)) != i;
			buf[i] ^= 0x01;
		}
	}
	CHECK(!missed, "%d flipped bytes not found at their offset", missed);
}

/* Another seed, or the same bytes shifted by any offset, do not pass. */
static void distinct(void)
{
	static uint8_t a[LEN];
	int passed = 0, same = 0;
	uint64_t shift;

	pattern_fill(1, 0, a, LEN);
	CHECK(pattern_check(2, 0, a, LEN) < 16, "seed 2 accepts seed 1's bytes");
	for (shift = 1; shift <= 64; shift++)
		passed += pattern_check(1, shift, a, LEN) == LEN;
	CHECK(!passed, "%d shifted copies pass", passed);
	CHECK(pattern_seed(5, 0) != pattern_seed(5, 1) && pattern_seed(5, 0) != pattern_seed(6, 0),
	      "stream seeds collide");
	for (size_t i = 0; i + 8 <= LEN; i += 8)
		same += !memcmp(a + i, a + (i + 8) % LEN, 8);
	CHECK(!same, "%d neighbouring words are equal", same);
}

static void header(void)
{
	struct vtlperf_head h = { .flags = 0, .test_id = 0x0102030405060708ull, .stream = 3,
				  .nstreams = 4, .bytes = 20000000, .seed = 99 }, g;
	struct vtlperf_hdr w, x;
	char why[80];

	vtlperf_hdr_pack(&w, &h);
	CHECK(ntohl(w.magic) == VTLPERF_MAGIC && w.hdr_len == sizeof(w), "packed header");
	CHECK(vtlperf_hdr_unpack(&w, &g, why, sizeof(why)) == 0, "unpack: %s", why);
	CHECK(g.test_id == h.test_id && g.stream == 3 && g.nstreams == 4 && g.bytes == h.bytes &&
	      g.seed == 99, "round trip");
#define REFUSED(edit, what)                                                      \
	do {                                                                     \
		x = w;                                                           \
		edit;                                                            \
		CHECK(vtlperf_hdr_unpack(&x, &g, why, sizeof(why)) < 0 &&        \
		      strstr(why, what), "%s: not refused (%s)", #edit, why);    \
	} while (0)
	REFUSED(x.magic ^= 1, "magic");
	REFUSED(x.version = 2, "version");
	REFUSED(x.hdr_len = 40, "length");
	REFUSED(x.flags = htons(0x80), "flags");
	REFUSED(x.reserved = 1, "reserved");
	REFUSED(x.nstreams = 0, "stream count");
	REFUSED(x.nstreams = htonl(VTLPERF_MAX_STREAMS + 1), "stream count");
	REFUSED(x.stream = htonl(4), "stream index");
	REFUSED(x.bytes = 0, "mode");
	REFUSED(x.flags = htons(VTLPERF_F_TIME), "mode");
}

int main(void)
{
	CHECK_CASE("pattern: any cut of the stream", cuts);
	CHECK_CASE("pattern: every flipped byte found at its offset", every_byte);
	CHECK_CASE("pattern: seeds and offsets distinct", distinct);
	CHECK_CASE("header: round trip and refusals", header);
	return CHECK_DONE();
}
