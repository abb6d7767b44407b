/*
 * backtest.c — events against later prices; see backtest.h for the timing
 * rules. Sections: bars and their price moments, events, the benchmark,
 * the bootstrap, the rows.
 */
#include "backtest.h"
#include "detect.h"

#include "lib/htime.h"
#include "lib/tzone.h"
#include "lib/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DAY 86400
/* The interval's two tails: 95%. */
#define CI_TAIL 0.025

typedef struct btbar {
	int64_t at, iv;
	double open, close; /* open 0: none */
	int64_t t_open, t_close; /* when each price was there to trade at */
	size_t seq;              /* order added: the later of two bars for one start wins */
} btbar_t;

typedef struct btentity {
	btbar_t *bars;
	size_t n, cap;
	int has_events;
} btentity_t;

/* A priced return for the rows: its entry day, the return, the excess. */
typedef struct sample {
	int64_t day;
	double ret, excess; /* excess NAN: the benchmark had no prices */
} sample_t;

/* Memo of basket returns: (from, to) -> return. Open addressing. */
typedef struct memo {
	int64_t *k1, *k2;
	double *v;
	size_t cap, n;
} memo_t;

struct backtest {
	backtest_opts_t o;
	detect_names_t names;
	btentity_t *ent;
	size_t entcap;
	size_t seq;
	long bench; /* entity index of a named benchmark, or -1 */
	memo_t memo;
	backtest_detail_t *ev;
	size_t nev, evcap;
	backtest_row_t *rows;
	size_t nrows;
	char **groups;
	size_t ngroups;
};

void backtest_opts_default(backtest_opts_t *o)
{
	memset(o, 0, sizeof *o);
	o->horizons[0] = DAY;
	o->horizons[1] = 3 * DAY;
	o->horizons[2] = 5 * DAY;
	o->nh = 3;
	o->session = 1;
	o->session_open = 9 * 3600 + 30 * 60;
	o->session_close = 16 * 3600;
	o->bootstrap = 1000;
	o->seed = 1;
}

backtest_t *backtest_new(const backtest_opts_t *o)
{
	backtest_t *b = xcalloc(1, sizeof *b);

	b->o = *o;
	if (b->o.nh > BACKTEST_MAX_HORIZONS)
		b->o.nh = BACKTEST_MAX_HORIZONS;
	b->bench = -1;
	detect_names_init(&b->names);
	return b;
}

void backtest_free(backtest_t *b)
{
	if (!b)
		return;
	for (long i = 0; i < b->names.n; i++)
		free(b->ent[i].bars);
	for (size_t i = 0; i < b->nev; i++) {
		free((char *)b->ev[i].key);
		free((char *)b->ev[i].entity);
		free((char *)b->ev[i].group);
	}
	for (size_t i = 0; i < b->ngroups; i++)
		free(b->groups[i]);
	free(b->memo.k1);
	free(b->memo.k2);
	free(b->memo.v);
	free(b->groups);
	free(b->ent);
	free(b->ev);
	free(b->rows);
	detect_names_free(&b->names);
	free(b);
}

/* ------------------------------------------------------------------ bars */

static btentity_t *entity_get(backtest_t *b, const char *name)
{
	int added;
	long i = detect_names_slot(&b->names, name, (void **)&b->ent, &b->entcap, sizeof *b->ent, &added);

	return &b->ent[i];
}

void backtest_add_bar(backtest_t *b, const char *entity, int64_t at, int64_t interval, double open, double close)
{
	btentity_t *e = entity_get(b, entity);
	btbar_t *r;

	e->bars = xgrow(e->bars, e->n + 1, &e->cap, sizeof *e->bars);
	r = &e->bars[e->n++];
	memset(r, 0, sizeof *r);
	r->at = at;
	r->iv = interval;
	r->open = open > 0 ? open : 0;
	r->close = close;
	r->seq = b->seq++;
}

static int cmp_bar(const void *pa, const void *pb)
{
	const btbar_t *a = pa, *b = pb;

	if (a->at != b->at)
		return a->at < b->at ? -1 : 1;
	return (a->seq > b->seq) - (a->seq < b->seq);
}

/* When a bar's open and close were there: a daily bar is its date's
 * session (when sessions are on); any other bar is the period it says. */
