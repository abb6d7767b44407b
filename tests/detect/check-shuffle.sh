#!/usr/bin/env bash
# check-shuffle.sh — a news edge that is real must vanish when the news
# times are shuffled within each ticker (issue 17). The data is made here,
# deterministic: six tickers over 2016's weekdays, a random walk of 1% a
# day, and every ten sessions or so a story at 11:00 New York time whose
# tone (up or down, at random) moves the price 2% that day (from the open,
# before the story: a signal can not have it) and 3% more the next day. The whole path runs as users run it:
# herd-import (bars; news with New York times), a sentiment from the
# tone (standing in for herd-score: this is about time, not the model),
# herd-detect's signals, herd-backtest against the equal-weight basket.
# Unshuffled, the signals enter at the story day's close and catch the
# next day's 3%, not the 2% that came before: nearly every one is a hit,
# with a mean near 3% (a story read as 11:00 UTC, 07:00 in New York,
# would enter at that day's open and be credited with the 2% it came
# after instead: the check of the mean fails then). With each ticker's story times
# permuted (each tone now sits on another story's day), the same rule
# is a coin toss: hit rate near 50%, mean return's interval around 0.
# (tests/cli/lookahead.t checks the 16:00 boundary itself.)
. "$(dirname "$0")/../lib.sh"

for p in import detect backtest; do
	[ -x "$bin/herd-$p" ] || skip "$bin/herd-$p not built yet"
done
command -v jq >/dev/null || skip "jq not installed"
cd "$tmp" || exit 1
PATH=$bin:$PATH

# Park-Miller's generator in awk (exact in doubles, the same in every awk).
gen='function rnd() { seed = (16807 * seed) % 2147483647; return seed / 2147483647 }'

# One CSV of bars per ticker, and news.csv: ticker,when,title (the tone).
awk -v seed=20160104 "$gen"'
BEGIN {
	split("31 29 31 30 31 30 31 31 30 31 30 31", mdays, " ")
	ntick = 6
	print "ticker,when,title" > "news.csv"
	for (k = 1; k <= ntick; k++) {
		file = "S" k ".csv"
		print "Date,Open,Close" > file
		close_ = 40 + 10 * k; jump = 0; bal = 0; next_news = 3 + int(rnd() * 8)
		dow = 1; n = 0 # 2016-01-04 is a Monday
		for (m = 1; m <= 12; m++) for (d = (m == 1 ? 4 : 1); d <= mdays[m]; d++) {
			if (dow <= 5) {
				n++
				today = 0
				if (n == next_news) {
					# at random, but as many ups as downs per ticker (give or
					# take 2): a ticker whose news is mostly good drifts up,
					# and a shuffle within the ticker keeps that drift
					tone = bal >= 2 ? -1 : bal <= -2 ? 1 : rnd() < 0.5 ? -1 : 1
					bal += tone
					today = 0.02 * tone
					printf "S%d,2016-%02d-%02d 11:%02d,%s\n", k, m, d, int(rnd() * 60), (tone > 0 ? "up" : "down") > "news.csv"
					next_news = n + 8 + int(rnd() * 5)
				}
				open_ = close_ * (1 + 0.002 * (rnd() - 0.5))
				close_ = open_ * (1 + 0.02 * (rnd() - 0.5) + jump + today)
				jump = today ? 1.5 * today : 0
				printf "2016-%02d-%02d,%.4f,%.4f\n", m, d, open_, close_ > file
			}
			dow = dow % 7 + 1
		}
		close(file)
	}
}'
herd-import -q --kind bar --source test --interval 1d --entity-from-filename '^[^.]+' \
	--map at=Date,open=Open,close=Close S?.csv > bars.ndjson
check "bars of 6 tickers over 2016's weekdays" [ "$(wc -l < bars.ndjson)" -eq $((6 * 260)) ]

# The same stories with the times permuted within each ticker (seeded).
awk -F, -v seed=7 "$gen"'
NR == 1 { print; next }
{ n[$1]++; t[$1, n[$1]] = $2; line[NR] = $0; tick[NR] = $1; idx[NR] = n[$1] }
END {
	for (k in n) for (i = n[k]; i > 1; i--) { j = 1 + int(rnd() * i); x = t[k, i]; t[k, i] = t[k, j]; t[k, j] = x }
	for (r = 2; r <= NR; r++) { split(line[r], f, ","); print f[1] "," t[tick[r], idx[r]] "," f[3] }
}' news.csv > shuffled.csv
check "the shuffle moved most stories" \
	[ "$(paste -d '|' news.csv shuffled.csv | awk -F'|' '$1 != $2' | wc -l)" -gt 100 ]

# backtest NEWS.csv: the signals' pooled 1d row, as JSON.
backtest() {
	herd-import -q --source wire --type article --tz America/New_York \
		--map created_at=when,entities=ticker,title=title "$1" |
		jq -c '.sentiment = {model: "tone", label: .title, score: (if .title == "up" then 0.9 else -0.9 end), confidence: 0.9}' > news.ndjson
	rm -f state.db
	herd-detect -q --state state.db --only signal news.ndjson bars.ndjson > events.ndjson
	herd-backtest --json --by type --horizons 1d --benchmark basket events.ndjson bars.ndjson |
		jq -c 'select(.group == "signal")'
}
real=$(backtest news.csv)
shuf=$(backtest shuffled.csv)
echo "real:     $real"
echo "shuffled: $shuf"
n_news=$(($(wc -l < news.csv) - 1))
v() { echo "$1" | jq -r "$2"; }
check "real: a signal for every story ($n_news)" [ "$(v "$real" .priced)" -eq "$n_news" ]
check "real: 95% or more hits" [ "$(v "$real" '.hit_rate >= 0.95')" = true ]
check "real: the mean 1d return's interval is within +2% .. +4% (the next day's move alone)" \
	[ "$(v "$real" '.mean_return_ci[0] > 0.02 and .mean_return_ci[1] < 0.04')" = true ]
check "real: and so is the excess over the basket's" [ "$(v "$real" '.excess_return_ci[0] > 0.015')" = true ]
check "shuffled: as many signals" [ "$(v "$shuf" .priced)" -eq "$n_news" ]
check "shuffled: hit rate between 35% and 65%" [ "$(v "$shuf" '.hit_rate > 0.35 and .hit_rate < 0.65')" = true ]
check "shuffled: the mean's interval holds 0" [ "$(v "$shuf" '.mean_return_ci[0] < 0 and .mean_return_ci[1] > 0')" = true ]
check "shuffled: and the excess's too" [ "$(v "$shuf" '.excess_return_ci[0] < 0 and .excess_return_ci[1] > 0')" = true ]
result
