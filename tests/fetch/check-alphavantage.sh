#!/usr/bin/env bash
# check-alphavantage.sh — herd-fetch alphavantage against the fixture server:
# NEWS_SENTIMENT (tests/fetch/fixtures/alphavantage-news-GME.json, written
# by hand in the documented shape: no real response was found), the
# recorded TIME_SERIES_INTRADAY (../shared/data/api-fixtures/alphavantage/
# mock_time_series: MSFT 1min, US/Eastern) and TIME_SERIES_DAILY built here
# in the documented shape from the real GME prices of January 2021
# (../shared/data/wsb-early2021-esbenkc/market_prices.csv):
#   - news newest first, time_from on re-runs, the articles of the border
#     second not written twice; posts keep Alpha Vantage's sentiment;
#   - bars: one raw record per response cut to the new bars (the last bar
#     again: it changes until the close), metrics in UTC (14:56 US/Eastern
#     in December is 19:56Z), dates at midnight UTC, the prices exact;
#   - the key goes in the URL, which herd prints only redacted;
#   - {"Note"} (per minute) is waited out and retried; {"Information"}
#     (the day's quota) stops the run: exit 3; the default budget is 25.
# Prints "RESULT N passed, N failed".
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-fetch.sh"
need_fetch
prices=$SHARED/wsb-early2021-esbenkc/market_prices.csv
[ -f "$prices" ] || skip "$prices absent"

news=$FX/alphavantage-news-GME.json
intra=$F/alphavantage/mock_time_series
# TIME_SERIES_DAILY from the real prices: trading days only (volume known).
awk -F, '$1 == "GME" && $2 >= "2021-01-04" && $2 <= "2021-01-29" && $6 != "NA" {
	printf "%s\"%s\": {\"1. open\": \"%.4f\", \"2. high\": \"%.4f\", \"3. low\": \"%.4f\", \"4. close\": \"%.4f\", \"5. volume\": \"%d\"}",
		n++ ? ", " : "", $2, $3, $4, $5, $6, $7 }
	BEGIN { printf "{\"Meta Data\": {\"1. Information\": \"Daily Prices (open, high, low, close) and Volumes\", \"2. Symbol\": \"GME\", \"3. Last Refreshed\": \"2021-01-29\", \"4. Output Size\": \"Compact\", \"5. Time Zone\": \"US/Eastern\"}, \"Time Series (Daily)\": {" }
	END { print "}}" }' "$prices" >"$tmp/daily.json"
config() { # HIDE [FAULTS]
	cat <<JSON
{"datasets": {"alphavantage:NEWS_SENTIMENT:GME": {"file": "$news", "hide": $1},
              "alphavantage:TIME_SERIES_INTRADAY:MSFT": {"file": "$intra"},
              "alphavantage:TIME_SERIES_DAILY:GME": {"file": "$tmp/daily.json"}},
 $SECRETS_JSON, "faults": [${2:-}]}
JSON
}
serve "$(config 1)"

# ---------------------------------------------------------------- news
hf alphavantage GME -v >"$tmp/o1" 2>"$tmp/e1"
rc=$?
check "news: exit 0 (got $rc)" [ "$rc" -eq 0 ]
check "news: the 4 visible articles ($(grep -c . "$tmp/o1"))" [ "$(grep -c . "$tmp/o1")" -eq 4 ]
check "news: NEWS_SENTIMENT newest first, 1000 at most" \
	[ "$(reqs '.query.function == "NEWS_SENTIMENT" and .query.tickers == "GME" and .query.sort == "LATEST" and .query.limit == "1000" and .query.apikey == "<present>"')" -eq 1 ]
check "the URL is printed with the key masked: $(grep -o 'apikey=[^ ]*' "$tmp/e1" | head -1)" grep -q 'apikey=\*\*\*$' "$tmp/e1"
reconfig "$(config 0)"
hf alphavantage GME >"$tmp/o2" 2>"$tmp/e2"
check "news re-run: time_from the newest article's minute" [ "$(jq -r .query.time_from "$log" | tail -1)" = 20210127T1430 ]
check "news re-run: only the other article of that second ($(grep -c . "$tmp/o2"))" [ "$(grep -c . "$tmp/o2")" -eq 1 ]
cat "$tmp/o1" "$tmp/o2" >"$tmp/news"
check "news: the 5 articles once, verbatim" cmp -s <(jq -c '.response.bodyJson.feed[]' "$news" | sort) <(jq -c .item "$tmp/news" | sort)
"$bin/herd-normalize" -q "$tmp/news" >"$tmp/posts"
check "news: 5 article posts, ids from the urls" \
	[ "$(jq -c 'select(.type == "article" and (.id | test("^alphavantage:[0-9a-f]{40}$")))' "$tmp/posts" | grep -c .)" -eq 5 ]
