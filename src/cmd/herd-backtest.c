/*
 * herd-backtest — reads event records and price bars (metric name "bar")
 * and reports, per event group and horizon, the hit rate and the mean and
 * median forward return, beside the base rate of every bar of the same
 * entities; as a table or as JSON. The joining and the arithmetic are in
 * src/detect/backtest.c; this file parses options and records.
 */
#include "detect/backtest.h"
#include "detect/detect.h"
#include "lib/cli.h"
#include "lib/htime.h"
#include "lib/jsonx.h"
#include "lib/log.h"
#include "lib/ndjson.h"
#include "lib/stream.h"
#include "lib/tzone.h"
#include "lib/util.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"Usage: herd-backtest [OPTIONS] [FILE...]\n"
	"Score events against later prices: hit rate and forward return per type.\n"
	"\n"
	"Reads event records (herd-detect) and price bars (metric records named\n"
	"\"bar\": herd-import --kind bar, herd-normalize of Yahoo or Alpha Vantage),\n"
	"in any order, from the FILEs or stdin; other records are ignored.\n"
	"\n"
	"When an event trades. It is known at its time plus its window (cascades:\n"
	"evidence.window; heat and discovery: the day; signals: the news time) and\n"
	"enters at the first price strictly after that. A daily bar (interval 1d\n"
	"or none) dated D is the exchange session of D: its open trades at D + the\n"
	"--session open and its close at D + the session close, in --tz; an\n"
	"intraday bar opens at its start and closes at its end. So news at 15:59\n"
	"New York time enters at that day's close, news at 16:01 at the next day's\n"
	"open (at its close when the bar has no open). It exits at the same kind\n"
	"of price (open or close) of the first bar starting at or after the entry\n"
	"bar's start + horizon.\n"
	"\n"
	"What is reported, per group and horizon: the return is signed by the\n"
	"event's direction (signals by BUY/SELL, cascades by their sentiment: bear\n"
	"is a short, anything else long; heat and discovery long), less --cost; a\n"
	"hit is a return above 0. hit_rate and mean come with 95% intervals from a\n"
	"bootstrap that resamples the entry days (the events of a day move\n"
	"together). With --benchmark, excess is the mean of the signed return less\n"
	"the benchmark's over the same moments. The \"(all bars)\" rows are the base\n"
	"rate: every bar of the entities with events (in --from/--to), held long\n"
	"from close to close, without cost; \"(all bars, short)\" the same held\n"
	"short, when some event is a short.\n"
	"\n"
	"Options:\n"
	"      --horizons LIST     forward horizons (default 1d,3d,5d; at most 8)\n"
	"      --by WHAT           group events by phase (default: cascade/start,\n"
	"                          signal/BUY, heat...) or by type (cascade, signal...)\n"
	"      --session HH:MM-HH:MM  when a daily bar's open and close trade, in --tz\n"
	"                          (default 09:30-16:00); none: a daily bar opens at\n"
	"                          its start and closes a day later, right only for\n"
	"                          bars whose start is their session's open\n"
	"      --tz ZONE           the sessions' zone (default America/New_York)\n"
	"      --cost BPS          round-trip cost in basis points, taken from every\n"
	"                          event's return (default 0; not from the base rows)\n"
	"      --benchmark B       an ENTITY of the bars, or basket: the equal-weight\n"
	"                          mean return of every entity with bars; adds excess\n"
	"      --from TIME         only events known in [from, to), and base rows\n"
	"      --to TIME           of bars closing then (default: all)\n"
	"      --bootstrap N       resamples for the intervals (default 1000; 0: none)\n"
	"      --seed N            of the resampling (default 1): same input, same output\n"
	"  -f, --format F          table (default) or json: one JSON object per row\n"
	"                          (old spelling: --json)\n"
	"      --detail            each event's entry and returns instead of the\n"
	"                          summary (table or json)\n" CLI_REJECT_HELP CLI_COMMON_HELP
	"\n"
	"Examples:\n"
	"  herd-backtest events.ndjson bars.ndjson\n"
	"  herd-backtest --horizons 1d,5d --benchmark basket --cost 10 -f json ev.ndjson bars.ndjson\n"
	"  herd-import --kind bar --source yahoo --interval 1d --entity-from-filename '^[^.]+' \\\n"
	"      --map at=Date,open=Open,close=Close AAPL.csv | herd-backtest events.ndjson -\n";

