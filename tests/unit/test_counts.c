/*
 * test_counts.c — the count model of cascades (src/detect/counts.c): the
 * level learns a stream's mean; the evidence is the negative binomial's
 * tail (against sums of its mass) and counts_quantile inverts it; the
 * score grows with the burst and does not rank a big name's ordinary noise
 * over a small name's pile-in; the CUSUM sees three windows at 3x; the
 * threshold is ln(windows per year / false alarms per year), and on
 * simulated quiet series (negative binomial, known dispersion) the alarms
 * per series-year stay within the rate asked for; a series saved and
 * reloaded (counts_pack) continues bit for bit.
 */
#include "detect/counts.h"
#include "test.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* The tail against summed mass: 1e-9 in log10 p is far inside anything a
 * threshold of 3 can notice. */
#define EVIDENCE_TOL 1e-9

/* -log10 P(X >= k) for NB(mu, phi) by summing the mass below k. */
static double brute_evidence(double mu, double phi, int k)
{
	long double r = 1 / phi, p = r / (r + mu), term = powl(p, r), below = 0;

	for (int j = 0; j < k; j++) {
		below += term;
		term *= (j + r) / (j + 1) * (1 - p);
	}
	return (double)(-log10l(1 - below));
}

/* A small deterministic generator (xorshift64*) and the draws we need. */
static uint64_t rng = 88172645463325252ULL;
static double uniform(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (double)((rng * 2685821657736338717ULL) >> 11) * (1.0 / 9007199254740992.0);
}
static double normal(void)
{
	return sqrt(-2 * log(1 - uniform())) * cos(2 * M_PI * uniform());
}
/* Gamma(a, 1), a >= 1 (Marsaglia and Tsang). */
static double gamma_draw(double a)
{
	double d = a - 1.0 / 3, c = 1 / sqrt(9 * d);

	for (;;) {
		double x = normal(), v = 1 + c * x, u = uniform();

		if (v <= 0)
			continue;
		v = v * v * v;
		if (log(u) < 0.5 * x * x + d - d * v + d * log(v))
			return d * v;
	}
}
static double poisson_draw(double lambda)
{
	double t = 0;
	int k = 0;

	for (;;) {
		t += -log(1 - uniform());
		if (t > lambda)
			return k;
		k++;
	}
}
/* Negative binomial as Poisson-gamma: mean mu, Var = mu + phi mu^2. */
static double nb_draw(double mu, double phi)
{
	return poisson_draw(mu * phi * gamma_draw(1 / phi));
}

static const counts_params_t daily = {.alpha = 0.09427, .alpha_long = 0.00759, .nphases = 1, .shift = 2};

/* A series that has seen `n` windows of exactly `c` posts. */
static void steady(counts_t *s, int n, double c)
{
	counts_pred_t pr;

	counts_init(s, 0, 0);
	for (int i = 0; i < n; i++) {
		counts_predict(s, &daily, 0, 1, 0.2, &pr);
		counts_update(s, &daily, 0, 1, c, -1, &pr, COUNTS_LEVEL | COUNTS_NOISE);
	}
}

