/*
 * sources.h — the registry of sources (reddit, stocktwits, newsapi, x,
 * alphavantage, yahoo, wikipedia, unusualwhales, finnhub, trends): a source's name → how to turn what its
 * API returns into `post` or `metric` records (docs/records.md), and how to
 * fetch it. Each source lives in one file, src/sources/NAME.c, with a
 * "normalize" section (herd-normalize calls it) and a "fetch" section
 * (herd-fetch, through src/sources/fetch.h), so that "how is StockTwits
 * handled" is answered by one file.
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

#include "fetch.h"
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

/* A source's fetch half (herd-fetch); the driver is src/sources/fetch.c. */
struct src_fetch {
	const char *base_url; /* the API's own root, replaced by --base-url */
	int ascending;        /* metric sources: one request per query for what is newer than the mark */
	const char *ascending_variants; /* or only these variants are ("daily,intraday") */
	int query_pairs;      /* queries are ENTITY=NAME (wikipedia); raw.query is ENTITY */
	long budget;          /* default requests per UTC day (0: none) */
	/* The query as its cursor knows it, when two spellings mean one thing
	 * (wikipedia: GME and GME=GameStop), into out; NULL: as given. */
	void (*canonical)(const fetch_run *f, const char *query, char *out, size_t outlen);
	/* The sub-queries each query is fetched as ("new,comments"), or NULL. */
	const char *(*variants)(const fetch_run *f);
	/* Check the source's options and read its credentials (into f->priv),
	 * once per run; -1 with err. NULL: nothing to check. */
	int (*setup)(fetch_run *f, char *err, size_t errlen);
	void (*cleanup)(fetch_run *f);
	/* Fetch page `next` (NULL: the first) of q through fetch_get and parse
	 * it into pg. Returns a fetch_rc. */
	int (*page)(fetch_run *f, const fetch_query *q, const char *next, fetch_page *pg);
	/* A response body → items (live and --replay; q->query may be NULL in
	 * replays). 0, or -1 with err when the body is not this API's. */
	int (*parse)(fetch_run *f, const json_t *body, const fetch_query *q, fetch_page *pg, char *err, size_t errlen);
	/* A 2xx body that says "slow down" (Alpha Vantage's Note), or NULL. */
	enum http_verdict (*classify)(const json_t *body, double *wait, char *why, size_t whylen);
	/* Seconds to wait before the next request, from the source's own
	 * rate-limit headers, or NULL. */
	double (*pace)(const http_response *r, char *why, size_t whylen);
};

/* Where a source's raw record names the author its posts get: the item or
 * the record's includes, a dotted path (a number indexes an array), and
 * join: an array of names its posts join with ", " (Alpha Vantage). */
typedef struct src_author_path {
	const char *root; /* "item" or "includes"; NULL ends a list */
	const char *path;
	int join;
} src_author_path;

typedef struct source {
	const char *name;
	/* 1 when a record with a "kind" is still an item of this source (Reddit
	 * things say "kind":"t1"); NULL when no item of the source has one. */
	int (*claims)(const json_t *rec);
	/* Normalize v (an item or an envelope). Returns 0, or -1 with the reason
	 * in err when v as a whole cannot be used. */
	int (*normalize)(const json_t *v, const src_meta *meta, const src_out *out, char *err, size_t errlen);
	/* How herd-fetch collects it. */
	const src_fetch *fetch;
	/* Where its raw records name the author, tried in order, the first
	 * present wins, as the normalizer takes it; NULL: its records have no
	 * author (metrics). Forgetting an author finds raw records by it
	 * (herd-maintain forget, herd-load's drop list, PostgreSQL's). */
	const src_author_path *author;
} source;

extern const source source_reddit, source_stocktwits, source_newsapi, source_x, source_alphavantage, source_yahoo,
	source_wikipedia, source_unusualwhales, source_finnhub, source_trends;

/* The source called name, or NULL. */
const source *source_find(const char *name);
/* The known names, for messages: "reddit, stocktwits, newsapi, x, …". */
const char *source_names(void);
/*
 * The author a raw record of src names, as its posts record it, into out
 * (reset first): 1 when found, 0 when the source has no authors or this
 * record names none.
 */
int source_raw_author(const source *src, const json_t *item, const json_t *includes, buf_t *out);
/* SQL dialects source_raw_author_sql writes. */
enum { SRC_SQL_SQLITE, SRC_SQL_PG };
/*
 * The same as an SQL expression over a raw row's columns source, item and
 * includes (JSON text in SQLite, jsonb in PostgreSQL): a CASE on source
 * with each source's paths, NULL for sources without authors. Appends to
 * out.
 */
void source_raw_author_sql(int dialect, buf_t *out);

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

/* ---------------------------------------------------------------- metrics */

/* A new metric record with the keys of docs/records.md in order (kind,
 * source, entity, at, name, value, interval when given). Sources hand it
 * to out->post like a post; herd-normalize passes it on as it is. */
json_t *metric_new(const char *source, const char *entity, int64_t at, const char *name, double value,
		   const char *interval);
/* Add a bar's open/high/low/close/volume (value is the close). */
void metric_set_bar(json_t *m, double open, double high, double low, double close, double volume);

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