enum {
	OPT_HORIZONS = CLI_FIRST_PROGRAM_OPTION,
	OPT_BY,
	OPT_JSON,
	OPT_DETAIL,
	OPT_SESSION,
	OPT_TZ,
	OPT_COST,
	OPT_BENCHMARK,
	OPT_FROM,
	OPT_TO,
	OPT_BOOTSTRAP,
	OPT_SEED,
};

typedef struct run {
	backtest_t *bt;
	int by_type;
	long ignored;
} run_t;

static int on_event(stream_t *s, const json_t *rec, run_t *r)
{
	const char *type = jx_str(rec, "type"), *entity = jx_str(rec, "entity"), *key = jx_str(rec, "key");
	json_t *ev = json_object_get(rec, "evidence");
	char group[128];
	int64_t at, known;
	int dir = 1;

	if (!type || !entity || !key)
		return stream_reject(s, "event without type, entity or key");
	if (htime_from_json(json_object_get(rec, "at"), &at) < 0)
		return stream_reject(s, "event field 'at' is not a time");
	known = at;
	snprintf(group, sizeof group, "%s", type);
	if (strcmp(type, "cascade") == 0) {
		const char *w = jx_str(ev, "window"), *ph = jx_str(ev, "phase");
		const char *sd = jx_str(json_object_get(ev, "sentiment"), "direction");
		int64_t len = w ? htime_parse_duration(w) : -1;

		if (len > 0)
			known = at + len;
		if (sd && strcmp(sd, "bear") == 0)
			dir = -1;
		if (ph && !r->by_type)
			snprintf(group, sizeof group, "cascade/%s", ph);
	} else if (strcmp(type, "signal") == 0) {
		const char *d = jx_str(ev, "direction");

		if (!d || (strcmp(d, "BUY") != 0 && strcmp(d, "SELL") != 0))
			return stream_reject(s, "signal without evidence.direction BUY or SELL");
		dir = strcmp(d, "SELL") == 0 ? -1 : 1;
		if (!r->by_type)
			snprintf(group, sizeof group, "signal/%s", d);
	} else if (strcmp(type, "heat") == 0 || strcmp(type, "discovery") == 0) {
		known = at + 86400;
	}
	backtest_add_event(r->bt, key, entity, group, known, dir);
	return 0;
}

static int on_record(stream_t *s, json_t *rec, void *arg)
{
	run_t *r = arg;
	const char *kind = jx_str(rec, "kind");

	if (kind && strcmp(kind, "event") == 0)
		return on_event(s, rec, r);
	if (kind && strcmp(kind, "metric") == 0 && jx_str(rec, "name") && strcmp(jx_str(rec, "name"), "bar") == 0) {
		detect_metric_t m;
		int has_open = json_is_number(json_object_get(rec, "open"));

		if (detect_parse_metric(s, rec, &m) < 0)
			return -1;
		if (has_open && !(m.open > 0))
			return stream_reject(s, "bar open %g is not a price", m.open);
		backtest_add_bar(r->bt, m.entity, m.at, m.interval, has_open ? m.open : 0, m.close);
		return 0;
	}
	r->ignored++;
	return 0;
}

/* ------------------------------------------------------------------ output */

/* A table line is built here and printed without its trailing blanks
 * (the last column is padded like the others). */
static char line[2048];
static size_t line_len;

static void lprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void lprintf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line + line_len, sizeof line - line_len, fmt, ap);
	va_end(ap);
	if (n > 0)
		line_len += (size_t)n < sizeof line - line_len ? (size_t)n : sizeof line - line_len - 1;
}

