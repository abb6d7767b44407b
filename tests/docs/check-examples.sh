#!/usr/bin/env bash
# check-examples.sh — the README's and docs' examples produce what they
# promise on the data they name (issue 12.3). Each example is taken from
# the Markdown itself (the code block holding a given line), run as written
# in a scratch directory with the programs on PATH and the data it names
# linked in, and its promise is checked:
#   - README, the demo's output: the herd's leader and followers shown
#     there are the demo's (pipelines/replay.sh --demo), and the heatmap
#     command draws the demo's file;
#   - README, the Reddit dump (wallstreetbets_comments.ndjson of
#     esbenkc/WSB-Impact, in ../shared/data): the top entities it quotes;
#   - README, the herd in CSV exports (janash/reddit_stocks daily_data, in
#     ../shared/data): every stage exits 0; AMC and GME lead the digest's
#     movers and no stop-listed word is among them; AMC's new cascade is
#     listed; the query lists NOK's herd on Jan 26 led by r/wallstreetbets
#     and AMC's on Jan 27; and what the README says of its two options
#     holds: without --community-from-filename no herd shows a spread (one
#     source at most), without --exclude ARE, FOR, CAN, IT, ON and BE are
#     movers;
#   - docs/detection.md, "How a run works": GME's cascade on data/sample;
#   - docs/storage.md, the example queries, on the demo's file.
# Examples that need ../shared/data are skipped (noted) when it is absent.
# Covered elsewhere, by tests that mirror them: the cron lines
# (tests/pipeline/check-hourly.sh runs hourly.sh and daily.sh under the
# crontab's flock), the installed demo (tests/setup/check-install.sh), the
# January 2021 replays of docs/detection.md (tests/detect/check-squeeze.sh),
# the record examples of docs/records.md (tests/cli/records.t),
# herd-backtest's (tests/cli/backtest.t), pipelines/spark/README.md
# (tests/scale/check-spark.sh), the PostgreSQL loads of docs/storage.md
# (tests/pg/). Prints "RESULT N passed, N failed".
. "$(dirname "$0")/../lib.sh"
for p in detect report; do
	[ -x "$bin/herd-$p" ] || skip "$bin/herd-$p not built yet"
done
need_pipe
[ -x "$bin/herd" ] || skip "$bin/herd (the dispatcher) not there"

# block FILE TEXT: the code block of FILE that holds the line TEXT: a
# fenced one (```) whole, or an indented one (4 spaces) without its indent.
block() {
	awk -v want="$2" '
		/^```/ {
			if (fence) { if (hit) { printf "%s", buf; found = 1; exit } fence = 0; next }
			fence = 1; hit = 0; buf = ""; next
		}
		fence { buf = buf $0 "\n"; if (index($0, want)) hit = 1; next }
		/^    / { ibuf = ibuf substr($0, 5) "\n"; if (index($0, want)) ihit = 1; next }
		{ if (ihit) { printf "%s", ibuf; found = 1; exit } ibuf = ""; ihit = 0 }
		END { if (!found && ihit) { printf "%s", ibuf; found = 1 } exit !found }' "$1"
}

# run DIR CODE: the example, as bash runs it with -e and pipefail, in DIR.
run() {
	(cd "$1" && PATH=$bin:$PATH bash -e -o pipefail -c "$2")
}

# sandbox NAME: a scratch directory with the checkout's data/ beside it, as
# the examples that name data/entities or data/sample expect.
sandbox() {
	mkdir -p "$tmp/$1"
	ln -s "$top/data" "$tmp/$1/data"
	echo "$tmp/$1"
}

# movers FILE: the entities of a Markdown digest's "Top movers" table.
movers() {
	sed -n '/^## Top movers by mentions/,/^## /p' "$1" | awk -F'|' 'NR > 4 && NF > 2 { gsub(/ /, "", $2); print $2 }'
}

readme=$top/README.md

# ---------------------------------------------------------------- README: the demo
d=$(sandbox demo)
"$top/pipelines/replay.sh" -q --demo --db "$d/demo.db" >"$d/demo.out" 2>"$d/demo.err"
check "the demo runs (exit $?): $(tail -2 "$d/demo.err")" [ -s "$d/demo.out" ]
shown=$(block "$readme" "    leader    reddit/wallstreetbets") ||
	check "README shows the demo's herd" false
# The planted part: each role, community and joined (lag) column.
cols() { awk '$1 == "leader" || $1 == "follower" { print $1, $2, $3, $4 }'; }
check "README's demo herd (leader, followers, lags) is what the demo prints: $(diff <(cols <<<"$shown") <(cols <"$d/demo.out") | tr '\n' ' ')" \
	cmp -s <(cols <<<"$shown") <(cols <"$d/demo.out")
check "README's demo herd names GME and a start, as the demo does" \
	[ "$(grep -o '^  GME, from [0-9-]*' <<<"$shown")" = "$(grep -o '^  GME, from [0-9-]*' "$d/demo.out")" ]
cmd=$(grep -o 'bin/herd report --db out/demo.db [^`]*' "$readme")
mkdir -p "$d/out" "$d/bin"
cp "$d/demo.db" "$d/out/demo.db"
ln -sf "$bin"/herd* "$d/bin/"
run "$d" "$cmd" >"$d/heat.out" 2>&1
check "README's heatmap command ($cmd) exits 0: $(tail -1 "$d/heat.out")" [ $? -eq 0 ]
check "… and draws the demo's entities" grep -q 'GME' "$d/heatmap.html"

