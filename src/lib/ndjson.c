/*
 * ndjson.c — the NDJSON line reader (plain or gzip input) and the compact
 * JSON writer; see ndjson.h for the contract.
 */
#include "ndjson.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define CHUNK (256 * 1024)

struct ndjson_reader {
	gzFile gz;
	char *name;
	char *chunk;             /* raw bytes read, not yet returned */
	size_t pos, end;         /* unread part of chunk: [pos, end) */
	buf_t line;              /* the line handed out */
	long lineno;
	unsigned long long bytes;
	int eof;
};

ndjson_reader *ndjson_open(const char *path)
{
	ndjson_reader *r;
	gzFile gz;
	int is_stdin = strcmp(path, "-") == 0;

	if (is_stdin) {
		int fd = dup(STDIN_FILENO);
		if (fd < 0)
			return NULL;
		gz = gzdopen(fd, "rb");
	} else {
		gz = gzopen(path, "rb");
	}
	if (!gz) {
		if (errno == 0)
			errno = ENOMEM;
		return NULL;
	}
	gzbuffer(gz, CHUNK);
	r = xcalloc(1, sizeof *r);
	r->gz = gz;
	r->name = xstrdup(is_stdin ? "<stdin>" : path);
	r->chunk = xmalloc(CHUNK);
	buf_init(&r->line);
	return r;
}

static int refill(ndjson_reader *r)
{
	int n = gzread(r->gz, r->chunk, CHUNK);

	if (n < 0) {
		int zerr;
		gzerror(r->gz, &zerr);
		if (zerr != Z_ERRNO)
			errno = EIO;
		return -1;
	}
	r->pos = 0;
	r->end = (size_t)n;
	if (n == 0) {
		int zerr;
		/* zlib hands out what a truncated gzip file holds, then 0, and
		 * says Z_BUF_ERROR only when asked: a cut .gz must not pass for
		 * a whole one (found by tests/faults/check-unreadable.sh). */
		gzerror(r->gz, &zerr);
		if (zerr == Z_BUF_ERROR) {
			errno = EIO;
			return -1;
		}
		r->eof = 1;
	}
	return n;
}

int ndjson_read(ndjson_reader *r, char **line, size_t *len)
{
	buf_reset(&r->line);
	for (;;) {
		char *start, *nl;
		size_t avail;

		if (r->pos == r->end) {
			if (r->eof)
				break;
			if (refill(r) < 0)
				return -1;
			if (r->eof)
				break;
		}
		start = r->chunk + r->pos;
		avail = r->end - r->pos;
		nl = memchr(start, '\n', avail);
		if (nl) {
			size_t n = (size_t)(nl - start);
			buf_put(&r->line, start, n);
			r->pos += n + 1;
			r->bytes += n + 1;
			goto got_line;
		}
		buf_put(&r->line, start, avail);
		r->pos = r->end;
		r->bytes += avail;
	}
	if (r->line.len == 0)
		return 0; /* clean EOF (or final newline already consumed) */
got_line:
	if (!r->line.p)
		buf_reserve(&r->line, 0);
	if (r->line.len > 0 && r->line.p[r->line.len - 1] == '\r')
		r->line.p[--r->line.len] = '\0';
	/* A UTF-8 byte order mark (Windows editors, Excel exports) is not
	 * part of the first record. */
	if (r->lineno == 0 && r->line.len >= 3 && memcmp(r->line.p, "\xEF\xBB\xBF", 3) == 0) {
		memmove(r->line.p, r->line.p + 3, r->line.len - 2);
		r->line.len -= 3;
	}
	r->lineno++;
	*line = r->line.p;
	*len = r->line.len;
	return 1;
}

long ndjson_lineno(const ndjson_reader *r)
{
	return r->lineno;
}

const char *ndjson_name(const ndjson_reader *r)
{
	return r->name;
}

unsigned long long ndjson_bytes(const ndjson_reader *r)
{
	return r->bytes;
}

void ndjson_close(ndjson_reader *r)
{
	if (!r)
		return;
	gzclose(r->gz);
	free(r->name);
	free(r->chunk);
	buf_free(&r->line);
	free(r);
}

int ndjson_utf8_valid(const char *str, size_t n, size_t *bad_offset)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < n) {
		unsigned char c;
		size_t need;
		unsigned cp, min;
		uint64_t w;

		/* Eight ASCII bytes at a time: most text is ASCII. */
		while (i + 8 <= n && (memcpy(&w, s + i, 8), (w & 0x8080808080808080ULL) == 0))
			i += 8;
		if (i >= n)
			break;
		c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF) {
			need = 1, cp = c & 0x1F, min = 0x80;
		} else if (c >= 0xE0 && c <= 0xEF) {
			need = 2, cp = c & 0x0F, min = 0x800;
		} else if (c >= 0xF0 && c <= 0xF4) {
			need = 3, cp = c & 0x07, min = 0x10000;
		} else {
			goto bad;
		}
		if (i + need >= n)
			goto bad; /* truncated sequence */
		for (size_t k = 1; k <= need; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				goto bad;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			goto bad;
		i += need + 1;
	}
	return 1;
