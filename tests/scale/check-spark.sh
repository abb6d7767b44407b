#!/usr/bin/env bash
# check-spark.sh — pipelines/spark/herd_spark.py in Spark's local mode
# gives what one process gives (issue 8, "Spark"):
#   - the 51k real Reddit comments (through herd-import), with one bad line
#     put in, over 4 partitions: the agg records, sorted, are those of
#     herd-normalize | herd-score | herd-aggregate --lateness all on the
#     clean input; the bad line is kept in --rejects and the exit status is 1;
#   - a generated set (scripts/gen-scale.py) with --posts: the SQLite file
#     (--sqlite, on the driver) holds the same posts, scores, entities and
#     aggregates as the single-process pipe loaded with herd-load; the
#     PostgreSQL COPY files (--pg-copy, written by each partition) hold
#     every aggregate exactly once across partitions, and every post.
# Skips (77) without PySpark (scripts/setup-spark.sh makes .venv-spark) or
# Java, a program of the pipe, or the data. Prints "RESULT N passed, N failed".
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-scale.sh"
spark=$top/pipelines/spark/herd_spark.py
comments=$SHARED/reddit-ticker-comments-2021-01/daily_data

py=
for p in "$top/.venv-spark/bin/python" python3; do
	if command -v "$p" >/dev/null && "$p" -c 'import pyspark' 2>/dev/null; then py=$p; break; fi
done
[ -n "$py" ] || skip "PySpark not installed (scripts/setup-spark.sh makes .venv-spark)"
java -version >/dev/null 2>&1 || skip "no Java runtime for Spark"
need_pipe
cd "$tmp"

# submit ARGS...: a local-mode run on 2 cores; its log in spark.log.
submit() { "$py" "$spark" --master 'local[2]' --bin "$bin" --driver-bin "$bin" "$@" 2>spark.log; }

# ---------------------------------------------------------------- real comments
if [ -d "$comments" ]; then
	"$bin/herd-import" -q --source reddit --date-from-filename --community-from-filename '^[0-9-]+_([a-z]+)_' \
		--map text=comment,entities=ticker "$comments"/*_comments.csv >real.ndjson
	one real.ndjson | sort >real.one
	half=$(($(wc -l <real.ndjson) / 2))
	{ head -n $half real.ndjson; echo '{"kind":"post","id":"broken'; tail -n +$((half + 1)) real.ndjson; } >bad.ndjson
	submit --partitions 4 --rejects rej --out real.spark bad.ndjson
	rc=$?
	check "real comments with a bad line: exit 1 (got $rc: $(grep -m1 -iE 'error|exception' spark.log))" [ "$rc" -eq 1 ]
	check "the single-process pipe writes aggregates ($(wc -l <real.one))" [ "$(wc -l <real.one)" -gt 1000 ]
	check "Spark, 4 partitions: the same agg records (sorted) as one process on the clean input" \
		cmp -s real.one <(sort real.spark)
	check "the bad line is kept in --rejects, verbatim" cmp -s <(cat rej/normalize.*.ndjson) <(echo '{"kind":"post","id":"broken')
else
	echo "skip: $comments absent: the real-comment checks"
fi

# ---------------------------------------------------------------- generated, landed
if command -v python3 >/dev/null; then
	python3 "$top/scripts/gen-scale.py" -n 20000 --seed 3 >gen.ndjson 2>/dev/null
	one gen.ndjson --pass all | "$bin/herd-load" -q --db one.db
	submit --partitions 3 --posts --sqlite spark.db --pg-copy copy gen.ndjson
	rc=$?
	check "generated, --posts --sqlite --pg-copy: exit 0 (got $rc: $(grep -m1 -iE 'error|exception' spark.log))" [ "$rc" -eq 0 ]
	for t in posts scores post_entities aggregates; do
		check "--sqlite: table $t as the single-process load ($(q one.db "SELECT count(*) FROM $t") rows)" \
			same_table one.db spark.db "$t"
	done
	n_agg=$(q one.db "SELECT count(*) FROM aggregates")
	n_post=$(q one.db "SELECT count(*) FROM posts")
	check "--pg-copy: a load script per partition and kind (6)" [ "$(ls copy/load.*.sql 2>/dev/null | wc -l)" -eq 6 ]
	keys=$(cat copy/aggregates.*.copy | cut -f1-3 | sort -u | wc -l)
	rows=$(cat copy/aggregates.*.copy | wc -l)
	check "--pg-copy: every aggregate once across the partitions ($n_agg: $keys keys, $rows rows)" \
		[ "$keys" -eq "$n_agg" -a "$rows" -eq "$n_agg" ]
	check "--pg-copy: every post ($n_post)" [ "$(cat copy/posts.*.copy | cut -f1 | sort -u | wc -l)" -eq "$n_post" ]
else
	echo "skip: python3 absent: the generated-set checks"
fi

result
