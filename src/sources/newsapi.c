/*
 * newsapi.c — NewsAPI (/v2/everything, /v2/top-headlines): articles, alone
 * or in the {"status":"ok","articles":[…]} envelope; an error envelope
 * ({"status":"error","code":…,"message":…}) is reported as such.
 *
 * The normalize section maps an article to a post: id newsapi:<SHA-1 of
 * the url> (articles have no id of their own, and the url is what stays
 * the same when the same story is fetched twice), community = the outlet
 * (source.name), title, text = description (or the content snippet, its
 * "… [+1234 chars]" marker removed, when there is no description),
 * created_at = publishedAt.
 *
 * The fetch section asks /v2/everything?q=QUERY&sortBy=publishedAt (newest
 * first, 100 articles a page, page=N) from the last article seen (`from`,
 * inclusive; the articles of that second already written are skipped) with
 * the key in the X-Api-Key header (NEWSAPI_KEY). The free (Developer) plan
 * allows 100 requests a day (the default --budget), 100 results per query
 * in all (--max-results; a 426 "maximumResultsReached" ends the paging
 * quietly), articles from the last month, delayed a day; a 429
 * "rateLimited" means the day's quota is spent.
 */
#include "sources.h"
#include "lib/htime.h"
#include "lib/jsonx.h"
#include "lib/log.h"
#include "lib/sha1.h"
#include "lib/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ================================================================ normalize */

/* The length of content without its trailing "… [+N chars]" marker. */
static size_t content_len(const char *s, size_t n)
{
	size_t i = n;

	if (n < 10 || s[n - 1] != ']' || memcmp(s + n - 7, " chars]", 7) != 0)
		return n;
	i = n - 7;
	while (i > 0 && s[i - 1] >= '0' && s[i - 1] <= '9')
		i--;
	if (i < 3 || memcmp(s + i - 3, " [+", 3) != 0)
		return n;
	i -= 3;
	if (i >= 3 && memcmp(s + i - 3, "\xe2\x80\xa6", 3) == 0) /* the "…" before it */
		i -= 3;
	return i;
}

static int newsapi_article(const json_t *a, const void *ctx, const src_out *out, char *err, size_t errlen)
{
	const char *url = jx_str(a, "url"), *author = jx_str(a, "author");
	json_t *source = json_object_get(a, "source"), *desc = json_object_get(a, "description");
	const char *outlet = jx_str(source, "name");
	char sha[SHA1_HEX_LEN];
	json_t *p;
	int64_t t;

	if (!json_is_object(a)) {
		snprintf(err, errlen, "a NewsAPI article is %s, not an object", jx_type_name(a));
		return -1;
	}
	if (!url || !*url) {
		snprintf(err, errlen, "no 'url' (the article's id is made from it)");
		return -1;
	}
	if (src_time(a, "publishedAt", &t, err, errlen) < 0)
		return -1;
	p = post_new("newsapi", "article");
	post_set_id(p, "newsapi", sha1_hex(url, strlen(url), sha));
	post_set_str(p, "community", outlet ? outlet : jx_str(source, "id"));
	post_set_time(p, t);
	post_set_str(p, "author", author && *author ? author : NULL);
	post_set_text(p, "title", json_object_get(a, "title"));
	if (json_is_string(desc) && json_string_length(desc) > 0 && strcmp(json_string_value(desc), "[Removed]") != 0) {
		post_set_text(p, "text", desc);
	} else {
		json_t *c = json_object_get(a, "content");
		if (json_is_string(c)) {
			json_t *cut = json_stringn(json_string_value(c),
						   content_len(json_string_value(c), json_string_length(c)));
			post_set_text(p, "text", cut);
			json_decref(cut);
		}
	}
	post_set_str(p, "url", url);
	out->post(out->arg, p);
	return 0;
}

static int newsapi_normalize(const json_t *v, const src_meta *meta, const src_out *out, char *err, size_t errlen)
{
	json_t *articles = json_object_get(v, "articles");
	const char *status = jx_str(v, "status");

	(void)meta;
	if (!json_is_object(v)) {
		snprintf(err, errlen, "a NewsAPI item is %s, not an object", jx_type_name(v));
		return -1;
	}
	if (status && strcmp(status, "error") == 0) {
		const char *code = jx_str(v, "code"), *msg = jx_str(v, "message");
		snprintf(err, errlen, "a NewsAPI error response (%s: %s)", code ? code : "?", msg ? msg : "no message");
		return -1;
	}
	if (json_is_array(articles)) {
		src_each(articles, newsapi_article, NULL, out);
		return 0;
	}
	return newsapi_article(v, NULL, out, err, errlen);
}

/* ================================================================ fetch */

#define PAGE_SIZE 100
#define FREE_RESULTS 100            /* the Developer plan's cap on results per query */
#define RATE_LIMITED_WAIT (12 * 3600) /* "50 requests available every 12 hours" */

