/*
 * tzone.h — civil times read in a named time zone ("2021-01-27 09:30" in
 * America/New_York) and dates in user-given formats ("1/27/2021" with
 * --date-format %m/%d/%Y), for herd-import's CSV columns.
 *
 * Kept apart from htime (pure UTC arithmetic) because it is the one place
 * that consults the system's zone database: it sets the process's TZ, so a
 * program uses one zone at a time and calls it from one thread.
 */
#ifndef HERD_TZONE_H
#define HERD_TZONE_H

#include <stddef.h>
#include <stdint.h>

/* Select zone ("UTC", "America/New_York", …) for the calls below.
 * Returns 0, or -1 with a message in err when the zone database has no
 * such zone (a name that is not a file under TZDIR or
 * /usr/share/zoneinfo: glibc would silently take it as UTC). */
int tzone_use(const char *zone, char *err, size_t errlen);
/* Seconds since the epoch of the civil time `civil` (seconds since
 * 1970-01-01 00:00 as if the zone were UTC) in the selected zone. A time
 * that a daylight-saving change skips or repeats resolves as mktime does
 * (the earlier offset for a repeated hour). */
int64_t tzone_to_utc(int64_t civil);
/* The civil time (seconds since 1970-01-01 00:00 as if the zone were UTC)
 * of the moment t in the selected zone: tzone_to_utc's inverse. */
int64_t tzone_from_utc(int64_t t);
/* 1 when the selected zone is UTC (or none was selected). */
int tzone_is_utc(void);
/* Parse s with the strptime(3) format fmt, which must consume all of s
 * (trailing blanks aside). Fields the format lacks are 0 (the day is 1).
 * A format with %z gives the offset itself; otherwise the civil time is
 * read in the selected zone (UTC when none was). Returns 0 and *out,
 * or -1. */
int tzone_parse_format(const char *s, const char *fmt, int64_t *out);
/* The same without the zone: *civil is the time as if the zone were UTC
 * (tzone_to_utc converts it), or, when fmt has %z (*zoned set to 1), the
 * UTC time itself. */
int tzone_parse_civil(const char *s, const char *fmt, int64_t *civil, int *zoned);
/* 1 when fmt reads a time of day (%H, %M, %T, %s, …), 0 for a date only. */
int tzone_format_has_time(const char *fmt);

#endif
