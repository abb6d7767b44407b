herd-aggregate: posts to agg records in tumbling event-time windows, with
mergeable partial state (issue 2, item 7).

  $ herd-aggregate --help | head -2
  Usage: herd-aggregate [OPTIONS] [FILE...]
  Aggregate posts per entity into tumbling time windows (agg records).
  $ herd-aggregate --version
  herd-aggregate [0-9]+\.[0-9]+\.[0-9]+ (re)

Five posts and a metric. The 14:00 GME window has three posts from two
authors in three sources; two have a polarity (BERT's score 0.89 labelled
positive, VADER's -0.34), so mean = 0.275 and the engagement-weighted mean
= (0.89·(1+ln 13) − 0.34·1) / (2+ln 13) = 0.620556. The post without
entities is skipped and counted; the metric passes through.

  $ cat > p.ndjson <<'EOF'
  > {"kind":"post","id":"reddit:t1_a","source":"reddit","type":"comment","community":"wallstreetbets","created_at":"2021-01-27T14:03:00Z","author":"bob","title":null,"text":"GME to the moon","url":null,"engagement":{"score":12,"replies":0},"entities":["GME"],"parent":null,"lang":null,"sentiment":{"model":"finbert@1a2b3c4d","label":"positive","probs":{"positive":0.91,"negative":0.02,"neutral":0.07},"score":0.89,"confidence":0.91}}
  > {"kind":"post","id":"reddit:t1_b","source":"reddit","type":"comment","community":"stocks","created_at":"2021-01-27T14:20:00Z","author":"ann","title":null,"text":"GME and AMC are overvalued","url":null,"engagement":{"score":0,"replies":2},"entities":["AMC","GME"],"parent":null,"lang":null,"vader":{"neg":0.3,"neu":0.7,"pos":0.0,"compound":-0.34}}
  > {"kind":"metric","source":"yahoo","entity":"GME","at":"2021-01-27T00:00:00Z","name":"bar","value":347.51}
  > {"kind":"post","id":"stocktwits:1","source":"stocktwits","type":"message","community":null,"created_at":"2021-01-27T14:59:59Z","author":"bob","title":null,"text":"holding","url":null,"engagement":{"score":3,"replies":1},"entities":["GME"],"parent":null,"lang":null}
  > {"kind":"post","id":"reddit:t1_c","source":"reddit","type":"comment","community":"wallstreetbets","created_at":"2021-01-27T15:10:00Z","author":null,"title":null,"text":"no tickers here","url":null,"engagement":{"score":1,"replies":0},"entities":[],"parent":null,"lang":null}
  > {"kind":"post","id":"reddit:t1_d","source":"reddit","type":"comment","community":"wallstreetbets","created_at":"2021-01-27T15:30:00Z","author":"cat","title":null,"text":"AMC","url":null,"engagement":{"score":100,"replies":5},"entities":["AMC"],"parent":null,"lang":null,"vader":{"neg":0.0,"neu":0.5,"pos":0.5,"compound":0.6249}}
  > EOF
  $ herd-aggregate p.ndjson 2>err
  {"kind":"metric","source":"yahoo","entity":"GME","at":"2021-01-27T00:00:00Z","name":"bar","value":347.51}
  {"kind":"agg","entity":"AMC","window":"1h","start":"2021-01-27T14:00:00Z","posts":1,"authors":1,"sources":{"reddit/stocks":1},"sentiment":{"n":1,"mean":-0.34,"weighted":-0.34,"bull":0,"bear":1},"engagement":2}
  {"kind":"agg","entity":"GME","window":"1h","start":"2021-01-27T14:00:00Z","posts":3,"authors":2,"sources":{"reddit/stocks":1,"reddit/wallstreetbets":1,"stocktwits":1},"sentiment":{"n":2,"mean":0.275,"weighted":0.620556,"bull":1,"bear":1},"engagement":18}
  {"kind":"agg","entity":"AMC","window":"1h","start":"2021-01-27T15:00:00Z","posts":1,"authors":1,"sources":{"reddit/wallstreetbets":1},"sentiment":{"n":1,"mean":0.6249,"weighted":0.6249,"bull":1,"bear":0},"engagement":105}
  $ cat err
  herd-aggregate: 1 post without entities skipped

Several windows at once: ordered by window end, then length, then entity.
A window with no polarity has "sentiment":null. --pass none drops the
metric; --pass all copies the posts too (for a loader downstream).

  $ herd-aggregate -q --window 1h,15m --pass none p.ndjson | cut -d, -f2-4
  "entity":"GME","window":"15m","start":"2021-01-27T14:00:00Z"
  "entity":"AMC","window":"15m","start":"2021-01-27T14:15:00Z"
  "entity":"GME","window":"15m","start":"2021-01-27T14:15:00Z"
  "entity":"GME","window":"15m","start":"2021-01-27T14:45:00Z"
  "entity":"AMC","window":"1h","start":"2021-01-27T14:00:00Z"
  "entity":"GME","window":"1h","start":"2021-01-27T14:00:00Z"
  "entity":"AMC","window":"15m","start":"2021-01-27T15:30:00Z"
  "entity":"AMC","window":"1h","start":"2021-01-27T15:00:00Z"
  $ herd-aggregate -q --window 15m --pass none p.ndjson | grep -c '"sentiment":null'
  1
  $ herd-aggregate -q --pass all p.ndjson | cut -c1-16 | sort | uniq -c
        3 {"kind":"agg","e
        1 {"kind":"metric"
        5 {"kind":"post","

Streaming: with --lateness 0 on sorted input each window is written as soon
as a later post passes its end (the 14:00 windows before the 15:30 post is
read); the result is the same as holding everything to the end.

  $ herd-aggregate -q --lateness 0 p.ndjson | cmp - <(herd-aggregate -q --lateness all p.ndjson) && echo same
  same
  $ tac p.ndjson | herd-aggregate -q --lateness all | cmp - <(herd-aggregate -q p.ndjson) && echo same
  same

Late posts: after the 16:30 post the watermark (16:30 − 1h) has passed the
14:00 window, so a 14:40 post arriving then is rejected — reported, kept
with --rejects, exit 1 — never merged into a window already written.

  $ sed -n 1,2p p.ndjson > late.ndjson
  $ echo '{"kind":"post","id":"x:1","source":"x","community":null,"created_at":"2021-01-27T16:30:00Z","author":"dan","engagement":{"score":0,"replies":0},"entities":["GME"]}' >> late.ndjson
  $ echo '{"kind":"post","id":"x:2","source":"x","community":null,"created_at":"2021-01-27T14:40:00Z","author":"eve","engagement":{"score":0,"replies":0},"entities":["GME"]}' >> late.ndjson
  $ herd-aggregate --pass none --rejects rej.ndjson late.ndjson > agg.ndjson
  herd-aggregate: late.ndjson:4: late post: created_at 2021-01-27T14:40:00Z is in a window already written (watermark 2021-01-27T15:30:00Z); see --lateness
  herd-aggregate: 1 late post rejected: their windows were already written (raise --lateness, or --lateness all for unsorted input)
  herd-aggregate: 1 of 4 lines rejected (kept in rej.ndjson)
  [1]
  $ grep -o '"entity":"GME","window":"1h","start":"[^"]*","posts":[0-9]*' agg.ndjson
  "entity":"GME","window":"1h","start":"2021-01-27T14:00:00Z","posts":2
  "entity":"GME","window":"1h","start":"2021-01-27T16:00:00Z","posts":1
  $ cut -c1-30 rej.ndjson
  {"kind":"post","id":"x:2","sou
  $ herd-aggregate --lateness 2h --pass none late.ndjson | grep -o '"entity":"GME","window":"1h","start":"2021-01-27T14:00:00Z","posts":[0-9]*'
  "entity":"GME","window":"1h","start":"2021-01-27T14:00:00Z","posts":3

Nothing is lost: the rejected late posts, aggregated on their own as
partials and merged with the main run's partials, give exactly what
--lateness all gives.

  $ herd-aggregate --partial --pass none late.ndjson > main.part 2>/dev/null
  [1]
  $ herd-aggregate --partial --lateness all rej.ndjson > late.part
  $ cat late.part main.part | herd-aggregate --merge | cmp - <(herd-aggregate --lateness all --pass none late.ndjson) && echo same
  same

Partial state and merging: shards in any order merge to the same bytes as
one pass; partials carry the window's posts by id — author, source (an
index into the sorted sources), engagement and, for posts with a polarity,
mood (1 bull, -1 bear), polarity, weight × polarity and weight in units of
2^-48 (−0.34·2^48 = −95701492081623; (1+ln 101)·2^48 = 1580515916705420) —
so that a merge counts a post id once even when shards repeat it; a merge
of merges (--merge --partial) is still a partial.

  $ herd-aggregate -q --partial --window 1d --pass none p.ndjson | head -1
  {"kind":"agg_partial","entity":"AMC","window":"1d","start":"2021-01-27T00:00:00Z","posts":2,"authors":2,"sources":{"reddit/stocks":1,"reddit/wallstreetbets":1},"sentiment":{"n":2,"mean":0.14245,"weighted":0.479037,"bull":1,"bear":1},"engagement":107,"state":{"v":2,"fix":48,"sources":["reddit/stocks","reddit/wallstreetbets"],"posts":[["reddit:t1_b","ann",0,2,-1,-95701492081623,-95701492081623,281474976710656],["reddit:t1_d","cat",1,105,1,175893712946489,987664396349217,1580515916705420]]}}
  $ for i in 1 2 3 4 5 6; do sed -n ${i}p p.ndjson | herd-aggregate -q --partial --window 15m,1h,1d --pass none > s$i.part; done
  $ cat s6.part s3.part s1.part s5.part s2.part s4.part | herd-aggregate --merge > merged.ndjson
  $ herd-aggregate -q --window 15m,1h,1d --pass none p.ndjson | cmp - merged.ndjson && echo same
  same
  $ cat s1.part s2.part s3.part | herd-aggregate --merge --partial > left.part
  $ cat s4.part s5.part s6.part left.part | herd-aggregate --merge | cmp - merged.ndjson && echo same
  same
  $ herd-aggregate --merge --window 1h s1.part
  herd-aggregate: --merge takes windows from the partials and closes them at the end: no --window or --lateness
  Try 'herd-aggregate --help' for more information.
  [2]

Repeated posts: `id` is the dedup key downstream and dumps repeat posts, so
a post id counts once per entity and window, and the first occurrence
wins — a later copy adds nothing even when it says something else (here a
verbatim copy of reddit:t1_d, and a copy of reddit:t1_a with another
author, score and sentiment). The skipped repeats are counted on stderr.

  $ { sed -n 1,2p p.ndjson
  >   sed -n 1p p.ndjson | sed 's/"bob"/"zed"/; s/"score":12/"score":900/; s/"score":0.89/"score":-0.95/'
  >   sed -n '3,$p' p.ndjson; sed -n 6p p.ndjson; } > rep.ndjson
  $ herd-aggregate --window 15m,1h,1d --pass none rep.ndjson > rep.agg
  herd-aggregate: 1 post without entities skipped
  herd-aggregate: 2 repeated posts: their id was counted already (once per entity and window)
  $ herd-aggregate -q --window 15m,1h,1d --pass none p.ndjson | cmp - rep.agg && echo same as without the copies
  same as without the copies
  $ herd-aggregate -q --pass all rep.ndjson | grep -c '"kind":"post"'
  7

The copies of an id in different shards: a merge adds a partial's post to a
window only when the window does not hold its id yet. With copies that
differ the first partial read wins, so partials merged in input order give
the one-pass answer; in another order the other copy counts. Identical
copies give the one-pass answer in any order.

  $ for i in 1 2 3 4 5 6 7 8; do sed -n ${i}p rep.ndjson | herd-aggregate -q --partial --window 15m,1h,1d --pass none > r$i.part; done
  $ cat r1.part r2.part r3.part r4.part r5.part r6.part r7.part r8.part | herd-aggregate --merge | cmp - rep.agg && echo same
  herd-aggregate: 6 repeats skipped: post ids another partial had counted in the same window (one per entity and window)
  same
  $ cat r3.part r2.part r1.part r4.part r5.part r6.part r7.part r8.part | herd-aggregate -q --merge | cmp -s - rep.agg || echo the later copy of reddit:t1_a counts
  the later copy of reddit:t1_a counts
  $ cat r8.part r2.part r7.part r1.part r5.part r4.part r6.part | herd-aggregate -q --merge | cmp - rep.agg && echo same
  same
  $ cat r7.part r8.part | herd-aggregate -q --merge --partial | grep -c '"posts":1,'
  3

A damaged partial is rejected with its line, the rest merges (post 2 has
two entities in three windows: six cells).

  $ sed 's/"fix":48/"fix":32/' s1.part > bad.part
  $ cat bad.part s2.part | herd-aggregate --merge | wc -l
  herd-aggregate: <stdin>:1: agg_partial: state version 2/32, this herd-aggregate reads 2/48
  herd-aggregate: <stdin>:2: agg_partial: state version 2/32, this herd-aggregate reads 2/48
  herd-aggregate: <stdin>:3: agg_partial: state version 2/32, this herd-aggregate reads 2/48
  herd-aggregate: 3 of 9 lines rejected (use --rejects FILE to keep them)
  6

Bad input: every bad line is reported with its place and reason, and the
rest is aggregated.

  $ cat > bad.ndjson <<'EOF'
  > {"kind":"post","id":"x:1","created_at":"2021-01-27T14:03:00Z","source":"x","entities":["GME"]}
  > not json
  > {"created_at":"2021-01-27T14:03:00Z"}
  > {"kind":"post","id":"x:2","created_at":"yesterday","source":"x","entities":["GME"]}
  > {"kind":"post","id":"x:3","created_at":"2021-01-27T14:03:00Z","source":"x","entities":"GME"}
  > {"kind":"post","id":"x:4","created_at":"2021-01-27T14:03:00Z","source":"x","entities":["GME",7]}
  > {"kind":"post","id":"x:5","created_at":"2021-01-27T14:03:00Z","source":"x","entities":["GME"],"sentiment":{"score":3}}
  > {"kind":"post","id":"x:6","created_at":"2021-01-27T14:03:00Z","entities":["GME"]}
  > {"kind":"post","id":"x:7","created_at":"2021-01-27T14:03:00Z","source":"x","entities":["GME"],"engagement":{"score":"many"}}
  > [1,2]
  > {"kind":"post","created_at":"2021-01-27T14:03:00Z","source":"x","entities":["GME"]}
  > EOF
  $ herd-aggregate bad.ndjson
  herd-aggregate: bad.ndjson:2: invalid JSON at column 3: '[' or '{' expected near 'not'
  herd-aggregate: bad.ndjson:3: no 'kind': not a herd record
  herd-aggregate: bad.ndjson:4: field 'created_at' is missing or not a time
  herd-aggregate: bad.ndjson:5: field 'entities' is string, not an array
  herd-aggregate: bad.ndjson:6: field 'entities' holds number, not a symbol
  herd-aggregate: bad.ndjson:7: field 'sentiment.score' is 3, outside [-1, 1]
  herd-aggregate: bad.ndjson:8: field 'source' is missing or not a string
  herd-aggregate: bad.ndjson:9: field 'engagement.score' is string, not an integer
  herd-aggregate: bad.ndjson:10: record is a JSON array, not an object (herd reads one object per line: jq -c '.[]' FILE splits an array)
  herd-aggregate: bad.ndjson:11: field 'id' is missing or not a string
  herd-aggregate: 10 of 11 lines rejected (use --rejects FILE to keep them)
  {"kind":"agg","entity":"GME","window":"1h","start":"2021-01-27T14:00:00Z","posts":1,"authors":0,"sources":{"x":1},"sentiment":null,"engagement":0}
  [1]

Empty input gives nothing; usage errors exit 2; a full disk exits 1.

  $ herd-aggregate < /dev/null
  $ herd-aggregate --window 1h,fortnight p.ndjson
  herd-aggregate: --window: 'fortnight' is not a duration (like 90s, 15m, 1h, 7d)
  Try 'herd-aggregate --help' for more information.
  [2]
  $ herd-aggregate --pass some p.ndjson
  herd-aggregate: --pass: 'some' is not other, all or none
  Try 'herd-aggregate --help' for more information.
  [2]
  $ herd-aggregate -q p.ndjson > /dev/full
  herd-aggregate: write error: No space left on device
  [1]

Real data: the 51,121 rows of the Reddit ticker dump (imported by
herd-import, VADER compound copied from the CSV), in three shards merged in
reverse order, equal one pass byte for byte, at 1h and 1d.

  $ [ -d "$SHARED" ] || exit 80
  $ herd-import --source reddit --date-from-filename --community-from-filename '^[0-9-]+_([a-z]+)_' --map text=comment,entities=ticker,vader.compound=compound $SHARED/reddit-ticker-comments-2021-01/daily_data/*.csv > posts.ndjson
  $ herd-aggregate --window 1h,1d posts.ndjson > one.ndjson
  $ split -n l/3 posts.ndjson shard_
  $ for s in shard_a?; do herd-aggregate --partial --window 1h,1d $s > $s.part; done
  $ cat shard_ac.part shard_ab.part shard_aa.part | herd-aggregate --merge | cmp - one.ndjson && echo same
  same
  $ wc -l < one.ndjson
  8640

Real posts with authors, engagement and times: a Pushshift dump of WSB
submissions whose chunks are out of order and that repeats 200 of them
(lines 201-400 are lines 1-200 again). With the default lateness some
posts — the repeated chunk — are late and rejected; aggregated on their
own and merged with the main run's partials they give exactly the
--lateness all result, the merge counting each id once; shards merge to
one pass here too.

  $ command -v herd-normalize >/dev/null || exit 80
  $ herd-normalize --source reddit $SHARED/wsb-early2021-esbenkc/wallstreetbets.ndjson > wsb.ndjson
  $ (herd-score -q --model vader wsb.ndjson 2>/dev/null || cat wsb.ndjson) > wsbs.ndjson
  $ herd-aggregate -q --window 1h,1d --partial --rejects late.rej wsbs.ndjson > main.part 2>/dev/null
  [1]
  $ [ -s late.rej ] && echo some posts were late
  some posts were late
  $ herd-aggregate -q --partial --lateness all --window 1h,1d late.rej > late.part
  $ herd-aggregate -q --window 1h,1d --lateness all wsbs.ndjson > all.ndjson
  $ cat late.part main.part | herd-aggregate -q --merge | cmp - all.ndjson && echo same
  same
  $ split -n l/4 wsbs.ndjson w_
  $ for s in w_a?; do herd-aggregate -q --partial --lateness all --window 1h,1d $s > $s.part; done
  $ cat w_ad.part w_ab.part w_ac.part w_aa.part | herd-aggregate -q --merge | cmp - all.ndjson && echo same
  same
  $ grep -c '"authors":[1-9]' all.ndjson | grep -vx 0 > /dev/null && echo authors counted
  authors counted

The WSB comments dump repeats 200 comments verbatim (lines 201-400 are
lines 1-200 again; 50 of them name an entity). One pass counts each id
once: the same bytes as one pass over the file with the repeats removed.
Round-robin shards put the two copies of a comment in different shards
(line 1 in shard a, line 201 in shard c); merged in any order they give
the same bytes too, every repeat being met in the merge (142 = the 50
repeated comments' (entity, window) pairs).

  $ herd-normalize -q --source reddit $SHARED/wsb-early2021-esbenkc/wallstreetbets_comments.ndjson > c.ndjson
  $ awk -F'"' '!seen[$8]++' c.ndjson > c1.ndjson
  $ wc -l < c.ndjson; wc -l < c1.ndjson
  1200
  1000
  $ herd-aggregate --window 1h,1d c.ndjson > c.agg
  herd-aggregate: 949 posts without entities skipped
  herd-aggregate: 50 repeated posts: their id was counted already (once per entity and window)
  $ herd-aggregate -q --window 1h,1d c1.ndjson | cmp - c.agg && echo same
  same
  $ split -n r/3 c.ndjson c_
  $ for s in c_a?; do herd-aggregate -q --partial --lateness all --window 1h,1d $s > $s.part; done
  $ cat c_ac.part c_ab.part c_aa.part | herd-aggregate --merge | cmp - c.agg && echo same
  herd-aggregate: 142 repeats skipped: post ids another partial had counted in the same window (one per entity and window)
  same
