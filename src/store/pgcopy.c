/*
 * pgcopy.c — PostgreSQL COPY files and their load script; see pgcopy.h.
 *
 * A run writes one COPY text file per table it has rows for, in record
 * order, and at close a psql script that loads them all in ONE
 * transaction: create the tables when absent (store_tables, with
 * PostgreSQL types), then per file a TEMP staging table (LIKE the target,
 * plus herd_line, the row's place in the file), \copy into it, and
 *   INSERT … SELECT DISTINCT ON (key) … ORDER BY key, herd_line DESC
 *   ON CONFLICT (key) DO UPDATE SET … WHERE (values) IS DISTINCT FROM …
 * so that within a file the row written last wins (as in SQLite, where it
 * is loaded last), a row whose values are all equal is not touched (a
 * second load changes nothing, not even a row's xmin), and any error — a
 * bad row, a killed psql — commits nothing.
 *
 * Set tables (post_entities) get a marker row per record: the group's
 * values and \N. A group's members are the rows after its last marker, so
 * a post record with no entities still clears them, as in SQLite.
 *
 * JSON key columns (raw.item) are matched by md5 of their jsonb text
 * through a unique index, because btree entries are limited to ~2.7 kB
 * and raw items are longer.
 */
#include "pgcopy.h"
#include "forget.h"
#include "lib/buf.h"
#include "lib/ndjson.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Rows are built in memory and written through a large stdio buffer. */
#define PGCOPY_FILE_BUFFER (256 * 1024)

/* pg_advisory_xact_lock key taken by every load script ("herd" in ASCII):
 * loads into one database run one at a time, so the run loaded last is
 * the one that wins, and concurrent CREATE TABLE IF NOT EXISTS cannot race. */
#define PGCOPY_LOCK_KEY 1751478884

/* ================================================================ escaping */

/* What each byte becomes inside a field: 0 as itself, else the letter
 * after the backslash ('0' for a three-digit octal escape). */
static const char escape_as[256] = {
	['\\'] = '\\', ['\t'] = 't', ['\n'] = 'n', ['\r'] = 'r', ['\b'] = 'b', ['\f'] = 'f', ['\v'] = 'v',
	[0x00] = '0', [0x01] = '0', [0x02] = '0', [0x03] = '0', [0x04] = '0', [0x05] = '0', [0x06] = '0',
	[0x07] = '0', [0x0e] = '0', [0x0f] = '0', [0x10] = '0', [0x11] = '0', [0x12] = '0', [0x13] = '0',
	[0x14] = '0', [0x15] = '0', [0x16] = '0', [0x17] = '0', [0x18] = '0', [0x19] = '0', [0x1a] = '0',
	[0x1b] = '0', [0x1c] = '0', [0x1d] = '0', [0x1e] = '0', [0x1f] = '0', [0x7f] = '0',
};

void store_pgcopy_escape(buf_t *b, const char *s, size_t n)
{
	size_t start = 0;

	buf_reserve(b, n + 2);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char e = escape_as[c];

		if (!e)
			continue;
		if (i > start)
			buf_put(b, s + start, i - start);
		buf_putc(b, '\\');
		if (e == '0') {
			buf_putc(b, (char)('0' + (c >> 6)));
			buf_putc(b, (char)('0' + ((c >> 3) & 7)));
			buf_putc(b, (char)('0' + (c & 7)));
		} else {
			buf_putc(b, e);
		}
		start = i + 1;
	}
	if (n > start)
		buf_put(b, s + start, n - start);
}

void store_pgcopy_value(buf_t *b, const store_value *v)
{
	char num[40];

	switch (v->t) {
	case STORE_V_NULL: buf_put(b, "\\N", 2); break;
	case STORE_V_INT: buf_printf(b, "%lld", v->i); break;
	case STORE_V_REAL:
		ndjson_format_real(v->r, num, sizeof num);
		buf_puts(b, num);
		break;
	case STORE_V_TEXT: store_pgcopy_escape(b, v->s, v->n); break;
	}
}

/* ================================================================ checks */

int store_pgcopy_valid_run_id(const char *id, char *err, size_t errlen)
{
	size_t n = strlen(id);

	if (n == 0 || n > STORE_PGCOPY_RUN_ID_MAX) {
		herd_errf(err, errlen, "'%.80s' is not a run id: 1 to %d characters", id, STORE_PGCOPY_RUN_ID_MAX);
		return 0;
	}
	if (id[0] == '.' || id[0] == '-') {
		herd_errf(err, errlen, "'%s' is not a run id: it starts with '%c'", id, id[0]);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)id[i];
		if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9') && c != '.' && c != '_' &&
		    c != '-') {
			herd_errf(err, errlen, "'%s' is not a run id: only letters, digits, '.', '_' and '-'", id);
			return 0;
		}
	}
	return 1;
}

