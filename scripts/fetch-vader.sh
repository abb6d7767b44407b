#!/bin/sh
# fetch-vader.sh — puts VADER's lexicon and emoji lexicon into data/vader/
# (git-ignored), out of the vaderSentiment 3.3.2 package on PyPI.
#
#   scripts/fetch-vader.sh [-q] [DIR]      (DIR defaults to data/vader)
#
# herd-score --model vader reads them at run time (src/text/vader.c); they
# are third-party data (MIT, C.J. Hutto), so the project does not commit
# them. Where they come from, in this order:
#   1. DIR already holds both files with the pinned SHA-256: nothing to do;
#   2. an installed vaderSentiment 3.3.2 in .venv (scripts/setup-python.sh);
#   3. the wheel from the package index ($PIP_INDEX_URL, default PyPI's
#      simple index), found by name, checked against its pinned SHA-256
#      and unpacked by scripts/pypi-wheel.sh.
# Both files are checked against pinned SHA-256 sums whatever the source.
# Exit 0 when DIR holds the right files, 1 otherwise (no network, say):
# tests that need them skip.
set -eu
cd "$(dirname "$0")/.."

quiet=0
[ "${1:-}" = "-q" ] && { quiet=1; shift; }
dest=${1:-data/vader}

WHEEL=vaderSentiment-3.3.2-py2.py3-none-any.whl
WHEEL_SHA256=3bf1d243b98b1afad575b9f22bc2cb1e212b94ff89ca74f8a23a588d024ea311
LEX_SHA256=1ec9c6e9ee19aade328f8beb393a6afa71a5bb3acf7d3cc22d4ef568df374bf5
EMOJI_SHA256=b8d54223ae1ce22a3e12c1f745316b71678c328eb5f5d3063a842f37cfbe2823

say() { [ "$quiet" -eq 1 ] || echo "fetch-vader: $*" >&2; }
die() { echo "fetch-vader: $*" >&2; exit 1; }
sha() { sha256sum "$1" | cut -d' ' -f1; }
good() { # dir: both files present with the pinned sums
	[ -f "$1/vader_lexicon.txt" ] && [ -f "$1/emoji_utf8_lexicon.txt" ] &&
		[ "$(sha "$1/vader_lexicon.txt")" = "$LEX_SHA256" ] &&
		[ "$(sha "$1/emoji_utf8_lexicon.txt")" = "$EMOJI_SHA256" ]
}

if good "$dest"; then
	say "$dest is up to date"
	exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/out"

# 2. An installed package.
for d in .venv/lib/python3*/site-packages/vaderSentiment; do
	[ -d "$d" ] || continue
	cp "$d/vader_lexicon.txt" "$d/emoji_utf8_lexicon.txt" "$tmp/out/" 2>/dev/null || continue
	if good "$tmp/out"; then
		say "taken from the installed package in $d"
		break
	fi
	rm -f "$tmp/out/"*
done

# 3. The wheel, by name, from the package index (scripts/pypi-wheel.sh).
if ! good "$tmp/out"; then
	q=""
	[ "$quiet" -eq 1 ] && q=-q
	scripts/pypi-wheel.sh $q vadersentiment "$WHEEL" "$WHEEL_SHA256" "$tmp/out" \
		vaderSentiment/vader_lexicon.txt vaderSentiment/emoji_utf8_lexicon.txt || exit 1
	good "$tmp/out" || die "the files in $WHEEL do not have the pinned SHA-256 sums"
fi

mkdir -p "$dest"
for f in vader_lexicon.txt emoji_utf8_lexicon.txt; do
	cp "$tmp/out/$f" "$dest/.$f.tmp"
	mv "$dest/.$f.tmp" "$dest/$f"
done
say "wrote $dest/vader_lexicon.txt and $dest/emoji_utf8_lexicon.txt"
