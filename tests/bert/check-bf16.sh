#!/usr/bin/env bash
# check-bf16.sh — herd-score --precision bf16 on the CPU (issue 15,
# src/bert/matmul.c) against fp32, through the program: the device line
# names bf16 and oneDNN's kernel; the tiny golden checkpoint's texts get
# fp32's labels and logits within TINY_ATOL; the default model (when
# models/default is there) labels the 200 golden texts of
# tests/golden/bert-default.ndjson.gz as fp32 does but for at most one
# (99.5%, check-precision.sh's bar on real text) with probabilities within
# PROB_ATOL; bf16's bytes are the same on 1 and 2 threads (issue 18's
# rule, kept for bf16 too). Exit 77 where the CPU has no AVX512_BF16 (the
# refusal's message is checked in tests/cli/score-bert.t everywhere).
set -u
export LC_ALL=C
top=${HERD_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${HERD_BIN:-$top/bin}
tiny=$top/tests/golden/bert-tiny
default=$top/models/default
# Tolerances, seen ~4x under each: the tiny random model's logits moved
# by 0.017 at most, the default model's probabilities by 0.007 (Intel
# Xeon with AVX512_BF16, oneDNN 2.6 gemm:jit).
TINY_ATOL=0.05
PROB_ATOL=0.03

[ -x "$bin/herd-score" ] || { echo "FAIL: $bin/herd-score not built"; exit 1; }
command -v jq >/dev/null || { echo "skip: no jq"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! "$bin/herd-score" --model "$tiny" --device cpu --precision bf16 </dev/null 2>"$tmp/probe.err"; then
	grep -q 'AVX512_BF16' "$tmp/probe.err" && { echo "skip: $(sed 's/^herd-score: //' "$tmp/probe.err" | head -1)"; exit 77; }
	echo "FAIL: bf16 refused without naming AVX512_BF16:"; cat "$tmp/probe.err"; exit 1
fi
passed=0 failed=0
check() { # sentence, then a command that must succeed
	local what=$1
	shift
	if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $what"; fi
}
# max |a - b| over the numbers of two files of JSON arrays, line by line
maxdiff() {
	paste -d' ' "$1" "$2" | tr -d '[]"' | tr ',' ' ' |
		awk '{ h = NF / 2; for (i = 1; i <= h; i++) { d = $i - $(i + h); d = d < 0 ? -d : d; if (d > m) m = d } } END { print m + 0 }'
}
within() { awk -v d="$1" -v t="$2" 'BEGIN { exit !(d <= t) }'; }

# the tiny checkpoint
sed -n 's/.*"text":\("[^"]*"\).*/{"kind":"post","id":"g","text":\1}/p' "$top/tests/golden/bert-tiny.ndjson" >"$tmp/tiny.ndjson"
for p in fp32 bf16; do
	"$bin/herd-score" --model "$tiny" --device cpu --precision $p --emit logits "$tmp/tiny.ndjson" >"$tmp/t.$p" 2>"$tmp/t.$p.err"
	jq -c .logits "$tmp/t.$p" >"$tmp/t.$p.logits"
	jq -c .sentiment.label "$tmp/t.$p" >"$tmp/t.$p.labels"
done
check "the device line says bf16 and the kernel: $(cat "$tmp/t.bf16.err")" \
	grep -q 'bf16 projections: oneDNN [0-9.]* matmul [a-z]' "$tmp/t.bf16.err"
check "tiny model: bf16 labels are fp32's" cmp -s "$tmp/t.fp32.labels" "$tmp/t.bf16.labels"
d=$(maxdiff "$tmp/t.fp32.logits" "$tmp/t.bf16.logits")
check "tiny model: bf16 logits within $TINY_ATOL of fp32's (max diff $d)" within "$d" $TINY_ATOL

# the default model, when built
if [ -f "$default/config.json" ]; then
	gzip -dc "$top/tests/golden/bert-default.ndjson.gz" | tail -n +2 |
		jq -c '{kind: "post", id: .text[0:20], title: null, text}' >"$tmp/gold.ndjson"
	for p in fp32 bf16; do
		"$bin/herd-score" -q --model "$default" --device cpu --precision $p --threads 2 "$tmp/gold.ndjson" >"$tmp/d.$p"
		jq -c .sentiment.probs "$tmp/d.$p" >"$tmp/d.$p.probs"
		jq -c .sentiment.label "$tmp/d.$p" >"$tmp/d.$p.labels"
	done
	n=$(wc -l <"$tmp/d.fp32.labels")
	differ=$(paste -d' ' "$tmp/d.fp32.labels" "$tmp/d.bf16.labels" | awk '$1 != $2' | wc -l)
	check "default model: $n golden texts scored" test "$n" -eq 200
	check "default model: bf16 labels are fp32's but for at most 1 of $n ($differ differ)" test "$differ" -le 1
	d=$(maxdiff "$tmp/d.fp32.probs" "$tmp/d.bf16.probs")
	check "default model: bf16 probabilities within $PROB_ATOL of fp32's (max diff $d)" within "$d" $PROB_ATOL
	"$bin/herd-score" -q --model "$default" --device cpu --precision bf16 --threads 1 "$tmp/gold.ndjson" >"$tmp/d.bf16.t1"
	check "default model: bf16 writes the same bytes on 1 and 2 threads" cmp -s "$tmp/d.bf16" "$tmp/d.bf16.t1"
else
	echo "note: no $default (make models): the tiny checkpoint only"
fi
echo "RESULT $passed passed, $failed failed"
[ "$failed" -eq 0 ]
