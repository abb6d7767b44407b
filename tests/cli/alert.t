herd-alert: events to a Slack-compatible webhook, a JSON webhook and SMTP,
exactly once per event key (issue 7, item 3). The receivers are
tests/alert/receiver.py on loopback: every request and mail they get is a
line of r/log.

Help, version and usage errors.

  $ herd-alert --help | head -2
  Usage: herd-alert [OPTIONS] [FILE...]
  Send event records to Slack, a JSON webhook and e-mail, once per event key.
  $ herd-alert --version
  herd-alert [0-9]+\.[0-9]+\.[0-9]+ (re)
  $ unset HERD_SLACK_WEBHOOK HERD_WEBHOOK_URL HERD_SMTP_URL HERD_SMTP_FROM HERD_SMTP_TO HERD_SMTP_USER HERD_SMTP_PASSWORD HERD_SMTP_TLS
  $ herd-alert < /dev/null
  herd-alert: no channel: set HERD_SLACK_WEBHOOK, HERD_WEBHOOK_URL or HERD_SMTP_URL (or use --dry-run)
  Try 'herd-alert --help' for more information.
  [2]
  $ herd-alert --channels slack < /dev/null
  herd-alert: --channels slack: HERD_SLACK_WEBHOOK is not set
  Try 'herd-alert --help' for more information.
  [2]
  $ herd-alert --to slack < /dev/null
  herd-alert: --channels slack: HERD_SLACK_WEBHOOK is not set
  Try 'herd-alert --help' for more information.
  [2]
  $ herd-alert --channels pager --dry-run < /dev/null
  herd-alert: --channels: 'pager' is not slack, webhook or email
  Try 'herd-alert --help' for more information.
  [2]
  $ herd-alert --min-severity high --dry-run < /dev/null
  herd-alert: --min-severity: 'high' is not info, warn or critical
  Try 'herd-alert --help' for more information.
  [2]
  $ herd-alert --rate-limit 5 --dry-run < /dev/null
  herd-alert: --rate-limit: '5' is not N/DURATION (like 5/1d) or off
  Try 'herd-alert --help' for more information.
  [2]
  $ herd-alert --rate 5 --dry-run < /dev/null
  herd-alert: --rate-limit: '5' is not N/DURATION (like 5/1d) or off
  Try 'herd-alert --help' for more information.
  [2]
  $ herd-alert --timeout 20x --dry-run < /dev/null
  herd-alert: --timeout: '20x' is not a duration (like 500ms, 20s, 1.5m, 1h)
  Try 'herd-alert --help' for more information.
  [2]
  $ herd-alert --retry-wait 2h --dry-run < /dev/null
  herd-alert: --retry-wait: 2h is out of range [0.001s, 600s]
  Try 'herd-alert --help' for more information.
  [2]
  $ HERD_SMTP_URL=smtp://127.0.0.1:1 HERD_SMTP_FROM=a@b herd-alert < /dev/null
  herd-alert: HERD_SMTP_URL is set but HERD_SMTP_TO is not
  Try 'herd-alert --help' for more information.
  [2]

Three events of the January 2021 kind: a critical GME cascade, AMC heat,
and an info-level fade that the default --min-severity (warn) filters.

  $ cat > ev.ndjson <<'EOF'
  > {"kind":"event","type":"cascade","entity":"GME","at":"2021-01-22T00:00:00Z","key":"cascade:GME:2021-01-22T00:00:00Z:start","score":7.4,"severity":"critical","evidence":{"phase":"start","rate":3120,"baseline":210.5,"z":7.4,"leader":"reddit/wallstreetbets"}}
  > {"kind":"event","type":"heat","entity":"AMC","at":"2021-01-22T00:00:00Z","key":"heat:AMC:2021-01-22T00:00:00Z","score":4.1,"severity":"warn","evidence":{"heat":4.1,"streams":2}}
  > {"kind":"event","type":"cascade","entity":"BB","at":"2021-01-22T00:00:00Z","key":"cascade:BB:2021-01-22T00:00:00Z:fade","score":0.3,"severity":"info","evidence":{"phase":"fade"}}
  > EOF

