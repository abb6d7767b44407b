/*
 * reject.c — counting, reporting and keeping aside bad input lines; see
 * reject.h. The rejects file is opened lazily on the first reject so that
 * a clean run leaves no empty file behind.
 */
#include "reject.h"
#include "cli.h"
#include "log.h"
#include "progress.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define SHOW_MAX 20

static long count;
static FILE *rejects;

int reject_line(const char *place, long lineno, const char *line, size_t len, const char *fmt, ...)
{
	char reason[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	count++;
	if (count <= SHOW_MAX || cli.strict) {
		progress_end();
		if (lineno > 0)
			log_warn("%s:%ld: %s", place, lineno, reason);
		else
			log_warn("%s: %s", place, reason);
	} else if (count == SHOW_MAX + 1) {
		log_warn("more bad lines: only counting them from now on");
	}
	if (cli.rejects_path && !rejects) {
		rejects = fopen(cli.rejects_path, "a");
		if (!rejects)
			log_fatal(1, "cannot open rejects file %s:", cli.rejects_path);
	}
	if (rejects) {
		if (fwrite(line, 1, len, rejects) != len || fputc('\n', rejects) == EOF)
			log_fatal(1, "writing rejects file %s:", cli.rejects_path);
	}
	return cli.strict;
}

long reject_count(void)
{
	return count;
}

int reject_finish(long lines_total)
{
	if (rejects) {
		if (fclose(rejects) != 0)
			log_error("closing rejects file %s:", cli.rejects_path);
		rejects = NULL;
	}
	if (count == 0)
		return 0;
	if (cli.rejects_path)
		log_warn("%ld of %ld lines rejected (kept in %s)", count, lines_total, cli.rejects_path);
	else
		log_warn("%ld of %ld lines rejected (use --rejects FILE to keep them)", count, lines_total);
	return count > cli.max_rejects ? 1 : 0;
}
