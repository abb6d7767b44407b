/*
 * ndjson.h — reading and writing newline-delimited JSON, the wire format
 * between every herd program (DESIGN.md §1).
 *
 * The reader hands out one line at a time, any length, with the trailing
 * "\n" or "\r\n" removed, a missing final newline tolerated, and a line
 * counter for error messages. A UTF-8 byte order mark at the start of a
 * file is dropped. It reads plain files and gzip files alike
 * (zlib passes plain bytes through), so saved raw …ndjson.gz replays need
 * no zcat. It does not parse JSON: callers decide what a bad line means.
 *
 * The writer prints compact JSON, keys in insertion order, and reals in
 * the shortest form that reads back to the same double (jansson's own
 * dump prints 0.1 as 0.10000000000000001).
 */
#ifndef HERD_NDJSON_H
#define HERD_NDJSON_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#include "buf.h"

typedef struct ndjson_reader ndjson_reader;

/* Open path for reading ("-" is stdin, named "<stdin>" in messages).
 * Returns NULL with errno set when the file cannot be opened.
 * Free with ndjson_close. */
ndjson_reader *ndjson_open(const char *path);
/* Read the next line: 1 and *line, *len set (NUL-terminated, valid until
 * the next call), 0 at end of input, -1 on a read error (errno set). */
int ndjson_read(ndjson_reader *r, char **line, size_t *len);
/* The 1-based number of the line last returned. */
long ndjson_lineno(const ndjson_reader *r);
/* The name used in messages: the path, or "<stdin>". */
const char *ndjson_name(const ndjson_reader *r);
/* Bytes consumed so far (uncompressed), for progress and throughput. */
unsigned long long ndjson_bytes(const ndjson_reader *r);
/* Close; closing NULL does nothing. Never closes stdin's descriptor. */
void ndjson_close(ndjson_reader *r);

/* Returns 1 if s[0..n) is valid UTF-8 (no overlongs, no surrogates, max
 * U+10FFFF); else 0 and *bad_offset (if given) is the first bad byte. */
int ndjson_utf8_valid(const char *s, size_t n, size_t *bad_offset);

/* Append v as compact JSON (no newline) to b. */
void ndjson_dump(buf_t *b, const json_t *v);
/* Write v as one line to f. Returns 0, or -1 on a write error. */
int ndjson_write(FILE *f, const json_t *v);
/* Format a double as shortest round-trip JSON number into out (>= 32). */
void ndjson_format_real(double d, char *out, size_t outlen);

#endif
