/*
 * util.h — the first things every herd program needs: its own name for
 * messages, allocation that never returns NULL, and the exit codes.
 *
 * Allocation failure is not something a filter can recover from, so the
 * x* family prints "herd-X: out of memory (N bytes)" and exits 1; callers
 * never test for NULL (sbase's ealloc.c, redis's zmalloc.c).
 */
#ifndef HERD_UTIL_H
#define HERD_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Exit codes shared by every program (DESIGN.md §5). */
enum herd_exit {
	HERD_EXIT_OK = 0,    /* everything processed, nothing rejected */
	HERD_EXIT_FAIL = 1,  /* rejects beyond --max-rejects, or I/O error */
	HERD_EXIT_USAGE = 2, /* bad command line */
};

#ifndef HERD_VERSION
#define HERD_VERSION "0.0.0"
#endif

/* The program's name as messages print it ("herd-normalize"). */
extern const char *herd_prog;
/* Set herd_prog from argv[0] (its basename). */
void herd_set_prog(const char *argv0);

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
/* n bytes at an address that is a multiple of align (a power of two, at
 * least sizeof(void *)); freed with free(). */
void *xaligned(size_t align, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Room for `need` elements of `size` bytes in the array p, which has room
 * for *cap: when need > *cap, *cap doubles (from 16) until it is enough and
 * p is reallocated. Returns p, or where it moved. The growing array:
 *   arr = xgrow(arr, n + 1, &cap, sizeof *arr); arr[n++] = x; */
void *xgrow(void *p, size_t need, size_t *cap, size_t size);

/* Print "herd-X NNN" to stdout and exit 0 (every program's --version). */
void herd_print_version(void) __attribute__((noreturn));

/* Flush and close stdout; on failure print "herd-X: write error: …" and
 * return HERD_EXIT_FAIL, else 0. Every main ends with it (jq, sbase fshut). */
int herd_close_stdout(void);

/* Format a reason into a caller's err[errlen] (for library functions that
 * report "why" to their caller instead of printing); returns -1, so that
 * `return herd_errf(err, errlen, "…", …);` fails in one line. */
int herd_errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Write data[0..n) to path whole: into "path.tmp.PID" beside it, then
 * renamed over path, so a reader (node_exporter, a browser, cron mail)
 * sees the old file or the new one, never half of one. Returns 0, or -1
 * with errno set and the temporary file removed. */
int herd_write_atomic(const char *path, const void *data, size_t n);

/* Monotonic seconds, for progress and timing only (never for event time). */
double herd_now_mono(void);

#endif
