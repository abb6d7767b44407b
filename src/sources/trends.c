/*
 * trends.c — Google Trends interest over time: the daily search interest
 * in a keyword, as `metric` records (docs/records.md) that herd-detect's
 * heat reads as a stream (name interest, interval 1d).
 *
 * Google has no published API for it; the web page's own two-step
 * protocol is what every client uses (pytrends and others), and what this
 * follows: /trends/api/explore?req={comparisonItem:[{keyword, geo, time}]}
 * answers the page's widgets, of which TIMESERIES carries a token and a
 * request; /trends/api/widgetdata/multiline?req=THAT_REQUEST&token=TOKEN
 * answers {"default":{"timelineData":[{time, value:[v], isPartial…}]}}.
 * Both bodies start with the XSSI guard ")]}'" (multiline's with a comma),
 * which fetch_get strips.
 *
 * Each answer is rescaled by Google on its own: 0..100, 100 being the
 * largest value in the window asked (and "<1", value 0, below one). Two
 * answers are comparable only through days both hold, so each run asks
 * from OVERLAP days before the last day written, and scales its answer to
 * the series written so far: factor = sum of the written values over the
 * overlap / sum of the new answer's values there (days where both are
 * above zero). The factor goes with every raw record (raw.includes.scale),
 * so herd-normalize, and any replay, write value × scale: one series in
 * the units of the first answer's peak (it may pass 100 later). When no
 * overlap day has a value on both sides (the new window's peak dwarfs the
 * old days into zeros), the last factor is kept and a warning says so. The
 * last OVERLAP days written and the factor live in the query's cursor.
 *
 * Queries are ENTITY=keyword (GME=gamestop; raw.query and the metric's
 * entity are ENTITY) or a keyword alone (entity = the keyword). --geo
 * limits to a country (US); default worldwide. A first run asks 90 days
 * (or from --since); a window is at most 250 days (daily values end near
 * 270), the rest is asked by the next run. The day still running
 * (isPartial) is left for a later run. Google publishes no rate limit and
 * answers 429 when it wants fewer requests: they are retried after the
 * usual backoff; two requests a query a run are all herd asks.
 */
#include "sources.h"
#include "lib/htime.h"
#include "lib/jsonx.h"
#include "lib/log.h"
#include "lib/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY 86400
#define OVERLAP_DAYS 7     /* days each window shares with what was written */
#define FIRST_RUN_DAYS 90
#define MAX_WINDOW_DAYS 250 /* daily values only for windows up to ~270 days */

/* ================================================================ normalize */

static int trends_point(const json_t *p, const src_meta *meta, const src_out *out, char *err, size_t errlen)
{
	json_t *v = json_array_get(json_object_get(p, "value"), 0), *m;
	const json_t *inc = meta ? meta->includes : NULL;
	double scale = jx_num(inc, "scale", 1);
	const char *entity = meta && meta->query ? meta->query : jx_str(inc, "keyword");
	int64_t t;

	if (!entity || !*entity) {
		snprintf(err, errlen, "no query to name the entity (raw.query, or includes.keyword)");
		return -1;
	}
	if (!json_is_number(v)) {
		snprintf(err, errlen, "field 'value[0]' is %s, not a number", v ? jx_type_name(v) : "missing");
		return -1;
	}
	if (src_time(p, "time", &t, err, errlen) < 0)
		return -1;
	m = metric_new("trends", entity, t, "interest", json_number_value(v) * scale, "1d");
	if (jx_str(inc, "keyword"))
		json_object_set_new(m, "keyword", json_string(jx_str(inc, "keyword")));
	if (jx_str(inc, "geo"))
		json_object_set_new(m, "geo", json_string(jx_str(inc, "geo")));
	out->post(out->arg, m);
	return 0;
}

static int trends_each(const json_t *p, const void *ctx, const src_out *out, char *err, size_t errlen)
{
	return trends_point(p, ctx, out, err, errlen);
}

static int trends_normalize(const json_t *v, const src_meta *meta, const src_out *out, char *err, size_t errlen)
{
	json_t *tl = jx_path(v, "default.timelineData");

	if (!json_is_object(v)) {
		snprintf(err, errlen, "a Google Trends item is %s, not an object", jx_type_name(v));
		return -1;
	}
	if (json_is_array(tl)) { /* a whole multiline answer: its own scale */
		src_each(tl, trends_each, meta, out);
		return 0;
	}
	return trends_point(v, meta, out, err, errlen);
}

