/*
 * test_store_sqlite.c — herd's SQLite file (src/store/sqlite.c): the
 * migrations build exactly the tables store.c describes, run once, refuse
 * foreign and newer files; upserts count new/updated/unchanged rows, a
 * post's entity set is replaced whole, a failed record rolls its batch
 * back, and the key-value state round-trips.
 */
#include "lib/jsonx.h"
#include "store/sqlite.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static long long q_int(store_sqlite *db, const char *sql)
{
	sqlite3_stmt *st;
	long long v = -1;

	if (sqlite3_prepare_v2(store_sqlite_handle(db), sql, -1, &st, NULL) != SQLITE_OK)
		return -2;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void q_text(store_sqlite *db, const char *sql, char *out, size_t n)
{
	sqlite3_stmt *st;

	out[0] = '\0';
	if (sqlite3_prepare_v2(store_sqlite_handle(db), sql, -1, &st, NULL) != SQLITE_OK)
		return;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(out, n, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

/* The table as SQLite sees it matches store_tables: names, order, NOT
 * NULL, and the key columns in key order. */
static void check_table(store_sqlite *db, const struct store_table *t)
{
	char sql[128];
	sqlite3_stmt *st;
	int i = 0;

	snprintf(sql, sizeof sql, "SELECT name, \"notnull\", pk FROM pragma_table_info('%s') ORDER BY cid", t->name);
	CHECK(sqlite3_prepare_v2(store_sqlite_handle(db), sql, -1, &st, NULL) == SQLITE_OK, "table_info %s", t->name);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		int notnull = sqlite3_column_int(st, 1), pk = sqlite3_column_int(st, 2);

		if (i >= t->ncols) {
			CHECK(0, "%s has an extra column %s", t->name, name);
			break;
		}
		CHECK_STR(name, t->cols[i].name, t->name);
		/* A lone TEXT PRIMARY KEY may be NULL in SQLite unless declared NOT NULL: we always declare it. */
		CHECK(notnull == t->cols[i].notnull, "%s.%s NOT NULL is %d in SQL, %d in store.c", t->name, name, notnull,
		      t->cols[i].notnull);
		CHECK(pk == (i < t->nkey ? i + 1 : 0), "%s.%s is key column %d in SQL", t->name, name, pk);
		i++;
	}
	sqlite3_finalize(st);
	CHECK(i == t->ncols, "%s has %d columns in SQL, %d in store.c", t->name, i, t->ncols);
}

static int put_json(store_sqlite *db, const char *s, store_counts *counts, char *err, size_t n)
{
	store_rows r;
	json_t *rec = jx_parse(s, strlen(s), NULL, 0);
	int rc;

	store_rows_init(&r);
	rc = store_rows_from_record(&r, rec, 0, err, n);
	if (rc == 0)
		rc = store_sqlite_put(db, &r, counts, err, n);
	store_rows_free(&r);
	json_decref(rec);
	return rc;
}

#define POST(score, ents)                                                                                             \
	"{\"kind\":\"post\",\"id\":\"reddit:t1_a\",\"source\":\"reddit\",\"type\":\"comment\","                    \
	"\"created_at\":\"2021-01-27T14:03:00Z\",\"text\":\"GME AMC\",\"engagement\":{\"score\":" score ",\"replies\":0}," \
	"\"entities\":" ents "}"

int main(void)
{
	char dir[] = "/tmp/herd-test-store-XXXXXX", path[256], err[512], sql[256], txt[256];
	store_counts c[STORE_NTABLES];
	store_sqlite *db;
	char *v;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(path, sizeof path, "%s/herd.db", dir);

	/* A new file: every migration, WAL, the tables of store.c. */
	db = store_sqlite_open(path, err, sizeof err);
	CHECK(db != NULL, "a new file opens (%s)", err);
	if (!db)
		return test_report();
	CHECK(store_sqlite_version(db) == store_sqlite_latest_version(), "schema up to date");
	CHECK(q_int(db, "SELECT count(*) FROM schema_version") == store_sqlite_latest_version(),
	      "one schema_version row per migration");
	q_text(db, "PRAGMA journal_mode", txt, sizeof txt);
	CHECK_STR(txt, "wal", "journal mode");
	for (int t = 0; t < STORE_NTABLES; t++)
		check_table(db, &store_tables[t]);
	CHECK(q_int(db, "SELECT count(*) FROM sqlite_schema WHERE name IN ('state_kv', 'cursors')") == 2,
	      "state tables exist");

	/* Insert, then the same again, then a change. */
	memset(c, 0, sizeof c);
	CHECK(put_json(db, POST("1", "[\"GME\",\"AMC\"]"), c, err, sizeof err) == 0, "first put (%s)", err);
	CHECK(c[STORE_POSTS].inserted == 1 && c[STORE_POST_ENTITIES].inserted == 2, "new post and two entities");
	memset(c, 0, sizeof c);
	CHECK(put_json(db, POST("1", "[\"GME\",\"AMC\"]"), c, err, sizeof err) == 0, "same put (%s)", err);
	CHECK(c[STORE_POSTS].unchanged == 1 && c[STORE_POSTS].inserted + c[STORE_POSTS].updated == 0,
	      "same post: unchanged");
	CHECK(c[STORE_POST_ENTITIES].unchanged == 2 && c[STORE_POST_ENTITIES].deleted == 0, "same entities: unchanged");
	memset(c, 0, sizeof c);
	CHECK(put_json(db, POST("5", "[\"GME\",\"TSLA\"]"), c, err, sizeof err) == 0, "changed put (%s)", err);
	CHECK(c[STORE_POSTS].updated == 1, "changed score: updated");
	CHECK(c[STORE_POST_ENTITIES].inserted == 1 && c[STORE_POST_ENTITIES].unchanged == 1 &&
		      c[STORE_POST_ENTITIES].deleted == 1,
	      "entities: TSLA new, GME kept, AMC dropped");
	CHECK(store_sqlite_commit(db, err, sizeof err) == 0, "commit (%s)", err);
	CHECK(q_int(db, "SELECT score FROM posts WHERE id = 'reddit:t1_a'") == 5, "the record loaded last wins");
	q_text(db, "SELECT group_concat(entity, ',') FROM (SELECT entity FROM post_entities ORDER BY entity)", txt,
	       sizeof txt);
	CHECK_STR(txt, "GME,TSLA", "entity set after replacement");

	/* A record the database refuses rolls its whole batch back. */
	{
		store_rows r;
		store_row *row;

		memset(c, 0, sizeof c);
		CHECK(put_json(db, POST("9", "[\"GME\"]"), c, err, sizeof err) == 0, "put in a batch (%s)", err);
		store_rows_init(&r);
		r.rows = calloc(1, sizeof *r.rows);
		r.n = r.cap = 1;
		row = &r.rows[0];
		row->table = STORE_EVENTS; /* every value NULL: violates NOT NULL key */
		CHECK(store_sqlite_put(db, &r, c, err, sizeof err) < 0 && strstr(err, "events: NOT NULL constraint failed"),
		      "a NULL key fails: %s", err);
		store_rows_free(&r);
		CHECK(q_int(db, "SELECT score FROM posts WHERE id = 'reddit:t1_a'") == 5, "the batch was rolled back");
		CHECK(store_sqlite_commit(db, err, sizeof err) == 0, "nothing left to commit");
	}

	/* State. */
	CHECK(store_sqlite_kv_get(db, "detect", "GME:1h") == NULL, "absent key");
	CHECK(store_sqlite_kv_set(db, "detect", "GME:1h", "{\"mean\":3}", 1611756180, err, sizeof err) == 0, "kv set (%s)",
	      err);
	CHECK(store_sqlite_kv_set(db, "detect", "GME:1h", "{\"mean\":4}", 1611759780, err, sizeof err) == 0,
	      "kv overwrite (%s)", err);
	v = store_sqlite_kv_get(db, "detect", "GME:1h");
	CHECK_STR(v, "{\"mean\":4}", "kv value");
	free(v);
	q_text(db, "SELECT updated_at FROM state_kv", txt, sizeof txt);
	CHECK_STR(txt, "2021-01-27T15:03:00Z", "kv updated_at");
	CHECK(store_sqlite_close(db, err, sizeof err) == 0, "close (%s)", err);

	/* Reopening applies nothing twice. */
	db = store_sqlite_open(path, err, sizeof err);
	CHECK(db && q_int(db, "SELECT count(*) FROM schema_version") == store_sqlite_latest_version(),
	      "reopen: migrations not repeated");
	CHECK(db && q_int(db, "SELECT count(*) FROM posts") == 1, "reopen: data kept");
	/* A newer file is refused, untouched. */
	snprintf(sql, sizeof sql, "INSERT INTO schema_version VALUES (%d, 'future', '2030-01-01T00:00:00Z')",
		 store_sqlite_latest_version() + 1);
	CHECK(db && sqlite3_exec(store_sqlite_handle(db), sql, NULL, NULL, NULL) == SQLITE_OK, "mark as newer");
	store_sqlite_close(db, NULL, 0);
	db = store_sqlite_open(path, err, sizeof err);
	CHECK(db == NULL && strstr(err, "is newer than this program's"), "newer schema refused: %s", err);
	store_sqlite_close(db, NULL, 0);

	/* A file of schema 7 (metrics without "key", issue 14): migration 8
	 * rebuilds the table and keeps its rows, as samples (key ''). */
	{
		char old[300];
		sqlite3 *h;

		snprintf(old, sizeof old, "%s/v7.db", dir);
		db = store_sqlite_open(old, err, sizeof err);
		h = db ? store_sqlite_handle(db) : NULL;
		CHECK(h && sqlite3_exec(h,
					"DROP TABLE metrics; DROP TABLE forget_list; DROP TABLE forget_audit;"
					"DELETE FROM schema_version WHERE version >= 8;"
					"CREATE TABLE metrics (source TEXT NOT NULL, entity TEXT NOT NULL, name TEXT NOT NULL,"
					" \"interval\" TEXT NOT NULL, \"at\" TEXT NOT NULL, value REAL NOT NULL, open REAL,"
					" high REAL, low REAL, close REAL, volume REAL,"
					" PRIMARY KEY (source, entity, name, \"interval\", \"at\"));"
					"INSERT INTO metrics VALUES ('yahoo', 'GME', 'bar', '1d', '2021-01-27T00:00:00Z', 347.51,"
					" 354.83, 380, 249, 347.51, 93396700)",
					NULL, NULL, NULL) == SQLITE_OK,
		      "a schema-7 file made");
		store_sqlite_close(db, NULL, 0);
		db = store_sqlite_open(old, err, sizeof err);
		CHECK(db && store_sqlite_version(db) == store_sqlite_latest_version(), "schema 7 upgraded (%s)", err);
		if (db) {
			check_table(db, &store_tables[STORE_METRICS]);
			q_text(db, "SELECT entity || '|' || \"key\" || '|' || value || '|' || volume FROM metrics", txt,
			       sizeof txt);
			CHECK_STR(txt, "GME||347.51|93396700.0", "schema 7's metric kept, key ''");
		}
		store_sqlite_close(db, NULL, 0);
		unlink(old);
	}

	/* Somebody else's SQLite file is refused. */
	{
		char other[300];
		sqlite3 *h;

		snprintf(other, sizeof other, "%s/other.db", dir);
		sqlite3_open(other, &h);
		sqlite3_exec(h, "CREATE TABLE notes (t TEXT)", NULL, NULL, NULL);
		sqlite3_close(h);
		db = store_sqlite_open(other, err, sizeof err);
		CHECK(db == NULL && strstr(err, "not a herd database"), "foreign file refused: %s", err);
		store_sqlite_close(db, NULL, 0);
		unlink(other);
	}

	unlink(path);
	for (const char *side = "-wal"; side; side = strcmp(side, "-wal") == 0 ? "-shm" : NULL) {
		char f[sizeof path + 8];

		snprintf(f, sizeof f, "%s%s", path, side);
		unlink(f);
	}
	rmdir(dir);
	return test_report();
}
