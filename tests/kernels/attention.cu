/*
 * attention.cu — variants of self-attention on the packed layout, the
 * step between the fused QKV projection and the output projection:
 * qkv (N, 3C) without its bias, bias (3C), B sequences back to back
 * (offsets off (B+1)) -> ctx (N, C) = softmax(Q K^T / sqrt(HS)) V per
 * sequence and head, keys limited to the sequence. MPNet's shapes add its
 * relative-position bias to the scores (rel: a random (32, NH) table laid
 * out by head and distance with positions.h's bert_relpos_fill, as
 * cuda.cu does), in variants 1 (through softmax kernel 2) and 3.
 *
 * Variants (run: ./attention [variant]):
 *   1  scatter to heads padded to the batch's longest sequence Tm, cuBLAS
 *      strided-batched GEMM for the scores (fp32), masked softmax (kernel 2
 *      of softmax.cu), batched GEMM for P·V, gather back to packed rows;
 *      SHIPPED for fp32 and for head sizes variant 3 does not take
 *      (attention_gemm in src/bert/cuda.cu)
 *   2  one fused kernel per (64 queries, head, sequence), WMMA tensor cores,
 *      all scores of a row in shared memory (fp16/bf16, HS 32 or 64,
 *      sequences up to 256). Correct, but 1.6x slower than 1 on an H100
 *      (fp16, 256 x 128: 0.68 vs 0.43 ms): 95 KB of shared memory leave 8
 *      warps per SM to hide the loads
 *   3  FlashAttention-2 style: per (64 queries, head, sequence), keys in
 *      blocks of 64 through 28 KB of shared memory, scores and P in
 *      registers (mma.sync m16n8k16), online softmax (fp16/bf16, HS 32 or
 *      64, any length); SHIPPED in src/bert/cuda_kernels.cuh
 *      (bk_attention_kernel3). On an H100, fp16: 256 x 128 full 0.225 ms
 *      (v1 0.434, v2 0.681); 64 ragged up to 120: 0.054 ms (v1 0.103);
 *      8 ragged up to 512: 0.058 ms (v1 0.128)
 *
 * Each variant is checked against a CPU reference for every shape and
 * type it takes, then timed with the L2 cache cleared. Exit status 1 when
 * any check fails (the MPNet shapes are labelled "mpnet"). Built and run
 * by scripts/gpu-check.sh:
 *   nvcc -O3 -std=c++17 -Isrc -arch=sm_90 tests/kernels/attention.cu -o attention -lcublas && ./attention
 */
#include <cublas_v2.h>
#include <mma.h>

#include "bert/cuda_kernels.cuh"
#include "bert/positions.h"
#include "common.cuh"

/* Tolerances: the reference works in double from the same rounded q, k,
 * v; the GPU rounds P to T before P·V (2^-11 or 2^-8 relative per term)
 * and ctx to T; ctx is a convex mix of v in [-1, 1]. fp32: __expf and
 * accumulation order, a few 1e-7. Factor 2-4 of margin. */
static const float ATOL_FP32 = 1e-5f, RTOL_FP32 = 1e-5f;
static const float ATOL_FP16 = 2e-3f, RTOL_FP16 = 4e-3f;
static const float ATOL_BF16 = 1.6e-2f, RTOL_BF16 = 3e-2f;

#define cublasCheck(call) cublas_check((call), #call, __FILE__, __LINE__)
static void cublas_check(cublasStatus_t s, const char *call, const char *file, int line)
{
	if (s != CUBLAS_STATUS_SUCCESS) {
		fprintf(stderr, "%s:%d: %s: %s\n", file, line, call, cublasGetStatusString(s));
		exit(1);
	}
}

/* ---------------------------------------------------------- variant 1 */

struct scratch {
	void *q, *k, *v, *cp, *pr;
	float *sc;
};

