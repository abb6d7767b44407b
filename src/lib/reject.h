/*
 * reject.h — what happens to a bad input line: it is reported on stderr
 * as "herd-X: place:line: reason" (the first 20, then only counted),
 * appended verbatim to the --rejects file when one is given, and counted;
 * the program goes on with the next line (DESIGN.md §5). With --strict
 * the first reject ends the run.
 *
 * One reject log per process (settings come from `cli`).
 */
#ifndef HERD_REJECT_H
#define HERD_REJECT_H

#include <stddef.h>

/* Record one bad line. line/len are written to the rejects file as they
 * were read (a newline is added). Returns 1 when --strict says stop. */
int reject_line(const char *place, long lineno, const char *line, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
long reject_count(void);
/* Print the summary (when anything was rejected), close the rejects file
 * and return the exit status the rejects call for: 0 when count <=
 * --max-rejects, else 1. lines_total is for the summary ("3 of 120"). */
int reject_finish(long lines_total);

#endif
