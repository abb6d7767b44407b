# tests/faults/lib-faults.sh — sourced by the fault tests after tests/lib.sh:
# a big, plain input that every fault test can load, made without Python
# or ../shared/data so the tests run anywhere the programs are built.
#
#   fault_posts N > in.ndjson   # N scored posts, ids t:0000001… in order,
#                               # two entities each; skips (77) when
#                               # herd-score --model vader cannot run

fault_posts() {
	awk -v n="$1" 'BEGIN { for (i = 1; i <= n; i++) { s = i % 86400
	printf "{\"kind\":\"post\",\"id\":\"t:%07d\",\"source\":\"t\",\"type\":\"comment\",\"community\":\"c%d\",", i, i % 7
	printf "\"created_at\":\"2021-01-%02dT%02d:%02d:%02dZ\",\"author\":\"a%d\",\"title\":null,", 1 + int(i / 86400), int(s / 3600), int(s / 60) % 60, s % 60, i % 5000
	printf "\"text\":\"$E%d looks great, up %d%%\",\"url\":null,\"engagement\":{\"score\":%d,\"replies\":0},", i % 300, i % 90, i % 50
	printf "\"entities\":[\"E%d\",\"F%d\"],\"parent\":null,\"lang\":null}\n", i % 300, i % 30 } }' |
		"$bin/herd-score" -q --model vader 2>"$tmp/fault-score.err" ||
		skip "herd-score --model vader cannot run: $(head -1 "$tmp/fault-score.err")"
}

# tables DB: its tables, sorted, comma-separated ("" before the schema).
tables() { sqlite3 "$1" "SELECT group_concat(name) FROM (SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY 1)"; }
# count DB TABLE: its rows, 0 when the table is not there yet.
count() {
	[ -n "$(q "$1" "SELECT name FROM sqlite_master WHERE name = '$2'")" ] || { echo 0; return; }
	q "$1" "SELECT count(*) FROM $2"
}
# rows DB: the rows of posts, post_entities and scores, sorted.
rows() {
	local t
	for t in posts post_entities scores; do sqlite3 "$1" "SELECT '$t', * FROM $t" | sort; done
}
# whole_batches DB N B: the file holds the first multiple of B of the N
# input posts, each with its score and two entities; prints why not.
whole_batches() {
	local n last
	n=$(count "$1" posts)
	last=$(q "$1" "SELECT coalesce(max(id), 't:0000000') FROM posts" 2>/dev/null | sed 's/^t:0*//')
	[ $((n % $3)) -eq 0 ] || { echo "$n posts: not whole batches of $3"; return 1; }
	[ "$n" -eq 0 ] || [ "${last:-0}" = "$n" ] || { echo "$n posts but the last is t:$last: not a prefix"; return 1; }
	[ "$(count "$1" scores) $(count "$1" post_entities)" = "$n $((2 * n))" ] ||
		{ echo "$n posts with $(count "$1" scores) scores and $(count "$1" post_entities) entities"; return 1; }
}