template <typename T>
static void attention1(cublasHandle_t h, cudaDataType_t dt, const T *qkv, const float *bias, const int *off, int B,
		       int Tm, int NH, int HS, T *ctx, struct scratch *s, const float *rel, int span)
{
	const int C = NH * HS, rows = B * NH * Tm, k = (Tm + 31) / 32;
	const float scale = 1.f / sqrtf((float)HS), one = 1.f, zero = 0.f;
	const long long sq = (long long)Tm * HS, ss = (long long)Tm * Tm;
	const unsigned nb = (rows + 3) / 4;

	bk_attn_scatter_kernel<T><<<(unsigned)(((size_t)B * Tm * 3 * C / 8 + 255) / 256), 256>>>(
		qkv, bias, off, 0, B, Tm, NH, HS, (T *)s->q, (T *)s->k, (T *)s->v);
	cudaCheck(cudaGetLastError());
	cublasCheck(cublasGemmStridedBatchedEx(h, CUBLAS_OP_T, CUBLAS_OP_N, Tm, Tm, HS, &scale, s->k, dt, HS, sq, s->q,
					       dt, HS, sq, &zero, s->sc, CUDA_R_32F, Tm, ss, B * NH, CUBLAS_COMPUTE_32F,
					       CUBLAS_GEMM_DEFAULT));
	if (k <= 4)
		bk_softmax_kernel2<T, 4><<<nb, 128>>>(s->sc, (T *)s->pr, off, 0, NH, Tm, rows, rel, span);
	else if (k <= 8)
		bk_softmax_kernel2<T, 8><<<nb, 128>>>(s->sc, (T *)s->pr, off, 0, NH, Tm, rows, rel, span);
	else
		bk_softmax_kernel2<T, 16><<<nb, 128>>>(s->sc, (T *)s->pr, off, 0, NH, Tm, rows, rel, span);
	cudaCheck(cudaGetLastError());
	cublasCheck(cublasGemmStridedBatchedEx(h, CUBLAS_OP_N, CUBLAS_OP_N, HS, Tm, Tm, &one, s->v, dt, HS, sq, s->pr,
					       dt, Tm, ss, &zero, s->cp, dt, HS, sq, B * NH, CUBLAS_COMPUTE_32F,
					       CUBLAS_GEMM_DEFAULT));
	bk_attn_gather_kernel<T><<<(unsigned)(((size_t)B * Tm * C / 8 + 255) / 256), 256>>>((const T *)s->cp, off, 0, B,
											  Tm, NH, HS, ctx);
	cudaCheck(cudaGetLastError());
}

/* ---------------------------------------------------------- variant 2 */

/* Variant 2: attention fused in one kernel on the packed layout, tensor
 * cores through WMMA (fp16/bf16, HS 32 or 64, sequences up to what shared
 * memory holds).
 * One block of 4 warps per (query tile of 64, head, sequence); it loads
 * the tile's queries and the sequence's keys and values from qkv (N, 3C)
 * adding the bias (3C), into shared memory (rows past the sequence are
 * zero, keys padded to Lp = len rounded up to 16, no padding to the
 * batch's longest); then each warp, for its 16 query rows: S = Q K^T
 * (fp32 accumulate) into shared memory, masked softmax of S·scale in fp32
 * into P (type T), O = P V (fp32 accumulate), written to ctx (N, C) for
 * the rows that exist. Tp (a multiple of 16, >= HS) sizes shared memory:
 * attention_smem(Tp, HS) bytes; every sequence of the batch must have
 * len <= Tp. */
enum { ATT_Q = 64 }; /* queries per block: 4 warps of 16 rows */

static size_t attention_smem(int Tp, int HS)
{
	const size_t ldh = HS + 8, lds = Tp + 4, ldp = Tp + 8;
	return 2 * (ATT_Q * ldh + 2 * (size_t)Tp * ldh) + 4 * ATT_Q * lds + 2 * ATT_Q * ldp;
}

