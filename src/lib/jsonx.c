/*
 * jsonx.c — a fast parser into jansson values, and typed access to
 * them; see jsonx.h.
 */
#include "jsonx.h"
#include "buf.h"
#include "ndjson.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ parsing */

/*
 * jansson's json_loadb reads one byte at a time through a callback and
 * copies every token into a scratch buffer; on posts it runs at ~60 MB/s
 * and was 35–70% of every filter's time. This parser builds the same
 * jansson values straight from the line (~5x faster). It accepts exactly
 * what json_loadb(…, JSON_ALLOW_NUL) accepts — an object or array at the
 * top, RFC 8259 grammar, valid UTF-8, no NUL in keys, integers that fit
 * json_int_t, reals that do not overflow, depth ≤ 2048 — and whenever it
 * finds fault it hands the line to json_loadb, so error messages (and any
 * corner it does not handle) are jansson's own.
 */

#define JX_MAX_DEPTH 2048

struct jx_parser {
	const char *p, *end;
	int depth;
	buf_t scratch; /* decoded strings that had escapes */
};

static void jx_ws(struct jx_parser *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static int jx_hex4(const char *p, unsigned *out)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		char c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static void jx_put_utf8(buf_t *b, unsigned u)
{
	char c[4];
	size_t n;

	if (u < 0x80) {
		c[0] = (char)u, n = 1;
	} else if (u < 0x800) {
		c[0] = (char)(0xC0 | u >> 6), c[1] = (char)(0x80 | (u & 63)), n = 2;
	} else if (u < 0x10000) {
		c[0] = (char)(0xE0 | u >> 12), c[1] = (char)(0x80 | ((u >> 6) & 63)), c[2] = (char)(0x80 | (u & 63));
		n = 3;
	} else {
		c[0] = (char)(0xF0 | u >> 18), c[1] = (char)(0x80 | ((u >> 12) & 63));
		c[2] = (char)(0x80 | ((u >> 6) & 63)), c[3] = (char)(0x80 | (u & 63)), n = 4;
	}
	buf_put(b, c, n);
}

/* A string at j->p (on the opening quote). Sets *s, *n to its decoded
 * bytes: in the input when it has no escapes, else in j->scratch. */
static int jx_string(struct jx_parser *j, const char **s, size_t *n)
{
	const char *start = ++j->p, *p = start;
	int high = 0;

	while (p < j->end) {
		unsigned char c = (unsigned char)*p;
		if (c == '"') {
			if (high && !ndjson_utf8_valid(start, (size_t)(p - start), NULL))
				return -1;
			*s = start;
			*n = (size_t)(p - start);
			j->p = p + 1;
			return 0;
		}
		if (c == '\\' || c < 0x20)
			break;
		high |= c & 0x80;
		p++;
	}
	buf_reset(&j->scratch);
	buf_put(&j->scratch, start, (size_t)(p - start));
	while (p < j->end) {
		unsigned char c = (unsigned char)*p;
		const char *run = p;
		unsigned u, lo;

		if (c == '"') {
			if (high && !ndjson_utf8_valid(j->scratch.p, j->scratch.len, NULL))
				return -1;
			*s = j->scratch.p;
			*n = j->scratch.len;
			j->p = p + 1;
			return 0;
		}
		if (c < 0x20)
			return -1;
		if (c != '\\') {
			while (p < j->end && *p != '"' && *p != '\\' && (unsigned char)*p >= 0x20) {
				high |= *p & 0x80;
				p++;
			}
			buf_put(&j->scratch, run, (size_t)(p - run));
			continue;
		}
		if (++p >= j->end)
			return -1;
		switch (*p++) {
		case '"': buf_putc(&j->scratch, '"'); break;
		case '\\': buf_putc(&j->scratch, '\\'); break;
		case '/': buf_putc(&j->scratch, '/'); break;
		case 'b': buf_putc(&j->scratch, '\b'); break;
		case 'f': buf_putc(&j->scratch, '\f'); break;
		case 'n': buf_putc(&j->scratch, '\n'); break;
		case 'r': buf_putc(&j->scratch, '\r'); break;
		case 't': buf_putc(&j->scratch, '\t'); break;
		case 'u':
			if (j->end - p < 4 || jx_hex4(p, &u) < 0)
				return -1;
			p += 4;
			if (u >= 0xDC00 && u <= 0xDFFF)
				return -1;
			if (u >= 0xD800 && u <= 0xDBFF) {
				if (j->end - p < 6 || p[0] != '\\' || p[1] != 'u' || jx_hex4(p + 2, &lo) < 0 ||
				    lo < 0xDC00 || lo > 0xDFFF)
					return -1;
				p += 6;
				u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
			}
			jx_put_utf8(&j->scratch, u);
			break;
		default:
			return -1;
		}
	}
	return -1; /* no closing quote */
}

static int jx_digit(const struct jx_parser *j, const char *p)
{
	return p < j->end && *p >= '0' && *p <= '9';
}

static json_t *jx_number(struct jx_parser *j)
{
	const char *s = j->p, *p = s;
	int real = 0;

	if (*p == '-')
		p++;
	if (!jx_digit(j, p))
		return NULL;
	if (*p == '0')
		p++;
	else
		while (jx_digit(j, p))
			p++;
	if (jx_digit(j, p))
		return NULL; /* leading zero */
	if (p < j->end && *p == '.') {
		real = 1;
		if (!jx_digit(j, ++p))
			return NULL;
		while (jx_digit(j, p))
			p++;
	}
	if (p < j->end && (*p == 'e' || *p == 'E')) {
		real = 1;
		p++;
		if (p < j->end && (*p == '+' || *p == '-'))
			p++;
		if (!jx_digit(j, p))
			return NULL;
		while (jx_digit(j, p))
			p++;
	}
	j->p = p;
	if (!real) {
		const char *q = s + (*s == '-');
		unsigned long long v = 0, lim = *s == '-' ? (unsigned long long)LLONG_MAX + 1 : LLONG_MAX;
		for (; q < p; q++) {
			unsigned d = (unsigned)(*q - '0');
			if (v > (lim - d) / 10)
				return NULL; /* too big: jansson says which way */
			v = v * 10 + d;
		}
		return json_integer(*s == '-' ? (json_int_t)(0 - v) : (json_int_t)v);
	} else {
		char tmp[64], *t = tmp;
		size_t n = (size_t)(p - s);
		double d;
		if (n >= sizeof tmp)
			t = xmalloc(n + 1);
		memcpy(t, s, n);
		t[n] = '\0';
		errno = 0;
		d = strtod(t, NULL);
		if (t != tmp)
			free(t);
		if (errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL))
			return NULL;
		return json_real(d);
	}
}

