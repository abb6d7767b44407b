#!/usr/bin/env bash
# check-wikipedia.sh — herd-fetch wikipedia against the fixture server
# serving per-article daily pageviews (tests/fetch/fixtures/wikipedia-per-
# article-GameStop.json: the documented shape, counts invented, since no
# real per-article response was found), 2021-01-20..31:
#   - SYMBOL=Article_title queries, or SYMBOL looked up in --articles FILE;
#   - whole days only, up to yesterday; the next run asks from the day
#     after the last one written, and asks nothing when no day is complete;
#     a range with no data yet (404) writes nothing and is no failure;
#   - herd-normalize: one pageviews metric per day for the symbol;
#   - HERD_CONTACT goes into the User-Agent, as Wikimedia asks;
#   - an unknown symbol: exit 1, said.
# Prints "RESULT N passed, N failed".
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-fetch.sh"
need_fetch

serve "$(cat <<JSON
{"datasets": {"wikipedia:GameStop": {"file": "$FX/wikipedia-per-article-GameStop.json"}}, "gzip": true, $SECRETS_JSON}
JSON
)"
per=/metrics/pageviews/per-article/en.wikipedia/all-access/user

HERD_CONTACT=ops@example.org hf wikipedia GME=GameStop --now 2021-01-25T12:00:00Z --since 2021-01-20 >"$tmp/o1" 2>"$tmp/e1"
rc=$?
check "run 1: exit 0 (got $rc): $(head -2 "$tmp/e1")" [ "$rc" -eq 0 ]
check "run 1 asks 2021-01-20 to yesterday, 2021-01-24" [ "$(reqs ".path == \"$per/GameStop/daily/20210120/20210124\"")" -eq 1 ]
check "run 1: the 5 days, query GME" [ "$(jq -c 'select(.query == "GME")' "$tmp/o1" | grep -c .)" -eq 5 ]
check "HERD_CONTACT is in the User-Agent" [ "$(reqs '.headers["user-agent"] | test("ops@example.org")')" -eq 1 ]
printf '# test\nGME\tGameStop\n' >"$tmp/articles.tsv"
hf wikipedia GME --articles "$tmp/articles.tsv" --now 2021-02-05T08:00:00Z >"$tmp/o2" 2>"$tmp/e2"
check "run 2 (SYMBOL from --articles) asks from the day after the last one written" \
	[ "$(reqs ".path == \"$per/GameStop/daily/20210125/20210204\"")" -eq 1 ]
check "run 2: the 7 days there are ($(grep -c . "$tmp/o2"))" [ "$(grep -c . "$tmp/o2")" -eq 7 ]
n=$(reqs true)
hf wikipedia GME --articles "$tmp/articles.tsv" --now 2021-02-01T20:00:00Z >"$tmp/o3" 2>"$tmp/e3"
check "yesterday already written: no request, nothing written (exit $?)" [ "$(reqs true)" -eq "$n" -a ! -s "$tmp/o3" ]
hf wikipedia GME --articles "$tmp/articles.tsv" --now 2021-02-07T20:00:00Z >"$tmp/o4" 2>"$tmp/e4"
rc=$?
check "no data yet for the new days (404): nothing written, exit 0 (got $rc)" \
	[ "$rc" -eq 0 -a ! -s "$tmp/o4" -a "$(reqs ".status == 404 and .path == \"$per/GameStop/daily/20210201/20210206\"")" -eq 1 ]
hf wikipedia GME --articles "$tmp/articles.tsv" --now 2021-02-07T21:00:00Z >"$tmp/o4" 2>"$tmp/e4"
check "... and those days are asked again by the next run" [ "$(reqs ".path == \"$per/GameStop/daily/20210201/20210206\"")" -eq 2 ]
cat "$tmp/o1" "$tmp/o2" >"$tmp/all"
"$bin/herd-normalize" -q "$tmp/all" >"$tmp/m"
check "herd-normalize: 12 daily pageviews of GME" \
	[ "$(jq -c 'select(.kind == "metric" and .source == "wikipedia" and .entity == "GME" and .name == "pageviews" and .interval == "1d")' "$tmp/m" | grep -c .)" -eq 12 ]
check "herd-normalize: 2021-01-27's count" [ "$(jq -c 'select(.at == "2021-01-27T00:00:00Z") | .value' "$tmp/m")" = 401322 ]
hf wikipedia XYZ --articles "$tmp/articles.tsv" >"$tmp/o5" 2>"$tmp/e5"
rc=$?
check "an unknown symbol: exit 1 (got $rc): $(head -1 "$tmp/e5")" \
	grep -q '^herd-fetch: wikipedia XYZ: no article: give XYZ=Article_title or list it in --articles FILE$' "$tmp/e5"
"$bin/herd-fetch" wikipedia --replay --query GME "$FX/wikipedia-per-article-GameStop.json" | "$bin/herd-normalize" -q >"$tmp/r"
check "--replay --query GME: the same metrics for the same days" cmp -s "$tmp/m" <(jq -c 'select(.at < "2021-02-01")' "$tmp/r")
"$bin/herd-fetch" wikipedia --replay "$F/wikipedia-pageviews/top-per-country_US_all-access_2023-11-19.json" >/dev/null 2>"$tmp/e6"
check "--replay of a top-articles response: refused, said: $(cat "$tmp/e6")" grep -q 'not a per-article pageviews response (a top-articles list)' "$tmp/e6"
result
