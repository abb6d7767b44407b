/*
 * detect.c — the run context shared by herd-detect's detectors: parsing
 * the records they read, the event list and its dedup against the state,
 * --explain, and a name table; see detect.h.
 */
#include "detect.h"
#include "state.h"

#include "lib/htime.h"
#include "lib/jsonx.h"
#include "lib/log.h"
#include "lib/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ options */

void detect_opts_default(detect_opts_t *o)
{
	memset(o, 0, sizeof *o);
	o->run = DETECT_CASCADE | DETECT_SIGNAL | DETECT_HEAT;
	o->window = 3600;
	o->false_alarms = 0.5;
	o->shift = 2.0;
	o->critical = 3.0;
	o->market = 1;
	o->season = 1;
	o->halflife = 7 * 86400;
	o->min_history = 3 * 86400;
	o->min_posts = 20;
	o->min_sources = -1;
	o->source_min = 5;
	o->source_z = 2.0;
	o->cold_share = 0.10;
	o->growth = 1.5;
	o->peak_drop = 0.2;
	o->fade = 0.5;
	o->min_align = 0;
	o->lookback = 6 * 3600;
	o->min_confidence = 0.6;
	o->min_score = 0.3;
	o->expiry = 7 * 86400;
	o->news = "article";
	o->bar_interval = 86400;
	o->min_heat = 3.0;
	o->heat_min_count = 10;
	o->heat_min_streams = 2;
}

/* ------------------------------------------------------------------ parsing */

static int get_time(stream_t *s, const json_t *rec, const char *key, int64_t *out)
{
	json_t *v = json_object_get(rec, key);

	if (!v)
		return stream_reject(s, "field '%s' is missing", key);
	if (htime_from_json(v, out) < 0)
		return json_is_string(v) ? stream_reject(s, "field '%s' is '%.40s', not a time", key, json_string_value(v))
					 : stream_reject(s, "field '%s' is %s, not a time", key, jx_type_name(v));
	return 0;
}

static int get_string(stream_t *s, const json_t *rec, const char *key, const char **out)
{
	json_t *v = json_object_get(rec, key);

	if (!v)
		return stream_reject(s, "field '%s' is missing", key);
	if (!json_is_string(v) || json_string_length(v) == 0)
		return stream_reject(s, "field '%s' is %s, not a non-empty string", key, jx_type_name(v));
	*out = json_string_value(v);
	return 0;
}

static int get_count(stream_t *s, const json_t *obj, const char *key, long *out, int required)
{
	json_t *v = json_object_get(obj, key);
	long long n;

	if (!v || json_is_null(v)) {
		*out = 0;
		return required ? stream_reject(s, "field '%s' is missing", key) : 0;
	}
	if (!jx_int(obj, key, &n) || n < 0)
		return stream_reject(s, "field '%s' is %s, not a count", key,
				     json_is_number(v) ? "a negative or fractional number" : jx_type_name(v));
	*out = (long)n;
	return 0;
}

int detect_parse_agg(stream_t *s, const json_t *rec, detect_agg_t *a)
{
	const char *w;
	json_t *v;

	memset(a, 0, sizeof *a);
	if (get_string(s, rec, "entity", &a->entity) < 0 || get_string(s, rec, "window", &w) < 0)
		return -1;
	if ((a->len = htime_parse_duration(w)) < 0)
		return stream_reject(s, "field 'window' is '%s', not a duration", w);
	if (get_time(s, rec, "start", &a->start) < 0 || get_count(s, rec, "posts", &a->posts, 1) < 0 ||
	    get_count(s, rec, "authors", &a->authors, 0) < 0)
		return -1;
	v = json_object_get(rec, "sources");
	if (v && !json_is_null(v)) {
		const char *k;
		json_t *n;

		if (!json_is_object(v))
			return stream_reject(s, "field 'sources' is %s, not an object", jx_type_name(v));
		json_object_foreach(v, k, n) {
			if (!json_is_integer(n) || json_integer_value(n) < 0)
				return stream_reject(s, "sources.%s is %s, not a count", k, jx_type_name(n));
		}
		a->sources = v;
	}
	v = json_object_get(rec, "sentiment");
	if (v && !json_is_null(v)) {
		if (!json_is_object(v))
			return stream_reject(s, "field 'sentiment' is %s, not an object", jx_type_name(v));
		if (get_count(s, v, "n", &a->sent_n, 0) < 0 || get_count(s, v, "bull", &a->bull, 0) < 0 ||
		    get_count(s, v, "bear", &a->bear, 0) < 0)
			return -1;
		a->sent_mean = jx_num(v, "mean", 0);
		a->has_sentiment = 1;
	}
	return 0;
}

