/*
 * herd-detect — reads agg, metric and scored post records and writes the
 * event records of three detectors: cascades (src/detect/cascade.c),
 * news-driven signals (signal.c) and heat/discovery (heat.c), keeping
 * their memory in the --state SQLite file so cron batches continue where
 * the last one stopped. This file only parses options and routes records;
 * docs/detection.md explains the methods.
 */
#include "detect/detect.h"
#include "detect/state.h"
#include "lib/cli.h"
#include "lib/home.h"
#include "lib/htime.h"
#include "lib/jsonx.h"
#include "lib/log.h"
#include "lib/stream.h"
#include "lib/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"Usage: herd-detect [OPTIONS] [FILE...]\n"
	"Detect cascades, news-driven signals and heat in aggregates, metrics and news.\n"
	"\n"
	"Reads NDJSON records (stdin when no FILE) and writes event records\n"
	"(docs/records.md) to stdout, sorted by time, once all input is read:\n"
	"  agg     (herd-aggregate) of the --window length: cascades and heat\n"
	"  metric  name \"mentions\" (herd-import --kind metric): counted like agg\n"
	"          posts of source/community, when its interval is --window;\n"
	"          name \"bar\": price context for signals, price streams for heat;\n"
	"          any other name (pageviews, interest): a heat stream, the\n"
	"          day's mean; a metric with a \"key\" is one event (an options flow\n"
	"          alert, an analyst rating): its stream is the day's sum\n"
	"  post    of a --news type with a sentiment (herd-score): signals\n"
	"Other kinds pass through unchanged (--pass other); --pass all passes the\n"
	"records read too (before the events), --pass none only the events.\n"
	"Every event has a stable key: a rerun with the same --state writes only\n"
	"events it never wrote before, and the same data cut into hourly batches\n"
	"gives the same events as one run.\n"
	"\n"
	"General:\n"
	"      --state FILE        SQLite state (baselines, phases, signal history,\n"
	"                          events written); default $HERD_HOME/state.db, or\n"
	"                          ./state.db when HERD_HOME is unset\n"
	"  -w, --window DUR        the agg window length to read (default 1h); records\n"
	"                          of other lengths are counted and said on stderr. A\n"
	"                          state file serves one window length: another is\n"
	"                          refused (use one --state per length)\n"
	"      --only LIST         detectors to run: cascade,signal,heat (default all)\n"
	"      --now TIME          the run's \"now\": data after it is ignored, and heat\n"
	"                          days ending by it are closed (default: the latest\n"
	"                          time in the data and the state; never the clock)\n"
	"      --explain ENTITY    print ENTITY's series and every decision on stderr\n"
	"                          (any case; says so when the data has no ENTITY)\n"
	"      --exclude FILE      entities to ignore, one per line (the first field;\n"
	"                          # comments), e.g. data/entities/stoplist.txt for\n"
	"                          data whose tickers herd-normalize did not extract\n"
	"      --pass WHAT         which input records are copied to the output:\n"
	"                          other (default: kinds herd-detect does not read),\n"
	"                          all (every record read, for a loader downstream),\n"
	"                          none (only the events)\n"
	"\n"
	"Cascades (an entity's mentions run at several times their usual rate, beyond\n"
	"its ordinary bursts, and spread across sources; docs/detection.md):\n"
	"      --false-alarms R    false episodes per entity and year to accept on\n"
	"                          quiet data (default 0.5/y): sets the thresholds\n"
	"                          h = ln(windows per year / R). R is N/y, N/mo, N/w\n"
	"                          or N/d (0.5/y, 1/mo); lower flags less often, later\n"
	"      --shift F           the rate ratio the CUSUM is tuned to (default 2):\n"
	"                          lower sees slow builds sooner, and more noise\n"
	"      --critical S        severity critical from score S (default 3: at worst\n"
	"                          8x the usual rate); the score is log2 of the rate\n"
	"                          ratio now / usual that the counts make 95% certain\n"
	"      --halflife DUR      half-life of the usual level (default 7d); the\n"
	"                          overdispersion and season factors remember 8x longer\n"
	"      --min-history DUR   history a baseline needs before it judges (default\n"
	"                          3d): nothing starts in the first D of data; an\n"
	"                          entity first seen later carries the zeros of the\n"
	"                          windows it was absent from\n"
	"      --market on|off     divide by the market-wide factor (default on): the\n"
	"                          median change of the established entities, so a\n"
	"                          crash or a collection outage that moves every name\n"
	"                          is no herd of each (needs 8 entities expecting 5+)\n"
	"      --season auto|off   day-of-week factors on 1d windows, hour-of-day on\n"
	"                          shorter ones (default auto)\n"
	"      --min-posts N       posts in the window to start (default 20)\n"
	"      --min-sources N|auto  active sources to start (default auto: 2 once the\n"
	"                          data has had two sources, 1 while it has had one;\n"
	"                          stderr says which applied)\n"
	"      --source-min N      posts for a source to be active (default 5): lower\n"
	"                          lets small forums lead, and their noise with them\n"
	"      --source-z Z        a source is active when its posts of the entity are\n"
	"                          as unlikely as a normal tail of Z under that\n"
	"                          source's own count model (default 2: p 0.023)\n"
	"      --cold-share F      a source too young for a model of its own is active\n"
	"                          when the entity holds F of its posts (default 0.10)\n"
	"      --growth F          growth phase at F x the start rate (default 1.5)\n"
	"      --peak-drop F       peak once the rate is F under the episode's max\n"
	"                          (default 0.2): lower calls it sooner, and on mere dips\n"
	"      --fade F            fade once the rate is under F x the max, or at its\n"
	"                          expected count (default 0.5)\n"
	"      --min-align F       bull/bear concentration |bull-bear|/(bull+bear)\n"
	"                          needed to start (default 0: reported, not required)\n"
	"      --z Z               older spelling of the threshold: --false-alarms of a\n"
	"                          normal tail of Z per window (--z 3: 0.49/y daily)\n"
	"  --model, --rate, --z-end and --z-critical were retired with the count model\n"
	"  (issue 19); they stop with an error that says what replaced them.\n"
	"\n"
	"Signals (news + price context -> BUY/SELL):\n"
	"      --news TYPES        post types that are news (default article)\n"
	"      --lookback DUR      news window before each news item (default 6h)\n"
	"      --min-confidence F  model confidence a news item needs (default 0.6)\n"
	"      --min-score F       |score| for a signal (default 0.3): higher, fewer and\n"
	"                          surer signals\n"
	"      --expiry DUR        no repeat of an entity+direction within DUR (default 7d)\n"
	"      --bars DUR          bar interval used for price context (default 1d)\n"
	"\n"
	"Heat (velocity and acceleration of every stream, per entity and day):\n"
	"      --min-heat F        heat events from this score (default 3); discovery\n"
	"                          events the first time an entity reaches it\n"
	"      --heat-min-count N  a stream counts when it reached N (mentions, views...)\n"
	"                          on the day or the day before (default 10): lower\n"
	"                          sees small names sooner, and their noise too\n"
	"      --heat-min-streams N  streams a heat event needs (default 2): one stream\n"
	"                          alone is a cascade's job, heat is breadth\n"
	"      --heat-all          a heat event for every entity-day (for heatmaps)\n"
	"\n" CLI_REJECT_HELP CLI_COMMON_HELP
	"\n"
	"Examples:\n"
	"  herd-aggregate --window 1h posts.ndjson | herd-detect --state s.db > ev.ndjson\n"
	"  herd-detect --window 1d --explain GME --only cascade agg-1d.ndjson\n";

