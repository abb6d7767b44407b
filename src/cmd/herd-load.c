/*
 * herd-load — the end of the pipe: records of any kind into herd's SQLite
 * file, upserted by key in batched transactions, so that loading the same
 * input twice changes nothing (DESIGN.md §5).
 *
 * The record → rows rules live in src/store/store.c, the file in
 * src/store/sqlite.c; this is the thin wiring between a record stream and
 * a store_backend, plus the end-of-run summary. The second backend,
 * --pg-copy DIR, writes PostgreSQL COPY files and a load script instead
 * (src/store/pgcopy.c); pipelines/pg-load.sh loads them.
 */
#include "lib/cli.h"
#include "lib/home.h"
#include "lib/jsonx.h"
#include "lib/log.h"
#include "lib/metrics.h"
#include "lib/stream.h"
#include "lib/util.h"
#include "sources/sources.h"
#include "store/forget.h"
#include "store/pgcopy.h"
#include "store/sqlite.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"Usage: herd-load [OPTIONS] [FILE...]\n"
	"Load records of any kind into herd's SQLite file, idempotently.\n"
	"\n"
	"Reads NDJSON records (files, or stdin; '-' is stdin) and upserts them\n"
	"into the SQLite file named by --db. Writes nothing to stdout; at the end\n"
	"prints per table how many rows were new, updated or unchanged.\n"
	"\n"
	"  post    -> posts (key id), post_entities (key id+entity; the record's\n"
	"             entities replace the post's old ones), scores (key id+model:\n"
	"             'sentiment' under its model, 'vader' under \"vader\", or with\n"
	"             the VADER sentiment when herd-score ran --model vader alone)\n"
	"  metric  -> metrics (key source+entity+name+interval+at+key)\n"
	"  agg     -> aggregates (key entity+window+start)\n"
	"  event   -> events (key key)\n"
	"  raw     -> rejected unless --keep-raw: then raw (key source+item)\n"
	"  agg_partial and other kinds are rejected.\n"
	"\n"
	"A key already in the file takes the values of the record loaded last, so\n"
	"loading the same input twice changes nothing. Post and raw records of an\n"
	"author forgotten by herd-maintain forget (on the file's forget_list) are\n"
	"dropped and counted, not stored (the PostgreSQL load script does the same).\n"
	"A record missing a field\n"
	"its kind needs, or holding a field of the wrong type or a bad time, is\n"
	"rejected whole (file:line: reason) and the rest is loaded. The file is\n"
	"created when absent, in WAL mode, and its schema brought up to date\n"
	"(table schema_version). Tables and columns: docs/storage.md.\n"
	"\n"
	"With --pg-copy DIR, nothing is loaded: the rows go to PostgreSQL COPY\n"
	"text files, one per table per run (DIR/TABLE.RUN.copy), and a psql script\n"
	"DIR/load.RUN.sql that creates the tables when absent (same tables and keys;\n"
	"timestamptz, bigint, double precision, jsonb) and upserts the files through\n"
	"staging tables in one transaction. Each file is written under a temporary\n"
	"name and renamed when complete, the script last; RUN is --run-id or the UTC\n"
	"time and pid (20210127T140300.123456Z-4242), so runs and shards can share\n"
	"DIR. pipelines/pg-load.sh DIR DSN runs the scripts in run id order and moves\n"
	"what it loaded to DIR/loaded/. Within a run the record written last wins;\n"
	"across runs, the run loaded last. Loading a run twice changes nothing; a\n"
	"load that fails or is killed commits nothing. Records PostgreSQL cannot\n"
	"hold (text with U+0000) are rejected like bad records.\n"
	"\n"
	"Options:\n"
	"      --db FILE           the SQLite file (default $HERD_HOME/herd.db when\n"
	"                          HERD_HOME is set, else ./herd.db)\n"
	"      --commit-every N    records per transaction (default 5000; with\n"
	"                          --pg-copy, records between flushes of the files;\n"
	"                          old spelling: --batch)\n"
	"      --keep-raw          store raw records in the raw table\n"
	"      --pg-copy DIR       write PostgreSQL COPY files and load.RUN.sql into\n"
	"                          DIR (created when absent) instead of --db\n"
	"      --run-id ID         with --pg-copy: the run's id in file names (letters,\n"
	"                          digits, '.', '_', '-'; runs load in byte order of\n"
	"                          their ids); a taken id is refused\n" CLI_REJECT_HELP CLI_COMMON_HELP
	"\n"
	"Examples:\n"
	"  herd-normalize --source reddit comments.ndjson | herd-score --model vader \\\n"
	"    | herd-aggregate --window 1h,1d --pass all | herd-load --db herd.db\n"
	"  herd-load --db herd.db --rejects bad.ndjson events.ndjson metrics.ndjson\n"
	"  herd-load --pg-copy spool/ posts.ndjson && pipelines/pg-load.sh spool/ \\\n"
	"    'host=db.example dbname=herd user=herd'\n";