/* A JSON text holding the escape \u0000 (jsonb refuses it). Backslashes
 * appear only inside strings, each starting a two-character escape or a
 * six-character \uXXXX. */
static int json_has_nul_escape(const char *s, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++) {
		if (s[i] != '\\')
			continue;
		if (s[i + 1] == 'u' && i + 5 < n && memcmp(s + i + 2, "0000", 4) == 0)
			return 1;
		i++; /* skip the escaped character */
	}
	return 0;
}

static int check_value(const struct store_table *t, int col, const store_value *v, char *err, size_t errlen)
{
	const char *name = t->cols[col].name;
	size_t bad;

	if (v->t != STORE_V_TEXT)
		return 0;
	if (memchr(v->s, '\0', v->n))
		return herd_errf(err, errlen, "%s.%s holds a NUL character (U+0000), which PostgreSQL cannot store",
				 t->name, name);
	if (!ndjson_utf8_valid(v->s, v->n, &bad))
		return herd_errf(err, errlen, "%s.%s is not valid UTF-8 (byte %zu)", t->name, name, bad);
	if (t->cols[col].type == STORE_JSON && json_has_nul_escape(v->s, v->n))
		return herd_errf(err, errlen, "%s.%s holds \\u0000, which PostgreSQL's jsonb cannot store", t->name, name);
	/* htime_format writes %04d years; PostgreSQL reads years 1..9999 in
	 * this form (no year 0, no sign). */
	if (t->cols[col].type == STORE_TIME && (v->n != 20 || memcmp(v->s, "0000", 4) == 0 || v->s[0] == '-'))
		return herd_errf(err, errlen, "%s.%s is '%.*s', outside the years 0001..9999", t->name, name, (int)v->n, v->s);
	return 0;
}

int store_pgcopy_check(const store_rows *rows, char *err, size_t errlen)
{
	for (int r = 0; r < rows->n; r++) {
		const struct store_table *t = &store_tables[rows->rows[r].table];
		for (int i = 0; i < t->ncols; i++)
			if (check_value(t, i, &rows->rows[r].v[i], err, errlen))
				return -1;
	}
	for (int g = 0; g < rows->ngroups; g++) {
		const struct store_table *t = &store_tables[rows->groups[g].table];
		for (int i = 0; i < t->ngroup; i++)
			if (check_value(t, i, &rows->groups[g].v[i], err, errlen))
				return -1;
	}
	return 0;
}

/* ================================================================ the schema and the script */

static const char *pg_type(enum store_type t)
{
	switch (t) {
	case STORE_INT: return "bigint";
	case STORE_REAL: return "double precision";
	case STORE_JSON: return "jsonb";
	case STORE_TIME: return "timestamptz";
	case STORE_TEXT: break;
	}
	return "text";
}

/* The indexes herd's SQLite file has (sqlite.c, migration 1), for the
 * same queries. */
static const struct {
	int table;
	const char *name, *cols;
} indexes[] = {
	{STORE_POSTS, "posts_created_at", "\"created_at\""},
	{STORE_POST_ENTITIES, "post_entities_entity", "\"entity\", \"post_id\""},
	{STORE_METRICS, "metrics_entity_at", "\"entity\", \"at\""},
	{STORE_AGGREGATES, "aggregates_window_start", "\"window\", \"start\""},
	{STORE_EVENTS, "events_entity_at", "\"entity\", \"at\""},
};

/* Tables an older herd created, brought to today's shape (the script's
 * CREATE TABLE IF NOT EXISTS leaves them as they are). Each step does
 * nothing when it was done already, so every script may run them all; in
 * step with the SQLite file's migrations (schema.c). */
static const char *const upgrades[] = {
	/* schema.c migration 8: metrics that are events carry their key, part
	 * of the primary key ('' for the samples loaded before). */
	"ALTER TABLE metrics ADD COLUMN IF NOT EXISTS \"key\" text NOT NULL DEFAULT '';\n"
	"DO $$DECLARE pk name; BEGIN\n"
	"  SELECT conname INTO pk FROM pg_constraint c WHERE c.conrelid = 'metrics'::regclass AND c.contype = 'p'\n"
	"    AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)\n"
	"                    AND a.attname = 'key');\n"
	"  IF pk IS NOT NULL THEN\n"
	"    EXECUTE format('ALTER TABLE metrics DROP CONSTRAINT %I, ADD PRIMARY KEY (source, entity, name, \"interval\", "
	"\"at\", \"key\")', pk);\n"
	"  END IF;\n"
	"END$$;\n",
};

static int json_key(const struct store_table *t)
{
	for (int i = 0; i < t->nkey; i++)
		if (t->cols[i].type == STORE_JSON)
			return 1;
	return 0;
}

