/*
 * fetchstate.h — herd-fetch's memory between runs, in the SQLite state file named
 * by --state (DESIGN.md §1), through src/store/sqlite.c's migrations:
 *   cursors        (source, query) → where the last run stopped (a JSON
 *                  cursor: high-water mark, an unfinished run's next page)
 *                  and the cache validators (ETag, Last-Modified);
 *   fetch_budget   (source, day) → requests sent that UTC day, and the budget;
 *   fetch_sources  (source, query) → last success, expected interval, last
 *                  error: what `herd-maintain health` judges;
 *   state_kv       ("fetch.token", source) → an OAuth token until it expires.
 *
 * Every write commits at once (each is its own transaction): a cursor must
 * be durable the moment after the items it covers were flushed, and a
 * request must be counted before it is sent, whatever kills the run later.
 * Errors are fatal (exit 1, "herd-fetch: FILE: reason"): a fetcher that
 * cannot keep its cursors or its budget must not go on fetching.
 */
#ifndef HERD_SOURCES_FETCHSTATE_H
#define HERD_SOURCES_FETCHSTATE_H

#include <stdint.h>

typedef struct fetch_state fetch_state;

/* Open (creating) the state file; exits 1 when it cannot. Close with
 * fetch_state_close (NULL does nothing). */
fetch_state *fetch_state_open(const char *path);
void fetch_state_close(fetch_state *st);
const char *fetch_state_path(const fetch_state *st);

/* Group the writes that follow into one transaction (a cursor, its
 * validators and the output's length), ended by fetch_state_commit. */
void fetch_state_begin(fetch_state *st);
void fetch_state_commit(fetch_state *st);

/* The cursor of (source, query) as JSON text (free it), or NULL. */
char *fetch_state_cursor(fetch_state *st, const char *source, const char *query);
/* Replace it; now is the fetch time (updated_at). */
void fetch_state_set_cursor(fetch_state *st, const char *source, const char *query, const char *cursor, int64_t now);
/* The cache validators of (source, query) as JSON text (free it), or NULL;
 * and replacing them (NULL clears). */
char *fetch_state_validators(fetch_state *st, const char *source, const char *query);
void fetch_state_set_validators(fetch_state *st, const char *source, const char *query, const char *json,
				int64_t now);

/*
 * Count one request of source on day ("YYYY-MM-DD") against budget (0: no
 * budget), atomically across processes: 1 when it may be sent (counted),
 * 0 when the day's budget is spent (nothing counted). *used is the count
 * after the call.
 */
int fetch_state_take(fetch_state *st, const char *source, const char *day, long budget, long *used);
/* Requests of source counted on day (0 when none). */
long fetch_state_used(fetch_state *st, const char *source, const char *day);

/* A query finished: it succeeded at now (items written), or failed with why. */
void fetch_state_success(fetch_state *st, const char *source, const char *query, int64_t now, int64_t every,
			 long items);
void fetch_state_failure(fetch_state *st, const char *source, const char *query, int64_t now, int64_t every,
			 const char *why);

/* Small named values (an OAuth token and its expiry): get returns a new
 * string or NULL; set replaces. */
char *fetch_state_kv_get(fetch_state *st, const char *key);
void fetch_state_kv_set(fetch_state *st, const char *key, const char *value, int64_t now);

#endif
