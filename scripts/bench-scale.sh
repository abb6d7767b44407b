#!/usr/bin/env bash
# bench-scale.sh — the scale run (issue 8): N generated posts through every
# stage of the pipe on this machine, one table per size, and whether
# streaming stages keep their memory flat as N grows.
#
#   scripts/bench-scale.sh [OPTIONS] [N...]      (default N: 100000 1000000)
#
#   --model M      herd-score's model (default vader; a BERT model directory
#                  for the BERT run, e.g. models/default)
#   --no-load      skip herd-load (it is the slow, disk-bound stage: for the
#                  largest sizes the memory question is the streaming stages')
#   --parallel     also run normalize | score | aggregate --partial with
#                  pipelines/parallel.sh on all cores, check its aggregates
#                  equal one process's, and give the speed-up
#   --spark        the same with pipelines/spark (local mode, all cores;
#                  needs .venv-spark: scripts/setup-spark.sh)
#   --keep DIR     keep the files in DIR (default: a temporary folder)
#
# Input: scripts/gen-scale.py -n N --seed 1 (raw Reddit and StockTwits
# records resampled from real texts; needs python3, and ../shared/data for
# real texts, else data/sample). Each stage runs alone, file to file, once
# (the inputs are large; on a shared machine compare within one run), under
# /usr/bin/time: wall and CPU seconds, records/s (records in, per wall
# second and per CPU second: the steadier figure on a shared machine), MB/s
# (bytes in), peak RSS. Then the whole pipe as one streaming pipeline
#   herd-normalize | herd-score | herd-aggregate --pass all | herd-load
# Prints Markdown tables, names the slowest stage, and the peak RSS of each
# streaming stage across sizes.
set -eu
export LC_ALL=C
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${HERD_BIN:-$top/bin}
model=vader load=1 par=0 spark=0 keep=
sizes=()
while [ $# -gt 0 ]; do
	case $1 in
	--model) model=$2; shift ;;
	--no-load) load=0 ;;
	--parallel) par=1 ;;
	--spark) spark=1 ;;
	--keep) keep=$2; shift ;;
	-h | --help) sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "bench-scale: unknown option '$1'" >&2; exit 2 ;;
	*) sizes+=("$1") ;;
	esac
	shift
