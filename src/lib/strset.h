/*
 * strset.h — herd's one hash set of strings, optionally with an integer
 * per string: open addressing, linear probing, 64-bit FNV-1a hashes kept
 * beside the keys. herd-aggregate's cells keep their distinct authors and
 * post ids in it (src/agg/cell.c); the entity dictionary keeps its words
 * and alias heads in it (src/text/entities.c), herd-detect its entity and
 * source names (src/detect/detect.c). VADER's lexicon table hashes with
 * strset_hash but is its own, for speed (src/text/vader.c says why).
 *
 * Keys are copied in and never move in memory once added (the slots hold
 * pointers), so a caller may keep a key's pointer as long as the set
 * lives. Lookups take a length, so a word can be looked up where it lies
 * in a text. Each call takes the key's hash (strset_hash) so that a key
 * going into many sets (one author, many windows) is hashed once.
 *
 * Insert only: nothing is removed; a set is built, read, and freed whole.
 * Walk it by its slots (slot[i].key != NULL for i < cap); the order is the
 * hash's, so sort what you print. Not thread-safe.
 */
#ifndef HERD_STRSET_H
#define HERD_STRSET_H

#include <stddef.h>
#include <stdint.h>

typedef struct strset_slot {
	char *key;      /* NULL when the slot is empty; owned, NUL-terminated */
	uint64_t hash;  /* strset_hash of key */
} strset_slot;

typedef struct strset {
	strset_slot *slot; /* cap slots (key and hash side by side: one probe, one cache line) */
	int64_t *val;      /* a value per slot, or NULL while no value was asked for */
	size_t n, cap;     /* keys held; cap is 0 or a power of two, n <= cap / 2 */
} strset;

#define STRSET_INIT {NULL, NULL, 0, 0}

/* FNV-1a, 64 bits: h = STRSET_FNV_BASIS, then for each byte c
 * h = (h ^ c) * STRSET_FNV_PRIME. A caller that makes a key byte by byte
 * (VADER lowers each token as it hashes it) may hash it the same way. */
#define STRSET_FNV_BASIS 0xcbf29ce484222325ULL /* the FNV-1a 64 offset basis */
#define STRSET_FNV_PRIME 0x100000001b3ULL      /* the FNV 64 prime */

/* The hash of s[0..n) as the sets use it. Inline: the entity extractor
 * hashes every word of every post. */
static inline uint64_t strset_hash(const char *s, size_t n)
{
	uint64_t h = STRSET_FNV_BASIS;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= STRSET_FNV_PRIME;
	}
	return h;
}

/* Add key[0..n) (hash h) when absent. Returns the set's copy of the key
 * (valid until strset_free); *added (when not NULL) is 1 when it was new. */
const char *strset_add(strset *s, const char *key, size_t n, uint64_t h, int *added);
/* 1 when key[0..n) is in the set; its value goes to *val when both are
 * not NULL (0 for a key added without one). */
int strset_get(const strset *s, const char *key, size_t n, uint64_t h, int64_t *val);
/* The value of key[0..n), the key added with value init when absent. The
 * pointer is valid until the next strset_add or strset_at. */
int64_t *strset_at(strset *s, const char *key, size_t n, uint64_t h, int64_t init);

/* Release the keys and the slots and leave an empty set (STRSET_INIT);
 * an empty set needs no free. */
void strset_free(strset *s);

/* The invariants above (every key in reach of its hash's probe, n counts
 * the keys, the load bound); for assert() and tests only. */
int strset_check(const strset *s);

#endif
