/*
 * unusualwhales.c — Unusual Whales options flow alerts
 * (GET /api/option-trades/flow-alerts): the alerts its rules raise on
 * unusual option trading (sweeps, floor trades, repeated hits), one item
 * per alert, alone or in the {"data":[…]} envelope.
 *
 * The normalize section makes each alert a `metric` record (docs/records.md)
 * that herd-detect's heat reads as a stream: name flow_call_premium or
 * flow_put_premium (by the contract's type), value = total_premium in
 * dollars, at = created_at, entity = the underlying ticker, and key = the
 * alert's id, so that two alerts of one second are two rows and heat adds
 * a day's alerts up instead of averaging them. The alert's particulars go
 * along in "flow": contract, strike, expiry, size, sweep, floor, ask- and
 * bid-side premium, the rule that fired, the underlying's price.
 *
 * The fetch section pages newest first, 200 alerts a page, with the
 * ticker as ticker_symbol and the Bearer token UNUSUALWHALES_TOKEN: the
 * next page is the alerts older_than the oldest of this one (its
 * created_at plus a microsecond, so that alerts sharing its moment are not
 * skipped; the one asked again is a repeat the driver knows). A first run
 * goes a day back (or --since). The per-minute limit is read from
 * x-uw-req-per-minute-remaining and x-uw-req-per-minute-reset (ms); the
 * plan's day from x-uw-daily-req-count against x-uw-token-req-limit.
 */
#include "sources.h"
#include "lib/htime.h"
#include "lib/jsonx.h"
#include "lib/util.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_LIMIT 200           /* the most the endpoint gives a page */
#define FIRST_RUN_BACK (24 * 3600) /* a first run without --since: the last day */

/* ================================================================ times */

/* created_at with its fraction, as microseconds since the epoch (the
 * order key: alerts are seconds apart at most, often less). -1 when it is
 * not a time. */
static int64_t micros(const char *s)
{
	int64_t t, us = 0;
	const char *dot;
	int digits = 0;

	if (!s || htime_parse(s, &t) < 0)
		return -1;
	if ((dot = strchr(s, '.')) && dot > strchr(s, 'T')) {
		for (const char *p = dot + 1; isdigit((unsigned char)*p) && digits < 6; p++, digits++)
			us = us * 10 + (*p - '0');
		while (digits++ < 6)
			us *= 10;
	}
	return t * 1000000 + us;
}

/* Microseconds back as "YYYY-MM-DDTHH:MM:SS.uuuuuuZ". */
static void format_micros(int64_t us, char *out, size_t outlen)
{
	char s[HTIME_LEN];
	int64_t sec = us >= 0 ? us / 1000000 : (us - 999999) / 1000000;

	htime_format(sec, s);
	snprintf(out, outlen, "%.19s.%06lldZ", s, (long long)(us - sec * 1000000));
}

/* ================================================================ normalize */

/* A number given as a JSON number or as text ("186705"); NAN when neither. */
static double num(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	char *end;
	double d;

	if (json_is_number(v))
		return json_number_value(v);
	if (!json_is_string(v))
		return NAN;
	d = strtod(json_string_value(v), &end);
	return end != json_string_value(v) && *end == '\0' ? d : NAN;
}

static void put_num(json_t *o, const char *key, double d)
{
	if (!isnan(d))
		json_object_set_new(o, key, d == floor(d) && fabs(d) < 1e15 ? json_integer((json_int_t)d) : json_real(d));
}

static int uw_alert(const json_t *a, const void *ctx, const src_out *out, char *err, size_t errlen)
{
	const char *ticker = jx_str(a, "ticker"), *type = jx_str(a, "type"), *id = jx_str(a, "id");
	double premium = num(a, "total_premium");
	json_t *m, *flow;
	int64_t t;

	(void)ctx;
	if (!json_is_object(a)) {
		snprintf(err, errlen, "an Unusual Whales flow alert is %s, not an object", jx_type_name(a));
		return -1;
	}
	if (!ticker || !*ticker) {
		snprintf(err, errlen, "no 'ticker'");
		return -1;
	}
	if (!type || (strcmp(type, "call") != 0 && strcmp(type, "put") != 0)) {
		snprintf(err, errlen, "field 'type' is %s, not call or put", type ? type : "missing");
		return -1;
	}
	if (isnan(premium) || premium < 0) {
		snprintf(err, errlen, "field 'total_premium' is not a number of dollars");
		return -1;
	}
	if (!id || !*id) {
		snprintf(err, errlen, "no 'id' (the alert's key)");
		return -1;
	}
	if (src_time(a, "created_at", &t, err, errlen) < 0)
		return -1;
	m = metric_new("unusualwhales", ticker, t, strcmp(type, "call") == 0 ? "flow_call_premium" : "flow_put_premium",
		       premium, NULL);
	json_object_set_new(m, "key", json_string(id));
	flow = json_object();
	if (jx_str(a, "option_chain"))
		json_object_set_new(flow, "contract", json_string(jx_str(a, "option_chain")));
	put_num(flow, "strike", num(a, "strike"));
	if (jx_str(a, "expiry"))
		json_object_set_new(flow, "expiry", json_string(jx_str(a, "expiry")));
	put_num(flow, "size", num(a, "total_size"));
	json_object_set_new(flow, "sweep", json_boolean(jx_bool(a, "has_sweep")));
	json_object_set_new(flow, "floor", json_boolean(jx_bool(a, "has_floor")));
	put_num(flow, "ask_premium", num(a, "total_ask_side_prem"));
	put_num(flow, "bid_premium", num(a, "total_bid_side_prem"));
	if (jx_str(a, "alert_rule"))
		json_object_set_new(flow, "rule", json_string(jx_str(a, "alert_rule")));
	put_num(flow, "underlying_price", num(a, "underlying_price"));
	json_object_set_new(m, "flow", flow);
	out->post(out->arg, m);
	return 0;
}

