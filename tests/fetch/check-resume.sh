#!/usr/bin/env bash
# check-resume.sh — the property every source must have (issue 14): however
# its runs are cut, killed and failed, what they write across runs holds
# every item exactly once. For each source, against the fixture server
# serving a generated dataset in the API's own shape (fixture-server.py
# --generate: real recorded items with new ids and times) 10 a page:
#   - runs cut at every page boundary (--max-pages 1, 2, 3 in turn), new
#     items published between them (while a paging run is unfinished);
#   - every fault kind on every second request, in turn: 429 with
#     Retry-After, 500, a connection reset, a truncated body, invalid JSON,
#     a page repeating the last item of the page before, a page in reverse
#     order (newest first broken);
#   - runs killed (kill -9) at random moments while answers come slowly;
#   - then runs until nothing new comes;
# and counts, over everything written to the --output file, 0 items lost
# and 0 written twice (the bars of Yahoo excepted: a run writes the last
# bar again on purpose, since a day's bar changes until the close; there
# only that bar may come twice). Prints "RESULT N passed, N failed".
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-fetch.sh"
need_fetch

export HERD_FAKE_SLEEP=$sleeps
KINDS='["429", "500", "reset", "truncate", "invalid_json", "repeat", "disorder"]'
gen() { python3 "$top/tests/fetch/fixture-server.py" --generate "$1" "$2" "$3" "$F"; }

# config KEY FILE HIDE [SLOW]: one dataset, 10 a page, the fault cycle.
config() {
	cat <<EOF
{"datasets": {"$1": {"file": "$2", "csv": "$2", "hide": $3}}, $SECRETS_JSON,
 "page_size": {"reddit": 10, "stocktwits": 10, "x": 10, "unusualwhales": 10}, "max_results": 100000,
 "fault_cycle": {"every": 2, "kinds": $KINDS, "retry_after": "1"}, "slow_all": ${4:-0}}
EOF
}

