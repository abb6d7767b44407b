herd-load: records of any kind into SQLite, idempotently (issue 2, item 8).

Help and version.

  $ herd-load --help | head -2
  Usage: herd-load [OPTIONS] [FILE...]
  Load records of any kind into herd's SQLite file, idempotently.
  $ herd-load --version
  herd-load [0-9]+\.[0-9]+\.[0-9]+ (re)
  $ herd-load --commit-every 0 < /dev/null
  herd-load: --commit-every: 0 is out of range [1, 100000000]
  Try 'herd-load --help' for more information.
  [2]

One of each kind the docs/records.md examples show, mixed in one input.
Nothing goes to stdout; the summary goes to stderr.

  $ cat > mixed.ndjson <<'EOF'
  > {"kind":"post","id":"reddit:t1_gl3x1a","source":"reddit","type":"comment","community":"wallstreetbets","created_at":"2021-01-27T14:03:00Z","author":"bob","title":null,"text":"GME to the moon","url":null,"engagement":{"score":12,"replies":0},"entities":["AMC","GME"],"parent":"reddit:t3_l6abc","lang":null,"sentiment":{"model":"vader@3.3.2","label":"positive","score":0.5,"confidence":0.5},"vader":{"neg":0.0,"neu":0.58,"pos":0.42,"compound":0.5}}
  > {"kind":"metric","source":"yahoo","entity":"GME","at":"2021-01-27T00:00:00Z","name":"bar","value":347.51,"interval":"1d","open":354.83,"high":380.0,"low":249.0,"close":347.51,"volume":93396700}
  > {"kind":"agg","entity":"GME","window":"1h","start":"2021-01-27T14:00:00Z","posts":412,"authors":377,"sources":{"reddit/wallstreetbets":398,"reddit/stocks":14},"sentiment":{"n":412,"mean":0.21,"weighted":0.25,"bull":190,"bear":71},"engagement":5230}
  > {"kind":"event","type":"cascade","entity":"GME","at":"2021-01-22T00:00:00Z","key":"cascade:GME:2021-01-22T00:00:00Z:start","score":7.4,"severity":"critical","evidence":{"phase":"start","rate":3120,"baseline":210.5,"z":7.4}}
  > EOF
  $ herd-load --db t.db mixed.ndjson
  herd-load: t.db: 4 records loaded (1 post, 1 metric, 1 agg, 1 event) in 1 batch
  herd-load: posts: 1 new, 0 updated, 0 unchanged
  herd-load: post_entities: 2 new, 0 unchanged, 0 dropped
  herd-load: scores: 1 new, 0 updated, 0 unchanged
  herd-load: metrics: 1 new, 0 updated, 0 unchanged
  herd-load: aggregates: 1 new, 0 updated, 0 unchanged
  herd-load: events: 1 new, 0 updated, 0 unchanged
  $ sqlite3 t.db 'PRAGMA journal_mode' 'SELECT version FROM schema_version'
  wal
  1
  2
  3
  4
  5
  6
  7
  8
  9
  $ sqlite3 t.db "SELECT id, created_at, author, title IS NULL, score, replies FROM posts" "SELECT * FROM post_entities" "SELECT * FROM scores"
  reddit:t1_gl3x1a|2021-01-27T14:03:00Z|bob|1|12|0
  reddit:t1_gl3x1a|AMC
  reddit:t1_gl3x1a|GME
  reddit:t1_gl3x1a|vader@3.3.2|positive|0.5|0.5||0.0|0.58|0.42|0.5
  $ sqlite3 t.db "SELECT * FROM metrics" "SELECT * FROM aggregates" "SELECT * FROM events"
  yahoo|GME|bar|1d|2021-01-27T00:00:00Z||347.51|354.83|380.0|249.0|347.51|93396700.0
  GME|1h|2021-01-27T14:00:00Z|412|377|{"reddit/wallstreetbets":398,"reddit/stocks":14}|412|0.21|0.25|190|71|5230
  cascade:GME:2021-01-22T00:00:00Z:start|cascade|GME|2021-01-22T00:00:00Z|7.4|critical|{"phase":"start","rate":3120,"baseline":210.5,"z":7.4}

