/*
 * train.c — the training room's forward and backward passes (train.h),
 * fp32, on the CPU engine's GEMM (bert_cpu_sgemm) and thread pool.
 *
 * The batch is packed as inference packs it (N tokens back to back, no
 * padding): every projection is one (N, IC) x (IC, OC) GEMM forward and
 * two backward (dX = dY W, dW += dYᵀ X), attention runs per (sequence,
 * head) over the sequence's own tokens. The forward pass keeps what the
 * backward pass needs, per layer l:
 *
 *   X[l] (N, C)     the layer's input (X[0] the embeddings' output)
 *   QKV (N, 3C)     with its bias       ATT (NH·ΣT²)  softmax, before dropout
 *   CTX (N, C)      attention output    XH1, R1       LayerNorm 1's x̂ and 1/σ
 *   M1 (N, C)       LayerNorm 1's output (the FFN's input)
 *   HP, HG (N, I)   FFN before and after GELU       XH2, R2  LayerNorm 2's
 *
 * Dropout masks are not stored: each is a hash of (dropout key, site,
 * element index), drawn again in the backward pass, so a key gives the
 * same masks whatever the thread count. Work is split the same way
 * every run (rows of N by worker, weight-gradient rows by worker,
 * column sums by worker): a run is deterministic for a thread count.
 *
 * MPNet (model_type "mpnet") differs in three places: positions from 2
 * and no token types in the embeddings (bert_cpu_positions), and the
 * relative-position bias added to each head's scores before the softmax
 * (bert_cpu_add_position_bias, from the table in the BT_RELPOS slot). Its
 * backward is the identity on dS; the table's gradient (full fine-tuning)
 * is dS summed by head and distance per (sequence, head), then by bucket
 * in item order, so it is as deterministic as the rest.
 *
 * Gradients are checked against PyTorch autograd (scripts/make-train-golden.py,
 * tests/unit/test_bert_train.c).
 */
#include "bert/train.h"

#include "bert/cpu.h"
#include "bert/lora.h"
#include "lib/tpool.h"
#include "lib/util.h"

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC target("prefer-vector-width=512")
#endif

#include "bert/vmath.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ================================================================ the block */

static void add_tensor(struct bert_tmodel *m, size_t *cap, const char *name, int rows, int cols, int layer, int matrix)
{
	m->t = xgrow(m->t, (size_t)m->nt + 1, cap, sizeof *m->t);
	struct bert_tensor *t = &m->t[m->nt++];
	snprintf(t->name, sizeof t->name, "%s", name);
	t->rows = rows, t->cols = cols, t->layer = layer, t->matrix = matrix, t->decay = cols != 0;
	t->off = m->P;
	t->n = (size_t)rows * (size_t)(cols ? cols : 1);
	m->P += t->n;
}

struct bert_tmodel *bert_tmodel_new(const struct bert_config *cfg, int lora_rank)
{
	struct bert_tmodel *m = xcalloc(1, sizeof *m);
	int C = cfg->hidden, I = cfg->intermediate, K = cfg->labels;
	size_t cap = 0;
	char name[80];

	int mpnet = cfg->arch == BERT_ARCH_MPNET;
	m->cfg = *cfg;
	add_tensor(m, &cap, "embeddings.word_embeddings.weight", cfg->vocab, C, -1, 0);
	add_tensor(m, &cap, "embeddings.position_embeddings.weight", cfg->max_pos, C, -1, 0);
	if (mpnet) /* BT_RELPOS */
		add_tensor(m, &cap, "encoder.relative_attention_bias.weight", cfg->rel_buckets, cfg->heads, -1, 0);
	else
		add_tensor(m, &cap, "embeddings.token_type_embeddings.weight", cfg->type_vocab, C, -1, 0);
	add_tensor(m, &cap, "embeddings.LayerNorm.weight", C, 0, -1, 0);
	add_tensor(m, &cap, "embeddings.LayerNorm.bias", C, 0, -1, 0);
	for (int l = 0; l < cfg->layers; l++) {
		static const char *const slots[2][BT_PER_LAYER] = {
			{"attention.self.qkv.weight", "attention.self.qkv.bias", "attention.output.dense.weight",
			 "attention.output.dense.bias", "attention.output.LayerNorm.weight",
			 "attention.output.LayerNorm.bias", "intermediate.dense.weight", "intermediate.dense.bias",
			 "output.dense.weight", "output.dense.bias", "output.LayerNorm.weight", "output.LayerNorm.bias"},
			{"attention.attn.qkv.weight", "attention.attn.qkv.bias", "attention.attn.o.weight",
			 "attention.attn.o.bias", "attention.LayerNorm.weight", "attention.LayerNorm.bias",
			 "intermediate.dense.weight", "intermediate.dense.bias", "output.dense.weight", "output.dense.bias",
			 "output.LayerNorm.weight", "output.LayerNorm.bias"}};
		const char *const *slot = slots[mpnet];
		static const int rows_of[BT_PER_LAYER] = {3, 3, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1}; /* 0 = I */
		for (int s = 0; s < BT_PER_LAYER; s++) {
			int rows = rows_of[s] ? rows_of[s] * C : I;
			int cols = s == BT_QKV_W || s == BT_AO_W || s == BT_FI_W ? C : s == BT_FO_W ? I : 0;
			snprintf(name, sizeof name, "encoder.layer.%d.%s", l, slot[s]);
			add_tensor(m, &cap, name, rows, cols, l, cols != 0);
		}
	}
	if (cfg->pooling == BERT_POOL_CLS_TANH) {
		add_tensor(m, &cap, "pooler.dense.weight", C, C, cfg->layers, 1);
		add_tensor(m, &cap, "pooler.dense.bias", C, 0, cfg->layers, 0);
	}
	add_tensor(m, &cap, "classifier.weight", K, C, cfg->layers, 1);
	add_tensor(m, &cap, "classifier.bias", K, 0, cfg->layers, 0);
	m->lora_rank = lora_rank;
	m->lora0 = m->nt;
	for (int l = 0; lora_rank > 0 && l < cfg->layers; l++)
		for (int k = 0; k < BERT_LORA_TARGETS; k++) {
			int OC, IC;
			bert_lora_target_shape(cfg, k, &OC, &IC);
			snprintf(name, sizeof name, "encoder.layer.%d.%s.lora_A", l, bert_lora_target_name(cfg, k));
			add_tensor(m, &cap, name, lora_rank, IC, l, 0);
			snprintf(name, sizeof name, "encoder.layer.%d.%s.lora_B", l, bert_lora_target_name(cfg, k));
			add_tensor(m, &cap, name, OC, lora_rank, l, 0);
		}
	m->param = xcalloc(m->P, sizeof(float));
	m->grad = xcalloc(m->P, sizeof(float));
	m->frozen = xcalloc((size_t)m->nt, sizeof(int));
	return m;
}

