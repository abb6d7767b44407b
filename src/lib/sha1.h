/*
 * sha1.h — SHA-1 (FIPS 180-4), for stable ids made from content: a NewsAPI
 * article's id is "newsapi:" + the SHA-1 of its URL (docs/records.md).
 *
 * Not for security: SHA-1 is broken for collision resistance. It is here
 * because ids must be short, stable and the same in every herd version.
 */
#ifndef HERD_SHA1_H
#define HERD_SHA1_H

#include <stddef.h>
#include <stdint.h>

#define SHA1_HEX_LEN 41 /* 40 hex digits and a NUL */

typedef struct sha1_ctx {
	uint32_t h[5];
	uint64_t len;       /* bytes hashed so far */
	unsigned char block[64];
	size_t used;        /* bytes waiting in block */
} sha1_ctx;

void sha1_init(sha1_ctx *c);
void sha1_update(sha1_ctx *c, const void *data, size_t n);
void sha1_final(sha1_ctx *c, unsigned char digest[20]);
/* The digest of data[0..n) as 40 lower-case hex digits into out; returns out. */
char *sha1_hex(const void *data, size_t n, char out[SHA1_HEX_LEN]);

#endif
