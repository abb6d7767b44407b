#!/usr/bin/env bash
# gpu-pipe-check.sh — does the whole pipe keep the GPU fed? (issue 4: herd-score
# --device cuda on a real NDJSON stream within 80% of the engine alone.)
#
#   scripts/gpu-pipe-check.sh --bundle DIR [POSTS.ndjson]   on the build machine
#   scripts/gpu-pipe-check.sh --run DIR [REPEAT]            on the GPU machine
#
# The GPU machine has nvcc, torch and transformers but not herd's other
# libraries (jansson, utf8proc), so --bundle builds herd-score, its CUDA
# backend (lib/libherd-cuda.so) and tests/kernels/bert_driver there ahead of time: CUDA on, no CPU GEMM library
# (GEMM=none), portable code (ARCH=x86-64-v2), in a private copy of the tree;
# copies the two shared libraries they need; and writes the posts (default:
# the WSB comments, normalized) and their token ids exactly as herd-score
# tokenizes them (text, --max-len 128).
#
# --run makes a random FinBERT-sized checkpoint with torch
# (scripts/gpu-check.py models --only finbert), repeats the posts REPEAT times
# (default 20), then times, in fp16 at batch 256:
#   engine   bert_driver on the token ids (sorted batches, 3 timed passes)
#   pipe     herd-score on the posts, N and 3N of them; the marginal rate
#            2N / (t(3N) - t(N)) leaves out start-up (loading, hashing and
#            uploading the weights), which a long stream pays once
#   pipe -t1 the same with --threads 1: one thread reads, tokenizes, waits
#            for the model and writes in turn (herd-score before its
#            pipeline), for the pipeline's gain in the same run
# and prints pipe / engine, and whether both runs wrote the same bytes.
# Output goes to stdout and, when set, $OUT/.
# A dry run without a GPU: HERD_PIPE_DEVICE=cpu HERD_PIPE_MODEL=tiny.
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
mode=${1:-}
dir=${2:?usage: gpu-pipe-check.sh --bundle DIR [POSTS] | --run DIR [REPEAT]}

if [ "$mode" = --bundle ]; then
	posts=${3:-}
	src=$(mktemp -d)
	trap 'rm -rf "$src"' EXIT
	git ls-files -z | xargs -0 cp --parents -t "$src"
	(cd "$src" && make -j2 GEMM=none ARCH=x86-64-v2 bin/herd-score lib/libherd-cuda.so build/tests/test_tokenizer >/dev/null &&
		cc -std=c11 -D_GNU_SOURCE -O2 -march=x86-64-v2 -Isrc -DHERD_CUDA -DHERD_GEMM_NONE \
			-c tests/kernels/bert_driver.c -o build/bert_driver.o &&
		cc build/bert_driver.o build/libbert.a build/libherd.a -lutf8proc -lm -lpthread \
			-L/usr/local/cuda/lib64 -Wl,-rpath,/usr/local/cuda/lib64 -lcublasLt -lcublas -lcudart -lstdc++ \
			-o bin/bert_driver)
	rm -rf "$dir" && mkdir -p "$dir/bin" "$dir/lib"
	cp "$src/bin/herd-score" "$src/bin/bert_driver" "$dir/bin/"
	cp "$src/lib/libherd-cuda.so" "$dir/lib/" # opened from bin/../lib when a model runs on the GPU
	for l in libjansson.so.4 libutf8proc.so.2; do cp -L "/lib/x86_64-linux-gnu/$l" "$dir/lib/"; done
	if [ -z "$posts" ]; then
		posts=$dir/posts.ndjson
		bin/herd-normalize --source reddit --entities none "${SHARED:-../shared/data}/wsb-early2021-esbenkc/wallstreetbets_comments.ndjson" >"$posts"
	else
		cp "$posts" "$dir/posts.ndjson"
	fi
	"$src/build/tests/test_tokenizer" ids models/bert-base-uncased/vocab.txt --max-len 128 <"$dir/posts.ndjson" >"$dir/ids.txt"
	[ "$(wc -l <"$dir/ids.txt")" = "$(wc -l <"$dir/posts.ndjson")" ] || { echo "gpu-pipe-check: posts and ids differ in count" >&2; exit 1; }
	echo "gpu-pipe-check: bundle in $dir ($(du -sh "$dir" | cut -f1)): $(wc -l <"$dir/posts.ndjson") posts, mean $(awk '{n += NF} END {printf "%.1f", n / NR}' "$dir/ids.txt") tokens"
	exit 0
