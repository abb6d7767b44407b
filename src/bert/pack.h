/*
 * pack.h — the batching every caller of the BERT engine does: order
 * sequences by length (shortest first, ties in input order, so a batch's
 * sequences are alike and none waits on a long one) and hand out
 * batches of that order, each as the (ids, lens) arrays bert_run takes.
 * window.c (herd-score's windows, herd-train's features: tokenize, then
 * this order and these batches) and tests/kernels/bert_driver.c (ids
 * read from a file) use it.
 */
#ifndef HERD_BERT_PACK_H
#define HERD_BERT_PACK_H

#include <stddef.h>
#include <stdint.h>

/* order (n) = 0..n-1 sorted by lens ascending, ties by index. */
void bert_order_by_length(const int *lens, size_t n, size_t *order);
/* The batch of up to batch sequences starting at order[i0]: bids[b] and
 * blens[b] point at / copy sequence order[i0 + b]. Returns its size B
 * (0 when i0 >= n). */
int bert_batch_at(const int32_t *const *ids, const int *lens, const size_t *order, size_t n, size_t i0, int batch,
		  const int32_t **bids, int *blens);

#endif
