/*
 * state.c — herd-alert's memory in the state file: alert_events (one row
 * per event key: delivered, pending or suppressed), alert_deliveries (one
 * row per key and channel) and alert_pending (the record of each event
 * not delivered everywhere yet, so that later runs can send it without
 * reading it again). See alert.h; the tables are described in
 * docs/storage.md; they are created by the store's migrations
 * (src/store/schema.c), and this file is the one place that maps their
 * rows. Errors are fatal: without its memory herd-alert could send twice,
 * or never.
 */
#include "alert.h"
#include "lib/htime.h"
#include "lib/jsonx.h"
#include "lib/log.h"
#include "lib/util.h"
#include "store/sqlite.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

const char *const alert_channel_names[ALERT_NCHANNELS + 1] = {"slack", "webhook", "email", NULL};
static const char *const status_names[] = {"new", "pending", "delivered", "suppressed"};
static store_sqlite *store; /* the open state file (one per process) */
static int dry;             /* a dry run: everything in one transaction, rolled back */

#define WHAT "alert state" /* what a failed statement's message names */

static sqlite3_stmt *prepare(const char *sql)
{
	return store_sqlite_must_prepare(store, sql, WHAT);
}

/* Wall-clock time of a decision: bookkeeping, never event time. */
static void now_text(char out[HTIME_LEN])
{
	htime_format((int64_t)time(NULL), out);
}

sqlite3 *alert_state_open(const char *path, int dry_run)
{
	char err[512];
	sqlite3 *db;

	/* A herd state file like herd-fetch's (schema_version, WAL, busy
	 * timeout), so both can share it; the alert tables are the store's
	 * migration 5 (src/store/schema.c). */
	if (dry_run && access(path, F_OK) != 0) {
		/* Remember nothing means write nothing: a dry run without a
		 * state file previews against an empty one in memory. */
		log_debug("%s: no such state file: the dry run starts from an empty state", path);
		path = ":memory:";
	}
	if (!(store = store_sqlite_open(path, err, sizeof err)))
		log_fatal(HERD_EXIT_FAIL, "%s", err);
	db = store_sqlite_handle(store);
	dry = dry_run;
	if (dry_run)
		store_sqlite_must_exec(store, "BEGIN IMMEDIATE", "cannot begin the dry run");
	return db;
}

int alert_state_close(sqlite3 *db, int dry_run)
{
	char err[512];

	if (dry_run)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	if (store_sqlite_close(store, err, sizeof err) < 0) {
		log_error("%s", err);
		return 1;
	}
	store = NULL;
	return 0;
}

enum alert_status alert_state_status(sqlite3 *db, const char *key)
{
	sqlite3_stmt *st = prepare("SELECT status FROM alert_events WHERE \"key\" = ?1");
	enum alert_status s = ALERT_NEW;

	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (store_sqlite_must_step(store, st, WHAT)) {
		const char *v = (const char *)sqlite3_column_text(st, 0);

		for (int i = 0; i < (int)(sizeof status_names / sizeof status_names[0]); i++)
			if (v && strcmp(v, status_names[i]) == 0)
				s = (enum alert_status)i;
	}
	sqlite3_finalize(st);
	return s;
}

int alert_state_sent(sqlite3 *db, const char *key, enum alert_channel channel)
{
	sqlite3_stmt *st =
		prepare("SELECT 1 FROM alert_deliveries WHERE \"key\" = ?1 AND channel = ?2 AND status = 'sent'");
	int sent;

	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, alert_channel_names[channel], -1, SQLITE_STATIC);
	sent = store_sqlite_must_step(store, st, WHAT);
	sqlite3_finalize(st);
	return sent;
}