void bert_tmodel_free(struct bert_tmodel *m)
{
	if (!m)
		return;
	free(m->param), free(m->grad), free(m->t), free(m->frozen);
	free(m);
}

int bert_tmodel_index(const struct bert_tmodel *m, int layer, int slot)
{
	if (layer < 0)
		return slot;
	if (layer < m->cfg.layers)
		return BT_EMBEDDINGS + layer * BT_PER_LAYER + slot;
	int head0 = BT_EMBEDDINGS + m->cfg.layers * BT_PER_LAYER;
	if (m->cfg.pooling == BERT_POOL_CLS_TANH)
		return head0 + slot;
	return slot >= BT_CLS_W ? head0 + slot - BT_CLS_W : -1;
}

static float *P_(const struct bert_tmodel *m, int layer, int slot)
{
	int i = bert_tmodel_index(m, layer, slot);
	return i < 0 ? NULL : m->param + m->t[i].off;
}

static float *G_(const struct bert_tmodel *m, int layer, int slot)
{
	int i = bert_tmodel_index(m, layer, slot);
	return i < 0 || m->frozen[i] == BERT_FROZEN ? NULL : m->grad + m->t[i].off;
}

void bert_tmodel_weights(const struct bert_tmodel *m, struct bert_weights *w, struct bert_layer_weights *lw)
{
	memset(w, 0, sizeof *w);
	w->word_emb = P_(m, -1, BT_WORD), w->pos_emb = P_(m, -1, BT_POS);
	if (m->cfg.arch == BERT_ARCH_MPNET)
		w->rel_bias = P_(m, -1, BT_RELPOS);
	else
		w->type_emb = P_(m, -1, BT_TYPE);
	w->emb_ln_g = P_(m, -1, BT_EMB_G), w->emb_ln_b = P_(m, -1, BT_EMB_B);
	for (int l = 0; l < m->cfg.layers; l++) {
		lw[l] = (struct bert_layer_weights){
			.qkv_w = P_(m, l, BT_QKV_W), .qkv_b = P_(m, l, BT_QKV_B),
			.attn_out_w = P_(m, l, BT_AO_W), .attn_out_b = P_(m, l, BT_AO_B),
			.ln1_g = P_(m, l, BT_LN1_G), .ln1_b = P_(m, l, BT_LN1_B),
			.ffn_in_w = P_(m, l, BT_FI_W), .ffn_in_b = P_(m, l, BT_FI_B),
			.ffn_out_w = P_(m, l, BT_FO_W), .ffn_out_b = P_(m, l, BT_FO_B),
			.ln2_g = P_(m, l, BT_LN2_G), .ln2_b = P_(m, l, BT_LN2_B)};
	}
	w->layer = lw;
	w->pool_w = P_(m, m->cfg.layers, BT_POOL_W), w->pool_b = P_(m, m->cfg.layers, BT_POOL_B);
	w->cls_w = P_(m, m->cfg.layers, BT_CLS_W), w->cls_b = P_(m, m->cfg.layers, BT_CLS_B);
}

int bert_tmodel_from_weights(struct bert_tmodel *m, const struct bert_weights *w, int w_labels)
{
	const struct bert_config *c = &m->cfg;
	size_t C = (size_t)c->hidden, I = (size_t)c->intermediate;
	int got = 0;
#define CP(dst, src, n) memcpy((dst), (src), sizeof(float) * (n))
	CP(P_(m, -1, BT_WORD), w->word_emb, (size_t)c->vocab * C);
	CP(P_(m, -1, BT_POS), w->pos_emb, (size_t)c->max_pos * C);
	if (c->arch == BERT_ARCH_MPNET)
		CP(P_(m, -1, BT_RELPOS), w->rel_bias, (size_t)c->rel_buckets * c->heads);
	else
		CP(P_(m, -1, BT_TYPE), w->type_emb, (size_t)c->type_vocab * C);
	CP(P_(m, -1, BT_EMB_G), w->emb_ln_g, C);
	CP(P_(m, -1, BT_EMB_B), w->emb_ln_b, C);
	for (int l = 0; l < c->layers; l++) {
		const struct bert_layer_weights *lw = &w->layer[l];
		CP(P_(m, l, BT_QKV_W), lw->qkv_w, 3 * C * C);
		CP(P_(m, l, BT_QKV_B), lw->qkv_b, 3 * C);
		CP(P_(m, l, BT_AO_W), lw->attn_out_w, C * C);
		CP(P_(m, l, BT_AO_B), lw->attn_out_b, C);
		CP(P_(m, l, BT_LN1_G), lw->ln1_g, C);
		CP(P_(m, l, BT_LN1_B), lw->ln1_b, C);
		CP(P_(m, l, BT_FI_W), lw->ffn_in_w, I * C);
		CP(P_(m, l, BT_FI_B), lw->ffn_in_b, I);
		CP(P_(m, l, BT_FO_W), lw->ffn_out_w, C * I);
		CP(P_(m, l, BT_FO_B), lw->ffn_out_b, C);
		CP(P_(m, l, BT_LN2_G), lw->ln2_g, C);
		CP(P_(m, l, BT_LN2_B), lw->ln2_b, C);
	}
	if (c->pooling == BERT_POOL_CLS_TANH && w->pool_w) {
		CP(P_(m, c->layers, BT_POOL_W), w->pool_w, C * C);
		CP(P_(m, c->layers, BT_POOL_B), w->pool_b, C);
		got |= 1;
	}
	if (w->cls_w && w_labels == c->labels) {
		CP(P_(m, c->layers, BT_CLS_W), w->cls_w, (size_t)c->labels * C);
		CP(P_(m, c->layers, BT_CLS_B), w->cls_b, (size_t)c->labels);
		got |= 2;
	}
#undef CP
	return got;
}

/* ================================================================ threads */

struct bert_trainer {
	struct bert_tmodel *m;
	tpool *pool;
	float pdrop, pattn;
	/* activations, grown to the largest batch seen */
	size_t cap_n, cap_att, cap_b, cap_t;
	float *X;                   /* (L+1, N, C) */
	float *QKV, *ATT, *CTX;     /* (L, N, 3C) (L, att) (L, N, C) */
	float *XH1, *M1, *XH2;      /* (L, N, C) */
	float *R1, *R2;             /* (L, N) */
	float *HP, *HG;             /* (L, N, I) */
	float *XHE, *RE;            /* (N, C) (N) */
	float *dX, *dS, *dA, *dM, *dC, *dQKV, *dH; /* backward scratch */
	float *scratch;             /* (threads, 2 T²) attention */
	struct bert_relpos rp;      /* MPNet: the bias by head and distance, made from the block each step */
	float *dRD;                 /* MPNet, full: (NH·Σ(2T - 1)) dS summed by (sequence, head, distance) */
	size_t *rd_off, cap_rd;     /* (B + 1) where each sequence's sums start; dRD's size */
	int *pos, *seq;             /* (N) position in its sequence, its sequence */
	size_t *att_off;            /* (B + 1) */
	float *cls, *pre, *pooled, *poold, *lg, *dlg, *dp, *dcls; /* (B, C or K) */
	int cap_bk;
};

