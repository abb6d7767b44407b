/*
 * htime.h — event time for herd: parsing the many ways sources write a
 * moment, formatting RFC 3339 UTC ("2021-01-27T14:03:00Z", DESIGN.md §2),
 * durations ("15m", "1h", "7d") and window alignment.
 *
 * Times are int64 seconds since the Unix epoch, UTC; fractions of a second
 * are dropped (floor). Pure arithmetic, no TZ environment, no wall clock.
 */
#ifndef HERD_HTIME_H
#define HERD_HTIME_H

#include <jansson.h>
#include <stdint.h>

#define HTIME_LEN 32 /* enough for any formatted time */

/*
 * Parse a time; returns 0 and sets *out, or -1. Accepted:
 *   RFC 3339 / ISO 8601: 2021-01-27T14:03:00Z, …T14:03:00.123+01:00,
 *     "2021-01-27 14:03:00" (UTC), 2021-01-27 (midnight UTC),
 *     20210127T140300 (Alpha Vantage), 2021-01-27T14:03Z;
 *   Twitter v1.1: "Wed Jan 27 14:03:00 +0000 2021";
 *   RFC 2822 (RSS): "Wed, 27 Jan 2021 14:03:00 GMT" or "+0000";
 *   epoch numbers as text: "1611756180", "1611756180.5"; 13-digit values
 *     (>= 1e11) are taken as milliseconds.
 */
int htime_parse(const char *s, int64_t *out);
/* The same; *zoned is 0 when s is an ISO date or time without a zone
 * (read as UTC here; tzone.h reads it in another zone). */
int htime_parse_zoned(const char *s, int64_t *out, int *zoned);
/* A JSON string or number (epoch seconds, or ms when >= 1e11). */
int htime_from_json(const json_t *v, int64_t *out);
/* Format t as "YYYY-MM-DDTHH:MM:SSZ" into out[HTIME_LEN]; returns out. */
char *htime_format(int64_t t, char *out);
/* Format t's date as "YYYY-MM-DD". */
char *htime_format_date(int64_t t, char *out);

/* Parse a duration: a number and a unit s, m, h, d or w ("90s", "15m",
 * "1h", "7d"); returns seconds > 0, or -1. */
int64_t htime_parse_duration(const char *s);
/* Format a duration back in its largest exact unit ("1h", "15m"). */
char *htime_format_duration(int64_t secs, char *out);

/* Start of the window of length len containing t (floor, epoch-aligned). */
int64_t htime_floor(int64_t t, int64_t len);

/* Days since 1970-01-01 of a civil date, and back (proleptic Gregorian). */
int64_t htime_days_from_civil(int64_t y, unsigned m, unsigned d);
void htime_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

#endif
