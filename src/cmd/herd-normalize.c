/*
 * herd-normalize — raw records and bare source items in, `post` records out
 * (docs/records.md), with the entities each post mentions.
 *
 * Thin: the sources (src/sources/) know each API's shapes, the entity
 * extractor (src/text/entities.c) knows tickers, the stream loop
 * (src/lib/stream.c) knows lines and rejects. This file wires them: it picks
 * the source for each record, merges the source's own symbol tags with the
 * extracted entities, applies --min-entities and writes the post.
 */
#include "lib/cli.h"
#include "lib/home.h"
#include "lib/jsonx.h"
#include "lib/log.h"
#include "lib/ndjson.h"
#include "lib/reject.h"
#include "lib/stream.h"
#include "lib/util.h"
#include "sources/sources.h"
#include "text/entities.h"
#include "text/entopts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"Usage: herd-normalize [OPTIONS] [FILE...]\n"
	"Turn raw source records (Reddit, StockTwits, NewsAPI, X) into post records with entities.\n"
	"\n"
	"Reads NDJSON from the FILEs (plain or .gz; stdin when none or '-'):\n"
	"  - raw records, {\"kind\":\"raw\",\"source\":\"reddit\",\"item\":{...}} (herd-fetch writes them);\n"
	"  - with --source NAME, bare items of that source as its API or a dump gives\n"
	"    them: Reddit comments and submissions (API things or Pushshift objects),\n"
	"    StockTwits messages, NewsAPI articles, X API v2 (or v1.1) tweets;\n"
	"  - whole responses, one per line: a Reddit Listing, StockTwits {\"messages\":[...]},\n"
	"    NewsAPI {\"articles\":[...]}, X {\"data\":[...],\"includes\":...}: each item becomes a post.\n"
	"Alpha Vantage NEWS_SENTIMENT articles become posts too, with Alpha Vantage's own\n"
	"sentiment kept as \"source_sentiment\"; price bars (Yahoo v8 chart, Alpha Vantage\n"
	"TIME_SERIES_*), Wikipedia per-article pageviews, Unusual Whales options flow\n"
	"alerts (flow_call_premium, flow_put_premium), Finnhub analyst ratings and price\n"
	"targets (analyst_rating, price_target) and Google Trends interest over time\n"
	"(interest, stitched across requests) become metric records.\n"
	"Writes one post record per item, every key present (docs/records.md), with\n"
	"\"entities\": the tickers it mentions, sorted and unique. Records of other kinds\n"
	"(post, metric, agg, event...) pass through unchanged.\n"
	"\n"
	"Entities (docs/entities.md): cashtags always ($GME, $BRK.B; never $5 or $100k);\n"
	"bare capitals only when the dictionary lists them and the stop list does not\n"
	"(so ON, ARE, GO, CAN, LOW, YOLO, DD, CEO, IT, A are not tickers); single letters\n"
	"never; names and aliases (GameStop, Game Stop -> GME) in any case on word\n"
	"boundaries; plus the symbols the source tags itself (StockTwits, X).\n"
	"\n"
	"Options:\n"
	"      --source NAME       bare items are from NAME: reddit, stocktwits, newsapi, x,\n"
	"                          alphavantage, yahoo, wikipedia, unusualwhales, finnhub,\n"
	"                          trends\n"
	ENT_OPTS_HELP("default precision")
	"      --min-entities N    drop posts that mention fewer than N entities (default 0: keep all)\n" CLI_REJECT_HELP
		CLI_COMMON_HELP
	"\n"
	"A line that is not JSON, a raw record of an unknown source, an item without\n"
	"its id or time (or with created_utc \"abc\") is rejected with its file and line;\n"
	"a bad item inside a whole response is rejected alone and the others go on.\n"
	"\n"
	"Examples:\n"
	"  herd-normalize --source reddit wallstreetbets_comments.ndjson > posts.ndjson\n"
	"  herd-normalize raw/2021-01-27.ndjson.gz --min-entities 1 --rejects bad.ndjson\n"
	"  curl -s 'https://api.stocktwits.com/api/2/streams/symbol/GME.json' | herd-normalize --source stocktwits\n";

enum { OPT_SOURCE = CLI_FIRST_PROGRAM_OPTION, OPT_MIN_ENTITIES };

struct ctx {
	stream_t *s;
	const source *forced;  /* --source */
	ent_dict *dict;
	int mode;              /* ENT_* */
	long min_entities;
	ent_set set;
	long posts, dropped;
	long line_posts;       /* posts made from the current line */
	buf_t bad;             /* the current line's bad items: dumped JSON, NUL, reason, NUL... */
	size_t nbad;
};

/* ---------------------------------------------------------------- posts */

/* A normalized post: merge entities, filter, write. Takes the reference. */
static void on_post(void *arg, json_t *post)
{
	struct ctx *c = arg;
	json_t *tags = json_object_get(post, "entities"), *e, *list;
	size_t i;

	ent_set_clear(&c->set);
	json_array_foreach(tags, i, e)
		if (json_is_string(e))
			ent_set_add(&c->set, json_string_value(e));
	ent_extract_post(c->dict, c->mode, post, &c->set);
	ent_set_finish(&c->set);
	if ((long)c->set.n < c->min_entities) {
		c->dropped++;
		json_decref(post);
		return;
	}
	list = json_array();
	for (i = 0; i < c->set.n; i++)
		json_array_append_new(list, json_string(c->set.v[i]));
	json_object_set_new(post, "entities", list);
	stream_emit(c->s, post);
	c->posts++;
	json_decref(post);
}

