/*
 * alphavantage.c — Alpha Vantage: NEWS_SENTIMENT articles (as `post`
 * records that keep Alpha Vantage's own sentiment) and TIME_SERIES_DAILY /
 * TIME_SERIES_INTRADAY bars (as `metric` records, name "bar").
 *
 * NEWS_SENTIMENT answers {"items","sentiment_score_definition",
 * "relevance_score_definition","feed":[{title, url, time_published
 * "YYYYMMDDTHHMMSS", authors[], summary, source, topics[],
 * overall_sentiment_score, overall_sentiment_label, ticker_sentiment:
 * [{ticker, relevance_score, ticker_sentiment_score,
 * ticker_sentiment_label}]}]}. An article becomes a post: id
 * alphavantage:<SHA-1 of the url> (as NewsAPI's), community = the outlet,
 * text = the summary, entities = the tickers it scores (CRYPTO:BTC → BTC;
 * FOREX: pairs are not entities), and "source_sentiment" = {score, label,
 * tickers: {T: {score, label, relevance}}} with the numbers as numbers
 * (Alpha Vantage writes them as strings). time_published is read as UTC:
 * Alpha Vantage does not say which zone it is in.
 *
 * The series answer {"Meta Data":{"2. Symbol", "… Time Zone"…},
 * "Time Series (5min)" or "Time Series (Daily)":{"2021-01-27 14:05:00":
 * {"1. open":"…",…,"5. volume":"…"}}}: times are local to the zone the
 * metadata names (US/Eastern for stocks: converted to UTC with the US
 * daylight-saving rules), dates start at midnight UTC.
 *
 * Alpha Vantage throttles inside HTTP 200: {"Note": "…5 calls per minute…"}
 * (wait a minute and retry) and {"Information": "…25 requests per day…"}
 * (the day's quota is spent: stop). Free keys get 25 requests a day, the
 * default --budget. The key (ALPHAVANTAGE_KEY) travels in the URL, which
 * herd therefore never prints unredacted.
 */
#include "sources.h"
#include "lib/htime.h"
#include "lib/jsonx.h"
#include "lib/sha1.h"
#include "lib/util.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DAY 86400
#define AV_MINUTE_WAIT 60.0 /* the "Note" throttle is per minute */

/* ================================================================ time */

/* The day number of the n-th (n >= 1) or last (n = 0) Sunday of a month. */
static int64_t sunday(int64_t y, unsigned m, int n)
{
	int64_t first = htime_days_from_civil(y, m, 1), last;
	int wd = (int)(((first + 4) % 7 + 7) % 7); /* 1970-01-01 was a Thursday; 0 = Sunday */

	if (n > 0)
		return first + (7 - wd) % 7 + 7 * (n - 1);
	last = htime_days_from_civil(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1) - 1;
	wd = (int)(((last + 4) % 7 + 7) % 7);
	return last - wd;
}

/* US/Eastern wall-clock seconds (as if UTC) → UTC: EDT from 02:00 on the
 * DST start Sunday to 02:00 on the end Sunday (the repeated hour is read as
 * EDT), EST otherwise. Rules of 2007 on, of 1987-2006 before. */
static int64_t eastern_to_utc(int64_t local)
{
	int64_t y, start, end;
	unsigned m, d;

	htime_civil_from_days(htime_floor(local, DAY) / DAY, &y, &m, &d);
	if (y >= 2007) {
		start = sunday(y, 3, 2);
		end = sunday(y, 11, 1);
	} else {
		start = y >= 1987 ? sunday(y, 4, 1) : sunday(y, 4, 0);
		end = sunday(y, 10, 0);
	}
	if (local >= start * DAY + 7200 && local < end * DAY + 7200)
		return local + 4 * 3600;
	return local + 5 * 3600;
}

/* A series time in zone tz → UTC; -1 when the zone is unknown or the time
 * does not parse. Dates alone are days: midnight UTC. */
