/*
 * reddit.c — Reddit: comments (t1) and submissions (t3), as the Reddit API
 * returns them (Listings of {"kind":"t1","data":{…}} things, replies nested
 * as Listings) and as Pushshift dumps give them (the bare data objects).
 *
 * The normalize section maps them to posts: id reddit:t1_<id> or
 * reddit:t3_<id>, community = subreddit, created_at from created_utc (an
 * integer, a real or a string in the wild), "[deleted]"/"[removed]" texts
 * and authors to ""/null, parent = reddit:<parent_id>.
 *
 * The fetch section reads /r/SUB/new (submissions) and /r/SUB/comments
 * through OAuth2 with an application-only token (client credentials:
 * REDDIT_CLIENT_ID, REDDIT_CLIENT_SECRET of a "script" or "web" app), kept
 * in the state file until a minute before it expires and renewed once when
 * a request says 401. Listings come newest first, 100 things a page, paged
 * with `after` (a thing's fullname) down to the last thing seen (ids are
 * base-36 counters, so the id orders them). Reddit allows 100 requests a
 * minute per client and says how many are left in X-Ratelimit-Remaining and
 * when the window resets in X-Ratelimit-Reset (seconds from now); a listing
 * goes back 1000 things at most.
 */
#include "sources.h"
#include "lib/htime.h"
#include "lib/jsonx.h"
#include "lib/log.h"
#include "lib/util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ================================================================ normalize */

#define MAX_DEPTH 64 /* nested replies deeper than this are not followed */

static int reddit_value(const json_t *v, const src_out *out, char *err, size_t errlen, int depth);

/* The number of comments in a replies Listing (0 for "" or absent). */
static long long count_replies(const json_t *replies)
{
	json_t *children = jx_path(replies, "data.children"), *c;
	long long n = 0;
	size_t i;

	json_array_foreach(children, i, c) {
		const char *k = jx_str(c, "kind");
		n += k && strcmp(k, "t1") == 0;
	}
	return n;
}

/* One comment or submission (the data object); type is "t1" or "t3". */
static int reddit_thing(const json_t *d, const char *type, const src_out *out, char *err, size_t errlen, int depth)
{
	int is_comment = strcmp(type, "t1") == 0;
	char idb[64], native[80], parent[96];
	const char *id = src_id(d, "id", idb, sizeof idb), *name = jx_str(d, "name");
	const char *author = jx_str(d, "author"), *permalink = jx_str(d, "permalink");
	const char *parent_id = jx_str(d, "parent_id");
	long long score = 0, replies = 0;
	json_t *p, *r;
	int64_t t;

	if (!json_is_object(d)) {
		snprintf(err, errlen, "a reddit %s's data is %s, not an object", type, jx_type_name(d));
		return -1;
	}
	if (!id && name && strncmp(name, type, 2) == 0 && name[2] == '_' && name[3])
		id = name + 3;
	if (!id) {
		snprintf(err, errlen, "no 'id'");
		return -1;
	}
	if (src_time(d, "created_utc", &t, err, errlen) < 0)
		return -1;
	p = post_new("reddit", is_comment ? "comment" : "submission");
	snprintf(native, sizeof native, "%s_%s", type, id);
	post_set_id(p, "reddit", native);
	post_set_str(p, "community", jx_str(d, "subreddit"));
	post_set_time(p, t);
	if (author && strcmp(author, "[deleted]") != 0 && strcmp(author, "[removed]") != 0)
		post_set_str(p, "author", author);
	if (!is_comment)
		post_set_text(p, "title", json_object_get(d, "title"));
	post_set_text(p, "text", json_object_get(d, is_comment ? "body" : "selftext"));
	if (permalink && permalink[0] == '/') {
		char url[1024];
		snprintf(url, sizeof url, "https://www.reddit.com%s", permalink);
		post_set_str(p, "url", url);
	} else if (permalink && strncmp(permalink, "http", 4) == 0) {
		post_set_str(p, "url", permalink);
	}
	jx_int(d, "score", &score);
	r = json_object_get(d, "replies");
	if (is_comment)
		replies = count_replies(r);
	else
		jx_int(d, "num_comments", &replies);
	post_set_engagement(p, score, replies);
	if (is_comment && parent_id && (strncmp(parent_id, "t1_", 3) == 0 || strncmp(parent_id, "t3_", 3) == 0)) {
		snprintf(parent, sizeof parent, "reddit:%s", parent_id);
		post_set_str(p, "parent", parent);
	}
	out->post(out->arg, p);
	/* Replies nested in an API comment tree are posts too. */
	if (is_comment && json_is_object(r) && depth < MAX_DEPTH) {
		char why[512];
		if (reddit_value(r, out, why, sizeof why, depth + 1) < 0)
			out->bad_item(out->arg, r, 0, why);
	}
	return 0;
}

