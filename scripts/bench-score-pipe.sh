#!/usr/bin/env bash
# bench-score-pipe.sh — herd-score's pipeline (issue 4: the pipe keeps the
# scorer fed; issue 2: VADER's wall time) against another herd-score, on
# this machine, with no GPU: the runs of the two binaries interleave, so
# that both see the same load on a shared machine, and each case runs
# REPS times; the table gives min / median / max of wall and CPU seconds
# and the ratio of the medians.
#
#   scripts/bench-score-pipe.sh OLD_HERD_SCORE [REPEAT] [REPS]
#
# OLD_HERD_SCORE: a herd-score built from an older commit (e.g. in a
# `git archive` copy of it). The posts: the WSB comments of ../shared/data
# (herd-normalize --source reddit), REPEAT times over (default 100: 120,000
# posts). Cases, each checked to give the same bytes with both binaries:
#   vader      --model vader
#   toy128     a 2-layer model (hidden 32, scripts/gpu-check.py models
#              --only tiny, made with .venv's torch), --device cpu, batch 256,
#              window 8192, max-len 128: gpu-pipe-check.sh's settings
#   toy8       the same at --max-len 8: the model costs about what reading,
#              tokenizing and writing cost
# and the new binary once more with --threads 1 (no pipeline).
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
old=$(realpath "${1:?usage: bench-score-pipe.sh OLD_HERD_SCORE [REPEAT] [REPS]}")
repeat=${2:-100}
reps=${3:-5}
new=$PWD/bin/herd-score
shared=${SHARED:-../shared/data}
comments=$shared/wsb-early2021-esbenkc/wallstreetbets_comments.ndjson
[ -r "$comments" ] || { echo "bench-score-pipe: $comments not found" >&2; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

bin/herd-normalize -q --source reddit "$comments" >"$work/c.ndjson"
for _ in $(seq "$repeat"); do cat "$work/c.ndjson"; done >"$work/posts.ndjson"
.venv/bin/python scripts/gpu-check.py models "$work/models" --only tiny --vocab models/bert-base-uncased/vocab.txt >/dev/null 2>&1
lexicon=data/vader
[ -r "$lexicon/vader_lexicon.txt" ] || scripts/fetch-vader.sh -q

args_of() { # CASE -> herd-score arguments
	case $1 in
	vader) echo "--model vader --lexicon $lexicon" ;;
	toy128) echo "--model $work/models/tiny --device cpu --batch 256 --sort-window 8192 --max-len 128" ;;
	toy8) echo "--model $work/models/tiny --device cpu --batch 256 --sort-window 8192 --max-len 8" ;;
	esac
}
# run NAME BIN ARGS...: one timed run, "wall cpu" appended to $work/NAME
run() {
	local name=$1 bin=$2
	shift 2
	/usr/bin/time -f '%e %U %S' -o "$work/t" "$bin" -q "$@" "$work/posts.ndjson" >"$work/out-$name"
	awk '{ printf "%s %.2f\n", $1, $2 + $3 }' "$work/t" >>"$work/$name"
}
# stats NAME COLUMN -> "min / median / max" of column 1 (wall) or 2 (CPU)
stats() {
	sort -n -k"$2","$2" "$work/$1" | awk -v k="$2" '{ v[NR] = $k } END { printf "%.2f / %.2f / %.2f", v[1], v[int((NR + 1) / 2)], v[NR] }'
}
median() { sort -n -k"$2","$2" "$work/$1" | awk -v k="$2" '{ v[NR] = $k } END { print v[int((NR + 1) / 2)] }'; }

n=$(wc -l <"$work/posts.ndjson")
echo "bench-score-pipe: $n posts, $reps runs each, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-8s %-16s %-24s %-24s %s\n' case binary "wall s (min/med/max)" "CPU s (min/med/max)" "posts/s (median wall)"
for c in vader toy128 toy8; do
	read -ra a <<<"$(args_of $c)"
	for _ in $(seq "$reps"); do
		run "$c-old" "$old" "${a[@]}"
		run "$c-new" "$new" "${a[@]}"
		run "$c-new1" "$new" --threads 1 "${a[@]}"
	done
	cmp -s "$work/out-$c-old" "$work/out-$c-new" || echo "bench-score-pipe: $c: the two binaries' outputs differ"
	for b in old new new1; do
		label=$b
		[ $b = new1 ] && label="new --threads 1"
		printf '%-8s %-16s %-24s %-24s %.0f\n' "$c" "$label" "$(stats "$c-$b" 1)" "$(stats "$c-$b" 2)" \
			"$(awk -v n="$n" -v t="$(median "$c-$b" 1)" 'BEGIN { print n / t }')"
	done
	awk -v o="$(median "$c-old" 1)" -v w="$(median "$c-new" 1)" -v oc="$(median "$c-old" 2)" -v nc="$(median "$c-new" 2)" \
		-v c="$c" 'BEGIN { printf "%-8s new/old: wall %.2f, CPU %.2f\n", c, w / o, nc / oc }'
done
