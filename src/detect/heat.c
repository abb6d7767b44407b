/*
 * heat.c — heat: how fast attention to an entity is rising, per entity and
 * day, across every stream we have for it: each source/community of its
 * mentions (agg records of --window, and "mentions" metrics), every other
 * metric (Wikipedia pageviews, search interest, options flow premium,
 * analyst ratings...) and its price bars
 * (closing price and volume). Writes `heat` events for entity-days whose
 * heat reaches --min-heat (every entity-day with --heat-all), and one
 * `discovery` event the first time ever an entity reaches it.
 *
 * Per stream s and day d, with y the day's value (mentions: the sum over
 * the day's windows; metrics with a "key" (events: a flow alert, a rating):
 * their sum; other metrics: the mean of the day's values; close:
 * the day's last close; volume: the sum) and l = log1p(y) (log y for the
 * close):
 *   velocity v = (l_d - l_prev) / days between them,
 *   acceleration a = v_d - v_prev,
 *   both in units of the stream's own robust spread of v (an EW mean
 *   absolute deviation, floored by the Poisson noise of the two counts),
 *   h_s = clamp(z_v + 0.5 z_a, -10, 10); for the close h_s = |z_v| (a crash
 *   is as hot as a squeeze), no acceleration.
 * heat = sum(h_s) / sqrt(k) over the k streams with a previous value and
 * at least --heat-min-count on either day (Stouffer's sum of z-scores: one
 * stream at 3 is heat 3, four streams at 3 are heat 6, so breadth across
 * sources counts; a mention stream that carried the entity before counts
 * 0 on a day its source spoke but not of it).
 *
 * A day is processed once it is closed: when "now" (--now, or the latest
 * data seen, here or in an earlier run) reaches its end. Until then its
 * sums wait in the state (detect_heat_pending), so hourly batches give
 * the same heat as one run.
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

#define DAY 86400
/* Acceleration counts half as much as velocity: it says "speeding up",
 * which is the early sign, but is noisier (a difference of differences). */
#define ACCEL_WEIGHT 0.5
/* Each stream's heat is clamped so that one absurd ratio (0 -> 5000) cannot
 * outvote every other stream. */
#define STREAM_CAP 10.0
/* Floor on a velocity's spread, in log units per day: a 10% daily change
 * is never by itself unusual. */
#define MIN_SCALE 0.1
/* Half-life of the velocity spread, in days. */
#define SCALE_HALFLIFE 14.0

/* Stream kinds (kept in the state: append only). K_EVENTS: metrics that
 * each count one event (they carry a "key": options flow alerts, analyst
 * ratings), added up per day like mentions, not averaged like levels. */
enum { K_MENTIONS, K_METRIC, K_CLOSE, K_VOLUME, K_EVENTS };

/* A day's running sum for one entity and stream. */
typedef struct hacc {
	char *entity, *stream;
	int kind;
	int64_t day;
	double sum, n, last_at, last;
} hacc_t;

/* A stream's memory. Invariant: has_prev implies last_day > 0; has_vel
 * implies has_prev; bv satisfies baseline_check. */
typedef struct hseries {
	char *key;    /* "entity\tstream" */
	char *entity; /* the entity alone */
	int kind;
	int64_t last_day;
	double level, vel, prev_y;
	int has_prev, has_vel;
	baseline_t bv; /* of the velocities */
} hseries_t;

struct heat {
	detect_t *d;
	baseline_params_t bp;
	int64_t last_day; /* last day processed by an earlier run */
	detect_names_t acckeys; /* "entity\tday\tstream" -> acc index */
	hacc_t *acc;
	size_t accap;
	detect_names_t serkeys; /* "entity\tstream" -> series index */
	hseries_t *ser;
	size_t sercap;
	json_t *discovered; /* entity -> true */
};

static int hseries_check(const hseries_t *s)
{
	return baseline_check(&s->bv) && (!s->has_prev || s->last_day > 0) && (!s->has_vel || s->has_prev);
}

/* ------------------------------------------------------------------ accumulators and series */

static hacc_t *acc_get(heat_t *h, const char *entity, int64_t day, const char *stream, int kind)
{
	char key[600];
	int added;
	long i;

	snprintf(key, sizeof key, "%s\t%lld\t%s", entity, (long long)day, stream);
	i = detect_names_slot(&h->acckeys, key, (void **)&h->acc, &h->accap, sizeof *h->acc, &added);
	if (added) {
		h->acc[i].entity = xstrdup(entity);
		h->acc[i].stream = xstrdup(stream);
		h->acc[i].kind = kind;
		h->acc[i].day = day;
		h->acc[i].last_at = -1;
	}
	return &h->acc[i];
}

