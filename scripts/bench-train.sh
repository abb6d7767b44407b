#!/usr/bin/env bash
# bench-train.sh — herd's training step (src/bert/train.c + optim.c,
# full fine-tuning: forward, backward, clipping, AdamW over every weight)
# against PyTorch's (transformers' AutoModel: BertModel or MPNetModel,
# eager and torch.compile) on the same model, batch, sequences and
# threads, in one run.
#
#   scripts/bench-train.sh [--model DIR] [--reps N] [--rounds N] [--threads N]
#
# --model DIR (default models/default: all-mpnet-base-v2, 12 layers,
# hidden 768; models/minilm-fin3 is all-MiniLM-L6-v2, 6 layers, hidden
# 384) gives the encoder: its config.json (model_type "bert" or "mpnet"),
# model.safetensors and tokenizer files. An adapter or head beside them is
# not used: both engines load the bare encoder (a directory of links to
# those files) and train it with mean pooling and a fresh 3-class linear
# head, dropout 0.1. Two batches, token ids from the model's tokenizer:
#   real32   32 real texts (16 PhraseBank sentences, 16 finance tweets),
#            as many tokens as each has: herd packs them, PyTorch pads to
#            the longest with an attention mask (as its users train)
#   fixed32x64  32 sequences of exactly 64 tokens (the model's CLS and
#            SEP ids around 62 random ones): nothing to pad
# Each engine runs one warm-up step (torch.compile three: compiling), then
# --reps timed steps (default 5); engines alternate, --rounds times
# (default 2), and each keeps its best median. Printed: ms per step, peak
# RSS of the process, and the ratio PyTorch's best (eager or compile) /
# herd's, for time and memory; then each engine's fastest single step and
# their ratio (on a loaded machine PyTorch's steps vary far more than
# herd's, which the medians' ratio flatters: read both).
# Needs DIR (make models), .venv's torch + transformers
# (scripts/setup-python.sh), ../shared/data and a C compiler with oneDNN;
# says what is missing and exits 0. The machine is shared: compare figures
# of one run (the load average is printed).
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
shared=${SHARED:-$(cd .. && pwd)/shared/data}
py=.venv/bin/python
model=models/default reps=5 rounds=2 threads=$(nproc)
usage="usage: bench-train.sh [--model DIR] [--reps N] [--rounds N] [--threads N]"
while [ $# -gt 0 ]; do
	case $1 in
	--model) model=${2:?$usage}; shift 2 ;;
	--reps) reps=${2:?$usage}; shift 2 ;;
	--rounds) rounds=${2:?$usage}; shift 2 ;;
	--threads) threads=${2:?$usage}; shift 2 ;;
	-h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	*) echo "$usage" >&2; exit 2 ;;
	esac
done
[ -f "$model/model.safetensors" ] || { echo "bench-train: $model/model.safetensors missing (make models)"; exit 0; }
[ -x $py ] && $py -c 'import torch, transformers' 2>/dev/null || { echo "bench-train: no .venv with torch (scripts/setup-python.sh)"; exit 0; }
[ -d "$shared" ] || { echo "bench-train: $shared missing"; exit 0; }
[ -f build/libbert.a ] || make -s
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The bare encoder, the same for both engines (herd's loader would merge
# an adapter.safetensors beside it; transformers would not).
mkdir "$work/enc"
for f in config.json model.safetensors vocab.txt tokenizer.json tokenizer_config.json special_tokens_map.json; do
	[ ! -f "$model/$f" ] || ln -s "$(cd "$model" && pwd -P)/$f" "$work/enc/$f"
done
cc -std=c11 -D_GNU_SOURCE -O2 -march=native -Isrc -DHERD_GEMM_DNNL tests/kernels/train_driver.c \
	build/libbert.a build/libherd.a -ldnnl -lutf8proc -lpthread -lm -o "$work/train_driver"
$py - "$shared" "$work" <<'PY'
import csv, random, sys
from transformers import AutoTokenizer
shared, work = sys.argv[1], sys.argv[2]
tok = AutoTokenizer.from_pretrained(f"{work}/enc")
pb = [l.rsplit("@", 1)[0] for l in open(f"{shared}/financial-phrasebank/Sentences_50Agree.txt", encoding="latin-1")]
tw = [r["text"] for r in csv.DictReader(open(f"{shared}/twitter-financial-news-sentiment/sent_train.csv"))]
texts = pb[5::211][:16] + tw[3::541][:16]
with open(f"{work}/real32.ids", "w") as f:
    for t in texts:
        f.write(" ".join(map(str, tok(t, truncation=True, max_length=128)["input_ids"])) + "\n")
rng = random.Random(1)
with open(f"{work}/fixed32x64.ids", "w") as f:
    for _ in range(32):
        f.write(" ".join(map(str, [tok.cls_token_id] + [rng.randrange(1000, 29000) for _ in range(62)] + [tok.sep_token_id])) + "\n")
PY
echo "bench-train: $model ($(sed -n 's/.*"model_type": *"\([^"]*\)".*/\1/p' "$work/enc/config.json")), $(lscpu | sed -n 's/^Model name: *//p'), $threads threads, load $(cut -d' ' -f1-3 /proc/loadavg)"
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }
for case in real32 fixed32x64; do
	best_h= best_e= best_c= mem_h= mem_e= mem_c= fast_h= fast_t=
	for round in $(seq "$rounds"); do
		h=$("$work/train_driver" "$work/enc" "$work/$case.ids" 32 "$reps" "$threads")
		e=$($py scripts/bench-train.py "$work/enc" "$work/$case.ids" 32 "$reps" "$threads" eager 2>/dev/null)
		c=$($py scripts/bench-train.py "$work/enc" "$work/$case.ids" 32 "$reps" "$threads" compile 2>/dev/null || echo "torch-compile failed")
		echo "  $case round $round: $h"
		echo "  $case round $round: $e"
		echo "  $case round $round: $c"
		for v in h e c; do
			line=${!v}
			ms=$(echo "$line" | field median_ms) mb=$(echo "$line" | field peak_rss_mb) one=$(echo "$line" | field best_ms)
			[ -n "$ms" ] || continue
			[ $v = h ] && w=fast_h || w=fast_t
			if [ -z "${!w}" ] || awk "BEGIN{exit !($one < ${!w})}"; then eval "$w=$one"; fi
			eval "cur=\${best_$v:-}"
			if [ -z "$cur" ] || awk "BEGIN{exit !($ms < $cur)}"; then eval "best_$v=$ms mem_$v=$mb"; fi
		done
	done
	torch=$best_e tmem=$mem_e which=eager
	if [ -n "$best_c" ] && awk "BEGIN{exit !($best_c < $best_e)}"; then torch=$best_c tmem=$mem_c which=compile; fi
	awk -v c="$case" -v h="$best_h" -v t="$torch" -v w="$which" -v hm="$mem_h" -v tm="$tmem" -v fh="$fast_h" -v ft="$fast_t" 'BEGIN {
		printf "%-11s herd %7.1f ms/step %5.0f MB | torch (%s) %7.1f ms/step %5.0f MB | speed %.2fx, memory %.2fx | fastest single steps %.1f / %.1f ms: %.2fx\n",
			c, h, hm, w, t, tm, t / h, tm / hm, fh, ft, ft / fh }'
done
echo "bench-train: load $(cut -d' ' -f1-3 /proc/loadavg)"