/* ================================================================ fetch */

/* The keyword of a query: after '=' in ENTITY=keyword, else all of it. */
static const char *keyword_of(const char *query)
{
	const char *eq = strchr(query, '=');

	return eq && eq[1] ? eq + 1 : query;
}

/* A point's day (its "time": Unix seconds as text, or a number). */
static int point_time(const json_t *p, int64_t *t)
{
	json_t *v = json_object_get(p, "time");

	if (json_is_integer(v))
		*t = (int64_t)json_integer_value(v);
	else if (json_is_string(v) && *json_string_value(v))
		*t = atoll(json_string_value(v));
	else
		return -1;
	return 0;
}

/* The stitching state kept in the cursor: {"scale": f, "tail": [[t, v]…]}. */
static double tail_value(const json_t *tail, int64_t t, int *found)
{
	size_t i;
	json_t *p;

	json_array_foreach(tail, i, p) {
		if ((int64_t)json_integer_value(json_array_get(p, 0)) == t) {
			*found = 1;
			return json_number_value(json_array_get(p, 1));
		}
	}
	*found = 0;
	return 0;
}

static void qsort_json_pairs(json_t *pairs);

static int trends_parse(fetch_run *f, const json_t *body, const fetch_query *q, fetch_page *pg, char *err,
			size_t errlen)
{
	json_t *tl = jx_path(body, "default.timelineData"), *p, *tail = json_object_get(q->src_state, "tail"),
	       *newtail, *inc;
	double scale = jx_num(q->src_state, "scale", 1), have = 0, got = 0;
	const char *kw = q->query ? keyword_of(q->query) : NULL;
	size_t i, n, first;

	(void)f;
	if (!json_is_array(tl)) {
		char api[256];
		fetch_api_error(body, api, sizeof api);
		snprintf(err, errlen, "not a Google Trends multiline answer (%s)", api[0] ? api : "no default.timelineData");
		return -1;
	}
	/* The factor that puts this answer in the units of what was written. */
	json_array_foreach(tl, i, p) {
		int64_t t;
		int found;
		double old, v = json_number_value(json_array_get(json_object_get(p, "value"), 0));
		if (jx_bool(p, "isPartial") || point_time(p, &t) < 0)
			continue;
		old = tail_value(tail, t, &found);
		if (found && old > 0 && v > 0) {
			have += old;
			got += v;
		}
	}
	if (got > 0)
		scale = have / got;
	else if (json_array_size(tail) > 0 && q->key)
		http_log(LOG_WARN, "trends %s: no overlap day has a value on both sides; keeping the last scale %g",
			 q->key, scale);
	newtail = json_array();
	json_array_foreach(tl, i, p) {
		double v = json_number_value(json_array_get(json_object_get(p, "value"), 0));
		int64_t t;
		if (point_time(p, &t) < 0 || jx_bool(p, "isPartial"))
			continue; /* the day still running: a later run writes it whole */
		json_array_append_new(newtail, json_pack("[I,f]", (json_int_t)t, v * scale));
		if (q->min_t && t <= q->min_t)
			continue; /* written already (an overlap day) */
		inc = json_pack("{s:f}", "scale", scale);
		if (kw)
			json_object_set_new(inc, "keyword", json_string(kw));
		if (f->o.geo && *f->o.geo)
			json_object_set_new(inc, "geo", json_string(f->o.geo));
		fetch_page_add(pg, json_incref(p), inc, t, "interest", t);
	}
	/* Keep the last OVERLAP_DAYS days, for the next run's factor (by day:
	 * an answer's order is not promised). */
	qsort_json_pairs(newtail);
	n = json_array_size(newtail);
	first = n > OVERLAP_DAYS ? n - OVERLAP_DAYS : 0;
	json_decref(pg->src_state);
	pg->src_state = json_pack("{s:f,s:[]}", "scale", scale, "tail");
	for (i = first; i < n; i++)
		json_array_append(json_object_get(pg->src_state, "tail"), json_array_get(newtail, i));
	json_decref(newtail);
	return 0;
}

