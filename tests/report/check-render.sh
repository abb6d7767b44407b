#!/usr/bin/env bash
# check-render.sh — herd-report's pages in a real browser (issue 7, "Done
# when": the heatmap and digest render in headless Chromium). Two January
# 2021 replays go through the pipe into SQLite, with herd-detect's events:
#   - data/sample (the project's own three days, Jan 26-28): normalize,
#     score (VADER), aggregate 1h and 1d, detect, load;
#   - ../shared/data/reddit-ticker-comments-2021-01 (51k real comments,
#     Jan 20-27, when present): import, aggregate 1d, detect, load.
# Each heatmap and digest is opened in headless Chromium through the
# DevTools protocol (tests/report/cdp-render.py), and must:
#   - load with no console message, no exception, no error or warning in
#     the browser's log, and no request but the page itself (no external
#     asset: it opens offline);
#   - lay out, visibly, every entity the report's JSON names, the title
#     and each section;
#   - draw: the screenshot is not blank, and the heatmap shows both red and
#     green squares (the sentiment scale) where the data has both;
#   - (heatmaps) show the legend on the first screen, cells of 14 px or more
#     even for hourly windows, and every event marker inside its own cell.
# Screenshots are kept in $HERD_RENDER_OUT when it is set (to look at them).
# Skips (77) without chromium or python3, or when a program is missing.
. "$(dirname "$0")/../lib.sh"

chromium=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
[ -n "$chromium" ] || skip "chromium not installed (scripts/install-deps.sh installs it)"
command -v python3 >/dev/null || skip "python3 not installed (the DevTools client is a test helper in Python)"
for p in report detect load; do
	[ -x "$bin/herd-$p" ] || skip "$bin/herd-$p not built yet"
done
need_pipe
cdp=$top/tests/report/cdp-render.py
out=${HERD_RENDER_OUT:-$tmp/shots}
mkdir -p "$out"
PATH=$bin:$PATH
cd "$tmp" || exit 1
"$cdp" "$chromium" /dev/null "$tmp/probe.png" 100 100 >/dev/null 2>"$tmp/probe.err" ||
	skip "chromium cannot run here: $(tail -1 "$tmp/probe.err")"

# json FILE EXPR: a Python expression over the JSON document d.
json() { python3 -c "import json, sys; d = json.load(open(sys.argv[1])); print($2)" "$1"; }

