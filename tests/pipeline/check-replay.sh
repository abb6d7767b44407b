#!/usr/bin/env bash
# check-replay.sh — the demo replay end to end (issue 2: `make demo`;
# issue 12.2: the demo shows a herd): pipelines/replay.sh --demo runs
# data/sample through herd-normalize, herd-score --model vader,
# herd-aggregate, herd-detect and herd-load into SQLite, and
#   - every sample item becomes one post, every post one VADER score;
#   - the entity rows, the aggregates and the posts agree with each other
#     and with herd-aggregate run on its own;
#   - the summary names the sample's story (GME on top, its busiest hour);
#   - herd-detect flags the GME herd and the summary shows it: one herd,
#     GME, starting in its planned days (none in the four quiet weeks), led
#     by r/wallstreetbets, followed by StockTwits, X, r/stocks and
#     r/investing in that order, each with a positive lag — what the
#     sample plants, not a threshold's exact output;
#   - --detect off loads no event; --state keeps the detector's memory;
#   - a second replay into the same file changes no row (dump identical);
#   - a corrupted line is reported with file:line, kept, the rest loaded,
#     and replay exits 1; bad options exit 2.
# Skips (77) while a program of the pipe, the entity dictionary or the VADER
# lexicon is missing. Prints "RESULT N passed, N failed".
. "$(dirname "$0")/../lib.sh"
export HERD_BIN=$bin
replay=$top/pipelines/replay.sh
need_pipe
[ -x "$bin/herd-detect" ] || skip "$bin/herd-detect not built yet"

# ---------------------------------------------------------------- the demo
db=$tmp/demo.db
"$replay" --demo --db "$db" >"$tmp/out1" 2>"$tmp/err1"
rc=$?
check "replay --demo exits 0 (got $rc): $(tail -3 "$tmp/err1")" [ "$rc" -eq 0 ]
[ -f "$db" ] || { check "a database was made" false; result; }