static int reddit_child(const json_t *v, const void *ctx, const src_out *out, char *err, size_t errlen)
{
	return reddit_value(v, out, err, errlen, *(const int *)ctx);
}

/* Each child of a Listing; a bad child is reported and the rest go on. */
static int reddit_listing(const json_t *v, const src_out *out, char *err, size_t errlen, int depth)
{
	json_t *children = jx_path(v, "data.children");

	if (!json_is_array(children)) {
		snprintf(err, errlen, "a Listing without data.children");
		return -1;
	}
	src_each(children, reddit_child, &depth, out);
	return 0;
}

static int reddit_value(const json_t *v, const src_out *out, char *err, size_t errlen, int depth)
{
	const char *kind = jx_str(v, "kind");

	if (!json_is_object(v)) {
		snprintf(err, errlen, "a reddit item is %s, not an object", jx_type_name(v));
		return -1;
	}
	if (kind) {
		if (strcmp(kind, "Listing") == 0)
			return reddit_listing(v, out, err, errlen, depth);
		if (strcmp(kind, "t1") == 0 || strcmp(kind, "t3") == 0)
			return reddit_thing(json_object_get(v, "data"), kind, out, err, errlen, depth);
		if (strcmp(kind, "more") == 0)
			return 0; /* "load more comments": ids only, nothing to say */
		snprintf(err, errlen, "a reddit '%s' is not a comment (t1) or a submission (t3)", kind);
		return -1;
	}
	/* Pushshift and other dumps: the bare data object. */
	if (json_object_get(v, "body"))
		return reddit_thing(v, "t1", out, err, errlen, depth);
	if (json_object_get(v, "title") || json_object_get(v, "selftext"))
		return reddit_thing(v, "t3", out, err, errlen, depth);
	snprintf(err, errlen, "neither a comment (no 'body') nor a submission (no 'title')");
	return -1;
}

static int reddit_normalize(const json_t *v, const src_meta *meta, const src_out *out, char *err, size_t errlen)
{
	(void)meta;
	return reddit_value(v, out, err, errlen, 0);
}

static int reddit_claims(const json_t *rec)
{
	const char *kind = jx_str(rec, "kind");

	return kind && (strcmp(kind, "t1") == 0 || strcmp(kind, "t3") == 0 || strcmp(kind, "Listing") == 0 ||
			strcmp(kind, "more") == 0);
}

/* ================================================================ fetch */

#define TOKEN_MARGIN 60 /* renew a token this many seconds before it expires */
#define TOKEN_URL "https://www.reddit.com/api/v1/access_token"

typedef struct reddit_priv {
	char *userpwd; /* "id:secret" for the token endpoint */
	char *token;   /* the bearer token, or NULL */
	int64_t expires;
} reddit_priv;

static const char *reddit_variants(const fetch_run *f)
{
	return f->o.listing ? f->o.listing : "new,comments";
}

