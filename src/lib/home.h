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

#endif