static int cmp_pair(const void *a, const void *b)
{
	json_int_t x = json_integer_value(json_array_get(*(json_t *const *)a, 0)),
		   y = json_integer_value(json_array_get(*(json_t *const *)b, 0));

	return x < y ? -1 : x > y;
}

/* Sort an array of [t, v] pairs by t. */
static void qsort_json_pairs(json_t *pairs)
{
	size_t n = json_array_size(pairs);
	json_t **v = xmalloc((n ? n : 1) * sizeof *v);

	for (size_t i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(pairs, i));
	qsort(v, n, sizeof *v, cmp_pair);
	json_array_clear(pairs);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(pairs, v[i]);
	free(v);
}

/* The TIMESERIES widget of an explore answer, or NULL. */
static json_t *timeseries_widget(const json_t *explore)
{
	json_t *w;
	size_t i;

	json_array_foreach(json_object_get(explore, "widgets"), i, w)
		if (jx_str(w, "id") && strcmp(jx_str(w, "id"), "TIMESERIES") == 0)
			return w;
	return NULL;
}

static int trends_page(fetch_run *f, const fetch_query *q, const char *next, fetch_page *pg)
{
	int64_t now = fetch_now(f), start, end;
	char a[HTIME_LEN], b[HTIME_LEN], when[64];
	buf_t url = BUF_INIT;
	json_t *req, *explore = NULL, *w;
	fetch_req r = {0};
	long status;
	char *txt;
	int rc;

	(void)next;
	start = q->min_t ? q->min_t - (OVERLAP_DAYS - 1) * DAY
			 : htime_floor(f->o.since ? f->o.since : now - FIRST_RUN_DAYS * DAY, DAY);
	end = htime_floor(now, DAY);
	if (end > start + MAX_WINDOW_DAYS * DAY)
		end = start + MAX_WINDOW_DAYS * DAY; /* the rest next run */
	if (q->min_t && q->min_t + DAY >= end)
		return FETCH_OK; /* nothing but today (partial) to ask */
	snprintf(when, sizeof when, "%s %s", htime_format_date(start, a), htime_format_date(end, b));

	/* 1. explore: the TIMESERIES widget's token and request. */
	req = json_pack("{s:[{s:s,s:s,s:s}],s:i,s:s}", "comparisonItem", "keyword", keyword_of(q->query), "geo",
			f->o.geo ? f->o.geo : "", "time", when, "category", 0, "property", "");
	txt = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	buf_printf(&url, "%s/trends/api/explore?hl=en-US&tz=0&req=", fetch_base(f, f->src->base_url));
	http_url_encode(&url, txt);
	free(txt);
	r.url = url.p;
	r.cookies = 1; /* explore sets a cookie multiline wants */
	rc = fetch_get(f, &r, &explore, &status);
	if (rc == FETCH_OK && !(w = timeseries_widget(explore))) {
		snprintf(f->err, sizeof f->err, "trends %s: the explore answer has no TIMESERIES widget", q->key);
		rc = FETCH_ERR;
	}
	if (rc != FETCH_OK) {
		json_decref(explore);
		buf_free(&url);
		return rc;
	}
	/* 2. multiline: the series, with the widget's own request. */
	txt = json_dumps(json_object_get(w, "request"), JSON_COMPACT);
	buf_reset(&url);
	buf_printf(&url, "%s/trends/api/widgetdata/multiline?hl=en-US&tz=0&req=", fetch_base(f, f->src->base_url));
	http_url_encode(&url, txt ? txt : "{}");
	buf_puts(&url, "&token=");
	http_url_encode(&url, jx_str(w, "token") ? jx_str(w, "token") : "");
	free(txt);
	json_decref(explore);
	r.url = url.p;
	rc = fetch_get_page(f, q, &r, pg, &status);
	buf_free(&url);
	return rc;
}

static int trends_setup(fetch_run *f, char *err, size_t errlen)
{
	(void)f;
	(void)err;
	(void)errlen;
	return 0; /* no key: Google asks none */
}

static const src_fetch trends_fetch = {
	.base_url = "https://trends.google.com",
	.ascending = 1,
	.query_pairs = 1,
	.setup = trends_setup,
	.page = trends_page,
	.parse = trends_parse,
};

/* ================================================================ registry */

const source source_trends = {
	.name = "trends",
	.claims = NULL,
	.normalize = trends_normalize,
	.fetch = &trends_fetch,
};
