/*
 * forget.h — forgetting an author (GDPR art. 17, the platforms' terms):
 * deleting what herd keeps of one person's writing from a herd SQLite file,
 * remembering the person only as a hash so that their records arriving
 * later are dropped at load, and an audit row that holds no personal data.
 *
 * An author is (source, author) as posts record them (posts.source and
 * posts.author: a Reddit username, a StockTwits username, an X username or
 * author id, a NewsAPI byline). Their hash is the hex SHA-256 of
 *   "herd-forget:" LEN ":" SOURCE AUTHOR
 * (LEN the byte length of SOURCE in decimal), which PostgreSQL computes
 * the same way (sha256(), built in), so one list serves both stores. The
 * hash is a pseudonym, not an anonymization: whoever guesses the name can
 * recompute it, which is exactly what lets the list recognise the author;
 * it keeps the name out of the file, not out of reach of a guess.
 *
 * herd-maintain forget calls forget_sqlite (and pgcopy.c writes the same
 * deletion for PostgreSQL); herd-load keeps a forget_list loaded and drops
 * the records it names. The tables (forget_list, forget_audit) are
 * migration 9 of src/store/schema.c; docs/storage.md says what forgetting
 * does and does not touch (aggregates keep their counts).
 */
#ifndef HERD_STORE_FORGET_H
#define HERD_STORE_FORGET_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/strset.h"

#define FORGET_HASH_LEN 65 /* 64 hex digits and the NUL */

/* The author's hash (see above) into out. */
void forget_hash(const char *source, const char *author, char out[FORGET_HASH_LEN]);
/* The same as SQL over text expressions src and author, for PostgreSQL
 * (appended to out, a buffer of at least 512 bytes plus the expressions). */
void forget_hash_pg(const char *src, const char *author, char *out, size_t outlen);

/* What one forget deleted. */
typedef struct forget_counts {
	long long posts, post_entities, scores, raw;
} forget_counts;

/*
 * Forget (source, author) in the herd file db, in one transaction (a forget
 * killed half way leaves the file as it was; run it again): the hash goes
 * into forget_list (once), the author's posts and their post_entities and
 * scores rows are deleted, and the raw rows of source whose item names the
 * author (raw_author_sql: an SQL expression over a raw row's source, item
 * and includes, from source_raw_author_sql); an audit row (at, source,
 * hash, counts) goes into forget_audit. at is the time of the forget.
 * *listed is 1 when the hash was on the list already. Returns 0, or -1
 * with err.
 */
int forget_sqlite(sqlite3 *db, const char *source, const char *author, const char *raw_author_sql, int64_t at,
		  forget_counts *c, int *listed, char *err, size_t errlen);

/* The hashes of forget_list, for herd-load: reloaded when the table
 * changed. forget_list_init fills a struct the caller owns;
 * forget_list_free releases it. */
typedef struct forget_list {
	strset hashes;
	long long n, maxrow; /* what the table held when it was read */
} forget_list;

void forget_list_init(forget_list *fl);
void forget_list_free(forget_list *fl);
/* Read the table again when rows came or went since the last read (call it
 * inside the write transaction of a batch, so that no forget can commit
 * between the check and the load). 0, or -1 with err. */
int forget_list_refresh(sqlite3 *db, forget_list *fl, char *err, size_t errlen);
/* 1 when (source, author) is on the list. */
int forget_list_has(const forget_list *fl, const char *source, const char *author);
/* Count one record dropped because its author is forgotten (forget_list.
 * dropped, in the caller's transaction). 0, or -1 with err. */
int forget_list_dropped(sqlite3 *db, const char *source, const char *author, char *err, size_t errlen);

#endif
