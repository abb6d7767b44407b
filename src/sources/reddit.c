/*
 * reddit.c — Reddit: comments (t1) and submissions (t3), as the Reddit API
 * returns them (Listings of {"kind":"t1","data":{…}} things, replies nested
 * as Listings) and as Pushshift dumps give them (the bare data objects).
 *
 * The normalize section maps them to posts: id reddit:t1_<id> or
 * reddit:t3_<id>, community = subreddit, created_at from created_utc (an
 * integer, a real or a string in the wild), "[deleted]"/"[removed]" texts
 * and authors to ""/null, parent = reddit:<parent_id>. The fetch section
 * (OAuth listings, herd-fetch) is not written yet.
 */
#include "sources.h"
#include "lib/jsonx.h"

#include <stdio.h>
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

/* ================================================================ registry */

const source source_reddit = {
	.name = "reddit",
	.claims = reddit_claims,
	.normalize = reddit_normalize,
};
