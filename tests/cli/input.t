The shape of the input, as every program reads it (src/lib/ndjson.c,
src/lib/stream.c, src/lib/progress.c; issue 12, point 10): a UTF-8 byte
order mark at the start of a file is not part of the first record; a JSON
array or a pretty-printed JSON file is rejected with a hint to jq; on a
terminal, the progress line of a file of known size shows how far through
it is and an ETA, in the program's own unit.

  $ printf '\357\273\277{"kind":"post","id":"t:1","source":"t","type":"comment","created_at":"2021-01-01T00:00:00Z","text":"ok"}\n\n' > bom.ndjson
  $ herd-load --db bom.db bom.ndjson 2>&1 | head -1
  herd-load: bom.db: 1 records loaded (1 post) in 1 batch
  $ printf '[{"kind":"post","id":"t:1"}]\n' | herd-load --db arr.db
  herd-load: <stdin>:1: record is a JSON array, not an object (herd reads one object per line: jq -c '.[]' FILE splits an array)
  herd-load: arr.db: 0 records loaded in 0 batches
  herd-load: 1 of 1 lines rejected (use --rejects FILE to keep them)
  [1]
  $ printf '{\n  "kind": "post",\n  "id": "t:1"\n}\n' | herd-load -q --db pretty.db 2>&1 | head -2
  herd-load: <stdin>:1: invalid JSON at column 1: string or '}' expected near end of file (pretty-printed JSON? herd reads one object per line: jq -c . FILE, or jq -c '.[]' FILE for an array)
  herd-load: <stdin>:2: invalid JSON at column 8: '[' or '{' expected near '"kind"' (pretty-printed JSON? herd reads one object per line: jq -c . FILE, or jq -c '.[]' FILE for an array)

A record that is merely broken gets no hint.

  $ echo '{"kind":"post",' | herd-load -q --db broken.db 2>&1 | head -1
  herd-load: <stdin>:1: invalid JSON at column 15: string or '}' expected near end of file

The progress line (drawn only when stderr is a terminal: script(1) makes
one; the slow reader downstream makes the run last long enough to draw).

  $ command -v script >/dev/null || exit 80
  $ awk 'BEGIN { for (i = 0; i < 20000; i++) printf "{\"kind\":\"post\",\"id\":\"t:%d\",\"text\":\"good\"}\n", i }' > p.ndjson
  $ script -qc "herd-score --model vader --lexicon $TESTDIR/../text/vader-mini --threads 1 p.ndjson | (sleep 1; cat > /dev/null)" /dev/null | tr '\r' '\n' | grep -cE '^herd-score: [0-9]+ posts \([0-9]+%\), [0-9]+ posts/s, [0-9.]+ MB/s, ETA [0-9]+s'
  [1-9][0-9]* (re)
  $ herd-score --model vader --lexicon $TESTDIR/../text/vader-mini p.ndjson 2>&1 > /dev/null | wc -c
  0
