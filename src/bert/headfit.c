/*
 * headfit.c — a classifier head fitted on frozen features (headfit.h):
 * standardization, the head's forward and backward passes (two GEMMs
 * forward through the CPU engine's bert_cpu_matmul, loops backward: the
 * head is 0.1% of the encoder's FLOPs), Adam with L2, early stopping,
 * ensembles merged into one head, the standardization folded in.
 */
#include "bert/headfit.h"

#include "bert/cpu.h"
#include "lib/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MINIBATCH 64
#define ADAM_B1 0.9
#define ADAM_B2 0.999
#define ADAM_EPS 1e-8

uint64_t bert_rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static double rng_unit(uint64_t *s)
{
	return (double)(bert_rng_next(s) >> 11) / 9007199254740992.0;
}

double bert_rng_normal(uint64_t *s)
{
	double u = rng_unit(s), v = rng_unit(s);
	return sqrt(-2 * log(u + 1e-300)) * cos(2 * M_PI * v);
}

void bert_rng_shuffle(size_t *idx, size_t n, uint64_t *s)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)(bert_rng_next(s) % i), t = idx[i - 1];
		idx[i - 1] = idx[j];
		idx[j] = t;
	}
}

struct net {
	int D, H, K; /* H = 0: linear */
	float *w1, *b1, *w2, *b2; /* (H, D) (H) (K, H or D) (K) */
};

static size_t net_size(const struct net *n)
{
	int in = n->H ? n->H : n->D;
	return (n->H ? (size_t)n->H * n->D + n->H : 0) + (size_t)n->K * in + n->K;
}

/* Point the net's arrays into one block p (net_size floats). */
static void net_point(struct net *n, float *p)
{
	int in = n->H ? n->H : n->D;
	n->w1 = n->H ? p : NULL;
	p += n->H ? (size_t)n->H * n->D : 0;
	n->b1 = n->H ? p : NULL;
	p += n->H;
	n->w2 = p;
	p += (size_t)n->K * in;
	n->b2 = p;
}

/* logits (B, K) and the hidden activations z (B, H) of x (B, D). */
static void net_forward(const struct net *n, int B, const float *x, float *z, float *logits)
{
	const float *in = x;
	int I = n->D;
	if (n->H) {
		bert_cpu_matmul(z, x, n->w1, n->b1, B, n->D, n->H);
		for (size_t i = 0; i < (size_t)B * n->H; i++)
			z[i] = z[i] > 0 ? z[i] : 0;
		in = z;
		I = n->H;
	}
	bert_cpu_matmul(logits, in, n->w2, n->b2, B, I, n->K);
}

/* Softmax cross-entropy of logits (B, K) in place → probabilities;
 * returns the weighted loss sum. */
static double softmax_xent(float *logits, int B, int K, const int *y, const double *cw)
{
	double loss = 0;
	for (int b = 0; b < B; b++) {
		float *l = logits + (size_t)b * K, mx = l[0];
		double s = 0;
		for (int k = 1; k < K; k++)
			mx = l[k] > mx ? l[k] : mx;
		for (int k = 0; k < K; k++)
			s += exp(l[k] - mx);
		loss -= cw[y[b]] * ((l[y[b]] - mx) - log(s));
		for (int k = 0; k < K; k++)
			l[k] = (float)(exp(l[k] - mx) / s);
	}
	return loss;
}

struct train_set {
	size_t n;
	float *x; /* (n, D) standardized */
	int *y;
};

/* Mean loss (unweighted) and accuracy of the net on s. */
static double evaluate(const struct net *n, const struct train_set *s, int *pred)
{
	static const double ones[BERT_MAX_LABELS] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
	float *z = xmalloc(sizeof(float) * 256 * (n->H ? n->H : 1)), *lg = xmalloc(sizeof(float) * 256 * n->K);
	double loss = 0;
	for (size_t b0 = 0; b0 < s->n; b0 += 256) {
		int B = s->n - b0 < 256 ? (int)(s->n - b0) : 256;
		net_forward(n, B, s->x + b0 * n->D, z, lg);
		loss += softmax_xent(lg, B, n->K, s->y + b0, ones);
		if (pred)
			for (int b = 0; b < B; b++) {
				int best = 0;
				for (int k = 1; k < n->K; k++)
					best = lg[(size_t)b * n->K + k] > lg[(size_t)b * n->K + best] ? k : best;
				pred[b0 + (size_t)b] = best;
			}
	}
	free(z), free(lg);
	return loss / (double)(s->n ? s->n : 1);
}

