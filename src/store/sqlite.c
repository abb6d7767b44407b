/*
 * sqlite.c — herd's SQLite file; see sqlite.h.
 *
 * The schema is schema.c's list of migrations, applied at open. When a
 * record table changes, update store_tables in store.c too;
 * tests/unit/test_store_sqlite.c checks the two agree.
 *
 * Upserts are generated from store_tables: INSERT … ON CONFLICT(key) DO
 * UPDATE SET every other column WHERE any of them differs. Whether a row
 * was inserted, updated or left alone is read from sqlite3_changes() and
 * the last insert rowid (which an UPSERT's update leaves untouched; we
 * zero it before each statement, and rowids start at 1).
 */
#include "sqlite.h"
#include "schema.h"
#include "lib/buf.h"
#include "lib/htime.h"
#include "lib/log.h"
#include "lib/ndjson.h"
#include "lib/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ================================================================ handle */

struct store_sqlite {
	sqlite3 *db;
	char *path;
	int version;                          /* schema version after open */
	int in_batch;                         /* a transaction is open */
	sqlite3_stmt *upsert[STORE_NTABLES];  /* prepared on first use */
	sqlite3_stmt *regroup[STORE_NTABLES]; /* set tables: delete what a record dropped */
	sqlite3_stmt *kv_get, *kv_set;
	buf_t members;                        /* scratch: JSON array of a group's members */
};

/* Run SQL with no results; -1 with "path: what: sqlite's message". */
static int exec(store_sqlite *s, const char *sql, const char *what, char *err, size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	herd_errf(err, errlen, "%s: %s: %s", s->path, what, msg ? msg : sqlite3_errmsg(s->db));
	sqlite3_free(msg);
	return -1;
}

store_sqlite *store_sqlite_open(const char *path, char *err, size_t errlen)
{
	store_sqlite *s = xcalloc(1, sizeof *s);
	char mode[16] = "";
	sqlite3_stmt *st;

	s->path = xstrdup(path);
	/* NOMUTEX: one handle per thread (sqlite.h), so SQLite's own locking
	 * of the handle is pure cost. */
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		herd_errf(err, errlen, "%s: cannot open: %s", path, s->db ? sqlite3_errmsg(s->db) : "out of memory");
		goto bad;
	}
	sqlite3_busy_timeout(s->db, STORE_SQLITE_BUSY_MS);
	/* WAL: readers never block the loader. synchronous=NORMAL is durable
	 * in WAL mode except for the last batches before a power loss. */
	if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &st, NULL) != SQLITE_OK) {
		herd_errf(err, errlen, "%s: %s", path, sqlite3_errmsg(s->db));
		goto bad;
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		snprintf(mode, sizeof mode, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (strcmp(mode, "wal") != 0 && strcmp(mode, "memory") != 0) {
		herd_errf(err, errlen, "%s: cannot use WAL mode: %s", path, mode[0] ? mode : sqlite3_errmsg(s->db));
		goto bad;
	}
	if (exec(s, "PRAGMA synchronous = NORMAL", "cannot set synchronous", err, errlen) || schema_migrate(s->db, s->path, &s->version, err, errlen))
		goto bad;
	return s;
bad:
	store_sqlite_close(s, NULL, 0);
	return NULL;
}

int store_sqlite_close(store_sqlite *s, char *err, size_t errlen)
{
	char buf[512];
	int rc = 0;

	if (!s)
		return 0;
	if (!err) {
		err = buf;
		errlen = sizeof buf;
	}
	if (s->db && s->in_batch)
		rc = store_sqlite_commit(s, err, errlen);
	for (int i = 0; i < STORE_NTABLES; i++) {
		sqlite3_finalize(s->upsert[i]);
		sqlite3_finalize(s->regroup[i]);
	}
	sqlite3_finalize(s->kv_get);
	sqlite3_finalize(s->kv_set);
	if (s->db && sqlite3_close(s->db) != SQLITE_OK && rc == 0)
		rc = herd_errf(err, errlen, "%s: cannot close: %s", s->path, sqlite3_errmsg(s->db));
	buf_free(&s->members);
	free(s->path);
	free(s);
	return rc;
}

int store_sqlite_version(const store_sqlite *s)
{
	return s->version;
}

int store_sqlite_latest_version(void)
{
	return schema_latest_version();
}

sqlite3 *store_sqlite_handle(store_sqlite *s)
{
	return s->db;
}

/* ================================================================ state SQL that must not fail */

static void must_fail(store_sqlite *s, const char *what)
{
	log_fatal(HERD_EXIT_FAIL, "%s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
}

void store_sqlite_must_exec(store_sqlite *s, const char *sql, const char *what)
{
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		must_fail(s, what);
}

sqlite3_stmt *store_sqlite_must_prepare(store_sqlite *s, const char *sql, const char *what)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		must_fail(s, what);
	return st;
}

int store_sqlite_must_step(store_sqlite *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc != SQLITE_DONE)
		must_fail(s, what);
	return 0;
}

void store_sqlite_must_finish(store_sqlite *s, sqlite3_stmt *st, const char *what)
{
	while (store_sqlite_must_step(s, st, what))
		;
	sqlite3_finalize(st);
}

