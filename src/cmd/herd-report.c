/*
 * herd-report — reports for people from herd's SQLite file or its
 * PostgreSQL database: the daily digest (Markdown, HTML or JSON) and the
 * entity × time heatmap (one self-contained HTML page, or its grid as
 * JSON). The reports themselves are built in src/report/ over SQLite;
 * this file parses options, opens the file read only (or has
 * report/pgsource.c copy what the report reads from PostgreSQL into
 * memory) and writes the result, atomically when it goes to a file.
 */
#include "detect/detect.h"
#include "lib/cli.h"
#include "lib/home.h"
#include "lib/htime.h"
#include "lib/log.h"
#include "lib/metrics.h"
#include "lib/ndjson.h"
#include "lib/tzone.h"
#include "lib/util.h"
#include "report/pgsource.h"
#include "report/report.h"
#include "store/sqlite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"Usage: herd-report [OPTIONS] digest|heatmap\n"
	"Daily digest and entity x time heatmap from herd's SQLite file or PostgreSQL.\n"
	"\n"
	"Reads the aggregates and events tables of --db (herd-load's file; never\n"
	"writes it), or of the PostgreSQL database --pg names (what\n"
	"pipelines/pg-load.sh loads), and writes one report to stdout, or to\n"
	"--output FILE (whole: under a temporary name, then renamed). The same\n"
	"data gives the same bytes: nothing depends on the clock.\n"
	"\n"
	"  digest    one day (UTC, or --tz): the top movers by mentions (ranked by\n"
	"            (day - usual) / sqrt(usual + 1), usual = mean mentions per day\n"
	"            over --baseline days before), the movers by sentiment change\n"
	"            (day mean - baseline mean of scored mentions), then the day's\n"
	"            events: new cascades, signals, heat and discoveries, alerts sent.\n"
	"            Formats md (default), html, json.\n"
	"  heatmap   rows = the --top most mentioned entities, columns = aggregate\n"
	"            windows; a square's area is the mentions, its colour the mean\n"
	"            sentiment (red bearish, grey neutral, green bullish); cascades,\n"
	"            signals and heat marked on their cells; tooltips give the\n"
	"            numbers. One HTML page with inline SVG and CSS, no script and\n"
	"            no external asset: it opens offline. Formats html (default), json.\n"
	"\n"
	"Options:\n"
	"      --db FILE           the SQLite file (default $HERD_HOME/herd.db when\n"
	"                          HERD_HOME is set, else ./herd.db)\n"
	"      --pg DSN            read PostgreSQL instead: DSN is a libpq connection\n"
	"                          string or URI ('dbname=herd host=db', '' for the\n"
	"                          PG* variables); keep passwords in ~/.pgpass or\n"
	"                          PGPASSFILE. The report names the database. What\n"
	"                          it reads is copied into memory first: the\n"
	"                          aggregates of --window (of every window without\n"
	"                          it) and the events. A digest given --day DATE\n"
	"                          copies only that day and the --baseline days\n"
	"                          before it (at least 13, for its sparkline); a\n"
	"                          heatmap given --window and --to only the windows\n"
	"                          it shows. On a large database give those and keep\n"
	"                          --baseline small: else every aggregate is copied.\n"
	"  -f, --format F          md, html or json (see above)\n"
	"  -o, --output FILE       write the report to FILE instead of stdout\n"
	"  -w, --window DUR        the aggregate window to read (default 1d when\n"
	"                          loaded; else digest: the longest that divides a day,\n"
	"                          heatmap: the shortest)\n"
	"      --top N             rows per table (digest, default 10) or entities\n"
	"                          (heatmap, default 25)\n"
	"      --exclude FILE      entities to leave out, one per line (the first field;\n"
	"                          # comments), e.g. data/entities/stoplist.txt for data\n"
	"                          whose tickers were not extracted by herd-normalize\n"
	"digest:\n"
	"      --day DATE          the day to report; 'latest' (default): the latest\n"
	"                          day with aggregates; 'complete': the latest day all\n"
	"                          of whose windows are in (the day before the one the\n"
	"                          latest window ends in), for a cron job after midnight.\n"
	"                          A day without any aggregate is an error (exit 1),\n"
	"                          not an empty digest\n"
	"      --tz ZONE           report days of ZONE, an IANA name like\n"
	"                          America/New_York (default UTC): midnight to\n"
	"                          midnight there, 23 or 25 hours across a daylight-\n"
	"                          saving change; needs windows that tile such a day\n"
	"                          (1h, or 30m/15m for zones like Asia/Kolkata)\n"
	"      --baseline N        days before it that say what is usual (default 7);\n"
	"                          \"usual/day\" is over those that have data: a day\n"
	"                          without any aggregate is a gap, not zero (as in\n"
	"                          herd-detect)\n"
	"      --min-mentions N    mentions a mover needs on the day (default 10)\n"
	"      --min-scored N      scored mentions a sentiment mover needs on the day\n"
	"                          and in the baseline (default 10)\n"
	"heatmap:\n"
	"      --from TIME         first window shown (default: --columns windows\n"
	"                          before --to, or the first in the data)\n"
	"      --to TIME           end of the range (default: the end of the latest\n"
	"                          window in the data)\n"
	"      --columns N         windows shown when --from is not given (default 90)\n"
	"      --colour MODE       deviation (default): a window's mean sentiment\n"
	"                          against the entity's own usual over the range,\n"
	"                          shrunk towards it when few posts were scored (n /\n"
	"                          (n + 10)); absolute: the mean itself (red bearish,\n"
	"                          green bullish)\n"
	"      --scale F           the colour value drawn at full colour (default: the\n"
	"                          95th percentile of the cells' magnitudes)\n"
	"  Squares grow with the log of the mentions; markers sit inside their cell:\n"
	"  cascade start (red), growth, peak, fade; BUY/SELL signals; heat,\n"
	"  discovery; windows with no data at all are hatched.\n" CLI_COMMON_HELP
	"\n"
	"Examples:\n"
	"  herd-report --db herd.db digest > digest.md\n"
	"  herd-report --db herd.db --format html --day 2021-01-27 -o digest.html digest\n"
	"  herd-report --db herd.db --window 1h --top 15 -o heatmap.html heatmap\n"
	"  herd-report --pg 'dbname=herd host=db.example' --window 1d --day 2021-01-27 \\\n"
	"      --baseline 7 --format html -o digest.html digest\n";

