/*
 * store.c — the tables herd keeps and how each record kind becomes rows
 * of them; see store.h. The rules (which field goes where, what makes a
 * record unloadable, which model name VADER scores are kept under) are
 * written up for users in docs/storage.md; keep the two in step.
 *
 * Checks are about shape — presence, JSON types, times that parse — not
 * vocabulary: a post type or event type herd-load has not heard of is
 * stored as given, because the program that made it owns that word.
 */
#include "store.h"
#include "lib/buf.h"
#include "lib/htime.h"
#include "lib/jsonx.h"
#include "lib/ndjson.h"
#include "lib/util.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ================================================================ tables */

#define NCOLS(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const struct store_column posts_cols[] = {
	{"id", STORE_TEXT, 1},      {"source", STORE_TEXT, 1}, {"type", STORE_TEXT, 1},
	{"community", STORE_TEXT, 0}, {"created_at", STORE_TIME, 1}, {"author", STORE_TEXT, 0},
	{"title", STORE_TEXT, 0},   {"text", STORE_TEXT, 1},   {"url", STORE_TEXT, 0},
	{"score", STORE_INT, 1},    {"replies", STORE_INT, 1}, {"parent", STORE_TEXT, 0},
	{"lang", STORE_TEXT, 0},
};
static const struct store_column post_entities_cols[] = {
	{"post_id", STORE_TEXT, 1},
	{"entity", STORE_TEXT, 1},
};
static const struct store_column scores_cols[] = {
	{"post_id", STORE_TEXT, 1}, {"model", STORE_TEXT, 1}, {"label", STORE_TEXT, 0},
	{"score", STORE_REAL, 0},   {"confidence", STORE_REAL, 0}, {"probs", STORE_JSON, 0},
	{"neg", STORE_REAL, 0},     {"neu", STORE_REAL, 0},   {"pos", STORE_REAL, 0},
	{"compound", STORE_REAL, 0},
};
static const struct store_column metrics_cols[] = {
	{"source", STORE_TEXT, 1}, {"entity", STORE_TEXT, 1}, {"name", STORE_TEXT, 1},
	{"interval", STORE_TEXT, 1}, {"at", STORE_TIME, 1},   {"key", STORE_TEXT, 1},
	{"value", STORE_REAL, 1},  {"open", STORE_REAL, 0},   {"high", STORE_REAL, 0},
	{"low", STORE_REAL, 0},    {"close", STORE_REAL, 0},  {"volume", STORE_REAL, 0},
};
static const struct store_column aggregates_cols[] = {
	{"entity", STORE_TEXT, 1},     {"window", STORE_TEXT, 1},       {"start", STORE_TIME, 1},
	{"posts", STORE_INT, 1},       {"authors", STORE_INT, 1},       {"sources", STORE_JSON, 0},
	{"sent_n", STORE_INT, 0},      {"sent_mean", STORE_REAL, 0},    {"sent_weighted", STORE_REAL, 0},
	{"bull", STORE_INT, 0},        {"bear", STORE_INT, 0},          {"engagement", STORE_INT, 1},
};
static const struct store_column events_cols[] = {
	{"key", STORE_TEXT, 1},   {"type", STORE_TEXT, 1},     {"entity", STORE_TEXT, 1},
	{"at", STORE_TIME, 1},    {"score", STORE_REAL, 1},    {"severity", STORE_TEXT, 0},
	{"evidence", STORE_JSON, 0},
};
static const struct store_column raw_cols[] = {
	{"source", STORE_TEXT, 1}, {"item", STORE_JSON, 1},    {"fetched_at", STORE_TIME, 1},
	{"query", STORE_TEXT, 0},  {"includes", STORE_JSON, 0},
};

