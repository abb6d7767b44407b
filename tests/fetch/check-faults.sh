#!/usr/bin/env bash
# check-faults.sh — herd-fetch under the faults the fixture server injects,
# on X recent search serving Tweepy's recorded timeline (98 tweets) 10 a
# page. Under each fault the run (and, where it stops early, the re-runs
# after it) ends with every tweet written exactly once:
#   - 500 and 503 are retried after a backoff with full jitter (or the
#     503's Retry-After); 429's Retry-After is obeyed, as seconds and as an
#     HTTP date (recorded by HERD_FAKE_SLEEP), and once for real (1 s,
#     measured between the requests in the server's log);
#   - a response slower than --timeout, a connection reset, a truncated
#     body and invalid JSON are retried;
#   - retries spent: exit 1 with the reason; a Retry-After beyond
#     --max-wait: exit 3; the next run goes on from the page that failed;
#   - --budget N: never more than N requests a UTC day (retries counted),
#     exit 3 and a clear message, the next day goes on;
#   - kill -9 while a page is being fetched, or at random moments: the next
#     run loses nothing (and, killed mid-request, repeats nothing);
#   - tweets published while a run is unfinished are caught after it.
# Prints "RESULT N passed, N failed".
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-fetch.sh"
need_fetch

tl=$F/x-twitter-v2/test_client_get_home_timeline.1.json
N=$(jq '.data | length' "$tl")
path=/2/tweets/search/recent
config() { # HIDE [FAULTS]
	cat <<EOF
{"datasets": {"x:herd": {"file": "$tl", "hide": $1}}, "page_size": {"x": 10}, $SECRETS_JSON,
 "faults": [${2:-}]}
EOF
}
serve "$(config 0)"

# fresh FAULTS: a new state file and the faults (counts restart).
fresh() {
	rm -f "$tmp"/state.db* "$sleeps" "$log"
	reconfig "$(config 0 "$1")"
}
# once FILE WHAT: FILE holds every tweet exactly once.
once() {
	local n u
	n=$(grep -c . "$1")
	u=$(jq -r .item.id "$1" | sort -u | wc -l)
	check "$2: every tweet once ($n written, $u distinct, $N in all)" [ "$n" -eq "$N" -a "$u" -eq "$N" ]
}

check "the recorded timeline has $N tweets" [ "$N" -eq 98 ]

# ---------------------------------------------------------------- 5xx
fresh '{"path": "'$path'", "nth": [2, 3], "fault": "500"}, {"path": "'$path'", "nth": [6], "fault": "503", "retry_after": "4"}'
hf x herd >"$tmp/o" 2>"$tmp/e"
rc=$?
check "500 twice, 503: exit 0 (got $rc)" [ "$rc" -eq 0 ]
once "$tmp/o" "500 twice, 503"
check "500: two backoffs, each within its full-jitter ceiling (1 s, then 2 s): $(head -2 "$sleeps" | tr '\n' ' ')" \
	awk '/HTTP 500; attempt 2 of 5/ { a = $2 <= 1.0 } /HTTP 500; attempt 3 of 5/ { b = $2 <= 2.0 } END { exit !(a && b) }' "$sleeps"
check "503 Retry-After: 4 is obeyed" grep -qx 'sleep 4.000 x herd page 4: HTTP 503; attempt 2 of 5 in 4.0 s' "$sleeps"
check "each retry is said on stderr: $(head -1 "$tmp/e")" grep -q '^herd-fetch: x herd page 2: HTTP 500; attempt 2 of 5 in ' "$tmp/e"
check "10 pages asked + 3 retries" [ "$(reqs "true")" -eq 13 ]

# ---------------------------------------------------------------- 429
fresh '{"path": "'$path'", "nth": [3], "fault": "429", "retry_after": "7"}, {"path": "'$path'", "nth": [5], "fault": "429", "retry_after": "date:30"}, {"path": "'$path'", "nth": [8], "fault": "429"}'
hf x herd >"$tmp/o" 2>"$tmp/e"
check "429 thrice: exit 0 (got $?)" [ $? -eq 0 ]
once "$tmp/o" "429 thrice"
check "Retry-After: 7 (seconds) is obeyed" grep -qx 'sleep 7.000 x herd page 3: HTTP 429 Too Many Requests, Retry-After: 7; attempt 2 of 5 in 7.0 s' "$sleeps"
check "Retry-After: an HTTP date 30 s ahead is obeyed ($(grep -o 'sleep [0-9.]* x herd page 4' "$sleeps"))" \
	awk '/x herd page 4: HTTP 429/ { ok = $2 >= 28 && $2 <= 30.5 } END { exit !ok }' "$sleeps"
