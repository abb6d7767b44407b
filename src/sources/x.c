/*
 * x.c — X (Twitter) API v2 tweets, alone or in the {"data":[…] or {…},
 * "includes":{"users":[…]},"meta":…} envelope its endpoints return, with
 * or without the created_at / author_id / public_metrics fields and the
 * author expansion; v1.1 status objects (id_str, user.screen_name) too.
 *
 * The normalize section maps a tweet to a post: id x:<id>, created_at
 * from created_at or, when the request did not ask for it, from the id
 * itself (ids since November 2010 are snowflakes: milliseconds since the
 * Twitter epoch << 22), author = the username from includes.users (the
 * envelope's or the raw record's) or else the author_id, the tweet's own
 * cashtags as entities, parent = the tweet it replies to, lang when it is
 * an ISO 639-1 code.
 *
 * The fetch section reads API v2 recent search (/2/tweets/search/recent,
 * the last 7 days) with the app's bearer token (X_BEARER_TOKEN): 100 tweets
 * a page, newest first, `next_token` for the next page, `since_id` for what
 * came after the last run, the author expanded (expansions=author_id,
 * user.fields=username) and created_at, public_metrics, lang, entities,
 * referenced_tweets asked for. Each raw record carries the author in its
 * own "includes" ({"users":[…]}). Limits depend on the plan (Basic: 60
 * requests per 15 minutes per app); x-rate-limit-remaining and
 * x-rate-limit-reset (a Unix time) say what is left and when it resets.
 */
#include "sources.h"
#include "lib/htime.h"
#include "lib/jsonx.h"
#include "lib/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ================================================================ normalize */

#define TWEPOCH_MS 1288834974657LL      /* the snowflake epoch, 2010-11-04T01:42:54.657Z */
#define FIRST_SNOWFLAKE 29700859247LL   /* the oldest tweet id that is a snowflake */

/* The username of user id in includes.users, or NULL. */
static const char *lookup_user(const json_t *includes, const char *id)
{
	json_t *users = json_object_get(includes, "users"), *u;
	size_t i;

	json_array_foreach(users, i, u) {
		char b[32];
		const char *uid = src_id(u, "id", b, sizeof b);
		if (uid && strcmp(uid, id) == 0)
			return jx_str(u, "username");
	}
	return NULL;
}

/* created_at, else the time inside a snowflake id. */
static int tweet_time(const json_t *tw, const char *id, int64_t *t, char *err, size_t errlen)
{
	long long n;
	char *end;

	if (json_object_get(tw, "created_at"))
		return src_time(tw, "created_at", t, err, errlen);
	n = strtoll(id, &end, 10);
	if (*end != '\0' || n < FIRST_SNOWFLAKE) {
		snprintf(err, errlen, "no 'created_at', and id %s is not a snowflake that holds the time", id);
		return -1;
	}
	*t = ((n >> 22) + TWEPOCH_MS) / 1000;
	return 0;
}

