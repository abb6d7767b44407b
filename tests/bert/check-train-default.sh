#!/bin/sh
# check-train-default.sh — the training room's backward pass and AdamW on
# the real default encoder (models/default, all-MiniLM-L6-v2: 6 layers,
# hidden 384, 22.7M parameters) against PyTorch autograd: 32 real
# sentences (PhraseBank, finance tweets), mean pooling and a seeded
# classifier, class weights and label smoothing, dropout off; every
# parameter's gradient within 1e-4 of PyTorch's relative to its norm, and
# 20 AdamW steps (warmup, linear decay, clipping) whose losses stay within
# 1e-4 relative (tests/unit/test_bert_train.c states the tolerances).
#
# The golden file is made here by scripts/make-train-golden.py (too big to
# commit: a gradient per parameter). Skips (77) without models/default
# (make models) or without .venv's torch (scripts/setup-python.sh).
set -eu
top=${HERD_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${HERD_BUILD:-$top/build}
bin=$build/tests/test_bert_train
model=$top/models/default
py=$top/.venv/bin/python

[ -x "$bin" ] || { echo "FAIL: $bin not built (make unit-test)"; exit 1; }
[ -f "$model/model.safetensors" ] || { echo "skip: $model not built (make models)"; exit 77; }
[ -x "$py" ] && "$py" -c 'import torch, transformers' 2>/dev/null ||
	{ echo "skip: no torch + transformers in .venv (scripts/setup-python.sh)"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# the encoder alone: models/default's adapter and head are not what is checked
mkdir "$tmp/enc"
for f in config.json vocab.txt tokenizer_config.json model.safetensors; do ln -s "$model/$f" "$tmp/enc/$f"; done
model=$tmp/enc
"$py" "$top/scripts/make-train-golden.py" default "$model" "$tmp/golden.safetensors" >"$tmp/log" 2>&1 ||
	{ cat "$tmp/log"; echo "FAIL: make-train-golden.py default"; exit 1; }
grep 'texts' "$tmp/log" | sed "s|$tmp/||"
exec "$bin" "$model" "$tmp/golden.safetensors"
