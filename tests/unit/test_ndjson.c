/*
 * test_ndjson.c — the NDJSON reader (line endings, long lines, gzip,
 * missing final newline), UTF-8 validation and the compact writer.
 */
#include "lib/buf.h"
#include "lib/jsonx.h"
#include "lib/ndjson.h"
#include "test.h"

#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>

static char *tmpfile_with(const char *data, size_t n, int gzip)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof path, "/tmp/herd-test-ndjson-XXXXXX");
	fd = mkstemp(path);
	close(fd);
	if (gzip) {
		gzFile g = gzopen(path, "wb");
		gzwrite(g, data, (unsigned)n);
		gzclose(g);
	} else {
		FILE *f = fopen(path, "wb");
		fwrite(data, 1, n, f);
		fclose(f);
	}
	return path;
}

static void read_lines(const char *data, size_t n, int gzip, const char **want, int nwant, const char *what)
{
	char *path = tmpfile_with(data, n, gzip);
	ndjson_reader *r = ndjson_open(path);
	char *line;
	size_t len;
	int i = 0, ok = 1;

	while (ndjson_read(r, &line, &len) > 0) {
		if (i >= nwant || strcmp(line, want[i]) != 0 || len != strlen(want[i]) || ndjson_lineno(r) != i + 1)
			ok = 0;
		i++;
	}
	CHECK(ok && i == nwant, "%s: %d lines read, want %d", what, i, nwant);
	ndjson_close(r);
	unlink(path);
}

int main(void)
{
	const char *three[] = {"{\"a\":1}", "{\"b\":2}", "{\"c\":3}"};
	const char *blank[] = {"{\"a\":1}", "", "{\"c\":3}"};
	buf_t b = BUF_INIT;
	size_t bad;

	read_lines("{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n", 24, 0, three, 3, "LF");
	read_lines("{\"a\":1}\r\n{\"b\":2}\r\n{\"c\":3}\r\n", 27, 0, three, 3, "CRLF");
	read_lines("{\"a\":1}\n{\"b\":2}\n{\"c\":3}", 23, 0, three, 3, "no final newline");
	read_lines("{\"a\":1}\n\n{\"c\":3}\n", 17, 0, blank, 3, "blank line kept for the caller");
	read_lines("{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n", 24, 1, three, 3, "gzip input");
	read_lines("", 0, 0, three, 0, "empty input");

	{ /* a 3 MB line crosses many read chunks */
		size_t n = 3 * 1024 * 1024;
		char *big = malloc(n + 2);
		const char *want[1];
		memset(big, 'x', n);
		big[n] = '\n';
		big[n + 1] = '\0';
		char *line = strndup(big, n);
		want[0] = line;
		read_lines(big, n + 1, 0, want, 1, "3 MB line");
		free(line);
		free(big);
	}
	CHECK(ndjson_open("/nonexistent/file") == NULL, "missing file gives NULL");

	CHECK(ndjson_utf8_valid("plain", 5, NULL), "ASCII is valid");
	CHECK(ndjson_utf8_valid("caf\xc3\xa9 \xf0\x9f\x9a\x80", 10, NULL), "é and 🚀 are valid");
	CHECK(!ndjson_utf8_valid("ab\xff", 3, &bad) && bad == 2, "0xFF is invalid at offset 2");
	CHECK(!ndjson_utf8_valid("\xc0\xaf", 2, &bad) && bad == 0, "overlong '/' is invalid");
	CHECK(!ndjson_utf8_valid("\xed\xa0\x80", 3, NULL), "a UTF-16 surrogate is invalid");
	CHECK(!ndjson_utf8_valid("x\xe2\x82", 3, &bad) && bad == 1, "truncated sequence is invalid");
	CHECK(!ndjson_utf8_valid("\xf4\x90\x80\x80", 4, NULL), "above U+10FFFF is invalid");

	{
		const char *in = "{\"s\":\"a\\\"b\\\\c\\n\\u0001é\",\"i\":-5,\"r\":0.1,\"x\":1.0,\"e\":1e300,"
				 "\"t\":true,\"f\":false,\"n\":null,\"a\":[1,[],{}],\"o\":{\"k\":\"v\"}}";
		json_t *v = jx_parse(in, strlen(in), NULL, 0);
		ndjson_dump(&b, v);
		CHECK_STR(b.p, "{\"s\":\"a\\\"b\\\\c\\n\\u0001é\",\"i\":-5,\"r\":0.1,\"x\":1.0,\"e\":1e+300,"
			       "\"t\":true,\"f\":false,\"n\":null,\"a\":[1,[],{}],\"o\":{\"k\":\"v\"}}",
			  "compact dump keeps order, escapes, shortest reals");
		json_decref(v);
	}
	{
		char num[40];
		double vals[] = {0.1, 1.0 / 3, 2.5e-8, 123456789.125, -0.0, 1e21};
		for (int i = 0; i < 6; i++) {
			ndjson_format_real(vals[i], num, sizeof num);
			CHECK(strtod(num, NULL) == vals[i], "real %s reads back exactly", num);
		}
	}
	{
		char err[256];
		json_t *v = jx_parse("{\"a\":1,}", 8, err, sizeof err);
		CHECK(v == NULL && strstr(err, "invalid JSON at column") == err, "parse error names the column: %s", err);
		v = jx_parse("{\"a\":1} {\"b\":2}", 15, err, sizeof err);
		CHECK(v == NULL, "two values on one line is an error");
	}
	buf_free(&b);
	return test_report();
}
