#!/usr/bin/env bash
# check-kill.sh — kill -9 at random points while herd-load writes (issue 8,
# "Faults"): nothing half-written survives, and a re-run finishes the work.
#   SQLite: herd-load --db on 60k scored posts (--batch 1000) is killed at
#     six random moments (from before the schema exists to the final
#     checkpoint); after each kill the file passes PRAGMA integrity_check,
#     holds only whole batches (posts a multiple of 1000, a prefix of the
#     input, each with its score and both entities), and a re-run over the
#     whole input ends with exit 0 and the same rows as a clean run.
#   PostgreSQL COPY files: herd-load --pg-copy DIR is killed the same way,
#     each time as a new run; a run's load script exists only when all its
#     files are whole (as many rows as the clean run's); a final run
#     completes; with a PostgreSQL server (tests/pg/server.sh), pg-load.sh
#     then loads exactly the clean run's rows.
# Kill times come from $RANDOM seeded with $HERD_FAULT_SEED (printed, so a
# failure can be replayed). Prints "RESULT N passed, N failed".
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-faults.sh"
[ -x "$bin/herd-load" ] && [ -x "$bin/herd-score" ] || skip "herd-load or herd-score not built yet"
command -v sqlite3 >/dev/null || skip "sqlite3 not installed"
seed=${HERD_FAULT_SEED:-$(date +%s)}
RANDOM=$seed
echo "kill times seeded with HERD_FAULT_SEED=$seed"
cd "$tmp"
N=60000 B=1000

fault_posts $N >in.ndjson

# kill_at SECONDS CMD...: start CMD, kill -9 it after SECONDS (if alive).
# Sets killed=1 when the kill came before CMD ended.
kill_at() {
	local s=$1
	shift
	"$@" 2>kill.err &
	local pid=$!
	sleep "$s"
	killed=0
	kill -9 "$pid" 2>/dev/null && killed=1
	wait "$pid" 2>/dev/null
}

# ---------------------------------------------------------------- SQLite
t0=$(date +%s.%N)
"$bin/herd-load" -q --db clean.db --commit-every $B in.ndjson
check "a clean load exits 0" [ $? -eq 0 ]
took=$(echo "$(date +%s.%N) - $t0" | bc)
rows clean.db >clean.rows
check "the clean load holds every post ($N)" [ "$(q clean.db 'SELECT count(*) FROM posts')" -eq $N ]

kills=0
for k in 1 2 3 4 5 6; do
	# From 0 to 110% of a clean load's time, in hundredths.
	at=$(echo "scale=2; $RANDOM % 1000 * $took * 1.1 / 1000" | bc)
	kill_at "$at" "$bin/herd-load" -q --db k.db --batch $B in.ndjson
	kills=$((kills + killed))
	[ -f k.db ] || { echo "kill $k at ${at}s: before the file was made"; continue; }
	ic=$(sqlite3 k.db 'PRAGMA integrity_check' 2>&1)
	check "kill $k at ${at}s: integrity_check ok (got '$ic')" [ "$ic" = ok ]
	have=$(tables k.db)
	check "kill $k: the schema is whole or absent (${have:-none})" [ -z "$have" -o "$have" = "$(tables clean.db)" ]
	why=$(whole_batches k.db $N $B)
	check "kill $k: whole batches only, a prefix of the input, each post with its score and entities $why" [ -z "$why" ]
	# Every other kill, the re-run comes at once; the others pile up.
	if [ $((k % 2)) -eq 0 ]; then
		"$bin/herd-load" -q --db k.db --batch $B in.ndjson
		check "kill $k: the re-run exits 0" [ $? -eq 0 ]
		check "kill $k: after the re-run, the clean load's rows" cmp -s clean.rows <(rows k.db)
	fi
done
check "some kills landed while herd-load ran ($kills of 6)" [ $kills -ge 3 ]

# ---------------------------------------------------------------- COPY files
t0=$(date +%s.%N)
"$bin/herd-load" -q --pg-copy clean --run-id r0 in.ndjson
check "a clean --pg-copy run exits 0" [ $? -eq 0 ]
took=$(echo "$(date +%s.%N) - $t0" | bc)
declare -A want
for f in clean/*.r0.copy; do
	t=${f#clean/}
	want[${t%%.*}]=$(wc -l <"$f")
done
# post_entities: per post a group row (\N: "these are all its entities") and two entities.
check "the clean run wrote posts, entities and scores (${want[posts]:-0} ${want[post_entities]:-0} ${want[scores]:-0})" \
	[ "${want[posts]:-0} ${want[post_entities]:-0} ${want[scores]:-0}" = "$N $((3 * N)) $N" ]
for k in 1 2 3 4 5; do
	at=$(echo "scale=2; $RANDOM % 1000 * $took * 1.1 / 1000" | bc)
	kill_at "$at" "$bin/herd-load" -q --pg-copy spool --run-id "r$k" in.ndjson
	bad=0
	for s in spool/load.*.sql; do
		[ -f "$s" ] || continue
		r=${s#spool/load.}
		r=${r%.sql}
		for t in "${!want[@]}"; do
			[ "$(wc -l <"spool/$t.$r.copy" 2>/dev/null || echo -1)" -eq "${want[$t]}" ] || bad=$((bad + 1))
		done
	done
	check "kill $k at ${at}s: every load script names whole files only ($bad not)" [ $bad -eq 0 ]
done
"$bin/herd-load" -q --pg-copy spool --run-id r9 in.ndjson
check "a final --pg-copy run exits 0 and writes its load script" [ $? -eq 0 -a -f spool/load.r9.sql ]

. "$top/tests/pg/server.sh"
if pg_find && pg_start "$tmp" >pg.err 2>&1; then
	trap 'pg_stop; rm -rf "$tmp"' EXIT
	"$top/pipelines/pg-load.sh" -q spool >pgload.out 2>&1
	check "pg-load.sh loads the spool after the kills (exit $?: $(head -2 pgload.out))" [ $? -eq 0 ]
	check "PostgreSQL holds the clean run's rows" [ "$(pq postgres 'SELECT (SELECT count(*) FROM posts), (SELECT count(*) FROM post_entities), (SELECT count(*) FROM scores)')" = "$N|$((2 * N))|$N" ]
	check "… and the same posts as SQLite" cmp -s <(pq postgres "SELECT id, text FROM posts" | sort) \
		<(sqlite3 -separator '|' clean.db "SELECT id, text FROM posts" | sort)
else
	echo "skip: no PostgreSQL server here ($(head -1 pg.err 2>/dev/null)): the spool is checked as files only"
fi

result
