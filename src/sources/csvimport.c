/*
 * csvimport.c — CSV records to `post` and `metric` records; see csvimport.h
 * for the interface and herd-import --help for what users see.
 *
 * Ids: a mapped id column gives "SOURCE:VALUE". Without one, a post's id is
 * "SOURCE:FILE:LINE" — the file's base name and the physical line where
 * the record starts — so importing the same files again gives the same
 * ids, and loads stay idempotent. (Renaming a file changes its ids.)
 */
#include "sources/csvimport.h"
#include "sources/sources.h"
#include "text/entities.h"
#include "text/entopts.h"
#include "lib/buf.h"
#include "lib/htime.h"
#include "lib/tzone.h"
#include "lib/util.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CSVIMP_MAX_VALUES 32   /* --value columns per metric row */
#define CSVIMP_MAX_ALT 4       /* alternative columns of one field: "a|b|c|d" */

/* ------------------------------------------------------------ the mapping */

enum field {
	F_ID, F_TYPE, F_COMMUNITY, F_CREATED_AT, F_AUTHOR, F_TITLE, F_TEXT, F_URL,
	F_SCORE, F_REPLIES, F_ENTITIES, F_PARENT, F_LANG,
	F_VNEG, F_VNEU, F_VPOS, F_VCOMPOUND,
	F_ENTITY, F_AT,
	F_OPEN, F_HIGH, F_LOW, F_CLOSE, F_VOLUME,
	F_COUNT
};

#define POST (1 << CSVIMP_POST)
#define METRIC (1 << CSVIMP_METRIC)
#define BAR (1 << CSVIMP_BAR)

static const struct {
	const char *name;
	int kinds; /* which record kinds take it */
} fields[F_COUNT] = {
	[F_ID] = {"id", POST},
	[F_TYPE] = {"type", POST},
	[F_COMMUNITY] = {"community", POST | METRIC | BAR},
	[F_CREATED_AT] = {"created_at", POST},
	[F_AUTHOR] = {"author", POST},
	[F_TITLE] = {"title", POST},
	[F_TEXT] = {"text", POST},
	[F_URL] = {"url", POST},
	[F_SCORE] = {"score", POST},
	[F_REPLIES] = {"replies", POST},
	[F_ENTITIES] = {"entities", POST},
	[F_PARENT] = {"parent", POST},
	[F_LANG] = {"lang", POST},
	[F_VNEG] = {"vader.neg", POST},
	[F_VNEU] = {"vader.neu", POST},
	[F_VPOS] = {"vader.pos", POST},
	[F_VCOMPOUND] = {"vader.compound", POST},
	[F_ENTITY] = {"entity", METRIC | BAR},
	[F_AT] = {"at", METRIC | BAR},
	[F_OPEN] = {"open", BAR},
	[F_HIGH] = {"high", BAR},
	[F_LOW] = {"low", BAR},
	[F_CLOSE] = {"close", BAR},
	[F_VOLUME] = {"volume", BAR},
};

static const char *const post_types[] = {"comment", "submission", "message", "article", "tweet", NULL};

static int is_post_type(const char *t)
{
	for (int i = 0; post_types[i]; i++)
		if (strcmp(post_types[i], t) == 0)
			return 1;
	return 0;
}

struct csvimp {
	struct csvimp_opts o;
	regex_t re, entity_re;
	int have_re, have_entity_re;
	char *spec[F_COUNT];   /* the column each field comes from, or NULL */
	/* resolved for the current file: the alternatives' indexes, in order
	 * (ncol 0: unmapped) */
	long col[F_COUNT][CSVIMP_MAX_ALT];
	int ncol[F_COUNT];
	size_t nvalues;        /* --value NAME=COLUMN pairs */
	char *vname[CSVIMP_MAX_VALUES];
	char *vspec[CSVIMP_MAX_VALUES];
	long vcol[CSVIMP_MAX_VALUES];
	/* Per file. */
	const csvr_t *r;
	char *base;            /* the file's base name, for ids */
	int64_t file_date;     /* from the file name, or -1 */
	char *file_community;  /* from the file name, or NULL */
	char *file_entity;     /* from the file name, or NULL */
};

