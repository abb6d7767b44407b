#!/usr/bin/env bash
# bench-ab.sh — two herd-score builds against each other on the same
# inputs, in one run, taking turns: what an engine change costs or gains
# (issue 18's fixed row blocks were measured so). On a shared machine the
# load drifts; alternating A and B, best of N each, keeps the ratio honest
# where two separate runs would not.
#
#   scripts/bench-ab.sh A/bin/herd-score B/bin/herd-score [--model DIR] [--reps N] [--threads N]
#
# Inputs, from ../shared/data:
#   128x32   Financial PhraseBank sentences glued into texts of 1,400
#            characters, cut to 128 tokens (--max-len 128 --batch 32):
#            every batch the same shape, as a fixed-shape benchmark
#   32x32    the same cut to 32 tokens
#   wsb      the 1,152 real WSB comments of wsb-early2021-esbenkc in input
#            order, as herd-score ships (sorted windows)
# Prints per input: sequences/s of A and B (best of N, model loading taken
# out by a run on empty input) and B/A; and whether A and B wrote the same
# bytes. Name the CPU beside the figures (it is printed).
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
usage() { sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit "${1:-0}"; }
[ $# -ge 2 ] || usage 2
case $1 in -h | --help) usage ;; esac
a=$1 b=$2
shift 2
model=models/default reps=3 threads=$(nproc)
while [ $# -gt 0 ]; do
	case $1 in
	--model) model=$2; shift 2 ;;
	--reps) reps=$2; shift 2 ;;
	--threads) threads=$2; shift 2 ;;
	-h | --help) usage ;;
	*) echo "bench-ab: unknown option $1" >&2; usage 2 ;;
	esac
done
shared=${SHARED:-$(cd .. && pwd)/shared/data}
src=$shared/wsb-early2021-esbenkc/wallstreetbets_comments.ndjson
pb=$shared/financial-phrasebank/Sentences_50Agree.txt
for f in "$src" "$pb"; do [ -f "$f" ] || { echo "bench-ab: skipped: $f not found"; exit 0; }; done
for x in "$a" "$b"; do [ -x "$x" ] || { echo "bench-ab: $x is not an executable"; exit 2; }; done
[ -d "$model" ] || { echo "bench-ab: no model $model (make models)"; exit 2; }
command -v jq >/dev/null || { echo "bench-ab: needs jq"; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Posts: the real comments; long ones: comments glued into texts of 200+ words.
jq -c 'select(.body != null and .body != "[deleted]" and .body != "[removed]")
	| {kind: "post", id: ("b:" + .id), source: "reddit", created_at: "2021-01-27T00:00:00Z", text: .body}' "$src" >"$work/wsb.ndjson"
iconv -f latin1 -t utf-8 "$pb" | sed 's/@[a-z]*\r\{0,1\}$//' | tr '\n' ' ' | tr -s ' ' | fold -s -w 1400 | sed '$d' |
	jq -R -c '{kind: "post", id: ("l:" + (input_line_number | tostring)), source: "reddit",
		created_at: "2021-01-27T00:00:00Z", text: .}' >"$work/long.ndjson"

now() { date +%s.%N; }
# secs BIN INPUT ARGS...: wall seconds of one run.
secs() {
	local bin=$1 in=$2 t0
	shift 2
	t0=$(now)
	"$bin" -q --model "$model" --threads "$threads" "$@" "$in" >"$work/out" 2>/dev/null
	awk -v a="$(now)" -v b="$t0" 'BEGIN { print a - b }'
}
# calc EXPR: awk arithmetic on the figures.
calc() { awk "BEGIN { print $1 }"; }

echo "bench-ab: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs, $threads threads, load $(cut -d' ' -f1 /proc/loadavg)"
echo "  A: $a"
echo "  B: $b"
echo "  model: $model; best of $reps, taking turns"
printf '%-8s %8s %12s %12s %8s  %s\n' input seqs "A seq/s" "B seq/s" "B/A" "same bytes"
for spec in "128x32 long.ndjson --max-len 128 --batch 32" "32x32 long.ndjson --max-len 32 --batch 32" "wsb wsb.ndjson"; do
	set -- $spec
	name=$1 in=$work/$2
	shift 2
	n=$(wc -l <"$in")
	: >"$work/empty.ndjson"
	la=$(secs "$a" "$work/empty.ndjson" "$@") lb=$(secs "$b" "$work/empty.ndjson" "$@")
	ba=1e9 bb=1e9
	for _ in $(seq "$reps"); do
		t=$(secs "$a" "$in" "$@"); cp "$work/out" "$work/a.out"
		ba=$(calc "($t - $la < $ba) ? $t - $la : $ba")
		t=$(secs "$b" "$in" "$@"); cp "$work/out" "$work/b.out"
		bb=$(calc "($t - $lb < $bb) ? $t - $lb : $bb")
	done
	same=no
	cmp -s "$work/a.out" "$work/b.out" && same=yes
	printf '%-8s %8d %12.1f %12.1f %8.3f  %s\n' "$name" "$n" "$(calc "$n / $ba")" "$(calc "$n / $bb")" \
		"$(calc "$ba / $bb")" "$same"
done
echo "load at the end $(cut -d' ' -f1 /proc/loadavg)"
