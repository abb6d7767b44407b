/*
 * model.h — what model.c offers beyond bert.h, to herd-train and the
 * tests inside herd: the weights as loaded, the encoder's own hash, and
 * the pooled features a head is trained on. Not for other callers: the
 * public API is bert.h.
 */
#ifndef HERD_BERT_MODEL_H
#define HERD_BERT_MODEL_H

#include "bert/bert.h"
#include "bert/head.h"
#include "bert/weights.h"

/* The fp32 weights (borrowed; they live as long as m). */
const struct bert_weights *bert_get_weights(const bert_model *m);
/* The model hash of model.safetensors (then adapter.safetensors, when
 * there is one) (8 hex digits): what a head records as the encoder it was
 * trained on. */
const char *bert_encoder_hash(const bert_model *m);
/* The model hash of these files, one after the other (model.safetensors,
 * then head.safetensors when there is one): the first 8 hex digits of
 * their SHA-256. Returns 0, or -1 with "path: reason" in err. */
int bert_files_hash(const char *const *paths, int n, char hex[9], char *err, size_t errlen);
/* The head from head.safetensors, or NULL when the model has none. */
const struct bert_head *bert_get_head(const bert_model *m);
/* The features f of B sequences (bert_run's arguments) into feats
 * (B, f->n · C): what herd-train fits a head on. Features beyond the last
 * layer's mean need the CPU device. Returns 0, or -1 with a message. */
int bert_run_features(bert_model *m, const struct bert_features *f, int B, const int32_t *const *ids, const int *lens,
		      float *feats, char *err, size_t errlen);

#endif