static int compile_re(regex_t *re, int *have, const char *pattern, const char *opt, char *err, size_t errlen)
{
	int rc = regcomp(re, pattern, REG_EXTENDED);

	if (rc != 0) {
		char msg[128];
		regerror(rc, re, msg, sizeof msg);
		return herd_errf(err, errlen, "%s: %s", opt, msg);
	}
	*have = 1;
	return 0;
}

csvimp_t *csvimp_new(const struct csvimp_opts *o, char *err, size_t errlen)
{
	csvimp_t *m = xcalloc(1, sizeof *m);

	m->o = *o;
	if (!m->o.source)
		m->o.source = "csv";
	if (!m->o.type)
		m->o.type = "comment";
	m->file_date = -1;
	if (o->kind == CSVIMP_METRIC && o->extract != ENT_NONE) {
		herd_errf(err, errlen, "--extract finds entities in post text: not with --kind metric");
		csvimp_free(m);
		return NULL;
	}
	if (!is_post_type(m->o.type)) {
		herd_errf(err, errlen, "--type: '%s' is not one of comment, submission, message, article, tweet", m->o.type);
		csvimp_free(m);
		return NULL;
	}
	if ((o->community_re && compile_re(&m->re, &m->have_re, o->community_re, "--community-from-filename", err, errlen) < 0) ||
	    (o->entity_re && compile_re(&m->entity_re, &m->have_entity_re, o->entity_re, "--entity-from-filename", err, errlen) < 0)) {
		csvimp_free(m);
		return NULL;
	}
	if (o->entity_re && o->kind == CSVIMP_POST) {
		herd_errf(err, errlen, "--entity-from-filename is for --kind metric or bar (posts: --map entities=)");
		csvimp_free(m);
		return NULL;
	}
	return m;
}

/* Split "a=b,c=d" and call add(name, column) for each pair. */
static int each_pair(csvimp_t *m, const char *opt, const char *spec, char *err, size_t errlen,
		     int (*add)(csvimp_t *, const char *, const char *, char *, size_t))
{
	char *copy = xstrdup(spec), *save = NULL, *item;
	int rc = 0;

	for (item = strtok_r(copy, ",", &save); item && rc == 0; item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');
		if (!eq || eq == item || !eq[1]) {
			rc = herd_errf(err, errlen, "%s: '%s' is not NAME=COLUMN", opt, item);
			break;
		}
		*eq = '\0';
		rc = add(m, item, eq + 1, err, errlen);
	}
	free(copy);
	return rc;
}

static int add_field(csvimp_t *m, const char *name, const char *col, char *err, size_t errlen)
{
	for (int f = 0; f < F_COUNT; f++) {
		if (strcmp(fields[f].name, name) != 0)
			continue;
		if (!(fields[f].kinds & (1 << m->o.kind)))
			return herd_errf(err, errlen, "--map: %s records have no field '%s'",
				    (const char *[]){"post", "metric", "bar"}[m->o.kind], name);
		free(m->spec[f]);
		m->spec[f] = xstrdup(col);
		return 0;
	}
	return herd_errf(err, errlen, "--map: unknown field '%s' (see --help)", name);
}

static int add_value(csvimp_t *m, const char *name, const char *col, char *err, size_t errlen)
{
	if (m->nvalues == CSVIMP_MAX_VALUES)
		return herd_errf(err, errlen, "--value: more than %d values", CSVIMP_MAX_VALUES);
	m->vname[m->nvalues] = xstrdup(name);
	m->vspec[m->nvalues] = xstrdup(col);
	m->nvalues++;
	return 0;
}

