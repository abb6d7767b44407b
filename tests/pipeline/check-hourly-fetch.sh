#!/usr/bin/env bash
# check-hourly-fetch.sh — pipelines/hourly.sh's collect stage for real:
# pipelines/collect.sh (herd-fetch over HERD_SOURCES) against the fixture
# server of tests/fetch (PRAW's recorded r/AskReddit listings, 30
# submissions held back at first), then the rest of the pipe over the raw
# files it kept:
#   - run 1 loads what the API had, keeps the raw records for replays, and
#     leaves the source fresh in the state file: `herd-maintain health` is
#     green, and red ("stale") when judged three hours later;
#   - run 2, after 30 more submissions are published, loads only those;
#   - a source that fails makes the run exit 1 while the rest still runs;
#   - herd-fetch's metrics file and the raw records pass their checks, and
#     no test secret appears in any log, metrics or raw file.
# Skips (77) without herd-fetch, python3, jq or ../shared/data.
# Prints "RESULT N passed, N failed".
. "$(dirname "$0")/../lib.sh"
. "$top/tests/fetch/lib-fetch.sh"
need_fetch
need_pipe
for p in detect load maintain; do
	[ -x "$bin/herd-$p" ] || skip "$bin/herd-$p not built yet"
done
export HERD_BIN=$bin
new=$F/reddit/TestSubredditListings.test_new.1.json
com=$F/reddit/TestSubredditListings.test_comments.1.json
hot=$F/reddit/TestSubredditListings.test_hot.1.json
config() { # HIDE [FAULTS]
	cat <<EOF
{"datasets": {"reddit:AskReddit/new": {"file": "$new", "hide": $1},
              "reddit:AskReddit/comments": {"file": "$com"},
              "reddit:Hot/new": {"file": "$hot"}, "reddit:Hot/comments": {"file": "$com"}},
 "page_size": {"reddit": 25}, "gzip": true, $SECRETS_JSON,
 "faults": [${2:-}]}
EOF
}
serve "$(config 30)"
home=$tmp/home
cat >"$tmp/herd.env" <<EOF
HERD_HOME=$home
HERD_SOURCES="reddit:AskReddit"
HERD_FETCH_ARGS="--base-url $URL"
HERD_METRICS_DIR=$tmp/metrics
HERD_ALERT=off
EOF
export HERD_FAKE_SLEEP=$sleeps
hourly=$top/pipelines/hourly.sh
posts() { q "$home/herd.db" 'SELECT count(*) FROM posts'; }

# ---------------------------------------------------------------- run 1
"$hourly" --env "$tmp/herd.env" >"$tmp/o1" 2>"$tmp/e1"
rc=$?
check "run 1 exits 0 (got $rc): $(grep -v '^herd-load: ' "$tmp/e1" | tail -4)" [ "$rc" -eq 0 ]
check "run 1 loads the 70 submissions and 100 comments the API has ($(posts))" [ "$(posts)" -eq 170 ]
mapfile -t raws < <(find "$home/raw" -name '*.ndjson.gz' | sort)
check "the raw records are kept for replays (${#raws[@]} file)" [ ${#raws[@]} -eq 1 ]
[ ${#raws[@]} -eq 0 ] || check "… 170 of them, raw records" [ "$(zcat "${raws[0]}" | grep -c '^{"kind":"raw","source":"reddit"')" -eq 170 ]
"$bin/herd-maintain" --db "$home/herd.db" --state "$home/state.db" health >"$tmp/h1" 2>&1
check "health is green after a fetch: $(grep -v '^ok' "$tmp/h1" | head -2)" [ $? -eq 0 ]
check "… and names the source" grep -q '^ok    source reddit/AskReddit' "$tmp/h1"
later=$(date -u -d '+3 hours' +%Y-%m-%dT%H:%M:%SZ)
"$bin/herd-maintain" --db "$home/herd.db" --state "$home/state.db" --now "$later" health >"$tmp/h2" 2>&1
check "three hours later the source is stale and health says so (exit 1)" [ $? -eq 1 ]
check "… naming the source and its interval: $(grep FAIL "$tmp/h2" | head -1)" \
	grep -q '^FAIL  source reddit/AskReddit.*expected every 1h (stale)' "$tmp/h2"

# ---------------------------------------------------------------- run 2
reconfig "$(config 0)"
sleep 1
"$hourly" --env "$tmp/herd.env" >"$tmp/o2" 2>"$tmp/e2"
rc=$?
check "run 2 exits 0 (got $rc): $(grep -v '^herd-load: ' "$tmp/e2" | tail -4)" [ "$rc" -eq 0 ]
check "run 2 adds the 30 submissions published since ($(posts) posts)" [ "$(posts)" -eq 200 ]
check "… fetching only them: $(grep -o 'reddit: [0-9]* raw records' "$tmp/e2")" grep -q '^collect: reddit: 30 raw records kept in ' "$tmp/e2"
check "… and processing only the new raw file: $(grep -o 'collect: [0-9]* new raw files' "$tmp/e2")" \
	grep -q '^hourly: collect: 1 new raw files ' "$tmp/e2"
check "the ledger lists both raw files" [ "$(grep -c . "$home/hourly.ledger")" -eq 2 ]
"$hourly" --env "$tmp/herd.env" >"$tmp/o2b" 2>"$tmp/e2b"
check "a run with nothing new exits 0 and says so" grep -q '^hourly: collect: no new raw files in ' "$tmp/e2b"

# ---------------------------------------------------------------- a failing source
# A subreddit with new posts beside one that does not exist.
cat >>"$tmp/herd.env" <<EOF
HERD_SOURCES="reddit:Hot reddit:nosuchsub"
EOF
"$hourly" --env "$tmp/herd.env" >"$tmp/o3" 2>"$tmp/e3"
rc=$?
check "a failing source: the run exits 1 (got $rc)" [ "$rc" -eq 1 ]
check "… says so: $(grep -m1 'failed' "$tmp/e3")" grep -q '^collect: reddit: a query failed (exit 1); what was fetched is kept' "$tmp/e3"
check "… and hourly.sh goes on: $(grep -m1 '^hourly: collect: a source' "$tmp/e3")" \
	grep -q '^hourly: collect: a source failed or was stopped (see above); the rest goes on' "$tmp/e3"
check "… and the rest of the pipe loads what the other query fetched" grep -q '^herd-load: posts: [1-9][0-9]* new' "$tmp/e3"

# ---------------------------------------------------------------- metrics, secrets
f=$tmp/metrics/collect-fetch-reddit.prom
check "herd-fetch's metrics file is written" [ -s "$f" ]
check "… and every metrics file passes the format checker" "$top/tests/metrics/promcheck.sh" "$tmp"/metrics/*.prom
zcat "$home"/raw/*/*/*/*.gz >"$tmp/raw-all.ndjson"
check "no secret in logs, metrics, raw records or the database: $(no_secrets "$tmp"/e1 "$tmp"/e2 "$tmp"/e3 "$tmp"/metrics/*.prom "$tmp/raw-all.ndjson" "$home/herd.db")" \
	no_secrets "$tmp"/e1 "$tmp"/e2 "$tmp"/e3 "$tmp"/metrics/*.prom "$tmp/raw-all.ndjson" "$home/herd.db"

result
