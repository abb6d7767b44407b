/*
 * finnhub.c — Finnhub's analyst ratings: upgrades and downgrades
 * (GET /api/v1/stock/upgrade-downgrade: a JSON array of {symbol, gradeTime,
 * company, fromGrade, toGrade, action}) and the consensus price target
 * (GET /api/v1/stock/price-target: {symbol, lastUpdated, targetHigh,
 * targetLow, targetMean, targetMedian}). Finnhub was picked over Unusual
 * Whales and Financial Modeling Prep because its public API reference (and
 * the clients generated from it) documents both shapes field by field, and
 * its rating records carry the firm and the grade before and after.
 *
 * The normalize section makes `metric` records (docs/records.md) that
 * herd-detect's heat reads as streams:
 *   a rating    name analyst_rating, value 1 (one action: heat adds a day's
 *               actions up), at = gradeTime, key = "SYMBOL:gradeTime:firm",
 *               and "rating": {firm, from, to, action} (action up, down,
 *               init, main or reit, as Finnhub says);
 *   a target    name price_target, value = targetMean, at = lastUpdated,
 *               with "target": {high, low, median}.
 *
 * The fetch section (--function ratings,target; default ratings) sends the
 * key in the X-Finnhub-Token header (FINNHUB_KEY). Ratings come all at once
 * for a date range: a run asks from the day of the last rating written
 * (from=YYYY-MM-DD; that day's ratings already written are told apart by
 * firm) and writes the new ones, newest first; a first run goes 30 days
 * back (or --since). The target is asked once a run and written when its
 * lastUpdated is newer than the last one written. Finnhub allows 60
 * requests a minute (X-Ratelimit-Remaining, X-Ratelimit-Reset: a Unix
 * time) and answers 429 past it.
 */
#include "sources.h"
#include "lib/htime.h"
#include "lib/jsonx.h"
#include "lib/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIRST_RUN_DAYS 30

/* ================================================================ normalize */

/* The item's symbol, else the raw record's query; NULL with err. */
static const char *symbol_of(const json_t *v, const src_meta *meta, char *err, size_t errlen)
{
	const char *sym = jx_str(v, "symbol");

	if (!sym || !*sym)
		sym = meta ? meta->query : NULL;
	if (!sym || !*sym) {
		snprintf(err, errlen, "no 'symbol' (and no query to take it from)");
		return NULL;
	}
	return sym;
}

static int fh_rating(const json_t *r, const src_meta *meta, const src_out *out, char *err, size_t errlen)
{
	const char *sym = symbol_of(r, meta, err, errlen), *firm = jx_str(r, "company");
	json_t *m, *rating;
	char key[256];
	int64_t t;

	if (!sym)
		return -1;
	if (!firm || !*firm) {
		snprintf(err, errlen, "no 'company' (the firm that rated)");
		return -1;
	}
	if (src_time(r, "gradeTime", &t, err, errlen) < 0)
		return -1;
	m = metric_new("finnhub", sym, t, "analyst_rating", 1, NULL);
	snprintf(key, sizeof key, "%s:%lld:%s", sym, (long long)t, firm);
	json_object_set_new(m, "key", json_string(key));
	rating = json_pack("{s:s}", "firm", firm);
	post_set_str(rating, "from", jx_str(r, "fromGrade") && *jx_str(r, "fromGrade") ? jx_str(r, "fromGrade") : NULL);
	post_set_str(rating, "to", jx_str(r, "toGrade"));
	post_set_str(rating, "action", jx_str(r, "action"));
	json_object_set_new(m, "rating", rating);
	out->post(out->arg, m);
	return 0;
}

static int fh_target(const json_t *v, const src_meta *meta, const src_out *out, char *err, size_t errlen)
{
	const char *sym = symbol_of(v, meta, err, errlen);
	json_t *mean = json_object_get(v, "targetMean"), *m, *target;
	int64_t t;

	if (!sym)
		return -1;
	if (!json_is_number(mean)) {
		snprintf(err, errlen, "field 'targetMean' is %s, not a number", mean ? jx_type_name(mean) : "missing");
		return -1;
	}
	if (src_time(v, "lastUpdated", &t, err, errlen) < 0)
		return -1;
	m = metric_new("finnhub", sym, t, "price_target", json_number_value(mean), NULL);
	target = json_object();
	json_object_set(target, "high", json_object_get(v, "targetHigh") ? json_object_get(v, "targetHigh") : json_null());
	json_object_set(target, "low", json_object_get(v, "targetLow") ? json_object_get(v, "targetLow") : json_null());
	json_object_set(target, "median",
			json_object_get(v, "targetMedian") ? json_object_get(v, "targetMedian") : json_null());
	json_object_set_new(m, "target", target);
	out->post(out->arg, m);
	return 0;
}

static int fh_item(const json_t *v, const void *ctx, const src_out *out, char *err, size_t errlen)
{
	if (!json_is_object(v)) {
		snprintf(err, errlen, "a Finnhub item is %s, not an object", jx_type_name(v));
		return -1;
	}
	if (json_object_get(v, "gradeTime"))
		return fh_rating(v, ctx, out, err, errlen);
	if (json_object_get(v, "targetMean"))
		return fh_target(v, ctx, out, err, errlen);
	if (jx_str(v, "error")) {
		snprintf(err, errlen, "a Finnhub error response (%s)", jx_str(v, "error"));
		return -1;
	}
	snprintf(err, errlen, "neither a rating (gradeTime) nor a price target (targetMean)");
	return -1;
}

