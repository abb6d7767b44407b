#!/usr/bin/env bash
# run.sh — builds the libFuzzer harnesses (tests/fuzz/fuzz_*.c, through
# tests/fuzz/fuzz.mk) and runs each in turn: what `make fuzz` does.
#
#   tests/fuzz/run.sh [-t SECONDS] [--regress] [NAME...]
#
# Each harness NAME (ndjson, normalize, csv, pgcopy, tokenizer,
# safetensors, config) first runs
# every committed input of tests/fuzz/crashes/NAME/ once (the crashes found
# so far, kept as regression tests: each must pass now), then fuzzes for
# SECONDS (-t, else $FUZZ_SECONDS, else 60) from the corpus in
# build/fuzz/corpus/NAME/, which it seeds with the committed hand-made
# seeds (tests/fuzz/seeds/NAME/) and, when ../shared/data is there, with
# the real fixtures (copied at fuzz time into the ignored build/ folder,
# never committed). One fuzzer at a time: the machine is shared.
# A new crash is written to build/fuzz/crashes/NAME/ and makes run.sh exit
# 1; to keep it as a regression test, fix the bug and copy the input to
# tests/fuzz/crashes/NAME/. Every run appends "date NAME seconds execs
# result" to build/fuzz/runs.tsv, so the hours spent can be added up.
# --regress runs the committed crash inputs and seeds only, no fuzzing.
set -u
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
SHARED=${SHARED:-$(cd "$top/.." && pwd)/shared/data}
out=$top/build/fuzz
seconds=${FUZZ_SECONDS:-60}
regress=0
names=()

usage() { sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
	case $1 in
	-t) seconds=$2; shift ;;
	--regress) regress=1 ;;
	-h | --help) usage; exit 0 ;;
	-*) echo "fuzz: unknown option '$1'" >&2; exit 2 ;;
	*) names+=("$1") ;;
	esac
	shift
done
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "fuzz: -t: '$seconds' is not a number of seconds" >&2; exit 2; }

command -v "${FUZZ_CC:-clang}" >/dev/null || { echo "fuzz: ${FUZZ_CC:-clang} not found (apt-get install clang)" >&2; exit 1; }
# -k: a harness whose code under test does not link yet (work in
# progress elsewhere) must not stop the others.
make -s -k -C "$top" -f tests/fuzz/fuzz.mk -j2 >"$out.build.log" 2>&1 || build_failed=1
mkdir -p "$out"
mv "$out.build.log" "$out/build.log"
if [ ${#names[@]} -eq 0 ]; then
	for f in "$here"/fuzz_*.c; do n=${f##*/fuzz_}; names+=("${n%.c}"); done
fi

# ---------------------------------------------------------------- seeds
# seed NAME PREFIX FILE...: each FILE as a corpus entry, PREFIX (octal
# escapes for printf) before it: the harness's control byte.
seed() {
	local name=$1 prefix=$2 f
	shift 2
	for f in "$@"; do
		[ -r "$f" ] || continue
		{ printf "$prefix"; cat "$f"; } >"$out/corpus/$name/real-$(printf '%s' "$prefix$f" | cksum | cut -d' ' -f1)"
	done
}
# seed_lines NAME PREFIX N FILE: the first N lines of FILE, one entry each.
seed_lines() {
	local name=$1 prefix=$2 n=$3 f=$4 i=0 line
	[ -r "$f" ] || return 0
	while IFS= read -r line && [ $i -lt "$n" ]; do
		i=$((i + 1))
		{ printf "$prefix"; printf '%s\n' "$line"; } >"$out/corpus/$name/line-$(printf '%s' "$prefix$line" | cksum | cut -d' ' -f1)"
	done < <(zcat -f "$f")
}
# seed_head NAME PREFIX N FILE...: the first N lines of each FILE, one entry each.
seed_head() {
	local name=$1 prefix=$2 n=$3 f
	shift 3
	for f in "$@"; do
		[ -r "$f" ] || continue
		{ printf "$prefix"; head -n "$n" "$f"; } >"$out/corpus/$name/head-$(printf '%s' "$prefix$f" | cksum | cut -d' ' -f1)"
	done
}

seed_real() {
	local name=$1 fx=$SHARED/api-fixtures wsb=$SHARED/wsb-early2021-esbenkc i
	local comments=$SHARED/reddit-ticker-comments-2021-01/daily_data
	case $name in
	ndjson)
		seed_head ndjson '' 40 "$top"/data/sample/*.ndjson "$wsb"/*.ndjson \
			"$SHARED"/semeval2017-task5-microblogs/Microblog_Trialdata.json
		seed ndjson '' "$fx"/*/*.json
		;;
	normalize)
		# The control byte: the source's place in source_names() (reddit
		# 0, stocktwits 1, newsapi 2, x 3, alphavantage 4, yahoo 5,
		# wikipedia 6; 15 = a raw record) + 0x40, precision entities.
		seed normalize '\100' "$fx"/reddit/*.json
		seed normalize '\101' "$fx"/stocktwits/*.json
		seed normalize '\102' "$fx"/newsapi/*.json
		seed normalize '\103' "$fx"/x-twitter-v2/*.json
		seed normalize '\104' "$fx"/alphavantage/*
		seed normalize '\105' "$fx"/yahoo-finance/*.json
		seed normalize '\106' "$fx"/wikipedia-pageviews/*.json
		seed_lines normalize '\100' 60 "$wsb/wallstreetbets_comments.ndjson"
		seed_lines normalize '\100' 30 "$wsb/wallstreetbets.ndjson"
		for i in "$top"/data/sample/*.ndjson; do seed_lines normalize '\117' 25 "$i"; done
		;;
	csv)
		# preset 0 StockerBot, 1 Reddit ticker comments, 2 WSB posts,
		# 3 daily mentions (metrics); 0x10 = latin1.
		seed_head csv '\000' 30 "$SHARED"/stock-tweets-samples/*.csv
		seed_head csv '\020' 30 "$SHARED"/stock-tweets-samples/tweets.csv
		seed_head csv '\001' 30 "$comments"/2021-01-2[07]_*_comments.csv
		seed_head csv '\002' 30 "$wsb"/wallstreetbets.csv
		seed_head csv '\003' 30 "$SHARED"/reddit-ticker-daily-vader-2021/daily_data/2021-01-2[0-2]_*.csv
		seed_head csv '\000' 30 "$SHARED"/twitter-financial-news-sentiment/sent_train.csv "$wsb"/market_prices.csv
		;;
	pgcopy)
		# What herd-load meets: the sample through the pipe, every kind.
		local b=${HERD_BIN:-$top/bin}
		if [ -x "$b/herd-aggregate" ] && [ ! -s "$out/pgcopy-sample.ndjson" ]; then
			"$b/herd-normalize" -q "$top"/data/sample/*.ndjson | "$b/herd-score" -q --model vader |
				"$b/herd-aggregate" -q --window 1h,1d --lateness all --pass all >"$out/pgcopy-sample.ndjson" || true
		fi
		[ -s "$out/pgcopy-sample.ndjson" ] && split -l 25 "$out/pgcopy-sample.ndjson" "$out/pgcopy-sample." &&
			seed pgcopy '\000' "$out"/pgcopy-sample.[a-z][a-z] && rm -f "$out"/pgcopy-sample.[a-z][a-z]
		seed_head pgcopy '\001' 20 "$top"/data/sample/*.ndjson
		;;
	safetensors)
		seed safetensors '' "$top"/tests/golden/*/model.safetensors
		;;
	config)
		# 0x00: config.json of a model directory; 0x01: minijson vs jansson.
		seed config '\000' "$top"/tests/golden/*/config.json
		seed config '\001' "$top"/tests/golden/*/config.json "$top"/tests/golden/*/tokenizer_config.json "$fx"/*/*.json
		;;
	tokenizer)
		# 0x3d: uncased, max_len 122.
		seed_lines tokenizer '\075' 40 "$SHARED/financial-phrasebank/Sentences_AllAgree.txt"
		seed_lines tokenizer '\075' 40 "$SHARED/twitter-financial-news-sentiment/sent_train.csv"
		seed_lines tokenizer '\075' 40 "$SHARED/vader-groundtruth/tweets_GroundTruth.txt"
		;;
	esac
}

