/*
 * lora.c — LoRA adapters (lora.h): their shapes and names, the merge into
 * a loaded model's weights (model.c), their file, and their part in a
 * training step (the adapted weights formed before it, the adapters'
 * gradients taken after it).
 */
#include "bert/lora.h"

#include "bert/cpu.h"
#include "bert/safetensors.h"
#include "bert/train.h"
#include "bert/errs.h"
#include "lib/util.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* by architecture: BERT's names, MPNet's */
static const char *const target_names[2][BERT_LORA_TARGETS] = {
	{"attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
	 "intermediate.dense", "output.dense"},
	{"attention.attn.q", "attention.attn.k", "attention.attn.v", "attention.attn.o", "intermediate.dense",
	 "output.dense"}};

const char *bert_lora_target_name(const struct bert_config *cfg, int k)
{
	return target_names[cfg->arch == BERT_ARCH_MPNET][k];
}

void bert_lora_target_shape(const struct bert_config *cfg, int k, int *OC, int *IC)
{
	*OC = k == BERT_LORA_FI ? cfg->intermediate : cfg->hidden;
	*IC = k == BERT_LORA_FO ? cfg->intermediate : cfg->hidden;
}

const float *bert_lora_target_weight(const struct bert_layer_weights *lw, const struct bert_config *cfg, int k)
{
	size_t CC = (size_t)cfg->hidden * cfg->hidden;
	switch (k) {
	case BERT_LORA_Q: return lw->qkv_w;
	case BERT_LORA_K: return lw->qkv_w + CC;
	case BERT_LORA_V: return lw->qkv_w + 2 * CC;
	case BERT_LORA_AO: return lw->attn_out_w;
	case BERT_LORA_FI: return lw->ffn_in_w;
	default: return lw->ffn_out_w;
	}
}

void bert_lora_add(float *W, const float *A, const float *B, int OC, int IC, int r, float scale)
{
	bert_cpu_sgemm('N', 'N', OC, IC, r, scale, B, r, A, IC, 1.0f, W, IC);
}

/* ------------------------------------------------------------ the file */

/* Tensor name of shape (d0, d1) as fp32 into a new array, or NULL + err. */
static float *take(const safetensors *st, const char *path, const char *name, int d0, int d1, char *err,
		   size_t errlen)
{
	const struct safetensors_tensor *t = safetensors_find(st, name);
	char why[300], shape[128];
	if (!t) {
		bert_errf(err, errlen, "%s: missing tensor '%s'", path, name);
		return NULL;
	}
	if (t->ndim != 2 || t->shape[0] != d0 || t->shape[1] != d1) {
		safetensors_shape_str(t, shape, sizeof shape);
		bert_errf(err, errlen, "%s: tensor '%s' has shape %s, expected [%d, %d] (rank and config.json)", path, name,
		     shape, d0, d1);
		return NULL;
	}
	float *v = xmalloc(sizeof(float) * (size_t)t->numel);
	if (safetensors_to_f32(t, v, why, sizeof why) < 0) {
		bert_errf(err, errlen, "%s: %s", path, why);
		free(v);
		return NULL;
	}
	for (int64_t i = 0; i < t->numel; i++)
		if (!isfinite(v[i])) {
			bert_errf(err, errlen, "%s: tensor '%s' holds a value that is not finite", path, name);
			free(v);
			return NULL;
		}
	return v;
}