# ---------------------------------------------------------------- docs/storage.md: the queries
code=$(block "$top/docs/storage.md" "# Top entities by posts, with their mean VADER compound")
cp "$d/demo.db" "$d/herd.db"
run "$d" "$code" >"$d/queries.out" 2>&1
check "docs/storage.md's queries run on the demo's file: $(tail -1 "$d/queries.out")" [ $? -eq 0 ]
check "… the first lists the seven sample tickers, GME first with 658 posts as the page says" \
	[ "$(head -7 "$d/queries.out" | cut -d'|' -f1 | sort | tr '\n' ' ')" = "AAPL AMC BB GME NOK PLTR TSLA " -a \
	"$(head -1 "$d/queries.out" | cut -d'|' -f1,2)" = "GME|658" ]
check "… the second, GME's busiest hour on Jan 27 with 15 posts from five communities" \
	bash -c '[[ "$(sed -n 8p "$1")" =~ ^2021-01-27T[0-9:]+Z\|15\|.*\|\{.*\}$ ]] &&
		[ "$(sed -n 8p "$1" | grep -o "\"[a-z/A-Z]*\":" | wc -l)" -eq 5 ]' _ "$d/queries.out"

# ---------------------------------------------------------------- docs/detection.md: a run
d=$(sandbox detect)
code=$(block "$top/docs/detection.md" "herd-normalize data/sample/*.ndjson | herd-score --model vader |")
run "$d" "$code" 2>"$d/err"
check "docs/detection.md's first example runs: $(tail -1 "$d/err")" [ $? -eq 0 ]
check "… and writes GME's cascade, starting on Jan 22 as the page says" \
	[ "$(jq -r 'select(.type == "cascade" and .evidence.phase == "start") | .entity + " " + .at[0:10]' "$d/events.ndjson")" = "GME 2021-01-22" ]
check "… led by r/wallstreetbets" \
	[ "$(jq -r 'select(.type == "cascade" and .evidence.phase == "start") | .evidence.leader' "$d/events.ndjson")" = reddit/wallstreetbets ]