static void lflush(void)
{
	while (line_len && line[line_len - 1] == ' ')
		line_len--;
	printf("%.*s\n", (int)line_len, line);
	line_len = 0;
}

static void print_pct(double v, int ok)
{
	if (ok && !isnan(v))
		lprintf(" %+8.2f%%", 100 * v);
	else
		lprintf(" %9s", "-");
}

/* "[lo, hi]" in percent (signed for returns), or "-". */
static void print_ci(backtest_ci_t ci, int sign, int width)
{
	char b[64];

	if (isnan(ci.lo))
		snprintf(b, sizeof b, "-");
	else if (sign)
		snprintf(b, sizeof b, "[%+.2f, %+.2f]", 100 * ci.lo, 100 * ci.hi);
	else
		snprintf(b, sizeof b, "[%.1f, %.1f]", 100 * ci.lo, 100 * ci.hi);
	lprintf(" %-*s", width, b);
}

static void set_ci(json_t *o, const char *key, backtest_ci_t ci, int places)
{
	json_t *a;

	if (isnan(ci.lo))
		return;
	a = json_array();
	json_array_append_new(a, json_real(detect_round(ci.lo, places)));
	json_array_append_new(a, json_real(detect_round(ci.hi, places)));
	json_object_set_new(o, key, a);
}

static void write_json(json_t *o)
{
	if (ndjson_write(stdout, o) < 0)
		log_fatal(HERD_EXIT_FAIL, "write error:");
	json_decref(o);
}

static void print_rows(const backtest_t *bt, const backtest_opts_t *o, int json)
{
	const backtest_row_t *rows;
	size_t n = backtest_rows(bt, &rows);
	int ci = o->bootstrap > 0;
	char hz[32];

	if (!json) {
		lprintf("%-18s %7s %7s %7s %6s %6s %9s", "group", "horizon", "events", "priced", "days", "hits", "hit_rate");
		if (ci)
			lprintf(" %-14s", "95% CI");
		lprintf(" %9s", "mean");
		if (ci)
			lprintf(" %-18s", "95% CI");
		lprintf(" %9s", "median");
		if (o->benchmark) {
			lprintf(" %9s", "excess");
			if (ci)
				lprintf(" %-18s", "95% CI");
		}
		lflush();
	}
	for (size_t i = 0; i < n; i++) {
		const backtest_row_t *r = &rows[i];

		htime_format_duration(r->horizon, hz);
		if (json) {
			json_t *j = json_object();

			jx_set_str(j, "group", r->group);
			jx_set_str(j, "horizon", hz);
			jx_set_int(j, "events", r->events);
			jx_set_int(j, "priced", r->priced);
			jx_set_int(j, "days", r->days);
			jx_set_int(j, "hits", r->hits);
			detect_set_real(j, "hit_rate", r->hit_rate, 4);
			set_ci(j, "hit_rate_ci", r->hit_ci, 4);
			detect_set_real(j, "mean_return", r->mean_return, 6);
			set_ci(j, "mean_return_ci", r->mean_ci, 6);
			detect_set_real(j, "median_return", r->median_return, 6);
			if (o->benchmark) {
				jx_set_int(j, "bench_priced", r->bench_priced);
				if (isnan(r->excess_return))
					json_object_set_new(j, "excess_return", json_null());
				else
					detect_set_real(j, "excess_return", r->excess_return, 6);
				set_ci(j, "excess_return_ci", r->excess_ci, 6);
			}
			write_json(j);
			continue;
		}
		lprintf("%-18s %7s %7ld %7ld %6ld %6ld", r->group, hz, r->events, r->priced, r->days, r->hits);
		if (r->priced)
			lprintf(" %8.1f%%", 100 * r->hit_rate);
		else
			lprintf(" %9s", "-");
		if (ci)
			print_ci(r->hit_ci, 0, 14);
		print_pct(r->mean_return, r->priced > 0);
		if (ci)
			print_ci(r->mean_ci, 1, 18);
		print_pct(r->median_return, r->priced > 0);
		if (o->benchmark) {
			print_pct(r->excess_return, r->bench_priced > 0);
			if (ci)
				print_ci(r->excess_ci, 1, 18);
		}
		lflush();
	}
}