/* "c1", "c2"… for columns [from, to), each prefixed by pre ("t." or ""). */
static void col_list(buf_t *b, const struct store_table *t, int from, int to, const char *pre)
{
	for (int i = from; i < to; i++)
		buf_printf(b, "%s%s\"%s\"", i > from ? ", " : "", pre, t->cols[i].name);
}

/* The key as ON CONFLICT and DISTINCT ON name it: columns, and md5 of the
 * text of JSON columns (the unique index of a JSON key). */
static void key_list(buf_t *b, const struct store_table *t, int from, int to)
{
	for (int i = from; i < to; i++) {
		if (t->cols[i].type == STORE_JSON)
			buf_printf(b, "%smd5(\"%s\"::text)", i > from ? ", " : "", t->cols[i].name);
		else
			buf_printf(b, "%s\"%s\"", i > from ? ", " : "", t->cols[i].name);
	}
}

static void schema(buf_t *b)
{
	for (int ti = 0; ti < STORE_NTABLES; ti++) {
		const struct store_table *t = &store_tables[ti];

		buf_printf(b, "CREATE TABLE IF NOT EXISTS %s (\n ", t->name);
		for (int i = 0; i < t->ncols; i++)
			buf_printf(b, " \"%s\" %s%s,", t->cols[i].name, pg_type(t->cols[i].type),
				   t->cols[i].notnull ? " NOT NULL" : "");
		if (json_key(t)) {
			b->p[--b->len] = '\0'; /* the last comma */
			buf_printf(b, ");\nCREATE UNIQUE INDEX IF NOT EXISTS %s_key ON %s (", t->name, t->name);
			key_list(b, t, 0, t->nkey);
			buf_puts(b, ");\n");
		} else {
			buf_puts(b, " PRIMARY KEY (");
			col_list(b, t, 0, t->nkey, "");
			buf_puts(b, "));\n");
		}
		for (size_t k = 0; k < sizeof indexes / sizeof indexes[0]; k++)
			if (indexes[k].table == ti)
				buf_printf(b, "CREATE INDEX IF NOT EXISTS %s ON %s (%s);\n", indexes[k].name, t->name,
					   indexes[k].cols);
	}
	/* Forgotten authors (forget.c; schema.c migration 9): the hashes whose
	 * records every load drops, and what each forget deleted. */
	buf_puts(b, "CREATE TABLE IF NOT EXISTS forget_list (\n"
		    "  hash text NOT NULL PRIMARY KEY, source text NOT NULL, since timestamptz NOT NULL,\n"
		    "  dropped bigint NOT NULL DEFAULT 0);\n"
		    "CREATE TABLE IF NOT EXISTS forget_audit (\n"
		    "  \"at\" timestamptz NOT NULL, source text NOT NULL, hash text NOT NULL, posts bigint NOT NULL,\n"
		    "  post_entities bigint NOT NULL, scores bigint NOT NULL, raw bigint NOT NULL);\n");
	buf_puts(b, "-- Tables an older herd made, brought up to date (each step is a no-op once done).\n");
	for (size_t k = 0; k < sizeof upgrades / sizeof upgrades[0]; k++)
		buf_puts(b, upgrades[k]);
}

/* INSERT INTO t AS t (cols) SELECT cols FROM src ON CONFLICT (key) DO
 * UPDATE SET … WHERE (t.values) IS DISTINCT FROM (excluded.values)
 * RETURNING t.xmax = 0 (true when the row is new). */
static void upsert(buf_t *b, const struct store_table *t, const char *src)
{
	buf_printf(b, "  INSERT INTO %s AS t (", t->name);
	col_list(b, t, 0, t->ncols, "");
	buf_puts(b, ")\n  SELECT ");
	col_list(b, t, 0, t->ncols, "");
	buf_printf(b, " FROM %s\n  ON CONFLICT (", src);
	key_list(b, t, 0, t->nkey);
	if (t->nkey == t->ncols) {
		buf_puts(b, ") DO NOTHING\n");
	} else {
		buf_puts(b, ") DO UPDATE SET ");
		for (int i = t->nkey; i < t->ncols; i++)
			buf_printf(b, "%s\"%s\" = excluded.\"%s\"", i > t->nkey ? ", " : "", t->cols[i].name,
				   t->cols[i].name);
		buf_puts(b, "\n  WHERE ROW(");
		col_list(b, t, t->nkey, t->ncols, "t.");
		buf_puts(b, ") IS DISTINCT FROM ROW(");
		col_list(b, t, t->nkey, t->ncols, "excluded.");
		buf_puts(b, ")\n");
	}
	buf_puts(b, "  RETURNING t.xmax = 0 AS inserted)\n");
}

/*
 * The staged rows of forgotten authors leave before anything is upserted
 * (forget.c): posts whose (source, author) hashes to one on forget_list,
 * their post_entities and scores, and raw rows whose item names such an
 * author (raw_author: source_raw_author_sql's PostgreSQL expression). Each
 * drop is counted in forget_list.dropped and said in a line of the load's
 * output, only when something was dropped.
 */