#define DAY 86400

enum {
	OPT_DB = CLI_FIRST_PROGRAM_OPTION,
	OPT_PG,
	OPT_TOP,
	OPT_DAY,
	OPT_BASELINE,
	OPT_MIN_MENTIONS,
	OPT_MIN_SCORED,
	OPT_FROM,
	OPT_TO,
	OPT_COLUMNS,
	OPT_SCALE,
	OPT_COLOUR,
	OPT_TZ,
	OPT_EXCLUDE,
};

/* Write the report whole: to stdout, or to path through a temporary file. */
static int write_out(const char *path, const buf_t *b)
{
	if (!path)
		return fwrite(b->p, 1, b->len, stdout) == b->len ? 0 : -1;
	if (herd_write_atomic(path, b->p, b->len) < 0) {
		log_error("%s:", path);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"db", required_argument, NULL, OPT_DB},
		{"pg", required_argument, NULL, OPT_PG},
		{"format", required_argument, NULL, 'f'},
		{"output", required_argument, NULL, 'o'},
		{"window", required_argument, NULL, 'w'},
		{"top", required_argument, NULL, OPT_TOP},
		{"day", required_argument, NULL, OPT_DAY},
		{"baseline", required_argument, NULL, OPT_BASELINE},
		{"min-mentions", required_argument, NULL, OPT_MIN_MENTIONS},
		{"min-scored", required_argument, NULL, OPT_MIN_SCORED},
		{"from", required_argument, NULL, OPT_FROM},
		{"to", required_argument, NULL, OPT_TO},
		{"columns", required_argument, NULL, OPT_COLUMNS},
		{"scale", required_argument, NULL, OPT_SCALE},
		{"colour", required_argument, NULL, OPT_COLOUR},
		{"tz", required_argument, NULL, OPT_TZ},
		{"color", required_argument, NULL, OPT_COLOUR},
		{"exclude", required_argument, NULL, OPT_EXCLUDE},
		CLI_COMMON_LONGOPTS,
		{0}};
	report_digest_opts d = {.day = REPORT_DAY_LATEST, .baseline_days = 7, .top = 10, .min_mentions = 10, .min_scored = 10};
	report_heatmap_opts h = {NULL, NULL, -1, -1, 90, 25, 0, 0, NULL};
	const char *db_path = NULL, *dsn = NULL, *format = NULL, *output = NULL, *window = NULL, *what;
	char *db_default = herd_home_file("herd.db"), *exclude = NULL;
	char err[512], pg_name[256];
	int c, top = 0, rc = 0;
	sqlite3 *db = NULL;
	store_sqlite *pg_copy = NULL;
	json_t *doc;
	buf_t out = BUF_INIT;

	cli_init(argc, argv);
	while ((c = cli_getopt(argc, argv, "f:o:w:hVqv", longopts)) != -1) {
		if (cli_common_option(c, optarg, usage))
			continue;
		switch (c) {
		case OPT_DB: db_path = optarg; break;
		case OPT_PG: dsn = optarg; break;
		case 'f': format = optarg; break;
		case 'o': output = optarg; break;
		case 'w':
			window = optarg;
			cli_duration("--window", optarg);
			break;
		case OPT_TOP: top = (int)cli_long("--top", optarg, 1, 1000); break;
		case OPT_DAY:
			if (strcmp(optarg, "latest") == 0)
				d.day = REPORT_DAY_LATEST;
			else if (strcmp(optarg, "complete") == 0)
				d.day = REPORT_DAY_COMPLETE;
			else
				d.day = cli_time("--day", optarg);
			break;
		case OPT_BASELINE: d.baseline_days = (int)cli_long("--baseline", optarg, 1, 365); break;
		case OPT_MIN_MENTIONS: d.min_mentions = cli_long("--min-mentions", optarg, 0, __LONG_MAX__); break;
		case OPT_MIN_SCORED: d.min_scored = cli_long("--min-scored", optarg, 1, __LONG_MAX__); break;
		case OPT_FROM: h.from = cli_time("--from", optarg); break;
		case OPT_TO: h.to = cli_time("--to", optarg); break;
		case OPT_COLUMNS: h.columns = (int)cli_long("--columns", optarg, 1, 2000); break;
		case OPT_SCALE: h.scale = cli_double("--scale", optarg, 0.01, 1); break;
		case OPT_TZ:
			if (tzone_use(optarg, err, sizeof err) < 0)
				log_usage("--tz: %s", err);
			d.tz = optarg;
			break;
		case OPT_COLOUR:
			if (strcmp(optarg, "deviation") != 0 && strcmp(optarg, "absolute") != 0)
				log_usage("--colour: '%s' is not deviation or absolute", optarg);
			h.absolute = strcmp(optarg, "absolute") == 0;
			break;
		case OPT_EXCLUDE: {
			json_t *set = detect_read_exclude(optarg), *names = json_array();
			const char *k;
			json_t *v;

			if (!set)
				log_fatal(HERD_EXIT_FAIL, "--exclude: %s:", optarg);
			json_object_foreach(set, k, v)
				json_array_append_new(names, json_string(k));
			free(exclude);
			exclude = json_dumps(names, JSON_COMPACT);
			json_decref(names);
			json_decref(set);
			break;
		}
		default: log_usage("unexpected option");
		}
	}
	if (optind != argc - 1)
		log_usage(optind >= argc ? "which report: digest or heatmap?" : "one report at a time: digest or heatmap");
	what = argv[optind];
	if (strcmp(what, "digest") == 0) {
		format = format ? format : "md";
		if (strcmp(format, "md") && strcmp(format, "html") && strcmp(format, "json"))
			log_usage("--format: digest is md, html or json, not '%s'", format);
	} else if (strcmp(what, "heatmap") == 0) {
		format = format ? format : "html";
		if (strcmp(format, "html") && strcmp(format, "json"))
			log_usage("--format: heatmap is html or json, not '%s'", format);
	} else {
		log_usage("'%s' is not a report: digest or heatmap", what);
	}
	if (db_path && dsn)
		log_usage("--db and --pg: one or the other");
	if (d.tz && strcmp(what, "heatmap") == 0)
		log_usage("--tz: the heatmap's columns are the windows as they are (UTC); --tz is for the digest");
	db_path = db_path ? db_path : db_default;

	if (dsn) {
		report_pg_scope scope = {window, -1, -1};

		/* A digest of a given day reads that day and the days before
		 * it that its baseline and its sparkline cover. A heatmap of a
		 * given window and end reads at most the windows it shows,
		 * rounded out to whole windows (a window more on each side). */
		if (strcmp(what, "digest") == 0 && d.day >= 0) {
			int back = d.baseline_days > REPORT_SPARK_DAYS - 1 ? d.baseline_days : REPORT_SPARK_DAYS - 1;

			scope.to = htime_floor(d.day, DAY) + DAY;
			scope.from = scope.to - (int64_t)(back + 1) * DAY;
			if (d.tz) /* a day of the zone may begin or end up to 14 hours away */
				scope.from -= DAY, scope.to += DAY;
		} else if (strcmp(what, "heatmap") == 0 && window && h.to >= 0) {
			int64_t wlen = htime_parse_duration(window);

			scope.to = h.to + wlen;
			scope.from = (h.from >= 0 ? h.from : h.to - (int64_t)h.columns * wlen) - wlen;
		}
		if (!(pg_copy = report_pg_load(dsn, &scope, pg_name, sizeof pg_name, err, sizeof err))) {
			log_error("%s", err);
			free(db_default);
			free(exclude);
			return HERD_EXIT_FAIL;
		}
		db = store_sqlite_handle(pg_copy);
		db_path = pg_name;
	} else if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		/* Read only, and never created: a report of a missing file is an error. */
		log_error("%s: cannot open: %s", db_path, db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		free(db_default);
		return HERD_EXIT_FAIL;
	} else {
		sqlite3_busy_timeout(db, STORE_SQLITE_BUSY_MS);
	}
	d.exclude = h.exclude = exclude;
	if (strcmp(what, "digest") == 0) {
		d.db_name = db_path;
		d.window = window;
		d.top = top ? top : 10;
		doc = report_digest(db, &d, err, sizeof err);
	} else {
		h.db_name = db_path;
		h.window = window;
		h.top = top ? top : 25;
		doc = report_heatmap(db, &h, err, sizeof err);
	}
	if (!doc) {
		log_error("%s: %s", db_path, err);
		rc = HERD_EXIT_FAIL;
	} else {
		if (strcmp(format, "json") == 0) {
			ndjson_dump(&out, doc);
			buf_putc(&out, '\n');
		} else if (strcmp(what, "heatmap") == 0) {
			report_heatmap_html(doc, &out);
		} else if (strcmp(format, "html") == 0) {
			report_digest_html(doc, &out);
		} else {
			report_digest_markdown(doc, &out);
		}
		metrics_gauge("herd_report_bytes", "Size of the report written.", "report", what, (double)out.len);
		rc = write_out(output, &out);
		json_decref(doc);
	}
	if (pg_copy)
		store_sqlite_close(pg_copy, NULL, 0);
	else
		sqlite3_close(db);
	buf_free(&out);
	free(db_default);
	free(exclude);
	return rc | herd_close_stdout();
}
