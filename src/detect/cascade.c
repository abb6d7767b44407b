/*
 * cascade.c — cascades: an entity's mentions run at several times their
 * usual rate, more than its ordinary bursts explain, the rise spreads
 * across sources (which one led, when the others followed), and the
 * episode has a shape (a one-window news spike, or a broadening pile-in
 * that builds over windows). Reads the `agg` records (and "mentions"
 * metrics) of one window length (--window); writes `cascade` events for
 * the phases start, growth, peak and fade of each episode.
 *
 * Per window (every window that has any record; a window with no data at
 * all, like a failed collection day, is not a window), for every entity
 * known (absent ones count 0 posts):
 *   1. the market factor: the median, over the established entities not in
 *      an episode, of count / expected — a crash or a collection outage
 *      that moves every entity is not a herd of each (per source too);
 *   2. the entity's predictive count under its count model (counts.c:
 *      negative binomial with level x market x season, overdispersion of
 *      its quiet history), its evidence (-log10 p) and its score (log2 of
 *      the at-worst rate ratio);
 *   3. Page's CUSUM of the log-likelihood ratio of a --shift-fold rate
 *      against the usual one: a run starts (the onset) when the ratio
 *      turns positive, and while it runs the entity is judged against its
 *      baseline as of the onset; the run alarms at h = ln(windows per year
 *      / --false-alarms);
 *   4. which sources are active (>= --source-min posts and significant at
 *      --source-z against that source's own count model of the entity, or,
 *      for a source too young to have one, the entity's share of it >=
 *      --cold-share);
 *   5. the phases: idle -> start (the CUSUM alarms, posts, active sources,
 *      alignment pass) -> growth (rate >= --growth x the start rate) ->
 *      peak (rate falls --peak-drop under the episode's max) -> fade (rate
 *      <= --fade x the max, or at its expected count) -> idle. Each phase
 *      is written once per episode; keys are cascade:ENTITY:WINDOW:START:PHASE.
 * Quiet windows (no episode) teach the baselines; the windows of an
 * episode do not, back to its onset (the baseline as of the onset is
 * restored), so a herd never inflates its own baseline. A fade at a level
 * far above the old one starts the level afresh from there (a change
 * point: the new normal).
 *
 * State (per window length): detect_cascade_entity, detect_cascade_source
 * (each series as a BLOB of doubles, counts_pack) and detect_cascade_window
 * (windows seen, exposure and population overdispersion, per source), so
 * the next batch continues where this one stopped. Windows at or before
 * the last one processed are late: counted and skipped.
 */
#include "counts.h"
#include "detect.h"
#include "state.h"

#include "lib/htime.h"
#include "lib/jsonx.h"
#include "lib/log.h"
#include "lib/util.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The market factor needs a broad panel: this many established series
 * expecting at least MARKET_MIN_MU posts (the noise of one ratio at 5 is
 * ~45%, of the median of 30 such under 10%), else it is 1. A narrow panel
 * is the few names a forum talks about, and in a mania they move
 * together: their median is the herd, not the market. */
#define MARKET_MIN_SERIES 30
#define MARKET_MIN_MU 5.0
/* A series joins the population's overdispersion (the prior of young
 * ones) after this many quiet windows of its own: fewer, and the first
 * weeks of a detector's life (when no series has met a burst yet) set a
 * prior too narrow (measured on the tuning data, docs/detection.md). */
#define PHI_POP_WINDOWS 30.0
/* The population's overdispersion before any series has enough windows:
 * a daily mention count's typical relative noise (sd ~ 70%); measured on
 * the tuning data (docs/detection.md). */
#define PHI_DEFAULT 0.5
/* An idle series whose discounted count fell under this is forgotten (it
 * comes back as if new: absent = zero): keeps the state bounded. */
#define FORGET_COUNTS 0.05
/* An episode's windows are kept (up to SPIKE_WINDOWS): the first
 * EPISODE_TEACHES of them teach the entity's noise when the episode ends,
 * each at most as a window at the alarm threshold. Bounded influence per
 * episode: a herd of weeks tells the noise no more than a two-day burst at
 * the threshold, so an entity's frequent bursts widen its noise until they
 * stop alarming, and a herd hardly does. */
#define SPIKE_WINDOWS 16
#define EPISODE_TEACHES 2
/* Sentiment direction needs this concentration; under it, "mixed". */
#define ALIGN_DIRECTION 0.1
/* Scores and CUSUMs are finite in the events: a count no model expected
 * is at most this (log2 ~ 10^30 x). */
#define SCORE_CAP 100.0

enum { PH_START = 1, PH_GROWTH = 2, PH_PEAK = 4, PH_FADE = 8 };

/* One window of one entity in this run's input. */
typedef struct cobs {
	int64_t start;
	long ent;        /* index into c->names / c->ent */
	long posts, authors;
	json_t *sources; /* a reference, or NULL */
	int from_agg;    /* an agg record (not only "mentions" metrics) is in it */
	int has_sent;
	long sent_n, bull, bear;
	double sent_mean;
} cobs_t;

/* One source of one entity ("reddit/wallstreetbets" mentions of GME). */
typedef struct csource {
	char *name;
	int known;            /* has a series (else: new, or forgotten) */
	counts_t live, ref;   /* as the entity's: ref is the series as of the entity's onset */
	int has_ref;
	int64_t active_since; /* first window of the current run of activity; 0 = inactive */
	long act_posts;       /* posts and share at active_since */
	double act_share;
	int64_t arrived;      /* when it joined the current episode; 0 = not (yet) */
	long arr_posts;
	double arr_share;
	/* this window, for evidence and explain */
	long gi; /* run-wide source index */
	long now_posts;
	double now_evidence;
	counts_pred_t now_pred;
	int now_active, now_young, now_present;
} csource_t;

/*
 * One entity. Invariants (centity_check): active implies PH_START in
 * emitted, peak_ratio >= start_ratio > 0, no run (!has_ref, cusum 0);
 * !active implies emitted == 0 and no source has arrived; cusum >= 0,
 * and cusum > 0 implies has_ref.
 */
typedef struct centity {
	char *name;
	int known;      /* has a series (else: new, or forgotten) */
	counts_t live;  /* the baseline: quiet windows teach it all, an episode's only its noise */
	counts_t ref;   /* during a run of the CUSUM: the baseline as of its onset */
	int has_ref;
	double cusum;   /* Page's statistic, nats */
	int64_t onset;  /* the window the run began */
	detect_names_t srcnames;
	csource_t *src; /* srcnames.n of them */
	size_t srccap;
	int active;
	int64_t episode; /* the window the episode started (the alarm) */
	unsigned emitted;
	double start_rate, peak_rate;   /* posts at the start and at the peak (evidence) */
	double start_ratio, peak_ratio; /* posts / expected then: the phases follow these */
	double peak_score;
	int64_t peak_at;
	int64_t after_peak; /* first window after the peak whose ratio fell to half of it (0: none yet) */
	int below;          /* consecutive windows at the fade level */
	double spike[2 * SPIKE_WINDOWS]; /* (count, expected) of the episode's windows */
	int nspike;
} centity_t;

