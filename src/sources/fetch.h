/*
 * fetch.h — what every source's fetch half shares (herd-fetch): the run's
 * options, one budgeted and retried GET/POST that hands back parsed JSON,
 * the raw records written to stdout, and the paging driver that makes a run
 * resumable.
 *
 * A source (src/sources/NAME.c, its "fetch" section) supplies two
 * functions through src_fetch (sources.h): `page` asks its API for one page
 * of a query (through fetch_get) and `parse` turns a response body into
 * items, each with an order key. The driver here does the rest:
 *
 *   newest-first sources (Reddit, StockTwits, NewsAPI, X, Alpha Vantage
 *   news) page from the newest item down to the last one seen; after each
 *   page its new items are written, stdout is flushed and checked, and only
 *   then the cursor is committed: {"hwm": mark} when the run reached the
 *   old high-water mark, else {"hwm": old, "run": {"stop","top","low",
 *   "next"}} so that a run killed half way (or cut by --max-pages, the
 *   budget, a rate limit) is resumed at the next page by the next run, and
 *   the items above its top are caught by a fresh pass after it. An item is
 *   written when it is newer than "stop" and older than every item this run
 *   already wrote ("low"), so a page that repeats an item never writes it
 *   twice. Marks are (t, ids at t): an order key and the ids sharing it.
 *
 *   ascending sources (Yahoo and Alpha Vantage bars, Wikipedia pageviews)
 *   ask once for what is newer than the mark and move it to the last item.
 *
 * Exactly once: an item is written once across runs unless the process dies
 * between the flush of its page and the commit of the cursor (one SQLite
 * commit); that page is then written again by the next run, and herd-load's
 * upserts by id make the repeat harmless.
 */
#ifndef HERD_SOURCES_FETCH_H
#define HERD_SOURCES_FETCH_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "http/http.h"
#include "sources/fetchstate.h"

/* Exit statuses of herd-fetch (0, 1, 2 as every program; 3 its own). */
enum {
	FETCH_EXIT_LIMITED = 3, /* stopped early by the budget or a rate limit; all written is committed */
};

/* What a step of a run says. */
enum fetch_rc {
	FETCH_OK = 0,
	FETCH_ERR = -1,  /* this query failed (f->err says why); the others go on */
	FETCH_STOP = -2, /* the source must stop: budget spent, quota reached (f->err says why) */
};

typedef struct fetch_opts {
	const char *base_url;  /* --base-url, or NULL for the source's own */
	int max_pages;         /* pages per query per run */
	int64_t since;         /* first run of a query: nothing older than this (0: the source's default) */
	int64_t every;         /* the expected interval between runs (fetch_sources) */
	long budget;           /* requests per UTC day; 0 none, -1 the source's default */
	int64_t now;           /* --now, or 0 for the wall clock */
	/* Source options (each source reads its own; herd-fetch checks which apply). */
	const char *listing;   /* reddit: "new,comments" */
	const char *function;  /* alphavantage: news, daily, intraday */
	const char *bar;       /* yahoo, alphavantage intraday: bar length ("1d", "5min") */
	const char *articles;  /* wikipedia: a SYMBOL<TAB>Article file */
	const char *lang;      /* newsapi: language filter */
	const char *geo;       /* trends: a country code, or NULL for worldwide */
	long max_results;      /* newsapi: results a query may page through (the free tier's 100) */
	const char *query_override; /* replay: the raw records' query */
	int replay;                 /* replaying saved responses: no network, no credentials needed */
} fetch_opts;

/* One item of a page. */
typedef struct fetch_item {
	json_t *item;     /* the API's item, verbatim (owned by the page) */
	json_t *includes; /* side data for the raw record, or NULL (owned) */
	int64_t t;        /* order key: larger is newer (an id that grows, or a time) */
	char id[96];      /* unique among items sharing t */
	int64_t time;     /* event time when known (first runs stop at --since), else 0 */
	char *query;      /* the raw record's query when it differs from the run's (owned), or NULL */
} fetch_item;

typedef struct fetch_page {
	fetch_item *items; /* in the API's order */
	size_t n, cap;
	char *next;        /* the next page's token, or NULL at the end (owned) */
	int not_modified;  /* the API said 304: nothing new */
	json_t *src_state; /* ascending: the source's own state to keep in the cursor with this
			    * page's items (Trends' stitching), or NULL to keep what is there (owned) */
} fetch_page;

/* Add an item to a page (takes the references to item and includes). */
fetch_item *fetch_page_add(fetch_page *pg, json_t *item, json_t *includes, int64_t t, const char *id,
			   int64_t time);
void fetch_page_set_next(fetch_page *pg, const char *next);
void fetch_page_free(fetch_page *pg);

/* A position in a source's order. */
typedef struct fetch_mark {
	int64_t t;
	json_t *ids; /* array of the ids at t (owned); NULL: no mark yet */
} fetch_mark;

typedef struct fetch_run fetch_run;
typedef struct src_fetch src_fetch;

/* The query being fetched, for a source's page function. */
typedef struct fetch_query {
	const char *query;     /* as given: "wallstreetbets", "GME", "GME=GameStop" */
	const char *key;       /* the cursor's key (the query, or "wallstreetbets/comments") */
	const char *raw_query; /* raw.query of its records */
	const char *variant;   /* a source's sub-query ("new", "comments"), or NULL */
	const fetch_mark *stop; /* newest-first: the high-water mark (t 0 when none) */
	int64_t min_t;          /* ascending: the last item's key (0 when none) */
	int page;               /* 1-based page number within this run (for messages) */
	const json_t *src_state; /* ascending: the state the source kept in the cursor, or NULL */
	const char *asked;      /* the next-page token this page is asked with (NULL: the
				 * first page); a source whose tokens are page numbers
				 * computes the next one from it, never from `page`, so a
				 * resumed run goes on where the last one stopped */
} fetch_query;

