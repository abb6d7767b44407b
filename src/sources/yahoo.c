/*
 * yahoo.c — Yahoo Finance v8 chart: price bars as `metric` records
 * (name "bar", docs/records.md).
 *
 * The API answers /v8/finance/chart/SYM?interval=1d&range=1mo (or
 * period1/period2) with {"chart":{"result":[{"meta":{symbol, gmtoffset,
 * dataGranularity, instrumentType…}, "timestamp":[…], "indicators":
 * {"quote":[{"open":[…],"high":[…],"low":[…],"close":[…],"volume":[…]}]}}],
 * "error":null}: columns, not rows. The normalize section makes one bar per
 * timestamp whose close is not null (Yahoo writes nulls for bars without
 * trades); a daily or longer bar starts at midnight UTC of its trading date
 * in the exchange's zone (the timestamp is the session's open), a shorter
 * one at its timestamp. The entity is the symbol, Yahoo's class-share
 * dash made a dot (BRK-B → BRK.B) and a coin's currency dropped (BTC-USD →
 * BTC).
 *
 * The fetch section asks once per symbol for the bars from the last one it
 * wrote (that bar again, since the day's bar changes until the close) and
 * writes the chart result cut to those bars as one raw item. No key, no
 * documented limit; a 429 is honoured like any other.
 */
#include "sources.h"
#include "lib/htime.h"
#include "lib/jsonx.h"
#include "lib/util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY 86400

/* ================================================================ normalize */

