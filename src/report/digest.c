/*
 * digest.c — the daily digest: for one day (UTC, or a civil day of the
 * zone --tz names: 23 or 25 hours across a daylight-saving change), which
 * entities moved
 * (mentions against their own recent days, sentiment against its own
 * recent mean) and which events the detectors raised; built as JSON from
 * the aggregates and events tables, then rendered as Markdown or HTML.
 * See report.h.
 *
 * Movers by mentions are ranked by a Poisson-style z, (day − base) /
 * sqrt(base + 1), where base is the entity's mean mentions per day over
 * the baseline days that have data: a day the file has aggregates of (of
 * any entity) counts, and an entity absent from it counts 0 there; a day
 * without any aggregate at all is a collection gap, not a quiet day, and
 * is left out — the definition herd-detect's windows use
 * (docs/detection.md), so "usual/day" and the detector's expected counts
 * agree. A jump from 2 to 40 outranks one from 900 to 1000, and the +1
 * keeps new names from dividing by zero. Sentiment movers are ranked by |day mean − baseline
 * mean| of the scored mentions, both weighted by their counts.
 */
#include "report.h"
#include "lib/htime.h"
#include "lib/jsonx.h"
#include "lib/ndjson.h"
#include "lib/tzone.h"
#include "lib/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY 86400

/* Days are numbered in the selected zone (tzone.h; UTC unless --tz):
 * day i runs [day_start(i), day_start(i + 1)). */
static int64_t day_start(int64_t i)
{
	return tzone_to_utc(i * DAY);
}

static int64_t day_of(int64_t t)
{
	int64_t c = tzone_from_utc(t);

	return c >= 0 ? c / DAY : -((-c + DAY - 1) / DAY);
}
/* Days of history drawn beside each mover (its sparkline). */

/* "YYYY-MM-DD" of day i. */
static char *civil_date(int64_t i, char *out)
{
	return htime_format_date(i * DAY, out);
}

/* One entity's day and baseline. */
struct ent {
	char *entity;
	long long posts, n, bull, bear; /* on the day */
	double ssum;                    /* sum of sent_mean × sent_n on the day */
	long long bposts, bn;           /* in the baseline days */
	double bssum;
	double z;
};

static int by_z(const void *a, const void *b)
{
	const struct ent *x = a, *y = b;

	if (x->z != y->z)
		return x->z < y->z ? 1 : -1;
	return strcmp(x->entity, y->entity);
}

static double sent_delta(const struct ent *e)
{
	return e->ssum / (double)e->n - e->bssum / (double)e->bn;
}

static int by_delta(const void *a, const void *b)
{
	const struct ent *x = a, *y = b;
	double dx = fabs(sent_delta(x)), dy = fabs(sent_delta(y));

	if (dx != dy)
		return dx < dy ? 1 : -1;
	return strcmp(x->entity, y->entity);
}

/* A real rounded to `digits` decimals, as a JSON number. */
static json_t *num(double v, int digits)
{
	double p = pow(10, digits);

	return json_real(round(v * p) / p);
}

/* The entity's mentions per day, the REPORT_SPARK_DAYS days up to the report day. */
static json_t *daily_series(sqlite3 *db, const char *window, const char *entity, int64_t day)
{
	sqlite3_stmt *st;
	char from[HTIME_LEN], to[HTIME_LEN];
	json_t *a = json_array();
	long long v[REPORT_SPARK_DAYS] = {0};
	int64_t first = day - (REPORT_SPARK_DAYS - 1);

	htime_format(day_start(first), from);
	htime_format(day_start(day + 1), to);
	if (sqlite3_prepare_v2(db,
			       "SELECT start, posts FROM aggregates WHERE entity = ?1 AND "
			       "\"window\" = ?2 AND start >= ?3 AND start < ?4",
			       -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, entity, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, window, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, from, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, to, -1, SQLITE_STATIC);
		while (sqlite3_step(st) == SQLITE_ROW) {
			int64_t t;

			if (htime_parse((const char *)sqlite3_column_text(st, 0), &t) == 0) {
				int64_t i = day_of(t) - first;

				if (i >= 0 && i < REPORT_SPARK_DAYS)
					v[i] += sqlite3_column_int64(st, 1);
			}
		}
		sqlite3_finalize(st);
	}
	for (int i = 0; i < REPORT_SPARK_DAYS; i++)
		json_array_append_new(a, json_integer(v[i]));
	return a;
}

