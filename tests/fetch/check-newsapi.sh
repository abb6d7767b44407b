#!/usr/bin/env bash
# check-newsapi.sh — herd-fetch newsapi against the fixture server serving
# the two recorded /v2/everything pages (../shared/data/api-fixtures/newsapi,
# 199 distinct articles), newest first:
#   - the key goes in X-Api-Key (never in the URL, never printed);
#   - the free plan's 100 results: one page, and the rest is said; a larger
#     --max-results pages on until the API's 426 maximumResultsReached,
#     which ends the paging quietly;
#   - a re-run asks `from` the last article and writes only the 10
#     published since, though the last second's articles come again;
#   - 429 rateLimited (the day's quota) stops the run: exit 3; a wrong key
#     is a failed query: exit 1 with NewsAPI's own message;
#   - herd-normalize makes one post per article; --replay of a recorded
#     page gives its 100 articles.
# Prints "RESULT N passed, N failed".
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-fetch.sh"
need_fetch

p1=$F/newsapi/newsapi_response_p1.json
p2=$F/newsapi/newsapi_response_p2.json
q='Inflection AI'
config() { # HIDE MAX_RESULTS [FAULTS]
	cat <<JSON
{"datasets": {"newsapi:$q": {"file": ["$p1", "$p2"], "hide": $1}}, "max_results": $2, $SECRETS_JSON,
 "faults": [${3:-}]}
JSON
}
serve "$(config 10 100)"

hf newsapi "$q" >"$tmp/o1" 2>"$tmp/e1"
rc=$?
check "run 1: exit 0 (got $rc): $(head -2 "$tmp/e1")" [ "$rc" -eq 0 ]
check "run 1: the free plan's 100 articles ($(grep -c . "$tmp/o1"))" [ "$(grep -c . "$tmp/o1")" -eq 100 ]
check "run 1: the newest first" [ "$(jq -r .item.publishedAt "$tmp/o1" | sort -r | cmp -s - <(jq -r .item.publishedAt "$tmp/o1") && echo y)" = y ]
check "run 1: the rest is said: $(cat "$tmp/e1")" grep -q '^herd-fetch: newsapi Inflection AI: 189 results, 100 fetched at most (--max-results; the free plan stops at 100)$' "$tmp/e1"
check "the key in X-Api-Key, not in the URL" [ "$(reqs '.headers["x-api-key"] == "<present>" and (.query | has("apiKey") | not)')" -eq "$(reqs true)" ]
check "sorted by publishedAt, 100 a page" [ "$(reqs '.query.sortBy == "publishedAt" and .query.pageSize == "100"')" -eq 1 ]

reconfig "$(config 0 100)"
hf newsapi "$q" >"$tmp/o2" 2>"$tmp/e2"
check "run 2: the 10 published since, once ($(grep -c . "$tmp/o2"))" [ "$(grep -c . "$tmp/o2")" -eq 10 ]
from=$(jq -r '.query.from' "$log" | tail -1)
check "run 2 asks from the newest article of run 1 ($from)" [ "$from" = "$(jq -r .item.publishedAt "$tmp/o1" | head -1)" ]
hf newsapi "$q" >"$tmp/o3" 2>"$tmp/e3"
check "run 3: nothing new, nothing written" [ ! -s "$tmp/o3" ]
cat "$tmp/o1" "$tmp/o2" >"$tmp/all"
check "runs 1-3: 110 distinct articles" [ "$(jq -r .item.url "$tmp/all" | sort -u | wc -l)" -eq 110 -a "$(grep -c . "$tmp/all")" -eq 110 ]

"$bin/herd-normalize" -q "$tmp/all" >"$tmp/posts"
check "herd-normalize: 110 articles, ids from the urls" \
	[ "$(jq -c 'select(.type == "article" and (.id | test("^newsapi:[0-9a-f]{40}$")) and .community != null)' "$tmp/posts" | grep -c .)" -eq 110 ]

