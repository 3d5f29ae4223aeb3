/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* SHA-256 (FIPS 180-4), the content hash of a graft object: libsodium's
 * crypto_hash_sha256 behind a small interface. Nothing hand-written. */
#ifndef VTL_LIB_SHA256_H
#define VTL_LIB_SHA256_H

#include <stddef.h>
#include <stdint.h>
#include <sodium/crypto_hash_sha256.h>

#define SHA256_LEN 32
_Static_assert(SHA256_LEN == crypto_hash_sha256_BYTES, "libsodium's SHA-256 length");

struct sha256 {
	crypto_hash_sha256_state st;
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, uint8_t out[SHA256_LEN]);

/* One call: out = SHA-256(data[0..len)). */
void sha256(const void *data, size_t len, uint8_t out[SHA256_LEN]);

/* Lowercase hex, hex must hold 2 * SHA256_LEN + 1 bytes. */
void sha256_hex(const uint8_t h[SHA256_LEN], char *hex);

#endif
