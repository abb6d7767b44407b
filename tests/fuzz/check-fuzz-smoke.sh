#!/usr/bin/env bash
# check-fuzz-smoke.sh — the fuzz harnesses in `make test` (issue 8: "CI
# runs each for a short time; every crash becomes a regression test"):
#   - every harness (tests/fuzz/fuzz_*.c) builds with clang's libFuzzer,
#     AddressSanitizer and UBSan (tests/fuzz/fuzz.mk, into build/fuzz/);
#   - every committed crash input (tests/fuzz/crashes/NAME/, the bugs
#     fuzzing found, fixed since) and every committed seed runs clean;
#   - each harness fuzzes for $FUZZ_SMOKE_SECONDS (default 10) from its
#     committed seeds without a crash or a sanitizer report (not in the
#     SAN=1 pass of make test, which would only repeat it).
# `make fuzz` (tests/fuzz/run.sh) is the long run with the real fixtures.
# Skips (77) when clang or its libFuzzer runtime is missing.
# Prints "RESULT N passed, N failed".
. "$(dirname "$0")/../lib.sh"
here=$top/tests/fuzz
cc=${FUZZ_CC:-clang}
secs=${FUZZ_SMOKE_SECONDS:-10}

command -v "$cc" >/dev/null || skip "$cc not installed (apt-get install clang)"
echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { return 0; }' >"$tmp/t.c"
"$cc" -fsanitize=fuzzer,address,undefined "$tmp/t.c" -o "$tmp/t" 2>"$tmp/cc.err" ||
	skip "$cc cannot link libFuzzer programs (libclang-rt / compiler-rt missing): $(head -1 "$tmp/cc.err")"

# MAKEFLAGS= : under `make SAN=1 test` the parent passes SAN=1 down, which
# would override fuzz.mk's own SAN (its sanitizer flags) with "1"
MAKEFLAGS= make -s -C "$top" -f tests/fuzz/fuzz.mk -j2 >"$tmp/build.log" 2>&1
rc=$?
check "the harnesses build (exit $rc: $(grep -m1 -E 'error' "$tmp/build.log"))" [ $rc -eq 0 ]

for src in "$here"/fuzz_*.c; do
	name=${src##*/fuzz_}
	name=${name%.c}
	fz=$top/build/fuzz/fuzz_$name
	[ -x "$fz" ] || { check "$name is built" false; continue; }
	old=()
	for f in "$here/crashes/$name"/* "$here/seeds/$name"/*; do [ -f "$f" ] && old+=("$f"); done
	check "$name has committed seeds" [ ${#old[@]} -gt 0 ]
	"$fz" -runs=0 "${old[@]}" >"$tmp/$name.regress" 2>&1
	rc=$?
	check "$name: the ${#old[@]} committed crash inputs and seeds run clean (exit $rc: $(grep -m1 -E 'ERROR|runtime error|^fuzz_' "$tmp/$name.regress"))" [ $rc -eq 0 ]
	[ "${HERD_SAN:-}" != 1 ] || continue
	mkdir -p "$tmp/corpus/$name" "$tmp/crash/$name"
	cp "$here/seeds/$name"/* "$tmp/corpus/$name/"
	dict=()
	[ -r "$here/$name.dict" ] && dict=(-dict="$here/$name.dict")
	"$fz" -max_total_time="$secs" -timeout=20 -rss_limit_mb=2048 -max_len=16384 "${dict[@]}" \
		-artifact_prefix="$tmp/crash/$name/" "$tmp/corpus/$name" >"$tmp/$name.log" 2>&1
	rc=$?
	if [ $rc -ne 0 ]; then
		grep -E -A30 '^==[0-9]+==ERROR|runtime error|^fuzz_|deadly signal' "$tmp/$name.log" | head -40
		for c in "$tmp/crash/$name"/*; do [ -f "$c" ] && { echo "crash input (base64):"; base64 -w0 "$c" | head -c 2000; echo; }; done
	fi
	check "$name: ${secs}s of fuzzing without a crash (exit $rc, $(sed -n 's/^Done \([0-9]*\) runs.*/\1 runs/p' "$tmp/$name.log"))" [ $rc -eq 0 ]
done

result
