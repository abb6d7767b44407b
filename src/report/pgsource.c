/*
 * pgsource.c — herd-report's PostgreSQL source; see pgsource.h.
 *
 * One COPY (SELECT …) TO STDOUT per table, its select list made from
 * store_tables (the columns herd-load writes, so the two never drift):
 * times through to_char in UTC to herd's form, JSON as text re-written
 * compact by ndjson_dump (jsonb prints "a": 1, herd "a":1), the rest as
 * PostgreSQL prints them (reals in the shortest form that reads back to
 * the same double, extra_float_digits = 3 asks for that on every server
 * version). Each row is decoded from COPY's text format and inserted
 * into store_sqlite_open(":memory:"), the schema herd's file has, in one
 * transaction.
 *
 * Values are spliced into the SQL as literals escaped by libpq
 * (PQescapeLiteral): COPY takes no parameters.
 */
#include "pgsource.h"
#include "lib/buf.h"
#include "lib/htime.h"
#include "lib/log.h"
#include "lib/ndjson.h"
#include "lib/util.h"
#include "store/store.h"

#include <jansson.h>
#include <postgresql/libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A time as htime_format writes it, in to_char's words. */
#define PG_TIME_FORMAT "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'"

/* "postgresql: " and the first line of msg (libpq's messages go on over
 * several lines: a hint, the query with a caret). */
static int pg_errf(char *err, size_t errlen, const char *msg)
{
	size_t n = strcspn(msg ? msg : "", "\n");

	return herd_errf(err, errlen, "postgresql: %.*s", (int)n, msg && n ? msg : "unknown error");
}

/* The server's own words for a failed result (without "ERROR:  "), else
 * the connection's. */
static int pg_result_errf(PGconn *pg, const PGresult *r, char *err, size_t errlen)
{
	const char *primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;

	return pg_errf(err, errlen, primary ? primary : PQerrorMessage(pg));
}

/* ================================================================ the query */

/* Append s as a literal; -1 when libpq cannot escape it (bad encoding). */
static int literal(buf_t *b, PGconn *pg, const char *s)
{
	char *lit = PQescapeLiteral(pg, s, strlen(s));

	if (!lit)
		return -1;
	buf_puts(b, lit);
	PQfreemem(lit);
	return 0;
}

/* COPY (SELECT the columns of table in herd's text forms FROM it WHERE
 * the scope holds ORDER BY its key) TO STDOUT. time is the column the
 * range applies to; first_of_window adds each window's first row. */
static int copy_sql(buf_t *b, PGconn *pg, int table, const char *time, const report_pg_scope *sc)
{
	const struct store_table *t = &store_tables[table];
	int agg = table == STORE_AGGREGATES;
	char from[HTIME_LEN], to[HTIME_LEN];

	buf_puts(b, "COPY (SELECT ");
	for (int i = 0; i < t->ncols; i++) {
		const char *c = t->cols[i].name, *sep = i ? ", " : "";

		if (t->cols[i].type == STORE_TIME)
			buf_printf(b, "%sto_char(\"%s\" AT TIME ZONE 'UTC', " PG_TIME_FORMAT ")", sep, c);
		else if (t->cols[i].type == STORE_JSON)
			buf_printf(b, "%s\"%s\"::text", sep, c);
		else
			buf_printf(b, "%s\"%s\"", sep, c);
	}
	buf_printf(b, " FROM %s WHERE true", t->name);
	if (agg && sc->window) {
		buf_puts(b, " AND \"window\" = ");
		if (literal(b, pg, sc->window) < 0)
			return -1;
	}
	if (sc->from >= 0) {
		htime_format(sc->from, from);
		htime_format(sc->to, to);
		buf_printf(b, " AND (\"%s\" >= '%s' AND \"%s\" < '%s'", time, from, time, to);
		if (agg) /* each window's first start, found through the (window, start) index */
			buf_puts(b, " OR (\"window\", start) IN (WITH RECURSIVE w(w) AS ("
				    "SELECT min(\"window\") FROM aggregates UNION ALL SELECT (SELECT min(\"window\") "
				    "FROM aggregates WHERE \"window\" > w.w) FROM w WHERE w.w IS NOT NULL) "
				    "SELECT w, (SELECT min(start) FROM aggregates WHERE \"window\" = w.w) FROM w "
				    "WHERE w IS NOT NULL)");
		buf_puts(b, ")");
	}
	buf_puts(b, " ORDER BY ");
	for (int i = 0; i < t->nkey; i++)
		buf_printf(b, "%s\"%s\"", i ? ", " : "", t->cols[i].name);
	buf_puts(b, ") TO STDOUT");
	return 0;
}

