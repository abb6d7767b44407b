/*
 * heatmap.c — the entity × time heatmap: one row per entity (the most
 * mentioned in the range first), one column per aggregate window; each
 * cell a square whose side grows with the log of the window's mentions
 * (social volumes are heavy-tailed: on a linear scale every cell but the
 * peak is a dot) and whose colour says how the window's sentiment
 * compares with the entity's own usual sentiment over the range (VADER
 * means of busy entities sit at +0.1 to +0.3 all the time, so absolute
 * colour paints every cell the same green). Events are marked inside
 * their cell, a shape per cascade phase; windows with no data at all are
 * hatched. Built as a JSON grid, rendered as one HTML page with inline SVG
 * and native <title> tooltips — no script. See report.h.
 */
#include "report.h"
#include "lib/htime.h"
#include "lib/jsonx.h"
#include "lib/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The widest grid drawn (the page scrolls sideways past the screen). */
#define MAX_COLUMNS 2000
/* Layout, in SVG pixels: the legend on top (visible without scrolling),
 * then the rotated time labels, then the rows. */
#define LABEL_W 96  /* entity names */
#define LEGEND_H 58 /* the legend band */
#define LEGEND_W 940
#define HEAD_H 92   /* rotated time labels */
#define TOP_H (LEGEND_H + HEAD_H)
/* Scored mentions at which a window's deviation counts half: a window of
 * three posts is drawn close to the entity's usual colour, not at an
 * extreme because of one angry comment (shrinkage towards the usual). */
#define SHRINK_N 10.0

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

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Each row's usual sentiment (its scored mentions' mean over the range),
 * each cell's colour value (deviation mode: the window's mean minus the
 * usual, shrunk by n / (n + SHRINK_N); absolute: the mean) as the cell's
 * fourth element, and the scale: --scale, or the 95th percentile of the
 * values' magnitude, so that the colours use their range on any data. */
