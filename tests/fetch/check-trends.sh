#!/usr/bin/env bash
# check-trends.sh — herd-fetch trends against the fixture server playing
# Google Trends with real exports (../shared/data/google-trends-gme-2021:
# daily US interest, 6 Jan – 3 Apr 2021, 0..100 over that whole window),
# each answer rescaled so that the window asked peaks at 100 and rounded, as
# Google does:
#   - explore (keyword, geo, time), then multiline with the TIMESERIES
#     widget's own request and token; both bodies behind ")]}'";
#   - weekly runs over the quarter, each window overlapping the last by 7
#     days, stitch into one series proportional to the export: on every day
#     the export has at 5 or more, stitched / export stays within
#     STITCH_RTOL of the first day's ratio (four keywords);
#   - every day written once; the day still running (isPartial) is left for
#     a later run; a first run asks 90 days, or from --since;
#   - herd-normalize: interest metrics, interval 1d, value = Google's value
#     × the run's scale, entity from ENTITY=keyword;
#   - --replay of a saved multiline answer (tests/fetch/fixtures), scale 1.
# Prints "RESULT N passed, N failed".
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-fetch.sh"
need_fetch
gt=$SHARED/google-trends-gme-2021
[ -r "$gt/gamestop.csv" ] || skip "$gt absent (the Google Trends exports)"

# Google rounds each answer to whole numbers of its own 0..100 scale: a day
# at 5 can be off by up to 10% in one answer, and the factors are estimated
# from 7-day sums, mostly of larger values. Measured on the four keywords
# below: 1.8% to 4.6%; the bound leaves room for a different chain of
# windows, not for a wrong factor (a missed rescale is off by 2x or more).
STITCH_RTOL=0.08

config() { # KEYWORD [TRENDS_NOW]
	cat <<JSON
{"datasets": {"trends:$1": {"csv": "$gt/$1.csv"}}, "trends_now": ${2:-1e18}, $SECRETS_JSON}
JSON
}
serve "$(config gamestop)"

hf trends GME=gamestop --geo US --now 2021-02-15T12:00:00Z >"$tmp/o1" 2>"$tmp/e1"
rc=$?
check "a first run: exit 0 (got $rc): $(head -2 "$tmp/e1")" [ "$rc" -eq 0 ]
check "explore, then multiline: 2 requests" \
	[ "$(reqs '.path == "/trends/api/explore"')" -eq 1 -a "$(reqs '.path == "/trends/api/widgetdata/multiline"')" -eq 1 ]
check "explore asks the keyword, the geo and 90 days back ($(jq -r 'select(.path == "/trends/api/explore") | .query.req' "$log"))" \
	[ "$(jq -r 'select(.path == "/trends/api/explore") | .query.req' "$log")" = '{"comparisonItem":[{"keyword":"gamestop","geo":"US","time":"2020-11-17 2021-02-15"}],"category":0,"property":""}' ]
check "multiline sends the cookie explore set" [ "$(reqs '.path == "/trends/api/widgetdata/multiline" and .headers.cookie == "NID=herd-test-cookie"')" -eq 1 ]
check "multiline sends the widget's own request and its token" \
	[ "$(reqs '.path == "/trends/api/widgetdata/multiline" and (.query.token | length) > 10 and (.query.req | fromjson | .resolution) == "DAY"')" -eq 1 ]
check "the days the export has up to Feb 15 (41)" [ "$(grep -c . "$tmp/o1")" -eq 41 ]

# A day still running is left for the next run.
rm -f "$tmp"/state.db*
reconfig "$(config gamestop "$(date -u -d 2021-01-20T12:00:00Z +%s)")"
hf trends GME=gamestop --geo US --since 2021-01-06 --now 2021-01-20T12:00:00Z >"$tmp/o2" 2>"$tmp/e2"
check "isPartial: the running day (Jan 20) is not written ($(jq -r .item.time "$tmp/o2" | tail -1))" \
	[ "$(grep -c . "$tmp/o2")" -eq 14 -a "$(jq -r '.item.isPartial // false' "$tmp/o2" | sort -u)" = false ]
