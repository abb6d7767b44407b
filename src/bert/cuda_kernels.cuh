/*
 * cuda_kernels.cuh — the device kernels the CUDA backend ships: embedding
 * + LayerNorm, residual add + bias + LayerNorm, bias + erf GELU, fused
 * attention (FlashAttention-2 style, fp16/bf16), the scatter/softmax/gather
 * around the cuBLAS attention GEMMs (fp32), MPNet's relative-position bias
 * in both attention paths, pooling (each layer's mean, the last layer's
 * max, [CLS]). Each is templated on the activation type T (float, __half,
 * __nv_bfloat16); all arithmetic (LayerNorm and softmax statistics, GELU,
 * pooling) is fp32, and so is the residual stream: in fp16/bf16 the
 * LayerNorm kernels write it in fp32 and a copy in T for the GEMMs.
 *
 * Included by cuda.cu (which launches them) and by the variant harnesses
 * in tests/kernels/ (which check them against CPU references and time
 * them beside the other numbered variants). A kernel's number is its
 * variant number in tests/kernels/<op>.cu. No host code here.
 *
 * Shapes use the letters of bert.h; Tm = the longest sequence of a batch
 * (attention buffers are padded to it per sequence), Bc = the sequences
 * of one attention chunk, HS = C/NH.
 */
#ifndef HERD_BERT_CUDA_KERNELS_CUH
#define HERD_BERT_CUDA_KERNELS_CUH

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <stdint.h>
#include <type_traits>

/* ---------------------------------------------------------- 8-wide I/O */

/* Every vectorized kernel moves chunks of 8 elements (16 bytes in 16-bit
 * types, two float4 in fp32); rows must be multiples of 8 elements and
 * 16-byte aligned, which cuda.cu checks once (C % 8, HS % 8). */
template <typename T> struct bk_io;

template <> struct bk_io<float> {
	static __device__ __forceinline__ float get(float x) { return x; }
	static __device__ __forceinline__ float put(float x) { return x; }
	static __device__ __forceinline__ void load8(const float *p, float *v)
	{
		float4 a = reinterpret_cast<const float4 *>(p)[0], b = reinterpret_cast<const float4 *>(p)[1];
		v[0] = a.x, v[1] = a.y, v[2] = a.z, v[3] = a.w, v[4] = b.x, v[5] = b.y, v[6] = b.z, v[7] = b.w;
	}
	static __device__ __forceinline__ void store8(float *p, const float *v)
	{
		reinterpret_cast<float4 *>(p)[0] = make_float4(v[0], v[1], v[2], v[3]);
		reinterpret_cast<float4 *>(p)[1] = make_float4(v[4], v[5], v[6], v[7]);
	}
};

template <> struct bk_io<__half> {
	static __device__ __forceinline__ float get(__half x) { return __half2float(x); }
	static __device__ __forceinline__ __half put(float x) { return __float2half_rn(x); }
	static __device__ __forceinline__ void load8(const __half *p, float *v)
	{
		int4 raw = *reinterpret_cast<const int4 *>(p);
		const __half2 *h = reinterpret_cast<const __half2 *>(&raw);
#pragma unroll
		for (int i = 0; i < 4; i++) {
			float2 f = __half22float2(h[i]);
			v[2 * i] = f.x, v[2 * i + 1] = f.y;
		}
	}
	static __device__ __forceinline__ void store8(__half *p, const float *v)
	{
		int4 raw;
		__half2 *h = reinterpret_cast<__half2 *>(&raw);
#pragma unroll
		for (int i = 0; i < 4; i++)
			h[i] = __floats2half2_rn(v[2 * i], v[2 * i + 1]);
		*reinterpret_cast<int4 *>(p) = raw;
	}
};

