/*
 * sources.c — the source registry, the post builder every source uses, and
 * the small helpers that make sources agree on details (HTML entities,
 * deleted markers, times, ids); see sources.h.
 */
#include "sources.h"
#include "lib/htime.h"
#include "lib/jsonx.h"
#include "lib/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ================================================================ registry */

static const source *const all[] = {&source_reddit,       &source_stocktwits, &source_newsapi,       &source_x,
				    &source_alphavantage, &source_yahoo,      &source_wikipedia,     &source_unusualwhales,
				    &source_finnhub,      &source_trends};

const source *source_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		if (strcmp(all[i]->name, name) == 0)
			return all[i];
	return NULL;
}

const char *source_names(void)
{
	return "reddit, stocktwits, newsapi, x, alphavantage, yahoo, wikipedia, unusualwhales, finnhub, trends";
}

static int normalize_each(const json_t *item, const void *ctx, const src_out *out, char *err, size_t errlen)
{
	const void *const *pair = ctx;
	const source *src = pair[0];

	return src->normalize(item, pair[1], out, err, errlen);
}

int source_normalize(const source *src, const json_t *v, const src_meta *meta, const src_out *out, char *err,
		     size_t errlen)
{
	if (!json_is_array(v))
		return src->normalize(v, meta, out, err, errlen);
	src_each(v, normalize_each, (const void *[]){src, meta}, out);
	return 0;
}

/* ================================================================ authors */

/* The value at a dotted path ("users.0.username"; numbers index arrays). */
static const json_t *at_path(const json_t *v, const char *path)
{
	char part[64];

	while (v && *path) {
		size_t n = strcspn(path, ".");
		char *end;
		long i;

		snprintf(part, sizeof part, "%.*s", (int)n, path);
		i = strtol(part, &end, 10);
		v = json_is_array(v) && *end == '\0' && end != part ? json_array_get(v, (size_t)i) : json_object_get(v, part);
		path += n;
		path += *path == '.';
	}
	return v;
}

int source_raw_author(const source *src, const json_t *item, const json_t *includes, buf_t *out)
{
	buf_reset(out);
	for (const src_author_path *p = src->author; p && p->root; p++) {
		const json_t *v = at_path(strcmp(p->root, "item") == 0 ? item : includes, p->path), *x;
		char num[32];
		size_t i;

		if (p->join) {
			json_array_foreach(v, i, x)
				if (json_is_string(x) && json_string_length(x))
					buf_printf(out, "%s%s", out->len ? ", " : "", json_string_value(x));
		} else if (json_is_string(v) && json_string_length(v)) {
			buf_puts(out, json_string_value(v));
		} else if (json_is_integer(v)) { /* X's author_id as a number */
			snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
			buf_puts(out, num);
		}
		if (out->len)
			return 1;
	}
	return 0;
}

/* One path as SQL: the column's value there as text (NULL when absent or
 * empty). */
static void path_sql(int dialect, const src_author_path *p, buf_t *out)
{
	const char *col = p->root;

	if (dialect == SRC_SQL_PG) {
		if (p->join) {
			buf_printf(out, "(SELECT nullif(string_agg(e, ', ' ORDER BY o), '') FROM jsonb_array_elements_text("
					"CASE jsonb_typeof(%s #> '{%s}') WHEN 'array' THEN %s #> '{%s}' END) "
					"WITH ORDINALITY AS a(e, o) WHERE e <> '')",
				   col, p->path, col, p->path);
			return;
		}
		buf_printf(out, "nullif(%s #>> '{", col);
		for (const char *c = p->path; *c; c++)
			buf_putc(out, *c == '.' ? ',' : *c);
		buf_puts(out, "}', '')");
		return;
	}
	if (p->join) {
		buf_printf(out, "(SELECT nullif(group_concat(value, ', '), '') FROM (SELECT value FROM json_each(%s, '$.%s') "
				"WHERE type = 'text' AND value <> '' ORDER BY key))",
			   col, p->path);
		return;
	}
	buf_printf(out, "nullif(CAST(json_extract(%s, '$", col);
	for (const char *c = p->path; *c;) {
		size_t n = strcspn(c, ".");
		char *end;
		strtol(c, &end, 10);
		if (end == c + n && n)
			buf_printf(out, "[%.*s]", (int)n, c);
		else
			buf_printf(out, ".%.*s", (int)n, c);
		c += n;
		c += *c == '.';
	}
	buf_puts(out, "') AS TEXT), '')");
}