/* Fit the net on tr, early-stopping on va; the best parameters stay in n. */
static void fit(struct net *n, const struct train_set *tr, const struct train_set *va, const double *cw,
		const struct bert_headfit_opts *o, int *epochs_run, double *best_loss)
{
	size_t P = net_size(n);
	float *param = n->w2 - (n->H ? (size_t)n->H * n->D + n->H : 0); /* the block net_point was given */
	float *grad = xcalloc(P, sizeof(float)), *best = xmalloc(sizeof(float) * P);
	double *m1 = xcalloc(P, sizeof(double)), *m2 = xcalloc(P, sizeof(double));
	struct net g = *n;
	int in = n->H ? n->H : n->D, since = 0;
	float *z = xmalloc(sizeof(float) * MINIBATCH * (n->H ? n->H : 1));
	float *lg = xmalloc(sizeof(float) * MINIBATCH * n->K), *dz = xmalloc(sizeof(float) * MINIBATCH * (n->H ? n->H : 1));
	size_t *idx = xmalloc(sizeof(size_t) * tr->n);
	float *xb = xmalloc(sizeof(float) * MINIBATCH * n->D);
	int yb[MINIBATCH];
	long step = 0;

	net_point(&g, grad);
	for (size_t i = 0; i < tr->n; i++)
		idx[i] = i;
	*best_loss = INFINITY;
	memcpy(best, param, sizeof(float) * P);
	for (int ep = 0; ep < o->epochs; ep++) {
		bert_rng_shuffle(idx, tr->n, o->rng);
		for (size_t b0 = 0; b0 < tr->n; b0 += MINIBATCH) {
			int B = tr->n - b0 < MINIBATCH ? (int)(tr->n - b0) : MINIBATCH;
			double wsum = 0;
			for (int b = 0; b < B; b++) {
				memcpy(xb + (size_t)b * n->D, tr->x + idx[b0 + b] * n->D, sizeof(float) * n->D);
				yb[b] = tr->y[idx[b0 + b]];
				wsum += cw[yb[b]];
			}
			net_forward(n, B, xb, z, lg);
			softmax_xent(lg, B, n->K, yb, cw);
			/* dlogits = w_y (p - onehot) / sum w */
			for (int b = 0; b < B; b++) {
				float *l = lg + (size_t)b * n->K;
				l[yb[b]] -= 1;
				for (int k = 0; k < n->K; k++)
					l[k] *= (float)(cw[yb[b]] / wsum);
			}
			memset(grad, 0, sizeof(float) * P);
			const float *a = n->H ? z : xb;
			for (int b = 0; b < B; b++)
				for (int k = 0; k < n->K; k++) {
					float d = lg[(size_t)b * n->K + k];
					float *gw = g.w2 + (size_t)k * in;
					const float *ab = a + (size_t)b * in;
					for (int i = 0; i < in; i++)
						gw[i] += d * ab[i];
					g.b2[k] += d;
				}
			if (n->H) {
				for (int b = 0; b < B; b++)
					for (int h = 0; h < n->H; h++) {
						float s = 0;
						for (int k = 0; k < n->K; k++)
							s += lg[(size_t)b * n->K + k] * n->w2[(size_t)k * n->H + h];
						dz[(size_t)b * n->H + h] = z[(size_t)b * n->H + h] > 0 ? s : 0;
					}
				for (int b = 0; b < B; b++)
					for (int h = 0; h < n->H; h++) {
						float d = dz[(size_t)b * n->H + h];
						if (d == 0)
							continue;
						float *gw = g.w1 + (size_t)h * n->D;
						const float *xr = xb + (size_t)b * n->D;
						for (int i = 0; i < n->D; i++)
							gw[i] += d * xr[i];
						g.b1[h] += d;
					}
				for (int i = 0; i < n->H * n->D; i++)
					g.w1[i] += (float)o->l2 * n->w1[i];
			}
			for (int i = 0; i < n->K * in; i++)
				g.w2[i] += (float)o->l2 * n->w2[i];
			/* Adam */
			step++;
			double c1 = 1 - pow(ADAM_B1, (double)step), c2 = 1 - pow(ADAM_B2, (double)step);
			for (size_t i = 0; i < P; i++) {
				m1[i] = ADAM_B1 * m1[i] + (1 - ADAM_B1) * grad[i];
				m2[i] = ADAM_B2 * m2[i] + (1 - ADAM_B2) * (double)grad[i] * grad[i];
				param[i] -= (float)(o->lr * (m1[i] / c1) / (sqrt(m2[i] / c2) + ADAM_EPS));
			}
		}
		double vl = evaluate(n, va, NULL);
		*epochs_run = ep + 1;
		if (vl < *best_loss - 1e-6) {
			*best_loss = vl;
			memcpy(best, param, sizeof(float) * P);
			since = 0;
		} else if (++since >= o->patience) {
			break;
		}
	}
	memcpy(param, best, sizeof(float) * P);
	free(grad), free(best), free(m1), free(m2), free(z), free(lg), free(dz), free(idx), free(xb);
}


