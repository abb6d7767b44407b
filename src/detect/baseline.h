/*
 * baseline.h — the statistics a detector compares a new value against:
 * an exponentially weighted baseline of one series (an entity's mentions
 * per window, or one source's mentions of it), robust to the heavy tails
 * of social data, plus the tail probabilities and cross-sectional
 * statistics the cascade, heat and cold-start rules are built on.
 *
 * Pure arithmetic on doubles, no I/O and no state outside the structs, so
 * that one run and the same data split into batches (the struct saved and
 * reloaded in between, exactly, as SQLite REALs) give bit-identical
 * results. Used by cascade.c and heat.c; tested by tests/unit/test_baseline.c.
 *
 * Three models of "how unusual is this value" (measured against each other
 * on the January 2021 data in docs/detection.md):
 *   robust  EWMA of a log count (baseline_log_count) with an EW mean
 *           absolute deviation, and
 *           Huber-clipped updates: a burst moves the baseline by at most
 *           `clip` scales per window, so it stays visible for longer and a
 *           single spike does not blow up the spread (the default);
 *   ewma    plain EWMA mean and variance of the raw count (Gaussian z), the
 *           textbook detector, kept for comparison: one burst inflates its
 *           variance for weeks (no clipping);
 *   negbin  negative-binomial upper tail P(X >= count) from the EW mean and
 *           variance of the raw count (Poisson when not over-dispersed),
 *           turned into the z of the same tail area.
 */
#ifndef HERD_DETECT_BASELINE_H
#define HERD_DETECT_BASELINE_H

#include <stddef.h>

enum baseline_model { BASELINE_ROBUST, BASELINE_EWMA, BASELINE_NEGBIN };

/* Settings shared by every series of a detector. */
typedef struct baseline_params {
	double alpha;     /* weight of a new value once warmed up (from the half-life) */
	double clip;      /* Huber clip in scales for robust updates (0 = none) */
	double min_scale; /* floor on the log-domain spread */
} baseline_params_t;

/*
 * One series. Invariants (baseline_check): n >= 0; dev >= 0 and cvar >= 0;
 * every field finite; with n == 0 all moments are 0. `mean`/`dev` live in
 * the caller's log domain (log1p of a count, or a log share); `cmean`/
 * `cvar` in counts. The first 1/alpha updates are plain running averages
 * (weight 1/(n+1)), so a young series is not dominated by its first value.
 */
typedef struct baseline {
	long n;       /* values folded in */
	double mean;  /* EW mean of the log value (clipped updates) */
	double dev;   /* EW mean absolute deviation of the log value (clipped) */
	double cmean; /* EW mean of the count (clipped updates: negbin) */
	double cvar;  /* EW variance of the count (clipped updates: negbin) */
	double pmean; /* EW mean of the count (plain updates: ewma) */
	double pvar;  /* EW variance of the count (plain updates: ewma) */
} baseline_t;

/* alpha for a half-life of h windows (h > 0): 1 - 2^(-1/h). */
double baseline_alpha(double halflife_windows);
/* Fill b as an empty series. */
void baseline_init(baseline_t *b);
/* Fold in one value: x in the log domain, c the count behind it; floor is
 * the noise floor of x (as for baseline_scale), which also bounds clipping. */
void baseline_update(baseline_t *b, double x, double c, double floor, const baseline_params_t *p);
/*
 * The log-domain spread a z is measured in: max(1.2533 * dev (the sigma of
 * a normal with that mean absolute deviation), floor, min_scale). floor is
 * the caller's noise floor (baseline_poisson_floor for counts).
 */
double baseline_scale(const baseline_t *b, double floor, const baseline_params_t *p);
/* How unusual (x, c) is against b, as a z (higher = more unusual upward),
 * in [-40, 40]; 0 for an empty series. */
double baseline_z(const baseline_t *b, double x, double c, double floor, enum baseline_model m,
		  const baseline_params_t *p);
/*
 * The log domain of counts: log(c + BASELINE_LOG_OFFSET), a "started" log.
 * With an offset of 1 (log1p) the step from 6 to 51 mentions weighs as much
 * as 600 to 5100, and the noise of small counts inflates every robust
 * spread; 5 damps it. Measured on the January 2021 data (docs/detection.md:
 * offset 1 vs 5 vs 10): 5 keeps the recall of 1 and halves the alarms on
 * ordinary words.
 */
#define BASELINE_LOG_OFFSET 5.0
double baseline_log_count(double c);
/* The count whose log_count is x (>= 0). */
double baseline_count_from_log(double x);
/*
 * The noise floor of a log count of expected value mu (taken as at least
 * 1): sqrt(mu) / (1 + mu), the Poisson spread of log(1 + X). From about 20
 * up it is the relative sampling error 1/sqrt(mu); below, it is wider than
 * the Poisson spread of the started log (sqrt(mu)/(mu + 5)) on purpose:
 * small counts of social data are over-dispersed, and the narrower floor
 * doubled the alarms on ordinary words (docs/detection.md).
 */
double baseline_poisson_floor(double mu);
/* 1 when b satisfies its invariants; for use inside assert() only. */
int baseline_check(const baseline_t *b);

/*
 * Tails. baseline_logtail(mean, var, c) is log P(X >= c) for a count with
 * that mean and variance: negative binomial when var > mean, else Poisson.
 * log 1 = 0 for c <= 0; mean is taken as at least 1e-9.
 */
double baseline_logtail(double mean, double var, double c);
/* The z whose upper normal tail has log-area logp (logp <= 0), capped at 40. */
double baseline_z_from_logtail(double logp);
/* log of the regularized incomplete beta I_x(a, b), and of the lower
 * regularized incomplete gamma P(a, x); exported for the unit tests. */
double baseline_log_ibeta(double a, double b, double x);
double baseline_log_gammap(double a, double x);

/*
 * Cross-sections (cold start): the median and the robust spread
 * (1.4826 * median absolute deviation) of v[0..n). v is reordered.
 * n == 0 gives 0 and 0.
 */
void baseline_robust_stats(double *v, size_t n, double *median, double *spread);

#endif