void source_raw_author_sql(int dialect, buf_t *out)
{
	buf_puts(out, "CASE source");
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
		const src_author_path *p = all[i]->author;
		if (!p)
			continue;
		int many = p[1].root != NULL; /* coalesce() wants two or more */
		buf_printf(out, " WHEN '%s' THEN %s", all[i]->name, many ? "coalesce(" : "");
		for (int k = 0; p[k].root; k++) {
			if (k)
				buf_puts(out, ", ");
			path_sql(dialect, &p[k], out);
		}
		buf_puts(out, many ? ")" : "");
	}
	buf_puts(out, " END");
}

/* ================================================================ posts */

json_t *post_new(const char *source, const char *type)
{
	json_t *p = json_object();

	json_object_set_new(p, "kind", json_string("post"));
	json_object_set_new(p, "id", json_null());
	json_object_set_new(p, "source", json_string(source));
	json_object_set_new(p, "type", json_string(type));
	json_object_set_new(p, "community", json_null());
	json_object_set_new(p, "created_at", json_null());
	json_object_set_new(p, "author", json_null());
	json_object_set_new(p, "title", json_null());
	json_object_set_new(p, "text", json_string(""));
	json_object_set_new(p, "url", json_null());
	json_object_set_new(p, "engagement", json_pack("{s:i,s:i}", "score", 0, "replies", 0));
	json_object_set_new(p, "entities", json_array());
	json_object_set_new(p, "parent", json_null());
	json_object_set_new(p, "lang", json_null());
	return p;
}

void post_set_id(json_t *post, const char *source, const char *native)
{
	buf_t b = BUF_INIT;

	buf_printf(&b, "%s:%s", source, native);
	json_object_set_new(post, "id", json_stringn(b.p, b.len));
	buf_free(&b);
}

void post_set_time(json_t *post, int64_t t)
{
	char s[HTIME_LEN];

	json_object_set_new(post, "created_at", json_string(htime_format(t, s)));
}

void post_set_str(json_t *post, const char *key, const char *s)
{
	jx_set_str(post, key, s);
}

static int deleted_marker(const char *s, size_t n)
{
	static const char *const markers[] = {"[deleted]", "[removed]", "[Removed]", "[deleted by user]"};

	for (size_t i = 0; i < sizeof markers / sizeof markers[0]; i++)
		if (n == strlen(markers[i]) && memcmp(s, markers[i], n) == 0)
			return 1;
	return 0;
}

void post_set_text(json_t *post, const char *key, const json_t *v)
{
	int is_title = strcmp(key, "title") == 0;
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	buf_t b = BUF_INIT;

	if (!s || deleted_marker(s, n)) {
		json_object_set_new(post, key, is_title ? json_null() : json_string(""));
		return;
	}
	src_html_decode(s, n, &b);
	json_object_set_new(post, key, json_stringn(b.p ? b.p : "", b.len));
	buf_free(&b);
}

void post_set_engagement(json_t *post, long long score, long long replies)
{
	json_object_set_new(post, "engagement", json_pack("{s:I,s:I}", "score", (json_int_t)score, "replies",
							  (json_int_t)replies));
}

void post_add_entity(json_t *post, const char *sym)
{
	json_t *a = json_object_get(post, "entities");

	if (json_is_array(a) && sym && *sym)
		json_array_append_new(a, json_string(sym));
}

/* ================================================================ metrics */

/* Integral values as integers (pageviews, volumes), others as reals. The
 * range test comes first: casting a double outside long long's range (or
 * NaN) is undefined (UBSan, found by tests/fuzz/fuzz_normalize.c). */
static json_t *number(double v)
{
	if (v > -9007199254740992.0 && v < 9007199254740992.0 && v == (double)(long long)v)
		return json_integer((json_int_t)v);
	return json_real(v);
}

json_t *metric_new(const char *source, const char *entity, int64_t at, const char *name, double value,
		   const char *interval)
{
	json_t *m = json_object();
	char s[HTIME_LEN];

	json_object_set_new(m, "kind", json_string("metric"));
	json_object_set_new(m, "source", json_string(source));
	json_object_set_new(m, "entity", json_string(entity));
	json_object_set_new(m, "at", json_string(htime_format(at, s)));
	json_object_set_new(m, "name", json_string(name));
	json_object_set_new(m, "value", number(value));
	if (interval)
		json_object_set_new(m, "interval", json_string(interval));
	return m;
}

