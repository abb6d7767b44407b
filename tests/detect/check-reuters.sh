#!/usr/bin/env bash
# check-reuters.sh — the real path of issue 17 on ../shared/data's Reuters
# archive (reuters-news-2012-2016), small enough for `make test`: all
# 51,796 stories through herd-import (the mapping of scripts/eval-signals.sh),
# two tickers' stories of two months through herd-score (the default model
# when `make models` built it, else VADER, else the check stops there),
# herd-detect's signals with ten tickers' daily bars as price context, and
# herd-backtest against their basket. It pins the import (every row a post,
# the minute where the archive has one, the next midnight UTC where it has
# only a date) and checks that no signal trades at a price from before it.
# scripts/eval-signals.sh runs the whole archive. Exit 77 (skip) when the
# data or a program is absent.
. "$(dirname "$0")/../lib.sh"

for p in import score detect backtest; do
	[ -x "$bin/herd-$p" ] || skip "$bin/herd-$p not built yet"
done
command -v jq >/dev/null || skip "jq not installed"
R=$SHARED/reuters-news-2012-2016
[ -f "$R/news.csv" ] || skip "$R absent"
cd "$tmp" || exit 1
PATH=$bin:$PATH

# ---------------------------------------------------------------- import
herd-import --source reuters --type article --date-format %Y%m%d --date-format auto --date-only end \
	--map 'id=href|title,created_at=ts_utc|date,title=title,text=summary,entities=ticker,url=href' \
	"$R/news.csv" > news.ndjson 2> import.err
check "every one of the 51,796 rows is a post, none rejected" \
	[ "$(wc -l < news.ndjson)" -eq 51796 ] && [ ! -s import.err ]
check "86 tickers" [ "$(jq -r '.entities[]' news.ndjson | sort -u | wc -l)" -eq 86 ]
# The 13,628 rows without a minute sit at a midnight (29 stories with a
# minute came at midnight too): the next one after their listing date.
check "13,628 + 29 stories at midnight UTC" [ "$(grep -c '"created_at":"[0-9-]*T00:00:00Z"' news.ndjson)" -eq 13657 ]
herd-import -q --source reuters --type article --date-format %Y%m%d --date-only end \
	--map 'id=href|title,created_at=date,entities=ticker' "$R/news.csv" | jq -r .created_at > listing-end.txt
jq -r .created_at news.ndjson > created.txt
# where the story has a minute, it is before the end of its listing date
# (all but 28 rows: the archive's join is a few hours off there)
late=$(paste created.txt listing-end.txt | awk '$1 > $2' | wc -l)
check "stories with a minute come before the end of their listing date ($late after)" [ "$late" -eq 28 ]
check "a story without a minute is the end of its listing date" \
	[ "$(paste created.txt listing-end.txt | awk '$1 == $2' | wc -l)" -ge 13628 ]

# ---------------------------------------------------------------- bars
tickers="AAPL JPM XOM BA MSFT GE PFE WMT KO T"
herd-import -q --kind bar --source yahoo --interval 1d --entity-from-filename '^[^.]+' \
	--map at=Date,open=Open,high=High,low=Low,close=Close,volume=Volume \
	$(for t in $tickers; do echo "$R/prices/$t.csv"; done) > bars.ndjson
check "bars of 10 tickers, 1,258 sessions each" [ "$(wc -l < bars.ndjson)" -eq 12580 ]

# ---------------------------------------------------------------- score
jq -c 'select((.entities[0] == "AAPL" or .entities[0] == "JPM") and .created_at >= "2015-03" and .created_at < "2015-05")' \
	news.ndjson > slice.ndjson
n=$(wc -l < slice.ndjson)
check "the slice: AAPL and JPM, March-April 2015 ($n stories)" [ "$n" -gt 100 ]
model=$top/models/default
if [ -f "$model/model.safetensors" ] && herd-score -q --model "$model" slice.ndjson > scored.ndjson 2> score.err; then
	:
elif herd-score -q --model vader slice.ndjson > scored.ndjson 2> score.err; then
	echo "(no models/default: VADER drives the signals)"
else
	echo "skip the rest: neither models/default nor VADER's lexicon ($(head -1 score.err))"
	result
fi
mid=$(head -1 scored.ndjson | jq -r .sentiment.model)
check "every story scored ($mid)" [ "$(jq -c 'select(.sentiment.score != null)' scored.ndjson | wc -l)" -eq "$n" ]

# ---------------------------------------------------------------- detect, backtest
herd-detect -q --state s.db --only signal scored.ndjson bars.ndjson > events.ndjson
ne=$(wc -l < events.ndjson)
check "signals ($ne)" [ "$ne" -gt 5 ]
herd-backtest --detail --json --horizons 1d,5d --benchmark basket events.ndjson bars.ndjson > detail.ndjson
check "every signal priced" [ "$(jq -c 'select(.entry == null)' detail.ndjson | wc -l)" -eq 0 ]
check "every entry strictly after the story" \
	[ "$(jq -c 'select(.entry_at <= .known)' detail.ndjson | wc -l)" -eq 0 ]
check "and within four days of it (a weekend and a holiday at most)" \
	[ "$(jq -c 'select((.entry_at | fromdate) - (.known | fromdate) > 4 * 86400)' detail.ndjson | wc -l)" -eq 0 ]
# 21:00-13:00 UTC is after the close and before the open in winter and
# summer alike: those stories must trade at an open.
check "stories between the close and the open enter at the next open" \
	[ "$(jq -c 'select((.known[11:13] | tonumber) as $h | ($h >= 21 or $h < 13) and .entry_price != "open")' detail.ndjson | wc -l)" -eq 0 ]
herd-backtest --json --horizons 1d,5d --benchmark basket events.ndjson bars.ndjson > rows.ndjson
check "rows with intervals and the excess over the basket" \
	[ "$(jq -c 'select(.group == "signal/BUY" or .group == "signal/SELL") | select(.hit_rate_ci and .mean_return_ci and .bench_priced == .priced)' rows.ndjson | wc -l)" -ge 2 ]
herd-backtest --horizons 1d,5d --benchmark basket events.ndjson bars.ndjson
result
