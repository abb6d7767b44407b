#!/usr/bin/env bash
# check-metrics.sh — `--prometheus FILE` (old spelling: --metrics) on every program (issue 7, item 5):
#   - every bin/herd-* writes a file, even when it fails (usage errors
#     included), that tests/metrics/promcheck.sh (a strict checker of the
#     textfile collector's format) accepts, whose exit-status gauge is the
#     program's exit status and whose samples all carry program="herd-X";
#   - the record counts of a real pipe (data/sample through normalize,
#     score, aggregate) are the lines each stage read and wrote;
#   - a failed run keeps the last success time of the run before it;
#   - program-specific figures: herd-fetch's requests made and budget left
#     per source after the run (a refused connection: one request a query,
#     no retries), its exit status 3 when the budget stops it; herd-import's
#     CSV rows in and records out;
#   - label values are escaped (a program named herd-a"b\c);
#   - every sample carries program="herd-X" and task="FILE without .prom",
#     so one program's runs at two places of a pipeline do not clash;
#   - the file is replaced whole: no temporary file is left, and a target
#     that cannot be written is reported without changing the exit status;
#   - node_exporter's textfile collector, when installed
#     (prometheus-node-exporter), reads every file without a scrape error.
# Prints "RESULT N passed, N failed".
. "$(dirname "$0")/../lib.sh"
promcheck=$top/tests/metrics/promcheck.sh
progs=()
for p in "$bin"/herd-*; do
	[ -x "$p" ] && progs+=("${p##*/}")
