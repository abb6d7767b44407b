/*
 * stream.c — the NDJSON filter loop shared by every program; see stream.h.
 */
#include "stream.h"
#include "jsonx.h"
#include "log.h"
#include "metrics.h"
#include "ndjson.h"
#include "progress.h"
#include "reject.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void stream_init(stream_t *s)
{
	memset(s, 0, sizeof *s);
	s->progress_label = "records";
}

int stream_reject(stream_t *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->reason, sizeof s->reason, fmt, ap);
	va_end(ap);
	return -1;
}

int stream_blank(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t')
			return 0;
	return 1;
}

/* A line that opens a JSON document written across lines: "{", "[" or
 * "[{" alone, or a key on a line of its own ("\"id\": 1,"). */
static int pretty_start(const char *p, size_t n)
{
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	while (n > 0 && (*p == ' ' || *p == '\t'))
		p++, n--;
	if (n == 1 && (*p == '{' || *p == '['))
		return 1;
	if (n == 2 && p[0] == '[' && p[1] == '{')
		return 1;
	return n > 2 && *p == '"' && (p[n - 1] == ',' || p[n - 1] == '{' || p[n - 1] == '[') && memchr(p, ':', n);
}

json_t *stream_parse(const char *line, size_t len, char *reason, size_t reasonlen)
{
	size_t bad;
	json_t *rec;

	if (!ndjson_utf8_valid(line, len, &bad)) {
		snprintf(reason, reasonlen, "invalid UTF-8 at byte %zu", bad + 1);
		return NULL;
	}
	rec = jx_parse(line, len, reason, reasonlen);
	if (rec && !json_is_object(rec)) {
		snprintf(reason, reasonlen, "record is a JSON %s, not an object%s", jx_type_name(rec),
			 json_is_array(rec) ? " (herd reads one object per line: jq -c '.[]' FILE splits an array)" : "");
		json_decref(rec);
		return NULL;
	}
	if (!rec && pretty_start(line, len)) {
		size_t n = strlen(reason);
		snprintf(reason + n, reasonlen - n, " (pretty-printed JSON? herd reads one object per line: "
			 "jq -c . FILE, or jq -c '.[]' FILE for an array)");
	}
	return rec;
}

/* One line: check, parse, call back; returns 1 when the run must stop. */
static int process_line(stream_t *s, char *line, size_t len, stream_record_fn fn, void *arg)
{
	char err[512];
	json_t *rec;
	int rc;

	s->lines++;
	s->line = line;
	s->len = len;
	rec = stream_parse(line, len, err, sizeof err);
	if (!rec)
		return reject_line(s->name, s->lineno, line, len, "%s", err);
	s->records++;
	s->reason[0] = '\0';
	rc = fn(s, rec, arg);
	json_decref(rec);
	if (rc < 0)
		return reject_line(s->name, s->lineno, line, len, "%s", s->reason[0] ? s->reason : "rejected");
	return s->stop;
}

int stream_run(stream_t *s, char **files, int nfiles, stream_record_fn fn, void *arg)
{
	static char *stdin_only[] = {"-"};
	int stopped = 0;

	if (nfiles == 0) {
		files = stdin_only;
		nfiles = 1;
	}
	progress_start(s->progress_label, progress_total_of(files, nfiles));
	for (int i = 0; i < nfiles && !stopped; i++) {
		ndjson_reader *r = ndjson_open(files[i]);
		unsigned long long before = s->bytes;
		char *line;
		size_t len;
		int rc;

		if (!r) {
			log_error("%s:", files[i]);
			s->io_error = 1;
			continue;
		}
		s->name = ndjson_name(r);
		while ((rc = ndjson_read(r, &line, &len)) > 0) {
			s->lineno = ndjson_lineno(r);
			if (stream_blank(line, len))
				continue;
			if (process_line(s, line, len, fn, arg)) {
				stopped = 1;
				break;
			}
			s->bytes = before + ndjson_bytes(r);
			progress_update((unsigned long long)s->records, s->bytes);
		}
		if (rc < 0) {
			log_error("%s: read error after line %ld:", s->name, ndjson_lineno(r));
			s->io_error = 1;
		}
		s->bytes = before + ndjson_bytes(r);
		ndjson_close(r);
	}
	progress_end();
	s->name = NULL;
	return stopped;
}

void stream_emit(stream_t *s, const json_t *rec)
{
	if (ndjson_write(stdout, rec) < 0)
		log_fatal(HERD_EXIT_FAIL, "write error:");
	s->emitted++;
}

int stream_finish(stream_t *s)
{
	int rc = reject_finish(s->lines);

	metrics_set_records(s->lines, s->emitted);
	return rc | s->io_error;
}