template <typename T, int HS>
__global__ void __launch_bounds__(128) attention_kernel2(const T *qkv, const float *bias, const int *off, int NH,
							    int Tp, float scale, T *ctx)
{
	using namespace nvcuda;
	extern __shared__ __align__(128) unsigned char att_smem[];
	const int q0 = blockIdx.x * ATT_Q, h = blockIdx.y, b = blockIdx.z;
	const int s = off[b], len = off[b + 1] - s;
	if (q0 >= len)
		return;
	const int C = NH * HS, C3 = 3 * C, Lp = (len + 15) & ~15;
	const int ldh = HS + 8, lds = Tp + 4, ldp = Tp + 8;
	T *Qs = reinterpret_cast<T *>(att_smem);   /* (64, ldh) */
	T *Ks = Qs + ATT_Q * ldh;               /* (Tp, ldh) */
	T *Vs = Ks + (size_t)Tp * ldh;             /* (Tp, ldh) */
	float *Ss = reinterpret_cast<float *>(Vs + (size_t)Tp * ldh); /* (64, lds) */
	T *Ps = reinterpret_cast<T *>(Ss + ATT_Q * lds);            /* (64, ldp) */
	const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32;
	constexpr int CH = HS / 8; /* 8-value chunks per row */

	/* Load: Q rows q0.., K and V rows 0..Lp-1, bias added, zero past len. */
	for (int t = tid; t < (ATT_Q + 2 * Lp) * CH; t += blockDim.x) {
		const int r = t / CH, c = (t % CH) * 8;
		int row, part;
		T *dst;
		if (r < ATT_Q)
			row = q0 + r, part = 0, dst = Qs + r * ldh + c;
		else if (r < ATT_Q + Lp)
			row = r - ATT_Q, part = 1, dst = Ks + row * ldh + c;
		else
			row = r - ATT_Q - Lp, part = 2, dst = Vs + row * ldh + c;
		float v[8];
		if (row < len) {
			float bb[8];
			const int col = part * C + h * HS + c;
			bk_io<T>::load8(qkv + (size_t)(s + row) * C3 + col, v);
			bk_io<float>::load8(bias + col, bb);
#pragma unroll
			for (int e = 0; e < 8; e++)
				v[e] += bb[e];
		} else {
#pragma unroll
			for (int e = 0; e < 8; e++)
				v[e] = 0.f;
		}
		bk_io<T>::store8(dst, v);
	}
	__syncthreads();
	const int r0 = warp * 16; /* this warp's rows of the tile */
	if (q0 + r0 >= len)
		return; /* no barrier below: warps are independent from here */
	float *S = Ss + r0 * lds;
	T *P = Ps + r0 * ldp;

	/* S (16, Lp) = Q K^T */
	wmma::fragment<wmma::matrix_a, 16, 16, 16, T, wmma::row_major> qa[HS / 16];
#pragma unroll
	for (int k = 0; k < HS / 16; k++)
		wmma::load_matrix_sync(qa[k], Qs + r0 * ldh + 16 * k, ldh);
	for (int n = 0; n < Lp; n += 16) {
		wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc;
		wmma::fill_fragment(acc, 0.f);
#pragma unroll
		for (int k = 0; k < HS / 16; k++) {
			wmma::fragment<wmma::matrix_b, 16, 16, 16, T, wmma::col_major> kb;
			wmma::load_matrix_sync(kb, Ks + n * ldh + 16 * k, ldh);
			wmma::mma_sync(acc, qa[k], kb, acc);
		}
		wmma::store_matrix_sync(S + n, acc, lds, wmma::mem_row_major);
	}
	__syncwarp();

	/* P = softmax(S·scale) over keys < len, 0 for the padding keys */
	for (int r = 0; r < 16; r++) {
		const float *sr = S + r * lds;
		T *pr = P + r * ldp;
		float m = -INFINITY, sum = 0.f;
		for (int j = lane; j < len; j += 32)
			m = fmaxf(m, sr[j] * scale);
		m = bk_warp_max(m);
		for (int j = lane; j < len; j += 32)
			sum += __expf(sr[j] * scale - m);
		const float inv = 1.f / bk_warp_sum(sum);
		for (int j = lane; j < Lp; j += 32)
			pr[j] = bk_io<T>::put(j < len ? __expf(sr[j] * scale - m) * inv : 0.f);
	}
	__syncwarp();

	/* O (16, HS) = P V, staged in this warp's rows of S (lds >= HS) */
#pragma unroll
	for (int n = 0; n < HS / 16; n++) {
		wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc;
		wmma::fill_fragment(acc, 0.f);
		for (int k = 0; k < Lp; k += 16) {
			wmma::fragment<wmma::matrix_a, 16, 16, 16, T, wmma::row_major> pa;
			wmma::fragment<wmma::matrix_b, 16, 16, 16, T, wmma::row_major> vb;
			wmma::load_matrix_sync(pa, P + k, ldp);
			wmma::load_matrix_sync(vb, Vs + k * ldh + 16 * n, ldh);
			wmma::mma_sync(acc, pa, vb, acc);
		}
		wmma::store_matrix_sync(S + 16 * n, acc, lds, wmma::mem_row_major);
	}
	__syncwarp();
	for (int t = lane; t < 16 * CH; t += 32) {
		const int r = t / CH, c = (t % CH) * 8, i = q0 + r0 + r;
		if (i < len) {
			float v[8];
			bk_io<float>::load8(S + r * lds + c, v);
			bk_io<T>::store8(ctx + (size_t)(s + i) * C + h * HS + c, v);
		}
	}
}