/* The events of the day, by type, strongest first. */
static int add_events(sqlite3 *db, json_t *d, int64_t day, const char *exclude, char *err, size_t errlen)
{
	static const struct {
		const char *type, *section;
	} sections[] = {{"cascade", "cascade_updates"}, {"signal", "signals"}, {"heat", "heat"},
			{"discovery", "heat"},          {"alert", "alerts"}};
	sqlite3_stmt *st;
	char from[HTIME_LEN], to[HTIME_LEN];
	json_t *other = json_array();

	json_object_set_new(d, "cascades", json_array());
	for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++)
		if (!json_object_get(d, sections[i].section))
			json_object_set_new(d, sections[i].section, json_array());
	htime_format(day_start(day), from);
	htime_format(day_start(day + 1), to);
	if (sqlite3_prepare_v2(db,
			       "SELECT \"key\", type, entity, \"at\", score, severity, evidence FROM events "
			       "WHERE \"at\" >= ?1 AND \"at\" < ?2 AND (?3 IS NULL OR entity NOT IN "
			       "(SELECT value FROM json_each(?3))) ORDER BY score DESC, \"at\", \"key\"",
			       -1, &st, NULL) != SQLITE_OK) {
		json_decref(other);
		return herd_errf(err, errlen, "events: %s", sqlite3_errmsg(db));
	}
	sqlite3_bind_text(st, 1, from, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, to, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, exclude, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *type = (const char *)sqlite3_column_text(st, 1);
		const char *ev = (const char *)sqlite3_column_text(st, 6);
		json_t *e = json_object(), *into = other;
		json_t *evidence = ev ? json_loads(ev, 0, NULL) : NULL;

		json_object_set_new(e, "kind", json_string("event"));
		json_object_set_new(e, "type", json_string(type));
		json_object_set_new(e, "entity", json_string((const char *)sqlite3_column_text(st, 2)));
		json_object_set_new(e, "at", json_string((const char *)sqlite3_column_text(st, 3)));
		json_object_set_new(e, "key", json_string((const char *)sqlite3_column_text(st, 0)));
		json_object_set_new(e, "score", json_real(sqlite3_column_double(st, 4)));
		if (sqlite3_column_type(st, 5) != SQLITE_NULL)
			json_object_set_new(e, "severity", json_string((const char *)sqlite3_column_text(st, 5)));
		json_object_set_new(e, "evidence", evidence ? evidence : json_object());
		for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++)
			if (type && strcmp(type, sections[i].type) == 0)
				into = json_object_get(d, sections[i].section);
		/* A cascade without a phase, or at its start, is a new one. */
		if (type && strcmp(type, "cascade") == 0 &&
		    (!jx_str(evidence, "phase") || strcmp(jx_str(evidence, "phase"), "start") == 0))
			into = json_object_get(d, "cascades");
		json_array_append_new(into, e);
	}
	sqlite3_finalize(st);
	json_object_set_new(d, "other_events", other);
	return 0;
}

