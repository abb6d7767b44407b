/*
 * detect.h — what herd-detect's three detectors (cascade.c, signal.c,
 * heat.c) share: the options, the run context (state file, "now", the
 * events raised), the parsed forms of the records they read (agg, metric,
 * scored news post), event construction with stable keys, and --explain.
 *
 * A run is: parse every input record into the detectors (which keep what
 * they need in memory), then let each detector process its periods in
 * event-time order against the state it saved last time, then write the
 * events whose keys were never written before, sorted by time. So one run
 * over a day and 24 hourly runs over the same day write the same events,
 * and a rerun over the same input writes none.
 *
 * The context is filled by src/cmd/herd-detect.c; nothing here reads the
 * wall clock.
 */
#ifndef HERD_DETECT_DETECT_H
#define HERD_DETECT_DETECT_H

#include <jansson.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdint.h>

#include "detect/baseline.h"
#include "lib/stream.h"
#include "lib/strset.h"

enum { DETECT_CASCADE = 1, DETECT_SIGNAL = 2, DETECT_HEAT = 4 };

/* Overdispersion and season factors remember DETECT_LONG_MEMORY times
 * longer than the level (a quarter at the default 7d): they are second
 * moments and profiles, which need several times the windows of a mean
 * for the same precision, change slowly, and should remember the last
 * round of quarterly news (earnings) when the next one comes. */
#define DETECT_LONG_MEMORY 13.0

typedef struct detect_opts {
	/* what runs and on which data */
	unsigned run;        /* DETECT_* detectors to run */
	int64_t window;      /* agg window length cascades and heat read */
	int64_t now;         /* --now (0 = the latest event time seen) */
	const char *explain; /* entity to explain, or NULL */
	json_t *exclude;     /* entities never considered (object name -> true), or NULL */
	/* cascades */
	double false_alarms;       /* expected false episodes per entity and year (sets the CUSUM threshold) */
	double shift;              /* the rate ratio the CUSUM is tuned to */
	double critical;           /* severity critical from this score (log2 of the at-worst rate ratio) */
	int market;                /* divide by the market-wide factor */
	int season;                /* day-of-week / hour-of-day factors */
	int64_t halflife;          /* the level's half-life (overdispersion and season: DETECT_LONG_MEMORY x) */
	int64_t min_history;       /* history a baseline needs before it judges */
	long min_posts;            /* posts in the window to start */
	long min_sources;          /* sources active to start; -1: 2 when the data has several, else 1 */
	long source_min;           /* posts for a source to count as active */
	double source_z;           /* z of a source against its own baseline to be active */
	double cold_share;         /* share of a young source's mentions that makes it active */
	double growth;             /* growth when the rate reaches this x the start rate */
	double peak_drop;          /* peak when the rate falls this far under the max */
	double fade;               /* fade when the rate falls under this x the max */
	double min_align;          /* sentiment concentration needed to start */
	/* signals */
	int64_t lookback;      /* news window before each evaluation */
	double min_confidence; /* model confidence a news item needs */
	double min_score;      /* |score| for a BUY/SELL */
	int64_t expiry;        /* same entity and direction not repeated within */
	const char *news;      /* post types that count as news, comma-separated */
	int64_t bar_interval;  /* bars the price context is computed on */
	/* heat */
	double min_heat;       /* heat events from this score; discovery the first time */
	double heat_min_count; /* a stream counts when either day reaches this value */
	long heat_min_streams; /* streams a heat event needs */
	int heat_all;    /* write every entity-day's heat, whatever its score */
} detect_opts_t;

typedef struct detect {
	detect_opts_t opt;
	sqlite3 *db;       /* the state, inside the run's transaction */
	int64_t watermark; /* latest end of any window, bar or metric seen (state + input) */
	int64_t now;       /* opt.now, or the watermark */
	json_t *events;    /* events raised this run (array) */
	/* set by a detector for the record being read: it is late / after now */
	int rec_late, rec_future;
	/* counts for the summary */
	long late;    /* records for periods already processed by an earlier run */
	long future;  /* records after --now */
	long skipped; /* records read but not used (other windows, unscored posts...) */
	/* entities named by the input (detect_note_entity), and whether
	 * --explain matched one of them or of the state */
	strset entities;
	long entities_seen;
	int explain_found;
} detect_t;

/* ------------------------------------------------------------------ parsed records */

/* An agg record (docs/records.md); pointers borrowed from the record. */
typedef struct detect_agg {
	const char *entity;
	int64_t start, len;
	long posts, authors;
	json_t *sources; /* object "source/community" -> posts, or NULL */
	int has_sentiment;
	long sent_n, bull, bear;
	double sent_mean;
} detect_agg_t;

/* A metric record; bars carry open..volume (volume < 0 when absent). */
typedef struct detect_metric {
	const char *source, *entity, *name;
	int64_t at, interval; /* interval 0 when the record has none */
	double value;
	int is_bar;
	int is_event; /* it has a "key": one event (a flow alert, a rating), added up per day */
	double open, high, low, close, volume;
} detect_metric_t;

