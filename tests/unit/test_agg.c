/*
 * test_agg.c — the aggregate cells and the window table (src/agg): what a
 * post contributes, that merging any split of the posts in any order gives
 * the one-pass state bit for bit, that partial records read back to the
 * same state and bad ones are refused, and that windows close in event
 * time, in order, with late posts refused. Invariants are checked with
 * the structures' own _check() functions inside assert().
 */
#include "agg/cell.h"
#include "agg/table.h"
#include "lib/htime.h"
#include "lib/jsonx.h"
#include "lib/ndjson.h"
#include "test.h"

#include <assert.h>
#include <stdlib.h>

#define DAY 86400
#define T0 1611100800 /* 2021-01-20T00:00:00Z */

/* ------------------------------------------------------------ helpers */

static json_t *post(const char *json)
{
	char err[256];
	json_t *v = jx_parse(json, strlen(json), err, sizeof err);

	if (!v)
		fprintf(stderr, "bad test JSON: %s: %s\n", err, json);
	return v;
}

/* The record as its one output line (caller frees). */
static char *dump(json_t *rec)
{
	buf_t b = BUF_INIT;

	ndjson_dump(&b, rec);
	json_decref(rec);
	return buf_steal(&b);
}

/* A deterministic generator (xorshift64*), so failures reproduce. */
static uint64_t rng = 88172645463325252ULL;
static uint64_t next(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ULL;
}

/* A random but valid post: one of 40 authors (some null), 3 sources,
 * polarity from sentiment, vader or none, engagement up to 10^6. */
static json_t *random_post(int64_t at)
{
	static const char *const comm[] = {"\"wallstreetbets\"", "\"stocks\"", "null"};
	char author[32], sent[160], s[512], when[HTIME_LEN];
	double p = (double)(next() % 20001) / 10000.0 - 1.0;
	unsigned kind = next() % 3;

	if (next() % 8 == 0)
		snprintf(author, sizeof author, "null");
	else
		snprintf(author, sizeof author, "\"user%u\"", (unsigned)(next() % 40));
	if (kind == 0)
		snprintf(sent, sizeof sent, ",\"sentiment\":{\"label\":\"%s\",\"score\":%.17g}",
			 p > 0.3 ? "positive" : p < -0.3 ? "negative" : "neutral", p);
	else if (kind == 1)
		snprintf(sent, sizeof sent, ",\"vader\":{\"compound\":%.4f}", p);
	else
		sent[0] = '\0';
	snprintf(s, sizeof s,
		 "{\"kind\":\"post\",\"source\":\"reddit\",\"community\":%s,\"created_at\":\"%s\",\"author\":%s,"
		 "\"engagement\":{\"score\":%u,\"replies\":%u},\"entities\":[\"GME\"]%s}",
		 comm[next() % 3], htime_format(at, when), author, (unsigned)(next() % 1000000),
		 (unsigned)(next() % 50), sent);
	return post(s);
}

static void add_post(agg_cell *c, json_t *p)
{
	char scratch[256], err[256];
	agg_contrib k;
	int rc = agg_contrib_from_post(&k, p, scratch, sizeof scratch, err, sizeof err);

	if (rc != 0)
		CHECK(0, "random post contributes: %s", err); /* counted only when it fails */
	else
		agg_cell_add(c, &k);
	assert(agg_cell_check(c));
}

/* ------------------------------------------------------------ contributions */