static void drop_forgotten(buf_t *b, int ti, const char *raw_author)
{
	char hash[1024];

	if (ti == STORE_POSTS) {
		forget_hash_pg("s.source", "s.author", hash, sizeof hash);
		buf_printf(b,
			   "WITH d AS (DELETE FROM herd_stage_posts s USING forget_list f\n"
			   "  WHERE s.author IS NOT NULL AND f.source = s.source AND f.hash = %s RETURNING s.id, f.hash),\n"
			   "k AS (INSERT INTO herd_forgotten_posts SELECT id FROM d),\n"
			   "u AS (UPDATE forget_list f SET dropped = f.dropped + n.c FROM (SELECT hash, count(*) AS c FROM d GROUP BY hash) n\n"
			   "  WHERE f.hash = n.hash)\n"
			   "SELECT format('posts: %%s rows of forgotten authors dropped', count(*)) FROM d HAVING count(*) > 0;\n",
			   hash);
	} else if (ti == STORE_POST_ENTITIES || ti == STORE_SCORES) {
		buf_printf(b, "DELETE FROM herd_stage_%s WHERE post_id IN (SELECT id FROM herd_forgotten_posts);\n",
			   store_tables[ti].name);
	} else if (ti == STORE_RAW && raw_author) {
		forget_hash_pg("r.source", "r.author", hash, sizeof hash);
		buf_printf(b,
			   "WITH r AS (SELECT herd_line, source, (%s) AS author FROM herd_stage_raw),\n"
			   "m AS (SELECT r.herd_line, f.hash FROM r JOIN forget_list f ON f.source = r.source\n"
			   "  AND r.author IS NOT NULL AND f.hash = %s),\n"
			   "d AS (DELETE FROM herd_stage_raw s USING m WHERE s.herd_line = m.herd_line RETURNING m.hash),\n"
			   "u AS (UPDATE forget_list f SET dropped = f.dropped + n.c FROM (SELECT hash, count(*) AS c FROM d GROUP BY hash) n\n"
			   "  WHERE f.hash = n.hash)\n"
			   "SELECT format('raw: %%s rows of forgotten authors dropped', count(*)) FROM d HAVING count(*) > 0;\n",
			   raw_author, hash);
	}
}

/* Stage one table's file and upsert it; prints "TABLE: n new, …". */
static void load_table(buf_t *b, int ti, const char *run_id, const char *raw_author)
{
	const struct store_table *t = &store_tables[ti];
	const char *stage = "herd_stage_";

	buf_printf(b, "\n-- %s, from %s.%s.copy\n", t->name, t->name, run_id);
	buf_printf(b, "CREATE TEMP TABLE %s%s (LIKE %s) ON COMMIT DROP;\nALTER TABLE %s%s ", stage, t->name, t->name,
		   stage, t->name);
	for (int i = t->ngroup; t->ngroup && i < t->ncols; i++) /* marker rows hold \N */
		buf_printf(b, "ALTER COLUMN \"%s\" DROP NOT NULL, ", t->cols[i].name);
	buf_puts(b, "ADD COLUMN herd_line bigint GENERATED ALWAYS AS IDENTITY;\n");
	buf_printf(b, "\\copy %s%s (", stage, t->name);
	col_list(b, t, 0, t->ncols, "");
	buf_printf(b, ") FROM '%s.%s.copy' WITH (FORMAT text, ENCODING 'UTF8')\n", t->name, run_id);
	drop_forgotten(b, ti, raw_author);

	if (!t->ngroup) {
		/* The last row of each key, in file order. */
		buf_puts(b, "WITH staged AS (\n  SELECT DISTINCT ON (");
		key_list(b, t, 0, t->nkey);
		buf_puts(b, ") * FROM ");
		buf_printf(b, "%s%s ORDER BY ", stage, t->name);
		key_list(b, t, 0, t->nkey);
		buf_puts(b, ", herd_line DESC),\nupserted AS (\n");
		upsert(b, t, "staged");
		buf_printf(b, "SELECT format('%s: %%s new, %%s updated, %%s unchanged', count(*) FILTER (WHERE inserted),\n"
			      "  count(*) FILTER (WHERE NOT inserted), (SELECT count(*) FROM staged) - count(*)) FROM upserted;\n",
			   t->name);
		return;
	}
	/* A set: each group's last marker, its members after it; members the
	 * group had and no longer lists are deleted. */
	buf_puts(b, "WITH groups AS (\n  SELECT ");
	col_list(b, t, 0, t->ngroup, "");
	buf_printf(b, ", max(herd_line) AS herd_line FROM %s%s WHERE \"%s\" IS NULL GROUP BY ", stage, t->name,
		   t->cols[t->ngroup].name);
	col_list(b, t, 0, t->ngroup, "");
	buf_puts(b, "),\nmembers AS (\n  SELECT DISTINCT ON (");
	key_list(b, t, 0, t->nkey);
	buf_printf(b, ") s.* FROM %s%s s JOIN groups g USING (", stage, t->name);
	col_list(b, t, 0, t->ngroup, "");
	buf_puts(b, ")\n  WHERE s.herd_line > g.herd_line ORDER BY ");
	key_list(b, t, 0, t->nkey);
	buf_printf(b, ", s.herd_line DESC),\ndropped AS (\n  DELETE FROM %s t USING groups g WHERE ", t->name);
	for (int i = 0; i < t->ngroup; i++)
		buf_printf(b, "t.\"%s\" = g.\"%s\" AND ", t->cols[i].name, t->cols[i].name);
	buf_puts(b, "NOT EXISTS (\n    SELECT 1 FROM members m WHERE ");
	for (int i = 0; i < t->nkey; i++)
		buf_printf(b, "%sm.\"%s\" = t.\"%s\"", i ? " AND " : "", t->cols[i].name, t->cols[i].name);
	buf_puts(b, ")\n  RETURNING 1),\nupserted AS (\n");
	upsert(b, t, "members");
	if (t->nkey == t->ncols)
		buf_printf(b, "SELECT format('%s: %%s new, %%s unchanged, %%s dropped', count(*),\n"
			      "  (SELECT count(*) FROM members) - count(*), (SELECT count(*) FROM dropped)) FROM upserted;\n",
			   t->name);
	else
		buf_printf(b, "SELECT format('%s: %%s new, %%s updated, %%s unchanged, %%s dropped', "
			      "count(*) FILTER (WHERE inserted),\n  count(*) FILTER (WHERE NOT inserted), "
			      "(SELECT count(*) FROM members) - count(*), (SELECT count(*) FROM dropped)) FROM upserted;\n",
			   t->name);
}

