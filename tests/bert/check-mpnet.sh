#!/bin/sh
# check-mpnet.sh — the engine's MPNet architecture on the real model
# (models/mpnet: all-mpnet-base-v2, 12 layers, hidden 768, from
# scripts/fetch-mpnet.sh) against transformers: 50 real sentences
# (PhraseBank, finance tweets, WSB comments) tokenized by herd
# (build/tests/bert_driver --texts) and by transformers' tokenizer (the
# ids must be equal), run one batch on the CPU, and each mean-pooled
# vector within 1e-4 of transformers' relative to its largest value
# (scripts/check-mpnet.py; both fp32, differing in summation order only:
# 2e-6 is what it was). Skips (77) without models/mpnet, without .venv's
# torch + transformers (scripts/setup-python.sh) or without ../shared/data.
set -eu
top=${HERD_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${HERD_BUILD:-$top/build}
driver=$build/tests/bert_driver
model=$top/models/mpnet
py=$top/.venv/bin/python
SHARED=${SHARED:-$top/../shared/data}

[ -x "$driver" ] || { echo "FAIL: $driver not built (make test builds it)"; exit 1; }
[ -f "$model/model.safetensors" ] || { echo "skip: $model not fetched (scripts/fetch-mpnet.sh)"; exit 77; }
[ -f "$SHARED/financial-phrasebank/Sentences_50Agree.txt" ] || { echo "skip: no $SHARED"; exit 77; }
[ -x "$py" ] && "$py" -c 'import torch, transformers' 2>/dev/null ||
	{ echo "skip: no torch + transformers in .venv (scripts/setup-python.sh)"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export SHARED

THREADS=2 "$py" "$top/scripts/check-mpnet.py" reference "$model" "$tmp" 2>"$tmp/py.err" ||
	{ echo "FAIL: transformers' reference: $(tail -3 "$tmp/py.err")"; exit 1; }
"$driver" --model "$model" --device cpu --threads 2 --batch 64 --texts "$tmp/texts.txt" --ids-out "$tmp/herd-ids.txt" \
	--pooled "$tmp/herd-pooled.f32" >"$tmp/driver.out" 2>&1 ||
	{ echo "FAIL: herd: $(tail -3 "$tmp/driver.out")"; exit 1; }
if "$py" "$top/scripts/check-mpnet.py" compare "$tmp" "$tmp/herd-ids.txt" "$tmp/herd-pooled.f32"; then
	echo "pass: all-mpnet-base-v2: herd's token ids and pooled vectors are transformers'"
	echo "RESULT 1 passed, 0 failed"
else
	echo "RESULT 0 passed, 1 failed"
	exit 1
fi
