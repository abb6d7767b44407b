#!/usr/bin/env bash
# bench-normalize.sh — herd-normalize's throughput against jq doing a
# comparable reshaping of the same input, in the same run (DESIGN.md §9
# names jq as the peer for NDJSON transformations).
#
#   scripts/bench-normalize.sh [R]     (R copies of the real comments, default 40)
#
# Input: ../shared/data/wsb-early2021-esbenkc/wallstreetbets_comments.ndjson
# (1,200 raw Pushshift comments, 1.18 MB) repeated R times. Timed (best of 3,
# wall clock and user+sys CPU, peak RSS from /usr/bin/time):
#   1. herd-normalize --source reddit                 (default: precision mode)
#   2. herd-normalize --source reddit --entities recall
#   3. herd-normalize --source reddit --entities none (reshaping only)
#   4. jq -c: the same post record (every key, the time formatted, &amp; &lt;
#      &gt; decoded, deleted markers, url, parent) with entities from cashtags
#      plus upper-case words looked up in the same tickers.tsv and stoplist.txt
#      (what herd does without aliases, URLs, class suffixes or context: herd
#      does more work than this peer).
# Also checks that jq and herd write the same number of posts.
# Timings on a shared machine are noisy: compare within one run.
set -eu
export LC_ALL=C
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${HERD_BIN:-$top/bin}
shared=${SHARED:-$(cd "$top/.." && pwd)/shared/data}
copies=${1:-40}
src=$shared/wsb-early2021-esbenkc/wallstreetbets_comments.ndjson
dict=$top/data/entities
[ -f "$src" ] || { echo "bench-normalize: $src absent" >&2; exit 1; }
command -v jq >/dev/null || { echo "bench-normalize: jq not found" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench-normalize: /usr/bin/time not found (Debian package time)" >&2; exit 1; }
[ -x "$bin/herd-normalize" ] || { echo "bench-normalize: $bin/herd-normalize missing (make)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=scripts/bench-lib.sh
. "$top/scripts/bench-lib.sh"

for _ in $(seq "$copies"); do cat "$src"; done > "$tmp/in.ndjson"
bytes=$(wc -c < "$tmp/in.ndjson")
lines=$(wc -l < "$tmp/in.ndjson")
mb=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }')
echo "input: $lines comments, $mb MB ($copies copies of wallstreetbets_comments.ndjson)"

# The dictionary as one JSON object for jq: {"tickers":{"GME":true,…},"stop":{…}}.
{
	grep -v '^#' "$dict/tickers.tsv" | cut -f1 | jq -R '{(.): true}' | jq -s 'add | {tickers: .}'
	grep -v '^#' "$dict/stoplist.txt" | jq -R '{(.): true}' | jq -s 'add | {stop: .}'
} | jq -s 'add' > "$tmp/dict.json"

cat > "$tmp/peer.jq" <<'JQ'
($d[0].tickers) as $t | ($d[0].stop) as $s |
def decode: gsub("&amp;"; "&") | gsub("&lt;"; "<") | gsub("&gt;"; ">");
((.body // "") | decode) as $text |
{kind: "post", id: ("reddit:t1_" + (.id | tostring)), source: "reddit", type: "comment",
 community: .subreddit,
 created_at: (.created_utc | tonumber | floor | todate),
 author: (if .author == "[deleted]" then null else .author end),
 title: null,
 text: (if $text == "[deleted]" or $text == "[removed]" then "" else $text end),
 url: (if .permalink then "https://www.reddit.com" + .permalink else null end),
 engagement: {score: (.score // 0), replies: 0},
 entities: ([$text | scan("\\$[A-Za-z]{1,5}(?![A-Za-z0-9])|(?<![A-Za-z0-9$])[A-Z]{2,5}(?![A-Za-z0-9])")]
   | map(if startswith("$") then .[1:] | ascii_upcase
         elif ($t[.] and ($s[.] | not)) then . else empty end) | unique),
 parent: (if .parent_id then "reddit:" + .parent_id else null end),
 lang: null}
JQ

row() { # name seconds kb cpu
	awk -v n="$1" -v s="$2" -v kb="$3" -v c="$4" -v b="$bytes" -v l="$lines" \
		'BEGIN { printf "%-42s %6.2f s wall %7.1f MB/s %8.0f rec/s | %6.2f s CPU %7.1f MB/s | %5.1f MB RSS\n", n, s, b / 1e6 / s, l / s, c, b / 1e6 / c, kb / 1024 }'
}

read -r t1 k1 c1 < <(bench_best "$bin/herd-normalize" -q --source reddit "$tmp/in.ndjson")
herd_posts=$(wc -l < "$tmp/out")
read -r t2 k2 c2 < <(bench_best "$bin/herd-normalize" -q --source reddit --entities recall "$tmp/in.ndjson")
read -r t3 k3 c3 < <(bench_best "$bin/herd-normalize" -q --source reddit --entities none "$tmp/in.ndjson")
read -r t4 k4 c4 < <(bench_best jq -c --slurpfile d "$tmp/dict.json" -f "$tmp/peer.jq" "$tmp/in.ndjson")
jq_posts=$(wc -l < "$tmp/out")

row "herd-normalize (precision entities)" "$t1" "$k1" "$c1"
row "herd-normalize --entities recall" "$t2" "$k2" "$c2"
row "herd-normalize --entities none" "$t3" "$k3" "$c3"
row "jq -c (same record, cashtags+dictionary)" "$t4" "$k4" "$c4"
awk -v h="$t1" -v j="$t4" -v hc="$c1" -v jc="$c4" \
	'BEGIN { printf "herd-normalize is %.1fx jq -c on the same input (wall), %.1fx (CPU)\n", j / h, jc / hc }'
[ "$herd_posts" = "$jq_posts" ] || { echo "bench-normalize: herd wrote $herd_posts posts, jq $jq_posts" >&2; exit 1; }
echo "both wrote $herd_posts posts"
