/*
 * baseline.h — the statistics heat compares a new value against: an
 * exponentially weighted baseline of one series (a stream's daily
 * velocity), robust to the heavy tails of social data, and the special
 * functions (incomplete beta and gamma, the negative-binomial tail) that
 * the cascades' count model (counts.c) is built on.
 *
 * Pure arithmetic on doubles, no I/O and no state outside the structs, so
 * that one run and the same data split into batches (the struct saved and
 * reloaded in between, exactly, as SQLite REALs) give bit-identical
 * results. Used by heat.c and counts.c; tested by tests/unit/test_baseline.c.
 *
 * The series is an EWMA with an EW mean absolute deviation and
 * Huber-clipped updates: a burst moves it by at most `clip` scales per
 * window, so it stays visible for longer and a single spike does not blow
 * up the spread. (The cascades' robust-log, negbin and ewma models that
 * used it before issue 19 gave way to counts.c.)
 */
#ifndef HERD_DETECT_BASELINE_H
#define HERD_DETECT_BASELINE_H

#include <stddef.h>

/* Settings shared by every series of a detector. */
typedef struct baseline_params {
	double alpha;     /* weight of a new value once warmed up (from the half-life) */
	double clip;      /* Huber clip in scales for robust updates (0 = none) */
	double min_scale; /* floor on the log-domain spread */
} baseline_params_t;

/*
 * One series. Invariants (baseline_check): n >= 0; dev >= 0; every field
 * finite; with n == 0 the moments are 0. `mean`/`dev` live in the
 * caller's domain (a velocity of log counts). The first 1/alpha updates
 * are plain running averages (weight 1/(n+1)), so a young series is not
 * dominated by its first value.
 */
typedef struct baseline {
	long n;      /* values folded in */
	double mean; /* EW mean of the value (clipped updates) */
	double dev;  /* EW mean absolute deviation of the value (clipped) */
} baseline_t;

/* alpha for a half-life of h windows (h > 0): 1 - 2^(-1/h). */
double baseline_alpha(double halflife_windows);
/* Fill b as an empty series. */
void baseline_init(baseline_t *b);
/* Fold in one value x; floor is the noise floor of x (as for
 * baseline_scale), which also bounds clipping. */
void baseline_update(baseline_t *b, double x, double floor, const baseline_params_t *p);
/*
 * The log-domain spread a z is measured in: max(1.2533 * dev (the sigma of
 * a normal with that mean absolute deviation), floor, min_scale). floor is
 * the caller's noise floor (baseline_poisson_floor for counts).
 */
double baseline_scale(const baseline_t *b, double floor, const baseline_params_t *p);
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
/* log of the regularized incomplete beta I_x(a, b), and of the lower
 * regularized incomplete gamma P(a, x); exported for the unit tests. */
double baseline_log_ibeta(double a, double b, double x);
double baseline_log_gammap(double a, double x);

#endif
