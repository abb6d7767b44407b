/*
 * jsonx.c — typed access to jansson values; see jsonx.h.
 */
#include "jsonx.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

json_t *jx_parse(const char *s, size_t len, char *err, size_t errlen)
{
	json_error_t e;
	json_t *v = json_loadb(s, len, JSON_ALLOW_NUL, &e);

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

const char *jx_type_name(const json_t *v)
{
	switch (v ? json_typeof(v) : JSON_NULL) {
	case JSON_OBJECT: return "object";
	case JSON_ARRAY: return "array";
	case JSON_STRING: return "string";
	case JSON_INTEGER:
	case JSON_REAL: return "number";
	case JSON_TRUE:
	case JSON_FALSE: return "boolean";
	default: return "null";
	}
}
