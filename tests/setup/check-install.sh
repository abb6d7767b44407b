#!/usr/bin/env bash
# check-install.sh — `make install` and `make uninstall` (issue 12.8): the
# tree is installed into a DESTDIR with PREFIX set, then run from there
# with HERD_HOME unset and, where the kernel lets us (unshare), the source
# tree hidden under an empty mount, so that every file the programs and
# pipelines find is one the install put there, found relative to the
# programs themselves (PREFIX/bin -> ../share/herd):
#   - the layout: bin/herd and herd-*, share/herd/{VERSION,data,pipelines},
#     man1 pages, bash completion, docs;
#   - herd --version, the entity dictionary (herd-normalize), the VADER
#     lexicon (herd-score), the default BERT model when one was built,
#     pipelines/replay.sh --demo (with its herd) and pipelines/hourly.sh,
#     all from the install; HERD_HOME still overrides the installed data;
#   - the man pages render without warnings, the completion lists options;
#   - make uninstall leaves no file behind.
# Skips (77) without make or the pipe. Prints "RESULT N passed, N failed".
. "$(dirname "$0")/../lib.sh"
command -v make >/dev/null || skip "make not installed"
need_pipe

prefix=/opt/herd-check
dest=$tmp/dest
root=$dest$prefix
san=${HERD_SAN:-}
submake -s -C "$top" ${san:+SAN=$san} install DESTDIR="$dest" PREFIX="$prefix" >"$tmp/install.out" 2>&1
rc=$?
check "make install exits 0: $(tail -3 "$tmp/install.out")" [ $rc -eq 0 ]
[ $rc -eq 0 ] || result

# ---------------------------------------------------------------- the layout
progs=$(cd "$top/src/cmd" && ls herd-*.c | sed 's/\.c$//')
missing=
for p in herd $progs; do
	[ -x "$root/bin/$p" ] || missing="$missing bin/$p"
	[ -s "$root/share/man/man1/$p.1" ] || missing="$missing man1/$p.1"
	[ -e "$root/share/bash-completion/completions/$p" ] || missing="$missing completions/$p"
done
for f in VERSION data/entities/tickers.tsv data/entities/aliases.tsv data/entities/stoplist.txt \
	data/wikipedia/articles.tsv data/sample/README.md pipelines/hourly.sh pipelines/daily.sh \
	pipelines/replay.sh pipelines/common.sh pipelines/herd.env.example pipelines/crontab.example \
	scripts/fetch-vader.sh; do
	[ -e "$root/share/herd/$f" ] || missing="$missing share/herd/$f"
done
[ -s "$root/share/doc/herd/README.md" ] || missing="$missing share/doc/herd/README.md"
check "every program, page, completion and data file is installed (missing:${missing:- none})" [ -z "$missing" ]
check "the sample data is installed whole" \
	[ "$(cat "$top"/data/sample/*.ndjson | sha1sum)" = "$(cat "$root"/share/herd/data/sample/*.ndjson | sha1sum)" ]
vader=0 model=0
[ -s "$top/data/vader/vader_lexicon.txt" ] && vader=1
[ -s "$top/models/default/config.json" ] && model=1
check "the VADER lexicon is installed when fetched" [ $vader -eq 0 -o -s "$root/share/herd/data/vader/vader_lexicon.txt" ]
check "models/default is installed when built" [ $model -eq 0 -o -s "$root/share/herd/models/default/config.json" ]

# ---------------------------------------------------------------- run from the install
# One script, run with HERD_HOME unset, PATH = the install's bin and the
# system's, in a scratch directory; under unshare the checkout is hidden.
cat >"$tmp/inside.sh" <<'EOF'
set -u
cd "$TMP" || exit 1
exec >inside.out 2>inside.err
env | grep -q '^HERD_' && echo "env: HERD_ set"
echo "version: $(herd --version)"
echo "commands: $(herd --help | grep -cE '^  [a-z]+ {2,}')"
echo "checkout: $([ -e "$TOP/Makefile" ] && echo visible || echo hidden)"
printf '%s\n' '{"kind":"raw","source":"x","query":"q","fetched_at":"2021-01-27T00:00:00Z","item":{"id":"1","text":"GameStop and ZZZQ again","created_at":"2021-01-27T00:00:00Z","author_id":"9"}}' >one.ndjson
echo "entities: $(herd normalize one.ndjson | jq -c .entities)"
echo "home-entities: $(HERD_HOME=$TMP/alt herd normalize one.ndjson | jq -c .entities)"
echo "vader: $(herd normalize one.ndjson | herd score --model vader | jq -r .sentiment.model)"
if [ "$MODEL" = 1 ]; then
	echo "bert: $(herd normalize one.ndjson | herd score 2>/dev/null | jq -r '.sentiment.model | split("@")[0]')"