static void test_contrib(void)
{
	char scratch[256], err[256];
	agg_contrib k;
	json_t *p;

	p = post("{\"source\":\"reddit\",\"community\":\"wsb\",\"author\":\"bob\",\"engagement\":{\"score\":12,\"replies\":3},"
		 "\"sentiment\":{\"label\":\"neutral\",\"score\":0.5}}");
	CHECK(agg_contrib_from_post(&k, p, scratch, sizeof scratch, err, sizeof err) == 0, "scored post: %s", err);
	CHECK_STR(k.source_key, "reddit/wsb", "source key with community");
	CHECK_STR(k.author, "bob", "author");
	CHECK(k.engagement == 15, "engagement = score + replies, got %lld", (long long)k.engagement);
	CHECK(k.polar && !k.bull && !k.bear, "the label decides bull/bear when there is one");
	CHECK(k.p == (agg_fix)1 << (AGG_FIX_BITS - 1), "0.5 is 2^47 in fixed point");
	CHECK(k.w == (agg_fix)llrint(ldexp(1.0 + log(13.0), AGG_FIX_BITS)), "weight 1 + ln(1 + 12)");
	json_decref(p);

	p = post("{\"source\":\"x\",\"community\":null,\"author\":null,\"vader\":{\"compound\":-0.05}}");
	CHECK(agg_contrib_from_post(&k, p, scratch, sizeof scratch, err, sizeof err) == 0, "vader post: %s", err);
	CHECK_STR(k.source_key, "x", "source key without community");
	CHECK(k.author == NULL, "null author");
	CHECK(k.polar && k.bear && !k.bull, "vader -0.05 is bearish (<= -0.05)");
	CHECK(k.w == (agg_fix)1 << AGG_FIX_BITS, "no engagement: weight 1");
	json_decref(p);

	p = post("{\"source\":\"x\",\"sentiment\":null,\"vader\":{\"compound\":0.05},\"engagement\":{\"score\":-7}}");
	CHECK(agg_contrib_from_post(&k, p, scratch, sizeof scratch, err, sizeof err) == 0, "null sentiment: %s", err);
	CHECK(k.bull, "null sentiment falls back to vader; 0.05 is bullish");
	CHECK(k.w == (agg_fix)1 << AGG_FIX_BITS, "negative score: weight 1");
	CHECK(k.engagement == -7, "negative scores count in engagement");
	json_decref(p);

	p = post("{\"source\":\"x\"}");
	CHECK(agg_contrib_from_post(&k, p, scratch, sizeof scratch, err, sizeof err) == 0 && !k.polar,
	      "a post without sentiment has no polarity");
	json_decref(p);

	static const struct {
		const char *json, *reason;
	} bad[] = {
		{"{\"community\":\"wsb\"}", "field 'source' is missing or not a string"},
		{"{\"source\":\"x\",\"community\":5}", "field 'community' is number, not a string"},
		{"{\"source\":\"x\",\"author\":[]}", "field 'author' is array, not a string"},
		{"{\"source\":\"x\",\"engagement\":{\"score\":1.5}}", "field 'engagement.score' is 1.5, not an integer"},
		{"{\"source\":\"x\",\"engagement\":7}", "field 'engagement' is number, not an object"},
		{"{\"source\":\"x\",\"sentiment\":{\"score\":\"high\"}}", "field 'sentiment.score' is string, not a number"},
		{"{\"source\":\"x\",\"sentiment\":{\"label\":\"positive\"}}", "field 'sentiment.score' is missing, not a number"},
		{"{\"source\":\"x\",\"sentiment\":{\"score\":1.5}}", "field 'sentiment.score' is 1.5, outside [-1, 1]"},
		{"{\"source\":\"x\",\"vader\":{\"compound\":-2}}", "field 'vader.compound' is -2, outside [-1, 1]"},
		{"{\"source\":\"x\",\"sentiment\":\"good\"}", "field 'sentiment' is string, not an object"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		p = post(bad[i].json);
		err[0] = '\0';
		CHECK(agg_contrib_from_post(&k, p, scratch, sizeof scratch, err, sizeof err) < 0, "rejects %s", bad[i].json);
		CHECK_STR(err, bad[i].reason, bad[i].json);
		json_decref(p);
	}
}

/* ------------------------------------------------------------ one cell */

static void test_cell_record(void)
{
	agg_cell *c = agg_cell_new("GME", 3600, T0);
	const char *posts[] = {
		"{\"source\":\"reddit\",\"community\":\"wsb\",\"author\":\"a\",\"engagement\":{\"score\":0,\"replies\":1},\"vader\":{\"compound\":0.1}}",
		"{\"source\":\"reddit\",\"community\":\"wsb\",\"author\":\"b\",\"engagement\":{\"score\":0,\"replies\":0},\"vader\":{\"compound\":0.2}}",
		"{\"source\":\"reddit\",\"community\":\"stocks\",\"author\":\"a\",\"engagement\":{\"score\":0,\"replies\":0}}",
		"{\"source\":\"stocktwits\",\"community\":null,\"author\":null,\"engagement\":{\"score\":0,\"replies\":0},\"vader\":{\"compound\":-0.9}}",
	};
	char *line;

	for (size_t i = 0; i < 4; i++) {
		json_t *p = post(posts[i]);
		add_post(c, p);
		json_decref(p);
	}
	line = dump(agg_cell_to_agg(c));
	/* mean of 0.1, 0.2, -0.9 = -0.2: fixed point then 6 decimals */
	CHECK_STR(line,
		  "{\"kind\":\"agg\",\"entity\":\"GME\",\"window\":\"1h\",\"start\":\"2021-01-20T00:00:00Z\",\"posts\":4,"
		  "\"authors\":2,\"sources\":{\"reddit/stocks\":1,\"reddit/wsb\":2,\"stocktwits\":1},"
		  "\"sentiment\":{\"n\":3,\"mean\":-0.2,\"weighted\":-0.2,\"bull\":2,\"bear\":1},\"engagement\":1}",
		  "agg record of a small cell");
	free(line);
	agg_cell_free(c);

	c = agg_cell_new("AMC", DAY, T0);
	line = dump(agg_cell_to_agg(c));
	CHECK_STR(line,
		  "{\"kind\":\"agg\",\"entity\":\"AMC\",\"window\":\"1d\",\"start\":\"2021-01-20T00:00:00Z\",\"posts\":0,"
		  "\"authors\":0,\"sources\":{},\"sentiment\":null,\"engagement\":0}",
		  "no polarity: sentiment null");
	free(line);
	agg_cell_free(c);
}

/* ------------------------------------------------------------ merging */

/* Posts split over `shards` cells in a random assignment, merged in a
 * random order, equal the one-pass cell: same agg line, same partial line. */
static void test_merge_equals_one_pass(int nposts, int shards)
{
	agg_cell *one = agg_cell_new("GME", DAY, T0), *part[16], *merged = agg_cell_new("GME", DAY, T0);
	int order[16];
	char *a, *b;

	assert(shards <= 16);
	for (int i = 0; i < shards; i++) {
		part[i] = agg_cell_new("GME", DAY, T0);
		order[i] = i;
	}
	for (int i = 0; i < nposts; i++) {
		json_t *p = random_post(T0 + (int64_t)(next() % DAY));
		add_post(one, p);
		add_post(part[next() % (uint64_t)shards], p);
		json_decref(p);
	}
	for (int i = shards - 1; i > 0; i--) { /* Fisher-Yates */
		int j = (int)(next() % (uint64_t)(i + 1)), t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	for (int i = 0; i < shards; i++) {
		agg_cell_merge(merged, part[order[i]]);
		assert(agg_cell_check(merged));
	}
	a = dump(agg_cell_to_agg(one));
	b = dump(agg_cell_to_agg(merged));
	CHECK(strcmp(a, b) == 0, "%d posts over %d shards merge to the one-pass agg:\n  %s\n  %s", nposts, shards, a, b);
	free(a);
	free(b);
	a = dump(agg_cell_to_partial(one));
	b = dump(agg_cell_to_partial(merged));
	CHECK(strcmp(a, b) == 0, "%d posts over %d shards merge to the one-pass state", nposts, shards);
	free(a);
	free(b);
	CHECK(one->psum == merged->psum && one->wpsum == merged->wpsum && one->wsum == merged->wsum,
	      "fixed-point sums are equal, not just close");
	agg_cell_free(one);
	agg_cell_free(merged);
	for (int i = 0; i < shards; i++)
		agg_cell_free(part[i]);
}

/* Floating-point sums would not pass the test above: show that the order
 * matters for doubles on the same kind of data, so the test can fail. */
static void test_double_sums_depend_on_order(void)
{
	double fwd = 0, bwd = 0, v[1000];

	for (int i = 0; i < 1000; i++)
		v[i] = (double)(next() % 20001) / 10000.0 - 1.0;
	for (int i = 0; i < 1000; i++)
		fwd += v[i] * (1.0 + log1p((double)(i % 97)));
	for (int i = 999; i >= 0; i--)
		bwd += v[i] * (1.0 + log1p((double)(i % 97)));
	CHECK(fwd != bwd, "double sums of weighted polarities differ by order (%.17g vs %.17g)", fwd, bwd);
}

static void test_partial_roundtrip(void)
{
	agg_cell *c = agg_cell_new("BRK.B", 900, T0 + 900), *back;
	char err[256], *a, *b;
	json_t *rec;

	for (int i = 0; i < 300; i++) {
		json_t *p = random_post(T0 + 900);
		add_post(c, p);
		json_decref(p);
	}
	c->psum = -c->psum; /* negative sums travel too */
	c->wpsum = -c->wpsum;
	rec = agg_cell_to_partial(c);
	back = agg_cell_from_partial(rec, err, sizeof err);
	CHECK(back != NULL, "partial reads back: %s", err);
	if (back) {
		a = dump(agg_cell_to_partial(c));
		b = dump(agg_cell_to_partial(back));
		CHECK(strcmp(a, b) == 0, "partial round trip is exact");
		free(a);
		free(b);
		CHECK(back->psum == c->psum && back->wsum == c->wsum, "128-bit sums survive the decimal strings");
	}
	json_decref(rec);
	agg_cell_free(back);
	agg_cell_free(c);

	static const struct {
		const char *json, *reason;
	} bad[] = {
		{"{\"kind\":\"agg_partial\",\"window\":\"1h\",\"start\":\"2021-01-20T00:00:00Z\"}", "agg_partial: no entity"},
		{"{\"entity\":\"A\",\"window\":\"1x\"}", "agg_partial: 'window' is not a duration"},
		{"{\"entity\":\"A\",\"window\":\"1h\",\"start\":\"2021-01-20T00:30:00Z\"}", "agg_partial: 'start' is not a window start"},
		{"{\"entity\":\"A\",\"window\":\"1h\",\"start\":\"2021-01-20T00:00:00Z\",\"posts\":1,\"state\":{\"v\":2,\"fix\":48}}",
		 "agg_partial: state version 2/48, this herd-aggregate reads 1/48"},
		{"{\"entity\":\"A\",\"window\":\"1h\",\"start\":\"2021-01-20T00:00:00Z\",\"posts\":1,\"engagement\":0,\"sources\":{\"x\":1},"
		 "\"state\":{\"v\":1,\"fix\":48,\"authors\":[\"a\",\"b\"],\"n\":0,\"bull\":0,\"bear\":0,\"psum\":\"0\",\"wpsum\":\"0\",\"wsum\":\"0\"}}",
		 "agg_partial: the state is inconsistent (counts or sums out of bounds)"},
		{"{\"entity\":\"A\",\"window\":\"1h\",\"start\":\"2021-01-20T00:00:00Z\",\"posts\":2,\"engagement\":0,\"sources\":{\"x\":1},"
		 "\"state\":{\"v\":1,\"fix\":48,\"authors\":[],\"n\":0,\"bull\":0,\"bear\":0,\"psum\":\"0\",\"wpsum\":\"0\",\"wsum\":\"0\"}}",
		 "agg_partial: the state is inconsistent (counts or sums out of bounds)"},
		{"{\"entity\":\"A\",\"window\":\"1h\",\"start\":\"2021-01-20T00:00:00Z\",\"posts\":1,\"engagement\":0,\"sources\":{\"x\":1},"
		 "\"state\":{\"v\":1,\"fix\":48,\"authors\":[],\"n\":1,\"bull\":0,\"bear\":0,\"psum\":\"1e5\",\"wpsum\":\"0\",\"wsum\":\"0\"}}",
		 "agg_partial: 'psum', 'wpsum' or 'wsum' is not a decimal integer string"},
		{"{\"entity\":\"A\",\"window\":\"1h\",\"start\":\"2021-01-20T00:00:00Z\",\"posts\":1,\"engagement\":0,\"sources\":{\"x\":1},"
		 "\"state\":{\"v\":1,\"fix\":48,\"authors\":[],\"n\":1,\"bull\":0,\"bear\":0,\"psum\":\"281474976710657\",\"wpsum\":\"0\",\"wsum\":\"281474976710656\"}}",
		 "agg_partial: the state is inconsistent (counts or sums out of bounds)"},
		{"{\"entity\":\"A\",\"window\":\"1h\",\"start\":\"2021-01-20T00:00:00Z\",\"posts\":1,\"engagement\":0,\"sources\":{\"x\":-1},"
		 "\"state\":{\"v\":1,\"fix\":48,\"authors\":[]}}",
		 "agg_partial: source 'x' is not a count"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		json_t *p = post(bad[i].json);
		err[0] = '\0';
		back = agg_cell_from_partial(p, err, sizeof err);
		CHECK(back == NULL, "refuses partial %zu", i);
		CHECK_STR(err, bad[i].reason, bad[i].json);
		agg_cell_free(back);
		json_decref(p);
	}
}

/* ------------------------------------------------------------ the table */

struct emitted {
	char line[64][160];
	int n;
};

static void collect(const agg_cell *c, void *arg)
{
	struct emitted *e = arg;
	char t[HTIME_LEN], w[HTIME_LEN];

	if (e->n < 64)
		snprintf(e->line[e->n++], sizeof e->line[0], "%s %s %s %lld", htime_format_duration(c->len, w),
			 htime_format(c->start, t), c->entity, (long long)c->posts);
}

static void table_add(agg_table *t, int64_t at, const char *entity, const int64_t *lens, size_t nlens)
{
	json_t *p = post("{\"source\":\"x\",\"author\":\"a\"}");
	char scratch[64], err[128];
	agg_contrib k;

	agg_contrib_from_post(&k, p, scratch, sizeof scratch, err, sizeof err);
	agg_table_add(t, at, &entity, 1, lens, nlens, &k);
	json_decref(p);
	assert(agg_table_check(t));
}

static void test_table_streaming(void)
{
	static const int64_t lens[] = {3600, DAY};
	agg_table *t = agg_table_new(1800); /* lateness 30m */
	struct emitted e = {.n = 0};

	CHECK(!agg_table_is_late(t, T0, lens, 2), "nothing is late before the first post");
	table_add(t, T0 + 10, "GME", lens, 2);
	table_add(t, T0 + 20, "AMC", lens, 2);
	table_add(t, T0 + 3600 + 5, "GME", lens, 2);
	CHECK(agg_table_flush(t, 0, collect, &e) == 0, "watermark 00:30 closes nothing");
	table_add(t, T0 + 3600 + 1000, "GME", lens, 2); /* watermark 00:46 */
	CHECK(!agg_table_is_late(t, T0 + 100, lens, 2), "00:01 is not late yet: the 00:00 hour is open until 01:30");
	table_add(t, T0 + 100, "GME", lens, 2);
	table_add(t, T0 + 5400, "TSLA", lens, 2); /* 01:30: watermark 01:00 */
	CHECK(agg_table_flush(t, 0, collect, &e) == 2, "watermark 01:00 closes the two 00:00 hours");
	CHECK(agg_table_is_late(t, T0 + 3599, lens, 2), "00:59 is late now");
	CHECK(!agg_table_is_late(t, T0 + 3600, lens, 2), "01:00 is not");
	CHECK(agg_table_open(t) == 5, "open: GME 01h, TSLA 01h, GME/AMC/TSLA 1d (got %zu)", agg_table_open(t));
	table_add(t, T0 + DAY + 1800, "GME", lens, 2); /* watermark = next midnight */
	CHECK(agg_table_flush(t, 0, collect, &e) == 5, "midnight closes the rest of day 1");
	CHECK(agg_table_flush(t, 1, collect, &e) == 2, "end of input closes the last ones");
	CHECK(agg_table_open(t) == 0, "nothing left open");
	CHECK(agg_table_peak(t) == 7, "at most 7 open (got %zu)", agg_table_peak(t));
	{
		static const char *const want[] = {
			"1h 2021-01-20T00:00:00Z AMC 1",  "1h 2021-01-20T00:00:00Z GME 2",
			"1h 2021-01-20T01:00:00Z GME 2",  "1h 2021-01-20T01:00:00Z TSLA 1",
			"1d 2021-01-20T00:00:00Z AMC 1",  "1d 2021-01-20T00:00:00Z GME 4",
			"1d 2021-01-20T00:00:00Z TSLA 1", "1h 2021-01-21T00:00:00Z GME 1",
			"1d 2021-01-21T00:00:00Z GME 1",
		};
		CHECK(e.n == 9, "9 cells emitted (got %d)", e.n);
		for (int i = 0; i < 9 && i < e.n; i++)
			CHECK_STR(e.line[i], want[i], "emission order: window end, length, entity");
	}
	agg_table_free(t);
}

static void test_table_all_and_merge(void)
{
	static const int64_t lens[] = {900};
	agg_table *t = agg_table_new(AGG_LATENESS_ALL);
	struct emitted e = {.n = 0};
	agg_cell *c;

	table_add(t, T0 + 10 * DAY, "B", lens, 1);
	table_add(t, T0, "A", lens, 1);
	CHECK(!agg_table_is_late(t, T0 - 100 * DAY, lens, 1), "--lateness all: nothing is ever late");
	CHECK(agg_table_flush(t, 0, collect, &e) == 0, "--lateness all: nothing closes before the end");
	c = agg_cell_new("A", 900, T0);
	for (int i = 0; i < 2; i++) {
		json_t *p = random_post(T0);
		add_post(c, p);
		json_decref(p);
	}
	agg_table_merge(t, c); /* the table takes c */
	CHECK(agg_table_flush(t, 1, collect, &e) == 2, "the end closes both");
	CHECK(e.n == 2 && strcmp(e.line[0], "15m 2021-01-20T00:00:00Z A 3") == 0, "merged into the open cell: %s",
	      e.n ? e.line[0] : "");
	agg_table_free(t);
}

int main(void)
{
	test_contrib();
	test_cell_record();
	test_merge_equals_one_pass(1, 1);
	test_merge_equals_one_pass(200, 3);
	test_merge_equals_one_pass(5000, 7);
	test_merge_equals_one_pass(20000, 16);
	test_double_sums_depend_on_order();
	test_partial_roundtrip();
	test_table_streaming();
	test_table_all_and_merge();
	return test_report();
}
