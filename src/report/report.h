/*
 * report.h — what herd-report makes from herd's SQLite file: the daily
 * digest (top movers by mentions and by sentiment change, new cascades,
 * signals, heat and discoveries, alerts sent) and the entity × time
 * heatmap.
 *
 * Each report is built once as a JSON document (report_digest,
 * report_heatmap) and then rendered from it, so the JSON, Markdown and
 * HTML forms always say the same thing. Rendered output is deterministic
 * (no clock, no random ids): the same file gives the same bytes. HTML is
 * one self-contained page — inline CSS and SVG, no script, no external
 * asset — that opens offline.
 *
 * Reads aggregates and events (docs/storage.md); never writes.
 */
#ifndef HERD_REPORT_H
#define HERD_REPORT_H

#include <jansson.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

/* ---------------------------------------------------------------- digest */

/* The latest day with aggregates (however few); the latest day all of whose
 * windows are in (the day before the one the latest window ends in): what
 * a daily cron job just after midnight reports. */
#define REPORT_DAY_LATEST (-1)
#define REPORT_DAY_COMPLETE (-2)
/* Days up to the report day that the digest's sparklines show (herd-report
 * --pg copies them too). */
#define REPORT_SPARK_DAYS 14

typedef struct report_digest_opts {
	const char *db_name; /* named in the header */
	int64_t day;         /* the day to report (its date at midnight UTC, or a moment in it), or REPORT_DAY_LATEST, REPORT_DAY_COMPLETE */
	const char *tz;      /* the zone whose days are reported (tzone_use selected it), or NULL: UTC */
	const char *window;  /* aggregate window to add up per day, or NULL: 1d, else the longest that divides a day */
	int baseline_days;   /* movers are judged against the mean of this many days before */
	int top;             /* rows per mover table */
	long min_mentions;   /* a mention mover needs this many mentions on the day */
	long min_scored;     /* a sentiment mover needs this many scored mentions on the day and in the baseline */
	const char *exclude; /* a JSON array of entities to leave out, or NULL */
} report_digest_opts;

/* Build the digest document; NULL with err when the file has no
 * aggregates (or none of --window). json_decref the result. */
json_t *report_digest(sqlite3 *db, const report_digest_opts *o, char *err, size_t errlen);
void report_digest_markdown(const json_t *d, buf_t *out);
void report_digest_html(const json_t *d, buf_t *out);

/* ---------------------------------------------------------------- heatmap */

typedef struct report_heatmap_opts {
	const char *db_name;
	const char *window; /* NULL: 1d when present, else the shortest */
	int64_t from, to;   /* the time range [from, to), or -1: the data's, at most `columns` windows back */
	int columns;        /* most windows shown when from is not given */
	int top;            /* entities (rows), most mentioned first */
	double scale;       /* the colour value drawn at full colour; 0: the 95th percentile of the data's */
	int absolute;       /* colour by the mean sentiment itself, not its deviation from the row's usual */
	const char *exclude; /* a JSON array of entities to leave out, or NULL */
} report_heatmap_opts;

/* The grid as a JSON document: columns (window starts), rows (entity,
 * total, usual sentiment, cells [posts, sentiment or null, scored, colour
 * value or null]), gaps (columns without any aggregate), the colour mode
 * and scale, and the events in the range (with the cascade phase or the
 * signal's side as "phase"). NULL with err when there is nothing to draw. */
json_t *report_heatmap(sqlite3 *db, const report_heatmap_opts *o, char *err, size_t errlen);
void report_heatmap_html(const json_t *grid, buf_t *out);

/* ---------------------------------------------------------------- shared (page.c) */

/* |mean sentiment| drawn at full colour: window means of VADER compound or
 * FinBERT P(pos) - P(neg) rarely go beyond it (the 2021 replays' 1d means
 * of busy entities stay within about ±0.3), so the scale uses its range. */
#define REPORT_SCALE_DEFAULT 0.3

/* The aggregate window to use: want when present, else (daily = 1) 1d or
 * the longest window that divides a day, or (daily = 0) 1d or the
 * shortest. Returns 0 and fills name[16] and *secs, or -1 with err. */
int report_pick_window(sqlite3 *db, const char *want, int daily, char name[16], int64_t *secs, char *err,
		       size_t errlen);
/* The first (last = 0) or last (last = 1) window start among the
 * aggregates of window, or -1 when it has none. */
int64_t report_window_edge(sqlite3 *db, const char *window, int last);

/* What an event's evidence says first, as plain text, appended to b:
 * "start · 3 sources · led by reddit/wallstreetbets · 3120 posts vs 210
 * usual" for a cascade, "BUY · confidence 0.80" for a signal, "heat 5.23
 * over 4 streams" for heat. herd-alert writes it into its messages too. */
void report_event_text(const json_t *event, buf_t *b);
/* Text for HTML element content and attribute values (& < > " '). */
void report_html_escape(buf_t *b, const char *s);
/* Text for a Markdown table cell (| and newlines escaped, backticks kept). */
void report_md_escape(buf_t *b, const char *s);
/* "#rrggbb" for a sentiment in [-scale, scale]: red through grey to green. */
void report_sentiment_color(double s, double scale, char out[8]);
/* The start of a self-contained HTML page with herd's inline CSS, and its end. */
void report_page_begin(buf_t *b, const char *title);
void report_page_end(buf_t *b);

#endif
