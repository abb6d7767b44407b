/*
 * heatmap.c — the entity × time heatmap: one row per entity (the most
 * mentioned in the range first), one column per aggregate window; each
 * cell a square whose area is the window's mentions (relative to the
 * busiest cell shown) and whose colour is their mean sentiment (red
 * bearish, grey neutral or unscored, green bullish); events marked on
 * their cell. Built as a JSON grid, rendered as one HTML page with inline
 * SVG and native <title> tooltips — no script. See report.h.
 */
#include "report.h"
#include "lib/htime.h"
#include "lib/jsonx.h"
#include "lib/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The widest grid drawn: beyond it cells would be under two pixels. */
#define MAX_COLUMNS 2000
/* Layout, in SVG pixels. */
#define LABEL_W 96 /* entity names */
#define HEAD_H 92  /* rotated time labels */
#define LEGEND_H 84

/* ?1 window, ?2 from, ?3 to: the grid's aggregates. */
static void bind_range(sqlite3_stmt *st, const char *window, const char *from, const char *to)
{
	sqlite3_bind_text(st, 1, window, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, from, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, to, -1, SQLITE_STATIC);
}

/* Index of entity in names[0..n), or -1. */
static int row_of(char **names, int n, const char *entity)
{
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], entity) == 0)
			return i;
	return -1;
}

