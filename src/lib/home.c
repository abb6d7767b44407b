/*
 * home.c — finding installed data files relative to $HERD_HOME or the
 * running program; see home.h.
 */
#include "home.h"
#include "buf.h"
#include "util.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

char *herd_data_path(const char *rel)
{
	const char *home = getenv("HERD_HOME");
	char exe[PATH_MAX];
	ssize_t n;
	buf_t b = BUF_INIT;

	if (home && *home) {
		buf_printf(&b, "%s/%s", home, rel);
		if (exists(b.p))
			return buf_steal(&b);
		buf_reset(&b);
	}
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		char *slash;
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			for (int up = 1; up <= 2; up++) {
				buf_printf(&b, "%s/%s%s", exe, up == 1 ? "../" : "../../", rel);
				if (exists(b.p))
					return buf_steal(&b);
				buf_reset(&b);
			}
		}
	}
	buf_free(&b);
	return NULL;
}

char *herd_home_file(const char *name)
{
	const char *home = getenv("HERD_HOME");
	buf_t b = BUF_INIT;

	if (!home || !*home)
		return xstrdup(name);
	buf_printf(&b, "%s/%s", home, name);
	return buf_steal(&b);
}