json_t *report_digest(sqlite3 *db, const report_digest_opts *o, char *err, size_t errlen)
{
	char window[16], day0[HTIME_LEN], day1[HTIME_LEN], base0[HTIME_LEN], date[HTIME_LEN];
	int64_t wlen, day = o->day;
	int bdays, span;
	sqlite3_stmt *st;
	struct ent *e = NULL;
	int ne = 0;
	size_t cap = 0;
	long long mentions = 0, scored = 0;
	json_t *d, *movers, *smovers;

	if (report_pick_window(db, o->window, 1, window, &wlen, err, errlen) < 0)
		return NULL;
	if (day == REPORT_DAY_LATEST || day == REPORT_DAY_COMPLETE) {
		int complete = day == REPORT_DAY_COMPLETE;

		if ((day = report_window_edge(db, window, 1)) < 0) {
			herd_errf(err, errlen, "no aggregates of window %s", window);
			return NULL;
		}
		/* the day the latest window is in; complete: the day before the
		 * one the latest window ends in */
		day = complete ? day_of(day + wlen) - 1 : day_of(day);
	} else {
		/* --day DATE is that date in the zone; a moment given with its
		 * time is the day it falls in there */
		day = o->day % DAY == 0 ? o->day / DAY : day_of(o->day);
	}
	/* Windows must tile the day: a 1d window of UTC cannot be cut at
	 * midnight in New York. */
	if (day_start(day) % wlen || day_start(day + 1) % wlen) {
		herd_errf(err, errlen, "%s windows do not tile a day of the time zone (it starts at %s); give --window 1h "
			  "or shorter",
			  window, htime_format(day_start(day), date));
		return NULL;
	}
	/* Days before the data began are not "usual zero": the baseline is
	 * only the days the file covers. */
	{
		int64_t first = report_window_edge(db, window, 0);

		first = first < 0 ? day : day_of(first);
		bdays = first >= day ? 0 : (int)(day - first);
		if (bdays > o->baseline_days)
			bdays = o->baseline_days;
	}
	htime_format(day_start(day), day0);
	htime_format(day_start(day + 1), day1);
	htime_format(day_start(day - bdays), base0);
	/* The days with data among the baseline's (a day without any aggregate
	 * is a gap, not zero), and whether the day itself has any: a digest of
	 * a day the file does not cover would be a page of zeros that reads
	 * like a quiet day. */
	span = bdays;
	{
		int64_t last = INT64_MIN;
		int covered = 0;

		if (sqlite3_prepare_v2(db,
				       "SELECT DISTINCT start FROM aggregates"
				       " WHERE \"window\" = ?1 AND start >= ?2 AND start < ?3 ORDER BY start",
				       -1, &st, NULL) != SQLITE_OK) {
			herd_errf(err, errlen, "aggregates: %s", sqlite3_errmsg(db));
			return NULL;
		}
		sqlite3_bind_text(st, 1, window, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, base0, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, day1, -1, SQLITE_STATIC);
		bdays = 0;
		while (sqlite3_step(st) == SQLITE_ROW) {
			int64_t t;

			if (htime_parse((const char *)sqlite3_column_text(st, 0), &t) < 0 || day_of(t) == last)
				continue;
			last = day_of(t);
			if (last == day)
				covered = 1;
			else
				bdays++;
		}
		sqlite3_finalize(st);
		if (!covered) {
			herd_errf(err, errlen, "no aggregates of window %s on %s", window, civil_date(day, date));
			return NULL;
		}
	}

	if (sqlite3_prepare_v2(
		    db,
		    "SELECT entity,"
		    " sum(CASE WHEN start >= ?2 THEN posts ELSE 0 END),"
		    " sum(CASE WHEN start >= ?2 THEN coalesce(sent_n, 0) ELSE 0 END),"
		    " sum(CASE WHEN start >= ?2 THEN coalesce(sent_mean * sent_n, 0) ELSE 0 END),"
		    " sum(CASE WHEN start >= ?2 THEN coalesce(bull, 0) ELSE 0 END),"
		    " sum(CASE WHEN start >= ?2 THEN coalesce(bear, 0) ELSE 0 END),"
		    " sum(CASE WHEN start < ?2 THEN posts ELSE 0 END),"
		    " sum(CASE WHEN start < ?2 THEN coalesce(sent_n, 0) ELSE 0 END),"
		    " sum(CASE WHEN start < ?2 THEN coalesce(sent_mean * sent_n, 0) ELSE 0 END)"
		    " FROM aggregates WHERE \"window\" = ?1 AND start >= ?4 AND start < ?3"
		    " AND (?5 IS NULL OR entity NOT IN (SELECT value FROM json_each(?5))) GROUP BY entity",
		    -1, &st, NULL) != SQLITE_OK) {
		herd_errf(err, errlen, "aggregates: %s", sqlite3_errmsg(db));
		return NULL;
	}
	sqlite3_bind_text(st, 1, window, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, day0, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, day1, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, base0, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, o->exclude, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct ent *x;

		e = xgrow(e, (size_t)ne + 1, &cap, sizeof *e);
		x = &e[ne++];
		x->entity = xstrdup((const char *)sqlite3_column_text(st, 0));
		x->posts = sqlite3_column_int64(st, 1);
		x->n = sqlite3_column_int64(st, 2);
		x->ssum = sqlite3_column_double(st, 3);
		x->bull = sqlite3_column_int64(st, 4);
		x->bear = sqlite3_column_int64(st, 5);
		x->bposts = sqlite3_column_int64(st, 6);
		x->bn = sqlite3_column_int64(st, 7);
		x->bssum = sqlite3_column_double(st, 8);
		mentions += x->posts;
		scored += x->n;
	}
	sqlite3_finalize(st);

	d = json_object();
	json_object_set_new(d, "report", json_string("digest"));
	json_object_set_new(d, "version", json_integer(1));
	json_object_set_new(d, "db", json_string(o->db_name));
	json_object_set_new(d, "day", json_string(civil_date(day, date)));
	if (!tzone_is_utc() && o->tz)
		json_object_set_new(d, "tz", json_string(o->tz));
	json_object_set_new(d, "window", json_string(window));
	json_object_set_new(d, "baseline_days", json_integer(bdays));
	json_object_set_new(d, "baseline_span", json_integer(span));
	{
		json_t *t = json_object();
		long long active = 0;

		for (int i = 0; i < ne; i++)
			active += e[i].posts > 0;
		json_object_set_new(t, "mentions", json_integer(mentions));
		json_object_set_new(t, "scored", json_integer(scored));
		json_object_set_new(t, "entities", json_integer(active));
		json_object_set_new(d, "totals", t);
	}

	/* Movers by mentions. */
	movers = json_array();
	for (int i = 0; i < ne; i++) {
		double base = bdays ? (double)e[i].bposts / bdays : 0;

		e[i].z = ((double)e[i].posts - base) / sqrt(base + 1);
	}
	qsort(e, (size_t)ne, sizeof *e, by_z);
	for (int i = 0; i < ne && (int)json_array_size(movers) < o->top; i++) {
		double base = bdays ? (double)e[i].bposts / bdays : 0;
		json_t *m;

		if (e[i].posts < o->min_mentions || e[i].z <= 0)
			continue;
		m = json_object();
		json_object_set_new(m, "entity", json_string(e[i].entity));
		json_object_set_new(m, "mentions", json_integer(e[i].posts));
		json_object_set_new(m, "baseline", num(base, 2));
		json_object_set_new(m, "ratio", base > 0 ? num((double)e[i].posts / base, 2) : json_null());
		json_object_set_new(m, "z", num(e[i].z, 2));
		json_object_set_new(m, "sentiment", e[i].n ? num(e[i].ssum / (double)e[i].n, 4) : json_null());
		json_object_set_new(m, "bull", json_integer(e[i].bull));
		json_object_set_new(m, "bear", json_integer(e[i].bear));
		json_object_set_new(m, "daily", daily_series(db, window, e[i].entity, day));
		json_array_append_new(movers, m);
	}
	json_object_set_new(d, "movers", movers);

	/* Movers by sentiment change. */
	smovers = json_array();
	{
		int nk = 0;

		for (int i = 0; i < ne; i++)
			if (e[i].n >= o->min_scored && e[i].bn >= o->min_scored) {
				struct ent tmp = e[nk];

				e[nk++] = e[i];
				e[i] = tmp;
			}
		qsort(e, (size_t)nk, sizeof *e, by_delta);
		for (int i = 0; i < nk && i < o->top; i++) {
			json_t *m = json_object();

			json_object_set_new(m, "entity", json_string(e[i].entity));
			json_object_set_new(m, "sentiment", num(e[i].ssum / (double)e[i].n, 4));
			json_object_set_new(m, "baseline", num(e[i].bssum / (double)e[i].bn, 4));
			json_object_set_new(m, "change", num(sent_delta(&e[i]), 4));
			json_object_set_new(m, "scored", json_integer(e[i].n));
			json_object_set_new(m, "baseline_scored", json_integer(e[i].bn));
			json_array_append_new(smovers, m);
		}
	}
	json_object_set_new(d, "sentiment_movers", smovers);
	for (int i = 0; i < ne; i++)
		free(e[i].entity);
	free(e);

	if (add_events(db, d, day, o->exclude, err, errlen) < 0) {
		json_decref(d);
		return NULL;
	}
	return d;
}