int csvimp_map(csvimp_t *m, const char *spec, char *err, size_t errlen)
{
	return each_pair(m, "--map", spec, err, errlen, add_field);
}

int csvimp_value(csvimp_t *m, const char *spec, char *err, size_t errlen)
{
	if (m->o.kind != CSVIMP_METRIC)
		return herd_errf(err, errlen, "--value is for --kind metric (bars take --map open=,high=,low=,close=,volume=)");
	return each_pair(m, "--value", spec, err, errlen, add_value);
}

int csvimp_check(const csvimp_t *m, char *err, size_t errlen)
{
	if (m->o.kind == CSVIMP_POST) {
		if (!m->spec[F_CREATED_AT] && !m->o.date_from_filename)
			return herd_errf(err, errlen, "posts need a time: --map created_at=COLUMN or --date-from-filename");
		return 0;
	}
	if (!m->spec[F_ENTITY] && !m->have_entity_re)
		return herd_errf(err, errlen, "metrics need an entity: --map entity=COLUMN or --entity-from-filename");
	if (!m->spec[F_AT] && !m->o.date_from_filename)
		return herd_errf(err, errlen, "metrics need a time: --map at=COLUMN or --date-from-filename");
	if (m->o.kind == CSVIMP_BAR)
		return m->spec[F_CLOSE] ? 0 : herd_errf(err, errlen, "bars need a close: --map close=COLUMN");
	if (m->nvalues == 0)
		return herd_errf(err, errlen, "metrics need at least one --value NAME=COLUMN");
	return 0;
}

/* ------------------------------------------------------------ per file */

/* Column index of spec ("name" or "#N") in r's header, or -1. */
static long find_column(const csvr_t *r, const char *spec, int no_header_ok)
{
	size_t n = csvr_ncols(r);

	if (spec[0] == '#' && isdigit((unsigned char)spec[1])) {
		char *end;
		long i = strtol(spec + 1, &end, 10);
		if (*end == '\0' && i >= 1 && (no_header_ok || (size_t)i <= n))
			return i - 1;
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (strcmp(csvr_colname(r, i), spec) == 0)
			return (long)i;
	return -1;
}

/* Resolve field f's spec: a column, or alternatives "a|b" (a column whose
 * own name has a '|' is found whole first). 0, or -1 when one is absent. */
static int resolve(csvimp_t *m, const csvr_t *r, int f, int no_header)
{
	long c = find_column(r, m->spec[f], no_header);
	char *copy, *save = NULL;
	int rc = 0;

	if (c >= 0 || !strchr(m->spec[f], '|')) {
		m->col[f][0] = c;
		m->ncol[f] = 1;
		return c >= 0 ? 0 : -1;
	}
	copy = xstrdup(m->spec[f]);
	for (char *a = strtok_r(copy, "|", &save); a && rc == 0; a = strtok_r(NULL, "|", &save)) {
		if (m->ncol[f] == CSVIMP_MAX_ALT || (c = find_column(r, a, no_header)) < 0)
			rc = -1;
		else
			m->col[f][m->ncol[f]++] = c;
	}
	free(copy);
	return m->ncol[f] && rc == 0 ? 0 : -1;
}

static void columns_list(const csvr_t *r, char *out, size_t outlen)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < csvr_ncols(r) && used + 1 < outlen; i++) {
		const char *c = csvr_colname(r, i);
		int n = snprintf(out + used, outlen - used, "%s%s", i ? ", " : "", c[0] ? c : "(unnamed)");
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

/* The first YYYY-MM-DD in s that is a real date, as midnight UTC; or -1. */
static int64_t date_in(const char *s)
{
	for (; *s; s++) {
		char d[11];
		int64_t t;

		if (strlen(s) < 10)
			break;
		if (!(isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[1]) && isdigit((unsigned char)s[2]) &&
		      isdigit((unsigned char)s[3]) && s[4] == '-' && isdigit((unsigned char)s[5]) &&
		      isdigit((unsigned char)s[6]) && s[7] == '-' && isdigit((unsigned char)s[8]) &&
		      isdigit((unsigned char)s[9])))
			continue;
		memcpy(d, s, 10);
		d[10] = '\0';
		if (htime_parse(d, &t) == 0)
			return t;
	}
	return -1;
}

