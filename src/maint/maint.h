/*
 * maint.h — keeping a herd SQLite file in shape from cron (herd-maintain):
 * retention (delete what is older than each table's keep time), VACUUM and
 * ANALYZE, an online backup through SQLite's backup API that is verified
 * before it replaces the previous one, and health checks of the fetcher's
 * state (a source that has not succeeded within its expected interval, an
 * API budget nearly spent) as docs/storage.md defines its tables.
 *
 * Every function works on an open sqlite3 handle the caller owns (from
 * store_sqlite_open for the records file, sqlite3_open_v2 for the state
 * file) and reports failures as a reason in err; none prints anything or
 * reads the clock: "now" is always the caller's.
 */
#ifndef HERD_MAINT_H
#define HERD_MAINT_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------- retention */

/* What retention covers: each a table of records with its time column;
 * posts take their post_entities and scores rows with them. */
enum maint_kind { MAINT_POSTS, MAINT_AGGREGATES, MAINT_EVENTS, MAINT_METRICS, MAINT_RAW, MAINT_NKINDS };

extern const char *const maint_kind_names[MAINT_NKINDS]; /* "posts", "aggregates"… as --keep names them */

/* Seconds to keep each kind; 0 keeps it forever. */
typedef struct maint_keep {
	int64_t secs[MAINT_NKINDS];
} maint_keep;

/* The defaults: posts 30d, aggregates 60d, events 365d, raw 30d, metrics
 * forever (the original system's). */
void maint_keep_defaults(maint_keep *k);
/* Apply "posts=30d,events=forever,…" over k. Returns 0, or -1 with err
 * ("'foo' is not one of posts, aggregates, …"). */
int maint_keep_parse(maint_keep *k, const char *spec, char *err, size_t errlen);

/* Rows deleted per table, in the order maint_retain names them. */
enum { MAINT_T_POSTS, MAINT_T_POST_ENTITIES, MAINT_T_SCORES, MAINT_T_AGGREGATES, MAINT_T_EVENTS, MAINT_T_METRICS,
       MAINT_T_RAW, MAINT_NTABLES };
extern const char *const maint_table_names[MAINT_NTABLES];

/*
 * The latest event time in the file (posts, aggregates, events, metrics),
 * or -1 when it holds none: retention's default "now", so that a replay of
 * old data keeps its own last month instead of losing everything.
 */
int64_t maint_data_now(sqlite3 *db);

/*
 * Delete rows older than now - keep, all in one transaction (all or
 * nothing). Also deletes post_entities and scores rows whose post is gone.
 * With dry_run, counts what would go and deletes nothing. deleted[] gets
 * rows per table. Returns 0, or -1 with err.
 */
int maint_retain(sqlite3 *db, const maint_keep *k, int64_t now, int dry_run, long long deleted[MAINT_NTABLES],
		 char *err, size_t errlen);

/* ---------------------------------------------------------------- space */

/* Bytes the file takes (page_count × page_size; the WAL not counted). */
long long maint_db_bytes(sqlite3 *db);
/* Checkpoint and truncate the WAL, ANALYZE, VACUUM. Returns 0 or -1. */
int maint_vacuum(sqlite3 *db, char *err, size_t errlen);

/* ---------------------------------------------------------------- backup */

/*
 * Copy the open database to dest with the backup API (a consistent
 * snapshot, while other processes go on writing in WAL mode), as a
 * self-contained file (rollback journal, not WAL), under a temporary name
 * beside dest; open the copy, run PRAGMA integrity_check and compare its
 * schema_version with the source's; only then rename it over dest. On any
 * failure dest is untouched and the temporary file removed. bytes gets
 * the copy's size. Returns 0, or -1 with err.
 */
int maint_backup(sqlite3 *db, const char *dest, long long *bytes, char *err, size_t errlen);

/* PRAGMA quick_check (full = 0) or integrity_check (full = 1): 0 when
 * "ok", else -1 with the first problem in err. */
int maint_check(sqlite3 *db, int full, char *err, size_t errlen);

/* ---------------------------------------------------------------- health */

enum maint_verdict { MAINT_OK, MAINT_NOTE, MAINT_FAIL };

/* One finding of maint_health. */
typedef struct maint_finding {
	enum maint_verdict verdict;
	char what[96];   /* "source reddit wallstreetbets", "budget newsapi" */
	char why[320];   /* the sentence a person reads */
	const char *metric; /* NULL, "age" (seconds since last success) or "budget_left" */
	char label[64];  /* the source (and query) the value is about */
	double value;
} maint_finding;

typedef struct maint_health_opts {
	int64_t now;        /* the moment to judge at */
	double grace;       /* a source is stale after grace × its expected interval */
	double budget_warn; /* a budget is nearly spent at this share used */
} maint_health_opts;

/*
 * Judge the fetch state in db (fetch_sources and fetch_budget, see
 * docs/storage.md; absent tables are a NOTE, not a failure). Appends one
 * finding per source and per budget of now's day to *out (a growing array
 * the caller frees) and returns how many failed, or -1 with err when the
 * tables exist but cannot be read (a missing column, say).
 */
int maint_health(sqlite3 *db, const maint_health_opts *o, maint_finding **out, int *nout, char *err, size_t errlen);

#endif
