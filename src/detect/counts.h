/*
 * counts.h — the count model behind cascades: what an entity's (or one
 * source's) mentions in a window are expected to be, how surprising the
 * count is, how many times its usual rate it is running, and Page's CUSUM
 * over the windows, so that a slow build is flagged as early as a spike.
 *
 * The model (docs/detection.md, "The count model", says why each part):
 *   - the count of a window is negative binomial (Poisson-gamma) with mean
 *     mu = level x market x season and dispersion phi (Var = mu + phi mu^2);
 *   - level: discounted sums of counts and exposures over the series' quiet
 *     windows (a conjugate gamma posterior with forgetting, half-life
 *     --halflife), so its uncertainty is known and a young series has a
 *     wide predictive; a series first seen after the detector has run a
 *     while carries the zeros of the windows it was absent from;
 *   - market: the window's market-wide factor, given by the caller (the
 *     median ratio of count to expected over the established series);
 *   - season: one factor per day of week (daily windows) or hour of day
 *     (shorter ones), each shrunk to 1 by SEASON_N0 expected posts;
 *   - phi: the method-of-moments overdispersion of the quiet windows,
 *     shrunk to the population's (the caller's phi_pop) by PHI_N0 windows,
 *     floored at PHI_MIN; level and phi have the longer memory of the two;
 *   - evidence: -log10 P(X >= count) under the predictive, whose
 *     dispersion adds the level's own uncertainty to phi;
 *   - score: log2 of the lower credible bound (COUNTS_SCORE_Q) of the
 *     rate ratio now / usual, given the count and the level's
 *     uncertainty (overdispersion is the usual rate's noise, not
 *     uncertainty about the rate now, so it does not enter);
 *   - CUSUM: Page's statistic of the log-likelihood ratio NB(shift x mu)
 *     against NB(mu); its alarm threshold h = ln(windows per year /
 *     false alarms per year) keeps the average run length between false
 *     alarms of a correctly specified series at least that long (Lorden).
 *
 * Pure arithmetic on doubles; a series saved and reloaded exactly (as a
 * BLOB of doubles, counts_pack) continues bit for bit, so batches give
 * what one run gives. Used by cascade.c; tested by tests/unit/test_counts.c.
 */
#ifndef HERD_DETECT_COUNTS_H
#define HERD_DETECT_COUNTS_H

#include <stddef.h>

/* Season phases kept at most: 24 hours of a day (7 days of a week fit). */
#define COUNTS_MAX_PHASES 24
/* The score is the log2 rate ratio the counts make 95% certain. */
#define COUNTS_SCORE_Q 0.05

/* Settings shared by every series of a detector run. */
typedef struct counts_params {
	double alpha;      /* level: weight of a new window (from --halflife) */
	double alpha_long; /* overdispersion and season: the longer memory */
	int nphases;       /* season phases: 7, 24 or 1 (none) */
	double shift;      /* the rate ratio the CUSUM is tuned to (--shift) */
} counts_params_t;

/*
 * One series. Invariants (counts_check): every field finite; s, e, vden,
 * vn, au, ss[], se[] >= 0. Sums are discounted: each window multiplies
 * them by (1 - alpha) (level, authors) or (1 - alpha_long) (the rest)
 * before adding its own terms.
 */
typedef struct counts {
	double n;                      /* windows seen, quiet or not (with the absent ones before) */
	double s, e;                   /* level: sums of counts and of exposures (market x season) */
	double au;                     /* sum of distinct authors (agg records), over the same windows */
	double vnum, vden, vn;         /* phi: sums of (c - mu)^2 - c, of mu^2, and of windows */
	double ss[COUNTS_MAX_PHASES];  /* season: sums of counts per phase */
	double se[COUNTS_MAX_PHASES];  /* season: sums of the level x market expected per phase */
} counts_t;

/* What a series expects of one window. */
typedef struct counts_pred {
	double mu;      /* expected count */
	double level;   /* the level (posts per window at market and season 1) */
	double phi;     /* total dispersion of the predictive: phi_own + v */
	double phi_own; /* overdispersion (shrunk, floored) */
	double v;       /* squared coefficient of variation of the level */
	double factor;  /* market x season */
	double authors; /* usual distinct authors in such a window (0: unknown) */
} counts_pred_t;

/* alpha for a half-life of h windows (h > 0): 1 - 2^(-1/h). */
double counts_alpha(double halflife_windows);
/* The phase of a window starting at t (epoch seconds) of length len. */
int counts_phase(long long t, long long len, int nphases);
/* Phases for a window length: 7 for 1d, 24 for lengths that divide a day,
 * else 1. */
int counts_phases_for(long long len);

/* Fill c as an empty series; with prior_windows > 0, as one that saw no
 * count in that many windows of prior_exposure (discounted) exposure:
 * absent = zero. */
void counts_init(counts_t *c, double prior_windows, double prior_exposure);
/* The season factor of phase k (mean 1 over the phases). */
double counts_season(const counts_t *c, const counts_params_t *p, int k);
/* The prediction for a window of phase k under market factor `market`,
 * with phi_pop the population's overdispersion (the prior). */
void counts_predict(const counts_t *c, const counts_params_t *p, int k, double market, double phi_pop,
		    counts_pred_t *out);
/* The series' own overdispersion estimate, unshrunk (for phi_pop); -1
 * when it has fewer than min_windows quiet windows. */
double counts_phi_estimate(const counts_t *c, double min_windows);
/* What counts_update teaches. */
enum { COUNTS_LEVEL = 1, COUNTS_NOISE = 2 };
/* Fold a window in: count, distinct authors (< 0: unknown), its phase and
 * market factor, and the prediction made for it; `what` says which parts
 * learn from it: COUNTS_LEVEL the level, season and authors (and the
 * windows seen), COUNTS_NOISE the overdispersion. */
void counts_update(counts_t *c, const counts_params_t *p, int k, double market, double count, double authors,
		   const counts_pred_t *pr, unsigned what);
/* Take the level (and usual authors) of src: the windows src has not seen
 * are forgotten from the level, what the rest of c learnt is kept. */
void counts_take_level(counts_t *c, const counts_t *src);
/* Restart the level from one window (a change point: the episode that
 * moved it is over); overdispersion and season are kept. */
void counts_restart(counts_t *c, const counts_params_t *p, int k, double market, double count, double authors);

/* -log10 P(X >= count) under the prediction (0 for count <= 0). */
double counts_evidence(const counts_pred_t *pr, double count);
/* The smallest count whose evidence reaches log10p (>= 0). */
double counts_quantile(const counts_pred_t *pr, double log10p);
/* log2 of the COUNTS_SCORE_Q lower bound of the rate ratio now / usual. */
double counts_score(const counts_pred_t *pr, double count);
/* The CUSUM increment: log NB(count; shift mu) - log NB(count; mu), nats. */
double counts_llr(const counts_pred_t *pr, double count, double shift);
/* The alarm threshold in nats for a false-alarm rate of `per_year`
 * episodes per series and year, windows of `window_s` seconds. */
double counts_threshold(double per_year, double window_s);

/* A series as doubles, for the state file: counts_packed_len(nphases)
 * doubles into out; unpack returns 0, or -1 when len does not match. */
size_t counts_packed_len(int nphases);
void counts_pack(const counts_t *c, int nphases, double *out);
int counts_unpack(counts_t *c, int nphases, const double *in, size_t len);

/* 1 when c satisfies its invariants; for use inside assert() only. */
int counts_check(const counts_t *c);

#endif