/* ================================================================ rendering */

/*
 * One renderer for both forms: a table writer that speaks Markdown or
 * HTML, so each section is written once and the two cannot drift apart.
 */
struct out {
	buf_t *b;
	int html;
};

static void esc(const struct out *o, const char *s)
{
	(o->html ? report_html_escape : report_md_escape)(o->b, s ? s : "");
}

static void heading(const struct out *o, const char *title)
{
	buf_printf(o->b, o->html ? "<h2>%s</h2>\n" : "\n## %s\n\n", title);
}

static void none(const struct out *o, const char *text)
{
	buf_printf(o->b, o->html ? "<p class=\"none\">%s</p>\n" : "%s\n", text);
}

/* heads[] ends with NULL; align[i] is 'l' or 'r'. */
static void table_begin(const struct out *o, const char *const *heads, const char *align)
{
	if (o->html) {
		buf_puts(o->b, "<table>\n<tr>");
		for (int i = 0; heads[i]; i++)
			buf_printf(o->b, "<th>%s</th>", heads[i]);
		buf_puts(o->b, "</tr>\n");
		return;
	}
	for (int i = 0; heads[i]; i++)
		buf_printf(o->b, "| %s ", heads[i]);
	buf_puts(o->b, "|\n");
	for (int i = 0; heads[i]; i++)
		buf_puts(o->b, align[i] == 'r' ? "|--:" : "|---");
	buf_puts(o->b, "|\n");
}

