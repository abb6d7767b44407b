/*
 * csvread.c — CSV records with their line numbers, in UTF-8; see csvread.h.
 *
 * How line numbers are kept: the file is fed to libcsv one physical line
 * at a time (plus its "\n"). Before feeding a line we look at whether the
 * parser is between records (libcsv's pstate 0, ROW_NOT_BEGUN); if so, a
 * record may start on this line, and we note the line. Blank lines are
 * noted too but make no record, so the next line overwrites the note.
 * When libcsv reports the end of a row, the last note is where it began.
 * Since "\n" is the only record terminator, one line ends at most one
 * record, and the loop in csvr_next stops as soon as a record is done.
 */
#include "sources/csvread.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "lib/ndjson.h"
#include "lib/util.h"

#include <csv.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libcsv.c's parser states (struct csv_parser.pstate), stable since 2007. */
#define CSVR_ROW_NOT_BEGUN 0 /* between records */
#define CSVR_FIELD_BEGUN 2   /* inside a field (a quoted one when p.quoted) */

struct csvr {
	ndjson_reader *in;      /* line reader over the file */
	struct csv_parser p;
	struct csvr_opts o;
	int at_eof;
	/* The record being built (and last returned). */
	buf_t data;             /* field bytes, each NUL-terminated */
	size_t *off;            /* field offsets into data */
	size_t *flen;           /* field lengths */
	char **fptr;            /* field pointers handed out (valid after the row ends) */
	size_t nf, capf;
	int row_done;
	long start_line;        /* where the record being built starts */
	buf_t raw;              /* its lines as read */
	buf_t conv;             /* a latin1 line converted to UTF-8 */
	char err[256];
	/* Header. */
	char **cols;
	size_t ncols;
	char header_err[320];
	int empty;               /* the file holds nothing at all */
};

/* ------------------------------------------------------------ libcsv callbacks */

static void on_field(void *s, size_t len, void *arg)
{
	csvr_t *r = arg;

	if (r->nf == r->capf) {
		r->capf = r->capf ? 2 * r->capf : 16;
		r->off = xrealloc(r->off, r->capf * sizeof *r->off);
		r->flen = xrealloc(r->flen, r->capf * sizeof *r->flen);
		r->fptr = xrealloc(r->fptr, r->capf * sizeof *r->fptr);
	}
	r->off[r->nf] = r->data.len;
	r->flen[r->nf] = len;
	buf_put(&r->data, s ? s : "", len);
	buf_putc(&r->data, '\0');
	r->nf++;
}

static void on_row(int term, void *arg)
{
	csvr_t *r = arg;

	(void)term;
	r->row_done = 1;
}

/* Only a space (and a tab, unless it separates fields) is trimmed around
 * unquoted fields; only "\n" ends a record. */
static int is_space_comma(unsigned char c) { return c == ' ' || c == '\t'; }
static int is_space_tab(unsigned char c) { return c == ' '; }
static int is_term(unsigned char c) { return c == '\n'; }

/* ------------------------------------------------------------ records */

/* Append latin1 bytes s[0..n) to b as UTF-8. */
static void latin1_to_utf8(buf_t *b, const char *s, size_t n)
{
	buf_reserve(b, 2 * n);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x80) {
			b->p[b->len++] = (char)c;
		} else {
			b->p[b->len++] = (char)(0xc0 | (c >> 6));
			b->p[b->len++] = (char)(0x80 | (c & 0x3f));
		}
	}
	b->p[b->len] = '\0';
}

/* Feed one chunk. Outside strict mode libcsv fails only for memory. */
static void feed(csvr_t *r, const char *s, size_t n)
{
	if (csv_parse(&r->p, s, n, on_field, on_row, r) != n)
		log_fatal(HERD_EXIT_FAIL, "%s: libcsv: %s", ndjson_name(r->in), csv_strerror(csv_error(&r->p)));
}

