#!/usr/bin/env bash
# check-reddit.sh — herd-fetch reddit against the fixture server serving
# PRAW's recorded listings (../shared/data/api-fixtures/reddit: /r/AskReddit
# new, 100 submissions; comments, 100 comments) 25 a page:
#   - one application-only token (basic auth), cached in the state file and
#     reused by the next run; a refused token (401) is renewed once;
#   - an unknown subreddit (404): exit 1, a hint after the API's message;
#   - every item of both listings once; re-runs write only what was
#     published since (30 held back, then shown); nothing new: nothing;
#   - the raw items are the recorded things verbatim, and herd-normalize
#     makes 200 unique posts of them; --replay of the recorded file gives the
#     same raw items as the live fetch;
#   - one connection for all requests, gzip, a User-Agent naming herd;
#   - a page repeating an item, and X-Ratelimit-Remaining 0 (the wait its
#     Reset asks for is taken), change nothing in what is written;
#   - the client id, secret and token never appear in any output.
# Prints "RESULT N passed, N failed".
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-fetch.sh"
need_fetch

new=$F/reddit/TestSubredditListings.test_new.1.json
com=$F/reddit/TestSubredditListings.test_comments.1.json
config() { # HIDE [FAULTS]
	cat <<EOF
{"datasets": {"reddit:AskReddit/new": {"file": "$new", "hide": $1},
              "reddit:AskReddit/comments": {"file": "$com"}},
 "page_size": {"reddit": 25}, "gzip": true, $SECRETS_JSON,
 "faults": [${2:-}]}
EOF
}
serve "$(config 30)"

# ---------------------------------------------------------------- run 1
hf reddit AskReddit >"$tmp/r1" 2>"$tmp/e1"
rc=$?
check "run 1 exits 0 (got $rc): $(head -3 "$tmp/e1")" [ "$rc" -eq 0 ]
check "run 1 writes 70 submissions and 100 comments (got $(grep -c '"kind":"t3"' "$tmp/r1")/$(grep -c '"kind":"t1"' "$tmp/r1"))" \
	[ "$(grep -c '"kind":"t3"' "$tmp/r1")" -eq 70 -a "$(grep -c '"kind":"t1"' "$tmp/r1")" -eq 100 ]
check "run 1 is quiet on stderr: $(head -3 "$tmp/e1")" [ ! -s "$tmp/e1" ]
check "raw records: kind, source, fetched_at, query, item" \
	[ "$(jq -c 'select(.kind == "raw" and .source == "reddit" and .query == "AskReddit" and (.fetched_at | test("^[0-9-]{10}T[0-9:]{8}Z$")) and (.item.data.id | type) == "string") | 1' "$tmp/r1" | grep -c .)" -eq 170 ]
check "one token request, with basic auth" [ "$(reqs '.path == "/api/v1/access_token" and .method == "POST" and .headers.authorization == "<present>"')" -eq 1 ]
check "listings paged 25 at a time: 3 pages of new, 4 of comments (+1 to see the end)" \
	[ "$(reqs '.path == "/r/AskReddit/new"')" -eq 3 -a "$(reqs '.path == "/r/AskReddit/comments"')" -eq 4 ]