static void split(int R, int tid, int n, int *r0, int *r1)
{
	*r0 = (int)((long)R * tid / n);
	*r1 = (int)((long)R * (tid + 1) / n);
}

/* A job: fn(j, r0, r1) on each worker's share of R rows. */
struct job {
	struct bert_trainer *t;
	void (*fn)(struct job *j, int r0, int r1, int tid);
	int R;
	/* GEMM */
	char ta, tb;
	int M, N, K, lda, ldb, ldc;
	float alpha, beta;
	const float *A, *B;
	float *C;
	/* elementwise */
	int l, cols, B_;
	const float *in, *in2, *g;
	float *out, *out2, *out3;
	uint64_t key;
	float p;
	const int *offsets;
	atomic_int next;
};

static void job_run(void *arg, int tid, int n)
{
	struct job *j = arg;
	int r0, r1;
	split(j->R, tid, n, &r0, &r1);
	if (r1 > r0)
		j->fn(j, r0, r1, tid);
}

static void run(struct bert_trainer *t, struct job *j)
{
	j->t = t;
	tpool_run(t->pool, job_run, j);
}

/* C (M, N) = alpha op(A) op(B) + beta C split by rows of C. */
static void gemm_rows(struct job *j, int r0, int r1, int tid)
{
	const float *a = j->ta == 'N' ? j->A + (size_t)r0 * j->lda : j->A + r0;
	bert_cpu_sgemm(j->ta, j->tb, r1 - r0, j->N, j->K, j->alpha, a, j->lda, j->B, j->ldb, j->beta,
		       j->C + (size_t)r0 * j->ldc, j->ldc);
}

static void gemm(struct bert_trainer *t, char ta, char tb, int M, int N, int K, float alpha, const float *A, int lda,
		 const float *B, int ldb, float beta, float *C, int ldc)
{
	struct job j = {.fn = gemm_rows, .R = M, .ta = ta, .tb = tb, .M = M, .N = N, .K = K, .alpha = alpha,
			.A = A, .lda = lda, .B = B, .ldb = ldb, .beta = beta, .C = C, .ldc = ldc};
	run(t, &j);
}

/* out (N, OC) = inp (N, IC) · wᵀ + bias */
static void linear_fwd(struct bert_trainer *t, float *out, const float *inp, const float *w, int N, int IC, int OC)
{
	gemm(t, 'N', 'T', N, OC, IC, 1.0f, inp, IC, w, IC, 0.0f, out, OC);
}

/* dinp (N, IC) = dout · w (beta 0 or 1); dw (OC, IC) += doutᵀ · inp. */
static void linear_bwd(struct bert_trainer *t, float *dinp, float beta, float *dw, const float *dout, const float *inp,
		       const float *w, int N, int IC, int OC)
{
	if (dw)
		gemm(t, 'T', 'N', OC, IC, N, 1.0f, dout, OC, inp, IC, 1.0f, dw, IC);
	if (dinp)
		gemm(t, 'N', 'N', N, IC, OC, 1.0f, dout, OC, w, IC, beta, dinp, IC);
}

/* db (cols) += Σ rows of x (R, cols), split by columns. */
static void colsum_cols(struct job *j, int c0, int c1, int tid)
{
	for (int r = 0; r < j->N; r++) {
		const float *x = j->in + (size_t)r * j->cols;
		for (int c = c0; c < c1; c++)
			j->out[c] += x[c];
	}
}

static void colsum(struct bert_trainer *t, float *db, const float *x, int R, int cols)
{
	if (!db)
		return;
	struct job j = {.fn = colsum_cols, .R = cols, .N = R, .cols = cols, .in = x, .out = db};
	run(t, &j);
}

/* ================================================================ dropout */

static inline uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

/* The key of one dropout site (embeddings 0, layer l's attention 1+3l,
 * attention output 2+3l, FFN output 3+3l, classifier 1+3L). */
static uint64_t site_key(uint64_t key, int site)
{
	return mix64(key + 0x9E3779B97F4A7C15ULL * (uint64_t)(site + 1));
}

/* The mask value of element i: 0 (dropped) or 1/(1-p). */
static inline float keep(uint64_t skey, uint64_t i, float p, float inv)
{
	uint64_t h = mix64(skey ^ (i * 0xD6E8FEB86659FD93ULL));
	return (float)(h >> 40) * (1.0f / 16777216.0f) >= p ? inv : 0.0f;
}

/* out = x ⊙ mask (rows r0..r1 of cols), in place when out == x. */
static void dropout_rows(struct job *j, int r0, int r1, int tid)
{
	float inv = 1.0f / (1.0f - j->p);
	for (size_t i = (size_t)r0 * j->cols; i < (size_t)r1 * j->cols; i++)
		j->out[i] = j->in[i] * keep(j->key, i, j->p, inv);
}

static void dropout(struct bert_trainer *t, float *out, const float *x, int R, int cols, float p, uint64_t key)
{
	if (p <= 0) {
		if (out != x)
			memcpy(out, x, sizeof(float) * (size_t)R * cols);
		return;
	}
	struct job j = {.fn = dropout_rows, .R = R, .cols = cols, .in = x, .out = out, .p = p, .key = key};
	run(t, &j);
}

/* ================================================================ LayerNorm */

/* y = LN(x) · g + b per row, keeping x̂ and 1/σ. x may be y. */
static void ln_fwd_rows(struct job *j, int r0, int r1, int tid)
{
	int C = j->cols;
	float eps = j->p;
	const float *g = j->g, *b = j->in2;
	for (int r = r0; r < r1; r++) {
		const float *x = j->in + (size_t)r * C;
		float *y = j->out + (size_t)r * C, *xh = j->out2 + (size_t)r * C;
		float mean = vsum(x, C) / C, acc[LANES] = {0}, var = 0;
		int i = 0;
		for (; i + LANES <= C; i += LANES)
			for (int k = 0; k < LANES; k++)
				acc[k] += (x[i + k] - mean) * (x[i + k] - mean);
		for (; i < C; i++)
			var += (x[i] - mean) * (x[i] - mean);
		for (int k = 0; k < LANES; k++)
			var += acc[k];
		float rstd = 1.0f / sqrtf(var / C + eps);
		for (i = 0; i < C; i++) {
			xh[i] = (x[i] - mean) * rstd;
			y[i] = xh[i] * g[i] + b[i];
		}
		j->out3[r] = rstd;
	}
}

