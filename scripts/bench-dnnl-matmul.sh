#!/usr/bin/env bash
# bench-dnnl-matmul.sh — oneDNN's matmul primitive against dnnl_sgemm on
# the engine's projection shapes, one thread, the way the engine calls
# them (issue 15.3: is the primitive a better fp32 GEMM candidate for
# src/bert/gemm.c, and what does bf16 cost?). For each model size (the
# default model's C 384 / I 1536, FinBERT's 768 / 3072), each projection
# (C→3C, C→C, C→I, I→C) and row blocks of 64 and 256 (cpu.c's
# GEMM_MIN_ROWS and GEMM_MAX_ROWS), GFLOP/s of:
#   sgemm        dnnl_sgemm('N', 'T'): what gemm.c runs today
#   mm plain     the fp32 matmul primitive, rows fixed, weights as the
#                engine holds them (OC, IC) row-major: what a drop-in
#                bert_gemm candidate would get
#   mm packed    the same with the weights in the layout it asks for
#                (reordered once at load): the most the primitive offers
#   mm rt        packed, the rows left to run time (one primitive a shape)
#   mm +gelu     packed, with bias and exact GELU as post-ops (C→I only:
#                the fused epilogue cpu.c runs after sgemm, not timed there)
#   bf16 rt      matmul.c's bf16 (bf16 in, fp32 out, rows at run time),
#                where the CPU has AVX512_BF16
# Each the best of 30 calls after 3. Needs cc and libdnnl-dev. The machine
# is shared: wrap in flock /tmp/herd-bench.lock and compare columns of one
# run.
#
#   scripts/bench-dnnl-matmul.sh
set -euo pipefail
export LC_ALL=C
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/mm.c" <<'EOF'
#include <dnnl.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#define CK(x) do { if ((x) != dnnl_success) { fprintf(stderr, "failed: %s\n", #x); exit(1); } } while (0)
static dnnl_engine_t eng;
static dnnl_stream_t st;
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
static uint16_t bf(float f) { uint32_t u; memcpy(&u, &f, 4); u += 0x7fff + ((u >> 16) & 1); return u >> 16; }
/* variant: 0 plain fixed, 1 packed fixed, 2 packed runtime, 3 packed + bias + gelu, 4 bf16 runtime */
static double mm(int v, int M, int N, int K, const float *A, const float *W, const float *bias, float *C)
{
	int rt = v == 2 || v == 4, b16 = v == 4;
	dnnl_data_type_t dt = b16 ? dnnl_bf16 : dnnl_f32;
	dnnl_dims_t sd = {rt ? DNNL_RUNTIME_DIM_VAL : M, K}, wd = {K, N}, dd = {rt ? DNNL_RUNTIME_DIM_VAL : M, N}, bd = {1, N};
	dnnl_memory_desc_t smd, wmd, wany, dmd, bmd;
	CK(dnnl_memory_desc_init_by_tag(&smd, 2, sd, dt, dnnl_ab));
	CK(dnnl_memory_desc_init_by_tag(&wmd, 2, wd, dt, dnnl_ba));
	CK(dnnl_memory_desc_init_by_tag(&wany, 2, wd, dt, v == 0 ? dnnl_ba : dnnl_format_tag_any));
	CK(dnnl_memory_desc_init_by_tag(&dmd, 2, dd, dnnl_f32, dnnl_ab));
	CK(dnnl_memory_desc_init_by_tag(&bmd, 2, bd, dnnl_f32, dnnl_ab));
	dnnl_matmul_desc_t md;
	CK(dnnl_matmul_desc_init(&md, &smd, &wany, v == 3 ? &bmd : NULL, &dmd));
	dnnl_primitive_attr_t at;
	CK(dnnl_primitive_attr_create(&at));
	if (v == 3) {
		dnnl_post_ops_t po;
		CK(dnnl_post_ops_create(&po));
		CK(dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_gelu_erf, 0, 0));
		CK(dnnl_primitive_attr_set_post_ops(at, po));
		dnnl_post_ops_destroy(po);
	}
	dnnl_primitive_desc_t pd;
	CK(dnnl_primitive_desc_create(&pd, &md, at, eng, NULL));
	const dnnl_memory_desc_t *wq = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
	dnnl_primitive_t p;
	CK(dnnl_primitive_create(&p, pd));
	size_t n = (size_t)N * K;
	void *Wb = aligned_alloc(64, n * 4 + 64), *Wr = aligned_alloc(64, dnnl_memory_desc_get_size(wq) + 64);
	void *Ab = b16 ? aligned_alloc(64, (size_t)M * K * 2 + 64) : (void *)A;
	for (size_t i = 0; b16 && i < n; i++) ((uint16_t *)Wb)[i] = bf(W[i]);
	for (size_t i = 0; b16 && i < (size_t)M * K; i++) ((uint16_t *)Ab)[i] = bf(A[i]);
	if (!b16) memcpy(Wb, W, n * 4);
	dnnl_memory_t m0, m1;
	CK(dnnl_memory_create(&m0, &wmd, eng, Wb));
	CK(dnnl_memory_create(&m1, wq, eng, Wr));
	dnnl_primitive_desc_t rpd;
	dnnl_primitive_t r;
	CK(dnnl_reorder_primitive_desc_create(&rpd, &wmd, eng, wq, eng, NULL));
	CK(dnnl_primitive_create(&r, rpd));
	dnnl_exec_arg_t ra[2] = {{DNNL_ARG_FROM, m0}, {DNNL_ARG_TO, m1}};
	CK(dnnl_primitive_execute(r, st, 2, ra));
	CK(dnnl_stream_wait(st));
	dnnl_dims_t sd2 = {M, K}, dd2 = {M, N};
	dnnl_memory_desc_t s2, d2;
	CK(dnnl_memory_desc_init_by_tag(&s2, 2, sd2, dt, dnnl_ab));
	CK(dnnl_memory_desc_init_by_tag(&d2, 2, dd2, dnnl_f32, dnnl_ab));
	double best = 1e9;
	for (int i = 0; i < 33; i++) {
		double t = now();
		dnnl_memory_t a, c, b;
		CK(dnnl_memory_create(&a, &s2, eng, Ab));
		CK(dnnl_memory_create(&c, &d2, eng, C));
		CK(dnnl_memory_create(&b, &bmd, eng, (void *)bias));
		dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, a}, {DNNL_ARG_WEIGHTS, m1}, {DNNL_ARG_DST, c}, {DNNL_ARG_BIAS, b}};
		CK(dnnl_primitive_execute(p, st, v == 3 ? 4 : 3, args));
		CK(dnnl_stream_wait(st));
		dnnl_memory_destroy(a), dnnl_memory_destroy(c), dnnl_memory_destroy(b);
		t = now() - t;
		if (i >= 3 && t < best) best = t;
	}
	dnnl_primitive_destroy(p), dnnl_primitive_destroy(r), dnnl_primitive_desc_destroy(pd), dnnl_primitive_desc_destroy(rpd);
	dnnl_memory_destroy(m0), dnnl_memory_destroy(m1), dnnl_primitive_attr_destroy(at);
	free(Wb), free(Wr);
	if (b16) free(Ab);
	return 2.0 * M * N * K / best / 1e9;
}
int main(void)
{
	omp_set_num_threads(1);
	CK(dnnl_engine_create(&eng, dnnl_cpu, 0));
	CK(dnnl_stream_create(&st, eng, dnnl_stream_default_flags));
	dnnl_cpu_isa_t isa = dnnl_get_effective_cpu_isa();
	int bf16 = (isa & dnnl_cpu_isa_avx512_core_bf16) == dnnl_cpu_isa_avx512_core_bf16;
	const dnnl_version_t *ver = dnnl_version();
	printf("oneDNN %d.%d.%d, ISA %s, one thread, GFLOP/s\n", ver->major, ver->minor, ver->patch,
	       isa == dnnl_cpu_isa_avx512_core_amx ? "avx512_core_amx" : bf16 ? "avx512_core_bf16"
	       : (isa & dnnl_cpu_isa_avx512_core) == dnnl_cpu_isa_avx512_core ? "avx512_core(_vnni)"
	       : (isa & dnnl_cpu_isa_avx2) == dnnl_cpu_isa_avx2 ? "avx2" : "older");
	const int CI[2][2] = {{384, 1536}, {768, 3072}}, rows[2] = {64, 256};
	printf("%-5s %-9s %5s %7s %9s %9s %7s %8s %7s\n", "C", "shape", "rows", "sgemm", "mm plain", "mm packed", "mm rt",
	       "mm +gelu", "bf16 rt");
	for (int m = 0; m < 2; m++) {
		int C = CI[m][0], I = CI[m][1], nk[4][2] = {{3 * C, C}, {C, C}, {I, C}, {C, I}};
		const char *nm[4] = {"C->3C", "C->C", "C->I", "I->C"};
		for (int s = 0; s < 4; s++)
			for (int r = 0; r < 2; r++) {
				int M = rows[r], N = nk[s][0], K = nk[s][1];
				float *A = aligned_alloc(64, (size_t)M * K * 4), *W = aligned_alloc(64, (size_t)N * K * 4);
				float *Cm = aligned_alloc(64, (size_t)M * N * 4), *b = malloc((size_t)N * 4);
				for (size_t i = 0; i < (size_t)M * K; i++) A[i] = ((i * 7) % 13) * 0.01f - 0.06f;
				for (size_t i = 0; i < (size_t)N * K; i++) W[i] = ((i * 5) % 11) * 0.01f - 0.05f;
				for (int i = 0; i < N; i++) b[i] = 0.01f * (i % 7);
				double best = 1e9;
				for (int i = 0; i < 33; i++) {
					double t = now();
					dnnl_sgemm('N', 'T', M, N, K, 1.0f, A, K, W, K, 0.0f, Cm, N);
					t = now() - t;
					if (i >= 3 && t < best) best = t;
				}
				printf("%-5d %-9s %5d %7.1f %9.1f %9.1f %7.1f", C, nm[s], M, 2.0 * M * N * K / best / 1e9,
				       mm(0, M, N, K, A, W, b, Cm), mm(1, M, N, K, A, W, b, Cm), mm(2, M, N, K, A, W, b, Cm));
				if (s == 2) printf(" %8.1f", mm(3, M, N, K, A, W, b, Cm)); else printf(" %8s", "-");
				if (bf16) printf(" %7.1f\n", mm(4, M, N, K, A, W, b, Cm)); else printf(" %7s\n", "-");
				free(A), free(W), free(Cm), free(b);
			}
	}
	return 0;
}
EOF
cc -O2 -fopenmp "$tmp/mm.c" -o "$tmp/mm" -ldnnl
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'); load $(cut -d' ' -f1-3 /proc/loadavg)"
"$tmp/mm"
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
