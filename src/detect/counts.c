/*
 * counts.c — the negative-binomial count model of a series of windows; see
 * counts.h for the model and docs/detection.md for why each part is there.
 * The tails and quantiles use baseline.c's incomplete beta and gamma,
 * computed in logs, so a burst of 1e-300 still has a finite evidence.
 */
#include "counts.h"
#include "baseline.h"

#include <math.h>
#include <string.h>

/* Gamma prior on the level: half a count (Jeffreys) over no exposure. */
#define LEVEL_A0 0.5
/* A season phase's factor is shrunk to 1 by this many expected posts:
 * a gamma prior of CV 14% on the factor: a phase seen with 50 expected and
 * 100 actual posts is 1.5, not 2. */
#define SEASON_N0 50.0
/* The population's overdispersion weighs as much as this many quiet
 * windows of the series' own (a month of daily windows). */
#define PHI_N0 30.0
/* No series is steadier than a relative noise of 10% a window. */
#define PHI_MIN 0.01
/* Bisection steps for the quantiles (2^-100: double precision). */
#define QUANT_ITER 100

double counts_alpha(double halflife_windows)
{
	return 1.0 - pow(2.0, -1.0 / halflife_windows);
}

int counts_phases_for(long long len)
{
	/* Hour of day for windows shorter than a day. Day of week is left to
	 * the market factor: a series' own weekday factors learnt a mania's
	 * trend as much as the weekdays (docs/detection.md). */
	if (len > 0 && len < 86400 && 86400 % len == 0)
		return 24;
	return 1;
}

int counts_phase(long long t, long long len, int nphases)
{
	long long d;

	if (nphases == 7) {
		d = t >= 0 ? t / 86400 : (t - 86399) / 86400;
		return (int)(((d + 3) % 7 + 7) % 7); /* 0 = Monday; 1970-01-01 was a Thursday */
	}
	if (nphases == 24) {
		d = ((t % 86400) + 86400) % 86400;
		return (int)(d / 3600);
	}
	(void)len;
	return 0;
}

void counts_init(counts_t *c, double prior_windows, double prior_exposure)
{
	memset(c, 0, sizeof *c);
	c->n = prior_windows > 0 ? prior_windows : 0;
	c->e = prior_exposure > 0 ? prior_exposure : 0;
}

double counts_season(const counts_t *c, const counts_params_t *p, int k)
{
	double sum = 0;

	if (p->nphases <= 1)
		return 1;
	for (int i = 0; i < p->nphases; i++)
		sum += (c->ss[i] + SEASON_N0) / (c->se[i] + SEASON_N0);
	return (c->ss[k] + SEASON_N0) / (c->se[k] + SEASON_N0) / (sum / p->nphases);
}

double counts_phi_estimate(const counts_t *c, double min_windows)
{
	if (c->vn < min_windows || c->vden <= 0)
		return -1;
	return c->vnum > 0 ? c->vnum / c->vden : 0;
}

void counts_predict(const counts_t *c, const counts_params_t *p, int k, double market, double phi_pop,
		    counts_pred_t *out)
{
	double own = c->vden > 0 ? c->vnum / c->vden : 0, phi;

	if (own < 0)
		own = 0;
	phi = (PHI_N0 * phi_pop + c->vn * own) / (PHI_N0 + c->vn);
	if (phi < PHI_MIN)
		phi = PHI_MIN;
	out->factor = market * counts_season(c, p, k);
	out->level = c->e > 0 ? (LEVEL_A0 + c->s) / c->e : 0;
	out->mu = out->level * out->factor;
	out->phi_own = phi;
	/* The level's squared coefficient of variation: (1 + phi L) / S for a
	 * sum S of counts with that overdispersion (conservative by up to 2x
	 * for discounted sums). */
	out->v = (1 + phi * out->level) / (LEVEL_A0 + c->s);
	out->phi = phi + out->v;
	out->authors = c->e > 0 && c->au > 0 ? c->au / c->e * out->factor : 0;
}

/* The overdispersion's moments learn one window. */
static void update_noise(counts_t *c, const counts_params_t *p, double count, const counts_pred_t *pr)
{
	double al = p->alpha_long, d = count - pr->mu;

	if (pr->mu <= 0)
		return;
	c->vnum = (1 - al) * c->vnum + (d * d - count);
	c->vden = (1 - al) * c->vden + pr->mu * pr->mu;
	c->vn = (1 - al) * c->vn + 1;
}

void counts_update(counts_t *c, const counts_params_t *p, int k, double market, double count, double authors,
		   const counts_pred_t *pr, unsigned what)
{
	double a = p->alpha, al = p->alpha_long, f = counts_season(c, p, k);

	if (what & COUNTS_NOISE)
		update_noise(c, p, count, pr); /* against the prediction made for this window */
	if (!(what & COUNTS_LEVEL))
		return;
	c->n += 1;
	/* season: this phase's counts against the level x market expected
	 * (once there is a level to expect anything from) */
	if (p->nphases > 1 && c->e >= 1) {
		for (int i = 0; i < p->nphases; i++) {
			c->ss[i] *= 1 - al;
			c->se[i] *= 1 - al;
		}
		c->ss[k] += count;
		c->se[k] += pr->level * market;
	}
	/* level and authors */
	c->s = (1 - a) * c->s + count;
	c->au = (1 - a) * c->au + (authors > 0 ? authors : 0);
	c->e = (1 - a) * c->e + market * f;
}

void counts_take_level(counts_t *c, const counts_t *src)
{
	c->s = src->s;
	c->e = src->e;
	c->au = src->au;
}