/* ================================================================ rows */

static int hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decode one COPY text-format row (row[0..n), its newline included or
 * not) into b: each field NUL-terminated, its start in at[i], NULL (\N)
 * as at[i] = -1. Returns the number of fields. */
static int decode_row(const char *row, size_t n, buf_t *b, long at[STORE_MAX_COLS])
{
	int nf = 0;
	size_t i = 0;

	b->len = 0;
	if (n && row[n - 1] == '\n')
		n--;
	for (;;) {
		if (nf == STORE_MAX_COLS)
			return -1;
		if (n - i >= 2 && row[i] == '\\' && row[i + 1] == 'N' && (i + 2 == n || row[i + 2] == '\t')) {
			at[nf++] = -1;
			i += 2;
		} else {
			at[nf++] = (long)b->len;
			for (; i < n && row[i] != '\t'; i++) {
				char c = row[i];

				if (c == '\\' && i + 1 < n) {
					c = row[++i];
					switch (c) {
					case 'b': c = '\b'; break;
					case 'f': c = '\f'; break;
					case 'n': c = '\n'; break;
					case 'r': c = '\r'; break;
					case 't': c = '\t'; break;
					case 'v': c = '\v'; break;
					case 'x': { /* \xH or \xHH */
						int v = 0, k = 0, d;

						while (k < 2 && i + 1 < n && (d = hex(row[i + 1])) >= 0)
							v = v * 16 + d, i++, k++;
						c = k ? (char)v : 'x';
						break;
					}
					default:
						if (c >= '0' && c <= '7') { /* \O, \OO or \OOO */
							int v = c - '0';

							for (int k = 1; k < 3 && i + 1 < n && row[i + 1] >= '0' && row[i + 1] <= '7'; k++)
								v = v * 8 + row[++i] - '0';
							c = (char)v;
						}
					}
				}
				buf_putc(b, c);
			}
			buf_putc(b, '\0');
		}
		if (i >= n)
			return nf;
		i++; /* the tab */
	}
}

/* Bind field s (NULL for \N) as the column's type; JSON re-written as
 * herd writes it. */
static void bind_field(sqlite3_stmt *st, int i, enum store_type type, const char *s, buf_t *scratch)
{
	json_t *v;

	if (!s) {
		sqlite3_bind_null(st, i + 1);
		return;
	}
	switch (type) {
	case STORE_INT: sqlite3_bind_int64(st, i + 1, strtoll(s, NULL, 10)); return;
	case STORE_REAL: sqlite3_bind_double(st, i + 1, strtod(s, NULL)); return;
	case STORE_JSON:
		if ((v = json_loads(s, JSON_DECODE_ANY, NULL))) {
			scratch->len = 0;
			ndjson_dump(scratch, v);
			json_decref(v);
			sqlite3_bind_text(st, i + 1, scratch->p, (int)scratch->len, SQLITE_TRANSIENT);
			return;
		}
		break; /* not JSON after all: as it is */
	case STORE_TEXT:
	case STORE_TIME: break;
	}
	sqlite3_bind_text(st, i + 1, s, -1, SQLITE_TRANSIENT);
}

/* Copy one table: COPY out of pg, INSERT into db. Returns the rows
 * copied, or -1 with err. After a failure the rest of the COPY is read
 * and dropped, so that the server's own error (if any) is the one told. */