template <> struct bk_io<__nv_bfloat16> {
	static __device__ __forceinline__ float get(__nv_bfloat16 x) { return __bfloat162float(x); }
	static __device__ __forceinline__ __nv_bfloat16 put(float x) { return __float2bfloat16_rn(x); }
	static __device__ __forceinline__ void load8(const __nv_bfloat16 *p, float *v)
	{
		int4 raw = *reinterpret_cast<const int4 *>(p);
		const __nv_bfloat162 *h = reinterpret_cast<const __nv_bfloat162 *>(&raw);
#pragma unroll
		for (int i = 0; i < 4; i++) {
			float2 f = __bfloat1622float2(h[i]);
			v[2 * i] = f.x, v[2 * i + 1] = f.y;
		}
	}
	static __device__ __forceinline__ void store8(__nv_bfloat16 *p, const float *v)
	{
		int4 raw;
		__nv_bfloat162 *h = reinterpret_cast<__nv_bfloat162 *>(&raw);
#pragma unroll
		for (int i = 0; i < 4; i++)
			h[i] = __floats2bfloat162_rn(v[2 * i], v[2 * i + 1]);
		*reinterpret_cast<int4 *>(p) = raw;
	}
};

static __device__ __forceinline__ float bk_warp_sum(float v)
{
#pragma unroll
	for (int o = 16; o > 0; o >>= 1)
		v += __shfl_xor_sync(0xffffffffu, v, o);
	return v;
}

static __device__ __forceinline__ float bk_warp_max(float v)
{
#pragma unroll
	for (int o = 16; o > 0; o >>= 1)
		v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
	return v;
}

/* ---------------------------------------------------------- LayerNorm */

/* One warp per row of C (C % 8 == 0, C <= 256 K): lane l holds chunks
 * l, l+32, … of 8 values in v. Two-pass statistics in fp32 (mean, then
 * the mean of squared deviations), then y = (v - mean)·rstd·g + b, stored
 * in fp32 to out32 and rounded to T to outT (each NULL: not stored). */
template <typename T, int K>
static __device__ __forceinline__ void bk_ln_store_warp(float (&v)[K][8], int C, float eps, const float *g,
							 const float *b, float *out32, T *outT, int lane)
{
	const int nch = C / 8;
	float s = 0.f, q = 0.f;
#pragma unroll
	for (int k = 0; k < K; k++)
		if (lane + 32 * k < nch)
#pragma unroll
			for (int e = 0; e < 8; e++)
				s += v[k][e];
	const float mean = bk_warp_sum(s) / C;
#pragma unroll
	for (int k = 0; k < K; k++)
		if (lane + 32 * k < nch)
#pragma unroll
			for (int e = 0; e < 8; e++) {
				float d = v[k][e] - mean;
				q += d * d;
			}
	const float rstd = rsqrtf(bk_warp_sum(q) / C + eps);
#pragma unroll
	for (int k = 0; k < K; k++) {
		int j = lane + 32 * k;
		if (j < nch) {
			float gg[8], bb[8], o[8];
			bk_io<float>::load8(g + 8 * j, gg);
			bk_io<float>::load8(b + 8 * j, bb);
#pragma unroll
			for (int e = 0; e < 8; e++)
				o[e] = (v[k][e] - mean) * rstd * gg[e] + bb[e];
			if (out32)
				bk_io<float>::store8(out32 + 8 * j, o);
			if (outT)
				bk_io<T>::store8(outT + 8 * j, o);
		}
	}
}

/* v = xr + ar + bias for one row, warp layout as bk_ln_store_warp's: the
 * residual row xr in TX (fp32 for kernel 4, T for variant 2 of
 * layernorm.cu), the projection's row ar in T, bias (C) fp32. */
template <typename TX, typename T, int K>
static __device__ __forceinline__ void bk_ln_load_residual(float (&v)[K][8], const TX *xr, const T *ar,
							    const float *bias, int C, int lane)
{
	const int nch = C / 8;
#pragma unroll
	for (int k = 0; k < K; k++) {
		int j = lane + 32 * k;
		if (j < nch) {
			float t[8], bb[8];
			bk_io<TX>::load8(xr + 8 * j, v[k]);
			bk_io<T>::load8(ar + 8 * j, t);
			bk_io<float>::load8(bias + 8 * j, bb);
#pragma unroll
			for (int e = 0; e < 8; e++)
				v[k][e] += t[e] + bb[e];
		}
	}
}