static int fh_normalize(const json_t *v, const src_meta *meta, const src_out *out, char *err, size_t errlen)
{
	if (json_is_array(v)) { /* a whole upgrade-downgrade response */
		src_each(v, fh_item, meta, out);
		return 0;
	}
	return fh_item(v, meta, out, err, errlen);
}

/* ================================================================ fetch */

static const char *fh_variants(const fetch_run *f)
{
	return f->o.function ? f->o.function : "ratings";
}

static int fh_setup(fetch_run *f, char *err, size_t errlen)
{
	const char *fn = fh_variants(f);

	while (*fn) {
		size_t n = strcspn(fn, ",");
		if (!((n == 7 && !strncmp(fn, "ratings", 7)) || (n == 6 && !strncmp(fn, "target", 6))))
			return herd_errf(err, errlen, "--function: '%.*s' is not one of: ratings, target", (int)n, fn);
		fn += n;
		fn += *fn == ',';
	}
	if (f->o.replay)
		return 0; /* replays ask nothing: no credentials needed */
	if (!(f->priv = http_secret_env("FINNHUB_KEY")))
		return herd_errf(err, errlen, "FINNHUB_KEY (or FINNHUB_KEY_FILE) is not set: get a key at "
					      "https://finnhub.io/register");
	return 0;
}

static void fh_cleanup(fetch_run *f)
{
	free(f->priv);
}

static int by_time_desc(const void *a, const void *b)
{
	const fetch_item *x = a, *y = b;

	return x->t < y->t ? 1 : x->t > y->t ? -1 : strcmp(x->id, y->id);
}

static int fh_parse(fetch_run *f, const json_t *body, const fetch_query *q, fetch_page *pg, char *err, size_t errlen)
{
	json_t *r;
	size_t i;

	(void)f;
	if (json_is_object(body) && !jx_str(body, "error")) { /* a price target; {} when Finnhub has none */
		int64_t t;
		char why[128];
		fetch_item *it;
		if (!json_object_get(body, "targetMean") || src_time(body, "lastUpdated", &t, why, sizeof why) < 0 ||
		    (q->min_t && t <= q->min_t))
			return 0; /* none, or the one written already */
		it = fetch_page_add(pg, json_incref((json_t *)body), NULL, t, "target", t);
		if (!q->raw_query && jx_str(body, "symbol"))
			it->query = xstrdup(jx_str(body, "symbol"));
		return 0;
	}
	if (!json_is_array(body)) {
		char api[256];
		fetch_api_error(body, api, sizeof api);
		snprintf(err, errlen, "not a Finnhub upgrade-downgrade or price-target response (%s)",
			 api[0] ? api : jx_type_name(body));
		return -1;
	}
	json_array_foreach(body, i, r) {
		const char *firm = jx_str(r, "company");
		int64_t t;
		char why[128];
		fetch_item *it;
		if (!firm || src_time(r, "gradeTime", &t, why, sizeof why) < 0)
			continue; /* herd-normalize says what is wrong with it */
		it = fetch_page_add(pg, json_incref(r), NULL, t, firm, t);
		if (!q->raw_query && jx_str(r, "symbol"))
			it->query = xstrdup(jx_str(r, "symbol"));
	}
	/* One answer holds the whole range, in no order Finnhub promises:
	 * newest first, as the driver pages. */
	qsort(pg->items, pg->n, sizeof *pg->items, by_time_desc);
	return 0;
}

static int fh_page(fetch_run *f, const fetch_query *q, const char *next, fetch_page *pg)
{
	buf_t url = BUF_INIT, key = BUF_INIT;
	fetch_req req = {0};
	long status;
	int rc;

	(void)next;
	buf_printf(&url, "%s/api/v1/stock/%s?symbol=", fetch_base(f, f->src->base_url),
		   strcmp(q->variant, "target") == 0 ? "price-target" : "upgrade-downgrade");
	http_url_encode(&url, q->query);
	if (strcmp(q->variant, "ratings") == 0) {
		int64_t from = q->stop && q->stop->ids ? q->stop->t
			       : f->o.since            ? f->o.since
						       : fetch_now(f) - FIRST_RUN_DAYS * 86400;
		char d[HTIME_LEN];
		buf_printf(&url, "&from=%s", htime_format_date(from, d));
	}
	buf_printf(&key, "X-Finnhub-Token: %s", (const char *)f->priv);
	req.url = url.p;
	req.headers[0] = key.p;
	rc = fetch_get_page(f, q, &req, pg, &status);
	if (rc == FETCH_ERR && (status == 401 || status == 403))
		fetch_err_hint(f, " (check FINNHUB_KEY; upgrade-downgrade needs a plan that has it)");
	buf_free(&url);
	buf_free(&key);
	return rc;
}

static double fh_pace(const http_response *r, char *why, size_t whylen)
{
	return fetch_pace_headers(r, "x-ratelimit-remaining", "x-ratelimit-reset", 1, why, whylen);
}

static const src_fetch fh_fetch = {
	.base_url = "https://finnhub.io",
	.ascending_variants = "target",
	.variants = fh_variants,
	.setup = fh_setup,
	.cleanup = fh_cleanup,
	.page = fh_page,
	.parse = fh_parse,
	.pace = fh_pace,
};

/* ================================================================ registry */

const source source_finnhub = {
	.name = "finnhub",
	.claims = NULL,
	.normalize = fh_normalize,
	.fetch = &fh_fetch,
};
