/*
 * herd-maintain — the daily chores of a herd install, for cron: retention,
 * VACUUM/ANALYZE, a verified online backup, an integrity check, and
 * `health`, which exits 1 and says why when a fetched source has gone
 * stale or an API budget is nearly spent (the original system's stale-data
 * and budget alerts). The work is in src/maint/; this file parses the
 * command line, runs the commands in order and reports.
 */
#include "lib/cli.h"
#include "lib/home.h"
#include "lib/htime.h"
#include "lib/log.h"
#include "lib/metrics.h"
#include "lib/util.h"
#include "maint/maint.h"
#include "sources/sources.h"
#include "store/forget.h"
#include "store/pgcopy.h"
#include "store/sqlite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
	"Usage: herd-maintain [OPTIONS] COMMAND...\n"
	"Keep herd's SQLite file in shape: retention, VACUUM, verified backups, health.\n"
	"\n"
	"Runs the COMMANDs in the order given on the --db file (which must exist);\n"
	"the first that fails stops the rest (exit 1). What each did is reported on\n"
	"stderr; health's findings go to stdout, one line each.\n"
	"\n"
	"Commands:\n"
	"  retain          delete rows older than their --keep time, in one\n"
	"                  transaction: posts (by created_at, with their entities\n"
	"                  and scores), aggregates (start), events (at), metrics\n"
	"                  (at), raw (fetched_at)\n"
	"  vacuum          checkpoint the WAL, ANALYZE, VACUUM (waits for writers)\n"
	"  backup FILE     online copy of --db into FILE with SQLite's backup API (a\n"
	"                  consistent snapshot while loaders go on), written under a\n"
	"                  temporary name, opened and PRAGMA integrity_check'ed, and\n"
	"                  only then renamed over FILE; a self-contained file (no WAL)\n"
	"  check           PRAGMA integrity_check of --db\n"
	"  forget          forget one author (GDPR art. 17): --source NAME and --author ID\n"
	"                  (or --author-file) as posts record them (posts.source and\n"
	"                  posts.author). In one transaction: deletes their posts, the\n"
	"                  posts' post_entities and scores, and the raw rows whose item\n"
	"                  names them; puts the author's hash on forget_list, so that\n"
	"                  herd-load drops (and counts) their records arriving later;\n"
	"                  writes an audit row of the time, the hash and the counts into\n"
	"                  forget_audit. The author's name is written nowhere, not even\n"
	"                  in messages. With --pg-copy DIR it writes the same deletion as\n"
	"                  a run for pipelines/pg-load.sh (without --db: PostgreSQL only).\n"
	"                  Killed half way, it leaves everything as it was: run it again.\n"
	"                  Aggregates keep their counts (docs/storage.md)\n"
	"  health          exit 1 and say why when something needs a person:\n"
	"                  - --db cannot be opened or fails PRAGMA quick_check;\n"
	"                  - a source in --state's fetch_sources has not succeeded\n"
	"                    for longer than --grace x its expected_interval_s;\n"
	"                  - a budget in fetch_budget for now's day (UTC) is used to\n"
	"                    --budget-warn or more;\n"
	"                  - with --max-data-age, the newest data is older than that.\n"
	"                  Absent fetch tables (no fetcher yet) are noted, not\n"
	"                  failures. Tables: docs/storage.md, \"Fetch state\".\n"
	"\n"
	"Options:\n"
	"      --db FILE           the records file (default $HERD_HOME/herd.db when\n"
	"                          HERD_HOME is set, else ./herd.db)\n"
	"      --state FILE        the state file health reads (default\n"
	"                          $HERD_HOME/state.db, else ./state.db)\n"
	"      --keep LIST         retention per kind, NAME=DURATION or NAME=forever:\n"
	"                          posts, aggregates, events, metrics, raw (default\n"
	"                          posts=30d,aggregates=60d,events=365d,raw=30d,\n"
	"                          metrics=forever); names not given keep the default\n"
	"      --now TIME          the moment to judge at. retain: default the latest\n"
	"                          time in the data, never later than the clock (so a\n"
	"                          replay of old data keeps its own last month);\n"
	"                          health: default the clock\n"
	"      --dry-run           retain: count what would be deleted, delete nothing\n"
	"      --grace F           health: a source is stale after F x its expected\n"
	"                          interval (default 1)\n"
	"      --budget-warn F     health: a budget is nearly spent at this share used\n"
	"                          (default 0.9)\n"
	"      --max-data-age DUR  health: fail when the newest post, aggregate, event\n"
	"                          or metric is older than D (default: not checked)\n"
	"      --source NAME       forget: the source of the author's posts (reddit…)\n"
	"      --author ID         forget: the author as posts.author has it\n"
	"      --author-file FILE  forget: the author from FILE's first line ('-': stdin),\n"
	"                          so that it shows in no process list or shell history\n"
	"      --pg-copy DIR       forget: also write the deletion as a PostgreSQL run into\n"
	"                          DIR, for pipelines/pg-load.sh\n"
	"      --run-id ID         forget: with --pg-copy, the run's id (default: the UTC\n"
	"                          time and pid, so that it loads after the runs before)\n" CLI_COMMON_HELP
	"\n"
	"Metrics (--prometheus): rows deleted per table, the file's size, the backup's\n"
	"size, health problems, each source's age and each budget's requests left.\n"
	"\n"
	"Examples:\n"
	"  herd-maintain --db herd.db retain vacuum backup /backups/herd-$(date +%F).db\n"
	"  herd-maintain --db herd.db --keep posts=7d,events=forever --dry-run retain\n"
	"  herd-maintain --db herd.db --state state.db health || mail -s 'herd' ops < /dev/null\n"
	"  herd-maintain --db herd.db --pg-copy /var/spool/herd forget --source reddit --author-file req-42.txt\n";

