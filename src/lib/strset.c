/*
 * strset.c — the hash set of strings; see strset.h. Linear probing over a
 * power-of-two table that doubles when it would pass half full. A slot
 * holds the key's pointer and its 64-bit hash side by side, and the hash
 * is compared first, so a probe past another key costs one cache line and
 * rarely touches that key's bytes.
 */
#include "lib/strset.h"
#include "lib/util.h"

#include <stdlib.h>
#include <string.h>

/* Grow when n would pass cap · MAX_LOAD_NUM / MAX_LOAD_DEN. Half full at
 * most: the entity extractor looks up every word and most are not in its
 * dictionary, and a miss probes until an empty slot; at 3/4, herd-normalize
 * --entities recall took 2% more CPU on the WSB comments than at 1/2. */
#define MAX_LOAD_NUM 1
#define MAX_LOAD_DEN 2
#define FIRST_CAP 8

/* The first slot to probe: FNV's low bits depend on the low bits of every
 * step only, so fold the high half in before masking. */
static size_t home(uint64_t h, size_t cap)
{
	return (size_t)(h ^ (h >> 32)) & (cap - 1);
}

static int same(const strset *s, size_t i, const char *key, size_t n, uint64_t h)
{
	const strset_slot *sl = &s->slot[i];

	return sl->hash == h && strncmp(sl->key, key, n) == 0 && sl->key[n] == '\0';
}

/* The slot of key, or of the empty slot where it would go. */
static size_t slot(const strset *s, const char *key, size_t n, uint64_t h)
{
	size_t i = home(h, s->cap);

	while (s->slot[i].key && !same(s, i, key, n, h))
		i = (i + 1) & (s->cap - 1);
	return i;
}

static void grow(strset *s)
{
	size_t cap = s->cap ? 2 * s->cap : FIRST_CAP;
	strset_slot *slot = xcalloc(cap, sizeof *slot);
	int64_t *val = s->val ? xmalloc(cap * sizeof *val) : NULL;

	for (size_t i = 0; i < s->cap; i++) {
		size_t j;
		if (!s->slot[i].key)
			continue;
		for (j = home(s->slot[i].hash, cap); slot[j].key; j = (j + 1) & (cap - 1))
			;
		slot[j] = s->slot[i];
		if (val)
			val[j] = s->val[i];
	}
	free(s->slot);
	free(s->val);
	s->slot = slot;
	s->val = val;
	s->cap = cap;
}

/* The slot of key, added (value 0) when absent. */
static size_t add(strset *s, const char *key, size_t n, uint64_t h, int *added)
{
	size_t i;

	if ((s->n + 1) * MAX_LOAD_DEN > s->cap * MAX_LOAD_NUM)
		grow(s);
	i = slot(s, key, n, h);
	if (added)
		*added = !s->slot[i].key;
	if (!s->slot[i].key) {
		s->slot[i].key = xstrndup(key, n);
		s->slot[i].hash = h;
		if (s->val)
			s->val[i] = 0;
		s->n++;
	}
	return i;
}

const char *strset_add(strset *s, const char *key, size_t n, uint64_t h, int *added)
{
	size_t i = add(s, key, n, h, added); /* add may move s->slot */

	return s->slot[i].key;
}

int strset_get(const strset *s, const char *key, size_t n, uint64_t h, int64_t *val)
{
	size_t i;

	if (s->n == 0)
		return 0;
	i = slot(s, key, n, h);
	if (!s->slot[i].key)
		return 0;
	if (val)
		*val = s->val ? s->val[i] : 0;
	return 1;
}

int64_t *strset_at(strset *s, const char *key, size_t n, uint64_t h, int64_t init)
{
	int added;
	size_t i;

	if (!s->val && s->cap) /* the first value: every key so far has 0 */
		s->val = xcalloc(s->cap, sizeof *s->val);
	i = add(s, key, n, h, &added);
	if (!s->val) /* the first slots were made just now, by add */
		s->val = xcalloc(s->cap, sizeof *s->val);
	if (added)
		s->val[i] = init;
	return &s->val[i];
}

void strset_free(strset *s)
{
	for (size_t i = 0; i < s->cap; i++)
		free(s->slot[i].key);
	free(s->slot);
	free(s->val);
	memset(s, 0, sizeof *s);
}

int strset_check(const strset *s)
{
	size_t seen = 0;

	if (s->cap == 0)
		return s->n == 0 && !s->slot && !s->val;
	if ((s->cap & (s->cap - 1)) != 0 || s->n * MAX_LOAD_DEN > s->cap * MAX_LOAD_NUM)
		return 0;
	for (size_t i = 0; i < s->cap; i++) {
		size_t n;
		const strset_slot *sl = &s->slot[i];
		if (!sl->key)
			continue;
		n = strlen(sl->key);
		if (sl->hash != strset_hash(sl->key, n) || slot(s, sl->key, n, sl->hash) != i)
			return 0;
		seen++;
	}
	return seen == s->n;
}
