#!/usr/bin/env bash
# check-hourly.sh — issue 7's "Done when" for the cron pipelines:
# pipelines/hourly.sh run twice over replayed data (data/sample cut in two
# at 2021-01-27T12:00Z by fetch time, so hours and days straddle the runs),
# then again over the second half, then pipelines/daily.sh, leave:
#   - a consistent database: every item one post with one score, the
#     aggregates exactly those of one pass over all the data (the partials
#     merge across runs), entity rows and aggregates agreeing, events loaded;
#   - a rerun that changes nothing (dump identical), and alerts delivered
#     exactly once per event key (a webhook on loopback, when python3 is
#     here), their alert records loaded;
#   - metrics files the strict format checker accepts, every run's exit
#     status 0; JSON log lines only (HERD_LOG_FORMAT=json);
#   - runs that never overlap: under the crontab's flock, a second run is
#     refused while one holds the lock;
#   - daily.sh's digest and heatmap, a backup that opens and passes
#     PRAGMA integrity_check with the same rows, `herd-maintain health`
#     green, and retention that keeps this data (it is judged at its own
#     latest time, not the clock).
# Skips (77) without the programs, sqlite3 or flock. Prints "RESULT N passed, N failed".
. "$(dirname "$0")/../lib.sh"
for p in detect load report maintain alert; do
	[ -x "$bin/herd-$p" ] || skip "$bin/herd-$p not built yet"
done
need_pipe
command -v flock >/dev/null || skip "flock (util-linux) not installed"
export HERD_BIN=$bin
hourly=$top/pipelines/hourly.sh daily=$top/pipelines/daily.sh
cd "$tmp" || exit 1

# ---------------------------------------------------------------- the two halves
mkdir b1 b2
for f in "$top"/data/sample/*.ndjson; do
	n=${f##*/}
	awk -v cut=2021-01-27T12:00:00Z -v b1="b1/$n" -v b2="b2/$n" '
		match($0, /"fetched_at":"[^"]*"/) { t = substr($0, RSTART + 14, RLENGTH - 15) }
		{ print > (t < cut ? b1 : b2) }' "$f"
