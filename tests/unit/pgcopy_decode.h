/*
 * pgcopy_decode.h — a reference decoder for one field of PostgreSQL's COPY
 * text format, written from PostgreSQL's documentation and not from
 * src/store/pgcopy.c, so that it can judge pgcopy.c's escaper: the unit
 * test (tests/unit/test_pgcopy.c) and the fuzz harness
 * (tests/fuzz/fuzz_pgcopy.c) both decode with it. Header-only, static.
 */
#ifndef HERD_TEST_PGCOPY_DECODE_H
#define HERD_TEST_PGCOPY_DECODE_H

#include <stddef.h>
#include <string.h>

/*
 * One field of COPY text format back to bytes, as PostgreSQL's docs state
 * it (COPY, "Text Format"): \b \f \n \r \t \v; \ and 1-3 octal digits; \x
 * and 1-2 hex digits; a backslash before any other character stands for
 * that character. Returns the length, or -1 when the field holds a raw
 * tab, newline or carriage return (which would end the field or the row).
 */
__attribute__((unused)) static long decode(const char *s, size_t n, char *out)
{
	long k = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '\t' || c == '\n' || c == '\r')
			return -1;
		if (c != '\\' || i + 1 == n) {
			out[k++] = c;
			continue;
		}
		c = s[++i];
		switch (c) {
		case 'b': out[k++] = '\b'; break;
		case 'f': out[k++] = '\f'; break;
		case 'n': out[k++] = '\n'; break;
		case 'r': out[k++] = '\r'; break;
		case 't': out[k++] = '\t'; break;
		case 'v': out[k++] = '\v'; break;
		case 'x': {
			int v = 0, d = 0;
			while (d < 2 && i + 1 < n && strchr("0123456789abcdefABCDEF", s[i + 1]) && s[i + 1]) {
				char h = s[++i];
				v = v * 16 + (h <= '9' ? h - '0' : (h | 32) - 'a' + 10);
				d++;
			}
			out[k++] = d ? (char)v : 'x';
			break;
		}
		default:
			if (c >= '0' && c <= '7') {
				int v = c - '0', d = 1;
				while (d < 3 && i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '7') {
					v = v * 8 + (s[++i] - '0');
					d++;
				}
				out[k++] = (char)v;
			} else {
				out[k++] = c;
			}
		}
	}
	return k;
}

#endif
