#!/usr/bin/env bash
# check-precision.sh — herd-score at a lower precision (--precision int8,
# or bf16 where the CPU has AVX512_BF16; issue 15) against fp32 on the
# same model, on real text:
#   agreement  the share of real sentences given the same label: WSB
#              comments (wsb-early2021-esbenkc), r/stocks, r/investing and
#              r/pennystocks comments (reddit-ticker-comments-2021-01),
#              StockerBot tweets (stock-tweets-samples) and every labelled
#              text below; the bar is >= 99.5%
#   accuracy   on the labelled sets, fp32 and the other precision: Financial
#              PhraseBank (all-agree and 50%-agree), the finance tweets
#              (twitter-financial-news-sentiment: Bearish/Bullish/Neutral)
#              and the SemEval-2017 microblogs (sign of the analysts' score
#              against P(positive) - P(negative), as eval-microblogs.sh);
#              the bar is within 0.5 point on each
#
#   scripts/check-precision.sh [--precision int8|bf16] [--model DIR] [--limit N]
#                              [--int8-recheck P]
#
# --limit N takes at most N texts from each source (default: all).
# --int8-recheck P is herd-score's (int8 runs again in fp32 the texts it
# leaves within P of a tie; default herd-score's 0.15, 0 for int8 alone). Exit 0
# when both bars hold, 1 when one does not, 77 without ../shared/data, the
# model, or the CPU's means (bf16 without AVX512_BF16). Needs bin/herd-score,
# jq and python3 (the CSV and JSON sources into posts: scripts only).
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
shared=${SHARED:-$(cd .. && pwd)/shared/data}
prec=int8 model=models/default limit=0 recheck=()
while [ $# -gt 0 ]; do
	case $1 in
	--precision) prec=$2; shift 2 ;;
	--model) model=$2; shift 2 ;;
	--limit) limit=$2; shift 2 ;;
	--int8-recheck) recheck=(--int8-recheck "$2"); shift 2 ;;
	-h | --help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "check-precision: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
done
[ -d "$shared/financial-phrasebank" ] || { echo "skip: $shared absent"; exit 77; }
[ -f "$model/config.json" ] || { echo "skip: no $model (make models)"; exit 77; }
[ -x bin/herd-score ] || { echo "check-precision: bin/herd-score not built (make)" >&2; exit 1; }
# a precision this CPU cannot run (bf16 without AVX512_BF16) is a usage error: skipped
if ! bin/herd-score --model "$model" --device cpu --precision "$prec" </dev/null 2>/dev/null; then
	echo "skip: $(bin/herd-score --model "$model" --device cpu --precision "$prec" </dev/null 2>&1 | head -1)"
	exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

python3 - "$shared" "$limit" >"$tmp/posts.ndjson" <<'PY'
import csv, glob, json, os, sys
shared, limit = sys.argv[1], int(sys.argv[2])
csv.field_size_limit(1 << 24)
def emit(src, texts):
    n = 0
    for t, gold in texts:
        if not t or not t.strip() or t in ("[deleted]", "[removed]"):
            continue
        print(json.dumps({"kind": "post", "id": f"{src}:{n}", "src": src, "gold": gold, "title": None, "text": t}))
        n += 1
        if limit and n >= limit:
            return
def lines(p):
    return open(p, encoding="utf-8", errors="replace")
emit("wsb", ((json.loads(l).get("body") or "", None) for l in lines(f"{shared}/wsb-early2021-esbenkc/wallstreetbets_comments.ndjson")))
emit("reddit", ((r["comment"], None) for p in sorted(glob.glob(f"{shared}/reddit-ticker-comments-2021-01/daily_data/*.csv"))
                for r in csv.DictReader(lines(p))))
emit("stockerbot", ((r.get("text", ""), None) for r in csv.DictReader(lines(f"{shared}/stock-tweets-samples/tweets.csv"))))
for level in ("AllAgree", "50Agree"):
    emit(f"phrasebank-{level}", ((l.rstrip("\r\n").rsplit("@", 1)[0], l.rstrip("\r\n").rsplit("@", 1)[1])
                                 for l in open(f"{shared}/financial-phrasebank/Sentences_{level}.txt", encoding="latin-1")))
names = {"0": "negative", "1": "positive", "2": "neutral"}
emit("tweets", ((r["text"], names[r["label"]]) for r in csv.DictReader(lines(f"{shared}/twitter-financial-news-sentiment/sent_train.csv"))))
mb = f"{shared}/semeval2017-task5-microblogs"
st = [(m["message"]["body"], float(m["sentiment score"])) for m in json.load(lines(f"{mb}/Microblog_Trainingdata-stocktwits_full.json")) if isinstance(m.get("message"), dict)]
tw = [(m["text"], float(m["sentiment score"])) for m in json.load(lines(f"{mb}/Microblog_Trainingdata-twitter_full.json")) if m.get("text")]
emit("microblogs", ((t, "sign+" if g > 0 else "sign-") for t, g in st + tw if g != 0))
PY

[ ${#recheck[@]} -eq 0 ] || [ "$prec" = int8 ] || { echo "check-precision: --int8-recheck is for --precision int8" >&2; exit 2; }
for p in fp32 "$prec"; do
	extra=()
	[ "$p" = fp32 ] || extra=("${recheck[@]}")
	bin/herd-score --model "$model" --device cpu --precision "$p" "${extra[@]}" "$tmp/posts.ndjson" 2>"$tmp/$p.err" |
		jq -r '[.src, (.gold // "-"), .sentiment.label, .sentiment.score] | @tsv' >"$tmp/$p.tsv"
	echo "$p: $(sed 's/^herd-score: //' "$tmp/$p.err")"
done
paste "$tmp/fp32.tsv" "$tmp/$prec.tsv" | awk -F'\t' -v prec="$prec" '
	function right(gold, label, score) {
		if (gold == "sign+") return score > 0
		if (gold == "sign-") return score < 0
		return gold == label
	}
	{
		src = $1; n[src]++; same[src] += $3 == $7; N++; S += $3 == $7
		if ($2 != "-") { lab[src] = 1; a32[src] += right($2, $3, $4); alo[src] += right($2, $7, $8) }
	}
	END {
		bad = 0
		printf "%-22s %6s %9s %9s %9s %7s\n", "source", "texts", "agree", "acc fp32", "acc " prec, "diff"
		for (s in n) {
			line = sprintf("%-22s %6d %8.2f%%", s, n[s], 100 * same[s] / n[s])
			if (lab[s]) {
				d = 100 * (alo[s] - a32[s]) / n[s]
				line = line sprintf(" %8.2f%% %8.2f%% %+6.2f", 100 * a32[s] / n[s], 100 * alo[s] / n[s], d)
				if (d < -0.5 || d > 0.5) { bad = 1; line = line "  OVER 0.5 POINT" }
			}
			print line | "sort"
		}
		close("sort")
		printf "all: %d texts, %.2f%% the same label (bar 99.5%%)\n", N, 100 * S / N
		if (S / N < 0.995) bad = 1
		print bad ? "FAIL" : "PASS"
		exit bad
	}'