fi

[ "$mode" = --run ] || { echo "usage: gpu-pipe-check.sh --bundle DIR [POSTS] | --run DIR [REPEAT]" >&2; exit 2; }
repeat=${3:-20}
work=$(mktemp -d)
log=${OUT:+$OUT/gpu-pipe-check.log}
exec > >(tee ${log:-/dev/null}) 2>&1
export LD_LIBRARY_PATH=$dir/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader || true
device=${HERD_PIPE_DEVICE:-cuda}
shape=${HERD_PIPE_MODEL:-finbert}
python3 scripts/gpu-check.py models "$work/models" --only "$shape" --vocab models/bert-base-uncased/vocab.txt
model=$work/models/$shape
for i in $(seq "$repeat"); do cat "$dir/posts.ndjson"; done >"$work/p1.ndjson"
for i in $(seq "$repeat"); do cat "$dir/ids.txt"; done >"$work/ids.txt"
for i in 1 2 3; do cat "$work/p1.ndjson"; done >"$work/p3.ndjson"
n=$(wc -l <"$work/p1.ndjson")

echo "== engine alone: bert_driver on $device, fp16, batch 256, sorted"
"$dir/bin/bert_driver" --model "$model" --ids "$work/ids.txt" --device "$device" --precision fp16 --batch 256 --sort --reps 3 | tee "$work/engine.txt"
engine=$(sed -n 's/.*seq_per_s=\([0-9.]*\).*/\1/p' "$work/engine.txt" | tail -1)

pipe_time() { # FILE [ARGS...] -> seconds of herd-score over it
	local t0 t1 f=$1
	shift
	t0=$(date +%s.%N)
	"$dir/bin/herd-score" --model "$model" --device "$device" --precision fp16 --batch 256 --sort-window 8192 "$@" "$f" >"$work/out.ndjson"
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}
calc() { awk "BEGIN { printf \"%.3f\", $1 }"; }
echo "== the pipe: herd-score --device $device, $n and $((3 * n)) posts"
t1=$(pipe_time "$work/p1.ndjson")
t3=$(pipe_time "$work/p3.ndjson")
[ "$(wc -l <"$work/out.ndjson")" = $((3 * n)) ] || echo "gpu-pipe-check: herd-score wrote $(wc -l <"$work/out.ndjson") records, want $((3 * n))"
head -c 400 "$work/out.ndjson"; echo
mv "$work/out.ndjson" "$work/out-pipe.ndjson"
echo "== the same with --threads 1 (no pipeline)"
s1=$(pipe_time "$work/p1.ndjson" --threads 1)
s3=$(pipe_time "$work/p3.ndjson" --threads 1)
if cmp -s "$work/out.ndjson" "$work/out-pipe.ndjson"; then same="the same bytes"; else same="DIFFERENT bytes (see the batches' float digits)"; fi
pipe=$(calc "2 * $n / ($t3 - $t1)")
single=$(calc "2 * $n / ($s3 - $s1)")
printf 'engine alone          %10.0f posts/s\n' "$engine"
printf 'herd-score, %7d posts %6.2f s (%.0f posts/s with start-up)\n' "$n" "$t1" "$(calc "$n / $t1")"
printf 'herd-score, %7d posts %6.2f s\n' $((3 * n)) "$t3"
printf 'pipe (marginal)       %10.0f posts/s = %.1f%% of the engine alone (issue 4 asks >= 80%%)\n' "$pipe" "$(calc "100 * $pipe / $engine")"
printf 'pipe --threads 1      %10.0f posts/s = %.1f%% of the engine alone; pipeline gain %.2fx; outputs: %s\n' \
	"$single" "$(calc "100 * $single / $engine")" "$(calc "$pipe / $single")" "$same"
rm -rf "$work"