const struct store_table store_tables[STORE_NTABLES] = {
	[STORE_POSTS] = {"posts", posts_cols, NCOLS(posts_cols), 1, 0},
	[STORE_POST_ENTITIES] = {"post_entities", post_entities_cols, NCOLS(post_entities_cols), 2, 1},
	[STORE_SCORES] = {"scores", scores_cols, NCOLS(scores_cols), 2, 0},
	[STORE_METRICS] = {"metrics", metrics_cols, NCOLS(metrics_cols), 6, 0},
	[STORE_AGGREGATES] = {"aggregates", aggregates_cols, NCOLS(aggregates_cols), 3, 0},
	[STORE_EVENTS] = {"events", events_cols, NCOLS(events_cols), 1, 0},
	[STORE_RAW] = {"raw", raw_cols, NCOLS(raw_cols), 2, 0},
};

/* ================================================================ rows */

/* VADER's own label thresholds on compound (vaderSentiment's README, and
 * docs/records.md for --model vader): >= 0.05 positive, <= -0.05 negative. */
#define VADER_POS_THRESHOLD 0.05
#define VADER_NEG_THRESHOLD (-0.05)

void store_rows_init(store_rows *r)
{
	memset(r, 0, sizeof *r);
}

void store_rows_reset(store_rows *r)
{
	for (int i = 0; i < r->nowned; i++)
		free(r->owned[i]);
	r->nowned = 0;
	r->n = 0;
	r->ngroups = 0;
}

void store_rows_free(store_rows *r)
{
	store_rows_reset(r);
	free(r->rows);
	free(r->groups);
	free(r->owned);
	store_rows_init(r);
}

static store_row *new_row(store_row **rows, int *n, int *cap, int table)
{
	store_row *row;

	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 8;
		*rows = xrealloc(*rows, (size_t)*cap * sizeof **rows);
	}
	row = &(*rows)[(*n)++];
	memset(row, 0, sizeof *row); /* every value STORE_V_NULL */
	row->table = table;
	return row;
}

static store_row *add_row(store_rows *r, int table)
{
	return new_row(&r->rows, &r->n, &r->cap, table);
}

static store_row *add_group(store_rows *r, int table)
{
	return new_row(&r->groups, &r->ngroups, &r->capgroups, table);
}

static const char *own(store_rows *r, char *s)
{
	if (r->nowned == r->capowned) {
		r->capowned = r->capowned ? r->capowned * 2 : 8;
		r->owned = xrealloc(r->owned, (size_t)r->capowned * sizeof *r->owned);
	}
	r->owned[r->nowned++] = s;
	return s;
}

static void set_text(store_value *v, const char *s, size_t n)
{
	v->t = STORE_V_TEXT;
	v->s = s;
	v->n = n;
}

static void set_int(store_value *v, long long i)
{
	v->t = STORE_V_INT;
	v->i = i;
}

static void set_real(store_value *v, double d)
{
	v->t = STORE_V_REAL;
	v->r = d;
}

/* The checks below fill one of these and return -1 on the first fault. */
struct check {
	store_rows *out;
	char *err;
	size_t errlen;
	const char *prefix; /* "" or "sentiment." for nested fields */
};

/* fault(c, fmt, …): the reason, -1. */
#define fault(c, ...) herd_errf((c)->err, (c)->errlen, __VA_ARGS__)

enum { OPTIONAL = 0, REQUIRED = 1 };

/* Whether field key (j) has a value to read: 1 when it has, 0 when it is
 * absent or null and optional, -1 (a fault) when it is required. */
static int present(struct check *c, const json_t *j, const char *key, int req)
{
	if (j && !json_is_null(j))
		return 1;
	return req ? fault(c, "field '%s%s' is %s", c->prefix, key, j ? "null" : "missing") : 0;
}

/* A string field into v: REQUIRED ones must be present and non-empty
 * (text may be empty: allow_empty); optional ones may be absent or null. */
