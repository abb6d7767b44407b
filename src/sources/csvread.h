/*
 * csvread.h — reading CSV files record by record, for herd-import: libcsv
 * does the quoting (quoted fields with embedded newlines and doubled
 * quotes), this module adds what messages and rejects need — the physical
 * line where each record starts, the record's bytes as read — and what
 * JSON needs: fields in UTF-8 (a UTF-8 BOM is dropped, `latin1` input is
 * converted, invalid UTF-8 or NUL bytes make the record bad, not fatal).
 *
 * Input is read through the NDJSON line reader (src/lib/ndjson.c), so CRLF
 * and LF files read alike, gzip files are read as they are, and a line
 * inside a quoted field that ended in CRLF arrives as "\n". Only "\n" ends
 * a record: a bare CR (classic Mac files) is kept as field data.
 *
 * It knows nothing about posts: mapping columns to records is csvimport.c.
 */
#ifndef HERD_CSVREAD_H
#define HERD_CSVREAD_H

#include <stddef.h>

typedef struct csvr csvr_t;

struct csvr_opts {
	unsigned char delim; /* field separator, ',' by default (0 means ',') */
	int latin1;          /* input is ISO-8859-1: convert to UTF-8 */
	int no_header;       /* the first record is data; columns are #1, #2… */
};

/* One record, valid until the next csvr_next call. */
typedef struct csvr_row {
	long lineno;          /* physical line (1-based) where the record starts */
	size_t nfields;
	char **field;         /* nfields NUL-terminated UTF-8 strings */
	size_t *len;          /* their lengths in bytes */
	const char *raw;      /* the record's lines as read (for --rejects) */
	size_t rawlen;
	const char *err;      /* NULL, or why the record cannot be used */
} csvr_row;

/*
 * Open path ("-" is stdin) and read its header record (unless no_header).
 * Returns NULL with errno set when the file cannot be opened. A file whose
 * header is missing or unreadable still opens: csvr_header_error says why.
 * Free with csvr_close.
 */
csvr_t *csvr_open(const char *path, const struct csvr_opts *o);
/* Why the header cannot be used (invalid UTF-8, a read error), or NULL. */
const char *csvr_header_error(const csvr_t *r);
/* 1 when the file is empty (no header, no rows): csvr_next finds nothing. */
int csvr_empty(const csvr_t *r);
/* Read the next record: 1 and *row filled, 0 at end of input, -1 on a
 * read error (errno set). A record that is bad (see row->err) is still
 * returned, so the caller can reject it with its line number. */
int csvr_next(csvr_t *r, csvr_row *row);
/* Header: number of columns and their names ("" for an unnamed column). */
size_t csvr_ncols(const csvr_t *r);
const char *csvr_colname(const csvr_t *r, size_t i);
/* The name for messages: the path, or "<stdin>". */
const char *csvr_name(const csvr_t *r);
/* Bytes read so far, for progress. */
unsigned long long csvr_bytes(const csvr_t *r);
/* Close; closing NULL does nothing. */
void csvr_close(csvr_t *r);

#endif
