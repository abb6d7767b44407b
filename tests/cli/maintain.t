herd-maintain: retention, VACUUM, verified backups, health (issue 7, item 4).

Help, version and usage errors.

  $ herd-maintain --help | head -2
  Usage: herd-maintain [OPTIONS] COMMAND...
  Keep herd's SQLite file in shape: retention, VACUUM, verified backups, health.
  $ herd-maintain --version
  herd-maintain [0-9]+\.[0-9]+\.[0-9]+ (re)
  $ herd-maintain
  herd-maintain: no COMMAND (retain, vacuum, backup FILE, check, health, forget)
  Try 'herd-maintain --help' for more information.
  [2]
  $ herd-maintain --db x.db retain polish
  herd-maintain: 'polish' is not a command (retain, vacuum, backup FILE, check, health, forget)
  Try 'herd-maintain --help' for more information.
  [2]
  $ herd-maintain --db x.db backup
  herd-maintain: backup needs a FILE
  Try 'herd-maintain --help' for more information.
  [2]
  $ herd-maintain --keep posts=3x retain
  herd-maintain: --keep: posts: '3x' is not a duration (like 30d) or 'forever'
  Try 'herd-maintain --help' for more information.
  [2]
  $ herd-maintain --keep tweets=3d retain
  herd-maintain: --keep: 'tweets' is not one of posts, aggregates, events, metrics, raw
  Try 'herd-maintain --help' for more information.
  [2]

The file must exist: maintenance never creates an empty database.

  $ herd-maintain --db nosuch.db retain
  herd-maintain: nosuch.db: No such file or directory
  [1]
  $ ls nosuch.db
  ls: cannot access 'nosuch.db': No such file or directory
  [2]

A database with rows of every kind at several ages; the newest is the
post of 2021-03-01.

  $ cat > recs.ndjson <<'EOF'
  > {"kind":"post","id":"t:old","source":"t","type":"comment","community":null,"created_at":"2021-01-01T10:00:00Z","author":"a","title":null,"text":"GME old","url":null,"engagement":{"score":1,"replies":0},"entities":["GME"],"parent":null,"lang":null,"vader":{"neg":0.0,"neu":1.0,"pos":0.0,"compound":0.0}}
  > {"kind":"post","id":"t:mid","source":"t","type":"comment","community":null,"created_at":"2021-02-15T10:00:00Z","author":"b","title":null,"text":"GME mid","url":null,"engagement":{"score":1,"replies":0},"entities":["AMC","GME"],"parent":null,"lang":null,"vader":{"neg":0.0,"neu":1.0,"pos":0.0,"compound":0.0}}
  > {"kind":"post","id":"t:new","source":"t","type":"comment","community":null,"created_at":"2021-03-01T00:00:00Z","author":"c","title":null,"text":"GME new","url":null,"engagement":{"score":1,"replies":0},"entities":["GME"],"parent":null,"lang":null}
  > {"kind":"agg","entity":"GME","window":"1d","start":"2020-12-01T00:00:00Z","posts":1,"authors":1,"sources":{"t":1},"sentiment":null,"engagement":1}
  > {"kind":"agg","entity":"GME","window":"1d","start":"2021-02-28T00:00:00Z","posts":1,"authors":1,"sources":{"t":1},"sentiment":null,"engagement":1}
  > {"kind":"event","type":"cascade","entity":"GME","at":"2020-01-01T00:00:00Z","key":"k:old","score":3,"severity":"warn","evidence":{}}
  > {"kind":"event","type":"cascade","entity":"GME","at":"2021-02-01T00:00:00Z","key":"k:new","score":3,"severity":"warn","evidence":{}}
  > {"kind":"metric","source":"yahoo","entity":"GME","at":"2019-01-01T00:00:00Z","name":"bar","value":1,"interval":"1d","open":1,"high":1,"low":1,"close":1,"volume":1}
  > EOF
  $ herd-load -q --db h.db recs.ndjson
  $ counts() { sqlite3 h.db "SELECT (SELECT count(*) FROM posts) || ' posts ' || (SELECT count(*) FROM post_entities) || ' entities ' || (SELECT count(*) FROM scores) || ' scores ' || (SELECT count(*) FROM aggregates) || ' aggs ' || (SELECT count(*) FROM events) || ' events ' || (SELECT count(*) FROM metrics) || ' metrics'"; }
  $ counts
  3 posts 4 entities 2 scores 2 aggs 2 events 1 metrics