int bert_headfit(const float *X, size_t nx, int D, const int *y, const int *is_val, const struct bert_headfit_opts *o,
		 struct bert_head *h, double *vloss_out)
{
	size_t ntr = 0, nva = 0;
	for (size_t i = 0; i < nx; i++)
		is_val[i] ? nva++ : ntr++;
	/* standardize on the training rows */
	double *mu = xcalloc((size_t)D, sizeof(double)), *sd = xcalloc((size_t)D, sizeof(double));
	for (size_t i = 0; i < nx; i++)
		if (!is_val[i])
			for (int j = 0; j < D; j++)
				mu[j] += X[i * D + j];
	for (int j = 0; j < D; j++)
		mu[j] /= (double)ntr;
	for (size_t i = 0; i < nx; i++)
		if (!is_val[i])
			for (int j = 0; j < D; j++)
				sd[j] += (X[i * D + j] - mu[j]) * (X[i * D + j] - mu[j]);
	for (int j = 0; j < D; j++)
		sd[j] = sqrt(sd[j] / (double)ntr) + 1e-6;
	struct train_set tr = {0}, va = {0};
	tr.x = xmalloc(sizeof(float) * (ntr ? ntr : 1) * D), tr.y = xmalloc(sizeof(int) * (ntr ? ntr : 1));
	va.x = xmalloc(sizeof(float) * (nva ? nva : 1) * D), va.y = xmalloc(sizeof(int) * (nva ? nva : 1));
	for (size_t i = 0; i < nx; i++) {
		struct train_set *s = is_val[i] ? &va : &tr;
		float *row = s->x + s->n * D;
		for (int j = 0; j < D; j++)
			row[j] = (float)((X[i * D + j] - mu[j]) / sd[j]);
		s->y[s->n++] = y[i];
	}

	/* fit the members (He initialization, each its own draws), then merge
	 * them into one head whose logits are the members' mean: the hidden
	 * layers side by side, the classifiers scaled by 1/M */
	int M = o->ensemble, epochs = 0;
	double vloss = 0;
	struct net n = {.D = D, .H = o->hidden * M, .K = o->K};
	float *block = xcalloc(net_size(&n), sizeof(float));
	net_point(&n, block);
	struct net one = {.D = D, .H = o->hidden, .K = o->K};
	float *oblock = xcalloc(net_size(&one), sizeof(float));
	net_point(&one, oblock);
	int in1 = one.H ? one.H : one.D;
	for (int e = 0; e < M; e++) {
		memset(oblock, 0, sizeof(float) * net_size(&one));
		if (one.H)
			for (size_t i = 0; i < (size_t)one.H * one.D; i++)
				one.w1[i] = (float)(bert_rng_normal(o->rng) * sqrt(2.0 / one.D));
		for (size_t i = 0; i < (size_t)one.K * in1; i++)
			one.w2[i] = (float)(bert_rng_normal(o->rng) * sqrt(1.0 / in1));
		int ep = 0;
		double vl;
		fit(&one, &tr, &va, o->class_weight, o, &ep, &vl);
		epochs += ep, vloss += vl / M;
		if (o->on_member)
			o->on_member(e + 1, M, ep, vl, o->arg);
		if (one.H) {
			memcpy(n.w1 + (size_t)e * one.H * D, one.w1, sizeof(float) * (size_t)one.H * D);
			memcpy(n.b1 + (size_t)e * one.H, one.b1, sizeof(float) * (size_t)one.H);
		}
		for (int k = 0; k < o->K; k++) {
			for (int i = 0; i < in1; i++) {
				size_t at = one.H ? (size_t)k * n.H + (size_t)e * one.H + i : (size_t)k * D + i;
				n.w2[at] += one.w2[(size_t)k * in1 + i] / M;
			}
			n.b2[k] += one.b2[k] / M;
		}
	}
	free(oblock);
	if (M > 1)
		vloss = evaluate(&n, &va, NULL);

	/* fold the standardization into the first layer: w' = w / sd, b' = b - w' · mu */
	float *w0 = n.H ? n.w1 : n.w2, *b0 = n.H ? n.b1 : n.b2;
	int rows = n.H ? n.H : n.K;
	for (int r = 0; r < rows; r++)
		for (int j = 0; j < D; j++) {
			w0[(size_t)r * D + j] = (float)(w0[(size_t)r * D + j] / sd[j]);
			b0[r] = (float)(b0[r] - w0[(size_t)r * D + j] * mu[j]);
		}
	/* the head owns its arrays apart (bert_head_release frees each) */
	int in = n.H ? n.H : n.D;
	h->D = D, h->H = n.H, h->K = n.K;
	h->w1 = n.H ? xmalloc(sizeof(float) * (size_t)n.H * D) : NULL;
	h->b1 = n.H ? xmalloc(sizeof(float) * (size_t)n.H) : NULL;
	h->w2 = xmalloc(sizeof(float) * (size_t)n.K * in);
	h->b2 = xmalloc(sizeof(float) * (size_t)n.K);
	if (n.H) {
		memcpy(h->w1, n.w1, sizeof(float) * (size_t)n.H * D);
		memcpy(h->b1, n.b1, sizeof(float) * (size_t)n.H);
	}
	memcpy(h->w2, n.w2, sizeof(float) * (size_t)n.K * in);
	memcpy(h->b2, n.b2, sizeof(float) * (size_t)n.K);
	free(block), free(mu), free(sd);
	free(tr.x), free(tr.y), free(va.x), free(va.y);
	*vloss_out = vloss;
	return epochs;
}
