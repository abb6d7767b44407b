/*
 * store.h — what herd keeps, independent of where it keeps it: the tables
 * (names, columns, keys) and the translation of each record kind into
 * rows of those tables, with the checks that decide whether a record can
 * be loaded at all ("field 'created_at' is a number, not a time").
 *
 * A backend (sqlite.c; pgcopy.c, PostgreSQL COPY files for psql to load)
 * receives the rows of one record at a time through store_backend and
 * upserts them by each table's key. Nothing here does I/O: herd-load
 * wires a record stream to a backend; herd-report and the fetcher reach
 * the SQLite file through sqlite.h directly.
 */
#ifndef HERD_STORE_H
#define HERD_STORE_H

#include <jansson.h>
#include <stddef.h>

/* ---------------------------------------------------------------- tables */

enum store_type {
	STORE_TEXT, /* UTF-8 string */
	STORE_INT,  /* 64-bit integer */
	STORE_REAL, /* double */
	STORE_JSON, /* compact JSON text (an object kept whole: sources, evidence) */
	STORE_TIME, /* a time as canonical text "2021-01-27T14:03:00Z" (timestamptz in PostgreSQL) */
};

struct store_column {
	const char *name;
	enum store_type type;
	int notnull;
};

#define STORE_MAX_COLS 16

/*
 * A table: its first nkey columns are its key (what an UPSERT matches).
 * ngroup > 0 makes it a set table: the rows one record gives for the same
 * first ngroup columns are the whole set, and rows of that group that the
 * record no longer lists are deleted (a post's entities). A set table's
 * key is its group plus exactly one column.
 */
struct store_table {
	const char *name;
	const struct store_column *cols;
	int ncols;
	int nkey;
	int ngroup;
};

enum store_table_id {
	STORE_POSTS,
	STORE_POST_ENTITIES,
	STORE_SCORES,
	STORE_METRICS,
	STORE_AGGREGATES,
	STORE_EVENTS,
	STORE_RAW,
	STORE_NTABLES
};

extern const struct store_table store_tables[STORE_NTABLES];

/* ---------------------------------------------------------------- rows */

enum store_vtype { STORE_V_NULL, STORE_V_INT, STORE_V_REAL, STORE_V_TEXT };

typedef struct store_value {
	enum store_vtype t;
	long long i;
	double r;
	const char *s; /* TEXT: borrowed from the record or owned by the rows */
	size_t n;      /* TEXT: length in bytes (strings may hold NUL) */
} store_value;

typedef struct store_row {
	int table;                     /* enum store_table_id */
	store_value v[STORE_MAX_COLS]; /* one per column of the table */
} store_row;

/*
 * The rows one record becomes. groups[] names the set-table groups the
 * record replaces (only their first ngroup values are set), even when the
 * record gives no row for them (a post with no entities clears them).
 *
 * store_rows_init fills a struct the caller owns; store_rows_free releases
 * what it holds. Text values point into the record they were made from:
 * the record must outlive the rows.
 */
typedef struct store_rows {
	store_row *rows;
	int n, cap;
	store_row *groups;
	int ngroups, capgroups;
	char **owned; /* strings made here (times, JSON text) */
	int nowned, capowned;
} store_rows;

/* Flags for store_rows_from_record. */
enum {
	STORE_KEEP_RAW = 1, /* load raw records into the raw table instead of rejecting them */
};

void store_rows_init(store_rows *r);
void store_rows_reset(store_rows *r); /* empty, keep memory */
void store_rows_free(store_rows *r);

/*
 * Translate one record into rows (after store_rows_reset). Returns 0, or
 * -1 with a reason fit for "file:line: reason" in err (the record is then
 * not to be loaded at all: no partial records). Rules: docs/storage.md.
 */
int store_rows_from_record(store_rows *out, const json_t *rec, int flags, char *err, size_t errlen);

/* ---------------------------------------------------------------- backends */

/* What loading did to each table (counts of rows). */
typedef struct store_counts {
	long long inserted;  /* new key */
	long long updated;   /* key present, some value changed */
	long long unchanged; /* key present, every value equal */
	long long deleted;   /* dropped from a set (an entity a post no longer has) */
} store_counts;

/*
 * A place records go. put() writes the rows of one record; flush() ends a
 * batch (a transaction, a file); close() flushes, releases everything and
 * frees the backend. Each returns 0, or -1 with a message in err.
 * Backends that cannot tell inserted from updated count everything as
 * inserted.
 */
typedef struct store_backend {
	const char *name; /* "sqlite", … */
	void *self;
	int (*put)(void *self, const store_rows *rows, store_counts counts[STORE_NTABLES], char *err, size_t errlen);
	int (*flush)(void *self, char *err, size_t errlen);
	int (*close)(void *self, char *err, size_t errlen);
} store_backend;

#endif