int bert_lora_merge_file(const char *path, const struct bert_config *cfg, const struct bert_weights *w,
			 const char *base_hash, char *err, size_t errlen)
{
	safetensors *st = safetensors_open(path, err, errlen);
	if (!st)
		return -1;
	const char *fmt = safetensors_meta(st, "format"), *rs = safetensors_meta(st, "rank");
	const char *as = safetensors_meta(st, "alpha"), *base = safetensors_meta(st, "base");
	int rc = -1;
	if (!fmt || strcmp(fmt, BERT_LORA_FORMAT) != 0) {
		bert_errf(err, errlen, "%s: metadata \"format\" is %s%s%s, not \"%s\" (write adapters with herd-train "
		     "--finetune lora)", path, fmt ? "\"" : "", fmt ? fmt : "missing", fmt ? "\"" : "", BERT_LORA_FORMAT);
		goto out;
	}
	char *end;
	long r = rs ? strtol(rs, &end, 10) : 0;
	if (!rs || *end || r < 1 || r > 1024) {
		bert_errf(err, errlen, "%s: metadata \"rank\" must be an integer in 1..1024", path);
		goto out;
	}
	double alpha = as ? strtod(as, &end) : 0;
	if (!as || *end || !(alpha > 0 && alpha < 1e6)) {
		bert_errf(err, errlen, "%s: metadata \"alpha\" must be a number in (0, 1e6)", path);
		goto out;
	}
	if (!base || strcmp(base, base_hash) != 0) {
		bert_errf(err, errlen, "%s: trained on model.safetensors %s, but this one is %s (train the adapter again "
		     "with herd-train --finetune lora)", path, base ? base : "(unnamed)", base_hash);
		goto out;
	}
	/* read every adapter first: nothing is merged unless all are good */
	int n = cfg->layers * BERT_LORA_TARGETS;
	float **A = xcalloc((size_t)n, sizeof *A), **B = xcalloc((size_t)n, sizeof *B);
	int ok = 1;
	for (int l = 0; l < cfg->layers && ok; l++)
		for (int k = 0; k < BERT_LORA_TARGETS && ok; k++) {
			int OC, IC, i = l * BERT_LORA_TARGETS + k;
			char name[160];
			bert_lora_target_shape(cfg, k, &OC, &IC);
			snprintf(name, sizeof name, "encoder.layer.%d.%s.lora_A", l, bert_lora_target_name(cfg, k));
			ok = (A[i] = take(st, path, name, (int)r, IC, err, errlen)) != NULL;
			snprintf(name, sizeof name, "encoder.layer.%d.%s.lora_B", l, bert_lora_target_name(cfg, k));
			ok = ok && (B[i] = take(st, path, name, OC, (int)r, err, errlen)) != NULL;
		}
	if (ok && safetensors_count(st) != 2 * n) {
		bert_errf(err, errlen, "%s: %d tensors, expected %d (2 per target, 6 targets per layer, %d layers)", path,
		     safetensors_count(st), 2 * n, cfg->layers);
		ok = 0;
	}
	for (int l = 0; l < cfg->layers && ok; l++)
		for (int k = 0; k < BERT_LORA_TARGETS; k++) {
			int OC, IC, i = l * BERT_LORA_TARGETS + k;
			bert_lora_target_shape(cfg, k, &OC, &IC);
			float *W = (float *)bert_lora_target_weight(&w->layer[l], cfg, k); /* the caller's block */
			bert_lora_add(W, A[i], B[i], OC, IC, (int)r, (float)(alpha / r));
		}
	for (int i = 0; i < n; i++)
		free(A[i]), free(B[i]);
	free(A), free(B);
	rc = ok ? 0 : -1;
out:
	safetensors_close(st);
	return rc;
}

int bert_lora_save(const struct bert_tmodel *m, float alpha, const char *base_hash, const char *path, int f16,
		   char *err, size_t errlen)
{
	int n = m->nt - m->lora0;
	struct safetensors_out *t = xcalloc((size_t)(n ? n : 1), sizeof *t);
	char rank[32], al[32];
	for (int i = 0; i < n; i++) {
		const struct bert_tensor *x = &m->t[m->lora0 + i];
		t[i] = (struct safetensors_out){x->name, 2, {x->rows, x->cols}, m->param + x->off, f16};
	}
	snprintf(rank, sizeof rank, "%d", m->lora_rank);
	snprintf(al, sizeof al, "%g", alpha);
	const char *meta[] = {"format", BERT_LORA_FORMAT, "rank", rank, "alpha", al, "base", base_hash};
	int rc = safetensors_write(path, t, n, meta, 4, err, errlen);
	free(t);
	return rc;
}

/* ------------------------------------------------------------ training */

struct bert_lora_train {
	float scale;
	int L;
	float **basev; /* (L, 4): per layer, copies of qkv, attention out, FFN in, FFN out */
};

static const int base_slot[4] = {BT_QKV_W, BT_AO_W, BT_FI_W, BT_FO_W};

