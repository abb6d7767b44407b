/*
 * test_jsonparse.c — jx_parse against jansson's json_loadb, the reference
 * it must agree with: the same verdict, equal values, and the same error
 * text, on hand-picked corner cases and on random mutations of real-shaped
 * records (deterministic seed).
 */
#include "lib/jsonx.h"
#include "test.h"

#include <stdlib.h>

static int compare(const char *s, size_t n, int report)
{
	char err[512], want[512];
	json_error_t e;
	json_t *got = jx_parse(s, n, err, sizeof err);
	json_t *ref = json_loadb(s, n, JSON_ALLOW_NUL, &e);
	int ok;

	if (!ref)
		snprintf(want, sizeof want, "invalid JSON at column %d: %s", e.column > 0 ? e.column : (int)e.position + 1,
			 e.text);
	if (ref)
		ok = got && json_equal(got, ref);
	else
		ok = !got && strcmp(err, want) == 0;
	if (!ok && report)
		CHECK(0, "input %.*s: jx_parse %s, json_loadb %s (%s)", (int)(n > 200 ? 200 : n), s,
		      got ? "accepts" : err, ref ? "accepts" : "rejects", ref ? "" : want);
	json_decref(got);
	json_decref(ref);
	return ok;
}

int main(void)
{
	static const char *cases[] = {
		"{}", "[]", " {\"a\" : [1, 2.5, -0, -0.0, 1e3, 1E-3, 1e+3, true, false, null] } ",
		"{\"a\":\"x\\u0000y\"}", "{\"a\\u0000b\":1}", "{\"\\ud83d\\ude80\":\"\\uD83D\\uDE80\"}",
		"{\"a\":\"\\ud83d\"}", "{\"a\":\"\\ude80\"}", "{\"a\":\"\\ud83d\\u0041\"}", "{\"a\":\"\\x\"}",
		"{\"a\":\"\\u12\"}", "{\"a\":\"\\u12g4\"}", "{\"a\":\"tab\there\"}", "{\"a\":\"nl\nhere\"}",
		"{\"a\":\"\xff\"}", "{\"\xc3\xa9\":\"\xc3\xa9\"}", "{\"a\":9223372036854775807}",
		"{\"a\":9223372036854775808}", "{\"a\":-9223372036854775808}", "{\"a\":-9223372036854775809}",
		"{\"a\":1e400}", "{\"a\":-1e400}", "{\"a\":1e-400}", "{\"a\":01}", "{\"a\":1.}", "{\"a\":.5}",
		"{\"a\":-}", "{\"a\":+1}", "{\"a\":1e}", "{\"a\":tru}", "{\"a\":truex}", "{\"a\":nul}",
		"{\"a\":1,}", "{\"a\":1", "{\"a\" 1}", "{a:1}", "{\"a\":1}}", "{\"a\":1} x", "[1,]", "[1 2]",
		"[", "]", "", " ", "5", "\"s\"", "null", "\xef\xbb\xbf{}", "{\"a\":1}\n", "{\"a\":1}\r\n",
		"{\"a\":{\"a\":{\"a\":[[[[]]]]}}}", "{\"dup\":1,\"dup\":2}", "{\"a\":\"\\/\\b\\f\\n\\r\\t\\\"\\\\\"}",
		"{\"a\":123456789012345678901234567890.5}", "{\"a\":0.1e-2}", "{\"a\":[1,[2,[3,{\"b\":[]}]]]}",
	};
	char *deep;
	unsigned seed = 12345;
	int mismatches = 0;

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		CHECK(compare(cases[i], strlen(cases[i]), 0), "case %zu agrees with jansson: %s", i, cases[i]);

	/* Depth: jansson allows 2048 nested containers, not 2049. */
	for (int depth = 2047; depth <= 2049; depth++) {
		deep = malloc(2 * depth + 1);
		memset(deep, '[', depth);
		memset(deep + depth, ']', depth);
		deep[2 * depth] = '\0';
		CHECK(compare(deep, 2 * depth, 1), "depth %d agrees with jansson", depth);
		free(deep);
	}

	/* Random mutations of a real-shaped record: flip, insert, delete bytes. */
	{
		const char *base = "{\"kind\":\"post\",\"id\":\"reddit:t1_gl3x1a\",\"created_at\":\"2021-01-27T14:03:00Z\","
				   "\"text\":\"GME \\u00e9 \\ud83d\\ude80 to the moon\\n\",\"engagement\":{\"score\":12,"
				   "\"replies\":-3},\"entities\":[\"GME\",\"AMC\"],\"x\":[1.5e-3,0,-0.25,true,false,null]}";
		static const char alphabet[] = "{}[],:\"\\ue0.-+ \t\nabtfnrl19\xc3\xa9\xff";
		size_t n = strlen(base);
		char buf[512];

		for (int iter = 0; iter < 100000; iter++) {
			size_t len = n;
			memcpy(buf, base, n);
			for (int m = 0, k = 1 + (int)((seed = seed * 1103515245 + 12345) >> 16) % 3; m < k; m++) {
				size_t at = ((seed = seed * 1103515245 + 12345) >> 16) % len;
				char c = alphabet[((seed = seed * 1103515245 + 12345) >> 16) % (sizeof alphabet - 1)];
				switch ((seed >> 8) % 3) {
				case 0: buf[at] = c; break;
				case 1: memmove(buf + at + 1, buf + at, len - at); buf[at] = c; len++; break;
				default: memmove(buf + at, buf + at + 1, len - at - 1); len--; break;
				}
			}
			if (!compare(buf, len, mismatches < 5))
				mismatches++;
		}
		CHECK(mismatches == 0, "100000 mutated records: %d disagree with jansson", mismatches);
	}
	return test_report();
}
