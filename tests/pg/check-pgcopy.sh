#!/usr/bin/env bash
# check-pgcopy.sh — herd-load --pg-copy and pipelines/pg-load.sh against a
# real PostgreSQL server (issue 7, item 1), started here from Debian's
# binaries on a throwaway data directory, as an unprivileged user when run
# as root, listening only on a unix socket in the temp dir; stopped at exit.
#   - escaping: texts with backslash, tab, CR, LF, other control characters,
#     quotes, emoji, "\N" and "\." arrive byte for byte; empty stays apart
#     from NULL; reals and bigints exactly; U+0000 is rejected (file:line);
#   - the demo replay and the WSB pipe: the same rows, with the same values,
#     as herd-load puts in SQLite from the same records (every table, every
#     column; duplicate ids in WSB: the last one wins in both);
#   - loading the same files again, or the same input as a new run, changes
#     no row (each row's ctid and xmin kept) and says "0 new, 0 updated";
#   - across runs the run loaded last wins (run id order), as SQLite's
#     record loaded last; runs and shards written at once share a DIR;
#   - a run with a bad row, and a run whose psql is killed mid-transaction,
#     leave the database as it was and stay in DIR; loaded runs move to
#     DIR/loaded/; pg-load.sh's usage errors.
# Skips (77) when the PostgreSQL server binaries or psql are absent; parts
# that need the pipe (VADER lexicon…) or ../shared/data are skipped alone.
# Prints "RESULT N passed, N failed[, N skipped]".
. "$(dirname "$0")/../lib.sh"
pgload=$top/pipelines/pg-load.sh
skipped=0

. "$(dirname "$0")/server.sh"
pg_find || skip "PostgreSQL server binaries or psql absent (/usr/lib/postgresql/*/bin: scripts/install-deps.sh installs postgresql)"
command -v jq >/dev/null || skip "jq absent"
[ -x "$bin/herd-load" ] || skip "$bin/herd-load not built yet"
trap 'pg_stop; rm -rf "$tmp"' EXIT
pg_start "$tmp" -c fsync=off -c full_page_writes=off 2>"$tmp/pg.err" || { check "the server starts: $(cat "$tmp/pg.err")" false; result; }

. "$(dirname "$0")/lib-compare.sh"

# ---------------------------------------------------------------- escaping
mkdir "$tmp/esc"
cat >"$tmp/esc.ndjson" <<'EOF'
{"kind":"post","id":"esc:1","source":"test","type":"comment","community":"","created_at":"2021-01-27T14:03:00Z","author":"\\.","title":"\\N","text":"back\\slash tab\there\r\nCRLF\nLF \u0001\u0007\b\f\u000b\u001b[0m\u001f\u007f \"double\" 'single' 🚀 中文 e\u0301 \\\\ end\\","url":null,"engagement":{"score":-3,"replies":9007199254740993},"entities":["🚀","GME","tab\there"],"lang":"en","sentiment":{"model":"test@1","label":"positive","score":0.30000000000000004,"confidence":5e-324,"probs":{"z":1,"a":0.1}}}
{"kind":"post","id":"esc:2","source":"test","type":"comment","created_at":"2021-01-27T14:04:00+01:00","author":null,"title":"","text":"","entities":[]}
{"kind":"post","id":"esc:nul","source":"test","type":"comment","created_at":"2021-01-27T14:05:00Z","text":"a\u0000b"}
{"kind":"metric","source":"test","entity":"GME","at":"2021-01-27T00:00:00Z","name":"extremes","value":1.7976931348623157e308,"open":-0.0,"high":2.2250738585072014e-308,"low":-123456789.125,"close":0.1,"volume":1e21}
{"kind":"event","type":"heat","entity":"GME","at":"2021-01-27T15:00:00Z","key":"heat:GME:\t\\x","score":2.5,"severity":null,"evidence":{"z":1,"a":{"nested":["x\ty",null,true,1.5e-7,"\\u0000 is text here"]},"quote":"\"\\","emoji":"🚀"}}
EOF
"$bin/herd-load" --pg-copy "$tmp/esc" --run-id esc "$tmp/esc.ndjson" >"$tmp/esc.out" 2>"$tmp/esc.err"
rc=$?
check "a record PostgreSQL cannot hold: exit 1 (got $rc)" [ "$rc" -eq 1 ]
check "… reported with file, line and reason: $(head -1 "$tmp/esc.err")" \
	grep -qx "herd-load: $tmp/esc.ndjson:3: posts.text holds a NUL character (U+0000), which PostgreSQL cannot store" "$tmp/esc.err"
