/*
 * csvimport.h — turning CSV records into herd records: the column mapping
 * behind herd-import (`--map text=comment,entities=ticker,…`), post ids
 * that stay the same on a re-run, dates and communities taken from file
 * names, and `metric` records for tables of numbers per entity (a daily
 * mentions table is not a list of posts).
 *
 * Reading the CSV itself (quoting, encodings, line numbers) is csvread.c;
 * this module only sees header names and field strings. A mapped column may
 * name alternatives ("ts_utc|date": the first that is not empty in the
 * row). Entities come from
 * a mapped column, or from the title and text through the extractor
 * herd-normalize uses (text/entopts.c), or both. Every error is a message
 * for "file:line: reason"; none is fatal.
 */
#ifndef HERD_CSVIMPORT_H
#define HERD_CSVIMPORT_H

#include <jansson.h>
#include <stddef.h>

#include "sources/csvread.h"

/* What a row becomes: a post, one metric per --value, or a price bar
 * (a metric named "bar" with open/high/low/close/volume). */
enum csvimp_kind { CSVIMP_POST, CSVIMP_METRIC, CSVIMP_BAR };

#define CSVIMP_MAX_FORMATS 8 /* --date-format options */

/* The settings; the caller owns the strings (argv). */
struct csvimp_opts {
	enum csvimp_kind kind;
	const char *source;             /* post/metric "source" (default "csv") */
	const char *type;               /* post "type" when no column gives it (default "comment") */
	const char *community;          /* --community, or NULL */
	const char *community_re;       /* --community-from-filename REGEX, or NULL */
	const char *entity_re;          /* --entity-from-filename REGEX (metrics, bars), or NULL */
	int date_from_filename;         /* a YYYY-MM-DD in the file name is the time */
	/* How the time column is written: strptime formats tried in order,
	 * "auto" naming herd's own forms (htime.h); none means "auto" alone. */
	const char *date_formats[CSVIMP_MAX_FORMATS];
	size_t ndate_formats;
	int date_only_end;              /* a date without a time of day is the end of that day */
	int local_zone;                 /* zone-less times are in the zone tzone_use selected */
	const char *interval;           /* metric "interval", or NULL */
	int extract;                    /* ENT_* mode for title and text (ENT_NONE: none) */
	const struct ent_dict *dict;    /* the dictionary it needs, or NULL; borrowed */
};

typedef struct csvimp csvimp_t;

/* New mapping with these settings. Returns NULL and a message in err when
 * a setting is wrong (a bad regex, an unknown type). Free with csvimp_free. */
csvimp_t *csvimp_new(const struct csvimp_opts *o, char *err, size_t errlen);
/* Add "FIELD=COLUMN[,FIELD=COLUMN…]" to the mapping (--map). COLUMN is a
 * header name or #N (1-based). Returns 0, or -1 with a message in err. */
int csvimp_map(csvimp_t *m, const char *spec, char *err, size_t errlen);
/* Add "NAME=COLUMN[,…]": metric values (--value). Same returns. */
int csvimp_value(csvimp_t *m, const char *spec, char *err, size_t errlen);
/* Check the mapping is complete for its kind (a time, an entity…); 0 or -1. */
int csvimp_check(const csvimp_t *m, char *err, size_t errlen);
/* Start a file: resolve the mapped columns against its header and take
 * what its name says (date, community). 0, or -1 with a message when the
 * file cannot be imported with this mapping. */
int csvimp_bind(csvimp_t *m, const csvr_t *r, const char *path, char *err, size_t errlen);
/* Convert one record into new records appended to out (json_decref them);
 * returns how many (>= 0), or -1 with the reason in err. */
int csvimp_row(csvimp_t *m, const csvr_row *row, json_t **out, size_t outmax, char *err, size_t errlen);
/* Free; NULL does nothing. */
void csvimp_free(csvimp_t *m);

#endif