static json_t *jx_value(struct jx_parser *j);

static json_t *jx_object(struct jx_parser *j)
{
	json_t *o = json_object();

	j->p++;
	jx_ws(j);
	if (j->p < j->end && *j->p == '}') {
		j->p++;
		return o;
	}
	for (;;) {
		const char *k;
		size_t kn;
		char small[128], *key = small;
		json_t *v;

		jx_ws(j);
		if (j->p >= j->end || *j->p != '"' || jx_string(j, &k, &kn) < 0 || memchr(k, '\0', kn))
			goto fail;
		if (kn >= sizeof small)
			key = xmalloc(kn + 1);
		memcpy(key, k, kn); /* k may live in scratch, which the value reuses */
		key[kn] = '\0';
		jx_ws(j);
		if (j->p >= j->end || *j->p != ':' || (j->p++, !(v = jx_value(j)))) {
			if (key != small)
				free(key);
			goto fail;
		}
		json_object_setn_new_nocheck(o, key, kn, v);
		if (key != small)
			free(key);
		jx_ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			continue;
		}
		if (j->p < j->end && *j->p == '}') {
			j->p++;
			return o;
		}
		goto fail;
	}
fail:
	json_decref(o);
	return NULL;
}

static json_t *jx_array(struct jx_parser *j)
{
	json_t *a = json_array();

	j->p++;
	jx_ws(j);
	if (j->p < j->end && *j->p == ']') {
		j->p++;
		return a;
	}
	for (;;) {
		json_t *v = jx_value(j);
		if (!v)
			break;
		json_array_append_new(a, v);
		jx_ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			continue;
		}
		if (j->p < j->end && *j->p == ']') {
			j->p++;
			return a;
		}
		break;
	}
	json_decref(a);
	return NULL;
}

static json_t *jx_literal(struct jx_parser *j, const char *word, size_t n, json_t *v)
{
	if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0)
		return NULL;
	j->p += n;
	return v;
}

