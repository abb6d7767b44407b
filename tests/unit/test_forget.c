/*
 * test_forget.c — forgetting an author (issue 14, part 3), the pieces:
 *   - the hash: SHA-256 of "herd-forget:" LEN ":" SOURCE AUTHOR, checked
 *     against a digest computed apart (sha256sum of the same bytes), and
 *     source and author never run together ("ab"+"c" is not "a"+"bc");
 *   - where each source's raw record names its author: for raw items of
 *     every source with authors (Reddit, StockTwits, NewsAPI, X v2 with and
 *     without the author expansion, X v1.1, Alpha Vantage's author list),
 *     source_raw_author() in C and source_raw_author_sql() run by SQLite on
 *     the same row give exactly the author the source's normalizer writes in
 *     its post; sources without authors give none;
 *   - forget_sqlite: the author's posts, post_entities, scores and raw rows
 *     go, nobody else's; the list and an audit row; a second forget lists
 *     nothing new; forget_list_has and forget_list_refresh.
 * (PostgreSQL's expressions are checked on a real server by
 * tests/pg/check-forget.sh.)
 */
#include "lib/buf.h"
#include "sources/sources.h"
#include "store/forget.h"
#include "store/sqlite.h"
#include "store/store.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The author the normalizer gives a raw item (its first post), or NULL. */
static char author_of_post[256];
static int got_post;

static void on_post(void *arg, json_t *post)
{
	const char *a = json_string_value(json_object_get(post, "author"));

	(void)arg;
	if (!got_post++)
		snprintf(author_of_post, sizeof author_of_post, "%s", a ? a : "(null)");
	json_decref(post);
}

static void on_bad(void *arg, const json_t *item, size_t index, const char *reason)
{
	(void)arg;
	(void)item;
	(void)index;
	(void)reason;
}

/* Check one raw record: normalizer, C path and SQLite path agree. */
static void agree(sqlite3 *db, const char *sql_expr, const char *src_name, const char *item_json,
		  const char *includes_json, const char *want)
{
	const source *src = source_find(src_name);
	json_t *item = json_loads(item_json, 0, NULL), *inc = includes_json ? json_loads(includes_json, 0, NULL) : NULL;
	src_meta meta = {"q", inc};
	src_out out = {on_post, on_bad, NULL};
	buf_t who = BUF_INIT;
	char err[256], *sql;
	sqlite3_stmt *st;
	const char *c_author;

	got_post = 0;
	CHECK(src && item, "%s: the item parses", src_name);
	if (!src || !item)
		return;
	src->normalize(item, &meta, &out, err, sizeof err);
	CHECK(got_post == 1, "%s: the item normalizes to a post", src_name);
	CHECK_STR(author_of_post, want, "the normalizer's author");
	c_author = source_raw_author(src, item, inc, &who) ? who.p : "(null)";
	CHECK_STR(c_author, author_of_post, "source_raw_author = the post's author");
	sql = sqlite3_mprintf("SELECT coalesce((%s), '(null)') FROM (SELECT %Q AS source, %Q AS item, %Q AS includes)",
			      sql_expr, src_name, item_json, includes_json);
	CHECK(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "the SQLite expression prepares: %s",
	      sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW)
		CHECK_STR((const char *)sqlite3_column_text(st, 0), author_of_post, "SQLite's expression = the post's author");
	sqlite3_finalize(st);
	sqlite3_free(sql);
	buf_free(&who);
	json_decref(item);
	json_decref(inc);
}