static int get_str(struct check *c, const json_t *obj, const char *key, int req, int allow_empty, store_value *v)
{
	json_t *j = json_object_get(obj, key);
	int p;

	if ((p = present(c, j, key, req)) <= 0)
		return p;
	if (!json_is_string(j))
		return fault(c, "field '%s%s' is %s, not a string", c->prefix, key, jx_type_name_a(j));
	if (req && !allow_empty && json_string_length(j) == 0)
		return fault(c, "field '%s%s' is empty", c->prefix, key);
	set_text(v, json_string_value(j), json_string_length(j));
	return 0;
}

/* A time field, stored in its canonical form "2021-01-27T14:03:00Z". */
static int get_time(struct check *c, const json_t *obj, const char *key, store_value *v)
{
	json_t *j = json_object_get(obj, key);
	char buf[HTIME_LEN];
	int64_t t;
	int p;

	if ((p = present(c, j, key, REQUIRED)) <= 0)
		return p;
	if (!json_is_string(j))
		return fault(c, "field '%s%s' is %s, not a time string", c->prefix, key, jx_type_name_a(j));
	if (htime_parse(json_string_value(j), &t) < 0)
		return fault(c, "field '%s%s' is '%.40s', not a time", c->prefix, key, json_string_value(j));
	htime_format(t, buf);
	set_text(v, own(c->out, xstrdup(buf)), strlen(buf));
	return 0;
}

static int get_int(struct check *c, const json_t *obj, const char *key, int req, store_value *v)
{
	json_t *j = json_object_get(obj, key);
	long long i;
	int p;

	if ((p = present(c, j, key, req)) <= 0)
		return p;
	if (!jx_int(obj, key, &i))
		return fault(c, "field '%s%s' is %s, not an integer", c->prefix, key,
			     json_is_number(j) ? "a fraction" : jx_type_name_a(j));
	set_int(v, i);
	return 0;
}

static int get_real(struct check *c, const json_t *obj, const char *key, int req, store_value *v)
{
	json_t *j = json_object_get(obj, key);
	int p;

	if ((p = present(c, j, key, req)) <= 0)
		return p;
	if (!json_is_number(j))
		return fault(c, "field '%s%s' is %s, not a number", c->prefix, key, jx_type_name_a(j));
	set_real(v, json_number_value(j));
	return 0;
}

/* An object field, kept whole as compact JSON text. *objp (if given) gets
 * the object, or NULL when absent or null. */
static int get_object(struct check *c, const json_t *obj, const char *key, int req, store_value *v,
		      json_t **objp)
{
	json_t *j = json_object_get(obj, key);
	buf_t b = BUF_INIT;
	int p;

	if (objp)
		*objp = NULL;
	if ((p = present(c, j, key, req)) <= 0)
		return p;
	if (!json_is_object(j))
		return fault(c, "field '%s%s' is %s, not an object", c->prefix, key, jx_type_name_a(j));
	if (objp)
		*objp = j;
	if (v) {
		size_t n;

		ndjson_dump(&b, j);
		n = b.len;
		set_text(v, own(c->out, buf_steal(&b)), n);
	}
	return 0;
}

/* ---------------------------------------------------------------- post */

/* Column indexes, in store_tables order. */
enum { P_ID, P_SOURCE, P_TYPE, P_COMMUNITY, P_CREATED_AT, P_AUTHOR, P_TITLE, P_TEXT, P_URL, P_SCORE,
       P_REPLIES, P_PARENT, P_LANG };
enum { S_POST_ID, S_MODEL, S_LABEL, S_SCORE, S_CONFIDENCE, S_PROBS, S_NEG, S_NEU, S_POS, S_COMPOUND };

