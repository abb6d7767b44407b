/*
 * train.h — the training room: the BERT encoder's forward pass with its
 * activations kept, and its backward pass, in fp32 on the CPU through the
 * same GEMM library as inference (cpu.c). herd-train and the golden-file
 * tests are its callers; optim.c (AdamW, schedules, clipping), lora.c
 * (adapters) and ckpt.c (checkpoints, Hugging Face directories) build on
 * the parameter block it defines.
 *
 * The interface is one a CUDA backend could serve as well: a flat fp32
 * parameter block and a gradient block of the same layout (named tensors,
 * tensor.h-style table), and one call that takes a packed batch (token ids
 * back to back, offsets, labels) and returns the loss, writing gradients
 * into the gradient block. Nothing here reads files or prints.
 *
 * The model: embeddings (word + position + type 0, LayerNorm, dropout),
 * L post-LN layers (fused QKV, attention over each sequence's own tokens
 * in the packed layout with dropout on the probabilities, output dense,
 * dropout, add + LayerNorm, GELU FFN, dropout, add + LayerNorm), pooling
 * (BertForSequenceClassification's tanh pooler on [CLS], or the mean over
 * tokens), dropout, a linear classifier, and softmax cross-entropy with
 * optional class weights and label smoothing, as PyTorch's
 * F.cross_entropy(weight=, label_smoothing=) defines it.
 *
 * Shapes use bert.h's letters: B, T, N, C, NH, HS, I, L, K, V, P.
 */
#ifndef HERD_BERT_TRAIN_H
#define HERD_BERT_TRAIN_H

#include "bert/bert.h"
#include "bert/weights.h"

#include <stddef.h>
#include <stdint.h>

/* Per layer, the tensors in block order (Q, K and V fused as inference
 * fuses them; a checkpoint writes them as three). */
enum {
	BT_QKV_W, BT_QKV_B, BT_AO_W, BT_AO_B, BT_LN1_G, BT_LN1_B,
	BT_FI_W, BT_FI_B, BT_FO_W, BT_FO_B, BT_LN2_G, BT_LN2_B, BT_PER_LAYER
};
/* The others, in block order: embeddings first, then the layers, then
 * the pooler (cls pooling only) and the classifier. MPNet has no token
 * types: its slot holds the relative-position bias table
 * (encoder.relative_attention_bias.weight, (32, NH)), BT_RELPOS. */
enum { BT_WORD, BT_POS, BT_TYPE, BT_EMB_G, BT_EMB_B, BT_EMBEDDINGS };
#define BT_RELPOS BT_TYPE
enum { BT_POOL_W, BT_POOL_B, BT_CLS_W, BT_CLS_B, BT_HEAD };

struct bert_tensor {
	char name[80];   /* Hugging Face's name, without the "bert."/"mpnet." prefix; "qkv" for the fused ones */
	int rows, cols;  /* (rows, cols); cols 0 for a vector */
	size_t off, n;   /* floats into the block */
	int layer;       /* 0..L-1; -1 embeddings; L pooler and classifier */
	int matrix;      /* a layer's weight matrix (LoRA's targets) */
	int decay;       /* AdamW decays it: every 2-D tensor, not biases or LayerNorm */
};

/* The model being trained: its configuration, the parameter block and the
 * gradient block (same layout), and the table naming each tensor. */
struct bert_tmodel {
	struct bert_config cfg; /* cfg.labels = K, cfg.pooling */
	size_t P;               /* floats in the block */
	float *param, *grad;
	struct bert_tensor *t;  /* nt tensors, in block order */
	int nt;
	int *frozen;            /* per tensor: BERT_TRAINED, BERT_FROZEN or BERT_GRAD_ONLY */
	int lora_rank;          /* r of the adapters at the block's end (0: none) */
	int lora0;              /* index of the first adapter tensor (nt when none) */
};

/* What happens to a tensor: trained (gradient, optimizer step); frozen (no
 * gradient, never changes); gradient only (LoRA's base matrices: their
 * gradient feeds the adapters', lora.c, and the optimizer skips them). */
enum { BERT_TRAINED, BERT_FROZEN, BERT_GRAD_ONLY };

/* A model of cfg's shape (cfg->labels = K >= 2 and cfg->pooling set), its
 * parameters zero; with lora_rank > 0 the block ends with rank-r adapters
 * on every layer's six projections (lora.h: "encoder.layer.N.TARGET.lora_A"
 * (r, IC) and "….lora_B" (OC, r)). Never fails. Free with bert_tmodel_free
 * (NULL is a no-op). */
struct bert_tmodel *bert_tmodel_new(const struct bert_config *cfg, int lora_rank);
void bert_tmodel_free(struct bert_tmodel *m);
/* Copy a loaded encoder's weights (and its pooler and classifier when it
 * has them and the shapes agree) into m. Returns which of pooler and
 * classifier came from w: bit 0 pooler, bit 1 classifier. */
int bert_tmodel_from_weights(struct bert_tmodel *m, const struct bert_weights *w, int w_labels);
/* Tensor index by layer and slot (BT_* above). */
int bert_tmodel_index(const struct bert_tmodel *m, int layer, int slot);
/* The weights as inference reads them, pointing into m->param (for
 * bert_cpu_run on the model being trained). lw has L entries. */
void bert_tmodel_weights(const struct bert_tmodel *m, struct bert_weights *w, struct bert_layer_weights *lw);

/* ---------------------------------------------------------- the step */

struct bert_trainer;

struct bert_loss_opts {
	const float *class_weight; /* (K), NULL for all 1 */
	float smoothing;           /* label smoothing in [0, 1) */
};

/* A trainer for m (borrowed) with threads workers (0 = every CPU), hidden
 * and attention dropout probabilities (HF's hidden_dropout_prob and
 * attention_probs_dropout_prob; the classifier's dropout is the hidden
 * one). Never fails. Free with bert_trainer_free (NULL is a no-op). */
struct bert_trainer *bert_trainer_new(struct bert_tmodel *m, int threads, float hidden_dropout, float attn_dropout);
void bert_trainer_free(struct bert_trainer *t);
int bert_trainer_threads(const struct bert_trainer *t);
int bert_trainer_labels(const struct bert_trainer *t); /* K */

/* One packed batch: B sequences of ids (N = offsets[B] tokens), labels
 * (B). Runs the forward pass (dropout when train, its masks drawn from
 * dropout_key: the same key gives the same masks whatever the thread
 * count) and returns the mean loss; when train, also the backward pass:
 * the gradients are ADDED to m->grad (zero it between steps; adding lets
 * a caller accumulate micro-batches), scaled by grad_scale (the caller's
 * share of the whole step). logits (B, K) when not NULL. */
double bert_trainer_step(struct bert_trainer *t, int B, const int32_t *ids, const int *offsets, const int *labels,
			 const struct bert_loss_opts *lo, int train, uint64_t dropout_key, float grad_scale,
			 float *logits);

/* Softmax cross-entropy of logits (B, K) against labels, PyTorch's
 * definition: [(1-ε) Σ_b w_y ℓ_b,y + (ε/K) Σ_b Σ_k w_k ℓ_b,k] / Σ_b w_y with
 * ℓ = -log softmax. Writes dlogits (B, K) (may be NULL) and returns the loss. */
double bert_xent(const float *logits, int B, int K, const int *labels, const struct bert_loss_opts *lo,
		 float *dlogits);

#endif
