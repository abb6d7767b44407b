/*
 * cpu.c — the BERT encoder forward pass on the CPU, fp32 (cpu.h).
 *
 * The batch is packed: N real tokens back to back, no padding, so every
 * projection is one (N, IC) x (IC, OC) GEMM and attention runs per
 * sequence over its own tokens only. Per layer:
 *
 *   qkv (N, 3C) = x Wqkvᵀ + b          GEMM, the bias on each tile as it ends
 *   ctx (N, C)  = attention(qkv)       per (sequence, head): S = QKᵀ/√HS
 *                                      (GEMM, the scale as its alpha), [MPNet:
 *                                      S += relative-position bias], softmax,
 *                                      SV (GEMM); one fused pass of our own
 *                                      for short sequences
 *   x = LN(x + ctx Woᵀ + bo)           GEMM, bias + residual + LayerNorm on each block
 *   h (N, I) = gelu(x Wiᵀ + bi)        GEMM, bias + exact-erf GELU on each block
 *   x = LN(x + h Wfᵀ + bf)             GEMM, bias + residual + LayerNorm on each block
 *
 * The epilogues run on a GEMM's tile right after it (LayerNorm on a row
 * block once its last tile is in), on the same worker, while its rows are
 * in that core's cache (issue 15), not as a pass of their own over the
 * whole (N, ·) matrix.
 *
 * Threads: a pool of `threads` workers (the caller is worker 0), each
 * calling the GEMM library on its own thread only (the library's own
 * OpenMP threads would fight ours for the same cores between GEMMs).
 * The bytes out never depend on the number of threads, by construction
 * (issue 18): every GEMM over the packed batch is cut into tiles (row
 * blocks counted from row 0, each cut into column blocks), their shape set
 * by the batch and the layer alone (gemm_tile), each tile one library call
 * of the same shape, handed out as workers come free; a library may sum a row differently in a call of another shape
 * (oneDNN's AVX2 kernels do), never in the same call. The other ops
 * compute a row, a (sequence, head) or a sequence on its own, with the
 * same code and calls whichever worker runs it (the attention scratch is
 * aligned alike for every worker), so any split of them gives the same
 * result; the pooler and the head run on the calling thread.
 *
 * GEMM library: chosen by measurement on this CPU when the first model
 * loads (gemm.c: oneDNN, OpenBLAS, or the plain cache-blocked loop nest
 * below where neither is there), cached, pinned with HERD_GEMM. With
 * oneDNN's matmul (matmul.c) the weights are packed once, a wide
 * projection's in panels of output columns (mm_panels), each tile a
 * block of rows times a panel.
 *
 * The `_ref` ops are plain loops with libm's erff/expf, kept as the
 * oracle (tests/unit/test_bert_cpu.c) and for bert_cpu_forward_ref.
 */
#include "bert/cpu.h"

#include "bert/gemm.h"
#include "bert/matmul.h"
#include "bert/quant.h"
#include "lib/tpool.h"
#include "lib/util.h"

/* GCC vectorizes with 256-bit registers by default even where AVX-512 is
 * there (-march=native on Xeons); the elementwise loops here (GELU,
 * softmax, LayerNorm) run ~2x faster at 512 bits. No effect elsewhere. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC target("prefer-vector-width=512")
#endif

#include "bert/vmath.h"

#include <dlfcn.h>
#include <math.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ================================================================ GEMM */

/* The plain fallback: C (M, N) = A (M, K) · B (N, K)ᵀ. B is packed
 * transposed in blocks of KB x NB (64 KiB, fits L2 beside A's rows), so
 * the inner loop runs along N over contiguous memory and vectorizes. */
#define BLK_K 128
#define BLK_N 128
void bert_cpu_sgemm_nt_blocked(int M, int N, int K, const float *A, int lda, const float *B, int ldb, float *C,
			       int ldc)
{
	float *pack = xmalloc(sizeof(float) * BLK_K * BLK_N);

	for (int i = 0; i < M; i++)
		memset(C + (size_t)i * ldc, 0, sizeof(float) * (size_t)N);
	for (int n0 = 0; n0 < N; n0 += BLK_N) {
		int nb = N - n0 < BLK_N ? N - n0 : BLK_N;
		for (int k0 = 0; k0 < K; k0 += BLK_K) {
			int kb = K - k0 < BLK_K ? K - k0 : BLK_K;
			for (int j = 0; j < nb; j++)
				for (int k = 0; k < kb; k++)
					pack[k * BLK_N + j] = B[(size_t)(n0 + j) * ldb + k0 + k];
			for (int i = 0; i < M; i++) {
				const float *a = A + (size_t)i * lda + k0;
				float *c = C + (size_t)i * ldc + n0;
				for (int k = 0; k < kb; k++) {
					float av = a[k];
					const float *p = pack + k * BLK_N;
					for (int j = 0; j < nb; j++)
						c[j] += av * p[j];
				}
			}
		}
	}
	free(pack);
}

/* C (M, N) = alpha · A (M, K) · B (N, K)ᵀ, beta 0, on the calling thread. */
static void sgemm_nt_alpha(int M, int N, int K, float alpha, const float *A, int lda, const float *B, int ldb, float *C,
			   int ldc)
{
	bert_gemm('N', 'T', M, N, K, alpha, A, lda, B, ldb, 0.0f, C, ldc);
}

static void sgemm_nt(int M, int N, int K, const float *A, int lda, const float *B, int ldb, float *C, int ldc)
{
	sgemm_nt_alpha(M, N, K, 1.0f, A, lda, B, ldb, C, ldc);
}

/* C (M, N) = A (M, K) · B (K, N), beta 0, on the calling thread. */
static void sgemm_nn(int M, int N, int K, const float *A, int lda, const float *B, int ldb, float *C, int ldc)
{
	bert_gemm('N', 'N', M, N, K, 1.0f, A, lda, B, ldb, 0.0f, C, ldc);
}

