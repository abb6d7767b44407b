/*
 * tzone.c — civil times in a named zone and user-given date formats; see
 * tzone.h. The zone database does the work (mktime under TZ); herd only
 * checks that the zone exists, since glibc treats an unknown name as UTC
 * without a word.
 */
#include "tzone.h"
#include "htime.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static int zone_selected, zone_is_utc = 1;

int tzone_use(const char *zone, char *err, size_t errlen)
{
	const char *dir = getenv("TZDIR");
	char path[4096];
	struct stat st;

	if (!zone || !*zone || strcmp(zone, "UTC") == 0 || strcmp(zone, "Z") == 0) {
		zone_is_utc = 1;
		zone_selected = 1;
		return 0;
	}
	if (zone[0] == '/' || strstr(zone, ".."))
		return herd_errf(err, errlen, "'%s' is not a time zone name (like America/New_York)", zone);
	snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", zone);
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return herd_errf(err, errlen, "'%s' is not a time zone in %s (names like America/New_York, "
			    "Europe/London, UTC; Debian's tzdata package has them)", zone,
			    dir && *dir ? dir : "/usr/share/zoneinfo");
	setenv("TZ", zone, 1);
	tzset();
	zone_is_utc = 0;
	zone_selected = 1;
	return 0;
}

int64_t tzone_to_utc(int64_t civil)
{
	struct tm tm;
	int64_t y;
	unsigned mo, d;
	int64_t days = civil >= 0 ? civil / 86400 : -((-civil + 86399) / 86400);
	int64_t secs = civil - days * 86400;

	if (!zone_selected || zone_is_utc)
		return civil;
	htime_civil_from_days(days, &y, &mo, &d);
	memset(&tm, 0, sizeof tm);
	tm.tm_year = (int)(y - 1900);
	tm.tm_mon = (int)mo - 1;
	tm.tm_mday = (int)d;
	tm.tm_hour = (int)(secs / 3600);
	tm.tm_min = (int)(secs % 3600 / 60);
	tm.tm_sec = (int)(secs % 60);
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm);
}

int64_t tzone_from_utc(int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (!zone_selected || zone_is_utc || !localtime_r(&tt, &tm))
		return t;
	return t + tm.tm_gmtoff;
}

int tzone_is_utc(void)
{
	return !zone_selected || zone_is_utc;
}

int tzone_parse_civil(const char *s, const char *fmt, int64_t *civil, int *zoned)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof tm);
	tm.tm_mday = 1;
	tm.tm_gmtoff = 0;
	end = strptime(s, fmt, &tm);
	if (!end)
		return -1;
	while (*end == ' ' || *end == '\t')
		end++;
	if (*end)
		return -1;
	*civil = htime_days_from_civil((int64_t)tm.tm_year + 1900, (unsigned)tm.tm_mon + 1, (unsigned)tm.tm_mday) * 86400 +
		 tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
	*zoned = strstr(fmt, "%z") != NULL;
	if (*zoned)
		*civil -= tm.tm_gmtoff;
	return 0;
}

int tzone_parse_format(const char *s, const char *fmt, int64_t *out)
{
	int64_t civil;
	int zoned;

	if (tzone_parse_civil(s, fmt, &civil, &zoned) < 0)
		return -1;
	*out = zoned ? civil : tzone_to_utc(civil);
	return 0;
}

int tzone_format_has_time(const char *fmt)
{
	for (const char *p = strchr(fmt, '%'); p && p[1]; p = strchr(p + 2, '%')) {
		const char *c = p + 1;

		if (*c == 'E' || *c == 'O') /* alternative forms: %EH, %OM */
			c++;
		if (strchr("HIklMSTRrscXp", *c))
			return 1;
	}
	return 0;
}
