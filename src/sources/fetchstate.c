/*
 * fetchstate.c — herd-fetch's state in the SQLite file; see fetchstate.h. The file
 * is opened through store_sqlite_open, so its schema (migrations 2 and 3:
 * cursors, state_kv, fetch_sources, fetch_budget) is the one herd-load and
 * herd-maintain know; this file only runs the fetcher's statements on it.
 */
#include "fetchstate.h"
#include "lib/htime.h"
#include "lib/log.h"
#include "lib/util.h"
#include "store/sqlite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fetch_state {
	store_sqlite *store;
	char *path;
};

fetch_state *fetch_state_open(const char *path)
{
	fetch_state *st = xcalloc(1, sizeof *st);
	char err[1024];

	if (!(st->store = store_sqlite_open(path, err, sizeof err)))
		log_fatal(HERD_EXIT_FAIL, "%s", err);
	st->path = xstrdup(path);
	return st;
}

void fetch_state_close(fetch_state *st)
{
	char err[1024];

	if (!st)
		return;
	if (store_sqlite_close(st->store, err, sizeof err) < 0)
		log_warn("%s", err);
	free(st->path);
	free(st);
}

const char *fetch_state_path(const fetch_state *st)
{
	return st->path;
}

/* ---------------------------------------------------------------- SQL */

static sqlite3_stmt *prep(fetch_state *st, const char *sql)
{
	return store_sqlite_must_prepare(st->store, sql, "prepare");
}

static void bind_texts(sqlite3_stmt *s, int n, const char *const *v)
{
	for (int i = 0; i < n; i++)
		if (v[i])
			sqlite3_bind_text(s, i + 1, v[i], -1, SQLITE_TRANSIENT);
		else
			sqlite3_bind_null(s, i + 1);
}

/* Run a statement of text parameters to completion. */
static void exec_texts(fetch_state *st, const char *sql, int n, const char *const *v)
{
	sqlite3_stmt *s = prep(st, sql);

	bind_texts(s, n, v);
	store_sqlite_must_finish(st->store, s, "write");
}

/* The first column of the first row, as a new string, or NULL. */
static char *query_text(fetch_state *st, const char *sql, int n, const char *const *v)
{
	sqlite3_stmt *s = prep(st, sql);
	char *out = NULL;

	bind_texts(s, n, v);
	if (store_sqlite_must_step(st->store, s, "read") && sqlite3_column_type(s, 0) != SQLITE_NULL)
		out = xstrdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return out;
}

/* ---------------------------------------------------------------- cursors */

void fetch_state_begin(fetch_state *st)
{
	store_sqlite_must_exec(st->store, "BEGIN IMMEDIATE", "cannot begin");
}

void fetch_state_commit(fetch_state *st)
{
	store_sqlite_must_exec(st->store, "COMMIT", "cannot commit a cursor");
}

char *fetch_state_cursor(fetch_state *st, const char *source, const char *query)
{
	return query_text(st, "SELECT cursor FROM cursors WHERE source = ?1 AND query = ?2", 2,
			  (const char *[]){source, query});
}

void fetch_state_set_cursor(fetch_state *st, const char *source, const char *query, const char *cursor, int64_t now)
{
	char when[HTIME_LEN];

	exec_texts(st,
		   "INSERT INTO cursors (source, query, cursor, updated_at) VALUES (?1, ?2, ?3, ?4) "
		   "ON CONFLICT (source, query) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at",
		   4, (const char *[]){source, query, cursor, htime_format(now, when)});
}

char *fetch_state_validators(fetch_state *st, const char *source, const char *query)
{
	return query_text(st, "SELECT etag FROM cursors WHERE source = ?1 AND query = ?2", 2,
			  (const char *[]){source, query});
}

void fetch_state_set_validators(fetch_state *st, const char *source, const char *query, const char *json,
				int64_t now)
{
	char when[HTIME_LEN];

	exec_texts(st,
		   "INSERT INTO cursors (source, query, etag, updated_at) VALUES (?1, ?2, ?3, ?4) "
		   "ON CONFLICT (source, query) DO UPDATE SET etag = excluded.etag, updated_at = excluded.updated_at",
		   4, (const char *[]){source, query, json, htime_format(now, when)});
}