/* ================================================================ the run */

struct store_pgcopy {
	char *dir;
	int dirfd;
	char run_id[STORE_PGCOPY_RUN_ID_MAX + 1];
	FILE *f[STORE_NTABLES];        /* open temporary files; NULL until the table has a row */
	int made[STORE_NTABLES];        /* this run created the temporary file */
	int script_made, script_renamed; /* … and the script's */
	long long nrows[STORE_NTABLES]; /* rows written (markers not counted) */
	int renamed[STORE_NTABLES];     /* published (close) */
	int failed;                     /* a write failed: close discards the run */
	buf_t line;                     /* scratch: one row */
	char *raw_author;               /* store_pgcopy_set_raw_author's expression, or NULL */
};

/* "TABLE.RUN.copy", ".TABLE.RUN.copy.tmp", "load.RUN.sql" … into out. */
static void name_of(const store_pgcopy *pc, int table, int tmp, char *out, size_t outlen)
{
	if (table < 0)
		snprintf(out, outlen, "%sload.%s.sql%s", tmp ? "." : "", pc->run_id, tmp ? ".tmp" : "");
	else
		snprintf(out, outlen, "%s%s.%s.copy%s", tmp ? "." : "", store_tables[table].name, pc->run_id,
			 tmp ? ".tmp" : "");
}

#define NAME_MAX_LEN (STORE_PGCOPY_RUN_ID_MAX + 64)

static void default_run_id(char *out, size_t outlen)
{
	struct timespec ts;
	struct tm tm;
	char when[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof when, "%Y%m%dT%H%M%S", &tm);
	snprintf(out, outlen, "%s.%06ldZ-%ld", when, ts.tv_nsec / 1000, (long)getpid());
}

store_pgcopy *store_pgcopy_open(const char *dir, const char *run_id, char *err, size_t errlen)
{
	store_pgcopy *pc;
	char name[NAME_MAX_LEN], loaded[NAME_MAX_LEN + 8];

	if (run_id && !store_pgcopy_valid_run_id(run_id, err, errlen))
		return NULL;
	if (mkdir(dir, 0777) < 0 && errno != EEXIST) {
		herd_errf(err, errlen, "%s: cannot create: %s", dir, strerror(errno));
		return NULL;
	}
	pc = xcalloc(1, sizeof *pc);
	pc->dir = xstrdup(dir);
	if (run_id)
		snprintf(pc->run_id, sizeof pc->run_id, "%s", run_id);
	else
		default_run_id(pc->run_id, sizeof pc->run_id);
	pc->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pc->dirfd < 0) {
		herd_errf(err, errlen, "%s: cannot open: %s", dir, strerror(errno));
		goto bad;
	}
	/* A run id names one run: refuse one whose files are here or loaded. */
	for (int t = -1; t < STORE_NTABLES; t++) {
		name_of(pc, t, 0, name, sizeof name);
		snprintf(loaded, sizeof loaded, "loaded/%s", name);
		if (faccessat(pc->dirfd, name, F_OK, 0) == 0 || faccessat(pc->dirfd, loaded, F_OK, 0) == 0) {
			herd_errf(err, errlen, "%s: run id '%s' is taken (%s%s exists): give another --run-id", dir,
				  pc->run_id, faccessat(pc->dirfd, name, F_OK, 0) == 0 ? "" : "loaded/", name);
			goto bad;
		}
	}
	return pc;
