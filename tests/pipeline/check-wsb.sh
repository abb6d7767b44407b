#!/usr/bin/env bash
# check-wsb.sh — issue 2's "Done when", on real data: the saved WSB comments
# (../shared/data/wsb-early2021-esbenkc, Pushshift objects) through
#   herd-normalize --source reddit | herd-score --model vader
#     | herd-aggregate --window 1h,1d | herd-load --db t.db
#   - the pipe runs, every stage exits 0, and aggregates land;
#   - loading it twice leaves the row counts and the whole file unchanged;
#   - with --pass all the posts land too: one per comment id, one score
#     each; the file repeats 200 comments verbatim, and the aggregates count
#     each (post id, entity) pair once, as herd-load stores it once;
#   - a corrupted line inserted into a copy is reported with its line
#     number, counted, written to --rejects verbatim, and the rest is loaded:
#     the database equals the clean run's.
# Skips (77) without the data, a program of the pipe, the entity dictionary
# or the VADER lexicon. Prints "RESULT N passed, N failed".
. "$(dirname "$0")/../lib.sh"
wsb=$SHARED/wsb-early2021-esbenkc/wallstreetbets_comments.ndjson
counts() { q "$1" "SELECT (SELECT count(*) FROM posts), (SELECT count(*) FROM post_entities),
	(SELECT count(*) FROM scores), (SELECT count(*) FROM aggregates)"; }

[ -r "$wsb" ] || skip "$wsb absent"
need_pipe

# pipe INPUT DB [extra herd-normalize options] [-- extra herd-aggregate options]
pipe() {
	local in=$1 db=$2 norm=() agg=()
	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do norm+=("$1"); shift; done
	[ $# -eq 0 ] || { shift; agg=("$@"); }
	"$bin/herd-normalize" --source reddit "${norm[@]}" "$in" 2>"$tmp/norm.err" |
		"$bin/herd-score" --model vader 2>"$tmp/score.err" |
		"$bin/herd-aggregate" --window 1h,1d "${agg[@]}" 2>"$tmp/agg.err" |
		"$bin/herd-load" --db "$db" 2>"$tmp/load.err"
	status="${PIPESTATUS[*]}"
}

lines=$(grep -c . "$wsb")

# ---------------------------------------------------------------- as the issue writes it
cd "$tmp"
pipe "$wsb" t.db
check "the pipe runs: every stage exits 0 (got $status)" [ "$status" = "0 0 0 0" ]
first=$(counts t.db)
n_agg=$(q t.db "SELECT count(*) FROM aggregates")
check "aggregates are loaded ($n_agg)" [ "$n_agg" -gt 0 ]
check "both windows are there" [ "$(q t.db "SELECT group_concat(w) FROM (SELECT DISTINCT window AS w FROM aggregates ORDER BY 1)")" = "1d,1h" ]
sqlite3 t.db .dump >dump1
pipe "$wsb" t.db
check "loading twice: every stage exits 0 (got $status)" [ "$status" = "0 0 0 0" ]
check "loading twice leaves the row counts unchanged ($first -> $(counts t.db))" [ "$(counts t.db)" = "$first" ]
sqlite3 t.db .dump >dump2
check "… and every value (dump identical)" cmp -s dump1 dump2
check "… and herd-load says so" grep -q "^herd-load: aggregates: 0 new, 0 updated, $n_agg unchanged$" load.err

# ---------------------------------------------------------------- posts too
# The file repeats some comments verbatim (the same id twice): a post is
# stored once per id, and herd-aggregate counts an id once per entity and
# window. So count distinct ids in what herd-normalize makes (its records
# start {"kind":"post","id":…, the 8th field between quotes), and the
# (post, entity) pairs of the first copy of each id.
"$bin/herd-normalize" -q --source reddit "$wsb" >posts.ndjson
ids=$(grep -o '^{"kind":"post","id":"[^"]*"' posts.ndjson | sort -u | wc -l)
count_pairs() { grep -o '"entities":\[[^]]*\]' | sed 's/^"entities":\[//; s/\]$//' |
	awk -F, 'NF { n += NF } END { print n + 0 }'; }
all_pairs=$(count_pairs <posts.ndjson)
pairs=$(awk -F'"' '!seen[$8]++' posts.ndjson | count_pairs)
check "the repeated comments name entities: more pairs in the stream ($all_pairs) than distinct ($pairs)" \
	[ "$all_pairs" -gt "$pairs" ]
pipe "$wsb" all.db -- --pass all
check "with --pass all: every stage exits 0 (got $status)" [ "$status" = "0 0 0 0" ]
check "one post per comment id ($ids of $lines lines)" [ "$(q all.db "SELECT count(*) FROM posts")" -eq "$ids" ]
check "one VADER score per post" [ "$(q all.db "SELECT count(*) FROM scores WHERE model = 'vader@3.3.2'")" -eq "$ids" ]
check "the same aggregates as without posts" \
	cmp -s <(q t.db "SELECT * FROM aggregates ORDER BY 1, 2, 3") <(q all.db "SELECT * FROM aggregates ORDER BY 1, 2, 3")
stored=$(q all.db "SELECT count(*) FROM post_entities")
check "herd-load stores each (post, entity) pair once ($pairs, got $stored)" [ "$stored" -eq "$pairs" ]
for w in 1h 1d; do
	sum=$(q all.db "SELECT coalesce(sum(posts), 0) FROM aggregates WHERE window = '$w'")
	check "$w aggregates count each (post id, entity) pair once, as stored ($pairs, got $sum)" [ "$sum" -eq "$pairs" ]
done
all_first=$(counts all.db)

# ---------------------------------------------------------------- a corrupted line
bad_at=$((lines / 2))
{
	head -n $((bad_at - 1)) "$wsb"
	head -n "$bad_at" "$wsb" | tail -1 | cut -c1-80 # a line cut short: invalid JSON
	tail -n +"$bad_at" "$wsb"
} >copy.ndjson
pipe copy.ndjson bad.db --rejects rejects.ndjson -- --pass all
check "a corrupted line: herd-normalize exits 1, the others 0 (got $status)" [ "$status" = "1 0 0 0" ]
check "it is reported with its line number" grep -q "^herd-normalize: copy.ndjson:$bad_at: invalid JSON" norm.err
check "it is counted" grep -q "^herd-normalize: 1 of $((lines + 1)) lines rejected (kept in rejects.ndjson)$" norm.err
check "it is written to --rejects, verbatim" cmp -s rejects.ndjson <(sed -n "${bad_at}p" copy.ndjson)
check "the rest is loaded: the same rows as the clean run ($all_first)" [ "$(counts bad.db)" = "$all_first" ]
check "… with the same values" cmp -s <(sqlite3 all.db ".dump posts scores aggregates post_entities") \
	<(sqlite3 bad.db ".dump posts scores aggregates post_entities")

result