enum {
	OPT_STATE = CLI_FIRST_PROGRAM_OPTION,
	OPT_ONLY,
	OPT_NOW,
	OPT_EXPLAIN,
	OPT_EXCLUDE,
	OPT_PASS,
	OPT_RETIRED_MODEL,
	OPT_RETIRED_RATE,
	OPT_RETIRED_Z_END,
	OPT_RETIRED_Z_CRITICAL,
	OPT_FALSE_ALARMS,
	OPT_SHIFT,
	OPT_CRITICAL,
	OPT_MARKET,
	OPT_SEASON,
	OPT_HALFLIFE,
	OPT_MIN_HISTORY,
	OPT_Z,
	OPT_MIN_POSTS,
	OPT_MIN_SOURCES,
	OPT_SOURCE_MIN,
	OPT_SOURCE_Z,
	OPT_COLD_SHARE,
	OPT_GROWTH,
	OPT_PEAK_DROP,
	OPT_FADE,
	OPT_MIN_ALIGN,
	OPT_NEWS,
	OPT_LOOKBACK,
	OPT_MIN_CONFIDENCE,
	OPT_MIN_SCORE,
	OPT_EXPIRY,
	OPT_BARS,
	OPT_MIN_HEAT,
	OPT_HEAT_ALL,
	OPT_HEAT_MIN_COUNT,
	OPT_HEAT_MIN_STREAMS,
};