static int series_time(const char *s, const char *tz, int64_t *t)
{
	int64_t local;

	if (!s || htime_parse(s, &local) < 0)
		return -1;
	if (strlen(s) == 10) { /* YYYY-MM-DD */
		*t = local;
		return 0;
	}
	if (!tz || strcasecmp(tz, "UTC") == 0 || strcasecmp(tz, "GMT") == 0) {
		*t = local;
		return 0;
	}
	if (strcmp(tz, "US/Eastern") == 0 || strcmp(tz, "America/New_York") == 0) {
		*t = eastern_to_utc(local);
		return 0;
	}
	return -1;
}

/* ================================================================ normalize */

/* The value of the first key of obj ending in suffix ("Symbol" finds
 * "2. Symbol"). */
static json_t *by_suffix(const json_t *obj, const char *suffix)
{
	const char *k;
	json_t *v;
	size_t n = strlen(suffix);

	json_object_foreach((json_t *)obj, k, v) {
		size_t kn = strlen(k);
		if (kn >= n && strcasecmp(k + kn - n, suffix) == 0 && (kn == n || k[kn - n - 1] == ' '))
			return v;
	}
	return NULL;
}

/* A number written as a string or a number. */
static int num(const json_t *v, double *out)
{
	char *end;

	if (json_is_number(v)) {
		*out = json_number_value(v);
		return 1;
	}
	if (!json_is_string(v))
		return 0;
	*out = strtod(json_string_value(v), &end);
	return end != json_string_value(v) && *end == '\0' && isfinite(*out); /* "nan", "inf": no number */
}

/* The series object of an envelope and its interval ("Time Series (5min)"
 * → "5m", "(Daily)" → "1d", "Weekly…" → "1w", "Monthly…" → "1mo"). */
static json_t *series_of(const json_t *v, char *interval, size_t len)
{
	const char *k;
	json_t *s;

	json_object_foreach((json_t *)v, k, s) {
		const char *p;
		int n;
		if (!json_is_object(s) || !strstr(k, "Time Series"))
			continue;
		if ((p = strchr(k, '(')) && sscanf(p, "(%dmin)", &n) == 1)
			snprintf(interval, len, n == 60 ? "1h" : "%dm", n);
		else if (strstr(k, "Daily"))
			snprintf(interval, len, "1d");
		else if (strncmp(k, "Weekly", 6) == 0)
			snprintf(interval, len, "1w");
		else if (strncmp(k, "Monthly", 7) == 0)
			snprintf(interval, len, "1mo");
		else
			snprintf(interval, len, "1d");
		return s;
	}
	return NULL;
}