/* What a window length's state holds per source ('' = the entities). */
typedef struct cglobal {
	char *source;
	double windows;  /* windows this source was present in */
	double exposure; /* their discounted market exposure: what a new series starts with */
	double phi_pop;  /* median overdispersion of its established series (0: none yet) */
	/* the entities' calibration: established quiet windows expecting
	 * MARKET_MIN_MU or more, and those of them with evidence >= 1, >= 2
	 * (discounted counts) */
	double pool_n, pool_1, pool_2;
	double market;   /* this window's market factor */
	int present;     /* this window */
} cglobal_t;

/* Totals of the window being processed. */
typedef struct period {
	int64_t start;
	int phase;
	double total;      /* posts over all entities */
	double *src_total; /* per run-wide source index (c->srcs) */
} period_t;

struct cascade {
	detect_t *d;
	counts_params_t cp;  /* entities */
	counts_params_t cps; /* sources of an entity (no season: the entity's applies) */
	double h0;         /* the CUSUM alarm threshold of the model, nats */
	double h;          /* ... and as calibrated on the data */
	double h0_window;  /* the one-window alarm threshold of the model, -log10 p */
	double h_window;   /* ... and as calibrated on the data */
	double tail_slope; /* the calibration's slope: the data's tail in units of the model's */
	double win_n, win_1, win_2; /* this window's terms of the calibration pool */
	double minhist;    /* windows a baseline needs to have seen before it judges */
	int64_t last;      /* last window processed by an earlier run (0 = none) */
	detect_names_t names;
	centity_t *ent;
	size_t entcap;
	detect_names_t srcs; /* every source seen (state and run); index = global slot */
	cglobal_t *glob;     /* per source; glob_ent for the entities */
	size_t globcap;
	cglobal_t glob_ent;
	long nsources_seen; /* sources present in some window so far */
	cobs_t *obs;
	size_t nobs, obscap;
	json_t *seen; /* "ENTITY start" of each obs, to refuse duplicates */
	long windows_run; /* windows processed in this run */
	int explain_found;
};

static const char *phase_name(unsigned ph)
{
	return ph == PH_START ? "start" : ph == PH_GROWTH ? "growth" : ph == PH_PEAK ? "peak" : "fade";
}

/* For use inside assert() only. */
static int centity_check(const centity_t *e)
{
	if (!counts_check(&e->live) || (e->has_ref && !counts_check(&e->ref)))
		return 0;
	if (!(e->cusum >= 0) || (e->cusum > 0 && !e->has_ref))
		return 0;
	if (!e->active) {
		if (e->emitted)
			return 0;
		for (long i = 0; i < e->srcnames.n; i++)
			if (e->src[i].arrived)
				return 0;
		return 1;
	}
	return !e->has_ref && e->cusum == 0 && (e->emitted & PH_START) && e->start_ratio > 0 &&
	       e->peak_ratio >= e->start_ratio;
}

/* ------------------------------------------------------------------ entities and sources */

static centity_t *entity_get(cascade_t *c, const char *name)
{
	int added;
	long i = detect_names_slot(&c->names, name, (void **)&c->ent, &c->entcap, sizeof *c->ent, &added);

	if (added) {
		c->ent[i].name = xstrdup(name);
		detect_names_init(&c->ent[i].srcnames);
	}
	return &c->ent[i];
}

static csource_t *source_get(centity_t *e, const char *name)
{
	int added;
	long i = detect_names_slot(&e->srcnames, name, (void **)&e->src, &e->srccap, sizeof *e->src, &added);

	if (added)
		e->src[i].name = xstrdup(name);
	return &e->src[i];
}

static cglobal_t *global_get(cascade_t *c, const char *source)
{
	int added;
	long i;

	if (!source[0])
		return &c->glob_ent;
	i = detect_names_slot(&c->srcs, source, (void **)&c->glob, &c->globcap, sizeof *c->glob, &added);
	if (added)
		c->glob[i].source = xstrdup(source);
	return &c->glob[i];
}

/* ------------------------------------------------------------------ state */

/* A series <-> a BLOB column. */
static void series_bind(const counts_params_t *cp, sqlite3_stmt *st, int col, const counts_t *m)
{
	size_t n = counts_packed_len(cp->nphases);
	double buf[8 + 2 * COUNTS_MAX_PHASES];

	counts_pack(m, cp->nphases, buf);
	sqlite3_bind_blob(st, col, buf, (int)(n * sizeof *buf), SQLITE_TRANSIENT);
}

/* A series and its run's reference (NULL: none) <-> columns col, col+1. */
static void series_bind_pair(const counts_params_t *cp, sqlite3_stmt *st, int col, const counts_t *live,
			     const counts_t *ref)
{
	series_bind(cp, st, col, live);
	if (ref)
		series_bind(cp, st, col + 1, ref);
	else
		sqlite3_bind_null(st, col + 1);
}

static int series_read(const counts_params_t *cp, sqlite3_stmt *st, int col, counts_t *m)
{
	const void *p = sqlite3_column_blob(st, col);
	size_t bytes = (size_t)sqlite3_column_bytes(st, col);
	double buf[8 + 2 * COUNTS_MAX_PHASES];

	if (!p || bytes % sizeof(double) || bytes > sizeof buf)
		return -1;
	memcpy(buf, p, bytes);
	return counts_unpack(m, cp->nphases, buf, bytes / sizeof(double));
}

static void state_corrupt(const cascade_t *c, const char *what)
{
	log_fatal(HERD_EXIT_FAIL, "%s: the cascade series of %s is not one of %lld-second windows: state damaged",
		  detect_state_path(), what, (long long)c->d->opt.window);
}