static void print_details(const backtest_t *bt, const backtest_opts_t *o, int json)
{
	const backtest_detail_t *d;
	size_t n = backtest_details(bt, &d);
	char ts[HTIME_LEN], h[32];

	if (!json) {
		lprintf("%-46s %-6s %-20s %-5s %10s", "key", "entity", "entry_at", "at", "entry");
		for (size_t k = 0; k < o->nh; k++)
			lprintf(" %9s", htime_format_duration(o->horizons[k], h));
		if (o->benchmark)
			for (size_t k = 0; k < o->nh; k++)
				lprintf(" %9s", "excess");
		lflush();
	}
	for (size_t i = 0; i < n; i++) {
		if (json) {
			json_t *j = json_object(), *rt = json_object(), *ex = json_object();

			jx_set_str(j, "key", d[i].key);
			jx_set_str(j, "entity", d[i].entity);
			jx_set_str(j, "group", d[i].group);
			jx_set_int(j, "direction", d[i].direction);
			detect_set_time(j, "known", d[i].known);
			if (d[i].entry > 0) {
				detect_set_time(j, "entry_at", d[i].entry_at);
				jx_set_str(j, "entry_price", d[i].entry_is_open ? "open" : "close");
				jx_set_real(j, "entry", d[i].entry);
			}
			for (size_t k = 0; k < o->nh; k++) {
				htime_format_duration(o->horizons[k], h);
				if (isnan(d[i].ret[k]))
					json_object_set_new(rt, h, json_null());
				else
					detect_set_real(rt, h, d[i].ret[k], 6);
				if (isnan(d[i].excess[k]))
					json_object_set_new(ex, h, json_null());
				else
					detect_set_real(ex, h, d[i].excess[k], 6);
			}
			json_object_set_new(j, "returns", rt);
			if (o->benchmark)
				json_object_set_new(j, "excess", ex);
			else
				json_decref(ex);
			write_json(j);
			continue;
		}
		lprintf("%-46s %-6s %-20s %-5s", d[i].key, d[i].entity, d[i].entry > 0 ? htime_format(d[i].entry_at, ts) : "-",
		       d[i].entry > 0 ? (d[i].entry_is_open ? "open" : "close") : "-");
		if (d[i].entry > 0)
			lprintf(" %10.4g", d[i].entry);
		else
			lprintf(" %10s", "-");
		for (size_t k = 0; k < o->nh; k++)
			print_pct(d[i].ret[k], 1);
		if (o->benchmark)
			for (size_t k = 0; k < o->nh; k++)
				print_pct(d[i].excess[k], 1);
		lflush();
	}
}

/* ------------------------------------------------------------------ options */