reconfig "$(config gamestop)"
hf trends GME=gamestop --geo US --now 2021-01-25T12:00:00Z >"$tmp/o3" 2>"$tmp/e3"
check "… the next run writes it, whole ($(jq -r '.item.formattedTime' "$tmp/o3" | head -1))" \
	[ "$(jq -r '.item.formattedTime' "$tmp/o3" | head -1)" = "Jan 20, 2021" ]
check "… the window overlaps the days written by 7" \
	[ "$(jq -r 'select(.path == "/trends/api/explore") | .query.req | fromjson | .comparisonItem[0].time' "$log" | tail -1)" = "2021-01-13 2021-01-25" ]

# Weekly runs over the quarter, stitched.
stitch() { # KEYWORD: every run, then the worst deviation from proportional
	local kw=$1 d=2021-01-20
	rm -f "$tmp"/state.db* "$tmp/s.$kw"
	reconfig "$(config "$kw")"
	while [ "$d" \< 2021-04-10 ]; do
		hf trends "X=$kw" --geo US --since 2021-01-06 --now "${d}T12:00:00Z" >>"$tmp/s.$kw" 2>>"$tmp/e.$kw"
		d=$(date -u -d "$d + 7 days" +%F)
	done
	"$bin/herd-normalize" -q "$tmp/s.$kw" | jq -r '[.at[0:10], .value] | @tsv' | sort >"$tmp/got.$kw"
	tail -n +4 "$gt/$kw.csv" | tr ',' '\t' | sed 's/<1/0.5/' | sort >"$tmp/true.$kw"
	join "$tmp/got.$kw" "$tmp/true.$kw" | awk '$3 >= 5 { r = $2 / $3; if (!n++) r0 = r; d = (r - r0) / r0;
		if (d < 0) d = -d; if (d > m) { m = d; at = $1 } } END { printf "%d %.4f %s %.3f\n", n, m, at, r0 }'
}
for kw in gamestop gme wallstreetbets stocks; do
	read -r n dev at r0 < <(stitch $kw)
	check "$kw: 12 weekly windows stitch into one series: stitched / export within $STITCH_RTOL of the first ratio ($r0) on all $n days at 5 or more (worst $dev, $at)" \
		awk -v d="$dev" -v t="$STITCH_RTOL" -v n="$n" 'BEGIN { exit !(n > 20 && d <= t) }'
	check "$kw: every day of the export once ($(grep -c . "$tmp/got.$kw") written, $(cut -f1 "$tmp/got.$kw" | sort -u | wc -l) distinct)" \
		[ "$(grep -c . "$tmp/got.$kw")" -eq 88 -a "$(cut -f1 "$tmp/got.$kw" | sort -u | wc -l)" -eq 88 ]
done
"$bin/herd-normalize" -q "$tmp/s.gamestop" | head -1 >"$tmp/m"
check "herd-normalize: an interest metric ($(cat "$tmp/m"))" \
	[ "$(jq -c '[.kind, .source, .entity, .at, .name, .interval, .keyword, .geo]' "$tmp/m")" = '["metric","trends","X","2021-01-06T00:00:00Z","interest","1d","gamestop","US"]' ]
check "the scale goes with each raw record (includes.scale)" \
	[ "$(jq -c 'select(.includes.scale == null)' "$tmp/s.gamestop" | grep -c .)" -eq 0 ]

"$bin/herd-fetch" trends --replay --query GME "$FX/trends-multiline-gamestop.json" >"$tmp/replay" 2>"$tmp/er"
check "--replay of a saved answer (behind its guard): its 13 whole days, scale 1" \
	[ "$(grep -c . "$tmp/replay")" -eq 13 -a "$(jq -r .includes.scale "$tmp/replay" | sort -u)" = 1 ]
check "--replay: normalized, the peak day is 100" \
	[ "$("$bin/herd-normalize" -q "$tmp/replay" | jq -r 'select(.at == "2021-01-28T00:00:00Z") | .value')" = 100 ]
hf trends GME=gamestop --lang en >/dev/null 2>"$tmp/e4"
rc=$?
check "an option of another source: exit 2 (got $rc): $(cat "$tmp/e4")" [ "$rc" -eq 2 ]
result