int detect_parse_metric(stream_t *s, const json_t *rec, detect_metric_t *m)
{
	const char *iv;
	json_t *v;

	memset(m, 0, sizeof *m);
	m->volume = -1;
	if (get_string(s, rec, "entity", &m->entity) < 0 || get_string(s, rec, "name", &m->name) < 0 ||
	    get_time(s, rec, "at", &m->at) < 0)
		return -1;
	m->source = jx_str(rec, "source");
	if (!m->source)
		m->source = "metric";
	iv = jx_str(rec, "interval");
	if (iv && (m->interval = htime_parse_duration(iv)) < 0)
		return stream_reject(s, "field 'interval' is '%s', not a duration", iv);
	m->is_bar = strcmp(m->name, "bar") == 0;
	m->is_event = json_is_string(json_object_get(rec, "key")) && *jx_str(rec, "key");
	v = json_object_get(rec, m->is_bar ? "close" : "value");
	if (!v && m->is_bar)
		v = json_object_get(rec, "value");
	if (!json_is_number(v))
		return stream_reject(s, "field '%s' is %s, not a number", m->is_bar ? "close" : "value",
				     v ? jx_type_name(v) : "missing");
	m->value = json_number_value(v);
	if (!isfinite(m->value))
		return stream_reject(s, "field 'value' is not finite");
	if (m->is_bar) {
		m->close = m->value;
		m->open = jx_num(rec, "open", m->close);
		m->high = jx_num(rec, "high", m->close);
		m->low = jx_num(rec, "low", m->close);
		v = json_object_get(rec, "volume");
		if (json_is_number(v) && json_number_value(v) >= 0)
			m->volume = json_number_value(v);
		if (m->close <= 0)
			return stream_reject(s, "bar close %g is not a price", m->close);
	}
	return 0;
}

int detect_parse_post(stream_t *s, const json_t *rec, detect_post_t *p)
{
	json_t *sent;

	memset(p, 0, sizeof *p);
	if (get_string(s, rec, "id", &p->id) < 0 || get_time(s, rec, "created_at", &p->at) < 0)
		return -1;
	p->type = jx_str(rec, "type");
	p->source = jx_str(rec, "source");
	p->entities = json_object_get(rec, "entities");
	if (p->entities && !json_is_array(p->entities))
		return stream_reject(s, "field 'entities' is %s, not an array", jx_type_name(p->entities));
	sent = json_object_get(rec, "sentiment");
	if (json_is_object(sent)) {
		json_t *sc = json_object_get(sent, "score"), *cf = json_object_get(sent, "confidence");

		if (!json_is_number(sc) || !json_is_number(cf))
			return stream_reject(s, "sentiment without numeric 'score' and 'confidence'");
		p->score = json_number_value(sc);
		p->confidence = json_number_value(cf);
		if (!(p->score >= -1 && p->score <= 1) || !(p->confidence >= 0 && p->confidence <= 1))
			return stream_reject(s, "sentiment score %g or confidence %g out of range", p->score,
					     p->confidence);
		p->has_sentiment = 1;
	}
	return 0;
}

/* ------------------------------------------------------------------ the run */

void detect_init(detect_t *d, const detect_opts_t *o, sqlite3 *db)
{
	memset(d, 0, sizeof *d);
	d->opt = *o;
	d->db = db;
	d->events = json_array();
	d->entities = (strset)STRSET_INIT;
	d->watermark = detect_state_get_int(db, "watermark", 0);
}

void detect_saw(detect_t *d, int64_t end)
{
	if (end > d->watermark)
		d->watermark = end;
}

void detect_settle_now(detect_t *d)
{
	d->now = d->opt.now ? d->opt.now : d->watermark;
}

void detect_free(detect_t *d)
{
	json_decref(d->events);
	d->events = NULL;
	strset_free(&d->entities);
}

json_t *detect_event(detect_t *d, const char *type, const char *entity, int64_t at, const char *key, double score,
		     const char *severity)
{
	json_t *ev = json_object(), *evidence = json_object();

	jx_set_str(ev, "kind", "event");
	jx_set_str(ev, "type", type);
	jx_set_str(ev, "entity", entity);
	detect_set_time(ev, "at", at);
	jx_set_str(ev, "key", key);
	detect_set_real(ev, "score", score, 2);
	jx_set_str(ev, "severity", severity);
	json_object_set_new(ev, "evidence", evidence);
	json_array_append_new(d->events, ev);
	return evidence;
}

/* An event and its place in the run's list: events of the same time,
 * type and entity keep the order they were raised in (start before peak
 * before fade). */
typedef struct ranked {
	json_t *ev;
	size_t seq;
} ranked_t;

static int cmp_event(const void *pa, const void *pb)
{
	const ranked_t *ra = pa, *rb = pb;
	const json_t *a = ra->ev, *b = rb->ev;
	int c;

	if ((c = strcmp(jx_str(a, "at"), jx_str(b, "at"))) != 0)
		return c;
	if ((c = strcmp(jx_str(a, "type"), jx_str(b, "type"))) != 0)
		return c;
	if ((c = strcmp(jx_str(a, "entity"), jx_str(b, "entity"))) != 0)
		return c;
	return (ra->seq > rb->seq) - (ra->seq < rb->seq);
}