/* re's first group (or whole match) in base, new in *out (NULL when it is
 * empty); -1 when base does not match. */
static int filename_group(regex_t *re, const char *base, char **out)
{
	regmatch_t g[2];

	if (regexec(re, base, 2, g, 0) != 0)
		return -1;
	if (g[1].rm_so < 0)
		g[1] = g[0];
	if (g[1].rm_eo > g[1].rm_so)
		*out = xstrndup(base + g[1].rm_so, (size_t)(g[1].rm_eo - g[1].rm_so));
	return 0;
}

int csvimp_bind(csvimp_t *m, const csvr_t *r, const char *path, char *err, size_t errlen)
{
	const char *slash = strrchr(path, '/');
	int no_header = csvr_ncols(r) == 0;
	char cols[512];

	free(m->base);
	free(m->file_community);
	free(m->file_entity);
	m->file_community = m->file_entity = NULL;
	m->r = r;
	m->base = xstrdup(strcmp(path, "-") == 0 ? "stdin" : slash ? slash + 1 : path);
	for (int f = 0; f < F_COUNT; f++) {
		m->ncol[f] = 0;
		if (m->spec[f] && resolve(m, r, f, no_header) < 0) {
			columns_list(r, cols, sizeof cols);
			return herd_errf(err, errlen, "no column '%s' for %s (columns: %s)", m->spec[f], fields[f].name, cols);
		}
	}
	for (size_t v = 0; v < m->nvalues; v++) {
		m->vcol[v] = find_column(r, m->vspec[v], no_header);
		if (m->vcol[v] < 0) {
			columns_list(r, cols, sizeof cols);
			return herd_errf(err, errlen, "no column '%s' for value %s (columns: %s)", m->vspec[v], m->vname[v], cols);
		}
	}
	m->file_date = -1;
	if (m->o.date_from_filename) {
		m->file_date = date_in(m->base);
		if (m->file_date >= 0 && m->o.date_only_end)
			m->file_date += 86400; /* the day is over */
		if (m->file_date >= 0 && m->o.local_zone)
			m->file_date = tzone_to_utc(m->file_date); /* midnight in the zone */
		if (m->file_date < 0 && !m->spec[m->o.kind == CSVIMP_POST ? F_CREATED_AT : F_AT])
			return herd_errf(err, errlen, "--date-from-filename: no date like 2021-01-20 in the file name");
	}
	if (m->have_re && !m->spec[F_COMMUNITY] && !m->o.community &&
	    filename_group(&m->re, m->base, &m->file_community) < 0)
		return herd_errf(err, errlen, "--community-from-filename: the file name does not match");
	if (m->have_entity_re && !m->spec[F_ENTITY] && filename_group(&m->entity_re, m->base, &m->file_entity) < 0)
		return herd_errf(err, errlen, "--entity-from-filename: the file name does not match");
	return 0;
}

/* ------------------------------------------------------------ fields */

/* The cell of column col in row ("" past the row's end). */
static const char *cell(const csvr_row *row, long col)
{
	return (size_t)col < row->nfields ? row->field[col] : "";
}

/* Field f's value in row: the first of its columns that is not empty;
 * NULL when unmapped, "" when every one is empty. *col (when not NULL) is
 * the column it came from, for messages. */
static const char *field_at(const csvimp_t *m, const csvr_row *row, int f, long *col)
{
	const char *v = "";
	long c = m->ncol[f] ? m->col[f][0] : -1;

	if (!m->ncol[f])
		return NULL;
	for (int i = 0; i < m->ncol[f] && !*v; i++) {
		c = m->col[f][i];
		v = cell(row, c);
	}
	if (col)
		*col = c;
	return v;
}

