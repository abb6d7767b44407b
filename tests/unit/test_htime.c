/*
 * test_htime.c — time parsing and formatting (src/lib/htime.c) on the
 * forms real sources send.
 */
#include "lib/htime.h"
#include "test.h"

static void parses(const char *s, long long want)
{
	int64_t t = -1;
	int rc = htime_parse(s, &t);

	CHECK(rc == 0 && t == want, "parse \"%s\": rc %d, got %lld, want %lld", s, rc, (long long)t, want);
}

static void rejects(const char *s)
{
	int64_t t;

	CHECK(htime_parse(s, &t) < 0, "\"%s\" is not a time", s);
}

int main(void)
{
	char buf[HTIME_LEN];
	int64_t t;

	parses("2021-01-27T14:03:00Z", 1611756180);
	parses("2021-01-27T14:03:00.123Z", 1611756180);
	parses("2021-01-27T15:03:00+01:00", 1611756180);
	parses("2021-01-27T09:03:00-0500", 1611756180);
	parses("2021-01-27 14:03:00", 1611756180);
	parses("2021-01-27t14:03:00z", 1611756180);
	parses("2021-01-27T14:03Z", 1611756180);
	parses("2021-01-27", 1611705600);
	parses("20210127T140300", 1611756180);
	parses("1611756180", 1611756180);
	parses("1611756180.9", 1611756180);
	parses("1611756180000", 1611756180);
	parses("Wed Jan 27 14:03:00 +0000 2021", 1611756180);
	parses("Wed, 27 Jan 2021 14:03:00 GMT", 1611756180);
	parses("27 Jan 2021 15:03:00 +0100", 1611756180);
	parses("1970-01-01T00:00:00Z", 0);
	parses("1969-12-31T23:59:59Z", -1);
	parses("2000-02-29T00:00:00Z", 951782400);
	rejects("");
	rejects("yesterday");
	rejects("2021-02-29T00:00:00Z");
	rejects("2021-13-01");
	rejects("2021-01-27T25:00:00Z");
	rejects("2021-01-27T14:03:00+25:00");
	rejects("2021-01-27T14:03:00Zjunk");
	rejects("12abc");

	CHECK_STR(htime_format(1611756180, buf), "2021-01-27T14:03:00Z", "format");
	CHECK_STR(htime_format(-1, buf), "1969-12-31T23:59:59Z", "format before 1970");
	CHECK_STR(htime_format_date(1611756180, buf), "2021-01-27", "format date");
	for (t = -86400 * 400; t < 86400LL * 365 * 300; t += 86400 * 37 + 3607) {
		int64_t back;
		htime_format(t, buf);
		if (htime_parse(buf, &back) != 0 || back != t) {
			CHECK(0, "round trip of %lld via %s", (long long)t, buf);
			break;
		}
	}
	CHECK(1, "format/parse round trip over 300 years");

	CHECK(htime_parse_duration("15m") == 900, "15m is 900 s");
	CHECK(htime_parse_duration("1h") == 3600, "1h");
	CHECK(htime_parse_duration("7d") == 604800, "7d");
	CHECK(htime_parse_duration("2w") == 1209600, "2w");
	CHECK(htime_parse_duration("90s") == 90, "90s");
	CHECK(htime_parse_duration("1") < 0, "a bare number is not a duration");
	CHECK(htime_parse_duration("0h") < 0, "zero is not a duration");
	CHECK(htime_parse_duration("1hx") < 0, "trailing junk");
	CHECK(htime_parse_duration("-1h") < 0, "negative");
	CHECK_STR(htime_format_duration(900, buf), "15m", "format 15m");
	CHECK_STR(htime_format_duration(86400 * 7, buf), "7d", "format 7d");
	CHECK_STR(htime_format_duration(5400, buf), "90m", "format 90m");

	CHECK(htime_floor(1611756180, 3600) == 1611756000, "floor to the hour");
	CHECK(htime_floor(-1, 3600) == -3600, "floor below zero");
	CHECK(htime_floor(1611756180, 86400) == 1611705600, "floor to the day");

	{
		json_t *n = json_integer(1611756180), *ms = json_real(1611756180123.0), *s = json_string("2021-01-27");
		CHECK(htime_from_json(n, &t) == 0 && t == 1611756180, "JSON integer epoch");
		CHECK(htime_from_json(ms, &t) == 0 && t == 1611756180, "JSON millisecond epoch");
		CHECK(htime_from_json(s, &t) == 0 && t == 1611705600, "JSON string date");
		CHECK(htime_from_json(json_null(), &t) < 0, "null is not a time");
		json_decref(n), json_decref(ms), json_decref(s);
	}
	return test_report();
}
