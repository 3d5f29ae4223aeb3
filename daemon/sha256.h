/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* SHA-256 (FIPS 180-4): the content hash of a graft object. */
#ifndef VTLD_SHA256_H
#define VTLD_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32

struct sha256 {
	uint32_t h[8];
	uint64_t bytes;      /* message length so far */
	uint8_t buf[64];     /* partial block */
	size_t fill;
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, uint8_t out[SHA256_LEN]);

/* One call: out = SHA-256(data[0..len)). */
void sha256(const void *data, size_t len, uint8_t out[SHA256_LEN]);

/* Lowercase hex, hex must hold 2 * SHA256_LEN + 1 bytes. */
void sha256_hex(const uint8_t h[SHA256_LEN], char *hex);

#endif