void bert_cpu_sgemm(char ta, char tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
		    int ldb, float beta, float *C, int ldc)
{
	bert_gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

tpool *bert_cpu_pool_new(int threads)
{
	if (threads <= 0)
		threads = bert_cpu_count();
	bert_gemm_thread_init();
	return tpool_new(threads, bert_gemm_thread_init, NULL);
}

const char *bert_cpu_gemm_name(void)
{
	return bert_gemm_info();
}

int bert_cpu_count(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
		return CPU_COUNT(&set);
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (int)n : 1;
}

/* ================================================================ math */

/* ================================================================ ops */

void bert_cpu_matmul_ref(float *out, const float *inp, const float *w, const float *bias, int M, int IC, int OC)
{
	for (int i = 0; i < M; i++)
		for (int o = 0; o < OC; o++) {
			double s = bias ? bias[o] : 0.0;
			for (int k = 0; k < IC; k++)
				s += (double)inp[(size_t)i * IC + k] * w[(size_t)o * IC + k];
			out[(size_t)i * OC + o] = (float)s;
		}
}

void bert_cpu_matmul(float *out, const float *inp, const float *w, const float *bias, int M, int IC, int OC)
{
	bert_gemm_thread_init();
	sgemm_nt(M, OC, IC, inp, IC, w, IC, out, OC);
	if (bias)
		for (int i = 0; i < M; i++)
			for (int o = 0; o < OC; o++)
				out[(size_t)i * OC + o] += bias[o];
}

void bert_cpu_add_layernorm_ref(float *x, const float *y, const float *bias, const float *g, const float *b, int N,
				int C, float eps)
{
	for (int t = 0; t < N; t++) {
		float *r = x + (size_t)t * C;
		double mean = 0, var = 0;
		for (int i = 0; i < C; i++) {
			r[i] += (y ? y[(size_t)t * C + i] : 0.0f) + (bias ? bias[i] : 0.0f);
			mean += r[i];
		}
		mean /= C;
		for (int i = 0; i < C; i++)
			var += (r[i] - mean) * (r[i] - mean);
		var /= C;
		double rstd = 1.0 / sqrt(var + eps);
		for (int i = 0; i < C; i++)
			r[i] = (float)((r[i] - mean) * rstd) * g[i] + b[i];
	}
}

void bert_cpu_add_layernorm(float *x, const float *y, const float *bias, const float *g, const float *b, int N, int C,
			    float eps)
{
	for (int t = 0; t < N; t++) {
		float *r = x + (size_t)t * C;
		if (y) {
			const float *yr = y + (size_t)t * C;
			if (bias)
				for (int i = 0; i < C; i++)
					r[i] += yr[i] + bias[i];
			else
				for (int i = 0; i < C; i++)
					r[i] += yr[i];
		} else if (bias) {
			for (int i = 0; i < C; i++)
				r[i] += bias[i];
		}
		float mean = vsum(r, C) / C;
		float acc[LANES] = {0}, var = 0;
		int i = 0;
		for (; i + LANES <= C; i += LANES)
			for (int j = 0; j < LANES; j++)
				acc[j] += (r[i + j] - mean) * (r[i + j] - mean);
		for (; i < C; i++)
			var += (r[i] - mean) * (r[i] - mean);
		for (int j = 0; j < LANES; j++)
			var += acc[j];
		float rstd = 1.0f / sqrtf(var / C + eps);
		for (i = 0; i < C; i++)
			r[i] = (r[i] - mean) * rstd * g[i] + b[i];
	}
}

void bert_cpu_bias_gelu_ref(float *h, const float *bias, int N, int I)
{
	for (size_t t = 0; t < (size_t)N; t++)
		for (int i = 0; i < I; i++) {
			float v = h[t * I + i] + (bias ? bias[i] : 0.0f);
			h[t * I + i] = 0.5f * v * (1.0f + erff(v * (float)M_SQRT1_2));
		}
}

/* GELU's polynomials with fused multiply-adds where the target has them
 * (ISO C mode turns GCC's contraction off): one rounding a step, not two,
 * and fewer instructions (BENCHMARKS.md, "GELU"). */
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("fp-contract=fast")))
#endif
void bert_cpu_bias_gelu(float *h, const float *bias, int N, int I)
{
	for (size_t t = 0; t < (size_t)N; t++) {
		float *r = h + t * I;
		for (int i = 0; i < I; i++) {
			float v = r[i] + bias[i];
			r[i] = 0.5f * v * (1.0f + verf(v * (float)M_SQRT1_2));
		}
	}
}

void bert_cpu_softmax_ref(float *x, int R, int T)
{
	for (int r = 0; r < R; r++) {
		float *row = x + (size_t)r * T, m = row[0];
		double s = 0;
		for (int j = 1; j < T; j++)
			m = row[j] > m ? row[j] : m;
		for (int j = 0; j < T; j++) {
			row[j] = expf(row[j] - m);
			s += row[j];
		}
		for (int j = 0; j < T; j++)
			row[j] = (float)(row[j] / s);
	}
}

/* row[j] = exp(row[j] - max) for j < T, and their sum: the softmax
 * before its division (the fused attention divides the weighted sum
 * instead). */
static float exp_sum_row(float *row, int T)
{
	float m = vmax(row, T), acc[LANES] = {0}, sum = 0;
	int j = 0;
	for (; j + LANES <= T; j += LANES) /* exp and sum in one pass */
		for (int l = 0; l < LANES; l++) {
			float e = vexp(row[j + l] - m);
			row[j + l] = e;
			acc[l] += e;
		}
	for (; j < T; j++) {
		row[j] = vexp(row[j] - m);
		sum += row[j];
	}
	for (int l = 0; l < LANES; l++)
		sum += acc[l];
	return sum;
}

void bert_cpu_softmax(float *x, int R, int T)
{
	for (int r = 0; r < R; r++) {
		float *row = x + (size_t)r * T;
		float inv = 1.0f / exp_sum_row(row, T);
		for (int j = 0; j < T; j++)
			row[j] *= inv;
	}
}

/* ================================================================ MPNet */

struct bert_relpos bert_relpos_new(const struct bert_config *cfg, const struct bert_weights *w)
{
	struct bert_relpos rp = {NULL, 0};
	if (!w->rel_bias)
		return rp;
	int NH = cfg->heads, span = bert_max_tokens(cfg) - 1, W = 2 * span + 1;
	rp.span = span;
	rp.table = xmalloc(sizeof(float) * (size_t)NH * (size_t)W);
	bert_relpos_fill(rp.table, w->rel_bias, NH, span);
	return rp;
}

void bert_relpos_free(struct bert_relpos *rp)
{
	free(rp->table);
	rp->table = NULL;
}

const float *bert_relpos_head(const struct bert_relpos *rp, int h)
{
	return rp && rp->table ? rp->table + (size_t)h * (2 * rp->span + 1) + rp->span : NULL;
}

void bert_cpu_positions(const struct bert_config *cfg, int B, const int32_t *ids, const int *offsets, int *pos)
{
	bert_positions(cfg, B, ids, offsets, pos);
}

/* ================================================================ attention */

void bert_cpu_attention_ref(float *ctx, const float *qkv, const float *qkv_b, int B, const int *offsets, int C, int NH,
			    const float *rel_bias)
{
	int HS = C / NH;
	float scale = 1.0f / sqrtf((float)HS);

	for (int b = 0; b < B; b++) {
		int o = offsets[b], T = offsets[b + 1] - offsets[b];
		float *p = xmalloc(sizeof(float) * (size_t)T);
		for (int h = 0; h < NH; h++)
			for (int i = 0; i < T; i++) {
				const float *q = qkv + (size_t)(o + i) * 3 * C + h * HS;
				for (int j = 0; j < T; j++) {
					const float *k = qkv + (size_t)(o + j) * 3 * C + C + h * HS;
					double s = 0;
					for (int d = 0; d < HS; d++)
						s += (double)(q[d] + qkv_b[h * HS + d]) * (k[d] + qkv_b[C + h * HS + d]);
					p[j] = (float)s * scale;
					if (rel_bias)
						p[j] += rel_bias[(size_t)bert_relpos_bucket(j - i) * NH + h];
				}
				bert_cpu_softmax_ref(p, 1, T);
				float *out = ctx + (size_t)(o + i) * C + h * HS;
				for (int d = 0; d < HS; d++) {
					double s = 0;
					for (int j = 0; j < T; j++)
						s += (double)p[j] *
						     (qkv[(size_t)(o + j) * 3 * C + 2 * C + h * HS + d] + qkv_b[2 * C + h * HS + d]);
					out[d] = (float)s;
				}
			}
		free(p);
	}
}

/* Below this many tokens a sequence's attention runs in our own loops:
 * there two GEMM calls per (sequence, head) cost more in call overhead
 * than they save. Measured on one thread, batches of 32, 12 heads
 * (ms per layer, loops / oneDNN): T=16 1.3/1.9, T=32 4.7/3.1,
 * T=128 52/18 (hidden 384). */
#ifndef ATTN_GEMM_MIN_T
#define ATTN_GEMM_MIN_T 24
#endif

/* qkv (N, 3C) += qkv_b, rows [r0, r1): one contiguous pass, before the
 * heads read their strided slices. */
static void add_qkv_bias(float *qkv, const float *qkv_b, int C, int r0, int r1, int c0, int nc)
{
	for (int t = r0; t < r1; t++) {
		float *r = qkv + (size_t)t * 3 * C + c0;
		const float *b = qkv_b + c0;
		for (int i = 0; i < nc; i++)
			r[i] += b[i];
	}
}

/* Past this many tokens a head's scores (T·T floats, 256 KiB at 256)
 * would leave the core's L2: the query rows are taken ATTN_QBLOCK at a
 * time, each block's scores (ATTN_QBLOCK, T) computed, softmaxed and
 * applied to V while they are in cache, and no (T, T) matrix is made.
 * Each row still has all its scores at once, so its softmax is exact
 * (no running rescale); at or under it one block is the whole head. */