Loading the same input again changes nothing: every row unchanged, and the
whole database dumps byte for byte the same.

  $ sqlite3 t.db .dump > before.sql
  $ herd-load --db t.db mixed.ndjson
  herd-load: t.db: 4 records loaded (1 post, 1 metric, 1 agg, 1 event) in 1 batch
  herd-load: posts: 0 new, 0 updated, 1 unchanged
  herd-load: post_entities: 0 new, 2 unchanged, 0 dropped
  herd-load: scores: 0 new, 0 updated, 1 unchanged
  herd-load: metrics: 0 new, 0 updated, 1 unchanged
  herd-load: aggregates: 0 new, 0 updated, 1 unchanged
  herd-load: events: 0 new, 0 updated, 1 unchanged
  $ sqlite3 t.db .dump | cmp - before.sql && echo same
  same

The record loaded last wins: a post seen again with more upvotes and
other entities replaces the values and the entity set; a BERT score is
added beside the VADER one (scores are keyed by post and model), and the
"vader" components go under the model name "vader" when the sentiment is
BERT's.

  $ cat > later.ndjson <<'EOF'
  > {"kind":"post","id":"reddit:t1_gl3x1a","source":"reddit","type":"comment","community":"wallstreetbets","created_at":"2021-01-27T14:03:00Z","author":"bob","title":null,"text":"GME to the moon","url":null,"engagement":{"score":40,"replies":3},"entities":["GME","TSLA"],"parent":"reddit:t3_l6abc","lang":null,"sentiment":{"model":"finbert@1a2b3c4d","label":"positive","probs":{"positive":0.91,"negative":0.02,"neutral":0.07},"score":0.89,"confidence":0.91},"vader":{"neg":0.0,"neu":0.58,"pos":0.42,"compound":0.5}}
  > EOF
  $ herd-load --db t.db later.ndjson
  herd-load: t.db: 1 records loaded (1 post) in 1 batch
  herd-load: posts: 0 new, 1 updated, 0 unchanged
  herd-load: post_entities: 1 new, 1 unchanged, 1 dropped
  herd-load: scores: 2 new, 0 updated, 0 unchanged
  $ sqlite3 t.db "SELECT score, replies FROM posts" "SELECT group_concat(entity) FROM (SELECT entity FROM post_entities ORDER BY 1)" "SELECT model, label, score, confidence, compound FROM scores ORDER BY model"
  40|3
  GME,TSLA
  finbert@1a2b3c4d|positive|0.89|0.91|
  vader|positive|0.5|0.5|0.5
  vader@3.3.2|positive|0.5|0.5|0.5