static void ln_fwd(struct bert_trainer *t, float *y, float *xhat, float *rstd, const float *x, const float *g,
		   const float *b, int N, int C)
{
	struct job j = {.fn = ln_fwd_rows, .R = N, .cols = C, .in = x, .in2 = b, .g = g, .out = y, .out2 = xhat,
			.out3 = rstd, .p = t->m->cfg.ln_eps};
	run(t, &j);
}

/* ds = 1/σ (dx̂ - mean(dx̂) - x̂ mean(dx̂ ⊙ x̂)), dx̂ = dy ⊙ g, per row. */
static void ln_bwd_rows(struct job *j, int r0, int r1, int tid)
{
	int C = j->cols;
	const float *g = j->g;
	for (int r = r0; r < r1; r++) {
		const float *dy = j->in + (size_t)r * C, *xh = j->in2 + (size_t)r * C;
		float *ds = j->out + (size_t)r * C;
		float a[LANES] = {0}, bb[LANES] = {0}, sa = 0, sb = 0;
		int i = 0;
		for (; i + LANES <= C; i += LANES)
			for (int k = 0; k < LANES; k++) {
				float d = dy[i + k] * g[i + k];
				a[k] += d;
				bb[k] += d * xh[i + k];
			}
		for (; i < C; i++) {
			float d = dy[i] * g[i];
			sa += d;
			sb += d * xh[i];
		}
		for (int k = 0; k < LANES; k++)
			sa += a[k], sb += bb[k];
		sa /= C, sb /= C;
		float rstd = j->out3[r];
		for (i = 0; i < C; i++)
			ds[i] = rstd * (dy[i] * g[i] - sa - xh[i] * sb);
	}
}

/* dg += Σ dy ⊙ x̂, db += Σ dy, split by columns. */
static void ln_params_cols(struct job *j, int c0, int c1, int tid)
{
	int C = j->cols;
	for (int r = 0; r < j->N; r++) {
		const float *dy = j->in + (size_t)r * C, *xh = j->in2 + (size_t)r * C;
		if (j->out2)
			for (int c = c0; c < c1; c++)
				j->out2[c] += dy[c] * xh[c];
		if (j->C)
			for (int c = c0; c < c1; c++)
				j->C[c] += dy[c];
	}
}

static void ln_bwd(struct bert_trainer *t, float *ds, float *dg, float *db, const float *dy, const float *xhat,
		   float *rstd, const float *g, int N, int C)
{
	if (dg || db) {
		struct job j = {.fn = ln_params_cols, .R = C, .N = N, .cols = C, .in = dy, .in2 = xhat, .out2 = dg,
				.C = db};
		run(t, &j);
	}
	struct job j = {.fn = ln_bwd_rows, .R = N, .cols = C, .in = dy, .in2 = xhat, .g = g, .out = ds, .out3 = rstd};
	run(t, &j);
}

/* ================================================================ elementwise */

/* x (N, cols) += bias, in place. */
static void bias_rows(struct job *j, int r0, int r1, int tid)
{
	for (int r = r0; r < r1; r++) {
		float *x = j->out + (size_t)r * j->cols;
		for (int c = 0; c < j->cols; c++)
			x[c] += j->g[c];
	}
}

static void add_bias(struct bert_trainer *t, float *x, const float *bias, int N, int cols)
{
	struct job j = {.fn = bias_rows, .R = N, .cols = cols, .out = x, .g = bias};
	run(t, &j);
}

/* s = x + dropout(y + bias): the residual sum before a LayerNorm. */
static void residual_rows(struct job *j, int r0, int r1, int tid)
{
	int C = j->cols;
	float inv = j->p > 0 ? 1.0f / (1.0f - j->p) : 1.0f;
	for (int r = r0; r < r1; r++) {
		const float *x = j->in + (size_t)r * C, *y = j->in2 + (size_t)r * C;
		float *s = j->out + (size_t)r * C;
		if (j->p > 0)
			for (int c = 0; c < C; c++)
				s[c] = x[c] + (y[c] + j->g[c]) * keep(j->key, (size_t)r * C + c, j->p, inv);
		else
			for (int c = 0; c < C; c++)
				s[c] = x[c] + y[c] + j->g[c];
	}
}

static void residual(struct bert_trainer *t, float *s, const float *x, const float *y, const float *bias, int N, int C,
		     float p, uint64_t key)
{
	struct job j = {.fn = residual_rows, .R = N, .cols = C, .in = x, .in2 = y, .g = bias, .out = s, .p = p,
			.key = key};
	run(t, &j);
}

/* hp += bias; hg = gelu(hp), exact (erf). */
static void gelu_rows(struct job *j, int r0, int r1, int tid)
{
	int I = j->cols;
	for (int r = r0; r < r1; r++) {
		float *hp = j->out + (size_t)r * I, *hg = j->out2 + (size_t)r * I;
		for (int i = 0; i < I; i++) {
			float v = hp[i] + j->g[i];
			hp[i] = v;
			hg[i] = 0.5f * v * (1.0f + verf(v * (float)M_SQRT1_2));
		}
	}
}

/* dh (N, I) *= gelu'(hp) = Φ(hp) + hp φ(hp). */
static void gelu_bwd_rows(struct job *j, int r0, int r1, int tid)
{
	int I = j->cols;
	const float inv_sqrt_2pi = 0.3989422804014327f;
	for (int r = r0; r < r1; r++) {
		const float *hp = j->in + (size_t)r * I;
		float *dh = j->out + (size_t)r * I;
		for (int i = 0; i < I; i++) {
			float v = hp[i];
			float cdf = 0.5f * (1.0f + verf(v * (float)M_SQRT1_2));
			dh[i] *= cdf + v * inv_sqrt_2pi * vexp(-0.5f * v * v);
		}
	}
}

/* ================================================================ embeddings */

static void embed_rows(struct job *j, int r0, int r1, int tid)
{
	struct bert_trainer *t = j->t;
	const struct bert_tmodel *m = t->m;
	int C = m->cfg.hidden;
	const float *word = P_(m, -1, BT_WORD), *pos = P_(m, -1, BT_POS);
	const float *type = m->cfg.arch == BERT_ARCH_MPNET ? NULL : P_(m, -1, BT_TYPE);
	const int32_t *ids = (const int32_t *)j->A;
	for (int r = r0; r < r1; r++) {
		const float *we = word + (size_t)ids[r] * C, *pe = pos + (size_t)t->pos[r] * C;
		float *x = j->out + (size_t)r * C;
		if (type)
			for (int c = 0; c < C; c++)
				x[c] = we[c] + pe[c] + type[c];
		else
			for (int c = 0; c < C; c++)
				x[c] = we[c] + pe[c];
	}
}

