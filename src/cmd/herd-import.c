/*
 * herd-import — CSV files to `post` records (or `metric` records for
 * tables of numbers), so that data that never came from an API (Kaggle
 * dumps, research exports, spreadsheets) joins the same pipe. Reading CSV
 * is src/sources/csvread.c, the column mapping src/sources/csvimport.c;
 * this file wires them to the command line, rejects and progress.
 */
#include "lib/cli.h"
#include "lib/htime.h"
#include "lib/log.h"
#include "lib/metrics.h"
#include "lib/ndjson.h"
#include "lib/progress.h"
#include "lib/reject.h"
#include "lib/tzone.h"
#include "lib/util.h"
#include "sources/csvimport.h"
#include "sources/csvread.h"
#include "text/entopts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"Usage: herd-import [OPTIONS] [FILE...]\n"
	"Import CSV files as post records (or metric records, or price bars), one per row.\n"
	"\n"
	"Reads CSV files (stdin when none; gzip files too) with a header line:\n"
	"quoted fields may hold commas, doubled quotes and newlines; CRLF and LF\n"
	"lines and a UTF-8 byte order mark are handled. Writes one record per\n"
	"row to stdout, every key of the post contract present (docs/records.md).\n"
	"A bad row is reported as FILE:LINE (the line where the row starts),\n"
	"counted and kept aside with --rejects; the rest goes on.\n"
	"\n"
	"Options:\n"
	"      --map FIELD=COLUMN[,...]  take FIELD from COLUMN (a header name, or #N\n"
	"                          for the N-th column); may be repeated. COLUMN may be\n"
	"                          A|B: the first of them that is not empty in the row.\n"
	"                          Post fields: id, type, community, created_at, author,\n"
	"                          title, text, url, score, replies (engagement),\n"
	"                          entities, parent, lang, vader.neg, vader.neu,\n"
	"                          vader.pos, vader.compound. Metric fields: entity, at,\n"
	"                          community; bars also open, high, low, close, volume.\n"
	"                          Unmapped fields are null (text \"\", engagement 0).\n"
	"      --kind post|metric|bar  what to make (default post). A metric row gives\n"
	"                          one record per --value, e.g. daily mention counts; a\n"
	"                          bar row one metric named \"bar\" (value = close) with\n"
	"                          the open, high, low, close and volume mapped (close\n"
	"                          required; empty others left out); with a community\n"
	"                          the source is SOURCE/COMMUNITY\n"
	"      --value NAME=COLUMN[,...]  metric records named NAME from COLUMN\n"
	"      --interval DUR      metric \"interval\" (e.g. 1d); omitted by default\n"
	"      --source NAME       the records' source (default csv)\n"
	"      --type TYPE         post type when no column gives it: comment (default),\n"
	"                          submission, message, article, tweet\n"
	"      --community NAME    the community when no column gives it\n"
	"      --community-from-filename REGEX  the community is REGEX's first group\n"
	"                          (or whole match) in the file's base name\n"
	"      --entity-from-filename REGEX  metrics and bars: the entity, likewise,\n"
	"                          when no column gives it (prices/AAPL.csv)\n"
	"      --date-from-filename  the first date like 2021-01-20 in the file name,\n"
	"                          at midnight UTC (--tz: in that zone), is the time\n"
	"                          of rows whose time column is empty or not mapped\n"
	"      --tz ZONE           times without a zone (2021-01-27 09:30, 2021-01-27)\n"
	"                          are in ZONE, an IANA name like America/New_York\n"
	"                          (default UTC); times with Z or an offset keep it\n"
	"      --date-format FMT   the time column is written as strptime(3) FMT, e.g.\n"
	"                          %m/%d/%Y for 1/27/2021 or '%m/%d/%Y %I:%M %p';\n"
	"                          read in --tz unless FMT has %z. May be repeated:\n"
	"                          the first that reads a value wins; auto names the\n"
	"                          forms read without it (ISO 8601, RFC 2822, epoch\n"
	"                          seconds: put it after a FMT like %Y%m%d, which it\n"
	"                          would read as a number of seconds)\n"
	"      --date-only start|end  a date without a time of day (2021-01-27, or a\n"
	"                          FMT without %H) is its midnight (start, default) or\n"
	"                          the next midnight (end): an item known only by its\n"
	"                          day then never counts before that day was over\n"
	"      --delimiter C       field separator: one character, or 'tab' (default ,)\n"
	"      --encoding E        utf8 (default; invalid UTF-8 rejects the row) or\n"
	"                          latin1 (ISO-8859-1, converted to UTF-8)\n"
	"      --no-header         the first line is data; name columns as #1, #2, ...\n"
	"      --extract           find the entities the title and text mention, as\n"
	"                          herd-normalize does, and add them to the entities\n"
	"                          column's (--entities or --dict imply --extract)\n"
	ENT_OPTS_HELP("default precision")
	CLI_REJECT_HELP CLI_COMMON_HELP
	"\n"
	"Entities: the entities column holds one symbol or a list separated by\n"
	", ; | or spaces; a leading $ is dropped, symbols are upper-cased (a symbol\n"
	"starts with a letter: letters, digits, '.', '-'). With --extract the\n"
	"entities the title and text mention are found by herd-normalize's\n"
	"extractor (same modes, same dictionary); with an entities column too, a\n"
	"post gets both: the column's symbols and the text's, sorted and unique.\n"
	"With neither, entities is []. Text and title are cleaned as every\n"
	"source's are: HTML entities decoded, \"[deleted]\"/\"[removed]\" taken as\n"
	"no text (entities are found in the cleaned text).\n"
	"\n"
	"Ids: with --map id=COLUMN a post's id is SOURCE:VALUE. Without it the id is\n"
	"SOURCE:FILE:LINE (the file's base name, \"stdin\" for stdin, and the line\n"
	"where the row starts): the same files give the same ids on every run, so\n"
	"loading twice changes nothing. Renaming a file changes its ids.\n"
	"\n"
	"Metrics (--prometheus): records in are the CSV rows read, records out the\n"
	"records written (a row makes one post, or one metric per --value).\n"
	"\n"
	"Examples:\n"
	"  herd-import --source reddit --date-from-filename \\\n"
	"    --community-from-filename '^[0-9-]+_([a-z]+)_' \\\n"
	"    --map text=comment,entities=ticker,vader.compound=compound \\\n"
	"    daily_data/2021-01-2?_*_comments.csv > posts.ndjson\n"
	"  herd-import --source csv --map text=body,created_at=date --extract \\\n"
	"    --entities recall export.csv > posts.ndjson\n"
	"  herd-import --kind bar --source yahoo --interval 1d --entity-from-filename '^[^.]+' \\\n"
	"    --map at=Date,open=Open,high=High,low=Low,close=Close,volume=Volume AAPL.csv\n"
	"  herd-import --source reuters --type article --date-format %Y%m%d --date-format auto \\\n"
	"    --date-only end --map 'created_at=ts_utc|date,title=title,text=summary' news.csv\n"
	"  herd-import --kind metric --source reddit --date-from-filename --interval 1d \\\n"
	"    --community-from-filename '_([a-z]+)\\.csv$' --map entity=ticker \\\n"
	"    --value mentions=mentions daily_data/2021-01-20_stocks.csv\n";