Retention judges at the latest time in the data (not the clock), so this
2021 file keeps its last 30 days of posts, 60 of aggregates, 365 of
events, and every metric. --dry-run only counts.

  $ sqlite3 h.db .dump > before.sql
  $ herd-maintain --db h.db --dry-run retain
  herd-maintain: retain: h.db as of 2021-03-01T00:00:00Z: would delete: posts 1, post_entities 1, scores 1, aggregates 1, events 1, metrics 0, raw 0
  $ sqlite3 h.db .dump | cmp - before.sql && echo unchanged
  unchanged
  $ herd-maintain --db h.db retain
  herd-maintain: retain: h.db as of 2021-03-01T00:00:00Z: deleted: posts 1, post_entities 1, scores 1, aggregates 1, events 1, metrics 0, raw 0
  $ counts
  2 posts 3 entities 1 scores 1 aggs 1 events 1 metrics
  $ sqlite3 h.db "SELECT id FROM posts ORDER BY 1" "SELECT start FROM aggregates" "SELECT key FROM events"
  t:mid
  t:new
  2021-02-28T00:00:00Z
  k:new

Running it again deletes nothing; --keep and --now change what goes.

  $ herd-maintain --db h.db retain
  herd-maintain: retain: h.db as of 2021-03-01T00:00:00Z: deleted: posts 0, post_entities 0, scores 0, aggregates 0, events 0, metrics 0, raw 0
  $ herd-maintain --db h.db --keep posts=forever,metrics=365d --now 2021-03-20T00:00:00Z retain
  herd-maintain: retain: h.db as of 2021-03-20T00:00:00Z: deleted: posts 0, post_entities 0, scores 0, aggregates 0, events 0, metrics 1, raw 0
  $ herd-maintain --db h.db --keep posts=1d --now 2021-03-01T12:00:00Z retain
  herd-maintain: retain: h.db as of 2021-03-01T12:00:00Z: deleted: posts 1, post_entities 2, scores 1, aggregates 0, events 0, metrics 0, raw 0
  $ counts
  1 posts 1 entities 0 scores 1 aggs 1 events 0 metrics

vacuum and check; the sizes depend on SQLite's page size.

  $ herd-maintain --db h.db vacuum check
  herd-maintain: vacuum: h.db: [0-9]+ -> [0-9]+ bytes (re)
  herd-maintain: check: h.db: integrity_check ok

backup: a verified, self-contained copy (no WAL) with the same rows.

  $ herd-maintain --db h.db backup copy.db
  herd-maintain: backup: h.db -> copy.db: [0-9]+ bytes, integrity_check ok (re)
  $ sqlite3 copy.db 'PRAGMA journal_mode' 'PRAGMA integrity_check'
  delete
  ok
  $ sqlite3 copy.db .dump | cmp - <(sqlite3 h.db .dump) && echo same rows
  same rows
  $ ls copy.db*
  copy.db

A backup that cannot be made, or whose copy fails the integrity check,
leaves the previous backup alone and no temporary file behind. Here the
posts table's root page is broken (every page of this file is 4096 bytes).

  $ herd-maintain --db h.db backup nodir/b.db 2>&1 | sed 's/tmp\.[0-9]*/tmp.N/'
  herd-maintain: h.db: backup: nodir/b.db.tmp.N: cannot create: unable to open database file
  $ cp h.db broken.db && sqlite3 broken.db 'PRAGMA page_size'
  4096
  $ root=$(sqlite3 broken.db "SELECT rootpage FROM sqlite_schema WHERE name = 'posts'")
  $ printf '\015\377\377\377\377\377\377\377' | dd of=broken.db bs=1 seek=$(( (root - 1) * 4096 )) conv=notrunc status=none
  $ cp copy.db before-backup.db
  $ herd-maintain --db broken.db backup copy.db
  herd-maintain: broken.db: backup: integrity check: Page [0-9]+: btreeInitPage\(\) returns error code 11( \(and more\))? (re)
  [1]
  $ cmp copy.db before-backup.db && ls copy.db*
  copy.db
  $ herd-maintain --db broken.db check
  herd-maintain: broken.db: integrity check: Page [0-9]+: btreeInitPage\(\) returns error code 11( \(and more\))? (re)
  [1]

