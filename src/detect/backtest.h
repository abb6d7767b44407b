/*
 * backtest.h — joins events with the price bars that came after them and
 * sums up, per event group and horizon, how often the price moved the way
 * the event pointed (hit rate) and by how much (mean and median forward
 * return), beside the same figures for every bar of the same entities (the
 * base rate an event has to beat). herd-backtest is its command line.
 *
 * Timing, so that no event is credited with a price it could not have
 * traded at: an event is known at `known` (its time plus its window: a
 * daily cascade of Jan 22 is known at Jan 23 00:00); it enters at the
 * close of the first bar starting at or after `known`, and exits at the
 * close of the first bar starting at or after entry + horizon. Events
 * with no such bars are counted as unpriced, not dropped silently.
 *
 * Ownership: backtest_new returns a handle backtest_free releases; names
 * passed in are copied.
 */
#ifndef HERD_DETECT_BACKTEST_H
#define HERD_DETECT_BACKTEST_H

#include <stddef.h>
#include <stdint.h>

#define BACKTEST_MAX_HORIZONS 8

typedef struct backtest backtest_t;

/* One row of the summary. */
typedef struct backtest_row {
	const char *group; /* "cascade/start", "signal/BUY", ..., or "(all bars)" */
	int64_t horizon;
	long events;  /* events in the group */
	long priced;  /* of which had an entry and an exit bar */
	long hits;    /* of which moved the way the event pointed */
	double hit_rate, mean_return, median_return; /* over priced; 0 when none */
} backtest_row_t;

/* One event's outcome, for --detail. */
typedef struct backtest_detail {
	const char *key, *entity, *group;
	int64_t known, entry_at;
	int direction; /* +1 long, -1 short */
	double entry;  /* 0 when unpriced */
	double ret[BACKTEST_MAX_HORIZONS]; /* signed by direction; NAN when unpriced */
} backtest_detail_t;

backtest_t *backtest_new(const int64_t *horizons, size_t nh);
void backtest_free(backtest_t *b);
/* A bar's close (later bars for the same entity and start replace earlier). */
void backtest_add_bar(backtest_t *b, const char *entity, int64_t at, double close);
/* An event; direction +1 (price expected up) or -1. */
void backtest_add_event(backtest_t *b, const char *key, const char *entity, const char *group, int64_t known,
			int direction);
/* Compute; then read rows (ordered by group, then horizon; the base rate
 * rows last) and details (in the order events were added). */
void backtest_run(backtest_t *b);
size_t backtest_rows(const backtest_t *b, const backtest_row_t **rows);
size_t backtest_details(const backtest_t *b, const backtest_detail_t **details);

#endif