enum {
	OPT_MAP = CLI_FIRST_PROGRAM_OPTION,
	OPT_KIND,
	OPT_VALUE,
	OPT_INTERVAL,
	OPT_SOURCE,
	OPT_TYPE,
	OPT_COMMUNITY,
	OPT_COMMUNITY_RE,
	OPT_ENTITY_RE,
	OPT_DATE_FROM_FILENAME,
	OPT_TZ,
	OPT_DATE_FORMAT,
	OPT_DATE_ONLY,
	OPT_DELIMITER,
	OPT_ENCODING,
	OPT_NO_HEADER,
	OPT_EXTRACT,
};

#define MAX_SPECS 64

static unsigned char parse_delimiter(const char *arg)
{
	if (strcmp(arg, "tab") == 0 || strcmp(arg, "\\t") == 0)
		return '\t';
	if (strlen(arg) != 1 || arg[0] == '"' || arg[0] == '\n' || arg[0] == '\r')
		log_usage("--delimiter: '%s' is not one character (or 'tab')", arg);
	return (unsigned char)arg[0];
}

/* What a run has done, over all its files. */
struct totals {
	long rows;    /* CSV rows read (records in) */
	long written; /* records written (records out) */
	int io_error; /* a file could not be opened or read */
};

/* Import one file; returns 1 when --strict says stop. */
static int import_file(const char *path, const struct csvr_opts *ro, csvimp_t *m, struct totals *t)
{
	json_t *out[MAX_SPECS];
	char err[512];
	csvr_row row;
	csvr_t *r = csvr_open(path, ro);
	int rc, stop = 0;

	if (!r) {
		log_error("%s:", path);
		t->io_error = 1;
		return 0;
	}
	if (csvr_empty(r)) {
		/* Like every other filter: empty input is no rows, exit 0. */
		log_warn("%s: empty file, nothing imported", csvr_name(r));
		csvr_close(r);
		return 0;
	}
	if (csvr_header_error(r)) {
		log_error("%s: %s", csvr_name(r), csvr_header_error(r));
		t->io_error = 1;
		csvr_close(r);
		return 0;
	}
	if (csvimp_bind(m, r, path, err, sizeof err) < 0) {
		log_error("%s: %s", csvr_name(r), err);
		t->io_error = 1;
		csvr_close(r);
		return 0;
	}
	while (!stop && (rc = csvr_next(r, &row)) > 0) {
		int n;

		t->rows++;
		if (row.err) {
			stop = reject_line(csvr_name(r), row.lineno, row.raw, row.rawlen, "%s", row.err);
			continue;
		}
		n = csvimp_row(m, &row, out, MAX_SPECS, err, sizeof err);
		if (n < 0) {
			stop = reject_line(csvr_name(r), row.lineno, row.raw, row.rawlen, "%s", err);
			continue;
		}
		for (int i = 0; i < n; i++) {
			if (ndjson_write(stdout, out[i]) < 0)
				log_fatal(HERD_EXIT_FAIL, "write error:");
			json_decref(out[i]);
		}
		t->written += n;
		progress_update((unsigned long long)t->rows, csvr_bytes(r));
	}
	if (rc < 0) {
		log_error("%s: read error:", csvr_name(r));
		t->io_error = 1;
	}
	csvr_close(r);
	return stop;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"map", required_argument, NULL, OPT_MAP},
		{"kind", required_argument, NULL, OPT_KIND},
		{"value", required_argument, NULL, OPT_VALUE},
		{"interval", required_argument, NULL, OPT_INTERVAL},
		{"source", required_argument, NULL, OPT_SOURCE},
		{"type", required_argument, NULL, OPT_TYPE},
		{"community", required_argument, NULL, OPT_COMMUNITY},
		{"community-from-filename", required_argument, NULL, OPT_COMMUNITY_RE},
		{"entity-from-filename", required_argument, NULL, OPT_ENTITY_RE},
		{"date-from-filename", no_argument, NULL, OPT_DATE_FROM_FILENAME},
		{"tz", required_argument, NULL, OPT_TZ},
		{"date-format", required_argument, NULL, OPT_DATE_FORMAT},
		{"date-only", required_argument, NULL, OPT_DATE_ONLY},
		{"delimiter", required_argument, NULL, OPT_DELIMITER},
		{"encoding", required_argument, NULL, OPT_ENCODING},
		{"no-header", no_argument, NULL, OPT_NO_HEADER},
		{"extract", no_argument, NULL, OPT_EXTRACT},
		ENT_OPTS_LONGOPTS,
		CLI_REJECT_LONGOPTS,
		CLI_COMMON_LONGOPTS,
		{0}};
	struct csvimp_opts io = {.kind = CSVIMP_POST};
	struct csvr_opts ro = {.delim = ','};
	const char *maps[MAX_SPECS], *values[MAX_SPECS];
	int nmaps = 0, nvalues = 0, extract = 0, c;
	char err[512], interval[HTIME_LEN];
	struct totals t = {0};
	ent_dict *dict = NULL;
	ent_opts eo;
	csvimp_t *m;

	cli_init(argc, argv);
	ent_opts_init(&eo, ENT_PRECISION);
	while ((c = cli_getopt(argc, argv, "hVqv", longopts)) != -1) {
		if (cli_common_option(c, optarg, usage))
			continue;
		if (ent_opts_option(&eo, c, optarg)) {
			extract = 1;
			continue;
		}
		switch (c) {
		case OPT_MAP:
		case OPT_VALUE:
			if ((c == OPT_MAP ? nmaps : nvalues) == MAX_SPECS)
				log_usage("too many --map/--value options");
			if (c == OPT_MAP)
				maps[nmaps++] = optarg;
			else
				values[nvalues++] = optarg;
			break;
		case OPT_KIND: /* in enum csvimp_kind order */
			io.kind = cli_choice("--kind", optarg, (const char *const[]){"post", "metric", "bar", NULL});
			break;
		case OPT_INTERVAL:
			htime_format_duration(cli_duration("--interval", optarg), interval);
			io.interval = interval;
			break;
		case OPT_SOURCE:
			if (!optarg[0] || strchr(optarg, ':') || strchr(optarg, '/'))
				log_usage("--source: '%s' is not a source name (no ':' or '/')", optarg);
			io.source = optarg;
			break;
		case OPT_TYPE: io.type = optarg; break;
		case OPT_COMMUNITY: io.community = optarg; break;
		case OPT_COMMUNITY_RE: io.community_re = optarg; break;
		case OPT_ENTITY_RE: io.entity_re = optarg; break;
		case OPT_DATE_FROM_FILENAME: io.date_from_filename = 1; break;
		case OPT_TZ:
			if (tzone_use(optarg, err, sizeof err) < 0)
				log_usage("--tz: %s", err);
			io.local_zone = 1;
			break;
		case OPT_DATE_FORMAT:
			if (strcmp(optarg, "auto") != 0 && (!*optarg || !strchr(optarg, '%')))
				log_usage("--date-format: '%s' has no %% field (like %%m/%%d/%%Y) and is not auto", optarg);
			if (io.ndate_formats == CSVIMP_MAX_FORMATS)
				log_usage("--date-format: at most %d", CSVIMP_MAX_FORMATS);
			io.date_formats[io.ndate_formats++] = optarg;
			break;
		case OPT_DATE_ONLY:
			io.date_only_end = cli_choice("--date-only", optarg, (const char *const[]){"start", "end", NULL});
			break;
		case OPT_DELIMITER: ro.delim = parse_delimiter(optarg); break;
		case OPT_ENCODING: /* utf8 or latin1, each under its two usual names */
			ro.latin1 = cli_choice("--encoding", optarg,
					       (const char *const[]){"utf8", "utf-8", "latin1", "iso-8859-1", NULL}) >= 2;
			break;
		case OPT_NO_HEADER: ro.no_header = 1; break;
		case OPT_EXTRACT: extract = 1; break;
		default: log_usage("unexpected option");
		}
	}
	io.extract = extract ? eo.mode : ENT_NONE;
	if (io.extract != ENT_NONE)
		io.dict = dict = ent_opts_dict(&eo); /* NULL for cashtags */
	m = csvimp_new(&io, err, sizeof err);
	if (!m)
		log_usage("%s", err);
	for (int i = 0; i < nmaps; i++)
		if (csvimp_map(m, maps[i], err, sizeof err) < 0)
			log_usage("%s", err);
	for (int i = 0; i < nvalues; i++)
		if (csvimp_value(m, values[i], err, sizeof err) < 0)
			log_usage("%s", err);
	if (csvimp_check(m, err, sizeof err) < 0)
		log_usage("%s", err);

	progress_start("rows", progress_total_of(argv + optind, argc - optind));
	if (optind == argc) {
		import_file("-", &ro, m, &t);
	} else {
		for (int i = optind; i < argc; i++)
			if (import_file(argv[i], &ro, m, &t))
				break;
	}
	progress_end();
	metrics_set_records(t.rows, t.written);
	csvimp_free(m);
	ent_dict_free(dict);
	ent_opts_free(&eo);
	return reject_finish(t.rows) | t.io_error | herd_close_stdout();
}