static int newsapi_setup(fetch_run *f, char *err, size_t errlen)
{
	if (f->o.replay)
		return 0; /* replays ask nothing: no credentials needed */
	if (!(f->priv = http_secret_env("NEWSAPI_KEY")))
		return herd_errf(err, errlen, "NEWSAPI_KEY (or NEWSAPI_KEY_FILE) is not set: get a key at "
					      "https://newsapi.org/register");
	return 0;
}

static void newsapi_cleanup(fetch_run *f)
{
	free(f->priv);
}

static int newsapi_parse(fetch_run *f, const json_t *body, const fetch_query *q, fetch_page *pg, char *err,
			 size_t errlen)
{
	json_t *articles = json_object_get(body, "articles"), *a;
	long long total = 0;
	long cap = f->o.max_results > 0 ? f->o.max_results : FREE_RESULTS, page;
	size_t i;

	if (!json_is_array(articles)) {
		char api[256];
		fetch_api_error(body, api, sizeof api);
		snprintf(err, errlen, "not a NewsAPI response (%s)", api[0] ? api : "no 'articles'");
		return -1;
	}
	json_array_foreach(articles, i, a) {
		const char *url = jx_str(a, "url");
		char sha[SHA1_HEX_LEN];
		int64_t t = 0;
		if (!url)
			continue;
		htime_from_json(json_object_get(a, "publishedAt"), &t);
		fetch_page_add(pg, json_incref(a), NULL, t, sha1_hex(url, strlen(url), sha), t);
	}
	jx_int(body, "totalResults", &total);
	/* The API page this body answers: the token it was asked with (a
	 * resumed run starts at page p, not 1), never the page count of this
	 * run. */
	page = q->asked ? atol(q->asked) : 1;
	if (page > 0 && page * PAGE_SIZE < total && page * PAGE_SIZE < cap && json_array_size(articles) > 0) {
		char nb[24];
		snprintf(nb, sizeof nb, "%ld", page + 1);
		fetch_page_set_next(pg, nb);
	} else if (q->key && page * PAGE_SIZE < total) {
		http_log(LOG_INFO, "newsapi %s: %lld results, %ld fetched at most (--max-results; the free plan stops at %d)",
			 q->key, total, cap, FREE_RESULTS);
	}
	return 0;
}

static int newsapi_page(fetch_run *f, const fetch_query *q, const char *next, fetch_page *pg)
{
	buf_t url = BUF_INIT, key = BUF_INIT;
	int page = next ? atoi(next) : 1;
	int64_t from = q->stop && q->stop->ids ? q->stop->t : f->o.since;
	fetch_req req = {0};
	json_t *body;
	long status;
	int rc;

	buf_printf(&url, "%s/v2/everything?q=", fetch_base(f, f->src->base_url));
	http_url_encode(&url, q->query);
	buf_printf(&url, "&sortBy=publishedAt&pageSize=%d&page=%d", PAGE_SIZE, page);
	if (from > 0) {
		char s[HTIME_LEN];
		buf_printf(&url, "&from=%s", htime_format(from, s));
	}
	if (f->o.lang) {
		buf_puts(&url, "&language=");
		http_url_encode(&url, f->o.lang);
	}
	buf_printf(&key, "X-Api-Key: %s", (const char *)f->priv);
	req.url = url.p;
	req.headers[0] = key.p;
	rc = fetch_get(f, &req, &body, &status);
	if (rc == FETCH_ERR && status == 426 && jx_str(body, "code") &&
	    strcmp(jx_str(body, "code"), "maximumResultsReached") == 0) {
		http_log(LOG_INFO, "newsapi %s: the plan's results for this query end at page %d", q->key, page - 1);
		rc = FETCH_OK; /* the end of what the plan lets us page through */
	} else if (rc == FETCH_OK) {
		rc = fetch_parse(f, q, body, pg);
	}
	json_decref(body);
	buf_free(&url);
	buf_free(&key);
	return rc;
}

/* A 429 without Retry-After is the day's quota: wait it out (which is
 * more than --max-wait, so the run stops). */
static double newsapi_pace(const http_response *r, char *why, size_t whylen)
{
	if (r->status != 429)
		return 0;
	snprintf(why, whylen, "NewsAPI rateLimited: the plan's requests are spent for now");
	return RATE_LIMITED_WAIT;
}

static const src_fetch newsapi_fetch = {
	.base_url = "https://newsapi.org",
	.budget = 100,
	.setup = newsapi_setup,
	.cleanup = newsapi_cleanup,
	.page = newsapi_page,
	.parse = newsapi_parse,
	.pace = newsapi_pace,
};

/* ================================================================ registry */

static const src_author_path newsapi_author[] = {{"item", "author", 0}, {0}};

const source source_newsapi = {
	.name = "newsapi",
	.claims = NULL,
	.normalize = newsapi_normalize,
	.fetch = &newsapi_fetch,
	.author = newsapi_author,
};
