/*
 * fuzz_ndjson.c — libFuzzer harness for the NDJSON reader and jx_parse
 * (src/lib/ndjson.c, src/lib/jsonx.c): every program's first contact with
 * its input.
 *
 * The input is a file (plain, or gzip when it starts with the gzip magic)
 * read line by line; each line goes through jx_parse, and three things
 * must hold besides "no sanitizer report":
 *   - jx_parse's fast parser agrees with jansson's json_loadb (the oracle
 *     it defers to on faults): the same verdict, and json_equal values;
 *   - what ndjson_dump writes is valid UTF-8 and parses back to an equal
 *     value (the writer's shortest reals and string escapes round-trip);
 *   - the reader's lines hold no newline, end in a NUL, and their numbers
 *     count up by one.
 * A broken property aborts, so libFuzzer keeps the input as a crash.
 */
#include "fuzz.h"

#include <jansson.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/jsonx.h"
#include "lib/ndjson.h"

static void fail(const char *what, const char *line, size_t len)
{
	fprintf(stderr, "fuzz_ndjson: %s on a line of %zu bytes: %.*s\n", what, len, (int)(len > 300 ? 300 : len),
		line);
	abort();
}

static void check_line(const char *line, size_t len, buf_t *out)
{
	char err[256];
	json_error_t e;
	json_t *v = jx_parse(line, len, err, sizeof err), *ref = json_loadb(line, len, JSON_ALLOW_NUL, &e), *back;
	size_t bad;

	if (!v != !ref)
		fail(v ? "jx_parse accepts what jansson rejects" : "jx_parse rejects what jansson accepts", line, len);
	if (!v)
		return;
	if (!json_equal(v, ref))
		fail("jx_parse and jansson read different values", line, len);
	buf_reset(out);
	ndjson_dump(out, v);
	if (!ndjson_utf8_valid(out->p, out->len, &bad))
		fail("ndjson_dump wrote invalid UTF-8", out->p, out->len);
	if (memchr(out->p, '\n', out->len))
		fail("ndjson_dump wrote a newline", out->p, out->len);
	back = jx_parse(out->p, out->len, err, sizeof err);
	if (!back)
		fail("ndjson_dump's output does not parse", out->p, out->len);
	if (!json_equal(v, back))
		fail("ndjson_dump's output parses to another value", out->p, out->len);
	json_decref(back);
	json_decref(ref);
	json_decref(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ndjson_reader *r = ndjson_open(fuzz_file(data, size));
	buf_t out;
	char *line;
	size_t len;
	long n = 0;

	if (!r)
		abort();
	buf_init(&out);
	while (ndjson_read(r, &line, &len) > 0) {
		if (ndjson_lineno(r) != ++n)
			fail("line numbers skip", line, len);
		if (line[len] != '\0' || memchr(line, '\n', len))
			fail("a line is not NUL-terminated or holds a newline", line, len);
		check_line(line, len, &out);
	}
	buf_free(&out);
	ndjson_close(r);
	return 0;
}