/* Variant 4 of tests/kernels/layernorm.cu (shipped): residual add, bias
 * and LayerNorm in one pass, one warp per row, the row in registers, the
 * residual stream in fp32 (variant 2 kept it in T: bf16 lost labels,
 * issue 16). x (N, C) fp32 is the residual stream, updated in place:
 *   x = LN(x + a + bias)·g + b,  a (N, C) in T, a projection's output
 * without its bias (C), g, b (C); xh (N, C) gets x rounded to T, the next
 * GEMM's input (NULL in fp32, where the GEMM reads x itself). */
template <typename T, int K>
__global__ void bk_ln_residual_kernel4(float *x, T *xh, const T *a, const float *bias, const float *g,
				       const float *b, int N, int C, float eps)
{
	const int row = (blockIdx.x * blockDim.x + threadIdx.x) / 32, lane = threadIdx.x % 32;
	if (row >= N)
		return;
	float *xr = x + (size_t)row * C;
	float v[K][8];
	bk_ln_load_residual<float, T, K>(v, xr, a + (size_t)row * C, bias, C, lane);
	bk_ln_store_warp<T, K>(v, C, eps, g, b, xr, xh ? xh + (size_t)row * C : (T *)nullptr, lane);
}

/* Embeddings + LayerNorm, one warp per packed token (same layout as
 * kernel 4): x[n] = LN(wemb[ids[n]] + pemb[pos[n]] + temb)·g + b, pos
 * (N) the position ids (positions.h: BERT's from 0, MPNet's from 2), temb
 * (C) token type 0's row (zeros for MPNet). ids, pos (N); wemb (V, C),
 * pemb (P, C) fp32. x (N, C) fp32; xh as in kernel 4. */
template <typename T, int K>
__global__ void bk_embed_ln_kernel(float *x, T *xh, const int *ids, const int *pos, const float *wemb,
				   const float *pemb, const float *temb, const float *g, const float *b, int N,
				   int C, float eps)
{
	const int n = (blockIdx.x * blockDim.x + threadIdx.x) / 32, lane = threadIdx.x % 32;
	if (n >= N)
		return;
	float v[K][8];
	/* the same sum of three rows as a residual add */
	bk_ln_load_residual<float, float, K>(v, wemb + (size_t)ids[n] * C, pemb + (size_t)pos[n] * C, temb, C, lane);
	bk_ln_store_warp<T, K>(v, C, eps, g, b, x + (size_t)n * C, xh ? xh + (size_t)n * C : (T *)nullptr, lane);
}

/* ---------------------------------------------------------- GELU */

/* Exact (erf) GELU, as BERT's "gelu" activation: x·Φ(x). */
static __device__ __forceinline__ float bk_gelu(float x)
{
	return 0.5f * x * (1.0f + erff(x * 0.7071067811865475f));
}

/* h (N, I) in place: h = gelu(h + bias), bias (I). VEC: 8 at a time
 * (I % 8 == 0), else one element per thread. n = N·I. */
template <typename T, bool VEC>
__global__ void bk_bias_gelu_kernel(T *h, const float *bias, size_t n, int I)
{
	size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
	if (VEC) {
		i *= 8;
		if (i >= n)
			return;
		float v[8], bb[8];
		bk_io<T>::load8(h + i, v);
		bk_io<float>::load8(bias + i % I, bb);
#pragma unroll
		for (int e = 0; e < 8; e++)
			v[e] = bk_gelu(v[e] + bb[e]);
		bk_io<T>::store8(h + i, v);
	} else {
		if (i >= n)
			return;
		h[i] = bk_io<T>::put(bk_gelu(bk_io<T>::get(h[i]) + bias[i % I]));
	}
}

/* ---------------------------------------------------------- attention */

/* Packed QKV to padded heads: qkv (N, 3C) (the fused projection without
 * its bias), bias (3C) -> q, k, v (Bc, NH, Tm, HS), sequences b0 ..
 * b0+Bc-1, zero rows past each sequence's end. One thread per 8 values
 * of the padded (Bc, Tm, 3C) space. */
