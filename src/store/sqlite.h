/*
 * sqlite.h — herd's SQLite file: opening it (WAL, a busy timeout, the
 * schema brought up to date by ordered migrations in one transaction),
 * upserting the rows of records in batched transactions, and the small
 * key-value state that programs keep between runs (DESIGN.md §1, §5).
 *
 * herd-load writes through the store_backend this module provides;
 * herd-report, the fetcher and the detector open the same file here and
 * query it through store_sqlite_handle(). The tables themselves are
 * described in store.h and for users in docs/storage.md.
 *
 * Not thread-safe: one store_sqlite per thread. Several processes may
 * share a file (WAL; writers wait up to STORE_SQLITE_BUSY_MS).
 */
#ifndef HERD_STORE_SQLITE_H
#define HERD_STORE_SQLITE_H

#include <sqlite3.h>
#include <stdint.h>

#include "store.h"

/* How long a writer waits for another process's transaction to end. */
#define STORE_SQLITE_BUSY_MS 30000

typedef struct store_sqlite store_sqlite;

/*
 * Open path, creating it when absent, and apply the migrations it lacks,
 * all in one transaction (so a failed upgrade leaves it as it was).
 * Returns NULL with a reason in err when the file cannot be opened, is
 * not herd's (an SQLite file with tables but no schema_version), or has
 * a newer schema than this program knows. Free with store_sqlite_close.
 */
store_sqlite *store_sqlite_open(const char *path, char *err, size_t errlen);
/* Commit an open batch, finish every statement and close the file.
 * Returns 0, or -1 with err (the handle is freed either way). NULL is a
 * no-op. */
int store_sqlite_close(store_sqlite *db, char *err, size_t errlen);

/* The schema version of the open file, and the newest this build knows. */
int store_sqlite_version(const store_sqlite *db);
int store_sqlite_latest_version(void);
/* The sqlite3 handle, for queries (borrowed: do not close it). */
sqlite3 *store_sqlite_handle(store_sqlite *db);

/*
 * SQL for the programs that cannot go on without their memory in the file
 * (herd-fetch's cursors and budgets, herd-detect's baselines, herd-alert's
 * deliveries): on any error these print "herd-X: PATH: WHAT: SQLite's
 * reason" (PATH as the file was opened) and exit 1, so that a run never
 * carries on with state it could not read or write.
 */
void store_sqlite_must_exec(store_sqlite *db, const char *sql, const char *what);
sqlite3_stmt *store_sqlite_must_prepare(store_sqlite *db, const char *sql, const char *what);
/* sqlite3_step: 1 for a row, 0 when done. */
int store_sqlite_must_step(store_sqlite *db, sqlite3_stmt *st, const char *what);
/* Step st to its end, then finalize it. */
void store_sqlite_must_finish(store_sqlite *db, sqlite3_stmt *st, const char *what);

/*
 * Upsert the rows of one record, in the current batch (one is begun when
 * none is open), adding to counts[table]. A key already present gets the
 * new values: the record loaded last wins. Set-table groups are replaced
 * whole. Returns 0, or -1 with err on a database error, after rolling
 * back the whole current batch (no record is ever half loaded).
 */
int store_sqlite_put(store_sqlite *db, const store_rows *rows, store_counts counts[STORE_NTABLES], char *err,
		     size_t errlen);
/* Open a batch now (BEGIN IMMEDIATE: the file's write lock) when none is
 * open, for a caller that must read inside it before its first put
 * (herd-load's list of forgotten authors). 0, or -1 with err. */
int store_sqlite_begin(store_sqlite *db, char *err, size_t errlen);
/* Commit the current batch (nothing to do when none is open). */
int store_sqlite_commit(store_sqlite *db, char *err, size_t errlen);
/* Fill b so that herd-load can drive this file as a store_backend;
 * b->close is store_sqlite_close. */
void store_sqlite_backend(store_sqlite *db, store_backend *b);

/*
 * State kept between runs (table state_kv): a value per (namespace, key),
 * e.g. ("detect.baseline", "GME:1h"). get returns a string the caller
 * frees, or NULL when absent. set replaces any value and records when
 * (updated_at, epoch seconds; pass the event time or the fetch time);
 * it runs in the current batch when one is open, else on its own.
 */
char *store_sqlite_kv_get(store_sqlite *db, const char *ns, const char *key);
int store_sqlite_kv_set(store_sqlite *db, const char *ns, const char *key, const char *value, int64_t updated_at,
			char *err, size_t errlen);

#endif
