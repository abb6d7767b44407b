/*
 * common.cuh — what every kernel-variant harness in tests/kernels/ needs:
 * the CUDA check macro, random inputs, rounding to the activation type on
 * the host, the tolerance check against a CPU reference, and the timer
 * that clears the L2 cache before every run (llm.c's dev/cuda/common.h).
 *
 * The harnesses run only on a GPU machine (scripts/gpu-check.sh builds
 * them with nvcc); make does not build them.
 */
#ifndef HERD_KERNELS_COMMON_CUH
#define HERD_KERNELS_COMMON_CUH

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define cudaCheck(call) cuda_check((call), #call, __FILE__, __LINE__)
static void cuda_check(cudaError_t e, const char *call, const char *file, int line)
{
	if (e != cudaSuccess) {
		fprintf(stderr, "%s:%d: %s: %s\n", file, line, call, cudaGetErrorString(e));
		exit(1);
	}
}

/* Deterministic uniform floats in [lo, hi) (xorshift). */
static float *rand_floats(size_t n, float lo, float hi, unsigned seed)
{
	float *v = (float *)malloc(n * sizeof(float));
	unsigned s = seed * 2654435761u + 1;

	for (size_t i = 0; i < n; i++) {
		s ^= s << 13, s ^= s >> 17, s ^= s << 5;
		v[i] = lo + (hi - lo) * (float)(s >> 8) / 16777216.f;
	}
	return v;
}

/* Host conversions, so that the CPU reference sees the values the GPU
 * sees (inputs rounded to T first). */
template <typename T> static T to_t(float x);
template <> float to_t<float>(float x) { return x; }
template <> __half to_t<__half>(float x) { return __float2half_rn(x); }
template <> __nv_bfloat16 to_t<__nv_bfloat16>(float x) { return __float2bfloat16_rn(x); }
static float from_t(float x) { return x; }
static float from_t(__half x) { return __half2float(x); }
static float from_t(__nv_bfloat16 x) { return __bfloat162float(x); }

template <typename T> static const char *type_name();
template <> const char *type_name<float>() { return "fp32"; }
template <> const char *type_name<__half>() { return "fp16"; }
template <> const char *type_name<__nv_bfloat16>() { return "bf16"; }

/* Rounds v in place to T's precision and returns a device copy in T. */
template <typename T> static T *to_device(float *v, size_t n)
{
	T *h = (T *)malloc(n * sizeof(T)), *d;

	for (size_t i = 0; i < n; i++) {
		h[i] = to_t<T>(v[i]);
		v[i] = from_t(h[i]);
	}
	cudaCheck(cudaMalloc(&d, n * sizeof(T)));
	cudaCheck(cudaMemcpy(d, h, n * sizeof(T), cudaMemcpyHostToDevice));
	free(h);
	return d;
}

/* Compares a device result in T with the fp32 reference: passes when
 * |got - ref| <= atol + rtol·|ref| everywhere. Prints the max difference
 * and the first mismatches; returns 1 when it passes. */
template <typename T>
static int validate(const char *what, const T *dev, const float *ref, size_t n, float atol, float rtol)
{
	T *h = (T *)malloc(n * sizeof(T));
	double maxdiff = 0;
	size_t bad = 0;

	cudaCheck(cudaMemcpy(h, dev, n * sizeof(T), cudaMemcpyDeviceToHost));
	for (size_t i = 0; i < n; i++) {
		float got = from_t(h[i]);
		double d = fabs((double)got - ref[i]);
		if (!(d <= atol + rtol * fabs(ref[i]))) { /* NaN fails too */
			if (bad < 5)
				printf("    %s: mismatch at %zu: got %.6g, want %.6g\n", what, i, got, ref[i]);
			bad++;
		}
		if (d > maxdiff || d != d)
			maxdiff = d;
	}
	free(h);
	printf("    %-44s max|diff| %.3g  %s\n", what, maxdiff, bad ? "FAIL" : "ok");
	return bad == 0;
}

/* Mean milliseconds of run(arg) over reps, the L2 cache flushed (a
 * memset of twice its size) before each, timed by events around the
 * kernel alone. */
template <typename F> static float bench_ms(int reps, F run)
{
	static char *flush;
	static size_t flush_bytes;
	cudaEvent_t a, b;
	float total = 0, ms;

	if (!flush) {
		cudaDeviceProp p;
		cudaCheck(cudaGetDeviceProperties(&p, 0));
		flush_bytes = 2 * (size_t)p.l2CacheSize;
		cudaCheck(cudaMalloc(&flush, flush_bytes));
	}
	cudaCheck(cudaEventCreate(&a));
	cudaCheck(cudaEventCreate(&b));
	run(); /* warm-up */
	cudaCheck(cudaGetLastError());
	for (int i = 0; i < reps; i++) {
		cudaCheck(cudaMemset(flush, i, flush_bytes));
		cudaCheck(cudaEventRecord(a));
		run();
		cudaCheck(cudaEventRecord(b));
		cudaCheck(cudaEventSynchronize(b));
		cudaCheck(cudaEventElapsedTime(&ms, a, b));
		total += ms;
	}
	cudaCheck(cudaGetLastError());
	cudaCheck(cudaEventDestroy(a));
	cudaCheck(cudaEventDestroy(b));
	return total / reps;
}

#endif