static int post_entities(struct check *c, const json_t *rec, const store_value *id)
{
	json_t *ents = json_object_get(rec, "entities");
	store_row *g = add_group(c->out, STORE_POST_ENTITIES);
	size_t i;
	json_t *e;

	g->v[0] = *id;
	if (!ents || json_is_null(ents))
		return 0;
	if (!json_is_array(ents))
		return fault(c, "field 'entities' is %s, not an array", jx_type_name_a(ents));
	json_array_foreach(ents, i, e) {
		int dup = 0;

		if (!json_is_string(e) || json_string_length(e) == 0)
			return fault(c, "field 'entities[%zu]' is %s, not a name", i,
				     json_is_string(e) ? "empty" : jx_type_name_a(e));
		for (int k = 0; k < c->out->n && !dup; k++) {
			const store_row *r = &c->out->rows[k];
			dup = r->table == STORE_POST_ENTITIES && r->v[1].n == json_string_length(e) &&
			      memcmp(r->v[1].s, json_string_value(e), r->v[1].n) == 0;
		}
		if (!dup) {
			store_row *r = add_row(c->out, STORE_POST_ENTITIES);
			r->v[0] = *id;
			set_text(&r->v[1], json_string_value(e), json_string_length(e));
		}
	}
	return 0;
}

static int is_vader_model(const store_value *model)
{
	return model->n >= 5 && memcmp(model->s, "vader", 5) == 0 && (model->n == 5 || model->s[5] == '@');
}

/* sentiment → a scores row under its model; vader → the same row when that
 * model is VADER, else a row of its own under the model name "vader". */
static int post_scores(struct check *c, const json_t *rec, const store_value *id)
{
	json_t *sent = json_object_get(rec, "sentiment");
	json_t *vader = json_object_get(rec, "vader");
	store_row *srow = NULL, *vrow;
	int own_row = 1; /* the vader row is not the sentiment row */

	if (sent && !json_is_null(sent)) {
		if (!json_is_object(sent))
			return fault(c, "field 'sentiment' is %s, not an object", jx_type_name_a(sent));
		srow = add_row(c->out, STORE_SCORES);
		srow->v[S_POST_ID] = *id;
		c->prefix = "sentiment.";
		if (get_str(c, sent, "model", REQUIRED, 0, &srow->v[S_MODEL]) ||
		    get_str(c, sent, "label", REQUIRED, 0, &srow->v[S_LABEL]) ||
		    get_real(c, sent, "score", REQUIRED, &srow->v[S_SCORE]) ||
		    get_real(c, sent, "confidence", OPTIONAL, &srow->v[S_CONFIDENCE]) ||
		    get_object(c, sent, "probs", OPTIONAL, &srow->v[S_PROBS], NULL))
			return -1;
		c->prefix = "";
	}
	if (!vader || json_is_null(vader))
		return 0;
	if (!json_is_object(vader))
		return fault(c, "field 'vader' is %s, not an object", jx_type_name_a(vader));
	if (srow && is_vader_model(&srow->v[S_MODEL])) {
		vrow = srow;
		own_row = 0;
	} else { /* srow (if any) is not used after this: add_row may move it */
		vrow = add_row(c->out, STORE_SCORES);
		vrow->v[S_POST_ID] = *id;
		set_text(&vrow->v[S_MODEL], "vader", 5);
	}
	c->prefix = "vader.";
	if (get_real(c, vader, "neg", REQUIRED, &vrow->v[S_NEG]) || get_real(c, vader, "neu", REQUIRED, &vrow->v[S_NEU]) ||
	    get_real(c, vader, "pos", REQUIRED, &vrow->v[S_POS]) ||
	    get_real(c, vader, "compound", REQUIRED, &vrow->v[S_COMPOUND]))
		return -1;
	c->prefix = "";
	if (own_row) {
		double cpd = vrow->v[S_COMPOUND].r;
		const char *label = cpd >= VADER_POS_THRESHOLD   ? "positive"
				    : cpd <= VADER_NEG_THRESHOLD ? "negative"
								 : "neutral";
		set_text(&vrow->v[S_LABEL], label, strlen(label));
		set_real(&vrow->v[S_SCORE], cpd);
		set_real(&vrow->v[S_CONFIDENCE], fabs(cpd));
	}
	return 0;
}

