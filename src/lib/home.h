/*
 * home.h — where a program finds the files installed beside it (the
 * entity dictionary in data/entities, lexicons, models): $HERD_HOME first,
 * then the directory above the program's own bin/ (found through
 * /proc/self/exe, so a checkout works wherever it is and from any current
 * directory), then two levels up (build-san/bin/herd-X in a checkout).
 *
 * Options such as --dict always win over this; it is only the default.
 */
#ifndef HERD_HOME_H
#define HERD_HOME_H

/* The first existing path among $HERD_HOME/rel, <bin>/../rel and
 * <bin>/../../rel, newly allocated (free it), or NULL when none exists. */
char *herd_data_path(const char *rel);

/* Where a program's default working file lives (herd.db, state.db):
 * $HERD_HOME/name when HERD_HOME is set, else name in the current
 * directory. Newly allocated (free it); the file need not exist. */
char *herd_home_file(const char *name);

#endif