check "news: Alpha Vantage's sentiment kept, numbers as numbers" \
	[ "$(jq -c 'select(.url | endswith("gme-doubles")) | .source_sentiment' "$tmp/posts")" = '{"score":0.284,"label":"Somewhat-Bullish","tickers":{"GME":{"score":0.412,"label":"Bullish","relevance":0.91},"AMC":{"score":0.101,"label":"Neutral","relevance":0.22}}}' ]
check "news: scored tickers are entities (CRYPTO:BTC is BTC, FOREX: pairs are none)" \
	[ "$(jq -c 'select(.url | endswith("amc-rallies")) | .entities' "$tmp/posts")" = '["AMC","GME"]' -a \
	  "$(jq -c 'select(.url | endswith("btc-steadies")) | .entities | index("BTC") != null' "$tmp/posts")" = true ]

# ---------------------------------------------------------------- bars
hf alphavantage MSFT --function intraday --bar 1min >"$tmp/b1" 2>"$tmp/e3"
check "intraday: one raw record with the 100 bars" [ "$(grep -c . "$tmp/b1")" -eq 1 -a "$(jq '.item["Time Series (1min)"] | length' "$tmp/b1")" -eq 100 ]
check "intraday: asked with interval=1min" [ "$(reqs '.query.function == "TIME_SERIES_INTRADAY" and .query.interval == "1min" and .query.symbol == "MSFT"')" -eq 1 ]
"$bin/herd-normalize" -q "$tmp/b1" >"$tmp/m1"
check "intraday: 100 bar metrics, 1m" [ "$(jq -c 'select(.kind == "metric" and .name == "bar" and .interval == "1m" and .entity == "MSFT")' "$tmp/m1" | grep -c .)" -eq 100 ]
check "intraday: 2017-12-18 14:56 US/Eastern is 19:56Z, its prices exact" \
	[ "$(jq -c 'select(.at == "2017-12-18T19:56:00Z") | [.open, .high, .low, .close, .volume, .value]' "$tmp/m1")" = '[86.49,86.5,86.475,86.5,10494,86.5]' ]
hf alphavantage MSFT --function intraday --bar 1min >"$tmp/b2" 2>"$tmp/e4"
check "intraday re-run: only the last bar again (it may still change)" [ "$(jq '.item["Time Series (1min)"] | keys' -c "$tmp/b2")" = '["2017-12-18 14:56:00"]' ]
hf alphavantage GME --function daily >"$tmp/d1" 2>"$tmp/e5"
"$bin/herd-normalize" -q "$tmp/d1" >"$tmp/dm"
n=$(awk -F, '$1 == "GME" && $2 >= "2021-01-04" && $2 <= "2021-01-29" && $6 != "NA"' "$prices" | grep -c .)
check "daily: one bar per trading day ($n), at midnight UTC, 1d" \
	[ "$(jq -c 'select(.interval == "1d" and (.at | endswith("T00:00:00Z")))' "$tmp/dm" | grep -c .)" -eq "$n" ]
check "daily: 2021-01-27's close is the real 347.51" [ "$(jq -c 'select(.at == "2021-01-27T00:00:00Z") | .close' "$tmp/dm")" = 347.51 ]

# ---------------------------------------------------------------- throttles
rm -f "$tmp"/state.db* "$sleeps"
reconfig "$(config 0 '{"path": "/query", "nth": [1], "fault": "av_note"}')"
hf alphavantage GME >"$tmp/o3" 2>"$tmp/e6"
check "Note: waited a minute and retried ($(cat "$sleeps"))" grep -q '^sleep 60.000 alphavantage GME/news: Alpha Vantage throttled (Note: Thank you' "$sleeps"
check "Note: then the 5 articles" [ "$(grep -c . "$tmp/o3")" -eq 5 ]
check "the default budget is 25" [ "$(q "$tmp/state.db" "SELECT budget FROM fetch_budget WHERE source = 'alphavantage'")" = 25 ]
rm -f "$tmp"/state.db* "$log"
reconfig "$(config 0 '{"path": "/query", "nth": [1], "fault": "av_information"}')"
hf alphavantage GME MSFT >"$tmp/o4" 2>"$tmp/e7"
rc=$?
check "Information (the day's quota): exit 3 (got $rc)" [ "$rc" -eq 3 ]
check "Information: said, and the next query not asked: $(head -1 "$tmp/e7")" \
	[ "$(grep -c "alphavantage GME/news: Alpha Vantage's quota is spent (Information: Thank you" "$tmp/e7")" -eq 1 -a "$(reqs true)" -eq 1 ]
hf alphavantage NOSUCH --function daily >"$tmp/o5" 2>"$tmp/e8"
rc=$?
check "an unknown symbol: exit 1 (got $rc) and Alpha Vantage's message: $(head -1 "$tmp/e8")" \
	grep -q 'alphavantage NOSUCH/daily: not an Alpha Vantage news or series response (Invalid API call' "$tmp/e8"
check "no secret in any output: $(no_secrets "$tmp"/[obdme]* "$sleeps")" no_secrets "$tmp"/[obdme]* "$sleeps"
result