json_t *report_heatmap(sqlite3 *db, const report_heatmap_opts *o, char *err, size_t errlen)
{
	char window[16], from_s[HTIME_LEN], to_s[HTIME_LEN];
	int64_t wlen, from = o->from, to = o->to, ncols;
	sqlite3_stmt *st;
	char **names = NULL;
	int nrows = 0;
	json_t *g, *cols, *rows, *events;

	if (report_pick_window(db, o->window, 0, window, &wlen, err, errlen) < 0)
		return NULL;
	if (to < 0) {
		to = report_window_edge(db, window, 1);
		if (to < 0) {
			herd_errf(err, errlen, "no aggregates of window %s", window);
			return NULL;
		}
		to += wlen;
	}
	to = htime_floor(to - 1, wlen) + wlen; /* whole windows */
	if (from < 0) {
		int64_t first = report_window_edge(db, window, 0);

		from = to - (int64_t)o->columns * wlen;
		if (first > from)
			from = first;
	}
	from = htime_floor(from, wlen);
	if (from >= to) {
		herd_errf(err, errlen, "the range is empty (--from must be before --to)");
		return NULL;
	}
	ncols = (to - from) / wlen;
	if (ncols > MAX_COLUMNS) {
		herd_errf(err, errlen, "%lld windows of %s are too many to draw (at most %d): narrow --from/--to",
			  (long long)ncols, window, MAX_COLUMNS);
		return NULL;
	}
	htime_format(from, from_s);
	htime_format(to, to_s);

	g = json_object();
	json_object_set_new(g, "report", json_string("heatmap"));
	json_object_set_new(g, "version", json_integer(1));
	json_object_set_new(g, "db", json_string(o->db_name));
	json_object_set_new(g, "window", json_string(window));
	json_object_set_new(g, "from", json_string(from_s));
	json_object_set_new(g, "to", json_string(to_s));
	json_object_set_new(g, "scale", json_real(o->scale));
	cols = json_array();
	for (int64_t c = 0; c < ncols; c++) {
		char t[HTIME_LEN];

		json_array_append_new(cols, json_string(htime_format(from + c * wlen, t)));
	}
	json_object_set_new(g, "columns", cols);

	/* The rows: the most mentioned entities of the range. */
	rows = json_array();
	if (sqlite3_prepare_v2(db,
			       "SELECT entity, sum(posts) FROM aggregates WHERE \"window\" = ?1 AND start >= ?2 AND "
			       "start < ?3 AND (?5 IS NULL OR entity NOT IN (SELECT value FROM json_each(?5))) "
			       "GROUP BY entity ORDER BY 2 DESC, entity LIMIT ?4",
			       -1, &st, NULL) != SQLITE_OK)
		goto sqlerr;
	bind_range(st, window, from_s, to_s);
	sqlite3_bind_int(st, 4, o->top);
	sqlite3_bind_text(st, 5, o->exclude, -1, SQLITE_STATIC);
	names = xcalloc((size_t)o->top, sizeof *names);
	while (sqlite3_step(st) == SQLITE_ROW && nrows < o->top) {
		json_t *r = json_object(), *cells = json_array();

		names[nrows++] = xstrdup((const char *)sqlite3_column_text(st, 0));
		json_object_set_new(r, "entity", json_string(names[nrows - 1]));
		json_object_set_new(r, "posts", json_integer(sqlite3_column_int64(st, 1)));
		for (int64_t c = 0; c < ncols; c++)
			json_array_append_new(cells, json_null());
		json_object_set_new(r, "cells", cells);
		json_array_append_new(rows, r);
	}
	sqlite3_finalize(st);
	json_object_set_new(g, "rows", rows);
	if (nrows == 0) {
		herd_errf(err, errlen, "no aggregates of window %s from %s to %s", window, from_s, to_s);
		goto fail;
	}

	/* The cells: [posts, sentiment or null, scored]. */
	if (sqlite3_prepare_v2(db,
			       "SELECT entity, start, posts, sent_mean, coalesce(sent_n, 0) FROM aggregates "
			       "WHERE \"window\" = ?1 AND start >= ?2 AND start < ?3",
			       -1, &st, NULL) != SQLITE_OK)
		goto sqlerr;
	bind_range(st, window, from_s, to_s);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int r = row_of(names, nrows, (const char *)sqlite3_column_text(st, 0));
		int64_t t;
		json_t *cell;

		if (r < 0 || htime_parse((const char *)sqlite3_column_text(st, 1), &t) < 0 || (t - from) % wlen)
			continue; /* not drawn, or a window not aligned to the grid */
		cell = json_array();
		json_array_append_new(cell, json_integer(sqlite3_column_int64(st, 2)));
		json_array_append_new(cell, sqlite3_column_type(st, 3) == SQLITE_NULL
						    ? json_null()
						    : json_real(round(sqlite3_column_double(st, 3) * 1e4) / 1e4));
		json_array_append_new(cell, json_integer(sqlite3_column_int64(st, 4)));
		json_array_set_new(json_object_get(json_array_get(rows, (size_t)r), "cells"), (size_t)((t - from) / wlen),
				   cell);
	}
	sqlite3_finalize(st);

	/* The events on the drawn entities. */
	events = json_array();
	json_object_set_new(g, "events", events);
	if (sqlite3_prepare_v2(db,
			       "SELECT entity, \"at\", type, \"key\", score, severity FROM events "
			       "WHERE \"at\" >= ?1 AND \"at\" < ?2 ORDER BY \"at\", \"key\"",
			       -1, &st, NULL) != SQLITE_OK)
		goto sqlerr;
	sqlite3_bind_text(st, 1, from_s, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, to_s, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *entity = (const char *)sqlite3_column_text(st, 0);
		json_t *e;

		if (row_of(names, nrows, entity) < 0)
			continue;
		e = json_object();
		json_object_set_new(e, "entity", json_string(entity));
		json_object_set_new(e, "at", json_string((const char *)sqlite3_column_text(st, 1)));
		json_object_set_new(e, "type", json_string((const char *)sqlite3_column_text(st, 2)));
		json_object_set_new(e, "key", json_string((const char *)sqlite3_column_text(st, 3)));
		json_object_set_new(e, "score", json_real(sqlite3_column_double(st, 4)));
		if (sqlite3_column_type(st, 5) != SQLITE_NULL)
			json_object_set_new(e, "severity", json_string((const char *)sqlite3_column_text(st, 5)));
		json_array_append_new(events, e);
	}
	sqlite3_finalize(st);
	for (int i = 0; i < nrows; i++)
		free(names[i]);
	free(names);
	return g;
