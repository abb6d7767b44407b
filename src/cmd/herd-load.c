/*
 * herd-load — the end of the pipe: records of any kind into herd's SQLite
 * file, upserted by key in batched transactions, so that loading the same
 * input twice changes nothing (DESIGN.md §5).
 *
 * The record → rows rules live in src/store/store.c, the file in
 * src/store/sqlite.c; this is the thin wiring between a record stream and
 * a store_backend, plus the end-of-run summary. A second backend (the
 * PostgreSQL COPY files of issue 7) plugs in beside SQLite here.
 */
#include "lib/cli.h"
#include "lib/log.h"
#include "lib/stream.h"
#include "lib/util.h"
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
	"  metric  -> metrics (key source+entity+name+interval+at)\n"
	"  agg     -> aggregates (key entity+window+start)\n"
	"  event   -> events (key key)\n"
	"  raw     -> rejected unless --keep-raw: then raw (key source+item)\n"
	"  agg_partial and other kinds are rejected.\n"
	"\n"
	"A key already in the file takes the values of the record loaded last, so\n"
	"loading the same input twice changes nothing. A record missing a field\n"
	"its kind needs, or holding a field of the wrong type or a bad time, is\n"
	"rejected whole (file:line: reason) and the rest is loaded. The file is\n"
	"created when absent, in WAL mode, and its schema brought up to date\n"
	"(table schema_version). Tables and columns: docs/storage.md.\n"
	"\n"
	"Options:\n"
	"      --db FILE           the SQLite file (default $HERD_HOME/herd.db when\n"
	"                          HERD_HOME is set, else ./herd.db)\n"
	"      --batch N           records per transaction (default 5000)\n"
	"      --keep-raw          store raw records in the raw table\n" CLI_REJECT_HELP CLI_COMMON_HELP
	"\n"
	"Examples:\n"
	"  herd-normalize --source reddit comments.ndjson | herd-score --model vader \\\n"
	"    | herd-aggregate --window 1h,1d --pass all | herd-load --db herd.db\n"
	"  herd-load --db herd.db --rejects bad.ndjson events.ndjson metrics.ndjson\n";

enum { OPT_DB = CLI_FIRST_PROGRAM_OPTION, OPT_BATCH, OPT_KEEP_RAW };

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
	store_rows rows;
	store_counts counts[STORE_NTABLES];
};

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
	if (l->backend.put(l->backend.self, &l->rows, l->counts, err, sizeof err) < 0) {
		log_error("%s", err);
		log_error("%s:%ld: stopped; the batch of %ld records before this one was rolled back", s->name,
			  s->lineno, l->pending);
		l->loaded -= l->pending;
		l->failed = 1;
		s->stop = 1;
		return 0;
	}
	count_kind(l, rec);
	l->loaded++;
	if (++l->pending >= l->batch) {
		if (l->backend.flush(l->backend.self, err, sizeof err) < 0) {
			log_error("%s", err);
			l->loaded -= l->pending;
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
	log_info("%s: %ld records loaded%s%s%s in %ld batch%s", l->db_path, l->loaded, n ? " (" : "", kinds_line,
		 n ? ")" : "", l->batches, l->batches == 1 ? "" : "es");
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
		{"batch", required_argument, NULL, OPT_BATCH},
		{"keep-raw", no_argument, NULL, OPT_KEEP_RAW},
		CLI_REJECT_LONGOPTS,
		CLI_COMMON_LONGOPTS,
		{0},
	};
	struct load l = {.batch = 5000};
	char *default_db = NULL;
	char err[512];
	store_sqlite *db;
	stream_t s;
	int c, rc;

	cli_init(argc, argv);
	while ((c = cli_getopt(argc, argv, "hVqv", longopts)) != -1) {
		if (cli_common_option(c, optarg, usage))
			continue;
		switch (c) {
		case OPT_DB: l.db_path = optarg; break;
		case OPT_BATCH: l.batch = cli_long("--batch", optarg, 1, 100000000); break;
		case OPT_KEEP_RAW: l.flags |= STORE_KEEP_RAW; break;
		default: log_usage("unexpected option");
		}
	}
	if (!l.db_path) {
		const char *home = getenv("HERD_HOME");

		if (home && *home) {
			default_db = xmalloc(strlen(home) + sizeof "/herd.db");
			sprintf(default_db, "%s/herd.db", home);
			l.db_path = default_db;
		} else {
			l.db_path = "herd.db";
		}
	}
	db = store_sqlite_open(l.db_path, err, sizeof err);
	if (!db)
		log_fatal(HERD_EXIT_FAIL, "%s", err);
	store_sqlite_backend(db, &l.backend);
	store_rows_init(&l.rows);

	stream_init(&s);
	stream_run(&s, argv + optind, argc - optind, on_record, &l);
	if (l.backend.close(l.backend.self, err, sizeof err) < 0) {
		log_error("%s", err);
		l.loaded -= l.pending;
		l.failed = 1;
	} else if (l.pending) {
		l.batches++;
	}
	summary(&l);
	rc = stream_finish(&s);
	store_rows_free(&l.rows);
	free(default_db);
	return rc | l.failed | herd_close_stdout();
}