done
items=$(cat "$top"/data/sample/*.ndjson | grep -c .)
check "the sample is cut in two ($(cat b1/* | wc -l) + $(cat b2/* | wc -l) of $items)" \
	[ "$(cat b1/* | wc -l)" -gt 0 -a "$(cat b2/* | wc -l)" -gt 0 -a "$(cat b1/* b2/* | wc -l)" -eq "$items" ]

# ---------------------------------------------------------------- the env file
home=$tmp/home
cat >herd.env <<EOF
HERD_HOME=$home
HERD_LOG_FORMAT=json
HERD_METRICS_DIR=$tmp/metrics
HERD_WINDOWS=1h,1d
HERD_DETECT_WINDOW=1h
HERD_ALERT_ARGS="--min-severity info --rate off"
EOF
receiver=0
if command -v python3 >/dev/null; then
	mkdir r
	python3 "$top/tests/alert/receiver.py" r >r/out 2>&1 &
	rpid=$!
	trap 'kill $rpid 2>/dev/null; rm -rf "$tmp"' EXIT
	for i in $(seq 50); do [ -f r/ports ] && break; sleep 0.1; done
	read -r hp sp <r/ports
	echo "HERD_WEBHOOK_URL=http://127.0.0.1:$hp/hook" >>herd.env
	receiver=1
else
	echo "note: python3 absent: alerts are not sent (no receiver)"
fi
lock=$home/herd.lock
mkdir -p "$home"

# ---------------------------------------------------------------- two hourly runs
flock -n "$lock" "$hourly" --env herd.env b1/*.ndjson >out1 2>log1
check "hourly run 1 exits 0: $(grep -v '"level":"info"' log1 | tail -2)" [ $? -eq 0 ]
flock -n "$lock" "$hourly" --env herd.env b2/*.ndjson >out2 2>log2
check "hourly run 2 exits 0: $(grep -v '"level":"info"' log2 | tail -2)" [ $? -eq 0 ]
db=$home/herd.db
check "the records file is made" [ -f "$db" ]
[ -f "$db" ] || result
sqlite3 "$db" .dump >dump2
[ $receiver -eq 0 ] || cp r/log received2

# The same half again: nothing changes, nothing is sent again.
flock -n "$lock" "$hourly" --env herd.env b2/*.ndjson >out3 2>log3
check "hourly run 3 (the same files) exits 0" [ $? -eq 0 ]
sqlite3 "$db" .dump >dump3
check "… and changes no row (dump identical)" cmp -s dump2 dump3
check "… herd-load finds nothing new or updated" \
	[ "$(grep '"prog":"herd-load"' log3 | grep -o '"msg":"[a-z_]*: [^"]*"' | grep -vcE ': 0 new, (0 updated, )?[0-9]+ unchanged')" -eq 0 ]

# ---------------------------------------------------------------- a consistent database
one=$tmp/one.db
"$top/pipelines/replay.sh" -q --db "$one" "$top"/data/sample/*.ndjson >/dev/null 2>&1
for w in 1h 1d; do
	check "$w aggregates equal one pass over all the data ($(q "$db" "SELECT count(*) FROM aggregates WHERE window = '$w'") rows)" \
		cmp -s <(q "$one" "SELECT * FROM aggregates WHERE window = '$w' ORDER BY 1, 2, 3") \
		<(q "$db" "SELECT * FROM aggregates WHERE window = '$w' ORDER BY 1, 2, 3")
done
check "every sample item is one post ($items)" [ "$(q "$db" 'SELECT count(*) FROM posts')" -eq "$items" ]
check "one VADER score per post" [ "$(q "$db" "SELECT count(*) FROM scores WHERE model = 'vader@3.3.2'")" -eq "$items" ]
check "no score or entity row without its post" \
	[ "$(q "$db" 'SELECT (SELECT count(*) FROM scores WHERE post_id NOT IN (SELECT id FROM posts)) +
		(SELECT count(*) FROM post_entities WHERE post_id NOT IN (SELECT id FROM posts))')" -eq 0 ]
bad=$(q "$db" "SELECT count(*) FROM (SELECT entity, count(*) AS n FROM post_entities GROUP BY entity) e
	LEFT JOIN (SELECT entity, sum(posts) AS h FROM aggregates WHERE window = '1h' GROUP BY entity) a USING (entity)
	LEFT JOIN (SELECT entity, sum(posts) AS d FROM aggregates WHERE window = '1d' GROUP BY entity) b USING (entity)
	WHERE a.h IS NOT e.n OR b.d IS NOT e.n")
check "1h and 1d aggregates add up to the entity rows, per entity ($bad differ)" [ "$bad" -eq 0 ]
nev=$(q "$db" "SELECT count(*) FROM events WHERE type != 'alert'")
check "herd-detect's events are loaded ($nev)" [ "$nev" -gt 0 ]

# ---------------------------------------------------------------- alerts
if [ $receiver -eq 1 ]; then
	sent=$(grep -o '"idempotency-key": "[^"]*"' r/log | sort | uniq -c | awk '{ print $1 }' | sort -u)
	check "each event key reached the webhook exactly once (counts per key: $(echo $sent))" [ "$sent" = 1 ]
	check "every event was alerted (min-severity info, no rate limit): $(grep -c . r/log) of $nev" \
		[ "$(grep -c . r/log)" -eq "$nev" ]
	check "the rerun sent nothing" cmp -s received2 r/log
	check "the alert records are loaded, one per delivered event" \
		[ "$(q "$db" "SELECT count(*) FROM events WHERE type = 'alert'")" -eq "$nev" ]
	check "… each naming its event" \
		[ "$(q "$db" "SELECT count(*) FROM events a JOIN events e ON json_extract(a.evidence, '$.event') = e.key WHERE a.type = 'alert'")" -eq "$nev" ]
fi

# ---------------------------------------------------------------- no overlap
flock "$lock" sleep 5 &
holder=$!
sleep 0.5
flock -n "$lock" "$hourly" --env herd.env b1/*.ndjson >/dev/null 2>&1
rc=$?
check "while the lock is held, the crontab's flock -n refuses a run (exit $rc)" [ "$rc" -eq 1 ]
sqlite3 "$db" .dump >dump4
check "… and nothing changed" cmp -s dump3 dump4
kill $holder 2>/dev/null
wait $holder 2>/dev/null

# ---------------------------------------------------------------- daily
flock -w 60 "$lock" "$daily" --env herd.env >outd 2>logd
check "daily.sh exits 0: $(grep -v '"level":"info"' logd | tail -3)" [ $? -eq 0 ]
for f in digest-2021-01-28.md digest-2021-01-28.html digest-2021-01-28.json heatmap-2021-01-28.html; do
	check "daily.sh made reports/$f" [ -s "$home/reports/$f" ]
done
check "the digest is of the last complete day, GME among its movers" \
	grep -q '^| GME | ' "$home/reports/digest-2021-01-28.md"
backup=$(ls "$home"/backups/herd-*.db 2>/dev/null | head -1)
check "a backup of the records file is there ($backup)" [ -n "$backup" ]
if [ -n "$backup" ]; then
	check "the backup opens and passes PRAGMA integrity_check" [ "$(sqlite3 "$backup" 'PRAGMA integrity_check')" = ok ]
	check "… with the same posts, aggregates and events" \
		[ "$(q "$backup" 'SELECT count(*) FROM posts UNION ALL SELECT count(*) FROM aggregates UNION ALL SELECT count(*) FROM events' | tr '\n' ' ')" = \
		"$(q "$db" 'SELECT count(*) FROM posts UNION ALL SELECT count(*) FROM aggregates UNION ALL SELECT count(*) FROM events' | tr '\n' ' ')" ]
	check "… and is self-contained (no WAL)" [ "$(sqlite3 "$backup" 'PRAGMA journal_mode')" = delete ]
fi
check "detect's state is backed up too" [ -n "$(ls "$home"/backups/detect-1h-*.db 2>/dev/null)" ]
check "retention kept this data: it is within 30 days of its own latest post" \
	[ "$(q "$db" 'SELECT count(*) FROM posts')" -eq "$items" ]
"$bin/herd-maintain" --db "$db" --state "$home/state.db" health >health.txt 2>&1
check "herd-maintain health is green: $(grep -v '^ok\|^note' health.txt | head -2)" [ $? -eq 0 ]
check "… and daily.sh logged it" grep -q '"msg":"health: ok ' logd

# ---------------------------------------------------------------- metrics and logs
mapfile -t proms < <(ls "$tmp"/metrics/*.prom)
check "metrics files were written (${#proms[@]})" [ ${#proms[@]} -ge 10 ]
check "the format checker accepts every one: $("$top/tests/metrics/promcheck.sh" "${proms[@]}" | head -3)" \
	"$top/tests/metrics/promcheck.sh" "${proms[@]}"
for p in hourly daily hourly-normalize hourly-score hourly-aggregate hourly-merge hourly-detect hourly-load daily-maintain daily-health; do
	check "$p.prom says exit status 0" grep -q "^herd_run_exit_status{[^}]*} 0$" "$tmp/metrics/$p.prom"
done
check "every log line is one JSON object with ts, prog, level, msg" \
	[ "$(cat log1 log2 log3 logd | grep -cvE '^\{"ts":"[0-9T:Z-]+","prog":"[^"]+","level":"(debug|info|warn|error)","msg":".*"\}$')" -eq 0 ]
check "nothing on stdout" [ ! -s out1 -a ! -s out2 -a ! -s out3 -a ! -s outd ]

# A health problem (after the metrics above: this run rewrites them) is logged at level error, where a log watcher looks.
HERD_HEALTH_ARGS="--max-data-age 1d" flock -w 60 "$lock" "$daily" --env herd.env >/dev/null 2>logf
check "daily.sh with stale data exits 1 (got $?)" [ $? -eq 1 ]
check "… and logs the FAIL line at level error" grep -q '"level":"error","msg":"health: FAIL ' logf
check "… not at info" bash -c '! grep -q "\"level\":\"info\",\"msg\":\"health: FAIL" "$1"' _ logf

# ---------------------------------------------------------------- raw files, as collect.sh keeps them
# Without FILEs hourly.sh takes the raw files it has not processed yet.
home2=$tmp/home2
mkdir -p "$home2/raw/2021/01/27" "$home2/raw/2021/01/28"
for f in b1/*.ndjson; do gzip -c "$f" >"$home2/raw/2021/01/27/$(basename "$f" .ndjson)-120000.ndjson.gz"; done
HERD_HOME=$home2 "$hourly" >/dev/null 2>logr1
check "raw mode, run 1 exits 0: $(tail -2 logr1)" [ $? -eq 0 ]
check "… takes the 4 raw files there" grep -q '^hourly: collect: 4 new raw files ' logr1
for f in b2/*.ndjson; do gzip -c "$f" >"$home2/raw/2021/01/28/$(basename "$f" .ndjson)-000000.ndjson.gz"; done
HERD_HOME=$home2 "$hourly" >/dev/null 2>logr2
check "raw mode, run 2 takes only the 4 new ones" grep -q '^hourly: collect: 4 new raw files ' logr2
HERD_HOME=$home2 "$hourly" >/dev/null 2>logr3
check "raw mode, run 3: nothing new, exit 0" [ $? -eq 0 ]
check "… and says so" grep -q '^hourly: collect: no new raw files in ' logr3
check "raw mode: the aggregates equal one pass over all the data" \
	cmp -s <(q "$one" "SELECT * FROM aggregates ORDER BY 1, 2, 3") <(q "$home2/herd.db" "SELECT * FROM aggregates ORDER BY 1, 2, 3")
check "… and the ledger lists the 8 files" [ "$(grep -c . "$home2/hourly.ledger")" -eq 8 ]

# ---------------------------------------------------------------- the examples
check "pipelines/herd.env.example is valid shell" bash -n "$top/pipelines/herd.env.example"
check "… and sets HERD_HOME" \
	[ "$(bash -c 'set -a; . "$1"; echo "$HERD_HOME"' _ "$top/pipelines/herd.env.example")" = /var/lib/herd ]
check "every job of pipelines/crontab.example runs under flock" \
	[ "$(grep -E '^[0-9*]' "$top/pipelines/crontab.example" | grep -vc ' flock ')" -eq 0 ]
"$hourly" --bogus >/dev/null 2>err
check "hourly.sh: an unknown option exits 2" [ $? -eq 2 ]
HERD_HOME= "$hourly" b1/reddit.ndjson >/dev/null 2>err
check "hourly.sh: no HERD_HOME exits 2 and says so" grep -q 'HERD_HOME is not set' err
"$hourly" --help | head -1 >help
check "hourly.sh --help: usage on line 1" grep -q '^Usage: pipelines/hourly.sh ' help

echo "info: $nev events, $(grep -c . r/log 2>/dev/null) webhook requests, ${#proms[@]} metrics files"; result
