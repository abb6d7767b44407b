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
#      Jan 28 - Aug 16 (one source: --min-sources 1) -> the summer wave.
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
for d in "$CM" "$DV" "$ES" "$GT"; do
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
expect "A: GME flagged on Jan 22, led by r/wallstreetbets, r/stocks and r/investing behind" \
	"$(cascade a.ndjson GME start)" \
	"2021-01-22 reddit/wallstreetbets reddit/wallstreetbets@2021-01-20 reddit/stocks@2021-01-22 reddit/investing@2021-01-22"
expect "A: GME grows on Jan 23 as r/pennystocks joins" \
	"$(cascade a.ndjson GME growth)" \
	"2021-01-23 reddit/wallstreetbets reddit/wallstreetbets@2021-01-20 reddit/stocks@2021-01-22 reddit/investing@2021-01-22 reddit/pennystocks@2021-01-23"
expect "A: AMC flagged on Jan 27, led by r/stocks (since Jan 26)" \
	"$(cascade a.ndjson AMC start)" \
	"2021-01-27 reddit/stocks reddit/stocks@2021-01-26 reddit/wallstreetbets@2021-01-27 reddit/pennystocks@2021-01-27 reddit/investing@2021-01-27"
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
expect "B: GME flagged on Jan 22, led by r/wallstreetbets, r/stocks and r/investing behind" \
	"$(cascade b.ndjson GME start)" \
	"2021-01-22 reddit/wallstreetbets reddit/wallstreetbets@2021-01-20 reddit/stocks@2021-01-22 reddit/investing@2021-01-22"
expect "B: GME peaks on Jan 29 (max on Jan 27), fades on Feb 3" \
	"$(jq -r 'select(.entity == "GME" and .type == "cascade" and .evidence.phase != "start" and .evidence.phase != "growth") | .evidence.phase + "@" + .at[:10] + "/" + .evidence.peak_at[:10]' b.ndjson | tr '\n' ' ')" \
	"peak@2021-01-29/2021-01-27 fade@2021-02-03/2021-01-27 "
expect "B: AMC flagged on Jan 26, led by r/stocks with r/robinhoodpennystocks" \
	"$(cascade b.ndjson AMC start)" \
	"2021-01-26 reddit/stocks reddit/stocks@2021-01-26 reddit/robinhoodpennystocks@2021-01-26"
expect "B: on Jan 27 r/wallstreetbets, r/pennystocks, r/investing, r/robinhood follow" \
	"$(cascade b.ndjson AMC growth)" \
	"2021-01-27 reddit/stocks reddit/stocks@2021-01-26 reddit/robinhoodpennystocks@2021-01-26 reddit/wallstreetbets@2021-01-27 reddit/pennystocks@2021-01-27 reddit/investing@2021-01-27 reddit/robinhood@2021-01-27"
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
herd-detect --state c.db --window 1d --only cascade --min-sources 1 --exclude "$stop" c-in.ndjson > c.ndjson
expect "C: the summer wave: AMC on May 28, GME, CLOV and WISH on June 10" \
	"$(jq -r 'select(.evidence.phase == "start" and (.entity == "AMC" or .entity == "GME" or .entity == "CLOV" or .entity == "WISH") and .at > "2021-05") | .entity + "@" + .at[:10]' c.ndjson | head -5 | tr '\n' ' ')" \
	"AMC@2021-05-28 CLOV@2021-06-10 GME@2021-06-10 WISH@2021-06-10 AMC@2021-06-11 "
echo "C: $(jq -r 'select(.evidence.phase == "start") | .at[:10] + " " + .entity' c.ndjson | tr '\n' ',')"
result
