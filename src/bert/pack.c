/*
 * pack.c — sequences ordered by length and cut into batches (pack.h).
 */
#include "bert/pack.h"

#include <stdlib.h>

struct key {
	int len;
	size_t i;
};

static int by_len(const void *a, const void *b)
{
	const struct key *x = a, *y = b;
	return x->len != y->len ? (x->len < y->len ? -1 : 1) : (x->i < y->i ? -1 : x->i > y->i);
}

void bert_order_by_length(const int *lens, size_t n, size_t *order)
{
	struct key *k = malloc(sizeof *k * (n ? n : 1));
	if (!k) { /* keep input order: still correct, only slower */
		for (size_t i = 0; i < n; i++)
			order[i] = i;
		return;
	}
	for (size_t i = 0; i < n; i++)
		k[i] = (struct key){lens[i], i};
	qsort(k, n, sizeof *k, by_len);
	for (size_t i = 0; i < n; i++)
		order[i] = k[i].i;
	free(k);
}

int bert_batch_at(const int32_t *const *ids, const int *lens, const size_t *order, size_t n, size_t i0, int batch,
		  const int32_t **bids, int *blens)
{
	if (i0 >= n)
		return 0;
	int B = n - i0 < (size_t)batch ? (int)(n - i0) : batch;
	for (int b = 0; b < B; b++) {
		bids[b] = ids[order[i0 + (size_t)b]];
		blens[b] = lens[order[i0 + (size_t)b]];
	}
	return B;
}
