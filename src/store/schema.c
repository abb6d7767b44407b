/*
 * schema.c — the migrations of herd's SQLite files and their runner; see
 * schema.h. Migrations 1-3 were written for herd-load and herd-fetch; 4
 * and 5 took in the tables herd-detect and herd-alert used to create
 * themselves, so that one mechanism versions them all; 6 is herd-detect's
 * count model, 7 herd-alert's queue of events not yet delivered; 8 gave
 * metrics that are events their key; 9 holds forgotten authors.
 */
#include "schema.h"
#include "lib/util.h"

#include <stdio.h>

struct migration {
	int version;
	const char *what;
	const char *sql;
};

/* Identifiers that are SQL words (window, key, at…) are quoted in the
 * record tables. */
static const struct migration migrations[] = {
	{1, "records: posts, post_entities, scores, metrics, aggregates, events, raw",
	 "CREATE TABLE posts (\n"
	 "  id TEXT NOT NULL PRIMARY KEY, source TEXT NOT NULL, type TEXT NOT NULL, community TEXT,\n"
	 "  created_at TEXT NOT NULL, author TEXT, title TEXT, text TEXT NOT NULL, url TEXT,\n"
	 "  score INTEGER NOT NULL, replies INTEGER NOT NULL, parent TEXT, lang TEXT);\n"
	 "CREATE INDEX posts_created_at ON posts (created_at);\n"
	 "CREATE TABLE post_entities (\n"
	 "  post_id TEXT NOT NULL, entity TEXT NOT NULL, PRIMARY KEY (post_id, entity));\n"
	 "CREATE INDEX post_entities_entity ON post_entities (entity, post_id);\n"
	 "CREATE TABLE scores (\n"
	 "  post_id TEXT NOT NULL, model TEXT NOT NULL, label TEXT, score REAL, confidence REAL,\n"
	 "  probs TEXT, neg REAL, neu REAL, pos REAL, compound REAL, PRIMARY KEY (post_id, model));\n"
	 "CREATE TABLE metrics (\n"
	 "  source TEXT NOT NULL, entity TEXT NOT NULL, name TEXT NOT NULL, \"interval\" TEXT NOT NULL,\n"
	 "  \"at\" TEXT NOT NULL, value REAL NOT NULL, open REAL, high REAL, low REAL, close REAL,\n"
	 "  volume REAL, PRIMARY KEY (source, entity, name, \"interval\", \"at\"));\n"
	 "CREATE INDEX metrics_entity_at ON metrics (entity, \"at\");\n"
	 "CREATE TABLE aggregates (\n"
	 "  entity TEXT NOT NULL, \"window\" TEXT NOT NULL, start TEXT NOT NULL, posts INTEGER NOT NULL,\n"
	 "  authors INTEGER NOT NULL, sources TEXT, sent_n INTEGER, sent_mean REAL, sent_weighted REAL,\n"
	 "  bull INTEGER, bear INTEGER, engagement INTEGER NOT NULL,\n"
	 "  PRIMARY KEY (entity, \"window\", start));\n"
	 "CREATE INDEX aggregates_window_start ON aggregates (\"window\", start);\n"
	 "CREATE TABLE events (\n"
	 "  \"key\" TEXT NOT NULL PRIMARY KEY, type TEXT NOT NULL, entity TEXT NOT NULL, \"at\" TEXT NOT NULL,\n"
	 "  score REAL NOT NULL, severity TEXT, evidence TEXT);\n"
	 "CREATE INDEX events_entity_at ON events (entity, \"at\");\n"
	 "CREATE TABLE raw (\n"
	 "  source TEXT NOT NULL, item TEXT NOT NULL, fetched_at TEXT NOT NULL, query TEXT, includes TEXT,\n"
	 "  PRIMARY KEY (source, item));\n"},
	{2, "state: state_kv (per-program key-value state), cursors (fetch positions)",
	 "CREATE TABLE state_kv (\n"
	 "  ns TEXT NOT NULL, \"key\" TEXT NOT NULL, value TEXT, updated_at TEXT, PRIMARY KEY (ns, \"key\"));\n"
	 "CREATE TABLE cursors (\n"
	 "  source TEXT NOT NULL, query TEXT NOT NULL, cursor TEXT, etag TEXT, updated_at TEXT,\n"
	 "  PRIMARY KEY (source, query));\n"},
	{3, "fetch: fetch_sources (last success per source and query), fetch_budget (requests per source per day)",
	 "CREATE TABLE fetch_sources (\n"
	 "  source TEXT NOT NULL, query TEXT NOT NULL, last_success TEXT, expected_interval_s INTEGER,\n"
	 "  last_attempt TEXT, last_error TEXT, items INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (source, query));\n"
	 "CREATE TABLE fetch_budget (\n"
	 "  source TEXT NOT NULL, day TEXT NOT NULL, used INTEGER NOT NULL DEFAULT 0, budget INTEGER,\n"
	 "  PRIMARY KEY (source, day));\n"},
	{4, "detect: herd-detect's state (detect_meta, detect_events, cascade baselines, heat days, discoveries, signal news, bars and history)",
	 /* IF NOT EXISTS: herd-detect created these tables itself before it
	  * used this list (with a "schema" row in detect_meta, dropped here);
	  * such a file keeps them, and its data, as they are. */
	 "CREATE TABLE IF NOT EXISTS detect_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);\n"
	 "DELETE FROM detect_meta WHERE key = 'schema';\n"
	 "CREATE TABLE IF NOT EXISTS detect_events (\n"
	 "  key TEXT PRIMARY KEY, type TEXT NOT NULL, entity TEXT NOT NULL, at INTEGER NOT NULL);\n"
	 "CREATE TABLE IF NOT EXISTS detect_cascade_entity (\n"
	 "  window INTEGER NOT NULL, entity TEXT NOT NULL,\n"
	 "  n INTEGER, mean REAL, dev REAL, cmean REAL, cvar REAL, pmean REAL, pvar REAL,\n"
	 "  active INTEGER, episode INTEGER, emitted INTEGER,\n"
	 "  start_rate REAL, peak_rate REAL, peak_z REAL, peak_at INTEGER,\n"
	 "  PRIMARY KEY (window, entity));\n"
	 "CREATE TABLE IF NOT EXISTS detect_cascade_source (\n"
	 "  window INTEGER NOT NULL, entity TEXT NOT NULL, source TEXT NOT NULL,\n"
	 "  n INTEGER, mean REAL, dev REAL, cmean REAL, cvar REAL, pmean REAL, pvar REAL,\n"
	 "  active_since INTEGER, act_posts INTEGER, act_share REAL,\n"
	 "  arrived INTEGER, arr_posts INTEGER, arr_share REAL,\n"
	 "  PRIMARY KEY (window, entity, source));\n"
	 "CREATE TABLE IF NOT EXISTS detect_heat_pending (\n"
	 "  entity TEXT NOT NULL, day INTEGER NOT NULL, stream TEXT NOT NULL, kind INTEGER,\n"
	 "  sum REAL, n REAL, last_at REAL, last REAL, PRIMARY KEY (entity, day, stream));\n"
	 "CREATE TABLE IF NOT EXISTS detect_heat_series (\n"
	 "  entity TEXT NOT NULL, stream TEXT NOT NULL, kind INTEGER, last_day INTEGER,\n"
	 "  level REAL, vel REAL, prev_y REAL, has_prev INTEGER, has_vel INTEGER,\n"
	 "  n INTEGER, mean REAL, dev REAL, PRIMARY KEY (entity, stream));\n"
	 "CREATE TABLE IF NOT EXISTS detect_discovered (\n"
	 "  entity TEXT PRIMARY KEY, at INTEGER NOT NULL, heat REAL NOT NULL);\n"
	 "CREATE TABLE IF NOT EXISTS detect_signal_news (\n"
	 "  entity TEXT NOT NULL, id TEXT NOT NULL, at INTEGER NOT NULL, score REAL, conf REAL,\n"
	 "  PRIMARY KEY (entity, id));\n"
	 "CREATE TABLE IF NOT EXISTS detect_signal_bars (\n"
	 "  entity TEXT NOT NULL, at INTEGER NOT NULL, end_at INTEGER NOT NULL, close REAL, volume REAL,\n"
	 "  PRIMARY KEY (entity, at));\n"
	 "CREATE TABLE IF NOT EXISTS detect_signal_history (\n"
	 "  entity TEXT NOT NULL, direction TEXT NOT NULL, at INTEGER NOT NULL,\n"
	 "  PRIMARY KEY (entity, direction));\n"},
	{5, "alert: herd-alert's state (alert_events, alert_deliveries)",
	 /* IF NOT EXISTS: herd-alert created these itself before (same SQL). */
	 "CREATE TABLE IF NOT EXISTS alert_events (\n"
	 "  \"key\" TEXT NOT NULL PRIMARY KEY, entity TEXT NOT NULL, type TEXT NOT NULL, \"at\" TEXT NOT NULL,\n"
	 "  severity TEXT, status TEXT NOT NULL, updated_at TEXT NOT NULL);\n"
	 "CREATE INDEX IF NOT EXISTS alert_events_entity_at ON alert_events (entity, \"at\");\n"
	 "CREATE TABLE IF NOT EXISTS alert_deliveries (\n"
	 "  \"key\" TEXT NOT NULL, channel TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL,\n"
	 "  error TEXT, updated_at TEXT NOT NULL, PRIMARY KEY (\"key\", channel));\n"},
	{6, "detect: cascades on a count model (issue 19): each series a BLOB of doubles, a CUSUM and its "
	    "onset, the episode's shape; detect_cascade_window (per window length and source)",
	 /* The robust-log baselines of before cannot become count models: the
	  * cascade state starts over (its windows already processed stay
	  * processed: cascade.<window>.last is kept), so for --min-history
	  * after the upgrade no cascade starts. */
	 "DROP TABLE IF EXISTS detect_cascade_entity;\n"
	 "DROP TABLE IF EXISTS detect_cascade_source;\n"
	 "DROP TABLE IF EXISTS detect_cascade_window;\n"
	 "CREATE TABLE detect_cascade_entity (\n"
	 "  window INTEGER NOT NULL, entity TEXT NOT NULL, live BLOB NOT NULL, ref BLOB,\n"
	 "  cusum REAL NOT NULL, onset INTEGER NOT NULL, active INTEGER NOT NULL, episode INTEGER NOT NULL,\n"
	 "  emitted INTEGER NOT NULL, start_rate REAL, peak_rate REAL, start_ratio REAL, peak_ratio REAL,\n"
	 "  peak_score REAL,\n"
	 "  peak_at INTEGER, after_peak INTEGER, below INTEGER, episode_windows BLOB,\n"
	 "  PRIMARY KEY (window, entity));\n"
	 "CREATE TABLE detect_cascade_source (\n"
	 "  window INTEGER NOT NULL, entity TEXT NOT NULL, source TEXT NOT NULL, live BLOB NOT NULL, ref BLOB,\n"
	 "  active_since INTEGER, act_posts INTEGER, act_share REAL, arrived INTEGER, arr_posts INTEGER,\n"
	 "  arr_share REAL,\n"
	 "  PRIMARY KEY (window, entity, source));\n"
	 "CREATE TABLE detect_cascade_window (\n"
	 "  window INTEGER NOT NULL, source TEXT NOT NULL, windows REAL NOT NULL, exposure REAL NOT NULL,\n"
	 "  phi_pop REAL NOT NULL, pool_n REAL NOT NULL, pool_1 REAL NOT NULL, pool_2 REAL NOT NULL,\n"
	 "  PRIMARY KEY (window, source));\n"},
	{7, "alert: alert_pending (each event not yet delivered to every channel, its record kept until one takes it)",
	 /* Before it, a delivery that failed was only tried again when its
	  * event was read again, which the cron pipeline never does. Events
	  * left 'pending' by then have no record here; herd-alert queues one
	  * when it reads such an event again. */
	 "CREATE TABLE alert_pending (\n"
	 "  \"key\" TEXT NOT NULL PRIMARY KEY, \"at\" TEXT NOT NULL, event TEXT NOT NULL, queued_at TEXT NOT NULL);\n"
	 "CREATE INDEX alert_pending_at ON alert_pending (\"at\", \"key\");\n"},
	/* A metric that is an event (an options flow alert, an analyst rating)
	 * carries the event's key: two at one moment are two rows. The key is
	 * part of the primary key, so the table is rebuilt ('' for the rows
	 * there, which were samples). */
	{8, "metrics: key (one row per event, for metrics that are events)",
	 "CREATE TABLE metrics_v8 (\n"
	 "  source TEXT NOT NULL, entity TEXT NOT NULL, name TEXT NOT NULL, \"interval\" TEXT NOT NULL,\n"
	 "  \"at\" TEXT NOT NULL, \"key\" TEXT NOT NULL, value REAL NOT NULL, open REAL, high REAL, low REAL,\n"
	 "  close REAL, volume REAL, PRIMARY KEY (source, entity, name, \"interval\", \"at\", \"key\"));\n"
	 "INSERT INTO metrics_v8 SELECT source, entity, name, \"interval\", \"at\", '', value, open, high, low, close,\n"
	 "  volume FROM metrics;\n"
	 "DROP TABLE metrics;\n"
	 "ALTER TABLE metrics_v8 RENAME TO metrics;\n"
	 "CREATE INDEX metrics_entity_at ON metrics (entity, \"at\");\n"},
	/* Forgetting an author (src/store/forget.c): the authors' hashes, whose
	 * records herd-load drops (and counts), and one row per forget with no
	 * personal data: a hash, a time, counts. */
	{9, "forget: forget_list (forgotten authors' hashes), forget_audit (what each forget deleted)",
	 "CREATE TABLE IF NOT EXISTS forget_list (\n"
	 "  hash TEXT NOT NULL PRIMARY KEY, source TEXT NOT NULL, since TEXT NOT NULL, dropped INTEGER NOT NULL DEFAULT 0);\n"
	 "CREATE TABLE IF NOT EXISTS forget_audit (\n"
	 "  \"at\" TEXT NOT NULL, source TEXT NOT NULL, hash TEXT NOT NULL, posts INTEGER NOT NULL,\n"
	 "  post_entities INTEGER NOT NULL, scores INTEGER NOT NULL, raw INTEGER NOT NULL);\n"},
};
#define NMIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