static long long copy_table(PGconn *pg, sqlite3 *db, int table, const char *time, const report_pg_scope *sc,
			    char *err, size_t errlen)
{
	const struct store_table *t = &store_tables[table];
	buf_t sql = BUF_INIT, fields = BUF_INIT, scratch = BUF_INIT;
	sqlite3_stmt *st = NULL;
	PGresult *r;
	long long rows = 0;
	long at[STORE_MAX_COLS];
	char *row;
	int n, ok = 0;

	if (copy_sql(&sql, pg, table, time, sc) < 0) {
		pg_errf(err, errlen, PQerrorMessage(pg));
		goto out;
	}
	r = PQexec(pg, sql.p);
	if (PQresultStatus(r) != PGRES_COPY_OUT) {
		pg_result_errf(pg, r, err, errlen);
		PQclear(r);
		goto out;
	}
	PQclear(r);
	sql.len = 0;
	buf_printf(&sql, "INSERT INTO %s VALUES (", t->name);
	for (int i = 0; i < t->ncols; i++)
		buf_puts(&sql, i ? ", ?" : "?");
	buf_puts(&sql, ")");
	ok = sqlite3_prepare_v2(db, sql.p, -1, &st, NULL) == SQLITE_OK;
	if (!ok)
		herd_errf(err, errlen, "in-memory copy: %s: %s", t->name, sqlite3_errmsg(db));
	while ((n = PQgetCopyData(pg, &row, 0)) > 0) {
		int nf = ok ? decode_row(row, (size_t)n, &fields, at) : 0;

		if (ok && nf != t->ncols) {
			ok = 0;
			herd_errf(err, errlen, "postgresql: %s: a row of %d fields, not %d", t->name, nf, t->ncols);
		}
		if (ok) {
			for (int i = 0; i < nf; i++)
				bind_field(st, i, t->cols[i].type, at[i] < 0 ? NULL : fields.p + at[i], &scratch);
			ok = sqlite3_step(st) == SQLITE_DONE;
			if (!ok)
				herd_errf(err, errlen, "in-memory copy: %s: %s", t->name, sqlite3_errmsg(db));
			sqlite3_reset(st);
			rows++;
		}
		PQfreemem(row);
	}
	if (n == -2) {
		ok = 0;
		pg_errf(err, errlen, PQerrorMessage(pg));
	}
	/* The COPY's own outcome: a failure midway shows here. */
	while ((r = PQgetResult(pg))) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			ok = 0;
			pg_result_errf(pg, r, err, errlen);
		}
		PQclear(r);
	}
out:
	sqlite3_finalize(st);
	buf_free(&sql);
	buf_free(&fields);
	buf_free(&scratch);
	return ok ? rows : -1;
}

/* ================================================================ the source */

store_sqlite *report_pg_load(const char *dsn, const report_pg_scope *scope, char *name, size_t namelen, char *err,
			     size_t errlen)
{
	/* Reals exactly (the shortest form since PostgreSQL 12, 17 digits
	 * before), and both tables from one snapshot: a load committing
	 * between the two COPYs must not show events without their
	 * aggregates. */
	static const char *const setup[] = {"SET extra_float_digits = 3",
					    "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"};
	store_sqlite *s = NULL;
	sqlite3 *db;
	PGconn *pg;
	long long naggs = 0, nevents = 0;
	double t0 = herd_now_mono();

	err[0] = '\0';
	pg = PQconnectdb(dsn);
	if (!pg || PQstatus(pg) != CONNECTION_OK) {
		pg_errf(err, errlen, pg ? PQerrorMessage(pg) : "out of memory");
		goto out;
	}
	if (PQsetClientEncoding(pg, "UTF8") != 0) {
		pg_errf(err, errlen, PQerrorMessage(pg));
		goto out;
	}
	for (size_t i = 0; i < sizeof setup / sizeof setup[0]; i++) {
		PGresult *r = PQexec(pg, setup[i]);
		int ok = PQresultStatus(r) == PGRES_COMMAND_OK;

		if (!ok)
			pg_result_errf(pg, r, err, errlen);
		PQclear(r);
		if (!ok)
			goto out;
	}
	snprintf(name, namelen, "%s", PQdb(pg));
	if (!(s = store_sqlite_open(":memory:", err, errlen)))
		goto out;
	db = store_sqlite_handle(s);
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
	    (naggs = copy_table(pg, db, STORE_AGGREGATES, "start", scope, err, errlen)) < 0 ||
	    (nevents = copy_table(pg, db, STORE_EVENTS, "at", scope, err, errlen)) < 0 ||
	    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		if (!err[0])
			herd_errf(err, errlen, "in-memory copy: %s", sqlite3_errmsg(db));
		store_sqlite_close(s, NULL, 0);
		s = NULL;
	}
	if (s)
		log_debug("postgresql: %s: %lld aggregates and %lld events copied in %.3f s", name, naggs, nevents,
			  herd_now_mono() - t0);
out:
	PQfinish(pg);
	return s;
}