/* Returns 0 when variant 2 does not take this type, head size or length. */
template <typename T>
static int attention2(const T *qkv, const float *bias, const int *off, int B, int Tm, int NH, int HS, T *ctx)
{
	if constexpr (std::is_same<T, float>::value) {
		return 0;
	} else {
		const int Tp = ((Tm + 15) & ~15) > HS ? (Tm + 15) & ~15 : HS;
		const size_t smem = attention_smem(Tp, HS);
		const dim3 grid((Tm + ATT_Q - 1) / ATT_Q, NH, B);
		int optin;
		cudaCheck(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, 0));
		if (Tm > 256 || smem > (size_t)optin || (HS != 32 && HS != 64))
			return 0;
		if (HS == 64) {
			cudaCheck(cudaFuncSetAttribute(attention_kernel2<T, 64>,
						       cudaFuncAttributeMaxDynamicSharedMemorySize, (int)smem));
			attention_kernel2<T, 64><<<grid, 128, smem>>>(qkv, bias, off, NH, Tp, 1.f / sqrtf(64.f), ctx);
		} else {
			cudaCheck(cudaFuncSetAttribute(attention_kernel2<T, 32>,
						       cudaFuncAttributeMaxDynamicSharedMemorySize, (int)smem));
			attention_kernel2<T, 32><<<grid, 128, smem>>>(qkv, bias, off, NH, Tp, 1.f / sqrtf(32.f), ctx);
		}
		cudaCheck(cudaGetLastError());
		return 1;
	}
}

/* ---------------------------------------------------------- variant 3 */

/* Returns 0 when variant 3 does not take this type or head size. */
template <typename T>
static int attention3(const T *qkv, const float *bias, const int *off, int B, int Tm, int NH, int HS, T *ctx,
		      const float *rel, int span)
{
	if constexpr (std::is_same<T, float>::value) {
		return 0;
	} else {
		const dim3 grid((Tm + BK_FA_Q - 1) / BK_FA_Q, NH, B);
		if (HS == 64 && rel)
			bk_attention_kernel3<T, 64, true><<<grid, 128>>>(qkv, bias, off, NH, 1.f / sqrtf(64.f), ctx, rel, span);
		else if (HS == 64)
			bk_attention_kernel3<T, 64, false><<<grid, 128>>>(qkv, bias, off, NH, 1.f / sqrtf(64.f), ctx, rel, span);
		else if (HS == 32 && rel)
			bk_attention_kernel3<T, 32, true><<<grid, 128>>>(qkv, bias, off, NH, 1.f / sqrtf(32.f), ctx, rel, span);
		else if (HS == 32)
			bk_attention_kernel3<T, 32, false><<<grid, 128>>>(qkv, bias, off, NH, 1.f / sqrtf(32.f), ctx, rel, span);
		else
			return 0;
		cudaCheck(cudaGetLastError());
		return 1;
	}
}

/* ---------------------------------------------------------- harness */

/* q, k, v = round_T(qkv + bias) as the GPU sees them (rounding through
 * to_t/from_t), then attention in double; rel_bias (32, NH) (NULL:
 * none): MPNet's bias by bucket, added as cpu.c's attention_ref does. */
