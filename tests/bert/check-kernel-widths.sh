#!/usr/bin/env bash
# check-kernel-widths.sh — the engine's own vector kernels (cpu.c: the
# fused short-sequence attention, GELU, softmax, LayerNorm) are GCC vector
# extensions at the width the build targets (16 lanes with AVX-512, 8 with
# AVX2, 4 with SSE), so a -march=native build on one machine only runs one
# width. This test compiles cpu.c again for x86-64-v3 (AVX2) and x86-64
# (SSE2) and runs test_bert_ops (each op against its plain-loop ref, the
# fused attention at lengths 1..257, heads of 32 and 64) with it: any x86
# machine checks the narrower CPUs' kernels (issue 15; the CI machine may
# be an AMD without AVX-512). Skips without the native build's objects.
. "$(dirname "$0")/../lib.sh"
build=${HERD_BUILD:-$top/build}
lib=$build/libbert.a
[ -f "$lib" ] && [ -f "$build/libherd.a" ] || skip "$lib not built (make)"
cc=${CC:-cc}
libs="-lm -lpthread" san=
nm "$lib" 2>/dev/null | grep -q ' U dnnl_' && libs="-ldnnl $libs"
# the SAN=1 build's libraries need the sanitizers' runtimes: build alike
nm "$lib" 2>/dev/null | grep -q '__asan_' && san="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
for arch in x86-64-v3 x86-64; do
	d=$tmp/$arch
	mkdir -p "$d"
	cp "$lib" "$d/libbert.a"
	ar d "$d/libbert.a" cpu.o
	if $cc -std=c11 -D_GNU_SOURCE -O3 -march=$arch -Wall -Wextra -Wno-unused-parameter -Werror $san \
		-I"$top/src" -c "$top/src/bert/cpu.c" -o "$d/cpu.o" 2>"$d/err" &&
		$cc -std=c11 -D_GNU_SOURCE -O2 -march=$arch $san -I"$top/src" -I"$top/tests/unit" \
			-c "$top/tests/unit/test_bert_ops.c" -o "$d/t.o" 2>>"$d/err" &&
		$cc $san "$d/t.o" "$d/cpu.o" "$d/libbert.a" "$build/libherd.a" $libs -o "$d/test_bert_ops" 2>>"$d/err"; then
		out=$("$d/test_bert_ops" 2>&1)
		check "test_bert_ops with cpu.c built for $arch: $(echo "$out" | grep -E 'FAIL|RESULT' | head -5)" \
			grep -qE '^RESULT [0-9]+ passed, 0 failed' <<<"$out"
		check "cpu.c built for $arch has no AVX-512 instruction" bash -c "! objdump -d '$d/cpu.o' | grep -q zmm"
	else
		check "cpu.c and test_bert_ops build for $arch: $(head -5 "$d/err")" false
	fi
done
result