static hseries_t *series_find(heat_t *h, const char *entity, const char *stream, int create, int kind)
{
	char key[600];
	int added;
	long i;

	snprintf(key, sizeof key, "%s\t%s", entity, stream);
	if (!create) {
		i = detect_names_find(&h->serkeys, key);
		return i < 0 ? NULL : &h->ser[i];
	}
	i = detect_names_slot(&h->serkeys, key, (void **)&h->ser, &h->sercap, sizeof *h->ser, &added);
	if (added) {
		h->ser[i].kind = kind;
		baseline_init(&h->ser[i].bv);
		h->ser[i].key = xstrdup(key);
		h->ser[i].entity = xstrdup(entity);
	}
	return &h->ser[i];
}

/* ------------------------------------------------------------------ state */

static void load_state(heat_t *h)
{
	sqlite3 *db = h->d->db;
	sqlite3_stmt *st;

	h->last_day = detect_state_get_int(db, "heat.last_day", 0);
	st = detect_state_prepare(db, "SELECT entity, day, stream, kind, sum, n, last_at, last FROM detect_heat_pending"
				      " ORDER BY day, entity, stream");
	while (detect_state_step(db, st)) {
		hacc_t *a = acc_get(h, (const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1),
				    (const char *)sqlite3_column_text(st, 2), sqlite3_column_int(st, 3));

		a->sum = sqlite3_column_double(st, 4);
		a->n = sqlite3_column_double(st, 5);
		a->last_at = sqlite3_column_double(st, 6);
		a->last = sqlite3_column_double(st, 7);
	}
	sqlite3_finalize(st);
	st = detect_state_prepare(db, "SELECT entity, stream, kind, last_day, level, vel, prev_y, has_prev, has_vel,"
				      " n, mean, dev FROM detect_heat_series ORDER BY entity, stream");
	while (detect_state_step(db, st)) {
		hseries_t *s = series_find(h, (const char *)sqlite3_column_text(st, 0),
					   (const char *)sqlite3_column_text(st, 1), 1, sqlite3_column_int(st, 2));

		s->last_day = sqlite3_column_int64(st, 3);
		s->level = sqlite3_column_double(st, 4);
		s->vel = sqlite3_column_double(st, 5);
		s->prev_y = sqlite3_column_double(st, 6);
		s->has_prev = sqlite3_column_int(st, 7);
		s->has_vel = sqlite3_column_int(st, 8);
		s->bv.n = (long)sqlite3_column_int64(st, 9);
		s->bv.mean = sqlite3_column_double(st, 10);
		s->bv.dev = sqlite3_column_double(st, 11);
	}
	sqlite3_finalize(st);
	st = detect_state_prepare(db, "SELECT entity FROM detect_discovered");
	while (detect_state_step(db, st))
		json_object_set_new(h->discovered, (const char *)sqlite3_column_text(st, 0), json_true());
	sqlite3_finalize(st);
}

static void save_state(heat_t *h)
{
	sqlite3 *db = h->d->db;
	sqlite3_stmt *st;

	detect_state_set_int(db, "heat.last_day", h->last_day);
	detect_state_exec(db, "DELETE FROM detect_heat_pending; DELETE FROM detect_heat_series");
	st = detect_state_prepare(db, "INSERT INTO detect_heat_pending VALUES (?,?,?,?,?,?,?,?)");
	for (long i = 0; i < h->acckeys.n; i++) {
		hacc_t *a = &h->acc[i];

		if (a->day <= h->last_day)
			continue; /* processed */
		sqlite3_bind_text(st, 1, a->entity, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, a->day);
		sqlite3_bind_text(st, 3, a->stream, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 4, a->kind);
		sqlite3_bind_double(st, 5, a->sum);
		sqlite3_bind_double(st, 6, a->n);
		sqlite3_bind_double(st, 7, a->last_at);
		sqlite3_bind_double(st, 8, a->last);
		detect_state_step_done(db, st);
	}
	sqlite3_finalize(st);
	st = detect_state_prepare(db, "INSERT INTO detect_heat_series VALUES (?,?,?,?,?,?,?,?,?,?,?,?)");
	for (long i = 0; i < h->serkeys.n; i++) {
		hseries_t *s = &h->ser[i];
		char *tab = strchr(s->key, '\t');

		sqlite3_bind_text(st, 1, s->entity, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, tab + 1, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 3, s->kind);
		sqlite3_bind_int64(st, 4, s->last_day);
		sqlite3_bind_double(st, 5, s->level);
		sqlite3_bind_double(st, 6, s->vel);
		sqlite3_bind_double(st, 7, s->prev_y);
		sqlite3_bind_int(st, 8, s->has_prev);
		sqlite3_bind_int(st, 9, s->has_vel);
		sqlite3_bind_int64(st, 10, s->bv.n);
		sqlite3_bind_double(st, 11, s->bv.mean);
		sqlite3_bind_double(st, 12, s->bv.dev);
		detect_state_step_done(db, st);
	}
	sqlite3_finalize(st);
}

