#!/usr/bin/env bash
# check-cron-alerts.sh — the cron pipeline never drops an alert (issue
# 12.5), proved through pipelines/hourly.sh itself, run as cron runs it
# (raw files appearing in HERD_RAW_DIR between runs: data/sample cut in
# four by fetch time), with a webhook receiver on loopback
# (tests/alert/receiver.py):
#   1. a secret file that is missing: every run exits 2, says why, and
#      consumes nothing (no ledger line, no detector state, no record);
#   2. the receiver down for several runs: each run exits 1, consumes its
#      input, keeps every event queued in the state and says so (and
#      nothing it does not do); a run with nothing new tries them again;
#   3. kill -9 of the run while a delivery waits for the receiver's answer;
#   4. the receiver back: the next run delivers everything queued, and the
#      receiver has each event exactly once (the request that was cut off
#      is sent again with the same Idempotency-Key, which the receiver
#      marks as a duplicate); the alert records are loaded; a further run
#      sends nothing.
# Also: pipelines/herd.env.example sets no channel. Skips (77) without the
# programs, python3 or sqlite3. Prints "RESULT N passed, N failed".
. "$(dirname "$0")/../lib.sh"
for p in detect load alert; do
	[ -x "$bin/herd-$p" ] || skip "$bin/herd-$p not built yet"
done
need_pipe
command -v python3 >/dev/null || skip "python3 not installed (the webhook receiver is a test helper in Python)"
export HERD_BIN=$bin
hourly=$top/pipelines/hourly.sh
cd "$tmp" || exit 1

# ---------------------------------------------------------------- the example ships with no channel
check "pipelines/herd.env.example sets no alert channel" \
	[ -z "$(env -i bash -c 'set -a; . "$1"; env' _ "$top/pipelines/herd.env.example" |
		grep -E '^HERD_(SLACK_WEBHOOK|WEBHOOK_URL|SMTP_URL)(_FILE)?=')" ]

# ---------------------------------------------------------------- four batches of raw files
home=$tmp/home
raw=$home/raw
mkdir -p cut
batch=0
for cut in 2021-01-20 2021-01-24 2021-01-27 9999-12-31; do
	batch=$((batch + 1))
	for f in "$top"/data/sample/*.ndjson; do
		awk -v lo="${prev:-0000}" -v hi="$cut" '
			match($0, /"fetched_at":"[^"]*"/) { t = substr($0, RSTART + 14, RLENGTH - 15) }
			t >= lo && t < hi' "$f" >"cut/b$batch-${f##*/}"
	done
	prev=$cut
done
items=$(cat "$top"/data/sample/*.ndjson | grep -c .)
check "the sample is cut in four batches ($(cat cut/b1-* | wc -l) $(cat cut/b2-* | wc -l) $(cat cut/b3-* | wc -l) $(cat cut/b4-* | wc -l))" \
	[ "$(cat cut/b* | wc -l)" -eq "$items" ]
# drop N: batch N's raw files appear in the raw folder, as collect.sh leaves them.
drop() {
	mkdir -p "$raw/2021/01/0$1"
	for f in cut/b"$1"-*.ndjson; do
		n=${f##*/b"$1"-}
		gzip -c "$f" >"$raw/2021/01/0$1/${n%.ndjson}-000000.ndjson.gz"
	done
}

# ---------------------------------------------------------------- the settings
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p secrets
cat >herd.env <<EOF
HERD_HOME=$home
HERD_WINDOWS=1h,1d
HERD_DETECT_WINDOW=1d
HERD_ALERT_ARGS="--min-severity info --rate off --retries 1 --retry-wait 0.05 --timeout 10"
HERD_WEBHOOK_URL_FILE=$tmp/secrets/webhook-url
EOF
run() { # LOG: one hourly run; its exit status in $rc
	"$hourly" --env herd.env >"$1.out" 2>"$1"
	rc=$?
}
st() { q "$home/state.db" "$1"; }
db() { q "$home/herd.db" "$1"; }
events() { db "SELECT count(*) FROM events WHERE type != 'alert'"; }

# ---------------------------------------------------------------- 1. a missing secret
drop 1
run log1
check "missing secret file: exit 2 (got $rc)" [ $rc -eq 2 ]
check "… says which file and why" grep -q "secrets/webhook-url: cannot read HERD_WEBHOOK_URL_FILE: No such file or directory" log1
check "… and that nothing was consumed" grep -q 'nothing was collected or processed' log1
run log1b
check "… and again on the next run (exit $rc)" [ $rc -eq 2 ]
check "… nothing consumed: no ledger line, no detector state, no records file" \
	[ ! -s "$home/hourly.ledger" -a ! -e "$home/detect-1d.db" -a ! -e "$home/herd.db" ]
check "… the raw files wait where they are" [ "$(ls "$raw/2021/01/01" | wc -l)" -eq 4 ]

# ---------------------------------------------------------------- 2. the receiver down
echo "http://127.0.0.1:$port/hook" >secrets/webhook-url
run log2
check "receiver down: exit 1 (got $rc): $(grep -v ': info' log2 | tail -1)" [ $rc -eq 1 ]
n1=$(events)
check "… the batch is consumed and its events are loaded ($n1)" [ -s "$home/hourly.ledger" -a "$n1" -gt 0 ]
check "… every event is queued in the state ($(st 'SELECT count(*) FROM alert_pending'))" \
	[ "$(st 'SELECT count(*) FROM alert_pending')" -eq "$n1" ]
