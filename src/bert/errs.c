/*
 * errs.c — bert_errf and bert_join (errs.h).
 */
#include "bert/errs.h"

#include "lib/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int bert_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

char *bert_join(const char *dir, const char *name)
{
	char *p = xmalloc(strlen(dir) + strlen(name) + 2);
	sprintf(p, "%s/%s", dir, name);
	return p;
}