enum { OPT_DB = CLI_FIRST_PROGRAM_OPTION, OPT_COMMIT_EVERY, OPT_KEEP_RAW, OPT_PG_COPY, OPT_RUN_ID };

/* Record kinds herd-load counts in its summary. */
static const char *kinds[] = {"post", "metric", "agg", "event", "raw"};
#define NKINDS ((int)(sizeof kinds / sizeof kinds[0]))

struct load {
	store_backend backend;
	const char *db_path;
	long batch;    /* records per transaction */
	int flags;     /* STORE_KEEP_RAW */
	long pending;  /* records in the open batch */
	long batches;  /* batches committed */
	long loaded;   /* records loaded (committed or pending) */
	long per_kind[NKINDS];
	int failed;    /* a database error stopped the run */
	store_pgcopy *pg; /* --pg-copy: the run being written (else SQLite) */
	const char *pg_dir, *run_id_opt;          /* --pg-copy DIR, --run-id ID */
	char run_id[STORE_PGCOPY_RUN_ID_MAX + 1]; /* the run's id, kept past close */
	store_rows rows;
	store_counts counts[STORE_NTABLES];
	/* Forgotten authors (store/forget.h): their records are dropped. */
	store_sqlite *db;   /* SQLite: the file, whose forget_list is read per batch */
	forget_list forgotten;
	long dropped[NKINDS]; /* records dropped, per kind */
	buf_t who;          /* scratch: a raw record's author */
};

/* 1 when rec is a post or raw record of a forgotten author (SQLite; the
 * PostgreSQL load script drops its own). */
static int forgotten(struct load *l, const json_t *rec)
{
	const char *kind = jx_str(rec, "kind"), *src = jx_str(rec, "source"), *author = NULL;

	if (!l->db || !l->forgotten.hashes.n || !kind || !src)
		return 0;
	if (strcmp(kind, "post") == 0) {
		author = jx_str(rec, "author");
	} else if (strcmp(kind, "raw") == 0 && (l->flags & STORE_KEEP_RAW)) {
		const source *s = source_find(src);
		if (s && source_raw_author(s, json_object_get(rec, "item"), json_object_get(rec, "includes"), &l->who))
			author = l->who.p;
	}
	return author && forget_list_has(&l->forgotten, src, author);
}

static void count_kind(struct load *l, const json_t *rec)
{
	const char *k = json_string_value(json_object_get(rec, "kind"));

	for (int i = 0; i < NKINDS; i++)
		if (k && strcmp(k, kinds[i]) == 0)
			l->per_kind[i]++;
}