/* ================================================================ batches */

int store_sqlite_begin(store_sqlite *s, char *err, size_t errlen)
{
	if (s->in_batch)
		return 0;
	if (exec(s, "BEGIN IMMEDIATE", "cannot begin a batch", err, errlen))
		return -1;
	s->in_batch = 1;
	return 0;
}

int store_sqlite_commit(store_sqlite *s, char *err, size_t errlen)
{
	if (!s->in_batch)
		return 0;
	s->in_batch = 0;
	if (exec(s, "COMMIT", "cannot commit", err, errlen)) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

/* ================================================================ upserts */

static sqlite3_stmt *prepare(store_sqlite *s, const char *sql, char *err, size_t errlen)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
		herd_errf(err, errlen, "%s: %s (in: %s)", s->path, sqlite3_errmsg(s->db), sql);
		return NULL;
	}
	return st;
}

/* INSERT INTO t ("c1",…) VALUES (?1,…) ON CONFLICT ("k1",…) DO UPDATE SET
 * "c"=excluded."c",… WHERE t."c" IS NOT excluded."c" OR … */
static sqlite3_stmt *upsert_stmt(store_sqlite *s, int table, char *err, size_t errlen)
{
	const struct store_table *t = &store_tables[table];
	buf_t b = BUF_INIT;

	if (s->upsert[table])
		return s->upsert[table];
	buf_printf(&b, "INSERT INTO %s (", t->name);
	for (int i = 0; i < t->ncols; i++)
		buf_printf(&b, "%s\"%s\"", i ? ", " : "", t->cols[i].name);
	buf_puts(&b, ") VALUES (");
	for (int i = 0; i < t->ncols; i++)
		buf_printf(&b, "%s?%d", i ? ", " : "", i + 1);
	buf_puts(&b, ") ON CONFLICT (");
	for (int i = 0; i < t->nkey; i++)
		buf_printf(&b, "%s\"%s\"", i ? ", " : "", t->cols[i].name);
	if (t->nkey == t->ncols) {
		buf_puts(&b, ") DO NOTHING");
	} else {
		buf_puts(&b, ") DO UPDATE SET ");
		for (int i = t->nkey; i < t->ncols; i++)
			buf_printf(&b, "%s\"%s\" = excluded.\"%s\"", i > t->nkey ? ", " : "", t->cols[i].name,
				   t->cols[i].name);
		buf_puts(&b, " WHERE ");
		for (int i = t->nkey; i < t->ncols; i++)
			buf_printf(&b, "%s%s.\"%s\" IS NOT excluded.\"%s\"", i > t->nkey ? " OR " : "", t->name,
				   t->cols[i].name, t->cols[i].name);
	}
	s->upsert[table] = prepare(s, b.p, err, errlen);
	buf_free(&b);
	return s->upsert[table];
}

/* DELETE FROM t WHERE "g1" = ?1 … AND "m" NOT IN (SELECT value FROM
 * json_each(?N)): the members a record no longer lists. */
static sqlite3_stmt *regroup_stmt(store_sqlite *s, int table, char *err, size_t errlen)
{
	const struct store_table *t = &store_tables[table];
	buf_t b = BUF_INIT;

	if (s->regroup[table])
		return s->regroup[table];
	buf_printf(&b, "DELETE FROM %s WHERE ", t->name);
	for (int i = 0; i < t->ngroup; i++)
		buf_printf(&b, "\"%s\" = ?%d AND ", t->cols[i].name, i + 1);
	buf_printf(&b, "\"%s\" NOT IN (SELECT value FROM json_each(?%d))", t->cols[t->ngroup].name, t->ngroup + 1);
	s->regroup[table] = prepare(s, b.p, err, errlen);
	buf_free(&b);
	return s->regroup[table];
}

static void bind_value(sqlite3_stmt *st, int i, const store_value *v)
{
	switch (v->t) {
	case STORE_V_NULL: sqlite3_bind_null(st, i); break;
	case STORE_V_INT: sqlite3_bind_int64(st, i, v->i); break;
	case STORE_V_REAL: sqlite3_bind_double(st, i, v->r); break;
	case STORE_V_TEXT: sqlite3_bind_text64(st, i, v->s, v->n, SQLITE_STATIC, SQLITE_UTF8); break;
	}
}

/* Run a bound statement to completion; it is reset either way (its
 * bindings stay: every caller binds every parameter each time). */
static int run(store_sqlite *s, sqlite3_stmt *st, const char *table, char *err, size_t errlen)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return herd_errf(err, errlen, "%s: %s: %s", s->path, table, sqlite3_errmsg(s->db));
	return 0;
}

static int put_row(store_sqlite *s, const store_row *row, store_counts *c, char *err, size_t errlen)
{
	const struct store_table *t = &store_tables[row->table];
	sqlite3_stmt *st = upsert_stmt(s, row->table, err, errlen);

	if (!st)
		return -1;
	for (int i = 0; i < t->ncols; i++)
		bind_value(st, i + 1, &row->v[i]);
	sqlite3_set_last_insert_rowid(s->db, 0);
	if (run(s, st, t->name, err, errlen))
		return -1;
	if (sqlite3_changes(s->db) == 0)
		c->unchanged++;
	else if (sqlite3_last_insert_rowid(s->db) != 0)
		c->inserted++;
	else
		c->updated++;
	return 0;
}