/* Records of a window length other than --window: how many, per kind. */
typedef struct other {
	const char *kind;
	int64_t len;
	long n;
} other_t;

typedef struct run {
	detect_t d;
	cascade_t *cascade;
	signals_t *signals;
	heat_t *heat;
	enum cli_pass pass;
	long news, used;
	other_t other[8];
	int nother;
	long other_more; /* beyond the 8 tallies kept */
	long windowed;   /* agg and mentions records of the --window length */
} run_t;

/* The state file of a run that has not committed yet, for the notice. */
static const char *pending_state;

static void say_not_updated(void)
{
	if (pending_state)
		log_error("%s: not updated (input or output failed); rerun the batch", pending_state);
}

/* An option of the robust-log cascades that has no meaning for the count
 * model (in the order of OPT_RETIRED_*): say what replaced it (exit 2). */
static void retired(int which)
{
	static const char *const why[][2] = {
		{"--model", "cascades have one count model now (negative binomial, docs/detection.md)"},
		{"--rate", "the market-wide factor (--market) does what --rate share did, without hiding herds"},
		{"--z-end", "an episode fades at --fade x its peak ratio, or at its expected count"},
		{"--z-critical", "severity comes from the score: --critical S (log2 of the at-worst rate ratio)"},
	};

	log_usage("%s was retired with the count model (issue 19): %s", why[which][0], why[which][1]);
}

/* --false-alarms: "N/UNIT" (or N, per year) as episodes per year. */
static double parse_rate(const char *opt, const char *arg)
{
	static const struct {
		const char *unit;
		double per_year;
	} units[] = {{"y", 1}, {"yr", 1}, {"year", 1}, {"mo", 12}, {"month", 12}, {"w", 365.25 / 7},
		     {"week", 365.25 / 7}, {"d", 365.25}, {"day", 365.25}};
	char *end;
	double n = strtod(arg, &end);

	if (end == arg || !(n > 0) || !isfinite(n))
		log_usage("%s: '%s' is not a rate like 1/y, 0.5/y or 2/mo", opt, arg);
	if (!*end)
		return n;
	if (*end == '/')
		for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
			if (strcmp(end + 1, units[i].unit) == 0)
				return n * units[i].per_year;
	log_usage("%s: '%s' is not a rate like 1/y, 0.5/y or 2/mo", opt, arg);
}

/* Count a record of another window length. */
static void other_window(run_t *r, const char *kind, int64_t len)
{
	for (int i = 0; i < r->nother; i++)
		if (r->other[i].len == len && strcmp(r->other[i].kind, kind) == 0) {
			r->other[i].n++;
			return;
		}
	if (r->nother == (int)(sizeof r->other / sizeof r->other[0])) {
		r->other_more++;
		return;
	}
	r->other[r->nother++] = (other_t){kind, len, 1};
}

