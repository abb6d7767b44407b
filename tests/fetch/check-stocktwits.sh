#!/usr/bin/env bash
# check-stocktwits.sh — herd-fetch stocktwits against the fixture server
# serving the recorded AAPL stream (../shared/data/api-fixtures/stocktwits,
# 30 messages) 10 a page:
#   - paging down with `max` (the cursor's oldest id, which the API returns
#     again: written once), `since` on re-runs; no key needed;
#   - every message once across runs; herd-normalize makes posts of the
#     AAPL stream with the messages' own symbols as entities;
#   - X-RateLimit-Remaining 0: the next request waits until
#     X-RateLimit-Reset (a Unix time);
#   - an unknown symbol: exit 1 with StockTwits' message;
#   - --replay of the recorded response gives the same messages.
# Prints "RESULT N passed, N failed".
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-fetch.sh"
need_fetch

rec=$F/stocktwits/get_symbol_msgs.json
config() { # HIDE [FAULTS]
	cat <<JSON
{"datasets": {"stocktwits:AAPL": {"file": "$rec", "hide": $1}}, "page_size": {"stocktwits": 10}, $SECRETS_JSON,
 "faults": [${2:-}]}
JSON
}
serve "$(config 5)"

hf stocktwits AAPL >"$tmp/o1" 2>"$tmp/e1"
rc=$?
check "run 1: exit 0 (got $rc): $(head -2 "$tmp/e1")" [ "$rc" -eq 0 ]
check "run 1: the 25 visible messages once ($(grep -c . "$tmp/o1"))" \
	[ "$(grep -c . "$tmp/o1")" -eq 25 -a "$(jq -r .item.id "$tmp/o1" | sort -u | wc -l)" -eq 25 ]
check "paged with max (3 pages)" [ "$(reqs '.path == "/api/2/streams/symbol/AAPL.json"')" -eq 3 -a "$(reqs '.query | has("max")')" -eq 2 ]
check "no key, no token sent" [ "$(reqs '(.query | has("access_token")) or (.headers | has("authorization"))')" -eq 0 ]
reconfig "$(config 0)"
hf stocktwits AAPL >"$tmp/o2" 2>"$tmp/e2"
since=$(jq -r .query.since "$log" | tail -1)
check "run 2 asks since the newest message written ($since)" [ "$since" = "$(jq -r .item.id "$tmp/o1" | sort -n | tail -1)" ]
check "run 2: the 5 published since ($(grep -c . "$tmp/o2"))" [ "$(grep -c . "$tmp/o2")" -eq 5 ]
cat "$tmp/o1" "$tmp/o2" >"$tmp/all"
check "runs: the 30 recorded messages once, verbatim" cmp -s <(jq -c '.messages[]' "$rec" | sort) <(jq -c .item "$tmp/all" | sort)
"$bin/herd-normalize" -q "$tmp/all" >"$tmp/posts"
check "herd-normalize: 30 messages of the AAPL stream" \
	[ "$(jq -c 'select(.type == "message" and .community == "AAPL" and (.id | startswith("stocktwits:")))' "$tmp/posts" | grep -c .)" -eq 30 ]
check "herd-normalize: the messages' own symbols are entities ($(jq -c 'select(.id == "stocktwits:155614013") | .entities' "$tmp/posts"))" \
	[ "$(jq -c 'select(.id == "stocktwits:155614013") | .entities' "$tmp/posts")" = '["AAPL","AMZN","MSFT","SPY"]' ]

rm -f "$tmp"/state.db* "$sleeps"
reconfig "$(config 0 '{"path": "/api/2/streams/symbol/AAPL.json", "nth": [2], "fault": "ratelimit", "seconds": 20}')"
hf stocktwits AAPL >"$tmp/o3" 2>"$tmp/e3"
check "X-RateLimit-Reset: the next request waits for it ($(cat "$sleeps"))" \
	awk '/X-RateLimit-Remaining: 0, X-RateLimit-Reset:/ || /x-ratelimit-remaining: 0, x-ratelimit-reset:/ { ok = $2 > 17 && $2 <= 20 } END { exit !ok }' "$sleeps"
check "X-RateLimit-Reset: all 30 once" [ "$(grep -c . "$tmp/o3")" -eq 30 ]

hf stocktwits NOSUCH >"$tmp/o4" 2>"$tmp/e4"
rc=$?
check "an unknown symbol: exit 1 (got $rc)" [ "$rc" -eq 1 ]
check "an unknown symbol: StockTwits' message: $(cat "$tmp/e4")" grep -q '^herd-fetch: stocktwits NOSUCH: HTTP 404: Symbol not found$' "$tmp/e4"
"$bin/herd-fetch" stocktwits --replay "$rec" >"$tmp/replay"
check "--replay: the recorded messages, query from the response's symbol" \
	[ "$(jq -r .query "$tmp/replay" | sort -u)" = AAPL -a "$(grep -c . "$tmp/replay")" -eq 30 ]
result