bad:
	if (pc->dirfd >= 0)
		close(pc->dirfd);
	free(pc->dir);
	free(pc);
	return NULL;
}

void store_pgcopy_set_raw_author(store_pgcopy *pc, const char *expr)
{
	free(pc->raw_author);
	pc->raw_author = expr ? xstrdup(expr) : NULL;
}

const char *store_pgcopy_run_id(const store_pgcopy *pc)
{
	return pc->run_id;
}

long long store_pgcopy_rows(const store_pgcopy *pc)
{
	long long n = 0;

	for (int t = 0; t < STORE_NTABLES; t++)
		n += pc->nrows[t];
	return n;
}

/* Mark the run spoilt, with "DIR/NAME: what: strerror". */
static int fail(store_pgcopy *pc, int table, int tmp, const char *what, char *err, size_t errlen)
{
	char name[NAME_MAX_LEN];
	int e = errno;

	name_of(pc, table, tmp, name, sizeof name);
	pc->failed = 1;
	return herd_errf(err, errlen, "%s/%s: %s: %s", pc->dir, name, what, strerror(e));
}

/* Open a temporary file for writing; it must not exist (another process
 * writing the same run id). */
static FILE *create_tmp(store_pgcopy *pc, int table, char *err, size_t errlen)
{
	char name[NAME_MAX_LEN];
	FILE *f;
	int fd;

	name_of(pc, table, 1, name, sizeof name);
	fd = openat(pc->dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		if (fd >= 0)
			close(fd);
		fail(pc, table, 1, "cannot create", err, errlen);
		return NULL;
	}
	setvbuf(f, NULL, _IOFBF, PGCOPY_FILE_BUFFER);
	return f;
}

/* One row as a line of its table's file: the first nvalues values, then
 * \N for the rest (a set marker gives only its group's values). */
static int write_row(store_pgcopy *pc, const store_row *row, int nvalues, char *err, size_t errlen)
{
	const struct store_table *t = &store_tables[row->table];
	FILE **f = &pc->f[row->table];

	buf_reset(&pc->line);
	for (int i = 0; i < t->ncols; i++) {
		if (i)
			buf_putc(&pc->line, '\t');
		if (i < nvalues)
			store_pgcopy_value(&pc->line, &row->v[i]);
		else
			buf_put(&pc->line, "\\N", 2);
	}
	buf_putc(&pc->line, '\n');
	if (!*f) {
		if (!(*f = create_tmp(pc, row->table, err, errlen)))
			return -1;
		pc->made[row->table] = 1;
	}
	if (fwrite(pc->line.p, 1, pc->line.len, *f) != pc->line.len)
		return fail(pc, row->table, 1, "write error", err, errlen);
	return 0;
}

int store_pgcopy_put(store_pgcopy *pc, const store_rows *rows, store_counts counts[STORE_NTABLES], char *err,
		     size_t errlen)
{
	if (pc->failed)
		return herd_errf(err, errlen, "%s: run %s: an earlier write failed", pc->dir, pc->run_id);
	for (int g = 0; g < rows->ngroups; g++) /* markers first: members follow them */
		if (write_row(pc, &rows->groups[g], store_tables[rows->groups[g].table].ngroup, err, errlen))
			return -1;
	for (int r = 0; r < rows->n; r++) {
		const store_row *row = &rows->rows[r];

		if (write_row(pc, row, store_tables[row->table].ncols, err, errlen))
			return -1;
		pc->nrows[row->table]++;
		counts[row->table].inserted++;
	}
	return 0;
}

int store_pgcopy_flush(store_pgcopy *pc, char *err, size_t errlen)
{
	if (pc->failed)
		return herd_errf(err, errlen, "%s: run %s: an earlier write failed", pc->dir, pc->run_id);
	for (int t = 0; t < STORE_NTABLES; t++)
		if (pc->f[t] && fflush(pc->f[t]) != 0)
			return fail(pc, t, 1, "write error", err, errlen);
	return 0;
}

/* Flush, fsync and close a temporary file. */
static int finish_file(store_pgcopy *pc, int table, FILE *f, char *err, size_t errlen)
{
	int rc = fflush(f) != 0 || fsync(fileno(f)) != 0 ? -1 : 0;

	if (fclose(f) != 0 || rc)
		return fail(pc, table, 1, "write error", err, errlen);
	return 0;
}