int main(void)
{
	counts_t s, t;
	counts_pred_t pr, a, b;
	double buf[64];

	/* The level learns the mean of a stream. */
	counts_init(&s, 0, 0);
	for (int i = 0; i < 400; i++) {
		counts_predict(&s, &daily, 0, 1, 0.2, &pr);
		counts_update(&s, &daily, 0, 1, nb_draw(40, 0.1), -1, &pr, COUNTS_LEVEL | COUNTS_NOISE);
	}
	counts_predict(&s, &daily, 0, 1, 0.2, &pr);
	CHECK(fabs(pr.mu - 40) < 8, "the level learns a stream of mean 40: %.1f", pr.mu);
	CHECK(pr.phi_own > 0.03 && pr.phi_own < 0.3, "the overdispersion learns phi 0.1 (shrunk to 0.2): %.3f",
	      pr.phi_own);
	CHECK(counts_check(&s), "the series holds its invariants");

	/* A series first seen after 30 windows of the detector carries their
	 * zeros: 20 posts is far beyond anything it expects. */
	counts_init(&t, 30, 10.0);
	counts_predict(&t, &daily, 0, 1, 0.5, &pr);
	CHECK(pr.mu < 0.1 && counts_evidence(&pr, 20) > 5, "absent = zero: expects %.3f, 20 posts evidence %.1f",
	      pr.mu, counts_evidence(&pr, 20));

	/* Evidence: the negative binomial's tail, to the mass summed. */
	pr.mu = 12;
	pr.phi = 0.3;
	for (int k = 1; k <= 80; k += 7)
		CHECK_NEAR(counts_evidence(&pr, k), brute_evidence(12, 0.3, k), EVIDENCE_TOL, "evidence of k posts");
	CHECK(counts_evidence(&pr, 0) == 0, "no posts, no evidence");
	{
		double q = counts_quantile(&pr, 3);

		CHECK(counts_evidence(&pr, q) >= 3 && counts_evidence(&pr, q - 1) < 3,
		      "counts_quantile is the smallest count with evidence 3: %g", q);
	}

	/* Score: log2 of the rate ratio the counts make 95% certain. It grows
	 * with the burst; 41x a large baseline scores far above 3x; a small
	 * name's 36 against 3.3 outranks a big name's significant 1.2x. */
	steady(&s, 200, 214);
	counts_predict(&s, &daily, 0, 1, 0.2, &a);
	CHECK(counts_score(&a, 8789) > counts_score(&a, 642) + 3, "41x scores far above 3x: %.2f vs %.2f",
	      counts_score(&a, 8789), counts_score(&a, 642));
	CHECK(fabs(counts_score(&a, 8789) - log2(8789 / a.mu)) < 0.2, "41x scores about log2 41: %.2f",
	      counts_score(&a, 8789));
	steady(&t, 200, 3.3);
	counts_predict(&t, &daily, 0, 1, 0.2, &b);
	steady(&s, 200, 5000);
	counts_predict(&s, &daily, 0, 1, 0.2, &a);
	CHECK(counts_score(&b, 36) > counts_score(&a, 6000) + 2, "a small name's pile-in over a big name's noise");
	CHECK(counts_score(&b, 36) < log2(36 / b.mu), "the score is at worst: under the ratio itself");
	for (int k = 4; k < 400; k *= 2)
		CHECK(counts_score(&b, 2 * k) > counts_score(&b, k), "the score grows with the count (%d)", k);

	/* The threshold: ln(windows per year / false alarms per year). */
	CHECK_NEAR(counts_threshold(1, 86400), log(365.25), 1e-12, "1/y on daily windows");
	CHECK_NEAR(counts_threshold(1, 3600), log(365.25 * 24), 1e-12, "1/y on hourly windows");

	/* CUSUM: three windows at 3x add up past the threshold of 1/y, where
	 * one of them is far from it: a slow build is flagged. */
	counts_init(&s, 0, 0);
	for (int i = 0; i < 200; i++) { /* 20 a window, a steady name's noise (phi 0.15) */
		counts_predict(&s, &daily, 0, 1, 0.15, &pr);
		counts_update(&s, &daily, 0, 1, nb_draw(20, 0.15), -1, &pr, COUNTS_LEVEL | COUNTS_NOISE);
	}
	counts_predict(&s, &daily, 0, 1, 0.15, &a);
	{
		/* the CUSUM's share of a 0.5/y budget split with the one-window test */
		double one = counts_llr(&a, 3 * a.mu, 2), h = counts_threshold(0.25, 86400);

		CHECK(one > 0 && one < h && 3 * one >= h, "3 x %.2f nats at 3x against h %.2f (phi %.3f)", one, h, a.phi);
		CHECK(counts_llr(&a, a.mu, 2) < 0, "the usual count drives the CUSUM down");
	}

	/* Quiet series (negative binomial of a known dispersion, no change):
	 * the alarms per series-year stay within the rate asked for (1/y).
	 * Lorden's bound makes them fewer still; 2x is the slack of 100
	 * series over 3 years. */
	{
		const double rate = 1, h = counts_threshold(rate, 86400);
		long alarms = 0, years = 0;

		for (int k = 0; k < 100; k++) {
			double cusum = 0, mu = 10 + 10 * k % 90;

			counts_init(&s, 0, 0);
			for (int w = 0; w < 365 * 4; w++) {
				double x = nb_draw(mu, 0.2);

				counts_predict(&s, &daily, 0, 1, 0.2, &pr);
				if (w >= 365) { /* a year to learn */
					cusum = fmax(0, cusum + counts_llr(&pr, x, 2));
					if (cusum >= h) {
						alarms++;
						cusum = 0;
					}
				}
				counts_update(&s, &daily, 0, 1, x, -1, &pr, COUNTS_LEVEL | COUNTS_NOISE);
			}
			years += 3;
		}
		CHECK((double)alarms / years <= 2 * rate, "quiet series: %.2f alarms per series-year for %g asked",
		      (double)alarms / years, rate);
	}

	/* A series saved and reloaded continues bit for bit. */
	{
		counts_params_t hourly = daily;

		hourly.nphases = 24;
		counts_init(&s, 0, 0);
		for (int i = 0; i < 100; i++) {
			counts_predict(&s, &hourly, i % 24, 1, 0.2, &pr);
			counts_update(&s, &hourly, i % 24, 1, nb_draw(5 + i % 24, 0.3), i, &pr, COUNTS_LEVEL | COUNTS_NOISE);
		}
		counts_pack(&s, 24, buf);
		CHECK(counts_unpack(&t, 24, buf, counts_packed_len(24)) == 0, "unpack");
		CHECK(memcmp(&s, &t, sizeof s) == 0, "a series packed and unpacked is the same, bit for bit");
		CHECK(counts_unpack(&t, 24, buf, counts_packed_len(1)) < 0, "a series of another shape is refused");
	}
	return test_report();
}
