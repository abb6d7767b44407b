/*
 * cpu.h — the BERT encoder on the CPU in fp32 (cpu.c), the backend model.c
 * uses when the device is the CPU, and the reference the CUDA backend is
 * checked against. Like cuda.h it takes a packed batch: the B sequences'
 * ids back to back (N tokens, no padding), offsets[b]..offsets[b+1] the
 * span of sequence b.
 *
 * Each op comes twice: the fast one (GEMM library, threads, vectorized
 * loops) and a plain-loop `_ref` one (STYLE.md rule 13), which the unit
 * tests use as the oracle. bert_cpu_forward_ref chains the `_ref` ops into
 * a whole forward pass. No I/O here.
 *
 * Shapes use bert.h's letters: B, T, N, C, NH, HS, I, L, K.
 */
#ifndef HERD_BERT_CPU_H
#define HERD_BERT_CPU_H

#include "bert/bert.h"
#include "bert/out.h"
#include "bert/positions.h"
#include "bert/weights.h"
#include "lib/tpool.h"

struct bert_cpu;

/* Make the CPU backend for cfg and w (borrowed: they must outlive it)
 * with threads threads (0 = the CPUs this process may run on). Starts
 * the worker threads. Never fails (allocation failure exits, lib/util.h).
 * Free with bert_cpu_free (NULL is a no-op). */
struct bert_cpu *bert_cpu_new(const struct bert_config *cfg, const struct bert_weights *w, int threads);
void bert_cpu_free(struct bert_cpu *c);
/* Run the four projections of every layer through int8 from now on
 * (quant.h: per-channel s8 weights made here, each activation row
 * quantized as it enters). Returns 0 with what runs them in info, or -1
 * with the reason in err (a build without oneDNN). */
int bert_cpu_set_int8(struct bert_cpu *c, char *info, size_t infolen, char *err, size_t errlen);
/* After bert_cpu_set_int8: run the next batches' projections in fp32
 * (through the GEMM library, on the weights int8 was made from) while
 * fp32 is 1, in int8 again once it is 0: model.c's re-check of the
 * sequences int8 leaves near a tie (bert_options.int8_recheck). */
void bert_cpu_int8_as_fp32(struct bert_cpu *c, int fp32);
/* Run them through oneDNN's matmul primitive, the weights packed here
 * (matmul.h): in fp32 (bf16 0: gemm.c's measured choice), or in bf16
 * (weights rounded here, activations as they enter, fp32 sums and
 * output). Returns 0 with oneDNN's kernel in info, or -1 with the reason
 * in err (bf16 where the CPU has no AVX512_BF16). */
int bert_cpu_set_matmul(struct bert_cpu *c, int bf16, char *info, size_t infolen, char *err, size_t errlen);
int bert_cpu_threads(const struct bert_cpu *c);
/* Run one packed batch. ids must be valid (< V) and every sequence 1..P
 * long: model.c checks. */
void bert_cpu_run(struct bert_cpu *c, int B, const int32_t *ids, const int *offsets, const struct bert_out *out);
/* The same with the `_ref` ops, single-threaded: the oracle. */
void bert_cpu_forward_ref(const struct bert_config *cfg, const struct bert_weights *w, int B, const int32_t *ids,
			  const int *offsets, const struct bert_out *out);

/* A thread pool of threads workers (0 = every CPU) whose threads, the
 * caller's included, run the GEMM library single-threaded, as
 * bert_cpu_new's does: for the training room. Free with tpool_free. */
tpool *bert_cpu_pool_new(int threads);
/* Which GEMM kernel runs and why (gemm.h's bert_gemm_info): "oneDNN 2.6
 * dnnl_sgemm (avx512_core): measured 151 vs openblas 141 GFLOP/s". */
const char *bert_cpu_gemm_name(void);
/* The number of CPUs this process may run on. */
int bert_cpu_count(void);

/* ---------------------------------------------------------- the ops */

/* out (M, OC) = inp (M, IC) · w (OC, IC)ᵀ [+ bias (OC)]. The fast one
 * runs on the calling thread only (the caller splits M across threads). */
