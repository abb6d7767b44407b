/*
 * state.h — herd-detect's memory between runs: baselines, cascade phases,
 * pending heat days, recent news and bars, signal history, discovered
 * entities and the keys of every event already written, in the SQLite
 * file named by --state (DESIGN.md §1: state that outlives a run lives
 * there, never in ad-hoc files).
 *
 * Every table is herd-detect's own and named detect_*; other programs
 * (herd-fetch's cursors) may share the file. A run opens the file, takes
 * the write lock at once (BEGIN IMMEDIATE), and commits once at the end,
 * so a run that fails leaves the state as it was and can simply be rerun.
 * The tables are created by the store's migrations (src/store/schema.c,
 * migration 4 and later), like every other table of the file; each
 * detector maps its rows to its structs in its own load_state/save_state,
 * and this file only holds the SQL calls they use and the meta table. Errors from SQLite are fatal (exit 1, the store's
 * store_sqlite_must_*): a detector cannot go on without its memory.
 */
#ifndef HERD_DETECT_STATE_H
#define HERD_DETECT_STATE_H

#include <sqlite3.h>
#include <stdint.h>

/* Open (creating if missing) the state file, switch it to WAL and begin
 * the run's transaction. Exits 1 with "herd-detect: FILE: reason" when it
 * cannot. Close with detect_state_close. */
sqlite3 *detect_state_open(const char *path);
/* Commit the run's transaction and close; 0, or 1 after reporting why. */
int detect_state_commit(sqlite3 *db);
/* Roll back (nothing of this run is kept) and close; NULL does nothing. */
void detect_state_close(sqlite3 *db);

/* Run SQL with no result rows; fatal on error. */
void detect_state_exec(sqlite3 *db, const char *sql);
/* Prepare a statement; fatal on error. Finalize with sqlite3_finalize. */
sqlite3_stmt *detect_state_prepare(sqlite3 *db, const char *sql);
/* Step a statement that returns no rows, then reset it; fatal on error. */
void detect_state_step_done(sqlite3 *db, sqlite3_stmt *st);
/* sqlite3_step with errors made fatal: 1 for a row, 0 when done. */
int detect_state_step(sqlite3 *db, sqlite3_stmt *st);

/* The state file's path, for messages. */
const char *detect_state_path(void);
/* A state file serves one window length: record it on first use; exit 2
 * saying so when the file holds another one. */
void detect_state_claim_window(sqlite3 *db, const char *path, int64_t window);

/* Integer settings in detect_meta (watermarks, last window processed). */
int64_t detect_state_get_int(sqlite3 *db, const char *key, int64_t dflt);
void detect_state_set_int(sqlite3 *db, const char *key, int64_t val);

#endif