enum {
	OPT_DB = CLI_FIRST_PROGRAM_OPTION,
	OPT_STATE,
	OPT_KEEP,
	OPT_NOW,
	OPT_DRY_RUN,
	OPT_GRACE,
	OPT_BUDGET_WARN,
	OPT_MAX_DATA_AGE,
	OPT_SOURCE,
	OPT_AUTHOR,
	OPT_AUTHOR_FILE,
	OPT_PG_COPY,
	OPT_RUN_ID,
};

struct opts {
	const char *db_path, *state_path;
	maint_keep keep;
	int64_t now;  /* --now, or -1 */
	int dry_run;
	double grace, budget_warn;
	int64_t max_data_age; /* 0: not checked */
	const char *source, *author_file, *pg_dir, *run_id;
	char *author;         /* forget: --author or the first line of --author-file (owned) */
	int db_given;         /* --db was given */
};

static int64_t clock_now(void)
{
	return (int64_t)time(NULL);
}

/* The records file, which must exist (store_sqlite_open would create it). */
static store_sqlite *open_db(const struct opts *o)
{
	char err[512];
	store_sqlite *db;

	if (access(o->db_path, F_OK) < 0) {
		log_error("%s:", o->db_path);
		return NULL;
	}
	if (!(db = store_sqlite_open(o->db_path, err, sizeof err)))
		log_error("%s", err);
	return db;
}

/* ---------------------------------------------------------------- commands */

static int cmd_retain(const struct opts *o, sqlite3 *db)
{
	long long deleted[MAINT_NTABLES];
	char err[512], when[HTIME_LEN], line[512];
	int64_t now = o->now;
	size_t n = 0;

	if (now < 0) {
		now = maint_data_now(db);
		if (now < 0) {
			log_info("retain: %s holds no dated rows: nothing to do", o->db_path);
			return 0;
		}
		if (now > clock_now())
			now = clock_now();
	}
	if (maint_retain(db, &o->keep, now, o->dry_run, deleted, err, sizeof err) < 0) {
		log_error("%s: retain: %s", o->db_path, err);
		return 1;
	}
	for (int t = 0; t < MAINT_NTABLES; t++) {
		n += (size_t)snprintf(line + n, sizeof line - n, "%s%s %lld", t ? ", " : "", maint_table_names[t],
				      deleted[t]);
		if (!o->dry_run)
			metrics_gauge("herd_maintain_deleted_rows", "Rows deleted by retention, per table.", "table",
				      maint_table_names[t], (double)deleted[t]);
	}
	log_info("retain: %s as of %s: %s: %s", o->db_path, htime_format(now, when),
		 o->dry_run ? "would delete" : "deleted", line);
	return 0;
}