long detect_flush(detect_t *d, stream_t *s)
{
	size_t n = json_array_size(d->events);
	ranked_t *r = xcalloc(n ? n : 1, sizeof *r);
	sqlite3_stmt *ins;
	long written = 0;

	for (size_t i = 0; i < n; i++) {
		r[i].ev = json_array_get(d->events, i);
		r[i].seq = i;
	}
	qsort(r, n, sizeof *r, cmp_event);
	/* INSERT OR IGNORE tells whether the key is new: one statement, and
	 * a key raised twice in one run is written once too. */
	ins = detect_state_prepare(d->db, "INSERT OR IGNORE INTO detect_events(key, type, entity, at) VALUES (?,?,?,?)");
	for (size_t i = 0; i < n; i++) {
		const json_t *ev = r[i].ev;
		int64_t at = 0;

		htime_parse(jx_str(ev, "at"), &at);
		sqlite3_bind_text(ins, 1, jx_str(ev, "key"), -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 2, jx_str(ev, "type"), -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 3, jx_str(ev, "entity"), -1, SQLITE_STATIC);
		sqlite3_bind_int64(ins, 4, at);
		detect_state_step_done(d->db, ins);
		if (sqlite3_changes(d->db) == 0)
			continue;
		stream_emit(s, ev);
		written++;
	}
	sqlite3_finalize(ins);
	free(r);
	detect_state_set_int(d->db, "watermark", d->watermark);
	return written;
}

int detect_excluded(const detect_t *d, const char *entity)
{
	return d->opt.exclude && json_object_get(d->opt.exclude, entity) != NULL;
}

json_t *detect_read_exclude(const char *path)
{
	FILE *f = fopen(path, "r");
	json_t *set;
	char line[512];

	if (!f)
		return NULL;
	set = json_object();
	while (fgets(line, sizeof line, f)) {
		size_t n = strcspn(line, "\t\r\n #");

		if (n == 0)
			continue;
		line[n] = '\0';
		json_object_set_new(set, line, json_true());
	}
	fclose(f);
	return set;
}

int detect_explaining(detect_t *d, const char *entity)
{
	if (!d->opt.explain || strcasecmp(d->opt.explain, entity) != 0)
		return 0;
	d->explain_found = 1;
	return 1;
}

void detect_note_entity(detect_t *d, const char *entity)
{
	size_t n = strlen(entity);
	int64_t *v = strset_at(&d->entities, entity, n, strset_hash(entity, n), -1);

	if (*v < 0) {
		*v = 1;
		d->entities_seen++;
		if (d->opt.explain && strcasecmp(d->opt.explain, entity) == 0)
			d->explain_found = 1;
	}
}

void detect_explain(detect_t *d, const char *entity, const char *fmt, ...)
{
	va_list ap;

	if (!detect_explaining(d, entity))
		return;
	fprintf(stderr, "%s: explain %s: ", herd_prog, entity);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ------------------------------------------------------------------ helpers */

double detect_round(double v, int places)
{
	double f = pow(10, places), r;

	if (!isfinite(v))
		return 0;
	r = round(v * f) / f;
	return r == 0 ? 0 : r; /* no -0 in the output */
}

void detect_set_real(json_t *obj, const char *key, double v, int places)
{
	jx_set_real(obj, key, detect_round(v, places));
}

void detect_set_time(json_t *obj, const char *key, int64_t t)
{
	char ts[HTIME_LEN];

	jx_set_str(obj, key, htime_format(t, ts));
}

void detect_names_init(detect_names_t *t)
{
	t->map = (strset)STRSET_INIT;
	t->n = 0;
}

void detect_names_free(detect_names_t *t)
{
	strset_free(&t->map);
	t->n = 0;
}

long detect_names_find(const detect_names_t *t, const char *name)
{
	size_t n = strlen(name);
	int64_t i;

	return strset_get(&t->map, name, n, strset_hash(name, n), &i) ? (long)i : -1;
}

long detect_names_add(detect_names_t *t, const char *name, int *added)
{
	size_t n = strlen(name);
	int64_t *i = strset_at(&t->map, name, n, strset_hash(name, n), -1);

	if (added)
		*added = *i < 0;
	if (*i < 0)
		*i = t->n++;
	return (long)*i;
}

long detect_names_slot(detect_names_t *t, const char *name, void **arr, size_t *cap, size_t size, int *added)
{
	long i = detect_names_add(t, name, added);

	if (*added) {
		*arr = xgrow(*arr, (size_t)t->n, cap, size);
		memset((char *)*arr + (size_t)i * size, 0, size);
	}
	return i;
}