items=$(cat "$top"/data/sample/*.ndjson | grep -c .)
posts=$(q "$db" "SELECT count(*) FROM posts")
check "every sample item is a post ($items items, $posts posts)" [ "$posts" -eq "$items" ]
check "one VADER score per post" [ "$(q "$db" "SELECT count(*) FROM scores WHERE model = 'vader@3.3.2'")" -eq "$posts" ]
check "every source of the sample is there" \
	[ "$(q "$db" "SELECT group_concat(source) FROM (SELECT DISTINCT source FROM posts ORDER BY 1)")" = "newsapi,reddit,stocktwits,x" ]
check "scores agree with the score column they came from" \
	[ "$(q "$db" "SELECT count(*) FROM scores WHERE score IS NOT compound OR abs(confidence - abs(compound)) > 1e-12")" -eq 0 ]

# herd-aggregate on its own gives the same aggregates.
"$bin/herd-normalize" -q "$top"/data/sample/*.ndjson | "$bin/herd-score" -q --model vader |
	"$bin/herd-aggregate" -q --window 1h,1d --lateness all >"$tmp/agg.ndjson"
n_agg=$(grep -c '"kind":"agg"' "$tmp/agg.ndjson")
check "aggregates: as many rows as herd-aggregate writes ($n_agg)" \
	[ "$(q "$db" "SELECT count(*) FROM aggregates")" -eq "$n_agg" ]
# Each post counts once per entity and window: both window lengths add up to
# the entity rows, per entity.
bad=$(q "$db" "SELECT count(*) FROM (SELECT entity, count(*) AS n FROM post_entities GROUP BY entity) e
	LEFT JOIN (SELECT entity, sum(posts) AS h FROM aggregates WHERE window = '1h' GROUP BY entity) a USING (entity)
	LEFT JOIN (SELECT entity, sum(posts) AS d FROM aggregates WHERE window = '1d' GROUP BY entity) b USING (entity)
	WHERE a.h IS NOT e.n OR b.d IS NOT e.n")
check "sum of 1h and of 1d posts = entity rows, for every entity ($bad differ)" [ "$bad" -eq 0 ]
bad=$(q "$db" "SELECT count(*) FROM (SELECT a.entity, a.start, a.posts, count(p.id) AS n FROM aggregates a
	JOIN post_entities e ON e.entity = a.entity JOIN posts p ON p.id = e.post_id
	AND p.created_at >= a.start AND p.created_at < strftime('%Y-%m-%dT%H:%M:%SZ', a.start, '+1 day')
	WHERE a.window = '1d' GROUP BY a.entity, a.start) WHERE posts != n")
check "each 1d aggregate counts the posts of its day ($bad differ)" [ "$bad" -eq 0 ]

# The summary tells the sample's story.
check "summary: header with the post count" grep -q "^$db: $posts posts by " "$tmp/out1"
check "summary: GME first" grep -qE '^  GME +[0-9]+ ' <(sed -n '/^Top 5 entities/,/^$/p' "$tmp/out1" | sed -n 3p)
check "summary: five entities" [ "$(sed -n '/^Top 5 entities/,/^$/p' "$tmp/out1" | grep -cE '^  [A-Z]+ +[0-9]')" -eq 5 ]
check "summary: GME's busiest hour is in the herd (Jan 22-29)" grep -qE '^  GME .* 2021-01-2[2-9]T[0-9:]+Z \([0-9]+ posts\)$' "$tmp/out1"
check "summary: GME sours on the 28th" \
	[ "$(q "$db" "SELECT sent_mean < (SELECT sent_mean FROM aggregates WHERE entity = 'GME' AND window = '1d'
		AND start = '2021-01-27T00:00:00Z') FROM aggregates WHERE entity = 'GME' AND window = '1d'
		AND start = '2021-01-28T00:00:00Z'")" = 1 ]

# The herd: what the sample plants (scripts/make-sample-data.py), read from
# the events herd-detect wrote and from the summary.
herds=$(q "$db" "SELECT entity || ' ' || substr(json_extract(evidence, '$.episode'), 1, 10) FROM events
	WHERE type = 'cascade' GROUP BY entity, json_extract(evidence, '$.episode')")
check "herd-detect found one herd, GME's, starting Jan 21-25 (got: $(echo $herds))" \
	bash -c '[[ "$1" =~ ^GME\ 2021-01-2[1-5]$ ]]' _ "$herds"
check "… and no cascade in the quiet weeks (before Jan 21)" \
	[ "$(q "$db" "SELECT count(*) FROM events WHERE type = 'cascade' AND \"at\" < '2021-01-21'")" -eq 0 ]
herd=$(sed -n '/^Herds found by herd-detect: 1 /,/^$/p' "$tmp/out1")
check "summary: the herd section names GME and its start ($(sed -n 2p <<<"$herd"))" \
	grep -qE '^  GME, from 2021-01-2[1-5] \(1d windows\): start 2021-01-2[1-5]' <<<"$herd"
roles=$(awk '$1 == "leader" || $1 == "follower" { print $1, $2 }' <<<"$herd" | tr '\n' ';')
check "summary: led by r/wallstreetbets, then StockTwits, X, r/stocks, r/investing (got: $roles)" \
	[ "$roles" = "leader reddit/wallstreetbets;follower stocktwits/GME;follower x;follower reddit/stocks;follower reddit/investing;" ]
lags=$(grep -oE '\(\+[0-9]+[smhd]\)' <<<"$herd" | tr -d '(+)' | tr '\n' ' ')
check "summary: each follower's lag, positive and growing (got: $lags)" \
	bash -c 'set -- $1; [ $# -eq 4 ] || exit 1; p=0; for l in "$@"; do
		case $l in *d) v=$((${l%d} * 86400)) ;; *h) v=$((${l%h} * 3600)) ;; *m) v=$((${l%m} * 60)) ;; *) v=${l%s} ;; esac
		[ "$v" -gt "$p" ] || exit 1; p=$v; done' _ "$lags"
check "summary: GME by day from a week before its herd, with each community's posts" \
	grep -qE '^  2021-01-2[2-9]T00:00:00Z +[0-9]+ .* reddit/wallstreetbets [0-9]+, .*stocktwits/GME [0-9]+' \
	<(sed -n '/^GME by 1d window (from 7 windows before its herd)/,$p' "$tmp/out1")
"$replay" --summary --db "$db" >"$tmp/sum" 2>&1
check "--summary prints the same summary without loading" cmp -s "$tmp/sum" "$tmp/out1"

# ---------------------------------------------------------------- again
sqlite3 "$db" .dump >"$tmp/dump1"
"$replay" --demo --db "$db" >"$tmp/out2" 2>"$tmp/err2"
rc=$?
sqlite3 "$db" .dump >"$tmp/dump2"
check "second replay exits 0 (got $rc)" [ "$rc" -eq 0 ]
check "second replay changes no row (dump identical)" cmp -s "$tmp/dump1" "$tmp/dump2"
check "second replay: herd-load counts nothing new or updated" \
	[ "$(grep -E '^herd-load: [a-z_]+: ' "$tmp/err2" | grep -vcE ': 0 new, (0 updated, )?[0-9]+ unchanged')" -eq 0 ]
check "second replay prints the same summary" cmp -s "$tmp/out1" "$tmp/out2"

# ---------------------------------------------------------------- bad input
mkdir "$tmp/in"
cp "$top"/data/sample/*.ndjson "$tmp/in/"
sed -i '7s/.*/{"kind":"raw","source":"reddit","item":{"kind":"t1","data":{"id":"zz"/' "$tmp/in/reddit.ndjson"
"$replay" --db "$tmp/bad.db" -q "$tmp"/in/*.ndjson >"$tmp/out3" 2>"$tmp/err3"
rc=$?
check "a corrupted line: replay exits 1 (got $rc)" [ "$rc" -eq 1 ]
check "the line is reported with file and line" grep -q "^herd-normalize: $tmp/in/reddit.ndjson:7: invalid JSON" "$tmp/err3"
check "replay says where it is kept" grep -q "^replay: herd-normalize rejected 1 lines (kept in $tmp/bad.rejects/normalize.ndjson)" "$tmp/err3"
check "the kept line is the corrupted one" cmp -s <(sed -n 7p "$tmp/in/reddit.ndjson") "$tmp/bad.rejects/normalize.ndjson"
check "the rest is loaded ($((items - 1)) posts)" [ "$(q "$tmp/bad.db" "SELECT count(*) FROM posts")" -eq $((items - 1)) ]
check "the summary still follows" grep -q "^$tmp/bad.db: $((items - 1)) posts" "$tmp/out3"

# ---------------------------------------------------------------- detection options
"$replay" -q --demo --detect off --db "$tmp/off.db" >"$tmp/off.out" 2>&1
check "--detect off: exit 0, posts and aggregates, no event" \
	[ $? -eq 0 -a "$(q "$tmp/off.db" "SELECT count(*) FROM events")" -eq 0 -a "$(q "$tmp/off.db" "SELECT count(*) FROM aggregates")" -eq "$n_agg" ]
check "--detect off: the summary says no herd" grep -q '^Herds: none found' "$tmp/off.out"
# --state: the detector's memory outlives the run, so the same files again
# are late for it (nothing new), and the database is unchanged.
"$replay" -q --demo --state "$tmp/st.db" --db "$tmp/st1.db" >/dev/null 2>&1
check "--state keeps the detector's state file" [ -s "$tmp/st.db" ]
"$replay" -q --demo --state "$tmp/st.db" --db "$tmp/st1.db" >/dev/null 2>"$tmp/st.err"
check "… a second replay with it finds nothing new (all late) and changes no event" \
	[ "$(q "$tmp/st1.db" "SELECT count(*) FROM events")" -eq "$(q "$db" "SELECT count(*) FROM events")" ]
"$replay" --demo --detect 5m --db "$tmp/x.db" >/dev/null 2>"$tmp/err7"
check "--detect with a window not aggregated exits 2" [ $? -eq 2 ]

"$replay" --bogus >/dev/null 2>"$tmp/err4"
check "an unknown option exits 2" [ $? -eq 2 ]
check "… and says so" grep -q "^replay: unknown option '--bogus'" "$tmp/err4"
"$replay" --demo --window 1x --db "$tmp/x.db" >/dev/null 2>"$tmp/err5"
check "a bad window exits 2" [ $? -eq 2 ]
if [ ! -d "$top/models/default" ]; then
	"$replay" --demo --bert --db "$tmp/x.db" >/dev/null 2>"$tmp/err6"
	check "--bert without models/default exits 1" [ $? -eq 1 ]
	check "… and says to run make models" grep -q "make models" "$tmp/err6"
fi
"$replay" --help >"$tmp/help"
check "--help: usage on line 1" grep -q '^Usage: pipelines/replay.sh ' <(head -1 "$tmp/help")

result
