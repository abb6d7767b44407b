/*
 * minijson.h — the small JSON reader src/bert uses for the two JSON texts
 * a checkpoint has: config.json (and tokenizer_config.json, herd.json) and
 * the header of a safetensors file. src/bert must build without jansson
 * (DESIGN.md §4), so it parses JSON itself: a whole document into a tree
 * of nodes held in one allocation, strings decoded (\uXXXX and surrogate
 * pairs to UTF-8), numbers as double plus an exact int64 when the literal
 * is an integer.
 *
 * It reads; it never writes JSON. Duplicate object keys are kept in order
 * (callers that care, like safetensors.c, check for them). Nesting deeper
 * than MJSON_MAX_DEPTH is an error, so hostile input cannot exhaust the
 * stack.
 */
#ifndef HERD_BERT_MINIJSON_H
#define HERD_BERT_MINIJSON_H

#include <stddef.h>
#include <stdint.h>

#define MJSON_MAX_DEPTH 64

enum mjson_type { MJSON_NULL, MJSON_BOOL, MJSON_NUMBER, MJSON_STRING, MJSON_ARRAY, MJSON_OBJECT };

struct mjson {
	enum mjson_type type;
	const char *key;      /* member name (decoded) when the parent is an object, else NULL */
	size_t keylen;
	const char *str;      /* MJSON_STRING: decoded, NUL-terminated (may hold NULs: see len) */
	size_t len;           /* MJSON_STRING: bytes; MJSON_ARRAY/OBJECT: element count */
	double num;           /* MJSON_NUMBER; MJSON_BOOL: 0 or 1 */
	int64_t inum;         /* MJSON_NUMBER when is_int */
	int is_int;           /* the literal had no fraction or exponent and fits int64 */
	struct mjson *child;  /* first element or member, NULL when empty */
	struct mjson *next;   /* next sibling, NULL for the last */
};

typedef struct mjson_doc mjson_doc;

/* Parse text[0..len). Returns NULL with "byte N: reason" in err on bad
 * JSON. Free with mjson_free (NULL is a no-op); every node and string
 * lives until then. */
mjson_doc *mjson_parse(const char *text, size_t len, char *err, size_t errlen);
void mjson_free(mjson_doc *d);
const struct mjson *mjson_root(const mjson_doc *d);

/* The member named key of an object (the first when repeated), or NULL
 * (also when o is NULL or not an object). */
const struct mjson *mjson_get(const struct mjson *o, const char *key);
/* Typed lookups of a member: 1 and *out set when present with that type,
 * 0 when absent or null, -1 when present with another type. */
int mjson_get_int(const struct mjson *o, const char *key, int64_t *out);
int mjson_get_num(const struct mjson *o, const char *key, double *out);
int mjson_get_str(const struct mjson *o, const char *key, const char **out);
int mjson_get_bool(const struct mjson *o, const char *key, int *out);

#endif