static int from_post(struct check *c, const json_t *rec)
{
	store_row *p = add_row(c->out, STORE_POSTS);
	json_t *eng;

	if (get_str(c, rec, "id", REQUIRED, 0, &p->v[P_ID]) || get_str(c, rec, "source", REQUIRED, 0, &p->v[P_SOURCE]) ||
	    get_str(c, rec, "type", REQUIRED, 0, &p->v[P_TYPE]) ||
	    get_str(c, rec, "community", OPTIONAL, 0, &p->v[P_COMMUNITY]) ||
	    get_time(c, rec, "created_at", &p->v[P_CREATED_AT]) ||
	    get_str(c, rec, "author", OPTIONAL, 0, &p->v[P_AUTHOR]) ||
	    get_str(c, rec, "title", OPTIONAL, 0, &p->v[P_TITLE]) ||
	    get_str(c, rec, "text", REQUIRED, 1, &p->v[P_TEXT]) || get_str(c, rec, "url", OPTIONAL, 0, &p->v[P_URL]) ||
	    get_str(c, rec, "parent", OPTIONAL, 0, &p->v[P_PARENT]) ||
	    get_str(c, rec, "lang", OPTIONAL, 0, &p->v[P_LANG]) || get_object(c, rec, "engagement", OPTIONAL, NULL, &eng))
		return -1;
	set_int(&p->v[P_SCORE], 0);
	set_int(&p->v[P_REPLIES], 0);
	if (eng) {
		c->prefix = "engagement.";
		if (get_int(c, eng, "score", OPTIONAL, &p->v[P_SCORE]) ||
		    get_int(c, eng, "replies", OPTIONAL, &p->v[P_REPLIES]))
			return -1;
		c->prefix = "";
		if (p->v[P_SCORE].t == STORE_V_NULL)
			set_int(&p->v[P_SCORE], 0);
		if (p->v[P_REPLIES].t == STORE_V_NULL)
			set_int(&p->v[P_REPLIES], 0);
	}
	/* p may move when rows grow: keep the id by value. */
	store_value id = p->v[P_ID];
	return post_entities(c, rec, &id) || post_scores(c, rec, &id) ? -1 : 0;
}

/* ---------------------------------------------------------------- metric */

static int from_metric(struct check *c, const json_t *rec)
{
	static const char *bar[] = {"open", "high", "low", "close", "volume"};
	store_row *m = add_row(c->out, STORE_METRICS);

	if (get_str(c, rec, "source", REQUIRED, 0, &m->v[0]) || get_str(c, rec, "entity", REQUIRED, 0, &m->v[1]) ||
	    get_str(c, rec, "name", REQUIRED, 0, &m->v[2]) || get_str(c, rec, "interval", OPTIONAL, 0, &m->v[3]) ||
	    get_time(c, rec, "at", &m->v[4]) || get_str(c, rec, "key", OPTIONAL, 0, &m->v[5]) ||
	    get_real(c, rec, "value", REQUIRED, &m->v[6]))
		return -1;
	if (m->v[3].t == STORE_V_NULL) /* part of the key: "" stands for none */
		set_text(&m->v[3], "", 0);
	if (m->v[5].t == STORE_V_NULL) /* likewise: a sample, not an event */
		set_text(&m->v[5], "", 0);
	for (int i = 0; i < 5; i++)
		if (get_real(c, rec, bar[i], OPTIONAL, &m->v[7 + i]))
			return -1;
	return 0;
}

/* ---------------------------------------------------------------- agg */