static void load_state(cascade_t *c)
{
	sqlite3 *db = c->d->db;
	sqlite3_stmt *st;
	char key[64];

	snprintf(key, sizeof key, "cascade.%lld.last", (long long)c->d->opt.window);
	c->last = detect_state_get_int(db, key, 0);
	st = detect_state_prepare(db, "SELECT source, windows, exposure, phi_pop, pool_n, pool_1, pool_2"
				      " FROM detect_cascade_window WHERE window = ? ORDER BY source");
	sqlite3_bind_int64(st, 1, c->d->opt.window);
	while (detect_state_step(db, st)) {
		cglobal_t *g = global_get(c, (const char *)sqlite3_column_text(st, 0));

		g->windows = sqlite3_column_double(st, 1);
		g->exposure = sqlite3_column_double(st, 2);
		g->phi_pop = sqlite3_column_double(st, 3);
		g->pool_n = sqlite3_column_double(st, 4);
		g->pool_1 = sqlite3_column_double(st, 5);
		g->pool_2 = sqlite3_column_double(st, 6);
		if (g != &c->glob_ent && g->windows > 0)
			c->nsources_seen++;
	}
	sqlite3_finalize(st);
	st = detect_state_prepare(db, "SELECT entity, live, ref, cusum, onset, active, episode, emitted, start_rate,"
				      " peak_rate, start_ratio, peak_ratio, peak_score, peak_at, after_peak, below, episode_windows"
				      " FROM detect_cascade_entity WHERE window = ? ORDER BY entity");
	sqlite3_bind_int64(st, 1, c->d->opt.window);
	while (detect_state_step(db, st)) {
		centity_t *e = entity_get(c, (const char *)sqlite3_column_text(st, 0));

		e->known = 1;
		if (series_read(&c->cp, st, 1, &e->live) < 0)
			state_corrupt(c, e->name);
		e->has_ref = sqlite3_column_type(st, 2) != SQLITE_NULL;
		if (e->has_ref && series_read(&c->cp, st, 2, &e->ref) < 0)
			state_corrupt(c, e->name);
		e->cusum = sqlite3_column_double(st, 3);
		e->onset = sqlite3_column_int64(st, 4);
		e->active = sqlite3_column_int(st, 5);
		e->episode = sqlite3_column_int64(st, 6);
		e->emitted = (unsigned)sqlite3_column_int(st, 7);
		e->start_rate = sqlite3_column_double(st, 8);
		e->peak_rate = sqlite3_column_double(st, 9);
		e->start_ratio = sqlite3_column_double(st, 10);
		e->peak_ratio = sqlite3_column_double(st, 11);
		e->peak_score = sqlite3_column_double(st, 12);
		e->peak_at = sqlite3_column_int64(st, 13);
		e->after_peak = sqlite3_column_int64(st, 14);
		e->below = sqlite3_column_int(st, 15);
		{
			const void *b = sqlite3_column_blob(st, 16);
			size_t bytes = (size_t)sqlite3_column_bytes(st, 16);

			if (bytes > sizeof e->spike || bytes % (2 * sizeof(double)))
				state_corrupt(c, e->name);
			if (b)
				memcpy(e->spike, b, bytes);
			e->nspike = (int)(bytes / (2 * sizeof(double)));
		}

	}
	sqlite3_finalize(st);
	st = detect_state_prepare(db, "SELECT entity, source, live, ref, active_since, act_posts, act_share, arrived,"
				      " arr_posts, arr_share FROM detect_cascade_source WHERE window = ?"
				      " ORDER BY entity, source");
	sqlite3_bind_int64(st, 1, c->d->opt.window);
	while (detect_state_step(db, st)) {
		centity_t *e = entity_get(c, (const char *)sqlite3_column_text(st, 0));
		csource_t *s = source_get(e, (const char *)sqlite3_column_text(st, 1));

		s->known = 1;
		if (series_read(&c->cps, st, 2, &s->live) < 0)
			state_corrupt(c, e->name);
		s->has_ref = sqlite3_column_type(st, 3) != SQLITE_NULL;
		if (s->has_ref && series_read(&c->cps, st, 3, &s->ref) < 0)
			state_corrupt(c, e->name);
		s->active_since = sqlite3_column_int64(st, 4);
		s->act_posts = (long)sqlite3_column_int64(st, 5);
		s->act_share = sqlite3_column_double(st, 6);
		s->arrived = sqlite3_column_int64(st, 7);
		s->arr_posts = (long)sqlite3_column_int64(st, 8);
		s->arr_share = sqlite3_column_double(st, 9);
	}
	sqlite3_finalize(st);
}

static void save_global(const cascade_t *c, sqlite3_stmt *st, const cglobal_t *g)
{
	sqlite3_bind_int64(st, 1, c->d->opt.window);
	sqlite3_bind_text(st, 2, g == &c->glob_ent ? "" : g->source, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 3, g->windows);
	sqlite3_bind_double(st, 4, g->exposure);
	sqlite3_bind_double(st, 5, g->phi_pop);
	sqlite3_bind_double(st, 6, g->pool_n);
	sqlite3_bind_double(st, 7, g->pool_1);
	sqlite3_bind_double(st, 8, g->pool_2);
	detect_state_step_done(c->d->db, st);
}

