/*
 * softmax.cu — variants of the masked softmax between the two attention
 * GEMMs: S (Bc·NH, Tm, Tm) fp32 scores, already scaled, of sequences
 * padded to Tm -> P (Bc·NH, Tm, Tm) in the activation type T: row i of
 * sequence b is softmax over keys j < len(b) and 0 beyond; rows i >= len(b)
 * are 0.
 *
 * Variants (run: ./softmax [variant]):
 *   1  one warp per row, three passes over the row in global memory (max,
 *      sum, write)
 *   2  one warp per row, the row in registers (Tm <= 512): one read;
 *      1.1-1.7x faster than 1 on an H100 (fp16, Tm 120: 0.028 vs 0.047 ms);
 *      SHIPPED in src/bert/cuda_kernels.cuh (bk_softmax_kernel2; its
 *      MPNet bias is checked through attention.cu's variant 1)
 *
 * Each variant is checked against the CPU reference at every launch
 * configuration (warps per block), for fp32, fp16 and bf16, with full and
 * ragged lengths, then timed with the L2 cache cleared (effective GB/s:
 * S read, P written). Exit status 1 when any check fails. Built and run
 * by scripts/gpu-check.sh:
 *   nvcc -O3 -std=c++17 -Isrc -arch=sm_90 tests/kernels/softmax.cu -o softmax && ./softmax
 */
#include "bert/cuda_kernels.cuh"
#include "common.cuh"

/* Tolerances: probabilities are in [0, 1]; the GPU's __expf is within
 * 2 ulp plus a few ulp of its argument's rounding (|s - m| < 40 here), so
 * about 1e-6 relative in fp32; in fp16/bf16 the output rounding (2^-11,
 * 2^-8 relative) dominates. Factor 2 of margin. */
static const float ATOL_FP32 = 1e-6f, RTOL_FP32 = 1e-5f;
static const float ATOL_FP16 = 1e-5f, RTOL_FP16 = 1e-3f;
static const float ATOL_BF16 = 1e-4f, RTOL_BF16 = 8e-3f;

/* ---------------------------------------------------------- variant 1 */

template <typename T>
__global__ void softmax_kernel1(const float *S, T *P, const int *off, int b0, int NH, int Tm, int rows)
{
	const int r = (blockIdx.x * blockDim.x + threadIdx.x) / 32, lane = threadIdx.x % 32;
	if (r >= rows)
		return;
	const int z = r / Tm, i = r % Tm, bl = z / NH;
	const int len = off[b0 + bl + 1] - off[b0 + bl];
	const float *s = S + (size_t)r * Tm;
	T *p = P + (size_t)r * Tm;
	if (i >= len) {
		for (int j = lane; j < Tm; j += 32)
			p[j] = bk_io<T>::put(0.f);
		return;
	}
	float m = -INFINITY;
	for (int j = lane; j < len; j += 32)
		m = fmaxf(m, s[j]);
	m = bk_warp_max(m);
	float sum = 0.f;
	for (int j = lane; j < len; j += 32)
		sum += __expf(s[j] - m);
	const float inv = 1.f / bk_warp_sum(sum);
	for (int j = lane; j < Tm; j += 32)
		p[j] = bk_io<T>::put(j < len ? __expf(s[j] - m) * inv : 0.f);
}

/* ---------------------------------------------------------- harness */

static void softmax_cpu(float *P, const float *S, const int *off, int Bc, int NH, int Tm)
{
	for (int z = 0; z < Bc * NH; z++) {
		int len = off[z / NH + 1] - off[z / NH];
		for (int i = 0; i < Tm; i++) {
			const float *s = S + ((size_t)z * Tm + i) * Tm;
			float *p = P + ((size_t)z * Tm + i) * Tm;
			double m = -INFINITY, sum = 0;
			for (int j = 0; j < Tm; j++)
				p[j] = 0.f;
			if (i >= len)
				continue;
			for (int j = 0; j < len; j++)
				m = s[j] > m ? s[j] : m;
			for (int j = 0; j < len; j++)
				sum += exp(s[j] - m);
			for (int j = 0; j < len; j++)
				p[j] = (float)(exp(s[j] - m) / sum);
		}
	}
}

