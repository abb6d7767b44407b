#!/usr/bin/env bash
# check-unusualwhales.sh — herd-fetch unusualwhales against the fixture
# server serving flow alerts (tests/fetch/fixtures/unusualwhales-flow-
# alerts.json: the documentation's example alerts and GME alerts written in
# the same shape; a generated day of 60 GME alerts for the paging) 10 a page:
#   - the token as a Bearer header; ticker_symbol; pages by older_than (the
#     oldest alert's moment plus a microsecond: alerts sharing that moment
#     are not skipped); a re-run writes only the alerts published since;
#   - herd-normalize: one metric per alert, flow_call_premium or
#     flow_put_premium, value the premium in dollars, key the alert's id,
#     the particulars under "flow"; two alerts of one second are two rows in
#     herd-load's metrics table;
#   - x-uw-req-per-minute-remaining 0: the next request waits
#     x-uw-req-per-minute-reset (ms); the plan's day spent
#     (x-uw-daily-req-count reaches x-uw-token-req-limit): exit 3, kept;
#   - a wrong token: exit 1 with the API's message and a hint;
#   - --replay of the fixture: its alerts.
# Prints "RESULT N passed, N failed".
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-fetch.sh"
need_fetch

fix=$FX/unusualwhales-flow-alerts.json
python3 "$top/tests/fetch/fixture-server.py" --generate unusualwhales 60 "$tmp/gen.json" "$F"
config() { # FILE HIDE [FAULTS]
	cat <<JSON
{"datasets": {"unusualwhales:GME": {"file": "$1", "hide": $2}}, "page_size": {"unusualwhales": 10}, $SECRETS_JSON,
 "faults": [${3:-}]}
JSON
}
path=/api/option-trades/flow-alerts
serve "$(config "$fix" 0)"

hf unusualwhales GME --since 2021-01-01 >"$tmp/o1" 2>"$tmp/e1"
rc=$?
check "the fixture: exit 0 (got $rc): $(head -2 "$tmp/e1")" [ "$rc" -eq 0 ]
check "the fixture: its 3 GME alerts, newest first ($(jq -r .item.created_at "$tmp/o1" | tr '\n' ' '))" \
	[ "$(jq -r .item.id "$tmp/o1" | tr '\n' ' ')" = "9d1e6c2a-0b3f-4e8a-8c55-1f0a2b3c4d03 9d1e6c2a-0b3f-4e8a-8c55-1f0a2b3c4d02 9d1e6c2a-0b3f-4e8a-8c55-1f0a2b3c4d01 " ]
check "the token in a Bearer header, the ticker as ticker_symbol, 200 a page asked" \
	[ "$(reqs '.headers.authorization == "<present>" and .query.ticker_symbol == "GME" and .query.limit == "200"')" -eq "$(reqs true)" ]
"$bin/herd-normalize" -q "$tmp/o1" >"$tmp/m1"
check "herd-normalize: the call alert's metric ($(head -1 "$tmp/m1" | cut -c1-160)…)" \
	[ "$(jq -c 'select(.key == "9d1e6c2a-0b3f-4e8a-8c55-1f0a2b3c4d01") | [.kind, .source, .entity, .at, .name, .value, .flow.contract, .flow.strike, .flow.sweep, .flow.size]' "$tmp/m1")" = \
		'["metric","unusualwhales","GME","2021-01-22T15:04:11Z","flow_call_premium",1846000,"GME210129C00060000",60,true,2600]' ]
check "herd-normalize: the put alert is flow_put_premium" \
	[ "$(jq -r 'select(.key == "9d1e6c2a-0b3f-4e8a-8c55-1f0a2b3c4d02") | .name + " " + (.value | tostring)' "$tmp/m1")" = "flow_put_premium 394000" ]
"$bin/herd-load" -q --db "$tmp/h.db" "$tmp/m1"
check "herd-load: the two alerts of one second are two rows (by key)" \
	[ "$(q "$tmp/h.db" "SELECT count(*) FROM metrics WHERE \"at\" = '2021-01-22T15:04:11Z'")" -eq 2 ]

# Paging: 60 alerts, 10 a page; 20 published later.
rm -f "$tmp"/state.db* "$log"
reconfig "$(config "$tmp/gen.json" 20)"
hf unusualwhales GME --since 2021-03-01 >"$tmp/o2" 2>"$tmp/e2"
rc=$?
check "paging: exit 0 (got $rc), the 40 visible alerts once ($(grep -c . "$tmp/o2"))" \
	[ "$rc" -eq 0 -a "$(grep -c . "$tmp/o2")" -eq 40 -a "$(jq -r .item.id "$tmp/o2" | sort -u | wc -l)" -eq 40 ]