static const char *get(const csvimp_t *m, const csvr_row *row, int f)
{
	return field_at(m, row, f, NULL);
}

/* The column field f's value came from in row, for messages. */
static long col_of(const csvimp_t *m, const csvr_row *row, int f)
{
	long col = -1;

	field_at(m, row, f, &col);
	return col;
}

static const char *colname(const csvimp_t *m, long col, char *buf, size_t buflen)
{
	const char *c = csvr_colname(m->r, (size_t)col);

	if (c[0])
		return c;
	snprintf(buf, buflen, "#%ld", col + 1);
	return buf;
}

/* A number, surrounding spaces allowed; 0 or -1. */
static int parse_number(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	if (end == s || errno == ERANGE || !isfinite(*out))
		return -1;
	while (isspace((unsigned char)*end))
		end++;
	return *end ? -1 : 0;
}

/* Add the symbols of a list cell ("gme; $amc|BB") to set: split on , ; |
 * and spaces, drop a leading "$", upper-case (ent_set_add: the symbol rules
 * every herd program shares). -1 with err for a token that is no symbol. */
static int entity_list(const char *cell, ent_set *set, char *err, size_t errlen)
{
	static const char seps[] = ",;| \t\r\n";
	const char *p = cell;

	for (;;) {
		char tok[ENT_SYM_MAX + 1];
		size_t len;

		p += strspn(p, seps);
		if (!*p)
			break;
		len = strcspn(p, seps);
		if (*p == '$' && len > 1) {
			p++;
			len--;
		}
		if (len < sizeof tok) {
			memcpy(tok, p, len);
			tok[len] = '\0';
		}
		if (len >= sizeof tok || ent_set_add(set, tok) < 0)
			return herd_errf(err, errlen, "entity '%.*s' is not a symbol", (int)(len > 40 ? 40 : len), p);
		p += len;
	}
	ent_set_finish(set);
	return 0;
}

/* A number as JSON: an integer when it is one (17.0 -> 17), else a real. */
static json_t *number_json(double v)
{
	if (v == floor(v) && fabs(v) < 9007199254740992.0)
		return json_integer((json_int_t)v);
	return json_real(v);
}

/* String field or null (empty cells and unmapped fields are null). */
static json_t *str_or_null(const char *v)
{
	return v && v[0] ? json_string(v) : json_null();
}

/* 1 when v is an ISO date alone ("2021-01-27"), no time of day. */
static int iso_date_only(const char *v)
{
	while (*v == ' ')
		v++;
	return strlen(v) == 10 && v[4] == '-' && v[7] == '-';
}

/* v read by one format ("auto": htime's forms): its civil time (the time
 * as if the zone were UTC) or, when v says its zone (*zoned), UTC itself;
 * *date_only when it has no time of day. 0, or -1. */
static int parse_one(const char *v, const char *fmt, int64_t *t, int *zoned, int *date_only)
{
	if (strcmp(fmt, "auto") == 0) {
		*date_only = iso_date_only(v);
		return htime_parse_zoned(v, t, zoned);
	}
	*date_only = !tzone_format_has_time(fmt);
	return tzone_parse_civil(v, fmt, t, zoned);
}

/* The record's time: the mapped column (or the first of its alternatives
 * that is not empty), in the first --date-format that reads it, else the
 * file name's date. A zone-less time is in --tz; a date alone is its
 * midnight, or with --date-only end the next midnight. */
