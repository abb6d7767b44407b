/*
 * test_agg.c — the aggregate cells and the window table (src/agg): what a
 * post contributes, that each post id counts once per cell (the first
 * occurrence wins), that merging any split of the posts in any order gives
 * the one-pass state bit for bit — repeated ids split across shards
 * included — that partial records read back to the same state and bad
 * ones are refused, and that windows close in event time, in order, with
 * late posts refused. Invariants are checked with the structures' own
 * _check() functions.
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

/* A random but valid post with the given id number: one of 40 authors
 * (some null), 3 sources, polarity from sentiment, vader or none,
 * engagement up to 10^6. */
static json_t *random_post_id(int64_t at, unsigned id)
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
		 "{\"kind\":\"post\",\"id\":\"reddit:t1_%u\",\"source\":\"reddit\",\"community\":%s,\"created_at\":\"%s\","
		 "\"author\":%s,\"engagement\":{\"score\":%u,\"replies\":%u},\"entities\":[\"GME\"]%s}",
		 id, comm[next() % 3], htime_format(at, when), author, (unsigned)(next() % 1000000),
		 (unsigned)(next() % 50), sent);
	return post(s);
}

/* A random post with an id of its own. */
static unsigned next_id;
static json_t *random_post(int64_t at)
{
	return random_post_id(at, ++next_id);
}

/* Count p in c; returns what agg_cell_add returns (1 new, 0 repeated). */
static int add_post(agg_cell *c, json_t *p)
{
	char scratch[256], err[256];
	agg_contrib k;
	int rc = agg_contrib_from_post(&k, p, scratch, sizeof scratch, err, sizeof err);

	if (rc != 0) {
		CHECK(0, "random post contributes: %s", err); /* counted only when it fails */
		return -1;
	}
	return agg_cell_add(c, &k);
}

/* ------------------------------------------------------------ contributions */

