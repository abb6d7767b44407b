/*
 * test_baseline.c — the detectors' baseline math (src/detect/baseline.c):
 * warm-up averages, clipped (robust) updates, the spread floors, and the
 * tail functions against brute-force sums of the probability mass.
 */
#include "detect/baseline.h"
#include "test.h"

#include <assert.h>
#include <math.h>

/* Special functions are checked against sums of the mass function in
 * long double: agreement to 1e-9 in the log is far inside what a
 * threshold on the evidence (-log10 p, counts.c) can notice. */
#define LOG_TOL 1e-9

static double brute_poisson_logtail(double mu, int k)
{
	long double below = 0, term = expl(-(long double)mu);

	for (int j = 0; j < k; j++) {
		below += term;
		term *= (long double)mu / (j + 1);
	}
	return (double)log1pl(-below);
}

static double brute_negbin_logtail(double mean, double var, int k)
{
	long double r = (long double)mean * mean / (var - mean), q = (long double)mean / var, below = 0;

	for (int j = 0; j < k; j++)
		below += expl(lgammal(j + r) - lgammal(r) - lgammal(j + 1) + r * logl(q) + j * log1pl(-q));
	return (double)log1pl(-below);
}

static void test_tails(void)
{
	static const struct {
		double mean, var;
		int k;
	} cases[] = {
		{3.0, 3.0, 1}, {3.0, 3.0, 5}, {3.0, 3.0, 12}, {50.0, 50.0, 80}, {0.2, 0.2, 3},
		{10.0, 40.0, 1}, {10.0, 40.0, 25}, {10.0, 40.0, 60}, {200.0, 5000.0, 600}, {1.5, 9.0, 20},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		double got = baseline_logtail(cases[i].mean, cases[i].var, cases[i].k);
		double want = cases[i].var > cases[i].mean
				      ? brute_negbin_logtail(cases[i].mean, cases[i].var, cases[i].k)
				      : brute_poisson_logtail(cases[i].mean, cases[i].k);

		CHECK(fabs(got - want) <= LOG_TOL * (1 + fabs(want)),
		      "log P(X >= %d | mean %g, var %g): got %.12g, want %.12g", cases[i].k, cases[i].mean,
		      cases[i].var, got, want);
	}
	CHECK(baseline_logtail(5, 5, 0) == 0, "P(X >= 0) is 1");
	CHECK(baseline_logtail(5, 20, 0.0) == 0, "P(X >= 0) is 1 for a negative binomial too");
	/* A real burst: 1093 mentions against a mean of 40 gives a tail far
	 * below 1e-300, which must still come out finite and huge in z. */
	{
		double lp = baseline_logtail(40, 40, 1093);

		CHECK(isfinite(lp) && lp < -1000, "Poisson tail of 1093 | 40 is finite in logs: %g", lp);
	}
	CHECK_NEAR(exp(baseline_log_ibeta(2, 3, 0.4)), 0.5248, 1e-12, "I_0.4(2,3) = 0.5248 exactly");
	CHECK_NEAR(exp(baseline_log_gammap(1, 2)), 1 - exp(-2), 1e-13, "P(1, 2) = 1 - e^-2");
}

static void test_warmup_and_clip(void)
{
	baseline_params_t p = {baseline_alpha(7), 3, 0.1};
	baseline_t b;
	double xs[] = {2.0, 2.2, 1.9, 2.1};

	CHECK_NEAR(baseline_alpha(1), 0.5, 1e-15, "half-life 1 window is alpha 0.5");
	baseline_init(&b);
	assert(baseline_check(&b));
	for (int i = 0; i < 4; i++) {
		baseline_update(&b, xs[i], 0.05, &p);
		assert(baseline_check(&b));
	}
	/* 1/(n+1) > alpha = 0.094 for these four: a plain running mean, as
	 * long as no value is clipped (all within 3 * 0.1 of the mean). */
	CHECK_NEAR(b.mean, 2.05, 1e-12, "warm-up mean is the plain average");
	CHECK(b.n == 4, "four values folded in (n %ld)", b.n);

	/* A spike moves a robust baseline by at most alpha * clip * scale. */
	{
		baseline_t before = b;
		double s = baseline_scale(&b, 0.05, &p), a = 1.0 / 5;

		baseline_update(&b, 12.0, 0.05, &p);
		assert(baseline_check(&b));
		CHECK(b.mean - before.mean <= a * 3 * s + 1e-12, "clipped move %g <= %g", b.mean - before.mean,
		      a * 3 * s);
	}
}

static void test_floors(void)
{
	CHECK_NEAR(baseline_poisson_floor(0.2), 0.5, 1e-15, "the noise floor takes mu >= 1");
	CHECK_NEAR(baseline_poisson_floor(99), sqrt(99) / 100, 1e-15, "sqrt(mu)/(1+mu)");
	CHECK_NEAR(baseline_count_from_log(baseline_log_count(37)), 37, 1e-12, "count_from_log inverts log_count");
	CHECK(baseline_count_from_log(0) == 0, "a log below the offset's is count 0");
}

int main(void)
{
	test_tails();
	test_warmup_and_clip();
	test_floors();
	return test_report();
}