static int from_agg(struct check *c, const json_t *rec)
{
	store_row *a = add_row(c->out, STORE_AGGREGATES);
	json_t *sent;

	if (get_str(c, rec, "entity", REQUIRED, 0, &a->v[0]) || get_str(c, rec, "window", REQUIRED, 0, &a->v[1]))
		return -1;
	if (htime_parse_duration(a->v[1].s) < 0)
		return fault(c, "field 'window' is '%.20s', not a duration (like 15m, 1h, 1d)", a->v[1].s);
	if (get_time(c, rec, "start", &a->v[2]) || get_int(c, rec, "posts", REQUIRED, &a->v[3]) ||
	    get_int(c, rec, "authors", REQUIRED, &a->v[4]) || get_object(c, rec, "sources", OPTIONAL, &a->v[5], NULL) ||
	    get_object(c, rec, "sentiment", OPTIONAL, NULL, &sent) || get_int(c, rec, "engagement", REQUIRED, &a->v[11]))
		return -1;
	if (sent) {
		c->prefix = "sentiment.";
		if (get_int(c, sent, "n", REQUIRED, &a->v[6]) || get_real(c, sent, "mean", REQUIRED, &a->v[7]) ||
		    get_real(c, sent, "weighted", REQUIRED, &a->v[8]) || get_int(c, sent, "bull", REQUIRED, &a->v[9]) ||
		    get_int(c, sent, "bear", REQUIRED, &a->v[10]))
			return -1;
		c->prefix = "";
	}
	return 0;
}

/* ---------------------------------------------------------------- event */

static int from_event(struct check *c, const json_t *rec)
{
	store_row *e = add_row(c->out, STORE_EVENTS);

	return get_str(c, rec, "key", REQUIRED, 0, &e->v[0]) || get_str(c, rec, "type", REQUIRED, 0, &e->v[1]) ||
			       get_str(c, rec, "entity", REQUIRED, 0, &e->v[2]) || get_time(c, rec, "at", &e->v[3]) ||
			       get_real(c, rec, "score", REQUIRED, &e->v[4]) ||
			       get_str(c, rec, "severity", OPTIONAL, 0, &e->v[5]) ||
			       get_object(c, rec, "evidence", OPTIONAL, &e->v[6], NULL)
		       ? -1
		       : 0;
}

/* ---------------------------------------------------------------- raw */

static int from_raw(struct check *c, const json_t *rec)
{
	store_row *r = add_row(c->out, STORE_RAW);

	return get_str(c, rec, "source", REQUIRED, 0, &r->v[0]) || get_object(c, rec, "item", REQUIRED, &r->v[1], NULL) ||
			       get_time(c, rec, "fetched_at", &r->v[2]) || get_str(c, rec, "query", OPTIONAL, 0, &r->v[3]) ||
			       get_object(c, rec, "includes", OPTIONAL, &r->v[4], NULL)
		       ? -1
		       : 0;
}

/* ---------------------------------------------------------------- dispatch */

int store_rows_from_record(store_rows *out, const json_t *rec, int flags, char *err, size_t errlen)
{
	struct check c = {out, err, errlen, ""};
	json_t *k = json_object_get(rec, "kind");
	const char *kind;

	if (!k)
		return fault(&c, "record has no 'kind'");
	if (!json_is_string(k))
		return fault(&c, "field 'kind' is %s, not a string", jx_type_name_a(k));
	kind = json_string_value(k);
	if (strcmp(kind, "post") == 0)
		return from_post(&c, rec);
	if (strcmp(kind, "metric") == 0)
		return from_metric(&c, rec);
	if (strcmp(kind, "agg") == 0)
		return from_agg(&c, rec);
	if (strcmp(kind, "event") == 0)
		return from_event(&c, rec);
	if (strcmp(kind, "raw") == 0) {
		if (flags & STORE_KEEP_RAW)
			return from_raw(&c, rec);
		return fault(&c, "a raw record: normalize it first (herd-normalize), or keep it as is with --keep-raw");
	}
	if (strcmp(kind, "agg_partial") == 0)
		return fault(&c, "an agg_partial record is herd-aggregate's internal state: "
				 "combine the partials first (herd-aggregate --merge)");
	return fault(&c, "unknown kind '%.40s' (herd-load takes post, metric, agg, event, and raw with --keep-raw)",
		     kind);
}
