/*
 * errs.h — two helpers every src/bert file that reads or writes files
 * uses: an error message into the caller's buffer (src/bert prints
 * nothing itself) and a path joined from a directory and a name.
 */
#ifndef HERD_BERT_ERRS_H
#define HERD_BERT_ERRS_H

#include <stddef.h>

/* Format into err (errlen bytes); returns -1, for `return bert_errf(…)`. */
int bert_errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* "dir/name", malloc'd (the caller frees it); never NULL (xmalloc). */
char *bert_join(const char *dir, const char *name);

#endif
