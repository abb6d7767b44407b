#!/usr/bin/env bash
# check-forget.sh — herd-maintain forget (issue 14, part 3) on SQLite and on
# a real PostgreSQL server (started here, as check-pgcopy.sh does), with
# the recorded Reddit and StockTwits responses (../shared/data/api-fixtures)
# and 40 more posts of one Reddit author, loaded as posts and raw records
# into herd.db and, through pg-load.sh, into PostgreSQL:
#   - one forget with --db and --pg-copy deletes the author's posts, their
#     post_entities and scores, and the raw records naming them, nobody
#     else's, and both stores have the same rows after it, table by table;
#   - the author is named nowhere but in the input: not in messages, not in
#     the PostgreSQL run (only the hash), not in the audit rows, which hold
#     the time, the source, the hash and the counts, equal in both stores;
#   - the same records loaded again are dropped and counted, not stored
#     (forget_list.dropped, and pg-load's line), in both stores alike;
#   - a PostgreSQL forget killed half way (pg-load and psql, kill -9,
#     while it waits for a lock) changes nothing and stays in DIR; pg-load
#     run again completes it;
#   - an SQLite forget killed at random moments (kill -9; a trigger slows
#     each post's deletion so that the kills land inside the transaction)
#     leaves the file either as it was or forgotten, never half; run again,
#     it completes.
# Skips (77) when the PostgreSQL binaries, the pipe (VADER) or the data are
# absent. Prints "RESULT N passed, N failed".
. "$(dirname "$0")/../lib.sh"
pgload=$top/pipelines/pg-load.sh
F=$SHARED/api-fixtures

. "$(dirname "$0")/server.sh"
pg_find || skip "PostgreSQL server binaries or psql absent (scripts/install-deps.sh installs postgresql)"
command -v jq >/dev/null || skip "jq absent"
[ -d "$F" ] || skip "$F absent (the recorded API responses)"
need_pipe
[ -x "$bin/herd-maintain" ] && [ -x "$bin/herd-fetch" ] || skip "herd-maintain or herd-fetch not built yet"
trap 'pg_stop; rm -rf "$tmp"' EXIT
pg_start "$tmp" -c fsync=off -c full_page_writes=off 2>"$tmp/pg.err" || { check "the server starts: $(cat "$tmp/pg.err")" false; result; }
. "$(dirname "$0")/lib-compare.sh"

# ---------------------------------------------------------------- the data
{
	"$bin/herd-fetch" reddit --replay --query AskReddit "$F/reddit/TestSubredditListings.test_new.1.json"
	"$bin/herd-fetch" reddit --replay --query AskReddit "$F/reddit/TestSubredditListings.test_comments.1.json"
	"$bin/herd-fetch" stocktwits --replay "$F/stocktwits/get_symbol_msgs.json"
	# 40 more comments of one author, as herd-fetch writes them
	head -1 "$tmp/none" 2>/dev/null
} >"$tmp/raw0.ndjson"
tpl=$(jq -c 'select(.source == "reddit" and .item.kind == "t1")' "$tmp/raw0.ndjson" | head -1)
for i in $(seq 1 40); do
	echo "$tpl" | jq -c --arg i "$i" '.item.data.id = "bulk\($i)" | .item.data.name = "t1_bulk\($i)"
		| .item.data.author = "bulk_author" | .item.data.body = "GME to the moon, comment \($i) $GME"'
done >"$tmp/bulk.ndjson"
cat "$tmp/raw0.ndjson" "$tmp/bulk.ndjson" >"$tmp/raw.ndjson"
"$bin/herd-normalize" -q "$tmp/raw.ndjson" | "$bin/herd-score" -q --model vader >"$tmp/posts.ndjson"
who=bulk_author
st_who=$(jq -r 'select(.source == "stocktwits") | .author' "$tmp/posts.ndjson" | sort | uniq -c | sort -rn | awk 'NR == 1 { print $2 }')
mine=$(jq -c --arg w "$who" 'select(.source == "reddit" and .author == $w)' "$tmp/posts.ndjson" | grep -c .)
check "the data: $mine posts of $who, $(grep -c . "$tmp/posts.ndjson") posts in all" [ "$mine" -eq 40 ]

load_both() { # FILE...: into herd.db and PostgreSQL (pg-load's output in $tmp/load.out)
	"$bin/herd-load" --keep-raw --db "$tmp/h.db" "$@" 2>>"$tmp/load.err"
	"$bin/herd-load" -q --keep-raw --pg-copy "$tmp/spool" "$@" 2>>"$tmp/load.err"
	"$pgload" "$tmp/spool" dbname=f >"$tmp/load.out" 2>&1
}
newdb f
load_both "$tmp/posts.ndjson" "$tmp/raw.ndjson"
same_tables "$tmp/h.db" f "before"