static int x_tweet(const json_t *tw, const void *ctx, const src_out *out, char *err, size_t errlen)
{
	const json_t *includes = ctx;
	char idb[32], authb[32], ridb[32], parentb[96], url[256];
	const char *id = src_id(tw, "id_str", idb, sizeof idb);
	const char *author_id, *rid, *user = NULL, *lang = jx_str(tw, "lang");
	json_t *metrics, *refs, *r, *tags, *text;
	long long likes = 0, replies = 0;
	int v1 = id != NULL;
	size_t i;
	json_t *p;
	int64_t t;

	if (!json_is_object(tw)) {
		snprintf(err, errlen, "a tweet is %s, not an object", jx_type_name(tw));
		return -1;
	}
	if (!id)
		id = src_id(tw, "id", idb, sizeof idb);
	if (!id) {
		snprintf(err, errlen, "no 'id' (not a tweet)");
		return -1;
	}
	if (tweet_time(tw, id, &t, err, errlen) < 0)
		return -1;
	p = post_new("x", "tweet");
	post_set_id(p, "x", id);
	post_set_time(p, t);
	if (v1) { /* v1.1: the user is inline */
		user = jx_str(json_object_get(tw, "user"), "screen_name");
		post_set_str(p, "author", user);
		jx_int(tw, "favorite_count", &likes);
		jx_int(tw, "reply_count", &replies);
		text = json_object_get(tw, json_object_get(tw, "full_text") ? "full_text" : "text");
		tags = json_object_get(json_object_get(tw, "entities"), "symbols");
		json_array_foreach(tags, i, r)
			post_add_entity(p, jx_str(r, "text"));
		if ((rid = src_id(tw, "in_reply_to_status_id_str", ridb, sizeof ridb))) {
			snprintf(parentb, sizeof parentb, "x:%s", rid);
			post_set_str(p, "parent", parentb);
		}
	} else {
		author_id = src_id(tw, "author_id", authb, sizeof authb);
		if (author_id)
			user = lookup_user(includes, author_id);
		post_set_str(p, "author", user ? user : author_id);
		metrics = json_object_get(tw, "public_metrics");
		jx_int(metrics, "like_count", &likes);
		jx_int(metrics, "reply_count", &replies);
		text = jx_path(tw, "note_tweet.text"); /* the whole text of a long tweet */
		if (!json_is_string(text))
			text = json_object_get(tw, "text");
		tags = jx_path(tw, "entities.cashtags");
		json_array_foreach(tags, i, r)
			post_add_entity(p, jx_str(r, "tag"));
		refs = json_object_get(tw, "referenced_tweets");
		json_array_foreach(refs, i, r) {
			const char *type = jx_str(r, "type");
			rid = src_id(r, "id", ridb, sizeof ridb);
			if (type && rid && strcmp(type, "replied_to") == 0) {
				snprintf(parentb, sizeof parentb, "x:%s", rid);
				post_set_str(p, "parent", parentb);
				break;
			}
		}
	}
	post_set_text(p, "text", text);
	if (user)
		snprintf(url, sizeof url, "https://x.com/%s/status/%s", user, id);
	else
		snprintf(url, sizeof url, "https://x.com/i/web/status/%s", id);
	post_set_str(p, "url", url);
	post_set_engagement(p, likes, replies);
	if (lang && strlen(lang) == 2)
		post_set_str(p, "lang", lang);
	out->post(out->arg, p);
	return 0;
}

static int x_normalize(const json_t *v, const src_meta *meta, const src_out *out, char *err, size_t errlen)
{
	json_t *data = json_object_get(v, "data"), *includes = json_object_get(v, "includes");

	if (!json_is_object(v)) {
		snprintf(err, errlen, "a tweet is %s, not an object", jx_type_name(v));
		return -1;
	}
	if (!json_is_object(includes))
		includes = meta ? (json_t *)meta->includes : NULL;
	if (json_is_array(data)) {
		src_each(data, x_tweet, includes, out);
		return 0;
	}
	if (json_is_object(data))
		return x_tweet(data, includes, out, err, errlen);
	if (!json_object_get(v, "id") && !json_object_get(v, "id_str") && json_is_array(json_object_get(v, "errors"))) {
		json_t *e = json_array_get(json_object_get(v, "errors"), 0);
		const char *d = jx_str(e, "detail");
		snprintf(err, errlen, "an X error response (%s)", d ? d : jx_str(e, "title") ? jx_str(e, "title") : "?");
		return -1;
	}
	return x_tweet(v, includes, out, err, errlen);
}

/* ================================================================ fetch */

#define TWEET_FIELDS "created_at,public_metrics,lang,entities,referenced_tweets,author_id,note_tweet"

static int x_setup(fetch_run *f, char *err, size_t errlen)
{
	if (f->o.replay)
		return 0; /* replays ask nothing: no credentials needed */
	if (!(f->priv = http_secret_env("X_BEARER_TOKEN")))
		return herd_errf(err, errlen, "X_BEARER_TOKEN (or X_BEARER_TOKEN_FILE) is not set: the app's bearer token "
					      "from https://developer.x.com");
	return 0;
}