static int reddit_setup(fetch_run *f, char *err, size_t errlen)
{
	const char *l = reddit_variants(f);
	char *id, *secret, *cached;
	reddit_priv *r;

	while (*l) {
		size_t n = strcspn(l, ",");
		if (!((n == 3 && !strncmp(l, "new", 3)) || (n == 8 && !strncmp(l, "comments", 8))))
			return herd_errf(err, errlen, "--listing: '%.*s' is not one of: new, comments", (int)n, l);
		l += n;
		l += *l == ',';
	}
	if (f->o.replay)
		return 0; /* replays ask nothing: no credentials needed */
	id = http_secret_env("REDDIT_CLIENT_ID");
	secret = http_secret_env("REDDIT_CLIENT_SECRET");
	if (!id || !secret) {
		free(id);
		free(secret);
		return herd_errf(err, errlen, "REDDIT_CLIENT_ID and REDDIT_CLIENT_SECRET (or their _FILE forms) must be "
					      "set: create an app at https://www.reddit.com/prefs/apps");
	}
	r = xcalloc(1, sizeof *r);
	r->userpwd = xmalloc(strlen(id) + strlen(secret) + 2);
	sprintf(r->userpwd, "%s:%s", id, secret);
	http_secret_add(r->userpwd);
	free(id);
	free(secret);
	if (f->state && (cached = fetch_state_kv_get(f->state, "reddit.token"))) {
		json_t *v = json_loads(cached, 0, NULL);
		long long exp;
		if (jx_str(v, "access_token") && jx_int(v, "expires_at", &exp)) {
			r->token = xstrdup(jx_str(v, "access_token"));
			r->expires = exp;
			http_secret_add(r->token);
		}
		json_decref(v);
		free(cached);
	}
	f->priv = r;
	return 0;
}

static void reddit_cleanup(fetch_run *f)
{
	reddit_priv *r = f->priv;

	if (!r)
		return;
	free(r->userpwd);
	free(r->token);
	free(r);
}

/* A token valid for a while yet, asked for when there is none (or when
 * force says the one we have was refused). */
static int reddit_token(fetch_run *f, int force)
{
	reddit_priv *r = f->priv;
	fetch_req req = {0};
	buf_t url = BUF_INIT;
	json_t *body, *v;
	long long ttl;
	long status;
	int rc;

	if (!force && r->token && r->expires - TOKEN_MARGIN > fetch_now(f))
		return FETCH_OK;
	if (f->o.base_url)
		buf_printf(&url, "%s/api/v1/access_token", fetch_base(f, NULL));
	else
		buf_puts(&url, TOKEN_URL);
	req.method = "POST";
	req.url = url.p;
	req.body = "grant_type=client_credentials";
	req.userpwd = r->userpwd;
	rc = fetch_get(f, &req, &body, &status);
	buf_free(&url);
	if (rc == FETCH_ERR && (status == 401 || status == 403)) {
		snprintf(f->err, sizeof f->err, "reddit: the token endpoint refused the app's credentials (HTTP %ld): check "
						"REDDIT_CLIENT_ID and REDDIT_CLIENT_SECRET", status);
		json_decref(body);
		return FETCH_STOP;
	}
	if (rc != FETCH_OK) {
		json_decref(body);
		return rc;
	}
	if (!jx_str(body, "access_token") || !jx_int(body, "expires_in", &ttl)) {
		snprintf(f->err, sizeof f->err, "reddit: the token endpoint's answer has no access_token and expires_in");
		json_decref(body);
		return FETCH_ERR;
	}
	free(r->token);
	r->token = xstrdup(jx_str(body, "access_token"));
	http_secret_add(r->token);
	r->expires = fetch_now(f) + ttl;
	json_decref(body);
	if (f->state) {
		char *txt;
		v = json_pack("{s:s,s:I}", "access_token", r->token, "expires_at", (json_int_t)r->expires);
		txt = json_dumps(v, JSON_COMPACT);
		fetch_state_kv_set(f->state, "reddit.token", txt, fetch_now(f));
		free(txt);
		json_decref(v);
	}
	return FETCH_OK;
}

