/*
 * stocktwits.c — StockTwits api/2: message objects, alone or in the
 * envelopes its endpoints return ({"messages":[…]} from streams/symbol,
 * streams/user, conversation; {"message":{…}} from messages/show and the
 * SemEval-2017 dumps that wrap it).
 *
 * The normalize section maps a message to a post: id stocktwits:<id>,
 * community = the stream's symbol (the envelope's "symbol", else the raw
 * record's query), author = user.username, engagement = likes.total and
 * conversation.replies, parent = the message it answers, and the
 * message's own "symbols" as entities (crypto's ".X" suffix dropped:
 * BTC.X → BTC).
 *
 * The fetch section reads /api/2/streams/symbol/SYM.json: 30 messages a
 * page, newest first, `since` (newer than an id) for what came after the
 * last run and `max` (older than or equal to an id) for the next page,
 * whose id the response's cursor.max gives while cursor.more is true. No
 * key is needed (STOCKTWITS_TOKEN, when set, is sent as access_token);
 * StockTwits allows about 200 requests an hour per address and tells what
 * is left in X-RateLimit-Remaining and when it resets (a Unix time) in
 * X-RateLimit-Reset.
 */
#include "sources.h"
#include "lib/htime.h"
#include "lib/jsonx.h"
#include "lib/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ================================================================ normalize */

static int stocktwits_message(const json_t *m, const void *ctx, const src_out *out, char *err, size_t errlen)
{
	const char *community = ctx;
	char idb[64], parentb[64], native[80];
	const char *id = src_id(m, "id", idb, sizeof idb), *user = jx_str(json_object_get(m, "user"), "username");
	json_t *conv = json_object_get(m, "conversation"), *symbols = json_object_get(m, "symbols"), *s;
	const char *parent = src_id(conv, "in_reply_to_message_id", parentb, sizeof parentb);
	long long likes = 0, replies = 0;
	size_t i;
	json_t *p;
	int64_t t;

	if (!json_is_object(m)) {
		snprintf(err, errlen, "a StockTwits message is %s, not an object", jx_type_name(m));
		return -1;
	}
	if (!id) {
		snprintf(err, errlen, "no 'id'");
		return -1;
	}
	if (src_time(m, "created_at", &t, err, errlen) < 0)
		return -1;
	p = post_new("stocktwits", "message");
	post_set_id(p, "stocktwits", id);
	post_set_str(p, "community", community);
	post_set_time(p, t);
	post_set_str(p, "author", user);
	post_set_text(p, "text", json_object_get(m, "body"));
	if (user) {
		char url[512];
		snprintf(url, sizeof url, "https://stocktwits.com/%s/message/%s", user, id);
		post_set_str(p, "url", url);
	}
	jx_int(json_object_get(m, "likes"), "total", &likes);
	jx_int(conv, "replies", &replies);
	post_set_engagement(p, likes, replies);
	json_array_foreach(symbols, i, s) {
		const char *sym = jx_str(s, "symbol");
		char buf[32];
		size_t n;
		if (!sym || (n = strlen(sym)) >= sizeof buf)
			continue;
		memcpy(buf, sym, n + 1);
		if (n > 2 && strcmp(buf + n - 2, ".X") == 0)
			buf[n - 2] = '\0';
		post_add_entity(p, buf);
	}
	if (parent && strcmp(parent, id) != 0) {
		snprintf(native, sizeof native, "stocktwits:%s", parent);
		post_set_str(p, "parent", native);
	}
	out->post(out->arg, p);
	return 0;
}

