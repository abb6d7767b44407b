#!/usr/bin/env bash
# bench-maintain.sh — what the daily chores cost on a real month: the
# January 2021 replay (../shared/data/reddit-ticker-comments-2021-01, 51k
# comments: herd-import | herd-score --model vader | herd-aggregate
# --window 1h,1d --pass all | herd-load, plus herd-detect's events), timed:
#   1. herd-maintain backup: SQLite's backup API, then the copy opened and
#      PRAGMA integrity_check'ed, renamed into place;
#      peer: the sqlite3 shell's .backup and then PRAGMA integrity_check on
#      the copy (the same two steps, done by sqlite3 itself);
#   2. herd-maintain vacuum (checkpoint, ANALYZE, VACUUM);
#      peer: sqlite3 'ANALYZE; VACUUM';
#   3. herd-maintain retain --keep posts=2d,aggregates=2d on a copy (deletes
#      most of the month, one transaction);
#   4. herd-report digest (Markdown) and heatmap (HTML), and their sizes.
# Each is the fastest of 3 runs (scripts/bench-lib.sh). Timings on a shared
# machine are noisy: compare within one run. Skips (exit 0, says so)
# without ../shared/data.
set -eu
export LC_ALL=C
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${HERD_BIN:-$top/bin}
SHARED=${SHARED:-$(cd "$top/.." && pwd)/shared/data}
CM=$SHARED/reddit-ticker-comments-2021-01/daily_data
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$top/scripts/bench-lib.sh"
[ -d "$CM" ] || { echo "bench-maintain: $CM absent: skipped"; exit 0; }
command -v sqlite3 >/dev/null || { echo "bench-maintain: sqlite3 not found (scripts/install-deps.sh)" >&2; exit 1; }
for p in import score aggregate detect load maintain report; do
	[ -x "$bin/herd-$p" ] || { echo "bench-maintain: $bin/herd-$p missing (make)" >&2; exit 1; }
done

db=$tmp/jan.db
"$bin/herd-import" -q --source reddit --date-from-filename --community-from-filename '^[0-9-]+_([a-z]+)_' \
	--map text=comment,entities=ticker "$CM"/*_comments.csv | "$bin/herd-score" -q --model vader |
	"$bin/herd-aggregate" -q --window 1h,1d --lateness all --pass all >"$tmp/all.ndjson"
"$bin/herd-detect" -q --state "$tmp/detect.db" --window 1d --exclude "$top/data/entities/stoplist.txt" \
	"$tmp/all.ndjson" >"$tmp/events.ndjson"
"$bin/herd-load" -q --db "$db" "$tmp/all.ndjson" "$tmp/events.ndjson"
sqlite3 "$db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
mb=$(awk -v b="$(stat -c %s "$db")" 'BEGIN { printf "%.1f", b / 1e6 }')
echo "database: $mb MB: $(sqlite3 "$db" "SELECT (SELECT count(*) FROM posts) || ' posts, ' || (SELECT count(*) FROM post_entities) || ' entity rows, ' || (SELECT count(*) FROM aggregates) || ' aggregates, ' || (SELECT count(*) FROM events) || ' events'")"
echo

row() { # NAME SECONDS KB CPU
	printf '%-44s %7.2f s %8.2f s CPU %7d KB peak\n' "$1" "$2" "$4" "$3"
}
# The peer's two steps as one command, for bench_best.
peer_backup() { rm -f "$tmp/peer.db" && sqlite3 "$db" ".backup '$tmp/peer.db'" && [ "$(sqlite3 "$tmp/peer.db" 'PRAGMA integrity_check')" = ok ]; }
export -f peer_backup
export db tmp

read -r s1 kb1 c1 < <(bench_best "$bin/herd-maintain" -q --db "$db" backup "$tmp/copy.db")
row "herd-maintain backup (+ integrity_check)" "$s1" "$kb1" "$c1"
read -r s2 kb2 c2 < <(bench_best bash -c peer_backup)
row "sqlite3 .backup + PRAGMA integrity_check" "$s2" "$kb2" "$c2"
awk -v a="$s1" -v b="$s2" 'BEGIN { printf "  ratio herd/sqlite3: %.2f (wall)\n\n", a / b }'

cp "$db" "$tmp/v.db"
read -r s3 kb3 c3 < <(bench_best "$bin/herd-maintain" -q --db "$tmp/v.db" vacuum)
row "herd-maintain vacuum" "$s3" "$kb3" "$c3"
cp "$db" "$tmp/w.db"
read -r s4 kb4 c4 < <(bench_best sqlite3 "$tmp/w.db" 'ANALYZE; VACUUM')
row "sqlite3 'ANALYZE; VACUUM'" "$s4" "$kb4" "$c4"
awk -v a="$s3" -v b="$s4" 'BEGIN { printf "  ratio herd/sqlite3: %.2f (wall)\n\n", a / b }'

# retain deletes once: a fresh copy for each of the three runs.
retain() { cp "$db" "$tmp/r.db" && "$bin/herd-maintain" -q --db "$tmp/r.db" --keep posts=2d,aggregates=2d retain; }
export -f retain
export bin
read -r s5 kb5 c5 < <(bench_best bash -c retain)
row "herd-maintain retain (copy + delete)" "$s5" "$kb5" "$c5"
read -r s6 kb6 c6 < <(bench_best cp "$db" "$tmp/r2.db")
row "  of which the copy (cp)" "$s6" "$kb6" "$c6"
"$bin/herd-maintain" --db "$db" --keep posts=2d,aggregates=2d --dry-run retain 2>&1 | sed "s|$tmp/||; s/^/  /"
echo

read -r s7 kb7 c7 < <(bench_best "$bin/herd-report" --db "$db" --exclude "$top/data/entities/stoplist.txt" digest)
row "herd-report digest (md, $(wc -c <"$tmp/out") bytes)" "$s7" "$kb7" "$c7"
read -r s8 kb8 c8 < <(bench_best "$bin/herd-report" --db "$db" --exclude "$top/data/entities/stoplist.txt" heatmap)
row "herd-report heatmap (html, $(wc -c <"$tmp/out") bytes)" "$s8" "$kb8" "$c8"
read -r s9 kb9 c9 < <(bench_best "$bin/herd-report" --db "$db" --window 1d --top 200 --exclude "$top/data/entities/stoplist.txt" heatmap)
row "herd-report heatmap --top 200 ($(wc -c <"$tmp/out") bytes)" "$s9" "$kb9" "$c9"