static json_t *jx_value(struct jx_parser *j)
{
	json_t *v = NULL;
	const char *s;
	size_t n;

	jx_ws(j);
	if (j->p >= j->end)
		return NULL;
	switch (*j->p) {
	case '{':
	case '[':
		if (++j->depth > JX_MAX_DEPTH)
			return NULL;
		v = *j->p == '{' ? jx_object(j) : jx_array(j);
		j->depth--;
		return v;
	case '"':
		return jx_string(j, &s, &n) < 0 ? NULL : json_stringn_nocheck(s, n);
	case 't': return jx_literal(j, "true", 4, json_true());
	case 'f': return jx_literal(j, "false", 5, json_false());
	case 'n': return jx_literal(j, "null", 4, json_null());
	default: return jx_number(j);
	}
}

/* Each thread's parser, its scratch buffer kept between lines. */
static _Thread_local struct jx_parser j;

void jx_parse_thread_free(void)
{
	buf_free(&j.scratch);
}

json_t *jx_parse(const char *s, size_t len, char *err, size_t errlen)
{
	json_error_t e;
	json_t *v = NULL;

	j.p = s;
	j.end = s + len;
	j.depth = 0;
	jx_ws(&j);
	if (j.p < j.end && (*j.p == '{' || *j.p == '[')) {
		v = jx_value(&j);
		jx_ws(&j);
		if (v && j.p != j.end) {
			json_decref(v);
			v = NULL;
		}
	}
	if (v)
		return v;
	/* Not valid, or a corner we leave to jansson: its verdict and words. */
	v = json_loadb(s, len, JSON_ALLOW_NUL, &e);
	if (!v && err)
		snprintf(err, errlen, "invalid JSON at column %d: %s", e.column > 0 ? e.column : (int)e.position + 1, e.text);
	return v;
}

const char *jx_str(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

const char *jx_str_or_num(const json_t *obj, const char *key, char *buf, size_t buflen)
{
	json_t *v = json_object_get(obj, key);

	if (json_is_string(v))
		return json_string_length(v) ? json_string_value(v) : NULL;
	if (json_is_integer(v)) {
		snprintf(buf, buflen, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return buf;
	}
	return NULL;
}

double jx_num(const json_t *obj, const char *key, double dflt)
{
	json_t *v = json_object_get(obj, key);

	return json_is_number(v) ? json_number_value(v) : dflt;
}

int jx_int(const json_t *obj, const char *key, long long *out)
{
	json_t *v = json_object_get(obj, key);

	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return 1;
	}
	if (json_is_real(v)) {
		double d = json_real_value(v);
		if (d == floor(d) && fabs(d) < 9.0e18) {
			*out = (long long)d;
			return 1;
		}
	}
	return 0;
}

int jx_bool(const json_t *obj, const char *key)
{
	return json_is_true(json_object_get(obj, key));
}

json_t *jx_path(const json_t *obj, const char *dotted)
{
	char key[256];
	const char *p = dotted;
	json_t *cur = (json_t *)obj;

	while (cur && *p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		if (n >= sizeof key)
			return NULL;
		memcpy(key, p, n);
		key[n] = '\0';
		cur = json_is_object(cur) ? json_object_get(cur, key) : NULL;
		p += n + (dot ? 1 : 0);
	}
	return cur;
}

void jx_set_str(json_t *obj, const char *key, const char *val)
{
	json_object_set_new(obj, key, val ? json_string(val) : json_null());
}

void jx_set_strn(json_t *obj, const char *key, const char *val, size_t n)
{
	json_object_set_new(obj, key, val ? json_stringn(val, n) : json_null());
}

void jx_set_int(json_t *obj, const char *key, long long val)
{
	json_object_set_new(obj, key, json_integer(val));
}

void jx_set_real(json_t *obj, const char *key, double val)
{
	json_object_set_new(obj, key, json_real(val));
}

/* Each JSON type's name, bare and with its article. */
static const char *type_name(const json_t *v, int article)
{
	static const char *const names[][2] = {
		[JSON_OBJECT] = {"object", "an object"}, [JSON_ARRAY] = {"array", "an array"},
		[JSON_STRING] = {"string", "a string"},  [JSON_INTEGER] = {"number", "a number"},
		[JSON_REAL] = {"number", "a number"},    [JSON_TRUE] = {"boolean", "a boolean"},
		[JSON_FALSE] = {"boolean", "a boolean"}, [JSON_NULL] = {"null", "null"},
	};

	return names[v ? json_typeof(v) : JSON_NULL][article];
}

const char *jx_type_name(const json_t *v)
{
	return type_name(v, 0);
}

const char *jx_type_name_a(const json_t *v)
{
	return type_name(v, 1);
}
