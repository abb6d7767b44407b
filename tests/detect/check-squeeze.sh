#!/usr/bin/env bash
# check-squeeze.sh — the January 2021 squeeze replayed through herd-import,
# herd-aggregate and herd-detect, pinning the GME and AMC cascades (issue
# 6, "Done when"): that each is flagged, when, the subreddit that led, and
# the order the others followed. Three replays of ../shared/data:
#   A. reddit-ticker-comments-2021-01: 51k (ticker, comment) rows, 4
#      subreddits, Jan 20-27 -> posts -> daily aggregates -> cascades;
#   B. reddit-ticker-daily-vader-2021: daily mentions per ticker in 6
#      subreddits, Jan 20 - Feb 28, as "mentions" metrics, with the
#      wsb-early2021-esbenkc closing prices and the Google Trends "gme"
#      interest (Jan 1 - Mar 5) -> cascades and heat; then the same cut into one batch per
#      day (same events, byte for byte), a rerun (nothing new), and
#      herd-backtest on the prices;
#   C. wsb-early2021-esbenkc ticker_df.csv: WSB posts per ticker and day,
#      Jan 28 - Aug 16 (one source) -> the summer wave;
#   D. wsb-submissions-2021-q1: every WSB submission of Jan 1-26 and Feb
#      7-28, entities from herd's own extractor (issue 19's floors: GME on
#      Jan 13 or before, BB Jan 14, NOK Jan 25, SNDL Feb 10), and the same
#      cut into one batch per day.
# A and B start on Jan 20, inside the squeeze: no entity has a quiet
# history there, and the count model judges nobody before --min-history.
# The robust-log detector before issue 19 flagged GME there on Jan 22 by
# its share of the first days' mentions (a cold-start rule that flags any
# big name at every cold start, docs/detection.md); with two weeks of quiet
# history (D), the count model flags GME on Jan 13, nine days earlier.
# The entities of these CSVs come from their authors' regexes, so every
# replay passes data/entities/stoplist.txt to --exclude (docs/detection.md).
# Exit 77 (skip) when the data or a program is absent.
. "$(dirname "$0")/../lib.sh"

for p in import aggregate detect backtest; do
	[ -x "$bin/herd-$p" ] || skip "$bin/herd-$p not built yet"
done
command -v jq >/dev/null || skip "jq not installed"
CM=$SHARED/reddit-ticker-comments-2021-01/daily_data
DV=$SHARED/reddit-ticker-daily-vader-2021/daily_data
ES=$SHARED/wsb-early2021-esbenkc
GT=$SHARED/google-trends-gme-2021
WQ=$SHARED/wsb-submissions-2021-q1
for d in "$CM" "$DV" "$ES" "$GT" "$WQ"; do
	[ -d "$d" ] || skip "$d absent"
done
stop=$top/data/entities/stoplist.txt
cd "$tmp" || exit 1
PATH=$bin:$PATH

# cascade FILE ENTITY PHASE: "DAY LEADER SOURCE@DAY..." of that event.
cascade() {
	jq -r --arg e "$2" --arg p "$3" 'select(.type == "cascade" and .entity == $e and .evidence.phase == $p)
		| [.at[:10], .evidence.leader, (.evidence.sources[] | .source + "@" + .at[:10])] | join(" ")' "$1" | head -1
}
# expect NAME GOT WANT
expect() {
	check "$1: got '$2', want '$3'" [ "$2" = "$3" ]
}

