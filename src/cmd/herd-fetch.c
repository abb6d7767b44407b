/*
 * herd-fetch — collect from one source's API and write what it returned as
 * `raw` records (docs/records.md), one item per line, to stdout.
 *
 * Thin: the HTTP politeness (retries, Retry-After, rate limits, budgets) is
 * src/http/http.c, the cursors and the resumable paging src/sources/fetch.c
 * and fetchstate.c, each API's URLs and shapes its file in src/sources/. This
 * file reads the command line, opens the state file, runs each query (or
 * replays saved responses) and turns the outcome into an exit status:
 * 0 all done, 1 a query failed, 2 usage, 3 stopped early by the budget or
 * a rate limit (everything written is committed: run again later).
 */
#include "sources/fetch.h"
#include "lib/cli.h"
#include "lib/home.h"
#include "lib/htime.h"
#include "lib/log.h"
#include "lib/metrics.h"
#include "lib/util.h"
#include "sources/sources.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"Usage: herd-fetch SOURCE [OPTIONS] QUERY...\n"
	"Collect posts and metrics from an API (Reddit, StockTwits, NewsAPI, X, Alpha Vantage, Yahoo, Wikipedia, "
	"Unusual Whales, Finnhub, Google Trends).\n"
	"\n"
	"Asks SOURCE's API for each QUERY and writes one raw record per item to stdout:\n"
	"  {\"kind\":\"raw\",\"source\":…,\"fetched_at\":…,\"query\":…,\"item\":{…verbatim…}}\n"
	"(herd-normalize turns them into post and metric records). Each run gets what\n"
	"is new since the last one: a cursor per source and query is kept in the state\n"
	"file and moved only after the items it covers were written and flushed, so a\n"
	"run every 15 minutes from cron writes every new item once, and a run that dies\n"
	"half way (kill -9, a network failure, --max-pages, a spent budget) is taken up\n"
	"where it stopped by the next. Secrets come from the environment (NAME, or a\n"
	"file named by NAME_FILE) and are never printed: not in messages, records or\n"
	"logs.\n"
	"\n"
	"herd-fetch SOURCE --replay [--query Q] FILE...: the FILEs are saved response\n"
	"bodies (JSON, .gz, NDJSON of bodies, Betamax/VCR cassettes, recorded\n"
	"request/response pairs) and the raw records written are those a live fetch of\n"
	"them would have written; nothing is asked of the network or the state file.\n"
	"\n"
	"Sources, their queries, credentials and limits:\n"
	"  reddit        QUERY: a subreddit (wallstreetbets). --listing new,comments\n"
	"                (default both): submissions from /r/SUB/new, comments from\n"
	"                /r/SUB/comments. Needs REDDIT_CLIENT_ID and REDDIT_CLIENT_SECRET\n"
	"                (an app at reddit.com/prefs/apps; application-only OAuth, the\n"
	"                token cached in the state file). 100 requests a minute\n"
	"                (X-Ratelimit-* headers honoured); listings reach 1000 items back.\n"
	"                Reddit asks for a User-Agent naming the app and its owner:\n"
	"                --user-agent 'linux:herd:0.1.0 (by /u/NAME)'.\n"
	"  stocktwits    QUERY: a symbol (GME), its stream /api/2/streams/symbol/SYM.json,\n"
	"                30 messages a page. No key needed (STOCKTWITS_TOKEN optional).\n"
	"                About 200 requests an hour (X-RateLimit-* headers honoured).\n"
	"  newsapi       QUERY: a search (\"GameStop OR GME\") on /v2/everything, newest\n"
	"                first. --lang CODE filters the language; --max-results N (default\n"
	"                100, the free plan's cap) bounds the paging. Needs NEWSAPI_KEY.\n"
	"                Free plan: 100 requests a day (default --budget 100), a month\n"
	"                back, a day late.\n"
	"  x             QUERY: a recent-search query ($GME lang:en -is:retweet), the last\n"
	"                7 days, 100 tweets a page, authors expanded. Needs X_BEARER_TOKEN.\n"
	"                Limits by plan (x-rate-limit-* headers honoured).\n"
	"  alphavantage  QUERY: a ticker (GME), or topic:NAME for news. --function\n"
	"                news,daily,intraday (default news): NEWS_SENTIMENT articles (with\n"
	"                Alpha Vantage's own sentiment), TIME_SERIES_DAILY or _INTRADAY bars\n"
	"                (--bar 1min|5min|15min|30min|60min, default 5min). Needs\n"
	"                ALPHAVANTAGE_KEY. Free keys: 25 requests a day (default --budget\n"
	"                25) and 5 a minute; its in-body \"Note\" (wait a minute) and\n"
	"                \"Information\" (quota spent: exit 3) replies are understood.\n"
	"  yahoo         QUERY: a symbol (GME, BTC-USD), v8 chart bars; --bar 1d (default;\n"
	"                also 1m 5m 15m 30m 1h 1wk 1mo). No key; a first run gets a month\n"
	"                (or --since).\n"
	"  wikipedia     QUERY: SYMBOL=Article_title (GME=GameStop), or SYMBOL listed in\n"
	"                --articles FILE (SYMBOL<TAB>Article_title lines; default\n"
	"                data/wikipedia/articles.tsv). Daily per-article pageviews up to\n"
	"                yesterday; a first run gets 30 days (or --since). No key; set\n"
	"                HERD_CONTACT (e-mail or URL) for the User-Agent Wikimedia asks for.\n"
	"  unusualwhales QUERY: a ticker (GME): its options flow alerts (sweeps, floor\n"
	"                trades, repeated hits), newest first, 200 a page; a first run\n"
	"                goes a day back (or --since). Needs UNUSUALWHALES_TOKEN (an API\n"
	"                plan). Per-minute and daily limits from its x-uw-* headers.\n"
	"  finnhub       QUERY: a ticker (GME). --function ratings,target (default\n"
	"                ratings): analyst upgrades and downgrades (firm, grade from and\n"
	"                to), a first run 30 days back (or --since); the consensus price\n"
	"                target, when it changed. Needs FINNHUB_KEY. 60 requests a minute\n"
	"                (X-Ratelimit-* headers honoured).\n"
	"  trends        QUERY: ENTITY=keyword (GME=gamestop) or a keyword: Google Trends\n"
	"                daily interest, each run's answer rescaled to the series so far\n"
	"                through 7 overlapping days; --geo CODE (US) limits to a country.\n"
	"                A first run gets 90 days (or --since). No key; Google's own\n"
	"                page protocol (explore, then multiline), no published limits.\n"
	"\n"
	"Options:\n"
	"      --state FILE        cursors, request counts, tokens, last successes (default\n"
	"                          $HERD_HOME/state.db, else ./state.db); see docs/storage.md\n"
	"      --budget N          requests this source may send per UTC day, retries, token\n"
	"                          requests and libcurl's own re-sends included, counted in\n"
	"                          the state file right before each is sent (0: no budget;\n"
	"                          defaults above). When it is spent the run stops cleanly\n"
	"                          and exits 3\n"
	"      --max-pages N       pages per query per run (default 10); the rest is fetched\n"
	"                          by the next run\n"
	"      --since WHEN        a query's first run goes back to WHEN: a time\n"
	"                          (2021-01-27T00:00:00Z) or a duration before now (2d)\n"
	"      --every DUR         how often cron runs this (default 1h): herd-maintain health\n"
	"                          calls a query stale when it has not succeeded for longer\n"
	"      --timeout DUR       the longest one request may take, body included\n"
	"                          (default 30s; 500ms, 2s, 1m)\n"
	"      --connect-timeout DUR  the longest a connection may take (default 10s)\n"
	"      --retries N         retries of a request after a 5xx, 429, timeout, reset,\n"
	"                          truncated or invalid body (default 4, at most 10), after\n"
	"                          Retry-After or an exponential backoff with full jitter\n"
	"                          (1 s doubling, capped at 60 s)\n"
	"      --max-wait DUR      the longest wait for a rate limit (Retry-After, a reset)\n"
	"                          (default 15m); a longer one stops the run (exit 3) and\n"
	"                          is kept in the state file: the next runs wait it out or\n"
	"                          stop at once, without asking the API\n"
	"      --base-url URL      the API's root instead of the real one (tests, proxies)\n"
	"      --user-agent S      the User-Agent (default herd-fetch/VERSION (…), with\n"
	"                          $HERD_CONTACT when set)\n"
	"      --now TIME          take TIME as now (fetched_at, day of the budget)\n"
	"      --replay            the arguments are saved responses, not queries\n"
	"      --query Q           with --replay: the raw records' query (the subreddit,\n"
	"                          symbol…; default what the response says, if anything)\n"
	"      --listing L         reddit: new, comments or new,comments\n"
	"      --function F        alphavantage: news, daily, intraday; finnhub: ratings,\n"
	"                          target (comma-separated)\n"
	"      --bar B             yahoo, alphavantage intraday: the bar length\n"
	"      --articles FILE     wikipedia: the SYMBOL<TAB>Article_title list\n"
	"      --lang CODE         newsapi: only articles in this language (en, de…)\n"
	"      --max-results N     newsapi: results a query may page through (default 100)\n"
	"      --geo CODE          trends: a country (US, GB…); default worldwide\n"
	"  -o, --output FILE       append the raw records to FILE instead of stdout, exactly\n"
	"                          once even when a run is killed: FILE's length is committed\n"
	"                          with the cursors, and a run first cuts off what a killed\n"
	"                          run wrote after its last commit (it fetches that again).\n"
	"                          One source and state file per FILE\n" CLI_COMMON_HELP
	"\n"
	"Every source: a run cut short (--max-pages, the budget, a rate limit, kill -9)\n"
	"is resumed by the next at the page it stopped at; a wait the API asked for that\n"
	"is longer than --max-wait is kept in the state file and honoured by the next\n"
	"runs; an item a page sends out of its newest-first order is written (and said),\n"
	"never dropped as a repeat.\n"
	"\n"
	"Exit status: 0 every query done; 1 a query failed (network errors past the\n"
	"retries, an API error, a bad answer; what came before is kept and the next run\n"
	"retries); 2 usage or missing credentials; 3 stopped early by the budget or a\n"
	"rate limit longer than --max-wait (all written is committed).\n"
	"\n"
	"Metrics (--prometheus): per source, the requests this run sent (retries included),\n"
	"the raw items it wrote and, under a budget, the requests left today.\n"
	"\n"
	"Tests: HERD_FAKE_SLEEP=FILE records each wait (\"sleep SECONDS REASON\") in FILE\n"
	"instead of sleeping (=1: on stderr).\n"
	"\n"
	"Examples:\n"
	"  herd-fetch reddit wallstreetbets stocks --every 15m | gzip > raw/reddit.ndjson.gz\n"
	"  herd-fetch stocktwits GME AMC | herd-normalize | herd-score --model vader\n"
	"  herd-fetch wikipedia GME=GameStop AMC=AMC_Theatres | herd-normalize | herd-load\n"
	"  herd-fetch reddit --replay --query askreddit saved/new.json > raw.ndjson\n"
	"  herd-fetch trends GME=gamestop AMC=amc --geo US --output raw/trends.ndjson\n";

