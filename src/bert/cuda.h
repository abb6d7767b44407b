/*
 * cuda.h — the interface between model.c and the CUDA backend (cuda.cu).
 * The backend owns everything on the device: weights uploaded once (in
 * the chosen precision), activation buffers sized for max_tokens, pinned
 * host staging buffers and a stream. It does no I/O.
 *
 * Input is a packed batch: the B sequences' ids back to back (N tokens in
 * all, no padding), with offsets[b]..offsets[b+1] the span of sequence b.
 * Built only with nvcc (HERD_CUDA); without it these are not linked and
 * model.c reports that the build has no CUDA.
 */
#ifndef HERD_BERT_CUDA_H
#define HERD_BERT_CUDA_H

#include "bert.h"
#include "weights.h"

struct bert_cuda;

/* Whether a device can be used (cudaGetDeviceCount > 0), else why. */
int bert_cuda_probe(char *why, size_t whylen, char *name, size_t namelen);
/* Upload weights and size buffers for up to max_batch sequences and
 * max_tokens packed tokens. NULL and a message on failure. */
struct bert_cuda *bert_cuda_new(const struct bert_config *cfg, const struct bert_weights *w,
				enum bert_precision prec, int max_batch, int max_tokens, char *err, size_t errlen);
/* Run one packed batch; outputs as in bert_run (each may be NULL). */
int bert_cuda_run(struct bert_cuda *g, int B, const int32_t *ids, const int *offsets, float *logits,
		  float *pooled, char *err, size_t errlen);
void bert_cuda_free(struct bert_cuda *g);

#endif