# ---------------------------------------------------------------- A
herd-import -q --source reddit --date-from-filename --community-from-filename '^[0-9-]+_([a-z]+)_' \
	--map text=comment,entities=ticker,vader.compound=compound "$CM"/*_comments.csv |
	herd-aggregate -q --window 1d --lateness all > a-agg.ndjson
herd-detect --state a.db --window 1d --exclude "$stop" a-agg.ndjson > a.ndjson
check "A: detect exits 0" [ $? -eq 0 ]
expect "A: GME is not judged (the data starts inside its herd)" "$(cascade a.ndjson GME start)" ""
expect "A: AMC flagged on Jan 27 in r/wallstreetbets, r/pennystocks and r/investing at once" \
	"$(cascade a.ndjson AMC start)" \
	"2021-01-27 reddit/wallstreetbets reddit/wallstreetbets@2021-01-27 reddit/pennystocks@2021-01-27 reddit/investing@2021-01-27"
echo "A: $(jq -r 'select(.evidence.phase == "start") | .at[5:10] + " " + .entity' a.ndjson | tr '\n' ',')"

# ---------------------------------------------------------------- B
herd-import -q --kind metric --source reddit --date-from-filename --interval 1d \
	--community-from-filename '_([a-z]+)\.csv$' --map entity=ticker --value mentions=mentions \
	$(ls "$DV"/*.csv | grep -v _overall) > mentions.ndjson
herd-import -q --kind metric --source yahoo --interval 1d --map entity=symbol,at=date --value bar=close \
	"$ES"/market_prices.csv | jq -c 'select(.at >= "2021-01-01" and .at < "2021-09-01")' > bars.ndjson
{ echo "entity,day,interest"; tail -n +4 "$GT"/gme.csv | sed 's/^/GME,/; s/<1/0.5/'; } |
	herd-import -q --kind metric --source trends --interval 1d --map entity=entity,at=day --value interest=interest > trends.ndjson
cat mentions.ndjson bars.ndjson trends.ndjson | jq -c 'select(.at < "2021-03-06")' > b-in.ndjson
herd-detect --state b.db --window 1d --exclude "$stop" b-in.ndjson > b.ndjson
check "B: detect exits 0" [ $? -eq 0 ]
expect "B: GME is not judged (the data starts inside its herd)" "$(cascade b.ndjson GME start)" ""
expect "B: AMC flagged on Jan 27, led by r/robinhoodpennystocks (since Jan 24), four subreddits behind" \
	"$(cascade b.ndjson AMC start)" \
	"2021-01-27 reddit/robinhoodpennystocks reddit/robinhoodpennystocks@2021-01-24 reddit/wallstreetbets@2021-01-27 reddit/pennystocks@2021-01-27 reddit/investing@2021-01-27 reddit/robinhood@2021-01-27"
expect "B: heat finds GME's second wave (Feb 25) that the cascade baseline absorbed" \
	"$(jq -r 'select(.type == "heat" and .entity == "GME" and .at[:10] == "2021-02-25") | .severity' b.ndjson)" "critical"
expect "B: AMC and GME are discovered on Jan 22 and Jan 21" \
	"$(jq -r 'select(.type == "discovery" and (.entity == "AMC" or .entity == "GME")) | .entity + "@" + .at[:10]' b.ndjson | sort | tr '\n' ' ')" \
	"AMC@2021-01-22 GME@2021-01-21 "
echo "B: $(jq -r .type b.ndjson | sort | uniq -c | tr -s ' \n' ' ')"

# The same input cut into one file per day, run one after the other.
mkdir days
jq -r '.at[:10]' b-in.ndjson | sort -u > days.txt
while read -r d; do grep "\"at\":\"${d}T" b-in.ndjson > "days/$d.ndjson"; done < days.txt
for f in days/*.ndjson; do herd-detect -q --state split.db --window 1d --exclude "$stop" "$f"; done > split.ndjson
check "B: $(wc -l < days.txt) daily batches give the same events, byte for byte" cmp -s split.ndjson b.ndjson
herd-detect -q --state b.db --window 1d --exclude "$stop" b-in.ndjson > again.ndjson 2>/dev/null
check "B: a rerun with the same state writes nothing" [ ! -s again.ndjson ]

herd-backtest --json b.ndjson bars.ndjson > bt.ndjson
check "B: herd-backtest runs on the prices" [ $? -eq 0 ]
expect "B: cascade starts on priced tickers" \
	"$(jq -r 'select(.group == "cascade/start" and .horizon == "3d") | .priced > 5' bt.ndjson)" "true"
herd-backtest b.ndjson bars.ndjson | sed 's/^/B: /'

# ---------------------------------------------------------------- C
herd-import -q --kind metric --source reddit --community wallstreetbets --interval 1d \
	--map entity=ticker,at=date --value mentions=count "$ES"/ticker_df.csv > c-in.ndjson
herd-detect -q --state c.db --window 1d --only cascade --exclude "$stop" c-in.ndjson > c.ndjson
# AMC (37 posts on May 28 against 4.8 expected) and GME stay under the
# threshold: their noise was learnt on the decline from February's herd.
expect "C: the summer wave: CLOV and WISH on June 10" \
	"$(jq -r 'select(.evidence.phase == "start" and (.entity == "AMC" or .entity == "GME" or .entity == "CLOV" or .entity == "WISH") and .at > "2021-05") | .entity + "@" + .at[:10]' c.ndjson | head -5 | tr '\n' ' ')" \
	"CLOV@2021-06-10 WISH@2021-06-10 "
echo "C: $(jq -r 'select(.evidence.phase == "start") | .at[:10] + " " + .entity' c.ndjson | tr '\n' ',')"

# ---------------------------------------------------------------- D
herd-import -q --source reddit --type submission --community wallstreetbets \
	--map id=postid,author=author,created_at=created_utc,title=title,text=selftext,url=permalink \
	--extract "$WQ"/daywise/*.csv | herd-aggregate -q --window 1d --lateness all > d-in.ndjson
herd-detect --state d.db --window 1d --only cascade d-in.ndjson > d.ndjson 2> d.err
check "D: detect exits 0" [ $? -eq 0 ]
expect "D: one source, said on stderr" "$(cut -c1-40 d.err)" "herd-detect: one source in the data (red"
first() { jq -r --arg e "$1" --arg lo "$2" 'select(.entity == $e and .evidence.phase == "start" and .at >= $lo) | .at[:10]' d.ndjson | head -1; }
expect "D: GME flagged on Jan 13 (its first burst day), 738 posts against 54 expected" \
	"$(jq -r 'select(.entity == "GME" and .evidence.phase == "start" and .at < "2021-01-27") | .at[:10] + " " + (.evidence.rate | tostring) + " " + (.evidence.baseline | tostring)' d.ndjson | head -1)" \
	"2021-01-13 738 53.6"
expect "D: BB flagged on Jan 14" "$(first BB 2021-01-07)" "2021-01-14"
expect "D: NOK flagged on Jan 25" "$(first NOK 2021-01-18)" "2021-01-25"
expect "D: SNDL flagged on Feb 8, two days before its 1,131 posts of Feb 10" "$(first SNDL 2021-02-07)" "2021-02-08"
expect "D: TLRY flagged on Feb 9" "$(first TLRY 2021-02-07)" "2021-02-09"
mkdir ddays
jq -r '.start[:10]' d-in.ndjson | sort -u > ddays.txt
while read -r d; do grep "\"start\":\"${d}T" d-in.ndjson > "ddays/$d.ndjson"; done < ddays.txt
for f in ddays/*.ndjson; do herd-detect -q --state dsplit.db --window 1d --only cascade "$f"; done > dsplit.ndjson
check "D: $(wc -l < ddays.txt) daily batches give the same events, byte for byte" cmp -s dsplit.ndjson d.ndjson
herd-detect -q --state d.db --window 1d --only cascade d-in.ndjson > dagain.ndjson 2>/dev/null
check "D: a rerun with the same state writes nothing" [ ! -s dagain.ndjson ]
echo "D: $(jq -r 'select(.evidence.phase == "start") | .at[5:10] + " " + .entity' d.ndjson | tr '\n' ',')"
result