check "every request sends the bearer token" [ "$(reqs '(.path | startswith("/r/")) and .headers.authorization != "<present>"')" -eq 0 ]
check "User-Agent names herd-fetch and its version" \
	[ "$(reqs ".headers[\"user-agent\"] | startswith(\"herd-fetch/$(cat "$top/VERSION") \")")" -eq "$(reqs 'true')" ]
check "gzip is asked for" [ "$(reqs '.headers["accept-encoding"] | test("gzip")')" -eq "$(reqs 'true')" ]
check "one connection for every request (keep-alive)" [ "$(jq -r .port "$log" | sort -u | wc -l)" -eq 1 ]

# ---------------------------------------------------------------- run 2, 3
reconfig "$(config 0)"
hf reddit AskReddit >"$tmp/r2" 2>"$tmp/e2"
rc=$?
check "run 2 exits 0 (got $rc): $(head -3 "$tmp/e2")" [ "$rc" -eq 0 ]
check "run 2 writes the 30 submissions published since, nothing else (got $(grep -c . "$tmp/r2"))" \
	[ "$(grep -c '"kind":"t3"' "$tmp/r2")" -eq 30 -a "$(grep -c . "$tmp/r2")" -eq 30 ]
check "run 2 reuses the cached token" [ "$(reqs '.path == "/api/v1/access_token"')" -eq 1 ]
cat "$tmp/r1" "$tmp/r2" >"$tmp/all"
check "runs 1+2: the raw items are the recorded things, verbatim" \
	cmp -s <(jq -c '.data.children[]' "$new" "$com" | sort) <(jq -c .item "$tmp/all" | sort)
check "runs 1+2: every item once (200 items, $(ids "$tmp/all" .item.data.name | uniq -d | wc -l) repeated)" \
	[ "$(ids "$tmp/all" .item.data.name | uniq | wc -l)" -eq 200 -a "$(grep -c . "$tmp/all")" -eq 200 ]
n=$(reqs 'true')
hf reddit AskReddit >"$tmp/r3" 2>"$tmp/e3"
check "run 3, nothing new: nothing written, exit $?" [ ! -s "$tmp/r3" ]
check "run 3 asks one page per listing" [ "$(($(reqs 'true') - n))" -eq 2 ]
check "the cursors are in the state file" \
	[ "$(q "$tmp/state.db" "SELECT count(*) FROM cursors WHERE source = 'reddit' AND cursor LIKE '{\"hwm\":%'")" -eq 2 ]
check "fetch_sources has a last success per listing" \
	[ "$(q "$tmp/state.db" "SELECT count(*) FROM fetch_sources WHERE source = 'reddit' AND last_success IS NOT NULL AND last_error IS NULL AND expected_interval_s = 3600")" -eq 2 ]

# ---------------------------------------------------------------- normalize, replay
"$bin/herd-normalize" -q "$tmp/all" >"$tmp/posts"
check "herd-normalize: 200 posts, 200 ids" [ "$(grep -c '"kind":"post"' "$tmp/posts")" -eq 200 -a "$(ids "$tmp/posts" .id | uniq | wc -l)" -eq 200 ]
check "herd-normalize: 100 submissions of r/AskReddit with their titles" \
	[ "$(jq -c 'select(.type == "submission" and .community == "AskReddit" and (.title | length) > 0)' "$tmp/posts" | grep -c .)" -eq 100 ]
"$bin/herd-fetch" reddit --replay --query AskReddit "$new" "$com" >"$tmp/replay" 2>"$tmp/ereplay"
check "--replay of the recorded files: the same raw items as the live runs" \
	cmp -s <(jq -c .item "$tmp/replay" | sort) <(jq -c .item "$tmp/all" | sort)
check "--replay: the same query" [ "$(jq -r .query "$tmp/replay" | sort -u)" = AskReddit ]

# ---------------------------------------------------------------- faults
# A refused token (401 on page 2): a new token, the page again, nothing lost.
rm -f "$tmp"/state.db*
reconfig "$(config 0 '{"path": "/r/AskReddit/new", "nth": [2], "fault": "expire_token"}')"
hf reddit AskReddit --listing new >"$tmp/r4" 2>"$tmp/e4"
rc=$?
check "expired token: exit 0 (got $rc): $(head -3 "$tmp/e4")" [ "$rc" -eq 0 ]
check "expired token: a second token was asked for" [ "$(reqs '.path == "/api/v1/access_token"')" -eq 3 ]
check "expired token: the 100 submissions once ($(grep -c . "$tmp/r4"))" \
	[ "$(ids "$tmp/r4" .item.data.name | uniq | wc -l)" -eq 100 -a "$(grep -c . "$tmp/r4")" -eq 100 ]
check "expired token: the refusal is said: $(head -2 "$tmp/e4")" grep -q "token was refused (HTTP 401)" "$tmp/e4"

# A page that repeats the last item of the page before it.
rm -f "$tmp"/state.db*
reconfig "$(config 0 '{"path": "/r/AskReddit/new", "nth": [2, 3, 4], "fault": "repeat"}')"
hf reddit AskReddit --listing new >"$tmp/r5" 2>"$tmp/e5"
check "repeating pages: the 100 submissions once ($(grep -c . "$tmp/r5") written)" \
	[ "$(ids "$tmp/r5" .item.data.name | uniq | wc -l)" -eq 100 -a "$(grep -c . "$tmp/r5")" -eq 100 ]

# X-Ratelimit-Remaining: 0 with Reset: 7 (seconds): the next request waits 7 s.
rm -f "$tmp"/state.db* "$sleeps"
reconfig "$(config 0 '{"path": "/r/AskReddit/new", "nth": [1], "fault": "ratelimit", "seconds": 7}')"
hf reddit AskReddit --listing new >"$tmp/r6" 2>"$tmp/e6"
check "rate-limit headers: the next request waited the reset ($(cat "$sleeps" 2>/dev/null))" \
	awk '/^sleep [0-9.]+ reddit AskReddit\/new: x-ratelimit-remaining: 0.0, x-ratelimit-reset: 7$/ { n++; ok = $2 > 6.5 && $2 <= 7 } END { exit !(ok && n == 1 && NR == 1) }' "$sleeps"
check "rate-limit headers: the 100 submissions once" [ "$(ids "$tmp/r6" .item.data.name | uniq | wc -l)" -eq 100 -a "$(grep -c . "$tmp/r6")" -eq 100 ]

# ---------------------------------------------------------------- secrets and usage
check "no secret in any output: $(no_secrets "$tmp"/r? "$tmp"/e? "$tmp/replay" "$tmp/ereplay" "$sleeps")" \
	no_secrets "$tmp"/r? "$tmp"/e? "$tmp/replay" "$tmp/ereplay" "$sleeps"
REDDIT_CLIENT_SECRET= hf reddit AskReddit >"$tmp/out" 2>"$tmp/err"
rc=$?
check "no client secret: exit 2 (got $rc)" [ "$rc" -eq 2 ]
check "no client secret: says which variables: $(cat "$tmp/err")" \
	grep -q "^herd-fetch: reddit: REDDIT_CLIENT_ID and REDDIT_CLIENT_SECRET (or their _FILE forms) must be set" "$tmp/err"
printf 'herd-test-secret-9c2e\n' >"$tmp/secret"
REDDIT_CLIENT_SECRET= REDDIT_CLIENT_SECRET_FILE=$tmp/secret hf reddit AskReddit --listing new >"$tmp/out" 2>"$tmp/err"
check "REDDIT_CLIENT_SECRET_FILE is read (exit $?): $(head -2 "$tmp/err")" [ $? -eq 0 ]
hf reddit NoSuchSub --listing new >"$tmp/out" 2>"$tmp/err"
rc=$?
check "an unknown subreddit: exit 1 (got $rc)" [ "$rc" -eq 1 ]
check "an unknown subreddit: the API's answer and a hint: $(head -1 "$tmp/err")" \
	grep -q "^herd-fetch: reddit NoSuchSub/new: HTTP 404: .* (a private, banned or misspelt subreddit?)$" "$tmp/err"
result