fi
"$ROOT/share/herd/pipelines/replay.sh" --demo --db "$TMP/demo.db" >demo.out 2>demo.err
echo "demo: $?"
printf 'HERD_HOME=%s\nHERD_WINDOWS=1h,1d\nHERD_DETECT_WINDOW=1d\n' "$TMP/home" >herd.env
"$ROOT/share/herd/pipelines/hourly.sh" --env herd.env "$ROOT"/share/herd/data/sample/*.ndjson >hourly.out 2>hourly.err
echo "hourly: $?"
echo "hourly-posts: $(sqlite3 "$TMP/home/herd.db" 'SELECT count(*) FROM posts')"
EOF
mkdir -p "$tmp/alt/data/entities"
printf 'ZZZQ\tMade-up Corp.\tstock\n' >"$tmp/alt/data/entities/tickers.tsv"
: >"$tmp/alt/data/entities/aliases.tsv"
: >"$tmp/alt/data/entities/stoplist.txt"
run_inside() {
	env -i PATH="$root/bin:/usr/local/bin:/usr/bin:/bin" LC_ALL=C HOME="$tmp" TMP="$tmp" TOP="$top" \
		ROOT="$root" MODEL=$model "$@"
}
hidden=0
if unshare -rm true 2>/dev/null; then
	run_inside unshare -rm bash -c 'mount -t tmpfs herd-hidden "$TOP" && bash "$TMP/inside.sh"'
	hidden=1
else
	echo "note: unshare -rm not permitted here: the checkout stays reachable (the install is still run from a DESTDIR, not its PREFIX)"
	run_inside bash "$tmp/inside.sh"
fi
out=$tmp/inside.out
val() { sed -n "s/^$1: //p" "$out"; }
[ $hidden -eq 0 ] || check "the checkout was hidden while the install ran (got '$(val checkout)')" [ "$(val checkout)" = hidden ]
check "no HERD_ variable was set" bash -c '! grep -q "^env:" "$1"' _ "$out"
check "herd --version from the install: $(val version)" [ "$(val version)" = "herd $(cat "$top/VERSION")" ]
check "herd --help lists every program ($(val commands))" [ "$(val commands)" -eq "$(echo "$progs" | wc -w)" ]
check "herd-normalize finds the installed dictionary (got $(val entities))" [ "$(val entities)" = '["GME"]' ]
check "HERD_HOME overrides it (got $(val home-entities))" [ "$(val home-entities)" = '["ZZZQ"]' ]
[ $vader -eq 0 ] || check "herd-score finds the installed VADER lexicon (got $(val vader))" [ "$(val vader)" = vader@3.3.2 ]
[ $model -eq 0 ] || check "herd-score finds the installed default model (got $(val bert))" [ -n "$(val bert)" -a "$(val bert)" != null ]
check "pipelines/replay.sh --demo runs from the install (exit $(val demo)): $(tail -2 "$tmp/demo.err")" [ "$(val demo)" = 0 ]
items=$(cat "$top"/data/sample/*.ndjson | grep -c .)
check "… and loads every sample item" grep -q "^$tmp/demo.db: $items posts by " "$tmp/demo.out"
check "… and shows the sample's herd, led by r/wallstreetbets" \
	grep -qE '^    leader +reddit/wallstreetbets ' <(sed -n '/^Herds found by herd-detect: 1 /,/^$/p' "$tmp/demo.out")
check "pipelines/hourly.sh runs from the install (exit $(val hourly)): $(tail -2 "$tmp/hourly.err")" [ "$(val hourly)" = 0 ]
check "… and loads every sample item ($(val hourly-posts))" [ "$(val hourly-posts)" = "$items" ]
[ -s "$tmp/inside.err" ] && sed 's/^/inside: /' "$tmp/inside.err" | head -5

# ---------------------------------------------------------------- pages and completion
if command -v groff >/dev/null; then
	warn=$(for p in herd $progs; do groff -k -man -Tutf8 -ww -z "$root/share/man/man1/$p.1" 2>&1; done | head -3)
	check "every man page renders without a warning: $warn" [ -z "$warn" ]
	check "herd-detect.1 has NAME, SYNOPSIS, OPTIONS and its --window" \
		bash -c 'groff -k -man -Tutf8 "$1" 2>/dev/null | sed "s/.\x08//g" >"$2" &&
			grep -q "^NAME" "$2" && grep -q "^SYNOPSIS" "$2" && grep -q "^OPTIONS" "$2" && grep -q -- "--window D" "$2"' \
		_ "$root/share/man/man1/herd-detect.1" "$tmp/detect.txt"
else
	echo "note: groff absent: the man pages are not rendered"
fi
comp=$(PATH="$root/bin:$PATH" bash -c '. "$1"; COMP_WORDS=(herd det); COMP_CWORD=1; _herd herd; echo "${COMPREPLY[*]}";
	COMP_WORDS=(herd detect --win); COMP_CWORD=2; _herd herd; echo "${COMPREPLY[*]}"' _ "$root/share/bash-completion/completions/herd")
check "bash completion: commands, then the command's options (got $(echo $comp))" [ "$(echo $comp)" = "detect --window" ]

# ---------------------------------------------------------------- uninstall
submake -s -C "$top" ${san:+SAN=$san} uninstall DESTDIR="$dest" PREFIX="$prefix" >"$tmp/uninstall.out" 2>&1
check "make uninstall exits 0" [ $? -eq 0 ]
left=$(find "$dest" ! -type d | head -3)
check "make uninstall leaves no file behind (${left:-none})" [ -z "$left" ]
result