#ifndef ATTN_BLOCK_MIN_T
#define ATTN_BLOCK_MIN_T 256
#endif
#define ATTN_QBLOCK 64

/* Query rows per block for a sequence of T tokens. */
static int attn_rows(int T)
{
	return T > ATTN_BLOCK_MIN_T ? ATTN_QBLOCK : T;
}

/* MPNet's relative-position bias (cpu.h): it sits between QKᵀ/√HS and
 * the softmax, on rows whose scores are complete: any kernel that makes
 * whole score rows can call it there. */
void bert_cpu_add_position_bias(float *S, int i0, int n, int T, const float *pb)
{
	for (int r = 0; r < n; r++) {
		const float *b = pb - (i0 + r);
		float *s = S + (size_t)r * T;
		for (int j = 0; j < T; j++)
			s[j] += b[j];
	}
}

/* ---------------------------------------------------------------- fused
 * attention for short sequences (T <= ATTN_FUSED_MAX_T, head sizes 32 and
 * 64: MiniLM's and BERT-base's). One (sequence, head) in one pass of our
 * own, no library call: Kᵀ·scale packed once (HS, Tp), in cache for the
 * whole head; then ATTN_R query rows at a time: their scores (ATTN_R, Tp)
 * in registers over blocks of keys, each row's softmax whole (its max, exp,
 * sum: exact, no running rescale), and the weighted sum of V's rows
 * (strided in qkv, read in place) into registers, divided by the row's sum
 * once at the end. The vectors are GCC's vector extensions at the width the
 * build targets (AVL lanes: 16 with AVX-512, 8 with AVX, 4 else), so the
 * same source is the AVX-512, AVX2 and SSE kernel; each row is computed by
 * the same code whatever worker runs it (the same bytes whatever
 * --threads). Measured in BENCHMARKS.md ("short-sequence attention"). */
#if defined(__AVX512F__)
#define AVL 16
#elif defined(__AVX__)
#define AVL 8
#else
#define AVL 4
#endif
typedef float avf __attribute__((vector_size(AVL * sizeof(float))));
/* ISO C mode (-std=c11) turns GCC's a·b + c contraction off: the kernels
 * below ask for fused multiply-adds (one rounding, not two; half the
 * instructions) where the target has them. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC push_options
#pragma GCC optimize("fp-contract=fast")
#endif
#define ATTN_R 4                         /* query rows at a time */
/* Up to this many tokens the fused kernel beats two GEMM calls and a
 * softmax per head; past it the library's kernels win. One thread, 32
 * sequences, 12 heads of 32, µs per head, fused / GEMM: T=16 1.3/3.8,
 * T=32 3.4/4.0, T=48 6.7/6.6, T=64 9.9/10.6, T=96 23/20, T=128 40/35. */
#ifndef ATTN_FUSED_MAX_T
#define ATTN_FUSED_MAX_T 64
#endif
#define ATTN_JB (AVL == 16 ? 4 : 2)     /* key vectors at a time in the scores */

static inline avf avload(const float *p)
{
	avf v;
	memcpy(&v, p, sizeof v);
	return v;
}

static inline void avstore(float *p, avf v)
{
	memcpy(p, &v, sizeof v);
}

/* Keys padded to whole vectors. */
static inline int attn_tpad(int T)
{
	return (T + AVL - 1) / AVL * AVL;
}

/* acc_r0..acc_r(NB-1) += a · in0..in(NB-1), and their store (times mul)
 * to dst: NB is a constant once inlined, and the accumulators are named
 * (not an array) so that they stay in registers: GCC keeps an array of
 * vectors in memory. */
#define ATTN_ROW(acc, r, a, in, NB)                                                                                 \
	do {                                                                                                        \
		float a_ = (a);                                                                                     \
		acc##r##0 += a_ * in##0;                                                                            \
		if ((NB) > 1)                                                                                       \
			acc##r##1 += a_ * in##1;                                                                    \
		if ((NB) > 2)                                                                                       \
			acc##r##2 += a_ * in##2;                                                                    \
		if ((NB) > 3)                                                                                       \
			acc##r##3 += a_ * in##3;                                                                    \
	} while (0)
