/*
 * minijson.c — a small recursive-descent JSON parser for src/bert (see
 * minijson.h for why it exists). Nodes go into one growing array, linked
 * by index while parsing and turned into pointers at the end; decoded
 * strings go into one pool no larger than the input (a string never grows
 * when decoded: "\uXXXX" is 6 bytes for at most 3, a surrogate pair 12 for
 * 4, and the closing quote pays for the NUL).
 */
#include "bert/minijson.h"

#include "lib/util.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct node {
	struct mjson v;
	long child, next, key; /* indices while parsing (-1 = none); key: offset in pool */
	long str;              /* offset of the string in pool, -1 */
};

struct mjson_doc {
	struct mjson *nodes; /* n nodes; nodes[0] is the root */
	char *pool;
};

struct parser {
	const char *s, *end, *p;
	struct node *n;
	long nn, cap;
	char *pool;
	size_t used;
	char *err;
	size_t errlen;
	int failed;
};

static int fail(struct parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct parser *ps, const char *fmt, ...)
{
	if (!ps->failed) {
		char msg[200];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(msg, sizeof msg, fmt, ap);
		va_end(ap);
		snprintf(ps->err, ps->errlen, "byte %ld: %s", (long)(ps->p - ps->s), msg);
		ps->failed = 1;
	}
	return -1;
}

static void skip_ws(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static long new_node(struct parser *ps, enum mjson_type t)
{
	if (ps->nn == ps->cap) {
		ps->cap = ps->cap ? 2 * ps->cap : 64;
		ps->n = xrealloc(ps->n, (size_t)ps->cap * sizeof *ps->n);
	}
	struct node *n = &ps->n[ps->nn];
	memset(n, 0, sizeof *n);
	n->v.type = t;
	n->child = n->next = n->key = n->str = -1;
	return ps->nn++;
}

static void put_utf8(struct parser *ps, unsigned cp)
{
	char *o = ps->pool + ps->used;
	if (cp < 0x80) {
		o[0] = (char)cp;
		ps->used += 1;
	} else if (cp < 0x800) {
		o[0] = (char)(0xC0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3F));
		ps->used += 2;
	} else if (cp < 0x10000) {
		o[0] = (char)(0xE0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		ps->used += 3;
	} else {
		o[0] = (char)(0xF0 | cp >> 18);
		o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
		o[2] = (char)(0x80 | (cp >> 6 & 0x3F));
		o[3] = (char)(0x80 | (cp & 0x3F));
		ps->used += 4;
	}
}

static int hex4(struct parser *ps, unsigned *out)
{
	unsigned v = 0;
	if (ps->end - ps->p < 4)
		return fail(ps, "truncated \\u escape");
	for (int i = 0; i < 4; i++) {
		char c = *ps->p++;
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return fail(ps, "bad hex digit in \\u escape");
	}
	*out = v;
	return 0;
}

/* The length of the well-formed UTF-8 sequence at p (RFC 3629: no
 * overlong forms, no surrogates, at most U+10FFFF), or 0. */
static size_t utf8_len(const char *p, const char *end)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t n = (size_t)(end - p);
	unsigned cp;

	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		return n >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
	if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
			return 0;
		cp = (s[0] & 0x0Fu) << 12 | (s[1] & 0x3Fu) << 6 | (s[2] & 0x3Fu);
		return cp >= 0x800 && (cp < 0xD800 || cp > 0xDFFF) ? 3 : 0;
	}
	if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
			return 0;
		cp = (s[0] & 0x07u) << 18 | (s[1] & 0x3Fu) << 12 | (s[2] & 0x3Fu) << 6 | (s[3] & 0x3Fu);
		return cp >= 0x10000 && cp <= 0x10FFFF ? 4 : 0;
	}
	return 0;
}

