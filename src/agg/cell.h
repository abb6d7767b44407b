/*
 * cell.h — the state of one aggregate: one entity in one tumbling window
 * (docs/records.md, `agg`). herd-aggregate adds posts to cells, or merges
 * cells read back from `agg_partial` records, and prints them.
 *
 * Each post id counts once per cell: `id` is the dedup key everywhere
 * downstream (DESIGN.md §2), and dumps repeat posts. The first occurrence
 * wins: a later post with an id the cell holds adds nothing, whatever it
 * says. To make that hold through --partial/--merge when the copies land
 * in different shards, a cell keeps each post it counted (id, author,
 * source, its sentiment terms and engagement), partials carry them, and a
 * merge adds only the posts whose ids the cell does not hold yet. So the
 * state is exactly mergeable: merging the cells of any split of the posts
 * gives the cell of all the posts, bit for bit, in any order when the
 * copies of an id are identical, and in input order always.
 *
 * Counts are integers; the sentiment sums are fixed-point integers (units
 * of 2^-AGG_FIX_BITS, in 128 bits) because floating-point addition
 * depends on its order and integer addition does not. Each post's terms
 * are rounded to the fixed point once, where it is read; sums of them are
 * exact from there on.
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
 * printed precision. A post's terms fit 64 bits (|p| <= 2^48, weights
 * below 2^54: 1 + ln(1 + score) < 45); 128-bit sums hold 2^73 posts. */
#define AGG_FIX_BITS 48
/* Printed precision of sentiment means (decimal places). */
#define AGG_PRINT_DIGITS 6
/* Partial-state format version, checked by --merge (2: posts by id). */
#define AGG_PARTIAL_VERSION 2

typedef __int128 agg_fix;

/* What one post brings to each of its cells, computed once per post.
 * The strings are borrowed from wherever the post was read. */
typedef struct agg_contrib {
	const char *id;         /* the post's id: the dedup key */
	uint64_t id_hash;       /* strset_hash of id */
	const char *author;     /* NULL when null or absent */
	uint64_t author_hash;   /* strset_hash of author */
	const char *source_key; /* "source/community", or "source" */
	int polar;              /* has a polarity (sentiment.score or vader.compound) */
	int bull, bear;         /* labelled positive / negative */
	int64_t p, wp, w;       /* polarity, weight × polarity, weight (fixed point) */
	int64_t engagement;     /* engagement.score + engagement.replies */
} agg_contrib;

/* A post as a cell keeps it: enough to merge and to write partials. */
typedef struct agg_post {
	const char *id;         /* the cell's copy, in its ids set */
	const char *author;     /* the cell's copy, in its authors set; or NULL */
	uint32_t src;           /* index into the cell's sources */
	int8_t polar;           /* has a polarity */
	int8_t mood;            /* +1 bull, -1 bear, 0 neither */
	int64_t engagement;
	int64_t p, wp, w;       /* as in agg_contrib */
} agg_post;

struct agg_source {
	char *key;              /* owned */
	int64_t posts;
};

/*
 * One entity × window. Invariants (agg_cell_check): start is a multiple of
 * len (epoch-aligned); the ids of the posts counted are distinct
 * (ids.n == posts), authors.n <= posts; each source has a post and the
 * sources' posts sum to posts; bull + bear <= n <= posts, |psum| <= n·2^F,
 * wsum >= n·2^F (weights are >= 1), |wpsum| <= wsum. With keep,
 * post[0..posts) are the posts counted, and every count and sum is theirs.
 * A cell that will only be printed as `agg` need not keep post[]: its ids
 * are enough to count each post once (agg_cell_drop_posts).
 */
typedef struct agg_cell {
	char *entity;           /* owned */
	int64_t len;            /* window length, seconds */
	int64_t start;          /* window start, epoch seconds */
	int64_t posts;          /* posts counted */
	int keep;               /* post[] is kept (a partial may be written) */
	agg_post *post;         /* with keep: the posts counted, in that order */
	size_t cappost;
	strset ids;             /* the ids of post[] */
	strset authors;         /* distinct non-null authors */
	struct agg_source *src; /* nsrc entries, unsorted */
	size_t nsrc, capsrc;
	int64_t n, bull, bear;  /* sentiment counts */
	agg_fix psum, wpsum, wsum;
	int64_t engagement;
	uint64_t key_hash;      /* for the table: hash of (entity, len, start) */
	struct agg_cell *next;  /* table chain; not part of the state */
} agg_cell;

/* The contribution of a post, or -1 with the reason in err (no id, a
 * sentiment that is not a number in [-1, 1], a source that is not a
 * string…). Strings are borrowed from post; scratch holds the source key. */
int agg_contrib_from_post(agg_contrib *c, const json_t *post, char *scratch, size_t scratchlen, char *err,
			  size_t errlen);

/* A new empty cell that keeps its posts; free with agg_cell_free (NULL
 * does nothing). */
agg_cell *agg_cell_new(const char *entity, int64_t len, int64_t start);
void agg_cell_free(agg_cell *c);
/* Stop keeping post[] (free it; the ids stay): for a cell that is only
 * ever printed as `agg` — about half its memory. No partial after this. */
void agg_cell_drop_posts(agg_cell *c);
/* Count one post: 1, or 0 (nothing changes) when its id is counted already. */
int agg_cell_add(agg_cell *c, const agg_contrib *k);
/* Add the posts of from (same entity, len and start; from keeps its posts)
 * whose ids into does not hold; returns how many of from's posts into held
 * already. */
size_t agg_cell_merge(agg_cell *into, const agg_cell *from);

/* The `agg` record of the cell (new reference). */
json_t *agg_cell_to_agg(const agg_cell *c);
/* The `agg_partial` record: the agg keys plus "state", the posts by id
 * (new reference). The cell must keep its posts. */
json_t *agg_cell_to_partial(const agg_cell *c);
/* Read a cell back from an agg_partial record; NULL with err on a bad one. */
agg_cell *agg_cell_from_partial(const json_t *rec, char *err, size_t errlen);

/* The invariants above; for assert() only. Linear in the cell's posts. */
int agg_cell_check(const agg_cell *c);

#endif
