/*
 * pool.cu — variants of the pooled features a head reads: each layer's
 * mean over a sequence's tokens and the last layer's maximum, from the
 * fp32 residual stream x (N, C) of a packed batch (offsets off (B+1)):
 * mean[b·mstride + c], max[b·C + c], as cpu.c's seq_mean_max computes them
 * (the last layer's mean is also BERT_POOL_MEAN's pooled vector).
 *
 * Variants (run: ./pool [variant]):
 *   1  one block per sequence, one thread per column (rows read
 *      coalesced), tokens summed in order as the CPU does; SHIPPED in
 *      src/bert/cuda_kernels.cuh (bk_seq_mean_max_kernel1)
 *   2  one block per (sequence, 256 columns), each thread four columns
 *      of one token at a time in a float4, tokens split across 8 warps of
 *      the block and the partial sums added through shared memory: more
 *      blocks for short batches, fewer for long sequences
 * Neither is timed on a GPU yet (issue 16): gpu-check.sh's run will say
 * which ships. The cost beside the encoder is small either way: one read
 * of x per layer (the layer's LayerNorm writes it twice).
 *
 * Each variant is checked against the CPU reference (fp32, the CPU's
 * summation order; tolerance for the other orders of variant 2), then
 * timed with the L2 cache cleared. Exit status 1 when any check fails.
 * Built and run by scripts/gpu-check.sh:
 *   nvcc -O3 -std=c++17 -Isrc -arch=sm_90 tests/kernels/pool.cu -o pool && ./pool
 */
#include "bert/cuda_kernels.cuh"
#include "common.cuh"

/* Tolerances: the mean of up to 512 values in [-3, 3] summed in fp32:
 * the CPU's order (variant 1) leaves only __fdiv's rounding; other orders
 * (variant 2) differ by up to ~len·2^-24·max|partial sum|, under 1e-5 at
 * 512 tokens. The maximum is exact. */
static const float ATOL_MEAN = 2e-5f, RTOL_MEAN = 1e-5f;

/* ---------------------------------------------------------- variant 2 */

enum { P2_COLS = 256, P2_WARPS = 8 };

/* grid (B, ceil(C / 256)), 256 threads; lane l of a warp takes 4
 * adjacent columns (C % 4 == 0: cuda.cu checks C % 8). */
static __global__ void seq_mean_max_kernel2(const float *x, const int *off, int C, float *mean, size_t mstride,
					    float *max)
{
	__shared__ float4 ssum[P2_WARPS][32], smax[P2_WARPS][32];
	const int b = blockIdx.x, s = off[b], len = off[b + 1] - s;
	/* two warps cover a token's 256 columns (half: which 128), four such
	 * pairs (slot) take every fourth token */
	const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, half = warp % 2, slot = warp / 2;
	const int col = blockIdx.y * P2_COLS + 128 * half + 4 * lane;
	float4 acc = make_float4(0.f, 0.f, 0.f, 0.f), mx = make_float4(-INFINITY, -INFINITY, -INFINITY, -INFINITY);
	if (col < C)
		for (int t = slot; t < len; t += P2_WARPS / 2) {
			const float4 v = *reinterpret_cast<const float4 *>(x + (size_t)(s + t) * C + col);
			acc.x += v.x, acc.y += v.y, acc.z += v.z, acc.w += v.w;
			mx.x = fmaxf(mx.x, v.x), mx.y = fmaxf(mx.y, v.y), mx.z = fmaxf(mx.z, v.z), mx.w = fmaxf(mx.w, v.w);
		}
	ssum[warp][lane] = acc;
	smax[warp][lane] = mx;
	__syncthreads();
	if (slot != 0 || col >= C)
		return;
	for (int k = 1; k < P2_WARPS / 2; k++) {
		const float4 a = ssum[2 * k + half][lane], m = smax[2 * k + half][lane];
		acc.x += a.x, acc.y += a.y, acc.z += a.z, acc.w += a.w;
		mx.x = fmaxf(mx.x, m.x), mx.y = fmaxf(mx.y, m.y), mx.z = fmaxf(mx.z, m.z), mx.w = fmaxf(mx.w, m.w);
	}
	if (mean) {
		float *o = mean + (size_t)b * mstride + col;
		o[0] = acc.x / (float)len, o[1] = acc.y / (float)len, o[2] = acc.z / (float)len, o[3] = acc.w / (float)len;
	}
	if (max) {
		float *o = max + (size_t)b * C + col;
		o[0] = mx.x, o[1] = mx.y, o[2] = mx.z, o[3] = mx.w;
	}
}

/* ---------------------------------------------------------- harness */

