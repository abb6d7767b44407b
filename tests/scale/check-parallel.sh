#!/usr/bin/env bash
# check-parallel.sh — pipelines/parallel.sh (issue 8: one machine, all
# cores; GNU parallel across hosts) gives exactly what one process gives:
#   - the 51k real Reddit comments (reddit-ticker-comments-2021-01, through
#     herd-import) cut into many blocks: the merged agg records are byte
#     for byte those of herd-normalize | herd-score | herd-aggregate
#     --lateness all, with 1, 2 and 3 jobs (2 only in make SAN=1 test);
#   - a generated set (scripts/gen-scale.py, raw Reddit and StockTwits
#     records, run when python3 is there; the same seed gives the same
#     bytes, and the planted cascade shows in the aggregates): the same, and the same again
#     through GNU parallel's --sshlogin path (a stand-in ssh that runs the
#     command string here, as a remote shell would);
#   - --pass all --db: the SQLite file holds the same posts, scores and
#     aggregates as the single-process pipe loaded with herd-load;
#   - a bad line is reported with its shard, kept in --rejects, the rest
#     is merged (the clean run's aggregates) and the exit status is 1; a job
#     that is killed makes the run fail (exit 3) and say so; usage errors
#     exit 2.
# Skips (77) without GNU parallel, a program of the pipe or the data.
# Prints "RESULT N passed, N failed".
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-scale.sh"
export HERD_BIN=$bin
par=$top/pipelines/parallel.sh
comments=$SHARED/reddit-ticker-comments-2021-01/daily_data

command -v parallel >/dev/null || skip "GNU parallel not installed (scripts/install-deps.sh)"
# The sanitizer pass of make test runs the programs 5-10x slower: one job
# count there (the splits differ still: 1M blocks), all three otherwise.
jobs="1 2 3"
[ "${HERD_SAN:-}" != 1 ] || jobs=2
need_pipe
cd "$tmp"


# ---------------------------------------------------------------- real comments
if [ -d "$comments" ]; then
	"$bin/herd-import" -q --source reddit --date-from-filename --community-from-filename '^[0-9-]+_([a-z]+)_' \
		--map text=comment,entities=ticker "$comments"/*_comments.csv >real.ndjson
	n=$(wc -l <real.ndjson)
	check "herd-import makes the 51k posts ($n)" [ "$n" -gt 50000 ]
	one real.ndjson >real.one
	check "the single-process pipe writes aggregates" [ "$(grep -c '"kind":"agg"' real.one)" -gt 1000 ]
	for j in $jobs; do
		"$par" -q -j $j --block 1M real.ndjson >real.par.$j 2>err.$j
		rc=$?
		check "real comments, -j $j: exit 0 (got $rc: $(head -2 err.$j))" [ "$rc" -eq 0 ]
		check "real comments, -j $j, 1M blocks: the same aggregates, byte for byte" cmp -s real.one real.par.$j
	done
	# The scored posts, and what lands in SQLite.
	one real.ndjson --pass all | "$bin/herd-load" -q --db one.db
	"$par" -q --block 2M --pass all --db par.db real.ndjson
	rc=$?
	check "--pass all --db: exit 0 (got $rc)" [ "$rc" -eq 0 ]
	for t in posts scores post_entities aggregates; do
		check "--db: table $t as the single-process load ($(q one.db "SELECT count(*) FROM $t") rows)" \
			same_table one.db par.db "$t"
	done
else
	echo "skip: $comments absent: the real-comment checks"
fi

# ---------------------------------------------------------------- generated
if command -v python3 >/dev/null; then
	python3 "$top/scripts/gen-scale.py" -n 30000 --seed 8 --manifest cascades.tsv >gen.ndjson 2>gen.err
	check "gen-scale.py makes 30000 raw records ($(tail -1 gen.err))" [ "$(wc -l <gen.ndjson)" -eq 30000 ]
	check "gen-scale.py: the same seed gives the same bytes" \
		cmp -s gen.ndjson <(python3 "$top/scripts/gen-scale.py" -n 30000 --seed 8 2>/dev/null)
	check "gen-scale.py: another seed gives other posts" \
		[ "$(python3 "$top/scripts/gen-scale.py" -n 100 --seed 9 2>/dev/null | md5sum)" != "$(head -100 gen.ndjson | md5sum)" ]
	one gen.ndjson >gen.one
	# A planted cascade: its symbol's busiest hour lies inside its window
	# and holds several times its hourly mean.
	read -r sym from to _ <cascades.tsv
	peak=$(grep "\"entity\":\"$sym\",\"window\":\"1h\"" gen.one | sed 's/.*"start":"\([^"]*\)","posts":\([0-9]*\).*/\2 \1/' | sort -n | tail -1)
	mean=$(grep "\"entity\":\"$sym\",\"window\":\"1d\"" gen.one | sed 's/.*"posts":\([0-9]*\).*/\1/' | awk '{ s += $1 } END { print s / 7 / 24 }')
	in_window() { [[ ! "$1" < "$2" && "$1" < "$3" ]]; }
	check "the planted cascade of $sym ($from to $to): its busiest hour ${peak#* } is in it" in_window "${peak#* }" "$from" "$to"
	check "… with ${peak%% *} posts, over 5x its hourly mean ($mean)" awk -v p="${peak%% *}" -v m="$mean" 'BEGIN { exit !(p > 5 * m) }'
	"$par" -q -j 2 --block 3M gen.ndjson >gen.par 2>err.gen
	rc=$?
	check "generated: exit 0 (got $rc: $(head -2 err.gen))" [ "$rc" -eq 0 ]
	check "generated, 3M blocks: the same aggregates, byte for byte ($(wc -l <gen.one) records)" cmp -s gen.one gen.par
	gzip -1 <gen.ndjson >gen.ndjson.gz
	# GNU parallel ships the job to each host as a command string over
	# ssh; this ssh runs that string here, as the remote shell would.
	cat >fakessh <<'EOF'