/* A scored post (news for the signals). */
typedef struct detect_post {
	const char *id, *type, *source;
	int64_t at;
	json_t *entities; /* array of strings */
	int has_sentiment;
	double score, confidence;
} detect_post_t;

/* Parse; 0, or -1 after stream_reject() with the reason. */
int detect_parse_agg(stream_t *s, const json_t *rec, detect_agg_t *out);
int detect_parse_metric(stream_t *s, const json_t *rec, detect_metric_t *out);
int detect_parse_post(stream_t *s, const json_t *rec, detect_post_t *out);

/* ------------------------------------------------------------------ the run */

void detect_opts_default(detect_opts_t *o);
/* Fill d for a run on the open state db; the watermark is loaded from it. */
void detect_init(detect_t *d, const detect_opts_t *o, sqlite3 *db);
/* Note that data up to `end` has been seen (moves the watermark). */
void detect_saw(detect_t *d, int64_t end);
/* Fix d->now once all input is read (opt.now or the watermark). */
void detect_settle_now(detect_t *d);
/* Sort the run's events, drop those whose key an earlier run already
 * wrote, remember the rest in the state and write them with stream_emit.
 * Saves the watermark. Returns the number written. */
long detect_flush(detect_t *d, stream_t *s);
void detect_free(detect_t *d);

/*
 * A new event in d->events: {"kind":"event","type","entity","at","key",
 * "score","severity","evidence":{}}. Returns the evidence object
 * (borrowed) for the caller to fill. Keys are built by the detectors
 * (docs/detection.md lists their forms) from the data's times only.
 */
json_t *detect_event(detect_t *d, const char *type, const char *entity, int64_t at, const char *key, double score,
		     const char *severity);

/* 1 when --exclude names the entity. */
int detect_excluded(const detect_t *d, const char *entity);
/* Read an --exclude file: one entity per line (the first tab-separated
 * field), '#' comments and blank lines skipped, as in
 * data/entities/stoplist.txt. Returns a new object, or NULL (errno set). */
json_t *detect_read_exclude(const char *path);

/* --explain: 1 when entity is the one explained (in any case: gme is
 * GME); detect_explain prints a line to stderr ("herd-detect: explain GME:
 * ...") when it is. A match is remembered in explain_found. */
int detect_explaining(detect_t *d, const char *entity);
void detect_explain(detect_t *d, const char *entity, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Note an entity the input names (for the --explain check and counts). */
void detect_note_entity(detect_t *d, const char *entity);

/* ------------------------------------------------------------------ helpers */

/* v rounded to `places` decimals (evidence is for people, and rounding
 * keeps test expectations stable across libm versions). */
double detect_round(double v, int places);
/* Set key to v rounded to places decimals. */
void detect_set_real(json_t *obj, const char *key, double v, int places);
/* Set key to a formatted time. */
void detect_set_time(json_t *obj, const char *key, int64_t t);

/* A string -> index table (entities, sources): herd's string set
 * (lib/strset.h) with the index as each name's value. */
typedef struct detect_names {
	strset map; /* name -> index */
	long n;     /* names held; indexes are 0..n-1 in the order added */
} detect_names_t;
void detect_names_init(detect_names_t *t);
void detect_names_free(detect_names_t *t);
/* The index of name, or -1. */
long detect_names_find(const detect_names_t *t, const char *name);
/* The index of name, adding it as index t->n when new (*added set). */
long detect_names_add(detect_names_t *t, const char *name, int *added);
/* detect_names_add for a table that indexes an array: when name is new,
 * *arr (elements of `size` bytes, *cap of them) grows to hold its index
 * and the new element is zeroed. */
long detect_names_slot(detect_names_t *t, const char *name, void **arr, size_t *cap, size_t size, int *added);

/* The detectors (one file each). Each keeps what it reads in a handle
 * made by X_new(d), processes it in X_run, frees it in X_free. */
typedef struct cascade cascade_t;
cascade_t *cascade_new(detect_t *d);
/* 0, or -1 after stream_reject (a second agg for the same entity and
 * window). from_metric: a is a "mentions" metric, whose counts add to
 * whatever else the window holds for the entity. */
int cascade_add(cascade_t *c, stream_t *s, const detect_agg_t *a, int from_metric);
void cascade_run(cascade_t *c);
/* After cascade_run: sources present in some window so far (state and
 * run), with the first one's name in *one (NULL when none). */
long cascade_sources_seen(const cascade_t *c, const char **one);
/* 1 when entity is in the state or the run. */
int cascade_knows(const cascade_t *c, const char *entity);
void cascade_free(cascade_t *c);

typedef struct heat heat_t;
heat_t *heat_new(detect_t *d);
void heat_add_agg(heat_t *h, const detect_agg_t *a);
void heat_add_metric(heat_t *h, const detect_metric_t *m);
void heat_run(heat_t *h);
void heat_free(heat_t *h);

typedef struct signals signals_t;
signals_t *signals_new(detect_t *d);
/* 1 when the post was taken as news, 0 when it is not news. */
int signals_add_post(signals_t *g, const detect_post_t *p);
void signals_add_bar(signals_t *g, const detect_metric_t *m);
void signals_run(signals_t *g);
void signals_free(signals_t *g);

#endif