check "… the log says they stay queued and the next run sends them" \
	grep -q "^hourly: alert: $n1 events stay queued in .*state.db (a channel did not take them" log2
check "… and never the old promise" bash -c '! grep -q "they are retried by the next run" "$1"' _ log2
drop 2
run log3
n2=$(events)
check "still down, a second batch: exit 1, its events queued too ($n2 in all)" \
	[ $rc -eq 1 -a "$n2" -gt "$n1" -a "$(st 'SELECT count(*) FROM alert_pending')" -eq "$n2" ]
tries=$(st 'SELECT sum(attempts) FROM alert_deliveries')
run log4
check "still down, nothing new: exit 1, the queue tried again ($tries attempts before, $(st 'SELECT sum(attempts) FROM alert_deliveries') after)" \
	[ $rc -eq 1 -a "$(st 'SELECT sum(attempts) FROM alert_deliveries')" -gt "$tries" ]
check "… and says there was nothing new" grep -q '^hourly: collect: no new raw files' log4
check "… an unreachable channel is not tried for every event: 2 attempts a run" \
	[ "$(st 'SELECT sum(attempts) FROM alert_deliveries')" -eq $((tries + 2)) ]

# ---------------------------------------------------------------- 3. kill -9 during a delivery
mkdir r
python3 "$top/tests/alert/receiver.py" r --http-port "$port" --delay 30 >r/out 2>&1 &
rpid=$!
trap 'kill $rpid 2>/dev/null; rm -rf "$tmp"' EXIT
for i in $(seq 50); do [ -f r/ports ] && break; sleep 0.1; done
drop 3
set -m # the run in a process group of its own, so that one kill takes it all
"$hourly" --env herd.env >log5.out 2>log5 &
runpid=$!
set +m
for i in $(seq 300); do [ -s r/log ] && break; sleep 0.1; done
check "the run reached the receiver (a delivery is waiting for its answer)" [ -s r/log ]
kill -9 -- -"$runpid" 2>/dev/null
wait "$runpid" 2>/dev/null
check "… and was killed (kill -9) before the answer came" [ "$(grep -c . r/log)" -eq 1 ]
n3=$(events)
check "… after its events were loaded ($n3) and queued" \
	[ "$n3" -gt "$n2" -a "$(st 'SELECT count(*) FROM alert_pending')" -eq "$n3" ]
kill $rpid 2>/dev/null
wait $rpid 2>/dev/null

# ---------------------------------------------------------------- 4. the receiver back
rm -f r/ports
python3 "$top/tests/alert/receiver.py" r --http-port "$port" >r/out2 2>&1 &
rpid=$!
for i in $(seq 50); do [ -f r/ports ] && break; sleep 0.1; done
drop 4
run log6
n=$(events)
check "receiver back, last batch: exit 0 (got $rc): $(grep -v ': info' log6 | tail -2)" [ $rc -eq 0 ]
check "… nothing left queued, nothing left in the spool" \
	[ "$(st 'SELECT count(*) FROM alert_pending')" -eq 0 -a -z "$(ls "$home/alert-spool" 2>/dev/null)" ]
check "… every event delivered ($(st "SELECT count(*) FROM alert_events WHERE status = 'delivered'") of $n)" \
	[ "$(st "SELECT count(*) FROM alert_events WHERE status = 'delivered'")" -eq "$n" -a \
	"$(st 'SELECT count(*) FROM alert_events')" -eq "$n" ]
db "SELECT key FROM events WHERE type != 'alert' ORDER BY 1" >want
jq -r 'select(.status == 200 and .duplicate == false) | .headers["idempotency-key"]' r/log | sort >got
check "the receiver took every event exactly once ($(grep -c . got) of $(grep -c . want))" cmp -s want got
dups=$(jq -r 'select(.duplicate) | .headers["idempotency-key"]' r/log)
check "… the request cut off by the kill came again with its key, marked duplicate (got: $dups)" \
	[ "$(grep -c . <<<"$dups")" -eq 1 ] && grep -qxF "$dups" got
check "the alert records are loaded, one per event" [ "$(db "SELECT count(*) FROM events WHERE type = 'alert'")" -eq "$n" ]
before=$(grep -c . r/log)
run log7
check "a further run: exit 0, nothing sent again" [ $rc -eq 0 -a "$(grep -c . r/log)" -eq "$before" ]
# The batches' raw files have the same names on each day (as collect.sh's
# SOURCE-HHMMSS do): each is a batch of its own all the same.
"$top/pipelines/replay.sh" -q --detect off --db one.db "$top"/data/sample/*.ndjson >/dev/null 2>&1
check "the aggregates equal one pass over all the data (same-named raw files of four days)" \
	cmp -s <(q one.db "SELECT * FROM aggregates ORDER BY 1, 2, 3") <(db "SELECT * FROM aggregates ORDER BY 1, 2, 3")
check "no log line claims a retry the pipeline does not make" \
	bash -c '! grep -h "retried by the next run" "$@"' _ log1 log1b log2 log3 log4 log5 log6 log7
result