static void colour_cells(json_t *g, const report_heatmap_opts *o)
{
	json_t *rows = json_object_get(g, "rows"), *r, *c;
	size_t i, j, n = 0, cap = 64;
	double *mags = xmalloc(cap * sizeof *mags), scale = o->scale;

	json_array_foreach(rows, i, r) {
		double sum = 0, wsum = 0, usual;

		json_array_foreach(json_object_get(r, "cells"), j, c)
			if (json_is_number(json_array_get(c, 1))) {
				double w = (double)json_integer_value(json_array_get(c, 2));
				sum += json_number_value(json_array_get(c, 1)) * w;
				wsum += w;
			}
		usual = wsum > 0 ? sum / wsum : 0;
		json_object_set_new(r, "usual", wsum > 0 ? json_real(round(usual * 1e4) / 1e4) : json_null());
		json_array_foreach(json_object_get(r, "cells"), j, c) {
			const json_t *m = json_array_get(c, 1);
			double k = (double)json_integer_value(json_array_get(c, 2)), v;

			if (!json_is_array(c))
				continue;
			if (!json_is_number(m)) {
				json_array_append_new(c, json_null());
				continue;
			}
			v = o->absolute ? json_number_value(m) : (json_number_value(m) - usual) * k / (k + SHRINK_N);
			v = round(v * 1e4) / 1e4;
			json_array_append_new(c, json_real(v));
			if (n == cap)
				mags = xrealloc(mags, (cap *= 2) * sizeof *mags);
			mags[n++] = fabs(v);
		}
	}
	if (!(scale > 0)) {
		scale = o->absolute ? REPORT_SCALE_DEFAULT : 0.05;
		if (n > 0) {
			qsort(mags, n, sizeof *mags, cmp_double);
			scale = mags[(size_t)floor(0.95 * (double)(n - 1))];
			/* two significant digits, and never so small that rounding noise shows */
			scale = scale < 0.01 ? 0.01 : ceil(scale * 100) / 100;
		}
	}
	free(mags);
	json_object_set_new(g, "colour", json_string(o->absolute ? "absolute" : "deviation"));
	json_object_set_new(g, "scale", json_real(scale));
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

	colour_cells(g, o);

	/* Windows with no aggregate of any entity: a gap in the data (a feed
	 * down, a day not collected), not a quiet day. */
	{
		json_t *gaps = json_array();
		int64_t c = 0;

		if (sqlite3_prepare_v2(db,
				       "SELECT DISTINCT start FROM aggregates WHERE \"window\" = ?1 AND start >= ?2 AND "
				       "start < ?3 ORDER BY start",
				       -1, &st, NULL) != SQLITE_OK) {
			json_decref(gaps);
			goto sqlerr;
		}
		bind_range(st, window, from_s, to_s);
		while (sqlite3_step(st) == SQLITE_ROW) {
			int64_t t;

			if (htime_parse((const char *)sqlite3_column_text(st, 0), &t) < 0 || (t - from) % wlen)
				continue;
			for (; c < (t - from) / wlen; c++)
				json_array_append_new(gaps, json_integer(c));
			c = (t - from) / wlen + 1;
		}
		for (; c < ncols; c++)
			json_array_append_new(gaps, json_integer(c));
		sqlite3_finalize(st);
		json_object_set_new(g, "gaps", gaps);
	}

	/* The events on the drawn entities, with the cascade phase or the
	 * signal's side that picks their marker. */
	events = json_array();
	json_object_set_new(g, "events", events);
	if (sqlite3_prepare_v2(db,
			       "SELECT entity, \"at\", type, \"key\", score, severity, "
			       "CASE WHEN json_valid(evidence) THEN coalesce(json_extract(evidence, '$.phase'), "
			       "json_extract(evidence, '$.direction')) END FROM events "
			       "WHERE \"at\" >= ?1 AND \"at\" < ?2 AND (NOT json_valid(evidence) OR "
			       "coalesce(json_extract(evidence, '$.window'), ?3) = ?3) ORDER BY \"at\", \"key\"",
			       -1, &st, NULL) != SQLITE_OK)
		goto sqlerr;
	sqlite3_bind_text(st, 1, from_s, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, to_s, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, window, -1, SQLITE_STATIC); /* an hourly cascade is not drawn on a daily grid */
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
		if (sqlite3_column_type(st, 6) == SQLITE_TEXT)
			json_object_set_new(e, "phase", json_string((const char *)sqlite3_column_text(st, 6)));
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

/* An event's marker, inside its cell (never over a neighbour or past the
 * grid): cascades in the top right corner, a shape per phase — start a
 * red ▲, growth a hollow ▲, peak a black ●, fade a hollow ▼ —, signals a
 * ◆ in the top left (blue BUY, purple SELL), heat and discovery a ring in
 * the bottom right, alerts a small square in the bottom left. nth = 1 for
 * a second marker in the same corner (a one-window episode starts and
 * peaks at once): it sits beside the first; a third overlays the first.
 * Returns the element's closing tag, for the caller to put a <title> in
 * between. */
static const char *put_marker(buf_t *b, const char *type, const char *phase, double x, double y, double cell, int nth)
{
	double s = cell * 0.42 > 10 ? 10 : cell * 0.42; /* the marker's box */
	/* the nth marker of a corner on one cell moves over by a box, towards the other corner */
	double step = nth > 1 ? 0 : nth * (s + 0.5);
	double left = x + 1 + step, right = x + cell - 1 - s - step, top = y + 1, bottom = y + cell - 1 - s;
	double bx = right, by = top, h = s / 2;

	if (strcmp(type, "cascade") == 0) {
		const char *fill = "#111", *stroke = "#fff";
		int down = 0;

		if (phase && strcmp(phase, "start") == 0)
			fill = "#d50000";
		else if (phase && strcmp(phase, "growth") == 0)
			fill = "#fff", stroke = "#111";
		else if (phase && strcmp(phase, "fade") == 0)
			fill = "#fff", stroke = "#555", down = 1;
		if (phase && strcmp(phase, "peak") == 0) {
			buf_printf(b, "<circle class=\"mk peak\" cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"#111\" stroke=\"#fff\" "
				      "stroke-width=\"1\">",
				   bx + h, by + h, h * 0.9);
			return "</circle>\n";
		}
		if (down)
			buf_printf(b, "<path class=\"mk %s\" d=\"M%.1f %.1fL%.1f %.1fL%.1f %.1fZ\" fill=\"%s\" stroke=\"%s\" "
				      "stroke-width=\"1.2\">",
				   phase, bx, by + 0.5, bx + s, by + 0.5, bx + h, by + s, fill, stroke);
		else
			buf_printf(b, "<path class=\"mk %s\" d=\"M%.1f %.1fL%.1f %.1fL%.1f %.1fZ\" fill=\"%s\" stroke=\"%s\" "
				      "stroke-width=\"1.2\">",
				   phase ? phase : "cascade", bx + h, by, bx + s, by + s - 0.5, bx, by + s - 0.5, fill, stroke);
		return "</path>\n";
	}
	if (strcmp(type, "signal") == 0) {
		int sell = phase && strcmp(phase, "SELL") == 0;

		bx = left;
		buf_printf(b, "<path class=\"mk signal\" d=\"M%.1f %.1fL%.1f %.1fL%.1f %.1fL%.1f %.1fZ\" fill=\"%s\" "
			      "stroke=\"#fff\" stroke-width=\"1\">",
			   bx + h, by, bx + s, by + h, bx + h, by + s, bx, by + h, sell ? "#7b1fa2" : "#1565c0");
		return "</path>\n";
	}
	if (strcmp(type, "alert") == 0) {
		buf_printf(b, "<rect class=\"mk alert\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#ff6f00\" "
			      "stroke=\"#fff\" stroke-width=\"1\">",
			   left + s * 0.15, bottom + s * 0.15, s * 0.7, s * 0.7);
		return "</rect>\n";
	}
	/* heat, discovery and anything newer: a ring */
	buf_printf(b, "<circle class=\"mk %s\" cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"%s\" stroke=\"#e65100\" "
		      "stroke-width=\"1.6\">",
		   strcmp(type, "discovery") == 0 ? "discovery" : "heat", right + h, bottom + h, h * 0.75,
		   strcmp(type, "discovery") == 0 ? "#e65100" : "none");
	return "</circle>\n";
}

/* The side of a cell's square: from a third of the cell for one mention
 * to the whole cell (less a pixel) for the busiest window, on a log
 * scale. */
static double square_side(long long posts, long long maxposts, double cell)
{
	double f = maxposts > 1 ? log1p((double)posts) / log1p((double)maxposts) : 1;

	return (cell - 2) * (0.34 + 0.66 * f);
}

void report_heatmap_html(const json_t *g, buf_t *b)
{
	const json_t *cols = json_object_get(g, "columns"), *rows = json_object_get(g, "rows");
	const json_t *events = json_object_get(g, "events"), *gaps = json_object_get(g, "gaps");
	size_t ncols = json_array_size(cols), nrows = json_array_size(rows), i, j;
	const char *window = jx_str(g, "window");
	int64_t wlen = htime_parse_duration(window);
	int daily = wlen >= 86400, deviation = strcmp(jx_str(g, "colour") ? jx_str(g, "colour") : "", "deviation") == 0;
	double scale = jx_num(g, "scale", 0.5), cell, w, h;
	long long maxposts = 1;
	int every;
	char title[160], col[8], label[32];
	json_t *r, *c;

	/* Big cells for a few columns, never under 14 px: a long range scrolls
	 * sideways rather than shrink hourly cells to unreadable dots. */
	cell = ncols <= 16 ? 40 : ncols <= 48 ? 24 : ncols <= 72 ? 18 : 14;
	/* a time label every `every` columns: whole hours of the day for hourly windows */
	every = (int)ceil(15.0 / cell);
	if (!daily && wlen <= 3600 && every > 1)
		every = every <= 2 ? 2 : every <= 3 ? 3 : every <= 6 ? 6 : 12;
	w = LABEL_W + (double)ncols * cell + 40; /* the last rotated label */
	if (w < LABEL_W + LEGEND_W)
		w = LABEL_W + LEGEND_W;
	h = TOP_H + (double)nrows * cell + 12;
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
	buf_printf(b, "</code>: the %zu most mentioned entities from %s up to %s. A square grows with the log of the "
		      "window's mentions (largest: %lld); its colour is ",
		   nrows, jx_str(g, "from"), jx_str(g, "to"), maxposts);
	if (deviation)
		buf_puts(b, "the window's mean sentiment against the entity's own usual over the range (the row's "
			    "tooltip), drawn nearer grey the fewer posts were scored");
	else
		buf_puts(b, "the window's mean sentiment");
	buf_puts(b, ". Hover a square or a marker for its numbers.</p>\n");
	buf_printf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
		      "role=\"img\" aria-label=\"heatmap of mentions and sentiment\">\n",
		   w, h, w, h);
	buf_puts(b, "<defs><linearGradient id=\"sent\" x1=\"0\" x2=\"1\" y1=\"0\" y2=\"0\">");
	for (int k = 0; k <= 4; k++) {
		report_sentiment_color(scale * (k - 2) / 2.0, scale, col);
		buf_printf(b, "<stop offset=\"%d%%\" stop-color=\"%s\"/>", k * 25, col);
	}
	buf_puts(b, "</linearGradient><pattern id=\"nodata\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
		    "patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#fff\"/>"
		    "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#bbb\" stroke-width=\"2\"/></pattern></defs>\n");

	/* The legend first, so that it is seen without scrolling. */
	buf_printf(b, "<g class=\"legend\" font-size=\"11\" fill=\"#333\" transform=\"translate(%d,8)\">\n", LABEL_W);
	buf_printf(b, "<rect x=\"0\" y=\"0\" width=\"180\" height=\"12\" fill=\"url(#sent)\"/>"
		      "<text x=\"0\" y=\"26\">%+.2f</text><text x=\"90\" y=\"26\" text-anchor=\"middle\">%s</text>"
		      "<text x=\"180\" y=\"26\" text-anchor=\"end\">%+.2f</text>"
		      "<text x=\"90\" y=\"40\" text-anchor=\"middle\">%s</text>\n",
		   -scale, deviation ? "usual" : "0", scale,
		   deviation ? "more bearish · sentiment · more bullish" : "bearish · mean sentiment · bullish");
	for (int k = 0; k < 3; k++) {
		long long v = k == 0 ? maxposts : k == 1 ? (long long)llround(sqrt((double)maxposts)) : 1;
		double side = square_side(v, maxposts, 22);

		buf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#9e9e9e\"/>"
			      "<text x=\"%d\" y=\"38\" text-anchor=\"middle\">%lld</text>\n",
			   210 + k * 40 + (22 - side) / 2, (22 - side) / 2 - 6, side, side, 210 + k * 40 + 11, v);
	}
	buf_puts(b, "<text x=\"271\" y=\"50\" text-anchor=\"middle\">mentions</text>\n");
	{
		static const char *const kinds[][3] = {{"cascade", "start", "herd starts"}, {"cascade", "growth", "grows"},
						       {"cascade", "peak", "peak"},        {"cascade", "fade", "fades"},
						       {"signal", "BUY", "BUY"},           {"signal", "SELL", "SELL"},
						       {"heat", NULL, "heat"},             {"discovery", NULL, "discovery"}};
		double x = 330;

		for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
			double lw = 8 + 6.4 * (double)strlen(kinds[k][2]) + 14;

			buf_puts(b, put_marker(b, kinds[k][0], kinds[k][1], x - 12, -4, 24, 0));
			buf_printf(b, "<text x=\"%.1f\" y=\"10\">%s</text>\n", x + 12, kinds[k][2]);
			x += lw + 14;
		}
		buf_printf(b, "<rect x=\"330\" y=\"24\" width=\"16\" height=\"16\" fill=\"url(#nodata)\" stroke=\"#bbb\"/>"
			      "<text x=\"352\" y=\"36\">no data in this window (no aggregate of any entity)</text>\n");
	}
	buf_puts(b, "</g>\n");

	/* Time labels, rotated; for windows under a day the date is bold at midnight. */
	buf_puts(b, "<g font-size=\"10\" fill=\"#444\">\n");
	json_array_foreach(cols, i, c) {
		double x = LABEL_W + (double)i * cell + cell / 2;
		const char *start = json_string_value(c);
		int midnight = !daily && strcmp(start + 11, "00:00:00Z") == 0;

		if (i % (size_t)every && !midnight)
			continue;
		if (daily)
			snprintf(label, sizeof label, "%.10s", start);
		else if (midnight)
			snprintf(label, sizeof label, "%.5s", start + 5);
		else
			snprintf(label, sizeof label, "%.5s", start + 11);
		buf_printf(b, "<text transform=\"translate(%.1f,%d) rotate(-55)\"%s>%s</text>\n", x + 3, TOP_H - 6,
			   midnight ? " font-weight=\"bold\" fill=\"#111\"" : "", label);
	}
	buf_puts(b, "</g>\n");

	/* Rows: the name, a light band, the cells. */
	json_array_foreach(rows, i, r) {
		double y = TOP_H + (double)i * cell;
		const char *entity = jx_str(r, "entity");
		const json_t *usual = json_object_get(r, "usual");

		buf_printf(b, "<g class=\"row\"><text x=\"%d\" y=\"%.1f\" font-size=\"%d\" text-anchor=\"end\" "
			      "font-weight=\"bold\" fill=\"#222\">",
			   LABEL_W - 8, y + cell / 2 + 4, cell >= 14 ? 12 : 9);
		report_html_escape(b, entity);
		buf_printf(b, "<title>%lld mentions", (long long)json_integer_value(json_object_get(r, "posts")));
		if (json_is_number(usual))
			buf_printf(b, ", usual sentiment %+.3f", json_number_value(usual));
		buf_puts(b, "</title></text>\n");
		buf_printf(b, "<rect x=\"%d\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n", LABEL_W, y,
			   (double)ncols * cell, cell, i % 2 ? "#fafafa" : "#f2f2f2");
		json_array_foreach(json_object_get(r, "cells"), j, c) {
			long long posts = json_integer_value(json_array_get(c, 0));
			const json_t *s = json_array_get(c, 1), *v = json_array_get(c, 3);
			double side, x = LABEL_W + (double)j * cell;

			if (!json_is_array(c) || posts <= 0)
				continue;
			side = square_side(posts, maxposts, cell);
			if (json_is_number(v))
				report_sentiment_color(json_number_value(v), scale, col);
			else
				snprintf(col, sizeof col, "#b0b0b0");
			buf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>",
				   x + (cell - side) / 2, y + (cell - side) / 2, side, side, col);
			report_html_escape(b, entity);
			buf_printf(b, " %s: %lld mentions", json_string_value(json_array_get(cols, j)), posts);
			if (json_is_number(s)) {
				buf_printf(b, ", sentiment %+.3f over %lld scored", json_number_value(s),
					   (long long)json_integer_value(json_array_get(c, 2)));
				if (deviation && json_is_number(usual))
					buf_printf(b, " (usual %+.3f)", json_number_value(usual));
			}
			buf_puts(b, "</title></rect>\n");
		}
		buf_puts(b, "</g>\n");
	}

	/* Windows without data: hatched across every row. */
	json_array_foreach(gaps, i, c) {
		json_int_t k = json_integer_value(c);

		if (k < 0 || (size_t)k >= ncols)
			continue;
		buf_printf(b, "<rect class=\"nodata\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%.1f\" "
			      "fill=\"url(#nodata)\" opacity=\"0.9\"><title>%s: no data (no aggregate of any entity in this "
			      "window)</title></rect>\n",
			   LABEL_W + (double)k * cell, TOP_H, cell, (double)nrows * cell,
			   json_string_value(json_array_get(cols, (size_t)k)));
	}

	/* Midnight lines across the rows when windows are shorter than a day. */
	if (!daily) {
		json_array_foreach(cols, i, c)
			if (i > 0 && strcmp(json_string_value(c) + 11, "00:00:00Z") == 0)
				buf_printf(b, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#777\" "
					      "stroke-width=\"0.8\" stroke-dasharray=\"2,2\"/>\n",
					   LABEL_W + (double)i * cell, TOP_H - 4, LABEL_W + (double)i * cell,
					   TOP_H + (double)nrows * cell);
	}

	/* Event markers inside their cells; drawn[] keeps (row, column, corner)
	 * of each, to count those already in a corner. */
	{
		size_t nev = json_array_size(events), ndrawn = 0;
		int64_t(*drawn)[3] = xcalloc(nev ? nev : 1, sizeof *drawn);

		json_array_foreach(events, i, c) {
			int64_t at, from, column, corner;
			size_t row = nrows;
			const char *close, *type = jx_str(c, "type");
			int nth = 0;

			json_array_foreach(rows, j, r)
				if (strcmp(jx_str(r, "entity"), jx_str(c, "entity")) == 0)
					row = j;
			if (row == nrows || htime_parse(jx_str(c, "at"), &at) < 0 || htime_parse(jx_str(g, "from"), &from) < 0)
				continue;
			column = (at - from) / wlen;
			corner = strcmp(type, "cascade") == 0 ? 0 : strcmp(type, "signal") == 0 ? 1 : strcmp(type, "alert") == 0 ? 2 : 3;
			for (size_t k = 0; k < ndrawn; k++)
				nth += drawn[k][0] == (int64_t)row && drawn[k][1] == column && drawn[k][2] == corner;
			drawn[ndrawn][0] = (int64_t)row, drawn[ndrawn][1] = column, drawn[ndrawn][2] = corner, ndrawn++;
			close = put_marker(b, type, jx_str(c, "phase"), LABEL_W + (double)column * cell, TOP_H + (double)row * cell,
					   cell, nth);
		buf_puts(b, "<title>");
		report_html_escape(b, jx_str(c, "type"));
		if (jx_str(c, "phase")) {
			buf_puts(b, " ");
			report_html_escape(b, jx_str(c, "phase"));
		}
		buf_puts(b, " ");
		report_html_escape(b, jx_str(c, "entity"));
		buf_printf(b, " at %s, score %.2f", jx_str(c, "at"), jx_num(c, "score", 0));
		if (jx_str(c, "severity")) {
			buf_puts(b, " (");
			report_html_escape(b, jx_str(c, "severity"));
			buf_puts(b, ")");
		}
		buf_puts(b, "</title>");
		buf_puts(b, close);
		}
		free(drawn);
	}
	buf_puts(b, "</svg>\n");
	report_page_end(b);
}
