#!/usr/bin/env bash
# check-gemm-choice.sh — the CPU GEMM library chosen by measurement (issue
# 15, src/bert/gemm.c), through herd-score: with HERD_GEMM unset the first
# run times the libraries and says so on its device line, and writes the
# choice to $XDG_CACHE_HOME/herd/gemm (one line per CPU, libraries and
# model shape); the next run reads it ("cached") and writes the same bytes;
# a cache naming the other library is obeyed; HERD_GEMM pins a library
# (dnnl, matmul: oneDNN's matmul on packed weights, openblas; each one
# there gives the golden model's labels, and logits within
# test_bert_model's GOLDEN_ATOL of each other); a bad HERD_GEMM is an error
# naming it; an unwritable cache or no $HOME still runs, and says it did
# not cache.
set -u
export LC_ALL=C
top=${HERD_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${HERD_BIN:-$top/bin}
model=$top/tests/golden/bert-tiny
ATOL=1e-4 # tests/unit/test_bert_model.c's GOLDEN_ATOL: two fp32 GEMMs of the same sums

[ -x "$bin/herd-score" ] || { echo "FAIL: $bin/herd-score not built"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
unset HERD_GEMM
passed=0 failed=0
check() { # sentence, then a command that must succeed
	local what=$1
	shift
	if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $what"; fi
}
score() { # cache dir, output file, then env assignments
	local cache=$1 out=$2
	shift 2
	env XDG_CACHE_HOME="$cache" "$@" "$bin/herd-score" --model "$model" --emit logits "$tmp/in.ndjson" \
		>"$out" 2>"$out.err"
}

sed -n 's/.*"text":\("[^"]*"\).*/{"kind":"post","id":"g","text":\1}/p' "$top/tests/golden/bert-tiny.ndjson" \
	>"$tmp/in.ndjson"
check "the golden texts are there" test "$(wc -l <"$tmp/in.ndjson")" -ge 5

score "$tmp/c" "$tmp/first"
check "the first run measures: $(cat "$tmp/first.err")" grep -q 'cpu: .*: measured [0-9]* .*GFLOP/s' "$tmp/first.err"
check "the choice is cached, one line for the shape C32 I64" \
	test "$(grep -c $'|C32 I64\t' "$tmp/c/herd/gemm" 2>/dev/null)" = 1
score "$tmp/c" "$tmp/second"
check "the second run reads the cache: $(cat "$tmp/second.err")" grep -q 'GFLOP/s, cached' "$tmp/second.err"
check "and writes the same bytes" cmp -s "$tmp/first" "$tmp/second"

libs=$(awk -F'\t' '{ print $2 }' "$tmp/c/herd/gemm")
other=
ldd "$bin/herd-score" | grep -q libdnnl && [ "$libs" != dnnl ] && other=dnnl
ldconfig -p 2>/dev/null | grep -q 'libopenblas\.so\.0 ' && [ "$libs" != openblas ] && other=${other:-openblas}
if [ -n "$other" ]; then
	sed -i "s/\t$libs\t/\t$other\t/" "$tmp/c/herd/gemm"
	score "$tmp/c" "$tmp/third"
	name=$([ "$other" = dnnl ] && echo oneDNN || echo OpenBLAS)
	check "a cache naming $other is obeyed: $(cat "$tmp/third.err")" grep -q "cpu: $name .*, cached" "$tmp/third.err"
fi

for lib in dnnl matmul openblas; do
	score "$tmp/c" "$tmp/pin-$lib" HERD_GEMM=$lib || { grep -q "HERD_GEMM=$lib: " "$tmp/pin-$lib.err" && continue; }
	check "HERD_GEMM=$lib is said: $(cat "$tmp/pin-$lib.err")" grep -q "(HERD_GEMM=$lib)" "$tmp/pin-$lib.err"
	check "HERD_GEMM=$lib: the same labels" cmp -s <(jq -c .sentiment.label "$tmp/first") \
		<(jq -c .sentiment.label "$tmp/pin-$lib")
	check "HERD_GEMM=$lib: logits within $ATOL" awk -v atol=$ATOL '
		NR == FNR { a[NR] = $0; next }
		{ split(a[FNR], x, ","); split($0, y, ","); for (i in x) { d = x[i] - y[i]; if (d > atol || -d > atol) bad = 1 } }
		END { exit bad }' <(jq -c '.logits | map(tostring) | join(",")' -r "$tmp/first") \
		<(jq -c '.logits | map(tostring) | join(",")' -r "$tmp/pin-$lib")
done

score "$tmp/c" "$tmp/bad" HERD_GEMM=mkl
check "a bad HERD_GEMM exits 1" test $? = 1
check "and names it: $(cat "$tmp/bad.err")" grep -qx \
	"herd-score: HERD_GEMM=mkl: not one of dnnl, matmul, openblas, herd, default" "$tmp/bad.err"

touch "$tmp/file"
score "$tmp/file" "$tmp/nocache"
check "an unwritable cache still scores (measured again: the labels)" cmp -s <(jq -c .sentiment.label "$tmp/first") \
	<(jq -c .sentiment.label "$tmp/nocache")
check "and says so: $(cat "$tmp/nocache.err")" grep -q "(not cached: $tmp/file/herd/gemm: " "$tmp/nocache.err"
env -u HOME XDG_CACHE_HOME= "$bin/herd-score" --model "$model" "$tmp/in.ndjson" >/dev/null 2>"$tmp/nohome.err"
check "no \$HOME: not cached, said" grep -q 'not cached: no \$XDG_CACHE_HOME or \$HOME' "$tmp/nohome.err"

echo "RESULT $passed passed, $failed failed"
[ "$failed" -eq 0 ]
