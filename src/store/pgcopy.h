/*
 * pgcopy.h — herd's PostgreSQL landing: `herd-load --pg-copy DIR` writes
 * the rows of records as PostgreSQL COPY text-format files, one per table
 * per run (DIR/TABLE.RUN.copy), and a psql script DIR/load.RUN.sql that
 * creates the schema when absent and upserts the run's files through
 * staging tables in one transaction (DESIGN.md §5). pipelines/pg-load.sh
 * runs those scripts in run id order; docs/storage.md tells the flow.
 *
 * Every file is written under a temporary name (DIR/.NAME.tmp), fsynced,
 * and renamed when complete; the load script is renamed last, so a script
 * that exists names files that are whole. Runs never collide: the run id
 * (UTC time + pid, or --run-id) is in every name.
 *
 * This module does no networking and needs no libpq: it writes files.
 * The tables and record → rows rules are store.h's; this is a backend
 * beside sqlite.c. Not thread-safe: one store_pgcopy per thread.
 */
#ifndef HERD_STORE_PGCOPY_H
#define HERD_STORE_PGCOPY_H

#include <stddef.h>

#include "lib/buf.h"
#include "store.h"

/* The longest run id (they go into file names). */
#define STORE_PGCOPY_RUN_ID_MAX 64

typedef struct store_pgcopy store_pgcopy;

/*
 * Start a run writing into dir (created when absent; its parent must
 * exist). run_id NULL picks the default, "YYYYMMDDTHHMMSS.uuuuuuZ-PID" (UTC
 * wall clock: file naming is bookkeeping, not event time), which sorts in
 * the order runs started. Returns NULL with a reason in err when dir
 * cannot be made or opened, run_id is not a valid id, or a run of that id
 * already has files in dir or dir/loaded. Free with store_pgcopy_close.
 */
store_pgcopy *store_pgcopy_open(const char *dir, const char *run_id, char *err, size_t errlen);
/*
 * Publish the run: flush, fsync and rename each table's file, then write
 * and rename load.RUN.sql, and fsync dir. A run that wrote no rows
 * publishes nothing. After a failed put or flush (already reported), the
 * run is discarded instead: its temporary files are removed, nothing is
 * published, and 0 is returned. Returns 0, or -1 with err when publishing
 * fails (what was renamed is removed again). The handle is freed either
 * way; NULL is a no-op.
 */
int store_pgcopy_close(store_pgcopy *pc, char *err, size_t errlen);

/*
 * How a raw row names its author: an SQL expression over the staged row's
 * source, item and includes (source_raw_author_sql's PostgreSQL dialect).
 * With it, the load script drops the staged raw rows of forgotten authors
 * too (posts, post_entities and scores are always checked); without it,
 * raw rows are not. The string is copied.
 */
void store_pgcopy_set_raw_author(store_pgcopy *pc, const char *expr);

/*
 * Instead of a load, publish a run that forgets one author (forget.h): its
 * script puts hash on forget_list, deletes the author's posts (those of
 * source whose author hashes to hash), their post_entities and scores, and
 * the raw rows of source whose item names the author (raw_author, as for
 * store_pgcopy_set_raw_author; NULL: none), writes a forget_audit row and
 * prints the counts, in one transaction. Only the hash is written, never
 * the author. pc must have no rows; it is freed either way. Returns 0, or
 * -1 with err.
 */
int store_pgcopy_forget(store_pgcopy *pc, const char *source, const char *hash, const char *raw_author, char *err,
			size_t errlen);

/* The run's id (borrowed; valid until close). */
const char *store_pgcopy_run_id(const store_pgcopy *pc);
/* Rows written so far (all tables, set markers not counted). */
long long store_pgcopy_rows(const store_pgcopy *pc);

/*
 * Whether PostgreSQL can hold the rows of one record: text is valid UTF-8
 * without NUL (PostgreSQL text cannot store U+0000; SQLite can), JSON has
 * no \u0000 escape (jsonb refuses it), a time's year is 0001..9999.
 * Returns 0, or -1 with "TABLE.COLUMN …" in err: reject the record.
 */
int store_pgcopy_check(const store_rows *rows, char *err, size_t errlen);

/*
 * Append the rows of one record to the run's files (set-table groups as
 * a marker row: the group's values and \N, before the members). Adds the
 * rows to counts[table].inserted (files cannot tell new from updated).
 * The rows must have passed store_pgcopy_check. Returns 0, or -1 with err
 * on a write error; the run is then spoilt and close discards it.
 */
int store_pgcopy_put(store_pgcopy *pc, const store_rows *rows, store_counts counts[STORE_NTABLES], char *err,
		     size_t errlen);
/* End of a batch: push buffered rows to the files (write errors show
 * here rather than at close). Returns 0, or -1 with err. */
int store_pgcopy_flush(store_pgcopy *pc, char *err, size_t errlen);
/* Fill b so that herd-load can drive a run as a store_backend;
 * b->close is store_pgcopy_close. */
void store_pgcopy_backend(store_pgcopy *pc, store_backend *b);

/* ---------------------------------------------------------------- pieces */

/* 1 when id can name a run: 1..STORE_PGCOPY_RUN_ID_MAX of [A-Za-z0-9._-],
 * not starting with '.' or '-'; else 0 and why in err. */
int store_pgcopy_valid_run_id(const char *id, char *err, size_t errlen);
/*
 * Append s[0..n) as one COPY text-format field: backslash, and every
 * control character (C0 and DEL), escaped — \t \n \r \b \f \v by name,
 * the others as three octal digits — so that a field never holds a
 * delimiter, a line end or a bare backslash. Bytes >= 0x80 (UTF-8) pass
 * as they are. n may include NUL bytes but PostgreSQL refuses them
 * (store_pgcopy_check rejects such rows first).
 */
void store_pgcopy_escape(buf_t *b, const char *s, size_t n);
/* Append one value as a field: \N for NULL, integers in decimal, reals
 * in the shortest form that reads back to the same double, text escaped. */
void store_pgcopy_value(buf_t *b, const store_value *v);

#endif