#!/bin/bash
while [ $# -gt 0 ]; do case $1 in -l | -p | -o) shift 2 ;; -*) shift ;; *) break ;; esac; done
echo "$1" >>"${0%/*}/hosts.log"
shift
[ "${1:-}" != -- ] || shift
exec bash -c "$*"
EOF
	chmod +x fakessh
	PARALLEL_SSH=$tmp/fakessh "$par" -q -S 1/node1,1/node2 --block 3M gen.ndjson.gz >gen.ssh 2>err.ssh
	rc=$?
	check "--sshlogin, gzip input: exit 0 (got $rc: $(head -2 err.ssh))" [ "$rc" -eq 0 ]
	check "--sshlogin: both hosts ran jobs" [ "$(sort -u hosts.log 2>/dev/null | tr '\n' ' ')" = "node1 node2 " ]
	check "--sshlogin: the same aggregates, byte for byte" cmp -s gen.one gen.ssh
else
	echo "skip: python3 absent: the generated-set checks"
fi

# ---------------------------------------------------------------- bad input, failures
src=real.ndjson
[ -s "$src" ] || src=gen.ndjson
if [ -s "$src" ]; then
	half=$(($(wc -l <"$src") / 2))
	{ head -n $half "$src"; echo '{"kind":"post","id":"broken'; tail -n +$((half + 1)) "$src"; } >bad.ndjson
	"$par" -j 2 --block 1M --rejects rej bad.ndjson >bad.par 2>bad.err
	rc=$?
	check "a bad line: exit 1 (got $rc)" [ "$rc" -eq 1 ]
	check "… reported with its shard and line" grep -qE '^shard [0-9]+: herd-normalize: <stdin>:[0-9]+: invalid JSON' bad.err
	check "… kept in --rejects, verbatim" cmp -s <(cat rej/normalize.*.ndjson) <(echo '{"kind":"post","id":"broken')
	check "… and the rest merged: the clean aggregates" cmp -s bad.par "$([ "$src" = real.ndjson ] && echo real.one || echo gen.one)"

	# A job that dies: herd-score killed in the block that holds a marker.
	mkdir fakebin
	for p in "$bin"/herd-*; do ln -s "$p" fakebin/; done
	rm fakebin/herd-score
	cat >fakebin/herd-score <<EOF
#!/bin/bash
tee in.\$\$ | "$bin/herd-score" "\$@"
grep -q 'kill-me' in.\$\$ && kill -9 \$\$
rm -f in.\$\$
EOF
	chmod +x fakebin/herd-score
	{ head -n $half "$src"; sed -n "$((half + 1))p" "$src" | sed -E 's/"(text|body|title)":"/"\1":"kill-me /'; tail -n +$((half + 2)) "$src"; } >kill.ndjson
	HERD_BIN=$tmp/fakebin "$par" -q -j 2 --block 1M kill.ndjson >kill.par 2>kill.err
	rc=$?
	check "a killed job: exit 3 (got $rc)" [ "$rc" -eq 3 ]
	check "… and it says the output is incomplete" grep -q '^parallel: a job failed (exit 137' kill.err
fi

"$par" --block 0 x.ndjson >/dev/null 2>usage.err
check "a bad --block is a usage error (exit 2)" [ $? -eq 2 ]
check "… named in one line" grep -q "^parallel: --block: '0' is not a size" usage.err
"$par" >/dev/null 2>&1
check "no input is a usage error (exit 2)" [ $? -eq 2 ]
"$par" --help | head -2 >help.out
check "--help: Usage line first" grep -q '^Usage: pipelines/parallel.sh' help.out

result
