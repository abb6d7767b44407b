/*
 * cascade.c — cascades: an entity's mentions burst far above its own
 * baseline, the burst spreads across sources (which one led, and when the
 * others followed), and the crowd's sentiment lines up. Reads the `agg`
 * records of one window length (--window); writes `cascade` events for
 * the phases start, growth, peak and fade of each episode.
 *
 * Per window (every window that has any agg record; a window with no data
 * at all, like a failed collection day, is not a window), for every entity
 * known (absent ones count 0 posts):
 *   1. z of its posts against its own baseline (baseline.c, --model), or,
 *      while its history is shorter than --min-history ("cold"), the
 *      cross-sectional z of its share of all mentions among the entities
 *      of this window, which must also reach --cold-share;
 *   2. which of its sources are active: >= --source-min posts and a z of
 *      --source-z against that source's own baseline (cold: the entity's
 *      share of that source's mentions >= --cold-share);
 *   3. the phase machine (below), then every baseline takes the window.
 * Phases: idle -> start (z, posts, active sources, alignment all pass)
 * -> growth (rate >= --growth x the start rate) -> peak (rate falls
 * --peak-drop under the episode's max) -> fade (rate <= --fade x the max,
 * or z < --z-end) -> idle. Each phase is written once per episode; keys
 * are cascade:ENTITY:EPISODE_START:PHASE.
 *
 * State (detect_cascade_entity, detect_cascade_source, per window length):
 * baselines, the episode, and each source's activity and arrival, so the
 * next batch continues where this one stopped. Windows at or before the
 * last one processed are late: counted and skipped.
 */
#include "detect.h"
#include "state.h"

#include "lib/htime.h"
#include "lib/jsonx.h"
#include "lib/util.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Floor on the cross-sectional spread of log shares: with most entities at
 * one or two mentions the MAD can be 0, and a share z must not be
 * infinite. 0.5 in log units is a factor of 1.65 between entities. */
#define XS_MIN_SPREAD 0.5
/* Huber clip of baseline updates, in scales: a burst moves a baseline by
 * at most 3 scales x alpha per window, so it stays anomalous for several
 * windows instead of becoming the new normal at once. */
#define CLIP_SCALES 3.0
/* An idle series whose clipped mean count fell under this is forgotten
 * (it comes back cold): keeps the state bounded by the live entities. */
#define FORGET_COUNT 0.01
/* Sentiment direction needs this concentration; under it, "mixed". */
#define ALIGN_DIRECTION 0.1

enum { PH_START = 1, PH_GROWTH = 2, PH_PEAK = 4, PH_FADE = 8 };

/* One agg record of this run. */
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
	baseline_t b;
	int64_t active_since; /* first window of the current run of activity; 0 = inactive */
	long act_posts;       /* posts and share at active_since */
	double act_share;
	int64_t arrived;      /* when it joined the current episode; 0 = not (yet) */
	long arr_posts;
	double arr_share;
	/* this window, for evidence and explain */
	long now_posts;
	double now_z;
	int now_active, now_cold, now_present;
} csource_t;

/*
 * One entity. Invariant: active == 0 implies emitted == 0 and no source
 * has arrived; active implies PH_START in emitted and peak_rate >=
 * start_rate > 0. b.n == 0 means "not known" (never seen, or forgotten).
 */
typedef struct centity {
	char *name;
	baseline_t b;
	detect_names_t srcnames;
	csource_t *src; /* srcnames.n of them */
	size_t srccap;
	int active;
	int64_t episode; /* first window of the episode */
	unsigned emitted;
	double start_rate, peak_rate, peak_z;
	int64_t peak_at;
} centity_t;

/* Totals of the window being processed. */
typedef struct period {
	int64_t start;
	double total;       /* posts over all entities */
	double *src_total;  /* per run-wide source index (c->srcs) */
	double xs_med, xs_spread;
} period_t;