static int cmd_vacuum(const struct opts *o, sqlite3 *db)
{
	long long before = maint_db_bytes(db), after;
	char err[512];

	if (maint_vacuum(db, err, sizeof err) < 0) {
		log_error("%s: vacuum: %s", o->db_path, err);
		return 1;
	}
	after = maint_db_bytes(db);
	log_info("vacuum: %s: %lld -> %lld bytes", o->db_path, before, after);
	return 0;
}

static int cmd_backup(const struct opts *o, sqlite3 *db, const char *dest)
{
	long long bytes = 0;
	char err[512];

	if (maint_backup(db, dest, &bytes, err, sizeof err) < 0) {
		log_error("%s: backup: %s", o->db_path, err);
		return 1;
	}
	metrics_gauge("herd_maintain_backup_bytes", "Size of the verified backup written.", NULL, NULL, (double)bytes);
	log_info("backup: %s -> %s: %lld bytes, integrity_check ok", o->db_path, dest, bytes);
	return 0;
}

static int cmd_check(const struct opts *o, sqlite3 *db)
{
	char err[512];

	if (maint_check(db, 1, err, sizeof err) < 0) {
		log_error("%s: %s", o->db_path, err);
		return 1;
	}
	log_info("check: %s: integrity_check ok", o->db_path);
	return 0;
}

static void finding(enum maint_verdict v, const char *what, const char *why)
{
	static const char *tag[] = {"ok  ", "note", "FAIL"};

	printf("%s  %s: %s\n", tag[v], what, why);
	fflush(stdout); /* in order with the messages on stderr */
}

