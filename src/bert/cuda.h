/*
 * cuda.h — the interface between model.c and the CUDA backend (cuda.cu).
 * The backend owns everything on the device: weights uploaded once (in
 * the chosen precision), activation buffers sized for max_tokens, pinned
 * host staging buffers and a stream. It does no I/O.
 *
 * Input is a packed batch: the B sequences' ids back to back (N tokens in
 * all, no padding), with offsets[b]..offsets[b+1] the span of sequence b.
 * Output is struct bert_out (out.h), the one the CPU backend fills too.
 * Built only with nvcc. The Makefile makes cuda.cu a shared object,
 * lib/libherd-cuda.so (HERD_CUDA_DLOPEN), which cuda_load.c opens the first
 * time a model asks for the GPU: cuBLAS alone costs a program ~150 MB and
 * 0.1 s at start, which VADER runs, CPU runs and every shard of a parallel
 * run would otherwise pay for nothing. A build that links cuda.cu in
 * (HERD_CUDA: scripts/gpu-check.sh) gets the same table of functions;
 * without either, bert_cuda_backend says that the build has no CUDA.
 */
#ifndef HERD_BERT_CUDA_H
#define HERD_BERT_CUDA_H

#include "bert.h"
#include "out.h"
#include "weights.h"

struct bert_cuda;

/* Whether a device can be used (cudaGetDeviceCount > 0), else why. */
int bert_cuda_probe(char *why, size_t whylen, char *name, size_t namelen);
/* Upload weights and size buffers for up to max_batch sequences and
 * max_tokens packed tokens. NULL and a message on failure. */
struct bert_cuda *bert_cuda_new(const struct bert_config *cfg, const struct bert_weights *w,
				enum bert_precision prec, int max_batch, int max_tokens, char *err, size_t errlen);
/* Run one packed batch; fills what out asks for (out.h: logits, pooled,
 * hidden, layer_mean, last_max; each may be NULL), as bert_cpu_run does.
 * Features are pooled on the device; only what is asked for is copied
 * back. */
int bert_cuda_forward(struct bert_cuda *g, int B, const int32_t *ids, const int *offsets, const struct bert_out *out,
		      char *err, size_t errlen);
void bert_cuda_free(struct bert_cuda *g);

/* The backend's functions, as model.c calls them. */
struct bert_cuda_api {
	int (*probe)(char *why, size_t whylen, char *name, size_t namelen);
	struct bert_cuda *(*create)(const struct bert_config *cfg, const struct bert_weights *w,
				    enum bert_precision prec, int max_batch, int max_tokens, char *err, size_t errlen);
	int (*run)(struct bert_cuda *g, int B, const int32_t *ids, const int *offsets, const struct bert_out *out,
		   char *err, size_t errlen);
	void (*destroy)(struct bert_cuda *g);
};

/* The backend, loaded on first use, or NULL and why not: no backend in
 * this build, no NVIDIA driver on this machine (libcuda.so.1 is looked for
 * before the backend and cuBLAS are loaded), or the shared object missing
 * or unloadable. */
const struct bert_cuda_api *bert_cuda_backend(char *why, size_t whylen);
/* The same without looking for the driver first (tests: the backend's own
 * refusals on a machine without a GPU). */
const struct bert_cuda_api *bert_cuda_backend_open(char *why, size_t whylen);

#endif