static size_t parse_horizons(const char *arg, int64_t *out)
{
	char *s = xstrdup(arg), *save = NULL;
	size_t n = 0;

	for (char *t = strtok_r(s, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (n == BACKTEST_MAX_HORIZONS)
			log_usage("--horizons: at most %d", BACKTEST_MAX_HORIZONS);
		out[n++] = cli_duration("--horizons", t);
	}
	free(s);
	if (!n)
		log_usage("--horizons: no horizon given");
	return n;
}

/* "HH:MM" -> seconds after midnight, or -1. */
static int64_t clock_time(const char *s, size_t len)
{
	unsigned h, m;

	if (len != 5 || s[2] != ':' || sscanf(s, "%2u:%2u", &h, &m) != 2 || h > 23 || m > 59)
		return -1;
	return (int64_t)h * 3600 + m * 60;
}

static void parse_session(const char *arg, backtest_opts_t *o)
{
	const char *dash = strchr(arg, '-');

	if (strcmp(arg, "none") == 0) {
		o->session = 0;
		return;
	}
	o->session = 1;
	if (!dash || (o->session_open = clock_time(arg, (size_t)(dash - arg))) < 0 ||
	    (o->session_close = clock_time(dash + 1, strlen(dash + 1))) < 0 || o->session_close <= o->session_open)
		log_usage("--session: '%s' is not HH:MM-HH:MM (an open before a close) or none", arg);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"horizons", required_argument, NULL, OPT_HORIZONS},
		{"by", required_argument, NULL, OPT_BY},
		{"format", required_argument, NULL, 'f'},
		{"json", no_argument, NULL, OPT_JSON}, /* the old spelling of -f json */
		{"detail", no_argument, NULL, OPT_DETAIL},
		{"session", required_argument, NULL, OPT_SESSION},
		{"tz", required_argument, NULL, OPT_TZ},
		{"cost", required_argument, NULL, OPT_COST},
		{"benchmark", required_argument, NULL, OPT_BENCHMARK},
		{"from", required_argument, NULL, OPT_FROM},
		{"to", required_argument, NULL, OPT_TO},
		{"bootstrap", required_argument, NULL, OPT_BOOTSTRAP},
		{"seed", required_argument, NULL, OPT_SEED},
		CLI_REJECT_LONGOPTS,
		CLI_COMMON_LONGOPTS,
		{0},
	};
	backtest_opts_t o;
	const char *zone = "America/New_York";
	int json = 0, detail = 0, c, rc;
	char err[512];
	stream_t s;
	run_t r;

	cli_init(argc, argv);
	backtest_opts_default(&o);
	memset(&r, 0, sizeof r);
	while ((c = cli_getopt(argc, argv, "hVqvf:", longopts)) != -1) {
		if (cli_common_option(c, optarg, usage))
			continue;
		switch (c) {
		case OPT_HORIZONS: o.nh = parse_horizons(optarg, o.horizons); break;
		case OPT_BY: r.by_type = cli_choice("--by", optarg, (const char *const[]){"phase", "type", NULL}); break;
		case 'f': json = cli_choice("--format", optarg, (const char *const[]){"table", "json", NULL}); break;
		case OPT_JSON: json = 1; break;
		case OPT_DETAIL: detail = 1; break;
		case OPT_SESSION: parse_session(optarg, &o); break;
		case OPT_TZ: zone = optarg; break;
		case OPT_COST: o.cost = cli_double("--cost", optarg, 0, 10000) / 10000; break;
		case OPT_BENCHMARK:
			if (!*optarg)
				log_usage("--benchmark: give an entity or basket");
			o.benchmark = optarg;
			break;
		case OPT_FROM: o.from = cli_time("--from", optarg); break;
		case OPT_TO: o.to = cli_time("--to", optarg); break;
		case OPT_BOOTSTRAP: o.bootstrap = cli_long("--bootstrap", optarg, 0, 1000000); break;
		case OPT_SEED: o.seed = (uint64_t)cli_long("--seed", optarg, 0, __LONG_MAX__); break;
		default: log_usage("unexpected option");
		}
	}
	if (o.from && o.to && o.to <= o.from)
		log_usage("--to must come after --from");
	if (tzone_use(zone, err, sizeof err) < 0)
		log_usage("--tz: %s", err);
	r.bt = backtest_new(&o);
	stream_init(&s);
	stream_run(&s, argv + optind, argc - optind, on_record, &r);
	if (backtest_run(r.bt) < 0) {
		log_error("--benchmark: no bars of %s in the input", o.benchmark);
		backtest_free(r.bt);
		stream_finish(&s);
		return HERD_EXIT_FAIL;
	}
	if (detail)
		print_details(r.bt, &o, json);
	else
		print_rows(r.bt, &o, json);
	if (r.ignored)
		log_debug("%ld records neither events nor bars, ignored", r.ignored);
	backtest_free(r.bt);
	rc = stream_finish(&s);
	return rc | herd_close_stdout();
}
