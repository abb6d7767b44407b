#!/usr/bin/env bash
# check-paths.sh — the docs cite only files that are there (issue 12.10):
# every path of the project's own folders named in README.md, docs/,
# BENCHMARKS.md, the model cards and data/sample's README exists in the
# checkout, or is one that a documented step makes (a path git ignores:
# models/minilm, data/entities/full/), or is a pattern (an upper-case
# placeholder such as src/sources/NAME.c, or a glob that matches).
# And no committed symbolic link points outside the checkout (a link to
# one machine's folder is a dangling one in every other clone).
# Prints "RESULT N passed, N failed".
. "$(dirname "$0")/../lib.sh"
cd "$top" || exit 1
command -v git >/dev/null && git rev-parse --git-dir >/dev/null 2>&1 || skip "not a git checkout"

there() { [ -e "$1" ] || git check-ignore -q "$1"; }

docs=(README.md BENCHMARKS.md docs/*.md models/cards/*.md data/sample/README*)
n=0
while read -r path; do
	n=$((n + 1))
	case $path in
	*[A-Z]*.* | */[A-Z]* | *_X* | */X.*)
		# a placeholder (NAME, X) unless it is a real file's name
		[ -e "$path" ] || continue ;;
	esac
	case $path in
	*'*'*) check "$path (cited in the docs) matches a file" eval "compgen -G '$path' >/dev/null" ;;
	*) check "$path (cited in the docs) exists or is made by a documented step (ignored by git)" there "$path" ;;
	esac
done < <(grep -ohE "(^|[][ \`(\"'])((src|scripts|tests|pipelines|docs|models|data|bin)/[A-Za-z0-9_.*/-]+)" "${docs[@]}" |
	sed -E "s/^[][ \`(\"']//; s/[.,:;)]+\$//" | sort -u)
check "paths found in the docs ($n)" [ "$n" -ge 100 ]

while read -r mode _ _ path; do
	[ "$mode" = 120000 ] || continue
	target=$(git cat-file -p "$(git rev-parse ":$path")")
	case $target in
	/*) check "committed link $path points inside the checkout, not to $target" false ;;
	*) check "committed link $path resolves" [ -e "$path" ] ;;
	esac
done < <(git ls-files -s)
result