static void price_times(const backtest_opts_t *o, btbar_t *r)
{
	if (o->session && (r->iv == 0 || r->iv == DAY)) {
		int64_t midnight = htime_floor(r->at, DAY);

		r->t_open = tzone_to_utc(midnight + o->session_open);
		r->t_close = tzone_to_utc(midnight + o->session_close);
	} else {
		r->t_open = r->at;
		r->t_close = r->at + (r->iv > 0 ? r->iv : DAY);
	}
}

/* Sort by start; of bars with the same start keep the last added; time
 * their prices. */
static void tidy(const backtest_opts_t *o, btentity_t *e)
{
	size_t k = 0;

	if (e->n)
		qsort(e->bars, e->n, sizeof *e->bars, cmp_bar);
	for (size_t i = 0; i < e->n; i++) {
		if (k && e->bars[k - 1].at == e->bars[i].at)
			k--;
		e->bars[k++] = e->bars[i];
	}
	e->n = k;
	for (size_t i = 0; i < e->n; i++)
		price_times(o, &e->bars[i]);
}

/* Index of the first bar starting at or after t, or e->n. */
static size_t first_at(const btentity_t *e, int64_t t)
{
	size_t lo = 0, hi = e->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (e->bars[mid].at < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Index of the first bar whose close comes after t, or e->n. Closes are in
 * the order of the bars. */
static size_t first_close_after(const btentity_t *e, int64_t t)
{
	size_t lo = 0, hi = e->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (e->bars[mid].t_close <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The first price strictly after t: bar *k's open (*is_open) or close.
 * 0, or -1 when there is none. */
static int entry_after(const btentity_t *e, int64_t t, size_t *k, int *is_open)
{
	size_t i = first_close_after(e, t);

	if (i == e->n)
		return -1;
	*k = i;
	*is_open = e->bars[i].open > 0 && e->bars[i].t_open > t;
	return 0;
}

/* The price of e at exactly moment t (an open or a close), or 0. */
static double price_at(const btentity_t *e, int64_t t)
{
	size_t i = first_close_after(e, t - 1); /* first close at or after t */

	if (i == e->n)
		return 0;
	if (e->bars[i].t_close == t)
		return e->bars[i].close;
	if (e->bars[i].t_open == t && e->bars[i].open > 0)
		return e->bars[i].open;
	return 0;
}

/* ------------------------------------------------------------------ the benchmark */

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static size_t memo_slot(const memo_t *m, int64_t t1, int64_t t2)
{
	size_t i = (size_t)(mix64((uint64_t)t1 * 31 + (uint64_t)t2) & (m->cap - 1));

	while (m->v && !isnan(m->v[i]) && (m->k1[i] != t1 || m->k2[i] != t2))
		i = (i + 1) & (m->cap - 1);
	return i;
}

static void memo_grow(memo_t *m)
{
	memo_t old = *m;

	m->cap = old.cap ? old.cap * 2 : 1024;
	m->n = 0;
	m->k1 = xmalloc(m->cap * sizeof *m->k1);
	m->k2 = xmalloc(m->cap * sizeof *m->k2);
	m->v = xmalloc(m->cap * sizeof *m->v);
	for (size_t i = 0; i < m->cap; i++)
		m->v[i] = NAN;
	for (size_t i = 0; i < old.cap; i++)
		if (!isnan(old.v[i])) {
			size_t s = memo_slot(m, old.k1[i], old.k2[i]);

			m->k1[s] = old.k1[i];
			m->k2[s] = old.k2[i];
			m->v[s] = old.v[i];
			m->n++;
		}
	free(old.k1);
	free(old.k2);
	free(old.v);
}

/* The equal-weight basket's return from moment t1 to t2: the mean over
 * every entity with a price at both. NAN when none has. Entities with no
 * return are left out, not counted as 0. (Memoized: a day's base rows all
 * ask for the same pair.) The memo stores NAN as "empty", so a pair whose
 * answer is NAN is stored as a sentinel and translated back. */
#define MEMO_NONE 1e300
static double basket_return(backtest_t *b, int64_t t1, int64_t t2)
{
	size_t s;
	double sum = 0;
	long n = 0;

	if (b->memo.n * 2 >= b->memo.cap)
		memo_grow(&b->memo);
	s = memo_slot(&b->memo, t1, t2);
	if (!isnan(b->memo.v[s]))
		return b->memo.v[s] == MEMO_NONE ? NAN : b->memo.v[s];
	for (long i = 0; i < b->names.n; i++) {
		double p1 = price_at(&b->ent[i], t1), p2 = p1 > 0 ? price_at(&b->ent[i], t2) : 0;

		if (p1 > 0 && p2 > 0) {
			sum += p2 / p1 - 1;
			n++;
		}
	}
	b->memo.k1[s] = t1;
	b->memo.k2[s] = t2;
	b->memo.v[s] = n ? sum / (double)n : MEMO_NONE;
	b->memo.n++;
	return n ? sum / (double)n : NAN;
}

/* The benchmark's return from t1 to t2, or NAN (none asked, or no prices). */
static double bench_return(backtest_t *b, int64_t t1, int64_t t2)
{
	double p1, p2;

	if (!b->o.benchmark)
		return NAN;
	if (b->bench < 0)
		return basket_return(b, t1, t2);
	p1 = price_at(&b->ent[b->bench], t1);
	p2 = p1 > 0 ? price_at(&b->ent[b->bench], t2) : 0;
	return p1 > 0 && p2 > 0 ? p2 / p1 - 1 : NAN;
}

/* ------------------------------------------------------------------ events */

void backtest_add_event(backtest_t *b, const char *key, const char *entity, const char *group, int64_t known,
			int direction)
{
	backtest_detail_t *d;

	if ((b->o.from && known < b->o.from) || (b->o.to && known >= b->o.to))
		return;
	b->ev = xgrow(b->ev, b->nev + 1, &b->evcap, sizeof *b->ev);
	d = &b->ev[b->nev++];
	memset(d, 0, sizeof *d);
	d->key = xstrdup(key);
	d->entity = xstrdup(entity);
	d->group = xstrdup(group);
	d->known = known;
	d->direction = direction < 0 ? -1 : 1;
	entity_get(b, entity)->has_events = 1;
}

/* Enter, and exit at each horizon. */
static void price_event(backtest_t *b, backtest_detail_t *d)
{
	const btentity_t *e = &b->ent[detect_names_find(&b->names, d->entity)];
	size_t in;
	int is_open;

	for (size_t h = 0; h < b->o.nh; h++)
		d->ret[h] = d->excess[h] = NAN;
	if (entry_after(e, d->known, &in, &is_open) < 0)
		return;
	d->entry_is_open = is_open;
	d->entry_at = is_open ? e->bars[in].t_open : e->bars[in].t_close;
	d->entry = is_open ? e->bars[in].open : e->bars[in].close;
	for (size_t h = 0; h < b->o.nh; h++) {
		size_t out = first_at(e, e->bars[in].at + b->o.horizons[h]);
		double px, r, rb;

		if (out == e->n || (is_open && e->bars[out].open <= 0))
			continue;
		px = is_open ? e->bars[out].open : e->bars[out].close;
		d->exit_at[h] = is_open ? e->bars[out].t_open : e->bars[out].t_close;
		r = px / d->entry - 1;
		d->ret[h] = d->direction * r - b->o.cost;
		rb = bench_return(b, d->entry_at, d->exit_at[h]);
		if (!isnan(rb))
			d->excess[h] = d->direction * (r - rb) - b->o.cost;
	}
}

/* ------------------------------------------------------------------ the bootstrap */

/* One day's sums. */
typedef struct daysum {
	long n, hits, nexc;
	double ret, exc;
} daysum_t;

static int cmp_sample_day(const void *pa, const void *pb)
{
	const sample_t *a = pa, *b = pb;

	return (a->day > b->day) - (a->day < b->day);
}

static int cmp_double(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;

	return (a > b) - (a < b);
}

/* The p-quantile of sorted v[0..n) (linear between order statistics). */
static double quantile(const double *v, size_t n, double p)
{
	double x = p * (double)(n - 1);
	size_t i = (size_t)x;

	if (i + 1 >= n)
		return v[n - 1];
	return v[i] + (x - (double)i) * (v[i + 1] - v[i]);
}

static void ci_from(double *v, size_t n, backtest_ci_t *ci)
{
	if (n < 2) {
		ci->lo = ci->hi = NAN;
		return;
	}
	qsort(v, n, sizeof *v, cmp_double);
	ci->lo = quantile(v, n, CI_TAIL);
	ci->hi = quantile(v, n, 1 - CI_TAIL);
}

static uint64_t seed_of(const backtest_opts_t *o, const char *group, int64_t horizon)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	for (const char *p = group; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	return mix64(o->seed ^ h ^ mix64((uint64_t)horizon));
}

/*
 * Percentile intervals of the hit rate, the mean and the mean excess by
 * resampling days: samples of one day move together (events and the base
 * rows of one day share the market's move), so the day is the unit drawn,
 * with replacement, as many days as there are. s is sorted by day here.
 */
static void bootstrap(const backtest_opts_t *o, sample_t *s, size_t n, backtest_row_t *r)
{
	daysum_t *d;
	double *hit, *mean, *exc;
	size_t nd = 0, nexc = 0;
	uint64_t state;

	r->hit_ci.lo = r->hit_ci.hi = r->mean_ci.lo = r->mean_ci.hi = NAN;
	r->excess_ci.lo = r->excess_ci.hi = NAN;
	if (!n)
		return;
	qsort(s, n, sizeof *s, cmp_sample_day);
	d = xcalloc(n, sizeof *d);
	for (size_t i = 0; i < n; i++) {
		if (i == 0 || s[i].day != s[i - 1].day)
			nd++;
		d[nd - 1].n++;
		d[nd - 1].ret += s[i].ret;
		d[nd - 1].hits += s[i].ret > 0;
		if (!isnan(s[i].excess)) {
			d[nd - 1].nexc++;
			d[nd - 1].exc += s[i].excess;
		}
	}
	r->days = (long)nd;
	if (o->bootstrap <= 0) {
		free(d);
		return;
	}
	hit = xmalloc((size_t)o->bootstrap * sizeof *hit);
	mean = xmalloc((size_t)o->bootstrap * sizeof *mean);
	exc = xmalloc((size_t)o->bootstrap * sizeof *exc);
	state = seed_of(o, r->group, r->horizon);
	for (long k = 0; k < o->bootstrap; k++) {
		long cnt = 0, hits = 0, ce = 0;
		double sum = 0, se = 0;

		for (size_t j = 0; j < nd; j++) {
			const daysum_t *x;

			state += 0x9e3779b97f4a7c15ULL; /* splitmix64 */
			x = &d[mix64(state) % nd];
			cnt += x->n;
			hits += x->hits;
			sum += x->ret;
			ce += x->nexc;
			se += x->exc;
		}
		hit[k] = (double)hits / (double)cnt;
		mean[k] = sum / (double)cnt;
		if (ce)
			exc[nexc++] = se / (double)ce;
	}
	ci_from(hit, (size_t)o->bootstrap, &r->hit_ci);
	ci_from(mean, (size_t)o->bootstrap, &r->mean_ci);
	if (o->benchmark)
		ci_from(exc, nexc, &r->excess_ci);
	free(hit);
	free(mean);
	free(exc);
	free(d);
}

/* ------------------------------------------------------------------ the rows */

static void fill_row(const backtest_opts_t *o, backtest_row_t *r, sample_t *s, size_t n, long events)
{
	double sum = 0, esum = 0, *rets;
	long hits = 0, ne = 0;

	r->events = events;
	r->priced = (long)n;
	r->excess_return = NAN;
	for (size_t i = 0; i < n; i++) {
		sum += s[i].ret;
		hits += s[i].ret > 0;
		if (!isnan(s[i].excess)) {
			esum += s[i].excess;
			ne++;
		}
	}
	r->hits = hits;
	r->bench_priced = ne;
	if (ne)
		r->excess_return = esum / (double)ne;
	if (n) {
		rets = xmalloc(n * sizeof *rets);
		for (size_t i = 0; i < n; i++)
			rets[i] = s[i].ret;
		qsort(rets, n, sizeof *rets, cmp_double);
		r->hit_rate = (double)hits / (double)n;
		r->mean_return = sum / (double)n;
		r->median_return = n % 2 ? rets[n / 2] : 0.5 * (rets[n / 2 - 1] + rets[n / 2]);
		free(rets);
	}
	bootstrap(o, s, n, r);
}

static int cmp_str(const void *pa, const void *pb)
{
	return strcmp(*(char *const *)pa, *(char *const *)pb);
}

static int64_t day_of(int64_t t)
{
	return htime_floor(t, DAY) / DAY;
}

/* The base rate: every bar of the entities with events whose close is in
 * [from, to), held from close to close, long (dir 1) or short (-1); the
 * market's own moves, so without cost. */
static void base_rows(backtest_t *b, int dir, sample_t *s)
{
	for (size_t h = 0; h < b->o.nh; h++) {
		backtest_row_t *r = &b->rows[b->nrows++];
		size_t n = 0;
		long bars = 0;

		r->group = dir > 0 ? BACKTEST_BASE_LONG : BACKTEST_BASE_SHORT;
		r->horizon = b->o.horizons[h];
		for (long i = 0; i < b->names.n; i++) {
			const btentity_t *e = &b->ent[i];

			if (!e->has_events)
				continue;
			for (size_t k = 0; k < e->n; k++) {
				const btbar_t *in = &e->bars[k];
				size_t out;
				double ret, rb;

				if ((b->o.from && in->t_close < b->o.from) || (b->o.to && in->t_close >= b->o.to))
					continue;
				bars++;
				out = first_at(e, in->at + b->o.horizons[h]);
				if (out == e->n)
					continue;
				ret = e->bars[out].close / in->close - 1;
				rb = bench_return(b, in->t_close, e->bars[out].t_close);
				s[n].day = day_of(in->t_close);
				s[n].ret = dir * ret;
				s[n].excess = isnan(rb) ? NAN : dir * (ret - rb);
				n++;
			}
		}
		fill_row(&b->o, r, s, n, bars);
	}
}

int backtest_run(backtest_t *b)
{
	detect_names_t seen;
	size_t nbase = 0;
	sample_t *s;
	int shorts = 0;

	for (long i = 0; i < b->names.n; i++) {
		tidy(&b->o, &b->ent[i]);
		if (b->ent[i].has_events)
			nbase += b->ent[i].n;
	}
	if (b->o.benchmark && strcmp(b->o.benchmark, BACKTEST_BASKET) != 0) {
		b->bench = detect_names_find(&b->names, b->o.benchmark);
		if (b->bench < 0 || !b->ent[b->bench].n)
			return -1;
	}
	for (size_t i = 0; i < b->nev; i++) {
		price_event(b, &b->ev[i]);
		shorts |= b->ev[i].direction < 0;
	}
	/* Groups, sorted. */
	detect_names_init(&seen);
	for (size_t i = 0; i < b->nev; i++) {
		int added;

		detect_names_add(&seen, b->ev[i].group, &added);
		if (added) {
			b->groups = xrealloc(b->groups, (b->ngroups + 1) * sizeof *b->groups);
			b->groups[b->ngroups++] = xstrdup(b->ev[i].group);
		}
	}
	detect_names_free(&seen);
	if (b->ngroups)
		qsort(b->groups, b->ngroups, sizeof *b->groups, cmp_str);
	b->rows = xcalloc((b->ngroups + 2) * b->o.nh + 1, sizeof *b->rows);
	s = xmalloc((b->nev + nbase + 1) * sizeof *s);
	for (size_t g = 0; g < b->ngroups; g++)
		for (size_t h = 0; h < b->o.nh; h++) {
			backtest_row_t *r = &b->rows[b->nrows++];
			size_t n = 0;
			long events = 0;

			r->group = b->groups[g];
			r->horizon = b->o.horizons[h];
			for (size_t i = 0; i < b->nev; i++) {
				const backtest_detail_t *d = &b->ev[i];

				if (strcmp(d->group, r->group) != 0)
					continue;
				events++;
				if (isnan(d->ret[h]))
					continue;
				s[n].day = day_of(d->entry_at);
				s[n].ret = d->ret[h];
				s[n].excess = d->excess[h];
				n++;
			}
			fill_row(&b->o, r, s, n, events);
		}
	base_rows(b, 1, s);
	if (shorts)
		base_rows(b, -1, s);
	free(s);
	return 0;
}

size_t backtest_rows(const backtest_t *b, const backtest_row_t **rows)
{
	*rows = b->rows;
	return b->nrows;
}

size_t backtest_details(const backtest_t *b, const backtest_detail_t **details)
{
	*details = b->ev;
	return b->nev;
}
