/*
 * backtest.c — events against later prices; see backtest.h.
 */
#include "backtest.h"
#include "detect.h"

#include "lib/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define BASE_GROUP "(all bars)"

typedef struct btbar {
	int64_t at;
	double close;
	size_t seq; /* order added: the later of two bars for one start wins */
} btbar_t;

typedef struct btentity {
	btbar_t *bars;
	size_t n, cap;
	int has_events;
} btentity_t;

struct backtest {
	int64_t horizons[BACKTEST_MAX_HORIZONS];
	size_t nh;
	detect_names_t names;
	btentity_t *ent;
	size_t entcap;
	size_t seq;
	backtest_detail_t *ev;
	size_t nev, evcap;
	backtest_row_t *rows;
	size_t nrows;
	char **groups;
	size_t ngroups;
};

backtest_t *backtest_new(const int64_t *horizons, size_t nh)
{
	backtest_t *b = xcalloc(1, sizeof *b);

	if (nh > BACKTEST_MAX_HORIZONS)
		nh = BACKTEST_MAX_HORIZONS;
	memcpy(b->horizons, horizons, nh * sizeof *horizons);
	b->nh = nh;
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
	free(b->groups);
	free(b->ent);
	free(b->ev);
	free(b->rows);
	detect_names_free(&b->names);
	free(b);
}

static btentity_t *entity_get(backtest_t *b, const char *name)
{
	int added;
	long i = detect_names_slot(&b->names, name, (void **)&b->ent, &b->entcap, sizeof *b->ent, &added);

	return &b->ent[i];
}

void backtest_add_bar(backtest_t *b, const char *entity, int64_t at, double close)
{
	btentity_t *e = entity_get(b, entity);

	e->bars = xgrow(e->bars, e->n + 1, &e->cap, sizeof *e->bars);
	e->bars[e->n].at = at;
	e->bars[e->n].close = close;
	e->bars[e->n].seq = b->seq++;
	e->n++;
}

void backtest_add_event(backtest_t *b, const char *key, const char *entity, const char *group, int64_t known,
			int direction)
{
	backtest_detail_t *d;

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

static int cmp_bar(const void *pa, const void *pb)
{
	const btbar_t *a = pa, *b = pb;

	if (a->at != b->at)
		return a->at < b->at ? -1 : 1;
	return (a->seq > b->seq) - (a->seq < b->seq);
}

/* Sort by start; of bars with the same start keep the last added. */
static void tidy(btentity_t *e)
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

static int cmp_double(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;

	return (a > b) - (a < b);
}

static void fill_row(backtest_row_t *r, double *rets, size_t n, long events)
{
	double sum = 0;
	long hits = 0;

	r->events = events;
	r->priced = (long)n;
	for (size_t i = 0; i < n; i++) {
		sum += rets[i];
		hits += rets[i] > 0;
	}
	r->hits = hits;
	if (n) {
		qsort(rets, n, sizeof *rets, cmp_double);
		r->hit_rate = (double)hits / (double)n;
		r->mean_return = sum / (double)n;
		r->median_return = n % 2 ? rets[n / 2] : 0.5 * (rets[n / 2 - 1] + rets[n / 2]);
	}
}

static int cmp_str(const void *pa, const void *pb)
{
	return strcmp(*(char *const *)pa, *(char *const *)pb);
}

void backtest_run(backtest_t *b)
{
	detect_names_t seen;
	size_t nbase = 0;
	double *rets;

	for (long i = 0; i < b->names.n; i++) {
		tidy(&b->ent[i]);
		if (b->ent[i].has_events)
			nbase += b->ent[i].n;
	}
	/* Each event's entry and exits. */
	for (size_t i = 0; i < b->nev; i++) {
		backtest_detail_t *d = &b->ev[i];
		const btentity_t *e = &b->ent[detect_names_find(&b->names, d->entity)];
		size_t in = first_at(e, d->known);

		for (size_t h = 0; h < b->nh; h++)
			d->ret[h] = NAN;
		if (in == e->n)
			continue;
		d->entry_at = e->bars[in].at;
		d->entry = e->bars[in].close;
		for (size_t h = 0; h < b->nh; h++) {
			size_t out = first_at(e, d->entry_at + b->horizons[h]);

			if (out < e->n)
				d->ret[h] = d->direction * (e->bars[out].close / d->entry - 1);
		}
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
	b->rows = xcalloc((b->ngroups + 1) * b->nh + 1, sizeof *b->rows);
	rets = xmalloc((b->nev + nbase + 1) * sizeof *rets);
	for (size_t g = 0; g < b->ngroups; g++)
		for (size_t h = 0; h < b->nh; h++) {
			backtest_row_t *r = &b->rows[b->nrows++];
			size_t n = 0;
			long events = 0;

			r->group = b->groups[g];
			r->horizon = b->horizons[h];
			for (size_t i = 0; i < b->nev; i++) {
				if (strcmp(b->ev[i].group, r->group) != 0)
					continue;
				events++;
				if (!isnan(b->ev[i].ret[h]))
					rets[n++] = b->ev[i].ret[h];
			}
			fill_row(r, rets, n, events);
		}
	/* The base rate: every bar of the entities with events, held long. */
	for (size_t h = 0; h < b->nh; h++) {
		backtest_row_t *r = &b->rows[b->nrows++];
		size_t n = 0;
		long bars = 0;

		r->group = BASE_GROUP;
		r->horizon = b->horizons[h];
		for (long i = 0; i < b->names.n; i++) {
			const btentity_t *e = &b->ent[i];

			if (!e->has_events)
				continue;
			for (size_t k = 0; k < e->n; k++) {
				size_t out = first_at(e, e->bars[k].at + b->horizons[h]);

				bars++;
				if (out < e->n)
					rets[n++] = e->bars[out].close / e->bars[k].close - 1;
			}
		}
		fill_row(r, rets, n, bars);
	}
	free(rets);
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