/* d word[ids[r]] += ds[r], d pos[pos[r]] += ds[r], d type[0] += ds[r];
 * split by columns so that no two workers add into one place. */
static void embed_bwd_cols(struct job *j, int c0, int c1, int tid)
{
	struct bert_trainer *t = j->t;
	int C = t->m->cfg.hidden;
	const int32_t *ids = (const int32_t *)j->A;
	for (int r = 0; r < j->N; r++) {
		const float *ds = j->in + (size_t)r * C;
		float *w = j->out ? j->out + (size_t)ids[r] * C : NULL, *p = j->out2 ? j->out2 + (size_t)t->pos[r] * C : NULL;
		for (int c = c0; c < c1; c++) {
			if (w)
				w[c] += ds[c];
			if (p)
				p[c] += ds[c];
			if (j->out3)
				j->out3[c] += ds[c];
		}
	}
}

/* ================================================================ attention */

/* The dropped probabilities of one (sequence, head): P ⊙ mask into Pd,
 * or P itself when there is no dropout. a0 is P's index in ATT. */
static const float *drop_probs(const struct job *j, const float *P, float *Pd, size_t a0, int T)
{
	if (j->p <= 0)
		return P;
	float inv = 1.0f / (1.0f - j->p);
	for (size_t i = 0; i < (size_t)T * T; i++)
		Pd[i] = P[i] * keep(j->key, a0 + i, j->p, inv);
	return Pd;
}

/* Per (sequence, head): S = scale Q Kᵀ, P = softmax(S) kept in ATT,
 * ctx = dropout(P) V. */
static void attn_fwd_items(struct job *j, int r0, int r1, int tid)
{
	struct bert_trainer *t = j->t;
	int C = t->m->cfg.hidden, NH = t->m->cfg.heads, HS = C / NH;
	float scale = 1.0f / sqrtf((float)HS);
	const float *qkv = j->in;
	float *att = j->out, *ctx = j->out2, *Pd = t->scratch + (size_t)tid * 2 * t->cap_t * t->cap_t;

	for (;;) {
		int item = atomic_fetch_add(&j->next, 1);
		if (item >= j->B_ * NH)
			break;
		int b = item / NH, h = item % NH, o = j->offsets[b], T = j->offsets[b + 1] - o;
		const float *q = qkv + (size_t)o * 3 * C + h * HS, *k = q + C, *v = q + 2 * C;
		size_t a0 = t->att_off[b] + (size_t)h * T * T;
		float *P = att + a0;
		bert_cpu_sgemm('N', 'T', T, T, HS, scale, q, 3 * C, k, 3 * C, 0.0f, P, T);
		if (t->rp.table)
			bert_cpu_add_position_bias(P, 0, T, T, bert_relpos_head(&t->rp, h));
		bert_cpu_softmax(P, T, T);
		const float *use = drop_probs(j, P, Pd, a0, T);
		bert_cpu_sgemm('N', 'N', T, HS, T, 1.0f, use, T, v, 3 * C, 0.0f, ctx + (size_t)o * C + h * HS, C);
	}
}

/* The backward of the above: dqkv (N, 3C) from dctx (N, C). */
static void attn_bwd_items(struct job *j, int r0, int r1, int tid)
{
	struct bert_trainer *t = j->t;
	int C = t->m->cfg.hidden, NH = t->m->cfg.heads, HS = C / NH;
	float scale = 1.0f / sqrtf((float)HS);
	const float *qkv = j->in, *att = j->in2, *dctx = j->g;
	float *dqkv = j->out;
	float *dP = t->scratch + (size_t)tid * 2 * t->cap_t * t->cap_t, *Pd = dP + (size_t)t->cap_t * t->cap_t;
	float inv = j->p > 0 ? 1.0f / (1.0f - j->p) : 1.0f;

	for (;;) {
		int item = atomic_fetch_add(&j->next, 1);
		if (item >= j->B_ * NH)
			break;
		int b = item / NH, h = item % NH, o = j->offsets[b], T = j->offsets[b + 1] - o;
		const float *q = qkv + (size_t)o * 3 * C + h * HS, *k = q + C, *v = q + 2 * C;
		const float *dc = dctx + (size_t)o * C + h * HS;
		float *dq = dqkv + (size_t)o * 3 * C + h * HS, *dk = dq + C, *dv = dq + 2 * C;
		size_t a0 = t->att_off[b] + (size_t)h * T * T;
		const float *P = att + a0, *use = drop_probs(j, P, Pd, a0, T);
		/* dPd = dctx Vᵀ; dV = Pdᵀ dctx */
		bert_cpu_sgemm('N', 'T', T, T, HS, 1.0f, dc, C, v, 3 * C, 0.0f, dP, T);
		bert_cpu_sgemm('T', 'N', T, HS, T, 1.0f, use, T, dc, C, 0.0f, dv, 3 * C);
		/* dP = dPd ⊙ mask; dS = P ⊙ (dP - Σ dP ⊙ P) */
		for (int r = 0; r < T; r++) {
			float *d = dP + (size_t)r * T;
			const float *p = P + (size_t)r * T;
			if (j->p > 0)
				for (int c = 0; c < T; c++)
					d[c] *= keep(j->key, a0 + (size_t)r * T + c, j->p, inv);
			float s = 0;
			for (int c = 0; c < T; c++)
				s += d[c] * p[c];
			for (int c = 0; c < T; c++)
				d[c] = p[c] * (d[c] - s);
		}
		if (j->out2) { /* MPNet: dS by distance c - r, for the bias table's gradient */
			float *rd = j->out2 + t->rd_off[b] + (size_t)h * (2 * T - 1) + (T - 1);
			memset(rd - (T - 1), 0, sizeof(float) * (size_t)(2 * T - 1));
			for (int r = 0; r < T; r++)
				for (int c = 0; c < T; c++)
					rd[c - r] += dP[(size_t)r * T + c];
		}
		/* dQ = scale dS K; dK = scale dSᵀ Q */
		bert_cpu_sgemm('N', 'N', T, HS, T, scale, dP, T, k, 3 * C, 0.0f, dq, 3 * C);
		bert_cpu_sgemm('T', 'N', T, HS, T, scale, dP, T, q, 3 * C, 0.0f, dk, 3 * C);
	}
}

/* ================================================================ the trainer */