/* What a run read but could not use, and which rule it applied: said on
 * stderr so that a run never does nothing without a word. */
static void report_unused(const run_t *r)
{
	char w[32], ow[32];
	const char *one;
	long nsrc;

	htime_format_duration(r->d.opt.window, w);
	/* A warning when nothing of the --window length came (a mistake, most
	 * likely); a note when the input mixed lengths (herd-aggregate
	 * --window 1h,1d piped whole, as the pipelines do). */
	for (int i = 0; i < r->nother; i++)
		log_msg(r->windowed ? LOG_INFO : LOG_WARN, "%ld %s records of window %s ignored: --window is %s",
			r->other[i].n, r->other[i].kind, htime_format_duration(r->other[i].len, ow), w);
	if (r->other_more)
		log_msg(r->windowed ? LOG_INFO : LOG_WARN, "%ld more records of other window lengths ignored: --window is %s",
			r->other_more, w);
	if (r->d.opt.explain && !r->d.explain_found)
		log_warn("--explain %s: no record of %s in the data or the state (%ld entities seen)", r->d.opt.explain,
			 r->d.opt.explain, r->d.entities_seen);
	if (!r->cascade || !(nsrc = cascade_sources_seen(r->cascade, &one)))
		return;
	if (nsrc == 1 && r->d.opt.min_sources < 0)
		log_info("one source in the data (%s): a cascade starts on the entity's own counts (--min-sources 1); "
			 "with two sources or more it needs 2 active",
			 one);
	else if (r->d.opt.min_sources > nsrc)
		log_warn("--min-sources %ld, but the data has had %ld source%s: no cascade can start", r->d.opt.min_sources,
			 nsrc, nsrc == 1 ? "" : "s");
}

static unsigned parse_only(const char *arg)
{
	static const char *const names[] = {"cascade", "signal", "heat", NULL};
	static const unsigned bits[] = {DETECT_CASCADE, DETECT_SIGNAL, DETECT_HEAT};
	char *s = xstrdup(arg), *save = NULL;
	unsigned run = 0;

	for (char *t = strtok_r(s, ",", &save); t; t = strtok_r(NULL, ",", &save))
		run |= bits[cli_choice("--only", t, names)];
	free(s);
	if (!run)
		log_usage("--only: no detector named");
	return run;
}

/* A "mentions" metric, as the agg of one source/community. */
static int on_mentions(run_t *r, stream_t *s, const json_t *rec, const detect_metric_t *m)
{
	const char *community = jx_str(rec, "community");
	char src[300];
	detect_agg_t a;
	json_t *sources = json_object();
	int rc = 0;

	if (m->value < 0)
		return stream_reject(s, "mentions %g is negative", m->value);
	memset(&a, 0, sizeof a);
	a.entity = m->entity;
	a.start = m->at;
	a.len = m->interval ? m->interval : r->d.opt.window;
	a.posts = (long)(m->value + 0.5);
	snprintf(src, sizeof src, community ? "%s/%s" : "%s", m->source, community);
	json_object_set_new(sources, src, json_integer(a.posts));
	a.sources = sources;
	detect_saw(&r->d, a.start + a.len);
	if (r->cascade)
		rc = cascade_add(r->cascade, s, &a, 1);
	if (rc == 0 && r->heat)
		heat_add_agg(r->heat, &a);
	json_decref(sources);
	return rc;
}

static int route(stream_t *s, json_t *rec, run_t *r);

/* Count a record once however many detectors found it late. */
static int on_record(stream_t *s, json_t *rec, void *arg)
{
	run_t *r = arg;
	int rc;

	r->d.rec_late = r->d.rec_future = 0;
	rc = route(s, rec, r);
	r->d.late += r->d.rec_late;
	r->d.future += r->d.rec_future;
	return rc;
}

