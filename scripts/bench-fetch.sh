#!/usr/bin/env bash
# bench-fetch.sh — herd-fetch against its peers, in the same run:
#
#   scripts/bench-fetch.sh [R]     (R copies of the recorded bodies, default 200)
#
# 1. Replay: the four recorded Reddit listings (../shared/data/api-fixtures/
#    reddit, 308 things) repeated R times as NDJSON of bodies, turned into
#    raw records by `herd-fetch reddit --replay` and by jq -c doing the same
#    (one raw record per thing, the same fields). Best of 3, wall and CPU.
# 2. Paging: X recent search on the fixture server (tests/fetch/
#    fixture-server.py, Tweepy's 98-tweet timeline one tweet a page: 98
#    requests) fetched by herd-fetch (one connection, cursors committed per
#    page) and by a shell loop of curl | jq following next_token (a process
#    and a connection per page): what the per-request overhead is, with the
#    fake server's own time in both.
# Timings on a shared machine are noisy: compare within one run.
set -eu
export LC_ALL=C
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${HERD_BIN:-$top/bin}
shared=${SHARED:-$(cd "$top/.." && pwd)/shared/data}
copies=${1:-200}
F=$shared/api-fixtures
[ -d "$F" ] || { echo "bench-fetch: $F absent" >&2; exit 1; }
for c in jq curl python3 /usr/bin/time; do
	command -v "$c" >/dev/null || { echo "bench-fetch: $c not found" >&2; exit 1; }
done
[ -x "$bin/herd-fetch" ] || { echo "bench-fetch: $bin/herd-fetch missing (make)" >&2; exit 1; }
tmp=$(mktemp -d)
server=
trap '[ -z "$server" ] || kill "$server" 2>/dev/null; rm -rf "$tmp"' EXIT
# shellcheck source=scripts/bench-lib.sh
. "$top/scripts/bench-lib.sh"

# ---------------------------------------------------------------- replay
for f in "$F"/reddit/*.json; do jq -c . "$f"; done >"$tmp/bodies1"
for _ in $(seq "$copies"); do cat "$tmp/bodies1"; done >"$tmp/bodies.ndjson"
bytes=$(wc -c <"$tmp/bodies.ndjson")
now=2021-01-27T14:05:00Z
read -r hs hkb hcpu < <(bench_best "$bin/herd-fetch" reddit --replay --now "$now" "$tmp/bodies.ndjson")
hn=$(grep -c . "$tmp/out")
read -r js jkb jcpu < <(bench_best jq -c --arg now "$now" \
	'.data.children[] | select(.kind == "t1" or .kind == "t3") | {kind: "raw", source: "reddit", fetched_at: $now, query: .data.subreddit, item: .}' \
	"$tmp/bodies.ndjson")
jn=$(grep -c . "$tmp/out")
[ "$hn" -eq "$jn" ] || { echo "bench-fetch: herd wrote $hn records, jq $jn" >&2; exit 1; }
echo "replay: $copies x 4 recorded Reddit listings, $hn things, $((bytes / 1000000)) MB"
awk -v s="$hs" -v c="$hcpu" -v kb="$hkb" -v n="$hn" -v b="$bytes" 'BEGIN { printf "  herd-fetch --replay  %6.2f s  %6.2f s CPU  %7.0f things/s  %5.1f MB/s  %4d MB RSS\n", s, c, n / s, b / s / 1e6, kb / 1024 }'
awk -v s="$js" -v c="$jcpu" -v kb="$jkb" -v n="$jn" -v b="$bytes" 'BEGIN { printf "  jq -c                %6.2f s  %6.2f s CPU  %7.0f things/s  %5.1f MB/s  %4d MB RSS\n", s, c, n / s, b / s / 1e6, kb / 1024 }'
awk -v h="$hs" -v j="$js" 'BEGIN { printf "  herd-fetch / jq wall: %.2fx faster\n", j / h }'

# ---------------------------------------------------------------- paging
cat >"$tmp/config.json" <<JSON
{"datasets": {"x:herd": {"file": "$F/x-twitter-v2/test_client_get_home_timeline.1.json"}}, "page_size": {"x": 1},
 "secrets": {"x_bearer": "bench-bearer-token"}}
JSON
python3 "$top/tests/fetch/fixture-server.py" "$tmp/config.json" "$tmp/port" "$tmp/log" &
server=$!
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
url=http://127.0.0.1:$(cat "$tmp/port")
export X_BEARER_TOKEN=bench-bearer-token
herd_pages() {
	rm -f "$tmp"/state.db*
	"$bin/herd-fetch" x herd --state "$tmp/state.db" --base-url "$url" --max-pages 200
}
curl_pages() {
	local tok="" q
	while :; do
		q="query=herd&max_results=100${tok:+&next_token=$tok}"
		curl -s -H "Authorization: Bearer $X_BEARER_TOKEN" "$url/2/tweets/search/recent?$q" >"$tmp/page"
		jq -c '.data[]? | {kind: "raw", source: "x", item: .}' "$tmp/page"
		tok=$(jq -r '.meta.next_token // empty' "$tmp/page")
		[ -n "$tok" ] || break
	done
}
export -f curl_pages
export tmp url
read -r ps _ pcpu < <(bench_best bash -c "$(declare -f herd_pages); bin=$bin; herd_pages")
pn=$(grep -c . "$tmp/out")
read -r cs _ ccpu < <(bench_best bash -c curl_pages)
cn=$(grep -c . "$tmp/out")
[ "$pn" -eq 98 ] && [ "$cn" -eq 98 ] || { echo "bench-fetch: paging wrote $pn (herd) and $cn (curl) items, not 98" >&2; exit 1; }
echo "paging: 98 pages of one tweet from the local fake X API"
awk -v s="$ps" -v c="$pcpu" 'BEGIN { printf "  herd-fetch           %6.2f s  %6.2f s CPU (client)  %5.1f ms a page\n", s, c, s / 98 * 1000 }'
awk -v s="$cs" -v c="$ccpu" 'BEGIN { printf "  curl | jq loop       %6.2f s  %6.2f s CPU (client)  %5.1f ms a page\n", s, c, s / 98 * 1000 }'
echo "  connections: herd-fetch $(jq -r .port "$tmp/log" | head -294 | tail -98 | sort -u | wc -l) for its 98 pages (the third run)"
