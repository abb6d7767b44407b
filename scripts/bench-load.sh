#!/usr/bin/env bash
# bench-load.sh — herd-load's speed into SQLite, against sqlite3's own CSV
# import of the same posts in the same run (the peer DESIGN.md §9 names).
#
#   scripts/bench-load.sh [N]        (N posts, default 200000)
#
# Input: N synthetic scored posts (awk, deterministic), each with two
# entities, a VADER sentiment and VADER components, so one post record is
# 1 posts row + 2 post_entities rows + 1 scores row; and the same posts'
# columns as CSV. Timed:
#   1. herd-load into a new file (every row new);
#   2. herd-load of the same input again (every row unchanged);
#   3. sqlite3 .import of the CSV into a posts table with the same primary
#      key, WAL (one table only: the peer does less work per post);
#   4. jq -c . over the same NDJSON (parsing and printing it, no database).
# Each is the fastest of 3 runs (scripts/bench-lib.sh; a new file each time
# for 1 and 3). Prints wall and CPU seconds, posts/s, MB/s and peak
# memory, and the ratios. Timings on a shared machine are noisy: compare within one run.
set -eu
export LC_ALL=C
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${HERD_BIN:-$top/bin}
n=${1:-200000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
command -v sqlite3 >/dev/null || { echo "bench-load: sqlite3 not found (scripts/install-deps.sh)" >&2; exit 1; }
[ -x "$bin/herd-load" ] || { echo "bench-load: $bin/herd-load missing (make)" >&2; exit 1; }

awk -v n="$n" -v ndj="$tmp/posts.ndjson" -v csv="$tmp/posts.csv" 'BEGIN {
	split("GME AMC TSLA BB NOK AAPL PLTR SPY QQQ MSFT", sym, " ")
	srand(7)
	for (i = 1; i <= n; i++) {
		t = 1611619200 + int(i * 259200 / n)
		ts = strftime("%Y-%m-%dT%H:%M:%SZ", t, 1)
		c = sprintf("%.4f", rand() * 2 - 1)
		lab = c >= 0.05 ? "positive" : c <= -0.05 ? "negative" : "neutral"
		a = sym[1 + i % 10]; b = sym[1 + (i * 7 + 3) % 10]
		if (a == b) b = "DIS"
		if (a > b) { x = a; a = b; b = x }
		score = int(rand() * 500); au = "user" int(rand() * 20000)
		text = "synthetic post " i " about $" a " and $" b ", holding through the week"
		printf "{\"kind\":\"post\",\"id\":\"reddit:t1_b%07d\",\"source\":\"reddit\",\"type\":\"comment\",\"community\":\"wallstreetbets\",\"created_at\":\"%s\",\"author\":\"%s\",\"title\":null,\"text\":\"%s\",\"url\":null,\"engagement\":{\"score\":%d,\"replies\":0},\"entities\":[\"%s\",\"%s\"],\"parent\":null,\"lang\":null,\"sentiment\":{\"model\":\"vader@3.3.2\",\"label\":\"%s\",\"score\":%s,\"confidence\":%s},\"vader\":{\"neg\":0.1,\"neu\":0.7,\"pos\":0.2,\"compound\":%s}}\n", i, ts, au, text, score, a, b, lab, c, (c < 0 ? -c : c), c > ndj
		printf "reddit:t1_b%07d,reddit,comment,wallstreetbets,%s,%s,,\"%s\",,%d,0,,\n", i, ts, au, text, score > csv
	}
}'
. "$top/scripts/bench-lib.sh"
mb=$(bench_mb "$tmp/posts.ndjson")
echo "bench-load: $n posts, $mb MB of NDJSON ($(stat -c %s "$tmp/posts.csv") bytes of CSV)"

row() { bench_row "$1" "$2" "$n" posts "${4:-$mb}" "$3"; } # LABEL "SECS KB CPU" NOTE [MB of its input]

new=$(bench_new_db "$tmp/a.db" "$bin/herd-load" -q --db "$tmp/a.db" "$tmp/posts.ndjson")
again=$(bench_best "$bin/herd-load" -q --db "$tmp/a.db" "$tmp/posts.ndjson")
cat >"$tmp/import.sql" <<SQL
PRAGMA journal_mode = WAL;
CREATE TABLE posts (
  id TEXT NOT NULL PRIMARY KEY, source TEXT NOT NULL, type TEXT NOT NULL, community TEXT,
  created_at TEXT NOT NULL, author TEXT, title TEXT, text TEXT NOT NULL, url TEXT,
  score INTEGER NOT NULL, replies INTEGER NOT NULL, parent TEXT, lang TEXT);
.import --csv $tmp/posts.csv posts
SQL
import=$(bench_new_db "$tmp/b.db" sh -c 'exec sqlite3 "$1" <"$2"' sh "$tmp/b.db" "$tmp/import.sql")
jq=
command -v jq >/dev/null && jq=$(bench_best jq -c . "$tmp/posts.ndjson")

rows=$(sqlite3 "$tmp/a.db" "SELECT (SELECT count(*) FROM posts) || ' posts, ' || (SELECT count(*) FROM post_entities) ||
	' entity rows, ' || (SELECT count(*) FROM scores) || ' scores'")
echo "fastest of 3 runs each:"
row "herd-load, new file" "$new" "($rows)"
row "herd-load, same again" "$again" "(every row unchanged)"
row "sqlite3 .import of CSV" "$import" "(the posts table only; MB/s of the CSV)" "$(bench_mb "$tmp/posts.csv")"
[ -z "$jq" ] || row "jq -c . (parse + print)" "$jq" "(no database)"
echo "ratio: herd-load new file / sqlite3 .import = $(bench_ratio "$new" "$import")"
[ -z "$jq" ] || echo "ratio: herd-load new file / jq -c . = $(bench_ratio "$new" "$jq")"
