#!/usr/bin/env bash
# bench-train.sh — herd's training step (src/bert/train.c + optim.c,
# full fine-tuning: forward, backward, clipping, AdamW over every weight)
# against PyTorch's (transformers' BertModel, eager and torch.compile) on
# the same model, batch, sequences and threads, in one run.
#
#   scripts/bench-train.sh [--reps N] [--threads N]
#
# The model is models/default (all-MiniLM-L6-v2: 6 layers, hidden 384)
# with mean pooling and a 3-class linear head, dropout 0.1. Two batches:
#   real32   32 real texts (16 PhraseBank sentences, 16 finance tweets),
#            as many tokens as each has: herd packs them, PyTorch pads to
#            the longest with an attention mask (as its users train)
#   fixed32x64  32 sequences of exactly 64 tokens: nothing to pad
# Each engine runs one warm-up step (torch.compile three: compiling), then
# --reps timed steps (default 5); engines alternate, twice, and each keeps
# its best median. Printed: ms per step, peak RSS of the process, and the
# ratio PyTorch's best (eager or compile) / herd's, for time and memory.
# Needs models/default (make models), .venv's torch + transformers
# (scripts/setup-python.sh), ../shared/data and a C compiler with oneDNN;
# says what is missing and exits 0. The machine is shared: compare figures
# of one run (the load average is printed).
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
shared=${SHARED:-$(cd .. && pwd)/shared/data}
py=.venv/bin/python
reps=5 threads=$(nproc)
while [ $# -gt 0 ]; do
	case $1 in
	--reps) reps=$2; shift 2 ;;
	--threads) threads=$2; shift 2 ;;
	*) echo "usage: bench-train.sh [--reps N] [--threads N]" >&2; exit 2 ;;
	esac
done
[ -f models/default/model.safetensors ] || { echo "bench-train: models/default missing (make models)"; exit 0; }
[ -x $py ] && $py -c 'import torch, transformers' 2>/dev/null || { echo "bench-train: no .venv with torch (scripts/setup-python.sh)"; exit 0; }
[ -d "$shared" ] || { echo "bench-train: $shared missing"; exit 0; }
[ -f build/libbert.a ] || make -s
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cc -std=c11 -D_GNU_SOURCE -O2 -march=native -Isrc -DHERD_GEMM_DNNL tests/kernels/train_driver.c \
	build/libbert.a build/libherd.a -ldnnl -lutf8proc -lpthread -lm -o "$work/train_driver"
$py - "$shared" "$work" <<'PY'
import csv, random, sys
from transformers import BertTokenizer
shared, work = sys.argv[1], sys.argv[2]
tok = BertTokenizer.from_pretrained("models/default")
pb = [l.rsplit("@", 1)[0] for l in open(f"{shared}/financial-phrasebank/Sentences_50Agree.txt", encoding="latin-1")]
tw = [r["text"] for r in csv.DictReader(open(f"{shared}/twitter-financial-news-sentiment/sent_train.csv"))]
texts = pb[5::211][:16] + tw[3::541][:16]
with open(f"{work}/real32.ids", "w") as f:
    for t in texts:
        f.write(" ".join(map(str, tok(t, truncation=True, max_length=128)["input_ids"])) + "\n")
rng = random.Random(1)
with open(f"{work}/fixed32x64.ids", "w") as f:
    for _ in range(32):
        f.write(" ".join(map(str, [101] + [rng.randrange(1000, 29000) for _ in range(62)] + [102])) + "\n")
PY
echo "bench-train: $(lscpu | sed -n 's/^Model name: *//p'), $threads threads, load $(cut -d' ' -f1-3 /proc/loadavg)"
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }
for case in real32 fixed32x64; do
	best_h= best_e= best_c= mem_h= mem_e= mem_c=
	for round in 1 2; do
		h=$("$work/train_driver" models/default "$work/$case.ids" 32 "$reps" "$threads")
		e=$($py scripts/bench-train.py models/default "$work/$case.ids" 32 "$reps" "$threads" eager 2>/dev/null)
		c=$($py scripts/bench-train.py models/default "$work/$case.ids" 32 "$reps" "$threads" compile 2>/dev/null || echo "torch-compile failed")
		echo "  $case round $round: $h"
		echo "  $case round $round: $e"
		echo "  $case round $round: $c"
		for v in h e c; do
			line=${!v}
			ms=$(echo "$line" | field median_ms) mb=$(echo "$line" | field peak_rss_mb)
			[ -n "$ms" ] || continue
			eval "cur=\${best_$v:-}"
			if [ -z "$cur" ] || awk "BEGIN{exit !($ms < $cur)}"; then eval "best_$v=$ms mem_$v=$mb"; fi
		done
	done
	torch=$best_e tmem=$mem_e which=eager
	if [ -n "$best_c" ] && awk "BEGIN{exit !($best_c < $best_e)}"; then torch=$best_c tmem=$mem_c which=compile; fi
	awk -v c="$case" -v h="$best_h" -v t="$torch" -v w="$which" -v hm="$mem_h" -v tm="$tmem" 'BEGIN {
		printf "%-11s herd %7.1f ms/step %5.0f MB | torch (%s) %7.1f ms/step %5.0f MB | speed %.2fx, memory %.2fx\n",
			c, h, hm, w, t, tm, t / h, tm / hm }'
done
echo "bench-train: load $(cut -d' ' -f1-3 /proc/loadavg)"