struct bert_trainer *bert_trainer_new(struct bert_tmodel *m, int threads, float hidden_dropout, float attn_dropout)
{
	struct bert_trainer *t = xcalloc(1, sizeof *t);
	t->m = m;
	t->pool = bert_cpu_pool_new(threads);
	t->pdrop = hidden_dropout;
	t->pattn = attn_dropout;
	return t;
}

static void free_acts(struct bert_trainer *t)
{
	free(t->X), free(t->QKV), free(t->ATT), free(t->CTX), free(t->XH1), free(t->M1), free(t->XH2);
	free(t->R1), free(t->R2), free(t->HP), free(t->HG), free(t->XHE), free(t->RE);
	free(t->dX), free(t->dS), free(t->dA), free(t->dM), free(t->dC), free(t->dQKV), free(t->dH);
	free(t->pos), free(t->seq);
}

/* The bias table's gradient (rel_buckets, NH) += the distance sums of
 * dRD, in item order (sequence, head, distance): the same sum whatever
 * the threads. */
static void relpos_grad(const struct bert_trainer *t, float *g, int B, const int *offsets)
{
	int NH = t->m->cfg.heads;
	for (int b = 0; b < B; b++) {
		int T = offsets[b + 1] - offsets[b];
		for (int h = 0; h < NH; h++) {
			const float *rd = t->dRD + t->rd_off[b] + (size_t)h * (2 * T - 1) + (T - 1);
			for (int d = -(T - 1); d <= T - 1; d++)
				g[(size_t)bert_relpos_bucket(d) * NH + h] += rd[d];
		}
	}
}

void bert_trainer_free(struct bert_trainer *t)
{
	if (!t)
		return;
	tpool_free(t->pool);
	free_acts(t);
	free(t->scratch), free(t->att_off), free(t->rd_off), free(t->dRD);
	bert_relpos_free(&t->rp);
	free(t->cls), free(t->pre), free(t->pooled), free(t->poold), free(t->lg), free(t->dlg), free(t->dp);
	free(t->dcls);
	free(t);
}

int bert_trainer_threads(const struct bert_trainer *t)
{
	return tpool_size(t->pool);
}

int bert_trainer_labels(const struct bert_trainer *t)
{
	return t->m->cfg.labels;
}

static void grow(struct bert_trainer *t, int B, size_t N, size_t att, int T)
{
	const struct bert_config *c = &t->m->cfg;
	size_t C = (size_t)c->hidden, I = (size_t)c->intermediate, L = (size_t)c->layers;
	if (N > t->cap_n || att > t->cap_att) {
		free_acts(t);
		t->cap_n = N > t->cap_n ? N + N / 4 : t->cap_n;
		t->cap_att = att > t->cap_att ? att + att / 4 : t->cap_att;
		N = t->cap_n;
		t->X = xmalloc(sizeof(float) * (L + 1) * N * C);
		t->QKV = xmalloc(sizeof(float) * L * N * 3 * C);
		t->ATT = xmalloc(sizeof(float) * L * t->cap_att);
		t->CTX = xmalloc(sizeof(float) * L * N * C);
		t->XH1 = xmalloc(sizeof(float) * L * N * C);
		t->M1 = xmalloc(sizeof(float) * L * N * C);
		t->XH2 = xmalloc(sizeof(float) * L * N * C);
		t->R1 = xmalloc(sizeof(float) * L * N);
		t->R2 = xmalloc(sizeof(float) * L * N);
		t->HP = xmalloc(sizeof(float) * L * N * I);
		t->HG = xmalloc(sizeof(float) * L * N * I);
		t->XHE = xmalloc(sizeof(float) * N * C);
		t->RE = xmalloc(sizeof(float) * N);
		t->dX = xmalloc(sizeof(float) * N * C);
		t->dS = xmalloc(sizeof(float) * N * C);
		t->dA = xmalloc(sizeof(float) * N * C);
		t->dM = xmalloc(sizeof(float) * N * C);
		t->dC = xmalloc(sizeof(float) * N * C);
		t->dQKV = xmalloc(sizeof(float) * N * 3 * C);
		t->dH = xmalloc(sizeof(float) * N * I);
		t->pos = xmalloc(sizeof(int) * N);
		t->seq = xmalloc(sizeof(int) * N);
	}
	if ((size_t)T > t->cap_t) {
		t->cap_t = (size_t)T;
		free(t->scratch);
		t->scratch = xmalloc(sizeof(float) * (size_t)tpool_size(t->pool) * 2 * t->cap_t * t->cap_t);
	}
	if ((size_t)B > t->cap_b) {
		size_t K = (size_t)c->labels;
		t->cap_b = (size_t)B;
		free(t->att_off), free(t->cls), free(t->pre), free(t->pooled), free(t->poold), free(t->lg), free(t->dlg);
		free(t->dp), free(t->dcls), free(t->rd_off);
		t->att_off = xmalloc(sizeof(size_t) * (B + 1));
		t->rd_off = xmalloc(sizeof(size_t) * (B + 1));
		t->cls = xmalloc(sizeof(float) * B * C);
		t->pre = xmalloc(sizeof(float) * B * C);
		t->pooled = xmalloc(sizeof(float) * B * C);
		t->poold = xmalloc(sizeof(float) * B * C);
		t->dp = xmalloc(sizeof(float) * B * C);
		t->dcls = xmalloc(sizeof(float) * B * C);
		t->lg = xmalloc(sizeof(float) * B * K);
		t->dlg = xmalloc(sizeof(float) * B * K);
	}
}

double bert_xent(const float *logits, int B, int K, const int *labels, const struct bert_loss_opts *lo, float *dlogits)
{
	double wsum = 0, loss = 0, eps = lo ? lo->smoothing : 0, wall = 0;
	const float *cw = lo ? lo->class_weight : NULL;
	for (int k = 0; k < K; k++)
		wall += cw ? cw[k] : 1.0;
	for (int b = 0; b < B; b++)
		wsum += cw ? cw[labels[b]] : 1.0;
	for (int b = 0; b < B; b++) {
		const float *z = logits + (size_t)b * K;
		int y = labels[b];
		double mx = z[0], s = 0, p[BERT_MAX_LABELS], wy = cw ? cw[y] : 1.0;
		for (int k = 1; k < K; k++)
			mx = z[k] > mx ? z[k] : mx;
		for (int k = 0; k < K; k++)
			s += p[k] = exp(z[k] - mx);
		double lse = mx + log(s);
		loss += (1 - eps) * wy * (lse - z[y]);
		for (int k = 0; k < K; k++)
			loss += eps / K * (cw ? cw[k] : 1.0) * (lse - z[k]);
		if (dlogits)
			for (int k = 0; k < K; k++) {
				double pk = p[k] / s;
				double d = (1 - eps) * wy * (pk - (k == y)) + eps / K * (pk * wall - (cw ? cw[k] : 1.0));
				dlogits[(size_t)b * K + k] = (float)(d / wsum);
			}
	}
	return loss / wsum;
}

