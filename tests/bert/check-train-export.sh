#!/bin/sh
# check-train-export.sh — the directory herd-train --finetune full writes
# is a Hugging Face checkpoint: transformers loads it (scripts/check-hf-export.py)
# and gives the probabilities herd-score gives, within 1e-4, for both
# layouts: BertForSequenceClassification (bert-tiny: [CLS] tanh pooler)
# and BertModel + head.safetensors (bert-tiny-encoder: mean pooling), and
# MPNetModel + head.safetensors (mpnet-tiny: MPNet's names, its relative-
# position bias trained too).
# Skips (77) without .venv's torch + transformers (scripts/setup-python.sh).
set -eu
top=${HERD_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${HERD_BIN:-$top/bin}
py=$top/.venv/bin/python
[ -x "$py" ] && "$py" -c 'import torch, transformers' 2>/dev/null ||
	{ echo "skip: no torch + transformers in .venv (scripts/setup-python.sh)"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
cat >"$tmp/data.ndjson" <<'DATA'
{"kind":"post","id":"t:1","text":"profit rose strongly in the quarter","label":"positive"}
{"kind":"post","id":"t:2","text":"net sales fell and the loss was bad","label":"negative"}
{"kind":"post","id":"t:3","text":"the company will report the same period","label":"neutral"}
{"kind":"post","id":"t:4","text":"shares rose after the earnings report","label":"positive"}
{"kind":"post","id":"t:5","text":"operating loss increase, sell","label":"negative"}
{"kind":"post","id":"t:6","text":"the market price of the share","label":"neutral"}
{"kind":"post","id":"t:7","text":"great growth, buy","label":"positive"}
{"kind":"post","id":"t:8","text":"terrible year, stock down","label":"negative"}
DATA
for enc in bert-tiny bert-tiny-encoder mpnet-tiny; do
	"$bin/herd-train" -q --finetune full -m "$top/tests/golden/$enc" --out "$tmp/$enc" --epochs 2 --lr 1e-3 \
		--threads 1 --val 0.25 "$tmp/data.ndjson" >/dev/null
	"$bin/herd-score" --model "$tmp/$enc" --threads 1 "$tmp/data.ndjson" 2>/dev/null |
		jq -r '[.sentiment.probs.positive, .sentiment.probs.negative, .sentiment.probs.neutral] | map(tostring) | join(" ")' \
		>"$tmp/herd.txt"
	"$py" "$top/scripts/check-hf-export.py" "$tmp/$enc" "$tmp/data.ndjson" >"$tmp/hf.txt" 2>"$tmp/hf.err" ||
		{ fail=$((fail + 1)); echo "FAIL: $enc: transformers does not load it: $(tail -3 "$tmp/hf.err")"; continue; }
	# herd-score rounds probabilities to 4 decimals: 1e-4 is half an ulp of that plus fp32 noise
	if paste -d' ' "$tmp/herd.txt" "$tmp/hf.txt" | awk '{ for (i = 1; i <= 3; i++) { d = $i - $(i + 3); if (d < 0) d = -d; if (d > 1e-4) bad = 1 } } END { exit bad }'; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL: $enc: herd-score and transformers differ:"
		paste -d' ' "$tmp/herd.txt" "$tmp/hf.txt" | head -3
	fi
done
echo "RESULT $pass passed, $fail failed"
[ $fail -eq 0 ]