# ---------------------------------------------------------------- run
failed=0
printf '%-12s %8s %10s %8s  %s\n' harness seconds execs corpus result
for name in "${names[@]}"; do
	bin=$out/fuzz_$name
	if [ ! -x "$bin" ] || [ "$bin" -ot "$here/fuzz_$name.c" ]; then
		printf '%-12s %8s %10s %8s  %s\n' "$name" - - - "not built (see $out/build.log)"
		failed=1
		continue
	fi
	mkdir -p "$out/corpus/$name" "$out/crashes/$name"
	dict=()
	[ -r "$here/$name.dict" ] && dict=(-dict="$here/$name.dict")
	# Regressions: every committed crash input and seed must run clean.
	old=()
	for f in "$here/crashes/$name"/* "$here/seeds/$name"/*; do [ -f "$f" ] && old+=("$f"); done
	if [ ${#old[@]} -gt 0 ] && ! "$bin" -runs=0 "${old[@]}" >"$out/$name.regress.log" 2>&1; then
		printf '%-12s %8s %10s %8s  %s\n' "$name" - - - "REGRESSION: a committed input fails (see $out/$name.regress.log)"
		failed=1
		continue
	fi
	if [ $regress -eq 1 ] || [ "$seconds" -eq 0 ]; then
		printf '%-12s %8s %10s %8s  %s\n' "$name" 0 "${#old[@]}" - "regressions pass"
		continue
	fi
	cp -n "$here/seeds/$name"/* "$out/corpus/$name/" 2>/dev/null
	[ -d "$SHARED" ] && seed_real "$name"
	t0=$SECONDS
	"$bin" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
		-artifact_prefix="$out/crashes/$name/" "${dict[@]}" "$out/corpus/$name" >"$out/$name.log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$name.log" | tail -1)
	ncorpus=$(find "$out/corpus/$name" -type f | wc -l)
	if [ $rc -eq 0 ]; then
		res=ok
	else
		res="CRASH: $(grep -m1 -E '^==[0-9]+==ERROR|runtime error|^fuzz_|deadly signal' "$out/$name.log" | cut -c1-100)"
		res="$res; input in $out/crashes/$name/ (log $out/$name.log)"
		failed=1
	fi
	printf '%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$name" $((SECONDS - t0)) "${execs:-0}" \
		"$([ $rc -eq 0 ] && echo ok || echo crash)" >>"$out/runs.tsv"
	printf '%-12s %8s %10s %8s  %s\n' "$name" $((SECONDS - t0)) "${execs:-?}" "$ncorpus" "$res"
done
[ -z "${build_failed:-}" ] || { echo "fuzz: some harnesses did not build: $out/build.log"; failed=1; }
exit $failed
