/*
 * test_http.c — the pure parts of src/http/http.c: Retry-After in both its
 * forms, the full-jitter backoff's bounds, secrets masked in any text (as
 * given and URL-encoded), read from NAME or NAME_FILE, and URL encoding.
 * The client itself is tested against a fake server in tests/fetch/.
 */
#include "http/http.h"
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
	const double now = 1611756180; /* 2021-01-27T14:03:00Z */
	char s[256];
	buf_t b = BUF_INIT;

	/* Retry-After: delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
	CHECK(http_retry_after("120", now) == 120, "delta-seconds");
	CHECK(http_retry_after(" 0 ", now) == 0, "zero, with spaces");
	CHECK(http_retry_after("Wed, 27 Jan 2021 14:03:30 GMT", now) == 30, "an HTTP date 30 s ahead");
	CHECK(http_retry_after("Wed, 27 Jan 2021 14:00:00 GMT", now) == 0, "an HTTP date in the past: no wait");
	CHECK(http_retry_after("soon", now) < 0, "neither");
	CHECK(http_retry_after("", now) < 0 && http_retry_after(NULL, now) < 0, "empty or absent");
	CHECK(http_retry_after("-5", now) < 0, "a negative number is not delta-seconds");

	/* Backoff: u * min(cap, base * 2^n). */
	CHECK(http_backoff(0, 1, 60, 0.5) == 0.5, "first: within 1 s");
	CHECK(http_backoff(3, 1, 60, 0.999) < 8 && http_backoff(3, 1, 60, 0.999) > 7.9, "fourth: within 8 s");
	CHECK(http_backoff(10, 1, 60, 0.5) == 30, "capped at 60 s");
	CHECK(http_backoff(1000, 1, 60, 1.0) == 60, "no overflow for large n");
	CHECK(http_backoff(2, 1, 60, 0) == 0, "full jitter reaches 0");

	/* URL encoding. */
	http_url_encode(&b, "$GME lang:en -is:retweet");
	CHECK_STR(b.p, "%24GME%20lang%3Aen%20-is%3Aretweet", "a search query");
	buf_reset(&b);
	http_url_encode(&b, "Tesla,_Inc.");
	CHECK_STR(b.p, "Tesla%2C_Inc.", "an article title");
	buf_reset(&b);
	http_url_encode(&b, "");
	CHECK(b.p && b.len == 0, "the empty string");

	/* Secrets: masked as given and URL-encoded, short ones ignored. */
	http_secret_add("s3cr+t/key");
	http_secret_add("abc");
	snprintf(s, sizeof s, "GET /q?apikey=s3cr%%2Bt%%2Fkey&x=1 with s3cr+t/key twice: s3cr+t/key; abc");
	CHECK_STR(http_redact(s), "GET /q?apikey=***&x=1 with *** twice: ***; abc", "redacted");
	CHECK(http_has_secret("x s3cr+t/key y", 14), "found");
	CHECK(!http_has_secret("x s3cr+t/ke", 11), "not found in a cut copy");

	/* NAME, else the first line of NAME_FILE. */
	{
		char path[] = "/tmp/herd-test-http-XXXXXX";
		int fd = mkstemp(path);
		char *v;
		FILE *f = fdopen(fd, "w");
		fputs("from-the-file-77\nsecond line\n", f);
		fclose(f);
		unsetenv("HERD_TEST_SECRET");
		setenv("HERD_TEST_SECRET_FILE", path, 1);
		v = http_secret_env("HERD_TEST_SECRET");
		CHECK_STR(v, "from-the-file-77", "NAME_FILE's first line, trimmed");
		free(v);
		setenv("HERD_TEST_SECRET", "from-the-env-88 ", 1);
		v = http_secret_env("HERD_TEST_SECRET");
		CHECK_STR(v, "from-the-env-88", "NAME wins over NAME_FILE");
		free(v);
		snprintf(s, sizeof s, "a from-the-env-88 b from-the-file-77");
		CHECK_STR(http_redact(s), "a *** b ***", "both registered");
		unsetenv("HERD_TEST_SECRET");
		unsetenv("HERD_TEST_SECRET_FILE");
		CHECK(http_secret_env("HERD_TEST_SECRET") == NULL, "neither set: NULL");
		unlink(path);
	}
	buf_free(&b);
	return test_report();
}
