#!/usr/bin/env bash
# check-finnhub.sh — herd-fetch finnhub against the fixture server serving
# analyst ratings and a price target (tests/fetch/fixtures/finnhub-*-GME.json:
# Finnhub's documented shapes, invented firms and values; no public
# recording was found):
#   - ratings: upgrade-downgrade from the day of the last rating written
#     (from=YYYY-MM-DD), newest first; a re-run writes only new ratings,
#     though the last day's come again; a first run 30 days back or --since;
#   - target: written when lastUpdated moved, not again;
#   - the key in X-Finnhub-Token (never in the URL, never printed);
#   - herd-normalize: analyst_rating metrics (value 1, key, firm and grades)
#     and a price_target metric (targetMean, high/low/median);
#   - X-Ratelimit-Remaining 0: the next request waits for X-Ratelimit-Reset;
#     a wrong key: exit 1 with a hint; --function other: exit 2;
#   - --replay of the fixtures.
# Prints "RESULT N passed, N failed".
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-fetch.sh"
need_fetch

ud=$FX/finnhub-upgrade-downgrade-GME.json
pt=$FX/finnhub-price-target-GME.json
config() { # HIDE [FAULTS]
	cat <<JSON
{"datasets": {"finnhub:GME": {"file": "$ud", "hide": $1}, "finnhub-target:GME": {"file": "$pt"}}, $SECRETS_JSON,
 "faults": [${2:-}]}
JSON
}
serve "$(config 1)"
now=2021-01-28T12:00:00Z

hf finnhub GME --function ratings,target --now $now >"$tmp/o1" 2>"$tmp/e1"
rc=$?
check "run 1: exit 0 (got $rc): $(head -2 "$tmp/e1")" [ "$rc" -eq 0 ]
check "run 1: the 4 visible ratings, newest first, then the target" \
	[ "$(jq -r '.item.company // "target"' "$tmp/o1" | tr '\n' '|')" = "Example Securities|Sample Capital|Illustrative Partners|Demo Research|target|" ]
check "run 1: ratings asked from 30 days back" [ "$(reqs '.query.from == "2020-12-29"')" -eq 1 ]
check "the key in X-Finnhub-Token, not in the URL" \
	[ "$(reqs '.headers["x-finnhub-token"] == "<present>" and (.query | has("token") | not)')" -eq "$(reqs true)" ]
"$bin/herd-normalize" -q "$tmp/o1" >"$tmp/m1"
check "herd-normalize: a downgrade ($(head -1 "$tmp/m1"))" \
	[ "$(head -1 "$tmp/m1")" = '{"kind":"metric","source":"finnhub","entity":"GME","at":"2021-01-26T00:00:00Z","name":"analyst_rating","value":1,"key":"GME:1611619200:Example Securities","rating":{"firm":"Example Securities","from":"Buy","to":"Neutral","action":"down"}}' ]
check "herd-normalize: an initiation has no grade before" \
	[ "$(jq -c 'select(.rating.action == "init") | .rating.from' "$tmp/m1")" = null ]
check "herd-normalize: the price target ($(tail -1 "$tmp/m1"))" \
	[ "$(tail -1 "$tmp/m1")" = '{"kind":"metric","source":"finnhub","entity":"GME","at":"2021-01-27T00:00:00Z","name":"price_target","value":17.35,"target":{"high":33,"low":10,"median":15}}' ]
"$bin/herd-load" -q --db "$tmp/h.db" "$tmp/m1"
check "herd-load: the two ratings of one day are two rows (by key)" \
	[ "$(q "$tmp/h.db" "SELECT count(*) FROM metrics WHERE name = 'analyst_rating' AND \"at\" = '2021-01-26T00:00:00Z'")" -eq 2 ]

reconfig "$(config 0)"
hf finnhub GME --function ratings,target --now $now >"$tmp/o2" 2>"$tmp/e2"
check "run 2: only the rating published since; the target unchanged ($(jq -r .item.company "$tmp/o2" | tr '\n' ' '))" \
	[ "$(jq -r .item.company "$tmp/o2")" = "Placeholder Equity" ]
check "run 2: asked from the day of the last rating written" [ "$(reqs '.query.from == "2021-01-26"')" -eq 1 ]
hf finnhub GME --function ratings,target --now $now >"$tmp/o3" 2>"$tmp/e3"
check "run 3: nothing new, nothing written" [ ! -s "$tmp/o3" ]

rm -f "$tmp"/state.db* "$sleeps"
reconfig "$(config 0 '{"path": "/api/v1/stock/upgrade-downgrade", "nth": [1], "fault": "ratelimit", "seconds": 30}')"
hf finnhub GME --function ratings,target --now $now >"$tmp/o4" 2>"$tmp/e4"
check "X-Ratelimit-Reset: the next request waits for it ($(head -1 "$sleeps"))" \
	awk '/x-ratelimit-remaining: 0, x-ratelimit-reset:/ { ok = $2 > 27 && $2 <= 30 } END { exit !ok }' "$sleeps"
rm -f "$tmp"/state.db*
FINNHUB_KEY=herd-test-wrong-key hf finnhub GME >"$tmp/o5" 2>"$tmp/e5"
rc=$?
check "a wrong key: exit 1 (got $rc)" [ "$rc" -eq 1 ]
check "… said, with a hint: $(head -1 "$tmp/e5")" \
	grep -q '^herd-fetch: finnhub GME/ratings: HTTP 401: Invalid API key (check FINNHUB_KEY' "$tmp/e5"
check "a wrong key is not printed" [ "$(grep -c herd-test-wrong-key "$tmp/e5")" -eq 0 ]
hf finnhub GME --function news >/dev/null 2>"$tmp/e6"
rc=$?
check "--function news: exit 2 (got $rc): $(cat "$tmp/e6")" [ "$rc" -eq 2 ]
"$bin/herd-fetch" finnhub --replay --query GME "$ud" "$pt" >"$tmp/replay"
check "--replay: the 5 ratings and the target" [ "$(grep -c . "$tmp/replay")" -eq 6 ]
check "no secret in any output: $(no_secrets "$tmp"/o? "$tmp"/e? "$tmp/replay" "$sleeps")" \
	no_secrets "$tmp"/o? "$tmp"/e? "$tmp/replay" "$sleeps"
result