# ---------------------------------------------------------------- forget, both stores
printf '%s\n' "$who" >"$tmp/request.txt"
"$bin/herd-maintain" --db "$tmp/h.db" --pg-copy "$tmp/spool" --now 2026-03-01T12:00:00Z forget --source reddit \
	--author-file "$tmp/request.txt" >"$tmp/forget.out" 2>"$tmp/forget.err"
rc=$?
check "forget: exit 0 (got $rc): $(head -1 "$tmp/forget.err")" [ "$rc" -eq 0 ]
check "forget: SQLite's counts said: $(head -1 "$tmp/forget.err")" \
	grep -q "forget: $tmp/h.db: reddit author [0-9a-f]\{12\}…: 40 posts, [0-9]* post_entities, 40 scores, 40 raw deleted; on forget_list from now on" "$tmp/forget.err"
check "forget: the author is in no message" [ "$(grep -c "$who" "$tmp/forget.err" "$tmp/forget.out" | awk -F: '{ s += $2 } END { print s }')" -eq 0 ]
check "forget: the PostgreSQL run names only the hash" [ "$(cat "$tmp"/spool/load.*.sql | grep -c "$who")" -eq 0 ]
"$pgload" "$tmp/spool" dbname=f >"$tmp/pgforget.out" 2>&1
rc=$?
check "pg-load runs the forget: exit $rc: $(grep forget: "$tmp/pgforget.out")" \
	grep -q ': forget: 40 posts, [0-9]* post_entities, 40 scores, 40 raw deleted$' "$tmp/pgforget.out"