# ---------------------------------------------------------------- README: the Reddit dump
dump=$SHARED/wsb-early2021-esbenkc/wallstreetbets_comments.ndjson
if [ -r "$dump" ]; then
	d=$(sandbox dump)
	ln -s "$dump" "$d/"
	code=$(block "$readme" "herd normalize --source reddit wallstreetbets_comments.ndjson")
	run "$d" "$code" >"$d/out" 2>"$d/err"
	check "README's Reddit dump example exits 0: $(grep -v '^herd-' "$d/err" | tail -1)" [ $? -eq 0 ]
	check "… with every comment loaded" grep -q '^herd-load: herd.db: .* (1200 post, ' "$d/err"
	promised=$(grep -o '(PLTR [0-9]*, TSLA [0-9]*, GME [0-9]*, …)' "$readme" | sed 's/, …)//; s/^(//; s/,//g')
	got=$(head -3 "$d/out" | tr '|\n' '  ' | sed 's/ $//')
	check "… the top entities the README quotes (README: $promised; got: $got)" [ "$promised" = "$got" ]
	check "… five of them, most first" bash -c '[ "$(wc -l <"$1")" -eq 5 ] && cut -d"|" -f2 "$1" | sort -c -rn' _ "$d/out"
else
	echo "note: $dump absent: the README's Reddit dump example is not run"
fi

# ---------------------------------------------------------------- README: a herd in CSV exports
daily=$SHARED/reddit-ticker-comments-2021-01/daily_data
if [ -d "$daily" ]; then
	stop=$top/data/entities/stoplist.txt
	code=$(block "$readme" "stop=data/entities/stoplist.txt")
	d=$(sandbox csv)
	ln -s "$daily" "$d/daily_data"
	run "$d" "$code" >"$d/out" 2>"$d/err"
	check "README's CSV example: every stage exits 0: $(grep -v '^herd-' "$d/err" | tail -1)" [ $? -eq 0 ]
	check "… nothing rejected" bash -c '! grep -q "rejected" "$1"' _ "$d/err"
	sed -n '/^# herd digest/,/^## Alerts sent/p' "$d/out" >"$d/digest.md"
	check "… the digest is of Jan 27" grep -q '^# herd digest — 2021-01-27' "$d/digest.md"
	m=$(movers "$d/digest.md" | tr '\n' ' ')
	check "… AMC and GME lead its movers (got: $m)" bash -c '[[ "$1" == "AMC GME "* || "$1" == "GME AMC "* ]]' _ "$m"
	words=$(movers "$d/digest.md" | grep -xFf <(grep -v '^#' "$stop" | cut -f1 | grep .) | tr '\n' ' ')
	check "… no stop-listed word among them (got: $words)" [ -z "$words" ]
	check "… its new cascades are listed, AMC's among them" \
		bash -c 'sed -n "/^## New cascades/,/^## /p" "$1" | grep -qE "^\| AMC \| 2021-01-27T00:00:00Z \| cascade \|"' _ "$d/digest.md"
	check "… the query lists NOK's herd on Jan 26, led by r/wallstreetbets" \
		grep -qx '2021-01-26|NOK|reddit/wallstreetbets' "$d/out"
	check "… and AMC's on Jan 27" grep -qE '^2021-01-27\|AMC\|reddit/[a-z]+$' "$d/out"
	# What the README says of the two options.
	d2=$(sandbox csv-one-source)
	ln -s "$daily" "$d2/daily_data"
	run "$d2" "$(grep -v -- '--community-from-filename' <<<"$code")" >"$d2/out" 2>"$d2/err"
	spread="SELECT count(*) FROM events WHERE type = 'cascade' AND json_array_length(evidence, '$.sources') > 1"
	check "without --community-from-filename (one source): no herd shows a spread (got $(q "$d2/jan.db" "$spread") with two sources or more)" \
		[ "$(q "$d2/jan.db" "$spread")" = 0 ]
	(cd "$d" && PATH=$bin:$PATH herd report --db jan.db digest) >"$d/plain.md" 2>&1
	m=$(movers "$d/plain.md" | tr '\n' ' ')
	check "without --exclude: ARE, FOR, CAN, IT, ON and BE are among the ten movers (got: $m)" \
		[ "$(movers "$d/plain.md" | grep -cxE 'ARE|FOR|CAN|IT|ON|BE')" -eq 6 ]
else
	echo "note: $daily absent: the README's CSV example is not run"
fi
result
