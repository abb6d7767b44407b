#!/usr/bin/env bash
# bench-bert.sh — herd's BERT scorer on the CPU against PyTorch
# (transformers) and ONNX Runtime, in one run, on the same inputs.
#
#   scripts/bench-bert.sh [--quick] [--models default,minilm,mpnet,finbert]
#                         [--threads N] [--precisions int8,bf16]
#                         [--gemms dnnl,matmul,openblas]
#
# First the sgemm ceiling of this machine, measured here: oneDNN's
# dnnl_sgemm (herd's GEMM, Makefile GEMM=dnnl) and OpenBLAS (GEMM=openblas)
# auto-detected and with OPENBLAS_CORETYPE forced to each core type the
# CPU can run (Haswell, SkylakeX, Cooperlake), on BERT's projection
# shapes; the best rate is "the sgemm peak".
# Every table is printed with the CPU's model name and SIMD flags: figures
# from another kind of CPU are another table.
# Then, for each model of --models (default: default,finbert):
#   default        models/default, whichever model it is
#   minilm         all-MiniLM-L6-v2 + herd's head (6 layers, hidden 384):
#                  models/minilm-fin3, or models/default while that is it
#   mpnet          all-mpnet-base-v2 + its merged LoRA adapter and head (12
#                  layers, hidden 768, relative-position bias):
#                  models/mpnet-fin3, or models/default while that is it
#   finbert        a FinBERT-sized random BertForSequenceClassification (12
#                  layers, hidden 768, made once with transformers in the
#                  work folder, the MiniLM model's vocabulary)
#   a directory    any other herd model directory
# (a key whose model is not here is skipped, said so). The peers run herd's
# models' encoders as transformers' AutoModel loads them (BertModel,
# MPNetModel) and exported to ONNX; FinBERT-sized with its head. Hidden
# 768 models get a quarter of the fixed batches and WSB comments:
#   128x32 fixed   sequences of exactly 128 tokens, batches of 32: herd-score
#                  --batch 32 (its GEMM library as it chose it, and pinned to
#                  each with HERD_GEMM); torch: the model's forward on (32, 128)
#                  ids; ONNX Runtime: the exported graph on the same ids
#   32x32 fixed    the same with sequences of exactly 32 tokens
#   wsb N          real WSB comments (wsb-early2021-esbenkc) in input order:
#                  herd-score as shipped (sorted windows of 1024) and unsorted
#                  (--sort-window 32); torch as users use it (the transformers
#                  pipeline, batch_size 32); ONNX Runtime on batches of 32
#                  padded to each batch's longest
# --precisions: herd also at each --precision on the fixed shapes (default
# int8; bf16 where the CPU has AVX512_BF16, with torch in bf16 beside it).
# --gemms: herd also pinned to each of these GEMM libraries (HERD_GEMM) on
# the fixed shapes (default dnnl,matmul,openblas; "" for none).
# Every engine gets the same threads (default: all CPUs). herd's time is
# herd-score's wall time minus a run on empty input (model loading), best of
# 3; the peers' the best of 3 forward passes over the set, model loaded.
# Printed per row: sequences/s, real tokens/s, achieved GFLOP/s (the
# encoder's useful FLOPs: real tokens only, so padding counts against the
# engine that pads) and % of the sgemm peak (the probe's rate is measured again
# between the models and at the end; the best of all is the peak); then the
# issue's ratios and which GEMM kernel herd ran.
# Needs bin/herd-score, models/default (make models), ../shared/data, a C
# compiler with oneDNN or OpenBLAS, and .venv (scripts/setup-python.sh); says what is
# missing and exits 0 without it. The machine is shared: compare figures of
# one run; the load average is printed at the start and the end.
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
shared=${SHARED:-$(cd .. && pwd)/shared/data}
py=.venv/bin/python
work=${HERD_BENCH_WORK:-/tmp/herd-bench-bert}
threads=$(nproc)
args=()
while [ $# -gt 0 ]; do
	case $1 in
	--threads) threads=$2; shift 2 ;;
	--models) args+=(--models "$2"); shift 2 ;;
	--quick) args+=(--quick); shift ;;
	--precisions) args+=(--precisions "$2"); shift 2 ;;
	--gemms) args+=(--gemms "$2"); shift 2 ;;
	-h | --help) sed -n '2,56p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench-bert: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
done

[ -x bin/herd-score ] || { echo "bench-bert: bin/herd-score not built (make)"; exit 1; }
[ -d "$shared/wsb-early2021-esbenkc" ] || { echo "bench-bert: skipped: $shared not found"; exit 0; }
[ -f models/default/head.safetensors ] || { echo "bench-bert: skipped: no models/default (make models)"; exit 0; }
[ -x "$py" ] && $py -c 'import torch, transformers, onnxruntime' 2>/dev/null ||
	{ echo "bench-bert: skipped: .venv lacks torch/transformers/onnxruntime (scripts/setup-python.sh)"; exit 0; }