/* ------------------------------------------------------------------ input */

heat_t *heat_new(detect_t *d)
{
	heat_t *h = xcalloc(1, sizeof *h);

	h->d = d;
	h->bp.alpha = baseline_alpha(SCALE_HALFLIFE);
	h->bp.clip = 0; /* the spread must grow with real turbulence */
	h->bp.min_scale = MIN_SCALE;
	detect_names_init(&h->acckeys);
	detect_names_init(&h->serkeys);
	h->discovered = json_object();
	load_state(h);
	return h;
}

/* 1 when a record for `day` can still be used. */
static int day_open(heat_t *h, int64_t day)
{
	if (day <= h->last_day) {
		h->d->rec_late = 1;
		return 0;
	}
	return 1;
}

void heat_add_agg(heat_t *h, const detect_agg_t *a)
{
	int64_t day = htime_floor(a->start, DAY);
	const char *k;
	json_t *v;

	if (a->len != h->d->opt.window || (h->d->opt.now && a->start + a->len > h->d->opt.now) || !day_open(h, day))
		return;
	if (!a->sources || json_object_size(a->sources) == 0) {
		acc_get(h, a->entity, day, "posts", K_MENTIONS)->sum += (double)a->posts;
		return;
	}
	json_object_foreach(a->sources, k, v) acc_get(h, a->entity, day, k, K_MENTIONS)->sum +=
		(double)json_integer_value(v);
}

void heat_add_metric(heat_t *h, const detect_metric_t *m)
{
	int64_t day = htime_floor(m->at, DAY);
	char stream[300];
	hacc_t *a;

	if ((h->d->opt.now && m->at > h->d->opt.now) || !day_open(h, day))
		return;
	if (m->is_bar) {
		a = acc_get(h, m->entity, day, "price/close", K_CLOSE);
		if ((double)m->at >= a->last_at) {
			a->last_at = (double)m->at;
			a->last = m->close;
		}
		a->n++;
		if (m->volume >= 0)
			acc_get(h, m->entity, day, "price/volume", K_VOLUME)->sum += m->volume;
		return;
	}
	snprintf(stream, sizeof stream, "%s/%s", m->source, m->name);
	a = acc_get(h, m->entity, day, stream, m->is_event ? K_EVENTS : K_METRIC);
	a->sum += m->value;
	a->n++;
}

/* ------------------------------------------------------------------ one day */

typedef struct item {
	const char *entity, *stream;
	int kind;
	double y;
} item_t;

static int cmp_item(const void *pa, const void *pb)
{
	const item_t *a = pa, *b = pb;
	int c = strcmp(a->entity, b->entity);

	return c ? c : strcmp(a->stream, b->stream);
}

static double acc_value(const hacc_t *a)
{
	switch (a->kind) {
	case K_METRIC:
		return a->n > 0 ? a->sum / a->n : 0;
	case K_CLOSE:
		return a->last;
	default:
		return a->sum;
	}
}

/* One stream's heat for today; updates the series. Returns 1 and sets
 * *out (and the evidence) when the stream counts. */