static long long count(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	long long n = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static void load(store_sqlite *db, const char *json)
{
	store_rows rows;
	store_counts c[STORE_NTABLES] = {{0}};
	char err[256];
	json_t *rec = json_loads(json, 0, NULL);

	store_rows_init(&rows);
	CHECK(rec && store_rows_from_record(&rows, rec, STORE_KEEP_RAW, err, sizeof err) == 0, "a test record: %s", err);
	CHECK(store_sqlite_put(db, &rows, c, err, sizeof err) == 0, "loaded: %s", err);
	store_rows_free(&rows);
	json_decref(rec);
}

int main(void)
{
	char dir[] = "/tmp/herd-test-forget-XXXXXX", path[300], err[512], h[FORGET_HASH_LEN], h2[FORGET_HASH_LEN];
	buf_t expr = BUF_INIT;
	store_sqlite *db;
	sqlite3 *mem;
	forget_counts c;
	forget_list fl;
	int listed;

	/* printf 'herd-forget:6:redditalice' | sha256sum */
	forget_hash("reddit", "alice", h);
	CHECK_STR(h, "77585af258d54e08c6d8e7f017107d72380d79a11fd26fbab041f8709ed32441", "the hash of reddit/alice");
	forget_hash("ab", "c", h);
	forget_hash("a", "bc", h2);
	CHECK(strcmp(h, h2) != 0, "source and author never run together");

	/* Where raw records name their authors. */
	source_raw_author_sql(SRC_SQL_SQLITE, &expr);
	sqlite3_open(":memory:", &mem);
	agree(mem, expr.p, "reddit",
	      "{\"kind\":\"t1\",\"data\":{\"id\":\"abc\",\"name\":\"t1_abc\",\"author\":\"alice\",\"body\":\"GME\","
	      "\"created_utc\":1611756180,\"subreddit\":\"wallstreetbets\",\"score\":3}}",
	      NULL, "alice");
	agree(mem, expr.p, "stocktwits",
	      "{\"id\":5,\"body\":\"$GME\",\"created_at\":\"2021-01-27T14:03:00Z\",\"user\":{\"id\":9,\"username\":\"bob\"}}",
	      NULL, "bob");
	agree(mem, expr.p, "newsapi",
	      "{\"source\":{\"name\":\"Wire\"},\"author\":\"Jane Doe\",\"title\":\"t\",\"url\":\"https://e.com/a\","
	      "\"publishedAt\":\"2021-01-27T14:03:00Z\"}",
	      NULL, "Jane Doe");
	agree(mem, expr.p, "x", "{\"id\":\"1354\",\"text\":\"$GME\",\"author_id\":\"42\",\"created_at\":\"2021-01-27T14:03:00Z\"}",
	      "{\"users\":[{\"id\":\"42\",\"username\":\"carol\"}]}", "carol");
	agree(mem, expr.p, "x", "{\"id\":\"1355\",\"text\":\"$GME\",\"author_id\":\"42\",\"created_at\":\"2021-01-27T14:03:00Z\"}",
	      NULL, "42");
	agree(mem, expr.p, "x", "{\"id\":\"1356\",\"text\":\"$GME\",\"author_id\":43,\"created_at\":\"2021-01-27T14:03:00Z\"}",
	      NULL, "43");
	agree(mem, expr.p, "x",
	      "{\"id_str\":\"1357\",\"full_text\":\"$GME\",\"created_at\":\"Wed Jan 27 14:03:00 +0000 2021\","
	      "\"user\":{\"screen_name\":\"dave\"}}",
	      NULL, "dave");
	agree(mem, expr.p, "alphavantage",
	      "{\"title\":\"t\",\"url\":\"https://e.com/b\",\"time_published\":\"20210127T140300\",\"authors\":[\"Ann\",\"\","
	      "\"Ben\"],\"summary\":\"s\",\"source\":\"Wire\"}",
	      NULL, "Ann, Ben");
	agree(mem, expr.p, "newsapi",
	      "{\"source\":{\"name\":\"Wire\"},\"author\":\"\",\"title\":\"t\",\"url\":\"https://e.com/c\","
	      "\"publishedAt\":\"2021-01-27T14:03:00Z\"}",
	      NULL, "(null)");
	{
		buf_t who = BUF_INIT;
		json_t *alert = json_pack("{s:s}", "ticker", "GME");
		CHECK(!source_raw_author(source_find("unusualwhales"), alert, NULL, &who), "a source without authors: none");
		json_decref(alert);
		buf_free(&who);
	}
	sqlite3_close(mem);

	/* forget_sqlite on a herd file. */
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(path, sizeof path, "%s/herd.db", dir);
	db = store_sqlite_open(path, err, sizeof err);
	CHECK(db != NULL, "opens: %s", err);
	if (!db)
		return test_report();
#define POST(id, who)                                                                                          \
	"{\"kind\":\"post\",\"id\":\"reddit:" id "\",\"source\":\"reddit\",\"type\":\"comment\",\"created_at\":" \
	"\"2021-01-27T14:03:00Z\",\"author\":\"" who "\",\"text\":\"$GME\",\"entities\":[\"GME\",\"AMC\"],"     \
	"\"vader\":{\"neg\":0,\"neu\":1,\"pos\":0,\"compound\":0}}"
#define RAW(id, who)                                                                                           \
	"{\"kind\":\"raw\",\"source\":\"reddit\",\"fetched_at\":\"2021-01-27T14:05:00Z\",\"query\":\"wsb\","      \
	"\"item\":{\"kind\":\"t1\",\"data\":{\"id\":\"" id "\",\"author\":\"" who "\"}}}"
	load(db, POST("t1_a", "alice"));
	load(db, POST("t1_b", "alice"));
	load(db, POST("t1_c", "bob"));
	load(db, RAW("a", "alice"));
	load(db, RAW("c", "bob"));
	load(db, "{\"kind\":\"post\",\"id\":\"stocktwits:1\",\"source\":\"stocktwits\",\"type\":\"message\","
		 "\"created_at\":\"2021-01-27T14:03:00Z\",\"author\":\"alice\",\"text\":\"x\"}");
	CHECK(store_sqlite_commit(db, err, sizeof err) == 0, "commit: %s", err);
	buf_reset(&expr);
	source_raw_author_sql(SRC_SQL_SQLITE, &expr);
	CHECK(forget_sqlite(store_sqlite_handle(db), "reddit", "alice", expr.p, 1700000000, &c, &listed, err, sizeof err) ==
		      0,
	      "forget reddit/alice: %s", err);
	CHECK(c.posts == 2 && c.post_entities == 4 && c.scores == 2 && c.raw == 1 && !listed,
	      "2 posts, 4 entity rows, 2 scores, 1 raw deleted (%lld %lld %lld %lld)", c.posts, c.post_entities, c.scores,
	      c.raw);
	CHECK(count(store_sqlite_handle(db), "SELECT count(*) FROM posts") == 2, "bob's post and stocktwits' alice stay");
	CHECK(count(store_sqlite_handle(db), "SELECT count(*) FROM post_entities") == 2, "bob's entities stay");
	CHECK(count(store_sqlite_handle(db), "SELECT count(*) FROM raw") == 1, "bob's raw record stays");
	forget_hash("reddit", "alice", h);
	CHECK(count(store_sqlite_handle(db),
		    "SELECT count(*) FROM forget_audit WHERE \"at\" = '2023-11-14T22:13:20Z' AND source = 'reddit' "
		    "AND posts = 2 AND post_entities = 4 AND scores = 2 AND raw = 1 AND length(hash) = 64") == 1,
	      "one audit row: time, source, hash, counts");
	CHECK(count(store_sqlite_handle(db), "SELECT count(*) FROM forget_audit WHERE hash LIKE '%alice%'") == 0,
	      "no name in the audit row");
	CHECK(forget_sqlite(store_sqlite_handle(db), "reddit", "alice", expr.p, 1700000100, &c, &listed, err, sizeof err) ==
			      0 &&
		      listed && c.posts == 0,
	      "a second forget: listed already, nothing left");
	forget_list_init(&fl);
	CHECK(forget_list_refresh(store_sqlite_handle(db), &fl, err, sizeof err) == 0, "the list reads: %s", err);
	CHECK(forget_list_has(&fl, "reddit", "alice") && !forget_list_has(&fl, "reddit", "bob") &&
		      !forget_list_has(&fl, "stocktwits", "alice"),
	      "the list: reddit/alice only");
	CHECK(forget_list_dropped(store_sqlite_handle(db), "reddit", "alice", err, sizeof err) == 0 &&
		      count(store_sqlite_handle(db), "SELECT dropped FROM forget_list") == 1,
	      "a drop is counted");
	forget_list_free(&fl);
	store_sqlite_close(db, NULL, 0);
	buf_free(&expr);
	unlink(path);
	snprintf(path, sizeof path, "%s/herd.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/herd.db-shm", dir);
	unlink(path);
	rmdir(dir);
	return test_report();
}