mkdir -p "$work"

# ---------------------------------------------------------------- sgemm peak
cat >"$work/sgemm.c" <<'EOF'
/* sgemm rate on BERT's projection shapes, C (M, N) = A (M, K) B (N, K)^T */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#ifdef DNNL
#include <dnnl.h>
#else
#include <cblas.h>
#endif
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
int main(void)
{
	static const int shapes[][3] = {{4096, 2304, 768}, {4096, 3072, 768}, {4096, 768, 3072}, {4096, 1536, 384}, {2048, 2048, 2048}};
	double best = 0;
	for (int s = 0; s < 5; s++) {
		int M = shapes[s][0], N = shapes[s][1], K = shapes[s][2], reps = 0;
		float *A = malloc(4L * M * K), *B = malloc(4L * N * K), *C = malloc(4L * M * N);
		for (long i = 0; i < (long)M * K; i++) A[i] = (float)(i % 7) * 0.1f;
		for (long i = 0; i < (long)N * K; i++) B[i] = (float)(i % 5) * 0.1f;
		double t0 = now(), t;
		do {
#ifdef DNNL
			dnnl_sgemm('N', 'T', M, N, K, 1.f, A, K, B, K, 0.f, C, N);
#else
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1.f, A, K, B, K, 0.f, C, N);
#endif
			reps++;
		} while ((t = now() - t0) < 1.0);
		double g = 2.0 * M * N * K * reps / t / 1e9;
		printf("  %5d x %5d x %5d  %6.1f GFLOP/s\n", M, N, K, g);
		best = g > best ? g : best;
		free(A), free(B), free(C);
	}
	printf("best %.1f\n", best);
	return 0;
}
EOF
flags=" $(grep -m1 '^flags' /proc/cpuinfo) "
simd=$(echo "$flags" | tr ' ' '\n' | grep -E '^(sse4_2|avx|avx2|fma|f16c|avx_vnni|amx_.*|avx512.*)$' | tr '\n' ' ')
cpu="CPU: $(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) CPUs; SIMD flags: $simd"
echo "== sgemm on this machine ($threads threads; load $(cut -d' ' -f1 /proc/loadavg))"
echo "$cpu"
peak=0 probe=
if cc -O2 -DDNNL "$work/sgemm.c" -o "$work/sgemm-dnnl" -ldnnl 2>/dev/null; then
	echo "oneDNN dnnl_sgemm:"
	OMP_NUM_THREADS=$threads "$work/sgemm-dnnl" | tee "$work/sgemm-dnnl.txt"
	peak=$(awk '/^best/ { print $2 }' "$work/sgemm-dnnl.txt")
	probe=$work/sgemm-dnnl
fi
ob=/usr/include/x86_64-linux-gnu/openblas-pthread
if [ -f $ob/cblas.h ] && cc -O2 -I$ob "$work/sgemm.c" -o "$work/sgemm-openblas" -lopenblas 2>/dev/null; then
	# forced core types: only those whose instructions this CPU has (one it
	# lacks dies on an illegal instruction): Haswell AVX2+FMA, SkylakeX
	# AVX-512 F/BW/DQ/VL/CD, Cooperlake that and AVX512_BF16
	has() { for f; do [[ $flags == *" $f "* ]] || return 1; done; }
	cores=("")
	has avx2 fma && cores+=(Haswell)
	has avx512f avx512bw avx512dq avx512vl avx512cd && cores+=(SkylakeX)
	has avx512f avx512bw avx512dq avx512vl avx512cd avx512_bf16 && cores+=(Cooperlake)
	for core in "${cores[@]}"; do
		echo "OpenBLAS ${core:-auto-detected}:"
		OPENBLAS_NUM_THREADS=$threads OPENBLAS_CORETYPE=$core "$work/sgemm-openblas" | tee "$work/sgemm-openblas$core.txt"
		p=$(awk '/^best/ { print $2 }' "$work/sgemm-openblas$core.txt")
		peak=$(awk -v a="$peak" -v b="$p" 'BEGIN { print (b > a ? b : a) }')
	done
	[ -n "$probe" ] || probe=$work/sgemm-openblas
fi
[ -n "$probe" ] || { echo "bench-bert: skipped: neither oneDNN nor OpenBLAS to measure the sgemm peak with"; exit 0; }
echo "sgemm peak (the best above): $peak GFLOP/s"

# ---------------------------------------------------------------- models
echo
echo "== herd vs PyTorch vs ONNX Runtime ($threads threads)"
echo "$cpu"
SHARED=$shared OMP_NUM_THREADS=$threads $py scripts/bench-bert.py --herd bin/herd-score --peak "$peak" \
	--sgemm "$probe" --threads "$threads" --work "$work" "${args[@]}"