# A paid plan's --max-results: pages through all; past the plan's results
# the API says 426 maximumResultsReached, which ends the paging quietly.
rm -f "$tmp"/state.db* "$log"
reconfig "$(config 0 200)"
hf newsapi "$q" --max-results 1000 >"$tmp/o4" 2>"$tmp/e4"
rc=$?
check "--max-results 1000: exit 0 (got $rc): $(head -2 "$tmp/e4")" [ "$rc" -eq 0 ]
check "--max-results 1000: the 199 articles over 2 pages" [ "$(grep -c . "$tmp/o4")" -eq 199 -a "$(reqs true)" -eq 2 ]
rm -f "$tmp"/state.db* "$log"
reconfig "$(config 0 100)"
hf newsapi "$q" --max-results 1000 >"$tmp/o4" 2>"$tmp/e4"
rc=$?
check "the plan's results end at 100: exit 0 (got $rc)" [ "$rc" -eq 0 ]
check "the plan's results end at 100: 100 articles, page 2 refused (426)" \
	[ "$(grep -c . "$tmp/o4")" -eq 100 -a "$(reqs '.status == 426')" -eq 1 -a "$(reqs true)" -eq 2 ]
check "426 maximumResultsReached is said: $(cat "$tmp/e4")" grep -q "the plan's results for this query end at page 1" "$tmp/e4"

# The day's quota at the provider; a wrong key.
rm -f "$tmp"/state.db*
reconfig "$(config 0 100 '{"path": "/v2/everything", "nth": [1], "fault": "429"}')"
hf newsapi "$q" >"$tmp/o5" 2>"$tmp/e5"
rc=$?
check "429 rateLimited: exit 3 (got $rc)" [ "$rc" -eq 3 ]
check "429 rateLimited: said: $(head -1 "$tmp/e5")" grep -q 'rate limited (HTTP 429 Too Many Requests): 43200 s is more than --max-wait 900 s; stopping' "$tmp/e5"
check "429 rateLimited: the day's quota is kept in the state file, so the next run asks nothing (issue 14)" \
	[ "$(q "$tmp/state.db" "SELECT json_extract(value, '$.until') - json_extract(value, '$.at') > 43000 FROM state_kv WHERE key = 'hold.newsapi'")" = 1 ]
rm -f "$tmp"/state.db*
NEWSAPI_KEY=herd-test-wrong-key hf newsapi "$q" >"$tmp/o6" 2>"$tmp/e6"
rc=$?
check "a wrong key: exit 1 (got $rc)" [ "$rc" -eq 1 ]
check "a wrong key: NewsAPI's message: $(head -1 "$tmp/e6")" \
	grep -q '^herd-fetch: newsapi Inflection AI: HTTP 401: apiKeyInvalid: Your API key is invalid or incorrect.$' "$tmp/e6"
check "a wrong key is not printed" [ "$(grep -c herd-test-wrong-key "$tmp/e6")" -eq 0 ]

# Issue 14: 1,000 articles, five runs of --max-pages 2 from the first
# page on: each run goes on at the API page the last one stopped before
# (the next page is the page asked plus one, not this run's count plus one).
python3 "$top/tests/fetch/fixture-server.py" --generate newsapi 1000 "$tmp/gen1000.json" "$F"
rm -f "$tmp"/state.db* "$log"
reconfig '{"datasets": {"newsapi:GME": {"file": "'"$tmp/gen1000.json"'"}}, "max_results": 1000, '"$SECRETS_JSON"'}'
for _ in 1 2 3 4 5; do hf newsapi GME --max-results 1000 --max-pages 2 --budget 0 >>"$tmp/o7" 2>>"$tmp/e7"; done
check "issue 14: five runs of --max-pages 2 over 1,000 articles write all 1,000 once ($(jq -r .item.url "$tmp/o7" | sort -u | wc -l) distinct, $(grep -c . "$tmp/o7") written)" \
	[ "$(jq -r .item.url "$tmp/o7" | sort -u | wc -l)" -eq 1000 -a "$(grep -c . "$tmp/o7")" -eq 1000 ]
check "issue 14: the pages asked are 1 to 10, each once ($(jq -r .query.page "$log" | tr '\n' ' '))" \
	[ "$(jq -r .query.page "$log" | tr '\n' ' ')" = "1 2 3 4 5 6 7 8 9 10 " ]

"$bin/herd-fetch" newsapi --replay "$p1" >"$tmp/replay" 2>"$tmp/ereplay"
check "--replay of page 1: its 100 articles, verbatim" cmp -s <(jq -c '.articles[]' "$p1") <(jq -c .item "$tmp/replay")
check "no secret in any output: $(no_secrets "$tmp"/o? "$tmp"/e? "$tmp/replay")" no_secrets "$tmp"/o? "$tmp"/e? "$tmp/replay"
result