struct bert_lora_train *bert_lora_train_new(struct bert_tmodel *m, float alpha, unsigned long long seed)
{
	struct bert_lora_train *lt = xcalloc(1, sizeof *lt);
	int L = m->cfg.layers, r = m->lora_rank;
	lt->L = L;
	lt->scale = alpha / (float)r;
	lt->basev = xcalloc((size_t)L * 4, sizeof *lt->basev);
	for (int l = 0; l < L; l++)
		for (int s = 0; s < 4; s++) {
			const struct bert_tensor *t = &m->t[bert_tmodel_index(m, l, base_slot[s])];
			lt->basev[l * 4 + s] = xmalloc(sizeof(float) * t->n);
			memcpy(lt->basev[l * 4 + s], m->param + t->off, sizeof(float) * t->n);
		}
	for (int i = 0; i < m->nt; i++)
		m->frozen[i] = i >= m->lora0 || m->t[i].layer == L ? BERT_TRAINED : BERT_FROZEN;
	for (int l = 0; l < L; l++)
		for (int s = 0; s < 4; s++)
			m->frozen[bert_tmodel_index(m, l, base_slot[s])] = BERT_GRAD_ONLY;
	/* A ~ U(-1/√IC, 1/√IC) (kaiming_uniform_ with a = √5), B = 0 */
	unsigned long long z = seed * 0x9E3779B97F4A7C15ULL + 0x632BE59BD9B4E019ULL;
	for (int i = m->lora0; i < m->nt; i += 2) {
		const struct bert_tensor *a = &m->t[i], *b = &m->t[i + 1];
		float bound = 1.0f / sqrtf((float)a->cols);
		for (size_t k = 0; k < a->n; k++) {
			z += 0x9E3779B97F4A7C15ULL;
			unsigned long long h = z;
			h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9ULL;
			h = (h ^ (h >> 27)) * 0x94D049BB133111EBULL;
			h ^= h >> 31;
			m->param[a->off + k] = bound * (2.0f * (float)(h >> 40) / 16777216.0f - 1.0f);
		}
		memset(m->param + b->off, 0, sizeof(float) * b->n);
	}
	return lt;
}

void bert_lora_train_free(struct bert_lora_train *lt)
{
	if (!lt)
		return;
	for (int i = 0; i < lt->L * 4; i++)
		free(lt->basev[i]);
	free(lt->basev);
	free(lt);
}

float bert_lora_scale(const struct bert_lora_train *lt)
{
	return lt->scale;
}

/* The adapter pair of (layer l, target k): A then B. */
static int pair(const struct bert_tmodel *m, int l, int k)
{
	return m->lora0 + 2 * (l * BERT_LORA_TARGETS + k);
}

/* Target k's rows inside the block's base matrix of slot s. */
static size_t target_row0(const struct bert_tmodel *m, int k)
{
	return k <= BERT_LORA_V ? (size_t)k * m->cfg.hidden : 0;
}

static int target_slot(int k)
{
	return k <= BERT_LORA_V ? 0 : k - BERT_LORA_AO + 1;
}

void bert_lora_form(struct bert_lora_train *lt, struct bert_tmodel *m)
{
	int r = m->lora_rank;
	for (int l = 0; l < lt->L; l++) {
		for (int s = 0; s < 4; s++) {
			const struct bert_tensor *t = &m->t[bert_tmodel_index(m, l, base_slot[s])];
			memcpy(m->param + t->off, lt->basev[l * 4 + s], sizeof(float) * t->n);
		}
		for (int k = 0; k < BERT_LORA_TARGETS; k++) {
			int OC, IC, s = target_slot(k), i = pair(m, l, k);
			bert_lora_target_shape(&m->cfg, k, &OC, &IC);
			float *W = m->param + m->t[bert_tmodel_index(m, l, base_slot[s])].off + target_row0(m, k) * IC;
			bert_lora_add(W, m->param + m->t[i].off, m->param + m->t[i + 1].off, OC, IC, r, lt->scale);
		}
	}
}

void bert_lora_backward(struct bert_lora_train *lt, struct bert_tmodel *m)
{
	int r = m->lora_rank;
	for (int l = 0; l < lt->L; l++)
		for (int k = 0; k < BERT_LORA_TARGETS; k++) {
			int OC, IC, s = target_slot(k), i = pair(m, l, k);
			bert_lora_target_shape(&m->cfg, k, &OC, &IC);
			const float *dW = m->grad + m->t[bert_tmodel_index(m, l, base_slot[s])].off + target_row0(m, k) * IC;
			const float *A = m->param + m->t[i].off, *B = m->param + m->t[i + 1].off;
			float *dA = m->grad + m->t[i].off, *dB = m->grad + m->t[i + 1].off;
			/* dA (r, IC) += s Bᵀ dW; dB (OC, r) += s dW Aᵀ */
			bert_cpu_sgemm('T', 'N', r, IC, OC, lt->scale, B, r, dW, IC, 1.0f, dA, IC);
			bert_cpu_sgemm('N', 'T', OC, r, IC, lt->scale, dW, IC, A, IC, 1.0f, dB, r);
		}
}