static void table_end(const struct out *o)
{
	if (o->html)
		buf_puts(o->b, "</table>\n");
}

static void row_begin(const struct out *o)
{
	buf_puts(o->b, o->html ? "<tr>" : "|");
}

static void row_end(const struct out *o)
{
	buf_puts(o->b, o->html ? "</tr>\n" : "\n");
}

/* A cell of text; cls is the HTML class ("e" for entities), or NULL. */
static void cell_text(const struct out *o, const char *s, const char *cls)
{
	if (o->html) {
		buf_puts(o->b, "<td");
		if (cls) {
			buf_puts(o->b, " class=\"");
			report_html_escape(o->b, cls);
			buf_puts(o->b, "\"");
		}
		buf_putc(o->b, '>');
	} else {
		buf_putc(o->b, ' ');
	}
	esc(o, s);
	buf_puts(o->b, o->html ? "</td>" : " |");
}

/* A right-aligned cell of s; with a sentiment (not NAN), HTML shows its
 * colour swatch before it. */
static void cell_value(const struct out *o, const char *s, double sentiment)
{
	char col[8];

	if (!o->html) {
		buf_printf(o->b, " %s |", s);
		return;
	}
	buf_puts(o->b, "<td class=\"n\">");
	if (!isnan(sentiment)) {
		report_sentiment_color(sentiment, REPORT_SCALE_DEFAULT, col);
		buf_printf(o->b, "<span class=\"sw\" style=\"background:%s\"></span>", col);
	}
	buf_printf(o->b, "%s</td>", s);
}