done
[ ${#progs[@]} -gt 0 ] || skip "no programs in $bin (run make)"
mkdir "$tmp/prom"
cd "$tmp" || exit 1

# gauge FILE NAME: the value of NAME's first sample.
gauge() { sed -n "s/^$2{[^}]*} //p" "$1" | head -1; }

# ---------------------------------------------------------------- every program
for prog in "${progs[@]}"; do
	f=prom/$prog-empty.prom
	timeout 60 "$bin/$prog" --prometheus "$f" </dev/null >/dev/null 2>&1
	rc=$?
	check "$prog: a metrics file is written (exit $rc)" [ -s "$f" ]
	[ -s "$f" ] || continue
	check "$prog: the format checker accepts it: $("$promcheck" "$f" | head -3)" "$promcheck" "$f"
	check "$prog: herd_run_exit_status is its exit status $rc (got $(gauge "$f" herd_run_exit_status))" \
		[ "$(gauge "$f" herd_run_exit_status)" = "$rc" ]
	check "$prog: every sample is labelled program=\"$prog\",task=\"$prog-empty\"" \
		[ "$(grep -v '^#' "$f" | grep -vc "^[a-z_]*{program=\"$prog\",task=\"$prog-empty\"[,}]")" -eq 0 ]
done

# ---------------------------------------------------------------- a real pipe
need_pipe
"$bin/herd-normalize" -q --prometheus prom/normalize.prom "$top"/data/sample/*.ndjson >posts.ndjson
"$bin/herd-score" -q --model vader --metrics prom/score.prom posts.ndjson >scored.ndjson
"$bin/herd-aggregate" -q --window 1h,1d --lateness all --metrics prom/aggregate.prom scored.ndjson >agg.ndjson
items=$(cat "$top"/data/sample/*.ndjson | grep -c .)
for s in normalize:"$items":posts.ndjson score:posts.ndjson:scored.ndjson aggregate:scored.ndjson:agg.ndjson; do
	IFS=: read -r name in out <<<"$s"
	[[ "$in" =~ ^[0-9]+$ ]] || in=$(grep -c . "$in")
	check "herd-$name: herd_records_in = $in (got $(gauge prom/$name.prom herd_records_in))" \
		[ "$(gauge prom/$name.prom herd_records_in)" = "$in" ]
	check "herd-$name: herd_records_out = lines written $(grep -c . "$out") (got $(gauge prom/$name.prom herd_records_out))" \
		[ "$(gauge prom/$name.prom herd_records_out)" = "$(grep -c . "$out")" ]
	check "herd-$name: exit status 0, nothing rejected" \
		[ "$(gauge prom/$name.prom herd_run_exit_status) $(gauge prom/$name.prom herd_records_rejected)" = "0 0" ]
	check "herd-$name: a last-success time, at or after the start" \
		[ "$(gauge prom/$name.prom herd_run_last_success_timestamp_seconds)" -ge "$(gauge prom/$name.prom herd_run_start_timestamp_seconds)" ]
done

# ---------------------------------------------------------------- a failed run
cp prom/aggregate.prom before.prom
sleep 1
{ head -3 scored.ndjson; echo '{"kind":"post", broken'; } | "$bin/herd-aggregate" -q --metrics prom/aggregate.prom >/dev/null 2>&1
check "a rejected line: exit status 1 in the file" [ "$(gauge prom/aggregate.prom herd_run_exit_status)" = 1 ]
check "… one line rejected of four read" \
	[ "$(gauge prom/aggregate.prom herd_records_rejected) $(gauge prom/aggregate.prom herd_records_in)" = "1 4" ]
check "… and the last success is the run before's" \
	[ "$(gauge prom/aggregate.prom herd_run_last_success_timestamp_seconds)" = "$(gauge before.prom herd_run_last_success_timestamp_seconds)" ]
check "… which is older than this run's start" \
	[ "$(gauge prom/aggregate.prom herd_run_last_success_timestamp_seconds)" -lt "$(gauge prom/aggregate.prom herd_run_start_timestamp_seconds)" ]

# ---------------------------------------------------------------- program-specific figures
# sample FILE NAME LABELS: the value of the sample NAME{...LABELS}.
sample() { sed -n "s/^$2{[^}]*$3} //p" "$1" | head -1; }
# A host that refuses connections: no request reaches it, none is counted.
"$bin/herd-fetch" yahoo GME --base-url http://127.0.0.1:9 --retries 0 --state refused.db --budget 5 \
	--metrics prom/fetch0.prom >/dev/null 2>&1
rc=$?
check "herd-fetch, a refused connection: exit 1 (got $rc), no request counted ($(sample prom/fetch0.prom herd_fetch_requests 'source="yahoo"'))" \
	[ "$rc $(sample prom/fetch0.prom herd_fetch_requests 'source="yahoo"')" = "1 0" ]
# A server that answers 404 to every request (Python's http.server on an
# empty folder): each query is one request sent.
command -v python3 >/dev/null || { echo "note: python3 absent: herd-fetch's budget figures are not tried"; result; }
mkdir -p www
python3 -m http.server 0 --bind 127.0.0.1 --directory www >www.out 2>&1 &
www=$!
trap 'kill "$www" 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do
	port=$(sed -n 's/.* port \([0-9]*\) .*/\1/p' www.out)
	[ -n "$port" ] && break
	sleep 0.05
done
refused=(--base-url "http://127.0.0.1:$port" --retries 0 --state fetch.db)
"$bin/herd-fetch" yahoo GME AMC "${refused[@]}" --budget 5 --metrics prom/fetch1.prom >/dev/null 2>&1
rc=$?
check "herd-fetch, two failed queries (404): exit 1 (got $rc)" [ "$rc" -eq 1 ]
check "… herd_fetch_requests{source=\"yahoo\"} 2 (got $(sample prom/fetch1.prom herd_fetch_requests 'source="yahoo"'))" \
	[ "$(sample prom/fetch1.prom herd_fetch_requests 'source="yahoo"')" = 2 ]
check "… herd_fetch_budget_left{source=\"yahoo\"} 3 of 5 (got $(sample prom/fetch1.prom herd_fetch_budget_left 'source="yahoo"'))" \
	[ "$(sample prom/fetch1.prom herd_fetch_budget_left 'source="yahoo"')" = 3 ]
check "… and the checker accepts the file" "$promcheck" prom/fetch1.prom
"$bin/herd-fetch" yahoo GME AMC TSLA BB "${refused[@]}" --budget 5 --metrics prom/fetch2.prom >/dev/null 2>&1
check "herd-fetch, the next run spends the 3 left: requests 3, budget left 0 (got $(sample prom/fetch2.prom herd_fetch_requests 'source="yahoo"'), $(sample prom/fetch2.prom herd_fetch_budget_left 'source="yahoo"'))" \
	[ "$(sample prom/fetch2.prom herd_fetch_requests 'source="yahoo"') $(sample prom/fetch2.prom herd_fetch_budget_left 'source="yahoo"')" = "3 0" ]
"$bin/herd-fetch" yahoo GME "${refused[@]}" --budget 4 --metrics prom/fetch3.prom >/dev/null 2>&1
rc=$?
check "herd-fetch stopped by a spent budget: exit 3 (got $rc), and 3 in the file" \
	[ "$rc $(gauge prom/fetch3.prom herd_run_exit_status)" = "3 3" ]
check "… no request, and budget left 0, not negative, under a lowered --budget (got $(sample prom/fetch3.prom herd_fetch_requests 'source="yahoo"'), $(sample prom/fetch3.prom herd_fetch_budget_left 'source="yahoo"'))" \
	[ "$(sample prom/fetch3.prom herd_fetch_requests 'source="yahoo"') $(sample prom/fetch3.prom herd_fetch_budget_left 'source="yahoo"')" = "0 0" ]
printf 'text,date\nup,2021-01-27\none,too,many\nflat,2021-01-28\n' >rows.csv
"$bin/herd-import" --map text=text,created_at=date --metrics prom/import.prom rows.csv >imported.ndjson 2>/dev/null
check "herd-import: herd_records_in = 3 CSV rows read (got $(gauge prom/import.prom herd_records_in))" \
	[ "$(gauge prom/import.prom herd_records_in)" = 3 ]
check "… herd_records_out = $(grep -c . imported.ndjson) records written (got $(gauge prom/import.prom herd_records_out))" \
	[ "$(gauge prom/import.prom herd_records_out)" = "$(grep -c . imported.ndjson)" ]
check "… herd_records_rejected 1, exit status 1" \
	[ "$(gauge prom/import.prom herd_records_rejected) $(gauge prom/import.prom herd_run_exit_status)" = "1 1" ]

# ---------------------------------------------------------------- escaping, atomicity
cp "$bin/herd-aggregate" "$tmp/herd-a\"b\\c"
"$tmp/herd-a\"b\\c" --metrics prom/odd.prom </dev/null
check "a program name with a quote and a backslash is escaped in the label" \
	grep -qF 'herd_run_exit_status{program="herd-a\"b\\c",task="odd"} 0' prom/odd.prom
check "… and the checker accepts it" "$promcheck" prom/odd.prom
check "no temporary file is left beside the metrics files" [ "$(ls prom | grep -vc '\.prom$')" -eq 0 ]
mkdir prom/adir.prom
"$bin/herd-aggregate" --metrics prom/adir.prom </dev/null >/dev/null 2>err
rc=$?
check "a target that cannot be written: the run's exit status stays 0 (got $rc)" [ "$rc" -eq 0 ]
check "… the failure is reported: $(cat err)" grep -q '^herd-aggregate: --prometheus: cannot write prom/adir.prom: ' err
check "… and no temporary file is left" [ "$(ls prom | grep -c tmp)" -eq 0 ]
rmdir prom/adir.prom

# ---------------------------------------------------------------- node_exporter
ne=$(command -v prometheus-node-exporter || command -v node_exporter || true)
if [ -n "$ne" ] && command -v curl >/dev/null; then
	for try in 1 2 3 4 5; do
		port=$((20000 + RANDOM % 20000))
		"$ne" --collector.disable-defaults --collector.textfile --collector.textfile.directory="$tmp/prom" \
			--web.listen-address="127.0.0.1:$port" >ne.log 2>&1 &
		nepid=$!
		for i in $(seq 50); do
			curl -sf "http://127.0.0.1:$port/metrics" >scrape.txt 2>/dev/null && break
			kill -0 $nepid 2>/dev/null || break
			sleep 0.1
		done
		[ -s scrape.txt ] && break
		kill $nepid 2>/dev/null
		wait $nepid 2>/dev/null
	done
	check "node_exporter serves the textfile metrics ($(tail -1 ne.log))" [ -s scrape.txt ]
	check "… with no scrape error (node_textfile_scrape_error 0)" grep -qx 'node_textfile_scrape_error 0' scrape.txt
	check "… and herd's samples among them" grep -qx "herd_records_in{program=\"herd-normalize\",task=\"normalize\"} $items" scrape.txt
	check "… and every file's series, none lost to a clash ($(grep -c '^herd_run_exit_status{' scrape.txt))" \
		[ "$(grep -c '^herd_run_exit_status{' scrape.txt)" -eq "$(ls prom/*.prom | wc -l)" ]
	check "… from every file (one mtime each: $(grep -c '^node_textfile_mtime_seconds{' scrape.txt))" \
		[ "$(grep -c '^node_textfile_mtime_seconds{' scrape.txt)" -eq "$(ls prom/*.prom | wc -l)" ]
	kill $nepid 2>/dev/null
	wait $nepid 2>/dev/null
else
	echo "note: prometheus-node-exporter not installed: the textfile collector itself is not tried"
fi

result