long alert_state_recent(sqlite3 *db, const char *entity, int64_t at, int64_t per)
{
	sqlite3_stmt *st = prepare("SELECT count(*) FROM alert_events WHERE entity = ?1 AND status IN "
				   "('pending', 'delivered') AND \"at\" > ?2 AND \"at\" <= ?3");
	char from[HTIME_LEN], to[HTIME_LEN];
	long n = 0;

	htime_format(at - per, from);
	htime_format(at, to);
	sqlite3_bind_text(st, 1, entity, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, from, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, to, -1, SQLITE_STATIC);
	if (store_sqlite_must_step(store, st, WHAT))
		n = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

void alert_state_set(sqlite3 *db, const json_t *event, enum alert_status status)
{
	sqlite3_stmt *st = prepare("INSERT INTO alert_events VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
				   "ON CONFLICT (\"key\") DO UPDATE SET status = excluded.status, "
				   "updated_at = excluded.updated_at");
	char now[HTIME_LEN], at[HTIME_LEN];
	int64_t t = 0;

	now_text(now);
	htime_from_json(json_object_get(event, "at"), &t);
	htime_format(t, at);
	sqlite3_bind_text(st, 1, jx_str(event, "key"), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, jx_str(event, "entity"), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, jx_str(event, "type"), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, at, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, jx_str(event, "severity"), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, status_names[status], -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, now, -1, SQLITE_STATIC);
	store_sqlite_must_finish(store, st, WHAT);
}

void alert_state_delivery(sqlite3 *db, const char *key, enum alert_channel channel, int ok, int attempts,
			  const char *error)
{
	sqlite3_stmt *st = prepare("INSERT INTO alert_deliveries VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
				   "ON CONFLICT (\"key\", channel) DO UPDATE SET status = excluded.status, "
				   "attempts = alert_deliveries.attempts + excluded.attempts, "
				   "error = excluded.error, updated_at = excluded.updated_at");
	char now[HTIME_LEN];

	now_text(now);
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, alert_channel_names[channel], -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, ok ? "sent" : "failed", -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, attempts);
	sqlite3_bind_text(st, 5, error, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, now, -1, SQLITE_STATIC);
	store_sqlite_must_finish(store, st, WHAT);
}

void alert_state_begin(sqlite3 *db)
{
	if (!dry)
		store_sqlite_must_exec(store, "BEGIN IMMEDIATE", WHAT);
}

void alert_state_commit(sqlite3 *db)
{
	if (!dry)
		store_sqlite_must_exec(store, "COMMIT", WHAT);
}

void alert_state_queue(sqlite3 *db, const json_t *event)
{
	sqlite3_stmt *st = prepare("INSERT INTO alert_pending VALUES (?1, ?2, ?3, ?4) ON CONFLICT (\"key\") DO NOTHING");
	char now[HTIME_LEN], at[HTIME_LEN];
	char *text = json_dumps(event, JSON_COMPACT | JSON_PRESERVE_ORDER);
	int64_t t = 0;

	if (!text)
		log_fatal(HERD_EXIT_FAIL, "%s: cannot encode an event", WHAT);
	now_text(now);
	htime_from_json(json_object_get(event, "at"), &t);
	htime_format(t, at);
	sqlite3_bind_text(st, 1, jx_str(event, "key"), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, at, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, text, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, now, -1, SQLITE_STATIC);
	store_sqlite_must_finish(store, st, WHAT);
	free(text);
}

int alert_state_queued(sqlite3 *db, const char *key)
{
	sqlite3_stmt *st = prepare("SELECT 1 FROM alert_pending WHERE \"key\" = ?1");
	int queued;

	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	queued = store_sqlite_must_step(store, st, WHAT);
	sqlite3_finalize(st);
	return queued;
}

json_t *alert_state_pending(sqlite3 *db)
{
	sqlite3_stmt *st = prepare("SELECT \"key\", event FROM alert_pending ORDER BY \"at\", \"key\"");
	json_t *all = json_array();

	while (store_sqlite_must_step(store, st, WHAT)) {
		const char *text = (const char *)sqlite3_column_text(st, 1);
		json_error_t e;
		json_t *ev = text ? json_loads(text, 0, &e) : NULL;

		if (!json_is_object(ev))
			log_fatal(HERD_EXIT_FAIL, "%s: the queued record of %s is not a JSON object", WHAT,
				  (const char *)sqlite3_column_text(st, 0));
		json_array_append_new(all, ev);
	}
	sqlite3_finalize(st);
	return all;
}

void alert_state_done(sqlite3 *db, const json_t *event)
{
	sqlite3_stmt *st = prepare("DELETE FROM alert_pending WHERE \"key\" = ?1");

	alert_state_begin(db);
	alert_state_set(db, event, ALERT_DELIVERED);
	sqlite3_bind_text(st, 1, jx_str(event, "key"), -1, SQLITE_STATIC);
	store_sqlite_must_finish(store, st, WHAT);
	alert_state_commit(db);
}
