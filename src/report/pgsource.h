/*
 * pgsource.h — herd-report's PostgreSQL source: the aggregates and events
 * a report reads, copied from a PostgreSQL database that pipelines/
 * pg-load.sh fills (docs/storage.md, "PostgreSQL") into an in-memory
 * SQLite database with herd's own schema, so that the one report code in
 * digest.c and heatmap.c runs on it unchanged.
 *
 * Values arrive in the text forms herd's SQLite file has: times as
 * "2021-01-27T14:03:00Z", JSON as herd's compact text, reals exactly,
 * NULLs kept. The one thing PostgreSQL does not keep is the order of the
 * keys of a JSON object (jsonb sorts them), so an event's evidence comes
 * back with its keys in jsonb's order.
 *
 * Reads only; never writes to PostgreSQL.
 */
#ifndef HERD_REPORT_PGSOURCE_H
#define HERD_REPORT_PGSOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "store/sqlite.h"

/* What to copy: the aggregates of window (NULL: every window) whose start
 * is in [from, to), plus each window's first aggregate (the reports ask
 * when the data begins), and the events whose time is in [from, to);
 * from = to = -1: everything. */
typedef struct report_pg_scope {
	const char *window;
	int64_t from, to;
} report_pg_scope;

/*
 * Connect to dsn (a libpq connection string or URI; "" and the PG*
 * variables as libpq has them), copy what scope names through COPY …
 * TO STDOUT into a new in-memory herd database, and disconnect. Returns
 * the database (store_sqlite_close frees it) and PostgreSQL's name of the
 * database in name[namelen], or NULL with "postgresql: reason" (the first
 * line of libpq's or the server's message) in err.
 */
store_sqlite *report_pg_load(const char *dsn, const report_pg_scope *scope, char *name, size_t namelen, char *err,
			     size_t errlen);

#endif
