/*
 * jsonx.h — small helpers over jansson for reading records: typed field
 * access that tolerates absence, dotted paths, and parsing a line with an
 * error message fit for "file:line: reason".
 *
 * Getters never take a reference: returned json_t* and strings are
 * borrowed from the object and live as long as it does.
 */
#ifndef HERD_JSONX_H
#define HERD_JSONX_H

#include <jansson.h>
#include <stddef.h>

/* Parse exactly one JSON value from s[0..len). On failure returns NULL
 * and writes e.g. "invalid JSON at column 17: '}' expected" into err. */
json_t *jx_parse(const char *s, size_t len, char *err, size_t errlen);
/* jx_parse keeps a scratch buffer per thread: a thread that parsed and is
 * about to end frees it with this (lib/opipe.c's workers do). */
void jx_parse_thread_free(void);

/* The string at key, or NULL when absent, null or not a string. */
const char *jx_str(const json_t *obj, const char *key);
/* The string at key, or NULL when absent/null/empty; numbers are
 * formatted into the caller's buf (ids come as both in real APIs). */
const char *jx_str_or_num(const json_t *obj, const char *key, char *buf, size_t buflen);
/* The number at key as a double (integer or real); dflt when absent or
 * not a number. */
double jx_num(const json_t *obj, const char *key, double dflt);
/* The number at key as an integer; 1 when present and integral (reals
 * with no fraction count), else 0 and *out untouched. */
int jx_int(const json_t *obj, const char *key, long long *out);
/* 1 when key holds true, 0 otherwise. */
int jx_bool(const json_t *obj, const char *key);
/* The value at a dotted path ("user.screen_name"), or NULL. */
json_t *jx_path(const json_t *obj, const char *dotted);

/* Set key to a new string / integer / real / null-if-NULL string. */
void jx_set_str(json_t *obj, const char *key, const char *val);
void jx_set_strn(json_t *obj, const char *key, const char *val, size_t n);
void jx_set_int(json_t *obj, const char *key, long long val);
void jx_set_real(json_t *obj, const char *key, double val);

/* Name of v's type as users see it: "string", "number", "object"...
 * (NULL is "null"); jx_type_name_a with its article, for "is %s, not …"
 * messages: "a string", "an object", "null". */
const char *jx_type_name(const json_t *v);
const char *jx_type_name_a(const json_t *v);

#endif