check "… the rest is written" grep -qx "herd-load: $tmp/esc: run esc: 4 records written (2 post, 1 metric, 1 event)" "$tmp/esc.err"
newdb esc
"$pgload" "$tmp/esc" dbname=esc >"$tmp/esc.load" 2>&1
check "pg-load loads the run (exit $?): $(tail -2 "$tmp/esc.load")" grep -qx "pg-load: $tmp/esc: 1 run loaded" "$tmp/esc.load"
grep -v esc:nul "$tmp/esc.ndjson" >"$tmp/esc-ok.ndjson"
"$bin/herd-load" -q --db "$tmp/esc.db" "$tmp/esc-ok.ndjson"
same_tables "$tmp/esc.db" esc "escaping"
check "texts arrive exactly as the records wrote them (backslash, tab, CR, LF, controls, quotes, emoji, \\N, \\.)" \
	cmp -s <(jq -c 'select(.kind == "post" and .id != "esc:nul") | [.id, .text, .title, .author, .community]' "$tmp/esc.ndjson" | canon) \
	<(pq esc "SELECT json_build_array(id, text, title, author, community) FROM posts" | canon)
check "empty text is not NULL, NULL is not empty" \
	[ "$(pq esc "SELECT count(*) FROM posts WHERE text = '' AND title = '' AND author IS NULL AND url IS NULL")" = 1 ]
check "entity names with emoji and tabs" \
	[ "$(pq esc "SELECT string_agg(entity, '|' ORDER BY entity) FROM post_entities WHERE post_id = 'esc:1'")" = "$(printf 'GME|tab\there|🚀')" ]
check "reals exactly: 0.30000000000000004, 5e-324, 1.7976931348623157e308, -0" \
	[ "$(pq esc "SELECT (SELECT score = 0.30000000000000004::float8 AND confidence = 5e-324::float8 FROM scores)
		AND (SELECT value = 1.7976931348623157e308::float8 AND open::text = '-0'
		AND volume = 1e21 FROM metrics)")" = t ]
check "a bigint beyond 2^53 exactly" [ "$(pq esc "SELECT replies FROM posts WHERE id = 'esc:1'")" = 9007199254740993 ]
check "times are timestamptz, offsets applied" \
	[ "$(pq esc "SELECT created_at = '2021-01-27T13:04:00Z' FROM posts WHERE id = 'esc:2'")" = t ]
