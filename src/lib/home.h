/*
 * home.h — where a program finds the files installed beside it (the
 * entity dictionary in data/entities, lexicons, models, the CUDA backend):
 * $HERD_HOME first, then relative to the program itself, found through
 * /proc/self/exe, so that a checkout and an installed copy both work
 * wherever they are and from any current directory, without HERD_HOME:
 *   <bin>/../REL            a checkout (bin/herd-X)
 *   <bin>/../../REL         a checkout's sanitizer build (build-san/bin/herd-X)
 *   <bin>/../share/herd/REL an install (`make install`: PREFIX/bin/herd-X,
 *                           PREFIX/share/herd/data/…, PREFIX/share/herd/models/…)
 *   <bin>/../lib/herd/NAME  an install's CUDA backend (herd_lib_path only)
 *
 * Options such as --dict always win over this; it is only the default.
 */
#ifndef HERD_HOME_H
#define HERD_HOME_H

/* The first existing path among $HERD_HOME/rel, <bin>/../rel,
 * <bin>/../../rel and <bin>/../share/herd/rel, newly allocated (free it),
 * or NULL when none exists. */
char *herd_data_path(const char *rel);

/* The same for a shared object of herd's own, name in lib/: $HERD_HOME/lib/
 * name, <bin>/../lib/name, <bin>/../../lib/name, then <bin>/../lib/herd/name
 * (architecture-dependent files are installed there, not under share/). */
char *herd_lib_path(const char *name);

/* Where a program's default working file lives (herd.db, state.db):
 * $HERD_HOME/name when HERD_HOME is set, else name in the current
 * directory. Newly allocated (free it); the file need not exist. */
char *herd_home_file(const char *name);

#endif
