#!/usr/bin/env bash
# eval-detect.sh — how herd-detect's cascades do on real data it was and
# was not tuned on (issue 19; the tables in docs/detection.md and
# BENCHMARKS.md). It runs herd's own programs — herd-import ->
# herd-aggregate -> herd-detect — over ../shared/data and scores the
# events with scripts/eval-detect.py:
#
#   lead         each listed herd's first flagged window against its first
#                burst day (daily windows, and hourly on the WSB posts);
#   false alarms episodes started per ticker-year on twitter-sp500-2020
#                outside the COVID crash (Feb 20 - Mar 31 2020), and on the
#                quiet first days of January 2021 on WSB;
#   calibration  Spearman's rank correlation between each cascade event's
#                score and log(count / expected) (its burst's size);
#   the Jan 2021 replays A, B (herds found, alarms on words) and C.
#
#   scripts/eval-detect.sh [--work DIR] [--only LIST] [NAME=OPTIONS ...]
#
# Each NAME=OPTIONS is a setting: herd-detect options added to every run
# (e.g. 'fa2=--false-alarms 2/y'); without any, one setting "default"
# (no options). --only picks datasets (wsb1d,wsb1h,tw,A,B,C; default
# all). --work keeps the inputs (and events) in DIR, so a second run skips
# the import. HERD_BIN picks the programs (default bin/: e.g. an older
# build for the "before" figures); HERD_EVAL_SINGLE holds options added
# on the one-source datasets only (wsb1d, wsb1h, tw, C), e.g.
# '--min-sources 1' for a herd-detect that needs it.
#
# Datasets (../shared/data, see its INDEX.md):
#   wsb1d, wsb1h  wsb-submissions-2021-q1: every r/wallstreetbets
#                 submission, Jan 1-26 and Feb 7-28 2021, entities found by
#                 herd-import --extract (herd's own extractor), one source;
#   tw            twitter-sp500-2020: daily cashtag counts of 398 large
#                 caps, Jan 1 - Nov 30 2020, as "mentions" metrics;
#   A             reddit-ticker-comments-2021-01 (4 subreddits, Jan 20-27);
#   B             reddit-ticker-daily-vader-2021 (6 subreddits, Jan 20 -
#                 Feb 28), mentions metrics;
#   C             wsb-early2021-esbenkc ticker_df.csv (WSB, Jan 28 - Aug
#                 16 2021, one source).
set -eu
export LC_ALL=C
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${HERD_BIN:-$top/bin}
SHARED=${SHARED:-$(cd "$top/.." && pwd)/shared/data}
single=${HERD_EVAL_SINGLE:-}
work= only=wsb1d,wsb1h,tw,A,B,C
while [ $# -gt 0 ]; do
	case $1 in
	--work) work=$2; shift 2 ;;
	--only) only=$2; shift 2 ;;
	-h | --help) sed -n '2,/^set -eu/p' "$0" | sed 's/^# \{0,1\}//; /^set -eu/d'; exit 0 ;;
	--*) echo "eval-detect: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || set -- "default="
WQ=$SHARED/wsb-submissions-2021-q1
TW=$SHARED/twitter-sp500-2020
CM=$SHARED/reddit-ticker-comments-2021-01/daily_data
DV=$SHARED/reddit-ticker-daily-vader-2021/daily_data
ES=$SHARED/wsb-early2021-esbenkc
for d in "$WQ" "$TW" "$CM" "$DV" "$ES"; do
	[ -d "$d" ] || { echo "eval-detect: $d absent" >&2; exit 1; }
done
if [ -z "$work" ]; then
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work"
in=$work/in
PATH=$bin:$PATH

# ---------------------------------------------------------------- inputs
if [ ! -e "$in/ok" ]; then
	mkdir -p "$in"
	herd-import -q --source reddit --type submission --community wallstreetbets \
		--map id=postid,author=author,created_at=created_utc,title=title,text=selftext,url=permalink \
		--extract "$WQ"/daywise/*.csv |
		herd-aggregate -q --window 1d,1h --lateness all > "$in/wsb-agg.ndjson"
	grep '"window":"1d"' "$in/wsb-agg.ndjson" > "$in/wsb1d.ndjson"
	grep '"window":"1h"' "$in/wsb-agg.ndjson" > "$in/wsb1h.ndjson"
	rm "$in/wsb-agg.ndjson"
	# The Twitter counts are a wide table (a column per ticker): made long.
	tr -d '\r' < "$TW/daily_count.csv" |
		awk -F, 'NR == 1 { for (i = 2; i <= NF; i++) { gsub(/"/, "", $i); t[i] = $i }; print "date,ticker,count"; next }
			{ gsub(/"/, "", $1); for (i = 2; i <= NF; i++) print $1 "," t[i] "," $i }' |
		herd-import -q --kind metric --source twitter --interval 1d --map entity=ticker,at=date \
			--value mentions=count > "$in/tw.ndjson"
	herd-import -q --source reddit --date-from-filename --community-from-filename '^[0-9-]+_([a-z]+)_' \
		--map text=comment,entities=ticker,vader.compound=compound "$CM"/*_comments.csv |
		herd-aggregate -q --window 1d --lateness all > "$in/A.ndjson"
	herd-import -q --kind metric --source reddit --date-from-filename --interval 1d \
		--community-from-filename '_([a-z]+)\.csv$' --map entity=ticker --value mentions=mentions \
		$(ls "$DV"/*.csv | grep -v _overall) > "$in/B.ndjson"
	herd-import -q --kind metric --source reddit --community wallstreetbets --interval 1d \
		--map entity=ticker,at=date --value mentions=count "$ES"/ticker_df.csv > "$in/C.ndjson"
	touch "$in/ok"
fi

# ---------------------------------------------------------------- runs
names=()
for setting in "$@"; do
	name=${setting%%=*} opts=${setting#*=}
	names+=("$name")
	mkdir -p "$work/ev/$name"
	for ds in ${only//,/ }; do
		case $ds in
		wsb1d | tw | C) w=1d extra=$single ;;
		wsb1h) w=1h extra=$single ;;
		A | B) w=1d extra= ;;
		*) echo "eval-detect: no dataset $ds" >&2; exit 2 ;;
		esac
		rm -f "$work/s.db"*
		t0=$(date +%s.%N)
		# shellcheck disable=SC2086
		herd-detect -q --state "$work/s.db" --window $w --only cascade $extra $opts "$in/$ds.ndjson" \
			> "$work/ev/$name/$ds.ndjson"
		printf '%s %s %.1f\n' "$name" "$ds" "$(echo "$(date +%s.%N) - $t0" | bc)" >> "$work/ev/$name/times"
	done
done
rm -f "$work/s.db"*
python3 "$top/scripts/eval-detect.py" --in "$in" "${names[@]/#/$work/ev/}"