static int publish(store_pgcopy *pc, int table, char *err, size_t errlen)
{
	char tmp[NAME_MAX_LEN], name[NAME_MAX_LEN];

	name_of(pc, table, 1, tmp, sizeof tmp);
	name_of(pc, table, 0, name, sizeof name);
	if (renameat(pc->dirfd, tmp, pc->dirfd, name) < 0)
		return fail(pc, table, 1, "cannot rename", err, errlen);
	return 0;
}

static int sync_dir(store_pgcopy *pc, char *err, size_t errlen)
{
	if (fsync(pc->dirfd) < 0) {
		pc->failed = 1;
		return herd_errf(err, errlen, "%s: cannot sync the directory: %s", pc->dir, strerror(errno));
	}
	return 0;
}

/* Write b as the run's script (temporary name, fsync, rename). 0, or -1
 * with err; b is freed either way. */
static int put_script(store_pgcopy *pc, buf_t *b, char *err, size_t errlen)
{
	FILE *f;
	int rc;

	if (!(f = create_tmp(pc, -1, err, errlen))) {
		buf_free(b);
		return -1;
	}
	pc->script_made = 1;
	rc = fwrite(b->p, 1, b->len, f) != b->len;
	buf_free(b);
	if (rc) {
		fail(pc, -1, 1, "write error", err, errlen);
		fclose(f);
		return -1;
	}
	if (finish_file(pc, -1, f, err, errlen) || publish(pc, -1, err, errlen))
		return -1;
	pc->script_renamed = 1;
	return 0;
}

/* The load script, written last. */
static int write_script(store_pgcopy *pc, char *err, size_t errlen)
{
	buf_t b = BUF_INIT;
	int nfiles = 0;

	for (int t = 0; t < STORE_NTABLES; t++)
		nfiles += pc->renamed[t];
	buf_printf(&b,
		   "-- load.%s.sql: herd-load --pg-copy run %s (herd %s): %lld rows in %d files.\n"
		   "-- Upserts the run's COPY files in one transaction: the tables are created when\n"
		   "-- absent; each file goes into a staging table, from which the last row of each\n"
		   "-- key (in file order) is inserted, or updates the row present when a value\n"
		   "-- differs. Loading it again changes nothing; an error anywhere (a bad row, a\n"
		   "-- killed psql) commits nothing. Run it from this directory (the \\copy file\n"
		   "-- names are relative):  psql -X -q -At -d DSN -f load.%s.sql\n"
		   "-- pipelines/pg-load.sh DIR DSN loads every run of DIR, in run id order.\n"
		   "\\set ON_ERROR_STOP on\n"
		   "BEGIN;\n"
		   "SET LOCAL client_min_messages = warning;\n"
		   "-- One load at a time per database: the run loaded last wins.\n"
		   "DO $$BEGIN PERFORM pg_advisory_xact_lock(%d); END$$;\n\n",
		   pc->run_id, pc->run_id, HERD_VERSION, store_pgcopy_rows(pc), nfiles, pc->run_id, PGCOPY_LOCK_KEY);
	schema(&b);
	buf_puts(&b, "CREATE TEMP TABLE herd_forgotten_posts (id text) ON COMMIT DROP;\n");
	for (int t = 0; t < STORE_NTABLES; t++)
		if (pc->renamed[t])
			load_table(&b, t, pc->run_id, pc->raw_author);
	buf_puts(&b, "\nCOMMIT;\n");
	return put_script(pc, &b, err, errlen);
}

/* Remove the temporary files this run made, and what it renamed. */
static void discard(store_pgcopy *pc)
{
	char name[NAME_MAX_LEN];

	name_of(pc, -1, !pc->script_renamed, name, sizeof name); /* first: it names the others */
	if (pc->script_made)
		unlinkat(pc->dirfd, name, 0);
	for (int t = 0; t < STORE_NTABLES; t++) {
		if (pc->f[t])
			fclose(pc->f[t]);
		name_of(pc, t, !pc->renamed[t], name, sizeof name);
		if (pc->made[t])
			unlinkat(pc->dirfd, name, 0);
	}
}

static void release(store_pgcopy *pc)
{
	close(pc->dirfd);
	buf_free(&pc->line);
	free(pc->raw_author);
	free(pc->dir);
	free(pc);
}

int store_pgcopy_close(store_pgcopy *pc, char *err, size_t errlen)
{
	int any = 0;

	if (!pc)
		return 0;
	if (pc->failed) { /* reported by put or flush */
		discard(pc);
		release(pc);
		return 0;
	}
	for (int t = 0; t < STORE_NTABLES; t++) {
		FILE *f = pc->f[t];

		if (!f)
			continue;
		pc->f[t] = NULL;
		if (finish_file(pc, t, f, err, errlen))
			goto bad;
	}
	for (int t = 0; t < STORE_NTABLES; t++) {
		if (!pc->made[t])
			continue;
		if (publish(pc, t, err, errlen))
			goto bad;
		pc->renamed[t] = 1;
		any = 1;
	}
	/* The files' names are durable before the script that names them. */
	if (any && (sync_dir(pc, err, errlen) || write_script(pc, err, errlen) || sync_dir(pc, err, errlen)))
		goto bad;
	release(pc);
	return 0;
bad:
	discard(pc);
	release(pc);
	return -1;
}