void metric_set_bar(json_t *m, double open, double high, double low, double close, double volume)
{
	json_object_set_new(m, "open", number(open));
	json_object_set_new(m, "high", number(high));
	json_object_set_new(m, "low", number(low));
	json_object_set_new(m, "close", number(close));
	json_object_set_new(m, "volume", number(volume));
}

/* ================================================================ helpers */

static void put_utf8(buf_t *out, unsigned long cp)
{
	char u[4];

	if (cp < 0x80) {
		buf_putc(out, (char)cp);
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		buf_put(out, u, 2);
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		buf_put(out, u, 3);
	} else {
		u[0] = (char)(0xf0 | cp >> 18);
		u[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		u[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		buf_put(out, u, 4);
	}
}

/* The code point of the reference at s[0..n) (which starts after '&'),
 * and its length up to and including ';' in *used; -1 when it is none. */
static long html_ref(const char *s, size_t n, size_t *used)
{
	static const struct {
		const char *name;
		long cp;
	} names[] = {{"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}, {"nbsp", 0xa0}};
	const char *semi = memchr(s, ';', n < 12 ? n : 12);
	size_t len;

	if (!semi)
		return -1;
	len = (size_t)(semi - s);
	*used = len + 1;
	if (len >= 2 && s[0] == '#') {
		unsigned long cp = 0;
		int hex = s[1] == 'x' || s[1] == 'X';
		size_t i = hex ? 2 : 1;
		if (i == len)
			return -1;
		for (; i < len; i++) {
			char c = s[i];
			int d = c >= '0' && c <= '9' ? c - '0'
				: hex && c >= 'a' && c <= 'f' ? c - 'a' + 10
				: hex && c >= 'A' && c <= 'F' ? c - 'A' + 10
							       : -1;
			if (d < 0)
				return -1;
			cp = cp * (hex ? 16 : 10) + (unsigned long)d;
			if (cp > 0x10ffff)
				return -1;
		}
		if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff))
			return -1;
		return (long)cp;
	}
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strlen(names[i].name) == len && memcmp(s, names[i].name, len) == 0)
			return names[i].cp;
	return -1;
}

void src_html_decode(const char *s, size_t n, buf_t *out)
{
	size_t i = 0;

	buf_reset(out);
	buf_reserve(out, n);
	while (i < n) {
		const char *amp = memchr(s + i, '&', n - i);
		size_t used;
		long cp;

		if (!amp) {
			buf_put(out, s + i, n - i);
			break;
		}
		buf_put(out, s + i, (size_t)(amp - (s + i)));
		i = (size_t)(amp - s) + 1;
		cp = html_ref(s + i, n - i, &used);
		if (cp < 0) {
			buf_putc(out, '&');
			continue;
		}
		put_utf8(out, (unsigned long)cp);
		i += used;
	}
}

const char *src_describe(const json_t *v, char *buf, size_t buflen)
{
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		size_t n = strlen(s);
		if (n > 40)
			snprintf(buf, buflen, "\"%.40s…\"", s);
		else
			snprintf(buf, buflen, "\"%s\"", s);
		return buf;
	}
	snprintf(buf, buflen, "%s %s", json_is_object(v) || json_is_array(v) ? "an" : "a", jx_type_name(v));
	if (json_is_null(v))
		snprintf(buf, buflen, "null");
	return buf;
}

int src_time(const json_t *obj, const char *key, int64_t *t, char *err, size_t errlen)
{
	json_t *v = json_object_get(obj, key);
	char d[64];

	if (!v || json_is_null(v)) {
		snprintf(err, errlen, "no '%s'", key);
		return -1;
	}
	if (htime_from_json(v, t) < 0) {
		snprintf(err, errlen, "field '%s' is %s, not a time", key, src_describe(v, d, sizeof d));
		return -1;
	}
	return 0;
}

void src_each(const json_t *items, src_item_fn fn, const void *ctx, const src_out *out)
{
	size_t i;
	json_t *item;

	json_array_foreach(items, i, item) {
		char why[512];
		if (fn(item, ctx, out, why, sizeof why) < 0)
			out->bad_item(out->arg, item, i, why);
	}
}

const char *src_id(const json_t *obj, const char *key, char *buf, size_t buflen)
{
	return jx_str_or_num(obj, key, buf, buflen);
}