template <typename T>
__global__ void bk_attn_scatter_kernel(const T *qkv, const float *bias, const int *off, int b0, int Bc, int Tm,
				       int NH, int HS, T *q, T *k, T *v)
{
	const int C = NH * HS, C3 = 3 * C;
	const size_t e = ((size_t)blockIdx.x * blockDim.x + threadIdx.x) * 8;
	if (e >= (size_t)Bc * Tm * C3)
		return;
	const int col = (int)(e % C3);
	const int row = (int)(e / C3), bl = row / Tm, t = row % Tm;
	const int which = col / C, hc = col % C, h = hc / HS, d = hc % HS;
	T *dst = (which == 0 ? q : which == 1 ? k : v) + (((size_t)bl * NH + h) * Tm + t) * HS + d;
	const int s = off[b0 + bl], len = off[b0 + bl + 1] - s;
	float val[8];
	if (t < len) {
		float bb[8];
		bk_io<T>::load8(qkv + (size_t)(s + t) * C3 + col, val);
		bk_io<float>::load8(bias + col, bb);
#pragma unroll
		for (int i = 0; i < 8; i++)
			val[i] += bb[i];
	} else {
#pragma unroll
		for (int i = 0; i < 8; i++)
			val[i] = 0.f;
	}
	bk_io<T>::store8(dst, val);
}

/* MPNet's relative-position bias of head h at distance d = key - query
 * (|d| <= span): rel (NH, 2·span + 1) as positions.h's bert_relpos_fill
 * lays it out. */
static __device__ __forceinline__ float bk_relpos(const float *rel, int span, int h, int d)
{
	return rel[(size_t)h * (2 * span + 1) + span + d];
}

/* Variant 2 of tests/kernels/softmax.cu (shipped, on the cuBLAS attention
 * path: fp32, head sizes kernel 3 does not take): masked softmax over
 * keys, one warp per row, the row in registers (K·32 >= Tm). S (Bc·NH,
 * Tm, Tm) fp32 scores, already scaled -> P (Bc·NH, Tm, Tm): row i of
 * sequence b holds softmax over keys j < len(b), 0 beyond; rows
 * i >= len(b) are all 0. rel (NULL: none): MPNet's bias (bk_relpos) added
 * to score (i, j) of head h before the softmax; span >= the longest
 * sequence less one. */
template <typename T, int K>
__global__ void bk_softmax_kernel2(const float *S, T *P, const int *off, int b0, int NH, int Tm, int rows,
				   const float *rel, int span)
{
	const int r = (blockIdx.x * blockDim.x + threadIdx.x) / 32, lane = threadIdx.x % 32;
	if (r >= rows)
		return;
	const int z = r / Tm, i = r % Tm, bl = z / NH, h = z % NH;
	const int len = off[b0 + bl + 1] - off[b0 + bl];
	const float *s = S + (size_t)r * Tm;
	T *p = P + (size_t)r * Tm;
	float v[K], m = -INFINITY, sum = 0.f;

#pragma unroll
	for (int k = 0; k < K; k++) {
		int j = lane + 32 * k;
		v[k] = j < len && i < len ? s[j] : -INFINITY;
		if (rel && j < len && i < len)
			v[k] += bk_relpos(rel, span, h, j - i);
		m = fmaxf(m, v[k]);
	}
	m = bk_warp_max(m);
#pragma unroll
	for (int k = 0; k < K; k++) {
		v[k] = v[k] == -INFINITY ? 0.f : __expf(v[k] - m);
		sum += v[k];
	}
	sum = bk_warp_sum(sum);
	const float inv = sum > 0.f ? 1.f / sum : 0.f;
#pragma unroll
	for (int k = 0; k < K; k++) {
		int j = lane + 32 * k;
		if (j < Tm)
			p[j] = bk_io<T>::put(v[k] * inv);
	}
}

/* Padded heads back to packed rows: cp (Bc, NH, Tm, HS) -> ctx (N, C),
 * rows t < len of each sequence. One thread per 8 values of the padded
 * (Bc, Tm, C) space. */