Bad records are reported with file and line and a reason, counted, kept
verbatim with --rejects, and the rest is loaded; exit 1 (0 with enough
--max-rejects). Raw records need --keep-raw; agg_partial is refused.

  $ cat > bad.ndjson <<'EOF'
  > {"kind":"post","source":"reddit","type":"comment","created_at":"2021-01-27T14:03:00Z","text":"no id"}
  > {"kind":"post","id":"reddit:t1_b","source":"reddit","type":"comment","created_at":"2021-01-27T14:05:00Z","text":"fine","entities":["BB"]}
  > {"kind":"post","id":"reddit:t1_c","source":"reddit","type":"comment","created_at":"last tuesday","text":"bad time"}
  > {"kind":"post","id":"reddit:t1_d","source":"reddit","type":"comment","created_at":"2021-01-27T14:05:00Z","text":"x","engagement":{"score":"12"}}
  > {"kind":"metric","source":"yahoo","entity":"GME","at":"2021-01-28T00:00:00Z","name":"bar","value":"193.6"}
  > {"kind":"agg_partial","entity":"GME","window":"1h","start":"2021-01-27T14:00:00Z"}
  > {"kind":"raw","source":"reddit","fetched_at":"2021-01-27T14:05:00Z","query":"wallstreetbets","item":{"id":"gl3x1a","body":"GME to the moon"}}
  > {"kind":"quote","id":"q:1"}
  > ["not","an","object"]
  > {"kind":"event","type":"heat","entity":"BB","at":"2021-01-27T15:00:00Z","key":"heat:BB:2021-01-27T15:00:00Z","score":2.5,"severity":"info","evidence":{}}
  > {"kind": "post", oops
  > EOF
  $ herd-load --db t.db --rejects rej.ndjson bad.ndjson
  herd-load: bad.ndjson:1: field 'id' is missing
  herd-load: bad.ndjson:3: field 'created_at' is 'last tuesday', not a time
  herd-load: bad.ndjson:4: field 'engagement.score' is a string, not an integer
  herd-load: bad.ndjson:5: field 'value' is a string, not a number
  herd-load: bad.ndjson:6: an agg_partial record is herd-aggregate's internal state: combine the partials first (herd-aggregate --merge)
  herd-load: bad.ndjson:7: a raw record: normalize it first (herd-normalize), or keep it as is with --keep-raw
  herd-load: bad.ndjson:8: unknown kind 'quote' (herd-load takes post, metric, agg, event, and raw with --keep-raw)
  herd-load: bad.ndjson:9: record is a JSON array, not an object (herd reads one object per line: jq -c '.[]' FILE splits an array)
  herd-load: bad.ndjson:11: invalid JSON at column 21: string or '}' expected near 'oops'
  herd-load: t.db: 2 records loaded (1 post, 1 event) in 1 batch
  herd-load: posts: 1 new, 0 updated, 0 unchanged
  herd-load: post_entities: 1 new, 0 unchanged, 0 dropped
  herd-load: events: 1 new, 0 updated, 0 unchanged
  herd-load: 9 of 11 lines rejected (kept in rej.ndjson)
  [1]
  $ sed -n '1p;3p;9p' bad.ndjson | cmp - <(sed -n '1p;2p;8p' rej.ndjson) && wc -l < rej.ndjson
  9
  $ sqlite3 t.db "SELECT count(*) FROM posts" "SELECT count(*) FROM events"
  2
  2
  $ herd-load --db t.db --max-rejects 9 -q bad.ndjson
  herd-load: bad.ndjson:1: field 'id' is missing
  herd-load: bad.ndjson:3: field 'created_at' is 'last tuesday', not a time
  herd-load: bad.ndjson:4: field 'engagement.score' is a string, not an integer
  herd-load: bad.ndjson:5: field 'value' is a string, not a number
  herd-load: bad.ndjson:6: an agg_partial record is herd-aggregate's internal state: combine the partials first (herd-aggregate --merge)
  herd-load: bad.ndjson:7: a raw record: normalize it first (herd-normalize), or keep it as is with --keep-raw
  herd-load: bad.ndjson:8: unknown kind 'quote' (herd-load takes post, metric, agg, event, and raw with --keep-raw)
  herd-load: bad.ndjson:9: record is a JSON array, not an object (herd reads one object per line: jq -c '.[]' FILE splits an array)
  herd-load: bad.ndjson:11: invalid JSON at column 21: string or '}' expected near 'oops'
  herd-load: 9 of 11 lines rejected (use --rejects FILE to keep them)

With --keep-raw, raw records go to the raw table (keyed by source and the
item itself), once however often they are loaded.

  $ grep '"raw"' bad.ndjson > raw.ndjson
  $ herd-load --db t.db --keep-raw raw.ndjson raw.ndjson
  herd-load: t.db: 2 records loaded (2 raw) in 1 batch
  herd-load: raw: 1 new, 0 updated, 1 unchanged
  $ sqlite3 t.db "SELECT source, fetched_at, query, item FROM raw"
  reddit|2021-01-27T14:05:00Z|wallstreetbets|{"id":"gl3x1a","body":"GME to the moon"}

--strict stops at the first bad line; what came before it is loaded.

  $ herd-load --db strict.db --strict -q bad.ndjson
  herd-load: bad.ndjson:1: field 'id' is missing
  herd-load: 1 of 1 lines rejected (use --rejects FILE to keep them)
  [1]

Batches: one transaction per --batch records; stdin is "-" or no file, and
is called <stdin> in messages.

  $ cat mixed.ndjson bad.ndjson | herd-load --db b.db --batch 2 -q --max-rejects 100 -
  herd-load: <stdin>:5: field 'id' is missing
  herd-load: <stdin>:7: field 'created_at' is 'last tuesday', not a time
  herd-load: <stdin>:8: field 'engagement.score' is a string, not an integer
  herd-load: <stdin>:9: field 'value' is a string, not a number
  herd-load: <stdin>:10: an agg_partial record is herd-aggregate's internal state: combine the partials first (herd-aggregate --merge)
  herd-load: <stdin>:11: a raw record: normalize it first (herd-normalize), or keep it as is with --keep-raw
  herd-load: <stdin>:12: unknown kind 'quote' (herd-load takes post, metric, agg, event, and raw with --keep-raw)
  herd-load: <stdin>:13: record is a JSON array, not an object (herd reads one object per line: jq -c '.[]' FILE splits an array)
  herd-load: <stdin>:15: invalid JSON at column 21: string or '}' expected near 'oops'
  herd-load: 9 of 15 lines rejected (use --rejects FILE to keep them)
  $ cat mixed.ndjson | herd-load --db b.db --batch 2
  herd-load: b.db: 4 records loaded (1 post, 1 metric, 1 agg, 1 event) in 2 batches
  herd-load: posts: 0 new, 0 updated, 1 unchanged
  herd-load: post_entities: 0 new, 2 unchanged, 0 dropped
  herd-load: scores: 0 new, 0 updated, 1 unchanged
  herd-load: metrics: 0 new, 0 updated, 1 unchanged
  herd-load: aggregates: 0 new, 0 updated, 1 unchanged
  herd-load: events: 0 new, 0 updated, 1 unchanged

The default file is $HERD_HOME/herd.db, else ./herd.db. A file that is
SQLite but not herd's is refused and left alone; so is a file that is not
SQLite at all.

  $ mkdir home && HERD_HOME=home herd-load -q mixed.ndjson && sqlite3 home/herd.db "SELECT count(*) FROM posts"
  1
  $ herd-load -q mixed.ndjson && sqlite3 herd.db "SELECT count(*) FROM metrics"
  1
  $ sqlite3 notes.db "CREATE TABLE notes (t TEXT)"
  $ herd-load --db notes.db mixed.ndjson
  herd-load: notes.db: an SQLite file with tables but no schema_version: not a herd database
  [1]
  $ echo hello > text.db
  $ herd-load --db text.db mixed.ndjson
  herd-load: text.db: file is not a database
  [1]
  $ cat text.db
  hello

PostgreSQL COPY files (issue 7): --pg-copy DIR writes, instead of loading,
one COPY text file per table and a psql script per run. Nothing is known
about the database, so the summary counts rows written.
(tests/pg/check-pgcopy.sh loads them into a real server.)

  $ herd-load --pg-copy spool --run-id r1 mixed.ndjson
  herd-load: spool: run r1: 4 records written (1 post, 1 metric, 1 agg, 1 event)
  herd-load: posts: 1 rows
  herd-load: post_entities: 2 rows
  herd-load: scores: 1 rows
  herd-load: metrics: 1 rows
  herd-load: aggregates: 1 rows
  herd-load: events: 1 rows
  herd-load: spool/load.r1.sql: load with pipelines/pg-load.sh spool DSN
  $ ls -A spool
  aggregates.r1.copy
  events.r1.copy
  load.r1.sql
  metrics.r1.copy
  post_entities.r1.copy
  posts.r1.copy
  scores.r1.copy

COPY text format (fields shown here with their tabs as |): \N for NULL;
backslash, tab, CR, LF and other control characters escaped. A post's
entities start with a marker row (the post id and \N): the rows after a
post's last marker are its whole set.

  $ cat spool/posts.r1.copy spool/post_entities.r1.copy spool/metrics.r1.copy | tr '\t' '|'
  reddit:t1_gl3x1a|reddit|comment|wallstreetbets|2021-01-27T14:03:00Z|bob|\N|GME to the moon|\N|12|0|reddit:t3_l6abc|\N
  reddit:t1_gl3x1a|\N
  reddit:t1_gl3x1a|AMC
  reddit:t1_gl3x1a|GME
  yahoo|GME|bar|1d|2021-01-27T00:00:00Z||347.51|354.83|380.0|249.0|347.51|93396700.0
  $ printf '%s\n' '{"kind":"event","type":"t","entity":"E","at":"2021-01-27T15:00:00Z","key":"a\\b\tc\r\nd\u0001\u007f \\N 🚀","score":1,"evidence":{"q":"\"x\\y\""}}' > esc.ndjson
  $ herd-load -q --pg-copy spool --run-id r2 esc.ndjson && tr '\t' '|' < spool/events.r2.copy
  a\\b\tc\r\nd\001\177 \\N 🚀|t|E|2021-01-27T15:00:00Z|1.0|\N|{"q":"\\"x\\\\y\\""}

The script: stop at the first error, one transaction, the schema when
absent, then per file a staging table and an upsert of its last rows.

  $ sed -n '/^\\set/,/^DO/p' spool/load.r1.sql
  \set ON_ERROR_STOP on
  BEGIN;
  SET LOCAL client_min_messages = warning;
  -- One load at a time per database: the run loaded last wins.
  DO $$BEGIN PERFORM pg_advisory_xact_lock(1751478884); END$$;
  $ grep -E '^(CREATE TABLE|\\copy|COMMIT)' spool/load.r2.sql | cut -c1-72
  CREATE TABLE IF NOT EXISTS posts (
  CREATE TABLE IF NOT EXISTS post_entities (
  CREATE TABLE IF NOT EXISTS scores (
  CREATE TABLE IF NOT EXISTS metrics (
  CREATE TABLE IF NOT EXISTS aggregates (
  CREATE TABLE IF NOT EXISTS events (
  CREATE TABLE IF NOT EXISTS raw (
  CREATE TABLE IF NOT EXISTS forget_list (
  CREATE TABLE IF NOT EXISTS forget_audit (
  \copy herd_stage_events ("key", "type", "entity", "at", "score", "severi
  COMMIT;

Without --run-id the run id is the UTC time and the pid, so runs and
shards can share a directory; an id already used there (or loaded, in
DIR/loaded/) is refused. A run without records publishes nothing.

  $ herd-load -q --pg-copy spool mixed.ndjson && ls spool | grep -cE '^load\.[0-9]{8}T[0-9]{6}\.[0-9]{6}Z-[0-9]+\.sql$'
  1
  $ herd-load --pg-copy spool --run-id r1 mixed.ndjson
  herd-load: spool: run id 'r1' is taken (load.r1.sql exists): give another --run-id
  [1]
  $ mkdir -p spool2/loaded && touch spool2/loaded/load.r1.sql && herd-load --pg-copy spool2 --run-id r1 mixed.ndjson
  herd-load: spool2: run id 'r1' is taken (loaded/load.r1.sql exists): give another --run-id
  [1]
  $ herd-load --pg-copy spool3 --run-id r1 < /dev/null && ls -A spool3
  herd-load: spool3: run r1: 0 records written

Text PostgreSQL cannot hold (U+0000) is rejected like a bad record, with
file and line; the rest is written.

  $ printf '%s\n' '{"kind":"post","id":"x:1","source":"x","type":"comment","created_at":"2021-01-27T14:03:00Z","text":"a\u0000b"}' > nul.ndjson
  $ cat nul.ndjson mixed.ndjson | herd-load -q --pg-copy spool --run-id r3 --rejects nul.rej && cat nul.rej
  herd-load: <stdin>:1: posts.text holds a NUL character (U+0000), which PostgreSQL cannot store
  herd-load: 1 of 5 lines rejected (kept in nul.rej)
  [1]
  $ cmp nul.rej nul.ndjson && ls spool/load.r3.sql
  spool/load.r3.sql

Usage errors: --db or --pg-copy, not both; --run-id needs --pg-copy and
a name fit for a file; a directory whose parent is missing.

  $ herd-load --db t.db --pg-copy spool mixed.ndjson
  herd-load: --db and --pg-copy exclude each other: SQLite or PostgreSQL COPY files
  Try 'herd-load --help' for more information.
  [2]
  $ herd-load --run-id r9 mixed.ndjson
  herd-load: --run-id goes with --pg-copy
  Try 'herd-load --help' for more information.
  [2]
  $ herd-load --pg-copy spool --run-id ../up mixed.ndjson
  herd-load: --run-id: '../up' is not a run id: it starts with '.'
  Try 'herd-load --help' for more information.
  [2]
  $ herd-load --pg-copy spool --run-id 'a b' mixed.ndjson
  herd-load: --run-id: 'a b' is not a run id: only letters, digits, '.', '_' and '-'
  Try 'herd-load --help' for more information.
  [2]
  $ herd-load --pg-copy no/such/dir mixed.ndjson
  herd-load: no/such/dir: cannot create: No such file or directory
  [1]