struct cascade {
	detect_t *d;
	baseline_params_t bp;
	long minhist; /* --min-history in windows */
	int64_t last; /* last window processed by an earlier run (0 = none) */
	detect_names_t names;
	centity_t *ent;
	size_t entcap;
	detect_names_t srcs; /* every source seen in this run */
	cobs_t *obs;
	size_t nobs, obscap;
	json_t *seen; /* "ENTITY start" of each obs, to refuse duplicates */
};

static const char *phase_name(unsigned ph)
{
	return ph == PH_START ? "start" : ph == PH_GROWTH ? "growth" : ph == PH_PEAK ? "peak" : "fade";
}

/* For use inside assert() only. */
static int centity_check(const centity_t *e)
{
	if (!baseline_check(&e->b))
		return 0;
	if (!e->active) {
		if (e->emitted)
			return 0;
		for (long i = 0; i < e->srcnames.n; i++)
			if (e->src[i].arrived)
				return 0;
		return 1;
	}
	return (e->emitted & PH_START) && e->start_rate > 0 && e->peak_rate >= e->start_rate;
}

/* ------------------------------------------------------------------ entities and sources */

static centity_t *entity_get(cascade_t *c, const char *name)
{
	int added;
	long i = detect_names_slot(&c->names, name, (void **)&c->ent, &c->entcap, sizeof *c->ent, &added);

	if (added) {
		c->ent[i].name = xstrdup(name);
		baseline_init(&c->ent[i].b);
		detect_names_init(&c->ent[i].srcnames);
	}
	return &c->ent[i];
}

static csource_t *source_get(centity_t *e, const char *name)
{
	int added;
	long i = detect_names_slot(&e->srcnames, name, (void **)&e->src, &e->srccap, sizeof *e->src, &added);

	if (added) {
		e->src[i].name = xstrdup(name);
		baseline_init(&e->src[i].b);
	}
	return &e->src[i];
}

/* ------------------------------------------------------------------ state */

/* Columns col..col+6 <-> a baseline. */
static void baseline_read(sqlite3_stmt *st, int col, baseline_t *b)
{
	b->n = (long)sqlite3_column_int64(st, col);
	b->mean = sqlite3_column_double(st, col + 1);
	b->dev = sqlite3_column_double(st, col + 2);
	b->cmean = sqlite3_column_double(st, col + 3);
	b->cvar = sqlite3_column_double(st, col + 4);
	b->pmean = sqlite3_column_double(st, col + 5);
	b->pvar = sqlite3_column_double(st, col + 6);
}

static void baseline_bind(sqlite3_stmt *st, int col, const baseline_t *b)
{
	sqlite3_bind_int64(st, col, b->n);
	sqlite3_bind_double(st, col + 1, b->mean);
	sqlite3_bind_double(st, col + 2, b->dev);
	sqlite3_bind_double(st, col + 3, b->cmean);
	sqlite3_bind_double(st, col + 4, b->cvar);
	sqlite3_bind_double(st, col + 5, b->pmean);
	sqlite3_bind_double(st, col + 6, b->pvar);
}

