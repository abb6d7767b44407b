/*
 * page.c — what herd-report's two reports share: choosing the aggregate
 * window and finding its first and last start, escaping for HTML and Markdown, the sentiment colour scale and
 * the page frame with its inline CSS. See report.h.
 */
#include "report.h"
#include "lib/htime.h"
#include "lib/jsonx.h"
#include "lib/util.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define DAY 86400

int report_pick_window(sqlite3 *db, const char *want, int daily, char name[16], int64_t *secs, char *err,
		       size_t errlen)
{
	sqlite3_stmt *st;
	int64_t best = -1;

	if (sqlite3_prepare_v2(db, "SELECT DISTINCT \"window\" FROM aggregates", -1, &st, NULL) != SQLITE_OK)
		return herd_errf(err, errlen, "aggregates: %s", sqlite3_errmsg(db));
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *w = (const char *)sqlite3_column_text(st, 0);
		int64_t len = w ? htime_parse_duration(w) : -1;
		int better;

		if (len <= 0 || best == DAY)
			continue; /* a day is always the first choice */
		if (want)
			better = strcmp(w, want) == 0;
		else if (len == DAY)
			better = 1;
		else if (daily)
			better = DAY % len == 0 && len > best;
		else
			better = best < 0 || len < best;
		if (better) {
			best = len;
			snprintf(name, 16, "%s", w);
		}
	}
	sqlite3_finalize(st);
	if (best < 0) {
		if (want)
			return herd_errf(err, errlen, "no aggregates of window %s", want);
		return herd_errf(err, errlen, "no aggregates%s to report on", daily ? " of a window that divides a day" : "");
	}
	*secs = best;
	return 0;
}

int64_t report_window_edge(sqlite3 *db, const char *window, int last)
{
	sqlite3_stmt *st;
	int64_t t = -1;

	if (sqlite3_prepare_v2(db,
			       last ? "SELECT max(start) FROM aggregates WHERE \"window\" = ?1"
				    : "SELECT min(start) FROM aggregates WHERE \"window\" = ?1",
			       -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, window, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW || sqlite3_column_type(st, 0) == SQLITE_NULL ||
	    htime_parse((const char *)sqlite3_column_text(st, 0), &t) < 0)
		t = -1;
	sqlite3_finalize(st);
	return t;
}

void report_html_escape(buf_t *b, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': buf_puts(b, "&amp;"); break;
		case '<': buf_puts(b, "&lt;"); break;
		case '>': buf_puts(b, "&gt;"); break;
		case '"': buf_puts(b, "&quot;"); break;
		case '\'': buf_puts(b, "&#39;"); break;
		default: buf_putc(b, *s);
		}
	}
}

void report_md_escape(buf_t *b, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '|' || *s == '\\' || *s == '*' || *s == '_' || *s == '<')
			buf_putc(b, '\\');
		buf_putc(b, *s == '\n' || *s == '\r' ? ' ' : *s);
	}
}

/* Endpoints of the scale: a ColorBrewer RdYlGn-like red and green around
 * a neutral grey that stays visible on white. */
static const double neg_rgb[3] = {0xc6, 0x28, 0x28}, mid_rgb[3] = {0xb0, 0xb0, 0xb0}, pos_rgb[3] = {0x1b, 0x8a, 0x3c};

void report_sentiment_color(double s, double scale, char out[8])
{
	const double *end = s < 0 ? neg_rgb : pos_rgb;
	double t = scale > 0 ? fabs(s) / scale : 1;
	int c[3];

	if (!(t <= 1)) /* also NaN */
		t = t > 1 ? 1 : 0;
	for (int i = 0; i < 3; i++)
		c[i] = (int)lround(mid_rgb[i] + (end[i] - mid_rgb[i]) * t);
	snprintf(out, 8, "#%02x%02x%02x", c[0], c[1], c[2]);
}

void report_page_begin(buf_t *b, const char *title)
{
	buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
	report_html_escape(b, title);
	buf_puts(b, "</title>\n<style>\n"
		    "body{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;margin:24px;color:#222;background:#fff}\n"
		    "h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:22px 0 6px;border-bottom:1px solid #ddd}\n"
		    "p.sub{color:#555;margin:0 0 12px;font-size:13px}\n"
		    "table{border-collapse:collapse;font-size:13px}th,td{padding:3px 9px;border-bottom:1px solid #eee}\n"
		    "th{text-align:left;background:#f4f4f4}td.n{text-align:right;font-variant-numeric:tabular-nums}\n"
		    "td.e{font-weight:bold;font-family:'DejaVu Sans Mono',monospace}\n"
		    "span.sw{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:middle}\n"
		    ".none{color:#888;font-style:italic}.critical{color:#b71c1c;font-weight:bold}.warn{color:#b26a00}\n"
		    "svg text{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif}\n"
		    "</style>\n</head>\n<body>\n");
}

void report_page_end(buf_t *b)
{
	buf_puts(b, "</body>\n</html>\n");
}

void report_event_text(const json_t *ev, buf_t *b)
{
	const json_t *x = json_object_get(ev, "evidence");
	const char *type = jx_str(ev, "type");

	if (!type || !x)
		return;
	if (strcmp(type, "cascade") == 0) {
		buf_puts(b, jx_str(x, "phase") ? jx_str(x, "phase") : "?");
		if (json_is_array(json_object_get(x, "sources")))
			buf_printf(b, " · %zu sources", json_array_size(json_object_get(x, "sources")));
		if (jx_str(x, "leader"))
			buf_printf(b, " · led by %s", jx_str(x, "leader"));
		if (json_is_number(json_object_get(x, "rate")))
			buf_printf(b, " · %g posts vs %g usual", jx_num(x, "rate", 0), jx_num(x, "baseline", 0));
	} else if (strcmp(type, "signal") == 0) {
		buf_puts(b, jx_str(x, "direction") ? jx_str(x, "direction") : "?");
		if (json_is_number(json_object_get(x, "confidence")))
			buf_printf(b, " · confidence %.2f", jx_num(x, "confidence", 0));
	} else if (strcmp(type, "heat") == 0 || strcmp(type, "discovery") == 0) {
		buf_printf(b, "%sheat %.2f over %d streams", strcmp(type, "discovery") == 0 ? "first time hot · " : "",
			   jx_num(x, "heat", 0), (int)jx_num(x, "streams", 0));
	} else if (strcmp(type, "alert") == 0 && jx_str(x, "event")) {
		buf_printf(b, "for %s", jx_str(x, "event"));
	}
}