/* A number as people read it ("–" when absent). */
static void cell_num(const struct out *o, const json_t *v, const char *fmt, int sentiment)
{
	char s[64];

	if (!json_is_number(v)) {
		cell_value(o, "–", NAN);
		return;
	}
	snprintf(s, sizeof s, fmt, json_number_value(v));
	cell_value(o, s, sentiment ? json_number_value(v) : NAN);
}

static void cell_int(const struct out *o, const json_t *v)
{
	char s[32];

	snprintf(s, sizeof s, "%lld", (long long)json_integer_value(v));
	cell_value(o, s, NAN);
}

/* Mentions per day as small bars, the report day darker (HTML only). */
static void cell_sparkline(const struct out *o, const json_t *daily)
{
	size_t n = json_array_size(daily), i;
	long long max = 1;
	json_t *v;

	if (!o->html)
		return;
	json_array_foreach(daily, i, v)
		if (json_integer_value(v) > max)
			max = json_integer_value(v);
	buf_printf(o->b, "<td><svg width=\"%zu\" height=\"20\" role=\"img\" aria-label=\"mentions per day\">", n * 5);
	json_array_foreach(daily, i, v) {
		double h = 18.0 * (double)json_integer_value(v) / (double)max;

		buf_printf(o->b, "<rect x=\"%zu\" y=\"%.1f\" width=\"4\" height=\"%.1f\" fill=\"%s\"><title>%lld</title></rect>",
			   i * 5, 19 - h, h + 1, i + 1 == n ? "#333" : "#9e9e9e", (long long)json_integer_value(v));
	}
	buf_puts(o->b, "</svg></td>");
}

static const struct {
	const char *key, *title, *none;
} event_sections[] = {
	{"cascades", "New cascades", "No cascade started on this day."},
	{"cascade_updates", "Cascades going on", NULL},
	{"signals", "Signals", "No signal."},
	{"heat", "Heat and discoveries", "No entity ran hot."},
	{"alerts", "Alerts sent", "No alert was sent."},
	{"other_events", "Other events", NULL},
};

/* After the file's name: the window, the baseline and the day's totals. */
static void put_intro(buf_t *b, const json_t *d)
{
	const json_t *t = json_object_get(d, "totals");
	long long days = json_integer_value(json_object_get(d, "baseline_days"));
	long long span = json_integer_value(json_object_get(d, "baseline_span"));

	buf_printf(b, ", %s aggregates; ", jx_str(d, "window"));
	if (days > 0 && span > days)
		buf_printf(b, "movers are measured against the %lld day%s with data of the %lld before (a day without"
			      " any is a gap, not zero). ",
			   days, days == 1 ? "" : "s", span);
	else if (days > 0)
		buf_printf(b, "movers are measured against the %lld day%s before. ", days, days == 1 ? "" : "s");
	else
		buf_puts(b, "no earlier day in the file, so every mention counts as new. ");
	buf_printf(b, "%lld mentions of %lld entities (%lld scored).",
		   (long long)json_integer_value(json_object_get(t, "mentions")),
		   (long long)json_integer_value(json_object_get(t, "entities")),
		   (long long)json_integer_value(json_object_get(t, "scored")));
}

