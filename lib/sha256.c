// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* SHA-256 through libsodium (see sha256.h). crypto_hash_sha256 needs no
 * sodium_init(): it uses no randomness and picks no CPU-specific code. */
#include <sodium/crypto_hash_sha256.h>
#include <sodium/utils.h>
#include "sha256.h"

void sha256_init(struct sha256 *s)
{
	crypto_hash_sha256_init(&s->st);
}

void sha256_update(struct sha256 *s, const void *data, size_t len)
{
	crypto_hash_sha256_update(&s->st, data, len);
}

void sha256_final(struct sha256 *s, uint8_t out[SHA256_LEN])
{
	crypto_hash_sha256_final(&s->st, out);
}

void sha256(const void *data, size_t len, uint8_t out[SHA256_LEN])
{
	crypto_hash_sha256(out, data, len);
}

void sha256_hex(const uint8_t h[SHA256_LEN], char *hex)
{
	sodium_bin2hex(hex, 2 * SHA256_LEN + 1, h, SHA256_LEN);
}