--dry-run sends nothing and remembers nothing, even with no channel set:
it shows which events would go, to the channels that are set (none here,
and it says so), and without a state file it writes none.

  $ herd-alert --dry-run --state dry.db ev.ndjson | jq -c '[.key, .evidence.channels, .evidence.dry_run, .evidence.text]'
  herd-alert: dry run: no channel is set (HERD_SLACK_WEBHOOK, HERD_WEBHOOK_URL, HERD_SMTP_URL): the events that would go are shown, with no channel
  herd-alert: dry run: 2 delivered, 0 already sent, 0 held back by --rate-limit, 1 filtered, 0 pending, 0 skipped; would send to no channel
  ["alert:cascade:GME:2021-01-22T00:00:00Z:start",[],true,"[critical] GME cascade at 2021-01-22T00:00:00Z: score 7.40 — start · led by reddit/wallstreetbets · 3120 posts vs 210.5 usual"]
  ["alert:heat:AMC:2021-01-22T00:00:00Z",[],true,"[warn] AMC heat at 2021-01-22T00:00:00Z: score 4.10 — heat 4.10 over 2 streams"]
  $ ls dry.db*
  ls: cannot access 'dry.db*': No such file or directory
  [2]
  $ HERD_WEBHOOK_URL=http://127.0.0.1:9/hook herd-alert -q --dry-run --state dry.db ev.ndjson | jq -c .evidence.channels
  ["webhook"]
  ["webhook"]
  $ HERD_WEBHOOK_URL=http://127.0.0.1:9/hook herd-alert -q --state dry.db < /dev/null
  $ herd-alert --dry-run --state dry.db ev.ndjson 2>&1 >/dev/null | tail -1
  herd-alert: dry run: 2 delivered, 0 already sent, 0 held back by --rate-limit, 1 filtered, 0 pending, 0 skipped; would send to no channel
  $ sqlite3 dry.db 'SELECT count(*) FROM alert_events' 'SELECT count(*) FROM alert_deliveries'
  0
  0

The receivers. The webhook answers its first two requests with 503 and
the SMTP sink its first message with 451: both are retried (the waits are
recorded, not slept: HERD_FAKE_SLEEP). The Slack URL carries a token
that must never be printed.

  $ command -v python3 > /dev/null || exit 80
  $ mkdir r && { python3 "$TESTDIR/../alert/receiver.py" r --fail /hook:503:2 --smtp-fail 451:1 > r/out 2>&1 & echo $! > r/pid; }
  $ trap 'kill $(cat r/pid) 2>/dev/null; true' EXIT
  $ for i in $(seq 50); do [ -f r/ports ] && break; sleep 0.1; done; read hp sp < r/ports
  $ export HERD_SLACK_WEBHOOK=http://127.0.0.1:$hp/slack/T0001/SeCrEtToKeN HERD_WEBHOOK_URL=http://127.0.0.1:$hp/hook
  $ export HERD_SMTP_URL=smtp://127.0.0.1:$sp HERD_SMTP_FROM=herd@example.org HERD_SMTP_TO='ops@example.org, desk@example.org'
  $ export HERD_FAKE_SLEEP=$PWD/sleeps
  $ herd-alert -q --state s.db --metrics m.prom ev.ndjson > alerts.ndjson
  $ jq -c '[.kind, .type, .entity, .key, .severity, .evidence.event, .evidence.channels]' alerts.ndjson
  ["event","alert","GME","alert:cascade:GME:2021-01-22T00:00:00Z:start","critical","cascade:GME:2021-01-22T00:00:00Z:start",["slack","webhook","email"]]
  ["event","alert","AMC","alert:heat:AMC:2021-01-22T00:00:00Z","warn","heat:AMC:2021-01-22T00:00:00Z",["slack","webhook","email"]]
  $ sed 's/sleep [0-9.]* /sleep S /' sleeps
  sleep S webhook: HTTP 503; attempt 2 of 4 in [0-9.]+ s (re)
  sleep S webhook: HTTP 503; attempt 3 of 4 in [0-9.]+ s (re)
  sleep S email: SMTP 451 (Weird server reply)

