/*
 * home.c — finding installed data files relative to $HERD_HOME or the
 * running program; see home.h for the places, in the order tried.
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

/* The first existing path of $HERD_HOME/home_rel, then <bin>/prefix + bin_rel
 * for each of the NULL-terminated prefixes (relative to the program's own
 * directory); newly allocated, or NULL. */
static char *first_existing(const char *home_rel, const char *bin_rel, const char *const *prefixes)
{
	const char *home = getenv("HERD_HOME");
	char exe[PATH_MAX], *slash;
	ssize_t n;
	buf_t b = BUF_INIT;

	if (home && *home) {
		buf_printf(&b, "%s/%s", home, home_rel);
		if (exists(b.p))
			return buf_steal(&b);
		buf_reset(&b);
	}
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			for (int i = 0; prefixes[i]; i++) {
				buf_printf(&b, "%s/%s%s", exe, prefixes[i], bin_rel);
				if (exists(b.p))
					return buf_steal(&b);
				buf_reset(&b);
			}
		}
	}
	buf_free(&b);
	return NULL;
}

char *herd_data_path(const char *rel)
{
	static const char *const prefixes[] = {"../", "../../", "../share/herd/", NULL};

	return first_existing(rel, rel, prefixes);
}

char *herd_lib_path(const char *name)
{
	static const char *const prefixes[] = {"../lib/", "../../lib/", "../lib/herd/", NULL};
	buf_t rel = BUF_INIT;
	char *found;

	buf_printf(&rel, "lib/%s", name);
	found = first_existing(rel.p, name, prefixes);
	buf_free(&rel);
	return found;
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