static void save_state(cascade_t *c)
{
	sqlite3 *db = c->d->db;
	sqlite3_stmt *ie, *is, *ig;
	char key[64], sql[256];
	long long w = (long long)c->d->opt.window;

	snprintf(key, sizeof key, "cascade.%lld.last", w);
	detect_state_set_int(db, key, c->last);
	snprintf(sql, sizeof sql,
		 "DELETE FROM detect_cascade_entity WHERE window = %lld; DELETE FROM detect_cascade_source WHERE window = %lld;"
		 " DELETE FROM detect_cascade_window WHERE window = %lld",
		 w, w, w);
	detect_state_exec(db, sql);
	ig = detect_state_prepare(db, "INSERT INTO detect_cascade_window VALUES (?,?,?,?,?,?,?,?)");
	save_global(c, ig, &c->glob_ent);
	for (long i = 0; i < c->srcs.n; i++)
		if (c->glob[i].windows > 0)
			save_global(c, ig, &c->glob[i]);
	sqlite3_finalize(ig);
	ie = detect_state_prepare(db, "INSERT INTO detect_cascade_entity VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
	is = detect_state_prepare(db, "INSERT INTO detect_cascade_source VALUES (?,?,?,?,?,?,?,?,?,?,?)");
	for (long i = 0; i < c->names.n; i++) {
		centity_t *e = &c->ent[i];

		if (!e->known)
			continue;
		sqlite3_bind_int64(ie, 1, w);
		sqlite3_bind_text(ie, 2, e->name, -1, SQLITE_STATIC);
		series_bind_pair(&c->cp, ie, 3, &e->live, e->has_ref ? &e->ref : NULL);
		sqlite3_bind_double(ie, 5, e->cusum);
		sqlite3_bind_int64(ie, 6, e->onset);
		sqlite3_bind_int(ie, 7, e->active);
		sqlite3_bind_int64(ie, 8, e->episode);
		sqlite3_bind_int(ie, 9, (int)e->emitted);
		sqlite3_bind_double(ie, 10, e->start_rate);
		sqlite3_bind_double(ie, 11, e->peak_rate);
		sqlite3_bind_double(ie, 12, e->start_ratio);
		sqlite3_bind_double(ie, 13, e->peak_ratio);
		sqlite3_bind_double(ie, 14, e->peak_score);
		sqlite3_bind_int64(ie, 15, e->peak_at);
		sqlite3_bind_int64(ie, 16, e->after_peak);
		sqlite3_bind_int(ie, 17, e->below);
		sqlite3_bind_blob(ie, 18, e->spike, (int)(2 * (size_t)e->nspike * sizeof(double)), SQLITE_TRANSIENT);
		detect_state_step_done(db, ie);
		for (long j = 0; j < e->srcnames.n; j++) {
			csource_t *s = &e->src[j];

			if (!s->known)
				continue;
			sqlite3_bind_int64(is, 1, w);
			sqlite3_bind_text(is, 2, e->name, -1, SQLITE_STATIC);
			sqlite3_bind_text(is, 3, s->name, -1, SQLITE_STATIC);
			series_bind_pair(&c->cps, is, 4, &s->live, s->has_ref ? &s->ref : NULL);
			sqlite3_bind_int64(is, 6, s->active_since);
			sqlite3_bind_int64(is, 7, s->act_posts);
			sqlite3_bind_double(is, 8, s->act_share);
			sqlite3_bind_int64(is, 9, s->arrived);
			sqlite3_bind_int64(is, 10, s->arr_posts);
			sqlite3_bind_double(is, 11, s->arr_share);
			detect_state_step_done(db, is);
		}
	}
	sqlite3_finalize(ie);
	sqlite3_finalize(is);
}

/* ------------------------------------------------------------------ input */

/*
 * Calibrated p-values. The negative binomial's tail is thinner than real
 * mention counts' (news bursts): the share of ordinary windows with
 * evidence >= x falls as 10^-(x/s) - a, with a slope s > 1 where the model
 * would have 1. s and a are read off the pooled established quiet windows
 * at x = 1 and x = 2 (p 0.1 and 0.01, where herds are a negligible part of
 * the pool: they are rare, and their windows after the first are not
 * quiet), and the thresholds are moved to where the data's own tail puts
 * the false-alarm rate asked for: x* = s (h + a). Never below the model's
 * (the calibration only makes the detector stricter); with too few
 * windows pooled (fewer than CALIB_MIN at evidence >= 2) it is the
 * model's.
 */
#define CALIB_MIN 30.0
static void calibrate(cascade_t *c)
{
	const cglobal_t *g = &c->glob_ent;
	double x = c->h0_window;

	c->tail_slope = 1;
	if (g->pool_2 >= CALIB_MIN && g->pool_1 > g->pool_2 && g->pool_n > g->pool_1) {
		double inv = log10(g->pool_1 / g->pool_2), a, s;

		s = inv > 0 ? 1 / inv : 1;
		a = log10(g->pool_1 / g->pool_n) + inv;
		if (s > 1 && s * (x + a) > x) {
			c->tail_slope = s;
			x = s * (x + a);
		}
	}
	c->h_window = x;
	c->h = c->h0 * x / c->h0_window;
}

cascade_t *cascade_new(detect_t *d)
{
	cascade_t *c = xcalloc(1, sizeof *c);
	double w = (double)d->opt.window, hl = (double)d->opt.halflife / w;

	c->d = d;
	c->cp.alpha = counts_alpha(hl > 0 ? hl : 1);
	c->cp.alpha_long = counts_alpha(hl > 0 ? DETECT_LONG_MEMORY * hl : DETECT_LONG_MEMORY);
	c->cp.nphases = d->opt.season ? counts_phases_for(d->opt.window) : 1;
	c->cp.shift = d->opt.shift;
	c->cps = c->cp;
	c->cps.nphases = 1;
	/* The false-alarm budget is split between the CUSUM and the one-window
	 * test (Lucas's combined Shewhart-CUSUM; a union bound). */
	c->h0 = counts_threshold(d->opt.false_alarms / 2, w);
	c->h0_window = c->h0 / M_LN10;
	c->minhist = (double)d->opt.min_history / w;
	if (c->minhist < 1)
		c->minhist = 1;
	c->glob_ent.source = "";
	detect_names_init(&c->names);
	detect_names_init(&c->srcs);
	c->seen = json_object();
	load_state(c);
	calibrate(c);
	return c;
}

/* Add the counts of a to o (a "mentions" metric meeting another record of
 * the same entity and window). */
static void obs_merge(cobs_t *o, const detect_agg_t *a)
{
	json_t *merged = o->sources ? json_deep_copy(o->sources) : json_object();
	const char *k;
	json_t *v;

	o->posts += a->posts;
	if (a->sources)
		json_object_foreach(a->sources, k, v) {
			json_int_t have = json_integer_value(json_object_get(merged, k));

			json_object_set_new(merged, k, json_integer(have + json_integer_value(v)));
		}
	json_decref(o->sources);
	o->sources = merged;
}

/* What only an agg record says of its window (a "mentions" metric has
 * counts alone): its authors and sentiment. */
static void obs_take_agg(cobs_t *o, const detect_agg_t *a)
{
	o->from_agg = 1;
	o->authors = a->authors;
	o->has_sent = a->has_sentiment;
	o->sent_n = a->sent_n;
	o->bull = a->bull;
	o->bear = a->bear;
	o->sent_mean = a->sent_mean;
}

int cascade_add(cascade_t *c, stream_t *s, const detect_agg_t *a, int from_metric)
{
	char key[512], ts[HTIME_LEN];
	json_t *seen;
	cobs_t *o;

	if (a->start <= c->last) {
		c->d->rec_late = 1;
		return 0;
	}
	if (c->d->opt.now && a->start + a->len > c->d->opt.now) {
		c->d->rec_future = 1;
		return 0;
	}
	snprintf(key, sizeof key, "%s %lld", a->entity, (long long)a->start);
	if ((seen = json_object_get(c->seen, key)) != NULL) {
		o = &c->obs[json_integer_value(seen)];
		if (!from_metric && o->from_agg)
			return stream_reject(s, "a second agg for %s, window starting %s (merge shards first)",
					     a->entity, htime_format(a->start, ts));
		obs_merge(o, a);
		if (!from_metric)
			obs_take_agg(o, a);
		return 0;
	}
	json_object_set_new(c->seen, key, json_integer((json_int_t)c->nobs));
	c->obs = xgrow(c->obs, c->nobs + 1, &c->obscap, sizeof *c->obs);
	o = &c->obs[c->nobs++];
	memset(o, 0, sizeof *o);
	o->start = a->start;
	o->ent = entity_get(c, a->entity) - c->ent;
	o->posts = a->posts;
	o->sources = a->sources ? json_incref(a->sources) : NULL;
	if (!from_metric)
		obs_take_agg(o, a);
	return 0;
}

/* ------------------------------------------------------------------ the market */

static int cmp_double(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;

	return (a > b) - (a < b);
}

/* exp(median of the log ratios v[0..n)), or 1 with too few of them. */
static double market_of(double *v, size_t n)
{
	double med;

	if (!n || n < MARKET_MIN_SERIES)
		return 1;
	qsort(v, n, sizeof *v, cmp_double);
	med = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
	return exp(med);
}

/* The population's overdispersion: the median of the established series'
 * own estimates, or 0 with none yet. */
static double phi_pop_of(double *v, size_t n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static double phi_prior(const cglobal_t *g)
{
	return g->phi_pop > 0 ? g->phi_pop : PHI_DEFAULT;
}

/* A series is established (judges, and counts for the market) once it has
 * seen --min-history of windows (those before its first post included). */
static int established(const cascade_t *c, const counts_t *m)
{
	return m->n >= c->minhist;
}

/* ------------------------------------------------------------------ one window */

static const char *severity(const cascade_t *c, unsigned ph, double score)
{
	if (ph == PH_FADE)
		return "info";
	if (ph == PH_PEAK)
		return "warn";
	return score >= c->d->opt.critical ? "critical" : "warn";
}

static int cmp_arrival(const void *pa, const void *pb)
{
	const csource_t *a = *(csource_t *const *)pa, *b = *(csource_t *const *)pb;

	if (a->arrived != b->arrived)
		return a->arrived < b->arrived ? -1 : 1;
	if (a->arr_posts != b->arr_posts)
		return a->arr_posts > b->arr_posts ? -1 : 1;
	return strcmp(a->name, b->name);
}

/* The sources of the episode in order of arrival (leader first); returns
 * how many, in *out (caller frees). */
static size_t arrivals(const centity_t *e, csource_t ***out)
{
	csource_t **v = xcalloc((size_t)e->srcnames.n + 1, sizeof *v);
	size_t n = 0;

	for (long i = 0; i < e->srcnames.n; i++)
		if (e->src[i].arrived)
			v[n++] = &e->src[i];
	qsort(v, n, sizeof *v, cmp_arrival);
	*out = v;
	return n;
}

typedef struct verdict {
	const cobs_t *o;
	long posts, nactive;
	counts_pred_t pred;
	double evidence, score, llr, share, cusum;
	int young;
} verdict_t;

/* A news spike: all at once (the peak within a window of the onset), and
 * gone as fast (the ratio at half the peak's within a window after it).
 * Anything else builds or holds: a herd. Final at the fade; at the peak,
 * what it looks like so far. */
static int news_spike(const cascade_t *c, const centity_t *e)
{
	int64_t w = c->d->opt.window;

	return e->peak_at - e->onset <= w && e->after_peak && e->after_peak - e->peak_at <= w;
}

/* Keep the (count, expected) of an episode's window. */
static void spike_note(centity_t *e, double count, double mu)
{
	if (e->nspike >= SPIKE_WINDOWS)
		return;
	e->spike[2 * e->nspike] = count;
	e->spike[2 * e->nspike + 1] = mu;
	e->nspike++;
}

/* The episode's shape so far: windows of growth from the onset to the
 * peak, windows of decay after it, and what kind of episode it is. */
static void shape(const cascade_t *c, const centity_t *e, unsigned ph, int64_t t, json_t *ev)
{
	double w = (double)c->d->opt.window;
	long growth = (long)((double)(e->peak_at - e->onset) / w);
	json_t *sh = json_object();

	detect_set_time(sh, "onset", e->onset);
	jx_set_int(sh, "growth_windows", growth);
	if (ph == PH_START) {
		/* Known at the start: did evidence build over windows first? */
		jx_set_int(sh, "build_windows", (long)((double)(t - e->onset) / w));
		jx_set_str(sh, "kind", t > e->onset ? "building" : "sudden");
	} else {
		if (e->after_peak)
			jx_set_int(sh, "decay_windows", (long)((double)(e->after_peak - e->peak_at) / w));
		jx_set_str(sh, "kind", news_spike(c, e) ? "news spike" : "herd");
	}
	json_object_set_new(ev, "shape", sh);
}

static void emit(cascade_t *c, centity_t *e, unsigned ph, int64_t t, const verdict_t *v)
{
	char key[512], ets[HTIME_LEN], wbuf[32];
	json_t *ev, *list, *sent;
	csource_t **arr;
	size_t n = arrivals(e, &arr);
	double score = v->score > SCORE_CAP ? SCORE_CAP : v->score;

	/* The window is in the key: hourly and daily detectors loading into one
	 * herd file must not take each other's events for their own. */
	htime_format_duration(c->d->opt.window, wbuf);
	snprintf(key, sizeof key, "cascade:%s:%s:%s:%s", e->name, wbuf, htime_format(e->episode, ets), phase_name(ph));
	ev = detect_event(c->d, "cascade", e->name, t, key, score, severity(c, ph, score));
	jx_set_str(ev, "phase", phase_name(ph));
	jx_set_str(ev, "window", wbuf);
	detect_set_time(ev, "episode", e->episode);
	jx_set_int(ev, "rate", v->posts);
	detect_set_real(ev, "baseline", v->pred.mu, 1);
	detect_set_real(ev, "ratio", (double)v->posts / (v->pred.mu > 0 ? v->pred.mu : 1e-9), 2);
	detect_set_real(ev, "evidence", v->evidence > 1e3 ? 1e3 : v->evidence, 1);
	if (ph == PH_START) {
		detect_set_real(ev, "cusum", v->cusum > 1e4 ? 1e4 : v->cusum, 1);
		detect_set_real(ev, "threshold", c->h, 1);
		detect_set_real(ev, "evidence_threshold", c->h_window, 2);
	}
	detect_set_real(ev, "market", c->glob_ent.market, 3);
	detect_set_real(ev, "dispersion", v->pred.phi_own, 3);
	detect_set_real(ev, "share", v->share, 4);
	if (v->o && v->o->authors) {
		jx_set_int(ev, "authors", v->o->authors);
		if (v->pred.authors > 0) {
			double usual = v->pred.authors;

			detect_set_real(ev, "authors_usual", usual, 1);
			detect_set_real(ev, "author_growth", (double)v->o->authors / usual, 2);
			detect_set_real(ev, "new_authors", v->o->authors > usual ? 1 - usual / (double)v->o->authors : 0, 3);
		}
	}
	jx_set_int(ev, "active", v->nactive);
	if (n)
		jx_set_str(ev, "leader", arr[0]->name);
	list = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *s = json_object();

		jx_set_str(s, "source", arr[i]->name);
		detect_set_time(s, "at", arr[i]->arrived);
		jx_set_str(s, "lag", arr[i]->arrived == arr[0]->arrived
					     ? "0s"
					     : htime_format_duration(arr[i]->arrived - arr[0]->arrived, wbuf));
		jx_set_int(s, "posts", arr[i]->arr_posts);
		detect_set_real(s, "share", arr[i]->arr_share, 4);
		json_array_append_new(list, s);
	}
	json_object_set_new(ev, "sources", list);
	if (v->o && v->o->has_sent) {
		long bb = v->o->bull + v->o->bear;
		double align = bb ? fabs((double)(v->o->bull - v->o->bear)) / (double)bb : 0;

		sent = json_object();
		jx_set_int(sent, "n", v->o->sent_n);
		jx_set_int(sent, "bull", v->o->bull);
		jx_set_int(sent, "bear", v->o->bear);
		detect_set_real(sent, "mean", v->o->sent_mean, 4);
		detect_set_real(sent, "align", align, 3);
		jx_set_str(sent, "direction",
			   align < ALIGN_DIRECTION ? "mixed" : v->o->bull > v->o->bear ? "bull" : "bear");
		json_object_set_new(ev, "sentiment", sent);
	}
	if (ph != PH_START) {
		detect_set_time(ev, "peak_at", e->peak_at);
		jx_set_int(ev, "peak_rate", (long long)e->peak_rate);
		detect_set_real(ev, "peak_ratio", e->peak_ratio, 2);
		detect_set_real(ev, "peak_score", e->peak_score > SCORE_CAP ? SCORE_CAP : e->peak_score, 2);
	}
	shape(c, e, ph, t, ev);
	free(arr);
	e->emitted |= ph;
	detect_explain(c->d, e->name, "    -> cascade %s (key %s)", phase_name(ph), key);
}

/* Sources: activity this window; returns how many are active. */
static long sources_step(cascade_t *c, centity_t *e, const cobs_t *o, const period_t *p)
{
	const detect_opts_t *op = &c->d->opt;
	const char *k;
	json_t *v;
	long nactive = 0;
	double p_active = -log10(0.5 * erfc(op->source_z / M_SQRT2));

	if (o && o->sources)
		json_object_foreach(o->sources, k, v) {
			if (json_integer_value(v) > 0)
				source_get(e, k);
		}
	for (long i = 0; i < e->srcnames.n; i++) {
		csource_t *s = &e->src[i];
		cglobal_t *g;
		json_t *nv = o && o->sources ? json_object_get(o->sources, s->name) : NULL;
		long cs = nv ? (long)json_integer_value(nv) : 0;
		double st, share;

		s->gi = detect_names_find(&c->srcs, s->name);
		g = &c->glob[s->gi];
		st = p->src_total[s->gi];
		s->now_present = st > 0;
		s->now_posts = cs;
		s->now_active = 0;
		s->now_evidence = 0;
		if (!s->now_present)
			continue; /* the source said nothing at all this window: not a zero */
		if (!s->known) {
			counts_init(&s->live, g->windows, g->exposure);
			s->known = 1;
			s->has_ref = 0;
		}
		share = cs / st;
		counts_predict(&s->live, &c->cps, 0, g->market, phi_prior(g), &s->now_pred);
		s->now_young = !established(c, &s->live);
		if (!s->now_young && cs > s->now_pred.mu)
			s->now_evidence = counts_evidence(&s->now_pred, (double)cs);
		if (cs >= op->source_min)
			s->now_active = s->now_young ? share >= op->cold_share : s->now_evidence >= p_active;
		if (s->now_active) {
			nactive++;
			if (!s->active_since) {
				s->active_since = p->start;
				s->act_posts = cs;
				s->act_share = share;
			}
		} else {
			s->active_since = 0;
		}
	}
	return nactive;
}

/* A count past the one-window alarm teaches as if it were just there
 * (bounded influence, as Huber's): a burst of 50x tells the noise no more
 * than one at the threshold. */
static double taught(const cascade_t *c, const counts_pred_t *pr, double count)
{
	double q;

	if (count <= pr->mu || counts_evidence(pr, count) < c->h_window)
		return count;
	q = counts_quantile(pr, c->h_window);
	return q < count ? q : count;
}

/* Each present source's series of the entity learns from a window outside
 * episodes. */
static void sources_update(cascade_t *c, centity_t *e, unsigned what)
{
	for (long i = 0; i < e->srcnames.n; i++) {
		csource_t *s = &e->src[i];

		if (!s->now_present || !s->known)
			continue;
		counts_update(&s->live, &c->cps, 0, c->glob[s->gi].market, taught(c, &s->now_pred, (double)s->now_posts),
			      -1, &s->now_pred, what);
		assert(counts_check(&s->live));
		if (!s->now_posts && !s->arrived && !s->has_ref && s->live.s < FORGET_COUNTS) {
			s->known = 0;
			s->active_since = 0;
		}
	}
}

/* The entity's run began: each source's level as of now is kept. */
static void sources_freeze(centity_t *e)
{
	for (long i = 0; i < e->srcnames.n; i++) {
		csource_t *s = &e->src[i];

		s->has_ref = s->known;
		if (s->known)
			s->ref = s->live;
	}
}

/* The run ended: with an alarm, the sources' levels forget its windows;
 * without one, they keep what they learnt. */
static void sources_thaw(centity_t *e, int revert)
{
	for (long i = 0; i < e->srcnames.n; i++) {
		csource_t *s = &e->src[i];

		if (s->has_ref && revert)
			counts_take_level(&s->live, &s->ref);
		s->has_ref = 0;
	}
}

/* The kept windows (the first `most` of them) teach the entity's noise. */
static void spike_fold(const cascade_t *c, centity_t *e, const counts_pred_t *now, int most)
{
	for (int i = 0; i < e->nspike && i < most; i++) {
		counts_pred_t pr = *now;

		pr.mu = e->spike[2 * i + 1];
		counts_update(&e->live, &c->cp, 0, 1, taught(c, &pr, e->spike[2 * i]), -1, &pr, COUNTS_NOISE);
	}
	e->nspike = 0;
}

/* The sources active now that have not joined the episode join it, as of
 * the start of their run of activity. */
static void sources_arrive(centity_t *e)
{
	for (long i = 0; i < e->srcnames.n; i++) {
		csource_t *s = &e->src[i];

		if (s->now_active && !s->arrived) {
			s->arrived = s->active_since;
			s->arr_posts = s->act_posts;
			s->arr_share = s->act_share;
		}
	}
}

static void explain_window(const cascade_t *c, const centity_t *e, const verdict_t *v, int64_t t,
			   const char *decision)
{
	char ts[HTIME_LEN], buf[1024];
	size_t off = 0;

	if (!detect_explaining(c->d, e->name))
		return;
	for (long i = 0; i < e->srcnames.n && off < sizeof buf - 100; i++) {
		const csource_t *s = &e->src[i];

		if (!s->now_present || !s->now_posts)
			continue;
		off += (size_t)snprintf(buf + off, sizeof buf - off, " %s=%ld%s%s", s->name, s->now_posts,
					s->now_young ? "(young)" : "", s->now_active ? "*" : "");
	}
	buf[off] = '\0';
	detect_explain(c->d, e->name,
		       "cascade %s posts %ld expected %.1f (x%.2f; market %.2f, dispersion %.3f) evidence %.1f/%.1f"
		       " score %.2f cusum %.1f/%.1f active %ld |%s | %s",
		       htime_format(t, ts), v->posts, v->pred.mu, v->pred.mu > 0 ? v->posts / v->pred.mu : 0,
		       c->glob_ent.market, v->pred.phi, v->evidence, c->h_window, v->score, e->cusum, c->h, v->nactive,
		       buf, decision);
}

/* The sources a start needs: --min-sources, or, when left to the data
 * (-1), 2 once the data has had two sources, 1 while it has had one. */
static long min_sources(const cascade_t *c)
{
	long n = c->d->opt.min_sources;

	if (n >= 0)
		return n;
	return c->nsources_seen >= 2 ? 2 : 1;
}

/* The episode is over. Back within --shift of the old normal, the level
 * is the one of before the episode (which taught it nothing); settled far
 * above it, the level starts afresh from this window (a change point: the
 * new normal), keeping what the series knows of its noise and season. Its
 * sources likewise. */
static void episode_end(cascade_t *c, centity_t *e, const verdict_t *v, const period_t *p)
{
	int back = (double)v->posts <= c->d->opt.shift * v->pred.mu;

	spike_fold(c, e, &v->pred, EPISODE_TEACHES);
	e->below = 0;
	if (!back)
		counts_restart(&e->live, &c->cp, p->phase, c->glob_ent.market, (double)v->posts,
			       v->o ? (double)v->o->authors : -1);
	for (long i = 0; i < e->srcnames.n; i++) {
		csource_t *s = &e->src[i];

		if (!back && s->known && s->now_present)
			counts_restart(&s->live, &c->cps, 0, c->glob[s->gi].market, (double)s->now_posts, -1);
		s->arrived = 0;
	}
	e->active = 0;
	e->emitted = 0;
	e->onset = 0;
	e->after_peak = 0;
}

/* A run of the CUSUM begins (its onset): the levels as of now are kept, to
 * go back to should it alarm. */
static void run_begin(centity_t *e, int64_t t)
{
	e->ref = e->live;
	e->has_ref = 1;
	e->onset = t;
	sources_freeze(e);
}

static void entity_step(cascade_t *c, centity_t *e, const cobs_t *o, const period_t *p)
{
	const detect_opts_t *op = &c->d->opt;
	cglobal_t *g = &c->glob_ent;
	verdict_t v;
	char why[256];
	double ratio;
	int quiet = 1, explaining = detect_explaining(c->d, e->name);

	if (!e->known) {
		counts_init(&e->live, g->windows, g->exposure);
		e->known = 1;
	}
	memset(&v, 0, sizeof v);
	v.o = o;
	v.posts = o ? o->posts : 0;
	v.share = p->total > 0 ? v.posts / p->total : 0;
	counts_predict(&e->live, &c->cp, p->phase, g->market, phi_prior(g), &v.pred);
	v.young = !established(c, &e->live);
	if ((double)v.posts > v.pred.mu || explaining)
		v.evidence = counts_evidence(&v.pred, (double)v.posts);
	v.score = explaining ? counts_score(&v.pred, (double)v.posts) : 0;
	v.nactive = sources_step(c, e, o, p);
	ratio = (double)v.posts / (v.pred.mu > 1e-9 ? v.pred.mu : 1e-9);

	if (!e->active) {
		long bb = o ? o->bull + o->bear : 0;
		double align = bb ? fabs((double)(o->bull - o->bear)) / (double)bb : 0;

		/* Page's CUSUM, adaptive: each window against the level learnt up
		 * to the window before (a slow drift is the new normal; judged
		 * against the onset's level instead, ordinary drifts of news
		 * counts alarmed 4x as often, docs/detection.md). */
		v.llr = v.young ? 0 : counts_llr(&v.pred, (double)v.posts, op->shift);
		if (!e->has_ref && v.llr > 0)
			run_begin(e, p->start);
		e->cusum = e->cusum + v.llr > 0 ? e->cusum + v.llr : 0;
		if (v.young)
			snprintf(why, sizeof why, "idle: young (history %.0f of %.0f windows)", e->live.n, c->minhist);
		else if (e->cusum < c->h && v.evidence < c->h_window)
			snprintf(why, sizeof why, "idle: cusum %.1f < %.1f and evidence %.1f < %.1f", e->cusum, c->h,
				 v.evidence, c->h_window);
		else if (v.posts < op->min_posts)
			snprintf(why, sizeof why, "idle: posts %ld < %ld", v.posts, op->min_posts);
		else if (v.nactive < min_sources(c))
			snprintf(why, sizeof why, "idle: active sources %ld < %ld", v.nactive, min_sources(c));
		else if (align < op->min_align)
			snprintf(why, sizeof why, "idle: sentiment alignment %.3f < %g", align, op->min_align);
		else
			why[0] = '\0';
		explain_window(c, e, &v, p->start, why[0] ? why : "START");
		if (!why[0]) {
			if (!e->has_ref) /* the one-window test alarmed on its own */
				run_begin(e, p->start);
			/* The run's windows were the herd's: the levels forget them
			 * (their noise, taught as at most the threshold, stays). */
			counts_take_level(&e->live, &e->ref);
			sources_thaw(e, 1);
			/* The episode is measured against that baseline from here on,
			 * its start included. */
			counts_predict(&e->live, &c->cp, p->phase, g->market, phi_prior(g), &v.pred);
			v.evidence = counts_evidence(&v.pred, (double)v.posts);
			ratio = (double)v.posts / (v.pred.mu > 1e-9 ? v.pred.mu : 1e-9);
			e->has_ref = 0;
			v.cusum = e->cusum;
			e->cusum = 0;
			e->active = 1;
			e->episode = p->start;
			e->emitted = 0;
			e->start_rate = e->peak_rate = (double)v.posts;
			e->start_ratio = e->peak_ratio = ratio;
			e->peak_at = p->start;
			v.score = counts_score(&v.pred, (double)v.posts);
			e->peak_score = v.score;
			e->after_peak = 0;
			e->below = 0;
			e->nspike = 0;
			spike_note(e, (double)v.posts, v.pred.mu);
			sources_arrive(e);
			emit(c, e, PH_START, p->start, &v);
			quiet = 0;
		}
	} else {
		int fade;

		quiet = 0;
		sources_arrive(e);
		spike_note(e, (double)v.posts, v.pred.mu);
		v.score = counts_score(&v.pred, (double)v.posts);
		if (ratio > e->peak_ratio) {
			e->peak_rate = (double)v.posts;
			e->peak_ratio = ratio;
			e->peak_at = p->start;
			e->peak_score = v.score;
			e->after_peak = 0;
		} else if (!e->after_peak && ratio <= 0.5 * e->peak_ratio) {
			e->after_peak = p->start;
		}
		/* Two windows in a row at the fade level: one dip (a weekend, a
		 * quiet night) does not end a herd. */
		e->below = ratio <= op->fade * e->peak_ratio || ratio <= 1 ? e->below + 1 : 0;
		fade = e->below >= 2;
		snprintf(why, sizeof why, "episode of %s: max x%.1f, %s", htime_format(e->episode, (char[HTIME_LEN]){0}),
			 e->peak_ratio, fade ? "FADE" : "continues");
		explain_window(c, e, &v, p->start, why);
		if (!(e->emitted & (PH_GROWTH | PH_PEAK)) && ratio >= op->growth * e->start_ratio)
			emit(c, e, PH_GROWTH, p->start, &v);
		if (!(e->emitted & PH_PEAK) && (ratio <= (1 - op->peak_drop) * e->peak_ratio || fade))
			emit(c, e, PH_PEAK, p->start, &v);
		if (fade) {
			emit(c, e, PH_FADE, p->start, &v);
			episode_end(c, e, &v, p);
		}
	}

	/* A window outside episodes teaches the series all it can (a count past
	 * the one-window alarm as if it were just there); an episode's windows
	 * teach nothing now. */
	if (quiet) {
		if (!v.evidence && (double)v.posts > v.pred.mu)
			v.evidence = counts_evidence(&v.pred, (double)v.posts);
		if (!v.young && v.pred.mu >= MARKET_MIN_MU) {
			c->win_n += 1;
			c->win_1 += v.evidence >= 1;
			c->win_2 += v.evidence >= 2;
		}
		counts_update(&e->live, &c->cp, p->phase, g->market, taught(c, &v.pred, (double)v.posts),
			      o ? (double)o->authors : -1, &v.pred, COUNTS_LEVEL | COUNTS_NOISE);
		sources_update(c, e, COUNTS_LEVEL | COUNTS_NOISE);
		if (e->cusum <= 0 && e->has_ref) { /* the run ended without an alarm: ordinary noise */
			e->has_ref = 0;
			e->onset = 0;
			sources_thaw(e, 0);
		}
	}
	assert(counts_check(&e->live));
	if (quiet && !v.posts && !e->has_ref && e->live.s < FORGET_COUNTS) {
		e->known = 0;
		for (long i = 0; i < e->srcnames.n; i++)
			e->src[i].known = 0;
	}
	assert(centity_check(e));
}

static int cmp_obs(const void *pa, const void *pb, void *arg)
{
	const cobs_t *a = pa, *b = pb;
	const cascade_t *c = arg;

	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	return strcmp(c->ent[a->ent].name, c->ent[b->ent].name);
}

/* The market factors of the window: for the entities, and for each source
 * present. */
static void window_market(cascade_t *c, const period_t *p, const cobs_t **present)
{
	double *v = xmalloc(((size_t)c->names.n + 1) * sizeof *v), **sv;
	size_t n = 0, *sn;

	sv = xcalloc((size_t)c->srcs.n + 1, sizeof *sv);
	sn = xcalloc((size_t)c->srcs.n + 1, sizeof *sn);
	for (long i = 0; i < c->names.n; i++) {
		const centity_t *e = &c->ent[i];
		const cobs_t *o = present[i];
		counts_pred_t pr;

		if (!e->known || e->active)
			continue;
		counts_predict(&e->live, &c->cp, p->phase, 1, phi_prior(&c->glob_ent), &pr);
		if (established(c, &e->live) && pr.mu >= MARKET_MIN_MU)
			v[n++] = log(((o ? (double)o->posts : 0) + 0.5) / (pr.mu + 0.5));
		for (long j = 0; j < e->srcnames.n; j++) {
			const csource_t *s = &e->src[j];
			long gi;
			json_t *nv;

			if (!s->known || (gi = detect_names_find(&c->srcs, s->name)) < 0 || p->src_total[gi] <= 0)
				continue;
			counts_predict(&s->live, &c->cps, 0, 1, phi_prior(&c->glob[gi]), &pr);
			if (!established(c, &s->live) || pr.mu < MARKET_MIN_MU)
				continue;
			nv = o && o->sources ? json_object_get(o->sources, s->name) : NULL;
			sv[gi] = xrealloc(sv[gi], (sn[gi] + 1) * sizeof **sv);
			sv[gi][sn[gi]++] = log(((nv ? (double)json_integer_value(nv) : 0) + 0.5) / (pr.mu + 0.5));
		}
	}
	c->glob_ent.market = c->d->opt.market ? market_of(v, n) : 1;
	if (log_get_level() <= LOG_DEBUG) {
		char ts[HTIME_LEN];

		log_debug("cascade %s: market factor %.3f over %zu established entities", htime_format(p->start, ts),
			  c->glob_ent.market, n);
	}
	for (long gi = 0; gi < c->srcs.n; gi++) {
		c->glob[gi].market = c->d->opt.market ? market_of(sv[gi], sn[gi]) : 1;
		free(sv[gi]);
	}
	free(sv);
	free(sn);
	free(v);
}

/* After the window: the exposure a new series starts with, and the
 * population's overdispersion, per source and for the entities. */
static void window_globals(cascade_t *c, const period_t *p)
{
	double *v = xmalloc(((size_t)c->names.n + 1) * sizeof *v), **sv;
	size_t n = 0, *sn;
	double a = c->cp.alpha;

	sv = xcalloc((size_t)c->srcs.n + 1, sizeof *sv);
	sn = xcalloc((size_t)c->srcs.n + 1, sizeof *sn);
	for (long i = 0; i < c->names.n; i++) {
		const centity_t *e = &c->ent[i];
		double phi;

		if (!e->known)
			continue;
		if ((phi = counts_phi_estimate(&e->live, PHI_POP_WINDOWS)) >= 0)
			v[n++] = phi;
		for (long j = 0; j < e->srcnames.n; j++) {
			const csource_t *s = &e->src[j];
			long gi = detect_names_find(&c->srcs, s->name);

			if (!s->known || gi < 0 || (phi = counts_phi_estimate(&s->live, PHI_POP_WINDOWS)) < 0)
				continue;
			sv[gi] = xrealloc(sv[gi], (sn[gi] + 1) * sizeof **sv);
			sv[gi][sn[gi]++] = phi;
		}
	}
	c->glob_ent.windows += 1;
	c->glob_ent.exposure = (1 - a) * c->glob_ent.exposure + c->glob_ent.market;
	c->glob_ent.pool_n = (1 - c->cp.alpha_long) * c->glob_ent.pool_n + c->win_n;
	c->glob_ent.pool_1 = (1 - c->cp.alpha_long) * c->glob_ent.pool_1 + c->win_1;
	c->glob_ent.pool_2 = (1 - c->cp.alpha_long) * c->glob_ent.pool_2 + c->win_2;
	c->win_n = c->win_1 = c->win_2 = 0;
	calibrate(c);
	c->glob_ent.phi_pop = phi_pop_of(v, n);
	for (long gi = 0; gi < c->srcs.n; gi++) {
		cglobal_t *g = &c->glob[gi];

		if (p->src_total[gi] > 0) {
			if (g->windows == 0)
				c->nsources_seen++;
			g->windows += 1;
			g->exposure = (1 - a) * g->exposure + g->market;
		}
		if (sn[gi])
			g->phi_pop = phi_pop_of(sv[gi], sn[gi]);
		free(sv[gi]);
	}
	free(sv);
	free(sn);
	free(v);
}

static void run_window(cascade_t *c, cobs_t *obs, size_t n, const cobs_t **present)
{
	period_t p;

	memset(&p, 0, sizeof p);
	p.start = obs[0].start;
	p.phase = counts_phase(p.start, c->d->opt.window, c->cp.nphases);
	p.src_total = xcalloc((size_t)c->srcs.n + 1, sizeof *p.src_total);
	for (size_t i = 0; i < n; i++) {
		const char *k;
		json_t *v;

		p.total += (double)obs[i].posts;
		present[obs[i].ent] = &obs[i];
		if (obs[i].sources)
			json_object_foreach(obs[i].sources, k, v) p.src_total[detect_names_find(&c->srcs, k)] +=
				(double)json_integer_value(v);
	}
	window_market(c, &p, present);
	{
		/* The rule on sources applies with the sources seen up to and
		 * including this window (the same in one run and in batches). */
		long before = c->nsources_seen;

		for (long gi = 0; gi < c->srcs.n; gi++)
			if (p.src_total[gi] > 0 && c->glob[gi].windows == 0)
				c->nsources_seen++;
		for (long i = 0; i < c->names.n; i++) {
			centity_t *e = &c->ent[i];

			if (!e->known && !present[i])
				continue; /* not known */
			entity_step(c, e, present[i], &p);
		}
		c->nsources_seen = before;
	}
	window_globals(c, &p);
	for (size_t i = 0; i < n; i++)
		present[obs[i].ent] = NULL;
	c->last = p.start;
	c->windows_run++;
	free(p.src_total);
}

void cascade_run(cascade_t *c)
{
	const cobs_t **present;
	size_t i = 0;

	/* Every source name of the run, for the per-window totals. */
	for (size_t k = 0; k < c->nobs; k++) {
		const char *name;
		json_t *v;

		if (c->obs[k].sources)
			json_object_foreach(c->obs[k].sources, name, v) global_get(c, name);
	}
	for (long k = 0; k < c->names.n; k++)
		for (long j = 0; j < c->ent[k].srcnames.n; j++)
			global_get(c, c->ent[k].src[j].name);
	if (c->nobs)
		qsort_r(c->obs, c->nobs, sizeof *c->obs, cmp_obs, c);
	present = xcalloc((size_t)c->names.n + 1, sizeof *present);
	while (i < c->nobs) {
		size_t j = i;

		while (j < c->nobs && c->obs[j].start == c->obs[i].start)
			j++;
		run_window(c, c->obs + i, j - i, present);
		i = j;
	}
	free(present);
	save_state(c);
}

long cascade_sources_seen(const cascade_t *c, const char **one)
{
	*one = NULL;
	for (long gi = 0; gi < c->srcs.n; gi++)
		if (c->glob[gi].windows > 0) {
			*one = c->glob[gi].source;
			break;
		}
	return c->nsources_seen;
}

int cascade_knows(const cascade_t *c, const char *entity)
{
	return detect_names_find(&c->names, entity) >= 0;
}

void cascade_free(cascade_t *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nobs; i++)
		json_decref(c->obs[i].sources);
	for (long i = 0; i < c->names.n; i++) {
		for (long j = 0; j < c->ent[i].srcnames.n; j++)
			free(c->ent[i].src[j].name);
		free(c->ent[i].src);
		detect_names_free(&c->ent[i].srcnames);
		free(c->ent[i].name);
	}
	for (long i = 0; i < c->srcs.n; i++)
		free(c->glob[i].source);
	free(c->glob);
	free(c->ent);
	free(c->obs);
	detect_names_free(&c->names);
	detect_names_free(&c->srcs);
	json_decref(c->seen);
	free(c);
}