What the receivers got: each event once per channel (after the refused
attempts), the Slack text, the event record with its key as
Idempotency-Key, and a mail to both recipients with a Message-ID made
from the key.

  $ jq -r '[.proto, .path // "-", .status] | @tsv' r/log | sed 's|/T0001/SeCrEtToKeN||'
  http	/slack	200
  http	/hook	503
  http	/hook	503
  http	/hook	200
  smtp	-	451
  smtp	-	250
  http	/slack	200
  http	/hook	200
  smtp	-	250
  $ jq -r 'select(.proto == "http" and (.path | startswith("/slack"))) | .body' r/log
  {"text":"[critical] GME cascade at 2021-01-22T00:00:00Z: score 7.40 — start · led by reddit/wallstreetbets · 3120 posts vs 210.5 usual"}
  {"text":"[warn] AMC heat at 2021-01-22T00:00:00Z: score 4.10 — heat 4.10 over 2 streams"}
  $ jq -r 'select(.path == "/hook" and .status == 200) | [.headers["idempotency-key"], .headers["x-herd-event"], .headers["content-type"], (.body | fromjson | .key)] | @tsv' r/log
  cascade:GME:2021-01-22T00:00:00Z:start	cascade	application/json	cascade:GME:2021-01-22T00:00:00Z:start
  heat:AMC:2021-01-22T00:00:00Z	heat	application/json	heat:AMC:2021-01-22T00:00:00Z
  $ jq -r 'select(.proto == "smtp" and .status == 250) | [.from, (.to | join(","))] | @tsv' r/log
  herd@example.org	ops@example.org,desk@example.org
  herd@example.org	ops@example.org,desk@example.org
  $ jq -r 'select(.proto == "smtp" and .status == 250) | .data' r/log | grep -v '^Date: ' | tr -d '\r' | head -12
  From: herd@example.org
  To: ops@example.org, desk@example.org
  Subject: [herd] critical cascade GME
  Message-ID: <bbf9d837e3e317fde4142688698a448b34dfbee4@herd>
  MIME-Version: 1.0
  Content-Type: text/plain; charset=utf-8
  Content-Transfer-Encoding: 8bit
  
  [critical] GME cascade at 2021-01-22T00:00:00Z: score 7.40 — start · led by reddit/wallstreetbets · 3120 posts vs 210.5 usual
  
  event key: cascade:GME:2021-01-22T00:00:00Z:start
  evidence: {"phase":"start","rate":3120,"baseline":210.5,"z":7.4,"leader":"reddit/wallstreetbets"}
  $ printf %s 'cascade:GME:2021-01-22T00:00:00Z:start' | sha1sum | cut -c1-40
  bbf9d837e3e317fde4142688698a448b34dfbee4

Exactly once across reruns: the same events again send nothing, and the
state says what went where.

  $ herd-alert --state s.db ev.ndjson
  herd-alert: 0 delivered, 2 already sent, 0 held back by --rate-limit, 1 filtered, 0 pending, 0 skipped; sent slack 0, webhook 0, email 0
  $ wc -l < r/log
  9
  $ sqlite3 s.db "SELECT key, status FROM alert_events ORDER BY 1" "SELECT key, channel, status, attempts FROM alert_deliveries ORDER BY 1, 2"
  cascade:GME:2021-01-22T00:00:00Z:start|delivered
  heat:AMC:2021-01-22T00:00:00Z|delivered
  cascade:GME:2021-01-22T00:00:00Z:start|email|sent|2
  cascade:GME:2021-01-22T00:00:00Z:start|slack|sent|1
  cascade:GME:2021-01-22T00:00:00Z:start|webhook|sent|3
  heat:AMC:2021-01-22T00:00:00Z|email|sent|1
  heat:AMC:2021-01-22T00:00:00Z|slack|sent|1
  heat:AMC:2021-01-22T00:00:00Z|webhook|sent|1

--min-severity info lets the fade through: only it is new.

  $ herd-alert -q --state s.db --min-severity info ev.ndjson | jq -r .key
  alert:cascade:BB:2021-01-22T00:00:00Z:fade
  $ wc -l < r/log
  12

