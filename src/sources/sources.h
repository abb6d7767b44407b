/*
 * sources.h — the registry of sources (reddit, stocktwits, newsapi, x):
 * a source's name → how to turn what its API returns into `post` records
 * (docs/records.md). Each source lives in one file, src/sources/NAME.c,
 * with a "normalize" section (herd-normalize calls it) and, later, a
 * "fetch" section (herd-fetch), so that "how is StockTwits handled" is
 * answered by one file.
 *
 * A normalizer takes one JSON value: a single item (a Reddit comment, a
 * StockTwits message…) or a whole response envelope (a Reddit Listing,
 * {"messages":[…]}, {"articles":[…]}, {"data":[…],"includes":…}), which it
 * splits. It hands each post to out->post and each bad item of an
 * envelope to out->bad_item, so one bad item never loses the others.
 *
 * The post builders below (post_*) are shared by every source and by any
 * program that makes posts: they fix the key order and put every key in.
 */
#ifndef HERD_SOURCES_H
#define HERD_SOURCES_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

/* What came with the item in a `raw` record. */
typedef struct src_meta {
	const char *query;      /* raw.query (the stream symbol, subreddit…) or NULL */
	const json_t *includes; /* raw.includes (X's users) or NULL */
} src_meta;

/* Where a normalizer sends its results. */
typedef struct src_out {
	/* A finished post; the callee takes the reference. */
	void (*post)(void *arg, json_t *post);
	/* An item of an envelope that could not be normalized (index is its
	 * 0-based place in the envelope) and why. */
	void (*bad_item)(void *arg, const json_t *item, size_t index, const char *reason);
	void *arg;
} src_out;

typedef struct source {
	const char *name;
	/* 1 when a record with a "kind" is still an item of this source (Reddit
	 * things say "kind":"t1"); NULL when no item of the source has one. */
	int (*claims)(const json_t *rec);
	/* Normalize v (an item or an envelope). Returns 0, or -1 with the reason
	 * in err when v as a whole cannot be used. */
	int (*normalize)(const json_t *v, const src_meta *meta, const src_out *out, char *err, size_t errlen);
} source;

extern const source source_reddit, source_stocktwits, source_newsapi, source_x;

/* The source called name, or NULL. */
const source *source_find(const char *name);
/* The known names, for messages: "reddit, stocktwits, newsapi, x". */
const char *source_names(void);
/* Run src's normalizer on v; a JSON array is taken as a list of items
 * (each one's failure goes to out->bad_item). Returns as normalize does. */
int source_normalize(const source *src, const json_t *v, const src_meta *meta, const src_out *out, char *err,
		     size_t errlen);

/* ---------------------------------------------------------------- posts */

/* A new post with every key of docs/records.md in order: id and
 * created_at null until set, text "", engagement 0/0, entities [], the rest
 * null. The caller owns the reference. */
json_t *post_new(const char *source, const char *type);
/* id = "source:native". */
void post_set_id(json_t *post, const char *source, const char *native);
void post_set_time(json_t *post, int64_t t);
/* A string field or null when s is NULL. */
void post_set_str(json_t *post, const char *key, const char *s);
/* title or text from a JSON value: HTML entities decoded; a deleted or
 * removed marker ("[deleted]", "[removed]", "[Removed]") or a non-string
 * counts as absent: null for title, "" for text. */
void post_set_text(json_t *post, const char *key, const json_t *v);
void post_set_engagement(json_t *post, long long score, long long replies);
/* Append a source-tagged symbol to entities (sorting is the caller's). */
void post_add_entity(json_t *post, const char *sym);

/* ---------------------------------------------------------------- helpers */

/* Decode HTML character references in s[0..n) (&amp; &lt; &gt; &quot;
 * &apos; &nbsp; &#39; &#x200B;…) into out (reset first); one level only. */
void src_html_decode(const char *s, size_t n, buf_t *out);
/* The event time in obj[key] (RFC 3339, epoch number or epoch text):
 * 0 and *t set, or -1 with "no 'key'" / "field 'key' is "abc", not a
 * time" in err. */
int src_time(const json_t *obj, const char *key, int64_t *t, char *err, size_t errlen);
/* An id given as a string or a number, as text in buf; NULL when absent. */
const char *src_id(const json_t *obj, const char *key, char *buf, size_t buflen);
/* An item normalizer with its context (the stream symbol, X includes…). */
typedef int (*src_item_fn)(const json_t *item, const void *ctx, const src_out *out, char *err, size_t errlen);
/* fn on each element of the array items; a failing one goes to
 * out->bad_item with its index, and the others go on. */
void src_each(const json_t *items, src_item_fn fn, const void *ctx, const src_out *out);
/* A short description of v for messages: "\"abc\"", "a number", "null". */
const char *src_describe(const json_t *v, char *buf, size_t buflen);

#endif
