/*
 * baseline.c — exponentially weighted baselines and tail probabilities
 * for the detectors; see baseline.h.
 *
 * The special functions (incomplete beta and gamma) follow the classic
 * continued-fraction and series forms, computed in logs so that the tiny
 * tail areas of a real burst (1e-300 and below) still give a finite z.
 */
#include "baseline.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>

/* sigma / mean absolute deviation for a normal distribution: sqrt(pi/2). */
#define MAD_TO_SIGMA 1.2533141373155003
/* Iterations and tolerance of the continued fractions (converge in < 100
 * for every argument a detector passes; 1e-15 is double precision). */
#define SF_ITER 500
#define SF_EPS 1e-15
#define SF_TINY 1e-300

/* ------------------------------------------------------------------ the series */

double baseline_alpha(double halflife_windows)
{
	return 1.0 - pow(2.0, -1.0 / halflife_windows);
}

void baseline_init(baseline_t *b)
{
	b->n = 0;
	b->mean = b->dev = 0;
}

static double clamp(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

double baseline_log_count(double c)
{
	return log((c > 0 ? c : 0) + BASELINE_LOG_OFFSET);
}

double baseline_count_from_log(double x)
{
	double c = exp(x) - BASELINE_LOG_OFFSET;

	return c > 0 ? c : 0;
}

double baseline_poisson_floor(double mu)
{
	double m = mu < 1 ? 1 : mu;

	return sqrt(m) / (1 + m);
}

double baseline_scale(const baseline_t *b, double floor, const baseline_params_t *p)
{
	double s = MAD_TO_SIGMA * b->dev;

	if (s < floor)
		s = floor;
	if (s < p->min_scale)
		s = p->min_scale;
	return s;
}

void baseline_update(baseline_t *b, double x, double floor, const baseline_params_t *p)
{
	double a, r, k;

	if (b->n == 0) {
		b->n = 1;
		b->mean = x;
		b->dev = 0;
		return;
	}
	/* Warm-up: running average until 1/(n+1) falls under alpha. */
	a = 1.0 / (double)(b->n + 1);
	if (a < p->alpha)
		a = p->alpha;
	/* Huber-clipped. */
	r = x - b->mean;
	if (p->clip > 0) {
		k = p->clip * baseline_scale(b, floor, p);
		r = clamp(r, -k, k);
	}
	b->mean += a * r;
	b->dev += a * (fabs(r) - b->dev);
	b->n++;
}

int baseline_check(const baseline_t *b)
{
	if (b->n < 0 || !isfinite(b->mean) || !isfinite(b->dev) || b->dev < 0)
		return 0;
	if (b->n == 0 && (b->mean != 0 || b->dev != 0))
		return 0;
	return 1;
}

/* ------------------------------------------------------------------ special functions */

/* One step of the modified Lentz method for a continued fraction with
 * partial numerator aa (and denominator 1): updates c and d, returns the
 * factor the fraction's value is multiplied by. */
static double lentz_step(double aa, double *c, double *d)
{
	*d = 1 + aa * *d;
	if (fabs(*d) < SF_TINY)
		*d = SF_TINY;
	*c = 1 + aa / *c;
	if (fabs(*c) < SF_TINY)
		*c = SF_TINY;
	*d = 1 / *d;
	return *d * *c;
}

/* Continued fraction of the incomplete beta (modified Lentz). */
static double betacf(double a, double b, double x)
{
	double qab = a + b, qap = a + 1, qam = a - 1;
	double c = 1, d = 1 - qab * x / qap, h, del;

	if (fabs(d) < SF_TINY)
		d = SF_TINY;
	d = 1 / d;
	h = d;
	for (int m = 1; m <= SF_ITER; m++) {
		int m2 = 2 * m;

		h *= lentz_step(m * (b - m) * x / ((qam + m2) * (a + m2)), &c, &d);
		del = lentz_step(-(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)), &c, &d);
		h *= del;
		if (fabs(del - 1) < SF_EPS)
			break;
	}
	return h;
}

double baseline_log_ibeta(double a, double b, double x)
{
	double lbt;

	if (x <= 0)
		return -INFINITY;
	if (x >= 1)
		return 0;
	lbt = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x);
	if (x < (a + 1) / (a + b + 2))
		return lbt + log(betacf(a, b, x)) - log(a);
	return log1p(-exp(lbt + log(betacf(b, a, 1 - x)) - log(b)));
}

double baseline_log_gammap(double a, double x)
{
	double gln = lgamma(a), lpre;

	if (x <= 0)
		return -INFINITY;
	lpre = -x + a * log(x) - gln;
	if (x < a + 1) { /* series */
		double ap = a, del = 1 / a, sum = del;

		for (int n = 0; n < SF_ITER; n++) {
			ap += 1;
			del *= x / ap;
			sum += del;
			if (fabs(del) < fabs(sum) * SF_EPS)
				break;
		}
		return lpre + log(sum);
	}
	/* continued fraction for Q, then P = 1 - Q */
	{
		double b = x + 1 - a, c = 1 / SF_TINY, d = 1 / b, h = d, an, del;

		for (int i = 1; i <= SF_ITER; i++) {
			an = -i * (i - a);
			b += 2;
			d = an * d + b;
			if (fabs(d) < SF_TINY)
				d = SF_TINY;
			c = b + an / c;
			if (fabs(c) < SF_TINY)
				c = SF_TINY;
			d = 1 / d;
			del = d * c;
			h *= del;
			if (fabs(del - 1) < SF_EPS)
				break;
		}
		return log1p(-exp(lpre + log(h)));
	}
}

double baseline_logtail(double mean, double var, double c)
{
	double k = ceil(c);

	if (k <= 0)
		return 0;
	if (mean < 1e-9)
		mean = 1e-9;
	if (var > mean * (1 + 1e-9)) {
		/* NB with r = mean^2/(var-mean), success probability q = mean/var:
		 * P(X >= k) = 1 - I_q(r, k) = I_{1-q}(k, r). */
		double r = mean * mean / (var - mean), q = mean / var;

		return baseline_log_ibeta(k, r, 1 - q);
	}
	/* Poisson: P(X >= k) = P(k, mean), the lower regularized gamma. */
	return baseline_log_gammap(k, mean);
}
