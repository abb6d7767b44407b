#!/bin/sh
# check-train-default.sh — the training room's backward pass and AdamW on
# the real default encoder (models/default, all-mpnet-base-v2: MPNet, 12
# layers, hidden 768, 109M parameters; HERD_TRAIN_MODEL=models/minilm-fin3
# checks the fast model's all-MiniLM-L6-v2 the same way) against PyTorch
# autograd: 32 real
# sentences (PhraseBank, finance tweets), mean pooling and a seeded
# classifier, class weights and label smoothing, dropout off; every
# parameter's gradient within 1e-4 of PyTorch's relative to its norm, and
# 20 AdamW steps (warmup, linear decay, clipping) whose losses stay within
# 1e-4 relative (tests/unit/test_bert_train.c states the tolerances).
#
# The AdamW steps run at learning rate 5e-5, full fine-tuning's usual rate
# for an encoder of this size (minilm-fin3's full run used it too). At
# 1e-3 over every one of MPNet's 109M weights the loss falls from 1.12 to
# 0.20 in 20 steps (the batch is learnt by heart) and the path is chaotic:
# PyTorch against itself, on 1 thread and on 2, already differs by 1.1e-3
# relative at step 15, ten times the bar, so no implementation could be
# held to 1e-4 there (herd was at 6.6e-3 after matching PyTorch's first
# gradients within 3.2e-6). At 5e-5 PyTorch on 1 and 2 threads agree
# within 1.3e-7 over the 20 steps (the loss falls from 1.12 to 0.22), and
# herd follows within 1.0e-5: the bar means something again.
#
# The golden file is made here by scripts/make-train-golden.py (too big to
# commit: a gradient per parameter). Skips (77) without models/default
# (make models) or without .venv's torch (scripts/setup-python.sh).
set -eu
top=${HERD_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${HERD_BUILD:-$top/build}
bin=$build/tests/test_bert_train
model=${HERD_TRAIN_MODEL:-$top/models/default}
py=$top/.venv/bin/python

[ -x "$bin" ] || { echo "FAIL: $bin not built (make unit-test)"; exit 1; }
[ -f "$model/model.safetensors" ] || { echo "skip: $model not built (make models)"; exit 77; }
[ -x "$py" ] && "$py" -c 'import torch, transformers' 2>/dev/null ||
	{ echo "skip: no torch + transformers in .venv (scripts/setup-python.sh)"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# the encoder alone: the model's adapter and head are not what is checked
mkdir "$tmp/enc"
for f in "$model"/*; do
	case ${f##*/} in adapter.safetensors | head.safetensors | herd.json) ;; *) ln -s "$(cd "$(dirname "$f")" && pwd)/${f##*/}" "$tmp/enc/" ;; esac
done
model=$tmp/enc
"$py" "$top/scripts/make-train-golden.py" default "$model" "$tmp/golden.safetensors" 5e-5 >"$tmp/log" 2>&1 ||
	{ cat "$tmp/log"; echo "FAIL: make-train-golden.py default"; exit 1; }
grep 'texts' "$tmp/log" | sed "s|$tmp/||"
exec "$bin" "$model" "$tmp/golden.safetensors"
