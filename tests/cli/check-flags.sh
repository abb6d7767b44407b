#!/usr/bin/env bash
# check-flags.sh — one vocabulary of flags (issue 12.9): every program's
# --help against the table of docs/cli.md.
#   - each row's option is an option line of exactly the programs the row
#     names ("all": every program), with the row's short letter and with a
#     value or without one as the row says;
#   - every long option that two programs' --help list is a row;
#   - each old spelling is still accepted (it asks for a value, or with
#     --help prints the usage) and is not listed as an option of its own;
#   - each duration option of the durations table refuses "1x" as "not a
#     duration" (so it is parsed as one, units and all).
# An option line is one of --help's option list: two spaces and a short
# letter, or six spaces, then --name and at most one value word.
# Prints "RESULT N passed, N failed".
. "$(dirname "$0")/../lib.sh"
doc=$top/docs/cli.md
progs=()
for p in "$bin"/herd-*; do
	[ -x "$p" ] || continue
	progs+=("$(basename "$p")")
done
[ ${#progs[@]} -ge 12 ] || skip "the programs are not built yet (${#progs[@]} in $bin)"

# opts.tsv: program, short letter ('' if none), long name, 1 when it takes a value.
for p in "${progs[@]}"; do
	"$bin/$p" --help | grep -E '^(  -[A-Za-z], |      )--[a-z][a-z0-9-]*( [^ ]+)?( {2,}.*)?$' |
		sed -E 's/^ +//; s/  .*//' |
		awk -v p="$p" '{
			s = ""; if ($0 ~ /^-[A-Za-z], /) { s = substr($0, 2, 1); $0 = substr($0, 5) }
			n = split($0, w, " "); printf "%s\t%s\t%s\t%d\n", p, s, w[1], (n > 1) }'
done | sort -u >"$tmp/opts.tsv"
check "option lines found in every --help" [ "$(cut -f1 "$tmp/opts.tsv" | sort -u | wc -l)" -eq ${#progs[@]} ]

# table.tsv from docs/cli.md: short, long, takes a value, programs, old spellings.
sed -n '/<!-- flags:begin -->/,/<!-- flags:end -->/p' "$doc" | grep '^| `' |
	awk -F'|' '{
		spec = $2; gsub(/^ *`|` *$/, "", spec)
		s = ""; if (spec ~ /^-[A-Za-z], /) { s = substr(spec, 2, 1); spec = substr(spec, 5) }
		n = split(spec, w, " ")
		progs = $3; gsub(/^ +| +$/, "", progs)
		# old spellings: "`--out` (herd-train), `--x`" -> "--out:herd-train --x:*"
		m = split($5, items, ","); old = ""
		for (i = 1; i <= m; i++) {
			it = items[i]; who = "*"
			if (match(it, /\(.*\)/)) { who = substr(it, RSTART + 1, RLENGTH - 2); gsub(/ +/, "+", who) }
			if (!match(it, /--[a-z0-9-]+/)) continue
			old = old " " substr(it, RSTART, RLENGTH) ":" who
		}
		sub(/^ /, "", old)
		printf "%s\t%s\t%d\t%s\t%s\n", s, w[1], (n > 1), progs, old }' >"$tmp/table.tsv"
check "docs/cli.md has its table" [ "$(wc -l <"$tmp/table.tsv")" -ge 30 ]

while IFS=$'\t' read -r short long arg where old; do
	[ "$where" = all ] && where="${progs[*]}"
	for p in "${progs[@]}"; do
		line=$(awk -F'\t' -v p="$p" -v l="$long" '$1 == p && $3 == l' "$tmp/opts.tsv" | head -1)
		case " $where " in
		*" $p "*)
			check "$p --help lists $long" [ -n "$line" ]
			[ -n "$line" ] || continue
			check "$p $long: short letter '${short}' as in docs/cli.md" [ "$(cut -f2 <<<"$line")" = "$short" ]
			check "$p $long: takes a value: $arg as in docs/cli.md" [ "$(cut -f4 <<<"$line")" = "$arg" ]
			;;
		*) check "$p has no $long (docs/cli.md names the programs that do)" [ -z "$line" ] ;;
		esac
	done
	for spelling in $old; do
		o=${spelling%%:*} who=${spelling#*:}
		[ "$who" = "*" ] && who=$where
		for p in ${who//+/ }; do
			# Accepted: it asks for its value, or with --help after it
			# the usage is printed; an unknown option says so.
			ok=0
			"$bin/$p" "$o" </dev/null >/dev/null 2>"$tmp/err"
			if grep -q "needs a value" "$tmp/err"; then
				ok=1
			elif "$bin/$p" "$o" --help </dev/null 2>&1 | grep -q '^Usage:'; then
				ok=1
			fi
			check "$p accepts the old spelling $o" [ "$ok" = 1 ]
			check "$p does not list the old spelling $o as an option" \
				[ -z "$(awk -F'\t' -v p="$p" -v l="$o" '$1 == p && $3 == l' "$tmp/opts.tsv")" ]
		done
	done
done <"$tmp/table.tsv"

# A name two programs list is shared vocabulary: it must have its row.
cut -f1,3 "$tmp/opts.tsv" | sort -u | cut -f2 | sort | uniq -d >"$tmp/shared"
while read -r long; do
	check "$long, listed by several programs, is in docs/cli.md's table" \
		awk -F'\t' -v l="$long" '$2 == l { f = 1 } END { exit !f }' "$tmp/table.tsv"
done <"$tmp/shared"
check "several shared names found" [ "$(wc -l <"$tmp/shared")" -ge 30 ]

# Durations take units: each option named in the durations table refuses
# "1x" as a duration (the programs read their options before any input).
n=0
while read -r p opts; do
	for o in $opts; do
		case $p in
		herd-fetch) set -- yahoo GME ;;
		herd-report) set -- digest ;;
		herd-maintain) set -- health ;;
		*) set -- ;;
		esac
		"$bin/$p" "$o" 1x "$@" </dev/null >/dev/null 2>"$tmp/err"
		rc=$?
		check "$p $o 1x: a usage error (exit 2), not $rc" [ "$rc" -eq 2 ]
		check "$p $o 1x: says it is not a duration" grep -q -- "$o: '1x' is not a duration" "$tmp/err"
		n=$((n + 1))
	done
done < <(sed -n '/<!-- durations:begin -->/,/<!-- durations:end -->/p' "$doc" | grep '^| herd-' |
	awk -F'|' '{ gsub(/`/, "", $3); gsub(/^ +| +$/, "", $2); print $2, $3 }')
check "the durations table lists them ($n)" [ "$n" -ge 15 ]

# The renames of one program's own options keep the old spelling too.
for pair in "herd-alert --channels --to" "herd-alert --rate-limit --rate" "herd-load --commit-every --batch"; do
	set -- $pair
	check "$1 lists $2" awk -F'\t' -v p="$1" -v l="$2" '$1 == p && $3 == l { f = 1 } END { exit !f }' "$tmp/opts.tsv"
	"$bin/$1" "$3" </dev/null >/dev/null 2>"$tmp/err"
	check "$1 accepts the old spelling $3" grep -q "needs a value" "$tmp/err"
done
result