# render NAME PAGE REPORT_JSON WIDTH HEIGHT: open PAGE, check it; the
# entities the page must show are those of REPORT_JSON.
render() {
	local name=$1 page=$2 doc=$3 r=$tmp/$1.cdp.json missing
	"$cdp" "$chromium" "$page" "$out/$name.png" "$4" "$5" >"$r" 2>"$tmp/$name.err"
	check "$name: the browser opened the page: $(tail -1 "$tmp/$name.err")" [ -s "$r" ]
	[ -s "$r" ] || return
	check "$name: no console message ($(json "$r" 'd["console"]'))" [ "$(json "$r" 'len(d["console"])')" = 0 ]
	check "$name: no exception ($(json "$r" 'd["exceptions"]'))" [ "$(json "$r" 'len(d["exceptions"])')" = 0 ]
	check "$name: no error or warning in the browser's log ($(json "$r" 'd["log"]'))" \
		[ "$(json "$r" 'len([e for e in d["log"] if e["level"] in ("error", "warning")])')" = 0 ]
	check "$name: no request but the page ($(json "$r" 'd["requests"]'))" \
		[ "$(json "$r" 'len(d["requests"]) == 1 and d["requests"][0].startswith("file://")')" = True ]
	check "$name: no failed load ($(json "$r" 'd["failed"]'))" [ "$(json "$r" 'len(d["failed"])')" = 0 ]
	check "$name: the title is shown" [ "$(json "$r" 'd["title"] in d["visible_texts"]')" = True ]
	missing=$(python3 -c '
import json, sys
r, doc = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
want = [x["entity"] for x in doc.get("rows", [])] + [x["entity"] for x in doc.get("movers", []) + doc.get("sentiment_movers", [])]
want += [e["entity"] for k in ("cascades", "signals", "heat") for e in doc.get(k, [])]
print(" ".join(sorted(set(w for w in want if w not in r["visible_texts"]))))' "$r" "$doc")
	check "$name: every entity of the report is laid out visibly (missing: $missing)" [ -z "$missing" ]
	check "$name: the screenshot is drawn ($(json "$r" 'd["pixels"]'))" \
		[ "$(json "$r" 'd["pixels"]["ink"] > 0.01 * d["pixels"]["total"]')" = True ]
}

# heatmap_layout NAME HEIGHT MIN_CELL: after render, the heatmap's layout
# as a person meets it (issue 12.7): the legend inside the first screen of
# HEIGHT pixels, cells at least MIN_CELL pixels, and every event marker
# inside one cell of its row (none over a neighbour or past the grid).
heatmap_layout() {
	local r=$tmp/$1.cdp.json bad
	check "$1: the legend is above the fold ($(json "$r" 'd["legend"]'))" \
		[ "$(json "$r" 'd["legend"] is not None and d["legend"][3] <= '"$2")" = True ]
	check "$1: cells of at least $3 px ($(json "$r" 'd["bands"][0][3] - d["bands"][0][1]'))" \
		[ "$(json "$r" 'd["bands"][0][3] - d["bands"][0][1] >= '"$3")" = True ]
	bad=$(python3 -c '
import json, math, sys
d = json.load(open(sys.argv[1]))
bad = []
for m in d["markers"]:
    rows = [b for b in d["bands"] if m[1] >= b[1] - 0.5 and m[3] <= b[3] + 0.5]
    if not rows:
        bad.append(m)
        continue
    b = rows[0]
    cell = b[3] - b[1]
    if m[0] < b[0] - 0.5 or m[2] > b[2] + 0.5 or math.floor((m[0] - b[0] + 0.5) / cell) != math.floor((m[2] - b[0] - 0.5) / cell):
        bad.append(m)
print(len(d["markers"]), len(bad), bad[:2])' "$r")
	check "$1: every marker inside its cell (markers, outside, first: $bad)" [ "$(echo "$bad" | cut -d' ' -f2)" = 0 ]
	check "$1: there are markers to check ($bad)" [ "$(echo "$bad" | cut -d' ' -f1)" -gt 0 ]
}

# ---------------------------------------------------------------- data/sample
herd-normalize -q "$top"/data/sample/*.ndjson | herd-score -q --model vader |
	herd-aggregate -q --window 1h,1d --lateness all --pass all >sample.ndjson
grep '"kind":"agg","entity":"[^"]*","window":"1h"' sample.ndjson | herd-detect -q --state s1h.db --window 1h >ev1h.ndjson
herd-detect -q --state s1d.db --window 1d sample.ndjson >ev1d.ndjson
herd-load -q --db sample.db sample.ndjson ev1h.ndjson ev1d.ndjson
check "sample: loaded with events ($(q sample.db 'SELECT count(*) FROM events'))" \
	[ "$(q sample.db 'SELECT count(*) FROM events')" -gt 0 ]

herd-report --db sample.db --window 1h -o sample-heatmap.html heatmap
herd-report --db sample.db --window 1h --format json heatmap >sample-heatmap.json
render sample-heatmap sample-heatmap.html sample-heatmap.json 1400 500
check "sample-heatmap: red and green squares are drawn ($(json "$tmp/sample-heatmap.cdp.json" 'd["pixels"]'))" \
	[ "$(json "$tmp/sample-heatmap.cdp.json" 'd["pixels"]["red"] > 20 and d["pixels"]["green"] > 20')" = True ]
heatmap_layout sample-heatmap 500 14
check "sample-heatmap: the seven sample tickers are its rows" \
	[ "$(json sample-heatmap.json '" ".join(sorted(r["entity"] for r in d["rows"]))')" = "AAPL AMC BB GME NOK PLTR TSLA" ]

herd-report --db sample.db --format html --day 2021-01-27 -o sample-digest.html digest
herd-report --db sample.db --format json --day 2021-01-27 digest >sample-digest.json
render sample-digest sample-digest.html sample-digest.json 1200 900
for h in "Top movers by mentions" "Sentiment movers" "New cascades" "Signals" "Heat and discoveries" "Alerts sent"; do
	check "sample-digest: section '$h' shown" [ "$(json "$tmp/sample-digest.cdp.json" "'$h' in d['visible_texts']")" = True ]
done
check "sample-digest: GME leads the movers of the 27th" [ "$(json sample-digest.json 'd["movers"][0]["entity"]')" = GME ]

# ---------------------------------------------------------------- January 2021, real comments
CM=$SHARED/reddit-ticker-comments-2021-01/daily_data
if [ -d "$CM" ] && [ -x "$bin/herd-import" ]; then
	stop=$top/data/entities/stoplist.txt
	herd-import -q --source reddit --date-from-filename --community-from-filename '^[0-9-]+_([a-z]+)_' \
		--map text=comment,entities=ticker,vader.compound=compound "$CM"/*_comments.csv |
		herd-aggregate -q --window 1d --lateness all >jan-agg.ndjson
	herd-detect -q --state jan-state.db --window 1d --exclude "$stop" jan-agg.ndjson >jan-ev.ndjson
	herd-load -q --db jan.db jan-agg.ndjson jan-ev.ndjson
	herd-report --db jan.db --exclude "$stop" -o jan-heatmap.html heatmap
	herd-report --db jan.db --exclude "$stop" --format json heatmap >jan-heatmap.json
	render jan-heatmap jan-heatmap.html jan-heatmap.json 1000 700
	heatmap_layout jan-heatmap 700 14
	check "jan-heatmap: GME is the most mentioned row" [ "$(json jan-heatmap.json 'd["rows"][0]["entity"]')" = GME ]
	check "jan-heatmap: 25 rows, Jan 20 to 27" \
		[ "$(json jan-heatmap.json 'len(d["rows"]), d["columns"][0], d["columns"][-1]')" = "25 2021-01-20T00:00:00Z 2021-01-27T00:00:00Z" ]
	herd-report --db jan.db --exclude "$stop" --format html --day 2021-01-27 -o jan-digest.html digest
	herd-report --db jan.db --exclude "$stop" --format json --day 2021-01-27 digest >jan-digest.json
	render jan-digest jan-digest.html jan-digest.json 1200 1000
	# (GME's herd began before these comments do: no quiet history to
	# judge it by, docs/detection.md; AMC's starts in them.)
	check "jan-digest: AMC's cascade starts on the 27th" \
		[ "$(json jan-digest.json '[e["entity"] for e in d["cascades"]]' | grep -c "'AMC'")" = 1 ]
else
	echo "note: $CM absent: the real January 2021 replay is not rendered"
fi

result
