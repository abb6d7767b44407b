#!/usr/bin/env bash
# cram.sh — runs CLI tests written as data, in the cram format:
#
#   Any line not indented is a comment.
#     $ herd-normalize --source reddit in.ndjson     <- a command (2 spaces, $)
#     > --strict                                     <- its continuation
#     {"kind":"post",...}                            <- expected stdout+stderr
#     herd-normalize: in.ndjson:3: invalid JSON ... (re)   <- regex line
#     [1]                                            <- exit status, if not 0
#
# All commands of a file run in one bash, in a fresh temporary directory,
# with $HERD_BIN first on PATH, LC_ALL=C, $TESTDIR = the .t file's folder
# and $SHARED = ../shared/data (which may be absent: test with
# `[ -d "$SHARED" ] || exit 80` to skip the rest of a file).
# A line ending in " (re)" is an extended regex, " (glob)" a shell glob.
# Prints a diff per failing command and ends with "RESULT N passed, N failed".
set -u
export LC_ALL=C
t=$1
TESTDIR=$(cd "$(dirname "$t")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/run"

awk -v script="$work/script.sh" -v expect="$work/expect" '
function close_block() { if (inblock) { print "\n} 2>&1; __rc=$?; [ $__rc -eq 0 ] || echo \"[$__rc]\"" > script } inblock = 0 }
/^  \$ / {
	close_block(); n++
	print "echo \"@@CRAM " n " " NR "\"" > script
	print "{ " substr($0, 5) > script
	print "@@CRAM " n " " NR > expect
	inblock = 1; incmd = 1; next
}
/^  > / && incmd { print substr($0, 5) > script; next }
/^  / && inblock { incmd = 0; print substr($0, 3) > expect; next }
{ incmd = 0; if (inblock) { close_block() } }
END { close_block() }
' "$t"

[ -s "$work/script.sh" ] || { echo "RESULT 0 passed, 0 failed"; exit 0; }
(cd "$work/run" && PATH="${HERD_BIN:?}:$PATH" TESTDIR="$TESTDIR" \
	SHARED="${SHARED:-$(cd "$TESTDIR/../.." && pwd)/../shared/data}" \
	bash "$work/script.sh" </dev/null >"$work/actual" 2>&1)
status=$?

# Split both files into one file per block, then compare block by block.
split_blocks() { awk -v dir="$2" '/^@@CRAM [0-9]+ [0-9]+$/ { f = dir "/" $2; printf "" > f; next } f { print > f }' "$1"; }
mkdir "$work/e" "$work/a"
split_blocks "$work/expect" "$work/e"
split_blocks "$work/actual" "$work/a"

line_matches() { # expected actual
	local e=$1 a=$2
	case "$e" in
	*" (re)") [[ "$a" =~ ^${e% (re)}$ ]] ;;
	*" (glob)") [[ "$a" == ${e% (glob)} ]] ;;
	*) [ "$e" = "$a" ] ;;
	esac
}

blocks_match() { # expected-file actual-file
	local ne na i
	mapfile -t E <"$1"
	mapfile -t A <"$2"
	ne=${#E[@]}; na=${#A[@]}
	[ "$ne" -eq "$na" ] || return 1
	for ((i = 0; i < ne; i++)); do
		line_matches "${E[$i]}" "${A[$i]}" || return 1
	done
	return 0
}

passed=0 failed=0 skipped=0
while read -r _ n lineno; do
	if [ ! -e "$work/a/$n" ]; then
		skipped=$((skipped + 1))
		continue
	fi
	if blocks_match "$work/e/$n" "$work/a/$n"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL $t:$lineno:"
		sed -n "${lineno}p" "$t"
		diff -u --label expected --label actual "$work/e/$n" "$work/a/$n" | tail -n +3 | head -40
	fi
done < <(grep '^@@CRAM ' "$work/expect")

if [ $skipped -gt 0 ] && [ $status -eq 80 ]; then
	echo "SKIP $t: $skipped commands skipped (data absent)"
	echo "RESULT $passed passed, $failed failed, $skipped skipped"
else
	[ $skipped -eq 0 ] || { echo "FAIL $t: $skipped commands never ran (the script stopped early)"; failed=$((failed + skipped)); }
	echo "RESULT $passed passed, $failed failed"
fi
[ $failed -eq 0 ]
