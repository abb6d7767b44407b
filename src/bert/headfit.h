/*
 * headfit.h — fitting a classifier head (head.h) on a frozen encoder's
 * pooled features: herd-train without --finetune. The features are
 * standardized on the training rows; a linear softmax or a one-hidden-layer
 * ReLU MLP is fitted by Adam (minibatches of 64) with an L2 penalty and
 * optional class weights, early-stopping on the validation rows' loss
 * and keeping the best epoch; --ensemble members (each its own draws)
 * are merged into one wider head whose logits are their mean; the
 * standardization is folded into the first layer, so the head reads raw
 * features. Single-threaded and reproducible bit for bit from the rng
 * state given. No I/O.
 */
#ifndef HERD_BERT_HEADFIT_H
#define HERD_BERT_HEADFIT_H

#include "bert/head.h"

#include <stddef.h>
#include <stdint.h>

struct bert_headfit_opts {
	int K, hidden, ensemble, epochs, patience;
	double l2, lr;
	const double *class_weight; /* (K) */
	uint64_t *rng;              /* splitmix64 state (bert_rng_*), advanced */
	void (*on_member)(int member, int members, int epochs, double vloss, void *arg);
	void *arg;
};

/* Fit on X (n, D) raw features with labels y (n), is_val[i] marking the
 * validation rows. Fills h's D, H, K and w1, b1, w2, b2 (malloc'd; free
 * with bert_head_release); the caller sets feat, labels and encoder.
 * Returns the epochs run in all; *vloss is the validation loss. */
int bert_headfit(const float *X, size_t n, int D, const int *y, const int *is_val, const struct bert_headfit_opts *o,
		 struct bert_head *h, double *vloss);

/* The randomness herd-train and the fitter share: splitmix64. */
uint64_t bert_rng_next(uint64_t *s);
double bert_rng_normal(uint64_t *s);
void bert_rng_shuffle(size_t *idx, size_t n, uint64_t *s);

#endif
