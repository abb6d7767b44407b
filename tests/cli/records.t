docs/records.md, the contract between the programs: each kind's example
there is checked against the programs that make it (the same keys in the
same order, the values the example promises) and is accepted by herd-load.

  $ awk '/^```json/ { f = 1; next } /^```/ { f = 0 } f' "$TESTDIR/../../docs/records.md" > ex.ndjson
  $ jq -r .kind ex.ndjson | tr '\n' ' '; echo
  raw post metric agg event 
  $ for k in raw post metric agg event; do jq -c "select(.kind == \"$k\")" ex.ndjson > $k.ndjson; done

The raw example normalizes to the post example: every key, in order, and
every value the raw item holds (the example's parent comes from a
comment's link_id, which the short raw item leaves out).

  $ herd-normalize raw.ndjson > got.ndjson
  $ jq -c keys_unsorted got.ndjson post.ndjson | uniq | wc -l
  1
  $ jq -c 'del(.parent)' got.ndjson post.ndjson | uniq | wc -l
  1

The agg example has the keys herd-aggregate writes, in its order.

  $ herd-score --model vader --lexicon "$TESTDIR/../text/vader-mini" post.ndjson | herd-aggregate -q --window 1h > agg-got.ndjson
  $ jq -c '[keys_unsorted, (.sentiment | keys_unsorted)]' agg-got.ndjson agg.ndjson | uniq | wc -l
  1

Every example is a record herd-load takes (raw ones with --keep-raw;
events keyed as documented).

  $ herd-load -q --keep-raw --db ex.db ex.ndjson; echo $?
  0
  $ sqlite3 ex.db 'SELECT (SELECT count(*) FROM posts), (SELECT count(*) FROM aggregates), (SELECT count(*) FROM events)'
  1|1|1
  $ jq -r '.key | test("^cascade:[A-Z]+:1d:[0-9T:-]+Z:start$")' event.ndjson
  true
