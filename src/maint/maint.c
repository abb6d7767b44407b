/*
 * maint.c — retention, VACUUM, backup and health for herd's SQLite files;
 * see maint.h. Times in the files are canonical RFC 3339 text
 * (docs/storage.md), so "older than" is a string comparison that uses the
 * tables' time indexes.
 */
#include "maint.h"
#include "lib/htime.h"
#include "lib/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *const maint_kind_names[MAINT_NKINDS] = {"posts", "aggregates", "events", "metrics", "raw"};
const char *const maint_table_names[MAINT_NTABLES] = {"posts",  "post_entities", "scores", "aggregates",
						      "events", "metrics",       "raw"};

#define DAY 86400

/* ================================================================ helpers */

static int sql_fail(sqlite3 *db, const char *what, char *err, size_t errlen)
{
	return herd_errf(err, errlen, "%s: %s", what, sqlite3_errmsg(db));
}

static int exec(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	herd_errf(err, errlen, "%s: %s", sql, msg ? msg : sqlite3_errmsg(db));
	sqlite3_free(msg);
	return -1;
}

/* One integer from sql with an optional text parameter; -1 on error. */
static long long query_ll(sqlite3 *db, const char *sql, const char *param)
{
	sqlite3_stmt *st;
	long long v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (param)
		sqlite3_bind_text(st, 1, param, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int table_exists(sqlite3 *db, const char *name)
{
	sqlite3_stmt *st;
	int found = 0;

	if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1", -1, &st, NULL) !=
	    SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return found;
}

/* ================================================================ retention */

void maint_keep_defaults(maint_keep *k)
{
	k->secs[MAINT_POSTS] = 30 * DAY;
	k->secs[MAINT_AGGREGATES] = 60 * DAY;
	k->secs[MAINT_EVENTS] = 365 * DAY;
	k->secs[MAINT_METRICS] = 0;
	k->secs[MAINT_RAW] = 30 * DAY;
}

int maint_keep_parse(maint_keep *k, const char *spec, char *err, size_t errlen)
{
	char *copy = xstrdup(spec), *save = NULL;
	int rc = 0;

	for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');
		int kind = -1;
		int64_t secs;

		if (!eq) {
			rc = herd_errf(err, errlen, "'%s' is not NAME=DURATION (like posts=30d)", item);
			break;
		}
		*eq = '\0';
		for (int i = 0; i < MAINT_NKINDS; i++)
			if (strcmp(item, maint_kind_names[i]) == 0)
				kind = i;
		if (kind < 0) {
			rc = herd_errf(err, errlen, "'%s' is not one of posts, aggregates, events, metrics, raw", item);
			break;
		}
		if (strcmp(eq + 1, "forever") == 0)
			secs = 0;
		else if ((secs = htime_parse_duration(eq + 1)) < 0) {
			rc = herd_errf(err, errlen, "%s: '%s' is not a duration (like 30d) or 'forever'", item, eq + 1);
			break;
		}
		k->secs[kind] = secs;
	}
	free(copy);
	return rc;
}

int64_t maint_data_now(sqlite3 *db)
{
	sqlite3_stmt *st;
	int64_t t = -1;

	if (sqlite3_prepare_v2(db,
			       "SELECT max(t) FROM (SELECT max(created_at) AS t FROM posts UNION ALL "
			       "SELECT max(start) FROM aggregates UNION ALL SELECT max(\"at\") FROM events "
			       "UNION ALL SELECT max(\"at\") FROM metrics)",
			       -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_TEXT &&
	    htime_parse((const char *)sqlite3_column_text(st, 0), &t) < 0)
		t = -1;
	sqlite3_finalize(st);
	return t;
}

/* Per table: what it is cut by, and the rows older than ?1. */
static const struct {
	int table, kind;
	const char *where;
} cuts[] = {
	/* Children first: they find their posts through posts.created_at. */
	{MAINT_T_POST_ENTITIES, MAINT_POSTS, "post_entities WHERE post_id IN (SELECT id FROM posts WHERE created_at < ?1)"},
	{MAINT_T_SCORES, MAINT_POSTS, "scores WHERE post_id IN (SELECT id FROM posts WHERE created_at < ?1)"},
	{MAINT_T_POSTS, MAINT_POSTS, "posts WHERE created_at < ?1"},
	{MAINT_T_AGGREGATES, MAINT_AGGREGATES, "aggregates WHERE start < ?1"},
	{MAINT_T_EVENTS, MAINT_EVENTS, "events WHERE \"at\" < ?1"},
	{MAINT_T_METRICS, MAINT_METRICS, "metrics WHERE \"at\" < ?1"},
	{MAINT_T_RAW, MAINT_RAW, "raw WHERE fetched_at < ?1"},
};

int maint_retain(sqlite3 *db, const maint_keep *k, int64_t now, int dry_run, long long deleted[MAINT_NTABLES],
		 char *err, size_t errlen)
{
	char sql[256], cutoff[HTIME_LEN];

	memset(deleted, 0, MAINT_NTABLES * sizeof deleted[0]);
	if (exec(db, "BEGIN IMMEDIATE", err, errlen))
		return -1;
	for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
		sqlite3_stmt *st;

		if (k->secs[cuts[i].kind] == 0)
			continue;
		htime_format(now - k->secs[cuts[i].kind], cutoff);
		snprintf(sql, sizeof sql, "%s %s", dry_run ? "SELECT count(*) FROM" : "DELETE FROM", cuts[i].where);
		if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
			sql_fail(db, maint_table_names[cuts[i].table], err, errlen);
			goto rollback;
		}
		sqlite3_bind_text(st, 1, cutoff, -1, SQLITE_STATIC);
		switch (sqlite3_step(st)) {
		case SQLITE_ROW: deleted[cuts[i].table] = sqlite3_column_int64(st, 0); break;
		case SQLITE_DONE: deleted[cuts[i].table] = sqlite3_changes(db); break;
		default:
			sql_fail(db, maint_table_names[cuts[i].table], err, errlen);
			sqlite3_finalize(st);
			goto rollback;
		}
		sqlite3_finalize(st);
	}
	if (exec(db, dry_run ? "ROLLBACK" : "COMMIT", err, errlen))
		goto rollback;
	return 0;
rollback:
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* ================================================================ space */

long long maint_db_bytes(sqlite3 *db)
{
	return query_ll(db, "PRAGMA page_count", NULL) * query_ll(db, "PRAGMA page_size", NULL);
}

int maint_vacuum(sqlite3 *db, char *err, size_t errlen)
{
	/* VACUUM rewrites the file through the WAL: checkpoint before (so it
	 * starts small) and after (so the space comes back to the disk). */
	if (exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", err, errlen) || exec(db, "ANALYZE", err, errlen) ||
	    exec(db, "VACUUM", err, errlen) || exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", err, errlen))
		return -1;
	return 0;
}

int maint_check(sqlite3 *db, int full, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc = 0;

	if (sqlite3_prepare_v2(db, full ? "PRAGMA integrity_check" : "PRAGMA quick_check", -1, &st, NULL) != SQLITE_OK)
		return sql_fail(db, "integrity check", err, errlen);
	switch (sqlite3_step(st)) {
	case SQLITE_ROW: {
		/* One line: the first problem ("Page 3: btreeInitPage() returns
		 * error code 11"), after the "*** in database main ***" header. */
		const char *msg = (const char *)sqlite3_column_text(st, 0);
		const char *nl;
		char first[256];
		int more;

		if (strcmp(msg, "ok") == 0)
			break;
		if (strncmp(msg, "*** ", 4) == 0 && (nl = strchr(msg, '\n')) != NULL)
			msg = nl + 1;
		nl = strchr(msg, '\n');
		snprintf(first, sizeof first, "%.*s", nl ? (int)(nl - msg) : (int)strlen(msg), msg);
		/* msg belongs to the row: copied before the next step frees it */
		more = nl != NULL || sqlite3_step(st) == SQLITE_ROW;
		rc = herd_errf(err, errlen, "integrity check: %s%s", first, more ? " (and more)" : "");
		break;
	}
	default: rc = sql_fail(db, "integrity check", err, errlen);
	}
	sqlite3_finalize(st);
	return rc;
}

/* ================================================================ backup */

/* Open the finished copy, check it whole and compare its schema version. */
static int verify_copy(const char *path, long long want_version, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	int rc = 0;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		rc = herd_errf(err, errlen, "%s: cannot open the copy: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
	} else if (maint_check(db, 1, err, errlen) < 0) {
		rc = -1;
	} else if (query_ll(db, "SELECT coalesce(max(version), 0) FROM schema_version", NULL) != want_version) {
		rc = herd_errf(err, errlen, "%s: the copy's schema version differs from the source's", path);
	}
	sqlite3_close(db);
	return rc;
}

int maint_backup(sqlite3 *src, const char *dest, long long *bytes, char *err, size_t errlen)
{
	size_t n = strlen(dest) + 32;
	char *tmp = xmalloc(n);
	sqlite3 *dst = NULL;
	sqlite3_backup *b;
	long long version = query_ll(src, "SELECT coalesce(max(version), 0) FROM schema_version", NULL);
	int rc = -1, step;
	FILE *f;

	snprintf(tmp, n, "%s.tmp.%ld", dest, (long)getpid());
	unlink(tmp);
	if (sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		herd_errf(err, errlen, "%s: cannot create: %s", tmp, dst ? sqlite3_errmsg(dst) : "out of memory");
		goto out;
	}
	if (!(b = sqlite3_backup_init(dst, "main", src, "main"))) {
		sql_fail(dst, "backup", err, errlen);
		goto out;
	}
	/* All pages in one step: one read transaction, so the copy is one
	 * snapshot; in WAL mode writers go on meanwhile. */
	step = sqlite3_backup_step(b, -1);
	if (sqlite3_backup_finish(b) != SQLITE_OK || step != SQLITE_DONE) {
		herd_errf(err, errlen, "backup to %s: %s", tmp, sqlite3_errmsg(dst));
		goto out;
	}
	/* A self-contained file: the copy inherits WAL mode from the pages. */
	if (exec(dst, "PRAGMA journal_mode = DELETE", err, errlen))
		goto out;
	if (sqlite3_close(dst) != SQLITE_OK) {
		sql_fail(dst, "closing the copy", err, errlen);
		goto out;
	}
	dst = NULL;
	if (verify_copy(tmp, version, err, errlen) < 0)
		goto out;
	/* Durable before it replaces the previous backup. */
	if ((f = fopen(tmp, "r+")) == NULL || fsync(fileno(f)) < 0) {
		herd_errf(err, errlen, "%s: cannot sync the copy", tmp);
		if (f)
			fclose(f);
		goto out;
	}
	fseek(f, 0, SEEK_END);
	*bytes = ftell(f);
	fclose(f);
	if (rename(tmp, dest) < 0) {
		herd_errf(err, errlen, "cannot rename %s to %s", tmp, dest);
		goto out;
	}
	rc = 0;
out:
	if (dst)
		sqlite3_close(dst);
	if (rc < 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

/* ================================================================ health */

/* "3h05m", "2d04h", "45s": how long ago, for people. */
static void format_age(int64_t s, char *out, size_t n)
{
	if (s < 0)
		s = 0;
	if (s < 60)
		snprintf(out, n, "%llds", (long long)s);
	else if (s < 3600)
		snprintf(out, n, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
	else if (s < DAY)
		snprintf(out, n, "%lldh%02lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
	else
		snprintf(out, n, "%lldd%02lldh", (long long)(s / DAY), (long long)(s % DAY / 3600));
}

static maint_finding *add(maint_finding **out, int *nout, enum maint_verdict v, const char *what)
{
	maint_finding *f;

	*out = xrealloc(*out, (size_t)(*nout + 1) * sizeof **out);
	f = &(*out)[(*nout)++];
	memset(f, 0, sizeof *f);
	f->verdict = v;
	snprintf(f->what, sizeof f->what, "%s", what);
	return f;
}

static int check_sources(sqlite3 *db, const maint_health_opts *o, maint_finding **out, int *nout, char *err,
			 size_t errlen)
{
	sqlite3_stmt *st;
	int failed = 0, rows = 0;

	if (sqlite3_prepare_v2(db,
			       "SELECT source, query, last_success, expected_interval_s, last_error "
			       "FROM fetch_sources ORDER BY source, query",
			       -1, &st, NULL) != SQLITE_OK)
		return sql_fail(db, "fetch_sources", err, errlen);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *source = (const char *)sqlite3_column_text(st, 0);
		const char *query = (const char *)sqlite3_column_text(st, 1);
		rows++;
		const char *last = (const char *)sqlite3_column_text(st, 2);
		long long interval = sqlite3_column_int64(st, 3);
		const char *lasterr = (const char *)sqlite3_column_text(st, 4);
		int judged = sqlite3_column_type(st, 3) != SQLITE_NULL && interval > 0;
		char name[64], age[32], every[32], what[96], lerr[160] = "";
		maint_finding *f;
		int64_t t;

		snprintf(name, sizeof name, "%s%s%s", source ? source : "?", query && *query ? "/" : "",
			 query ? query : "");
		snprintf(what, sizeof what, "source %s", name);
		if (lasterr && *lasterr)
			snprintf(lerr, sizeof lerr, "; last error: %.120s", lasterr);
		if (judged)
			htime_format_duration(interval, every);
		else
			every[0] = '\0';
		if (!last && !judged) {
			f = add(out, nout, MAINT_NOTE, what);
			snprintf(f->why, sizeof f->why, "never succeeded, and has no expected interval%s", lerr);
		} else if (!last) {
			f = add(out, nout, MAINT_FAIL, what);
			snprintf(f->why, sizeof f->why, "never succeeded (expected every %s)%s", every, lerr);
		} else if (htime_parse(last, &t) < 0) {
			f = add(out, nout, MAINT_FAIL, what);
			snprintf(f->why, sizeof f->why, "last_success '%.40s' is not a time", last);
		} else {
			int stale = judged && (double)(o->now - t) > o->grace * (double)interval;

			f = add(out, nout, stale ? MAINT_FAIL : MAINT_OK, what);
			format_age(o->now - t, age, sizeof age);
			if (judged)
				snprintf(f->why, sizeof f->why, "last succeeded %s, %s ago; expected every %s%s%s", last, age,
					 every, stale ? " (stale)" : "", stale ? lerr : "");
			else
				snprintf(f->why, sizeof f->why, "last succeeded %s, %s ago; no expected interval, not judged",
					 last, age);
			f->metric = "age";
			f->value = (double)(o->now - t);
		}
		snprintf(f->label, sizeof f->label, "%s", name);
		failed += f->verdict == MAINT_FAIL;
	}
	if (sqlite3_finalize(st) != SQLITE_OK)
		return sql_fail(db, "fetch_sources", err, errlen);
	if (rows == 0) {
		maint_finding *f = add(out, nout, MAINT_NOTE, "sources");
		snprintf(f->why, sizeof f->why, "fetch_sources is empty: nothing fetched yet");
	}
	return failed;
}

static int check_budgets(sqlite3 *db, const maint_health_opts *o, maint_finding **out, int *nout, char *err,
			 size_t errlen)
{
	sqlite3_stmt *st;
	char day[HTIME_LEN];
	int failed = 0;

	htime_format_date(o->now, day);
	if (sqlite3_prepare_v2(db, "SELECT source, used, budget FROM fetch_budget WHERE day = ?1 ORDER BY source", -1,
			       &st, NULL) != SQLITE_OK)
		return sql_fail(db, "fetch_budget", err, errlen);
	sqlite3_bind_text(st, 1, day, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *source = (const char *)sqlite3_column_text(st, 0);
		long long used = sqlite3_column_int64(st, 1), budget = sqlite3_column_int64(st, 2);
		char what[96];
		maint_finding *f;
		int spent;

		snprintf(what, sizeof what, "budget %s", source ? source : "?");
		if (budget <= 0) {
			f = add(out, nout, MAINT_NOTE, what);
			snprintf(f->why, sizeof f->why, "no budget set for %s (%lld used)", day, used);
		} else {
			spent = (double)used >= o->budget_warn * (double)budget;
			f = add(out, nout, spent ? MAINT_FAIL : MAINT_OK, what);
			snprintf(f->why, sizeof f->why, "%lld of %lld requests used on %s (%.0f%%%s)", used, budget, day,
				 100.0 * (double)used / (double)budget, spent ? ", nearly spent" : "");
			f->metric = "budget_left";
			f->value = used < budget ? (double)(budget - used) : 0; /* a lowered budget: none left */
		}
		snprintf(f->label, sizeof f->label, "%s", source ? source : "?");
		failed += f->verdict == MAINT_FAIL;
	}
	if (sqlite3_finalize(st) != SQLITE_OK)
		return sql_fail(db, "fetch_budget", err, errlen);
	return failed;
}

int maint_health(sqlite3 *db, const maint_health_opts *o, maint_finding **out, int *nout, char *err, size_t errlen)
{
	int failed = 0, n;

	if (!table_exists(db, "fetch_sources")) {
		maint_finding *f = add(out, nout, MAINT_NOTE, "sources");
		snprintf(f->why, sizeof f->why, "no fetch_sources table: no fetched source to check");
	} else if ((n = check_sources(db, o, out, nout, err, errlen)) < 0) {
		return -1;
	} else {
		failed += n;
	}
	if (!table_exists(db, "fetch_budget")) {
		maint_finding *f = add(out, nout, MAINT_NOTE, "budgets");
		snprintf(f->why, sizeof f->why, "no fetch_budget table: no API budget to check");
	} else if ((n = check_budgets(db, o, out, nout, err, errlen)) < 0) {
		return -1;
	} else {
		failed += n;
	}
	return failed;
}
