#!/usr/bin/env bash
# shard.sh — one Spark partition through the per-record stages, for
# herd_spark.py's RDD.pipe(): raw records (or posts) on stdin,
#   herd-normalize | herd-score | herd-aggregate --partial --lateness all
# on stdout (agg_partial records, and the scored posts with --posts).
#
#   shard.sh BIN WINDOWS MODEL [--vader] [--source NAME] [--posts] [--rejects DIR]
#
# BIN is herd's bin/ on this executor (relative paths are taken from the
# task's working directory, where --archives unpacks). Exit 0 when every
# stage exited 0, or 1 with its rejected lines kept (in DIR/STAGE.HOST.PID.ndjson
# with --rejects; without it, a 1 is taken as rejected lines: see the
# executor's stderr). Anything else exits 3 so that Spark retries the task:
# every stage is a pure function of its input, so a retry is safe.
set -uo pipefail
export LC_ALL=C
[ $# -ge 3 ] || { echo "shard.sh: usage: shard.sh BIN WINDOWS MODEL [OPTIONS]" >&2; exit 2; }
bin=$1 windows=$2 model=$3
shift 3
score=(--model "$model") norm=() pass=() rejects=
while [ $# -gt 0 ]; do
	case $1 in
	--vader) score+=(--vader) ;;
	--source) norm+=(--source "$2"); shift ;;
	--posts) pass=(--pass all) ;;
	--rejects) rejects=$2; shift ;;
	*) echo "shard.sh: unknown option '$1'" >&2; exit 2 ;;
	esac
	shift
done
tag=$(hostname).$$
rn=() rs=() ra=()
if [ -n "$rejects" ]; then
	rn=(--rejects "$rejects/normalize.$tag.ndjson") rs=(--rejects "$rejects/score.$tag.ndjson")
	ra=(--rejects "$rejects/aggregate.$tag.ndjson")
fi

"$bin/herd-normalize" -q "${norm[@]}" "${rn[@]}" |
	"$bin/herd-score" -q "${score[@]}" "${rs[@]}" |
	"$bin/herd-aggregate" -q --partial --lateness all --window "$windows" "${pass[@]}" "${ra[@]}"
status=("${PIPESTATUS[@]}")
i=0
for stage in normalize score aggregate; do
	rc=${status[$i]}
	i=$((i + 1))
	[ "$rc" -eq 0 ] && continue
	if [ "$rc" -eq 1 ] && { [ -z "$rejects" ] || [ -s "$rejects/$stage.$tag.ndjson" ]; }; then
		continue # rejected lines, kept: not a failure of the task
	fi
	echo "shard.sh: herd-$stage failed (exit $rc)" >&2
	exit 3
done
exit 0
