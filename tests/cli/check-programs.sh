#!/usr/bin/env bash
# check-programs.sh — what every herd program owes its users (DESIGN.md §5,
# docs/hacking.md), checked over whatever is in $HERD_BIN, so that a new
# program is held to it the day it lands:
#   - `herd-X --help`: exit 0, stdout only, line 1 "Usage: herd-X …",
#     line 2 a one-line summary (what `herd --help` lists);
#   - `herd-X --version`: "herd-X VERSION", exit 0;
#   - `herd-X --help > /dev/full`: exit 1 and "herd-X: write error: …";
#   - an unknown option: exit 2, "herd-X: unknown option '…'" and a pointer
#     to --help;
#   - `herd --help` lists every program with its summary; `herd X` runs
#     herd-X; `herd nosuch` is a usage error.
# Prints "RESULT N passed, N failed".
. "$(dirname "$0")/../lib.sh"
version=$(cat "$top/VERSION")

progs=()
for p in "$bin"/herd-*; do
	[ -x "$p" ] && progs+=("${p##*/}")
done
[ ${#progs[@]} -gt 0 ] || skip "no programs in $bin (run make)"

for prog in "${progs[@]}"; do
	p=$bin/$prog
	"$p" --help >"$tmp/out" 2>"$tmp/err"
	rc=$?
	check "$prog --help exits 0 (got $rc)" [ "$rc" -eq 0 ]
	check "$prog --help writes nothing on stderr: $(head -c 200 "$tmp/err")" [ ! -s "$tmp/err" ]
	line1=$(sed -n 1p "$tmp/out")
	line2=$(sed -n 2p "$tmp/out")
	check "$prog --help line 1 is 'Usage: $prog …' (got '$line1')" \
		eval '[[ "$line1" == "Usage: $prog "* || "$line1" == "Usage: $prog" ]]'
	check "$prog --help line 2 is a one-line summary (got '$line2')" \
		eval '[[ -n "$line2" && "$line2" != " "* && "$line2" != *: ]]'
	check "$prog --help shows an example" grep -qi '^example' "$tmp/out"

	out=$("$p" --version 2>&1)
	rc=$?
	check "$prog --version prints '$prog $version' (got '$out', exit $rc)" [ "$rc" -eq 0 -a "$out" = "$prog $version" ]

	"$p" --help >/dev/full 2>"$tmp/err"
	rc=$?
	check "$prog --help >/dev/full exits 1 (got $rc)" [ "$rc" -eq 1 ]
	check "$prog --help >/dev/full says 'write error' (got '$(head -c 200 "$tmp/err")')" \
		grep -q "^$prog: write error" "$tmp/err"

	"$p" --no-such-option </dev/null >"$tmp/out" 2>"$tmp/err"
	rc=$?
	check "$prog --no-such-option exits 2 (got $rc)" [ "$rc" -eq 2 ]
	check "$prog --no-such-option names the option: $(head -c 200 "$tmp/err")" \
		grep -q "^$prog: unknown option '--no-such-option'" "$tmp/err"
	check "$prog --no-such-option points to --help" grep -q "$prog --help" "$tmp/err"

	# The dispatcher lists and runs it.
	summary=$("$p" --help | sed -n '2{s/^ *//;p;}')
	check "herd --help lists ${prog#herd-} with its summary" \
		grep -qF "  $(printf '%-12s %s' "${prog#herd-}" "$summary")" <("$bin/herd" --help)
	out=$("$bin/herd" "${prog#herd-}" --version 2>&1)
	check "herd ${prog#herd-} --version runs $prog (got '$out')" [ "$out" = "$prog $version" ]
done

"$bin/herd" --help >"$tmp/out" 2>&1
check "herd --help exits 0" [ $? -eq 0 ]
check "herd --help starts with Usage" grep -q '^Usage: herd ' "$tmp/out"
n=$(grep -cE '^  [a-z-]+ +[^ ]' <(sed -n '/^Commands/,/^$/p' "$tmp/out"))
check "herd --help lists ${#progs[@]} programs (got $n)" [ "$n" -eq ${#progs[@]} ]
out=$("$bin/herd" --version)
check "herd --version prints 'herd $version' (got '$out')" [ "$out" = "herd $version" ]
"$bin/herd" nosuch >/dev/null 2>"$tmp/err"
rc=$?
check "herd nosuch exits 2 (got $rc)" [ "$rc" -eq 2 ]
check "herd nosuch says it is not a command" grep -q "'nosuch' is not a herd command" "$tmp/err"
"$bin/herd" >"$tmp/out" 2>"$tmp/err"
rc=$?
check "herd with no command exits 2 (got $rc)" [ "$rc" -eq 2 ]
check "herd with no command prints the usage on stderr only" bash -c '[ ! -s "$1" ] && grep -q "^Usage: herd " "$2"' _ "$tmp/out" "$tmp/err"
out=$("$bin/herd" version)
check "herd version prints 'herd $version' (got '$out')" [ "$out" = "herd $version" ]
check "herd help score is herd-score --help" cmp -s <("$bin/herd" help score) <("$bin/herd-score" --help)
check "herd help lists the commands" grep -q '^Commands' <("$bin/herd" help)
"$bin/herd" help nosuch >/dev/null 2>&1
rc=$?
check "herd help nosuch exits 2 (got $rc)" [ "$rc" -eq 2 ]

result