template <typename T>
__global__ void bk_attn_gather_kernel(const T *cp, const int *off, int b0, int Bc, int Tm, int NH, int HS, T *ctx)
{
	const int C = NH * HS;
	const size_t e = ((size_t)blockIdx.x * blockDim.x + threadIdx.x) * 8;
	if (e >= (size_t)Bc * Tm * C)
		return;
	const int col = (int)(e % C), row = (int)(e / C), bl = row / Tm, t = row % Tm;
	const int s = off[b0 + bl], len = off[b0 + bl + 1] - s;
	if (t >= len)
		return;
	const int h = col / HS, d = col % HS;
	float val[8];
	bk_io<T>::load8(cp + (((size_t)bl * NH + h) * Tm + t) * HS + d, val);
	bk_io<T>::store8(ctx + (size_t)(s + t) * C + col, val);
}

/* Variant 3 of tests/kernels/attention.cu (shipped for fp16/bf16, HS a
 * multiple of 16 up to 128): attention fused in one kernel on the packed
 * layout, FlashAttention-2 style on mma.sync tensor cores. One block of 4
 * warps per (64 queries, head, sequence); each warp owns 16 query rows.
 * Keys and values go through shared memory in blocks of 64 (bias added,
 * zero past the sequence, V transposed); per block each warp computes its
 * scores S (16, 64) in registers (fp32 accumulate), updates the running
 * row max and sum (online softmax in fp32, exp2 with log2(e) folded into
 * the scale), turns P into the next MMA's A operand without leaving
 * registers, and accumulates O (16, HS) += P V. Keys past the sequence
 * are masked; nothing is padded beyond the sequence's own length. ctx
 * (N, C) gets O / rowsum for the rows that exist. REL: MPNet's
 * relative-position bias rel (bk_relpos) added to each score in log2
 * units before the running max, span >= the longest sequence less one
 * (a template flag, so that BERT's kernel is the code measured before
 * MPNet came; rel is not read without it). */
enum { BK_FA_Q = 64, BK_FA_K = 64 }; /* queries per block, keys per step */

