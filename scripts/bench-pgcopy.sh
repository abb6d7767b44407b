#!/usr/bin/env bash
# bench-pgcopy.sh — herd-load --pg-copy and pipelines/pg-load.sh against
# their peers in the same run: herd-load into SQLite (the other backend),
# and psql's bare \copy of the same COPY files into the same tables (no
# staging, no upsert: what PostgreSQL's loader does at best).
#
#   scripts/bench-pgcopy.sh [N]      (about N posts, default 100000)
#
# Input: the project's sample (data/sample) through herd-normalize |
# herd-score --model vader, its posts repeated under new ids up to N, so
# each post record is 1 posts row + its post_entities rows + 1 scores row.
# A throwaway PostgreSQL server (tests/pg/server.sh) with its default,
# durable settings (fsync on). Timed, each the fastest of 3
# (scripts/bench-lib.sh):
#   1. herd-load --db into a new SQLite file;
#   2. herd-load --pg-copy into a new directory (writing the files);
#   3. pg-load.sh into empty tables (every row new);
#   4. pg-load.sh of the same files again (every row unchanged);
#   5. psql: the schema, then \copy of the three files straight into the
#      tables, one transaction (markers dropped from post_entities first).
# Timings on a shared machine are noisy: compare within one run.
set -eu
export LC_ALL=C
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${HERD_BIN:-$top/bin}
n=${1:-100000}
tmp=$(mktemp -d)
. "$top/tests/pg/server.sh"
trap 'pg_stop; rm -rf "$tmp"' EXIT
pg_find || { echo "bench-pgcopy: PostgreSQL server binaries or psql absent (scripts/install-deps.sh)" >&2; exit 1; }
for p in normalize score load; do
	[ -x "$bin/herd-$p" ] || { echo "bench-pgcopy: $bin/herd-$p missing (make)" >&2; exit 1; }
done
pg_start "$tmp" || exit 1

"$bin/herd-normalize" -q "$top"/data/sample/*.ndjson | "$bin/herd-score" -q --model vader >"$tmp/one.ndjson"
awk -v n="$n" '{ line[NR] = $0 } END {
	for (k = 0; k * NR < n; k++)
		for (i = 1; i <= NR; i++) { s = line[i]; sub(/"id":"/, "\"id\":\"r" k ":", s); print s }
}' "$tmp/one.ndjson" >"$tmp/posts.ndjson"
posts=$(wc -l <"$tmp/posts.ndjson")
. "$top/scripts/bench-lib.sh"
mb=$(bench_mb "$tmp/posts.ndjson")
row() { bench_row "$1" "$2" "$posts" posts "$mb" "$3"; } # LABEL "SECS KB CPU" NOTE

sqlite=$(bench_new_db "$tmp/a.db" "$bin/herd-load" -q --db "$tmp/a.db" "$tmp/posts.ndjson")
write=$(bench_best sh -c 'rm -rf "$1"; exec "$2" -q --pg-copy "$1" --run-id b "$3"' sh "$tmp/spool" \
	"$bin/herd-load" "$tmp/posts.ndjson")
rows=$(cat "$tmp"/spool/*.copy | wc -l)
copy_mb=$(bench_mb "$tmp"/spool/*.copy)
pq postgres "CREATE DATABASE bench" >/dev/null
reset_db='psql -X -q -d bench -c "DROP SCHEMA public CASCADE" -c "CREATE SCHEMA public"'
first=$(bench_best sh -c "$reset_db && exec \"\$0\" -q --keep \"\$1\" dbname=bench" "$top/pipelines/pg-load.sh" "$tmp/spool")
again=$(bench_best "$top/pipelines/pg-load.sh" -q --keep "$tmp/spool" dbname=bench)
# The peer: the script's own schema, then bare \copy of the same files.
{
	echo '\set ON_ERROR_STOP on'
	echo 'BEGIN;'
	sed -n '/^CREATE TABLE IF NOT EXISTS posts/,/^$/p' "$tmp/spool/load.b.sql"
	for t in posts post_entities scores; do
		grep -v $'\t\\\\N$' "$tmp/spool/$t.b.copy" >"$tmp/$t.bare" || true
		echo "\\copy $t FROM '$tmp/$t.bare'"
	done
	echo 'COMMIT;'
} >"$tmp/bare.sql"
bare=$(bench_best sh -c "$reset_db && exec psql -X -q -d bench -f \"\$0\"" "$tmp/bare.sql")

echo "bench-pgcopy: $posts posts, $mb MB of NDJSON -> $rows COPY rows, $copy_mb MB; $(psql -X -At -c 'SHOW server_version' postgres), fsync $(psql -X -At -c 'SHOW fsync' postgres)"
row "herd-load --db (SQLite)" "$sqlite" "peer: the other backend"
row "herd-load --pg-copy (files)" "$write" "$(bench_ratio "$write" "$sqlite")x SQLite time"
row "pg-load.sh, new rows" "$first" "$(bench_ratio "$first" "$bare")x bare COPY time"
row "pg-load.sh, same files again" "$again" "$(bench_ratio "$again" "$bare")x bare COPY time"
row "psql bare \\copy (peer)" "$bare" "no staging, no upsert, empty tables"
echo "(CPU: the client's user+sys; the server's work shows in wall time only)"