static void x_cleanup(fetch_run *f)
{
	free(f->priv);
}

/* {"users":[the author]} from a response's includes, or NULL. */
static json_t *author_includes(const json_t *includes, const json_t *tweet)
{
	char b[32], ub[32];
	const char *aid = src_id(tweet, "author_id", b, sizeof b);
	json_t *users = json_object_get(includes, "users"), *u;
	size_t i;

	json_array_foreach(users, i, u) {
		const char *uid = src_id(u, "id", ub, sizeof ub);
		if (aid && uid && strcmp(aid, uid) == 0)
			return json_pack("{s:[O]}", "users", u);
	}
	return NULL;
}

static int x_parse(fetch_run *f, const json_t *body, const fetch_query *q, fetch_page *pg, char *err, size_t errlen)
{
	json_t *data = json_object_get(body, "data"), *tw, *includes = json_object_get(body, "includes");
	size_t i;

	(void)f;
	(void)q;
	if (!json_is_array(data) && !json_is_object(json_object_get(body, "meta"))) {
		char api[256];
		fetch_api_error(body, api, sizeof api);
		snprintf(err, errlen, "not an X search response (%s)", api[0] ? api : "no 'data' or 'meta'");
		return -1;
	}
	json_array_foreach(data, i, tw) {
		char idb[32];
		const char *id = src_id(tw, "id", idb, sizeof idb);
		int64_t t = 0;
		if (!id)
			continue;
		if (json_object_get(tw, "created_at"))
			htime_from_json(json_object_get(tw, "created_at"), &t);
		fetch_page_add(pg, json_incref(tw), author_includes(includes, tw), strtoll(id, NULL, 10), id, t);
	}
	fetch_page_set_next(pg, jx_str(json_object_get(body, "meta"), "next_token"));
	return 0;
}

static int x_page(fetch_run *f, const fetch_query *q, const char *next, fetch_page *pg)
{
	buf_t url = BUF_INIT, auth = BUF_INIT;
	fetch_req req = {0};
	long status;
	int rc;

	buf_printf(&url, "%s/2/tweets/search/recent?query=", fetch_base(f, f->src->base_url));
	http_url_encode(&url, q->query);
	buf_puts(&url, "&max_results=100&expansions=author_id&user.fields=username&tweet.fields=" TWEET_FIELDS);
	if (q->stop && q->stop->ids) {
		buf_printf(&url, "&since_id=%lld", (long long)q->stop->t);
	} else if (f->o.since) {
		char s[HTIME_LEN];
		buf_printf(&url, "&start_time=%s", htime_format(f->o.since, s));
	}
	if (next) {
		buf_puts(&url, "&next_token=");
		http_url_encode(&url, next);
	}
	buf_printf(&auth, "Authorization: Bearer %s", (const char *)f->priv);
	req.url = url.p;
	req.headers[0] = auth.p;
	rc = fetch_get_page(f, q, &req, pg, &status);
	if (rc == FETCH_ERR && status == 401)
		fetch_err_hint(f, " (check X_BEARER_TOKEN)");
	buf_free(&url);
	buf_free(&auth);
	return rc;
}

static double x_pace(const http_response *r, char *why, size_t whylen)
{
	return fetch_pace_headers(r, "x-rate-limit-remaining", "x-rate-limit-reset", 1, why, whylen);
}

static const src_fetch x_fetch = {
	.base_url = "https://api.x.com",
	.setup = x_setup,
	.cleanup = x_cleanup,
	.page = x_page,
	.parse = x_parse,
	.pace = x_pace,
};

/* ================================================================ registry */

/* The username herd-fetch put in the record's includes (the author
 * expansion), a v1.1 tweet's own user, else the author_id. */
static const src_author_path x_author[] = {
	{"includes", "users.0.username", 0}, {"item", "user.screen_name", 0}, {"item", "author_id", 0}, {0}};

const source source_x = {
	.name = "x",
	.claims = NULL,
	.normalize = x_normalize,
	.fetch = &x_fetch,
	.author = x_author,
};