template <typename T>
static __device__ __forceinline__ void bk_mma16816(float (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1)
{
	if constexpr (std::is_same<T, __half>::value)
		asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 "
			     "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
			     : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
			     : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
	else
		asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 "
			     "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
			     : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
			     : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

/* Two floats as one 32-bit register of two T (the low half first). */
template <typename T> static __device__ __forceinline__ uint32_t bk_pack2(float x, float y)
{
	uint32_t r;
	if constexpr (std::is_same<T, __half>::value) {
		__half2 h = __floats2half2_rn(x, y);
		r = *reinterpret_cast<uint32_t *>(&h);
	} else {
		__nv_bfloat162 h = __floats2bfloat162_rn(x, y);
		r = *reinterpret_cast<uint32_t *>(&h);
	}
	return r;
}

template <typename T, int HS, bool REL>
__global__ void __launch_bounds__(128) bk_attention_kernel3(const T *qkv, const float *bias, const int *off, int NH,
							    float scale, T *ctx, const float *rel, int span)
{
	constexpr int LD = HS + 8, LDV = BK_FA_K + 8, CH = HS / 8, NT = HS / 8;
	__shared__ __align__(16) T Qs[BK_FA_Q * LD];
	__shared__ __align__(16) T Ks[BK_FA_K * LD];
	__shared__ __align__(16) T Vt[HS * LDV]; /* V transposed: (HS, keys) */
	const int q0 = blockIdx.x * BK_FA_Q, h = blockIdx.y, b = blockIdx.z;
	const int s = off[b], len = off[b + 1] - s;
	if (q0 >= len)
		return;
	const int C = NH * HS, C3 = 3 * C, tid = threadIdx.x, warp = tid / 32, lane = tid % 32;
	const int g = lane / 4, t = lane % 4, r0 = warp * 16;
	const bool active = q0 + r0 < len;
	const float sl2 = scale * 1.4426950408889634f; /* scores in log2 units */

	/* a chunk of 8 values of row `row` of part (0 q, 1 k, 2 v), bias added */
	auto fetch = [&](int part, int row, int c, float *v) {
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
	};
	for (int i = tid; i < BK_FA_Q * CH; i += 128) {
		float v[8];
		fetch(0, q0 + i / CH, (i % CH) * 8, v);
		bk_io<T>::store8(Qs + (i / CH) * LD + (i % CH) * 8, v);
	}

	uint32_t qa[HS / 16][4];
	float o[NT][4], m[2] = {-INFINITY, -INFINITY}, l[2] = {0.f, 0.f};
#pragma unroll
	for (int n = 0; n < NT; n++)
		o[n][0] = o[n][1] = o[n][2] = o[n][3] = 0.f;

	for (int k0 = 0; k0 < len; k0 += BK_FA_K) {
		__syncthreads(); /* the previous block's K, V are no longer read */
		for (int i = tid; i < BK_FA_K * CH; i += 128) {
			const int r = i / CH, c = (i % CH) * 8;
			float v[8];
			fetch(1, k0 + r, c, v);
			bk_io<T>::store8(Ks + r * LD + c, v);
			fetch(2, k0 + r, c, v);
#pragma unroll
			for (int e = 0; e < 8; e++)
				Vt[(c + e) * LDV + r] = bk_io<T>::put(v[e]);
		}
		__syncthreads();
		if (!active)
			continue;
		if (k0 == 0) {
			const uint32_t *q = reinterpret_cast<const uint32_t *>(Qs);
#pragma unroll
			for (int k = 0; k < HS / 16; k++) {
				qa[k][0] = q[((r0 + g) * LD + 16 * k + 2 * t) / 2];
				qa[k][1] = q[((r0 + g + 8) * LD + 16 * k + 2 * t) / 2];
				qa[k][2] = q[((r0 + g) * LD + 16 * k + 8 + 2 * t) / 2];
				qa[k][3] = q[((r0 + g + 8) * LD + 16 * k + 8 + 2 * t) / 2];
			}
		}
		/* S (16, 64) = Q K^T: 8 tiles of 8 keys */
		float sc[BK_FA_K / 8][4];
		const uint32_t *kk = reinterpret_cast<const uint32_t *>(Ks);
#pragma unroll
		for (int j = 0; j < BK_FA_K / 8; j++) {
			sc[j][0] = sc[j][1] = sc[j][2] = sc[j][3] = 0.f;
#pragma unroll
			for (int k = 0; k < HS / 16; k++)
				bk_mma16816<T>(sc[j], qa[k], kk[((8 * j + g) * LD + 16 * k + 2 * t) / 2],
					       kk[((8 * j + g) * LD + 16 * k + 8 + 2 * t) / 2]);
		}
		/* online softmax: rows g (c0, c1) and g+8 (c2, c3) */
		float mx[2] = {m[0], m[1]};
#pragma unroll
		for (int j = 0; j < BK_FA_K / 8; j++)
#pragma unroll
			for (int e = 0; e < 4; e++) {
				const int key = k0 + 8 * j + 2 * t + (e & 1), q = q0 + r0 + g + 8 * (e / 2);
				sc[j][e] = key < len ? sc[j][e] * sl2 : -INFINITY;
				if (REL && key < len && q < len) /* rows past len are never written */
					sc[j][e] += bk_relpos(rel, span, h, key - q) * 1.4426950408889634f;
				mx[e / 2] = fmaxf(mx[e / 2], sc[j][e]);
			}
		float corr[2];
#pragma unroll
		for (int r = 0; r < 2; r++) {
			mx[r] = fmaxf(mx[r], __shfl_xor_sync(0xffffffffu, mx[r], 1));
			mx[r] = fmaxf(mx[r], __shfl_xor_sync(0xffffffffu, mx[r], 2));
			corr[r] = exp2f(m[r] - mx[r]); /* 0 on the first block: m = -inf */
			m[r] = mx[r];
			l[r] *= corr[r];
		}
#pragma unroll
		for (int n = 0; n < NT; n++) {
			o[n][0] *= corr[0], o[n][1] *= corr[0];
			o[n][2] *= corr[1], o[n][3] *= corr[1];
		}
#pragma unroll
		for (int j = 0; j < BK_FA_K / 8; j++)
#pragma unroll
			for (int e = 0; e < 4; e++) {
				sc[j][e] = exp2f(sc[j][e] - m[e / 2]);
				l[e / 2] += sc[j][e];
			}
		/* O (16, HS) += P V: P's accumulators are the A operand */
		const uint32_t *vt = reinterpret_cast<const uint32_t *>(Vt);
#pragma unroll
		for (int kk2 = 0; kk2 < BK_FA_K / 16; kk2++) {
			const uint32_t pa[4] = {bk_pack2<T>(sc[2 * kk2][0], sc[2 * kk2][1]),
						bk_pack2<T>(sc[2 * kk2][2], sc[2 * kk2][3]),
						bk_pack2<T>(sc[2 * kk2 + 1][0], sc[2 * kk2 + 1][1]),
						bk_pack2<T>(sc[2 * kk2 + 1][2], sc[2 * kk2 + 1][3])};
#pragma unroll
			for (int n = 0; n < NT; n++)
				bk_mma16816<T>(o[n], pa, vt[((8 * n + g) * LDV + 16 * kk2 + 2 * t) / 2],
					       vt[((8 * n + g) * LDV + 16 * kk2 + 8 + 2 * t) / 2]);
		}
	}
	if (!active)
		return;
#pragma unroll
	for (int r = 0; r < 2; r++) {
		l[r] += __shfl_xor_sync(0xffffffffu, l[r], 1);
		l[r] += __shfl_xor_sync(0xffffffffu, l[r], 2);
		l[r] = 1.f / l[r];
	}
#pragma unroll
	for (int r = 0; r < 2; r++) {
		const int q = q0 + r0 + g + 8 * r;
		if (q >= len)
			continue;
		uint32_t *dst = reinterpret_cast<uint32_t *>(ctx + (size_t)(s + q) * C + h * HS);
#pragma unroll
		for (int n = 0; n < NT; n++)
			dst[(8 * n + 2 * t) / 2] = bk_pack2<T>(o[n][2 * r] * l[r], o[n][2 * r + 1] * l[r]);
	}
}

/* ---------------------------------------------------------- pooling */

/* out (B, C) = x[off[b]] (the [CLS] row of each sequence); x fp32. */
static __global__ void bk_cls_gather_kernel(const float *x, const int *off, int C, float *out)
{
	const int b = blockIdx.x;
	for (int c = threadIdx.x; c < C; c += blockDim.x)
		out[(size_t)b * C + c] = x[(size_t)off[b] * C + c];
}

/* Variant 1 of tests/kernels/pool.cu (shipped): the pooled features of
 * one layer, a segmented reduction over the packed offsets. One block per
 * sequence b, one thread per column (coalesced rows), the tokens summed
 * in order as cpu.c's seq_mean_max does: mean[b·mstride + c] = the mean
 * of x's rows off[b] .. off[b+1]-1, max[b·C + c] their maximum. x (N, C)
 * fp32 (the residual stream); mean, max NULL: not computed. mstride: L·C
 * into layer_mean (B, L, C), C for a (B, C) output. */
static __global__ void bk_seq_mean_max_kernel1(const float *x, const int *off, int C, float *mean, size_t mstride,
					       float *max)
{
	const int b = blockIdx.x, s = off[b], len = off[b + 1] - s;
	for (int c = threadIdx.x; c < C; c += blockDim.x) {
		const float *col = x + (size_t)s * C + c;
		float acc = 0.f, mx = col[0];
		for (int t = 0; t < len; t++) {
			const float v = col[(size_t)t * C];
			acc += v;
			mx = fmaxf(mx, v);
		}
		if (mean)
			mean[(size_t)b * mstride + c] = acc / (float)len;
		if (max)
			max[(size_t)b * C + c] = mx;
	}
}

/* y (B, C) fp32 in place: y = act(y + bias); act = tanh when tanh_act. */
static __global__ void bk_bias_act_kernel(float *y, const float *bias, int B, int C, int tanh_act)
{
	const int i = blockIdx.x * blockDim.x + threadIdx.x;
	if (i >= B * C)
		return;
	float v = y[i] + bias[i % C];
	y[i] = tanh_act ? tanhf(v) : v;
}

#endif
