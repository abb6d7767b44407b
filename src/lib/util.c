/*
 * util.c — allocation that never fails, the program name, stdout closing.
 * See util.h for why allocation failure exits instead of returning NULL.
 */
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char *herd_prog = "herd";

void herd_set_prog(const char *argv0)
{
	const char *slash;

	if (!argv0 || !*argv0)
		return;
	slash = strrchr(argv0, '/');
	herd_prog = slash ? slash + 1 : argv0;
}

static void oom(size_t n)
{
	fprintf(stderr, "%s: out of memory (%zu bytes)\n", herd_prog, n);
	exit(HERD_EXIT_FAIL);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		oom(n);
	return p;
}

void *xcalloc(size_t count, size_t size)
{
	void *p = calloc(count ? count : 1, size ? size : 1);

	if (!p)
		oom(count * size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		oom(n);
	return q;
}

void *xaligned(size_t align, size_t n)
{
	void *p;

	if (posix_memalign(&p, align, n ? n : 1) != 0)
		oom(n);
	return p;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void *xgrow(void *p, size_t need, size_t *cap, size_t size)
{
	size_t c = *cap ? *cap : 16;

	if (need <= *cap)
		return p;
	while (c < need)
		c *= 2;
	*cap = c;
	return xrealloc(p, c * size);
}

void herd_print_version(void)
{
	printf("%s %s\n", herd_prog, HERD_VERSION);
	exit(herd_close_stdout());
}

int herd_close_stdout(void)
{
	int bad = fflush(stdout) != 0 || ferror(stdout);

	if (fclose(stdout) != 0)
		bad = 1;
	if (bad) {
		fprintf(stderr, "%s: write error: %s\n", herd_prog, strerror(errno ? errno : EIO));
		return HERD_EXIT_FAIL;
	}
	return HERD_EXIT_OK;
}

int herd_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

double herd_now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int herd_write_atomic(const char *path, const void *data, size_t n)
{
	size_t len = strlen(path) + 32;
	char *tmp = xmalloc(len);
	FILE *f;
	int ok = 0, saved;

	snprintf(tmp, len, "%s.tmp.%ld", path, (long)getpid());
	if ((f = fopen(tmp, "w")) != NULL) {
		ok = fwrite(data, 1, n, f) == n;
		ok = fclose(f) == 0 && ok;
	}
	ok = ok && rename(tmp, path) == 0;
	saved = errno;
	if (!ok)
		unlink(tmp);
	free(tmp);
	errno = saved;
	return ok ? 0 : -1;
}