static int stocktwits_normalize(const json_t *v, const src_meta *meta, const src_out *out, char *err, size_t errlen)
{
	json_t *messages = json_object_get(v, "messages");
	const char *community = jx_str(jx_path(v, "symbol"), "symbol");

	if (!json_is_object(v)) {
		snprintf(err, errlen, "a StockTwits item is %s, not an object", jx_type_name(v));
		return -1;
	}
	if (!community && meta)
		community = meta->query;
	if (json_is_array(messages)) {
		src_each(messages, stocktwits_message, community, out);
		return 0;
	}
	if (json_object_get(v, "body"))
		return stocktwits_message(v, community, out, err, errlen);
	if (json_is_object(json_object_get(v, "message")))
		return stocktwits_message(json_object_get(v, "message"), community, out, err, errlen);
	if (json_is_object(json_object_get(v, "response"))) {
		long long status = 0;
		const char *why = jx_str(json_array_get(json_object_get(v, "errors"), 0), "message");
		jx_int(json_object_get(v, "response"), "status", &status);
		snprintf(err, errlen, "a StockTwits response without a message (status %lld%s%s)", status,
			 why ? ": " : "", why ? why : "");
		return -1;
	}
	return stocktwits_message(v, community, out, err, errlen);
}

/* ================================================================ fetch */

static int stocktwits_setup(fetch_run *f, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	f->priv = http_secret_env("STOCKTWITS_TOKEN"); /* optional */
	return 0;
}

static void stocktwits_cleanup(fetch_run *f)
{
	free(f->priv);
}

static int stocktwits_parse(fetch_run *f, const json_t *body, const fetch_query *q, fetch_page *pg, char *err,
			    size_t errlen)
{
	json_t *messages = json_object_get(body, "messages"), *m, *cursor = json_object_get(body, "cursor");
	const char *sym = jx_str(json_object_get(body, "symbol"), "symbol");
	char nb[32];
	size_t i;

	(void)f;
	if (!json_is_array(messages)) {
		char api[256];
		fetch_api_error(body, api, sizeof api);
		snprintf(err, errlen, "not a StockTwits stream (%s)", api[0] ? api : "no 'messages'");
		return -1;
	}
	json_array_foreach(messages, i, m) {
		char idb[32];
		const char *id = src_id(m, "id", idb, sizeof idb);
		int64_t t = 0;
		fetch_item *it;
		if (!id)
			continue;
		htime_from_json(json_object_get(m, "created_at"), &t);
		it = fetch_page_add(pg, json_incref(m), NULL, strtoll(id, NULL, 10), id, t);
		if (!q->raw_query && sym)
			it->query = xstrdup(sym);
	}
	if (jx_bool(cursor, "more") && src_id(cursor, "max", nb, sizeof nb))
		fetch_page_set_next(pg, nb);
	return 0;
}

static int stocktwits_page(fetch_run *f, const fetch_query *q, const char *next, fetch_page *pg)
{
	const char *token = f->priv;
	buf_t url = BUF_INIT;
	fetch_req req = {0};
	char sep = '?';
	int rc;

	buf_printf(&url, "%s/api/2/streams/symbol/", fetch_base(f, f->src->base_url));
	http_url_encode(&url, q->query);
	buf_puts(&url, ".json");
	if (q->stop && q->stop->ids) {
		buf_printf(&url, "%csince=%lld", sep, (long long)q->stop->t);
		sep = '&';
	}
	if (next) {
		buf_printf(&url, "%cmax=", sep);
		http_url_encode(&url, next);
		sep = '&';
	}
	if (token) {
		buf_printf(&url, "%caccess_token=", sep);
		http_url_encode(&url, token);
	}
	req.url = url.p;
	rc = fetch_get_page(f, q, &req, pg, NULL);
	buf_free(&url);
	return rc;
}

static double stocktwits_pace(const http_response *r, char *why, size_t whylen)
{
	return fetch_pace_headers(r, "x-ratelimit-remaining", "x-ratelimit-reset", 1, why, whylen);
}

static const src_fetch stocktwits_fetch = {
	.base_url = "https://api.stocktwits.com",
	.setup = stocktwits_setup,
	.cleanup = stocktwits_cleanup,
	.page = stocktwits_page,
	.parse = stocktwits_parse,
	.pace = stocktwits_pace,
};

/* ================================================================ registry */

static const src_author_path stocktwits_author[] = {{"item", "user.username", 0}, {0}};

const source source_stocktwits = {
	.name = "stocktwits",
	.claims = NULL,
	.normalize = stocktwits_normalize,
	.fetch = &stocktwits_fetch,
	.author = stocktwits_author,
};