The rate limit counts event time: with --rate 2/1d, GME's third alert of
the day is held back, and stays held back on a rerun; the next day's goes.

  $ for h in 01 02 03; do echo "{\"kind\":\"event\",\"type\":\"signal\",\"entity\":\"GME\",\"at\":\"2021-01-23T${h}:00:00Z\",\"key\":\"signal:GME:BUY:$h\",\"score\":0.5,\"severity\":\"warn\",\"evidence\":{\"direction\":\"BUY\"}}"; done > burst.ndjson
  $ echo '{"kind":"event","type":"signal","entity":"GME","at":"2021-01-24T05:00:00Z","key":"signal:GME:BUY:next","score":0.5,"severity":"warn","evidence":{"direction":"BUY"}}' >> burst.ndjson
  $ herd-alert --state rate.db --rate 2/1d --to webhook burst.ndjson | jq -r .key
  herd-alert: signal:GME:BUY:03: held back: GME had 2 alerts in the 1d before 2021-01-23T03:00:00Z
  herd-alert: 3 delivered, 0 already sent, 1 held back by --rate-limit, 0 filtered, 0 pending, 0 skipped; sent webhook 3
  alert:signal:GME:BUY:01
  alert:signal:GME:BUY:02
  alert:signal:GME:BUY:next
  $ herd-alert --state rate.db --rate 2/1d --to webhook burst.ndjson
  herd-alert: 0 delivered, 4 already sent, 0 held back by --rate-limit, 0 filtered, 0 pending, 0 skipped; sent webhook 0

A channel that keeps failing leaves the event pending (exit 1) while the
others are delivered; its record stays queued in the state, so the next
run delivers what is missing without reading the event again (issue 12.5:
the cron pipeline never feeds an event twice). A refusal (HTTP 4xx) is
not retried within the run.

  $ kill $(cat r/pid); wait 2>/dev/null; rm -rf r; mkdir r
  $ { python3 "$TESTDIR/../alert/receiver.py" r --fail /hook:500:2 --fail /slack/T0001/SeCrEtToKeN:400:1 > r/out 2>&1 & echo $! > r/pid; }
  $ for i in $(seq 50); do [ -f r/ports ] && break; sleep 0.1; done; read hp sp < r/ports
  $ export HERD_SLACK_WEBHOOK=http://127.0.0.1:$hp/slack/T0001/SeCrEtToKeN HERD_WEBHOOK_URL=http://127.0.0.1:$hp/hook HERD_SMTP_URL=smtp://127.0.0.1:$sp
  $ head -1 ev.ndjson > one.ndjson
  $ herd-alert -q --state p.db --retries 1 one.ndjson 2> err
  [1]
  $ cat err
  herd-alert: cascade:GME:2021-01-22T00:00:00Z:start: slack not delivered: slack: HTTP 400
  herd-alert: cascade:GME:2021-01-22T00:00:00Z:start: webhook not delivered: webhook: HTTP 500 (gave up after 2 attempts)
  herd-alert: webhook is unreachable: not tried again in this run; its events stay queued for the next
  herd-alert: 1 events stay queued in the state file: the next run sends them
  $ sqlite3 p.db "SELECT status FROM alert_events" "SELECT channel, status, attempts, error FROM alert_deliveries ORDER BY 1" "SELECT key FROM alert_pending"
  pending
  email|sent|1|
  slack|failed|1|slack: HTTP 400
  webhook|failed|2|webhook: HTTP 500 (gave up after 2 attempts)
  cascade:GME:2021-01-22T00:00:00Z:start
  $ herd-alert --check --state p.db
  herd-alert: settings ok: channels slack, webhook, email; 1 events queued in p.db
  $ herd-alert --state p.db --retries 1 < /dev/null | jq -r .key
  herd-alert: 1 delivered (1 queued by earlier runs), 0 already sent, 0 held back by --rate-limit, 0 filtered, 0 pending, 0 skipped; sent slack 1, webhook 1, email 0
  alert:cascade:GME:2021-01-22T00:00:00Z:start
  $ jq -r '[.proto, .status] | @tsv' r/log | sort | uniq -c
        2 http	200
        1 http	400
        2 http	500
        1 smtp	250
  $ sqlite3 p.db "SELECT status FROM alert_events" "SELECT channel, status, attempts FROM alert_deliveries ORDER BY 1" "SELECT count(*) FROM alert_pending"
  delivered
  email|sent|1
  slack|sent|2
  webhook|sent|3
  0

