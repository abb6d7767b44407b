/*
 * stream.h — the loop every NDJSON filter runs, written once: for each
 * input file (or stdin when there are none; "-" is stdin), for each line:
 * skip blank lines, check UTF-8, parse JSON, require an object, and hand
 * the record to the program. Bad lines become rejects (reject.h) with
 * their file and line number; unreadable files are reported and skipped;
 * progress is shown on a terminal. Output goes through stream_emit.
 *
 *   static int on_record(stream_t *s, json_t *rec, void *arg);
 *   stream_t s; stream_init(&s);
 *   stream_run(&s, argv + optind, argc - optind, on_record, ctx);
 *   return stream_finish(&s) | herd_close_stdout();
 */
#ifndef HERD_STREAM_H
#define HERD_STREAM_H

#include <jansson.h>
#include <stddef.h>

typedef struct stream {
	/* Where we are, for messages (valid inside the callback). */
	const char *name;   /* file name or "<stdin>" */
	long lineno;        /* 1-based line number in that file */
	const char *line;   /* the raw line being processed */
	size_t len;
	/* Totals. */
	long lines;               /* non-blank lines read */
	long records;             /* records handed to the callback */
	unsigned long long bytes; /* input bytes read */
	long emitted;             /* records written by stream_emit */
	int io_error;             /* a file could not be opened or read */
	int stop;                 /* set by the callback (or --strict) to end the run */
	const char *progress_label;
	char reason[512];         /* set by stream_reject */
} stream_t;

/* Called for each record; rec is borrowed (the stream drops its reference
 * after the call; json_incref to keep it). Return 0, or -1 after
 * stream_reject() to reject the line. */
typedef int (*stream_record_fn)(stream_t *s, json_t *rec, void *arg);

void stream_init(stream_t *s);
/* Process files[0..nfiles) (stdin when nfiles == 0). Returns 0, or 1 when
 * the run was stopped early by --strict or the callback. */
int stream_run(stream_t *s, char **files, int nfiles, stream_record_fn fn, void *arg);
/* Set the reason for rejecting the current line; returns -1. */
int stream_reject(stream_t *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The per-line checks of stream_run, for a caller that parses lines on
 * threads of its own (lib/opipe.c): line[0..len) as a JSON object, or NULL
 * with the reason for rejecting it in reason ("invalid UTF-8 at byte 3",
 * the parser's message, "record is a JSON array, not an object"). The
 * caller owns the record. Safe to call from any thread. */
json_t *stream_parse(const char *line, size_t len, char *reason, size_t reasonlen);
/* Is line[0..n) blank (spaces and tabs only)? stream_run skips those. */
int stream_blank(const char *p, size_t n);
/* Write rec as one line to stdout (exits 1 on a write error). */
void stream_emit(stream_t *s, const json_t *rec);
/* End of run: summary of rejects; returns the exit status (0 or 1). */
int stream_finish(stream_t *s);

#endif
