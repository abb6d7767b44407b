/*
 * lora.h — low-rank adapters (LoRA) on the encoder's projections: for a
 * weight W (OC, IC), W' = W + (alpha / r) · B · A with A (r, IC) and
 * B (OC, r). Six targets per layer: attention.self.query, .key, .value,
 * attention.output.dense, intermediate.dense, output.dense (MPNet:
 * attention.attn.q, .k, .v, .o, intermediate.dense, output.dense).
 *
 * Two callers: the training room (train.h's block carries the adapters;
 * before each step the adapted weights are formed, after it the
 * adapters' gradients are taken from the weights' — exact, since
 * dA = s Bᵀ dW' and dB = s dW' Aᵀ), and model.c, which merges
 * adapter.safetensors into the weights when it loads a model, so that
 * scoring with an adapter costs what the base model costs.
 *
 * adapter.safetensors: F32 or F16 tensors named as train.h names them
 * ("encoder.layer.N.attention.self.query.lora_A" …), metadata "format" =
 * "herd-lora-1", "rank", "alpha", and "base" (the model hash of the
 * model.safetensors it was trained on; a mismatch is an error).
 */
#ifndef HERD_BERT_LORA_H
#define HERD_BERT_LORA_H

#include "bert/bert.h"
#include "bert/weights.h"

#include <stddef.h>

#define BERT_LORA_FORMAT "herd-lora-1"
enum { BERT_LORA_Q, BERT_LORA_K, BERT_LORA_V, BERT_LORA_AO, BERT_LORA_FI, BERT_LORA_FO, BERT_LORA_TARGETS };

struct bert_tmodel;

/* "attention.self.query" … for target k (MPNet: "attention.attn.q" …). */
const char *bert_lora_target_name(const struct bert_config *cfg, int k);
/* (OC, IC) of target k. */
void bert_lora_target_shape(const struct bert_config *cfg, int k, int *OC, int *IC);
/* Where target k's weight starts in layer lw: Q, K and V are row blocks of
 * the fused (3C, C) matrix. */
const float *bert_lora_target_weight(const struct bert_layer_weights *lw, const struct bert_config *cfg, int k);

/* W (OC, IC) += scale · B (OC, r) · A (r, IC). */
void bert_lora_add(float *W, const float *A, const float *B, int OC, int IC, int r, float scale);

/* Merge the adapter file at path into weights w of a model (its block is
 * the caller's, hence writable). base_hash: the hash of the
 * model.safetensors w came from. Returns 0, or -1 with "path: reason"
 * (not an adapter, another base, a missing or misshapen tensor, a rank
 * or alpha out of range). */
int bert_lora_merge_file(const char *path, const struct bert_config *cfg, const struct bert_weights *w,
			 const char *base_hash, char *err, size_t errlen);
/* Write m's adapters to path (atomically), F16 when f16. */
int bert_lora_save(const struct bert_tmodel *m, float alpha, const char *base_hash, const char *path, int f16,
		   char *err, size_t errlen);

/* ---------------------------------------------------------- training */

struct bert_lora_train;
/* Take m's current weights as the frozen base (copies of the targeted
 * matrices), mark m's tensors: adapters and the head trained, the base
 * matrices gradient-only, the rest frozen; initialize A (Kaiming-uniform,
 * as PEFT does, from seed) and B (0). Free with bert_lora_train_free. */
struct bert_lora_train *bert_lora_train_new(struct bert_tmodel *m, float alpha, unsigned long long seed);
void bert_lora_train_free(struct bert_lora_train *lt);
/* m's base matrices = base + scale B A (before a step, after a change of the adapters). */
void bert_lora_form(struct bert_lora_train *lt, struct bert_tmodel *m);
/* The adapters' gradients from the base matrices' (after a step's backward). */
void bert_lora_backward(struct bert_lora_train *lt, struct bert_tmodel *m);
float bert_lora_scale(const struct bert_lora_train *lt);

#endif
