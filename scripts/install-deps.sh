#!/bin/sh
# install-deps.sh — installs the Debian packages herd needs, when missing.
# Run as root (or with sudo). Safe to run again: it installs only what is
# absent. CUDA (nvcc, cuBLAS) is optional and not installed here: the
# Makefile builds the CUDA backend when it finds nvcc.
set -eu

# build and run
pkgs="gcc make pkg-config libc6-dev zlib1g-dev
libjansson-dev libcsv-dev libsqlite3-dev libcurl4-openssl-dev libutf8proc-dev
libdnnl-dev libopenblas-dev sqlite3 curl unzip tzdata"
# tests: PostgreSQL COPY loads, GNU parallel sharding, jq-based comparisons
pkgs="$pkgs postgresql libpq-dev parallel jq python3 ca-certificates"
# tests: libFuzzer harnesses (tests/fuzz: clang and its fuzzer runtime)
pkgs="$pkgs clang libclang-rt-dev"
# tests: herd-report's pages rendered in headless Chromium (tests/report)
pkgs="$pkgs chromium"

missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
	exit 0
fi
echo "install-deps: installing$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