#define ATTN_STORE(acc, r, dst, mul, NB)                                                                            \
	do {                                                                                                        \
		float *d_ = (dst), m_ = (mul);                                                                      \
		avstore(d_, acc##r##0 * m_);                                                                        \
		if ((NB) > 1)                                                                                       \
			avstore(d_ + AVL, acc##r##1 * m_);                                                          \
		if ((NB) > 2)                                                                                       \
			avstore(d_ + 2 * AVL, acc##r##2 * m_);                                                      \
		if ((NB) > 3)                                                                                       \
			avstore(d_ + 3 * AVL, acc##r##3 * m_);                                                      \
	} while (0)

/* The two products of a head as one kernel: for rows r < ATTN_R,
 * acc_r = Σ_t A[r·lda + t] · X[t·ldx .. + NB·AVL), then dst[r·ldd ..] =
 * acc_r · mul[r] (1 when mul is NULL) for r < nr. Scores: A the queries,
 * X the keys' vectors of Kt, t over the head's dimensions; weighted sum:
 * A the exp'd scores, X V's rows, t over the keys. */
static inline __attribute__((always_inline)) void attn_rank1(float *dst, int ldd, int nr, const float *mul,
							    const float *A, int lda, const float *X, int ldx, int n,
							    int NB)
{
	avf a00 = {0}, a01 = {0}, a02 = {0}, a03 = {0}, a10 = {0}, a11 = {0}, a12 = {0}, a13 = {0};
	avf a20 = {0}, a21 = {0}, a22 = {0}, a23 = {0}, a30 = {0}, a31 = {0}, a32 = {0}, a33 = {0};
	for (int t = 0; t < n; t++) {
		const float *xt = X + (size_t)t * ldx;
		avf x0 = avload(xt), x1 = x0, x2 = x0, x3 = x0;
		if (NB > 1)
			x1 = avload(xt + AVL);
		if (NB > 2)
			x2 = avload(xt + 2 * AVL);
		if (NB > 3)
			x3 = avload(xt + 3 * AVL);
		ATTN_ROW(a, 0, A[t], x, NB);
		ATTN_ROW(a, 1, A[(size_t)lda + t], x, NB);
		ATTN_ROW(a, 2, A[(size_t)2 * lda + t], x, NB);
		ATTN_ROW(a, 3, A[(size_t)3 * lda + t], x, NB);
	}
	ATTN_STORE(a, 0, dst, mul ? mul[0] : 1.0f, NB);
	if (nr > 1)
		ATTN_STORE(a, 1, dst + (size_t)ldd, mul ? mul[1] : 1.0f, NB);
	if (nr > 2)
		ATTN_STORE(a, 2, dst + (size_t)2 * ldd, mul ? mul[2] : 1.0f, NB);
	if (nr > 3)
		ATTN_STORE(a, 3, dst + (size_t)3 * ldd, mul ? mul[3] : 1.0f, NB);
}

/* One (sequence, head), HS a constant 32 or 64 once inlined: ctx rows
 * out[i·ldo] = softmax(q_i Kᵀ·scale) V for the T rows of q, k, v (row
 * stride ld). Scratch: Kt (HS, Tp) then S (ATTN_R, Tp). */
static inline __attribute__((always_inline)) void attn_head_fused(float *out, int ldo, const float *q,
								 const float *k, const float *v, int ld, int T,
								 int HS, float scale, const float *pb, float *scratch)
{
	int Tp = attn_tpad(T), NV = Tp / AVL;
	float *Kt = scratch, *S = scratch + (size_t)HS * Tp;

	for (int j = 0; j < T; j++)
		for (int d = 0; d < HS; d++)
			Kt[(size_t)d * Tp + j] = k[(size_t)j * ld + d] * scale;
	for (int d = 0; d < HS; d++)
		for (int j = T; j < Tp; j++)
			Kt[(size_t)d * Tp + j] = 0.0f;

	for (int i0 = 0; i0 < T; i0 += ATTN_R) {
		int nr = T - i0 < ATTN_R ? T - i0 : ATTN_R;
		const float *qi = q + (size_t)i0 * ld;
		/* rows past T: repeat the last row's query (computed, not kept) */
		const float *qrow[ATTN_R];
		float qbuf[ATTN_R][64];
		if (nr < ATTN_R) {
			for (int r = 0; r < ATTN_R; r++)
				qrow[r] = qi + (size_t)(r < nr ? r : nr - 1) * ld;
			for (int r = 0; r < ATTN_R; r++)
				memcpy(qbuf[r], qrow[r], sizeof(float) * (size_t)HS);
			qi = qbuf[0];
		}
		int lq = nr < ATTN_R ? 64 : ld;
		int jv = 0;
		for (; jv + ATTN_JB <= NV; jv += ATTN_JB)
			attn_rank1(S + (size_t)jv * AVL, Tp, ATTN_R, NULL, qi, lq, Kt + (size_t)jv * AVL, Tp, HS,
				   ATTN_JB);
		for (; jv < NV; jv++)
			attn_rank1(S + (size_t)jv * AVL, Tp, ATTN_R, NULL, qi, lq, Kt + (size_t)jv * AVL, Tp, HS, 1);

		if (pb) /* MPNet: the position bias on the complete score rows */
			for (int r = 0; r < nr; r++)
				bert_cpu_add_position_bias(S + (size_t)r * Tp, i0 + r, 1, T, pb);
		/* each row's softmax, left unnormalized: e_j = exp(s_j - max) */
		float inv[ATTN_R] = {0};
		for (int r = 0; r < nr; r++)
			inv[r] = 1.0f / exp_sum_row(S + (size_t)r * Tp, T);

		/* out_r = (Σ_j e_rj v_j) / Σ_j e_rj: HS / AVL vectors a row */
		float *oi = out + (size_t)i0 * ldo;
		if (HS / AVL == 1)
			attn_rank1(oi, ldo, nr, inv, S, Tp, v, ld, T, 1);
		else if (HS / AVL == 2)
			attn_rank1(oi, ldo, nr, inv, S, Tp, v, ld, T, 2);
		else if (HS / AVL == 4)
			attn_rank1(oi, ldo, nr, inv, S, Tp, v, ld, T, 4);
		else /* more than 4 vectors a row (SSE's 4 lanes): passes of 4 */
			for (int c = 0; c < HS; c += 4 * AVL)
				attn_rank1(oi + c, ldo, nr, inv, S, Tp, v + c, ld, T, 4);
	}
}

/* One (sequence, head) of qkv with its bias added: fused for short
 * sequences where the head size has a kernel (above); else per block of
 * query rows, S (rows, T) = Q Kᵀ / √HS, [+ pb's position bias (MPNet)],
 * softmax, ctx = S V, through the GEMM library (T >= ATTN_GEMM_MIN_T) or
 * plain loops. S has bert_cpu_attention_scratch(T, C) floats. */
static void attention_head(float *ctx, const float *qkv, int o, int T, int h, int C, int HS, const float *pb, float *S)
{
	float scale = 1.0f / sqrtf((float)HS);
	const float *q = qkv + (size_t)o * 3 * C + h * HS, *k = q + C, *v = q + 2 * C;
	float *out = ctx + (size_t)o * C + h * HS;

	if (T <= ATTN_FUSED_MAX_T && HS == 32) {
		attn_head_fused(out, C, q, k, v, 3 * C, T, 32, scale, pb, S);
		return;
	}
	if (T <= ATTN_FUSED_MAX_T && HS == 64) {
		attn_head_fused(out, C, q, k, v, 3 * C, T, 64, scale, pb, S);
		return;
	}
	if (T >= ATTN_GEMM_MIN_T) {
		int rows = attn_rows(T);
		for (int i0 = 0; i0 < T; i0 += rows) {
			int n = T - i0 < rows ? T - i0 : rows;
			sgemm_nt_alpha(n, T, HS, scale, q + (size_t)i0 * 3 * C, 3 * C, k, 3 * C, S, T);
			if (pb)
				bert_cpu_add_position_bias(S, i0, n, T, pb);
			bert_cpu_softmax(S, n, T);
			sgemm_nn(n, HS, T, S, T, v, 3 * C, out + (size_t)i0 * C, C);
		}
		return;
	}
	float *Kt = S + (size_t)T * T;
	for (int i = 0; i < T; i++)
		for (int d = 0; d < HS; d++)
			Kt[(size_t)d * T + i] = k[(size_t)i * 3 * C + d] * scale;
	for (int i = 0; i < T; i++) {
		const float *qi = q + (size_t)i * 3 * C;
		float *si = S + (size_t)i * T;
		for (int j = 0; j < T; j++)
			si[j] = 0;
		for (int d = 0; d < HS; d++) {
			float a = qi[d];
			const float *kd = Kt + (size_t)d * T;
			for (int j = 0; j < T; j++)
				si[j] += a * kd[j];
		}
	}
	if (pb)
		bert_cpu_add_position_bias(S, 0, T, T, pb);
	bert_cpu_softmax(S, T, T);
	for (int i = 0; i < T; i++) {
		const float *si = S + (size_t)i * T;
		float *oi = out + (size_t)i * C;
		for (int d = 0; d < HS; d++)
			oi[d] = 0;
		for (int j = 0; j < T; j++) {
			float p = si[j];
			const float *vj = v + (size_t)j * 3 * C;
			for (int d = 0; d < HS; d++)
				oi[d] += p * vj[d];
		}
	}
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC pop_options
#endif

size_t bert_cpu_attention_scratch(int T, int C)
{
	/* the most any sequence of up to T tokens needs: the GEMM path's S
	 * rows then Kᵀ (HS <= C) peak at ATTN_BLOCK_MIN_T tokens, whole heads,
	 * then drop to blocks of ATTN_QBLOCK rows; the fused kernel's Kt and S */
	int t = T < ATTN_BLOCK_MIN_T ? T : ATTN_BLOCK_MIN_T;
	size_t whole = (size_t)t * (size_t)(t + C), blocked = (size_t)T * (size_t)(attn_rows(T) + C);
	size_t fused = (size_t)attn_tpad(T) * (size_t)((C < 64 ? C : 64) + ATTN_R);
	size_t n = whole > blocked ? whole : blocked;
	return n > fused ? n : fused;
}

void bert_cpu_attention(float *ctx, float *qkv, const float *qkv_b, int B, const int *offsets, int C, int NH,
			const struct bert_relpos *rp, float *scratch)
{
	add_qkv_bias(qkv, qkv_b, C, 0, offsets[B], 0, 3 * C);
	for (int b = 0; b < B; b++)
		for (int h = 0; h < NH; h++)
			attention_head(ctx, qkv, offsets[b], offsets[b + 1] - offsets[b], h, C, C / NH, bert_relpos_head(rp, h),
				       scratch);
}

/* x (N, C) = word + position (pos: bert_cpu_positions) + type-0
 * embeddings (none for MPNet), rows [t0, t1) of the packed batch. */
static void embed_rows(float *x, const struct bert_config *cfg, const struct bert_weights *w, const int32_t *ids,
		       const int *pos, int t0, int t1)
{
	int C = cfg->hidden;
	for (int t = t0; t < t1; t++) {
		const float *we = w->word_emb + (size_t)ids[t] * C, *pe = w->pos_emb + (size_t)pos[t] * C;
		float *r = x + (size_t)t * C;
		if (w->type_emb)
			for (int i = 0; i < C; i++)
				r[i] = we[i] + pe[i] + w->type_emb[i];
		else
			for (int i = 0; i < C; i++)
				r[i] = we[i] + pe[i];
	}
}

/* pooled (B, C) from the last hidden states x (N, C). */
static void pool_ref(float *pooled, const struct bert_config *cfg, const struct bert_weights *w, const float *x, int B,
		     const int *offsets)
{
	int C = cfg->hidden;
	for (int b = 0; b < B; b++) {
		float *p = pooled + (size_t)b * C;
		if (cfg->pooling == BERT_POOL_CLS_TANH) {
			bert_cpu_matmul_ref(p, x + (size_t)offsets[b] * C, w->pool_w, w->pool_b, 1, C, C);
			for (int i = 0; i < C; i++)
				p[i] = tanhf(p[i]);
		} else {
			int T = offsets[b + 1] - offsets[b];
			for (int i = 0; i < C; i++) {
				double s = 0;
				for (int t = offsets[b]; t < offsets[b + 1]; t++)
					s += x[(size_t)t * C + i];
				p[i] = (float)(s / T);
			}
		}
	}
}

/* Per-sequence mean (and maximum) over tokens of x (N, C) into
 * mean[b * stride] (and max[b * C]). */
static void seq_mean_max(float *mean, size_t stride, float *max, const float *x, int B, const int *offsets, int C)
{
	for (int b = 0; b < B; b++) {
		int t0 = offsets[b], T = offsets[b + 1] - t0;
		if (mean) {
			float *m = mean + (size_t)b * stride;
			memset(m, 0, sizeof(float) * (size_t)C);
			for (int t = t0; t < t0 + T; t++)
				for (int i = 0; i < C; i++)
					m[i] += x[(size_t)t * C + i];
			for (int i = 0; i < C; i++)
				m[i] /= (float)T;
		}
		if (max) {
			float *m = max + (size_t)b * C;
			memcpy(m, x + (size_t)t0 * C, sizeof(float) * (size_t)C);
			for (int t = t0 + 1; t < t0 + T; t++)
				for (int i = 0; i < C; i++)
					m[i] = x[(size_t)t * C + i] > m[i] ? x[(size_t)t * C + i] : m[i];
		}
	}
}

/* The head: logits (B, K) = pooled · Wcᵀ + bc. */
static void classify(float *logits, const struct bert_config *cfg, const struct bert_weights *w, const float *pooled,
		     int B)
{
	bert_cpu_matmul_ref(logits, pooled, w->cls_w, w->cls_b, B, cfg->hidden, cfg->labels);
}


void bert_cpu_forward_ref(const struct bert_config *cfg, const struct bert_weights *w, int B, const int32_t *ids,
			  const int *offsets, const struct bert_out *out)
{
	int N = offsets[B], C = cfg->hidden, I = cfg->intermediate, L = cfg->layers;
	float *x = xmalloc(sizeof(float) * (size_t)N * C), *qkv = xmalloc(sizeof(float) * (size_t)N * 3 * C);
	float *ctx = xmalloc(sizeof(float) * (size_t)N * C), *tmp = xmalloc(sizeof(float) * (size_t)N * C);
	float *h = xmalloc(sizeof(float) * (size_t)N * I), *pooled = xmalloc(sizeof(float) * (size_t)B * C);
	int *pos = xmalloc(sizeof(int) * (size_t)(N ? N : 1));
	bert_cpu_positions(cfg, B, ids, offsets, pos);

	embed_rows(x, cfg, w, ids, pos, 0, N);
	bert_cpu_add_layernorm_ref(x, NULL, NULL, w->emb_ln_g, w->emb_ln_b, N, C, cfg->ln_eps);
	for (int l = 0; l < L; l++) {
		const struct bert_layer_weights *lw = &w->layer[l];
		bert_cpu_matmul_ref(qkv, x, lw->qkv_w, NULL, N, C, 3 * C);
		bert_cpu_attention_ref(ctx, qkv, lw->qkv_b, B, offsets, C, cfg->heads, w->rel_bias);
		bert_cpu_matmul_ref(tmp, ctx, lw->attn_out_w, NULL, N, C, C);
		bert_cpu_add_layernorm_ref(x, tmp, lw->attn_out_b, lw->ln1_g, lw->ln1_b, N, C, cfg->ln_eps);
		bert_cpu_matmul_ref(h, x, lw->ffn_in_w, NULL, N, C, I);
		bert_cpu_bias_gelu_ref(h, lw->ffn_in_b, N, I);
		bert_cpu_matmul_ref(tmp, h, lw->ffn_out_w, NULL, N, I, C);
		bert_cpu_add_layernorm_ref(x, tmp, lw->ffn_out_b, lw->ln2_g, lw->ln2_b, N, C, cfg->ln_eps);
		if (out->layer_mean)
			seq_mean_max(out->layer_mean + (size_t)l * C, (size_t)L * C, NULL, x, B, offsets, C);
	}
	if (out->last_max)
		seq_mean_max(NULL, 0, out->last_max, x, B, offsets, C);
	if (out->hidden)
		memcpy(out->hidden, x, sizeof(float) * (size_t)N * C);
	pool_ref(pooled, cfg, w, x, B, offsets);
	if (out->pooled)
		memcpy(out->pooled, pooled, sizeof(float) * (size_t)B * C);
	if (out->logits && w->cls_w)
		classify(out->logits, cfg, w, pooled, B);
	free(x), free(qkv), free(ctx), free(tmp), free(h), free(pooled), free(pos);
}

/* ================================================================ threads */

/* Rows [*r0, *r1) of R for worker tid of n: for ops that compute each row
 * (or sequence) on its own, where the split cannot change a result. */
static void split(int R, int tid, int n, int *r0, int *r1)
{
	*r0 = (int)((long)R * tid / n);
	*r1 = (int)((long)R * (tid + 1) / n);
}

/* Rows per GEMM block for a batch of N rows: the batch's GEMMs are cut
 * into blocks of this many rows from row 0 (the last one shorter), set by
 * N alone, never by the number of threads, so that every row is computed
 * by a library call of the same shape (see the top of the file). About
 * GEMM_BLOCKS blocks, to keep up to that many threads busy, of at least
 * GEMM_MIN_ROWS and at most GEMM_MAX_ROWS rows, whole multiples of 16:
 * each call packs the weights again, and one thread's sgemm lost ~20% of
 * its rate in calls of 64 rows, ~7% in calls of 256 (BERT's projection
 * shapes, oneDNN, AVX-512; issue 18, BENCHMARKS.md). */
#define GEMM_BLOCKS 16
#define GEMM_MIN_ROWS 64
#define GEMM_MAX_ROWS 256

static int gemm_rows(int N)
{
	int r = (N / GEMM_BLOCKS + 15) / 16 * 16;
	return r < GEMM_MIN_ROWS ? GEMM_MIN_ROWS : r > GEMM_MAX_ROWS ? GEMM_MAX_ROWS : r;
}

/* fp32 GEMMs go in tiles of up to GEMM_MAX_ROWS rows by OC / ncb
 * columns, ncb (1..GEMM_MAX_COLBLOCKS) set so that there are about
 * GEMM_BLOCKS tiles: a batch of 1,024 tokens is 4 row blocks by 4 column
 * blocks, not 16 blocks of 64 rows. Set by N and OC alone, never by the
 * threads (the same bytes whatever --threads: every output element comes
 * from a library call of the same shape). Why: dnnl_sgemm packs both
 * operands in every call, and a thin call spends more of its time there;
 * one thread, N = 1,024, BERT's four projection shapes (C 384, AVX-512):
 * 64 x OC 128 GFLOP/s, 128 x OC 144, 256 x OC/4 152, 256 x OC 155
 * (BENCHMARKS.md, "GEMM tiles"). */
#define GEMM_MAX_COLBLOCKS 4

static void gemm_tile(int N, int OC, int *rows, int *cols, int *ncb)
{
	int r = N < GEMM_MAX_ROWS ? (N + 15) / 16 * 16 : GEMM_MAX_ROWS;
	int nrb = (N + r - 1) / r, cb = GEMM_BLOCKS / nrb;
	cb = cb < 1 ? 1 : cb > GEMM_MAX_COLBLOCKS ? GEMM_MAX_COLBLOCKS : cb;
	int c = ((OC + cb - 1) / cb + 15) / 16 * 16;
	*rows = r;
	*cols = c < OC ? c : OC;
	*ncb = (OC + *cols - 1) / *cols;
}

/* oneDNN's matmul (bert_cpu_set_matmul) packs each projection's weights
 * once, in MM_MAX_PANELS or fewer panels of output columns, each a
 * primitive call of its own: tiles of rows x a panel. Panels: as few as
 * keep a panel's fp32 weights within MM_PANEL_BYTES, so that a tile's
 * weights and rows (256 x 768 floats, 768 KiB) stay in a core's L2 (2 MiB
 * on the Xeon measured) while the call runs, of equal width, a multiple
 * of 16 (none small enough: the most that divide); set by the
 * projection's shape alone, as the rows by N and the panels (the same
 * bytes whatever --threads). Hidden 768 (MPNet, FinBERT-sized): every
 * projection in 4 panels; MiniLM's (hidden 384) 1 to 3. Measured on the
 * hidden-768 models, worker 0's CPU time, 2 threads, against whole
 * weights: 32 x 32 +10-12%, the WSB stream +13%; panels of up to 3 MiB
 * (QKV in 3, the FFN in 4) +5-7% (BENCHMARKS.md, "panels"). */
#define MM_MAX_PANELS 4
#ifndef MM_PANEL_BYTES
#define MM_PANEL_BYTES (1 << 20)
#endif

static int mm_panels(int OC, int IC)
{
	/* HERD_MM_PANEL_BYTES: another bound, for the tests (tiny models get
	 * panels too) and for measuring */
	const char *env = getenv("HERD_MM_PANEL_BYTES");
	size_t most = env && *env ? strtoul(env, NULL, 10) : MM_PANEL_BYTES;
	for (int np = 1; np <= MM_MAX_PANELS; np++)
		if (OC % np == 0 && (OC / np) % 16 == 0 && (size_t)OC / np * IC * sizeof(float) <= most)
			return np;
	for (int np = MM_MAX_PANELS; np > 1; np--) /* none small enough: the most that divide */
		if (OC % np == 0 && (OC / np) % 16 == 0)
			return np;
	return 1;
}

/* Rows per matmul tile for a batch of N rows cut into np panels: about
 * GEMM_BLOCKS tiles, GEMM_MIN_ROWS to GEMM_MAX_ROWS rows, a multiple of
 * 16 (a call of fewer rows streams its panel's weights for less work). */
static int mm_rows(int N, int np)
{
	int r = ((long)N * np / GEMM_BLOCKS + 15) / 16 * 16;
	return r < GEMM_MIN_ROWS ? GEMM_MIN_ROWS : r > GEMM_MAX_ROWS ? GEMM_MAX_ROWS : r;
}

/* Attention scratch per worker, in floats: bert_cpu_attention_scratch
 * rounded up to whole 64-byte lines, so every worker's begins on a line
 * (see grow). */
static size_t scratch_floats(int T, int C)
{
	return (bert_cpu_attention_scratch(T, C) + 15) & ~(size_t)15;
}

/* ================================================================ forward */

struct bert_cpu {
	const struct bert_config *cfg;
	const struct bert_weights *w;
	struct bert_relpos relpos; /* MPNet's position bias by head and distance */
	tpool *pool; /* every layer's steps: GEMM row blocks handed out, rows split */
	/* activations, grown to the largest batch seen */
	int cap_n, cap_b, cap_t;
	float *x, *qkv, *ctx, *tmp, *h; /* (N, C) (N, 3C) (N, C) (N, C) (N, I) */
	float *pooled, *cls;            /* (B, C) (B, C) */
	float *scratch;                 /* (threads, T·(T + C) rounded up) attention scores and Kᵀ */
	int *pos;                       /* (N) position of each token in its sequence */
	atomic_int *left;               /* (N / 16 + 1) per GEMM row block: column tiles to go */
	/* int8 (bert_cpu_set_int8): NULL in fp32 */
	struct bert_qweight *q;         /* (L, 4): qkv, attn_out, ffn_in, ffn_out */
	uint8_t *qa;                    /* per worker: (GEMM_MAX_ROWS, max IC) activations */
	int32_t *qacc;                  /* per worker: (GEMM_MAX_ROWS, max OC) sums */
	float *qscale;                  /* per worker: (2, groups, GEMM_MAX_ROWS) row scales and lows */
	size_t qa_n, qacc_n;            /* their sizes per worker */
	int q_fp32;                     /* 1: q is set but the projections run in fp32 (bert_cpu_int8_as_fp32) */
	/* oneDNN's matmul, packed weights (bert_cpu_set_matmul): fp32 or bf16 */
	struct bert_mm *mm;             /* its primitives, per-worker buffers */
	struct bert_mm_weight *mw;      /* (L, 4, MM_MAX_PANELS), as q, each a panel of output columns */
	int mw_np[4];                   /* panels per projection (mm_panels), the same in every layer */
};

/* What one parallel step needs; the step functions read it. */
struct step;
struct step {
	struct bert_cpu *c;
	int B, N;
	const int32_t *ids;
	const int *offsets;
	const struct bert_layer_weights *lw;
	/* GEMM: out (N, OC) = inp (N, IC) · wᵀ, or through int8 with qw */
	float *out;
	const float *inp, *wt;
	const struct bert_qweight *qw;
	const struct bert_mm_weight *mw; /* or through oneDNN's matmul, packed: ncb panels */
	int IC, OC;
	int rows, cols;  /* a GEMM tile's rows and columns (gemm_tile; gemm_rows in int8 and the matmul) */
	int ncb;         /* column tiles per row block */
	/* applied to each GEMM tile's rows [r0, r0 + n), columns [c0, c0 + nc)
	 * while they are hot; a whole-row epilogue (row_epilogue) once per row
	 * block, by the worker that ends its last tile, columns [0, OC) */
	void (*epilogue)(struct step *s, int r0, int n, int c0, int nc);
	int row_epilogue;
	atomic_int *left; /* per row block: its column tiles not yet done */
	atomic_int next; /* GEMM blocks or attention items handed out */
	const struct bert_out *o;
	int layer;
};

/* GEMM tiles, taken as workers come free, row block by row block, each
 * followed by its epilogue (bias, GELU: per element; residual + LayerNorm:
 * per row, once the row block's last tile is in) on the same worker while
 * the rows sit in its cache: which worker computes a tile changes nothing
 * in it. */
static void step_gemm(void *arg, int tid, int n)
{
	struct step *s = arg;

	for (;;) {
		int item = atomic_fetch_add(&s->next, 1), rb = item / s->ncb, cb = item % s->ncb;
		int r0 = rb * s->rows, c0 = cb * s->cols;
		if (r0 >= s->N)
			break;
		int rows = s->N - r0 < s->rows ? s->N - r0 : s->rows, nc = s->OC - c0 < s->cols ? s->OC - c0 : s->cols;
		struct bert_cpu *c = s->c;
		if (s->qw)
			bert_quant_matmul(s->out + (size_t)r0 * s->OC, s->inp + (size_t)r0 * s->IC, rows, s->qw,
					  c->qa + (size_t)tid * c->qa_n, c->qacc + (size_t)tid * c->qacc_n,
					  c->qscale + (size_t)tid * 2 * BERT_QUANT_MAX_GROUPS * GEMM_MAX_ROWS);
		else if (s->mw)
			bert_mm_run(c->mm, tid, s->out + (size_t)r0 * s->OC + c0, s->inp + (size_t)r0 * s->IC, rows,
				    &s->mw[cb]);
		else
			sgemm_nt(rows, nc, s->IC, s->inp + (size_t)r0 * s->IC, s->IC, s->wt + (size_t)c0 * s->IC, s->IC,
				 s->out + (size_t)r0 * s->OC + c0, s->OC);
		if (!s->epilogue)
			continue;
		if (!s->row_epilogue)
			s->epilogue(s, r0, rows, c0, nc);
		else if (s->ncb == 1 || atomic_fetch_sub(&s->left[rb], 1) == 1)
			s->epilogue(s, r0, rows, 0, s->OC);
	}
}

/* out (N, OC) = inp (N, IC) · wᵀ (through int8 or oneDNN's matmul when
 * the backend has the layer's weight k so), then epilogue on each tile
 * (row_epilogue: on each row block once whole). */
static void gemm(struct step *s, float *out, const float *inp, const float *w, int k, int IC, int OC,
		 void (*epilogue)(struct step *s, int r0, int n, int c0, int nc), int row_epilogue)
{
	s->qw = s->c->q && !s->c->q_fp32 ? &s->c->q[s->layer * 4 + k] : NULL;
	s->mw = s->c->mw ? &s->c->mw[(s->layer * 4 + k) * MM_MAX_PANELS] : NULL;
	s->out = out, s->inp = inp, s->wt = w, s->IC = IC, s->OC = OC, s->epilogue = epilogue;
	s->row_epilogue = row_epilogue;
	if (s->qw) /* int8 quantizes whole rows: row blocks */
		s->rows = gemm_rows(s->N), s->cols = OC, s->ncb = 1;
	else if (s->mw) /* the matmul's weights are packed in panels of columns */
		s->ncb = s->c->mw_np[k], s->cols = OC / s->ncb, s->rows = mm_rows(s->N, s->ncb);
	else
		gemm_tile(s->N, OC, &s->rows, &s->cols, &s->ncb);
	if (row_epilogue && s->ncb > 1)
		for (int rb = 0; rb * s->rows < s->N; rb++)
			atomic_store(&s->left[rb], s->ncb);
	atomic_store(&s->next, 0);
	tpool_run(s->c->pool, step_gemm, s);
}

static void step_embed(void *arg, int tid, int n)
{
	struct step *s = arg;
	const struct bert_config *cfg = s->c->cfg;
	int r0, r1;
	split(s->N, tid, n, &r0, &r1);
	embed_rows(s->c->x, cfg, s->c->w, s->ids, s->c->pos, r0, r1);
	bert_cpu_add_layernorm(s->c->x + (size_t)r0 * cfg->hidden, NULL, NULL, s->c->w->emb_ln_g, s->c->w->emb_ln_b,
			       r1 - r0, cfg->hidden, cfg->ln_eps);
}

static void epi_qkv_bias(struct step *s, int r0, int n, int c0, int nc)
{
	add_qkv_bias(s->c->qkv, s->lw->qkv_b, s->c->cfg->hidden, r0, r0 + n, c0, nc);
}

static void step_attention(void *arg, int tid, int n)
{
	struct step *s = arg;
	struct bert_cpu *c = s->c;
	int NH = c->cfg->heads, C = c->cfg->hidden;
	float *S = c->scratch + (size_t)tid * scratch_floats(c->cap_t, C);

	for (;;) {
		int item = atomic_fetch_add(&s->next, 1);
		if (item >= s->B * NH)
			break;
		int b = item / NH, h = item % NH;
		attention_head(c->ctx, c->qkv, s->offsets[b], s->offsets[b + 1] - s->offsets[b], h, C, C / NH,
			       bert_relpos_head(&c->relpos, h), S);
	}
}

static void epi_ln1(struct step *s, int r0, int n, int c0, int nc)
{
	int C = s->c->cfg->hidden;
	bert_cpu_add_layernorm(s->c->x + (size_t)r0 * C, s->c->tmp + (size_t)r0 * C, s->lw->attn_out_b, s->lw->ln1_g,
			       s->lw->ln1_b, n, C, s->c->cfg->ln_eps);
}

static void epi_gelu(struct step *s, int r0, int n, int c0, int nc)
{
	int I = s->c->cfg->intermediate;
	for (int t = r0; t < r0 + n; t++)
		bert_cpu_bias_gelu(s->c->h + (size_t)t * I + c0, s->lw->ffn_in_b + c0, 1, nc);
}

static void epi_ln2(struct step *s, int r0, int n, int c0, int nc)
{
	int C = s->c->cfg->hidden;
	bert_cpu_add_layernorm(s->c->x + (size_t)r0 * C, s->c->tmp + (size_t)r0 * C, s->lw->ffn_out_b, s->lw->ln2_g,
			       s->lw->ln2_b, n, C, s->c->cfg->ln_eps);
}

/* Per-sequence statistics of the current x: layer means, last max, mean pooling. */
static void step_stats(void *arg, int tid, int n)
{
	struct step *s = arg;
	const struct bert_config *cfg = s->c->cfg;
	int C = cfg->hidden, L = cfg->layers, b0, b1;
	int last = s->layer == L - 1;
	split(s->B, tid, n, &b0, &b1);
	const int *off = s->offsets + b0;
	const float *x = s->c->x;
	if (s->o->layer_mean)
		seq_mean_max(s->o->layer_mean + (size_t)b0 * L * C + (size_t)s->layer * C, (size_t)L * C, NULL, x,
			     b1 - b0, off, C);
	if (last && s->o->last_max)
		seq_mean_max(NULL, 0, s->o->last_max + (size_t)b0 * C, x, b1 - b0, off, C);
	if (last && cfg->pooling == BERT_POOL_MEAN)
		seq_mean_max(s->c->pooled + (size_t)b0 * C, (size_t)C, NULL, x, b1 - b0, off, C);
}

static void grow(struct bert_cpu *c, int B, int N, int T)
{
	const struct bert_config *cfg = c->cfg;
	size_t C = (size_t)cfg->hidden;

	if (N > c->cap_n) {
		c->cap_n = N + N / 4;
		free(c->x), free(c->qkv), free(c->ctx), free(c->tmp), free(c->h), free(c->pos), free(c->left);
		c->left = xmalloc(sizeof *c->left * (size_t)(c->cap_n / 16 + 1));
		c->x = xmalloc(sizeof(float) * c->cap_n * C);
		c->qkv = xmalloc(sizeof(float) * c->cap_n * 3 * C);
		c->ctx = xmalloc(sizeof(float) * c->cap_n * C);
		c->tmp = xmalloc(sizeof(float) * c->cap_n * C);
		c->h = xmalloc(sizeof(float) * c->cap_n * (size_t)cfg->intermediate);
		c->pos = xmalloc(sizeof(int) * c->cap_n);
	}
	if (B > c->cap_b) {
		c->cap_b = B;
		free(c->pooled), free(c->cls);
		c->pooled = xmalloc(sizeof(float) * B * C);
		c->cls = xmalloc(sizeof(float) * B * C);
	}
	if (T > c->cap_t) {
		c->cap_t = T;
		free(c->scratch);
		c->scratch = xaligned(64, sizeof(float) * (size_t)tpool_size(c->pool) * scratch_floats(T, cfg->hidden));
	}
}

struct bert_cpu *bert_cpu_new(const struct bert_config *cfg, const struct bert_weights *w, int threads)
{
	struct bert_cpu *c = xcalloc(1, sizeof *c);

	c->cfg = cfg;
	c->w = w;
	c->relpos = bert_relpos_new(cfg, w);
	if (threads <= 0)
		threads = bert_cpu_count();
	/* every worker runs the GEMM library on its own thread only: we split */
	bert_gemm_thread_init();
	c->pool = tpool_new(threads, bert_gemm_thread_init, NULL);
	return c;
}

/* Activation ranges per row for int8 (quant.h's groups; each group's
 * weights have their own scales too). Measured on the MiniLM default
 * of the time, 3,652 real Reddit comments, labels unlike fp32's with
 * one projection in int8 at a time: QKV 17, FFN out 14, FFN in 8,
 * attention out 2; all four, one range a row: 30, with QKV's and FFN
 * out's rows in two ranges: 17, for ~2% of int8's time. On MPNet
 * (mpnet-fin3, 4,200 real texts: BENCHMARKS.md) FFN out's error is
 * mostly its weights' (int8 weights alone: 29 labels unlike fp32's,
 * int8 activations alone: 20): one weight scale per output channel over
 * 3,072 inputs is coarse, one per group of 1,536 took the flips from 35
 * to 24 (a6f08733) and from 23 to 15 (711adb46) at no cost in time
 * (issue 15; scripts/check-precision.sh holds the bars). */
#define INT8_GROUPS_QKV 2
#define INT8_GROUPS_FFN_OUT 2

int bert_cpu_set_int8(struct bert_cpu *c, char *info, size_t infolen, char *err, size_t errlen)
{
	const struct bert_config *cfg = c->cfg;
	int bits, C = cfg->hidden, I = cfg->intermediate, L = cfg->layers, T = tpool_size(c->pool);

	if (bert_quant_supported(&bits, info, infolen, err, errlen) < 0)
		return -1;
	c->q = xcalloc((size_t)L * 4, sizeof *c->q);
	for (int l = 0; l < L; l++) {
		const struct bert_layer_weights *lw = &c->w->layer[l];
		bert_qweight_init(&c->q[l * 4 + 0], lw->qkv_w, 3 * C, C, bits, INT8_GROUPS_QKV);
		bert_qweight_init(&c->q[l * 4 + 1], lw->attn_out_w, C, C, bits, 1);
		bert_qweight_init(&c->q[l * 4 + 2], lw->ffn_in_w, I, C, bits, 1);
		bert_qweight_init(&c->q[l * 4 + 3], lw->ffn_out_w, C, I, bits, INT8_GROUPS_FFN_OUT);
	}
	c->qa_n = ((size_t)GEMM_MAX_ROWS * (size_t)(C > I ? C : I) + 63) & ~(size_t)63;
	c->qacc_n = ((size_t)GEMM_MAX_ROWS * (size_t)(3 * C > I ? 3 * C : I) + 15) & ~(size_t)15;
	c->qa = xaligned(64, c->qa_n * (size_t)T);
	c->qacc = xaligned(64, sizeof(int32_t) * c->qacc_n * (size_t)T);
	c->qscale = xmalloc(sizeof(float) * 2 * BERT_QUANT_MAX_GROUPS * GEMM_MAX_ROWS * (size_t)T);
	return 0;
}

void bert_cpu_int8_as_fp32(struct bert_cpu *c, int fp32)
{
	c->q_fp32 = fp32;
}

int bert_cpu_set_matmul(struct bert_cpu *c, int bf16, char *info, size_t infolen, char *err, size_t errlen)
{
	const struct bert_config *cfg = c->cfg;
	int C = cfg->hidden, I = cfg->intermediate, L = cfg->layers;

	c->mm = bert_mm_new(bf16 ? BERT_MM_BF16 : BERT_MM_F32, tpool_size(c->pool), GEMM_MAX_ROWS, err, errlen);
	if (!c->mm)
		return -1;
	const int shape[4][2] = {{3 * C, C}, {C, C}, {I, C}, {C, I}}; /* (OC, IC): qkv, attn_out, ffn_in, ffn_out */
	for (int k = 0; k < 4; k++)
		c->mw_np[k] = mm_panels(shape[k][0], shape[k][1]);
	c->mw = xcalloc((size_t)L * 4 * MM_MAX_PANELS, sizeof *c->mw);
	for (int l = 0; l < L; l++) {
		const struct bert_layer_weights *lw = &c->w->layer[l];
		const float *wk[4] = {lw->qkv_w, lw->attn_out_w, lw->ffn_in_w, lw->ffn_out_w};
		for (int k = 0; k < 4; k++) {
			int OC = shape[k][0], IC = shape[k][1], pw = OC / c->mw_np[k];
			for (int p = 0; p < c->mw_np[k]; p++) /* panel p: w's rows [p·pw, (p+1)·pw) */
				if (bert_mm_weight_init(c->mm, &c->mw[(l * 4 + k) * MM_MAX_PANELS + p],
							wk[k] + (size_t)p * pw * IC, pw, IC, OC, err, errlen) < 0)
					return -1; /* bert_cpu_free frees what was made */
		}
	}
	snprintf(info, infolen, "%s", bert_mm_info(c->mm));
	return 0;
}

void bert_cpu_free(struct bert_cpu *c)
{
	if (!c)
		return;
	for (int i = 0; c->mw && i < c->cfg->layers * 4 * MM_MAX_PANELS; i++)
		bert_mm_weight_free(&c->mw[i]);
	free(c->mw);
	bert_mm_free(c->mm);
	for (int i = 0; c->q && i < c->cfg->layers * 4; i++)
		bert_qweight_free(&c->q[i]);
	free(c->q), free(c->qa), free(c->qacc), free(c->qscale);
	tpool_free(c->pool);
	bert_relpos_free(&c->relpos);
	free(c->x), free(c->qkv), free(c->ctx), free(c->tmp), free(c->h), free(c->pos), free(c->left);
	free(c->pooled), free(c->cls), free(c->scratch);
	free(c);
}

int bert_cpu_threads(const struct bert_cpu *c)
{
	return tpool_size(c->pool);
}

void bert_cpu_run(struct bert_cpu *c, int B, const int32_t *ids, const int *offsets, const struct bert_out *out)
{
	const struct bert_config *cfg = c->cfg;
	const struct bert_weights *w = c->w;
	int N = offsets[B], C = cfg->hidden, I = cfg->intermediate, T = 0;
	struct step s = {.c = c, .B = B, .N = N, .ids = ids, .offsets = offsets, .o = out};

	bert_gemm_thread_init(); /* worker 0 is this thread */
	for (int b = 0; b < B; b++)
		T = offsets[b + 1] - offsets[b] > T ? offsets[b + 1] - offsets[b] : T;
	grow(c, B, N, T);
	s.left = c->left;
	bert_cpu_positions(cfg, B, ids, offsets, c->pos);

	tpool_run(c->pool, step_embed, &s);
	for (int l = 0; l < cfg->layers; l++) {
		s.lw = &w->layer[l];
		s.layer = l;
		gemm(&s, c->qkv, c->x, s.lw->qkv_w, 0, C, 3 * C, epi_qkv_bias, 0);
		atomic_store(&s.next, 0);
		tpool_run(c->pool, step_attention, &s);
		gemm(&s, c->tmp, c->ctx, s.lw->attn_out_w, 1, C, C, epi_ln1, 1);
		gemm(&s, c->h, c->x, s.lw->ffn_in_w, 2, C, I, epi_gelu, 0);
		gemm(&s, c->tmp, c->h, s.lw->ffn_out_w, 3, I, C, epi_ln2, 1);
		if (out->layer_mean || (l == cfg->layers - 1 && (out->last_max || cfg->pooling == BERT_POOL_MEAN)))
			tpool_run(c->pool, step_stats, &s);
	}
	if (out->hidden)
		memcpy(out->hidden, c->x, sizeof(float) * (size_t)N * C);

	if (cfg->pooling == BERT_POOL_CLS_TANH) {
		/* tanh(Wp · h[CLS] + bp): B rows, one small GEMM on this thread */
		for (int b = 0; b < B; b++)
			memcpy(c->cls + (size_t)b * C, c->x + (size_t)offsets[b] * C, sizeof(float) * C);
		bert_cpu_matmul(c->pooled, c->cls, w->pool_w, w->pool_b, B, C, C);
		for (size_t i = 0; i < (size_t)B * C; i++)
			c->pooled[i] = tanhf(c->pooled[i]);
	}
	if (out->pooled)
		memcpy(out->pooled, c->pooled, sizeof(float) * (size_t)B * C);
	if (out->logits && w->cls_w)
		classify(out->logits, cfg, w, c->pooled, B);
}
