/*
 * log.c — one place that prints diagnostics: plain "prog: msg" lines on
 * stderr, or JSON lines ({"ts","prog","level","msg"}) for log collectors.
 * The timestamp in JSON mode is wall-clock time: logging is one of the two
 * things (with fetching) allowed to read the clock (DESIGN.md §1).
 */
#include "log.h"
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int json_format;
static enum log_level min_level = LOG_INFO;
static const char *level_names[] = {"debug", "info", "warn", "error"};

int log_set_format(const char *name)
{
	if (strcmp(name, "text") == 0)
		json_format = 0;
	else if (strcmp(name, "json") == 0)
		json_format = 1;
	else
		return -1;
	return 0;
}

void log_set_level(enum log_level level)
{
	min_level = level;
}

enum log_level log_get_level(void)
{
	return min_level;
}

static void json_escape_to(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
}

static void vlog(enum log_level level, const char *fmt, va_list ap)
{
	char msg[4096];
	size_t n;
	int saved = errno;

	vsnprintf(msg, sizeof msg, fmt, ap);
	n = strlen(msg);
	if (n > 0 && msg[n - 1] == ':')
		snprintf(msg + n, sizeof msg - n, " %s", strerror(saved));
	if (!json_format) {
		fprintf(stderr, "%s: %s\n", herd_prog, msg);
		return;
	}
	{
		char ts[32];
		time_t now = time(NULL);
		struct tm tm;

		gmtime_r(&now, &tm);
		strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
		fprintf(stderr, "{\"ts\":\"%s\",\"prog\":\"", ts);
		json_escape_to(stderr, herd_prog);
		fprintf(stderr, "\",\"level\":\"%s\",\"msg\":\"", level_names[level]);
		json_escape_to(stderr, msg);
		fputs("\"}\n", stderr);
	}
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level < min_level)
		return;
	va_start(ap, fmt);
	vlog(level, fmt, ap);
	va_end(ap);
}

void log_fatal(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_ERROR, fmt, ap);
	va_end(ap);
	exit(code);
}

void log_usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_ERROR, fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try '%s --help' for more information.\n", herd_prog);
	exit(HERD_EXIT_USAGE);
}
