/*
 * table.c — open windows, the watermark and the order cells leave in; see
 * table.h for the rules. The index is a chained hash table over
 * (entity, length, start); closing scans it, which happens only when the
 * watermark passes the earliest open end (min_end), so the cost is the
 * number of open cells once per closed window boundary, not per post.
 */
#include "agg/table.h"
#include "lib/htime.h"
#include "lib/util.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

struct agg_table {
	agg_cell **bucket;  /* nb chains (nb a power of two) */
	size_t nb;
	size_t n;           /* open cells */
	size_t peak;        /* most open cells at once */
	int64_t lateness;   /* seconds, or AGG_LATENESS_ALL */
	int64_t max_at;     /* largest post time added (INT64_MIN before any) */
	int64_t min_end;    /* <= the end of every open cell (INT64_MAX when none) */
	int keep;           /* cells keep their posts */
};

agg_table *agg_table_new(int64_t lateness, int keep)
{
	agg_table *t = xcalloc(1, sizeof *t);

	t->nb = 64;
	t->bucket = xcalloc(t->nb, sizeof *t->bucket);
	t->lateness = lateness;
	t->max_at = INT64_MIN;
	t->min_end = INT64_MAX;
	t->keep = keep;
	return t;
}

void agg_table_free(agg_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nb; i++) {
		agg_cell *c = t->bucket[i], *next;
		for (; c; c = next) {
			next = c->next;
			agg_cell_free(c);
		}
	}
	free(t->bucket);
	free(t);
}

int64_t agg_table_watermark(const agg_table *t)
{
	if (t->lateness == AGG_LATENESS_ALL || t->max_at == INT64_MIN)
		return INT64_MIN;
	if (t->max_at < INT64_MIN + t->lateness)
		return INT64_MIN;
	return t->max_at - t->lateness;
}

size_t agg_table_open(const agg_table *t)
{
	return t->n;
}

size_t agg_table_peak(const agg_table *t)
{
	return t->peak;
}

/* ------------------------------------------------------------ the index */

static uint64_t key_hash(uint64_t entity_hash, int64_t len, int64_t start)
{
	uint64_t h = entity_hash ^ ((uint64_t)len * 0x9e3779b97f4a7c15ULL) ^ ((uint64_t)start * 0xc2b2ae3d27d4eb4fULL);

	/* splitmix64's finalizer: every input bit reaches the low bits */
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	return h ^ (h >> 31);
}

static void grow(agg_table *t)
{
	size_t nb = 2 * t->nb;
	agg_cell **b = xcalloc(nb, sizeof *b);

	for (size_t i = 0; i < t->nb; i++) {
		agg_cell *c = t->bucket[i], *next;
		for (; c; c = next) {
			next = c->next;
			c->next = b[c->key_hash & (nb - 1)];
			b[c->key_hash & (nb - 1)] = c;
		}
	}
	free(t->bucket);
	t->bucket = b;
	t->nb = nb;
}

static void insert(agg_table *t, agg_cell *c)
{
	if (t->n >= t->nb)
		grow(t);
	c->next = t->bucket[c->key_hash & (t->nb - 1)];
	t->bucket[c->key_hash & (t->nb - 1)] = c;
	t->n++;
	if (t->n > t->peak)
		t->peak = t->n;
	if (c->start + c->len < t->min_end)
		t->min_end = c->start + c->len;
}

static agg_cell *find(const agg_table *t, uint64_t h, const char *entity, int64_t len, int64_t start)
{
	agg_cell *c = t->bucket[h & (t->nb - 1)];

	for (; c; c = c->next)
		if (c->key_hash == h && c->len == len && c->start == start && strcmp(c->entity, entity) == 0)
			return c;
	return NULL;
}

/* ------------------------------------------------------------ adding */