static void test_contrib(void)
{
	char scratch[256], err[256];
	agg_contrib k;
	json_t *p;

	p = post("{\"id\":\"reddit:t1_a\",\"source\":\"reddit\",\"community\":\"wsb\",\"author\":\"bob\","
		 "\"engagement\":{\"score\":12,\"replies\":3},\"sentiment\":{\"label\":\"neutral\",\"score\":0.5}}");
	CHECK(agg_contrib_from_post(&k, p, scratch, sizeof scratch, err, sizeof err) == 0, "scored post: %s", err);
	CHECK_STR(k.id, "reddit:t1_a", "the id is the dedup key");
	CHECK(k.id_hash == strset_hash("reddit:t1_a", 11), "the id's hash is the sets' hash");
	CHECK_STR(k.source_key, "reddit/wsb", "source key with community");
	CHECK_STR(k.author, "bob", "author");
	CHECK(k.engagement == 15, "engagement = score + replies, got %lld", (long long)k.engagement);
	CHECK(k.polar && !k.bull && !k.bear, "the label decides bull/bear when there is one");
	CHECK(k.p == (int64_t)1 << (AGG_FIX_BITS - 1), "0.5 is 2^47 in fixed point");
	CHECK(k.w == (int64_t)llrint(ldexp(1.0 + log(13.0), AGG_FIX_BITS)), "weight 1 + ln(1 + 12)");
	json_decref(p);

	p = post("{\"id\":\"x:1\",\"source\":\"x\",\"community\":null,\"author\":null,\"vader\":{\"compound\":-0.05}}");
	CHECK(agg_contrib_from_post(&k, p, scratch, sizeof scratch, err, sizeof err) == 0, "vader post: %s", err);
	CHECK_STR(k.source_key, "x", "source key without community");
	CHECK(k.author == NULL, "null author");
	CHECK(k.polar && k.bear && !k.bull, "vader -0.05 is bearish (<= -0.05)");
	CHECK(k.w == (int64_t)1 << AGG_FIX_BITS, "no engagement: weight 1");
	json_decref(p);

	p = post("{\"id\":\"x:2\",\"source\":\"x\",\"sentiment\":null,\"vader\":{\"compound\":0.05},\"engagement\":{\"score\":-7}}");
	CHECK(agg_contrib_from_post(&k, p, scratch, sizeof scratch, err, sizeof err) == 0, "null sentiment: %s", err);
	CHECK(k.bull, "null sentiment falls back to vader; 0.05 is bullish");
	CHECK(k.w == (int64_t)1 << AGG_FIX_BITS, "negative score: weight 1");
	CHECK(k.engagement == -7, "negative scores count in engagement");
	json_decref(p);

	p = post("{\"id\":\"x:3\",\"source\":\"x\"}");
	CHECK(agg_contrib_from_post(&k, p, scratch, sizeof scratch, err, sizeof err) == 0 && !k.polar,
	      "a post without sentiment has no polarity");
	json_decref(p);

	static const struct {
		const char *json, *reason;
	} bad[] = {
		{"{\"source\":\"x\"}", "field 'id' is missing or not a string"},
		{"{\"id\":\"\",\"source\":\"x\"}", "field 'id' is missing or not a string"},
		{"{\"id\":7,\"source\":\"x\"}", "field 'id' is missing or not a string"},
		{"{\"id\":\"x:1\",\"community\":\"wsb\"}", "field 'source' is missing or not a string"},
		{"{\"id\":\"x:1\",\"source\":\"x\",\"community\":5}", "field 'community' is number, not a string"},
		{"{\"id\":\"x:1\",\"source\":\"x\",\"author\":[]}", "field 'author' is array, not a string"},
		{"{\"id\":\"x:1\",\"source\":\"x\",\"engagement\":{\"score\":1.5}}", "field 'engagement.score' is 1.5, not an integer"},
		{"{\"id\":\"x:1\",\"source\":\"x\",\"engagement\":7}", "field 'engagement' is number, not an object"},
		{"{\"id\":\"x:1\",\"source\":\"x\",\"sentiment\":{\"score\":\"high\"}}", "field 'sentiment.score' is string, not a number"},
		{"{\"id\":\"x:1\",\"source\":\"x\",\"sentiment\":{\"label\":\"positive\"}}", "field 'sentiment.score' is missing, not a number"},
		{"{\"id\":\"x:1\",\"source\":\"x\",\"sentiment\":{\"score\":1.5}}", "field 'sentiment.score' is 1.5, outside [-1, 1]"},
		{"{\"id\":\"x:1\",\"source\":\"x\",\"vader\":{\"compound\":-2}}", "field 'vader.compound' is -2, outside [-1, 1]"},
		{"{\"id\":\"x:1\",\"source\":\"x\",\"sentiment\":\"good\"}", "field 'sentiment' is string, not an object"},
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
		"{\"id\":\"reddit:t1_a\",\"source\":\"reddit\",\"community\":\"wsb\",\"author\":\"a\",\"engagement\":{\"score\":0,\"replies\":1},\"vader\":{\"compound\":0.1}}",
		"{\"id\":\"reddit:t1_b\",\"source\":\"reddit\",\"community\":\"wsb\",\"author\":\"b\",\"engagement\":{\"score\":0,\"replies\":0},\"vader\":{\"compound\":0.2}}",
		"{\"id\":\"reddit:t1_c\",\"source\":\"reddit\",\"community\":\"stocks\",\"author\":\"a\",\"engagement\":{\"score\":0,\"replies\":0}}",
		"{\"id\":\"stocktwits:1\",\"source\":\"stocktwits\",\"community\":null,\"author\":null,\"engagement\":{\"score\":0,\"replies\":0},\"vader\":{\"compound\":-0.9}}",
	};
	static const char want[] =
		"{\"kind\":\"agg\",\"entity\":\"GME\",\"window\":\"1h\",\"start\":\"2021-01-20T00:00:00Z\",\"posts\":4,"
		"\"authors\":2,\"sources\":{\"reddit/stocks\":1,\"reddit/wsb\":2,\"stocktwits\":1},"
		"\"sentiment\":{\"n\":3,\"mean\":-0.2,\"weighted\":-0.2,\"bull\":2,\"bear\":1},\"engagement\":1}";
	char *line;
	json_t *p;

	for (size_t i = 0; i < 4; i++) {
		p = post(posts[i]);
		CHECK(add_post(c, p) == 1, "post %zu is new", i + 1);
		json_decref(p);
	}
	line = dump(agg_cell_to_agg(c));
	/* mean of 0.1, 0.2, -0.9 = -0.2: fixed point then 6 decimals */
	CHECK_STR(line, want, "agg record of a small cell");
	free(line);

	/* The same ids again, verbatim or changed: the first occurrence wins. */
	p = post(posts[0]);
	CHECK(add_post(c, p) == 0, "a verbatim repeat of reddit:t1_a adds nothing");
	json_decref(p);
	p = post("{\"id\":\"stocktwits:1\",\"source\":\"x\",\"author\":\"z\",\"engagement\":{\"score\":100},\"vader\":{\"compound\":0.9}}");
	CHECK(add_post(c, p) == 0, "stocktwits:1 with other content adds nothing either");
	json_decref(p);
	line = dump(agg_cell_to_agg(c));
	CHECK_STR(line, want, "repeated ids leave the cell as it was");
	free(line);
	CHECK(c->posts == 4 && c->ids.n == 4 && agg_cell_check(c), "4 posts, 4 ids, invariants hold");
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

/* A stream of nposts posts of which about one in `every` repeats the id
 * (and content) of an earlier one. The copies go to random shards; one
 * pass over the stream, the shards merged in a random order, and one pass
 * over the distinct posts all give the same cell: the same agg line, the
 * same partial line, the same sums. every = 0: no repeats. */
static void test_merge_equals_one_pass(int nposts, int shards, int every)
{
	agg_cell *one = agg_cell_new("GME", DAY, T0), *uniq = agg_cell_new("GME", DAY, T0), *part[16],
		 *merged = agg_cell_new("GME", DAY, T0);
	json_t **seen = calloc((size_t)nposts, sizeof *seen);
	int order[16], nseen = 0, repeats = 0, recounted = 0;
	size_t held = 0;
	char *a, *b, *u;

	assert(shards <= 16);
	for (int i = 0; i < shards; i++) {
		part[i] = agg_cell_new("GME", DAY, T0);
		order[i] = i;
	}
	for (int i = 0; i < nposts; i++) {
		json_t *p;
		if (every && nseen && next() % (uint64_t)every == 0) {
			p = json_incref(seen[next() % (uint64_t)nseen]);
			repeats++;
			recounted += add_post(one, p) != 0;
		} else {
			p = random_post(T0 + (int64_t)(next() % DAY));
			seen[nseen++] = json_incref(p);
			add_post(one, p);
			add_post(uniq, p);
		}
		add_post(part[next() % (uint64_t)shards], p);
		json_decref(p);
	}
	CHECK(recounted == 0, "no repeated id is counted again in one pass (%d of %d were)", recounted, repeats);
	for (int i = shards - 1; i > 0; i--) { /* Fisher-Yates */
		int j = (int)(next() % (uint64_t)(i + 1)), t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	for (int i = 0; i < shards; i++)
		held += agg_cell_merge(merged, part[order[i]]);
	CHECK(agg_cell_check(one) && agg_cell_check(merged), "invariants hold after %d posts and the merge", nposts);
	CHECK(one->posts == nseen && merged->posts == nseen, "%d distinct ids counted (one pass %lld, merged %lld)",
	      nseen, (long long)one->posts, (long long)merged->posts);
	if (every && shards > 1)
		CHECK(held > 0, "some of the %d repeats met their first copy only in the merge (%zu)", repeats, held);
	a = dump(agg_cell_to_agg(one));
	b = dump(agg_cell_to_agg(merged));
	u = dump(agg_cell_to_agg(uniq));
	CHECK(strcmp(a, b) == 0, "%d posts (%d repeats) over %d shards merge to the one-pass agg:\n  %s\n  %s", nposts,
	      repeats, shards, a, b);
	CHECK(strcmp(a, u) == 0, "one pass with repeats equals one pass over the distinct posts");
	free(a);
	free(b);
	free(u);
	a = dump(agg_cell_to_partial(one));
	b = dump(agg_cell_to_partial(merged));
	CHECK(strcmp(a, b) == 0, "%d posts over %d shards merge to the one-pass state", nposts, shards);
	free(a);
	free(b);
	CHECK(one->psum == merged->psum && one->wpsum == merged->wpsum && one->wsum == merged->wsum,
	      "fixed-point sums are equal, not just close");
	agg_cell_free(one);
	agg_cell_free(uniq);
	agg_cell_free(merged);
	for (int i = 0; i < shards; i++)
		agg_cell_free(part[i]);
	for (int i = 0; i < nseen; i++)
		json_decref(seen[i]);
	free(seen);
}

/* Copies of one id that differ (a post fetched twice, its score grown):
 * in one pass the first read wins; merging shards in input order gives
 * the same, and in the other order the other copy wins — the merge too
 * keeps the first it reads. */
static void test_merge_first_wins(void)
{
	json_t *early = post("{\"id\":\"reddit:t1_x\",\"source\":\"reddit\",\"author\":\"a\",\"engagement\":{\"score\":1},"
			     "\"vader\":{\"compound\":-0.5}}");
	json_t *late = post("{\"id\":\"reddit:t1_x\",\"source\":\"reddit\",\"author\":\"b\",\"engagement\":{\"score\":900},"
			    "\"vader\":{\"compound\":0.5}}");
	json_t *other = post("{\"id\":\"reddit:t1_y\",\"source\":\"reddit\",\"author\":\"c\"}");
	agg_cell *one = agg_cell_new("GME", DAY, T0), *s1 = agg_cell_new("GME", DAY, T0), *s2 = agg_cell_new("GME", DAY, T0);
	agg_cell *m12 = agg_cell_new("GME", DAY, T0), *m21 = agg_cell_new("GME", DAY, T0);
	char *a, *b, *c;

	add_post(one, early);
	add_post(one, other);
	add_post(one, late);
	add_post(s1, early);
	add_post(s1, other);
	add_post(s2, late);
	CHECK(agg_cell_merge(m12, s1) == 0 && agg_cell_merge(m12, s2) == 1, "merging s2 after s1: one post held already");
	agg_cell_merge(m21, s2);
	agg_cell_merge(m21, s1);
	a = dump(agg_cell_to_agg(one));
	b = dump(agg_cell_to_agg(m12));
	c = dump(agg_cell_to_agg(m21));
	CHECK(strcmp(a, b) == 0, "shards merged in input order equal one pass:\n  %s\n  %s", a, b);
	CHECK(strstr(a, "\"bear\":1") && strstr(a, "\"engagement\":1}"), "the first copy (bearish, score 1) counts: %s", a);
	CHECK(strstr(c, "\"bull\":1") && strstr(c, "\"engagement\":900}"), "merged the other way, the later copy is first: %s", c);
	free(a);
	free(b);
	free(c);
	json_decref(early);
	json_decref(late);
	json_decref(other);
	agg_cell_free(one);
	agg_cell_free(s1);
	agg_cell_free(s2);
	agg_cell_free(m12);
	agg_cell_free(m21);
}

/* A cell that does not keep its posts (one pass and --merge without
 * --partial) counts each id once all the same, and merges shards alike. */
static void test_drop_posts(void)
{
	agg_cell *kept = agg_cell_new("GME", DAY, T0), *bare = agg_cell_new("GME", DAY, T0);
	agg_cell *s1 = agg_cell_new("GME", DAY, T0), *s2 = agg_cell_new("GME", DAY, T0), *m = agg_cell_new("GME", DAY, T0);
	json_t *pool[1500];
	int disagree = 0;
	char *a, *b, *c;

	agg_cell_drop_posts(bare);
	agg_cell_drop_posts(m);
	CHECK(!bare->keep && bare->post == NULL, "a dropped cell holds no post[]");
	for (int i = 0; i < 1500; i++)
		pool[i] = random_post(T0 + (int64_t)(next() % DAY));
	for (int i = 0; i < 2000; i++) { /* identical copies: the merge order does not matter */
		json_t *p = json_incref(pool[next() % 1500]);
		disagree += add_post(kept, p) != add_post(bare, p);
		add_post(i % 2 ? s1 : s2, p);
		json_decref(p);
	}
	CHECK(disagree == 0, "kept and bare cells agree on which posts are new (%d differ)", disagree);
	agg_cell_merge(m, s1);
	agg_cell_merge(m, s2);
	a = dump(agg_cell_to_agg(kept));
	b = dump(agg_cell_to_agg(bare));
	c = dump(agg_cell_to_agg(m));
	CHECK(strcmp(a, b) == 0, "without post[] the agg is the same:\n  %s\n  %s", a, b);
	CHECK(strcmp(a, c) == 0, "two shards merged into a cell without post[] give it too:\n  %s\n  %s", a, c);
	CHECK(agg_cell_check(bare) && agg_cell_check(m), "a dropped cell keeps its invariants");
	CHECK(kept->posts < 2000 && bare->posts == kept->posts, "ids repeat here: %lld of 2000 posts counted",
	      (long long)bare->posts);
	free(a);
	free(b);
	free(c);
	agg_cell_free(kept);
	agg_cell_free(bare);
	agg_cell_free(s1);
	agg_cell_free(s2);
	agg_cell_free(m);
	for (int i = 0; i < 1500; i++)
		json_decref(pool[i]);
}

/* Floating-point sums would not pass the test above: show that the order
 * matters for doubles on the same kind of data, so the test can fail. */
static void test_double_sums_depend_on_order(void)
{
	double fwd = 0, bwd = 0, v[1000];

	rng = 88172645463325252ULL; /* the same numbers whatever ran before */
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
	json_t *rec, *p;

	for (int i = 0; i < 300; i++) {
		p = random_post(T0 + 900);
		add_post(c, p);
		json_decref(p);
	}
	rec = agg_cell_to_partial(c);
	back = agg_cell_from_partial(rec, err, sizeof err);
	CHECK(back != NULL, "partial reads back: %s", err);
	if (back) {
		a = dump(agg_cell_to_partial(c));
		b = dump(agg_cell_to_partial(back));
		CHECK(strcmp(a, b) == 0, "partial round trip is exact");
		free(a);
		free(b);
		CHECK(back->psum == c->psum && back->wpsum == c->wpsum && back->wsum == c->wsum,
		      "the 128-bit sums are rebuilt exactly from the posts' 64-bit terms");
		CHECK(agg_cell_check(back), "a cell read back keeps the invariants");
	}
	json_decref(rec);
	agg_cell_free(back);
	agg_cell_free(c);

	/* The format, pinned on a small cell: posts by id, sources by name. */
	c = agg_cell_new("GME", 3600, T0);
	p = post("{\"id\":\"x:2\",\"source\":\"x\",\"author\":\"bob\",\"engagement\":{\"score\":12,\"replies\":3},"
		 "\"sentiment\":{\"label\":\"positive\",\"score\":0.5}}");
	add_post(c, p);
	json_decref(p);
	p = post("{\"id\":\"reddit:t1_a\",\"source\":\"reddit\",\"community\":\"wsb\",\"author\":null}");
	add_post(c, p);
	json_decref(p);
	a = dump(agg_cell_to_partial(c));
	CHECK_STR(a,
		  "{\"kind\":\"agg_partial\",\"entity\":\"GME\",\"window\":\"1h\",\"start\":\"2021-01-20T00:00:00Z\",\"posts\":2,"
		  "\"authors\":1,\"sources\":{\"reddit/wsb\":1,\"x\":1},\"sentiment\":{\"n\":1,\"mean\":0.5,\"weighted\":0.5,"
		  "\"bull\":1,\"bear\":0},\"engagement\":15,\"state\":{\"v\":2,\"fix\":48,\"sources\":[\"reddit/wsb\",\"x\"],"
		  "\"posts\":[[\"reddit:t1_a\",null,0,0],[\"x:2\",\"bob\",1,15,1,140737488355328,"
		  "501722018683077,1003444037366154]]}}",
		  "partial of two posts: w = (1 + ln 13)·2^48 = 1003444037366154, wp = w/2");
	free(a);
	agg_cell_free(c);

#define CELL_A "\"entity\":\"A\",\"window\":\"1h\",\"start\":\"2021-01-20T00:00:00Z\""
#define STATE_X(posts) "\"state\":{\"v\":2,\"fix\":48,\"sources\":[\"x\"],\"posts\":[" posts "]}}"
#define KEYS(posts, authors, x, eng) \
	"\"posts\":" #posts ",\"authors\":" #authors ",\"sources\":{\"x\":" #x "},\"sentiment\":null,\"engagement\":" #eng ","
	p = post("{" CELL_A "," KEYS(1, 0, 1, 0) STATE_X("[\"x:1\",null,0,0]"));
	back = agg_cell_from_partial(p, err, sizeof err);
	CHECK(back && back->posts == 1, "a minimal partial reads: %s", back ? "" : err);
	agg_cell_free(back);
	json_decref(p);

	static const struct {
		const char *json, *reason;
	} bad[] = {
		{"{\"kind\":\"agg_partial\",\"window\":\"1h\",\"start\":\"2021-01-20T00:00:00Z\"}", "agg_partial: no entity"},
		{"{\"entity\":\"A\",\"window\":\"1x\"}", "agg_partial: 'window' is not a duration"},
		{"{\"entity\":\"A\",\"window\":\"1h\",\"start\":\"2021-01-20T00:30:00Z\"}", "agg_partial: 'start' is not a window start"},
		{"{" CELL_A ",\"posts\":1,\"state\":{\"v\":1,\"fix\":48}}",
		 "agg_partial: state version 1/48, this herd-aggregate reads 2/48"},
		{"{" CELL_A ",\"state\":{\"v\":2,\"fix\":48,\"authors\":[]}}",
		 "agg_partial: 'state.sources' or 'state.posts' missing"},
		{"{" CELL_A ",\"state\":{\"v\":2,\"fix\":48,\"sources\":[\"\"],\"posts\":[]}}", "agg_partial: source 1 is not a name"},
		{"{" CELL_A "," KEYS(1, 0, 1, 0) STATE_X("[\"x:1\",null,1,0]"),
		 "agg_partial: post 1 is not [id, author, source, engagement(, mood, p, wp, w)]"},
		{"{" CELL_A "," KEYS(1, 0, 1, 0) STATE_X("[\"x:1\",null,0]"),
		 "agg_partial: post 1 is not [id, author, source, engagement(, mood, p, wp, w)]"},
		{"{" CELL_A "," KEYS(1, 0, 1, 0) STATE_X("[\"\",null,0,0]"),
		 "agg_partial: post 1 is not [id, author, source, engagement(, mood, p, wp, w)]"},
		{"{" CELL_A "," KEYS(1, 0, 1, 0) STATE_X("[\"x:1\",7,0,0]"),
		 "agg_partial: post 1 is not [id, author, source, engagement(, mood, p, wp, w)]"},
		{"{" CELL_A "," KEYS(1, 0, 1, 0) STATE_X("[\"x:1\",null,0,0,1,281474976710657,281474976710656,281474976710656]"),
		 "agg_partial: post 1 is not [id, author, source, engagement(, mood, p, wp, w)]"},
		{"{" CELL_A "," KEYS(1, 0, 1, 0) STATE_X("[\"x:1\",null,0,0,0,0,0,5]"),
		 "agg_partial: post 1 is not [id, author, source, engagement(, mood, p, wp, w)]"},
		{"{" CELL_A "," KEYS(1, 0, 1, 0) STATE_X("[\"x:1\",null,0,0,2,0,0,281474976710656]"),
		 "agg_partial: post 1 is not [id, author, source, engagement(, mood, p, wp, w)]"},
		{"{" CELL_A "," KEYS(1, 0, 1, 0) STATE_X("[\"x:1\",null,0,0,0,0,281474976710657,281474976710656]"),
		 "agg_partial: post 1 is not [id, author, source, engagement(, mood, p, wp, w)]"},
		{"{" CELL_A "," KEYS(2, 0, 2, 0) STATE_X("[\"x:1\",null,0,0],[\"x:1\",\"b\",0,0]"),
		 "agg_partial: post id 'x:1' is listed twice"},
		{"{" CELL_A "," KEYS(2, 0, 1, 0) STATE_X("[\"x:1\",null,0,0]"), "agg_partial: 'posts' does not match the posts in the state"},
		{"{" CELL_A "," KEYS(1, 1, 1, 0) STATE_X("[\"x:1\",null,0,0]"), "agg_partial: 'authors' does not match the posts in the state"},
		{"{" CELL_A "," KEYS(1, 0, 2, 0) STATE_X("[\"x:1\",null,0,0]"), "agg_partial: 'sources' does not match the posts in the state"},
		{"{" CELL_A "," KEYS(1, 0, 1, 5) STATE_X("[\"x:1\",null,0,0]"), "agg_partial: 'engagement' does not match the posts in the state"},
		{"{" CELL_A "," KEYS(1, 0, 1, 0) STATE_X("[\"x:1\",null,0,0,1,0,0,281474976710656]"),
		 "agg_partial: 'sentiment' does not match the posts in the state"},
	};
#undef CELL_A
#undef STATE_X
#undef KEYS
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		p = post(bad[i].json);
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

/* Add a post with a new id (or with id `id` when not NULL) for entity at
 * time at; returns in how many cells its id was counted already. */
static size_t table_add_id(agg_table *t, int64_t at, const char *entity, const int64_t *lens, size_t nlens,
			   const char *id)
{
	static unsigned serial;
	char json[128], scratch[64], err[128];
	agg_contrib k;
	json_t *p;
	size_t held;

	if (id)
		snprintf(json, sizeof json, "{\"id\":\"%s\",\"source\":\"x\",\"author\":\"a\"}", id);
	else
		snprintf(json, sizeof json, "{\"id\":\"x:%u\",\"source\":\"x\",\"author\":\"a\"}", ++serial);
	p = post(json);
	agg_contrib_from_post(&k, p, scratch, sizeof scratch, err, sizeof err);
	held = agg_table_add(t, at, &entity, 1, lens, nlens, &k);
	json_decref(p);
	CHECK(agg_table_check(t), "table invariants after adding %s at %lld", id ? id : "a post", (long long)at);
	return held;
}

static void table_add(agg_table *t, int64_t at, const char *entity, const int64_t *lens, size_t nlens)
{
	table_add_id(t, at, entity, lens, nlens, NULL);
}

static void test_table_streaming(void)
{
	static const int64_t lens[] = {3600, DAY};
	agg_table *t = agg_table_new(1800, 0); /* lateness 30m, cells without posts */
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
	agg_table *t = agg_table_new(AGG_LATENESS_ALL, 1);
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

/* The table counts an id once per cell: a repeat in the same windows adds
 * nothing; the same id at another time counts in the windows it is new to. */
static void test_table_repeats(void)
{
	static const int64_t lens[] = {3600, DAY};
	agg_table *t = agg_table_new(AGG_LATENESS_ALL, 1);
	struct emitted e = {.n = 0};

	CHECK(table_add_id(t, T0 + 10, "GME", lens, 2, "x:r") == 0, "the first copy is new in both windows");
	CHECK(table_add_id(t, T0 + 20, "GME", lens, 2, "x:r") == 2, "a repeat in the same hour and day: held in 2 cells");
	CHECK(table_add_id(t, T0 + 7200, "GME", lens, 2, "x:r") == 1, "two hours later: new to that hour, held by the day");
	CHECK(table_add_id(t, T0 + 30, "AMC", lens, 2, "x:r") == 0, "the same id under another entity is new there");
	agg_table_flush(t, 1, collect, &e);
	CHECK(e.n == 5, "5 cells (got %d)", e.n);
	CHECK(e.n == 5 && strcmp(e.line[0], "1h 2021-01-20T00:00:00Z AMC 1") == 0 &&
		      strcmp(e.line[1], "1h 2021-01-20T00:00:00Z GME 1") == 0 &&
		      strcmp(e.line[2], "1h 2021-01-20T02:00:00Z GME 1") == 0 &&
		      strcmp(e.line[4], "1d 2021-01-20T00:00:00Z GME 1") == 0,
	      "each cell counts x:r once");
	agg_table_free(t);
}

int main(void)
{
	test_contrib();
	test_cell_record();
	test_merge_equals_one_pass(1, 1, 0);
	test_merge_equals_one_pass(200, 3, 0);
	test_merge_equals_one_pass(5000, 7, 0);
	test_merge_equals_one_pass(20000, 16, 0);
	test_merge_equals_one_pass(300, 2, 3);
	test_merge_equals_one_pass(5000, 7, 4);
	test_merge_equals_one_pass(20000, 16, 10);
	test_merge_first_wins();
	test_drop_posts();
	test_double_sums_depend_on_order();
	test_partial_roundtrip();
	test_table_streaming();
	test_table_all_and_merge();
	test_table_repeats();
	return test_report();
}