static int stream_heat(heat_t *h, hseries_t *s, int64_t day, double y, json_t *list, double *out)
{
	double l = s->kind == K_CLOSE ? log(y) : baseline_log_count(y);
	double days, v, a = 0, fl, sc, zv, za = 0, hs;
	int counts;

	if (!s->has_prev || (s->kind == K_CLOSE && y <= 0)) {
		if (s->kind != K_CLOSE || y > 0) {
			s->has_prev = 1;
			s->level = l;
			s->prev_y = y;
			s->last_day = day;
		}
		return 0;
	}
	days = (double)(day - s->last_day) / DAY;
	v = (l - s->level) / days;
	fl = s->kind == K_CLOSE ? 0
				: sqrt(pow(baseline_poisson_floor(y), 2) + pow(baseline_poisson_floor(s->prev_y), 2));
	sc = baseline_scale(&s->bv, fl, &h->bp);
	zv = v / sc;
	if (s->kind == K_CLOSE) {
		hs = fabs(zv);
	} else {
		if (s->has_vel) {
			a = v - s->vel;
			za = a / sc;
		}
		hs = zv + ACCEL_WEIGHT * za;
	}
	hs = hs > STREAM_CAP ? STREAM_CAP : hs < -STREAM_CAP ? -STREAM_CAP : hs;
	counts = s->kind == K_CLOSE || y >= h->d->opt.heat_min_count || s->prev_y >= h->d->opt.heat_min_count;
	if (counts) {
		json_t *e = json_object();

		jx_set_str(e, "stream", strchr(s->key, '\t') + 1);
		detect_set_real(e, "value", y, 2);
		detect_set_real(e, "prev", s->prev_y, 2);
		detect_set_real(e, "velocity", v, 3);
		if (s->kind != K_CLOSE && s->has_vel)
			detect_set_real(e, "accel", a, 3);
		detect_set_real(e, "scale", sc, 3);
		detect_set_real(e, "heat", hs, 2);
		json_array_append_new(list, e);
		*out = hs;
	}
	baseline_update(&s->bv, v, fl, &h->bp);
	s->vel = v;
	s->has_vel = 1;
	s->level = l;
	s->prev_y = y;
	s->last_day = day;
	assert(hseries_check(s));
	return counts;
}

static const char *heat_severity(const heat_t *h, double heat)
{
	return heat >= 2 * h->d->opt.min_heat ? "critical" : "warn";
}

static void entity_day(heat_t *h, const item_t *it, size_t n, int64_t day)
{
	const char *entity = it[0].entity;
	json_t *list = json_array();
	double sum = 0;
	long counted = 0, rising = 0;
	char key[512], ts[HTIME_LEN];

	for (size_t i = 0; i < n; i++) {
		hseries_t *s = series_find(h, entity, it[i].stream, 0, 0);
		double hs;

		if (!s) {
			if (it[i].y <= 0)
				continue;
			s = series_find(h, entity, it[i].stream, 1, it[i].kind);
		}
		if (stream_heat(h, s, day, it[i].y, list, &hs)) {
			sum += hs;
			counted++;
			rising += hs > 0;
		}
	}
	if (counted) {
		double heat = sum / sqrt((double)counted);
		int hot = heat >= h->d->opt.min_heat && counted >= h->d->opt.heat_min_streams;

		if (detect_explaining(h->d, entity)) {
			char buf[1024];
			size_t off = 0, i;
			json_t *e;

			json_array_foreach(list, i, e) {
				if (off < sizeof buf - 100)
					off += (size_t)snprintf(buf + off, sizeof buf - off, " %s %g->%g h %.2f",
								jx_str(e, "stream"), jx_num(e, "prev", 0),
								jx_num(e, "value", 0), jx_num(e, "heat", 0));
			}
			buf[off] = '\0';
			detect_explain(h->d, entity, "heat %s: %.2f over %ld streams (%ld rising) |%s |%s",
				       htime_format_date(day, ts), heat, counted, rising, buf,
				       hot ? " HEAT" : heat >= h->d->opt.min_heat ? " too few streams" : " no");
		}
		if (hot || h->d->opt.heat_all) {
			json_t *ev;

			snprintf(key, sizeof key, "heat:%s:%s", entity, htime_format(day, ts));
			ev = detect_event(h->d, "heat", entity, day, key, heat, hot ? heat_severity(h, heat) : "info");
			jx_set_str(ev, "day", htime_format_date(day, ts));
			detect_set_real(ev, "heat", heat, 2);
			jx_set_int(ev, "streams", counted);
			jx_set_int(ev, "rising", rising);
			json_object_set(ev, "detail", list);
		}
		if (hot && !json_object_get(h->discovered, entity)) {
			json_t *ev;

			json_object_set_new(h->discovered, entity, json_true());
			snprintf(key, sizeof key, "discovery:%s", entity);
			ev = detect_event(h->d, "discovery", entity, day, key, heat, "warn");
			jx_set_str(ev, "day", htime_format_date(day, ts));
			detect_set_real(ev, "heat", heat, 2);
			jx_set_int(ev, "streams", counted);
			{
				sqlite3_stmt *st = detect_state_prepare(
					h->d->db, "INSERT OR IGNORE INTO detect_discovered(entity, at, heat) VALUES (?,?,?)");

				sqlite3_bind_text(st, 1, entity, -1, SQLITE_STATIC);
				sqlite3_bind_int64(st, 2, day);
				sqlite3_bind_double(st, 3, heat);
				detect_state_step_done(h->d->db, st);
				sqlite3_finalize(st);
			}
			detect_explain(h->d, entity, "    -> discovery (first time over %g)", h->d->opt.min_heat);
		}
	}
	json_decref(list);
}