# property NAME KEY FILE N FIRST IDS-JQ ARGS...: the runs above for one
# source and query (ARGS: herd-fetch's SOURCE QUERY and options) on N
# items of which FIRST are there at the start, the rest published over the
# runs; IDS-JQ gives an item's id from a raw record.
property() {
	local name=$1 key=$2 file=$3 n=$4 first=$5 idq=$6 hide m k rc pid lines uniq bad=0
	local step=$(((n - first) / 14))
	shift 6
	rm -f "$tmp"/state.db* "$tmp/out" "$log"
	serve_config() { reconfig "$(config "$key" "$file" "$1" "${2:-0}")"; }
	hide=$((n - first))
	serve_config $hide
	# Cut at every page boundary, new items published after every run.
	for k in $(seq 1 12); do
		m=$(((k - 1) % 3 + 1))
		hf "$@" --max-pages $m --output "$tmp/out" >/dev/null 2>>"$tmp/e.$name"
		rc=$?
		[ "$rc" -eq 0 ] || [ "$rc" -eq 3 ] || { bad=$((bad + 1)); echo "$name run $k: exit $rc: $(tail -1 "$tmp/e.$name")"; }
		hide=$((hide > step ? hide - step : 0))
		serve_config $hide
	done
	# Killed at random moments while answers come slowly.
	for k in 1 2 3; do
		[ $hide -eq 0 ] || hide=$((hide - 5 > 0 ? hide - 5 : 0))
		serve_config $hide 0.04
		hf_bg /dev/null "$@" --max-pages 3 --output "$tmp/out"
		pid=$!
		sleep "0.$((RANDOM % 25 + 3))"
		{ kill -9 "$pid" && wait "$pid"; } 2>/dev/null
	done
	# Then until nothing new comes (and the last run finished cleanly).
	serve_config 0
	for k in $(seq 1 12); do
		lines=$(grep -c . "$tmp/out" 2>/dev/null || echo 0)
		hf "$@" --output "$tmp/out" >/dev/null 2>>"$tmp/e.$name"
		rc=$?
		[ "$rc" -eq 0 ] && [ "$(grep -c . "$tmp/out")" -eq "$lines" ] && break
	done
	check "$name: the runs exit 0 or 3 ($bad others)" [ "$bad" -eq 0 ]
	jq -r "$idq" "$tmp/out" | sort >"$tmp/ids.$name"
	lines=$(grep -c . "$tmp/ids.$name")
	uniq=$(sort -u "$tmp/ids.$name" | grep -c .)
	if [ "$name" = yahoo ]; then # bars: only the last bar of a record may come again
		lines=$(jq -c '.item.timestamp' "$tmp/out" | jq -s 'reduce .[] as $r ({seen: {}, last: null, extra: 0};
			. as $s | .extra += ([$r[] | tostring | select($s.seen[.] != null and . != $s.last)] | length)
			| .seen += ([$r[] | tostring | {(.): 1}] | add // {}) | .last = ($r[-1] | tostring)) | .extra + '"$uniq")
	fi
	check "$name: $n items, 0 lost, 0 written twice ($uniq distinct of $lines written)" \
		[ "$uniq" -eq "$n" -a "$lines" -eq "$n" ]
	check "$name: every fault kind was met ($(jq -r 'select(.fault != null) | .fault' "$log" | sort -u | tr '\n' ' '))" \
		[ "$(jq -r 'select(.fault != null) | .fault' "$log" | sort -u | grep -c .)" -ge 7 ]
}

serve "$(config none /dev/null 0)"

gen reddit 120 "$tmp/reddit.json"
property reddit "reddit:wsb/new" "$tmp/reddit.json" 120 30 .item.data.name reddit wsb --listing new
gen stocktwits 120 "$tmp/st.json"
property stocktwits "stocktwits:GME" "$tmp/st.json" 120 30 .item.id stocktwits GME
gen newsapi 600 "$tmp/news.json"
property newsapi "newsapi:GME" "$tmp/news.json" 600 250 .item.url newsapi GME --max-results 1000 --budget 0
gen x 120 "$tmp/x.json"
property x "x:GME" "$tmp/x.json" 120 30 .item.id x GME

gen alphavantage 150 "$tmp/av.json"
property alphavantage "alphavantage:NEWS_SENTIMENT:GME" "$tmp/av.json" 150 30 .item.url alphavantage GME --budget 0
gen yahoo 150 "$tmp/yahoo.json"
property yahoo "yahoo:GME" "$tmp/yahoo.json" 150 30 '.item.timestamp[]' yahoo GME --since 2021-02-01 \
	--now 2021-12-31T00:00:00Z
gen wikipedia 150 "$tmp/wiki.json"
property wikipedia "wikipedia:GameStop" "$tmp/wiki.json" 150 30 .item.timestamp wikipedia GME=GameStop \
	--since 2021-02-01 --now 2021-12-31T00:00:00Z

gen unusualwhales 120 "$tmp/uw.json"
property unusualwhales "unusualwhales:GME" "$tmp/uw.json" 120 30 .item.id unusualwhales GME --since 2021-02-01 \
	--now 2021-12-31T00:00:00Z
gen finnhub 150 "$tmp/fh.json"
property finnhub "finnhub:GME" "$tmp/fh.json" 150 30 '"\(.item.gradeTime)/\(.item.company)"' finnhub GME \
	--since 2021-02-01 --now 2021-12-31T00:00:00Z
if [ -r "$SHARED/google-trends-gme-2021/gme.csv" ]; then
	property trends "trends:gme" "$SHARED/google-trends-gme-2021/gme.csv" 88 20 .item.time trends GME=gme --geo US \
		--since 2021-01-06 --now 2021-12-31T00:00:00Z
fi

check "no secret in any output: $(no_secrets "$tmp"/out "$tmp"/e.* "$sleeps")" no_secrets "$tmp"/out "$tmp"/e.* "$sleeps"
result