first=$(jq -r 'select(.query.older_than != null) | .query.older_than' "$log" | head -1)
check "paging: older_than is the oldest alert of page 1 plus a microsecond ($first)" \
	[ "$first" = "$(sed -n 10p "$tmp/o2" | jq -r .item.created_at | python3 -c 'import sys, datetime; d = datetime.datetime.fromisoformat(sys.stdin.read().strip().replace("Z", "+00:00")) + datetime.timedelta(microseconds=1); print(d.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))')" ]
reconfig "$(config "$tmp/gen.json" 0)"
hf unusualwhales GME >"$tmp/o3" 2>"$tmp/e3"
check "a re-run: the 20 published since ($(grep -c . "$tmp/o3"))" [ "$(grep -c . "$tmp/o3")" -eq 20 ]
cat "$tmp/o2" "$tmp/o3" >"$tmp/all"
check "every alert of the day once" cmp -s <(jq -r '.data[].id' "$tmp/gen.json" | sort) <(jq -r .item.id "$tmp/all" | sort)

# Rate limits.
rm -f "$tmp"/state.db* "$sleeps"
reconfig "$(config "$tmp/gen.json" 0 '{"path": "'$path'", "nth": [2], "fault": "ratelimit", "seconds": 40}')"
hf unusualwhales GME --since 2021-03-01 >"$tmp/o4" 2>"$tmp/e4"
check "x-uw-req-per-minute-reset (ms): the next request waits for it ($(head -1 "$sleeps"))" \
	awk '/x-uw-req-per-minute-remaining: 0, x-uw-req-per-minute-reset: 40000 ms/ { ok = $2 > 39 && $2 <= 40 } END { exit !ok }' "$sleeps"
check "… and all 60 come once" [ "$(jq -r .item.id "$tmp/o4" | sort -u | wc -l)" -eq 60 -a "$(grep -c . "$tmp/o4")" -eq 60 ]
rm -f "$tmp"/state.db* "$sleeps"
reconfig "$(config "$tmp/gen.json" 0 '{"path": "'$path'", "nth": [2], "fault": "ratelimit", "seconds": 1, "daily_limit": "7"}')"
hf unusualwhales GME --since 2021-03-01 >"$tmp/o5" 2>"$tmp/e5"
rc=$?
check "the plan's day spent: exit 3 (got $rc)" [ "$rc" -eq 3 ]
check "… said: $(grep -m1 daily "$tmp/e5")" grep -q 'x-uw-daily-req-count 7 of x-uw-token-req-limit 7: the plan.s day is spent' "$tmp/e5"
check "… kept for the next runs (hold.unusualwhales)" \
	[ "$(q "$tmp/state.db" "SELECT count(*) FROM state_kv WHERE \"key\" = 'hold.unusualwhales'")" -eq 1 ]

# A wrong token; a replay.
rm -f "$tmp"/state.db*
UNUSUALWHALES_TOKEN=herd-test-wrong-token hf unusualwhales GME >"$tmp/o6" 2>"$tmp/e6"
rc=$?
check "a wrong token: exit 1 (got $rc)" [ "$rc" -eq 1 ]
check "… with the API's message and a hint: $(head -1 "$tmp/e6")" grep -q '^herd-fetch: unusualwhales GME: HTTP 401: Invalid API key (check UNUSUALWHALES_TOKEN' "$tmp/e6"
check "a wrong token is not printed" [ "$(grep -c herd-test-wrong-token "$tmp/e6")" -eq 0 ]
"$bin/herd-fetch" unusualwhales --replay "$fix" >"$tmp/replay"
check "--replay: the fixture's 5 alerts, each with its ticker as query" \
	[ "$(jq -r '.query' "$tmp/replay" | tr '\n' ' ')" = "QQQ MSFT GME GME GME " ]
unset UNUSUALWHALES_TOKEN
"$bin/herd-fetch" unusualwhales --state "$tmp/s2.db" GME >/dev/null 2>"$tmp/e7"
rc=$?
check "no token: exit 2 (got $rc)" [ $rc -eq 2 ]
check "… said: $(cat "$tmp/e7")" grep -q 'UNUSUALWHALES_TOKEN (or UNUSUALWHALES_TOKEN_FILE) is not set' "$tmp/e7"
check "no secret in any output: $(no_secrets "$tmp"/o? "$tmp"/e? "$tmp/replay" "$sleeps")" \
	no_secrets "$tmp"/o? "$tmp"/e? "$tmp/replay" "$sleeps"
result