check "429 without Retry-After: a backoff" grep -q 'x herd page 6: HTTP 429 Too Many Requests; attempt 2 of 5' "$sleeps"

# A real wait, measured by the server: Retry-After: 1.
rm -f "$tmp"/state.db* "$log"
reconfig "$(config 0 '{"path": "'$path'", "nth": [2], "fault": "429", "retry_after": "1"}')"
"$bin/herd-fetch" --state "$tmp/state.db" --base-url "$URL" x herd >"$tmp/o" 2>"$tmp/e"
once "$tmp/o" "a real Retry-After"
gap=$(jq -s '(.[2].t - .[1].t) * 1000 | floor' "$log")
check "Retry-After: 1 is obeyed for real: ${gap} ms between the 429 and the retry (1000 to 2500)" \
	[ "$gap" -ge 1000 -a "$gap" -lt 2500 ]

# ---------------------------------------------------------------- broken answers
fresh '{"path": "'$path'", "nth": [2], "fault": "slow", "seconds": 2.5}, {"path": "'$path'", "nth": [4, 5], "fault": "reset"}, {"path": "'$path'", "nth": [7], "fault": "truncate"}, {"path": "'$path'", "nth": [9], "fault": "invalid_json"}'
t0=$(date +%s.%N)
hf x herd --timeout 1 >"$tmp/o" 2>"$tmp/e"
rc=$?
t1=$(date +%s.%N)
check "slow, reset, truncated, invalid JSON: exit 0 (got $rc): $(head -3 "$tmp/e")" [ "$rc" -eq 0 ]
once "$tmp/o" "slow, reset, truncated, invalid JSON"
check "the slow answer timed out after --timeout 1 s ($(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s in all)" \
	grep -q 'x herd page 2: Operation timed out after 10[0-9][0-9] milliseconds' "$sleeps"
check "the reset is retried: $(grep -o 'page 3: [^;]*' "$sleeps")" grep -qE 'x herd page 3: (Recv failure|Empty reply|Send failure)' "$sleeps"
check "the truncated body is retried: $(grep -o 'page 4: [^;]*' "$sleeps")" grep -qE 'x herd page 4: (transfer closed with [0-9]+ bytes remaining|.*[Pp]artial)' "$sleeps"
check "invalid JSON is retried: $(grep -o 'page 5: [^;]*' "$sleeps")" grep -q 'x herd page 5: the body is not JSON' "$sleeps"
# The slow answer is logged when the server has slept it out (2.5 s): wait
# for it, so that no later section counts it among its own requests.
for _ in $(seq 50); do
	grep -q '"fault": "slow"' "$log" && break
	sleep 0.1
done

# ---------------------------------------------------------------- giving up, then going on
fresh '{"path": "'$path'", "nth": [4, 5, 6], "fault": "500"}'
hf x herd --retries 2 >"$tmp/o1" 2>"$tmp/e"
rc=$?
check "retries spent: exit 1 (got $rc)" [ "$rc" -eq 1 ]
check "retries spent: the reason: $(head -5 "$tmp/e" | tail -1)" grep -q '^herd-fetch: x herd page 4: HTTP 500 (gave up after 3 attempts)$' "$tmp/e"
check "retries spent: 3 pages written ($(grep -c . "$tmp/o1"))" [ "$(grep -c . "$tmp/o1")" -eq 30 ]
check "fetch_sources keeps the error for herd-maintain health" \
	[ "$(q "$tmp/state.db" "SELECT count(*) FROM fetch_sources WHERE last_error LIKE '%gave up after 3 attempts%' AND last_success IS NULL")" -eq 1 ]
hf x herd >"$tmp/o2" 2>"$tmp/e"
check "the next run goes on (exit $?)" [ $? -eq 0 ]
cat "$tmp/o1" "$tmp/o2" >"$tmp/o"
once "$tmp/o" "gave up, then the next run"
check "the next run asks from the page that failed on" [ "$(jq -s '[.[] | select(.query.next_token == "tok-30")] | length' "$log")" -eq 4 ]

fresh '{"path": "'$path'", "nth": [3], "fault": "429", "retry_after": "3600"}'
hf x herd --max-wait 10m >"$tmp/o1" 2>"$tmp/e"
rc=$?
check "Retry-After beyond --max-wait: exit 3 (got $rc)" [ "$rc" -eq 3 ]
check "Retry-After beyond --max-wait: said: $(head -1 "$tmp/e")" \
	grep -q '^herd-fetch: x herd page 3: rate limited (HTTP 429 Too Many Requests, Retry-After: 3600): 3600 s is more than --max-wait 600 s; stopping' "$tmp/e"