static int row_time(const csvimp_t *m, const csvr_row *row, enum field f, int64_t *t, char *err, size_t errlen)
{
	static const char *const iso_only[] = {"auto"};
	const char *const *fmts = m->o.ndate_formats ? m->o.date_formats : iso_only;
	size_t nfmts = m->o.ndate_formats ? m->o.ndate_formats : 1;
	long col = -1;
	const char *v = field_at(m, row, f, &col);
	char cb[24];

	if (v && v[0]) {
		int zoned = 1, date_only = 0;
		size_t i = 0;

		while (i < nfmts && parse_one(v, fmts[i], t, &zoned, &date_only) < 0)
			i++;
		if (i == nfmts) {
			if (!m->o.ndate_formats)
				return herd_errf(err, errlen, "column '%s': '%.40s' is not a time%s", colname(m, col, cb, sizeof cb), v,
						 strchr(v, '/') ? " (give its format: --date-format %m/%d/%Y)" : "");
			return herd_errf(err, errlen, "column '%s': '%.40s' is not a time in the format%s %s%s%s",
					 colname(m, col, cb, sizeof cb), v, nfmts > 1 ? "s" : "", fmts[0],
					 nfmts > 1 ? " … " : "", nfmts > 1 ? fmts[nfmts - 1] : "");
		}
		if (!zoned) {
			if (date_only && m->o.date_only_end)
				*t += 86400; /* the day is over */
			if (m->o.local_zone)
				*t = tzone_to_utc(*t);
		}
		return 0;
	}
	if (m->file_date >= 0) {
		*t = m->file_date;
		return 0;
	}
	return herd_errf(err, errlen, "column '%s' is empty: no time for this record", colname(m, col, cb, sizeof cb));
}

static json_t *row_community(const csvimp_t *m, const csvr_row *row)
{
	const char *v = get(m, row, F_COMMUNITY);

	if (v)
		return str_or_null(v);
	if (m->o.community)
		return json_string(m->o.community);
	return str_or_null(m->file_community);
}

/* engagement.score / .replies: an integer, "" meaning 0. */
static int row_count(const csvimp_t *m, const csvr_row *row, enum field f, json_int_t *out, char *err, size_t errlen)
{
	long col = -1;
	const char *v = field_at(m, row, f, &col);
	char cb[24];
	double d;

	*out = 0;
	if (!v || !v[0])
		return 0;
	if (parse_number(v, &d) < 0 || d != floor(d) || fabs(d) > 9.0e18)
		return herd_errf(err, errlen, "column '%s': '%.40s' is not an integer", colname(m, col, cb, sizeof cb), v);
	*out = (json_int_t)d;
	return 0;
}

/* ------------------------------------------------------------ records */

/* The optional "vader" object from vader.* columns; NULL when none has a
 * value. Returns -1 with err for a cell that is not a number. */
static int row_vader(const csvimp_t *m, const csvr_row *row, json_t **vader, char *err, size_t errlen)
{
	char cb[24];

	*vader = NULL;
	for (enum field f = F_VNEG; f <= F_VCOMPOUND; f++) {
		long col = -1;
		const char *v = field_at(m, row, f, &col);
		double d;

		if (!v || !v[0])
			continue;
		if (parse_number(v, &d) < 0) {
			json_decref(*vader);
			*vader = NULL;
			return herd_errf(err, errlen, "column '%s': '%.40s' is not a number", colname(m, col, cb, sizeof cb), v);
		}
		if (!*vader)
			*vader = json_object();
		json_object_set_new(*vader, fields[f].name + strlen("vader."), json_real(d));
	}
	return 0;
}

/* A string cell for post_set_str: NULL when unmapped or empty. */
static const char *nonempty(const char *v)
{
	return v && v[0] ? v : NULL;
}

/* title/text through post_set_text (HTML entities decoded, "[deleted]"
 * markers dropped); v NULL gives null for title, "" for text. */
static void set_text(json_t *post, const char *key, const char *v)
{
	json_t *s = v ? json_string(v) : NULL;

	post_set_text(post, key, s);
	json_decref(s);
}

