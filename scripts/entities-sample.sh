#!/usr/bin/env bash
# entities-sample.sh — the real comments behind tests/golden/entities-labelled.tsv,
# as Reddit items (NDJSON) that `herd-normalize --source reddit` reads.
#
#   scripts/entities-sample.sh [--text] [SHARED]     (SHARED defaults to ../shared/data)
#
# The sample is fixed by rule, not by taste, so anyone can rebuild it:
#   wsb  150 comments: the 1st, 7th, 13th, … (every 6th) distinct comment of
#        wsb-early2021-esbenkc/wallstreetbets_comments.ndjson (Pushshift, 2020-12-01;
#        its 1,200 lines hold 1,000 distinct ids); id = the comment's own id.
#   rtc  150 comments from reddit-ticker-comments-2021-01/daily_data: in each of
#        2021-01-27_wallstreetbets, 2021-01-22_stocks, 2021-01-26_pennystocks and
#        2021-01-21_investing, the distinct comments of at most 800 bytes in order
#        of first appearance, every Kth of them so that the file gives 38 (37 for
#        investing); id = rtc-<date>-<sub>-<rowid of the first row>. That data set
#        repeats a comment once per "ticker" its own extractor found (HE, ALL, FOR,
#        IT…), which makes it a good precision test.
#   held 60 comments chosen the same way from 2021-01-24_wallstreetbets (30) and
#        2021-01-20_pennystocks (30), labelled after data/entities was frozen:
#        the held-out set, for recall on names the dictionary was not written from.
# With --text it prints "id<TAB>text" (newlines as ⏎) for a person to label.
# Needs jq and sqlite3 (scripts/install-deps.sh installs both).
set -euo pipefail
text=0
[ "${1:-}" = --text ] && { text=1; shift; }
here=$(cd "$(dirname "$0")" && pwd)
shared=${1:-${SHARED:-$here/../../shared/data}}
csvdir=$shared/reddit-ticker-comments-2021-01/daily_data

wsb() {
	awk 'match($0, /,"id":"[^"]*"/) { id = substr($0, RSTART, RLENGTH); if (seen[id]++) next }
		{ if (n++ % 6 == 0 && k++ < 150) print }' "$shared/wsb-early2021-esbenkc/wallstreetbets_comments.ndjson"
}

# rtc FILE-STEM COUNT: COUNT comments spread evenly over the file's short distinct ones.
rtc() {
	local stem=$1 count=$2 date sub
	date=${stem%%_*}
	sub=${stem#*_}
	sqlite3 :memory: ".import --csv $csvdir/${stem}_comments.csv t" "
		CREATE TABLE c AS SELECT min(rowid) AS rid, comment FROM t GROUP BY comment
			HAVING length(CAST(comment AS BLOB)) <= 800 ORDER BY rid;
		SELECT json_object('id', 'rtc-$date-$sub-' || rid, 'body', trim(comment),
			'created_utc', '${date}T00:00:00Z', 'subreddit', '$sub')
		FROM (SELECT rid, comment, row_number() OVER (ORDER BY rid) - 1 AS k FROM c)
		WHERE k % ((SELECT count(*) FROM c) / $count) = 0
		ORDER BY rid LIMIT $count;"
}

sample() {
	wsb
	rtc 2021-01-27_wallstreetbets 38
	rtc 2021-01-22_stocks 38
	rtc 2021-01-26_pennystocks 37
	rtc 2021-01-21_investing 37
	rtc 2021-01-24_wallstreetbets 30
	rtc 2021-01-20_pennystocks 30
}

if [ $text = 1 ]; then
	sample | jq -r '[.id, (.body | gsub("\n"; "⏎"))] | @tsv'
else
	sample
fi