static void load_state(cascade_t *c)
{
	sqlite3 *db = c->d->db;
	sqlite3_stmt *st;
	char key[64];

	snprintf(key, sizeof key, "cascade.%lld.last", (long long)c->d->opt.window);
	c->last = detect_state_get_int(db, key, 0);
	st = detect_state_prepare(db, "SELECT entity, n, mean, dev, cmean, cvar, pmean, pvar, active, episode, emitted,"
				      " start_rate, peak_rate, peak_z, peak_at FROM detect_cascade_entity"
				      " WHERE window = ? ORDER BY entity");
	sqlite3_bind_int64(st, 1, c->d->opt.window);
	while (detect_state_step(db, st)) {
		centity_t *e = entity_get(c, (const char *)sqlite3_column_text(st, 0));

		baseline_read(st, 1, &e->b);
		e->active = sqlite3_column_int(st, 8);
		e->episode = sqlite3_column_int64(st, 9);
		e->emitted = (unsigned)sqlite3_column_int(st, 10);
		e->start_rate = sqlite3_column_double(st, 11);
		e->peak_rate = sqlite3_column_double(st, 12);
		e->peak_z = sqlite3_column_double(st, 13);
		e->peak_at = sqlite3_column_int64(st, 14);
	}
	sqlite3_finalize(st);
	st = detect_state_prepare(db, "SELECT entity, source, n, mean, dev, cmean, cvar, pmean, pvar,"
				      " active_since, act_posts, act_share, arrived, arr_posts, arr_share"
				      " FROM detect_cascade_source WHERE window = ? ORDER BY entity, source");
	sqlite3_bind_int64(st, 1, c->d->opt.window);
	while (detect_state_step(db, st)) {
		centity_t *e = entity_get(c, (const char *)sqlite3_column_text(st, 0));
		csource_t *s = source_get(e, (const char *)sqlite3_column_text(st, 1));

		baseline_read(st, 2, &s->b);
		s->active_since = sqlite3_column_int64(st, 9);
		s->act_posts = (long)sqlite3_column_int64(st, 10);
		s->act_share = sqlite3_column_double(st, 11);
		s->arrived = sqlite3_column_int64(st, 12);
		s->arr_posts = (long)sqlite3_column_int64(st, 13);
		s->arr_share = sqlite3_column_double(st, 14);
	}
	sqlite3_finalize(st);
}

