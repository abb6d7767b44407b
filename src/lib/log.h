/*
 * log.h — every message a herd program prints goes through here, so that
 * all of them read "program: place: reason" (DESIGN.md §5) or, with
 * --log-format json, one JSON object per line for machines.
 *
 * A format ending in ':' gets ": strerror(errno)" appended (sbase eprintf).
 * Nothing here formats secrets: callers never pass them.
 */
#ifndef HERD_LOG_H
#define HERD_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* "text" (default) or "json"; returns -1 for anything else. */
int log_set_format(const char *name);
/* Messages below this level are dropped (default LOG_INFO). */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

/* Print an error and exit with code. */
void log_fatal(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
/* A usage error: one line, then "Try 'herd-X --help'.", exit 2 (jq). */
void log_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