A receiver that is down: the first event's delivery fails after its
retries, the channel is not tried again in that run, and every event of
the run stays queued (committed before anything was sent); runs while it
is down add theirs; the run after it is back sends them all, oldest
first, each once.

  $ kill $(cat r/pid); wait 2>/dev/null; rm -rf r; mkdir r
  $ { python3 "$TESTDIR/../alert/receiver.py" r > r/out 2>&1 & echo $! > r/pid; }
  $ for i in $(seq 50); do [ -f r/ports ] && break; sleep 0.1; done; read hp sp < r/ports
  $ unset HERD_SLACK_WEBHOOK HERD_SMTP_URL
  $ export HERD_WEBHOOK_URL=http://127.0.0.1:1/hook
  $ herd-alert -q --state down.db --retries 1 --min-severity info ev.ndjson 2>&1 | sed 's/port 1 .*(gave/port 1 … (gave/'
  herd-alert: cascade:BB:2021-01-22T00:00:00Z:fade: webhook not delivered: webhook: Failed to connect to 127.0.0.1 port 1 … (gave up after 2 attempts)
  herd-alert: webhook is unreachable: not tried again in this run; its events stay queued for the next
  herd-alert: 3 events stay queued in the state file: the next run sends them
  $ herd-alert -q --state down.db --retries 0 burst.ndjson 2>&1 | sed 's/port 1 .*/port 1 …/'
  herd-alert: cascade:BB:2021-01-22T00:00:00Z:fade: webhook not delivered: webhook: Failed to connect to 127.0.0.1 port 1 …
  herd-alert: webhook is unreachable: not tried again in this run; its events stay queued for the next
  herd-alert: 7 events stay queued in the state file: the next run sends them
  $ sqlite3 down.db "SELECT count(*) FROM alert_pending" "SELECT sum(attempts) FROM alert_deliveries"
  7
  3
  $ HERD_WEBHOOK_URL=http://127.0.0.1:$hp/hook herd-alert --state down.db < /dev/null | jq -r .key
  herd-alert: 7 delivered (7 queued by earlier runs), 0 already sent, 0 held back by --rate-limit, 0 filtered, 0 pending, 0 skipped; sent webhook 7
  alert:cascade:BB:2021-01-22T00:00:00Z:fade
  alert:cascade:GME:2021-01-22T00:00:00Z:start
  alert:heat:AMC:2021-01-22T00:00:00Z
  alert:signal:GME:BUY:01
  alert:signal:GME:BUY:02
  alert:signal:GME:BUY:03
  alert:signal:GME:BUY:next
  $ jq -r '.headers["idempotency-key"]' r/log | sort | uniq -c | awk '{ print $1 }' | sort -u
  1
  $ HERD_WEBHOOK_URL=http://127.0.0.1:$hp/hook herd-alert --state down.db ev.ndjson burst.ndjson
  herd-alert: 0 delivered, 6 already sent, 0 held back by --rate-limit, 1 filtered, 0 pending, 0 skipped; sent webhook 0
  $ wc -l < r/log
  7

A setting that is wrong is a usage error found before any input is read:
a secret file that cannot be read (exit 2, nothing queued), in a run and
in --check.

  $ HERD_WEBHOOK_URL= HERD_WEBHOOK_URL_FILE=/nonexistent/webhook herd-alert --state cfg.db ev.ndjson
  herd-alert: /nonexistent/webhook: cannot read HERD_WEBHOOK_URL_FILE: No such file or directory
  Try 'herd-alert --help' for more information.
  [2]
  $ test -e cfg.db || echo no state touched
  no state touched
  $ HERD_WEBHOOK_URL= HERD_WEBHOOK_URL_FILE=/nonexistent/webhook herd-alert --check --state cfg.db
  herd-alert: /nonexistent/webhook: cannot read HERD_WEBHOOK_URL_FILE: No such file or directory
  Try 'herd-alert --help' for more information.
  [2]