/* ---------------------------------------------------------------- budgets */

int fetch_state_take(fetch_state *st, const char *source, const char *day, long budget, long *used)
{
	sqlite3_stmt *s;
	long have = 0;
	int ok;

	/* BEGIN IMMEDIATE: two fetchers of one source (a cron run and a hand
	 * run) must not both take the last request. */
	store_sqlite_must_exec(st->store, "BEGIN IMMEDIATE", "cannot begin");
	s = prep(st, "SELECT used FROM fetch_budget WHERE source = ?1 AND day = ?2");
	bind_texts(s, 2, (const char *[]){source, day});
	if (store_sqlite_must_step(st->store, s, "read"))
		have = (long)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	ok = budget <= 0 || have < budget;
	s = prep(st, "INSERT INTO fetch_budget (source, day, used, budget) VALUES (?1, ?2, ?3, ?4) "
		     "ON CONFLICT (source, day) DO UPDATE SET used = excluded.used, budget = excluded.budget");
	bind_texts(s, 2, (const char *[]){source, day});
	sqlite3_bind_int64(s, 3, have + ok);
	if (budget > 0)
		sqlite3_bind_int64(s, 4, budget);
	else
		sqlite3_bind_null(s, 4);
	store_sqlite_must_finish(st->store, s, "cannot count a request");
	store_sqlite_must_exec(st->store, "COMMIT", "cannot commit a request count");
	*used = have + ok;
	return ok;
}

long fetch_state_used(fetch_state *st, const char *source, const char *day)
{
	char *v = query_text(st, "SELECT used FROM fetch_budget WHERE source = ?1 AND day = ?2", 2,
			     (const char *[]){source, day});
	long n = v ? atol(v) : 0;

	free(v);
	return n;
}

/* ---------------------------------------------------------------- health */

void fetch_state_success(fetch_state *st, const char *source, const char *query, int64_t now, int64_t every,
			 long items)
{
	sqlite3_stmt *s = prep(st, "INSERT INTO fetch_sources (source, query, last_success, expected_interval_s, "
				   "last_attempt, last_error, items) VALUES (?1, ?2, ?3, ?4, ?3, NULL, ?5) "
				   "ON CONFLICT (source, query) DO UPDATE SET last_success = excluded.last_success, "
				   "expected_interval_s = excluded.expected_interval_s, last_attempt = excluded.last_attempt, "
				   "last_error = NULL, items = excluded.items");
	char when[HTIME_LEN];

	bind_texts(s, 3, (const char *[]){source, query, htime_format(now, when)});
	sqlite3_bind_int64(s, 4, every);
	sqlite3_bind_int64(s, 5, items);
	store_sqlite_must_finish(st->store, s, "fetch_sources");
}

void fetch_state_failure(fetch_state *st, const char *source, const char *query, int64_t now, int64_t every,
			 const char *why)
{
	sqlite3_stmt *s = prep(st, "INSERT INTO fetch_sources (source, query, expected_interval_s, last_attempt, "
				   "last_error) VALUES (?1, ?2, ?4, ?3, ?5) "
				   "ON CONFLICT (source, query) DO UPDATE SET expected_interval_s = excluded.expected_interval_s, "
				   "last_attempt = excluded.last_attempt, last_error = excluded.last_error");
	char when[HTIME_LEN];

	bind_texts(s, 3, (const char *[]){source, query, htime_format(now, when)});
	sqlite3_bind_int64(s, 4, every);
	sqlite3_bind_text(s, 5, why, -1, SQLITE_TRANSIENT);
	store_sqlite_must_finish(st->store, s, "fetch_sources");
}

/* ---------------------------------------------------------------- kv */

#define KV_NS "fetch"

char *fetch_state_kv_get(fetch_state *st, const char *key)
{
	return store_sqlite_kv_get(st->store, KV_NS, key);
}

void fetch_state_kv_set(fetch_state *st, const char *key, const char *value, int64_t now)
{
	char err[1024];

	if (store_sqlite_kv_set(st->store, KV_NS, key, value, now, err, sizeof err) < 0)
		log_fatal(HERD_EXIT_FAIL, "%s", err);
}