static int on_record(stream_t *s, json_t *rec, void *arg)
{
	struct load *l = arg;
	char err[512];

	store_rows_reset(&l->rows);
	if (store_rows_from_record(&l->rows, rec, l->flags, err, sizeof err) < 0)
		return stream_reject(s, "%s", err);
	/* A batch starts: take the file's write lock first, then read the list
	 * of forgotten authors inside it, so no forget commits in between. */
	if (l->db && l->pending == 0 &&
	    (store_sqlite_begin(l->db, err, sizeof err) < 0 ||
	     forget_list_refresh(store_sqlite_handle(l->db), &l->forgotten, err, sizeof err) < 0)) {
		log_error("%s", err);
		l->failed = 1;
		s->stop = 1;
		return 0;
	}
	if (forgotten(l, rec)) { /* counted, not stored */
		const char *k = jx_str(rec, "kind"), *a = strcmp(k, "post") == 0 ? jx_str(rec, "author") : l->who.p;
		if (forget_list_dropped(store_sqlite_handle(l->db), jx_str(rec, "source"), a, err, sizeof err) < 0) {
			log_error("%s", err);
			l->failed = 1;
			s->stop = 1;
			return 0;
		}
		l->dropped[strcmp(k, "post") == 0 ? 0 : NKINDS - 1]++;
		return 0; /* its count commits with the batch */
	}
	if (l->pg && store_pgcopy_check(&l->rows, err, sizeof err) < 0)
		return stream_reject(s, "%s", err);
	if (l->backend.put(l->backend.self, &l->rows, l->counts, err, sizeof err) < 0) {
		log_error("%s", err);
		if (l->pg)
			log_error("%s:%ld: stopped; run %s is discarded, no file of it published", s->name, s->lineno,
				  store_pgcopy_run_id(l->pg));
		else
			log_error("%s:%ld: stopped; the batch of %ld records before this one was rolled back", s->name,
				  s->lineno, l->pending);
		l->loaded -= l->pg ? l->loaded : l->pending;
		l->failed = 1;
		s->stop = 1;
		return 0;
	}
	count_kind(l, rec);
	l->loaded++;
	if (++l->pending >= l->batch) {
		if (l->backend.flush(l->backend.self, err, sizeof err) < 0) {
			log_error("%s", err);
			l->loaded -= l->pg ? l->loaded : l->pending;
			l->failed = 1;
			s->stop = 1;
			return 0;
		}
		l->pending = 0;
		l->batches++;
	}
	return 0;
}

