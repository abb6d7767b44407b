/*
 * htime.c — time parsing and formatting with calendar arithmetic done by
 * hand (Howard Hinnant's days_from_civil), so results never depend on the
 * process's TZ or locale; see htime.h for the accepted formats.
 */
#include "htime.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int64_t htime_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

void htime_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int days_in_month(int64_t y, unsigned m)
{
	static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 ? 28 + leap : dm[m - 1];
}

/* Read exactly n digits at *p; -1 if any is not a digit. */
static int digits(const char **p, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	return v;
}

static int make_time(int64_t y, int mo, int d, int h, int mi, int s, int64_t off, int64_t *out)
{
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, (unsigned)mo) || h < 0 || h > 24 || mi < 0 ||
	    mi > 59 || s < 0 || s > 60)
		return -1;
	if (h == 24 && (mi || s))
		return -1;
	if (s == 60)
		s = 59; /* leap second: clamp, as most parsers do */
	*out = htime_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + s - off;
	return 0;
}

/* Zone suffix: Z, z, +hh:mm, +hhmm, +hh, GMT, UTC, or nothing (UTC). */
static int parse_zone(const char *p, int64_t *off)
{
	int sign, hh, mm = 0;

	while (*p == ' ')
		p++;
	*off = 0;
	if (*p == '\0')
		return 0;
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
		return 0;
	if (strcasecmp(p, "GMT") == 0 || strcasecmp(p, "UTC") == 0 || strcasecmp(p, "UT") == 0)
		return 0;
	if (*p != '+' && *p != '-')
		return -1;
	sign = *p++ == '-' ? -1 : 1;
	if ((hh = digits(&p, 2)) < 0)
		return -1;
	if (*p == ':')
		p++;
	if (*p && (mm = digits(&p, 2)) < 0)
		return -1;
	if (*p || hh > 23 || mm > 59)
		return -1;
	*off = sign * (hh * 3600 + mm * 60);
	return 0;
}

static int parse_iso(const char *p, int64_t *out, int *zoned)
{
	int y, mo, d, h = 0, mi = 0, s = 0, basic;
	int64_t off = 0;

	if ((y = digits(&p, 4)) < 0)
		return -1;
	basic = *p != '-';
	if (!basic)
		p++;
	if ((mo = digits(&p, 2)) < 0)
		return -1;
	if (!basic && *p++ != '-')
		return -1;
	if ((d = digits(&p, 2)) < 0)
		return -1;
	if (*p == 'T' || *p == 't' || (*p == ' ' && isdigit((unsigned char)p[1]))) {
		p++;
		if ((h = digits(&p, 2)) < 0)
			return -1;
		if (*p == ':')
			p++;
		else if (!basic)
			return -1;
		if ((mi = digits(&p, 2)) < 0)
			return -1;
		if (*p == ':' || (basic && isdigit((unsigned char)*p))) {
			if (*p == ':')
				p++;
			if ((s = digits(&p, 2)) < 0)
				return -1;
			if (*p == '.' || *p == ',') {
				p++;
				if (!isdigit((unsigned char)*p))
					return -1;
				while (isdigit((unsigned char)*p))
					p++;
			}
		}
	}
	if (parse_zone(p, &off) < 0)
		return -1;
	while (*p == ' ')
		p++;
	*zoned = *p != '\0';
	return make_time(y, mo, d, h, mi, s, off, out);
}

