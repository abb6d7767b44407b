/*
 * gemm.h — which CPU GEMM library the engine runs, chosen by measurement
 * on this CPU (issue 15): oneDNN's dnnl_sgemm (linked when the build has
 * it), oneDNN's matmul primitive on weights packed once at load
 * (matmul.h: for the projections; the other GEMMs then run dnnl_sgemm),
 * OpenBLAS (opened at run time, its core type set from the CPU's own
 * flags, never one the CPU lacks: Debian's 0.3.21 takes some AVX-512
 * Xeons for a Prescott and runs SSE3 kernels there), and herd's plain
 * loops when neither is there. The first model loaded times each on its
 * projection shapes (the row blocks cpu.c cuts: 64 and 256 rows; C→3C,
 * C→C, C→I, I→C), one thread, and keeps the fastest for the process; the
 * choice is cached per CPU, library versions and shape in
 * $XDG_CACHE_HOME/herd/gemm (~/.cache/herd/gemm), so later runs skip the
 * timing and give the same bytes. HERD_GEMM=dnnl|matmul|openblas|herd pins one;
 * HERD_GEMM=default takes the first there in that order, untimed (the
 * tests' setting: two processes never choose apart).
 *
 * cpu.c (inference) and train.c (through bert_cpu_sgemm) call bert_gemm;
 * every call runs on the calling thread only.
 */
#ifndef HERD_BERT_GEMM_H
#define HERD_BERT_GEMM_H

#include <stddef.h>

/* Choose the library for a model of hidden size C and intermediate size
 * I (HERD_GEMM, else the cache, else measured and cached). Once per
 * process: later calls keep the first choice. Returns 0, or -1 with a
 * message in err when HERD_GEMM names no library this process can run. */
int bert_gemm_choose(int C, int I, char *err, size_t errlen);
/* What runs and why: "oneDNN 2.6 dnnl_sgemm (avx512_core): measured 151
 * vs OpenBLAS 0.3.21 SkylakeX 141 GFLOP/s, cached". */
const char *bert_gemm_info(void);
/* 1 when the choice is oneDNN's matmul on packed weights: the caller
 * packs the projections' weights (bert_cpu_set_matmul); bert_gemm runs
 * dnnl_sgemm for the rest. */
int bert_gemm_packed(void);
/* oneDNN's instruction set on this CPU (as ONEDNN_MAX_CPU_ISA lets
 * it): "avx512_core_bf16", "avx2"; "no oneDNN" in a build without it. */
const char *bert_gemm_dnnl_isa(void);
/* Make the library run on the calling thread only (oneDNN's OpenMP
 * threads would fight the engine's own); once per thread. */
void bert_gemm_thread_init(void);
/* C (M, N) = alpha · op(A) · op(B) + beta · C, row-major, ta/tb 'N' or
 * 'T', on the calling thread, by the chosen library (the default one
 * before any choice). */
void bert_gemm(char ta, char tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B, int ldb,
	       float beta, float *C, int ldc);

#endif
