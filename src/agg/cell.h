/*
 * cell.h — the state of one aggregate: one entity in one tumbling window
 * (docs/records.md, `agg`). herd-aggregate adds posts to cells, or merges
 * cells read back from `agg_partial` records, and prints them.
 *
 * The state is exactly mergeable: merging the cells of any split of the
 * posts, in any order, gives the cell of all the posts, bit for bit.
 * Counts are integers; distinct authors are kept as the set itself; the
 * sentiment sums are fixed-point integers (units of 2^-AGG_FIX_BITS, in
 * 128 bits) because floating-point addition depends on its order and
 * integer addition does not. Each post's terms are rounded to the fixed
 * point once, where it is read; sums of them are exact from there on.
 *
 * This module knows nothing of windows closing (table.c) or of stdin.
 */
#ifndef HERD_AGG_CELL_H
#define HERD_AGG_CELL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/strset.h"

/* Fixed point for sentiment sums: 2^-48 ≈ 3.6e-15 per term, far below the
 * printed precision; 128 bits hold 2^79 posts at the largest weight. */
#define AGG_FIX_BITS 48
/* Printed precision of sentiment means (decimal places). */
#define AGG_PRINT_DIGITS 6
/* Partial-state format version, checked by --merge. */
#define AGG_PARTIAL_VERSION 1

typedef __int128 agg_fix;

/* What one post brings to each of its cells, computed once per post. */
typedef struct agg_contrib {
	const char *author;     /* NULL when null or absent */
	uint64_t author_hash;   /* strset_hash of author */
	const char *source_key; /* "source/community", or "source" */
	int polar;              /* has a polarity (sentiment.score or vader.compound) */
	int bull, bear;         /* labelled positive / negative */
	agg_fix p, wp, w;       /* polarity, weight × polarity, weight (fixed point) */
	int64_t engagement;     /* engagement.score + engagement.replies */
} agg_contrib;

struct agg_source {
	char *key;              /* owned */
	int64_t posts;
};

/*
 * One entity × window. Invariants (agg_cell_check): start is a multiple of
 * len (epoch-aligned); authors.n <= posts; the sources' posts sum to posts;
 * bull + bear <= n <= posts; |psum| <= n·2^F; wsum >= n·2^F (weights are
 * >= 1); |wpsum| <= wsum.
 */
typedef struct agg_cell {
	char *entity;           /* owned */
	int64_t len;            /* window length, seconds */
	int64_t start;          /* window start, epoch seconds */
	int64_t posts;
	strset authors;         /* distinct non-null authors */
	struct agg_source *src; /* nsrc entries, unsorted */
	size_t nsrc, capsrc;
	int64_t n, bull, bear;  /* sentiment counts */
	agg_fix psum, wpsum, wsum;
	int64_t engagement;
	uint64_t key_hash;      /* for the table: hash of (entity, len, start) */
	struct agg_cell *next;  /* table chain; not part of the state */
} agg_cell;

/* The contribution of a post, or -1 with the reason in err (a sentiment
 * that is not a number in [-1, 1], a source that is not a string…).
 * Strings are borrowed from post; scratch holds the source key. */
int agg_contrib_from_post(agg_contrib *c, const json_t *post, char *scratch, size_t scratchlen, char *err,
			  size_t errlen);

/* A new empty cell; free with agg_cell_free (NULL does nothing). */
agg_cell *agg_cell_new(const char *entity, int64_t len, int64_t start);
void agg_cell_free(agg_cell *c);
/* Add one post's contribution. */
void agg_cell_add(agg_cell *c, const agg_contrib *k);
/* Add everything in from (same entity, len and start) to into. */
void agg_cell_merge(agg_cell *into, const agg_cell *from);

/* The `agg` record of the cell (new reference). */
json_t *agg_cell_to_agg(const agg_cell *c);
/* The `agg_partial` record: the agg keys plus "state" (new reference). */
json_t *agg_cell_to_partial(const agg_cell *c);
/* Read a cell back from an agg_partial record; NULL with err on a bad one. */
agg_cell *agg_cell_from_partial(const json_t *rec, char *err, size_t errlen);

/* The invariants above; for assert() only. */
int agg_cell_check(const agg_cell *c);

#endif
