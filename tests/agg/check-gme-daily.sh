#!/usr/bin/env bash
# check-gme-daily.sh — the Reddit ticker dump through herd-import, herd-score
# (when built) and herd-aggregate --window 1d, checked against numbers that
# sqlite3 computes on its own from the same CSV files (issue 2, "Done when":
# the daily GME mention counts match a plain count of the CSV rows):
#   1. GME posts per day and per subreddit == CSV rows with ticker GME;
#   2. the daily mean polarity == sqlite's avg(compound) over those rows,
#      within the printed precision (the CSV's VADER compound is copied);
#   3. scored by herd-score --model vader: the same counts, and every post
#      has a polarity (sentiment.n == posts);
#   4. 4 shards aggregated with --partial and merged in reverse order are
#      byte-identical to one pass (1h and 1d windows).
# Exit 77 (skip) when ../shared/data or sqlite3 is absent.
set -u
export LC_ALL=C
: "${HERD_BIN:?}" "${SHARED:?}"
D=$SHARED/reddit-ticker-comments-2021-01/daily_data
[ -d "$D" ] || { echo "skip: $D absent"; exit 77; }
command -v sqlite3 >/dev/null || { echo "skip: sqlite3 (the CLI) not installed"; exit 77; }

# Tolerance for check 2: means are printed with 6 decimals (AGG_PRINT_DIGITS),
# so herd's value is within half a unit of the 6th decimal of the true mean;
# sqlite's avg() is a double sum, off by far less.
MEAN_TOL=0.0000005

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
passed=0 failed=0
check() { # name status
	if [ "$2" -eq 0 ]; then
		passed=$((passed + 1))
		echo "ok   $1"
	else
		failed=$((failed + 1))
		echo "FAIL $1"
	fi
}

# Independent reference: every CSV into one table, with day and subreddit
# from the file name (sqlite's CSV reader handles the quoted newlines).
{
	echo "create table rows(day, sub, idx, ticker, comment, neg, neu, pos, compound);"
	echo "create table t(idx, ticker, comment, neg, neu, pos, compound);"
	for f in "$D"/*_comments.csv; do
		b=${f##*/}
		day=${b%%_*}
		sub=${b#*_}
		sub=${sub%_comments.csv}
		echo ".import --csv --skip 1 '$f' t"
		echo "insert into rows select '$day', '$sub', * from t; delete from t;"
	done
} | sqlite3 ref.db || { echo "FAIL sqlite3 import"; exit 1; }
sqlite3 -separator ' ' ref.db \
	"select day, sub, count(*) from rows where ticker = 'GME' group by day, sub order by day, sub" > ref-counts.txt
sqlite3 -separator ' ' ref.db \
	"select day, printf('%.9f', avg(compound)) from rows where ticker = 'GME' group by day order by day" > ref-means.txt
total=$(sqlite3 ref.db "select count(*) from rows")
echo "reference: $total CSV rows, $(wc -l < ref-counts.txt) (day, subreddit) GME counts"

"$HERD_BIN"/herd-import --source reddit --date-from-filename --community-from-filename '^[0-9-]+_([a-z]+)_' \
	--map text=comment,entities=ticker,vader.compound=compound "$D"/*_comments.csv > posts.ndjson
check "herd-import: every CSV row is a post ($total)" $(( $(wc -l < posts.ndjson) != total ))

# herd's side, read back with sqlite's JSON functions (no jq needed).
agg_counts() { # agg.ndjson -> "day sub count" lines for GME
	sed '1s/^/[/; $!s/$/,/; $s/$/]/' "$1" > "$1.json"
	sqlite3 -separator ' ' :memory: "select substr(json_extract(a.value, '$.start'), 1, 10), substr(s.key, 8), s.value
		from json_each(readfile('$1.json')) a, json_each(json_extract(a.value, '$.sources')) s
		where json_extract(a.value, '$.entity') = 'GME' order by 1, 2"
}
agg_means() {
	sqlite3 -separator ' ' :memory: "select substr(json_extract(value, '$.start'), 1, 10), json_extract(value, '$.sentiment.mean')
		from json_each(readfile('$1.json')) where json_extract(value, '$.entity') = 'GME' order by 1"
}

"$HERD_BIN"/herd-aggregate --window 1d posts.ndjson > agg.ndjson
agg_counts agg.ndjson > herd-counts.txt
diff ref-counts.txt herd-counts.txt
check "GME posts per day and subreddit == CSV rows (unscored)" $?
awk 'NR == FNR { ref[$1] = $2; next }
	{ seen[$1] = 1; d = $2 - ref[$1]; if (d < 0) d = -d
	  if (!($1 in ref) || d > tol) { print "mean " $1 ": herd " $2 ", sqlite " ref[$1]; bad = 1 } }
	END { for (k in ref) if (!(k in seen)) { print "mean " k ": missing in herd"; bad = 1 }; exit bad }' \
	tol=$MEAN_TOL ref-means.txt <(agg_means agg.ndjson)
check "GME daily mean compound == sqlite avg(compound) within $MEAN_TOL" $?
echo "GME per day (herd):"
awk '{ n[$1] += $3 } END { for (d in n) print "  " d, n[d] }' herd-counts.txt | sort

if [ -x "$HERD_BIN"/herd-score ] && echo '{"kind":"post","text":"good"}' | "$HERD_BIN"/herd-score -q --model vader >/dev/null 2>&1; then
	"$HERD_BIN"/herd-score -q --model vader posts.ndjson > scored.ndjson
	check "herd-score --model vader scores every post" $(( $(wc -l < scored.ndjson) != total ))
	"$HERD_BIN"/herd-aggregate --window 1d scored.ndjson > scored-agg.ndjson
	agg_counts scored-agg.ndjson | diff ref-counts.txt -
	check "GME posts per day and subreddit == CSV rows (scored)" $?
	sqlite3 :memory: "select count(*) from json_each(readfile('scored-agg.ndjson.json'))
		where json_extract(value, '$.sentiment.n') is not json_extract(value, '$.posts')" | grep -qx 0
	check "scored: every post has a polarity (sentiment.n == posts)" $?
else
	echo "skip herd-score --model vader (not built or no lexicon): aggregating unscored posts only"
fi

# Shards: round-robin over 4 files, partials in parallel, merged in reverse.
"$HERD_BIN"/herd-aggregate --window 1h,1d posts.ndjson > one.ndjson
split -n r/4 posts.ndjson shard_
for s in shard_a?; do "$HERD_BIN"/herd-aggregate --partial --window 1h,1d "$s" > "$s.part" & done
wait
cat $(ls shard_a?.part | sort -r) | "$HERD_BIN"/herd-aggregate --merge > merged.ndjson
cmp one.ndjson merged.ndjson
check "4 shards + merge == one pass, byte for byte ($(wc -l < one.ndjson) agg records)" $?

echo "RESULT $passed passed, $failed failed"
[ "$failed" -eq 0 ]
