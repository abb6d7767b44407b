/*
 * test_ndjson_real.c — ndjson_format_real's printf-free path for short
 * decimals (zero, or 1e-4 <= |x| < 1e9 with at most 6 decimals: the scores
 * herd-score writes) must print exactly what the general path prints: the
 * shortest "%.15g".."%.17g" form that reads back, with ".0" added to
 * integers. Checked here against that rule written out, on the edges of
 * the fast path and on 400,000 values of every kind.
 */
#include "test.h"
#include "lib/ndjson.h"

#include <math.h>
#include <stdlib.h>

/* The general rule, as src/lib/ndjson.c states it. */
static void reference(double d, char *out, size_t outlen)
{
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(out, outlen, "%.*g", prec, d);
		if (strtod(out, NULL) == d)
			break;
	}
	if (!strpbrk(out, ".eEn")) {
		size_t n = strlen(out);
		if (n + 2 < outlen)
			memcpy(out + n, ".0", 3);
	}
}

static long check(double d)
{
	char got[64], want[64];

	ndjson_format_real(d, got, sizeof got);
	reference(d, want, sizeof want);
	if (strcmp(got, want) == 0)
		return 0;
	fprintf(stderr, "%.17g: got %s, want %s\n", d, got, want);
	return 1;
}

int main(void)
{
	static const double edge[] = {
		0.0, -0.0, 1.0, -1.0, 0.1, 0.5, 0.4404, -0.3412, 347.51, 2.5, 1e-4, -1e-4, 0.00009999,
		9.9999999999999e-05, 1.5e-5, 999999999.0, 999999999.5, 1e9, -1e9, 123456789.123456,
		123456789.1234567, 0.1234567, 1e15, 1e16, 1e300, 0.30000000000000004, 5e-324, 1.0 / 3,
		INFINITY, -INFINITY, NAN,
	};
	unsigned long long s = 7;
	long bad = 0, n = 0;

	for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++, n++)
		bad += check(edge[i]);
	CHECK(bad == 0, "edge values: %ld of %zu printed differently", bad, sizeof edge / sizeof edge[0]);
	for (long i = 0; i < 400000; i++) {
		double d;
		s = s * 6364136223846793005ull + 1442695040888963407ull;
		switch ((s >> 60) % 4) {
		case 0: /* any bit pattern */
			memcpy(&d, &s, sizeof d);
			if (!isfinite(d))
				continue;
			break;
		case 1: /* short decimals of every size */
			d = (double)((long long)(s >> 20) % 2000001 - 1000000) / pow(10, (double)((s >> 8) % 9));
			break;
		case 2: /* uniform in [0, 1) */
			d = (double)(s >> 11) / 9007199254740992.0;
			break;
		default: /* 4-decimal scores, both signs */
			d = round((double)(s >> 11) / 9007199254740992.0 * 10000) / 10000 * ((s >> 5) & 1 ? -1 : 1);
		}
		n++;
		bad += check(d);
		if (bad > 10)
			break;
	}
	CHECK(bad == 0, "%ld of %ld values printed differently from the general rule", bad, n);
	return test_report();
}