same_tables "$tmp/h.db" f "after forgetting"
check "nothing of the author is left in either store" \
	[ "$(q "$tmp/h.db" "SELECT count(*) FROM posts WHERE author = '$who'")$(pq f "SELECT count(*) FROM posts WHERE author = '$who'")$(pq f "SELECT count(*) FROM raw WHERE item #>> '{data,author}' = '$who'")" = 000 ]
check "the others are all there: $(q "$tmp/h.db" "SELECT count(*) FROM posts") posts" \
	[ "$(q "$tmp/h.db" "SELECT count(*) FROM posts")" -eq "$(($(grep -c . "$tmp/posts.ndjson") - 40))" ]
audit_sqlite=$(q "$tmp/h.db" "SELECT source, hash, posts, post_entities, scores, raw FROM forget_audit" | tr '|' ' ')
audit_pg=$(pq f "SELECT source, hash, posts, post_entities, scores, raw FROM forget_audit" | tr '|' ' ')
check "the audit rows agree: source, hash, counts ($audit_sqlite)" [ -n "$audit_sqlite" -a "$audit_sqlite" = "$audit_pg" ]
check "the audit holds no name" [ "$(q "$tmp/h.db" "SELECT count(*) FROM forget_audit WHERE hash LIKE '%$who%' OR source LIKE '%$who%'")" -eq 0 ]
check "one hash on both lists, PostgreSQL's sha256() as herd's" \
	[ "$(q "$tmp/h.db" "SELECT hash FROM forget_list")" = "$(pq f "SELECT hash FROM forget_list")" ]

# ---------------------------------------------------------------- later records
rm -f "$tmp/load.err"
load_both "$tmp/posts.ndjson" "$tmp/raw.ndjson"
check "loaded again: SQLite drops the 40 posts and 40 raw records, counted: $(grep forget_list "$tmp/load.err")" \
	grep -q 'forget_list: 40 posts and 40 raw records of forgotten authors dropped, not stored$' "$tmp/load.err"
check "loaded again: PostgreSQL drops them too: $(grep 'forgotten' "$tmp/load.out" | tr '\n' ' ')" \
	[ "$(grep -c ': posts: 40 rows of forgotten authors dropped$' "$tmp/load.out")" -eq 1 -a \
	  "$(grep -c ': raw: 40 rows of forgotten authors dropped$' "$tmp/load.out")" -eq 1 ]
same_tables "$tmp/h.db" f "after loading the author's records again"
check "both count the drops on the list (80)" \
	[ "$(q "$tmp/h.db" "SELECT dropped FROM forget_list")" = 80 -a "$(pq f "SELECT dropped FROM forget_list")" = 80 ]

# ---------------------------------------------------------------- PostgreSQL, killed half way
"$bin/herd-maintain" --pg-copy "$tmp/spool" forget --source stocktwits --author "$st_who" 2>"$tmp/f2.err"
fingerprint f >"$tmp/fp1"
setsid psql -X -q -d f -v ON_ERROR_STOP=1 -c "SET application_name = 'herd-test-blocker'" \
	-c "BEGIN; LOCK TABLE posts IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(60); COMMIT" >/dev/null 2>&1 &
blocker=$!
waitfor f "SELECT count(*) > 0 FROM pg_stat_activity WHERE application_name = 'herd-test-blocker' AND query LIKE '%pg_sleep%'"
setsid "$pgload" "$tmp/spool" dbname=f >"$tmp/kill.out" 2>&1 &
loader=$!
check "the forget run waits for the locked table" \
	waitfor f "SELECT count(*) > 0 FROM pg_stat_activity WHERE application_name = 'herd-pg-load' AND wait_event_type = 'Lock'"
{ kill -KILL -- -"$loader"; wait "$loader"; } 2>/dev/null
pq f "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'herd-test-blocker'" >/dev/null
wait "$blocker" 2>/dev/null
waitfor f "SELECT count(*) = 0 FROM pg_stat_activity WHERE application_name = 'herd-pg-load'"
check "killed half way: nothing of it is in the database" cmp -s "$tmp/fp1" <(fingerprint f)
check "… and it stays in DIR" [ "$(ls "$tmp"/spool/load.*.sql | grep -c .)" -eq 1 ]
"$pgload" "$tmp/spool" dbname=f >"$tmp/again.out" 2>&1
check "run again, it completes: $(grep forget: "$tmp/again.out")" grep -q ': forget: [1-9][0-9]* posts, ' "$tmp/again.out"
check "… the StockTwits author is gone from PostgreSQL" [ "$(pq f "SELECT count(*) FROM posts WHERE source = 'stocktwits' AND author = '$st_who'")" -eq 0 ]

# ---------------------------------------------------------------- SQLite, killed at random
# k.db: herd.db, 60 posts of one more author, and a trigger that makes
# each deleted post cost twenty thousand steps of a recursive query, so
# that a forget lasts long enough to be killed inside its transaction.
make_k() {
	cp "$tmp/h.db" "$tmp/k.db"
	rm -f "$tmp/k.db-wal" "$tmp/k.db-shm"
	jq -c 'select(.kind == "post") | .author = "slow_author"' "$tmp/posts.ndjson" | head -60 |
		jq -c '.id = "reddit:slow" + (input_line_number | tostring)' >"$tmp/slow.ndjson"
	"$bin/herd-load" -q --db "$tmp/k.db" "$tmp/slow.ndjson"
	sqlite3 "$tmp/k.db" "CREATE TRIGGER slow AFTER DELETE ON posts BEGIN
		SELECT count(*) FROM (WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 20000) SELECT i FROM r);
		END"
}
state() { q "$tmp/k.db" "SELECT (SELECT count(*) FROM posts WHERE author = 'slow_author') || ' ' ||
	(SELECT count(*) FROM forget_list) || ' ' || (SELECT count(*) FROM forget_audit) || ' ' ||
	(SELECT count(*) FROM scores WHERE post_id LIKE 'reddit:slow%')"; }
make_k
before=$(state)
t0=$(date +%s.%N)
"$bin/herd-maintain" --db "$tmp/k.db" -q forget --source reddit --author slow_author
t1=$(date +%s.%N)
full=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
after=$(state)
make_k
check "a whole forget takes $full s: long enough to be killed inside ($before -> $after)" \
	awk -v f="$full" 'BEGIN { exit !(f >= 0.2) }'
half=0
for k in 1 2 3 4 5; do
	"$bin/herd-maintain" --db "$tmp/k.db" -q forget --source reddit --author slow_author &
	pid=$!
	sleep "$(awk -v f="$full" -v r="$RANDOM" 'BEGIN { printf "%.2f", f * (0.1 + 0.7 * r / 32768) }')"
	{ kill -9 "$pid" && wait "$pid"; } 2>/dev/null
	s=$(state)
	[ "$s" = "$before" ] || [ "$s" = "$after" ] || half=$((half + 1))
	[ "$s" = "$before" ] || break # one got through before its kill
done
check "five kill -9 at random moments inside: never half forgotten ($half times)" [ "$half" -eq 0 ]
"$bin/herd-maintain" --db "$tmp/k.db" -q forget --source reddit --author slow_author
check "run again, it completes ($(state))" [ "$(state | cut -d' ' -f1,2,4)" = "$(echo "$after" | cut -d' ' -f1,2,4)" ]
check "the file is whole: $(q "$tmp/k.db" 'PRAGMA integrity_check')" [ "$(q "$tmp/k.db" 'PRAGMA integrity_check')" = ok ]
result