Commands run in order and the first failure stops the rest.

  $ herd-maintain --db h.db backup nodir/b.db check 2>&1 | sed 's/tmp\.[0-9]*/tmp.N/'
  herd-maintain: h.db: backup: nodir/b.db.tmp.N: cannot create: unable to open database file

health without any fetch state: the database is checked, the rest noted,
and it is green. A state file that is not a herd file (herd-detect's) has
no fetch tables; a herd file has them, empty until herd-fetch runs.

  $ herd-maintain --db h.db --state nostate.db health
  ok    h.db: schema [0-9]+, quick_check ok, [0-9.]+ MB (re)
  note  nostate.db: absent: no fetch state to check
  $ sqlite3 detect.db 'CREATE TABLE detect_meta (key TEXT PRIMARY KEY, value INTEGER)'
  $ herd-maintain --db h.db --state detect.db health
  ok    h.db: schema [0-9]+, quick_check ok, [0-9.]+ MB (re)
  note  sources: no fetch_sources table: no fetched source to check
  note  budgets: no fetch_budget table: no API budget to check
  $ herd-load -q --db state.db < /dev/null
  $ herd-maintain --db h.db --state state.db health
  ok    h.db: schema [0-9]+, quick_check ok, [0-9.]+ MB (re)
  note  sources: fetch_sources is empty: nothing fetched yet

The fetcher's rows (docs/storage.md, "Fetch state"): an hourly source
fresh, one two hours late, one that never succeeded, one without an
expected interval, and budgets.

  $ sqlite3 state.db "INSERT INTO fetch_sources (source, query, last_success, expected_interval_s, last_attempt) VALUES ('reddit', 'wallstreetbets', '2021-03-01T11:50:00Z', 3600, '2021-03-01T11:50:00Z'), ('wikipedia', 'GameStop', '2021-02-27T00:00:00Z', NULL, '2021-02-27T00:00:00Z')"
  $ sqlite3 state.db "INSERT INTO fetch_budget (source, day, used, budget) VALUES ('newsapi', '2021-03-01', 40, 100), ('newsapi', '2021-02-28', 100, 100), ('yahoo', '2021-03-01', 7, NULL)"
  $ herd-maintain --db h.db --state state.db --now 2021-03-01T12:00:00Z --metrics m.prom health
  ok    h.db: schema [0-9]+, quick_check ok, [0-9.]+ MB (re)
  ok    source reddit/wallstreetbets: last succeeded 2021-03-01T11:50:00Z, 10m00s ago; expected every 1h
  ok    source wikipedia/GameStop: last succeeded 2021-02-27T00:00:00Z, 2d12h ago; no expected interval, not judged
  ok    budget newsapi: 40 of 100 requests used on 2021-03-01 (40%)
  note  budget yahoo: no budget set for 2021-03-01 (7 used)
  $ sqlite3 state.db "INSERT INTO fetch_sources (source, query, last_success, expected_interval_s, last_attempt, last_error) VALUES ('stocktwits', 'GME', '2021-03-01T09:40:00Z', 3600, '2021-03-01T11:00:00Z', 'HTTP 429: rate limited'), ('newsapi', '', NULL, 900, '2021-03-01T11:00:00Z', 'HTTP 401: apiKey invalid')"
  $ sqlite3 state.db "UPDATE fetch_budget SET used = 95 WHERE day = '2021-03-01' AND source = 'newsapi'"
  $ herd-maintain --db h.db --state state.db --now 2021-03-01T12:00:00Z --metrics m.prom health
  ok    h.db: schema [0-9]+, quick_check ok, [0-9.]+ MB (re)
  FAIL  source newsapi: never succeeded (expected every 15m); last error: HTTP 401: apiKey invalid
  ok    source reddit/wallstreetbets: last succeeded 2021-03-01T11:50:00Z, 10m00s ago; expected every 1h
  FAIL  source stocktwits/GME: last succeeded 2021-03-01T09:40:00Z, 2h20m ago; expected every 1h (stale); last error: HTTP 429: rate limited
  ok    source wikipedia/GameStop: last succeeded 2021-02-27T00:00:00Z, 2d12h ago; no expected interval, not judged
  FAIL  budget newsapi: 95 of 100 requests used on 2021-03-01 (95%, nearly spent)
  note  budget yahoo: no budget set for 2021-03-01 (7 used)
  herd-maintain: health: 3 problems
  [1]

--grace loosens staleness, --budget-warn the budget; --max-data-age checks
the data's own freshness.

  $ sqlite3 state.db "DELETE FROM fetch_sources WHERE source = 'newsapi'"
  $ herd-maintain --db h.db --state state.db --now 2021-03-01T12:00:00Z --grace 3 --budget-warn 0.99 health | grep -v '^ok    h.db'
  ok    source reddit/wallstreetbets: last succeeded 2021-03-01T11:50:00Z, 10m00s ago; expected every 1h
  ok    source stocktwits/GME: last succeeded 2021-03-01T09:40:00Z, 2h20m ago; expected every 1h
  ok    source wikipedia/GameStop: last succeeded 2021-02-27T00:00:00Z, 2d12h ago; no expected interval, not judged
  ok    budget newsapi: 95 of 100 requests used on 2021-03-01 (95%)
  note  budget yahoo: no budget set for 2021-03-01 (7 used)
  $ herd-maintain --db h.db --state nostate.db --now 2021-03-01T12:00:00Z --max-data-age 1d health | grep data
  ok    data: newest data 2021-03-01T00:00:00Z, newer than --max-data-age 1d
  $ herd-maintain --db h.db --state nostate.db --now 2021-03-05T12:00:00Z --max-data-age 1d health 2>&1 | grep -v '^ok    h.db'
  FAIL  data: newest data 2021-03-01T00:00:00Z, older than --max-data-age 1d
  note  nostate.db: absent: no fetch state to check
  herd-maintain: health: 1 problem

A fetch_sources table that breaks the contract is a failure that names the
column; a database that is not herd's fails health too.

  $ sqlite3 bad-state.db "CREATE TABLE fetch_sources (source TEXT, last_success TEXT)"
  $ herd-maintain --db h.db --state bad-state.db health 2>&1 | grep -v '^ok    h.db'
  FAIL  bad-state.db: fetch_sources: no such column: query
  herd-maintain: health: 1 problem
  $ herd-maintain --db bad-state.db --state nostate.db health
  herd-maintain: bad-state.db: an SQLite file with tables but no schema_version: not a herd database
  FAIL  bad-state.db: cannot open (see above)
  note  nostate.db: absent: no fetch state to check
  herd-maintain: health: 1 problem
  [1]

--metrics: health's findings as gauges, in the textfile collector's format.
The failed run keeps the time of the last run that succeeded.

  $ grep -v '^#' m.prom | grep -v 'start_timestamp\|duration'
  herd_run_exit_status{program="herd-maintain",task="m"} 1
  herd_run_last_success_timestamp_seconds\{program="herd-maintain",task="m"\} [0-9]+ (re)
  herd_records_rejected{program="herd-maintain",task="m"} 0
  herd_fetch_source_age_seconds{program="herd-maintain",task="m",source="reddit/wallstreetbets"} 600
  herd_fetch_source_age_seconds{program="herd-maintain",task="m",source="stocktwits/GME"} 8400
  herd_fetch_source_age_seconds{program="herd-maintain",task="m",source="wikipedia/GameStop"} 216000
  herd_fetch_budget_left{program="herd-maintain",task="m",source="newsapi"} 5
  herd_health_problems{program="herd-maintain",task="m"} 3
  $ "$TESTDIR/../metrics/promcheck.sh" m.prom && echo format ok
  format ok

Forgetting an author (issue 14): posts.source and posts.author name them.
Their posts go with their entities and scores; everybody else's stay; the
author's hash goes on forget_list and an audit row records time, hash and
counts; the name appears in no message.

  $ cat > fg.ndjson <<'EOF'
  > {"kind":"post","id":"reddit:t1_1","source":"reddit","type":"comment","created_at":"2021-01-27T10:00:00Z","author":"alice","text":"GME","entities":["GME"],"vader":{"neg":0.0,"neu":1.0,"pos":0.0,"compound":0.0}}
  > {"kind":"post","id":"reddit:t1_2","source":"reddit","type":"comment","created_at":"2021-01-27T11:00:00Z","author":"alice","text":"AMC GME","entities":["AMC","GME"]}
  > {"kind":"post","id":"reddit:t1_3","source":"reddit","type":"comment","created_at":"2021-01-27T12:00:00Z","author":"bob","text":"GME","entities":["GME"]}
  > {"kind":"post","id":"stocktwits:4","source":"stocktwits","type":"message","created_at":"2021-01-27T12:00:00Z","author":"alice","text":"GME","entities":["GME"]}
  > {"kind":"raw","source":"reddit","fetched_at":"2021-01-27T12:05:00Z","query":"wsb","item":{"kind":"t1","data":{"id":"1","author":"alice"}}}
  > {"kind":"raw","source":"reddit","fetched_at":"2021-01-27T12:05:00Z","query":"wsb","item":{"kind":"t1","data":{"id":"3","author":"bob"}}}
  > EOF
  $ herd-load -q --keep-raw --db f.db fg.ndjson
  $ herd-maintain --db f.db --now 2026-03-01T00:00:00Z forget --source reddit --author alice
  herd-maintain: forget: f.db: reddit author 77585af258d5…: 2 posts, 3 post_entities, 1 scores, 1 raw deleted; on forget_list from now on
  $ sqlite3 f.db "SELECT id FROM posts ORDER BY id" "SELECT count(*) FROM post_entities" "SELECT json_extract(item, '$.data.author') FROM raw"
  reddit:t1_3
  stocktwits:4
  2
  bob
  $ sqlite3 f.db "SELECT * FROM forget_audit" "SELECT source, since, dropped FROM forget_list"
  2026-03-01T00:00:00Z|reddit|77585af258d54e08c6d8e7f017107d72380d79a11fd26fbab041f8709ed32441|2|3|1|1
  reddit|2026-03-01T00:00:00Z|0

The author's records loaded later are dropped and counted, not stored.

  $ herd-load --keep-raw --db f.db fg.ndjson 2>&1 | grep -E 'forget|records loaded'
  herd-load: f.db: 3 records loaded (2 post, 1 raw) in 1 batch
  herd-load: forget_list: 2 posts and 1 raw record of forgotten authors dropped, not stored
  $ sqlite3 f.db "SELECT count(*) FROM posts WHERE author = 'alice' AND source = 'reddit'" "SELECT dropped FROM forget_list"
  0
  3

The name from a file (or stdin), kept out of process lists; what forget
needs, and what goes only with it.

  $ printf 'bob\n' | herd-maintain --db f.db -q forget --source reddit --author-file -
  $ sqlite3 f.db "SELECT count(*) FROM posts WHERE source = 'reddit'" "SELECT count(*) FROM forget_list"
  0
  2
  $ herd-maintain --db f.db forget --author alice
  herd-maintain: forget: no --source (the source of the author's posts: reddit, stocktwits, newsapi, x, alphavantage, yahoo, wikipedia, unusualwhales, finnhub, trends)
  Try 'herd-maintain --help' for more information.
  [2]
  $ herd-maintain --db f.db forget --source reddit
  herd-maintain: forget: no --author (or an empty one): the author as posts.author has it
  Try 'herd-maintain --help' for more information.
  [2]
  $ herd-maintain --db f.db forget --source reddit --author a --author-file x
  herd-maintain: forget: --author and --author-file exclude each other
  Try 'herd-maintain --help' for more information.
  [2]
  $ herd-maintain --db f.db check --source reddit
  herd-maintain: --source, --author, --author-file, --pg-copy and --run-id go with forget
  Try 'herd-maintain --help' for more information.
  [2]

For PostgreSQL, the same deletion as a run of pipelines/pg-load.sh, which
names the author by the hash only (tests/pg/check-forget.sh loads it).

  $ herd-maintain --pg-copy spool --run-id 20260301-forget -q forget --source reddit --author alice
  $ ls spool
  load.20260301-forget.sql
  $ grep -c alice spool/load.20260301-forget.sql
  0
  [1]
  $ grep -c 77585af258d54e08c6d8e7f017107d72380d79a11fd26fbab041f8709ed32441 spool/load.20260301-forget.sql
  4
