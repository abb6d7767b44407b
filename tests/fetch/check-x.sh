#!/usr/bin/env bash
# check-x.sh — herd-fetch x (API v2 recent search) against the fixture
# server: Tweepy's recorded search (../shared/data/api-fixtures/x-twitter-v2:
# 10 tweets, default fields only) and, for the fields and expansions herd
# asks for, the project's own sample tweets (data/sample/x.ndjson: all of
# them, with created_at, author_id, public_metrics and their authors)
# served as one search:
#   - the bearer token in Authorization; the fields and the author
#     expansion asked; next_token paging; since_id on re-runs;
#   - each raw record carries its author in "includes", so herd-normalize
#     names the author (not the id) and takes created_at from the tweet; the
#     recorded tweets without created_at get it from their snowflake ids;
#   - x-rate-limit-remaining 0: the next request waits until
#     x-rate-limit-reset (a Unix time);
#   - --replay of the recorded search gives the live run's items;
#   - a refused bearer token (401): exit 1, a hint to check it.
# Prints "RESULT N passed, N failed".
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-fetch.sh"
need_fetch

rec=$F/x-twitter-v2/test_client_search_recent_tweets.1.json
ntweets=$(grep -c . "$top/data/sample/x.ndjson")
visible=$((ntweets - 12)) # the newest 12 are hidden at first
jq -s '{data: map(.item), includes: {users: (map(.includes.users[]) | unique_by(.id))}}' "$top/data/sample/x.ndjson" >"$tmp/sample.json"
config() { # HIDE [FAULTS]
	cat <<JSON
{"datasets": {"x:Tweepy": {"file": "$rec"}, "x:\$GME": {"file": "$tmp/sample.json", "hide": $1}},
 "page_size": {"x": 25}, $SECRETS_JSON, "faults": [${2:-}]}
JSON
}
serve "$(config 12)"

hf x Tweepy >"$tmp/o1" 2>"$tmp/e1"
check "recorded search: exit 0, its 10 tweets ($(grep -c . "$tmp/o1")): $(head -2 "$tmp/e1")" [ "$(grep -c . "$tmp/o1")" -eq 10 ]
check "the bearer token, the fields and the author expansion are asked for" \
	[ "$(reqs '.headers.authorization == "<present>" and .query.expansions == "author_id" and .query["user.fields"] == "username" and (.query["tweet.fields"] | test("created_at") and test("public_metrics")) and .query.max_results == "100"')" -eq 1 ]
"$bin/herd-normalize" -q "$tmp/o1" >"$tmp/p1"
check "recorded tweets: created_at from the snowflake ids" \
	[ "$(jq -r .created_at "$tmp/p1" | head -1)" = 2022-10-07T22:42:12Z ]

hf x '$GME' >"$tmp/o2" 2>"$tmp/e2"
check "sample search: the $visible visible tweets over $(((visible + 24) / 25)) pages ($(grep -c . "$tmp/o2"))" \
	[ "$(grep -c . "$tmp/o2")" -eq $visible -a "$(reqs '.query.query == "$GME"')" -eq $(((visible + 24) / 25)) ]
check "next_token pages" [ "$(reqs '.query.next_token == "tok-25"')" -eq 1 ]
check "each raw record carries its author, alone, in includes" \
	[ "$(jq -c 'select((.includes.users | length) == 1 and .includes.users[0].id == .item.author_id)' "$tmp/o2" | grep -c .)" -eq $visible ]
reconfig "$(config 0)"
hf x '$GME' >"$tmp/o3" 2>"$tmp/e3"
since=$(jq -r 'select(.query.query == "$GME") | .query.since_id' "$log" | tail -1)
check "re-run: since_id is the newest tweet written ($since)" [ "$since" = "$(jq -r .item.id "$tmp/o2" | sort -n | tail -1)" ]
check "re-run: the 12 published since ($(grep -c . "$tmp/o3"))" [ "$(grep -c . "$tmp/o3")" -eq 12 ]
cat "$tmp/o2" "$tmp/o3" >"$tmp/all"
check "runs: the $ntweets sample tweets once, verbatim" cmp -s <(jq -c .item "$top/data/sample/x.ndjson" | sort) <(jq -c .item "$tmp/all" | sort)
"$bin/herd-normalize" -q "$tmp/all" >"$tmp/posts"
check "herd-normalize: $ntweets tweets by username, as the sample's own raw records give" \
	cmp -s <(jq -c '[.id, .author, .created_at, .engagement]' "$tmp/posts" | sort) \
	<("$bin/herd-normalize" -q "$top/data/sample/x.ndjson" | jq -c '[.id, .author, .created_at, .engagement]' | sort)

# x-rate-limit-remaining: 0 → wait until x-rate-limit-reset.
rm -f "$tmp"/state.db* "$sleeps"
reconfig "$(config 0 '{"path": "/2/tweets/search/recent", "nth": [1], "fault": "ratelimit", "seconds": 40}')"
hf x '$GME' >"$tmp/o4" 2>"$tmp/e4"
check "x-rate-limit-reset: the next request waits for it ($(cat "$sleeps"))" \
	awk '/x-rate-limit-remaining: 0, x-rate-limit-reset:/ { ok = $2 > 37 && $2 <= 40 } END { exit !ok }' "$sleeps"
check "x-rate-limit-reset: all $ntweets once" [ "$(jq -r .item.id "$tmp/o4" | sort -u | wc -l)" -eq $ntweets -a "$(grep -c . "$tmp/o4")" -eq $ntweets ]

"$bin/herd-fetch" x --replay --query Tweepy "$rec" >"$tmp/replay"
check "--replay of the recorded search: the live run's records (fetched_at aside)" \
	cmp -s <(jq -c 'del(.fetched_at)' "$tmp/o1") <(jq -c 'del(.fetched_at)' "$tmp/replay")
X_BEARER_TOKEN= hf x Tweepy >/dev/null 2>"$tmp/e5"
check "no bearer token: exit 2 and why: $(cat "$tmp/e5")" grep -q '^herd-fetch: x: X_BEARER_TOKEN (or X_BEARER_TOKEN_FILE) is not set' "$tmp/e5"
X_BEARER_TOKEN=herd-test-wrong-token hf x Tweepy >/dev/null 2>"$tmp/e6"
rc=$?
check "a refused bearer token: exit 1 (got $rc)" [ "$rc" -eq 1 ]
check "a refused bearer token: a hint to check it: $(head -1 "$tmp/e6")" \
	grep -q '^herd-fetch: x Tweepy: HTTP 401: .* (check X_BEARER_TOKEN)$' "$tmp/e6"
check "no secret in any output: $(no_secrets "$tmp"/o? "$tmp"/e? "$tmp/replay" "$sleeps")" no_secrets "$tmp"/o? "$tmp"/e? "$tmp/replay" "$sleeps"
result
