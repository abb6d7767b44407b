#!/usr/bin/env bash
# bench-vader.sh — herd-score --model vader against vaderSentiment 3.3.2
# (Python), in one run, on the same texts, one process each.
#
#   scripts/bench-vader.sh [REPEAT]     (REPEAT copies of the corpus, default 4)
#
# Texts: every snippet of ../shared/data/vader-groundtruth (4 corpora) and
# every WSB comment body in wsb-early2021-esbenkc (24,903 texts), as posts,
# repeated REPEAT times. Each side reads the same NDJSON file and writes
# NDJSON with the "vader" field added:
#   herd     bin/herd-score --model vader (all CPUs, and --threads 1)
#   python   json.loads per line, SentimentIntensityAnalyzer.polarity_scores
#            of title + "\n" + text (as herd scores it), json.dumps per line
# Prints the best of 3 runs of each (least CPU time: the machine is shared,
# so CPU time is the fair measure; wall time is shown too), texts/s and the
# ratio end to end; then the CPU time each spends scoring alone (Python's
# inside polarity_scores(), herd's as herd-score -v reports it) and that
# ratio.
# Needs ../shared/data, jq and .venv (scripts/setup-python.sh); says what
# is missing and exits 0 without it. The machine is shared: compare the two
# figures of one run, not figures across runs.
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
top=$PWD
repeat=${1:-4}
shared=${SHARED:-$(cd .. && pwd)/shared/data}
py=.venv/bin/python

[ -d "$shared/vader-groundtruth" ] || { echo "bench-vader: skipped: $shared/vader-groundtruth not found"; exit 0; }
command -v jq >/dev/null || { echo "bench-vader: skipped: jq not found"; exit 0; }
[ -x bin/herd-score ] || { echo "bench-vader: bin/herd-score not built (make)"; exit 1; }
scripts/fetch-vader.sh -q || { echo "bench-vader: skipped: no VADER lexicon (scripts/fetch-vader.sh)"; exit 0; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for f in tweets nytEditorialSnippets movieReviewSnippets amazonReviewSnippets; do
	jq -Rc 'sub("\r$"; "") | select(length > 0) | split("\t")
		| {kind: "post", id: .[0], title: null, text: (.[2:] | join("\t"))}' \
		"$shared/vader-groundtruth/${f}_GroundTruth.txt"
done >"$tmp/one.ndjson"
jq -c '{kind: "post", id: .id, title: null, text: .body}' \
	"$shared/wsb-early2021-esbenkc/wallstreetbets_comments.ndjson" >>"$tmp/one.ndjson"
for _ in $(seq "$repeat"); do cat "$tmp/one.ndjson"; done >"$tmp/in.ndjson"
n=$(wc -l <"$tmp/in.ndjson")
mb=$(awk -v b="$(wc -c <"$tmp/in.ndjson")" 'BEGIN { printf "%.1f", b / 1e6 }')

cat >"$tmp/vader.py" <<'EOF'
import json, sys, time
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
sia = SentimentIntensityAnalyzer()
inside = 0.0
out = sys.stdout
for line in sys.stdin:
    rec = json.loads(line)
    if rec.get("kind") == "post":
        text = "\n".join(t for t in (rec.get("title"), rec.get("text")) if t)
        t0 = time.process_time()
        rec["vader"] = sia.polarity_scores(text)
        inside += time.process_time() - t0
    out.write(json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n")
print(f"{inside:.3f}", file=sys.stderr)
EOF

# One run: "wall cpu" seconds (cpu = user + sys of the process); stderr
# kept in $tmp/err.
run() {
	local TIMEFORMAT='%R %U %S' t
	t=$( { time "$@" <"$tmp/in.ndjson" >"$tmp/out" 2>"$tmp/err"; } 2>&1 )
	awk '{ printf "%.3f %.3f\n", $1, $2 + $3 }' <<<"$t"
}
# The best of 3 runs (least CPU), and its stderr in $tmp/best.err.
best() {
	local b="" r
	for _ in 1 2 3; do
		r=$(run "$@")
		if [ -z "$b" ] || awk -v r="${r#* }" -v b="${b#* }" 'BEGIN { exit !(r < b) }'; then
			b=$r
			cp "$tmp/err" "$tmp/best.err"
		fi
	done
	echo "$b"
}
rate() { awk -v n="$n" -v s="$1" 'BEGIN { printf "%.0f", n / s }'; }

echo "bench-vader: $n texts ($mb MB of NDJSON posts: vader-groundtruth + WSB comments, x$repeat), best of 3"
herd=$(best bin/herd-score -q --model vader --lexicon "$top/data/vader")
hw=${herd% *} hc=${herd#* }
printf '  %-32s %7s s wall %7s s CPU  %9s texts/s (CPU)\n' "herd-score --model vader" "$hw" "$hc" "$(rate "$hc")"
# The same on one thread (no pipeline): the least CPU, for a busy machine.
herd1=$(best bin/herd-score -q --threads 1 --model vader --lexicon "$top/data/vader")
h1w=${herd1% *} h1c=${herd1#* }
printf '  %-32s %7s s wall %7s s CPU  %9s texts/s (CPU)\n' "  the same, --threads 1" "$h1w" "$h1c" "$(rate "$h1c")"
# herd-score -v says how much of its CPU time went into scoring.
bin/herd-score -v --model vader --lexicon "$top/data/vader" <"$tmp/in.ndjson" >/dev/null 2>"$tmp/v.err"
hs=$(sed -n 's/^herd-score: vader: [0-9]* texts scored in \([0-9.]*\) s.*/\1/p' "$tmp/v.err")
printf '  %-32s %7s s                %9s texts/s\n' "  of which scoring (-v)" "$hs" "$(rate "$hs")"
if [ ! -x "$py" ] || ! "$py" -c 'import vaderSentiment' 2>/dev/null; then
	echo "  vaderSentiment (Python): not measured: .venv has no vaderSentiment (scripts/setup-python.sh)"
	exit 0
fi
python=$(best "$py" "$tmp/vader.py")
pw=${python% *} pc=${python#* }
inside=$(cat "$tmp/best.err")
printf '  %-32s %7s s wall %7s s CPU  %9s texts/s (CPU)\n' "vaderSentiment $("$py" -c 'from importlib.metadata import version; print(version("vaderSentiment"))') (Python)" "$pw" "$pc" "$(rate "$pc")"
printf '  %-32s %7s s                %9s texts/s\n' "  of which polarity_scores()" "$inside" "$(rate "$inside")"
awk -v hc="$hc" -v pc="$pc" -v hw="$hw" -v pw="$pw" -v i="$inside" -v hs="$hs" -v h1c="$h1c" -v h1w="$h1w" 'BEGIN {
	printf "  end to end, NDJSON in and out: herd-score is %.1fx faster in CPU time (%.1fx wall clock)\n", pc / hc, pw / hw
	printf "  the same with --threads 1: %.1fx in CPU time (%.1fx wall clock)\n", pc / h1c, pw / h1w
	printf "  scoring alone (polarity_scores() against herd'"'"'s scorer): %.1fx\n", i / hs
}'
echo "  ($($py -c 'import platform; print("Python", platform.python_version())'), $(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg))"