/* A base-36 id as a number (ids grow with time); 0 when it is none. */
static int64_t base36(const char *s)
{
	int64_t v = 0;

	if (!s || !*s || strlen(s) > 12)
		return 0;
	for (; *s; s++) {
		int c = tolower((unsigned char)*s);
		int d = isdigit(c) ? c - '0' : c >= 'a' && c <= 'z' ? c - 'a' + 10 : -1;
		if (d < 0)
			return 0;
		v = v * 36 + d;
	}
	return v;
}

static int reddit_parse(fetch_run *f, const json_t *body, const fetch_query *q, fetch_page *pg, char *err,
			size_t errlen)
{
	json_t *children = jx_path(body, "data.children"), *c;
	const char *kind = jx_str(body, "kind");
	size_t i;

	(void)f;
	if (!kind || strcmp(kind, "Listing") != 0 || !json_is_array(children)) {
		snprintf(err, errlen, "not a Reddit Listing");
		return -1;
	}
	json_array_foreach(children, i, c) {
		json_t *d = json_object_get(c, "data");
		const char *k = jx_str(c, "kind"), *id = jx_str(d, "id"), *name = jx_str(d, "name");
		char full[96];
		int64_t t = 0;
		fetch_item *it;
		if (!k || (strcmp(k, "t1") != 0 && strcmp(k, "t3") != 0) || !id)
			continue; /* kind "more": Reddit's link to comments not loaded, no item */
		snprintf(full, sizeof full, "%s", name ? name : id);
		htime_from_json(json_object_get(d, "created_utc"), &t);
		it = fetch_page_add(pg, json_incref(c), NULL, base36(id), full, t);
		if (!q->raw_query && jx_str(d, "subreddit"))
			it->query = xstrdup(jx_str(d, "subreddit"));
	}
	fetch_page_set_next(pg, jx_str(json_object_get(body, "data"), "after"));
	return 0;
}

static int reddit_page(fetch_run *f, const fetch_query *q, const char *next, fetch_page *pg)
{
	reddit_priv *r = f->priv;
	buf_t url = BUF_INIT, auth = BUF_INIT;
	fetch_req req = {0};
	long status = 0;
	int rc;

	buf_printf(&url, "%s/r/", fetch_base(f, f->src->base_url));
	http_url_encode(&url, q->query);
	buf_printf(&url, "/%s?limit=100&raw_json=1", q->variant);
	if (next) {
		buf_puts(&url, "&after=");
		http_url_encode(&url, next);
	}
	req.url = url.p;
	for (int tries = 0; tries < 2; tries++) {
		if ((rc = reddit_token(f, tries > 0)) != FETCH_OK)
			break;
		buf_reset(&auth);
		buf_printf(&auth, "Authorization: bearer %s", r->token);
		req.headers[0] = auth.p;
		rc = fetch_get_page(f, q, &req, pg, &status);
		if (!(rc == FETCH_ERR && status == 401))
			break;
		http_log(LOG_INFO, "reddit: the token was refused (HTTP 401); asking for a new one");
	}
	if (rc == FETCH_ERR && (status == 403 || status == 404))
		fetch_err_hint(f, " (a private, banned or misspelt subreddit?)");
	buf_free(&url);
	buf_free(&auth);
	return rc;
}

static double reddit_pace(const http_response *r, char *why, size_t whylen)
{
	return fetch_pace_headers(r, "x-ratelimit-remaining", "x-ratelimit-reset", 0, why, whylen);
}

static const src_fetch reddit_fetch = {
	.base_url = "https://oauth.reddit.com",
	.variants = reddit_variants,
	.setup = reddit_setup,
	.cleanup = reddit_cleanup,
	.page = reddit_page,
	.parse = reddit_parse,
	.pace = reddit_pace,
};

/* ================================================================ registry */

static const src_author_path reddit_author[] = {{"item", "data.author", 0}, {0}};

const source source_reddit = {
	.name = "reddit",
	.claims = reddit_claims,
	.normalize = reddit_normalize,
	.fetch = &reddit_fetch,
	.author = reddit_author,
};