done
[ ${#sizes[@]} -gt 0 ] || sizes=(100000 1000000)
for p in normalize score aggregate load; do
	[ -x "$bin/herd-$p" ] || { echo "bench-scale: $bin/herd-$p missing (make)" >&2; exit 1; }
done
if [ -n "$keep" ]; then
	mkdir -p "$keep"
	tmp=$(cd "$keep" && pwd)
else
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
fi

# timed NAME IN OUT CMD...: run CMD (stdin IN, stdout OUT) under
# /usr/bin/time; appends "NAME secs peak_kb cpu in_bytes in_records" to $tmp/times.
timed() {
	local name=$1 in=$2 out=$3 s kb u sy
	shift 3
	/usr/bin/time -f "%e %M %U %S" -o "$tmp/time" "$@" <"$in" >"$out" 2>"$tmp/err" ||
		[ $? -eq 1 ] || { echo "bench-scale: $name failed:" >&2; cat "$tmp/err" >&2; exit 1; }
	read -r s kb u sy <"$tmp/time"
	echo "$name $s $kb $(awk -v u="$u" -v s="$sy" 'BEGIN { printf "%.1f", u + s }') $(stat -c %s "$in") $(wc -l <"$in")" >>"$tmp/times"
}

row() { # NAME SECS KB CPU BYTES RECORDS
	awk -v n="$1" -v s="$2" -v kb="$3" -v cpu="$4" -v b="$5" -v r="$6" 'BEGIN {
		printf "| %-22s | %8.1f | %8.1f | %10.0f | %10.0f | %7.1f | %8.0f |\n", n, s, cpu, r / (s > 0 ? s : 0.01),
			r / (cpu > 0 ? cpu : 0.01), b / 1e6 / (s > 0 ? s : 0.01), kb / 1024 }'
}

score=(--model "$model")
echo "# herd scale run: $(nproc) cores, $(date -u +%F), herd-score --model $model"
for n in "${sizes[@]}"; do
	: >"$tmp/times"
	t0=$SECONDS
	python3 "$top/scripts/gen-scale.py" -n "$n" --seed 1 >"$tmp/raw.ndjson" 2>"$tmp/gen.err"
	echo
	echo "## $n posts ($(awk '{ printf "%.0f MB", $1 / 1e6 }' <<<"$(stat -c %s "$tmp/raw.ndjson")") raw, made in $((SECONDS - t0)) s; $(tail -1 "$tmp/gen.err" | sed 's/^gen-scale: //'))"
	timed normalize "$tmp/raw.ndjson" "$tmp/posts.ndjson" "$bin/herd-normalize" -q
	timed score "$tmp/posts.ndjson" "$tmp/scored.ndjson" "$bin/herd-score" -q "${score[@]}"
	timed aggregate "$tmp/scored.ndjson" "$tmp/agg.ndjson" "$bin/herd-aggregate" -q --window 1h,1d --pass all
	if [ $load -eq 1 ]; then
		rm -f "$tmp/scale.db"*
		timed load "$tmp/agg.ndjson" /dev/null "$bin/herd-load" -q --db "$tmp/scale.db"
	fi
	# The whole pipe, streaming: wall time from raw to loaded (or to aggregates).
	rm -f "$tmp/pipe.db"*
	s0=$(date +%s.%N)
	if [ $load -eq 1 ]; then
		"$bin/herd-normalize" -q "$tmp/raw.ndjson" | "$bin/herd-score" -q "${score[@]}" |
			"$bin/herd-aggregate" -q --window 1h,1d --pass all | "$bin/herd-load" -q --db "$tmp/pipe.db"
	else
		"$bin/herd-normalize" -q "$tmp/raw.ndjson" | "$bin/herd-score" -q "${score[@]}" |
			"$bin/herd-aggregate" -q --window 1h,1d --pass all >/dev/null
	fi
	pipe_s=$(echo "$(date +%s.%N) - $s0" | bc)
	echo
	echo "| stage                  |   wall s |    CPU s |  records/s | rec/CPU-s | MB/s in | peak MB |"
	echo "|------------------------|---------:|---------:|-----------:|-----------:|--------:|--------:|"
	while read -r name s kb cpu b r; do
		case $name in
		score) name="score ($model)" ;;
		aggregate) name="aggregate 1h,1d" ;;
		load) name="load (SQLite)" ;;
		esac
		row "$name" "$s" "$kb" "$cpu" "$b" "$r"
	done <"$tmp/times"
	awk -v s="$pipe_s" -v n="$n" -v l="$load" 'BEGIN { printf "| %-22s | %8.1f | %8s | %10.0f | %10s | %7s | %8s |\n", (l ? "whole pipe, streaming" : "pipe to aggregates"), s, "", n / s, "", "", "" }'
	echo
	sort -k2 -g -r "$tmp/times" | head -1 | awk '{ printf "slowest stage: %s (%s s wall, %s s CPU)\n", $1, $2, $4 }'
	sed "s/^/$n /" "$tmp/times" >>"$tmp/all-times"

	if [ $par -eq 1 ]; then
		s0=$(date +%s.%N)
		"$bin/herd-normalize" -q "$tmp/raw.ndjson" | "$bin/herd-score" -q "${score[@]}" |
			"$bin/herd-aggregate" -q --window 1h,1d --lateness all >"$tmp/one.agg"
		one_s=$(echo "$(date +%s.%N) - $s0" | bc)
		s0=$(date +%s.%N)
		"$top/pipelines/parallel.sh" -q --model "$model" --window 1h,1d "$tmp/raw.ndjson" >"$tmp/par.agg"
		par_s=$(echo "$(date +%s.%N) - $s0" | bc)
		same=$(cmp -s "$tmp/one.agg" "$tmp/par.agg" && echo "identical" || echo "DIFFERENT")
		echo
		awk -v p="$par_s" -v o="$one_s" -v j="$(nproc)" -v same="$same" -v n="$(wc -l <"$tmp/one.agg")" 'BEGIN {
			printf "parallel.sh (%d jobs): %.1f s vs one process %.1f s (normalize | score | aggregate): speed-up %.2fx; aggregates %s (%d records)\n", j, p, o, o / p, same, n }'
	fi
	if [ $spark -eq 1 ]; then
		[ -n "${one_s:-}" ] || { echo "bench-scale: --spark needs --parallel (for the one-process time)" >&2; exit 2; }
		s0=$(date +%s.%N)
		"$top/.venv-spark/bin/python" "$top/pipelines/spark/herd_spark.py" --master "local[*]" --bin "$bin" \
			--model "$model" --window 1h,1d --out "$tmp/spark.agg" "$tmp/raw.ndjson" 2>"$tmp/spark.err"
		spark_s=$(echo "$(date +%s.%N) - $s0" | bc)
		same=$(cmp -s <(sort "$tmp/one.agg") <(sort "$tmp/spark.agg") && echo "identical (sorted)" || echo "DIFFERENT")
		awk -v p="$spark_s" -v o="$one_s" -v same="$same" 'BEGIN {
			printf "Spark local[*]: %.1f s (JVM start included) vs one process %.1f s: speed-up %.2fx; aggregates %s\n", p, o, o / p, same }'
	fi
	rm -f "$tmp"/*.ndjson "$tmp"/*.db* "$tmp"/*.agg
done

if [ ${#sizes[@]} -gt 1 ]; then
	echo
	echo "## peak RSS (MB) by size: flat for streaming stages"
	echo
	printf '| stage |'
	for n in "${sizes[@]}"; do printf ' %s |' "$n"; done
	echo
	printf '|---|'
	for _ in "${sizes[@]}"; do printf -- '---:|'; done
	echo
	for st in normalize score aggregate load; do
		grep -q "^[0-9]* $st" "$tmp/all-times" || continue
		printf '| %s |' "$st"
		for n in "${sizes[@]}"; do
			awk -v n="$n" -v st="$st" '$1 == n && $2 == st { printf " %.1f |", $(NF - 3) / 1024 }' "$tmp/all-times"
		done
		echo
	done
fi