static int uw_normalize(const json_t *v, const src_meta *meta, const src_out *out, char *err, size_t errlen)
{
	json_t *data = json_object_get(v, "data");

	(void)meta;
	if (!json_is_object(v)) {
		snprintf(err, errlen, "an Unusual Whales item is %s, not an object", jx_type_name(v));
		return -1;
	}
	if (json_is_array(data)) {
		src_each(data, uw_alert, NULL, out);
		return 0;
	}
	if (jx_str(v, "error")) {
		snprintf(err, errlen, "an Unusual Whales error response (%s)", jx_str(v, "error"));
		return -1;
	}
	return uw_alert(v, NULL, out, err, errlen);
}

/* ================================================================ fetch */

static int uw_setup(fetch_run *f, char *err, size_t errlen)
{
	if (f->o.replay)
		return 0; /* replays ask nothing: no credentials needed */
	if (!(f->priv = http_secret_env("UNUSUALWHALES_TOKEN")))
		return herd_errf(err, errlen, "UNUSUALWHALES_TOKEN (or UNUSUALWHALES_TOKEN_FILE) is not set: the API token "
					      "of an Unusual Whales API plan (https://unusualwhales.com/public-api)");
	if (!f->o.since)
		f->o.since = fetch_now(f) - FIRST_RUN_BACK;
	return 0;
}

static void uw_cleanup(fetch_run *f)
{
	free(f->priv);
}

static int uw_parse(fetch_run *f, const json_t *body, const fetch_query *q, fetch_page *pg, char *err, size_t errlen)
{
	json_t *data = json_object_get(body, "data"), *a;
	int64_t oldest = INT64_MAX;
	size_t i;

	(void)f;
	if (!json_is_array(data)) {
		char api[256];
		fetch_api_error(body, api, sizeof api);
		snprintf(err, errlen, "not an Unusual Whales flow-alerts response (%s)", api[0] ? api : "no 'data'");
		return -1;
	}
	json_array_foreach(data, i, a) {
		const char *id = jx_str(a, "id");
		int64_t us = micros(jx_str(a, "created_at"));
		fetch_item *it;
		if (!id || us < 0)
			continue; /* not an alert herd can place: herd-normalize says what is wrong */
		it = fetch_page_add(pg, json_incref(a), NULL, us, id, us / 1000000);
		if (!q->raw_query && jx_str(a, "ticker"))
			it->query = xstrdup(jx_str(a, "ticker"));
		if (us < oldest)
			oldest = us;
	}
	/* The next page: the alerts before the oldest, it included; none when
	 * this page brought nothing older than the one asked for (the end). */
	if (oldest != INT64_MAX && (!q->asked || oldest + 1 < micros(q->asked))) {
		char next[48];
		format_micros(oldest + 1, next, sizeof next);
		fetch_page_set_next(pg, next);
	}
	return 0;
}

static int uw_page(fetch_run *f, const fetch_query *q, const char *next, fetch_page *pg)
{
	buf_t url = BUF_INIT, auth = BUF_INIT;
	fetch_req req = {0};
	long status;
	int rc;

	buf_printf(&url, "%s/api/option-trades/flow-alerts?ticker_symbol=", fetch_base(f, f->src->base_url));
	http_url_encode(&url, q->query);
	buf_printf(&url, "&limit=%d", PAGE_LIMIT);
	if (next) {
		buf_puts(&url, "&older_than=");
		http_url_encode(&url, next);
	}
	buf_printf(&auth, "Authorization: Bearer %s", (const char *)f->priv);
	req.url = url.p;
	req.headers[0] = auth.p;
	rc = fetch_get_page(f, q, &req, pg, &status);
	if (rc == FETCH_ERR && (status == 401 || status == 403))
		fetch_err_hint(f, " (check UNUSUALWHALES_TOKEN and the plan's endpoints)");
	buf_free(&url);
	buf_free(&auth);
	return rc;
}

/* The minute's requests spent: wait for the reset (ms from now); the
 * plan's day spent: wait for the next UTC day. */
static double uw_pace(const http_response *r, char *why, size_t whylen)
{
	const char *rem = http_header_get(r, "x-uw-req-per-minute-remaining"),
		   *reset = http_header_get(r, "x-uw-req-per-minute-reset"),
		   *used = http_header_get(r, "x-uw-daily-req-count"), *limit = http_header_get(r, "x-uw-token-req-limit");

	if (used && limit && atof(limit) > 0 && atof(used) >= atof(limit)) {
		double now = http_now();
		snprintf(why, whylen, "x-uw-daily-req-count %s of x-uw-token-req-limit %s: the plan's day is spent", used, limit);
		return (floor(now / 86400) + 1) * 86400 - now;
	}
	if (rem && reset && atof(rem) < 1 && atof(reset) > 0) {
		snprintf(why, whylen, "x-uw-req-per-minute-remaining: %s, x-uw-req-per-minute-reset: %s ms", rem, reset);
		return atof(reset) / 1000;
	}
	return 0;
}

static const src_fetch uw_fetch = {
	.base_url = "https://api.unusualwhales.com",
	.setup = uw_setup,
	.cleanup = uw_cleanup,
	.page = uw_page,
	.parse = uw_parse,
	.pace = uw_pace,
};

/* ================================================================ registry */

const source source_unusualwhales = {
	.name = "unusualwhales",
	.claims = NULL,
	.normalize = uw_normalize,
	.fetch = &uw_fetch,
};
