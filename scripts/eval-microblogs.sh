#!/bin/sh
# eval-microblogs.sh — out-of-domain accuracy of BERT models on the
# SemEval-2017 Task 5 microblogs (../shared/data/semeval2017-task5-microblogs:
# StockTwits and Twitter messages scored by analysts in [-1, 1]), which no
# herd model is trained or tuned on: the share of messages with a non-zero
# gold score whose herd score (P(positive) - P(negative)) has the same sign
# ("sign agreement"), per source and overall.
#
#   scripts/eval-microblogs.sh MODEL_DIR...
#
# Prints one line per model: name, messages, sign agreement (StockTwits,
# Twitter, all). Needs jq and bin/herd-score; exit 77 without the data.
set -eu
cd "$(dirname "$0")/.."
data=${SHARED:-../shared/data}/semeval2017-task5-microblogs
[ -d "$data" ] || { echo "skip: $data absent"; exit 77; }
[ $# -ge 1 ] || { echo "usage: eval-microblogs.sh MODEL_DIR..." >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# the messages as posts: StockTwits' body, Twitter's text; gold score kept aside
{
	jq -c '.[] | select(.message | type == "object") | {kind: "post", id: ("st:" + (.id | tostring)), text: .message.body,
		gold: (."sentiment score" | tonumber), src: "stocktwits"}' "$data/Microblog_Trainingdata-stocktwits_full.json"
	jq -c '.[] | select(.text != null) | {kind: "post", id: ("tw:" + (.id | tostring)), text: .text,
		gold: (."sentiment score" | tonumber), src: "twitter"}' "$data/Microblog_Trainingdata-twitter_full.json"
} | jq -c 'select(.gold != 0 and (.text | length) > 0)' >"$tmp/posts.ndjson"
printf '%-28s %6s %10s %10s %10s\n' model n stocktwits twitter all
for m in "$@"; do
	bin/herd-score --model "$m" "$tmp/posts.ndjson" 2>/dev/null |
		jq -r '[.src, .gold, .sentiment.score] | @tsv' |
		awk -v name="$(basename "$m")" -F'\t' '
			{ n[$1]++; ok = ($2 > 0 && $3 > 0) || ($2 < 0 && $3 < 0); a[$1] += ok; N++; A += ok }
			END { printf "%-28s %6d %10.4f %10.4f %10.4f\n", name, N, a["stocktwits"] / n["stocktwits"],
				a["twitter"] / n["twitter"], A / N }'
done
