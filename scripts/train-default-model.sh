#!/bin/sh
# train-default-model.sh — trains the default model's LoRA adapter and head
# (models/cards/mpnet-fin3.md has the run that made the committed ones), or a
# variant of it with other herd-train settings: the sweep behind the card's
# "Settings tried" table. The data and splits are always the card's
# (../shared/data: Financial PhraseBank 50Agree and twitter-financial-news,
# each split with seed 1 into 75% training, 10% validation, 15% test), so
# runs compare on the same validation split (choose on it) and the same
# test split (report it, once). After training, the model is scored on the
# out-of-domain SemEval-2017 microblogs (scripts/eval-microblogs.sh),
# which no run trains or chooses on.
#
#   scripts/train-default-model.sh [--work DIR] [--base ENCODER] NAME [HERD-TRAIN OPTIONS...]
#
# --base trains on another bare encoder directory instead of the default's
# (e.g. models/minilm from scripts/fetch-minilm.sh: the fast model,
# minilm-fin3, was `--base models/minilm minilm-fin3 --lr 1e-3 --epochs 5`),
# on the same data and splits, so that bases compare on the same held-out
# texts.
#
# The options come after the default model's own (rank 16, alpha 32,
# lr 3e-4, 3 epochs, patience 2, --threads 2), so they override them
# (the card's first run, a6f08733, was `mpnet-fin3 --lr 5e-4 --epochs 4`).
# Writes DIR/NAME/ (the model directory), DIR/NAME.card.md (the card),
# DIR/NAME.out (the report), DIR/NAME.err (the epochs), DIR/NAME.ckpt (the
# checkpoint: the same command resumes an interrupted run) and
# DIR/NAME.microblogs (the out-of-domain figures). DIR defaults to
# .scratch/train (git-ignored); its encoder (DIR/mpnet) comes from
# scripts/build-default-model.sh --bare. A run takes about an hour on a
# 2-core machine (20-25 minutes an epoch; 30-50 with the MiniLM base). Exit 77 without the data.
set -eu
cd "$(dirname "$0")/.."
work=.scratch/train
base=
while [ $# -ge 2 ]; do
	case $1 in
	--work) work=$2; shift 2 ;;
	--base) base=$2; shift 2 ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] || { echo "usage: train-default-model.sh [--work DIR] [--base ENCODER] NAME [HERD-TRAIN OPTIONS...]" >&2; exit 2; }
[ -z "$base" ] || [ -f "$base/model.safetensors" ] || { echo "train-default-model: $base: no model.safetensors" >&2; exit 1; }
name=$1
shift
data=${SHARED:-../shared/data}
pb=$data/financial-phrasebank/Sentences_50Agree.txt
tw=$data/twitter-financial-news-sentiment/sent_train.csv
[ -f "$pb" ] && [ -f "$tw" ] || { echo "skip: $pb or $tw absent"; exit 77; }
mkdir -p "$work"
if [ -z "$base" ]; then
	scripts/build-default-model.sh -q --bare "$work/mpnet"
	base=$work/mpnet
fi
bin/herd-train --finetune lora --lora-rank 16 --lora-alpha 32 --lr 3e-4 \
	--epochs 3 --patience 2 --val 0.1 --test 0.15 --dtype f16 --max-len 128 \
	--threads 2 --label-map 0=negative,1=positive,2=neutral "$@" \
	--model "$base" --out "$work/$name" --name "$name" \
	--checkpoint "$work/$name.ckpt" --resume --card "$work/$name.card.md" \
	phrasebank="$pb" tweets="$tw" >"$work/$name.out" 2>"$work/$name.err"
cat "$work/$name.out"
scripts/eval-microblogs.sh "$work/$name" | tee "$work/$name.microblogs"