/* health: the records file, then the fetch state, then data age. */
static int cmd_health(const struct opts *o)
{
	maint_health_opts ho = {o->now >= 0 ? o->now : clock_now(), o->grace, o->budget_warn};
	maint_finding *f = NULL;
	int nf = 0, failed = 0;
	char err[512], why[600];
	store_sqlite *db;
	sqlite3 *state = NULL;

	if (!(db = open_db(o))) {
		snprintf(why, sizeof why, "cannot open (see above)");
		finding(MAINT_FAIL, o->db_path, why);
		failed++;
	} else {
		sqlite3 *h = store_sqlite_handle(db);

		if (maint_check(h, 0, err, sizeof err) < 0) {
			finding(MAINT_FAIL, o->db_path, err);
			failed++;
		} else {
			snprintf(why, sizeof why, "schema %d, quick_check ok, %.1f MB", store_sqlite_version(db),
				 (double)maint_db_bytes(h) / 1e6);
			finding(MAINT_OK, o->db_path, why);
		}
		if (o->max_data_age > 0) {
			int64_t newest = maint_data_now(h);
			char when[HTIME_LEN], age[32];
			int stale = newest < 0 || ho.now - newest > o->max_data_age;

			htime_format_duration(o->max_data_age, age);
			if (newest < 0)
				snprintf(why, sizeof why, "no data at all (--max-data-age %s)", age);
			else
				snprintf(why, sizeof why, "newest data %s, %s than --max-data-age %s", htime_format(newest, when),
					 stale ? "older" : "newer", age);
			finding(stale ? MAINT_FAIL : MAINT_OK, "data", why);
			failed += stale;
		}
		store_sqlite_close(db, NULL, 0);
	}

	if (access(o->state_path, F_OK) < 0) {
		snprintf(why, sizeof why, "absent: no fetch state to check");
		finding(MAINT_NOTE, o->state_path, why);
	} else if (sqlite3_open_v2(o->state_path, &state, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		snprintf(why, sizeof why, "cannot open: %s", sqlite3_errmsg(state));
		finding(MAINT_FAIL, o->state_path, why);
		failed++;
	} else {
		int n;

		sqlite3_busy_timeout(state, STORE_SQLITE_BUSY_MS);
		n = maint_health(state, &ho, &f, &nf, err, sizeof err);
		if (n < 0) {
			finding(MAINT_FAIL, o->state_path, err);
			failed++;
		}
		for (int i = 0; i < nf; i++) {
			finding(f[i].verdict, f[i].what, f[i].why);
			if (f[i].metric && strcmp(f[i].metric, "age") == 0)
				metrics_gauge("herd_fetch_source_age_seconds", "Seconds since the source last succeeded.",
					      "source", f[i].label, f[i].value);
			else if (f[i].metric)
				metrics_gauge("herd_fetch_budget_left", "Requests left in the source's budget today.", "source",
					      f[i].label, f[i].value);
		}
		if (n > 0)
			failed += n;
	}
	sqlite3_close(state);
	free(f);
	metrics_gauge("herd_health_problems", "Problems health found (0 is green).", NULL, NULL, failed);
	if (failed)
		log_error("health: %d problem%s", failed, failed == 1 ? "" : "s");
	return failed ? 1 : 0;
}

/* forget: SQLite (--db), PostgreSQL (--pg-copy), or both. The author is
 * named in messages only by the start of its hash. */
static int cmd_forget(const struct opts *o, store_sqlite *db)
{
	char hash[FORGET_HASH_LEN], err[1024];
	buf_t raw = BUF_INIT;
	int rc = 0;

	forget_hash(o->source, o->author, hash);
	if (db) {
		forget_counts c;
		int listed;
		int64_t at = o->now >= 0 ? o->now : clock_now();

		source_raw_author_sql(SRC_SQL_SQLITE, &raw);
		if (forget_sqlite(store_sqlite_handle(db), o->source, o->author, raw.p, at, &c, &listed, err, sizeof err) <
		    0) {
			log_error("%s: forget: %s", o->db_path, err);
			rc = 1;
		} else {
			log_info("forget: %s: %s author %.12s…: %lld posts, %lld post_entities, %lld scores, %lld raw deleted%s",
				 o->db_path, o->source, hash, c.posts, c.post_entities, c.scores, c.raw,
				 listed ? " (on forget_list already)" : "; on forget_list from now on");
			metrics_gauge("herd_maintain_forgotten_rows", "Rows a forget deleted.", NULL, NULL,
				      (double)(c.posts + c.post_entities + c.scores + c.raw));
		}
		buf_reset(&raw);
	}
	if (rc == 0 && o->pg_dir) {
		store_pgcopy *pc = store_pgcopy_open(o->pg_dir, o->run_id, err, sizeof err);
		char run[STORE_PGCOPY_RUN_ID_MAX + 1];

		source_raw_author_sql(SRC_SQL_PG, &raw);
		if (pc)
			snprintf(run, sizeof run, "%s", store_pgcopy_run_id(pc));
		if (!pc || store_pgcopy_forget(pc, o->source, hash, raw.p, err, sizeof err) < 0) {
			log_error("forget: %s", err);
			rc = 1;
		} else {
			log_info("forget: %s/load.%s.sql: the same for PostgreSQL (%s author %.12s…): load with "
				 "pipelines/pg-load.sh %s DSN",
				 o->pg_dir, run, o->source, hash, o->pg_dir);
		}
	}
	buf_free(&raw);
	return rc;
}

/* The author from --author-file: its first line, without the line end. */
static char *read_author(const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (!f)
		log_fatal(HERD_EXIT_FAIL, "%s:", path);
	n = getline(&line, &cap, f);
	if (f != stdin)
		fclose(f);
	if (n < 0) {
		free(line);
		return xstrdup("");
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	return line;
}

/* ---------------------------------------------------------------- main */

static const char *const commands[] = {"retain", "vacuum", "backup", "check", "health", "forget"};

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"db", required_argument, NULL, OPT_DB},
		{"state", required_argument, NULL, OPT_STATE},
		{"keep", required_argument, NULL, OPT_KEEP},
		{"now", required_argument, NULL, OPT_NOW},
		{"dry-run", no_argument, NULL, OPT_DRY_RUN},
		{"grace", required_argument, NULL, OPT_GRACE},
		{"budget-warn", required_argument, NULL, OPT_BUDGET_WARN},
		{"max-data-age", required_argument, NULL, OPT_MAX_DATA_AGE},
		{"source", required_argument, NULL, OPT_SOURCE},
		{"author", required_argument, NULL, OPT_AUTHOR},
		{"author-file", required_argument, NULL, OPT_AUTHOR_FILE},
		{"pg-copy", required_argument, NULL, OPT_PG_COPY},
		{"run-id", required_argument, NULL, OPT_RUN_ID},
		CLI_COMMON_LONGOPTS,
		{0}};
	struct opts o = {NULL, NULL, {{0}}, -1, 0, 1.0, 0.9, 0, NULL, NULL, NULL, NULL, NULL, 0};
	char *db_default = herd_home_file("herd.db"), *state_default = herd_home_file("state.db");
	char err[256];
	store_sqlite *db = NULL;
	int c, rc = 0, needs_db = 0, forgetting = 0;

	cli_init(argc, argv);
	maint_keep_defaults(&o.keep);
	while ((c = cli_getopt(argc, argv, "hVqv", longopts)) != -1) {
		if (cli_common_option(c, optarg, usage))
			continue;
		switch (c) {
		case OPT_DB: o.db_path = optarg; o.db_given = 1; break;
		case OPT_SOURCE: o.source = optarg; break;
		case OPT_AUTHOR: free(o.author); o.author = xstrdup(optarg); break;
		case OPT_AUTHOR_FILE: o.author_file = optarg; break;
		case OPT_PG_COPY: o.pg_dir = optarg; break;
		case OPT_RUN_ID:
			if (!store_pgcopy_valid_run_id(optarg, err, sizeof err))
				log_usage("--run-id: %s", err);
			o.run_id = optarg;
			break;
		case OPT_STATE: o.state_path = optarg; break;
		case OPT_KEEP:
			if (maint_keep_parse(&o.keep, optarg, err, sizeof err) < 0)
				log_usage("--keep: %s", err);
			break;
		case OPT_NOW: o.now = cli_time("--now", optarg); break;
		case OPT_DRY_RUN: o.dry_run = 1; break;
		case OPT_GRACE: o.grace = cli_double("--grace", optarg, 0.01, 1000); break;
		case OPT_BUDGET_WARN: o.budget_warn = cli_double("--budget-warn", optarg, 0.01, 1); break;
		case OPT_MAX_DATA_AGE: o.max_data_age = cli_duration("--max-data-age", optarg); break;
		default: log_usage("unexpected option");
		}
	}
	o.db_path = o.db_path ? o.db_path : db_default;
	o.state_path = o.state_path ? o.state_path : state_default;

	/* Check the whole command line before doing anything. */
	if (optind >= argc)
		log_usage("no COMMAND (retain, vacuum, backup FILE, check, health, forget)");
	for (int i = optind; i < argc; i++) {
		int known = 0;

		for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++)
			known |= strcmp(argv[i], commands[k]) == 0;
		if (!known)
			log_usage("'%s' is not a command (retain, vacuum, backup FILE, check, health, forget)", argv[i]);
		if (strcmp(argv[i], "backup") == 0 && ++i >= argc)
			log_usage("backup needs a FILE");
		needs_db |= strcmp(argv[i], "health") != 0 && !(strcmp(argv[i], "forget") == 0 && o.pg_dir && !o.db_given);
		forgetting |= strcmp(argv[i], "forget") == 0;
	}
	if (forgetting) {
		if (o.author && o.author_file)
			log_usage("forget: --author and --author-file exclude each other");
		if (o.author_file)
			o.author = read_author(o.author_file);
		if (!o.source || !*o.source)
			log_usage("forget: no --source (the source of the author's posts: %s)", source_names());
		if (!o.author || !*o.author)
			log_usage("forget: no --author (or an empty one): the author as posts.author has it");
	} else if (o.source || o.author || o.author_file || o.pg_dir || o.run_id) {
		log_usage("--source, --author, --author-file, --pg-copy and --run-id go with forget");
	}
	if (o.run_id && !o.pg_dir)
		log_usage("--run-id goes with --pg-copy");

	if (needs_db && !(db = open_db(&o)))
		rc = 1;
	for (int i = optind; i < argc && rc == 0; i++) {
		sqlite3 *h = db ? store_sqlite_handle(db) : NULL;

		if (strcmp(argv[i], "retain") == 0)
			rc = cmd_retain(&o, h);
		else if (strcmp(argv[i], "vacuum") == 0)
			rc = cmd_vacuum(&o, h);
		else if (strcmp(argv[i], "backup") == 0)
			rc = cmd_backup(&o, h, argv[++i]);
		else if (strcmp(argv[i], "check") == 0)
			rc = cmd_check(&o, h);
		else if (strcmp(argv[i], "forget") == 0)
			rc = cmd_forget(&o, db);
		else
			rc = cmd_health(&o);
	}
	if (db) {
		metrics_gauge("herd_maintain_db_bytes", "Size of the records file (without its WAL).", NULL, NULL,
			      (double)maint_db_bytes(store_sqlite_handle(db)));
		if (store_sqlite_close(db, err, sizeof err) < 0) {
			log_error("%s", err);
			rc = 1;
		}
	}
	free(db_default);
	free(state_default);
	free(o.author);
	return rc | herd_close_stdout();
}
