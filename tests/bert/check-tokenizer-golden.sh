#!/bin/sh
# check-tokenizer-golden.sh — herd's BERT tokenizer against Hugging Face's
# token ids: the hand-written edge cases (tests/golden/tokens-edge.txt,
# texts in tests/golden/tokenizer-edge.ndjson) and real sentences from
# ../shared/data (tests/golden/tokens-real.txt.gz), uncased and cased,
# untruncated and at max_len 128. Every id must match.
#
# Needs the bert-base-uncased vocabulary the golden files were made with
# ($HERD_VOCAB, models/bert-base-uncased/vocab.txt from
# scripts/fetch-vocab.sh, or models/minilm-fin3/vocab.txt): skips (77) without
# it. The real sentences are skipped when $SHARED is absent. Golden files
# come from scripts/make-token-golden.py.
set -eu
top=${HERD_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${HERD_BUILD:-$top/build}
shared=${SHARED:-$(dirname "$top")/shared/data}
bin=$build/tests/test_tokenizer
golden=$top/tests/golden

[ -x "$bin" ] || { echo "FAIL: $bin not built (make unit-test)"; exit 1; }
want=$(sed -n 's/^# vocab sha256 //p' "$golden/tokens-edge.txt")
vocab=
for v in ${HERD_VOCAB:-} "$top/models/bert-base-uncased/vocab.txt" "$top/models/minilm-fin3/vocab.txt"; do
	if [ -f "$v" ] && [ "$(sha256sum "$v" | cut -d' ' -f1)" = "$want" ]; then
		vocab=$v
		break
	fi
done
if [ -z "$vocab" ]; then
	echo "skip: no vocab.txt with SHA-256 $want (run scripts/fetch-vocab.sh)"
	exit 77
fi

passed=0 failed=0 skipped=0
run() { # golden-file [data]
	out=$("$bin" golden "$vocab" "$@" 2>&1) && rc=0 || rc=$?
	echo "$out" | grep -v '^RESULT'
	if [ "$rc" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
}
export HERD_TOP="$top"
run "$golden/tokens-edge.txt"
if [ -d "$shared" ]; then
	run "$golden/tokens-real.txt.gz" "$shared"
else
	echo "skip: $shared absent: real sentences not checked"
	skipped=1
fi
echo "RESULT $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