static void render(const json_t *d, buf_t *b, int html)
{
	static const char *const mover_heads[] = {"entity", "mentions", "usual/day", "change", "z", "sentiment",
						  "bull",   "bear",     "last 14 days", NULL};
	static const char *const sent_heads[] = {"entity", "sentiment", "usual", "change", "scored", NULL};
	static const char *const event_heads[] = {"entity", "at", "type", "severity", "score", "evidence", NULL};
	const struct out o = {b, html};
	const json_t *a;
	char title[96];
	buf_t ev = BUF_INIT;
	size_t i;
	json_t *v;

	if (jx_str(d, "tz"))
		snprintf(title, sizeof title, "herd digest — %s (%s)", jx_str(d, "day"), jx_str(d, "tz"));
	else
		snprintf(title, sizeof title, "herd digest — %s", jx_str(d, "day"));
	if (html) {
		report_page_begin(b, title);
		buf_puts(b, "<h1>");
		report_html_escape(b, title);
		buf_puts(b, "</h1>\n<p class=\"sub\">From <code>");
		report_html_escape(b, jx_str(d, "db"));
		buf_puts(b, "</code>");
		put_intro(b, d);
		buf_puts(b, "</p>\n");
	} else {
		buf_printf(b, "# %s\n\nFrom `%s`", title, jx_str(d, "db"));
		put_intro(b, d);
		buf_putc(b, '\n');
	}

	heading(&o, "Top movers by mentions");
	a = json_object_get(d, "movers");
	if (json_array_size(a) == 0)
		none(&o, "No entity rose above its usual mentions.");
	else /* Markdown has no sparkline column */
		table_begin(&o, html ? mover_heads : (const char *const[]){"entity", "mentions", "usual/day", "change", "z",
									  "sentiment", "bull", "bear", NULL},
			    "lrrrrrrrl");
	json_array_foreach(a, i, v) {
		row_begin(&o);
		cell_text(&o, jx_str(v, "entity"), "e");
		cell_int(&o, json_object_get(v, "mentions"));
		cell_num(&o, json_object_get(v, "baseline"), "%.1f", 0);
		if (json_is_number(json_object_get(v, "ratio")))
			cell_num(&o, json_object_get(v, "ratio"), "×%.1f", 0);
		else
			cell_value(&o, "new", NAN); /* no usual level to compare with */
		cell_num(&o, json_object_get(v, "z"), "%.1f", 0);
		cell_num(&o, json_object_get(v, "sentiment"), "%+.3f", 1);
		cell_int(&o, json_object_get(v, "bull"));
		cell_int(&o, json_object_get(v, "bear"));
		cell_sparkline(&o, json_object_get(v, "daily"));
		row_end(&o);
	}
	if (json_array_size(a))
		table_end(&o);

	heading(&o, "Sentiment movers");
	a = json_object_get(d, "sentiment_movers");
	if (json_array_size(a) == 0)
		none(&o, "Too few scored mentions to compare.");
	else
		table_begin(&o, sent_heads, "lrrrr");
	json_array_foreach(a, i, v) {
		row_begin(&o);
		cell_text(&o, jx_str(v, "entity"), "e");
		cell_num(&o, json_object_get(v, "sentiment"), "%+.3f", 1);
		cell_num(&o, json_object_get(v, "baseline"), "%+.3f", 1);
		cell_num(&o, json_object_get(v, "change"), "%+.3f", 0);
		cell_int(&o, json_object_get(v, "scored"));
		row_end(&o);
	}
	if (json_array_size(a))
		table_end(&o);

	for (size_t s = 0; s < sizeof event_sections / sizeof event_sections[0]; s++) {
		a = json_object_get(d, event_sections[s].key);
		if (!event_sections[s].none && json_array_size(a) == 0)
			continue;
		heading(&o, event_sections[s].title);
		if (json_array_size(a) == 0) {
			none(&o, event_sections[s].none);
			continue;
		}
		table_begin(&o, event_heads, "llllrl");
		json_array_foreach(a, i, v) {
			row_begin(&o);
			cell_text(&o, jx_str(v, "entity"), "e");
			cell_text(&o, jx_str(v, "at"), NULL);
			cell_text(&o, jx_str(v, "type"), NULL);
			cell_text(&o, jx_str(v, "severity"), jx_str(v, "severity"));
			cell_num(&o, json_object_get(v, "score"), "%.2f", 0);
			buf_reset(&ev);
			report_event_text(v, &ev);
			cell_text(&o, ev.p, NULL);
			row_end(&o);
		}
		table_end(&o);
	}
	buf_free(&ev);
	if (html)
		report_page_end(b);
}

void report_digest_markdown(const json_t *d, buf_t *b)
{
	render(d, b, 0);
}

void report_digest_html(const json_t *d, buf_t *b)
{
	render(d, b, 1);
}