check "JSON is jsonb; a \\\\u0000 that is text survives" \
	[ "$(pq esc "SELECT pg_typeof(evidence)::text || ' ' || (evidence #>> '{a,nested,4}') FROM events")" = 'jsonb \u0000 is text here' ]
# Raw records (--keep-raw) are keyed by their whole item, which can be far
# longer than a btree entry (~2.7 kB): PostgreSQL matches md5(item::text).
long=$(printf 'x%.0s' $(seq 6000))
for i in 1 2 1; do
	echo '{"kind":"raw","source":"reddit","fetched_at":"2021-01-27T14:0'$i':00Z","query":"wsb","item":{"id":"'$i'","body":"'$long'"}}'
done >"$tmp/raw.ndjson"
"$bin/herd-load" -q --keep-raw --pg-copy "$tmp/esc" --run-id raw "$tmp/raw.ndjson"
"$bin/herd-load" -q --keep-raw --db "$tmp/esc.db" "$tmp/raw.ndjson"
"$pgload" -q "$tmp/esc" dbname=esc
check "raw: items of 6 kB as keys, the repeated one once" [ "$(pq esc "SELECT count(*) FROM raw")" = 2 ]
same_tables "$tmp/esc.db" esc "escaping and raw"

# ---------------------------------------------------------------- an older herd's metrics table
# Metrics that are events carry a key (issue 14: two flow alerts of one
# second are two rows): a table made before has the column added and its
# primary key widened by the next load; its rows stay, with key ''.
newdb old
pq old "CREATE TABLE metrics (source text NOT NULL, entity text NOT NULL, name text NOT NULL,
	\"interval\" text NOT NULL, \"at\" timestamptz NOT NULL, value double precision NOT NULL, open double precision,
	high double precision, low double precision, close double precision, volume double precision,
	PRIMARY KEY (source, entity, name, \"interval\", \"at\"));
	INSERT INTO metrics VALUES ('yahoo', 'GME', 'bar', '1d', '2021-01-27T00:00:00Z', 347.51, 354.83, 380, 249, 347.51, 93396700)"
mkdir "$tmp/old"
cat >"$tmp/old.ndjson" <<'EOF'
{"kind":"metric","source":"unusualwhales","entity":"GME","at":"2021-01-22T15:04:11Z","name":"flow_call_premium","value":1846000,"key":"a1"}
{"kind":"metric","source":"unusualwhales","entity":"GME","at":"2021-01-22T15:04:11Z","name":"flow_call_premium","value":394000,"key":"a2"}
EOF
"$bin/herd-load" -q --pg-copy "$tmp/old" "$tmp/old.ndjson"
"$pgload" -q "$tmp/old" dbname=old
check "an older metrics table: key added, its row kept, two events of one second are two rows" \
	[ "$(pq old "SELECT string_agg(entity || '/' || \"key\" || '/' || value, ' ' ORDER BY value) FROM metrics")" = \
		"GME//347.51 GME/a2/394000 GME/a1/1846000" ]
check "… the primary key has the key" \
	[ "$(pq old "SELECT count(*) FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
		WHERE i.indrelid = 'metrics'::regclass AND i.indisprimary")" = 6 ]
"$bin/herd-load" -q --pg-copy "$tmp/old" "$tmp/old.ndjson"
"$pgload" "$tmp/old" dbname=old >"$tmp/old.load" 2>&1
check "… and a second load of it changes nothing: $(grep metrics "$tmp/old.load")" grep -q ': metrics: 0 new, 0 updated, 2 unchanged$' "$tmp/old.load"

# ---------------------------------------------------------------- usage
"$pgload" --help >"$tmp/help"
check "pg-load --help: usage on line 1" grep -q '^Usage: pipelines/pg-load.sh ' <(head -1 "$tmp/help")
"$pgload" >/dev/null 2>"$tmp/err"
check "pg-load without DIR: exit 2 ($?)" grep -q "^pg-load: no DIR given" "$tmp/err"
"$pgload" --bogus x >/dev/null 2>&1
check "pg-load with an unknown option: exit 2" [ $? -eq 2 ]
"$pgload" "$tmp/nosuch" >/dev/null 2>"$tmp/err"
check "pg-load on a missing DIR: exit 1 ($?)" grep -q "^pg-load: $tmp/nosuch: not a directory" "$tmp/err"

# ---------------------------------------------------------------- the demo replay
if ! (need_pipe) >"$tmp/need" 2>&1; then
	echo "skip: the demo and WSB parts: $(cat "$tmp/need")"
	skipped=$((skipped + 2))
	echo "RESULT $passed passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ]
	exit
fi
"$bin/herd-normalize" -q "$top"/data/sample/*.ndjson | "$bin/herd-score" -q --model vader |
	"$bin/herd-aggregate" -q --window 1h,1d --pass all --lateness all >"$tmp/demo.ndjson"
"$bin/herd-load" -q --db "$tmp/demo.db" "$tmp/demo.ndjson"
spool=$tmp/spool
"$bin/herd-load" -q --pg-copy "$spool" --run-id 20210101-demo "$tmp/demo.ndjson"
check "one COPY file per table with rows, and the script" \
	[ "$(cd "$spool" && echo *)" = "aggregates.20210101-demo.copy load.20210101-demo.sql post_entities.20210101-demo.copy posts.20210101-demo.copy scores.20210101-demo.copy" ]
newdb demo
"$pgload" "$spool" dbname=demo >"$tmp/demo.load" 2>&1
rc=$?
check "pg-load: exit 0 (got $rc): $(tail -2 "$tmp/demo.load")" [ "$rc" -eq 0 ]
posts=$(grep -c '^{"kind":"post"' "$tmp/demo.ndjson")
check "pg-load reports every post new ($posts)" grep -qx "20210101-demo: posts: $posts new, 0 updated, 0 unchanged" "$tmp/demo.load"
check "the loaded run moved to loaded/" [ "$(cd "$spool" && echo * loaded/load.*)" = "loaded loaded/load.20210101-demo.sql" ]
same_tables "$tmp/demo.db" demo "demo replay"

# ---------------------------------------------------------------- again
fingerprint demo >"$tmp/fp1"
mv "$spool"/loaded/* "$spool"/
"$pgload" "$spool" dbname=demo >"$tmp/again.load" 2>&1
check "the same files again: exit 0 ($?), every table '0 new, 0 updated': $(changed_lines "$tmp/again.load" | head -2)" \
	[ -z "$(changed_lines "$tmp/again.load")" ]
fingerprint demo >"$tmp/fp2"
check "… and no row was rewritten (ctid, xmin)" cmp -s "$tmp/fp1" "$tmp/fp2"
"$bin/herd-load" -q --pg-copy "$spool" --run-id 20210101-demo-2 "$tmp/demo.ndjson"
"$pgload" "$spool" dbname=demo >"$tmp/again2.load" 2>&1
check "the same input as a new run: '0 new, 0 updated' ($(grep -c unchanged "$tmp/again2.load") tables)" \
	[ -z "$(changed_lines "$tmp/again2.load")" ]
fingerprint demo >"$tmp/fp3"
check "… and no row was rewritten" cmp -s "$tmp/fp1" "$tmp/fp3"
"$bin/herd-load" --pg-copy "$spool" --run-id 20210101-demo "$tmp/demo.ndjson" 2>"$tmp/err"
check "a run id already loaded is refused ($?)" grep -q "run id '20210101-demo' is taken (loaded/load.20210101-demo.sql exists)" "$tmp/err"

# ---------------------------------------------------------------- last wins
# Run 1, then run 2 changing the post (twice: the later line wins) and its
# entities, adding a score; loaded in id order, as SQLite loads them in turn.
post='{"kind":"post","id":"lw:1","source":"t","type":"comment","created_at":"2021-01-27T14:03:00Z","text":"v1","engagement":{"score":1},"entities":["A","B"]}'
{ echo "$post"; echo "${post/v1/other}" | sed 's/"entities":\["A","B"\]/"entities":["Z"]/'; echo "$post"; } >"$tmp/lw1.ndjson"
{
	echo "$post" | sed 's/"v1"/"v3"/; s/"score":1/"score":3/'
	echo "$post" | sed 's/"v1"/"v2"/; s/"score":1/"score":2/; s/"A","B"/"B","C"/; s/}$/,"vader":{"neg":0.1,"neu":0.5,"pos":0.4,"compound":0.3}}/'
} >"$tmp/lw2.ndjson"
lw=$tmp/lw
"$bin/herd-load" -q --pg-copy "$lw" --run-id lw-2 "$tmp/lw2.ndjson" # written first, loaded second
"$bin/herd-load" -q --pg-copy "$lw" --run-id lw-1 "$tmp/lw1.ndjson"
newdb lw
"$pgload" -q "$lw" dbname=lw
"$bin/herd-load" -q --db "$tmp/lw.db" "$tmp/lw1.ndjson" "$tmp/lw2.ndjson"
same_tables "$tmp/lw.db" lw "last wins"
check "… the post is run 2's last line: v2, score 2, entities B C, a vader score" \
	[ "$(pq lw "SELECT text, score, (SELECT string_agg(entity, ' ' ORDER BY entity) FROM post_entities),
		(SELECT count(*) FROM scores) FROM posts")" = "v2|2|B C|1" ]
mv "$lw"/loaded/*lw-1* "$lw"/
"$pgload" -q "$lw" dbname=lw
"$bin/herd-load" -q --db "$tmp/lw.db" "$tmp/lw1.ndjson"
same_tables "$tmp/lw.db" lw "an older run loaded again"
check "… puts its values back, as in SQLite: v1, entities A B" \
	[ "$(pq lw "SELECT text, (SELECT string_agg(entity, ' ' ORDER BY entity) FROM post_entities) FROM posts")" = "v1|A B" ]

# Shards written at the same time into one DIR, with default run ids.
half=$(($(wc -l <"$tmp/demo.ndjson") / 2))
head -n "$half" "$tmp/demo.ndjson" >"$tmp/shard1.ndjson"
tail -n +"$((half + 1))" "$tmp/demo.ndjson" >"$tmp/shard2.ndjson"
"$bin/herd-load" -q --pg-copy "$tmp/shards" "$tmp/shard1.ndjson" &
"$bin/herd-load" -q --pg-copy "$tmp/shards" "$tmp/shard2.ndjson" &
wait
check "two shards at once: two runs, no temporary file left" \
	[ "$(cd "$tmp/shards" && ls load.*.sql | grep -cE '^load\.[0-9]{8}T[0-9]{6}\.[0-9]{6}Z-[0-9]+\.sql$') $(cd "$tmp/shards" && ls -A | grep -c '^\.')" = "2 0" ]
newdb shards
"$pgload" -q "$tmp/shards" dbname=shards
same_tables "$tmp/demo.db" shards "two shards"

# ---------------------------------------------------------------- interrupted loads
# A run that would change the demo database: every post under a new id.
sed 's/"id":"/"id":"new:/' "$tmp/demo.ndjson" >"$tmp/new.ndjson"
"$bin/herd-load" -q --pg-copy "$spool" --run-id 20210102-new "$tmp/new.ndjson"
fingerprint demo >"$tmp/fp1"
# A bad row in the last file the script loads: the posts before it were
# already upserted inside the transaction.
agg=$spool/aggregates.20210102-new.copy
cp "$agg" "$tmp/agg.good"
sed -i '$s/^\([^\t]*\t[^\t]*\t[^\t]*\t\)[0-9]*/\1many/' "$agg"
"$pgload" "$spool" dbname=demo >"$tmp/bad.load" 2>&1
rc=$?
check "a bad row: pg-load exits 1 (got $rc)" [ "$rc" -eq 1 ]
check "… psql names the file and the value: $(grep -m1 ERROR "$tmp/bad.load")" \
	grep -q 'pg-load: 20210102-new: .*ERROR:  invalid input syntax for type bigint: "many"' "$tmp/bad.load"
check "… pg-load says the run was rolled back" grep -q "^pg-load: $spool/load.20210102-new.sql: psql exited 3; run 20210102-new rolled back" "$tmp/bad.load"
check "… nothing of it is in the database (counts, rows, versions)" cmp -s "$tmp/fp1" <(fingerprint demo)
check "… and its files stay in DIR" [ -e "$spool/load.20210102-new.sql" ] && [ -e "$spool/posts.20210102-new.copy" ]
cp "$tmp/agg.good" "$agg"

# psql killed while the run waits for a lock on its last table, after it
# has written the posts: the server rolls the transaction back.
PGAPPNAME=herd-test-blocker psql -X -q -At -c "BEGIN" -c "LOCK TABLE aggregates IN SHARE MODE" \
	-c "SELECT pg_sleep(120)" demo >/dev/null 2>&1 &
blocker=$!
waitfor demo "SELECT count(*) > 0 FROM pg_stat_activity WHERE application_name = 'herd-test-blocker' AND query LIKE '%pg_sleep%'"
setsid "$pgload" "$spool" dbname=demo >"$tmp/kill.load" 2>&1 &
loader=$!
check "the load reaches the locked table, posts upserted" \
	waitfor demo "SELECT count(*) > 0 FROM pg_stat_activity WHERE application_name = 'herd-pg-load' AND wait_event_type = 'Lock'"
check "pg-load and its psql run in a process group of their own" kill -0 -- -"$loader"
{ kill -KILL -- -"$loader"; wait "$loader"; } 2>/dev/null # no "Killed" notice
pq demo "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'herd-test-blocker'" >/dev/null
wait "$blocker" 2>/dev/null
check "the killed load's session ends" \
	waitfor demo "SELECT count(*) = 0 FROM pg_stat_activity WHERE application_name = 'herd-pg-load'"
check "… nothing of it is in the database" cmp -s "$tmp/fp1" <(fingerprint demo)
check "… and its files stay in DIR" [ -e "$spool/load.20210102-new.sql" ]
"$pgload" "$spool" dbname=demo >"$tmp/new.load" 2>&1
check "loaded once fixed: exit 0 ($?), every post new" \
	grep -qx "20210102-new: posts: $posts new, 0 updated, 0 unchanged" "$tmp/new.load"
check "… the database has both runs' posts" [ "$(pq demo "SELECT count(*) FROM posts")" -eq $((2 * posts)) ]

# ---------------------------------------------------------------- the WSB pipe
wsb=$SHARED/wsb-early2021-esbenkc/wallstreetbets_comments.ndjson
if [ -r "$wsb" ]; then
	"$bin/herd-normalize" -q --source reddit "$wsb" | "$bin/herd-score" -q --model vader |
		"$bin/herd-aggregate" -q --window 1h,1d --pass all >"$tmp/wsb.ndjson"
	"$bin/herd-load" -q --db "$tmp/wsb.db" "$tmp/wsb.ndjson"
	"$bin/herd-load" -q --pg-copy "$tmp/wsb" "$tmp/wsb.ndjson"
	newdb wsb
	"$pgload" -q "$tmp/wsb" dbname=wsb
	check "WSB: $(pq wsb "SELECT count(*) FROM posts") posts from $(grep -c '"kind":"post"' "$tmp/wsb.ndjson") post records (ids repeat)" \
		[ "$(pq wsb "SELECT count(*) FROM posts")" -lt "$(grep -c '"kind":"post"' "$tmp/wsb.ndjson")" ]
	same_tables "$tmp/wsb.db" wsb "WSB"
else
	echo "skip: the WSB part: $wsb absent"
	skipped=$((skipped + 1))
fi

echo "RESULT $passed passed, $failed failed$([ "$skipped" -eq 0 ] || echo ", $skipped skipped")"
[ "$failed" -eq 0 ]
