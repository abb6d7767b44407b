#!/usr/bin/env bash
# check-engine-isa.sh — the BERT engine's unit tests (test_bert_model:
# Hugging Face's golden outputs within their tolerances, and the same
# bytes on 1, 2 and 3 threads; test_bert_ops: each op against its plain
# loops, the int8 GEMM's integers exact) again with the GEMM library's kernels
# capped below what this CPU has, so that any x86 machine also checks the
# paths of CPUs without AVX-512 (issue 18: on an AVX2-only AMD EPYC the
# engine's output once depended on the thread count). oneDNN is capped
# with ONEDNN_MAX_CPU_ISA (AVX2, SSE41), OpenBLAS with OPENBLAS_CORETYPE
# (Haswell only where the CPU has AVX2 and FMA: a core type the CPU lacks
# would die; Nehalem); each library ignores the other's variable. Each
# cap runs with each library the engine can choose (issue 15: HERD_GEMM
# dnnl and matmul, and openblas where libopenblas.so.0 is installed), and
# matmul once more with its weights cut into panels of output columns
# (HERD_MM_PANEL_BYTES=1: the tiny models' projections get the most panels
# that divide them, as hidden 768's do at the default bound).
set -u
top=${HERD_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${HERD_BUILD:-$top/build}
bin=$build/tests/test_bert_model
ops=$build/tests/test_bert_ops

[ -x "$bin" ] && [ -x "$ops" ] || { echo "FAIL: $bin or $ops not built (make unit-test)"; exit 1; }
flags=" $(grep -m1 '^flags' /proc/cpuinfo) "
caps=SSE41:Nehalem
[[ $flags == *" avx2 "* && $flags == *" fma "* ]] && caps="AVX2:Haswell $caps"

libs=default
ldd "$bin" | grep -q libdnnl && libs="dnnl matmul matmul-panels"
ldconfig -p 2>/dev/null | grep -q 'libopenblas\.so\.0 ' && libs="$libs openblas"

passed=0 failed=0
for lib in $libs; do
	panel=
	[ "$lib" = matmul-panels ] && panel=1
	for cap in $caps; do
		out=$(HERD_GEMM=${lib%-panels} HERD_MM_PANEL_BYTES=$panel ONEDNN_MAX_CPU_ISA=${cap%:*} \
			OPENBLAS_CORETYPE=${cap#*:} "$bin" 2>&1 &&
			HERD_GEMM=${lib%-panels} HERD_MM_PANEL_BYTES=$panel ONEDNN_MAX_CPU_ISA=${cap%:*} \
			OPENBLAS_CORETYPE=${cap#*:} "$ops" 2>&1)
		rc=$?
		line=$(echo "$out" | grep -E '^RESULT [0-9]+ passed, [0-9]+ failed' | tail -1)
		if [ "$rc" -eq 0 ] && [ -n "$line" ]; then
			passed=$((passed + 1))
		else
			failed=$((failed + 1))
			echo "FAIL: test_bert_model or test_bert_ops on $lib with kernels capped at $cap (exit $rc):"
			echo "$out" | grep -E 'FAIL|RESULT' | head -20
		fi
	done
done
echo "RESULT $passed passed, $failed failed"
[ "$failed" -eq 0 ]
