# tests/lib.sh — sourced by the script tests (tests/*/check-*.sh): where
# things are, a scratch folder, one-line checks that are counted and end in
# the "RESULT N passed, N failed" line tests/run.sh adds up, and skipping
# (exit 77) with a reason when what a test needs is absent.
#
#   . "$(dirname "$0")/../lib.sh"
#   check "what must hold" [ "$a" -eq "$b" ]
#   need_pipe                     # skip unless normalize|score vader|aggregate|load can run
#   result                        # prints RESULT, exits 0 or 1
set -u
export LC_ALL=C
top=${HERD_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
bin=${HERD_BIN:-$top/bin}
SHARED=${SHARED:-$(cd "$top/.." && pwd)/shared/data}
passed=0 failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

skip() { echo "skip: $*"; exit 77; }

# check DESCRIPTION COMMAND...: count a pass when the command succeeds.
check() {
	local what=$1
	shift
	if "$@"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL: $what"
	fi
}

result() {
	echo "RESULT $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
}

# submake ARGS...: make run by a test as a make of its own, not a part of
# the `make -j2 test` that runs the tests: that make's jobserver is not
# passed down to a test, and a sub-make told about it says "jobserver
# unavailable" on stderr, into the output a test compares.
submake() { env -u MAKEFLAGS -u MFLAGS make "$@"; }

# q DB SQL: one query, plain rows.
q() { sqlite3 -batch -noheader "$1" "$2"; }

# Skip unless the whole pipe can run here: the four programs built, sqlite3,
# herd-normalize's entity dictionary, herd-score's VADER lexicon.
need_pipe() {
	local p
	for p in normalize score aggregate load; do
		[ -x "$bin/herd-$p" ] || skip "$bin/herd-$p not built yet"
	done
	command -v sqlite3 >/dev/null || skip "sqlite3 not installed"
	"$bin/herd-normalize" </dev/null 2>"$tmp/need.err" ||
		skip "herd-normalize cannot run: $(head -1 "$tmp/need.err")"
	echo '{"kind":"post","id":"t:1","source":"t","type":"comment","created_at":"2021-01-01T00:00:00Z","text":"ok"}' |
		"$bin/herd-score" --model vader >/dev/null 2>"$tmp/need.err" ||
		skip "herd-score --model vader cannot run (VADER lexicon? scripts/fetch-vader.sh): $(head -1 "$tmp/need.err")"
}
