#!/usr/bin/env bash
# check-closed-stdout.sh — a reader that goes away (issue 8, "Faults":
# `| head -1`): each filter stops at once instead of reading on, and the
# line that got through is a whole record.
#   - with SIGPIPE as shells leave it, herd-normalize, herd-score,
#     herd-aggregate --pass all and herd-import fed an endless input end
#     within seconds, killed by SIGPIPE (status 141), silent, as cat is;
#   - with SIGPIPE ignored (as under some supervisors and language
#     runtimes), each ends within seconds with exit 1 and one message,
#     "herd-X: write error: Broken pipe";
#   - pipelines/parallel.sh | head -1 ends too, and says the merge stopped.
# Prints "RESULT N passed, N failed".
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-faults.sh"
need_pipe
cd "$tmp"
fault_posts 2000 >posts.ndjson
printf 'id,when,body\n' >rows.csv
awk 'BEGIN { for (i = 1; i <= 2000; i++) printf "%d,2021-01-27T14:00:00Z,GME up %d\n", i, i }' >>rows.csv
LIMIT=20 # seconds: far more than stopping needs, far less than forever

# endless FILE: FILE's lines again and again (a CSV's header once), until
# the reader goes away.
endless() {
	if [ "${1##*.}" = csv ]; then
		head -1 "$1"
		while tail -n +2 "$1"; do :; done
	else
		while cat "$1"; do :; done
	fi
}
# closed IGNORE-SIGPIPE FILE PROGRAM ARGS...: endless FILE | PROGRAM | head -1,
# the program under timeout; sets status (the program's) and first.out.
closed() {
	local ign=$1 in=$2
	shift 2
	local run=("$@")
	[ "$ign" = 0 ] || run=(bash -c 'trap "" PIPE; exec "$@"' _ "$@")
	endless "$in" 2>/dev/null | timeout -s KILL $LIMIT "${run[@]}" 2>prog.err | head -1 >first.out
	status=${PIPESTATUS[1]}
}

for ign in 0 1; do
	for p in normalize score aggregate import; do
		args=() in=posts.ndjson
		[ $p = score ] && args=(--model vader)
		[ $p = aggregate ] && args=(--pass all)
		[ $p = import ] && args=(--map id=id,created_at=when,text=body) in=rows.csv
		rm -f status first.out prog.err
		closed $ign $in "$bin/herd-$p" "${args[@]}"
		what="herd-$p | head -1$([ $ign = 1 ] && echo ', SIGPIPE ignored')"
		check "$what: ends within ${LIMIT}s (status $status)" [ "$status" -ne 137 ]
		check "$what: the line that got through is a whole record" grep -q '^{"kind":".*}$' first.out
		if [ $ign = 0 ]; then
			check "$what: killed by SIGPIPE (status $status)" [ "$status" = 141 ]
			check "$what: silent ($(head -1 prog.err))" [ ! -s prog.err ]
		else
			check "$what: exit 1 (status $status)" [ "$status" = 1 ]
			check "$what: one message: write error: Broken pipe (got: $(head -2 prog.err | tr '\n' '|'))" \
				[ "$(cat prog.err)" = "herd-$p: write error: Broken pipe" ]
		fi
	done
done

if command -v parallel >/dev/null; then
	for i in 1 2 3 4 5 6 7 8; do cat posts.ndjson; done >big.ndjson
	timeout -s KILL $LIMIT "$top/pipelines/parallel.sh" -q --pass all --block 1M big.ndjson 2>par.err | head -1 >par.out
	rc=${PIPESTATUS[0]}
	check "parallel.sh | head -1: ends (status $rc)" [ "$rc" -ne 137 ]
	check "parallel.sh | head -1: a whole record got through" grep -q '^{"kind":".*}$' par.out
fi

result