static int month_index(const char *p)
{
	static const char *names[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
				      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	for (int i = 0; i < 12; i++)
		if (strncasecmp(p, names[i], 3) == 0)
			return i + 1;
	return -1;
}

/* "Wed Jan 27 14:03:00 +0000 2021" (Twitter v1.1). */
static int parse_twitter(const char *p, int64_t *out)
{
	char zone[8];
	int mo, d, h, mi, s, y, n = 0;
	int64_t off;

	if (strlen(p) < 30 || p[3] != ' ' || (mo = month_index(p + 4)) < 0)
		return -1;
	if (sscanf(p + 8, "%2d %2d:%2d:%2d %7s %4d%n", &d, &h, &mi, &s, zone, &y, &n) != 6 || p[8 + n] != '\0')
		return -1;
	if (parse_zone(zone, &off) < 0)
		return -1;
	return make_time(y, mo, d, h, mi, s, off, out);
}

/* "Wed, 27 Jan 2021 14:03:00 GMT" (RFC 2822, RSS feeds), weekday optional. */
static int parse_rfc2822(const char *p, int64_t *out)
{
	char mon[4], zone[8] = "";
	int d, y, h, mi, s = 0, n = 0;
	int64_t off;
	const char *comma = strchr(p, ',');

	if (comma)
		p = comma + 1;
	while (*p == ' ')
		p++;
	if (sscanf(p, "%2d %3s %4d %2d:%2d:%2d %7s%n", &d, mon, &y, &h, &mi, &s, zone, &n) != 7 || p[n] != '\0')
		return -1;
	if (parse_zone(zone, &off) < 0)
		return -1;
	return make_time(y, month_index(mon), d, h, mi, s, off, out);
}

static int epoch_from_double(double v, int64_t *out)
{
	if (!(v > -1e14 && v < 1e14))
		return -1;
	if (v >= 1e11 || v <= -1e11)
		v /= 1000.0; /* milliseconds */
	*out = (int64_t)(v >= 0 ? v : v - 0.999999);
	return 0;
}

int htime_parse(const char *s, int64_t *out)
{
	int zoned;

	return htime_parse_zoned(s, out, &zoned);
}

int htime_parse_zoned(const char *s, int64_t *out, int *zoned)
{
	char *end;
	double v;

	*zoned = 1;
	if (!s)
		return -1;
	while (*s == ' ')
		s++;
	if (!*s)
		return -1;
	/* YYYY-… or the basic YYYYMMDDT…; each byte is tested before the next
	 * is read, so a short string ("12345") never reads past its end
	 * (ASan, found by tests/fuzz/fuzz_normalize.c). */
	if (isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[1]) && isdigit((unsigned char)s[2]) &&
	    isdigit((unsigned char)s[3]) &&
	    (s[4] == '-' || (isdigit((unsigned char)s[4]) && isdigit((unsigned char)s[5]) &&
			     isdigit((unsigned char)s[6]) && isdigit((unsigned char)s[7]) && s[8] == 'T')))
		return parse_iso(s, out, zoned);
	if (isdigit((unsigned char)*s) || ((*s == '-' || *s == '+') && isdigit((unsigned char)s[1]))) {
		v = strtod(s, &end);
		if (end != s && *end == '\0')
			return epoch_from_double(v, out);
		return isdigit((unsigned char)*s) ? parse_rfc2822(s, out) : -1;
	}
	if (isalpha((unsigned char)*s)) {
		if (strchr(s, ','))
			return parse_rfc2822(s, out);
		return parse_twitter(s, out);
	}
	return -1;
}

int htime_from_json(const json_t *v, int64_t *out)
{
	if (json_is_string(v))
		return htime_parse(json_string_value(v), out);
	if (json_is_number(v))
		return epoch_from_double(json_number_value(v), out);
	return -1;
}

char *htime_format(int64_t t, char *out)
{
	int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
	int64_t secs = t - days * 86400, y;
	unsigned m, d;

	htime_civil_from_days(days, &y, &m, &d);
	snprintf(out, HTIME_LEN, "%04lld-%02u-%02uT%02d:%02d:%02dZ", (long long)y, m, d, (int)(secs / 3600),
		 (int)(secs / 60 % 60), (int)(secs % 60));
	return out;
}

char *htime_format_date(int64_t t, char *out)
{
	htime_format(t, out);
	out[10] = '\0';
	return out;
}

int64_t htime_parse_duration(const char *s)
{
	char *end;
	long long n;
	int64_t unit;

	if (!s || !isdigit((unsigned char)*s))
		return -1;
	n = strtoll(s, &end, 10);
	switch (*end) {
	case 's': unit = 1; break;
	case 'm': unit = 60; break;
	case 'h': unit = 3600; break;
	case 'd': unit = 86400; break;
	case 'w': unit = 7 * 86400; break;
	default: return -1;
	}
	if (end[1] != '\0' || n <= 0 || n > 100000000LL / unit * 1000)
		return -1;
	return n * unit;
}

char *htime_format_duration(int64_t secs, char *out)
{
	/* Days are the largest unit printed: "7d" reads better than "1w". */
	static const struct { int64_t len; char unit; } units[] = {
		{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};

	for (int i = 0; i < 4; i++) {
		if (secs % units[i].len == 0) {
			snprintf(out, HTIME_LEN, "%lld%c", (long long)(secs / units[i].len), units[i].unit);
			return out;
		}
	}
	return out; /* unreachable: every integer is a multiple of 1s */
}

int64_t htime_floor(int64_t t, int64_t len)
{
	int64_t r = t % len;

	return r < 0 ? t - r - len : t - r;
}
