/*
 * test_store.c — records into rows (src/store/store.c): which table and
 * column each field lands in, the VADER model naming rule, set groups,
 * and the reason given for each kind of unloadable record.
 */
#include "lib/jsonx.h"
#include "store/store.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>

static json_t *parse(const char *s)
{
	json_t *v = jx_parse(s, strlen(s), NULL, 0);

	if (!v) {
		fprintf(stderr, "bad test JSON: %s\n", s);
		exit(2);
	}
	return v;
}

static int col(int table, const char *name)
{
	for (int i = 0; i < store_tables[table].ncols; i++)
		if (strcmp(store_tables[table].cols[i].name, name) == 0)
			return i;
	fprintf(stderr, "no column %s in %s\n", name, store_tables[table].name);
	exit(2);
}

/* The value of column name in the k-th row of table (NULL when none). */
static const store_value *value(const store_rows *r, int table, int k, const char *name)
{
	for (int i = 0; i < r->n; i++)
		if (r->rows[i].table == table && k-- == 0)
			return &r->rows[i].v[col(table, name)];
	return NULL;
}

static int nrows(const store_rows *r, int table)
{
	int n = 0;

	for (int i = 0; i < r->n; i++)
		n += r->rows[i].table == table;
	return n;
}

static int text_is(const store_value *v, const char *s)
{
	return v && v->t == STORE_V_TEXT && v->n == strlen(s) && memcmp(v->s, s, v->n) == 0;
}

/* Records that must be rejected, with the reason each gets. */
static const struct {
	const char *rec, *reason;
} bad[] = {
	{"{\"id\":\"a\"}", "record has no 'kind'"},
	{"{\"kind\":3}", "field 'kind' is a number, not a string"},
	{"{\"kind\":\"tweet\"}", "unknown kind 'tweet' (herd-load takes post, metric, agg, event, and raw with --keep-raw)"},
	{"{\"kind\":\"agg_partial\",\"entity\":\"GME\"}",
	 "an agg_partial record is herd-aggregate's internal state: combine the partials first (herd-aggregate --merge)"},
	{"{\"kind\":\"raw\",\"source\":\"x\",\"fetched_at\":\"2021-01-01T00:00:00Z\",\"item\":{}}",
	 "a raw record: normalize it first (herd-normalize), or keep it as is with --keep-raw"},
	{"{\"kind\":\"post\",\"source\":\"reddit\",\"type\":\"comment\",\"created_at\":\"2021-01-27T14:03:00Z\",\"text\":\"\"}",
	 "field 'id' is missing"},
	{"{\"kind\":\"post\",\"id\":\"\",\"source\":\"reddit\",\"type\":\"comment\",\"created_at\":\"2021-01-27T14:03:00Z\",\"text\":\"\"}",
	 "field 'id' is empty"},
	{"{\"kind\":\"post\",\"id\":7,\"source\":\"reddit\",\"type\":\"comment\",\"created_at\":\"2021-01-27T14:03:00Z\",\"text\":\"\"}",
	 "field 'id' is a number, not a string"},
	{"{\"kind\":\"post\",\"id\":\"r:1\",\"source\":\"reddit\",\"type\":\"comment\",\"created_at\":\"yesterday\",\"text\":\"\"}",
	 "field 'created_at' is 'yesterday', not a time"},
	{"{\"kind\":\"post\",\"id\":\"r:1\",\"source\":\"reddit\",\"type\":\"comment\",\"created_at\":1611756180,\"text\":\"\"}",
	 "field 'created_at' is a number, not a time string"},
	{"{\"kind\":\"post\",\"id\":\"r:1\",\"source\":\"reddit\",\"type\":\"comment\",\"created_at\":\"2021-01-27T14:03:00Z\"}",
	 "field 'text' is missing"},
	{"{\"kind\":\"post\",\"id\":\"r:1\",\"source\":\"reddit\",\"type\":\"comment\",\"created_at\":\"2021-01-27T14:03:00Z\",\"text\":\"\","
	 "\"engagement\":{\"score\":1.5}}",
	 "field 'engagement.score' is a fraction, not an integer"},
	{"{\"kind\":\"post\",\"id\":\"r:1\",\"source\":\"reddit\",\"type\":\"comment\",\"created_at\":\"2021-01-27T14:03:00Z\",\"text\":\"\","
	 "\"entities\":\"GME\"}",
	 "field 'entities' is a string, not an array"},
	{"{\"kind\":\"post\",\"id\":\"r:1\",\"source\":\"reddit\",\"type\":\"comment\",\"created_at\":\"2021-01-27T14:03:00Z\",\"text\":\"\","
	 "\"entities\":[\"GME\",7]}",
	 "field 'entities[1]' is a number, not a name"},
	{"{\"kind\":\"post\",\"id\":\"r:1\",\"source\":\"reddit\",\"type\":\"comment\",\"created_at\":\"2021-01-27T14:03:00Z\",\"text\":\"\","
	 "\"sentiment\":{\"model\":\"finbert@1a2b3c4d\",\"label\":\"positive\"}}",
	 "field 'sentiment.score' is missing"},
	{"{\"kind\":\"post\",\"id\":\"r:1\",\"source\":\"reddit\",\"type\":\"comment\",\"created_at\":\"2021-01-27T14:03:00Z\",\"text\":\"\","
	 "\"vader\":{\"neg\":0,\"neu\":1,\"pos\":0,\"compound\":\"0\"}}",
	 "field 'vader.compound' is a string, not a number"},
	{"{\"kind\":\"metric\",\"source\":\"yahoo\",\"entity\":\"GME\",\"at\":\"2021-01-27T00:00:00Z\",\"name\":\"bar\"}",
	 "field 'value' is missing"},
	{"{\"kind\":\"agg\",\"entity\":\"GME\",\"window\":\"hourly\",\"start\":\"2021-01-27T14:00:00Z\",\"posts\":1,\"authors\":1,"
	 "\"engagement\":0}",
	 "field 'window' is 'hourly', not a duration (like 15m, 1h, 1d)"},
	{"{\"kind\":\"agg\",\"entity\":\"GME\",\"window\":\"1h\",\"start\":\"2021-01-27T14:00:00Z\",\"posts\":1,\"authors\":1,"
	 "\"engagement\":0,\"sentiment\":{\"n\":1,\"mean\":0.1,\"weighted\":0.1,\"bull\":1}}",
	 "field 'sentiment.bear' is missing"},
	{"{\"kind\":\"event\",\"type\":\"cascade\",\"entity\":\"GME\",\"at\":\"2021-01-22T00:00:00Z\",\"score\":7.4}",
	 "field 'key' is missing"},
	{"{\"kind\":\"event\",\"type\":\"cascade\",\"entity\":\"GME\",\"at\":\"2021-01-22T00:00:00Z\",\"key\":\"k\",\"score\":7.4,"
	 "\"evidence\":[1]}",
	 "field 'evidence' is an array, not an object"},
};

