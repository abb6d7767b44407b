/*
 * state.c — the SQLite plumbing under herd-detect's state; see state.h.
 * The file is opened through the store (which also sets how long a run
 * waits for another writer, STORE_SQLITE_BUSY_MS), and its statements
 * fail through the store's store_sqlite_must_* (exit 1, "FILE: what:
 * reason").
 */
#include "state.h"

#include "lib/htime.h"
#include "lib/log.h"
#include "lib/util.h"
#include "store/sqlite.h"

static const char *state_path = "";
/* The state file is herd's one state file (DESIGN.md §1), shared with
 * herd-fetch and herd-alert: it is opened through the store, whose
 * migrations (src/store/schema.c) create the detect_* tables too, so the
 * schema is the same whoever opens the file first. */
static store_sqlite *state_store;

void detect_state_exec(sqlite3 *db, const char *sql)
{
	store_sqlite_must_exec(state_store, sql, "SQL");
}

sqlite3_stmt *detect_state_prepare(sqlite3 *db, const char *sql)
{
	return store_sqlite_must_prepare(state_store, sql, "prepare");
}

int detect_state_step(sqlite3 *db, sqlite3_stmt *st)
{
	return store_sqlite_must_step(state_store, st, "step");
}

void detect_state_step_done(sqlite3 *db, sqlite3_stmt *st)
{
	while (detect_state_step(db, st))
		;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

int64_t detect_state_get_int(sqlite3 *db, const char *key, int64_t dflt)
{
	sqlite3_stmt *st = detect_state_prepare(db, "SELECT value FROM detect_meta WHERE key = ?");
	int64_t v = dflt;

	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (detect_state_step(db, st))
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

void detect_state_set_int(sqlite3 *db, const char *key, int64_t val)
{
	sqlite3_stmt *st = detect_state_prepare(
		db, "INSERT INTO detect_meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value");

	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, val);
	detect_state_step_done(db, st);
	sqlite3_finalize(st);
}

const char *detect_state_path(void)
{
	return state_path;
}

void detect_state_claim_window(sqlite3 *db, const char *path, int64_t window)
{
	int64_t have = detect_state_get_int(db, "window", 0);
	char a[32], b[32];

	if (!have) {
		/* Files from before this key kept the length in cascade.W.last. */
		sqlite3_stmt *st = detect_state_prepare(
			db, "SELECT CAST(substr(key, 9, length(key) - 13) AS INTEGER) FROM detect_meta"
			    " WHERE key LIKE 'cascade.%.last' ORDER BY value DESC LIMIT 1");

		if (detect_state_step(db, st))
			have = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	if (have > 0 && have != window)
		log_fatal(HERD_EXIT_USAGE,
			  "%s: this state file holds --window %s; --window %s needs a state file of its own"
			  " (one --state per window length)",
			  path, htime_format_duration(have, a), htime_format_duration(window, b));
	detect_state_set_int(db, "window", window);
}

sqlite3 *detect_state_open(const char *path)
{
	char err[512];
	sqlite3 *db;

	state_path = path;
	if (!(state_store = store_sqlite_open(path, err, sizeof err)))
		log_fatal(HERD_EXIT_FAIL, "%s", err);
	db = store_sqlite_handle(state_store);
	detect_state_exec(db, "BEGIN IMMEDIATE");
	return db;
}

int detect_state_commit(sqlite3 *db)
{
	char *err = NULL;

	if (sqlite3_exec(db, "COMMIT", NULL, NULL, &err) != SQLITE_OK) {
		log_error("%s: commit: %s", state_path, err ? err : "SQL error");
		sqlite3_free(err);
		store_sqlite_close(state_store, NULL, 0);
		return 1;
	}
	return store_sqlite_close(state_store, NULL, 0) < 0;
}

void detect_state_close(sqlite3 *db)
{
	if (!db)
		return;
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	store_sqlite_close(state_store, NULL, 0);
}