static json_t *make_post(csvimp_t *m, const csvr_row *row, char *err, size_t errlen)
{
	const char *id = get(m, row, F_ID), *type = get(m, row, F_TYPE);
	const char *ents_cell = get(m, row, F_ENTITIES), *parent = get(m, row, F_PARENT);
	ent_set ents = ENT_SET_INIT;
	json_t *post, *vader = NULL;
	char cb[24];
	json_int_t score, replies;
	int64_t t;

	if (row_time(m, row, F_CREATED_AT, &t, err, errlen) < 0 ||
	    row_count(m, row, F_SCORE, &score, err, errlen) < 0 ||
	    row_count(m, row, F_REPLIES, &replies, err, errlen) < 0)
		return NULL;
	if (id && !id[0]) {
		herd_errf(err, errlen, "column '%s' (the id) is empty", colname(m, col_of(m, row, F_ID), cb, sizeof cb));
		return NULL;
	}
	if (type && !is_post_type(type)) {
		herd_errf(err, errlen, "column '%s': '%.40s' is not a post type", colname(m, col_of(m, row, F_TYPE), cb, sizeof cb), type);
		return NULL;
	}
	if (ents_cell && entity_list(ents_cell, &ents, err, errlen) < 0) {
		ent_set_free(&ents);
		return NULL;
	}
	if (row_vader(m, row, &vader, err, errlen) < 0) {
		ent_set_free(&ents);
		return NULL;
	}

	post = post_new(m->o.source, type ? type : m->o.type);
	if (id) {
		post_set_id(post, m->o.source, id);
	} else { /* SOURCE:FILE:LINE */
		buf_t native = BUF_INIT;
		buf_printf(&native, "%s:%ld", m->base, row->lineno);
		post_set_id(post, m->o.source, native.p);
		buf_free(&native);
	}
	json_object_set_new(post, "community", row_community(m, row));
	post_set_time(post, t);
	post_set_str(post, "author", nonempty(get(m, row, F_AUTHOR)));
	set_text(post, "title", nonempty(get(m, row, F_TITLE)));
	set_text(post, "text", nonempty(get(m, row, F_TEXT)));
	post_set_str(post, "url", nonempty(get(m, row, F_URL)));
	post_set_engagement(post, score, replies);
	if (m->o.extract != ENT_NONE) { /* the column's symbols and the text's, together */
		ent_extract_post(m->o.dict, m->o.extract, post, &ents);
		ent_set_finish(&ents);
	}
	for (size_t i = 0; i < ents.n; i++)
		post_add_entity(post, ents.v[i]);
	ent_set_free(&ents);
	if (parent && parent[0]) /* the parent is a post of the same source */
		json_object_set_new(post, "parent", json_sprintf("%s:%s", m->o.source, parent));
	post_set_str(post, "lang", nonempty(get(m, row, F_LANG)));
	if (vader)
		json_object_set_new(post, "vader", vader);
	return post;
}

/* The records' source: "source/community" when the row has a community,
 * as agg's sources keys, so numbers of two communities never share a key
 * downstream. */
static char *metric_source(const csvimp_t *m, const json_t *community)
{
	buf_t b = BUF_INIT;

	buf_printf(&b, json_is_string(community) ? "%s/%s" : "%s", m->o.source, json_string_value(community));
	return b.p;
}

/* A number cell of a bar; *has 0 when the field is unmapped or empty
 * (the close must be there). 0, or -1 with err. */
static int bar_number(const csvimp_t *m, const csvr_row *row, int f, double *v, int *has, char *err, size_t errlen)
{
	long col = -1;
	const char *s = field_at(m, row, f, &col);
	char cb[24];

	*has = s && s[0];
	if (!*has && f != F_CLOSE)
		return 0;
	if (!*has)
		return herd_errf(err, errlen, "column '%s' (the close) is empty", colname(m, col, cb, sizeof cb));
	if (parse_number(s, v) < 0)
		return herd_errf(err, errlen, "column '%s': '%.40s' is not a number", colname(m, col, cb, sizeof cb), s);
	if (*v < 0 || (*v == 0 && f != F_VOLUME))
		return herd_errf(err, errlen, "column '%s': %.40s is not a %s", colname(m, col, cb, sizeof cb), s,
				 f == F_VOLUME ? "volume" : "price");
	return 0;
}

