#!/usr/bin/env bash
# check-collect.sh — pipelines/collect.sh against the fixture server: three
# sources from one env file (a NewsAPI query with spaces, so entries one a
# line), each fetched once with all its queries, kept as
# raw/YYYY/MM/DD/SOURCE-HHMMSS.ndjson.gz, normalized and loaded:
#   - the raw files hold what herd-fetch wrote; herd.db the posts of them;
#   - a second run loads only what was published since;
#   - a work file left by a killed run is kept and loaded first;
#   - a source stopped by its budget makes the run exit 1, the others load;
#   - no secret in the logs.
# Prints "RESULT N passed, N failed".
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-fetch.sh"
need_fetch
for p in normalize load; do
	[ -x "$bin/herd-$p" ] || skip "$bin/herd-$p not built yet"
done
command -v sqlite3 >/dev/null || skip "sqlite3 not installed"
export HERD_BIN=$bin HERD_FAKE_SLEEP=$sleeps

config() { # HIDE
	cat <<JSON
{"datasets": {"reddit:AskReddit/new": {"file": "$F/reddit/TestSubredditListings.test_new.1.json", "hide": $1},
              "stocktwits:AAPL": {"file": "$F/stocktwits/get_symbol_msgs.json"},
              "newsapi:Inflection AI": {"file": ["$F/newsapi/newsapi_response_p1.json"]}},
 "page_size": {"reddit": 50}, $SECRETS_JSON}
JSON
}
serve "$(config 20)"
home=$tmp/home
cat >"$tmp/herd.env" <<EOF
HERD_HOME=$home
HERD_SOURCES="reddit:AskReddit
stocktwits:AAPL
newsapi:Inflection AI"
HERD_FETCH_ARGS="--base-url $URL"
HERD_FETCH_ARGS_REDDIT="--listing new"
EOF
collect=$top/pipelines/collect.sh
posts() { q "$home/herd.db" "SELECT source || ':' || count(*) FROM posts GROUP BY source ORDER BY source" | tr '\n' ' '; }

"$collect" --env "$tmp/herd.env" >"$tmp/o1" 2>"$tmp/e1"
rc=$?
check "run 1: exit 0 (got $rc): $(grep -v ': info\|raw records kept' "$tmp/e1" | head -3)" [ "$rc" -eq 0 ]
check "run 1: posts of the three sources ($(posts))" [ "$(posts)" = "newsapi:100 reddit:80 stocktwits:30 " ]
mapfile -t raws < <(cd "$home/raw" && find . -name '*.ndjson.gz' | sort)
check "run 1: one raw file per source, raw/YYYY/MM/DD/SOURCE-HHMMSS.ndjson.gz (${raws[*]})" \
	[ ${#raws[@]} -eq 3 -a "$(printf '%s\n' "${raws[@]}" | grep -cE '^\./[0-9]{4}/[0-9]{2}/[0-9]{2}/(newsapi|reddit|stocktwits)-[0-9]{6}\.ndjson\.gz$')" -eq 3 ]
check "run 1: the raw files hold the raw records (210)" [ "$(cd "$home/raw" && zcat "${raws[@]}" | grep -c '^{"kind":"raw"')" -eq 210 ]
check "run 1: the work folder is empty" [ -z "$(ls "$home/collect" | grep -v rejects)" ]

reconfig "$(config 0)"
sleep 1 # a new HHMMSS for the raw files
"$collect" --env "$tmp/herd.env" >"$tmp/o2" 2>"$tmp/e2"
check "run 2: exit 0 (got $?), the 20 new submissions loaded ($(posts))" [ "$(posts)" = "newsapi:100 reddit:100 stocktwits:30 " ]
last=$(find "$home/raw" -name 'reddit-*' | sort | tail -1)
check "run 2: only the new ones fetched (${last##*/})" [ "$(zcat "$last" | grep -c .)" -eq 20 ]

# A work file a killed run left: loaded first by the next run.
"$bin/herd-fetch" stocktwits --replay --query TSLA "$F/stocktwits/get_user_msgs.json" >"$home/collect/stocktwits-20260101T000000Z.ndjson"
"$collect" --env "$tmp/herd.env" stocktwits >"$tmp/o3" 2>"$tmp/e3"
check "a left work file: said ($(grep -c 'left by an earlier run' "$tmp/e3"))" grep -q 'loading stocktwits-20260101T000000Z.ndjson, left by an earlier run' "$tmp/e3"
check "a left work file: kept as raw/2026/01/01/stocktwits-000000.ndjson.gz and loaded" \
	[ -s "$home/raw/2026/01/01/stocktwits-000000.ndjson.gz" -a "$(q "$home/herd.db" "SELECT count(*) FROM posts WHERE community = 'TSLA'")" -eq 5 ]
check "a left work file: removed" [ ! -e "$home/collect/stocktwits-20260101T000000Z.ndjson" ]

# A budget that stops one source: exit 1, the others still collected.
echo 'HERD_FETCH_ARGS_NEWSAPI="--budget 1"' >>"$tmp/herd.env"
"$collect" --env "$tmp/herd.env" >"$tmp/o4" 2>"$tmp/e4"
rc=$?
check "a spent budget: exit 1 (got $rc)" [ "$rc" -eq 1 ]
check "a spent budget: said: $(grep budget "$tmp/e4" | tail -1)" grep -q 'collect: newsapi: stopped by its budget or a rate limit; the next run goes on' "$tmp/e4"
check "no secret in the logs: $(no_secrets "$tmp"/[oe]? )" no_secrets "$tmp"/[oe]?
"$collect" --env "$tmp/herd.env" nosuch >/dev/null 2>"$tmp/e5"
check "an unconfigured SOURCE: exit 2 ($?): $(head -1 "$tmp/e5")" grep -q '^collect: nosuch: not in HERD_SOURCES' "$tmp/e5"
result
