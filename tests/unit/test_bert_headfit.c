/*
 * test_bert_headfit.c — the head fitter (src/bert/headfit.c) on made-up
 * features: three Gaussian classes it must separate on held-out rows;
 * the standardization folded into the head (features scaled and shifted
 * give the same logits on the shifted features); ensembles; the same rng
 * state gives the same head, bit for bit.
 */
#include "bert/headfit.h"
#include "test.h"

#include <stdlib.h>

#define NX 600
#define DX 8
#define KX 3

/* Logits: the folded head on raw features vs another; relative to the
 * logits' scale. Standardizing X or 3X+5 is the same up to fp32 rounding
 * of mean and deviation (1e-6 relative) times the weights' growth. */
#define FOLD_RTOL 1e-3

static float X[NX * DX], X2[NX * DX];
static int y[NX], val[NX];

static void make_data(void)
{
	uint64_t s = 11;
	for (int i = 0; i < NX; i++) {
		y[i] = i % KX;
		val[i] = i % 5 == 0;
		for (int j = 0; j < DX; j++) {
			double centre = j == y[i] ? 2.0 : j == y[i] + KX ? -1.0 : 0.0;
			X[i * DX + j] = (float)(centre + 0.7 * bert_rng_normal(&s));
			X2[i * DX + j] = 3.0f * X[i * DX + j] + 5.0f;
		}
	}
}

static double val_accuracy(const struct bert_head *h, const float *x)
{
	int right = 0, n = 0;
	float lg[KX];
	for (int i = 0; i < NX; i++) {
		if (!val[i])
			continue;
		bert_head_forward(h, 1, x + i * DX, lg);
		int p = 0;
		for (int k = 1; k < KX; k++)
			p = lg[k] > lg[p] ? k : p;
		right += p == y[i], n++;
	}
	return (double)right / n;
}

static void fit(int hidden, int ensemble, const float *x, uint64_t seed, struct bert_head *h, double *vloss)
{
	uint64_t rng = seed;
	double cw[KX] = {1, 1, 1};
	struct bert_headfit_opts o = {.K = KX, .hidden = hidden, .ensemble = ensemble, .epochs = 60, .patience = 10,
				      .l2 = 1e-4, .lr = 1e-2, .class_weight = cw, .rng = &rng};
	memset(h, 0, sizeof *h);
	int epochs = bert_headfit(x, NX, DX, y, val, &o, h, vloss);
	CHECK(epochs >= 1, "hidden %d x %d: ran %d epochs", hidden, ensemble, epochs);
}

int main(void)
{
	make_data();
	for (int hidden = 0; hidden <= 16; hidden += 16) {
		struct bert_head a, b, c;
		double la, lb, lc;
		fit(hidden, 1, X, 1, &a, &la);
		double acc = val_accuracy(&a, X);
		CHECK(acc >= 0.95, "hidden %d: validation accuracy %.3f >= 0.95 on separable classes", hidden, acc);
		CHECK(la < 0.3, "hidden %d: validation loss %.3f < 0.3", hidden, la);
		/* the same draws give the same head */
		fit(hidden, 1, X, 1, &b, &lb);
		int in = hidden ? hidden : DX;
		CHECK(memcmp(a.w2, b.w2, sizeof(float) * KX * in) == 0 && la == lb, "hidden %d: same rng, same head", hidden);
		/* scaled and shifted features: the folded head gives the same logits */
		fit(hidden, 1, X2, 1, &c, &lc);
		double worst = 0, scale = 0;
		for (int i = 0; i < NX; i += 7) {
			float l1[KX], l2[KX];
			bert_head_forward(&a, 1, X + i * DX, l1);
			bert_head_forward(&c, 1, X2 + i * DX, l2);
			for (int k = 0; k < KX; k++) {
				worst = fabs(l1[k] - l2[k]) > worst ? fabs(l1[k] - l2[k]) : worst;
				scale = fabs(l1[k]) > scale ? fabs(l1[k]) : scale;
			}
		}
		CHECK(worst <= FOLD_RTOL * scale, "hidden %d: logits on 3X+5 vs X differ by %.3g (scale %.3g)", hidden,
		      worst, scale);
		bert_head_release(&a), bert_head_release(&b), bert_head_release(&c);
	}
	struct bert_head e;
	double le;
	fit(8, 3, X, 2, &e, &le);
	CHECK(e.H == 24, "an ensemble of 3 x 8 hidden units is one head of 24 (got %d)", e.H);
	CHECK(val_accuracy(&e, X) >= 0.95, "the ensemble separates the classes");
	bert_head_release(&e);
	return test_report();
}