sqlerr:
	herd_errf(err, errlen, "%s", sqlite3_errmsg(db));
fail:
	for (int i = 0; i < nrows; i++)
		free(names[i]);
	free(names);
	json_decref(g);
	return NULL;
}

/* ================================================================ HTML */

/* A column's label: the date for daily windows, "MM-DD HH:MM" otherwise. */
static void column_label(const char *start, int daily, char *out, size_t n)
{
	if (daily)
		snprintf(out, n, "%.10s", start);
	else
		snprintf(out, n, "%.5s %.5s", start + 5, start + 11);
}

/* The marker an event type gets, each type in its own corner of the cell
 * so that a cascade, a signal and heat on one cell stay apart: cascades
 * top right, signals top left, the rest bottom right. */
static void put_marker(buf_t *b, const char *type, double x, double y, double cell)
{
	double s = cell * 0.3 < 7 ? cell * 0.3 : 7, cx = x + cell - s * 0.9, cy = y + s * 0.9;

	if (strcmp(type, "signal") == 0)
		cx = x + s * 0.9;
	else if (strcmp(type, "cascade") != 0)
		cy = y + cell - s * 0.9;
	if (strcmp(type, "cascade") == 0) /* triangle */
		buf_printf(b, "<path d=\"M%.1f %.1fL%.1f %.1fL%.1f %.1fZ\" fill=\"#111\" stroke=\"#fff\" stroke-width=\"0.8\">",
			   cx, cy - s * 0.8, cx + s * 0.8, cy + s * 0.6, cx - s * 0.8, cy + s * 0.6);
	else if (strcmp(type, "signal") == 0) /* diamond */
		buf_printf(b, "<path d=\"M%.1f %.1fL%.1f %.1fL%.1f %.1fL%.1f %.1fZ\" fill=\"#1565c0\" stroke=\"#fff\" "
			      "stroke-width=\"0.8\">",
			   cx, cy - s * 0.8, cx + s * 0.7, cy, cx, cy + s * 0.8, cx - s * 0.7, cy);
	else /* heat, discovery, alert… : ring */
		buf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"none\" stroke=\"#e65100\" stroke-width=\"1.6\">",
			   cx, cy, s * 0.6);
}

