#!/usr/bin/env bash
# eval-detect.sh — how herd-detect's cascade models and thresholds do on
# the January 2021 data (the table in docs/detection.md): for each model
# and z, the episodes started, how many of them are on words rather than
# tickers in this data, and how many of 19 known herds of Jan 20 - Feb 28
# 2021 were flagged, with the first day GME and AMC were flagged.
#
#   scripts/eval-detect.sh            (bin/ built; ../shared/data present)
#
# Inputs, built as tests/detect/check-squeeze.sh builds them:
#   A  reddit-ticker-comments-2021-01 -> herd-import -> herd-aggregate 1d
#   B  reddit-ticker-daily-vader-2021 -> herd-import --kind metric (mentions)
# No --exclude here: the words are what the "words" column counts.
#
# The two lists are judgements written down here, not data:
#   HERDS: tickers with a documented retail surge (price and attention) in
#     Jan 20 - Feb 28 2021: the squeeze names (GME AMC BB NOK NAKD EXPR
#     BBBY KOSS), the follow-ons (SNDL AAL CTRM), the cannabis rally (TLRY
#     APHA), the penny runs (ZOM OCGN), PLTR's February run, the bitcoin
#     miners (RIOT MARA) and CCIV's Lucid rumour.
#   WORDS: symbols that in these subreddits are words, brokers or jargon
#     (DD = due diligence, RH = Robinhood the app, TD = TD Ameritrade...).
set -eu
export LC_ALL=C
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${HERD_BIN:-$top/bin}
SHARED=${SHARED:-$(cd "$top/.." && pwd)/shared/data}
HERDS="GME AMC BB NOK NAKD EXPR BBBY KOSS SNDL AAL CTRM TLRY APHA ZOM OCGN PLTR RIOT MARA CCIV"
WORDS=" DD ARE AT ON GO FOR CEO TD RH UI PDT TV IT ALL OR AI UK EOD AM TDA IRS EV MSM BE BIG NET ICE AG IBKR USA A SI NAK OI CASH "
CM=$SHARED/reddit-ticker-comments-2021-01/daily_data
DV=$SHARED/reddit-ticker-daily-vader-2021/daily_data
[ -d "$CM" ] && [ -d "$DV" ] || { echo "eval-detect: $SHARED lacks the 2021 data" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$bin"/herd-import -q --source reddit --date-from-filename --community-from-filename '^[0-9-]+_([a-z]+)_' \
	--map text=comment,entities=ticker,vader.compound=compound "$CM"/*_comments.csv |
	"$bin"/herd-aggregate -q --window 1d --lateness all > "$work/A.ndjson"
"$bin"/herd-import -q --kind metric --source reddit --date-from-filename --interval 1d \
	--community-from-filename '_([a-z]+)\.csv$' --map entity=ticker --value mentions=mentions \
	$(ls "$DV"/*.csv | grep -v _overall) > "$work/B.ndjson"

printf 'data\tmodel\tz\tstarts\twords\therds\tGME\tAMC\n'
for data in A B; do
	for mz in "robust 2" "robust 2.5" "robust 3" "negbin 3" "negbin 4" "negbin 5" "ewma 4" "ewma 5" "ewma 6"; do
		set -- $mz
		rm -f "$work/s.db"*
		"$bin"/herd-detect -q --state "$work/s.db" --window 1d --only cascade --model "$1" --z "$2" \
			"$work/$data.ndjson" > "$work/ev.ndjson"
		starts=$(jq -r 'select(.evidence.phase == "start") | .entity' "$work/ev.ndjson")
		n=0 w=0 h=0
		for e in $starts; do
			n=$((n + 1))
			[[ "$WORDS" != *" $e "* ]] || w=$((w + 1))
		done
		for e in $HERDS; do
			echo "$starts" | grep -qx "$e" && h=$((h + 1))
		done
		first() { jq -r --arg e "$1" 'select(.entity == $e and .evidence.phase == "start") | .at[5:10]' "$work/ev.ndjson" | head -1; }
		printf '%s\t%s\t%s\t%d\t%d\t%d/19\t%s\t%s\n' "$data" "$1" "$2" "$n" "$w" "$h" "$(first GME)" "$(first AMC)"
	done
done