/* At the opening quote. Decodes into the pool; *off and *len say where. */
static int parse_string(struct parser *ps, long *off, size_t *len)
{
	size_t start = ps->used;

	ps->p++;
	for (;;) {
		if (ps->p >= ps->end)
			return fail(ps, "unterminated string");
		unsigned char c = (unsigned char)*ps->p;
		if (c == '"') {
			ps->p++;
			break;
		}
		if (c < 0x20)
			return fail(ps, "control character in string");
		if (c >= 0x80) {
			size_t n = utf8_len(ps->p, ps->end);
			if (!n)
				return fail(ps, "invalid UTF-8 in string");
			memcpy(ps->pool + ps->used, ps->p, n);
			ps->used += n;
			ps->p += n;
			continue;
		}
		if (c != '\\') {
			ps->pool[ps->used++] = (char)c;
			ps->p++;
			continue;
		}
		ps->p++;
		if (ps->p >= ps->end)
			return fail(ps, "unterminated string");
		char e = *ps->p++;
		unsigned cp, lo;
		switch (e) {
		case '"': ps->pool[ps->used++] = '"'; break;
		case '\\': ps->pool[ps->used++] = '\\'; break;
		case '/': ps->pool[ps->used++] = '/'; break;
		case 'b': ps->pool[ps->used++] = '\b'; break;
		case 'f': ps->pool[ps->used++] = '\f'; break;
		case 'n': ps->pool[ps->used++] = '\n'; break;
		case 'r': ps->pool[ps->used++] = '\r'; break;
		case 't': ps->pool[ps->used++] = '\t'; break;
		case 'u':
			if (hex4(ps, &cp) < 0)
				return -1;
			if (cp >= 0xD800 && cp < 0xDC00) {
				if (ps->end - ps->p < 6 || ps->p[0] != '\\' || ps->p[1] != 'u')
					return fail(ps, "lone high surrogate in \\u escape");
				ps->p += 2;
				if (hex4(ps, &lo) < 0)
					return -1;
				if (lo < 0xDC00 || lo > 0xDFFF)
					return fail(ps, "bad low surrogate in \\u escape");
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
			} else if (cp >= 0xDC00 && cp < 0xE000) {
				return fail(ps, "lone low surrogate in \\u escape");
			}
			put_utf8(ps, cp);
			break;
		default:
			return fail(ps, "bad escape '\\%c'", e);
		}
	}
	ps->pool[ps->used++] = '\0';
	*off = (long)start;
	*len = ps->used - start - 1;
	return 0;
}

static int parse_number(struct parser *ps, long idx)
{
	const char *q = ps->p;
	int is_int = 1;
	char buf[64];

	if (q < ps->end && *q == '-')
		q++;
	if (q >= ps->end || *q < '0' || *q > '9')
		return fail(ps, "bad number");
	if (*q == '0' && q + 1 < ps->end && q[1] >= '0' && q[1] <= '9')
		return fail(ps, "number with a leading zero");
	while (q < ps->end && *q >= '0' && *q <= '9')
		q++;
	if (q < ps->end && *q == '.') {
		is_int = 0;
		q++;
		if (q >= ps->end || *q < '0' || *q > '9')
			return fail(ps, "bad number");
		while (q < ps->end && *q >= '0' && *q <= '9')
			q++;
	}
	if (q < ps->end && (*q == 'e' || *q == 'E')) {
		is_int = 0;
		q++;
		if (q < ps->end && (*q == '+' || *q == '-'))
			q++;
		if (q >= ps->end || *q < '0' || *q > '9')
			return fail(ps, "bad number");
		while (q < ps->end && *q >= '0' && *q <= '9')
			q++;
	}
	size_t n = (size_t)(q - ps->p);
	if (n >= sizeof buf)
		return fail(ps, "number too long");
	memcpy(buf, ps->p, n);
	buf[n] = '\0';
	struct mjson *v = &ps->n[idx].v;
	v->num = strtod(buf, NULL);
	if (isinf(v->num)) /* 1e400: out of a double's range, as jansson says too (tests/fuzz/fuzz_config.c) */
		return fail(ps, "number out of range");
	if (is_int) {
		errno = 0;
		long long x = strtoll(buf, NULL, 10);
		if (errno == 0) {
			v->inum = x;
			v->is_int = 1;
		}
	}
	ps->p = q;
	return 0;
}

static int parse_value(struct parser *ps, long *out, int depth);

/* Parse the elements (or members) of an array (object) at idx. */
static int parse_container(struct parser *ps, long idx, int object, int depth)
{
	char close = object ? '}' : ']';
	long last = -1;
	size_t count = 0;

	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == close) {
		ps->p++;
		return 0;
	}
	for (;;) {
		long key = -1, child;
		size_t keylen = 0;
		skip_ws(ps);
		if (object) {
			if (ps->p >= ps->end || *ps->p != '"')
				return fail(ps, "expected a member name");
			if (parse_string(ps, &key, &keylen) < 0)
				return -1;
			skip_ws(ps);
			if (ps->p >= ps->end || *ps->p != ':')
				return fail(ps, "expected ':'");
			ps->p++;
		}
		if (parse_value(ps, &child, depth + 1) < 0)
			return -1;
		ps->n[child].key = key;
		ps->n[child].v.keylen = keylen;
		if (last < 0)
			ps->n[idx].child = child;
		else
			ps->n[last].next = child;
		last = child;
		count++;
		skip_ws(ps);
		if (ps->p >= ps->end)
			return fail(ps, "unterminated %s", object ? "object" : "array");
		if (*ps->p == ',') {
			ps->p++;
			continue;
		}
		if (*ps->p == close) {
			ps->p++;
			break;
		}
		return fail(ps, "expected ',' or '%c'", close);
	}
	ps->n[idx].v.len = count;
	return 0;
}