void report_heatmap_html(const json_t *g, buf_t *b)
{
	const json_t *cols = json_object_get(g, "columns"), *rows = json_object_get(g, "rows");
	const json_t *events = json_object_get(g, "events");
	size_t ncols = json_array_size(cols), nrows = json_array_size(rows), i, j;
	const char *window = jx_str(g, "window");
	int daily = htime_parse_duration(window) >= 86400;
	double scale = jx_num(g, "scale", 0.5), cell, w, h, legend_y;
	long long maxposts = 1;
	int every;
	char title[160], col[8], label[32];
	json_t *r, *c;

	/* Big cells for a few columns, smaller for long ranges, never under 4 px. */
	cell = ncols <= 16 ? 40 : ncols <= 48 ? 22 : ncols <= 120 ? 12 : ncols <= 400 ? 6 : 4;
	every = (int)ceil(15.0 / cell); /* a time label every `every` columns */
	w = LABEL_W + (double)ncols * cell + 64; /* the last rotated label */
	if (w < LABEL_W + 660) /* room for the legend */
		w = LABEL_W + 660;
	h = HEAD_H + (double)nrows * cell + LEGEND_H;
	legend_y = HEAD_H + (double)nrows * cell + 22;
	json_array_foreach(rows, i, r) {
		json_array_foreach(json_object_get(r, "cells"), j, c)
			if (json_integer_value(json_array_get(c, 0)) > maxposts)
				maxposts = json_integer_value(json_array_get(c, 0));
	}

	/* The title names the first and the last window shown. */
	{
		const char *c0 = json_string_value(json_array_get(cols, 0));
		const char *c1 = json_string_value(json_array_get(cols, ncols - 1));

		if (daily)
			snprintf(title, sizeof title, "herd heatmap — %.10s to %.10s, %s windows", c0, c1, window);
		else
			snprintf(title, sizeof title, "herd heatmap — %.10s %.5s to %.10s %.5s UTC, %s windows", c0, c0 + 11,
				 c1, c1 + 11, window);
	}
	report_page_begin(b, title);
	buf_puts(b, "<h1>");
	report_html_escape(b, title);
	buf_puts(b, "</h1>\n<p class=\"sub\">From <code>");
	report_html_escape(b, jx_str(g, "db"));
	buf_printf(b, "</code>: the %zu most mentioned entities from %s up to %s. A square's area is the window's "
		      "mentions (largest: %lld); its colour their mean sentiment. Hover a square for its numbers.</p>\n",
		   nrows, jx_str(g, "from"), jx_str(g, "to"), maxposts);
	buf_printf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
		      "role=\"img\" aria-label=\"heatmap of mentions and sentiment\">\n",
		   w, h, w, h);
	buf_puts(b, "<defs><linearGradient id=\"sent\" x1=\"0\" x2=\"1\" y1=\"0\" y2=\"0\">");
	for (int k = 0; k <= 4; k++) {
		report_sentiment_color(scale * (k - 2) / 2.0, scale, col);
		buf_printf(b, "<stop offset=\"%d%%\" stop-color=\"%s\"/>", k * 25, col);
	}
	buf_puts(b, "</linearGradient></defs>\n");

	/* Time labels, rotated, with a tick line per labelled column. */
	buf_puts(b, "<g font-size=\"10\" fill=\"#444\">\n");
	json_array_foreach(cols, i, c) {
		double x = LABEL_W + (double)i * cell + cell / 2;

		if (i % (size_t)every)
			continue;
		column_label(json_string_value(c), daily, label, sizeof label);
		buf_printf(b, "<text transform=\"translate(%.1f,%d) rotate(-55)\">%s</text>\n", x + 3, HEAD_H - 6, label);
	}
	buf_puts(b, "</g>\n");

	/* Rows: the name, a light band, the cells. */
	json_array_foreach(rows, i, r) {
		double y = HEAD_H + (double)i * cell;
		const char *entity = jx_str(r, "entity");

		buf_printf(b, "<g class=\"row\"><text x=\"%d\" y=\"%.1f\" font-size=\"%d\" text-anchor=\"end\" "
			      "font-weight=\"bold\" fill=\"#222\">",
			   LABEL_W - 8, y + cell / 2 + 4, cell >= 12 ? 12 : 9);
		report_html_escape(b, entity);
		buf_printf(b, "<title>%lld mentions</title></text>\n", (long long)json_integer_value(json_object_get(r, "posts")));
		buf_printf(b, "<rect x=\"%d\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n", LABEL_W, y,
			   (double)ncols * cell, cell, i % 2 ? "#fafafa" : "#f2f2f2");
		json_array_foreach(json_object_get(r, "cells"), j, c) {
			long long posts = json_integer_value(json_array_get(c, 0));
			const json_t *s = json_array_get(c, 1);
			double side, x = LABEL_W + (double)j * cell;

			if (!json_is_array(c) || posts <= 0)
				continue;
			side = (cell - 2) * sqrt((double)posts / (double)maxposts);
			if (side < 2)
				side = 2;
			if (json_is_number(s))
				report_sentiment_color(json_number_value(s), scale, col);
			else
				snprintf(col, sizeof col, "#b0b0b0");
			buf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>",
				   x + (cell - side) / 2, y + (cell - side) / 2, side, side, col);
			report_html_escape(b, entity);
			buf_printf(b, " %s: %lld mentions", json_string_value(json_array_get(cols, j)), posts);
			if (json_is_number(s))
				buf_printf(b, ", sentiment %+.3f over %lld scored", json_number_value(s),
					   (long long)json_integer_value(json_array_get(c, 2)));
			buf_puts(b, "</title></rect>\n");
		}
		buf_puts(b, "</g>\n");
	}

	/* Midnight lines across the rows when windows are shorter than a day. */
	if (!daily) {
		json_array_foreach(cols, i, c)
			if (i > 0 && strcmp(json_string_value(c) + 11, "00:00:00Z") == 0)
				buf_printf(b, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#777\" "
					      "stroke-width=\"0.8\" stroke-dasharray=\"2,2\"/>\n",
					   LABEL_W + (double)i * cell, HEAD_H - 4, LABEL_W + (double)i * cell,
					   HEAD_H + (double)nrows * cell);
	}

	/* Event markers on their cells. */
	json_array_foreach(events, i, c) {
		int64_t at, from;
		size_t row = nrows;

		json_array_foreach(rows, j, r)
			if (strcmp(jx_str(r, "entity"), jx_str(c, "entity")) == 0)
				row = j;
		if (row == nrows || htime_parse(jx_str(c, "at"), &at) < 0 || htime_parse(jx_str(g, "from"), &from) < 0)
			continue;
		put_marker(b, jx_str(c, "type"), LABEL_W + (double)((at - from) / htime_parse_duration(window)) * cell,
			   HEAD_H + (double)row * cell, cell);
		buf_puts(b, "<title>");
		report_html_escape(b, jx_str(c, "type"));
		buf_puts(b, " ");
		report_html_escape(b, jx_str(c, "entity"));
		buf_printf(b, " at %s, score %.2f", jx_str(c, "at"), jx_num(c, "score", 0));
		if (jx_str(c, "severity")) {
			buf_puts(b, " (");
			report_html_escape(b, jx_str(c, "severity"));
			buf_puts(b, ")");
		}
		buf_puts(b, "</title>");
		buf_puts(b, strcmp(jx_str(c, "type"), "cascade") == 0 || strcmp(jx_str(c, "type"), "signal") == 0 ? "</path>\n"
														   : "</circle>\n");
	}

	/* Legend: the colour scale, the size scale, the markers. */
	buf_printf(b, "<g font-size=\"11\" fill=\"#333\" transform=\"translate(%d,%.1f)\">\n", LABEL_W, legend_y);
	buf_printf(b, "<rect x=\"0\" y=\"0\" width=\"180\" height=\"12\" fill=\"url(#sent)\"/>"
		      "<text x=\"0\" y=\"26\">%+.2f</text><text x=\"90\" y=\"26\" text-anchor=\"middle\">0</text>"
		      "<text x=\"180\" y=\"26\" text-anchor=\"end\">%+.2f</text>"
		      "<text x=\"0\" y=\"40\">bearish</text><text x=\"90\" y=\"40\" text-anchor=\"middle\">"
		      "mean sentiment</text><text x=\"180\" y=\"40\" text-anchor=\"end\">bullish</text>\n",
		   -scale, scale);
	for (int k = 0; k < 3; k++) {
		long long v = k == 0 ? maxposts : k == 1 ? (maxposts + 3) / 4 : (maxposts + 15) / 16;
		double side = 20 * sqrt((double)v / (double)maxposts);

		if (side < 2)
			side = 2;
		buf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#9e9e9e\"/>"
			      "<text x=\"%d\" y=\"38\" text-anchor=\"middle\">%lld</text>\n",
			   220 + k * 44 + (20 - side) / 2, (20 - side) / 2 - 4, side, side, 220 + k * 44 + 10, v);
	}
	buf_puts(b, "<text x=\"286\" y=\"52\" text-anchor=\"middle\">mentions</text>");
	put_marker(b, "cascade", 366, -6, 24);
	buf_puts(b, "</path><text x=\"396\" y=\"10\">cascade</text>");
	put_marker(b, "signal", 456, -6, 24);
	buf_puts(b, "</path><text x=\"472\" y=\"10\">signal</text>");
	put_marker(b, "heat", 516, -18, 24);
	buf_puts(b, "</circle><text x=\"546\" y=\"10\">heat, discovery</text>\n</g>\n</svg>\n");
	report_page_end(b);
}