int main(void)
{
	store_rows r;
	char err[512];
	json_t *rec;

	store_rows_init(&r);

	/* Every table's key columns come first and are NOT NULL; a set
	 * table's key is its group plus one column. */
	for (int t = 0; t < STORE_NTABLES; t++) {
		const struct store_table *tb = &store_tables[t];
		CHECK(tb->ncols <= STORE_MAX_COLS, "%s fits in a row", tb->name);
		for (int i = 0; i < tb->nkey; i++)
			CHECK(tb->cols[i].notnull, "key column %s.%s is NOT NULL", tb->name, tb->cols[i].name);
		CHECK(!tb->ngroup || tb->nkey == tb->ngroup + 1, "set table %s: key is group + 1", tb->name);
	}

	/* A scored post from the records.md example. */
	rec = parse("{\"kind\":\"post\",\"id\":\"reddit:t1_gl3x1a\",\"source\":\"reddit\",\"type\":\"comment\","
		    "\"community\":\"wallstreetbets\",\"created_at\":\"2021-01-27T14:03:00Z\",\"author\":\"bob\",\"title\":null,"
		    "\"text\":\"GME to the moon\",\"url\":null,\"engagement\":{\"score\":12,\"replies\":0},"
		    "\"entities\":[\"GME\",\"AMC\",\"GME\"],\"parent\":\"reddit:t3_l6abc\",\"lang\":null,"
		    "\"sentiment\":{\"model\":\"finbert@1a2b3c4d\",\"label\":\"positive\",\"probs\":{\"positive\":0.91,"
		    "\"negative\":0.02,\"neutral\":0.07},\"score\":0.89,\"confidence\":0.91},"
		    "\"vader\":{\"neg\":0.0,\"neu\":0.58,\"pos\":0.42,\"compound\":-0.6249}}");
	CHECK(store_rows_from_record(&r, rec, 0, err, sizeof err) == 0, "a full post loads (%s)", err);
	CHECK(nrows(&r, STORE_POSTS) == 1, "one posts row");
	CHECK(text_is(value(&r, STORE_POSTS, 0, "id"), "reddit:t1_gl3x1a"), "post id");
	CHECK(text_is(value(&r, STORE_POSTS, 0, "created_at"), "2021-01-27T14:03:00Z"), "created_at");
	CHECK(value(&r, STORE_POSTS, 0, "title")->t == STORE_V_NULL, "null title is NULL");
	CHECK(value(&r, STORE_POSTS, 0, "score")->i == 12, "engagement.score -> score");
	CHECK(nrows(&r, STORE_POST_ENTITIES) == 2, "entities deduplicated: %d rows", nrows(&r, STORE_POST_ENTITIES));
	CHECK(r.ngroups == 1 && r.groups[0].table == STORE_POST_ENTITIES && text_is(&r.groups[0].v[0], "reddit:t1_gl3x1a"),
	      "the post's entity set is a group");
	CHECK(nrows(&r, STORE_SCORES) == 2, "BERT and VADER: two scores rows");
	CHECK(text_is(value(&r, STORE_SCORES, 0, "model"), "finbert@1a2b3c4d"), "sentiment row under its model");
	CHECK(text_is(value(&r, STORE_SCORES, 0, "probs"), "{\"positive\":0.91,\"negative\":0.02,\"neutral\":0.07}"),
	      "probs kept as compact JSON");
	CHECK(value(&r, STORE_SCORES, 0, "compound")->t == STORE_V_NULL, "no VADER values on the BERT row");
	CHECK(text_is(value(&r, STORE_SCORES, 1, "model"), "vader"), "vader row under \"vader\"");
	CHECK(text_is(value(&r, STORE_SCORES, 1, "label"), "negative"), "vader row label from compound");
	CHECK(value(&r, STORE_SCORES, 1, "score")->r == -0.6249, "vader row score is compound");
	CHECK(value(&r, STORE_SCORES, 1, "confidence")->r == 0.6249, "vader row confidence is |compound|");
	json_decref(rec);

	/* herd-score --model vader alone: one row, under the VADER sentiment's model. */
	store_rows_reset(&r);
	rec = parse("{\"kind\":\"post\",\"id\":\"x:1\",\"source\":\"x\",\"type\":\"tweet\",\"created_at\":\"2021-01-27T14:03:00Z\","
		    "\"text\":\"ok\",\"sentiment\":{\"model\":\"vader@3.3.2\",\"label\":\"neutral\",\"score\":0.02,"
		    "\"confidence\":0.02},\"vader\":{\"neg\":0.1,\"neu\":0.8,\"pos\":0.1,\"compound\":0.02}}");
	CHECK(store_rows_from_record(&r, rec, 0, err, sizeof err) == 0, "a VADER-scored post loads (%s)", err);
	CHECK(nrows(&r, STORE_SCORES) == 1, "VADER sentiment and components share a row");
	CHECK(text_is(value(&r, STORE_SCORES, 0, "model"), "vader@3.3.2"), "…under vader@3.3.2");
	CHECK(value(&r, STORE_SCORES, 0, "neu")->r == 0.8, "…holding the components");
	CHECK(nrows(&r, STORE_POST_ENTITIES) == 0 && r.ngroups == 1, "no entities still replaces the set");
	CHECK(value(&r, STORE_POSTS, 0, "score")->i == 0, "absent engagement counts 0");
	json_decref(rec);

	/* Times are stored in canonical form whatever form parsed. */
	store_rows_reset(&r);
	rec = parse("{\"kind\":\"metric\",\"source\":\"wikipedia\",\"entity\":\"GME\",\"at\":\"2021-01-27 00:00:00\","
		    "\"name\":\"pageviews\",\"value\":5}");
	CHECK(store_rows_from_record(&r, rec, 0, err, sizeof err) == 0, "a metric loads (%s)", err);
	CHECK(text_is(value(&r, STORE_METRICS, 0, "at"), "2021-01-27T00:00:00Z"), "time made canonical");
	CHECK(text_is(value(&r, STORE_METRICS, 0, "interval"), ""), "no interval is \"\" (part of the key)");
	CHECK(value(&r, STORE_METRICS, 0, "value")->t == STORE_V_REAL, "an integer value is stored as a real");
	json_decref(rec);

	/* An agg with null sentiment. */
	store_rows_reset(&r);
	rec = parse("{\"kind\":\"agg\",\"entity\":\"GME\",\"window\":\"1h\",\"start\":\"2021-01-27T14:00:00Z\",\"posts\":3,"
		    "\"authors\":2,\"sources\":{\"reddit/wallstreetbets\":3},\"sentiment\":null,\"engagement\":9}");
	CHECK(store_rows_from_record(&r, rec, 0, err, sizeof err) == 0, "an agg loads (%s)", err);
	CHECK(value(&r, STORE_AGGREGATES, 0, "sent_mean")->t == STORE_V_NULL, "null sentiment: NULL mean");
	CHECK(text_is(value(&r, STORE_AGGREGATES, 0, "sources"), "{\"reddit/wallstreetbets\":3}"), "sources as JSON");
	json_decref(rec);

	/* raw with --keep-raw. */
	store_rows_reset(&r);
	rec = parse("{\"kind\":\"raw\",\"source\":\"x\",\"fetched_at\":\"2021-01-27T14:05:00Z\",\"query\":null,"
		    "\"item\":{\"id\":\"1\",\"text\":\"hi\"},\"includes\":{\"users\":[]}}");
	CHECK(store_rows_from_record(&r, rec, STORE_KEEP_RAW, err, sizeof err) == 0, "raw loads with --keep-raw (%s)", err);
	CHECK(text_is(value(&r, STORE_RAW, 0, "item"), "{\"id\":\"1\",\"text\":\"hi\"}"), "the item kept whole");
	json_decref(rec);

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		store_rows_reset(&r);
		rec = parse(bad[i].rec);
		err[0] = '\0';
		CHECK(store_rows_from_record(&r, rec, 0, err, sizeof err) < 0 && strcmp(err, bad[i].reason) == 0,
		      "bad record %zu: got \"%s\", want \"%s\"", i, err, bad[i].reason);
		json_decref(rec);
	}

	store_rows_free(&r);
	return test_report();
}