/* Read lines until a record is complete: 1, 0 at EOF, -1 on read error. */
static int read_record(csvr_t *r)
{
	char *line;
	size_t len;
	int rc;

	buf_reset(&r->data);
	r->nf = 0;
	r->row_done = 0;
	r->err[0] = '\0';
	while (!r->row_done) {
		if (r->at_eof)
			return 0;
		rc = ndjson_read(r->in, &line, &len);
		if (rc < 0)
			return -1;
		if (rc == 0) {
			r->at_eof = 1;
			if (r->p.pstate == CSVR_FIELD_BEGUN && r->p.quoted)
				snprintf(r->err, sizeof r->err, "quoted field never closed (it runs to the end of the file)");
			csv_fini(&r->p, on_field, on_row, r);
			if (!r->row_done)
				return 0;
			break;
		}
		if (ndjson_lineno(r->in) == 1 && len >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0) {
			line += 3; /* UTF-8 byte order mark */
			len -= 3;
		}
		if (r->p.pstate == CSVR_ROW_NOT_BEGUN) {
			r->start_line = ndjson_lineno(r->in);
			buf_reset(&r->raw);
		} else {
			buf_putc(&r->raw, '\n');
		}
		buf_put(&r->raw, line, len);
		if (r->o.latin1) {
			buf_reset(&r->conv);
			latin1_to_utf8(&r->conv, line, len);
			feed(r, r->conv.p, r->conv.len);
		} else {
			feed(r, line, len);
		}
		feed(r, "\n", 1);
	}
	for (size_t i = 0; i < r->nf; i++)
		r->fptr[i] = r->data.p + r->off[i];
	if (!r->err[0]) {
		for (size_t i = 0; i < r->nf; i++) {
			size_t bad;
			const char *col = i < r->ncols && r->cols[i][0] ? r->cols[i] : NULL;

			if (memchr(r->fptr[i], '\0', r->flen[i]))
				bad = (size_t)((char *)memchr(r->fptr[i], '\0', r->flen[i]) - r->fptr[i]);
			else if (ndjson_utf8_valid(r->fptr[i], r->flen[i], &bad))
				continue;
			if (col)
				snprintf(r->err, sizeof r->err, "%s in column '%s' at byte %zu (try --encoding latin1)",
					 r->fptr[i][bad] ? "invalid UTF-8" : "NUL byte", col, bad + 1);
			else
				snprintf(r->err, sizeof r->err, "%s in column #%zu at byte %zu (try --encoding latin1)",
					 r->fptr[i][bad] ? "invalid UTF-8" : "NUL byte", i + 1, bad + 1);
			break;
		}
	}
	return 1;
}

/* ------------------------------------------------------------ public API */

csvr_t *csvr_open(const char *path, const struct csvr_opts *o)
{
	ndjson_reader *in = ndjson_open(path);
	csvr_t *r;

	if (!in)
		return NULL;
	r = xcalloc(1, sizeof *r);
	r->in = in;
	r->o = *o;
	if (!r->o.delim)
		r->o.delim = ',';
	if (csv_init(&r->p, 0) != 0)
		log_fatal(HERD_EXIT_FAIL, "%s: libcsv: cannot initialize", path);
	csv_set_delim(&r->p, r->o.delim);
	csv_set_space_func(&r->p, r->o.delim == '\t' ? is_space_tab : is_space_comma);
	csv_set_term_func(&r->p, is_term);
	if (o->no_header)
		return r;
	switch (read_record(r)) {
	case 0:
		r->empty = 1; /* no header and no rows: nothing to import, not an error */
		return r;
	case -1:
		snprintf(r->header_err, sizeof r->header_err, "read error in the header: %s", strerror(errno));
		return r;
	}
	if (r->err[0]) {
		snprintf(r->header_err, sizeof r->header_err, "header line: %s", r->err);
		return r;
	}
	r->ncols = r->nf;
	r->cols = xmalloc(r->ncols * sizeof *r->cols);
	for (size_t i = 0; i < r->ncols; i++)
		r->cols[i] = xstrdup(r->fptr[i]);
	return r;
}

int csvr_empty(const csvr_t *r)
{
	return r->empty;
}

const char *csvr_header_error(const csvr_t *r)
{
	return r->header_err[0] ? r->header_err : NULL;
}

int csvr_next(csvr_t *r, csvr_row *row)
{
	int rc = read_record(r);

	if (rc <= 0)
		return rc;
	if (!r->err[0] && !r->o.no_header && r->nf != r->ncols)
		snprintf(r->err, sizeof r->err, "record has %zu fields, the header has %zu", r->nf, r->ncols);
	row->lineno = r->start_line;
	row->nfields = r->nf;
	row->field = r->fptr;
	row->len = r->flen;
	row->raw = r->raw.p ? r->raw.p : "";
	row->rawlen = r->raw.len;
	row->err = r->err[0] ? r->err : NULL;
	return 1;
}

size_t csvr_ncols(const csvr_t *r)
{
	return r->ncols;
}

const char *csvr_colname(const csvr_t *r, size_t i)
{
	return i < r->ncols ? r->cols[i] : "";
}

const char *csvr_name(const csvr_t *r)
{
	return ndjson_name(r->in);
}

unsigned long long csvr_bytes(const csvr_t *r)
{
	return ndjson_bytes(r->in);
}

void csvr_close(csvr_t *r)
{
	if (!r)
		return;
	ndjson_close(r->in);
	csv_free(&r->p);
	buf_free(&r->data);
	buf_free(&r->raw);
	buf_free(&r->conv);
	free(r->off);
	free(r->flen);
	free(r->fptr);
	for (size_t i = 0; i < r->ncols; i++)
		free(r->cols[i]);
	free(r->cols);
	free(r);
}