/* cpu.c's seq_mean_max: sum in order in fp32, then divide. */
static void pool_cpu(float *mean, size_t mstride, float *max, const float *x, int B, const int *off, int C)
{
	for (int b = 0; b < B; b++) {
		const int t0 = off[b], T = off[b + 1] - t0;
		for (int c = 0; c < C; c++) {
			float s = 0.f, m = x[(size_t)t0 * C + c];
			for (int t = t0; t < t0 + T; t++) {
				const float v = x[(size_t)t * C + c];
				s += v;
				m = v > m ? v : m;
			}
			mean[(size_t)b * mstride + c] = s / (float)T;
			max[(size_t)b * C + c] = m;
		}
	}
}

static void launch(int v, const float *x, const int *off, int B, int C, float *mean, size_t mstride, float *max)
{
	if (v == 1)
		bk_seq_mean_max_kernel1<<<B, 256>>>(x, off, C, mean, mstride, max);
	else
		seq_mean_max_kernel2<<<dim3(B, (C + P2_COLS - 1) / P2_COLS), 256>>>(x, off, C, mean, mstride, max);
	cudaCheck(cudaGetLastError());
}

/* B sequences (ragged: lengths 1..Tm, else all Tm) of width C; the mean
 * goes into slot 3 of L = 5 layers (stride L·C), as into layer_mean. */
static int check_shape(int B, int Tm, int ragged, int C, int only)
{
	const int L = 5, slot = 3;
	int *off = (int *)malloc((B + 1) * sizeof(int)), *doff;
	off[0] = 0;
	for (int b = 0; b < B; b++)
		off[b + 1] = off[b] + (!ragged || b == 0 ? Tm : 1 + (b * 7919) % Tm);
	const int N = off[B];
	const size_t nm = (size_t)B * L * C;
	float *x = rand_floats((size_t)N * C, -3, 3, 31), *mean = (float *)calloc(nm, sizeof(float));
	float *max = (float *)malloc((size_t)B * C * sizeof(float)), *dx = to_device<float>(x, (size_t)N * C);
	float *dmean, *dmax;
	int ok = 1;

	pool_cpu(mean + (size_t)slot * C, (size_t)L * C, max, x, B, off, C);
	cudaCheck(cudaMalloc(&doff, (B + 1) * sizeof(int)));
	cudaCheck(cudaMemcpy(doff, off, (B + 1) * sizeof(int), cudaMemcpyHostToDevice));
	cudaCheck(cudaMalloc(&dmean, nm * sizeof(float)));
	cudaCheck(cudaMalloc(&dmax, (size_t)B * C * sizeof(float)));
	printf("  B=%d Tm=%d %s C=%d (N=%d)\n", B, Tm, ragged ? "ragged" : "full", C, N);
	for (int v = 1; v <= 2; v++) {
		char what[96];
		if (only && v != only)
			continue;
		cudaCheck(cudaMemset(dmean, 0, nm * sizeof(float))); /* other layers' slots stay 0 */
		cudaCheck(cudaMemset(dmax, 0xff, (size_t)B * C * sizeof(float)));
		launch(v, dx, doff, B, C, dmean + (size_t)slot * C, (size_t)L * C, dmax);
		snprintf(what, sizeof what, "v%d mean (layer slot %d of %d)%s", v, slot, L, v == 1 ? " (shipped)" : "");
		int pass = validate<float>(what, dmean, mean, nm, ATOL_MEAN, RTOL_MEAN);
		snprintf(what, sizeof what, "v%d max%s", v, v == 1 ? " (shipped)" : "");
		pass &= validate<float>(what, dmax, max, (size_t)B * C, 0.f, 0.f);
		ok &= pass;
		if (!pass)
			continue;
		float ms = bench_ms(20, [&] { launch(v, dx, doff, B, C, dmean + (size_t)slot * C, (size_t)L * C, dmax); });
		printf("    %-44s %8.4f ms  %7.1f GB/s\n", "", ms, (double)N * C * sizeof(float) / ms / 1e6);
	}
	cudaCheck(cudaFree(dx)), cudaCheck(cudaFree(doff)), cudaCheck(cudaFree(dmean)), cudaCheck(cudaFree(dmax));
	free(off), free(x), free(mean), free(max);
	return ok;
}

int main(int argc, char **argv)
{
	/* (B, Tm, ragged, C): FinBERT-sized 128 x 256; a stream of mixed
	 * lengths at MPNet's width; long sequences; MiniLM; the tiny model */
	static const int shapes[][4] = {{256, 128, 0, 768}, {64, 120, 1, 768}, {8, 512, 1, 768},
					{64, 120, 1, 384},  {13, 37, 1, 32}};
	const int only = argc > 1 ? atoi(argv[1]) : 0;
	int ok = 1;

	printf("pool: each sequence's mean and max over its tokens, variants 1-2%s\n", only ? " (one)" : "");
	for (auto &s : shapes)
		ok &= check_shape(s[0], s[1], s[2], s[3], only);
	printf("pool: %s\n", ok ? "all variants pass" : "FAIL");
	return ok ? 0 : 1;
}