static void on_made(void *arg, json_t *post)
{
	struct ctx *c = arg;
	const char *kind = jx_str(post, "kind");

	c->line_posts++;
	if (kind && strcmp(kind, "post") != 0) { /* a metric (bars, pageviews): no text, no entities to find */
		stream_emit(c->s, post);
		json_decref(post);
		return;
	}
	on_post(arg, post);
}

/* A bad item inside a response: kept until the line is done (see below). */
static void on_bad_item(void *arg, const json_t *item, size_t index, const char *reason)
{
	struct ctx *c = arg;
	char head[32];

	snprintf(head, sizeof head, "item %zu: ", index + 1);
	ndjson_dump(&c->bad, item);
	buf_putc(&c->bad, '\0');
	buf_puts(&c->bad, head);
	buf_puts(&c->bad, reason);
	buf_putc(&c->bad, '\0');
	c->nbad++;
}

/* After a response: when some items made posts, each bad item is rejected
 * alone (it goes to --rejects as its own line, fit for --source); when none
 * did, the line is rejected whole, with the first item's reason. */
static int settle_bad_items(struct ctx *c)
{
	const char *p = c->bad.p;
	int rc = 0;

	if (c->nbad && c->line_posts == 0) {
		p += strlen(p) + 1;
		rc = stream_reject(c->s, "%s%s", c->nbad > 1 ? "no item made a post; " : "", p);
	} else {
		for (size_t i = 0; i < c->nbad; i++) {
			const char *why = p + strlen(p) + 1;
			if (reject_line(c->s->name, c->s->lineno, p, strlen(p), "%s", why))
				c->s->stop = 1;
			p = why + strlen(why) + 1;
		}
	}
	buf_reset(&c->bad);
	c->nbad = 0;
	return rc;
}

/* ---------------------------------------------------------------- records */

static int normalize(struct ctx *c, const source *src, const json_t *item, const src_meta *meta)
{
	src_out out = {on_made, on_bad_item, c};
	char err[512];

	c->line_posts = 0;
	if (source_normalize(src, item, meta, &out, err, sizeof err) < 0) {
		buf_reset(&c->bad);
		c->nbad = 0;
		return stream_reject(c->s, "%s", err);
	}
	return settle_bad_items(c);
}

static int on_record(stream_t *s, json_t *rec, void *arg)
{
	struct ctx *c = arg;
	json_t *kindv = json_object_get(rec, "kind");
	const char *kind = json_string_value(kindv);
	char d[64];

	if (kind && strcmp(kind, "raw") == 0) {
		const char *name = jx_str(rec, "source");
		const source *src = source_find(name);
		json_t *item = json_object_get(rec, "item"), *inc = json_object_get(rec, "includes");
		src_meta meta = {jx_str(rec, "query"), json_is_object(inc) ? inc : NULL};

		if (!name)
			return stream_reject(s, "raw record: field 'source' is %s, not a string",
					     src_describe(json_object_get(rec, "source"), d, sizeof d));
		if (!src)
			return stream_reject(s, "raw record of unknown source '%s' (herd-normalize knows %s)", name,
					     source_names());
		if (!json_is_object(item) && !json_is_array(item))
			return stream_reject(s, "raw record: field 'item' is %s, not an object",
					     src_describe(item, d, sizeof d));
		return normalize(c, src, item, &meta);
	}
	if (c->forced && (!kindv || (c->forced->claims && c->forced->claims(rec))))
		return normalize(c, c->forced, rec, NULL);
	if (kind) {
		stream_emit(s, rec); /* another kind of record: not ours to change */
		return 0;
	}
	if (kindv)
		return stream_reject(s, "field 'kind' is %s, not a string", src_describe(kindv, d, sizeof d));
	return stream_reject(s, "not a herd record (no 'kind'); for bare source items give --source NAME");
}

/* ---------------------------------------------------------------- main */

int main(int argc, char **argv)
{
	static const struct option longopts[] = {{"source", required_argument, NULL, OPT_SOURCE},
						 ENT_OPTS_LONGOPTS,
						 {"min-entities", required_argument, NULL, OPT_MIN_ENTITIES},
						 CLI_REJECT_LONGOPTS,
						 CLI_COMMON_LONGOPTS,
						 {0}};
	struct ctx c = {0};
	ent_opts eo;
	int ch, rc;
	stream_t s;

	cli_init(argc, argv);
	ent_opts_init(&eo, ENT_PRECISION);
	while ((ch = cli_getopt(argc, argv, "hVqv", longopts)) != -1) {
		if (cli_common_option(ch, optarg, usage) || ent_opts_option(&eo, ch, optarg))
			continue;
		switch (ch) {
		case OPT_SOURCE:
			if (!(c.forced = source_find(optarg)))
				log_usage("--source: '%s' is not one of: %s", optarg, source_names());
			break;
		case OPT_MIN_ENTITIES:
			c.min_entities = cli_long("--min-entities", optarg, 0, 1000);
			break;
		default:
			log_usage("unexpected option");
		}
	}
	c.mode = eo.mode;
	c.dict = ent_opts_dict(&eo);
	stream_init(&s);
	c.s = &s;
	stream_run(&s, argv + optind, argc - optind, on_record, &c);
	if (c.dropped)
		log_debug("%ld posts written, %ld with fewer than %ld entities dropped", c.posts, c.dropped,
			 c.min_entities);
	rc = stream_finish(&s);
	ent_set_free(&c.set);
	ent_dict_free(c.dict);
	buf_free(&c.bad);
	ent_opts_free(&eo);
	return rc | herd_close_stdout();
}