void counts_restart(counts_t *c, const counts_params_t *p, int k, double market, double count, double authors)
{
	c->s = count;
	c->au = authors > 0 ? authors : 0;
	c->e = market * counts_season(c, p, k);
}

/* ------------------------------------------------------------------ tails, bounds, CUSUM */

double counts_evidence(const counts_pred_t *pr, double count)
{
	double mu = pr->mu > 1e-9 ? pr->mu : 1e-9;

	if (count <= 0)
		return 0;
	return -baseline_logtail(mu, mu + pr->phi * mu * mu, count) / M_LN10;
}

double counts_quantile(const counts_pred_t *pr, double log10p)
{
	double lo = 0, hi = ceil(pr->mu) + 1; /* whole counts */

	while (counts_evidence(pr, hi) < log10p && hi < 1e15)
		hi *= 2;
	/* evidence is a step function of whole counts: bisect on them */
	while (hi - lo > 1) {
		double mid = floor(0.5 * (lo + hi));

		if (counts_evidence(pr, mid) >= log10p)
			hi = mid;
		else
			lo = mid;
	}
	return hi;
}

/* The q quantile of Gamma(a, 1): bisection on the regularized P(a, x). */
static double gamma_quantile(double a, double q)
{
	double lo = 0, hi = a + 20 * sqrt(a) + 40, lq = log(q);

	for (int i = 0; i < QUANT_ITER; i++) {
		double mid = 0.5 * (lo + hi);

		if (baseline_log_gammap(a, mid) < lq)
			lo = mid;
		else
			hi = mid;
	}
	return 0.5 * (lo + hi);
}

/* The q quantile of Beta(a, b): bisection on the regularized I_x(a, b). */
static double beta_quantile(double a, double b, double q)
{
	double lo = 0, hi = 1, lq = log(q);

	for (int i = 0; i < QUANT_ITER; i++) {
		double mid = 0.5 * (lo + hi);

		if (baseline_log_ibeta(a, b, mid) < lq)
			lo = mid;
		else
			hi = mid;
	}
	return 0.5 * (lo + hi);
}

double counts_score(const counts_pred_t *pr, double count)
{
	/* Rate now: Gamma(count + 1/2) (Jeffreys); usual: mu x Gamma(b, b)
	 * with b = 1/v. Their ratio X / Y' (Y' ~ Gamma(b, 1)) is beta-prime:
	 * X / (X + Y') ~ Beta(count + 1/2, b). */
	double a = (count > 0 ? count : 0) + 0.5, mu = pr->mu > 1e-9 ? pr->mu : 1e-9, b, t;

	b = pr->v > 1e-12 ? 1 / pr->v : 1e12;
	if (b > 1e7) {
		t = gamma_quantile(a, COUNTS_SCORE_Q) / mu;
	} else {
		double u = beta_quantile(a, b, COUNTS_SCORE_Q);

		t = u >= 1 ? 1e300 : b / mu * u / (1 - u);
	}
	return t > 0 ? log2(t) : -1074;
}

double counts_llr(const counts_pred_t *pr, double count, double shift)
{
	double mu = pr->mu > 1e-9 ? pr->mu : 1e-9, k = 1 / pr->phi;

	return count * log(shift * (mu + k) / (shift * mu + k)) + k * log((mu + k) / (shift * mu + k));
}

double counts_threshold(double per_year, double window_s)
{
	double windows = 365.25 * 86400 / window_s, h = log(windows / per_year);

	return h > 0 ? h : 0;
}

/* ------------------------------------------------------------------ state */

/* n, s, e, au, vnum, vden, vn, then ss[] and se[] of each phase. */
#define PACK_FIXED 7

size_t counts_packed_len(int nphases)
{
	return PACK_FIXED + 2 * (size_t)(nphases > 1 ? nphases : 0);
}

void counts_pack(const counts_t *c, int nphases, double *out)
{
	int np = nphases > 1 ? nphases : 0;

	out[0] = c->n;
	out[1] = c->s;
	out[2] = c->e;
	out[3] = c->au;
	out[4] = c->vnum;
	out[5] = c->vden;
	out[6] = c->vn;
	for (int i = 0; i < np; i++) {
		out[PACK_FIXED + 2 * i] = c->ss[i];
		out[PACK_FIXED + 2 * i + 1] = c->se[i];
	}
}

int counts_unpack(counts_t *c, int nphases, const double *in, size_t len)
{
	int np = nphases > 1 ? nphases : 0;

	if (len != counts_packed_len(nphases))
		return -1;
	memset(c, 0, sizeof *c);
	c->n = in[0];
	c->s = in[1];
	c->e = in[2];
	c->au = in[3];
	c->vnum = in[4];
	c->vden = in[5];
	c->vn = in[6];
	for (int i = 0; i < np; i++) {
		c->ss[i] = in[PACK_FIXED + 2 * i];
		c->se[i] = in[PACK_FIXED + 2 * i + 1];
	}
	return 0;
}

int counts_check(const counts_t *c)
{
	const double *f[] = {&c->n, &c->s, &c->e, &c->au, &c->vden, &c->vn};

	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
		if (!isfinite(*f[i]) || *f[i] < 0)
			return 0;
	if (!isfinite(c->vnum))
		return 0;
	for (int i = 0; i < COUNTS_MAX_PHASES; i++)
		if (!isfinite(c->ss[i]) || !isfinite(c->se[i]) || c->ss[i] < 0 || c->se[i] < 0)
			return 0;
	return 1;
}