Secrets never appear: a webhook that cannot be reached is named by its
channel, not its URL, in messages and in the state file; a secret can come
from a file (NAME_FILE).

  $ kill $(cat r/pid); wait 2>/dev/null
  $ echo "http://127.0.0.1:1/slack/T0001/SeCrEtToKeN" > slack.url
  $ unset HERD_SLACK_WEBHOOK HERD_WEBHOOK_URL HERD_SMTP_URL
  $ HERD_SLACK_WEBHOOK_FILE=slack.url herd-alert --state x.db --retries 1 --metrics x.prom one.ndjson > /dev/null 2> err
  [1]
  $ grep -c SeCrEtToKeN err x.prom sleeps; sqlite3 x.db .dump | grep -c SeCrEtToKeN
  err:0
  x.prom:0
  sleeps:0
  0
  [1]
  $ grep 'not delivered' err
  herd-alert: cascade:GME:2021-01-22T00:00:00Z:start: slack not delivered: slack: Failed to connect to 127.0.0.1 port 1 .* \(gave up after 2 attempts\) (re)

Bad input: non-events are skipped, alert events never re-alerted,
malformed events rejected with their line.

  $ printf '%s\n' '{"kind":"post","id":"x:1"}' '{"kind":"event","type":"alert","entity":"GME","at":"2021-01-22T00:00:00Z","key":"alert:x","score":1,"severity":"critical","evidence":{}}' '{"kind":"event","type":"cascade","entity":"GME","at":"yesterday","key":"k","score":1}' '{"kind":"event","type":"cascade","at":"2021-01-22T00:00:00Z","key":"k2","score":1}' '{"kind":"event","type":"cascade","entity":"GME","at":"2021-01-22T00:00:00Z","key":"k3","score":"high"}' > bad.ndjson
  $ herd-alert --dry-run --state d.db bad.ndjson
  herd-alert: dry run: no channel is set (HERD_SLACK_WEBHOOK, HERD_WEBHOOK_URL, HERD_SMTP_URL): the events that would go are shown, with no channel
  herd-alert: bad.ndjson:3: event: field 'at' is not a time
  herd-alert: bad.ndjson:4: event: field 'entity' is missing, not a non-empty string
  herd-alert: bad.ndjson:5: event: field 'score' is not a number
  herd-alert: dry run: 0 delivered, 0 already sent, 0 held back by --rate-limit, 0 filtered, 0 pending, 2 skipped; would send to no channel
  herd-alert: 3 of 5 lines rejected (use --rejects FILE to keep them)
  [1]

--metrics: events by outcome and deliveries by channel, in the textfile
collector's format.

  $ grep -v '^#' m.prom | grep 'herd_alert\|records'
  herd_records_in{program="herd-alert",task="m"} 3
  herd_records_out{program="herd-alert",task="m"} 2
  herd_records_rejected{program="herd-alert",task="m"} 0
  herd_alert_events{program="herd-alert",task="m",outcome="delivered"} 2
  herd_alert_events{program="herd-alert",task="m",outcome="duplicate"} 0
  herd_alert_events{program="herd-alert",task="m",outcome="rate_limited"} 0
  herd_alert_events{program="herd-alert",task="m",outcome="filtered"} 1
  herd_alert_events{program="herd-alert",task="m",outcome="pending"} 0
  herd_alert_events{program="herd-alert",task="m",outcome="skipped"} 0
  herd_alert_deliveries{program="herd-alert",task="m",channel="slack"} 2
  herd_alert_deliveries{program="herd-alert",task="m",channel="webhook"} 2
  herd_alert_deliveries{program="herd-alert",task="m",channel="email"} 2
  herd_alert_failures{program="herd-alert",task="m",channel="slack"} 0
  herd_alert_failures{program="herd-alert",task="m",channel="webhook"} 0
  herd_alert_failures{program="herd-alert",task="m",channel="email"} 0
  $ "$TESTDIR/../metrics/promcheck.sh" m.prom x.prom && echo format ok
  format ok