static int route(stream_t *s, json_t *rec, run_t *r)
{
	const char *kind = jx_str(rec, "kind");

	if (!kind)
		return stream_reject(s, "record has no 'kind'");
	if (strcmp(kind, "agg") == 0) {
		detect_agg_t a;

		if (detect_parse_agg(s, rec, &a) < 0)
			return -1;
		detect_saw(&r->d, a.start + a.len);
		detect_note_entity(&r->d, a.entity);
		if (a.len != r->d.opt.window) {
			other_window(r, "agg", a.len);
		} else if (r->windowed++, !detect_excluded(&r->d, a.entity)) {
			if (r->cascade && cascade_add(r->cascade, s, &a, 0) < 0)
				return -1;
			if (r->heat)
				heat_add_agg(r->heat, &a);
		}
	} else if (strcmp(kind, "metric") == 0) {
		detect_metric_t m;

		if (detect_parse_metric(s, rec, &m) < 0)
			return -1;
		detect_note_entity(&r->d, m.entity);
		if (detect_excluded(&r->d, m.entity)) {
			detect_saw(&r->d, m.at + m.interval);
		} else if (strcmp(m.name, "mentions") == 0 && m.interval && m.interval != r->d.opt.window) {
			detect_saw(&r->d, m.at + m.interval);
			other_window(r, "mentions metric", m.interval);
		} else if (strcmp(m.name, "mentions") == 0) {
			r->windowed++;
			if (on_mentions(r, s, rec, &m) < 0)
				return -1;
		} else {
			detect_saw(&r->d, m.at + (m.interval ? m.interval : 0));
			if (m.is_bar && r->signals)
				signals_add_bar(r->signals, &m);
			if (r->heat)
				heat_add_metric(r->heat, &m);
		}
	} else if (strcmp(kind, "post") == 0) {
		detect_post_t p;

		if (detect_parse_post(s, rec, &p) < 0)
			return -1;
		detect_saw(&r->d, p.at);
		for (size_t i = 0; p.entities && i < json_array_size(p.entities); i++)
			if (json_is_string(json_array_get(p.entities, i)))
				detect_note_entity(&r->d, json_string_value(json_array_get(p.entities, i)));
		if (!r->signals || !signals_add_post(r->signals, &p))
			r->d.skipped++;
	} else {
		if (r->pass != CLI_PASS_NONE)
			stream_emit(s, rec);
		return 0;
	}
	if (r->pass == CLI_PASS_ALL)
		stream_emit(s, rec);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"state", required_argument, NULL, OPT_STATE},
		{"window", required_argument, NULL, 'w'},
		{"only", required_argument, NULL, OPT_ONLY},
		{"now", required_argument, NULL, OPT_NOW},
		{"explain", required_argument, NULL, OPT_EXPLAIN},
		{"exclude", required_argument, NULL, OPT_EXCLUDE},
		{"pass", required_argument, NULL, OPT_PASS},
		{"model", required_argument, NULL, OPT_RETIRED_MODEL},
		{"rate", required_argument, NULL, OPT_RETIRED_RATE},
		{"z-end", required_argument, NULL, OPT_RETIRED_Z_END},
		{"z-critical", required_argument, NULL, OPT_RETIRED_Z_CRITICAL},
		{"false-alarms", required_argument, NULL, OPT_FALSE_ALARMS},
		{"shift", required_argument, NULL, OPT_SHIFT},
		{"critical", required_argument, NULL, OPT_CRITICAL},
		{"market", required_argument, NULL, OPT_MARKET},
		{"season", required_argument, NULL, OPT_SEASON},
		{"halflife", required_argument, NULL, OPT_HALFLIFE},
		{"min-history", required_argument, NULL, OPT_MIN_HISTORY},
		{"z", required_argument, NULL, OPT_Z},
		{"min-posts", required_argument, NULL, OPT_MIN_POSTS},
		{"min-sources", required_argument, NULL, OPT_MIN_SOURCES},
		{"source-min", required_argument, NULL, OPT_SOURCE_MIN},
		{"source-z", required_argument, NULL, OPT_SOURCE_Z},
		{"cold-share", required_argument, NULL, OPT_COLD_SHARE},
		{"growth", required_argument, NULL, OPT_GROWTH},
		{"peak-drop", required_argument, NULL, OPT_PEAK_DROP},
		{"fade", required_argument, NULL, OPT_FADE},
		{"min-align", required_argument, NULL, OPT_MIN_ALIGN},
		{"news", required_argument, NULL, OPT_NEWS},
		{"lookback", required_argument, NULL, OPT_LOOKBACK},
		{"min-confidence", required_argument, NULL, OPT_MIN_CONFIDENCE},
		{"min-score", required_argument, NULL, OPT_MIN_SCORE},
		{"expiry", required_argument, NULL, OPT_EXPIRY},
		{"bars", required_argument, NULL, OPT_BARS},
		{"min-heat", required_argument, NULL, OPT_MIN_HEAT},
		{"heat-all", no_argument, NULL, OPT_HEAT_ALL},
		{"heat-min-count", required_argument, NULL, OPT_HEAT_MIN_COUNT},
		{"heat-min-streams", required_argument, NULL, OPT_HEAT_MIN_STREAMS},
		CLI_REJECT_LONGOPTS,
		CLI_COMMON_LONGOPTS,
		{0},
	};
	detect_opts_t o;
	char *state = NULL;
	double z = -1;
	sqlite3 *db;
	stream_t s;
	run_t r;
	long written;
	int c, rc;

	cli_init(argc, argv);
	detect_opts_default(&o);
	memset(&r, 0, sizeof r);
	while ((c = cli_getopt(argc, argv, "hVqvw:", longopts)) != -1) {
		if (cli_common_option(c, optarg, usage))
			continue;
		switch (c) {
		case OPT_STATE: free(state); state = xstrdup(optarg); break;
		case 'w': o.window = cli_duration("--window", optarg); break;
		case OPT_ONLY: o.run = parse_only(optarg); break;
		case OPT_NOW: o.now = cli_time("--now", optarg); break;
		case OPT_EXPLAIN: o.explain = optarg; break;
		case OPT_EXCLUDE:
			json_decref(o.exclude);
			if (!(o.exclude = detect_read_exclude(optarg)))
				log_fatal(HERD_EXIT_USAGE, "--exclude: %s:", optarg);
			break;
		case OPT_PASS: r.pass = cli_choice("--pass", optarg, cli_pass_names); break;
		case OPT_RETIRED_MODEL:
		case OPT_RETIRED_RATE:
		case OPT_RETIRED_Z_END:
		case OPT_RETIRED_Z_CRITICAL: retired(c - OPT_RETIRED_MODEL); break;
		case OPT_FALSE_ALARMS: o.false_alarms = parse_rate("--false-alarms", optarg); break;
		case OPT_SHIFT: o.shift = cli_double("--shift", optarg, 1.01, 1e3); break;
		case OPT_CRITICAL: o.critical = cli_double("--critical", optarg, -100, 100); break;
		case OPT_MARKET: o.market = !cli_choice("--market", optarg, (const char *const[]){"on", "off", NULL}); break;
		case OPT_SEASON: o.season = !cli_choice("--season", optarg, (const char *const[]){"auto", "off", NULL}); break;
		case OPT_HALFLIFE: o.halflife = cli_duration("--halflife", optarg); break;
		case OPT_MIN_HISTORY: o.min_history = cli_duration("--min-history", optarg); break;
		case OPT_Z: z = cli_double("--z", optarg, 0, 40); break;
		case OPT_MIN_POSTS: o.min_posts = cli_long("--min-posts", optarg, 0, __LONG_MAX__); break;
		case OPT_MIN_SOURCES:
			o.min_sources = strcmp(optarg, "auto") == 0 ? -1 : cli_long("--min-sources", optarg, 0, 1000);
			break;
		case OPT_SOURCE_MIN: o.source_min = cli_long("--source-min", optarg, 1, __LONG_MAX__); break;
		case OPT_SOURCE_Z: o.source_z = cli_double("--source-z", optarg, 0, 40); break;
		case OPT_COLD_SHARE: o.cold_share = cli_double("--cold-share", optarg, 0, 1); break;
		case OPT_GROWTH: o.growth = cli_double("--growth", optarg, 1, 1e6); break;
		case OPT_PEAK_DROP: o.peak_drop = cli_double("--peak-drop", optarg, 0, 1); break;
		case OPT_FADE: o.fade = cli_double("--fade", optarg, 0, 1); break;
		case OPT_MIN_ALIGN: o.min_align = cli_double("--min-align", optarg, 0, 1); break;
		case OPT_NEWS: o.news = optarg; break;
		case OPT_LOOKBACK: o.lookback = cli_duration("--lookback", optarg); break;
		case OPT_MIN_CONFIDENCE: o.min_confidence = cli_double("--min-confidence", optarg, 0, 1); break;
		case OPT_MIN_SCORE: o.min_score = cli_double("--min-score", optarg, 0, 1); break;
		case OPT_EXPIRY: o.expiry = cli_duration("--expiry", optarg); break;
		case OPT_BARS: o.bar_interval = cli_duration("--bars", optarg); break;
		case OPT_MIN_HEAT: o.min_heat = cli_double("--min-heat", optarg, 0, 1e3); break;
		case OPT_HEAT_ALL: o.heat_all = 1; break;
		case OPT_HEAT_MIN_STREAMS: o.heat_min_streams = cli_long("--heat-min-streams", optarg, 1, 1000); break;
		case OPT_HEAT_MIN_COUNT: o.heat_min_count = cli_double("--heat-min-count", optarg, 0, 1e12); break;
		default: log_usage("unexpected option");
		}
	}
	if (z >= 0) /* --z: the same tail per window, as a rate per year */
		o.false_alarms = 0.5 * erfc(z / M_SQRT2) * 365.25 * 86400 / (double)o.window;
	if (!state)
		state = herd_home_file("state.db");
	db = detect_state_open(state);
	if (o.run & (DETECT_CASCADE | DETECT_HEAT))
		detect_state_claim_window(db, state, o.window);
	detect_init(&r.d, &o, db);
	if (o.run & DETECT_CASCADE)
		r.cascade = cascade_new(&r.d);
	if (o.run & DETECT_SIGNAL)
		r.signals = signals_new(&r.d);
	if (o.run & DETECT_HEAT)
		r.heat = heat_new(&r.d);

	stream_init(&s);
	stream_run(&s, argv + optind, argc - optind, on_record, &r);
	detect_settle_now(&r.d);
	if (r.cascade)
		cascade_run(r.cascade);
	if (r.heat)
		heat_run(r.heat);
	if (r.signals)
		signals_run(r.signals);
	/* A write error while the events go out ends the program at once
	 * (stream_emit): the state is then rolled back, and this says so. */
	pending_state = state;
	atexit(say_not_updated);
	written = detect_flush(&r.d, &s);
	rc = stream_finish(&s);
	if (r.d.late)
		log_warn("%ld records were at or before what an earlier run processed (late), skipped", r.d.late);
	if (r.d.future)
		log_info("%ld records after --now were left for a later run", r.d.future);
	report_unused(&r);
	log_debug("%ld records read, %ld events written (%ld not for a detector)", s.records, written, r.d.skipped);
	cascade_free(r.cascade);
	signals_free(r.signals);
	heat_free(r.heat);
	detect_free(&r.d);
	json_decref(o.exclude);
	/* The state moves on only when all input was read and the events
	 * reached stdout; otherwise a rerun must see the same windows again. */
	if (herd_close_stdout() || s.io_error) {
		detect_state_close(db);
		rc = HERD_EXIT_FAIL;
	} else {
		pending_state = NULL;
		if (detect_state_commit(db))
			rc = HERD_EXIT_FAIL;
	}
	if (rc == HERD_EXIT_FAIL && pending_state) {
		say_not_updated();
		pending_state = NULL;
	}
	free(state);
	return rc;
}
