#!/bin/sh
# check-train-resume.sh — herd-train --finetune's checkpoints and the
# files it writes, on the tiny encoder (tests/golden/bert-tiny-encoder)
# and made-up labelled lines (no shared data needed):
#   - a run killed with kill -9 (at whatever moment: the checkpoint is
#     written under a temporary name and renamed) and resumed with
#     --resume ends with the same bytes as a run never interrupted
#     (same seed, same threads): full fine-tuning and LoRA;
#   - a checkpoint made by another run (another seed) or a corrupt one is
#     refused: exit 1, a message naming it, no model written;
#   - the model directory loads in herd-score; a corrupt adapter, or an
#     adapter beside another base model, is an error (exit 1, nothing on
#     stdout).
set -eu
top=${HERD_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${HERD_BIN:-$top/bin}
enc=$top/tests/golden/bert-tiny-encoder
tmp=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# 1,500 labelled lines from the tiny vocabulary's finance words
awk 'BEGIN { srand(7);
	split("profit rose strong growth good great high increase buy", p, " ");
	split("loss fell weak decrease bad terrible low sell down", n, " ");
	split("the company report period quarter year market share price", z, " ");
	for (i = 0; i < 1500; i++) {
		k = int(rand() * 3); t = "";
		for (j = 0; j < 3 + int(rand() * 8); j++) {
			w = z[1 + int(rand() * 9)];
			if (rand() < 0.4) w = (k == 0 ? p[1 + int(rand() * 9)] : k == 1 ? n[1 + int(rand() * 9)] : w);
			t = t (j ? " " : "") w;
		}
		printf "{\"text\":\"%s\",\"label\":\"%s\"}\n", t, (k == 0 ? "positive" : k == 1 ? "negative" : "neutral");
	} }' >"$tmp/data.ndjson"

train() { # mode out ckpt [options...]
	mode=$1 out=$2 ckpt=$3
	shift 3
	"$bin/herd-train" -q --finetune "$mode" -m "$enc" --out "$out" --checkpoint "$ckpt" --epochs 5 \
		--patience 5 --threads 2 --seed 3 --val 0.2 "$@" "$tmp/data.ndjson"
}

for mode in full lora; do
	file=model.safetensors
	[ $mode = lora ] && file=adapter.safetensors
	train $mode "$tmp/a-$mode" "$tmp/a-$mode.ckpt" >"$tmp/a-$mode.report" 2>"$tmp/a-$mode.err" ||
		{ bad "$mode: the uninterrupted run failed: $(cat "$tmp/a-$mode.err")"; continue; }
	# kill -9 once the first checkpoint is there, then resume
	train $mode "$tmp/b-$mode" "$tmp/b-$mode.ckpt" --resume >/dev/null 2>&1 &
	pid=$!
	i=0
	while [ ! -f "$tmp/b-$mode.ckpt" ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
	kill -9 $pid 2>/dev/null || true
	wait $pid 2>/dev/null || true
	[ ! -f "$tmp/b-$mode/$file" ] && ok || echo "note: $mode: the run ended before the kill"
	train $mode "$tmp/b-$mode" "$tmp/b-$mode.ckpt" --resume -v >/dev/null 2>"$tmp/b-$mode.err" ||
		{ bad "$mode: the resumed run failed: $(cat "$tmp/b-$mode.err")"; continue; }
	grep -q 'resumed after epoch' "$tmp/b-$mode.err" && ok ||
		bad "$mode: the second run did not resume: $(tail -3 "$tmp/b-$mode.err" | tr '\n' ' ')"
	for f in $file head.safetensors; do
		cmp -s "$tmp/a-$mode/$f" "$tmp/b-$mode/$f" && ok ||
			bad "$mode: $f differs after kill -9 and --resume ($(cmp "$tmp/a-$mode/$f" "$tmp/b-$mode/$f" 2>&1 | head -1))"
	done
	cmp -s "$tmp/a-$mode.ckpt" "$tmp/b-$mode.ckpt" && ok || bad "$mode: the last checkpoints differ"
	# the model as herd-score loads it: its accuracy on the validation split is what herd-train reported
	"$bin/herd-score" --model "$tmp/a-$mode" --threads 1 "$tmp/data.ndjson" >"$tmp/scored" 2>/dev/null &&
		ok || bad "$mode: herd-score does not load the model"
done

# a checkpoint from another run, and a corrupt one: exit 1, nothing written
train full "$tmp/c" "$tmp/a-full.ckpt" --resume --seed 4 >/dev/null 2>"$tmp/c.err" && rc=0 || rc=$?
[ $rc -eq 1 ] && grep -q 'made by another run' "$tmp/c.err" && [ ! -e "$tmp/c" ] && ok ||
	bad "a foreign checkpoint: exit $rc, $(cat "$tmp/c.err")"
head -c 1000 "$tmp/a-full.ckpt" >"$tmp/cut.ckpt"
train full "$tmp/d" "$tmp/cut.ckpt" --resume >/dev/null 2>"$tmp/d.err" && rc=0 || rc=$?
[ $rc -eq 1 ] && grep -q 'cut.ckpt' "$tmp/d.err" && [ ! -e "$tmp/d" ] && ok ||
	bad "a corrupt checkpoint: exit $rc, $(cat "$tmp/d.err")"

# adapters that do not fit: cut short, or beside another base
if [ -d "$tmp/a-lora" ]; then
	cp -r "$tmp/a-lora" "$tmp/e"
	head -c 3000 "$tmp/a-lora/adapter.safetensors" >"$tmp/e/adapter.safetensors"
	echo '{"kind":"post","id":"t:1","text":"profit rose"}' >"$tmp/post.ndjson"
	"$bin/herd-score" --model "$tmp/e" "$tmp/post.ndjson" >"$tmp/e.out" 2>"$tmp/e.err" && rc=0 || rc=$?
	[ $rc -eq 1 ] && [ ! -s "$tmp/e.out" ] && grep -q 'adapter.safetensors' "$tmp/e.err" && ok ||
		bad "a cut adapter: exit $rc, $(cat "$tmp/e.err")"
	cp -r "$tmp/a-lora" "$tmp/f"
	cp "$tmp/a-full/model.safetensors" "$tmp/f/model.safetensors"
	"$bin/herd-score" --model "$tmp/f" "$tmp/post.ndjson" >"$tmp/f.out" 2>"$tmp/f.err" && rc=0 || rc=$?
	[ $rc -eq 1 ] && [ ! -s "$tmp/f.out" ] && grep -q 'trained on model.safetensors' "$tmp/f.err" && ok ||
		bad "an adapter on another base: exit $rc, $(cat "$tmp/f.err")"
fi
echo "RESULT $pass passed, $fail failed"
[ $fail -eq 0 ]