static void save_state(cascade_t *c)
{
	sqlite3 *db = c->d->db;
	sqlite3_stmt *ie, *is;
	char key[64], sql[160];

	snprintf(key, sizeof key, "cascade.%lld.last", (long long)c->d->opt.window);
	detect_state_set_int(db, key, c->last);
	snprintf(sql, sizeof sql,
		 "DELETE FROM detect_cascade_entity WHERE window = %lld; DELETE FROM detect_cascade_source WHERE window = %lld",
		 (long long)c->d->opt.window, (long long)c->d->opt.window);
	detect_state_exec(db, sql);
	ie = detect_state_prepare(db, "INSERT INTO detect_cascade_entity VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
	is = detect_state_prepare(db, "INSERT INTO detect_cascade_source VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
	for (long i = 0; i < c->names.n; i++) {
		centity_t *e = &c->ent[i];

		if (e->b.n == 0)
			continue; /* forgotten */
		sqlite3_bind_int64(ie, 1, c->d->opt.window);
		sqlite3_bind_text(ie, 2, e->name, -1, SQLITE_STATIC);
		baseline_bind(ie, 3, &e->b);
		sqlite3_bind_int(ie, 10, e->active);
		sqlite3_bind_int64(ie, 11, e->episode);
		sqlite3_bind_int(ie, 12, (int)e->emitted);
		sqlite3_bind_double(ie, 13, e->start_rate);
		sqlite3_bind_double(ie, 14, e->peak_rate);
		sqlite3_bind_double(ie, 15, e->peak_z);
		sqlite3_bind_int64(ie, 16, e->peak_at);
		detect_state_step_done(db, ie);
		for (long j = 0; j < e->srcnames.n; j++) {
			csource_t *s = &e->src[j];

			if (s->b.n == 0)
				continue;
			sqlite3_bind_int64(is, 1, c->d->opt.window);
			sqlite3_bind_text(is, 2, e->name, -1, SQLITE_STATIC);
			sqlite3_bind_text(is, 3, s->name, -1, SQLITE_STATIC);
			baseline_bind(is, 4, &s->b);
			sqlite3_bind_int64(is, 11, s->active_since);
			sqlite3_bind_int64(is, 12, s->act_posts);
			sqlite3_bind_double(is, 13, s->act_share);
			sqlite3_bind_int64(is, 14, s->arrived);
			sqlite3_bind_int64(is, 15, s->arr_posts);
			sqlite3_bind_double(is, 16, s->arr_share);
			detect_state_step_done(db, is);
		}
	}
	sqlite3_finalize(ie);
	sqlite3_finalize(is);
}

/* ------------------------------------------------------------------ input */

cascade_t *cascade_new(detect_t *d)
{
	cascade_t *c = xcalloc(1, sizeof *c);
	double hl = (double)d->opt.halflife / (double)d->opt.window;

	c->d = d;
	c->bp.alpha = baseline_alpha(hl > 0 ? hl : 1);
	c->bp.clip = CLIP_SCALES;
	c->bp.min_scale = 0.1;
	c->minhist = (long)((d->opt.min_history + d->opt.window - 1) / d->opt.window);
	detect_names_init(&c->names);
	detect_names_init(&c->srcs);
	c->seen = json_object();
	load_state(c);
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

	if (a->len != c->d->opt.window) {
		c->d->skipped++;
		return 0;
	}
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

/* ------------------------------------------------------------------ one window */

/* The value a series is tracked in, and the count it expects. */
static double series_x(const cascade_t *c, double posts, double total)
{
	double x = baseline_log_count(posts);

	return c->d->opt.share ? x - baseline_log_count(total) : x;
}

static double series_expected(const cascade_t *c, const baseline_t *b, double total)
{
	if (c->d->opt.model == BASELINE_EWMA)
		return b->pmean;
	if (c->d->opt.model == BASELINE_NEGBIN)
		return b->cmean;
	return baseline_count_from_log(c->d->opt.share ? b->mean + baseline_log_count(total) : b->mean);
}

static const char *severity(const cascade_t *c, unsigned ph, double z, long nsrc)
{
	if (ph == PH_FADE)
		return "info";
	if (ph == PH_PEAK)
		return "warn";
	return z >= c->d->opt.z_critical && nsrc >= 3 ? "critical" : "warn";
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
	double x, z, share, expected, log10p;
	int cold;
} verdict_t;

static void emit(cascade_t *c, centity_t *e, unsigned ph, int64_t t, const verdict_t *v)
{
	char key[512], ets[HTIME_LEN], wbuf[32];
	json_t *ev, *list, *sent;
	csource_t **arr;
	size_t n = arrivals(e, &arr);

	snprintf(key, sizeof key, "cascade:%s:%s:%s", e->name, htime_format(e->episode, ets), phase_name(ph));
	ev = detect_event(c->d, "cascade", e->name, t, key, v->z, severity(c, ph, v->z, v->nactive));
	jx_set_str(ev, "phase", phase_name(ph));
	jx_set_str(ev, "window", htime_format_duration(c->d->opt.window, wbuf));
	detect_set_time(ev, "episode", e->episode);
	jx_set_int(ev, "rate", v->posts);
	detect_set_real(ev, "baseline", v->expected, 1);
	detect_set_real(ev, "z", v->z, 2);
	if (!v->cold)
		detect_set_real(ev, "log10p", v->log10p, 1);
	jx_set_str(ev, "method", v->cold ? "cross-section" : "baseline");
	detect_set_real(ev, "share", v->share, 4);
	if (v->o && v->o->authors)
		jx_set_int(ev, "authors", v->o->authors);
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
	}
	free(arr);
	e->emitted |= ph;
	detect_explain(c->d, e->name, "    -> cascade %s (key %s)", phase_name(ph), key);
}

/* Sources: activity this window; returns how many are active. */
static long sources_step(cascade_t *c, centity_t *e, const cobs_t *o, const period_t *p)
{
	const char *k;
	json_t *v;
	long nactive = 0;

	if (o && o->sources)
		json_object_foreach(o->sources, k, v) {
			if (json_integer_value(v) > 0)
				source_get(e, k);
		}
	for (long i = 0; i < e->srcnames.n; i++) {
		csource_t *s = &e->src[i];
		long gi = detect_names_find(&c->srcs, s->name);
		double st = gi >= 0 ? p->src_total[gi] : 0;
		json_t *nv = o && o->sources ? json_object_get(o->sources, s->name) : NULL;
		long cs = nv ? (long)json_integer_value(nv) : 0;
		double x, fl, share;

		s->now_present = st > 0;
		s->now_posts = cs;
		s->now_active = 0;
		s->now_z = 0;
		if (!s->now_present)
			continue; /* the source said nothing at all this window: not a zero */
		share = cs / st;
		x = series_x(c, (double)cs, st);
		fl = baseline_poisson_floor(series_expected(c, &s->b, st));
		s->now_cold = s->b.n < c->minhist;
		if (!s->now_cold)
			s->now_z = baseline_z(&s->b, x, (double)cs, fl, c->d->opt.model, &c->bp);
		if (cs >= c->d->opt.source_min)
			s->now_active = s->now_cold ? share >= c->d->opt.cold_share : s->now_z >= c->d->opt.source_z;
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

static void sources_update(cascade_t *c, centity_t *e, const period_t *p)
{
	for (long i = 0; i < e->srcnames.n; i++) {
		csource_t *s = &e->src[i];
		long gi;

		if (!s->now_present)
			continue;
		gi = detect_names_find(&c->srcs, s->name);
		baseline_update(&s->b, series_x(c, (double)s->now_posts, p->src_total[gi]), (double)s->now_posts,
				baseline_poisson_floor(series_expected(c, &s->b, p->src_total[gi])), &c->bp);
		assert(baseline_check(&s->b));
		if (!s->now_posts && !s->arrived && s->b.cmean < FORGET_COUNT) {
			baseline_init(&s->b);
			s->active_since = 0;
		}
	}
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
					s->now_cold ? "(cold)" : "", s->now_active ? "*" : "");
	}
	buf[off] = '\0';
	detect_explain(c->d, e->name, "cascade %s posts %ld expected %.1f share %.4f %s z %.2f active %ld |%s | %s",
		       htime_format(t, ts), v->posts, v->expected, v->share, v->cold ? "cold(cross-section)" : "baseline",
		       v->z, v->nactive, buf, decision);
}

static void entity_step(cascade_t *c, centity_t *e, const cobs_t *o, const period_t *p)
{
	const detect_opts_t *op = &c->d->opt;
	verdict_t v;
	double fl;
	char why[256];

	memset(&v, 0, sizeof v);
	v.o = o;
	v.posts = o ? o->posts : 0;
	v.share = p->total > 0 ? v.posts / p->total : 0;
	v.x = series_x(c, (double)v.posts, p->total);
	v.expected = series_expected(c, &e->b, p->total);
	fl = baseline_poisson_floor(v.expected);
	v.cold = e->b.n < c->minhist;
	if (v.cold) {
		double sp = p->xs_spread > XS_MIN_SPREAD ? p->xs_spread : XS_MIN_SPREAD;

		v.z = v.posts > 0 ? (log(v.share) - p->xs_med) / sp : 0;
	} else {
		v.z = baseline_z(&e->b, v.x, (double)v.posts, fl, op->model, &c->bp);
		v.log10p = baseline_logtail(e->b.cmean, e->b.cvar, (double)v.posts) / M_LN10;
	}
	v.nactive = sources_step(c, e, o, p);

	if (!e->active) {
		long bb = o ? o->bull + o->bear : 0;
		double align = bb ? fabs((double)(o->bull - o->bear)) / (double)bb : 0;

		if (v.z < op->z)
			snprintf(why, sizeof why, "idle: z %.2f < %g", v.z, op->z);
		else if (v.posts < op->min_posts)
			snprintf(why, sizeof why, "idle: posts %ld < %ld", v.posts, op->min_posts);
		else if (v.cold && v.share < op->cold_share)
			snprintf(why, sizeof why, "idle: cold and share %.4f < %g", v.share, op->cold_share);
		else if (v.nactive < op->min_sources)
			snprintf(why, sizeof why, "idle: active sources %ld < %ld", v.nactive, op->min_sources);
		else if (align < op->min_align)
			snprintf(why, sizeof why, "idle: sentiment alignment %.3f < %g", align, op->min_align);
		else
			why[0] = '\0';
		explain_window(c, e, &v, p->start, why[0] ? why : "START");
		if (!why[0]) {
			e->active = 1;
			e->episode = p->start;
			e->emitted = 0;
			e->start_rate = e->peak_rate = (double)v.posts;
			e->peak_at = p->start;
			e->peak_z = v.z;
			sources_arrive(e);
			emit(c, e, PH_START, p->start, &v);
		}
	} else {
		int fade;

		sources_arrive(e);
		if ((double)v.posts > e->peak_rate) {
			e->peak_rate = (double)v.posts;
			e->peak_at = p->start;
			e->peak_z = v.z;
		}
		fade = (double)v.posts <= op->fade * e->peak_rate || v.z < op->z_end;
		snprintf(why, sizeof why, "episode of %s: max %.0f, %s", htime_format(e->episode, (char[HTIME_LEN]){0}),
			 e->peak_rate, fade ? "FADE" : "continues");
		explain_window(c, e, &v, p->start, why);
		if (!(e->emitted & (PH_GROWTH | PH_PEAK)) && (double)v.posts >= op->growth * e->start_rate)
			emit(c, e, PH_GROWTH, p->start, &v);
		if (!(e->emitted & PH_PEAK) && ((double)v.posts <= (1 - op->peak_drop) * e->peak_rate || fade))
			emit(c, e, PH_PEAK, p->start, &v);
		if (fade) {
			emit(c, e, PH_FADE, p->start, &v);
			e->active = 0;
			e->emitted = 0;
			for (long i = 0; i < e->srcnames.n; i++)
				e->src[i].arrived = 0;
		}
	}

	baseline_update(&e->b, v.x, (double)v.posts, fl, &c->bp);
	assert(baseline_check(&e->b));
	sources_update(c, e, p);
	if (!v.posts && !e->active && e->b.cmean < FORGET_COUNT) {
		baseline_init(&e->b);
		for (long i = 0; i < e->srcnames.n; i++)
			baseline_init(&e->src[i].b);
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

static void run_window(cascade_t *c, cobs_t *obs, size_t n, const cobs_t **present)
{
	period_t p;
	double *xs = xmalloc((n ? n : 1) * sizeof *xs);
	size_t nxs = 0;

	memset(&p, 0, sizeof p);
	p.start = obs[0].start;
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
	for (size_t i = 0; i < n; i++)
		if (obs[i].posts > 0)
			xs[nxs++] = log((double)obs[i].posts / p.total);
	baseline_robust_stats(xs, nxs, &p.xs_med, &p.xs_spread);
	for (long i = 0; i < c->names.n; i++) {
		centity_t *e = &c->ent[i];

		if (e->b.n == 0 && !present[i])
			continue; /* not known */
		entity_step(c, e, present[i], &p);
	}
	for (size_t i = 0; i < n; i++)
		present[obs[i].ent] = NULL;
	c->last = p.start;
	free(p.src_total);
	free(xs);
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
			json_object_foreach(c->obs[k].sources, name, v) detect_names_add(&c->srcs, name, NULL);
	}
	for (long k = 0; k < c->names.n; k++)
		for (long j = 0; j < c->ent[k].srcnames.n; j++)
			detect_names_add(&c->srcs, c->ent[k].src[j].name, NULL);
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
	free(c->ent);
	free(c->obs);
	detect_names_free(&c->names);
	detect_names_free(&c->srcs);
	json_decref(c->seen);
	free(c);
}