/* The backward of a small dense layer on this thread (the pooler and the
 * classifier, B rows): dW += doutᵀ in, db += Σ dout, din = dout W. */
static void dense_bwd_small(float *dw, float *db, float *din, const float *dout, const float *in, const float *w, int B,
			    int IC, int OC)
{
	if (dw)
		bert_cpu_sgemm('T', 'N', OC, IC, B, 1.0f, dout, OC, in, IC, 1.0f, dw, IC);
	if (db)
		for (int b = 0; b < B; b++)
			for (int o = 0; o < OC; o++)
				db[o] += dout[(size_t)b * OC + o];
	bert_cpu_sgemm('N', 'N', B, IC, OC, 1.0f, dout, OC, w, IC, 0.0f, din, IC);
}

double bert_trainer_step(struct bert_trainer *t, int B, const int32_t *ids, const int *offsets, const int *labels,
			 const struct bert_loss_opts *lo, int train, uint64_t dropout_key, float grad_scale,
			 float *logits)
{
	struct bert_tmodel *m = t->m;
	const struct bert_config *c = &m->cfg;
	int C = c->hidden, I = c->intermediate, L = c->layers, NH = c->heads, K = c->labels;
	int N = offsets[B], T = 0;
	size_t att = 0;
	float pd = train ? t->pdrop : 0, pa = train ? t->pattn : 0;

	for (int b = 0; b < B; b++) {
		int Tb = offsets[b + 1] - offsets[b];
		T = Tb > T ? Tb : T;
		att += (size_t)NH * Tb * Tb;
	}
	grow(t, B, (size_t)N, att, T);
	size_t NC = (size_t)N * C, Nc = t->cap_n;
	t->att_off[0] = 0;
	for (int b = 0; b < B; b++) {
		int Tb = offsets[b + 1] - offsets[b];
		t->att_off[b + 1] = t->att_off[b] + (size_t)NH * Tb * Tb;
		for (int r = offsets[b]; r < offsets[b + 1]; r++)
			t->seq[r] = b;
	}
	bert_cpu_positions(c, B, ids, offsets, t->pos);
	float *g_rel = NULL;
	if (c->arch == BERT_ARCH_MPNET) {
		/* the bias by head and distance from the block as it is now */
		struct bert_weights w = {.rel_bias = P_(m, -1, BT_RELPOS)};
		bert_relpos_free(&t->rp);
		t->rp = bert_relpos_new(c, &w);
		if (train && (g_rel = G_(m, -1, BT_RELPOS))) {
			t->rd_off[0] = 0;
			for (int b = 0; b < B; b++)
				t->rd_off[b + 1] = t->rd_off[b] + (size_t)NH * (2 * (offsets[b + 1] - offsets[b]) - 1);
			if (t->rd_off[B] > t->cap_rd) {
				free(t->dRD);
				t->cap_rd = t->rd_off[B] + t->rd_off[B] / 4;
				t->dRD = xmalloc(sizeof(float) * t->cap_rd);
			}
		}
	}
#define X_(l) (t->X + (size_t)(l) * Nc * C)
#define LA(buf, l, w) ((buf) + (size_t)(l) * Nc * (w))

	/* ---- forward */
	struct job ej = {.fn = embed_rows, .R = N, .A = (const float *)ids, .out = t->dS};
	run(t, &ej);
	ln_fwd(t, X_(0), t->XHE, t->RE, t->dS, P_(m, -1, BT_EMB_G), P_(m, -1, BT_EMB_B), N, C);
	dropout(t, X_(0), X_(0), N, C, pd, site_key(dropout_key, 0));
	for (int l = 0; l < L; l++) {
		float *x = X_(l), *qkv = LA(t->QKV, l, 3 * C), *ctx = LA(t->CTX, l, C), *m1 = LA(t->M1, l, C);
		float *hp = LA(t->HP, l, I), *hg = LA(t->HG, l, I);
		linear_fwd(t, qkv, x, P_(m, l, BT_QKV_W), N, C, 3 * C);
		add_bias(t, qkv, P_(m, l, BT_QKV_B), N, 3 * C);
		struct job aj = {.fn = attn_fwd_items, .R = tpool_size(t->pool), .B_ = B, .offsets = offsets, .in = qkv,
				 .out = t->ATT + (size_t)l * t->cap_att, .out2 = ctx, .p = pa,
				 .key = site_key(dropout_key, 1 + 3 * l)};
		atomic_store(&aj.next, 0);
		run(t, &aj);
		linear_fwd(t, t->dA, ctx, P_(m, l, BT_AO_W), N, C, C);
		residual(t, t->dS, x, t->dA, P_(m, l, BT_AO_B), N, C, pd, site_key(dropout_key, 2 + 3 * l));
		ln_fwd(t, m1, LA(t->XH1, l, C), t->R1 + (size_t)l * Nc, t->dS, P_(m, l, BT_LN1_G), P_(m, l, BT_LN1_B), N,
		       C);
		linear_fwd(t, hp, m1, P_(m, l, BT_FI_W), N, C, I);
		struct job gj = {.fn = gelu_rows, .R = N, .cols = I, .out = hp, .out2 = hg, .g = P_(m, l, BT_FI_B)};
		run(t, &gj);
		linear_fwd(t, t->dA, hg, P_(m, l, BT_FO_W), N, I, C);
		residual(t, t->dS, m1, t->dA, P_(m, l, BT_FO_B), N, C, pd, site_key(dropout_key, 3 + 3 * l));
		ln_fwd(t, X_(l + 1), LA(t->XH2, l, C), t->R2 + (size_t)l * Nc, t->dS, P_(m, l, BT_LN2_G),
		       P_(m, l, BT_LN2_B), N, C);
	}
	/* pooling and the classifier: B rows, on this thread */
	const float *xl = X_(L);
	if (c->pooling == BERT_POOL_CLS_TANH) {
		for (int b = 0; b < B; b++)
			memcpy(t->cls + (size_t)b * C, xl + (size_t)offsets[b] * C, sizeof(float) * C);
		bert_cpu_matmul(t->pooled, t->cls, P_(m, L, BT_POOL_W), P_(m, L, BT_POOL_B), B, C, C);
		for (size_t i = 0; i < (size_t)B * C; i++)
			t->pooled[i] = tanhf(t->pooled[i]);
	} else {
		for (int b = 0; b < B; b++) {
			float *p = t->pooled + (size_t)b * C;
			int T0 = offsets[b], Tb = offsets[b + 1] - T0;
			memset(p, 0, sizeof(float) * C);
			for (int r = T0; r < T0 + Tb; r++)
				for (int i = 0; i < C; i++)
					p[i] += xl[(size_t)r * C + i];
			for (int i = 0; i < C; i++)
				p[i] /= (float)Tb;
		}
	}
	uint64_t kcls = site_key(dropout_key, 1 + 3 * L);
	float inv = pd > 0 ? 1.0f / (1.0f - pd) : 1.0f;
	for (size_t i = 0; i < (size_t)B * C; i++)
		t->poold[i] = pd > 0 ? t->pooled[i] * keep(kcls, i, pd, inv) : t->pooled[i];
	bert_cpu_matmul(t->lg, t->poold, P_(m, L, BT_CLS_W), P_(m, L, BT_CLS_B), B, C, K);
	if (logits)
		memcpy(logits, t->lg, sizeof(float) * (size_t)B * K);
	double loss = bert_xent(t->lg, B, K, labels, lo, train ? t->dlg : NULL);
	if (!train)
		return loss;

	/* ---- backward: the head */
	for (size_t i = 0; i < (size_t)B * K; i++)
		t->dlg[i] *= grad_scale;
	dense_bwd_small(G_(m, L, BT_CLS_W), G_(m, L, BT_CLS_B), t->dp, t->dlg, t->poold, P_(m, L, BT_CLS_W), B, C, K);
	for (size_t i = 0; i < (size_t)B * C; i++)
		t->dp[i] = pd > 0 ? t->dp[i] * keep(kcls, i, pd, inv) : t->dp[i];
	float *dx = t->dX;
	memset(dx, 0, sizeof(float) * NC);
	if (c->pooling == BERT_POOL_CLS_TANH) {
		for (size_t i = 0; i < (size_t)B * C; i++)
			t->dp[i] *= 1.0f - t->pooled[i] * t->pooled[i];
		dense_bwd_small(G_(m, L, BT_POOL_W), G_(m, L, BT_POOL_B), t->dcls, t->dp, t->cls, P_(m, L, BT_POOL_W), B,
				C, C);
		for (int b = 0; b < B; b++)
			memcpy(dx + (size_t)offsets[b] * C, t->dcls + (size_t)b * C, sizeof(float) * C);
	} else {
		for (int b = 0; b < B; b++) {
			int T0 = offsets[b], Tb = offsets[b + 1] - T0;
			for (int r = T0; r < T0 + Tb; r++)
				for (int i = 0; i < C; i++)
					dx[(size_t)r * C + i] = t->dp[(size_t)b * C + i] / (float)Tb;
		}
	}

	/* ---- backward: the layers, last first; dx is d X[l+1] */
	for (int l = L - 1; l >= 0; l--) {
		float *x = X_(l), *qkv = LA(t->QKV, l, 3 * C), *ctx = LA(t->CTX, l, C), *m1 = LA(t->M1, l, C);
		float *hp = LA(t->HP, l, I), *hg = LA(t->HG, l, I);
		/* LayerNorm 2, dropout, FFN out */
		ln_bwd(t, t->dS, G_(m, l, BT_LN2_G), G_(m, l, BT_LN2_B), dx, LA(t->XH2, l, C), t->R2 + (size_t)l * Nc,
		       P_(m, l, BT_LN2_G), N, C);
		dropout(t, t->dA, t->dS, N, C, pd, site_key(dropout_key, 3 + 3 * l));
		colsum(t, G_(m, l, BT_FO_B), t->dA, N, C);
		linear_bwd(t, t->dH, 0.0f, G_(m, l, BT_FO_W), t->dA, hg, P_(m, l, BT_FO_W), N, I, C);
		struct job gj = {.fn = gelu_bwd_rows, .R = N, .cols = I, .in = hp, .out = t->dH};
		run(t, &gj);
		colsum(t, G_(m, l, BT_FI_B), t->dH, N, I);
		/* d M1 = dH Wi + the residual's dS */
		memcpy(t->dM, t->dS, sizeof(float) * NC);
		linear_bwd(t, t->dM, 1.0f, G_(m, l, BT_FI_W), t->dH, m1, P_(m, l, BT_FI_W), N, C, I);
		/* LayerNorm 1, dropout, attention out */
		ln_bwd(t, t->dS, G_(m, l, BT_LN1_G), G_(m, l, BT_LN1_B), t->dM, LA(t->XH1, l, C), t->R1 + (size_t)l * Nc,
		       P_(m, l, BT_LN1_G), N, C);
		dropout(t, t->dA, t->dS, N, C, pd, site_key(dropout_key, 2 + 3 * l));
		colsum(t, G_(m, l, BT_AO_B), t->dA, N, C);
		linear_bwd(t, t->dC, 0.0f, G_(m, l, BT_AO_W), t->dA, ctx, P_(m, l, BT_AO_W), N, C, C);
		struct job aj = {.fn = attn_bwd_items, .R = tpool_size(t->pool), .B_ = B, .offsets = offsets, .in = qkv,
				 .in2 = t->ATT + (size_t)l * t->cap_att, .g = t->dC, .out = t->dQKV, .p = pa,
				 .key = site_key(dropout_key, 1 + 3 * l), .out2 = g_rel ? t->dRD : NULL};
		atomic_store(&aj.next, 0);
		run(t, &aj);
		if (g_rel)
			relpos_grad(t, g_rel, B, offsets);
		colsum(t, G_(m, l, BT_QKV_B), t->dQKV, N, 3 * C);
		/* d X[l] = dQKV Wqkv + the residual's dS */
		memcpy(dx, t->dS, sizeof(float) * NC);
		linear_bwd(t, dx, 1.0f, G_(m, l, BT_QKV_W), t->dQKV, x, P_(m, l, BT_QKV_W), N, C, 3 * C);
	}
	/* the embeddings: dropout, LayerNorm, then the three tables */
	dropout(t, dx, dx, N, C, pd, site_key(dropout_key, 0));
	ln_bwd(t, t->dS, G_(m, -1, BT_EMB_G), G_(m, -1, BT_EMB_B), dx, t->XHE, t->RE, P_(m, -1, BT_EMB_G), N, C);
	float *gw = G_(m, -1, BT_WORD), *gp = G_(m, -1, BT_POS);
	float *gt = c->arch == BERT_ARCH_MPNET ? NULL : G_(m, -1, BT_TYPE);
	if (gw || gp || gt) {
		struct job bj = {.fn = embed_bwd_cols, .R = C, .N = N, .A = (const float *)ids, .in = t->dS, .out = gw,
				 .out2 = gp, .out3 = gt};
		run(t, &bj);
	}
#undef X_
#undef LA
	return loss;
}