/* ---------------------------------------------------------------- forgetting */

/* s as an SQL string literal ('' doubled) into b. */
static void sql_literal(buf_t *b, const char *s)
{
	buf_putc(b, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			buf_putc(b, '\'');
		buf_putc(b, *s);
	}
	buf_putc(b, '\'');
}

int store_pgcopy_forget(store_pgcopy *pc, const char *source, const char *hash, const char *raw_author, char *err,
			size_t errlen)
{
	buf_t b = BUF_INIT, src = BUF_INIT;
	char posts_hash[1024], raw_hash[1024];

	sql_literal(&src, source);
	forget_hash_pg("source", "author", posts_hash, sizeof posts_hash);
	forget_hash_pg("source", raw_author ? raw_author : "NULL", raw_hash, sizeof raw_hash);
	buf_printf(&b,
		   "-- load.%s.sql: herd-maintain forget run %s (herd %s): forget one author of %s.\n"
		   "-- The author is named here only by the hash forget_list keeps (src/store/forget.h);\n"
		   "-- deletes their posts, post_entities, scores and raw rows, puts the hash on the\n"
		   "-- list every later load drops by, and writes an audit row (time, hash, counts),\n"
		   "-- in one transaction: a killed run deletes nothing, and runs again whole.\n"
		   "\\set ON_ERROR_STOP on\n"
		   "BEGIN;\n"
		   "SET LOCAL client_min_messages = warning;\n"
		   "DO $$BEGIN PERFORM pg_advisory_xact_lock(%d); END$$;\n\n",
		   pc->run_id, pc->run_id, HERD_VERSION, src.p, PGCOPY_LOCK_KEY);
	schema(&b);
	buf_printf(&b, "\nINSERT INTO forget_list (hash, source, since, dropped) VALUES ('%s', %s, now(), 0)\n"
		       "  ON CONFLICT (hash) DO NOTHING;\n", hash, src.p);
	buf_printf(&b, "CREATE TEMP TABLE herd_forget_posts ON COMMIT DROP AS\n"
		       "  SELECT id FROM posts WHERE source = %s AND author IS NOT NULL AND %s = '%s';\n",
		   src.p, posts_hash, hash);
	buf_printf(&b,
		   "WITH e AS (DELETE FROM post_entities WHERE post_id IN (SELECT id FROM herd_forget_posts) RETURNING 1),\n"
		   "s AS (DELETE FROM scores WHERE post_id IN (SELECT id FROM herd_forget_posts) RETURNING 1),\n"
		   "p AS (DELETE FROM posts WHERE id IN (SELECT id FROM herd_forget_posts) RETURNING 1),\n"
		   "r AS (DELETE FROM raw WHERE source = %s AND %s = '%s' RETURNING 1),\n"
		   "a AS (INSERT INTO forget_audit (\"at\", source, hash, posts, post_entities, scores, raw)\n"
		   "  SELECT now(), %s, '%s', (SELECT count(*) FROM p), (SELECT count(*) FROM e), (SELECT count(*) FROM s),\n"
		   "    (SELECT count(*) FROM r) RETURNING *)\n"
		   "SELECT format('forget: %%s posts, %%s post_entities, %%s scores, %%s raw deleted', posts, post_entities,\n"
		   "  scores, raw) FROM a;\n"
		   "\nCOMMIT;\n",
		   src.p, raw_hash, hash, src.p, hash);
	buf_free(&src);
	if (put_script(pc, &b, err, errlen) < 0 || sync_dir(pc, err, errlen) < 0) {
		discard(pc);
		release(pc);
		return -1;
	}
	release(pc);
	return 0;
}

/* ---------------------------------------------------------------- backend */

static int backend_put(void *self, const store_rows *rows, store_counts counts[STORE_NTABLES], char *err,
		       size_t errlen)
{
	return store_pgcopy_put(self, rows, counts, err, errlen);
}

static int backend_flush(void *self, char *err, size_t errlen)
{
	return store_pgcopy_flush(self, err, errlen);
}

static int backend_close(void *self, char *err, size_t errlen)
{
	return store_pgcopy_close(self, err, errlen);
}

void store_pgcopy_backend(store_pgcopy *pc, store_backend *b)
{
	b->name = "pgcopy";
	b->self = pc;
	b->put = backend_put;
	b->flush = backend_flush;
	b->close = backend_close;
}