/* One metric per --value, or (--kind bar) one "bar" with its prices. */
static int make_metrics(csvimp_t *m, const csvr_row *row, json_t **out, size_t outmax, char *err, size_t errlen)
{
	char cb[24];
	const char *ent = m->ncol[F_ENTITY] ? get(m, row, F_ENTITY) : m->file_entity ? m->file_entity : "";
	double val[CSVIMP_MAX_VALUES];
	int has[F_COUNT];
	json_t *community = row_community(m, row);
	const char *interval = m->o.interval;
	ent_set sym = ENT_SET_INIT;
	char *source = NULL;
	int64_t t;
	size_t n = 0;

	if (row_time(m, row, F_AT, &t, err, errlen) < 0 || entity_list(ent, &sym, err, errlen) < 0)
		goto bad;
	if (sym.n != 1) {
		if (m->ncol[F_ENTITY])
			herd_errf(err, errlen, "column '%s': '%.40s' is not one symbol", colname(m, col_of(m, row, F_ENTITY), cb, sizeof cb), ent);
		else
			herd_errf(err, errlen, "the file name's entity '%.40s' is not one symbol", ent);
		goto bad;
	}
	source = metric_source(m, community);
	if (m->o.kind == CSVIMP_BAR) {
		for (int f = F_OPEN; f <= F_VOLUME; f++)
			if (bar_number(m, row, f, &val[f - F_OPEN], &has[f], err, errlen) < 0)
				goto bad;
		if (outmax) {
			json_t *rec = metric_new(source, sym.v[0], t, "bar", val[F_CLOSE - F_OPEN], interval);

			for (int f = F_OPEN; f <= F_VOLUME; f++)
				if (has[f])
					json_object_set_new(rec, fields[f].name, number_json(val[f - F_OPEN]));
			out[n++] = rec;
		}
	} else {
		for (size_t i = 0; i < m->nvalues; i++) {
			const char *v = cell(row, m->vcol[i]);
			if (parse_number(v, &val[i]) < 0) {
				herd_errf(err, errlen, "column '%s': '%.40s' is not a number", colname(m, m->vcol[i], cb, sizeof cb), v);
				goto bad;
			}
		}
		for (n = 0; n < m->nvalues && n < outmax; n++)
			out[n] = metric_new(source, sym.v[0], t, m->vname[n], val[n], interval);
	}
	free(source);
	json_decref(community);
	ent_set_free(&sym);
	return (int)n;
bad:
	free(source);
	json_decref(community);
	ent_set_free(&sym);
	return -1;
}

int csvimp_row(csvimp_t *m, const csvr_row *row, json_t **out, size_t outmax, char *err, size_t errlen)
{
	json_t *post;

	if (m->o.kind != CSVIMP_POST)
		return make_metrics(m, row, out, outmax, err, errlen);
	if (outmax == 0)
		return 0;
	post = make_post(m, row, err, errlen);
	if (!post)
		return -1;
	out[0] = post;
	return 1;
}

void csvimp_free(csvimp_t *m)
{
	if (!m)
		return;
	if (m->have_re)
		regfree(&m->re);
	if (m->have_entity_re)
		regfree(&m->entity_re);
	for (int f = 0; f < F_COUNT; f++)
		free(m->spec[f]);
	for (size_t v = 0; v < m->nvalues; v++) {
		free(m->vname[v]);
		free(m->vspec[v]);
	}
	free(m->base);
	free(m->file_community);
	free(m->file_entity);
	free(m);
}