void bert_cpu_matmul(float *out, const float *inp, const float *w, const float *bias, int M, int IC, int OC);
void bert_cpu_matmul_ref(float *out, const float *inp, const float *w, const float *bias, int M, int IC, int OC);
/* herd's own GEMM, run where no library is (gemm.c): C (M, N) = A (M, K) · B (N, K)ᵀ, row-major with
 * leading dimensions, beta 0. */
void bert_cpu_sgemm_nt_blocked(int M, int N, int K, const float *A, int lda, const float *B, int ldb, float *C,
			       int ldc);
/* C (M, N) = alpha · op(A) · op(B) + beta · C, row-major, ta/tb 'N' or
 * 'T', on the calling thread (the training room's GEMMs). */
void bert_cpu_sgemm(char ta, char tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
		    int ldb, float beta, float *C, int ldc);
/* x (N, C) = LayerNorm(x + y + bias) * g + b, per row (y and bias may be NULL). */
void bert_cpu_add_layernorm(float *x, const float *y, const float *bias, const float *g, const float *b, int N, int C,
			    float eps);
void bert_cpu_add_layernorm_ref(float *x, const float *y, const float *bias, const float *g, const float *b, int N,
				int C, float eps);
/* h (N, I) = gelu(h + bias), exact (erf) GELU. */
void bert_cpu_bias_gelu(float *h, const float *bias, int N, int I);
void bert_cpu_bias_gelu_ref(float *h, const float *bias, int N, int I);
/* x (R, T) = softmax of each row. */
void bert_cpu_softmax(float *x, int R, int T);
void bert_cpu_softmax_ref(float *x, int R, int T);
/* ---------------------------------------------------------- MPNet's extras */

/* MPNet's relative-position bias and its buckets: positions.h. */
/* The bias by head and distance, made once per model: table (NH, 2·span
 * + 1), head h's bias at distance j - i = table[h·(2·span + 1) + span +
 * j - i], span = the longest sequence less one. table NULL for BERT. */
struct bert_relpos {
	float *table;
	int span;
};
/* For cfg and w (a zero struct for BERT). Free with bert_relpos_free. */
struct bert_relpos bert_relpos_new(const struct bert_config *cfg, const struct bert_weights *w);
void bert_relpos_free(struct bert_relpos *rp);
/* Head h's bias by distance, centred at distance 0 (pb[j - i]); NULL when
 * rp is NULL or has no table (BERT). */
const float *bert_relpos_head(const struct bert_relpos *rp, int h);
/* The one term MPNet adds to attention: S (n, T), the scaled scores QKᵀ/√HS
 * of query rows i0..i0+n-1 against keys 0..T-1 of one sequence, += pb[j -
 * i], before the softmax. Its backward is the identity: dS flows on to Q
 * and K unchanged, and the table's gradient is dS summed by bucket. */
void bert_cpu_add_position_bias(float *S, int i0, int n, int T, const float *pb);
/* pos (N): each token's position id (positions.h's bert_positions). */
void bert_cpu_positions(const struct bert_config *cfg, int B, const int32_t *ids, const int *offsets, int *pos);

/* Self-attention of the packed batch: ctx (N, C) from qkv (N, 3C), the
 * QKV GEMM's output without its bias, and qkv_b (3C). Each sequence
 * attends to its own tokens only. MPNet adds rp's bias to the scores
 * before the softmax (rp NULL or its table NULL: none); the ref one reads
 * rel_bias (buckets, NH) itself (NULL: none). The fast one (one thread; bert_cpu_run
 * spreads the same per-head code over its threads) needs scratch of
 * bert_cpu_attention_scratch(T, C) floats for the longest T and adds the
 * bias into qkv in place; the ref one leaves qkv alone. Up to 256 tokens
 * with heads of 32 or 64 it is one fused pass per head (scores, softmax,
 * weighted sum in registers and cache); else through the GEMM library, the
 * query rows in blocks of 64 past 256 tokens. */
void bert_cpu_attention(float *ctx, float *qkv, const float *qkv_b, int B, const int *offsets, int C, int NH,
			const struct bert_relpos *rp, float *scratch);
size_t bert_cpu_attention_scratch(int T, int C);
void bert_cpu_attention_ref(float *ctx, const float *qkv, const float *qkv_b, int B, const int *offsets, int C, int NH,
			    const float *rel_bias);

#endif