int agg_table_is_late(const agg_table *t, int64_t at, const int64_t *lens, size_t nlens)
{
	int64_t w = agg_table_watermark(t);

	for (size_t i = 0; i < nlens; i++)
		if (htime_floor(at, lens[i]) + lens[i] <= w)
			return 1;
	return 0;
}

size_t agg_table_add(agg_table *t, int64_t at, const char *const *entities, size_t nent, const int64_t *lens,
		     size_t nlens, const agg_contrib *k)
{
	size_t held = 0;

	for (size_t e = 0; e < nent; e++) {
		uint64_t eh = strset_hash(entities[e], strlen(entities[e]));
		for (size_t i = 0; i < nlens; i++) {
			int64_t start = htime_floor(at, lens[i]);
			uint64_t h = key_hash(eh, lens[i], start);
			agg_cell *c = find(t, h, entities[e], lens[i], start);
			if (!c) {
				c = agg_cell_new(entities[e], lens[i], start);
				if (!t->keep)
					agg_cell_drop_posts(c);
				c->key_hash = h;
				insert(t, c);
			}
			held += !agg_cell_add(c, k);
		}
	}
	if (at > t->max_at)
		t->max_at = at;
	return held;
}

size_t agg_table_merge(agg_table *t, agg_cell *c)
{
	uint64_t h = key_hash(strset_hash(c->entity, strlen(c->entity)), c->len, c->start);
	agg_cell *have = find(t, h, c->entity, c->len, c->start);
	size_t held;

	if (have) {
		held = agg_cell_merge(have, c);
		agg_cell_free(c);
		return held;
	}
	if (!t->keep)
		agg_cell_drop_posts(c);
	c->key_hash = h;
	insert(t, c);
	return 0;
}

/* ------------------------------------------------------------ closing */

static int cmp_emit(const void *a, const void *b)
{
	const agg_cell *x = *(agg_cell *const *)a, *y = *(agg_cell *const *)b;
	int64_t ex = x->start + x->len, ey = y->start + y->len;

	if (ex != ey)
		return ex < ey ? -1 : 1;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return strcmp(x->entity, y->entity);
}

size_t agg_table_flush(agg_table *t, int all, agg_emit_fn emit, void *arg)
{
	int64_t w = agg_table_watermark(t);
	agg_cell **out;
	size_t nout = 0;

	if (t->n == 0 || (!all && w < t->min_end))
		return 0;
	out = xmalloc(t->n * sizeof *out);
	t->min_end = INT64_MAX;
	for (size_t i = 0; i < t->nb; i++) {
		agg_cell **pp = &t->bucket[i];
		while (*pp) {
			agg_cell *c = *pp;
			int64_t end = c->start + c->len;
			if (all || end <= w) {
				*pp = c->next;
				out[nout++] = c;
				continue;
			}
			if (end < t->min_end)
				t->min_end = end;
			pp = &c->next;
		}
	}
	t->n -= nout;
	qsort(out, nout, sizeof *out, cmp_emit);
	for (size_t i = 0; i < nout; i++) {
		assert(agg_cell_check(out[i]));
		emit(out[i], arg);
		agg_cell_free(out[i]);
	}
	free(out);
	assert(agg_table_check(t));
	return nout;
}

/* ------------------------------------------------------------ invariants */

int agg_table_check(const agg_table *t)
{
	size_t count = 0;

	if (!t || !t->bucket || (t->nb & (t->nb - 1)) != 0 || t->peak < t->n)
		return 0;
	for (size_t i = 0; i < t->nb; i++) {
		for (const agg_cell *c = t->bucket[i]; c; c = c->next) {
			int64_t end = c->start + c->len;
			uint64_t h = key_hash(strset_hash(c->entity, strlen(c->entity)), c->len, c->start);
			if ((c->key_hash & (t->nb - 1)) != i || c->key_hash != h)
				return 0;
			if (!c->entity || end < t->min_end)
				return 0;
			count++;
		}
	}
	return count == t->n;
}
