/*
 * schema.h — the one schema of herd's SQLite files: an ordered list of
 * migrations for every table any herd program keeps there (herd-load's
 * records, herd-fetch's cursors and budgets, herd-detect's baselines and
 * written keys, herd-alert's deliveries), and the runner that applies
 * the ones a file lacks, each exactly once, in one transaction, recorded
 * in schema_version.
 *
 * A state file is shared by the programs (DESIGN.md §1), so whichever
 * opens it first brings it to the same version; no program creates
 * tables of its own outside this list. Called by store_sqlite_open
 * (src/store/sqlite.c); the programs reach it only through that.
 *
 * To change any table: append a migration (never edit one that has
 * shipped: files in the field have it applied already). The SQL of a
 * table and the code that maps its rows to a struct live in one place per
 * table set: records in store.c (store_tables), detector state in the
 * detector's file (cascade.c, heat.c, signal.c, detect.c), alert state in
 * src/alert/state.c.
 */
#ifndef HERD_STORE_SCHEMA_H
#define HERD_STORE_SCHEMA_H

#include <sqlite3.h>
#include <stddef.h>

/*
 * Bring the file db (opened from path, used in messages) up to the latest
 * version, in one BEGIN IMMEDIATE transaction: a failed migration leaves
 * the file as it was. Returns 0 and the version in *version, or -1 with
 * "path: reason" in err: an SQLite file with tables but no schema_version
 * (not a herd database), a version newer than this program knows
 * ("upgrade herd"), or the SQL error of the migration that failed.
 */
int schema_migrate(sqlite3 *db, const char *path, int *version, char *err, size_t errlen);
/* The newest version this build knows. */
int schema_latest_version(void);

#endif
