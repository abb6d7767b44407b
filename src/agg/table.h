/*
 * table.h — the open windows of herd-aggregate: cells (cell.h) keyed by
 * (entity, window length, window start), closed in event time.
 *
 * The watermark is the largest event time seen minus the allowed lateness.
 * A cell is closed, emitted and freed once its end is at or before the
 * watermark, so memory holds only the windows that late posts may still
 * reach. A post that would land in an already closed cell (for any of its
 * windows) is late: the table refuses it whole, so that every emitted
 * cell is exactly the aggregate of the posts it was given, and the caller
 * can keep the post aside (--rejects) and aggregate it later.
 *
 * Emission order is (window end, window length, entity bytes). Cells ending
 * at or before the watermark can never be created again, so this order
 * holds across flushes too: the output of a run is sorted by that key, and
 * depends only on which cells exist, not on input order or sharding.
 */
#ifndef HERD_AGG_TABLE_H
#define HERD_AGG_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "agg/cell.h"

#define AGG_LATENESS_ALL INT64_MAX /* never close before the end of input */

typedef struct agg_table agg_table;

/* Called for each closed cell, in emission order; the table frees the
 * cell after the call. */
typedef void (*agg_emit_fn)(const agg_cell *c, void *arg);

/* A table with the given allowed lateness (seconds, or AGG_LATENESS_ALL);
 * its cells keep their posts when keep is set (partials will be written),
 * else only their ids (agg_cell_drop_posts). Free with agg_table_free
 * (NULL does nothing). */
agg_table *agg_table_new(int64_t lateness, int keep);
void agg_table_free(agg_table *t);

/* Is a post at time `at` late for any of the windows lens[0..nlens)?
 * Late means one of its cells would end at or before the watermark. */
int agg_table_is_late(const agg_table *t, int64_t at, const int64_t *lens, size_t nlens);
/* Add a post's contribution to the cell of each entity × window, then
 * advance the watermark to at − lateness. The caller checks lateness
 * first (a late post must not be added). Returns in how many of those
 * cells the post's id was counted already (it adds nothing there). */
size_t agg_table_add(agg_table *t, int64_t at, const char *const *entities, size_t nent, const int64_t *lens,
		     size_t nlens, const agg_contrib *k);
/* Merge a cell read from a partial into the table; takes ownership of c.
 * Partials do not move the watermark (merging closes at the end). Returns
 * how many of c's posts the table's cell held already. */
size_t agg_table_merge(agg_table *t, agg_cell *c);
/* Emit and free the cells the watermark has passed (all cells when all
 * is set, at the end of input). Returns how many were emitted. */
size_t agg_table_flush(agg_table *t, int all, agg_emit_fn emit, void *arg);

/* Cells now open, and the most that were open at once. */
size_t agg_table_open(const agg_table *t);
size_t agg_table_peak(const agg_table *t);
/* The watermark (INT64_MIN before any post, or with AGG_LATENESS_ALL). */
int64_t agg_table_watermark(const agg_table *t);

/* Invariants, for assert() only: the index holds exactly the open cells,
 * each in its right chain, and min_end is at most every open cell's end.
 * (Cells the watermark has passed may stay open until the next flush.)
 * The cells' own invariants (agg_cell_check, linear in their posts) are
 * asserted once per cell, when it is emitted, not on every flush. */
int agg_table_check(const agg_table *t);

#endif