struct fetch_run {
	const char *source;    /* its name */
	const src_fetch *src;
	fetch_opts o;
	http_client *http;
	fetch_state *state;    /* NULL in replays */
	char err[1024];        /* why the last step failed (redacted) */
	void *priv;            /* the source's own (credentials, token), set by its setup */
	/* Totals of the run. */
	long requests, items, queries_ok, queries_failed;
	long out_of_order;     /* items newer than items already written in their pass (warned, kept) */
	int stopped;           /* FETCH_STOP seen: no more queries */
	/* Internal: the page being fetched (validators pending, fetch time). */
	int64_t fetched_at;
	char *pending_validators;
	const fetch_query *cur;
	double hold_loaded;    /* the wait an earlier run kept (hold.SOURCE), 0 when none */
	/* --output: the file raw records go to instead of stdout (NULL: stdout). */
	FILE *out;
	char out_path[4096];   /* its real path (the key of its committed length) */
	long long out_dev, out_ino, out_len;
};

/* The time now (--now or the wall clock), Unix seconds. */
int64_t fetch_now(const fetch_run *f);
/* The base URL: --base-url or dflt, without a trailing '/'. */
const char *fetch_base(const fetch_run *f, const char *dflt);

/* A request of a source's page function. */
typedef struct fetch_req {
	const char *method;          /* NULL: GET */
	const char *url;
	const char *body;            /* POST form body */
	const char *headers[6];      /* NULL-terminated "Name: value" (may hold secrets) */
	const char *userpwd;         /* basic auth */
	int conditional;             /* send the stored ETag / Last-Modified for this query */
	int cookies;                 /* keep and send back the host's cookies (http_request) */
} fetch_req;

/*
 * Send req for the current query (budget counted, retries, Retry-After,
 * the source's rate-limit reading), and parse the body as JSON into *body
 * (the caller's reference; NULL when it is not JSON). *status is the HTTP
 * status. Returns FETCH_OK for 2xx and 304 (then *body is NULL), FETCH_ERR
 * for other statuses and failures (f->err says why, with the API's own
 * message when it gave one), FETCH_STOP for a spent budget or quota.
 */
int fetch_get(fetch_run *f, const fetch_req *req, json_t **body, long *status);

/* After a FETCH_OK of fetch_get: body (NULL for a 304: pg->not_modified)
 * through the source's parse into pg. FETCH_OK, or FETCH_ERR with f->err
 * naming the source, the query and the page. */
int fetch_parse(fetch_run *f, const fetch_query *q, const json_t *body, fetch_page *pg);

/* fetch_get, then (on FETCH_OK) fetch_parse into pg, for the sources that
 * need nothing of the body themselves; *status (when not NULL) is the HTTP
 * status, for a source's hint on a FETCH_ERR. */
int fetch_get_page(fetch_run *f, const fetch_query *q, const fetch_req *req, fetch_page *pg, long *status);
/* Append a hint to f->err ("… HTTP 404: Not Found (is 'GME' a Yahoo
 * symbol?)"); fmt usually starts with " (". */
void fetch_err_hint(fetch_run *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Where the JSON of a body starts: after the XSSI guard ")]}'" (with or
 * without a comma, then white space) that Google puts before its JSON. */
size_t fetch_json_start(const char *p, size_t n);

/* A short text of an API's error body for messages ("code: message"), from
 * the common shapes ({"message"}, {"error"}, {"errors":[…]}, {"code"…}). */
void fetch_api_error(const json_t *body, char *out, size_t outlen);

/* Seconds to wait from a rate-limit header pair: remaining_name says how
 * many requests are left, reset_name when the window resets (seconds from
 * now, or a Unix time when reset_is_epoch); 0 while requests remain. */
double fetch_pace_headers(const http_response *r, const char *remaining_name, const char *reset_name,
			  int reset_is_epoch, char *why, size_t whylen);

/* ---------------------------------------------------------------- runs */

/* Start a run of src with an HTTP client made from ho (its setup reads
 * options and credentials; exits 2 when they are unusable). state is NULL
 * for replays. */
fetch_run *fetch_run_new(const char *source, const src_fetch *src, const fetch_opts *o, const http_opts *ho,
			 fetch_state *state);
void fetch_run_free(fetch_run *f);
/*
 * Write raw records to the file at path (created when absent) instead of
 * stdout, exactly once across runs: its length is committed with each
 * cursor, and bytes after the committed length (a killed run's, whose
 * cursor never moved) are cut off first, when they are raw records of this
 * source. The file is locked while the run lasts. 0, or -1 with f->err.
 */
int fetch_run_output(fetch_run *f, const char *path);
/* Fetch one query (all its variants): FETCH_OK, FETCH_ERR or FETCH_STOP. */
int fetch_run_query(fetch_run *f, const char *query);
/* Replay a saved response (a body, a Betamax/VCR cassette, a recorded
 * request/response pair, or NDJSON of bodies) from path: every item it
 * holds is written. 0, or -1 with f->err. */
int fetch_replay_file(fetch_run *f, const char *path);

#endif
