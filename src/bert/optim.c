/*
 * optim.c — AdamW, the learning-rate schedule, layer-wise decay and
 * global-norm clipping (optim.h). Written to follow PyTorch's
 * torch.optim.AdamW (foreach=False) and clip_grad_norm_ operation for
 * operation, so that 20 steps track PyTorch's losses within 1e-4
 * (tests/unit/test_bert_train.c). Single-threaded: the update is a few
 * memory passes over the block, small beside a step's GEMMs.
 */
#include "bert/optim.h"

#include "lib/util.h"

#include <math.h>
#include <stdlib.h>

struct bert_adamw *bert_adamw_new(const struct bert_optim_opts *o, size_t P)
{
	struct bert_adamw *a = xcalloc(1, sizeof *a);
	a->o = *o;
	a->P = P;
	a->m = xcalloc(P, sizeof(float));
	a->v = xcalloc(P, sizeof(float));
	return a;
}

void bert_adamw_free(struct bert_adamw *a)
{
	if (!a)
		return;
	free(a->m), free(a->v);
	free(a);
}

double bert_lr_at(const struct bert_optim_opts *o, long s)
{
	if (o->warmup > 0 && s < o->warmup)
		return o->lr * (double)s / (double)o->warmup;
	if (o->sched == BERT_SCHED_CONSTANT || o->total <= o->warmup)
		return o->lr;
	double f = (double)(s - o->warmup) / (double)(o->total - o->warmup);
	f = f > 1 ? 1 : f;
	if (o->sched == BERT_SCHED_COSINE)
		return o->lr * 0.5 * (1 + cos(M_PI * f));
	return o->lr * (1 - f);
}

double bert_grad_norm(const struct bert_tmodel *m)
{
	double s = 0;
	for (int i = 0; i < m->nt; i++) {
		if (m->frozen[i] != BERT_TRAINED)
			continue;
		const float *g = m->grad + m->t[i].off;
		double ts = 0;
		for (size_t k = 0; k < m->t[i].n; k++)
			ts += (double)g[k] * g[k];
		s += ts;
	}
	return sqrt(s);
}

double bert_adamw_step(struct bert_adamw *a, struct bert_tmodel *m)
{
	const struct bert_optim_opts *o = &a->o;
	double norm = bert_grad_norm(m), lr = bert_lr_at(o, a->step);
	float scale = 1.0f;
	if (o->clip > 0) {
		double coef = o->clip / (norm + 1e-6);
		scale = coef < 1 ? (float)coef : 1.0f;
	}
	a->step++;
	double bc1 = 1 - pow(o->beta1, (double)a->step), bc2 = 1 - pow(o->beta2, (double)a->step);
	double sbc2 = sqrt(bc2);
	int L = m->cfg.layers;
	for (int i = 0; i < m->nt; i++) {
		const struct bert_tensor *t = &m->t[i];
		if (m->frozen[i] != BERT_TRAINED)
			continue;
		double tlr = lr;
		if (o->llrd != 1 && t->layer < L)
			tlr *= pow(o->llrd, (double)(t->layer < 0 ? L : L - 1 - t->layer));
		float decay = t->decay ? (float)(1 - tlr * o->weight_decay) : 1.0f;
		float b1 = (float)o->beta1, b2 = (float)o->beta2, step = (float)(tlr / bc1);
		float *p = m->param + t->off, *g = m->grad + t->off, *m1 = a->m + t->off, *m2 = a->v + t->off;
		for (size_t k = 0; k < t->n; k++) {
			float gk = g[k] * scale;
			p[k] *= decay;
			m1[k] = m1[k] * b1 + (1 - b1) * gk;
			m2[k] = m2[k] * b2 + (1 - b2) * gk * gk;
			float denom = sqrtf(m2[k]) / (float)sbc2 + (float)o->eps;
			p[k] -= step * m1[k] / denom;
		}
	}
	return norm;
}
