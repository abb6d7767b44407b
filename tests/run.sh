#!/usr/bin/env bash
# run.sh — runs every test and ends with the summary line "N passed, N failed".
#
#   tests/run.sh [unit|cli|scripts|all]     (make test calls it with all)
#
# Three kinds of tests, each reporting "RESULT N passed, N failed[, N skipped]":
#   unit     $HERD_BUILD/tests/test_*   C unit tests (tests/unit/test_*.c)
#   cli      tests/cli/*.t               commands and their exact output (cram.sh)
#   scripts  tests/*/check-*.sh          pipeline, golden-file and fault tests;
#                                        exit 77 = skipped (data or model absent)
# Environment: HERD_BIN (programs), HERD_BUILD (unit test binaries),
# SHARED (../shared/data by default), HERD_TEST_FILTER (substring of names).
# The BERT engine's GEMM library is pinned (HERD_GEMM=default: the build's
# first, untimed, so that two processes of one test never choose apart)
# and its choice cache kept out of $HOME; tests/bert/check-gemm-choice.sh
# tests the measured choice.
set -u
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
export HERD_BIN=${HERD_BIN:-$top/bin}
export HERD_BUILD=${HERD_BUILD:-$top/build}
export SHARED=${SHARED:-$(cd "$top/.." && pwd)/shared/data}
export HERD_TOP=$top
export HERD_GEMM=${HERD_GEMM:-default}
what=${1:-all}
filter=${HERD_TEST_FILTER:-}

passed=0 failed=0 skipped=0
failures=()
log=$(mktemp)
export XDG_CACHE_HOME=$(mktemp -d)
trap 'rm -f "$log"; rm -rf "$XDG_CACHE_HOME"' EXIT

# Run one test command; add up its RESULT line (or its exit status).
run_one() { # name command...
	local name=$1 rc p f s line
	shift
	[ -z "$filter" ] || [[ "$name" == *"$filter"* ]] || return 0
	local t0=$SECONDS
	"$@" >"$log" 2>&1
	rc=$?
	line=$(grep -E '^RESULT [0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
	if [ -n "$line" ]; then
		p=$(echo "$line" | sed -E 's/^RESULT ([0-9]+) passed.*/\1/')
		f=$(echo "$line" | sed -E 's/^RESULT [0-9]+ passed, ([0-9]+) failed.*/\1/')
		s=$(echo "$line" | sed -nE 's/.*, ([0-9]+) skipped.*/\1/p')
		s=${s:-0}
		[ "$rc" -eq 0 ] || [ "$f" -gt 0 ] || f=1 # crashed after reporting
	elif [ "$rc" -eq 77 ]; then
		p=0 f=0 s=1
	elif [ "$rc" -eq 0 ]; then
		p=1 f=0 s=0
	else
		p=0 f=1 s=0
	fi
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	if [ "$f" -gt 0 ]; then
		failures+=("$name")
		printf 'FAIL  %-40s %d passed, %d failed (%ds)\n' "$name" "$p" "$f" $((SECONDS - t0))
		sed 's/^/      /' "$log" | tail -60
	elif [ "$s" -gt 0 ] && [ "$p" -eq 0 ]; then
		printf 'skip  %-40s %s\n' "$name" "$(grep -m1 -iE 'skip' "$log" || echo skipped)"
	else
		printf 'ok    %-40s %d passed%s (%ds)\n' "$name" "$p" "$([ "$s" -gt 0 ] && echo ", $s skipped")" $((SECONDS - t0))
	fi
}

if [ "$what" = all ] || [ "$what" = unit ]; then
	for t in "$HERD_BUILD"/tests/test_*; do
		[ -x "$t" ] || continue
		run_one "unit/${t##*/}" "$t"
	done
fi
if [ "$what" = all ] || [ "$what" = cli ]; then
	for t in "$here"/cli/*.t; do
		[ -e "$t" ] || continue
		run_one "cli/${t##*/}" "$here/cram.sh" "$t"
	done
fi
if [ "$what" = all ] || [ "$what" = scripts ]; then
	for t in "$here"/*/check-*.sh; do
		[ -e "$t" ] || continue
		run_one "${t#"$here"/}" "$t"
	done
fi

echo
[ ${#failures[@]} -eq 0 ] || echo "failed: ${failures[*]}"
[ "$skipped" -eq 0 ] || echo "($skipped skipped: data or models absent)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
