/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * vtlperf's stream format: a fixed header, then a payload whose every
 * byte is a function of (seed, offset), so the receiver checks each byte
 * without knowing anything but the header.
 *
 *   payload byte o = byte (o % 8) of le64(word(seed, o / 8))
 *   word(seed, i)  = splitmix64 finaliser of seed + (i + 1) * golden gamma
 *
 * Two multiplies per 8 bytes: filling and checking run at several GB/s,
 * well above what one VTL session carries.
 */
#ifndef VTLPERF_PATTERN_H
#define VTLPERF_PATTERN_H

#include <stddef.h>
#include <stdint.h>

#define VTLPERF_MAGIC   0x56544c50u  /* "VTLP" */
#define VTLPERF_VERSION 1

/* vtlperf_hdr.flags */
#define VTLPERF_F_TIME  0x1u   /* time mode: bytes is 0, the sender decides */
#define VTLPERF_F_BIDIR 0x2u   /* the receiver sends a stream back */
#define VTLPERF_F_HALF  0x4u   /* ... only once the client's stream ended (with BIDIR) */
#define VTLPERF_F_KNOWN (VTLPERF_F_TIME | VTLPERF_F_BIDIR | VTLPERF_F_HALF)

#define VTLPERF_MAX_STREAMS 100000u

/* On the wire, network byte order, at the start of every stream. */
struct vtlperf_hdr {
	uint32_t magic;
	uint8_t  version;
	uint8_t  hdr_len;      /* sizeof(struct vtlperf_hdr) */
	uint16_t flags;
	uint64_t test_id;      /* the client's run: groups its streams */
	uint32_t stream;       /* 0 .. nstreams - 1 */
	uint32_t nstreams;
	uint64_t bytes;        /* payload bytes that follow; 0 in time mode */
	uint64_t seed;         /* of this stream's pattern */
	uint32_t duration_ms;  /* time mode: how long the sender sends */
	uint32_t reserved;     /* zero */
};
_Static_assert(sizeof(struct vtlperf_hdr) == 48, "vtlperf header is 48 bytes");

/* The header as the program uses it (host order). */
struct vtlperf_head {
	uint16_t flags;
	uint64_t test_id;
	uint32_t stream, nstreams;
	uint64_t bytes, seed;
	uint32_t duration_ms;
};

void vtlperf_hdr_pack(struct vtlperf_hdr *w, const struct vtlperf_head *h);
/* Checks magic, version, length, flags, reserved, stream < nstreams <=
 * VTLPERF_MAX_STREAMS and the mode's byte count. 0, or -1 with the reason
 * in why. */
int vtlperf_hdr_unpack(const struct vtlperf_hdr *w, struct vtlperf_head *h,
		       char *why, size_t whylen);

uint64_t pattern_seed(uint64_t base, uint32_t stream);
/* Fill buf with the len payload bytes that start at offset off. */
void pattern_fill(uint64_t seed, uint64_t off, void *buf, size_t len);
/* Index of the first of len bytes at offset off that is not the pattern,
 * or len when all are. */
size_t pattern_check(uint64_t seed, uint64_t off, const void *buf, size_t len);
/* The pattern byte at offset off. */
uint8_t pattern_byte(uint64_t seed, uint64_t off);

#endif