check "Retry-After beyond --max-wait: no sleep taken" [ ! -s "$sleeps" ]
hf x herd --max-wait 2h >"$tmp/o2" 2>"$tmp/e"
check "the next run waits out what is left of the hour first (issue 14): $(head -1 "$sleeps")" \
	awk 'NR == 1 { ok = $2 > 3500 && $2 <= 3600 } END { exit !ok }' "$sleeps"
cat "$tmp/o1" "$tmp/o2" >"$tmp/o"
once "$tmp/o" "rate limited, then the next run"

# ---------------------------------------------------------------- budgets
fresh '{"path": "'$path'", "nth": [2], "fault": "500"}'
day1=2026-03-01T10:00:00Z
hf x herd --budget 4 --now $day1 >"$tmp/o1" 2>"$tmp/e"
rc=$?
check "budget 4: exit 3 (got $rc)" [ "$rc" -eq 3 ]
check "budget 4: 4 requests sent, the retry counted ($(reqs true))" [ "$(reqs true)" -eq 4 ]
check "budget 4: 3 pages written" [ "$(grep -c . "$tmp/o1")" -eq 30 ]
check "budget 4: said: $(head -2 "$tmp/e" | tail -1)" \
	grep -q '^herd-fetch: x herd page 4: the budget of 4 requests for 2026-03-01 (UTC) is spent; the next request waits for tomorrow or a larger --budget; stopping' "$tmp/e"
check "budget 4: counted in the state file" \
	[ "$(q "$tmp/state.db" "SELECT used || '/' || budget FROM fetch_budget WHERE source = 'x' AND day = '2026-03-01'")" = 4/4 ]
hf x herd --budget 4 --now 2026-03-01T23:00:00Z >"$tmp/o2" 2>"$tmp/e"
check "budget spent: the same day sends nothing (exit $?)" [ "$(reqs true)" -eq 4 -a ! -s "$tmp/o2" ]
hf x herd --budget 4 --now 2026-03-02T00:10:00Z >"$tmp/o3" 2>"$tmp/e"
hf x herd --budget 4 --now 2026-03-03T00:10:00Z >"$tmp/o4" 2>"$tmp/e"
hf x herd --budget 4 --now 2026-03-04T00:10:00Z >"$tmp/o5" 2>"$tmp/e"
check "the next days go on, 4 requests at most each ($(q "$tmp/state.db" "SELECT group_concat(used) FROM fetch_budget WHERE source = 'x' ORDER BY day"))" \
	[ "$(q "$tmp/state.db" "SELECT group_concat(used) FROM fetch_budget WHERE source = 'x' ORDER BY day")" = 4,4,4,1 ]
cat "$tmp"/o[1-5] >"$tmp/o"
once "$tmp/o" "budget 4 over four days"

# Issue 14: a reset on a reused (keep-alive) connection makes libcurl send
# the request again by itself; that send reaches the server and is counted.
fresh '{"path": "'$path'", "nth": [2, 4, 6, 8, 10, 12], "fault": "reset"}'
hf x herd --budget 6 --now $day1 >"$tmp/o1" 2>"$tmp/e"
rc=$?
check "issue 14: resets on reused connections, budget 6: exit 3 (got $rc)" [ "$rc" -eq 3 ]
check "issue 14: budget 6: the server saw 6 requests, libcurl's own re-sends included ($(reqs true))" \
	[ "$(reqs true)" -eq 6 ]
check "issue 14: budget 6: the state file counted the 6" \
	[ "$(q "$tmp/state.db" "SELECT used FROM fetch_budget WHERE source = 'x' AND day = '2026-03-01'")" -eq 6 ]

# ---------------------------------------------------------------- a long Retry-After outlives the run
fresh '{"path": "'$path'", "nth": [3], "fault": "429", "retry_after": "30"}'
hf x herd --max-wait 10 >"$tmp/o1" 2>"$tmp/e"
check "issue 14: Retry-After 30 beyond --max-wait 10: exit 3 (got $?)" [ $? -eq 3 ]
check "issue 14: the wait is kept in the state file (hold.x until $(q "$tmp/state.db" "SELECT json_extract(value, '$.until') FROM state_kv WHERE key = 'hold.x'"))" \
	[ "$(q "$tmp/state.db" "SELECT json_extract(value, '$.until') - json_extract(value, '$.at') BETWEEN 28 AND 31 FROM state_kv WHERE key = 'hold.x'")" = 1 ]
hf x herd --max-wait 10 >"$tmp/o2" 2>"$tmp/e"
rc=$?
check "issue 14: the next run asks nothing while the wait lasts: exit $rc, $(reqs true) requests in all" \
	[ "$rc" -eq 3 -a "$(reqs true)" -eq 3 ]
