/*
 * head.h — the separate classifier head of a sentence-encoder model
 * (head.safetensors beside a BertModel checkpoint): which pooled features
 * it reads, and a linear layer or a one-hidden-layer MLP over them.
 * herd-train writes heads; model.c loads and applies them on the host
 * after the backend (CPU or CUDA) has pooled the sequence.
 *
 * Features, named in the head's metadata as a comma list:
 *   mean      mean of the last layer's hidden states over the tokens
 *             (the sentence-transformers embedding, bert_run's pooled)
 *   max       their maximum over the tokens
 *   mean@N    mean of layer N's output (1..L)
 * The feature vector is their concatenation: D = count · C.
 *
 * head.safetensors: fp32 tensors "classifier.weight" (K, D or H) and
 * "classifier.bias" (K), with "hidden.weight" (H, D) and "hidden.bias" (H)
 * for an MLP (ReLU); metadata "format" = "herd-head-1", "labels" (comma
 * list, K names), "features", and "encoder" (the model hash the head was
 * trained on). Feature standardization is folded into the first layer.
 */
#ifndef HERD_BERT_HEAD_H
#define HERD_BERT_HEAD_H

#include "bert/bert.h"

#define BERT_HEAD_FORMAT "herd-head-1"
#define BERT_HEAD_MAX_FEATURES 16

struct bert_features {
	int n;
	struct {
		int layer; /* 1..L; the last layer is L */
		int max;   /* 1: maximum over tokens, 0: mean */
	} f[BERT_HEAD_MAX_FEATURES];
};

struct bert_head {
	struct bert_features feat;
	int D, H, K;             /* feature size, hidden units (0: linear), labels */
	char labels[BERT_MAX_LABELS][BERT_LABEL_LEN];
	char encoder[9];         /* model hash it was trained on ("" unknown) */
	float *w1, *b1;          /* (H, D) (H), NULL when linear */
	float *w2, *b2;          /* (K, H or D) (K) */
};

/* Parse a feature list ("mean", "mean,max", "mean@3,mean@6,max") for a
 * model of L layers. Returns 0, or -1 with the reason in err. */
int bert_features_parse(const char *spec, int L, struct bert_features *f, char *err, size_t errlen);
/* The canonical text of f (into buf), the inverse of bert_features_parse. */
void bert_features_format(const struct bert_features *f, int L, char *buf, size_t len);

/* Load a head file for a model with hidden size C and L layers. Returns 0
 * or -1 with "path: reason". Free the tensors with bert_head_release. */
int bert_head_load(struct bert_head *h, const char *path, int C, int L, char *err, size_t errlen);
void bert_head_release(struct bert_head *h);
/* Write h to path (atomically), its weights F16 when f16 (else F32). */
int bert_head_save(const struct bert_head *h, const char *path, int L, int f16, char *err, size_t errlen);
/* logits (B, K) from features (B, D). */
void bert_head_forward(const struct bert_head *h, int B, const float *feats, float *logits);

#endif