template <typename T>
static int launch(int v, int cfg, const float *S, T *P, const int *off, int NH, int Tm, int rows, char *label)
{
	static const int warps[] = {1, 2, 4, 8};
	if (cfg >= 4)
		return 0;
	const int w = warps[cfg];
	const unsigned nb = (rows + w - 1) / w;
	if (v == 1) {
		sprintf(label, "v1 %d warps/block", w);
		softmax_kernel1<T><<<nb, 32 * w>>>(S, P, off, 0, NH, Tm, rows);
	} else if (v == 2) {
		const int K = (Tm + 31) / 32;
		if (K > 16)
			return 0;
		sprintf(label, "v2 %d warps/block%s", w, w == 4 ? " (shipped)" : "");
		if (K <= 1)
			bk_softmax_kernel2<T, 1><<<nb, 32 * w>>>(S, P, off, 0, NH, Tm, rows, nullptr, 0);
		else if (K <= 2)
			bk_softmax_kernel2<T, 2><<<nb, 32 * w>>>(S, P, off, 0, NH, Tm, rows, nullptr, 0);
		else if (K <= 4)
			bk_softmax_kernel2<T, 4><<<nb, 32 * w>>>(S, P, off, 0, NH, Tm, rows, nullptr, 0);
		else if (K <= 8)
			bk_softmax_kernel2<T, 8><<<nb, 32 * w>>>(S, P, off, 0, NH, Tm, rows, nullptr, 0);
		else
			bk_softmax_kernel2<T, 16><<<nb, 32 * w>>>(S, P, off, 0, NH, Tm, rows, nullptr, 0);
	} else {
		return 0;
	}
	cudaCheck(cudaGetLastError());
	return 1;
}

/* ragged: lengths from 1 to Tm (the longest is Tm), else all Tm. */
template <typename T> static int check_shape(int Bc, int NH, int Tm, int ragged, int only, float atol, float rtol)
{
	const int rows = Bc * NH * Tm;
	const size_t n = (size_t)rows * Tm;
	float *S = rand_floats(n, -8, 8, 7), *ref = (float *)malloc(n * sizeof(float));
	int *off = (int *)malloc((Bc + 1) * sizeof(int)), *doff;
	float *dS;
	T *dP;
	char label[64];
	int ok = 1;

	off[0] = 0;
	for (int b = 0; b < Bc; b++)
		off[b + 1] = off[b] + (!ragged || b == 0 ? Tm : 1 + (b * 7919) % Tm);
	cudaCheck(cudaMalloc(&dS, n * sizeof(float)));
	cudaCheck(cudaMalloc(&dP, n * sizeof(T)));
	cudaCheck(cudaMalloc(&doff, (Bc + 1) * sizeof(int)));
	cudaCheck(cudaMemcpy(dS, S, n * sizeof(float), cudaMemcpyHostToDevice));
	cudaCheck(cudaMemcpy(doff, off, (Bc + 1) * sizeof(int), cudaMemcpyHostToDevice));
	softmax_cpu(ref, S, off, Bc, NH, Tm);
	printf("  %s Bc=%d NH=%d Tm=%d %s\n", type_name<T>(), Bc, NH, Tm, ragged ? "ragged" : "full");
	for (int v = 1; v <= 2; v++) {
		if (only && v != only)
			continue;
		for (int cfg = 0;; cfg++) {
			cudaCheck(cudaMemset(dP, 0xff, n * sizeof(T))); /* NaN: every output must be written */
			if (!launch<T>(v, cfg, dS, dP, doff, NH, Tm, rows, label))
				break;
			int pass = validate<T>(label, dP, ref, n, atol, rtol);
			ok &= pass;
			if (!pass)
				continue;
			float ms = bench_ms(20, [&] { launch<T>(v, cfg, dS, dP, doff, NH, Tm, rows, label); });
			printf("    %-44s %8.4f ms  %7.1f GB/s\n", "", ms, n * (4.0 + sizeof(T)) / ms / 1e6);
		}
	}
	cudaCheck(cudaFree(dS));
	cudaCheck(cudaFree(dP));
	cudaCheck(cudaFree(doff));
	free(S), free(ref), free(off);
	return ok;
}

int main(int argc, char **argv)
{
	/* (Bc, NH, Tm, ragged): FinBERT seq 128 x batch 256; a sorted stream's
	 * batch; long sequences; the tiny golden model */
	static const int shapes[][4] = {{256, 12, 128, 0}, {64, 12, 120, 1}, {8, 12, 512, 1}, {13, 4, 37, 1}};
	const int only = argc > 1 ? atoi(argv[1]) : 0;
	int ok = 1;

	printf("softmax: masked softmax over padded scores, variants 1-2%s\n", only ? " (one)" : "");
	for (auto &s : shapes) {
		ok &= check_shape<float>(s[0], s[1], s[2], s[3], only, ATOL_FP32, RTOL_FP32);
		ok &= check_shape<__half>(s[0], s[1], s[2], s[3], only, ATOL_FP16, RTOL_FP16);
		ok &= check_shape<__nv_bfloat16>(s[0], s[1], s[2], s[3], only, ATOL_BF16, RTOL_BF16);
	}
	printf("softmax: %s\n", ok ? "all variants pass" : "FAIL");
	return ok ? 0 : 1;
}