/* The entity a Yahoo symbol stands for, into buf. */
static const char *yahoo_entity(const char *sym, const char *type, char *buf, size_t buflen)
{
	size_t n;

	snprintf(buf, buflen, "%s", sym);
	for (char *p = buf; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	n = strlen(buf);
	if (type && strcmp(type, "CRYPTOCURRENCY") == 0) {
		char *dash = strrchr(buf, '-');
		if (dash && dash != buf)
			*dash = '\0';
	} else if (n >= 3 && buf[n - 2] == '-' && isalpha((unsigned char)buf[n - 1])) {
		buf[n - 2] = '.';
	}
	return buf;
}

/* Daily, weekly, monthly bars start at a date; shorter ones at a moment. */
static int is_dated(const char *gran)
{
	size_t n = gran ? strlen(gran) : 0;

	return n && (gran[n - 1] == 'd' || strcmp(gran + (n > 2 ? n - 2 : 0), "wk") == 0 ||
		     strcmp(gran + (n > 2 ? n - 2 : 0), "mo") == 0);
}

/* The start of bar i of a result. */
static int64_t bar_start(int64_t ts, const char *gran, long long gmtoffset)
{
	return is_dated(gran) ? htime_floor(ts + gmtoffset, DAY) : ts;
}

static int num_at(const json_t *arr, size_t i, double *out)
{
	json_t *v = json_array_get(arr, i);

	if (!json_is_number(v))
		return 0;
	*out = json_number_value(v);
	return 1;
}

static int yahoo_result(const json_t *r, const char *query, const src_out *out, char *err, size_t errlen)
{
	json_t *meta = json_object_get(r, "meta"), *ts = json_object_get(r, "timestamp");
	json_t *quote = json_array_get(jx_path(r, "indicators.quote"), 0);
	const char *sym = jx_str(meta, "symbol"), *gran = jx_str(meta, "dataGranularity");
	long long off = 0;
	char ent[64];
	size_t i;
	json_t *t;

	if (!json_is_object(r) || !json_is_object(meta)) {
		snprintf(err, errlen, "a Yahoo chart result without 'meta'");
		return -1;
	}
	if (!sym)
		sym = query;
	if (!sym) {
		snprintf(err, errlen, "a Yahoo chart result without meta.symbol");
		return -1;
	}
	if (!gran)
		gran = "1d";
	jx_int(meta, "gmtoffset", &off);
	yahoo_entity(sym, jx_str(meta, "instrumentType"), ent, sizeof ent);
	json_array_foreach(ts, i, t) {
		double o, h, l, c, v = 0;
		json_t *m;
		if (!json_is_integer(t) || !num_at(json_object_get(quote, "close"), i, &c))
			continue; /* no trade in this bar */
		/* A time a record can hold: 1970 to 9999 (RFC 3339's four-digit
		 * year; found by tests/fuzz/fuzz_normalize.c). */
		if (json_integer_value(t) < 0 || json_integer_value(t) > 253402300799LL - 86400) {
			snprintf(err, errlen, "a Yahoo chart timestamp %" JSON_INTEGER_FORMAT " is not a time from 1970 to 9999",
				 json_integer_value(t));
			return -1;
		}
		if (!num_at(json_object_get(quote, "open"), i, &o))
			o = c;
		if (!num_at(json_object_get(quote, "high"), i, &h))
			h = c;
		if (!num_at(json_object_get(quote, "low"), i, &l))
			l = c;
		num_at(json_object_get(quote, "volume"), i, &v);
		m = metric_new("yahoo", ent, bar_start(json_integer_value(t), gran, off), "bar", c, gran);
		metric_set_bar(m, o, h, l, c, v);
		out->post(out->arg, m);
	}
	return 0;
}

static int yahoo_normalize(const json_t *v, const src_meta *meta, const src_out *out, char *err, size_t errlen)
{
	json_t *chart = json_object_get(v, "chart"), *res, *r;
	const char *query = meta ? meta->query : NULL;
	size_t i;

	if (!json_is_object(v)) {
		snprintf(err, errlen, "a Yahoo item is %s, not an object", jx_type_name(v));
		return -1;
	}
	if (!chart)
		return yahoo_result(v, query, out, err, errlen);
	res = json_object_get(chart, "result");
	if (!json_is_array(res)) {
		char api[256];
		fetch_api_error(json_object_get(chart, "error") ? chart : v, api, sizeof api);
		snprintf(err, errlen, "a Yahoo chart error (%s)", api[0] ? api : "no result");
		return -1;
	}
	json_array_foreach(res, i, r) {
		char why[512];
		if (yahoo_result(r, query, out, why, sizeof why) < 0)
			out->bad_item(out->arg, r, i, why);
	}
	return 0;
}

/* ================================================================ fetch */

/* The result cut to the bars starting at or after min_t (0: all), as a
 * new object sharing the rest; *last is the start of its last bar. NULL
 * when no bar is left. */
static json_t *cut_result(const json_t *r, int64_t min_t, int64_t *last)
{
	json_t *meta = json_object_get(r, "meta"), *ts = json_object_get(r, "timestamp"), *out, *ind, *q, *nq, *t;
	const char *gran = jx_str(meta, "dataGranularity");
	long long off = 0;
	const char *k;
	json_t *col;
	size_t i, n = json_array_size(ts), from = n;

	jx_int(meta, "gmtoffset", &off);
	json_array_foreach(ts, i, t)
		if (json_is_integer(t) && bar_start(json_integer_value(t), gran ? gran : "1d", off) >= min_t) {
			from = i;
			break;
		}
	if (from == n)
		return NULL;
	*last = bar_start(json_integer_value(json_array_get(ts, n - 1)), gran ? gran : "1d", off);
	if (from == 0)
		return json_deep_copy(r);
	out = json_deep_copy(r);
	/* Every per-bar column (timestamp, indicators.*[].*) loses its head. */
	for (size_t j = 0; j < from; j++)
		json_array_remove(json_object_get(out, "timestamp"), 0);
	ind = json_object_get(out, "indicators");
	json_object_foreach(ind, k, q) {
		json_array_foreach(q, i, nq) {
			const char *k2;
			json_object_foreach(nq, k2, col) {
				if (json_is_array(col) && json_array_size(col) == n)
					for (size_t j = 0; j < from; j++)
						json_array_remove(col, 0);
			}
		}
	}
	return out;
}

static int yahoo_parse(fetch_run *f, const json_t *body, const fetch_query *q, fetch_page *pg, char *err,
		       size_t errlen)
{
	json_t *res = jx_path(body, "chart.result"), *r;
	size_t i;

	(void)f;
	if (!json_is_array(res)) {
		char api[256];
		fetch_api_error(jx_path(body, "chart"), api, sizeof api);
		snprintf(err, errlen, "not a Yahoo chart response (%s)", api[0] ? api : "no chart.result");
		return -1;
	}
	json_array_foreach(res, i, r) {
		int64_t last = 0;
		json_t *cut = cut_result(r, q->min_t, &last);
		const char *sym = jx_path(r, "meta.symbol") ? json_string_value(jx_path(r, "meta.symbol")) : NULL;
		if (cut) {
			fetch_item *it = fetch_page_add(pg, cut, NULL, last, sym ? sym : "", last);
			if (!q->raw_query && sym)
				it->query = xstrdup(sym); /* a replay: the symbol the chart says */
		}
	}
	return 0;
}

static const char *yahoo_variants(const fetch_run *f)
{
	return f->o.bar ? f->o.bar : "1d";
}

static int yahoo_page(fetch_run *f, const fetch_query *q, const char *next, fetch_page *pg)
{
	buf_t url = BUF_INIT;
	fetch_req req = {0};
	long status;
	int rc;

	(void)next;
	buf_printf(&url, "%s/v8/finance/chart/", fetch_base(f, f->src->base_url));
	http_url_encode(&url, q->query);
	buf_printf(&url, "?interval=%s&includePrePost=false&events=div%%7Csplit", q->variant);
	if (q->min_t)
		buf_printf(&url, "&period1=%lld&period2=%lld", (long long)q->min_t, (long long)fetch_now(f));
	else if (f->o.since)
		buf_printf(&url, "&period1=%lld&period2=%lld", (long long)f->o.since, (long long)fetch_now(f));
	else
		buf_puts(&url, "&range=1mo");
	req.url = url.p;
	req.conditional = 1;
	rc = fetch_get_page(f, q, &req, pg, &status);
	if (rc == FETCH_ERR && status == 404)
		fetch_err_hint(f, " (is '%s' a Yahoo symbol?)", q->query);
	buf_free(&url);
	return rc;
}

static int yahoo_setup(fetch_run *f, char *err, size_t errlen)
{
	static const char *const ok[] = {"1m", "2m", "5m", "15m", "30m", "60m", "90m", "1h", "1d", "5d", "1wk", "1mo", "3mo"};

	if (!f->o.bar)
		return 0;
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		if (strcmp(f->o.bar, ok[i]) == 0)
			return 0;
	return herd_errf(err, errlen, "--bar '%s' is not a Yahoo interval (1m 2m 5m 15m 30m 60m 90m 1h 1d 5d 1wk 1mo 3mo)",
			 f->o.bar);
}

static const src_fetch yahoo_fetch = {
	.base_url = "https://query1.finance.yahoo.com",
	.ascending = 1,
	.variants = yahoo_variants,
	.setup = yahoo_setup,
	.page = yahoo_page,
	.parse = yahoo_parse,
};

/* ================================================================ registry */

const source source_yahoo = {
	.name = "yahoo",
	.claims = NULL,
	.normalize = yahoo_normalize,
	.fetch = &yahoo_fetch,
};