static void run_day(heat_t *h, const hacc_t **acc, size_t n, int64_t day)
{
	/* Mention streams that spoke today: an entity they carried before
	 * counts 0 in them today if it is absent. */
	detect_names_t spoke;
	item_t *it;
	size_t ni = 0, cap = n + 16;

	detect_names_init(&spoke);
	it = xmalloc(cap * sizeof *it);
	for (size_t i = 0; i < n; i++) {
		if (acc[i]->kind == K_MENTIONS)
			detect_names_add(&spoke, acc[i]->stream, NULL);
		it[ni].entity = acc[i]->entity;
		it[ni].stream = acc[i]->stream;
		it[ni].kind = acc[i]->kind;
		it[ni].y = acc_value(acc[i]);
		ni++;
	}
	for (long i = 0; i < h->serkeys.n; i++) {
		const char *key = h->ser[i].key, *tab = strchr(key, '\t');
		char ek[600];

		if (h->ser[i].kind != K_MENTIONS || detect_names_find(&spoke, tab + 1) < 0)
			continue;
		snprintf(ek, sizeof ek, "%.*s\t%lld\t%s", (int)(tab - key), key, (long long)day, tab + 1);
		if (detect_names_find(&h->acckeys, ek) >= 0)
			continue; /* has a value today */
		it = xgrow(it, ni + 1, &cap, sizeof *it);
		it[ni].entity = h->ser[i].entity;
		it[ni].stream = tab + 1;
		it[ni].kind = K_MENTIONS;
		it[ni].y = 0;
		ni++;
	}
	qsort(it, ni, sizeof *it, cmp_item);
	for (size_t i = 0; i < ni;) {
		size_t j = i;

		while (j < ni && strcmp(it[j].entity, it[i].entity) == 0)
			j++;
		entity_day(h, it + i, j - i, day);
		i = j;
	}
	free(it);
	detect_names_free(&spoke);
}

static int cmp_acc(const void *pa, const void *pb)
{
	const hacc_t *a = *(const hacc_t *const *)pa, *b = *(const hacc_t *const *)pb;

	if (a->day != b->day)
		return a->day < b->day ? -1 : 1;
	return 0;
}

void heat_run(heat_t *h)
{
	const hacc_t **v = xmalloc(((size_t)h->acckeys.n + 1) * sizeof *v);
	size_t n = 0;

	/* Closed days only: the day has ended by "now". */
	for (long i = 0; i < h->acckeys.n; i++)
		if (h->acc[i].day + DAY <= h->d->now && h->acc[i].day > h->last_day)
			v[n++] = &h->acc[i];
	qsort(v, n, sizeof *v, cmp_acc);
	for (size_t i = 0; i < n;) {
		size_t j = i;

		while (j < n && v[j]->day == v[i]->day)
			j++;
		run_day(h, v + i, j - i, v[i]->day);
		h->last_day = v[i]->day;
		i = j;
	}
	free(v);
	save_state(h);
}

void heat_free(heat_t *h)
{
	if (!h)
		return;
	for (long i = 0; i < h->acckeys.n; i++) {
		free(h->acc[i].entity);
		free(h->acc[i].stream);
	}
	for (long i = 0; i < h->serkeys.n; i++) {
		free(h->ser[i].key);
		free(h->ser[i].entity);
	}
	free(h->acc);
	free(h->ser);
	detect_names_free(&h->acckeys);
	detect_names_free(&h->serkeys);
	json_decref(h->discovered);
	free(h);
}