template <typename T>
static void attention_cpu(float *ctx, const float *qkv, const float *bias, const int *off, int B, int NH, int HS,
			  const float *rel_bias)
{
	const int C = NH * HS, C3 = 3 * C, N = off[B];
	float *r = (float *)malloc((size_t)N * C3 * sizeof(float));
	double *p = (double *)malloc(512 * sizeof(double));

	for (size_t i = 0; i < (size_t)N * C3; i++)
		r[i] = from_t(to_t<T>(qkv[i] + bias[i % C3]));
	for (int b = 0; b < B; b++) {
		const int s = off[b], len = off[b + 1] - s;
		for (int h = 0; h < NH; h++)
			for (int i = 0; i < len; i++) {
				const float *q = r + (size_t)(s + i) * C3 + h * HS;
				double m = -INFINITY, sum = 0;
				for (int j = 0; j < len; j++) {
					const float *k = r + (size_t)(s + j) * C3 + C + h * HS;
					double d = 0;
					for (int e = 0; e < HS; e++)
						d += (double)q[e] * k[e];
					p[j] = d / sqrt((double)HS);
					if (rel_bias)
						p[j] += rel_bias[(size_t)bert_relpos_bucket(j - i) * NH + h];
					m = p[j] > m ? p[j] : m;
				}
				for (int j = 0; j < len; j++)
					sum += (p[j] = exp(p[j] - m));
				for (int e = 0; e < HS; e++) {
					double o = 0;
					for (int j = 0; j < len; j++)
						o += p[j] * r[(size_t)(s + j) * C3 + 2 * C + h * HS + e];
					ctx[(size_t)(s + i) * C + h * HS + e] = (float)(o / sum);
				}
			}
	}
	free(r);
	free(p);
}

template <typename T>
static int check_shape(cublasHandle_t h, cudaDataType_t dt, int B, int Tm, int ragged, int NH, int HS, int mpnet,
		       int only, float atol, float rtol)
{
	const int C = NH * HS;
	int *off = (int *)malloc((B + 1) * sizeof(int)), *doff;
	char label[64];
	int ok = 1;

	off[0] = 0;
	for (int b = 0; b < B; b++)
		off[b + 1] = off[b] + (!ragged || b == 0 ? Tm : 1 + (b * 7919) % Tm);
	const int N = off[B];
	const size_t nq = (size_t)N * 3 * C, nc = (size_t)N * C;
	float *qkv = rand_floats(nq, -1, 1, 21), *bias = rand_floats(3 * C, -0.2f, 0.2f, 22);
	float *ref = (float *)malloc(nc * sizeof(float)), *dbias;
	T *dqkv = to_device<T>(qkv, nq), *dctx;
	struct scratch s;
	/* MPNet: a random bias by bucket (the trained one spans about this),
	 * the device's table by head and distance up to Tm - 1 */
	const int span = Tm - 1;
	const size_t W = 2 * (size_t)span + 1;
	float *rel_bias = mpnet ? rand_floats((size_t)BERT_RELPOS_BUCKETS * NH, -4, 4, 23) : NULL, *drel = NULL;
	if (mpnet) {
		float *table = (float *)malloc((size_t)NH * W * sizeof(float));
		bert_relpos_fill(table, rel_bias, NH, span);
		cudaCheck(cudaMalloc(&drel, (size_t)NH * W * sizeof(float)));
		cudaCheck(cudaMemcpy(drel, table, (size_t)NH * W * sizeof(float), cudaMemcpyHostToDevice));
		free(table);
	}

	cudaCheck(cudaMalloc(&dctx, nc * sizeof(T)));
	cudaCheck(cudaMalloc(&dbias, 3 * C * sizeof(float)));
	cudaCheck(cudaMalloc(&doff, (B + 1) * sizeof(int)));
	cudaCheck(cudaMemcpy(dbias, bias, 3 * C * sizeof(float), cudaMemcpyHostToDevice));
	cudaCheck(cudaMemcpy(doff, off, (B + 1) * sizeof(int), cudaMemcpyHostToDevice));
	const size_t padded = (size_t)B * Tm * C, scores = (size_t)B * NH * Tm * Tm;
	cudaCheck(cudaMalloc(&s.q, padded * sizeof(T)));
	cudaCheck(cudaMalloc(&s.k, padded * sizeof(T)));
	cudaCheck(cudaMalloc(&s.v, padded * sizeof(T)));
	cudaCheck(cudaMalloc(&s.cp, padded * sizeof(T)));
	cudaCheck(cudaMalloc(&s.pr, scores * sizeof(T)));
	cudaCheck(cudaMalloc(&s.sc, scores * sizeof(float)));
	attention_cpu<T>(ref, qkv, bias, off, B, NH, HS, rel_bias);
	printf("  %s B=%d Tm=%d %s NH=%d HS=%d (N=%d)%s\n", type_name<T>(), B, Tm, ragged ? "ragged" : "full", NH, HS, N,
	       mpnet ? " mpnet" : "");
	for (int v = 1; v <= 3; v++) {
		if (only && v != only)
			continue;
		cudaCheck(cudaMemset(dctx, 0xff, nc * sizeof(T))); /* NaN: every row must be written */
		if (v == 1) {
			attention1<T>(h, dt, dqkv, dbias, doff, B, Tm, NH, HS, dctx, &s, drel, span);
			sprintf(label, "v1 scatter+cuBLAS+softmax+gather%s", std::is_same<T, float>::value ? " (shipped)" : "");
		} else if (v == 2) {
			if (mpnet || !attention2<T>(dqkv, dbias, doff, B, Tm, NH, HS, dctx))
				continue; /* variant 2 has no MPNet bias */
			sprintf(label, "v2 fused WMMA, 64 queries/block");
		} else {
			if (!attention3<T>(dqkv, dbias, doff, B, Tm, NH, HS, dctx, drel, span))
				continue;
			sprintf(label, "v3 fused mma.sync, online softmax (shipped)");
		}
		int pass = validate<T>(label, dctx, ref, nc, atol, rtol);
		ok &= pass;
		if (!pass)
			continue;
		float ms = bench_ms(20, [&] {
			if (v == 1)
				attention1<T>(h, dt, dqkv, dbias, doff, B, Tm, NH, HS, dctx, &s, drel, span);
			else if (v == 2)
				attention2<T>(dqkv, dbias, doff, B, Tm, NH, HS, dctx);
			else
				attention3<T>(dqkv, dbias, doff, B, Tm, NH, HS, dctx, drel, span);
		});
		double flops = 0;
		for (int b = 0; b < B; b++)
			flops += 4.0 * (off[b + 1] - off[b]) * (off[b + 1] - off[b]) * C;
		printf("    %-44s %8.4f ms  %7.1f TFLOP/s (real tokens)\n", "", ms, flops / ms / 1e9);
	}
	cudaCheck(cudaFree(dqkv));
	cudaCheck(cudaFree(dctx));
	cudaCheck(cudaFree(dbias));
	cudaCheck(cudaFree(doff));
	cudaCheck(cudaFree(s.q));
	cudaCheck(cudaFree(s.k));
	cudaCheck(cudaFree(s.v));
	cudaCheck(cudaFree(s.cp));
	cudaCheck(cudaFree(s.pr));
	cudaCheck(cudaFree(s.sc));
	cudaCheck(cudaFree(drel));
	free(off), free(qkv), free(bias), free(ref), free(rel_bias);
	return ok;
}

