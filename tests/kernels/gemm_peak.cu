/*
 * gemm_peak.cu — the tensor-core GEMM rate that scripts/gpu-check.sh
 * measures the BERT engine against: cublasGemmEx on square n³ products
 * (default 8192), fp16 and bf16 operands with fp32 accumulation (as the
 * engine's GEMMs), and fp32 without TF32 (the fp32 path's ceiling).
 * Random data (zeros run faster on these chips), one warm-up, then the
 * mean of reps timed products. Prints one line per type:
 *   PEAK fp16 n=8192 tflops=612.3
 * Not built by make: gpu-check.sh builds it with nvcc -lcublas.
 */
#include <cublas_v2.h>

#include "common.cuh"

#define cublasCheck(call) cublas_check((call), #call, __FILE__, __LINE__)
static void cublas_check(cublasStatus_t s, const char *call, const char *file, int line)
{
	if (s != CUBLAS_STATUS_SUCCESS) {
		fprintf(stderr, "%s:%d: %s: %s\n", file, line, call, cublasGetStatusString(s));
		exit(1);
	}
}

template <typename T> static void peak(cublasHandle_t h, const char *name, cudaDataType_t dt, int n, int reps)
{
	const size_t count = (size_t)n * n;
	float *host = rand_floats(count, -1, 1, 11);
	T *a = to_device<T>(host, count), *b = to_device<T>(host, count), *c;
	const float one = 1.f, zero = 0.f;
	cudaEvent_t e0, e1;
	float ms;

	cudaCheck(cudaMalloc(&c, count * sizeof(T)));
	cudaCheck(cudaEventCreate(&e0));
	cudaCheck(cudaEventCreate(&e1));
	cublasCheck(cublasGemmEx(h, CUBLAS_OP_T, CUBLAS_OP_N, n, n, n, &one, a, dt, n, b, dt, n, &zero, c, dt, n,
				 CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
	cudaCheck(cudaEventRecord(e0));
	for (int i = 0; i < reps; i++)
		cublasCheck(cublasGemmEx(h, CUBLAS_OP_T, CUBLAS_OP_N, n, n, n, &one, a, dt, n, b, dt, n, &zero, c, dt, n,
					 CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
	cudaCheck(cudaEventRecord(e1));
	cudaCheck(cudaEventSynchronize(e1));
	cudaCheck(cudaEventElapsedTime(&ms, e0, e1));
	printf("PEAK %s n=%d tflops=%.1f\n", name, n, 2.0 * n * n * (double)n * reps / (ms / 1e3) / 1e12);
	cudaCheck(cudaFree(a));
	cudaCheck(cudaFree(b));
	cudaCheck(cudaFree(c));
	free(host);
}

int main(int argc, char **argv)
{
	const int n = argc > 1 ? atoi(argv[1]) : 8192;
	cublasHandle_t h;

	cublasCheck(cublasCreate(&h));
	cublasCheck(cublasSetMathMode(h, CUBLAS_DEFAULT_MATH)); /* no TF32 for fp32 */
	peak<__half>(h, "fp16", CUDA_R_16F, n, 20);
	peak<__nv_bfloat16>(h, "bf16", CUDA_R_16BF, n, 20);
	peak<float>(h, "fp32", CUDA_R_32F, n, 3);
	cublasCheck(cublasDestroy(h));
	return 0;
}
