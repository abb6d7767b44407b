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
#include "lib/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"Usage: herd-backtest [OPTIONS] [FILE...]\n"
	"Score events against later prices: hit rate and forward return per type.\n"
	"\n"
	"Reads event records (herd-detect) and price bars (metric records named\n"
	"\"bar\", e.g. from herd-import --kind metric --value bar=close), in any\n"
	"order, from the FILEs or stdin; other records are ignored. Each event\n"
	"is known at its time plus its window (cascades: evidence.window; heat and\n"
	"discovery: the day), enters at the close of the entity's first bar that\n"
	"starts at or after that, and exits at the close of the first bar that\n"
	"starts at or after entry + horizon. The return is signed by the event's\n"
	"direction: signals by BUY/SELL, cascades by their sentiment (bear is a\n"
	"short, anything else long), heat and discovery long. A hit is a return\n"
	"above 0. The \"(all bars)\" rows are the base rate: every bar of the\n"
	"entities that have events, held long, the figure an event must beat.\n"
	"\n"
	"Options:\n"
	"      --horizons LIST     forward horizons (default 1d,3d,5d; at most 8)\n"
	"      --by WHAT           group events by phase (default: cascade/start,\n"
	"                          signal/BUY, heat...) or by type (cascade, signal...)\n"
	"      --json              one JSON object per row instead of the table\n"
	"      --detail            each event's entry and returns instead of the\n"
	"                          summary (table or --json)\n" CLI_REJECT_HELP CLI_COMMON_HELP
	"\n"
	"Examples:\n"
	"  herd-backtest events.ndjson bars.ndjson\n"
	"  herd-import --kind metric --source yahoo --map entity=symbol,at=date \\\n"
	"      --value bar=close prices.csv | herd-backtest --json events.ndjson -\n";

enum { OPT_HORIZONS = CLI_FIRST_PROGRAM_OPTION, OPT_BY, OPT_JSON, OPT_DETAIL };

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

		if (detect_parse_metric(s, rec, &m) < 0)
			return -1;
		backtest_add_bar(r->bt, m.entity, m.at, m.close);
		return 0;
	}
	r->ignored++;
	return 0;
}

static void print_pct(double v, int ok)
{
	if (ok)
		printf(" %+10.2f%%", 100 * v);
	else
		printf(" %11s", "-");
}

static void print_rows(const backtest_t *bt, int json)
{
	const backtest_row_t *rows;
	size_t n = backtest_rows(bt, &rows);
	char hz[32];

	if (!json)
		printf("%-18s %7s %7s %7s %6s %9s %11s %11s\n", "group", "horizon", "events", "priced", "hits",
		       "hit_rate", "mean", "median");
	for (size_t i = 0; i < n; i++) {
		const backtest_row_t *r = &rows[i];

		htime_format_duration(r->horizon, hz);
		if (json) {
			json_t *o = json_object();

			jx_set_str(o, "group", r->group);
			jx_set_str(o, "horizon", hz);
			jx_set_int(o, "events", r->events);
			jx_set_int(o, "priced", r->priced);
			jx_set_int(o, "hits", r->hits);
			detect_set_real(o, "hit_rate", r->hit_rate, 4);
			detect_set_real(o, "mean_return", r->mean_return, 6);
			detect_set_real(o, "median_return", r->median_return, 6);
			if (ndjson_write(stdout, o) < 0)
				log_fatal(HERD_EXIT_FAIL, "write error:");
			json_decref(o);
			continue;
		}
		printf("%-18s %7s %7ld %7ld %6ld", r->group, hz, r->events, r->priced, r->hits);
		if (r->priced)
			printf(" %8.1f%%", 100 * r->hit_rate);
		else
			printf(" %9s", "-");
		print_pct(r->mean_return, r->priced > 0);
		print_pct(r->median_return, r->priced > 0);
		putchar('\n');
	}
}

static void print_details(const backtest_t *bt, const int64_t *hz, size_t nh, int json)
{
	const backtest_detail_t *d;
	size_t n = backtest_details(bt, &d);
	char ts[HTIME_LEN], h[32];

	if (!json) {
		printf("%-52s %-8s %-20s %10s", "key", "entity", "entry_at", "entry");
		for (size_t k = 0; k < nh; k++)
			printf(" %11s", htime_format_duration(hz[k], h));
		putchar('\n');
	}
	for (size_t i = 0; i < n; i++) {
		if (json) {
			json_t *o = json_object(), *rt = json_object();

			jx_set_str(o, "key", d[i].key);
			jx_set_str(o, "entity", d[i].entity);
			jx_set_str(o, "group", d[i].group);
			jx_set_int(o, "direction", d[i].direction);
			if (d[i].entry > 0) {
				detect_set_time(o, "entry_at", d[i].entry_at);
				jx_set_real(o, "entry", d[i].entry);
			}
			for (size_t k = 0; k < nh; k++) {
				htime_format_duration(hz[k], h);
				if (isnan(d[i].ret[k]))
					json_object_set_new(rt, h, json_null());
				else
					detect_set_real(rt, h, d[i].ret[k], 6);
			}
			json_object_set_new(o, "returns", rt);
			if (ndjson_write(stdout, o) < 0)
				log_fatal(HERD_EXIT_FAIL, "write error:");
			json_decref(o);
			continue;
		}
		printf("%-52s %-8s %-20s", d[i].key, d[i].entity, d[i].entry > 0 ? htime_format(d[i].entry_at, ts) : "-");
		if (d[i].entry > 0)
			printf(" %10.4g", d[i].entry);
		else
			printf(" %10s", "-");
		for (size_t k = 0; k < nh; k++)
			print_pct(d[i].ret[k], !isnan(d[i].ret[k]));
		putchar('\n');
	}
}

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

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"horizons", required_argument, NULL, OPT_HORIZONS},
		{"by", required_argument, NULL, OPT_BY},
		{"json", no_argument, NULL, OPT_JSON},
		{"detail", no_argument, NULL, OPT_DETAIL},
		CLI_REJECT_LONGOPTS,
		CLI_COMMON_LONGOPTS,
		{0},
	};
	int64_t hz[BACKTEST_MAX_HORIZONS] = {86400, 3 * 86400, 5 * 86400};
	size_t nh = 3;
	int json = 0, detail = 0, c, rc;
	stream_t s;
	run_t r;

	cli_init(argc, argv);
	memset(&r, 0, sizeof r);
	while ((c = cli_getopt(argc, argv, "hVqv", longopts)) != -1) {
		if (cli_common_option(c, optarg, usage))
			continue;
		switch (c) {
		case OPT_HORIZONS: nh = parse_horizons(optarg, hz); break;
		case OPT_BY: r.by_type = cli_choice("--by", optarg, (const char *const[]){"phase", "type", NULL}); break;
		case OPT_JSON: json = 1; break;
		case OPT_DETAIL: detail = 1; break;
		default: log_usage("unexpected option");
		}
	}
	r.bt = backtest_new(hz, nh);
	stream_init(&s);
	stream_run(&s, argv + optind, argc - optind, on_record, &r);
	backtest_run(r.bt);
	if (detail)
		print_details(r.bt, hz, nh, json);
	else
		print_rows(r.bt, json);
	if (r.ignored)
		log_debug("%ld records neither events nor bars, ignored", r.ignored);
	backtest_free(r.bt);
	rc = stream_finish(&s);
	return rc | herd_close_stdout();
}