static int parse_value(struct parser *ps, long *out, int depth)
{
	long idx;

	if (depth > MJSON_MAX_DEPTH)
		return fail(ps, "nested deeper than %d", MJSON_MAX_DEPTH);
	skip_ws(ps);
	if (ps->p >= ps->end)
		return fail(ps, "expected a value");
	switch (*ps->p) {
	case '{':
	case '[':
		idx = new_node(ps, *ps->p == '{' ? MJSON_OBJECT : MJSON_ARRAY);
		*out = idx;
		return parse_container(ps, idx, *ps->p == '{', depth);
	case '"': {
		size_t len;
		long off;
		idx = new_node(ps, MJSON_STRING);
		*out = idx;
		if (parse_string(ps, &off, &len) < 0)
			return -1;
		ps->n[idx].str = off;
		ps->n[idx].v.len = len;
		return 0;
	}
	case 't':
	case 'f':
	case 'n': {
		static const char *const words[] = {"true", "false", "null"};
		for (int i = 0; i < 3; i++) {
			size_t n = strlen(words[i]);
			if ((size_t)(ps->end - ps->p) >= n && memcmp(ps->p, words[i], n) == 0) {
				idx = new_node(ps, i == 2 ? MJSON_NULL : MJSON_BOOL);
				ps->n[idx].v.num = i == 0;
				*out = idx;
				ps->p += n;
				return 0;
			}
		}
		return fail(ps, "unexpected character '%c'", *ps->p);
	}
	default:
		idx = new_node(ps, MJSON_NUMBER);
		*out = idx;
		return parse_number(ps, idx);
	}
}

mjson_doc *mjson_parse(const char *text, size_t len, char *err, size_t errlen)
{
	struct parser ps = {.s = text, .end = text + len, .p = text, .err = err, .errlen = errlen};
	long root;

	ps.pool = xmalloc(len + 1);
	if (parse_value(&ps, &root, 0) == 0) {
		skip_ws(&ps);
		if (ps.p != ps.end)
			fail(&ps, "text after the JSON value");
	}
	if (ps.failed) {
		free(ps.n);
		free(ps.pool);
		return NULL;
	}
	mjson_doc *d = xmalloc(sizeof *d);
	d->pool = ps.pool;
	d->nodes = xmalloc((size_t)ps.nn * sizeof *d->nodes);
	for (long i = 0; i < ps.nn; i++) {
		struct node *n = &ps.n[i];
		struct mjson *v = &d->nodes[i];
		*v = n->v;
		v->child = n->child >= 0 ? &d->nodes[n->child] : NULL;
		v->next = n->next >= 0 ? &d->nodes[n->next] : NULL;
		v->key = n->key >= 0 ? ps.pool + n->key : NULL;
		v->str = n->str >= 0 ? ps.pool + n->str : NULL;
	}
	free(ps.n);
	return d;
}

void mjson_free(mjson_doc *d)
{
	if (!d)
		return;
	free(d->nodes);
	free(d->pool);
	free(d);
}

const struct mjson *mjson_root(const mjson_doc *d)
{
	return &d->nodes[0];
}

const struct mjson *mjson_get(const struct mjson *o, const char *key)
{
	size_t n = strlen(key);

	if (!o || o->type != MJSON_OBJECT)
		return NULL;
	for (const struct mjson *c = o->child; c; c = c->next)
		if (c->keylen == n && memcmp(c->key, key, n) == 0)
			return c;
	return NULL;
}

/* The member, NULL when absent or null; *bad set when of another type. */
static const struct mjson *typed(const struct mjson *o, const char *key, enum mjson_type t, int *bad)
{
	const struct mjson *v = mjson_get(o, key);

	*bad = 0;
	if (!v || v->type == MJSON_NULL)
		return NULL;
	if (v->type != t) {
		*bad = 1;
		return NULL;
	}
	return v;
}

int mjson_get_int(const struct mjson *o, const char *key, int64_t *out)
{
	int bad;
	const struct mjson *v = typed(o, key, MJSON_NUMBER, &bad);
	if (bad || (v && !v->is_int))
		return -1;
	if (!v)
		return 0;
	*out = v->inum;
	return 1;
}

int mjson_get_num(const struct mjson *o, const char *key, double *out)
{
	int bad;
	const struct mjson *v = typed(o, key, MJSON_NUMBER, &bad);
	if (bad)
		return -1;
	if (!v)
		return 0;
	*out = v->num;
	return 1;
}

int mjson_get_str(const struct mjson *o, const char *key, const char **out)
{
	int bad;
	const struct mjson *v = typed(o, key, MJSON_STRING, &bad);
	if (bad)
		return -1;
	if (!v)
		return 0;
	*out = v->str;
	return 1;
}

int mjson_get_bool(const struct mjson *o, const char *key, int *out)
{
	int bad;
	const struct mjson *v = typed(o, key, MJSON_BOOL, &bad);
	if (bad)
		return -1;
	if (!v)
		return 0;
	*out = v->num != 0;
	return 1;
}
