/*
 * sha256.h — SHA-256 (FIPS 180-4), for the model hash: the first 8 hex
 * digits of the SHA-256 of a checkpoint's weights name the exact model in
 * every scored record ("finbert@1a2b3c4d", docs/records.md). src/bert
 * builds without OpenSSL, so it carries this small one.
 *
 * Incremental: init, update any number of times, final. No allocation.
 */
#ifndef HERD_BERT_SHA256_H
#define HERD_BERT_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
	uint32_t h[8];
	uint64_t bytes;      /* message length so far */
	unsigned char buf[64];
	size_t nbuf;         /* bytes waiting in buf */
};

/* Set to 1 to use the plain C rounds even where the CPU has the SHA
 * extensions (the tests check that both give the same digests). */
extern int sha256_force_plain;

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
/* Writes the 32-byte digest; s must be re-initialized to be used again. */
void sha256_final(struct sha256 *s, unsigned char out[32]);
/* Lower-case hex of the digest's first n bytes into hex (2n + 1 bytes). */
void sha256_hex(const unsigned char digest[32], size_t n, char *hex);

#endif
