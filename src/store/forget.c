/*
 * forget.c — forgetting an author in a herd SQLite file, and the list of
 * forgotten authors herd-load drops records by; see forget.h. The hash is
 * SHA-256 (src/bert's, the one the tree has: no OpenSSL), which
 * PostgreSQL's sha256() computes the same way for pgcopy.c's scripts.
 */
#include "forget.h"
#include "bert/sha256.h"
#include "lib/htime.h"
#include "lib/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ================================================================ the hash */

void forget_hash(const char *source, const char *author, char out[FORGET_HASH_LEN])
{
	struct sha256 s;
	unsigned char d[32];
	char len[24];

	snprintf(len, sizeof len, "%zu:", strlen(source));
	sha256_init(&s);
	sha256_update(&s, "herd-forget:", 12);
	sha256_update(&s, len, strlen(len));
	sha256_update(&s, source, strlen(source));
	sha256_update(&s, author, strlen(author));
	sha256_final(&s, d);
	sha256_hex(d, 32, out);
}

void forget_hash_pg(const char *src, const char *author, char *out, size_t outlen)
{
	snprintf(out, outlen,
		 "encode(sha256(convert_to('herd-forget:' || octet_length(%s) || ':' || %s || %s, 'UTF8')), 'hex')", src,
		 src, author);
}

/* ================================================================ forgetting */

static int fail(sqlite3 *db, const char *what, char *err, size_t errlen)
{
	return herd_errf(err, errlen, "%s: %s", what, sqlite3_errmsg(db));
}

/* Run sql with ?1 source, ?2 author, ?3 hash bound; the rows it changed. */
static long long run(sqlite3 *db, const char *sql, const char *source, const char *author, const char *hash,
		     const char *what, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	long long n;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return fail(db, what, err, errlen);
	for (int i = 1; i <= sqlite3_bind_parameter_count(st); i++)
		sqlite3_bind_text(st, i, i == 1 ? source : i == 2 ? author : hash, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		fail(db, what, err, errlen);
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	n = sqlite3_changes64(db);
	return n;
}

int forget_sqlite(sqlite3 *db, const char *source, const char *author, const char *raw_author_sql, int64_t at,
		  forget_counts *c, int *listed, char *err, size_t errlen)
{
	char hash[FORGET_HASH_LEN], when[HTIME_LEN], *sql;
	sqlite3_stmt *st;
	long long n;

	memset(c, 0, sizeof *c);
	forget_hash(source, author, hash);
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return fail(db, "cannot begin", err, errlen);
	/* The list first: a load that takes the file after this commits drops
	 * the author's records; none can come between (BEGIN IMMEDIATE). */
	htime_format(at, when);
	if (sqlite3_prepare_v2(db,
			       "INSERT INTO forget_list (hash, source, since, dropped) VALUES (?1, ?2, ?3, 0) "
			       "ON CONFLICT (hash) DO NOTHING",
			       -1, &st, NULL) != SQLITE_OK)
		goto bad;
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, source, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, when, -1, SQLITE_STATIC);
	n = sqlite3_step(st) == SQLITE_DONE ? sqlite3_changes64(db) : -1;
	sqlite3_finalize(st);
	if (n < 0)
		goto bad;
	*listed = n == 0;
	if ((c->post_entities = run(db,
				    "DELETE FROM post_entities WHERE post_id IN "
				    "(SELECT id FROM posts WHERE source = ?1 AND author = ?2)",
				    source, author, hash, "post_entities", err, errlen)) < 0 ||
	    (c->scores = run(db, "DELETE FROM scores WHERE post_id IN (SELECT id FROM posts WHERE source = ?1 AND author = ?2)",
			     source, author, hash, "scores", err, errlen)) < 0 ||
	    (c->posts = run(db, "DELETE FROM posts WHERE source = ?1 AND author = ?2", source, author, hash, "posts", err,
			    errlen)) < 0)
		goto rollback;
	sql = sqlite3_mprintf("DELETE FROM raw WHERE source = ?1 AND (%s) = ?2", raw_author_sql);
	c->raw = run(db, sql, source, author, hash, "raw", err, errlen);
	sqlite3_free(sql);
	if (c->raw < 0)
		goto rollback;
	if (sqlite3_prepare_v2(db,
			       "INSERT INTO forget_audit (\"at\", source, hash, posts, post_entities, scores, raw) "
			       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
			       -1, &st, NULL) != SQLITE_OK)
		goto bad;
	sqlite3_bind_text(st, 1, when, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, source, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, c->posts);
	sqlite3_bind_int64(st, 5, c->post_entities);
	sqlite3_bind_int64(st, 6, c->scores);
	sqlite3_bind_int64(st, 7, c->raw);
	n = sqlite3_step(st) == SQLITE_DONE;
	sqlite3_finalize(st);
	if (!n)
		goto bad;
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto bad;
	return 0;
bad:
	fail(db, "forget", err, errlen);
rollback:
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* ================================================================ the list */

void forget_list_init(forget_list *fl)
{
	memset(fl, 0, sizeof *fl);
	fl->n = fl->maxrow = -1;
}

void forget_list_free(forget_list *fl)
{
	strset_free(&fl->hashes);
	forget_list_init(fl);
}

int forget_list_refresh(sqlite3 *db, forget_list *fl, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	long long n = 0, maxrow = 0;

	if (sqlite3_prepare_v2(db, "SELECT count(*), coalesce(max(rowid), 0) FROM forget_list", -1, &st, NULL) !=
	    SQLITE_OK)
		return fail(db, "forget_list", err, errlen);
	if (sqlite3_step(st) == SQLITE_ROW) {
		n = sqlite3_column_int64(st, 0);
		maxrow = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	if (n == fl->n && maxrow == fl->maxrow)
		return 0;
	strset_free(&fl->hashes);
	if (sqlite3_prepare_v2(db, "SELECT hash FROM forget_list", -1, &st, NULL) != SQLITE_OK)
		return fail(db, "forget_list", err, errlen);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *h = (const char *)sqlite3_column_text(st, 0);
		if (h)
			strset_add(&fl->hashes, h, strlen(h), strset_hash(h, strlen(h)), NULL);
	}
	sqlite3_finalize(st);
	fl->n = n;
	fl->maxrow = maxrow;
	return 0;
}

int forget_list_has(const forget_list *fl, const char *source, const char *author)
{
	char h[FORGET_HASH_LEN];

	if (!fl->hashes.n || !source || !author || !*author)
		return 0;
	forget_hash(source, author, h);
	return strset_get(&fl->hashes, h, strlen(h), strset_hash(h, strlen(h)), NULL);
}

int forget_list_dropped(sqlite3 *db, const char *source, const char *author, char *err, size_t errlen)
{
	char h[FORGET_HASH_LEN];

	forget_hash(source, author, h);
	return run(db, "UPDATE forget_list SET dropped = dropped + 1 WHERE hash = ?3", source, author, h, "forget_list",
		   err, errlen) < 0
		       ? -1
		       : 0;
}