check "issue 14: and says why: $(grep -v resuming "$tmp/e" | head -1)" \
	grep -q "^herd-fetch: x: a run at .* was told: x herd page 3: HTTP 429 Too Many Requests, Retry-After: 30: the next request is allowed in [23][0-9] s, more than --max-wait 10 s; stopping" "$tmp/e"
hf x herd --max-wait 60 >"$tmp/o3" 2>"$tmp/e"
rc=$?
check "issue 14: a run whose --max-wait covers what is left goes on: exit 0 (got $rc)" [ "$rc" -eq 0 ]
check "issue 14: … after waiting it out: $(grep -o 'sleep [0-9.]* x: a run' "$sleeps")" \
	awk '/x: a run at .* was told/ { ok = $2 > 20 && $2 <= 30 } END { exit !ok }' "$sleeps"
cat "$tmp"/o[1-3] >"$tmp/o"
once "$tmp/o" "issue 14: held across runs"

# ---------------------------------------------------------------- a page out of order
fresh '{"path": "'$path'", "nth": [2, 5], "fault": "disorder"}'
hf x herd >"$tmp/o" 2>"$tmp/e"
check "issue 14: pages in reverse order: exit $?" [ $? -eq 0 ]
once "$tmp/o" "issue 14: pages in reverse order"
check "issue 14: said, not dropped: $(grep -m1 'not newest' "$tmp/e")" \
	grep -q '^herd-fetch: x herd page 2: 9 items newer than items already written (the API.s order is not newest first here); written, not dropped$' "$tmp/e"

# ---------------------------------------------------------------- kill -9
fresh '{"path": "'$path'", "nth": [4], "fault": "hang"}'
rm -f "$tmp/port.hung"
: >"$tmp/o1"
hf_bg "$tmp/o1" x herd
pid=$!
for _ in $(seq 100); do
	[ -e "$tmp/port.hung" ] && break
	sleep 0.05
done
{ kill -9 "$pid" && wait "$pid"; } 2>/dev/null
check "kill -9 while page 4 is asked: 3 pages were written ($(grep -c . "$tmp/o1"))" [ "$(grep -c . "$tmp/o1")" -eq 30 ]
reconfig "$(config 0)"
hf x herd >"$tmp/o2" 2>"$tmp/e"
cat "$tmp/o1" "$tmp/o2" >"$tmp/o"
once "$tmp/o" "kill -9 mid-request, then the next run"

# Killed at random moments while pages come slowly (0.1 s each).
slow=
for i in $(seq 1 12); do slow="$slow${slow:+, }{\"path\": \"$path\", \"nth\": [$i], \"fault\": \"slow\", \"seconds\": 0.1}"; done
fresh "$slow"
: >"$tmp/o"
for k in 1 2 3; do
	reconfig "$(config 0 "$slow")"
	hf_bg "$tmp/o" x herd
	pid=$!
	sleep "0.$((RANDOM % 4 + 1))"
	{ kill -9 "$pid" && wait "$pid"; } 2>/dev/null
done
hf x herd >>"$tmp/o" 2>"$tmp/e"
n=$(grep -c . "$tmp/o")
u=$(jq -r .item.id "$tmp/o" | sort -u | wc -l)
check "three kill -9 at random, then a run: no tweet lost ($u of $N), $((n - u)) repeated (at most a page per kill)" \
	[ "$u" -eq "$N" -a $((n - u)) -le 30 ]

# ---------------------------------------------------------------- published during an unfinished run
rm -f "$tmp"/state.db*
reconfig "$(config 20)"
hf x herd --max-pages 3 >"$tmp/o1" 2>"$tmp/e"
check "--max-pages 3: 30 of the 78 visible tweets, exit $?: $(head -1 "$tmp/e")" [ "$(grep -c . "$tmp/o1")" -eq 30 ]
check "--max-pages 3: says the next run goes on" grep -q 'stopped after 3 pages (--max-pages); the next run goes on from there' "$tmp/e"
reconfig "$(config 0)"
hf x herd --max-pages 3 >"$tmp/o2" 2>"$tmp/e"
hf x herd --max-pages 3 >"$tmp/o3" 2>"$tmp/e"
hf x herd --max-pages 3 >"$tmp/o4" 2>"$tmp/e"
cat "$tmp"/o[1-4] >"$tmp/o"
once "$tmp/o" "20 published while a run was unfinished"

check "no secret in any output: $(no_secrets "$tmp"/o* "$tmp/e" "$sleeps")" no_secrets "$tmp"/o* "$tmp/e" "$sleeps"
result
