#!/usr/bin/env bash
# check-yahoo.sh — herd-fetch yahoo against the fixture server serving the
# recorded v8 charts (../shared/data/api-fixtures/yahoo-finance: AAPL daily
# 2020-08-31..2020-11-06, 49 bars; BTC-USD, 3 bars):
#   - one raw record per chart, cut to the bars from the last one written
#     (period1); a re-run with nothing new writes the last bar again (a
#     day's bar changes until the close), and an unchanged answer (ETag,
#     If-None-Match → 304) writes nothing;
#   - herd-normalize: one bar metric per trading day at midnight UTC of its
#     date, prices exact; BTC-USD is the entity BTC;
#   - an unknown symbol: exit 1, said; an empty chart (a weekend's 1m
#     bars): nothing, exit 0; --replay of a recorded pair = the live record.
# Prints "RESULT N passed, N failed".
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-fetch.sh"
need_fetch

aapl=$F/yahoo-finance/chart-AAPL-2020-08-31-to-2020-11-07.json
btc=$F/yahoo-finance/chart-BTC-USD-2020-01-01-to-2020-01-03.json
serve "$(cat <<JSON
{"datasets": {"yahoo:AAPL": {"file": "$aapl"}, "yahoo:BTC-USD": {"file": "$btc"}}, "gzip": true, $SECRETS_JSON}
JSON
)"
now=2020-11-07T00:00:00Z

hf yahoo AAPL BTC-USD --now $now >"$tmp/o1" 2>"$tmp/e1"
rc=$?
check "run 1: exit 0 (got $rc): $(head -2 "$tmp/e1")" [ "$rc" -eq 0 ]
check "run 1: one raw record per chart" [ "$(grep -c . "$tmp/o1")" -eq 2 ]
check "run 1: a month of daily bars asked for" [ "$(reqs '.query.interval == "1d" and .query.range == "1mo"')" -eq 2 ]
check "run 1: AAPL's chart verbatim" cmp -s <(jq -c '.response.bodyJson.chart.result[0]' "$aapl") <(jq -c 'select(.query == "AAPL") | .item' "$tmp/o1")
"$bin/herd-normalize" -q "$tmp/o1" >"$tmp/m1"
check "herd-normalize: 49 AAPL bars, 3 BTC bars" \
	[ "$(jq -c 'select(.entity == "AAPL" and .name == "bar" and .interval == "1d")' "$tmp/m1" | grep -c .)" -eq 49 -a \
	  "$(jq -c 'select(.entity == "BTC")' "$tmp/m1" | grep -c .)" -eq 3 ]
check "herd-normalize: a bar at midnight UTC of its trading date, prices exact" \
	[ "$(jq -c 'select(.entity == "AAPL" and .at == "2020-08-31T00:00:00Z") | [.open, .close, .volume]' "$tmp/m1")" = '[127.58000183105469,129.0399932861328,225702700]' ]

hf yahoo AAPL --now $now >"$tmp/o2" 2>"$tmp/e2"
p1=$(jq -r 'select(.path == "/v8/finance/chart/AAPL") | .query.period1' "$log" | tail -1)
check "run 2 asks from the last bar's day (period1 $p1 = 2020-11-06)" [ "$p1" = 1604620800 ]
check "run 2 writes the last bar again, alone" [ "$(jq -c '.item.timestamp' "$tmp/o2")" = '[1604673000]' ]
hf yahoo AAPL --now $now >"$tmp/o3" 2>"$tmp/e3"
check "run 3, the same answer: If-None-Match sent, 304, nothing written" \
	[ "$(reqs '.headers["if-none-match"] != null and .status == 304')" -eq 1 -a ! -s "$tmp/o3" ]

hf yahoo NOSUCH --now $now >"$tmp/o4" 2>"$tmp/e4"
rc=$?
check "an unknown symbol: exit 1 (got $rc): $(cat "$tmp/e4")" \
	grep -q "^herd-fetch: yahoo NOSUCH/1d: HTTP 404: Not Found: No data found, symbol may be delisted (is 'NOSUCH' a Yahoo symbol?)$" "$tmp/e4"
"$bin/herd-fetch" yahoo --replay "$F/yahoo-finance/chart-AAPL-2025-02-01-to-2025-02-02-includePrePost-false-interval-1m.json" >"$tmp/o5" 2>"$tmp/e5"
check "an empty chart (no timestamps): nothing, exit $?" [ ! -s "$tmp/o5" ]
"$bin/herd-fetch" yahoo --replay --now $now "$aapl" >"$tmp/o6"
check "--replay of the recorded pair: the live run's record" cmp -s <(jq -c 'select(.query == "AAPL")' "$tmp/o1") "$tmp/o6"
result