static int av_series(const json_t *v, const char *query, const src_out *out, char *err, size_t errlen)
{
	json_t *meta = json_object_get(v, "Meta Data"), *series, *bar;
	const char *sym = json_string_value(by_suffix(meta, "Symbol")), *tz = json_string_value(by_suffix(meta, "Time Zone"));
	char interval[16], ent[64];
	const char *when;
	size_t i = 0;

	if (!(series = series_of(v, interval, sizeof interval))) {
		snprintf(err, errlen, "an Alpha Vantage series without a \"Time Series\"");
		return -1;
	}
	if (!sym)
		sym = query;
	if (!sym) {
		snprintf(err, errlen, "an Alpha Vantage series without \"Meta Data\".\"2. Symbol\"");
		return -1;
	}
	snprintf(ent, sizeof ent, "%s", sym);
	for (char *p = ent; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	json_object_foreach(series, when, bar) {
		double o, h, l, c, vol = 0;
		int64_t t;
		char why[256];
		if (series_time(when, tz, &t) < 0) {
			snprintf(why, sizeof why, "bar \"%s\": not a time in zone %s", when, tz ? tz : "UTC");
			out->bad_item(out->arg, bar, i++, why);
			continue;
		}
		if (!num(by_suffix(bar, "close"), &c) || !num(by_suffix(bar, "open"), &o) ||
		    !num(by_suffix(bar, "high"), &h) || !num(by_suffix(bar, "low"), &l)) {
			snprintf(why, sizeof why, "bar \"%s\": open, high, low or close missing", when);
			out->bad_item(out->arg, bar, i++, why);
			continue;
		}
		num(by_suffix(bar, "volume"), &vol);
		json_t *m = metric_new("alphavantage", ent, t, "bar", c, interval);
		metric_set_bar(m, o, h, l, c, vol);
		out->post(out->arg, m);
		i++;
	}
	return 0;
}

static int av_article(const json_t *a, const void *ctx, const src_out *out, char *err, size_t errlen)
{
	const char *url = jx_str(a, "url");
	json_t *authors = json_object_get(a, "authors"), *ts = json_object_get(a, "ticker_sentiment"), *x, *p, *ss, *tk;
	char sha[SHA1_HEX_LEN];
	buf_t who = BUF_INIT;
	double d;
	size_t i;
	int64_t t;

	(void)ctx;
	if (!json_is_object(a)) {
		snprintf(err, errlen, "an Alpha Vantage article is %s, not an object", jx_type_name(a));
		return -1;
	}
	if (!url || !*url) {
		snprintf(err, errlen, "no 'url' (the article's id is made from it)");
		return -1;
	}
	if (src_time(a, "time_published", &t, err, errlen) < 0)
		return -1;
	p = post_new("alphavantage", "article");
	post_set_id(p, "alphavantage", sha1_hex(url, strlen(url), sha));
	post_set_str(p, "community", jx_str(a, "source"));
	post_set_time(p, t);
	json_array_foreach(authors, i, x)
		if (json_is_string(x) && json_string_length(x))
			buf_printf(&who, "%s%s", who.len ? ", " : "", json_string_value(x));
	post_set_str(p, "author", who.len ? who.p : NULL);
	post_set_text(p, "title", json_object_get(a, "title"));
	post_set_text(p, "text", json_object_get(a, "summary"));
	post_set_str(p, "url", url);
	ss = json_object();
	if (num(json_object_get(a, "overall_sentiment_score"), &d))
		json_object_set_new(ss, "score", json_real(d));
	jx_set_str(ss, "label", jx_str(a, "overall_sentiment_label"));
	tk = json_object();
	json_array_foreach(ts, i, x) {
		const char *sym = jx_str(x, "ticker");
		json_t *one;
		if (!sym || strncmp(sym, "FOREX:", 6) == 0)
			continue;
		if (strncmp(sym, "CRYPTO:", 7) == 0)
			sym += 7;
		post_add_entity(p, sym);
		one = json_object();
		if (num(json_object_get(x, "ticker_sentiment_score"), &d))
			json_object_set_new(one, "score", json_real(d));
		jx_set_str(one, "label", jx_str(x, "ticker_sentiment_label"));
		if (num(json_object_get(x, "relevance_score"), &d))
			json_object_set_new(one, "relevance", json_real(d));
		json_object_set_new(tk, sym, one);
	}
	json_object_set_new(ss, "tickers", tk);
	json_object_set_new(p, "source_sentiment", ss);
	buf_free(&who);
	out->post(out->arg, p);
	return 0;
}

/* An in-body error or throttle, as text; NULL when the body is none. */
static const char *av_message(const json_t *v)
{
	const char *m = jx_str(v, "Note");

	if (!m)
		m = jx_str(v, "Information");
	if (!m)
		m = jx_str(v, "Error Message");
	return m;
}

static int av_normalize(const json_t *v, const src_meta *meta, const src_out *out, char *err, size_t errlen)
{
	json_t *feed = json_object_get(v, "feed");
	const char *msg = av_message(v);

	if (!json_is_object(v)) {
		snprintf(err, errlen, "an Alpha Vantage item is %s, not an object", jx_type_name(v));
		return -1;
	}
	if (json_is_array(feed)) {
		src_each(feed, av_article, NULL, out);
		return 0;
	}
	if (json_object_get(v, "Meta Data"))
		return av_series(v, meta ? meta->query : NULL, out, err, errlen);
	if (msg && !json_object_get(v, "url")) {
		snprintf(err, errlen, "an Alpha Vantage message, not data (%.200s)", msg);
		return -1;
	}
	return av_article(v, NULL, out, err, errlen);
}

/* ================================================================ fetch */

static const char *av_variants(const fetch_run *f)
{
	return f->o.function ? f->o.function : "news";
}

static int av_setup(fetch_run *f, char *err, size_t errlen)
{
	static const char *const bars[] = {"1min", "5min", "15min", "30min", "60min"};
	const char *fn = av_variants(f);
	char *key;

	while (*fn) {
		size_t n = strcspn(fn, ",");
		if (!((n == 4 && !strncmp(fn, "news", 4)) || (n == 5 && !strncmp(fn, "daily", 5)) ||
		      (n == 8 && !strncmp(fn, "intraday", 8))))
			return herd_errf(err, errlen, "--function: '%.*s' is not one of: news, daily, intraday", (int)n, fn);
		fn += n;
		fn += *fn == ',';
	}
	if (f->o.bar) {
		size_t i;
		for (i = 0; i < sizeof bars / sizeof bars[0] && strcmp(bars[i], f->o.bar) != 0; i++)
			;
		if (i == sizeof bars / sizeof bars[0])
			return herd_errf(err, errlen, "--bar '%s' is not an Alpha Vantage interval (1min 5min 15min 30min 60min)",
					 f->o.bar);
	}
	if (f->o.replay)
		return 0; /* replays ask nothing: no credentials needed */
	if (!(key = http_secret_env("ALPHAVANTAGE_KEY")))
		return herd_errf(err, errlen, "ALPHAVANTAGE_KEY (or ALPHAVANTAGE_KEY_FILE) is not set: get a free key at "
					      "https://www.alphavantage.co/support/#api-key");
	f->priv = key;
	return 0;
}

static void av_cleanup(fetch_run *f)
{
	free(f->priv);
}

/* "Note": the per-minute throttle (wait, retry); "Information" about
 * limits: the day's quota (stop). Other messages are the parser's. */
static enum http_verdict av_classify(const json_t *body, double *wait, char *why, size_t whylen)
{
	const char *note = jx_str(body, "Note"), *info = jx_str(body, "Information");

	if (note) {
		snprintf(why, whylen, "Alpha Vantage throttled (Note: %.200s)", note);
		*wait = AV_MINUTE_WAIT;
		return HTTP_V_RETRY;
	}
	if (info && (strstr(info, "rate limit") || strstr(info, "per day") || strstr(info, "requests per"))) {
		snprintf(why, whylen, "Alpha Vantage's quota is spent (Information: %.200s)", info);
		return HTTP_V_LIMITED;
	}
	return HTTP_V_OK;
}

/* A series cut to the bars at or after min_t; *last is its newest bar. */
static json_t *cut_series(const json_t *v, int64_t min_t, int64_t *last)
{
	json_t *out = json_deep_copy(v), *series, *bar;
	const char *tz = json_string_value(by_suffix(json_object_get(v, "Meta Data"), "Time Zone"));
	char interval[16];
	const char *when;
	void *tmp;
	size_t kept = 0;

	*last = 0;
	series = series_of(out, interval, sizeof interval);
	json_object_foreach_safe(series, tmp, when, bar) {
		int64_t t;
		if (series_time(when, tz, &t) == 0 && t < min_t) {
			json_object_del(series, when);
			continue;
		}
		if (series_time(when, tz, &t) == 0 && t > *last)
			*last = t;
		kept++;
	}
	if (!kept) {
		json_decref(out);
		return NULL;
	}
	return out;
}

static int av_parse(fetch_run *f, const json_t *body, const fetch_query *q, fetch_page *pg, char *err,
		    size_t errlen)
{
	json_t *feed = json_object_get(body, "feed"), *a;
	const char *msg = av_message(body);
	char interval[16];
	size_t i;

	(void)f;
	if (json_is_array(feed)) {
		json_array_foreach(feed, i, a) {
			const char *url = jx_str(a, "url");
			char sha[SHA1_HEX_LEN];
			int64_t t;
			char why[256];
			if (!url || src_time(a, "time_published", &t, why, sizeof why) < 0)
				t = 0; /* kept: herd-normalize will say what is wrong with it */
			fetch_page_add(pg, json_incref(a), NULL, t, url ? sha1_hex(url, strlen(url), sha) : "", t);
		}
		return 0;
	}
	if (json_object_get(body, "Meta Data") && series_of(body, interval, sizeof interval)) {
		int64_t last;
		json_t *cut = cut_series(body, q->min_t, &last);
		const char *sym = json_string_value(by_suffix(json_object_get(body, "Meta Data"), "Symbol"));
		if (cut) {
			fetch_item *it = fetch_page_add(pg, cut, NULL, last, sym ? sym : "", last);
			if (!q->raw_query && sym)
				it->query = xstrdup(sym); /* a replay: the symbol the metadata says */
		}
		return 0;
	}
	snprintf(err, errlen, "not an Alpha Vantage news or series response%s%.200s%s", msg ? " (" : "", msg ? msg : "",
		 msg ? ")" : "");
	return -1;
}

static int av_page(fetch_run *f, const fetch_query *q, const char *next, fetch_page *pg)
{
	const char *key = f->priv;
	buf_t url = BUF_INIT;
	fetch_req req = {0};
	int rc;

	(void)next;
	buf_printf(&url, "%s/query?function=", fetch_base(f, f->src->base_url));
	if (strcmp(q->variant, "news") == 0) {
		int64_t from = q->stop && q->stop->ids ? q->stop->t : f->o.since;
		buf_puts(&url, "NEWS_SENTIMENT&");
		if (strncmp(q->query, "topic:", 6) == 0) {
			buf_puts(&url, "topics=");
			http_url_encode(&url, q->query + 6);
		} else {
			buf_puts(&url, "tickers=");
			http_url_encode(&url, q->query);
		}
		buf_puts(&url, "&sort=LATEST&limit=1000");
		if (from > 0) {
			char s[HTIME_LEN];
			htime_format(from, s);
			buf_printf(&url, "&time_from=%.4s%.2s%.2sT%.2s%.2s", s, s + 5, s + 8, s + 11, s + 14);
		}
	} else if (strcmp(q->variant, "daily") == 0) {
		buf_puts(&url, "TIME_SERIES_DAILY&outputsize=compact&symbol=");
		http_url_encode(&url, q->query);
	} else {
		buf_printf(&url, "TIME_SERIES_INTRADAY&interval=%s&outputsize=compact&symbol=", f->o.bar ? f->o.bar : "5min");
		http_url_encode(&url, q->query);
	}
	buf_puts(&url, "&apikey=");
	http_url_encode(&url, key);
	req.url = url.p;
	rc = fetch_get_page(f, q, &req, pg, NULL);
	buf_free(&url);
	return rc;
}

static const src_fetch av_fetch = {
	.base_url = "https://www.alphavantage.co",
	.ascending_variants = "daily,intraday",
	.budget = 25,
	.variants = av_variants,
	.setup = av_setup,
	.cleanup = av_cleanup,
	.page = av_page,
	.parse = av_parse,
	.classify = av_classify,
};

/* ================================================================ registry */

static const src_author_path av_author[] = {{"item", "authors", 1}, {0}};

const source source_alphavantage = {
	.name = "alphavantage",
	.claims = NULL,
	.normalize = av_normalize,
	.fetch = &av_fetch,
	.author = av_author,
};