bad:
	if (bad_offset)
		*bad_offset = i;
	return 0;
}

/* ---------------------------------------------------------------- writer */

/* The common case of ndjson_format_real without printf: zero, or
 * 1e-4 <= |d| < 1e9 with at most 6 decimals (scores, probabilities,
 * prices). The first k with round(|d|·10^k)/10^k == |d| gives the decimal
 * that reads back as d; it has at most 15 significant digits, so it is
 * also what "%.15g" prints. Returns 0 when d is not such a value. */
static int format_short_real(double d, char *out)
{
	static const double p10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6};
	double a = fabs(d);

	if (!(a == 0 || (a >= 1e-4 && a < 1e9)))
		return 0;
	for (int k = 0; k <= 6; k++) {
		double r = nearbyint(a * p10[k]);
		unsigned long long u;
		char dig[24];
		int nd = 0;
		if (r / p10[k] != a)
			continue;
		for (u = (unsigned long long)r; u; u /= 10)
			dig[nd++] = (char)('0' + u % 10);
		while (nd <= k)
			dig[nd++] = '0';
		if (signbit(d))
			*out++ = '-';
		for (int i = nd - 1; i >= k; i--)
			*out++ = dig[i];
		*out++ = '.';
		if (k == 0)
			*out++ = '0';
		for (int i = k - 1; i >= 0; i--)
			*out++ = dig[i];
		*out = '\0';
		return 1;
	}
	return 0;
}

void ndjson_format_real(double d, char *out, size_t outlen)
{
	int prec;

	if (outlen >= 32 && format_short_real(d, out))
		return;

	for (prec = 15; prec <= 17; prec++) {
		snprintf(out, outlen, "%.*g", prec, d);
		if (strtod(out, NULL) == d)
			break;
	}
	/* Keep the value a real when read back: 1 -> 1.0 (as jansson does). */
	if (!strpbrk(out, ".eEn")) {
		size_t n = strlen(out);
		if (n + 2 < outlen)
			memcpy(out + n, ".0", 3);
	}
}

/* Bytes that need an escape in a JSON string: ", \\ and controls. */
static const unsigned char needs_escape[256] = {
	[0 ... 0x1f] = 1, ['"'] = 1, ['\\'] = 1,
};

static void dump_string(buf_t *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run = 0;

	buf_reserve(b, n + 2);
	b->p[b->len++] = '"';
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *esc;
		char u[7];

		if (!needs_escape[c])
			continue;
		buf_put(b, s + run, i - run);
		run = i + 1;
		switch (c) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		default:
			memcpy(u, "\\u00", 4);
			u[4] = hex[c >> 4];
			u[5] = hex[c & 15];
			u[6] = '\0';
			esc = u;
		}
		buf_puts(b, esc);
	}
	buf_put(b, s + run, n - run);
	buf_putc(b, '"');
}

void ndjson_dump(buf_t *b, const json_t *v)
{
	char num[40];

	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *key;
		json_t *val;
		int first = 1;

		buf_putc(b, '{');
		json_object_foreach((json_t *)v, key, val) {
			if (!first)
				buf_putc(b, ',');
			first = 0;
			dump_string(b, key, strlen(key));
			buf_putc(b, ':');
			ndjson_dump(b, val);
		}
		buf_putc(b, '}');
		break;
	}
	case JSON_ARRAY: {
		size_t i, n = json_array_size(v);

		buf_putc(b, '[');
		for (i = 0; i < n; i++) {
			if (i)
				buf_putc(b, ',');
			ndjson_dump(b, json_array_get(v, i));
		}
		buf_putc(b, ']');
		break;
	}
	case JSON_STRING:
		dump_string(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		buf_puts(b, num);
		break;
	case JSON_REAL:
		ndjson_format_real(json_real_value(v), num, sizeof num);
		buf_puts(b, num);
		break;
	case JSON_TRUE:
		buf_puts(b, "true");
		break;
	case JSON_FALSE:
		buf_puts(b, "false");
		break;
	case JSON_NULL:
		buf_puts(b, "null");
		break;
	}
}

int ndjson_write(FILE *f, const json_t *v)
{
	static _Thread_local buf_t b;

	buf_reset(&b);
	ndjson_dump(&b, v);
	buf_putc(&b, '\n');
	return fwrite(b.p, 1, b.len, f) == b.len ? 0 : -1;
}
