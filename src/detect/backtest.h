/*
 * backtest.h — joins events with the price bars that came after them and
 * sums up, per event group and horizon, how often the price moved the way
 * the event pointed (hit rate) and by how much (mean and median forward
 * return, net of a cost), with bootstrap confidence intervals that
 * resample days, the excess over a benchmark (one entity, or the
 * equal-weight basket of every entity with bars), and beside them the
 * same figures for every bar of the same entities over the same days (the
 * base rate an event has to beat). herd-backtest is its command line.
 *
 * Timing, so that no event is credited with a price it could not have
 * traded at. Each bar gives prices at moments: a daily bar (interval 1d,
 * or none) dated D (the UTC date of its `at`, as herd's sources write
 * them) is an exchange session, its open at D + session open and its
 * close at D + session close in the session's zone (09:30 and 16:00 in
 * America/New_York by default); any other bar, or every bar when the
 * session is off, opens at `at` and closes at `at + interval`. An event
 * known at `known` (its time plus its window: a daily cascade of Jan 22 is
 * known at Jan 23 00:00) enters at the first price strictly after
 * `known`: a story at 15:59 New York time at that day's close, one at
 * 16:01 at the next session's open. It exits, per horizon h, at the same
 * kind of price (open or close) of the first bar starting at or after the
 * entry bar's start + h. Events with no such prices are counted as
 * unpriced, not dropped silently.
 *
 * Ownership: backtest_new returns a handle backtest_free releases; names
 * passed in are copied. The zone is the process's (lib/tzone.h): select
 * it with tzone_use before backtest_run.
 */
#ifndef HERD_DETECT_BACKTEST_H
#define HERD_DETECT_BACKTEST_H

#include <stddef.h>
#include <stdint.h>

#define BACKTEST_MAX_HORIZONS 8
/* The group names of the base-rate rows. */
#define BACKTEST_BASE_LONG "(all bars)"
#define BACKTEST_BASE_SHORT "(all bars, short)"
/* The --benchmark value that means the equal-weight basket. */
#define BACKTEST_BASKET "basket"

typedef struct backtest_opts {
	int64_t horizons[BACKTEST_MAX_HORIZONS];
	size_t nh;
	int session;                   /* daily bars are exchange sessions */
	int64_t session_open, session_close; /* seconds after the local midnight */
	double cost;                   /* round trip, as a fraction (0.001 = 10 bps) */
	const char *benchmark;         /* an entity, BACKTEST_BASKET, or NULL */
	int64_t from, to;              /* events known in [from, to); base bars too (0: open) */
	long bootstrap;                /* resamples for the intervals; 0: none */
	uint64_t seed;                 /* of the resampling */
} backtest_opts_t;

typedef struct backtest backtest_t;

/* An interval [lo, hi]; NAN, NAN when there is none. */
typedef struct backtest_ci {
	double lo, hi;
} backtest_ci_t;

/* One row of the summary. */
typedef struct backtest_row {
	const char *group; /* "cascade/start", "signal/BUY", ..., or a BACKTEST_BASE_* */
	int64_t horizon;
	long events;  /* events in the group (base rows: bars) */
	long priced;  /* of which had an entry and an exit price */
	long days;    /* distinct entry days among the priced */
	long hits;    /* of which moved the way the event pointed (net of cost) */
	double hit_rate, mean_return, median_return; /* over priced; 0 when none */
	backtest_ci_t hit_ci, mean_ci;               /* 95%, bootstrap by day */
	long bench_priced;          /* priced events the benchmark also priced */
	double excess_return;       /* mean signed return minus the benchmark's */
	backtest_ci_t excess_ci;
} backtest_row_t;

/* One event's outcome, for --detail. */
typedef struct backtest_detail {
	const char *key, *entity, *group;
	int64_t known, entry_at;
	int direction;     /* +1 long, -1 short */
	int entry_is_open; /* entered at a bar's open (else its close) */
	double entry;      /* 0 when unpriced */
	double ret[BACKTEST_MAX_HORIZONS];    /* signed by direction, net of cost; NAN when unpriced */
	double excess[BACKTEST_MAX_HORIZONS]; /* ret minus the benchmark's signed return; NAN when none */
	int64_t exit_at[BACKTEST_MAX_HORIZONS];
} backtest_detail_t;

/* Options as herd-backtest's defaults: 1d,3d,5d; NYSE sessions; no cost,
 * no benchmark; 1000 resamples, seed 1. */
void backtest_opts_default(backtest_opts_t *o);
backtest_t *backtest_new(const backtest_opts_t *o);
void backtest_free(backtest_t *b);
/* A bar: open 0 when the bar has none, interval 0 when it says none.
 * Later bars for the same entity and start replace earlier ones. */
void backtest_add_bar(backtest_t *b, const char *entity, int64_t at, int64_t interval, double open, double close);
/* An event; direction +1 (price expected up) or -1. */
void backtest_add_event(backtest_t *b, const char *key, const char *entity, const char *group, int64_t known,
			int direction);
/* Compute; then read rows (ordered by group, then horizon; the base rate
 * rows last) and details (in the order events were added, those known
 * outside [from, to) left out). 0, or -1 when the --benchmark entity has
 * no bars. */
int backtest_run(backtest_t *b);
size_t backtest_rows(const backtest_t *b, const backtest_row_t **rows);
size_t backtest_details(const backtest_t *b, const backtest_detail_t **details);

#endif