static void summary(const struct load *l)
{
	char kinds_line[256] = "";
	size_t n = 0;

	for (int i = 0; i < NKINDS; i++)
		if (l->per_kind[i])
			n += (size_t)snprintf(kinds_line + n, sizeof kinds_line - n, "%s%ld %s", n ? ", " : "",
					      l->per_kind[i], kinds[i]);
	if (l->pg_dir) { /* files: rows written, nothing known about the database */
		log_info("%s: run %s: %ld records written%s%s%s", l->pg_dir, l->run_id, l->loaded, n ? " (" : "",
			 kinds_line, n ? ")" : "");
		for (int t = 0; t < STORE_NTABLES; t++)
			if (l->loaded && l->counts[t].inserted)
				log_info("%s: %lld rows", store_tables[t].name, l->counts[t].inserted);
		if (l->loaded && !l->failed)
			log_info("%s/load.%s.sql: load with pipelines/pg-load.sh %s DSN", l->pg_dir, l->run_id, l->pg_dir);
		return;
	}
	log_info("%s: %ld records loaded%s%s%s in %ld batch%s", l->db_path, l->loaded, n ? " (" : "", kinds_line,
		 n ? ")" : "", l->batches, l->batches == 1 ? "" : "es");
	if (l->dropped[0] + l->dropped[NKINDS - 1])
		log_info("forget_list: %ld post%s and %ld raw record%s of forgotten authors dropped, not stored",
			 l->dropped[0], l->dropped[0] == 1 ? "" : "s", l->dropped[NKINDS - 1],
			 l->dropped[NKINDS - 1] == 1 ? "" : "s");
	metrics_gauge("herd_load_forgotten_dropped", "Records of forgotten authors dropped at load.", NULL, NULL,
		      (double)(l->dropped[0] + l->dropped[NKINDS - 1]));
	for (int t = 0; t < STORE_NTABLES; t++) {
		const store_counts *c = &l->counts[t];

		if (c->inserted + c->updated + c->unchanged + c->deleted == 0)
			continue;
		if (store_tables[t].ngroup)
			log_info("%s: %lld new, %lld unchanged, %lld dropped", store_tables[t].name, c->inserted,
				 c->unchanged, c->deleted);
		else
			log_info("%s: %lld new, %lld updated, %lld unchanged", store_tables[t].name, c->inserted,
				 c->updated, c->unchanged);
	}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"db", required_argument, NULL, OPT_DB},
		{"commit-every", required_argument, NULL, OPT_COMMIT_EVERY},
		{"batch", required_argument, NULL, OPT_COMMIT_EVERY}, /* the old spelling */
		{"keep-raw", no_argument, NULL, OPT_KEEP_RAW},
		{"pg-copy", required_argument, NULL, OPT_PG_COPY},
		{"run-id", required_argument, NULL, OPT_RUN_ID},
		CLI_REJECT_LONGOPTS,
		CLI_COMMON_LONGOPTS,
		{0},
	};
	struct load l = {.batch = 5000};
	char *default_db = NULL;
	char err[512];
	store_sqlite *db = NULL;
	stream_t s;
	int c, rc;

	cli_init(argc, argv);
	while ((c = cli_getopt(argc, argv, "hVqv", longopts)) != -1) {
		if (cli_common_option(c, optarg, usage))
			continue;
		switch (c) {
		case OPT_DB: l.db_path = optarg; break;
		case OPT_COMMIT_EVERY: l.batch = cli_long("--commit-every", optarg, 1, 100000000); break;
		case OPT_KEEP_RAW: l.flags |= STORE_KEEP_RAW; break;
		case OPT_PG_COPY: l.pg_dir = optarg; break;
		case OPT_RUN_ID:
			if (!store_pgcopy_valid_run_id(optarg, err, sizeof err))
				log_usage("--run-id: %s", err);
			l.run_id_opt = optarg;
			break;
		default: log_usage("unexpected option");
		}
	}
	if (l.pg_dir && l.db_path)
		log_usage("--db and --pg-copy exclude each other: SQLite or PostgreSQL COPY files");
	if (l.run_id_opt && !l.pg_dir)
		log_usage("--run-id goes with --pg-copy");
	if (l.pg_dir) {
		l.pg = store_pgcopy_open(l.pg_dir, l.run_id_opt, err, sizeof err);
		if (!l.pg)
			log_fatal(HERD_EXIT_FAIL, "%s", err);
		snprintf(l.run_id, sizeof l.run_id, "%s", store_pgcopy_run_id(l.pg));
		store_pgcopy_backend(l.pg, &l.backend);
	} else if (!l.db_path) {
		l.db_path = default_db = herd_home_file("herd.db");
	}
	if (!l.pg) {
		db = store_sqlite_open(l.db_path, err, sizeof err);
		if (!db)
			log_fatal(HERD_EXIT_FAIL, "%s", err);
		store_sqlite_backend(db, &l.backend);
		l.db = db;
	} else {
		buf_t expr = BUF_INIT;
		source_raw_author_sql(SRC_SQL_PG, &expr);
		store_pgcopy_set_raw_author(l.pg, expr.p);
		buf_free(&expr);
	}
	forget_list_init(&l.forgotten);
	store_rows_init(&l.rows);

	stream_init(&s);
	stream_run(&s, argv + optind, argc - optind, on_record, &l);
	if (l.backend.close(l.backend.self, err, sizeof err) < 0) {
		log_error("%s", err);
		l.loaded -= l.pg ? l.loaded : l.pending;
		l.failed = 1;
	} else if (l.pending) {
		l.batches++;
	}
	l.pg = NULL; /* closed */
	l.db = NULL;
	summary(&l);
	rc = stream_finish(&s);
	store_rows_free(&l.rows);
	forget_list_free(&l.forgotten);
	buf_free(&l.who);
	free(default_db);
	return rc | l.failed | herd_close_stdout();
}