int main(int argc, char **argv)
{
	/* (B, Tm, ragged, NH, HS, mpnet): FinBERT seq 128 x batch 256; a
	 * stream of mixed lengths; long sequences (variant 2's limit, then
	 * beyond it); MiniLM; the tiny golden model; then MPNet's bias on a
	 * stream (all-mpnet-base-v2's heads), on long sequences (distances
	 * past the log buckets' 128, several key blocks of kernel 3) and on
	 * mpnet-tiny's shape */
	static const int shapes[][6] = {{256, 128, 0, 12, 64, 0}, {64, 120, 1, 12, 64, 0}, {16, 256, 1, 12, 64, 0},
					{8, 512, 1, 12, 64, 0},   {32, 128, 1, 12, 32, 0}, {13, 37, 1, 4, 8, 0},
					{64, 120, 1, 12, 64, 1},  {8, 512, 1, 12, 64, 1},  {13, 37, 1, 4, 8, 1}};
	const int only = argc > 1 ? atoi(argv[1]) : 0;
	cublasHandle_t h;
	int ok = 1;

	cublasCheck(cublasCreate(&h));
	printf("attention: packed QKV -> packed context, variants 1-2%s\n", only ? " (one)" : "");
	for (auto &s : shapes) {
		ok &= check_shape<float>(h, CUDA_R_32F, s[0], s[1], s[2], s[3], s[4], s[5], only, ATOL_FP32, RTOL_FP32);
		ok &= check_shape<__half>(h, CUDA_R_16F, s[0], s[1], s[2], s[3], s[4], s[5], only, ATOL_FP16, RTOL_FP16);
		ok &= check_shape<__nv_bfloat16>(h, CUDA_R_16BF, s[0], s[1], s[2], s[3], s[4], s[5], only, ATOL_BF16,
						 RTOL_BF16);
	}
	cublasCheck(cublasDestroy(h));
	printf("attention: %s\n", ok ? "all variants pass" : "FAIL");
	return ok ? 0 : 1;
}
