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
#      key, WAL (one table only: the peer does less work per post).
# Prints posts/s and MB/s for each and the ratios. Timings on a shared
# machine are noisy: compare within one run.
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
mb=$(awk -v b="$(stat -c %s "$tmp/posts.ndjson")" 'BEGIN { printf "%.1f", b / 1e6 }')
echo "bench-load: $n posts, $mb MB of NDJSON ($(stat -c %s "$tmp/posts.csv") bytes of CSV)"

now() { date +%s.%N; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%8.0f posts/s", n / s }'; }

t0=$(now)
"$bin/herd-load" -q --db "$tmp/a.db" "$tmp/posts.ndjson"
t1=$(now)
"$bin/herd-load" -q --db "$tmp/a.db" "$tmp/posts.ndjson"
t2=$(now)
sqlite3 "$tmp/b.db" <<SQL
PRAGMA journal_mode = WAL;
CREATE TABLE posts (
  id TEXT NOT NULL PRIMARY KEY, source TEXT NOT NULL, type TEXT NOT NULL, community TEXT,
  created_at TEXT NOT NULL, author TEXT, title TEXT, text TEXT NOT NULL, url TEXT,
  score INTEGER NOT NULL, replies INTEGER NOT NULL, parent TEXT, lang TEXT);
SQL
t3=$(now)
sqlite3 "$tmp/b.db" ".import --csv $tmp/posts.csv posts"
t4=$(now)

load1=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
load2=$(awk -v a="$t1" -v b="$t2" 'BEGIN { print b - a }')
peer=$(awk -v a="$t3" -v b="$t4" 'BEGIN { print b - a }')
rows=$(sqlite3 "$tmp/a.db" "SELECT (SELECT count(*) FROM posts) || ' posts, ' || (SELECT count(*) FROM post_entities) || ' entity rows, ' || (SELECT count(*) FROM scores) || ' scores'")
printf 'herd-load, new file      %6.2f s %s %6.1f MB/s  (%s)\n' "$load1" "$(rate "$n" "$load1")" "$(awk -v m="$mb" -v s="$load1" 'BEGIN { print m / s }')" "$rows"
printf 'herd-load, same again    %6.2f s %s %6.1f MB/s  (all unchanged)\n' "$load2" "$(rate "$n" "$load2")" "$(awk -v m="$mb" -v s="$load2" 'BEGIN { print m / s }')"
printf 'sqlite3 .import CSV      %6.2f s %s               (posts table only)\n' "$peer" "$(rate "$n" "$peer")"
awk -v a="$load1" -v b="$peer" -v c="$load2" 'BEGIN { printf "ratio: herd-load new / sqlite3 import = %.2f x the time; re-load / sqlite3 import = %.2f x\n", a / b, c / b }'