/* Delete the members of group g that rows[] does not list. */
static int put_group(store_sqlite *s, const store_rows *rows, const store_row *g, store_counts *c, char *err,
		     size_t errlen)
{
	const struct store_table *t = &store_tables[g->table];
	sqlite3_stmt *st = regroup_stmt(s, g->table, err, errlen);
	json_t *members = json_array();

	if (!st) {
		json_decref(members);
		return -1;
	}
	for (int r = 0; r < rows->n; r++) {
		const store_row *row = &rows->rows[r];
		int same = row->table == g->table;

		for (int i = 0; i < t->ngroup && same; i++)
			same = row->v[i].t == STORE_V_TEXT && g->v[i].t == STORE_V_TEXT && row->v[i].n == g->v[i].n &&
			       memcmp(row->v[i].s, g->v[i].s, g->v[i].n) == 0;
		if (same)
			json_array_append_new(members, json_stringn(row->v[t->ngroup].s, row->v[t->ngroup].n));
	}
	buf_reset(&s->members);
	ndjson_dump(&s->members, members);
	json_decref(members);
	for (int i = 0; i < t->ngroup; i++)
		bind_value(st, i + 1, &g->v[i]);
	sqlite3_bind_text64(st, t->ngroup + 1, s->members.p, s->members.len, SQLITE_STATIC, SQLITE_UTF8);
	if (run(s, st, t->name, err, errlen))
		return -1;
	c->deleted += sqlite3_changes(s->db);
	return 0;
}

int store_sqlite_put(store_sqlite *s, const store_rows *rows, store_counts counts[STORE_NTABLES], char *err,
		     size_t errlen)
{
	if (store_sqlite_begin(s, err, errlen))
		return -1;
	for (int r = 0; r < rows->n; r++)
		if (put_row(s, &rows->rows[r], &counts[rows->rows[r].table], err, errlen))
			goto rollback;
	for (int g = 0; g < rows->ngroups; g++)
		if (put_group(s, rows, &rows->groups[g], &counts[rows->groups[g].table], err, errlen))
			goto rollback;
	return 0;
rollback:
	/* No half-loaded record: the whole batch goes (the counts of this
	 * batch are then too high; the caller stops and says so). */
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	s->in_batch = 0;
	return -1;
}

/* ---------------------------------------------------------------- backend */

static int backend_put(void *self, const store_rows *rows, store_counts counts[STORE_NTABLES], char *err,
		       size_t errlen)
{
	return store_sqlite_put(self, rows, counts, err, errlen);
}

static int backend_flush(void *self, char *err, size_t errlen)
{
	return store_sqlite_commit(self, err, errlen);
}

static int backend_close(void *self, char *err, size_t errlen)
{
	return store_sqlite_close(self, err, errlen);
}

void store_sqlite_backend(store_sqlite *s, store_backend *b)
{
	b->name = "sqlite";
	b->self = s;
	b->put = backend_put;
	b->flush = backend_flush;
	b->close = backend_close;
}

/* ================================================================ state */

char *store_sqlite_kv_get(store_sqlite *s, const char *ns, const char *key)
{
	char err[256];
	char *val = NULL;

	if (!s->kv_get && !(s->kv_get = prepare(s, "SELECT value FROM state_kv WHERE ns = ?1 AND \"key\" = ?2", err,
						sizeof err)))
		return NULL;
	sqlite3_bind_text(s->kv_get, 1, ns, -1, SQLITE_STATIC);
	sqlite3_bind_text(s->kv_get, 2, key, -1, SQLITE_STATIC);
	if (sqlite3_step(s->kv_get) == SQLITE_ROW && sqlite3_column_type(s->kv_get, 0) != SQLITE_NULL)
		val = xstrdup((const char *)sqlite3_column_text(s->kv_get, 0));
	sqlite3_reset(s->kv_get);
	sqlite3_clear_bindings(s->kv_get);
	return val;
}

int store_sqlite_kv_set(store_sqlite *s, const char *ns, const char *key, const char *value, int64_t updated_at,
			char *err, size_t errlen)
{
	char when[HTIME_LEN];

	if (!s->kv_set &&
	    !(s->kv_set = prepare(s,
				  "INSERT INTO state_kv VALUES (?1, ?2, ?3, ?4) ON CONFLICT (ns, \"key\") "
				  "DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
				  err, errlen)))
		return -1;
	htime_format(updated_at, when);
	sqlite3_bind_text(s->kv_set, 1, ns, -1, SQLITE_STATIC);
	sqlite3_bind_text(s->kv_set, 2, key, -1, SQLITE_STATIC);
	if (value)
		sqlite3_bind_text(s->kv_set, 3, value, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s->kv_set, 3);
	sqlite3_bind_text(s->kv_set, 4, when, -1, SQLITE_STATIC);
	return run(s, s->kv_set, "state_kv", err, errlen);
}