enum {
	OPT_STATE = CLI_FIRST_PROGRAM_OPTION,
	OPT_BUDGET,
	OPT_MAX_PAGES,
	OPT_SINCE,
	OPT_EVERY,
	OPT_TIMEOUT,
	OPT_CONNECT_TIMEOUT,
	OPT_RETRIES,
	OPT_MAX_WAIT,
	OPT_BASE_URL,
	OPT_USER_AGENT,
	OPT_NOW,
	OPT_REPLAY,
	OPT_QUERY,
	OPT_LISTING,
	OPT_FUNCTION,
	OPT_BAR,
	OPT_ARTICLES,
	OPT_LANG,
	OPT_MAX_RESULTS,
	OPT_GEO,
};

#define DEFAULT_EVERY 3600

/* A source option given to a source that has no use for it. */
static void only_for(const char *opt, const char *given, const char *src, const char *owners)
{
	char list[64];

	snprintf(list, sizeof list, ",%s,", owners);
	if (given) {
		char me[32];
		snprintf(me, sizeof me, ",%s,", src);
		if (!strstr(list, me))
			log_usage("%s is an option of %s, not of %s", opt, owners, src);
	}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {{"state", required_argument, NULL, OPT_STATE},
						 {"budget", required_argument, NULL, OPT_BUDGET},
						 {"max-pages", required_argument, NULL, OPT_MAX_PAGES},
						 {"since", required_argument, NULL, OPT_SINCE},
						 {"every", required_argument, NULL, OPT_EVERY},
						 {"timeout", required_argument, NULL, OPT_TIMEOUT},
						 {"connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT},
						 {"retries", required_argument, NULL, OPT_RETRIES},
						 {"max-wait", required_argument, NULL, OPT_MAX_WAIT},
						 {"base-url", required_argument, NULL, OPT_BASE_URL},
						 {"user-agent", required_argument, NULL, OPT_USER_AGENT},
						 {"now", required_argument, NULL, OPT_NOW},
						 {"replay", no_argument, NULL, OPT_REPLAY},
						 {"query", required_argument, NULL, OPT_QUERY},
						 {"listing", required_argument, NULL, OPT_LISTING},
						 {"function", required_argument, NULL, OPT_FUNCTION},
						 {"bar", required_argument, NULL, OPT_BAR},
						 {"articles", required_argument, NULL, OPT_ARTICLES},
						 {"lang", required_argument, NULL, OPT_LANG},
						 {"max-results", required_argument, NULL, OPT_MAX_RESULTS},
						 {"output", required_argument, NULL, 'o'},
						 {"geo", required_argument, NULL, OPT_GEO},
						 CLI_COMMON_LONGOPTS,
						 {0}};
	fetch_opts o = {.budget = -1, .every = DEFAULT_EVERY};
	http_opts ho = {.retries = -1};
	const char *state_path = NULL, *since_arg = NULL, *name, *output = NULL;
	char *state_default = NULL;
	int replay = 0, c, rc = HERD_EXIT_OK;
	const source *src;
	fetch_state *st = NULL;
	fetch_run *f;

	cli_init(argc, argv);
	while ((c = cli_getopt(argc, argv, "hVqvo:", longopts)) != -1) {
		if (cli_common_option(c, optarg, usage))
			continue;
		switch (c) {
		case OPT_STATE: state_path = optarg; break;
		case OPT_BUDGET: o.budget = cli_long("--budget", optarg, 0, 100000000); break;
		case OPT_MAX_PAGES: o.max_pages = (int)cli_long("--max-pages", optarg, 1, 100000); break;
		case OPT_SINCE: since_arg = optarg; break;
		case OPT_EVERY: o.every = cli_duration("--every", optarg); break;
		case OPT_TIMEOUT: ho.timeout_ms = (long)ceil(cli_seconds("--timeout", optarg, 0, 1e9) * 1000); break;
		case OPT_CONNECT_TIMEOUT:
			ho.connect_timeout_ms = (long)ceil(cli_seconds("--connect-timeout", optarg, 0, 1e9) * 1000);
			break;
		case OPT_RETRIES: ho.retries = (int)cli_long("--retries", optarg, 0, HTTP_RETRIES_MAX); break;
		case OPT_MAX_WAIT: ho.max_wait_s = cli_seconds("--max-wait", optarg, 0, 1e9); break;
		case OPT_BASE_URL: o.base_url = optarg; break;
		case OPT_USER_AGENT: ho.user_agent = optarg; break;
		case OPT_NOW: o.now = cli_time("--now", optarg); break;
		case OPT_REPLAY: replay = o.replay = 1; break;
		case OPT_QUERY: o.query_override = optarg; break;
		case OPT_LISTING: o.listing = optarg; break;
		case OPT_FUNCTION: o.function = optarg; break;
		case OPT_BAR: o.bar = optarg; break;
		case OPT_ARTICLES: o.articles = optarg; break;
		case OPT_LANG: o.lang = optarg; break;
		case OPT_MAX_RESULTS: o.max_results = cli_long("--max-results", optarg, 1, 100000); break;
		case 'o': output = optarg; break;
		case OPT_GEO: o.geo = optarg; break;
		default: log_usage("unexpected option");
		}
	}
	if (optind >= argc)
		log_usage("no SOURCE (one of: %s)", source_names());
	name = argv[optind++];
	if (!(src = source_find(name)) || !src->fetch)
		log_usage("'%s' is not a source (one of: %s)", name, source_names());
	if (optind >= argc)
		log_usage(replay ? "--replay: no FILE to replay" : "%s: no QUERY (what to fetch: see --help)", name);
	if (o.query_override && !replay)
		log_usage("--query goes with --replay");
	if (ho.timeout_ms < 0 || ho.connect_timeout_ms < 0)
		log_usage("--timeout: must be positive");
	only_for("--listing", o.listing, name, "reddit");
	only_for("--function", o.function, name, "alphavantage,finnhub");
	only_for("--geo", o.geo, name, "trends");
	only_for("--bar", o.bar, name, "yahoo,alphavantage");
	only_for("--articles", o.articles, name, "wikipedia");
	only_for("--lang", o.lang, name, "newsapi");
	only_for("--max-results", o.max_results ? "" : NULL, name, "newsapi");
	if (since_arg) {
		int64_t d = htime_parse_duration(since_arg), now = o.now ? o.now : (int64_t)http_now();
		o.since = d > 0 ? now - d : cli_time("--since", since_arg);
	}

	if (!replay) {
		state_default = herd_home_file("state.db");
		st = fetch_state_open(state_path ? state_path : state_default);
	}
	if (output && replay)
		log_usage("--output: a replay writes to stdout (redirect it)");
	f = fetch_run_new(name, src->fetch, &o, &ho, st);
	if (output && fetch_run_output(f, output) < 0)
		log_fatal(HERD_EXIT_FAIL, "%s", f->err);
	for (int i = optind; i < argc && !f->stopped; i++) {
		if (replay) {
			if (fetch_replay_file(f, argv[i]) < 0) {
				http_log(LOG_WARN, "%s", f->err);
				rc = HERD_EXIT_FAIL;
			}
		} else {
			fetch_run_query(f, argv[i]);
		}
	}
	if (!replay) {
		char day[HTIME_LEN];
		htime_format_date(fetch_now(f), day);
		metrics_gauge("herd_fetch_requests", "Requests sent by this run (retries included).", "source", name,
			      (double)f->requests);
		metrics_gauge("herd_fetch_items", "Raw items written by this run.", "source", name, (double)f->items);
		metrics_gauge("herd_fetch_out_of_order_items",
			      "Items newer than items already written in their pass (the API's order broken): written, "
			      "not dropped.",
			      "source", name, (double)f->out_of_order);
		if (f->o.budget > 0) {
			long left = f->o.budget - fetch_state_used(st, name, day); /* < 0 when --budget was lowered */
			metrics_gauge("herd_fetch_budget_left", "Requests left in the source's budget today.", "source",
				      name, (double)(left > 0 ? left : 0));
		}
		http_log(f->queries_failed || f->stopped || f->out_of_order ? LOG_INFO : LOG_DEBUG,
			 "%s: %ld item%s from %ld request%s; %ld quer%s done, %ld failed%s%s", name, f->items,
			 f->items == 1 ? "" : "s", f->requests, f->requests == 1 ? "" : "s", f->queries_ok,
			 f->queries_ok == 1 ? "y" : "ies", f->queries_failed, f->stopped ? ", stopped early" : "",
			 f->out_of_order ? "; some out of the API's order (written)" : "");
		if (f->queries_failed)
			rc = HERD_EXIT_FAIL;
		else if (f->stopped)
			rc = FETCH_EXIT_LIMITED;
	}
	metrics_set_records(0, f->items);
	fetch_run_free(f);
	fetch_state_close(st);
	free(state_default);
	c = herd_close_stdout();
	return c ? c : rc;
}