/* Run SQL with no results; -1 with "path: what: sqlite's message". */
static int exec(sqlite3 *db, const char *path, const char *sql, const char *what, char *err, size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	herd_errf(err, errlen, "%s: %s: %s", path, what, msg ? msg : sqlite3_errmsg(db));
	sqlite3_free(msg);
	return -1;
}

/* One integer from a query (0 when no row). */
static int query_int(sqlite3 *db, const char *sql, long long *out)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(st);
	*out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* Bring the schema up to date, in one transaction. */
int schema_migrate(sqlite3 *db, const char *path, int *version, char *err, size_t errlen)
{
	long long have, ntables;
	char what[160];

	if (exec(db, path, "BEGIN IMMEDIATE", "cannot start the schema check", err, errlen))
		return -1;
	if (query_int(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_version'", &have) ||
	    query_int(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table'", &ntables))
		goto sqlerr;
	if (!have && ntables > 0) {
		herd_errf(err, errlen, "%s: an SQLite file with tables but no schema_version: not a herd database", path);
		goto rollback;
	}
	if (exec(db, path,
		 "CREATE TABLE IF NOT EXISTS schema_version (\n"
		 "  version INTEGER NOT NULL PRIMARY KEY, what TEXT NOT NULL, applied_at TEXT NOT NULL)",
		 "cannot create schema_version", err, errlen))
		goto rollback;
	if (query_int(db, "SELECT coalesce(max(version), 0) FROM schema_version", &have))
		goto sqlerr;
	if (have > migrations[NMIGRATIONS - 1].version) {
		herd_errf(err, errlen, "%s: schema version %lld is newer than this program's (%d): upgrade herd", path, have,
		     migrations[NMIGRATIONS - 1].version);
		goto rollback;
	}
	for (int i = 0; i < NMIGRATIONS; i++) {
		const struct migration *m = &migrations[i];
		char *sql;

		if (m->version <= have)
			continue;
		snprintf(what, sizeof what, "migration %d (%s)", m->version, m->what);
		if (exec(db, path, m->sql, what, err, errlen))
			goto rollback;
		/* applied_at is wall-clock bookkeeping about the file, not event time. */
		sql = sqlite3_mprintf("INSERT INTO schema_version VALUES (%d, %Q, "
				      "strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', 'now'))",
				      m->version, m->what);
		if (exec(db, path, sql, what, err, errlen)) {
			sqlite3_free(sql);
			goto rollback;
		}
		sqlite3_free(sql);
		have = m->version;
	}
	if (exec(db, path, "COMMIT", "cannot commit the schema", err, errlen))
		goto rollback;
	*version = (int)have;
	return 0;
sqlerr:
	herd_errf(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
rollback:
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

int schema_latest_version(void)
{
	return migrations[NMIGRATIONS - 1].version;
}
