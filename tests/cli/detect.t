herd-detect: cascades, news-driven signals and heat, with their memory in
the --state file (issue 6). The methods are in docs/detection.md.

  $ herd-detect --help | head -2
  Usage: herd-detect [OPTIONS] [FILE...]
  Detect cascades, news-driven signals and heat in aggregates, metrics and news.
  $ herd-detect --version
  herd-detect [0-9]+\.[0-9]+\.[0-9]+ (re)
  $ herd-detect --only cascade,nothing < /dev/null
  herd-detect: --only: 'nothing' is not cascade, signal or heat
  Try 'herd-detect --help' for more information.
  [2]
  $ herd-detect --log-format xml < /dev/null
  herd-detect: --log-format: 'xml' is not text or json
  Try 'herd-detect --help' for more information.
  [2]

Empty input, fresh state: nothing to say, and the state file exists.

  $ herd-detect --state s.db < /dev/null
  $ sqlite3 s.db "SELECT name FROM sqlite_master WHERE name LIKE 'detect_%' ORDER BY name"
  detect_cascade_entity
  detect_cascade_source
  detect_cascade_window
  detect_discovered
  detect_events
  detect_heat_pending
  detect_heat_series
  detect_meta
  detect_signal_bars
  detect_signal_history
  detect_signal_news

Without --state the file is $HERD_HOME/state.db.

  $ mkdir home && HERD_HOME=$PWD/home herd-detect < /dev/null && ls home
  state.db

== Cascades

Daily aggregates over eleven days: five steady entities (20 posts a day in
forum/a, 10 in forum/b) and ZZZ, about 10 a day until forum/a alone jumps
to 60 on the 6th, then forum/b and news/wire follow on the 7th (260), it
grows to 460 on the 8th, drops to 300 on the 9th, 85 on the 10th. NEW
appears on the 9th with 160 a day, more than any other entity.

  $ agg() { # ENTITY DAY SOURCE=N...
  >   local e=$1 d=$2 total=0 src="" sep=""
  >   shift 2
  >   for kv in "$@"; do total=$((total + ${kv#*=})); src="$src$sep\"${kv%=*}\":${kv#*=}"; sep=,; done
  >   printf '{"kind":"agg","entity":"%s","window":"1d","start":"2021-03-%02dT00:00:00Z","posts":%d,"authors":%d,"sources":{%s},"sentiment":{"n":%d,"mean":0.3,"weighted":0.3,"bull":%d,"bear":%d},"engagement":0}\n' \
  >     "$e" "$d" $total $total "$src" $total $((total * 6 / 10)) $((total / 10))
  > }
  $ zzz=(- "a=5 b=3" "a=5 b=5" "a=4 b=5" "a=6 b=5" "a=5 b=5" "a=60 b=6" "a=150 b=90 news=20"
  >   "a=250 b=150 news=60" "a=170 b=110 news=20" "a=50 b=30 news=5" "a=20 b=10")
  $ for d in $(seq 1 11); do
  >   for e in AAA BBB CCC DDD EEE; do agg $e $d a=20 b=10; done
  >   agg ZZZ $d ${zzz[$d]}
  >   [ $d -lt 9 ] || agg NEW $d a=100 b=60
  > done | sed 's/"a"/"forum\/a"/; s/"b"/"forum\/b"/; s/"news"/"news\/wire"/' > aggs.ndjson
  $ wc -l < aggs.ndjson
  69

ZZZ starts on the 7th, not the 6th: on the 6th its count is already 7.6x
its expected and past the one-window threshold, but only forum/a is active
(one source is not a herd, once the data has two). The start names
forum/a as the leader (active since the 6th, the onset of the CUSUM's
run) and the others a day behind; growth on the 8th (53x >= 1.5 x the
start's 30x), peak on the 9th (35x <= 0.8 x 53x), fade on the 11th (the
second window in a row under 0.5 x the peak's ratio). NEW appears on the
9th: it was absent from 8 windows the detector saw, which count as zeros,
so 160 posts is far past anything it expects.

  $ herd-detect --state c.db --window 1d --only cascade aggs.ndjson > ev.ndjson
  $ jq -c '[.at[5:10], .key, .score, .severity, .evidence.leader, [.evidence.sources[] | .source + "@" + .at[5:10] + "+" + .lag]]' ev.ndjson
  ["03-07","cascade:ZZZ:1d:2021-03-07T00:00:00Z:start",3.74,"critical","forum/a",["forum/a@03-06+0s","forum/b@03-07+1d","news/wire@03-07+1d"]]
  ["03-08","cascade:ZZZ:1d:2021-03-07T00:00:00Z:growth",4.57,"critical","forum/a",["forum/a@03-06+0s","forum/b@03-07+1d","news/wire@03-07+1d"]]
  ["03-09","cascade:NEW:1d:2021-03-09T00:00:00Z:start",8.89,"critical","forum/a",["forum/a@03-09+0s","forum/b@03-09+0s"]]
  ["03-09","cascade:ZZZ:1d:2021-03-07T00:00:00Z:peak",3.95,"warn","forum/a",["forum/a@03-06+0s","forum/b@03-07+1d","news/wire@03-07+1d"]]
  ["03-11","cascade:ZZZ:1d:2021-03-07T00:00:00Z:fade",0.56,"info","forum/a",["forum/a@03-06+0s","forum/b@03-07+1d","news/wire@03-07+1d"]]

The score is log2 of the rate ratio the counts make 95% certain (3.74:
at worst 13x the usual 8.7 a day; the ratio itself is 30x); the evidence
is -log10 p of the count under the entity's negative binomial; the
CUSUM passed its threshold (7.7 >= 7.3 nats, for --false-alarms 0.5/y on
daily windows); the shape says the evidence built over a window first.

  $ head -1 ev.ndjson
  {"kind":"event","type":"cascade","entity":"ZZZ","at":"2021-03-07T00:00:00Z","key":"cascade:ZZZ:1d:2021-03-07T00:00:00Z:start","score":3.74,"severity":"critical","evidence":{"phase":"start","window":"1d","episode":"2021-03-07T00:00:00Z","rate":260,"baseline":8.7,"ratio":29.96,"evidence":7.2,"cusum":7.7,"threshold":7.3,"evidence_threshold":3.16,"market":1.0,"dispersion":1.585,"share":0.6341,"authors":260,"authors_usual":9.7,"author_growth":26.82,"new_authors":0.963,"active":3,"leader":"forum/a","sources":[{"source":"forum/a","at":"2021-03-06T00:00:00Z","lag":"0s","posts":60,"share":0.375},{"source":"forum/b","at":"2021-03-07T00:00:00Z","lag":"1d","posts":90,"share":0.6429},{"source":"news/wire","at":"2021-03-07T00:00:00Z","lag":"1d","posts":20,"share":1.0}],"sentiment":{"n":260,"bull":156,"bear":26,"mean":0.3,"align":0.714,"direction":"bull"},"shape":{"onset":"2021-03-06T00:00:00Z","growth_windows":1,"build_windows":1,"kind":"building"}}}

Every phase is written once per episode, with a key made from the
episode's first window; the phases follow the ratio to the expected count
(a weekend dip is not a fade); the shape says what kind of episode it is.

  $ jq -c 'select(.entity == "ZZZ") | [.evidence.phase, .evidence.rate, .evidence.ratio, .evidence.peak_ratio, .evidence.shape.kind, .evidence.sentiment.direction]' ev.ndjson
  ["start",260,29.96,null,"building","bull"]
  ["growth",460,53,53,"herd","bull"]
  ["peak",300,34.57,53,"herd","bull"]
  ["fade",30,3.46,53,"herd","bull"]

--explain shows the series and each decision, on stderr; the entity is
matched in any case.

  $ herd-detect --state x.db --window 1d --only cascade --explain zzz aggs.ndjson 2>&1 >/dev/null | sed -n '5,9p'
  herd-detect: explain ZZZ: cascade 2021-03-05T00:00:00Z posts 10 expected 8.2 (x1.21; market 1.00, dispersion 0.707) evidence 0.5/3.2 score -0.85 cusum 0.0/7.3 active 0 | forum/a=5 forum/b=5 | idle: cusum 0.0 < 7.3 and evidence 0.5 < 3.2
  herd-detect: explain ZZZ: cascade 2021-03-06T00:00:00Z posts 66 expected 8.7 (x7.60; market 1.00, dispersion 0.630) evidence 4.1/3.2 score 2.11 cusum 4.3/7.3 active 1 | forum/a=60* forum/b=6 | idle: active sources 1 < 2
  herd-detect: explain ZZZ: cascade 2021-03-07T00:00:00Z posts 260 expected 17.8 (x14.60; market 1.00, dispersion 1.930) evidence 3.9/3.2 score 2.77 cusum 7.7/7.3 active 3 | forum/a=150* forum/b=90* news/wire=20(young)* | START
  herd-detect: explain ZZZ:     -> cascade start (key cascade:ZZZ:1d:2021-03-07T00:00:00Z:start)
  herd-detect: explain ZZZ: cascade 2021-03-08T00:00:00Z posts 460 expected 8.7 (x53.00; market 1.00, dispersion 1.995) evidence 12.2/3.2 score 4.57 cusum 0.0/7.3 active 3 | forum/a=250* forum/b=150* news/wire=60(young)* | episode of 2021-03-07T00:00:00Z: max x53.0, continues

An entity the data does not have is said so, not explained silently.

  $ herd-detect --state x2.db --window 1d --only cascade --explain ZZZZ aggs.ndjson > /dev/null
  herd-detect: --explain ZZZZ: no record of ZZZZ in the data or the state (7 entities seen)

The same input again, with the same state: the windows were processed
already, nothing new is written, and the late records are counted.

  $ herd-detect --state c.db --window 1d --only cascade aggs.ndjson
  herd-detect: 69 records were at or before what an earlier run processed (late), skipped

Cut into one file per day and run one after the other on a fresh state,
the events are the same, byte for byte.

  $ mkdir days && for d in $(seq -w 1 11); do grep "2021-03-${d}T" aggs.ndjson > days/$d.ndjson; done
  $ for f in days/*.ndjson; do herd-detect -q --state split.db --window 1d --only cascade $f; done > split.ndjson
  $ cmp split.ndjson ev.ndjson && echo same
  same

The thresholds move the decisions: with --min-sources 1 ZZZ starts on the
6th; at --false-alarms 1e-6/y only NEW (160 posts from nothing) is left;
--z, the older spelling, is taken as the same tail per window.

  $ herd-detect --state m1.db --window 1d --only cascade --min-sources 1 aggs.ndjson | jq -r 'select(.evidence.phase == "start") | .key'
  cascade:ZZZ:1d:2021-03-06T00:00:00Z:start
  cascade:NEW:1d:2021-03-09T00:00:00Z:start
  $ herd-detect --state m2.db --window 1d --only cascade --false-alarms 1e-6/y aggs.ndjson | jq -r 'select(.evidence.phase == "start") | .key'
  cascade:NEW:1d:2021-03-09T00:00:00Z:start
  $ herd-detect --state m3.db --window 1d --only cascade --z 8 aggs.ndjson | jq -r 'select(.evidence.phase == "start") | .key'
  cascade:NEW:1d:2021-03-09T00:00:00Z:start
  $ herd-detect --false-alarms often < /dev/null
  herd-detect: --false-alarms: 'often' is not a rate like 1/y, 0.5/y or 2/mo
  Try 'herd-detect --help' for more information.
  [2]

--exclude drops entities whose name is only a word in this data (the stop
list format: first field, # comments); a missing file is a usage error.

  $ printf '# words\nZZZ\tnever\n' > words.txt
  $ herd-detect --state ex.db --window 1d --only cascade --exclude words.txt aggs.ndjson | jq -r .key
  cascade:NEW:1d:2021-03-09T00:00:00Z:start
  $ herd-detect --state ex.db --exclude nosuch.txt < /dev/null
  herd-detect: --exclude: nosuch.txt: No such file or directory
  [2]

The options of the robust-log cascades that the count model has no use
for stop with what replaced them.

  $ herd-detect --model negbin < /dev/null
  herd-detect: --model was retired with the count model (issue 19): cascades have one count model now (negative binomial, docs/detection.md)
  Try 'herd-detect --help' for more information.
  [2]
  $ herd-detect --z-end 1 < /dev/null
  herd-detect: --z-end was retired with the count model (issue 19): an episode fades at --fade x its peak ratio, or at its expected count
  Try 'herd-detect --help' for more information.
  [2]

A news spike and a herd. Sixty days of one forum: three entities, a
steady name BLD and SPK, around 30 posts a day with a social count's
noise. SPK jumps to 300 for one day and is back the next (a news spike:
all at once, gone as fast). One source in the data: stderr says which
rule applies.

  $ noise=(0 12 -8 4 -12 8 -4 14 -10 2 -6 10 -14 6 -2)
  $ for d in $(seq 1 60); do
  >   t=$(date -u -d "2021-04-01 +$((d-1)) days" +%Y-%m-%dT00:00:00Z)
  >   for e in AAA BBB CCC; do n=$((30 + ${noise[$(( (d + ${#e} * 3) % 15 ))]})); printf '{"kind":"agg","entity":"%s","window":"1d","start":"%s","posts":%d,"authors":%d,"sources":{"forum/a":%d}}\n' $e $t $n $n $n; done
  >   k=$((30 + ${noise[$(( (d + 7) % 15 ))]})); [ $d -eq 56 ] && k=300; [ $d -eq 57 ] && k=60
  >   printf '{"kind":"agg","entity":"SPK","window":"1d","start":"%s","posts":%d,"authors":%d,"sources":{"forum/a":%d}}\n' $t $k $k $k
  > done > shape.ndjson
  $ herd-detect --state sh.db --window 1d --only cascade shape.ndjson | jq -c '[.entity, .at[5:10], .evidence.phase, .evidence.rate, .evidence.ratio, .evidence.shape.kind]'
  herd-detect: one source in the data (forum/a): a cascade starts on the entity's own counts (--min-sources 1); with two sources or more it needs 2 active
  ["SPK","05-26","start",300,9.98,"sudden"]
  ["SPK","05-27","peak",60,2,"news spike"]
  ["SPK","05-28","fade",38,1.26,"news spike"]
  $ herd-detect -q --state sh2.db --window 1d --only cascade --min-sources 2 shape.ndjson
  herd-detect: --min-sources 2, but the data has had 1 source: no cascade can start

Aggregates of another window length are not read (one --state per window);
a second agg for the same entity and window is rejected (shards must be
merged first); "mentions" metrics add to the window they fall in.

  $ sed 's/"window":"1d"/"window":"1h"/' aggs.ndjson | herd-detect --state w.db --window 1d --only cascade | wc -l
  herd-detect: 69 agg records of window 1h ignored: --window is 1d
  0

A state file serves one window length: another is refused, saying so.

  $ herd-detect --state c.db --window 1h --only cascade < /dev/null
  herd-detect: c.db: this state file holds --window 1d; --window 1h needs a state file of its own (one --state per window length)
  [2]
  $ head -1 aggs.ndjson > dup.ndjson; head -1 aggs.ndjson >> dup.ndjson
  $ herd-detect --state dup.db --window 1d dup.ndjson
  herd-detect: dup.ndjson:2: a second agg for AAA, window starting 2021-03-01T00:00:00Z (merge shards first)
  herd-detect: 1 of 2 lines rejected (use --rejects FILE to keep them)
  [1]

The same windows given as "mentions" metrics (herd-import --kind metric),
one per source: ZZZ's episode is found the same (without sentiment, which
metrics do not carry).

  $ grep -v ZZZ aggs.ndjson > m.ndjson
  $ grep ZZZ aggs.ndjson | jq -c '.start as $t | .sources | to_entries[] | {kind: "metric", source: (.key | split("/")[0]), entity: "ZZZ", at: $t, name: "mentions", value: .value, interval: "1d", community: (.key | split("/")[1])}' >> m.ndjson
  $ grep -c mentions m.ndjson
  26
  $ herd-detect --state m.db --window 1d --only cascade m.ndjson | jq -r 'select(.entity == "ZZZ") | [.key, .score, .evidence.leader, .evidence.sentiment // "no sentiment"] | @tsv'
  cascade:ZZZ:1d:2021-03-07T00:00:00Z:start	3.74	forum/a	no sentiment
  cascade:ZZZ:1d:2021-03-07T00:00:00Z:growth	4.57	forum/a	no sentiment
  cascade:ZZZ:1d:2021-03-07T00:00:00Z:peak	3.95	forum/a	no sentiment
  cascade:ZZZ:1d:2021-03-07T00:00:00Z:fade	0.56	forum/a	no sentiment

--pass WHAT says which input records go to stdout, as in herd-aggregate:
other (the default) the kinds herd-detect does not read, all every record
read too, before the events (for a loader downstream), none only the
events. The old switch spelling is refused with the choices, not taken as
a file name.

  $ { head -2 aggs.ndjson; echo '{"kind":"note","text":"kept"}'; } | herd-detect --state pass.db -w 1d --pass all | cut -c1-60
  {"kind":"agg","entity":"AAA","window":"1d","start":"2021-03-
  {"kind":"agg","entity":"BBB","window":"1d","start":"2021-03-
  {"kind":"note","text":"kept"}
  $ echo '{"kind":"note","text":"kept"}' | herd-detect --state pass2.db
  {"kind":"note","text":"kept"}
  $ echo '{"kind":"note","text":"kept"}' | herd-detect --state pass2.db --pass other
  {"kind":"note","text":"kept"}
  $ { head -2 aggs.ndjson; echo '{"kind":"note","text":"kept"}'; } | herd-detect --state pass3.db -w 1d --pass none | wc -l
  0
  $ herd-detect --state pass4.db --window 1d --pass aggs.ndjson
  herd-detect: --pass: 'aggs.ndjson' is not other, all or none
  Try 'herd-detect --help' for more information.
  [2]

== Bad input

Bad lines are reported with their place, kept with --rejects, and the rest
goes on; records of other kinds pass through unchanged.

  $ cat > bad.ndjson <<'EOF'
  > {"kind":"agg","entity":"GME","window":"1d","start":"2021-03-01T00:00:00Z","posts":"many"}
  > {"kind":"agg","entity":"GME","window":"soon","start":"2021-03-01T00:00:00Z","posts":3}
  > {"kind":"metric","source":"yahoo","entity":"GME","at":"yesterday","name":"bar","value":10}
  > {"kind":"post","id":"n1","type":"article","created_at":"2021-03-01T00:00:00Z","entities":["GME"],"sentiment":{"score":3,"confidence":0.9}}
  > not json
  > {"kind":"raw","source":"reddit","fetched_at":"2021-03-01T00:00:00Z","query":null,"item":{}}
  > {"entity":"GME"}
  > EOF
  $ herd-detect --state bad.db --rejects rej.ndjson bad.ndjson
  herd-detect: bad.ndjson:1: field 'posts' is string, not a count
  herd-detect: bad.ndjson:2: field 'window' is 'soon', not a duration
  herd-detect: bad.ndjson:3: field 'at' is 'yesterday', not a time
  herd-detect: bad.ndjson:4: sentiment score 3 or confidence 0.9 out of range
  herd-detect: bad.ndjson:5: invalid JSON at column 3: '[' or '{' expected near 'not'
  herd-detect: bad.ndjson:7: record has no 'kind'
  herd-detect: 6 of 7 lines rejected (kept in rej.ndjson)
  {"kind":"raw","source":"reddit","fetched_at":"2021-03-01T00:00:00Z","query":null,"item":{}}
  [1]
  $ wc -l < rej.ndjson
  6

== Signals

A news item is a post of type article with a sentiment (herd-score).
Price bars are metric records named bar.

  $ news() { # ID TIME ENTITY SCORE CONFIDENCE
  >   printf '{"kind":"post","id":"newsapi:%s","source":"newsapi","type":"article","community":"wire","created_at":"%s","author":null,"title":"t","text":"","url":null,"engagement":{"score":0,"replies":0},"entities":["%s"],"parent":null,"lang":"en","sentiment":{"model":"finbert@0","label":"x","probs":{},"score":%s,"confidence":%s}}\n' "$@"
  > }
  $ bar() { # ENTITY DAY CLOSE VOLUME
  >   printf '{"kind":"metric","source":"yahoo","entity":"%s","at":"2021-04-%02dT00:00:00Z","name":"bar","value":%s,"interval":"1d","close":%s,"volume":%s}\n' "$1" "$2" "$3" "$3" "$4"
  > }

Confidence, score, direction: CONF's item is below --min-confidence 0.6
and is not used; WEAK's 0.4 gives 0.6 x 0.4 = 0.24 < --min-score 0.3;
STRONG's 0.9 gives 0.54, a BUY; BEAR's -0.8 gives -0.48, a SELL.

  $ { news c1 2021-04-20T10:00:00Z CONF 0.9 0.5
  >   news w1 2021-04-20T10:00:00Z WEAK 0.4 0.9
  >   news s1 2021-04-20T10:00:00Z STRONG 0.9 0.9
  >   news b1 2021-04-20T10:00:00Z BEAR -0.8 0.8; } > rules.ndjson
  $ herd-detect --state sig.db --only signal rules.ndjson | jq -c '[.entity, .key, .score, .severity, .evidence.direction, .evidence.confidence, .evidence.news.n]'
  ["BEAR","signal:BEAR:SELL:2021-04-20T10:00:00Z",0.48,"warn","SELL",0.8,1]
  ["STRONG","signal:STRONG:BUY:2021-04-20T10:00:00Z",0.54,"warn","BUY",0.9,1]

Lookback: each entity's first item (-0.9 at 00:00) is a SELL by itself.
At 07:00 it is 7 hours old, out of the 6h window, so LOOK's 07:00 item
alone makes a BUY; at 05:00 (LOOK2) both count and cancel out; exactly 6
hours old (LOOK3) is out. With --lookback 8h, none of the BUYs remains.

  $ { news l1 2021-04-20T00:00:00Z LOOK -0.9 0.9;  news l2 2021-04-20T07:00:00Z LOOK 0.9 0.9
  >   news m1 2021-04-20T00:00:00Z LOOK2 -0.9 0.9; news m2 2021-04-20T05:00:00Z LOOK2 0.9 0.9
  >   news n1 2021-04-20T00:00:00Z LOOK3 -0.9 0.9; news n2 2021-04-20T06:00:00Z LOOK3 0.9 0.9; } > look.ndjson
  $ herd-detect --state look.db --only signal look.ndjson | jq -r '.key'
  signal:LOOK:SELL:2021-04-20T00:00:00Z
  signal:LOOK2:SELL:2021-04-20T00:00:00Z
  signal:LOOK3:SELL:2021-04-20T00:00:00Z
  signal:LOOK3:BUY:2021-04-20T06:00:00Z
  signal:LOOK:BUY:2021-04-20T07:00:00Z
  $ herd-detect --state look2.db --only signal --lookback 8h look.ndjson | jq -r '.key'
  signal:LOOK:SELL:2021-04-20T00:00:00Z
  signal:LOOK2:SELL:2021-04-20T00:00:00Z
  signal:LOOK3:SELL:2021-04-20T00:00:00Z

Expiry: a BUY on the 1st is not repeated on the 3rd (within 7d), but is on
the 9th; a SELL in between is another direction. --explain says why.

  $ { news r1 2021-04-01T12:00:00Z REP 0.9 0.9; news r2 2021-04-03T12:00:00Z REP 0.9 0.9
  >   news r3 2021-04-05T12:00:00Z REP -0.9 0.9; news r4 2021-04-09T12:00:00Z REP 0.9 0.9; } > rep.ndjson
  $ herd-detect --state rep.db --only signal --explain REP rep.ndjson 2>err | jq -r '.key'
  signal:REP:BUY:2021-04-01T12:00:00Z
  signal:REP:SELL:2021-04-05T12:00:00Z
  signal:REP:BUY:2021-04-09T12:00:00Z
  $ cat err
  herd-detect: explain REP: signal 2021-04-01T12:00:00Z: news 0.900 (1 items) momentum 0.000 rsi 0.0 volume x1.00 -> score 0.540 -> BUY
  herd-detect: explain REP: signal 2021-04-03T12:00:00Z: score 0.540 BUY, but a BUY was written at 2021-04-01T12:00:00Z (within --expiry): none
  herd-detect: explain REP: signal 2021-04-05T12:00:00Z: news -0.900 (1 items) momentum 0.000 rsi 0.0 volume x1.00 -> score -0.540 -> SELL
  herd-detect: explain REP: signal 2021-04-09T12:00:00Z: news 0.900 (1 items) momentum 0.000 rsi 0.0 volume x1.00 -> score 0.540 -> BUY
  $ herd-detect --state rep2.db --only signal --expiry 1d rep.ndjson | jq -r '.key'
  signal:REP:BUY:2021-04-01T12:00:00Z
  signal:REP:BUY:2021-04-03T12:00:00Z
  signal:REP:SELL:2021-04-05T12:00:00Z
  signal:REP:BUY:2021-04-09T12:00:00Z

The same history across runs: the first two items in one batch, the rest
in the next, give the same signals; rerunning a batch writes nothing.

  $ head -2 rep.ndjson | herd-detect --state rep3.db --only signal | jq -r .key
  signal:REP:BUY:2021-04-01T12:00:00Z
  $ tail -2 rep.ndjson | herd-detect --state rep3.db --only signal | jq -r .key
  signal:REP:SELL:2021-04-05T12:00:00Z
  signal:REP:BUY:2021-04-09T12:00:00Z
  $ tail -2 rep.ndjson | herd-detect --state rep3.db --only signal
  herd-detect: 2 records were at or before what an earlier run processed (late), skipped

Price context: twenty daily bars rising with pull-backs, volume doubling on
the last one. WEAK news (0.4, alone 0.24) now passes with momentum; the
bar of the news's own day is not complete and is not used (20 bars, not
21); a falling market turns the same news into nothing.

  $ for d in $(seq 1 21); do bar MOM $d $((100 + d * 3 - (d % 3) * 4)) $([ $d -eq 20 ] && echo 2000 || echo 1000); done > up.ndjson
  $ for d in $(seq 1 21); do bar DOWN $d $((200 - d * 4)) 1000; done > down.ndjson
  $ { cat up.ndjson down.ndjson; news p1 2021-04-21T10:00:00Z MOM 0.4 0.9; news p2 2021-04-21T10:00:00Z DOWN 0.4 0.9; } > price.ndjson
  $ herd-detect --state price.db --only signal price.ndjson | jq -c '[.key, .score, .evidence.bars, .evidence.momentum, .evidence.rsi, .evidence.volume_ratio]'
  ["signal:MOM:BUY:2021-04-21T10:00:00Z",0.36,20,0.0483,83,2]
  $ herd-detect --state price2.db --only signal --explain DOWN price.ndjson 2>&1 >/dev/null
  herd-detect: explain DOWN: signal 2021-04-21T10:00:00Z: news 0.400 (1 items) momentum -0.891 rsi 0.0 volume x1.00 -> score 0.167: |score| < 0.3, none

== Heat

Two forum streams and a pageviews metric for HOT, steady for five days,
then all three jump on the 6th; COOL stays steady. The 6th gives a heat
event and HOT's first ever discovery; a second jump on the 9th gives heat
but no second discovery. Days are processed once closed (the next day's
data has arrived, or --now has passed their end).

  $ hot=(- 20 22 19 21 20 200 260 240 900 800)
  $ for d in $(seq 1 10); do
  >   agg HOT $d a=${hot[$d]} b=$((hot[$d] / 2))
  >   agg COOL $d a=30 b=15
  >   printf '{"kind":"metric","source":"wikipedia","entity":"HOT","at":"2021-03-%02dT00:00:00Z","name":"pageviews","value":%d,"interval":"1d"}\n' $d $((hot[$d] * 50))
  > done | sed 's/"a"/"forum\/a"/; s/"b"/"forum\/b"/' > heat.ndjson
  $ herd-detect --state h.db --window 1d --only heat heat.ndjson | jq -c '[.type, .key, .score, .severity, .evidence.streams, .evidence.rising]'
  ["discovery","discovery:HOT",17.09,"warn",3,null]
  ["heat","heat:HOT:2021-03-06T00:00:00Z",17.09,"critical",3,3]
  ["heat","heat:HOT:2021-03-09T00:00:00Z",6.24,"critical",3,3]
  $ herd-detect --state h2.db --window 1d --only heat --explain HOT heat.ndjson 2>&1 >/dev/null | head -7
  herd-detect: explain HOT: heat 2021-03-02: 0.79 over 3 streams (3 rising) | forum/a 20->22 h 0.26 forum/b 10->11 h 0.16 wikipedia/pageviews 1000->1100 h 0.95 | no
  herd-detect: explain HOT: heat 2021-03-03: -2.28 over 3 streams (0 rising) | forum/a 22->19 h -0.72 forum/b 11->9 h -0.57 wikipedia/pageviews 1100->950 h -2.66 | no
  herd-detect: explain HOT: heat 2021-03-04: 1.43 over 3 streams (3 rising) | forum/a 19->21 h 0.59 forum/b 9->10 h 0.41 wikipedia/pageviews 950->1050 h 1.47 | no
  herd-detect: explain HOT: heat 2021-03-05: -0.70 over 3 streams (0 rising) | forum/a 21->20 h -0.33 forum/b 10->10 h -0.08 wikipedia/pageviews 1050->1000 h -0.80 | no
  herd-detect: explain HOT: heat 2021-03-06: 17.09 over 3 streams (3 rising) | forum/a 20->200 h 10.00 forum/b 10->100 h 9.60 wikipedia/pageviews 1000->10000 h 10.00 | HEAT
  herd-detect: explain HOT:     -> discovery (first time over 3)
  herd-detect: explain HOT: heat 2021-03-07: -1.88 over 3 streams (0 rising) | forum/a 200->260 h -1.09 forum/b 100->130 h -1.06 wikipedia/pageviews 10000->13000 h -1.10 | no
  $ herd-detect --state h3.db --window 1d --only heat --heat-all heat.ndjson | jq -r 'select(.entity == "COOL") | [.key, .score, .severity] | @tsv' | head -3
  heat:COOL:2021-03-02T00:00:00Z	0	info
  heat:COOL:2021-03-03T00:00:00Z	0	info
  heat:COOL:2021-03-04T00:00:00Z	0	info

With --now at the 6th's end, the 7th..10th are not read (after now).

  $ herd-detect --state h4.db --window 1d --only heat --now 2021-03-07T00:00:00Z heat.ndjson | jq -r .key
  discovery:HOT
  heat:HOT:2021-03-06T00:00:00Z

== Hourly batches

Three days of hourly aggregates for four entities, with a burst of GGG in
the second afternoon, cut into 72 hourly files and run one after the
other: cascades, heat and signals give exactly the events one run gives
(a day's heat comes out when the day has closed, so in batches it comes
after the next day's first cascade events: same lines, another order).

  $ mkdir hours && for h in $(seq 0 71); do
  >   t=$(date -u -d "2021-05-01 +$h hours" +%Y-%m-%dT%H:00:00Z)
  >   { for e in AAA BBB CCC; do n=$((10 + h % 5)); printf '{"kind":"agg","entity":"%s","window":"1h","start":"%s","posts":%d,"sources":{"forum/a":%d,"forum/b":%d}}\n' $e $t $((n + 5)) $n 5; done
  >     g=$(( h >= 38 && h <= 44 ? 80 + (h - 38) * 40 : 8 ))
  >     printf '{"kind":"agg","entity":"GGG","window":"1h","start":"%s","posts":%d,"sources":{"forum/a":%d,"forum/b":%d}}\n' $t $((g + g / 2)) $g $((g / 2))
  >     [ $((h % 6)) -ne 3 ] || news h$h $(date -u -d "2021-05-01 +$h hours 20 minutes" +%Y-%m-%dT%H:%M:00Z) GGG 0.$((5 + h % 5)) 0.8
  >   } > hours/$(printf %02d $h).ndjson
  > done
  $ cat hours/*.ndjson > hourly.ndjson
  $ herd-detect --state one.db --min-history 12h > one.ndjson < hourly.ndjson
  $ jq -r '.type' one.ndjson | sort | uniq -c
        4 cascade
        1 discovery
        1 heat
        1 signal
  $ for f in hours/*.ndjson; do herd-detect -q --state many.db --min-history 12h $f; done > many.ndjson
  $ sort one.ndjson | cmp - <(sort many.ndjson) && echo same
  same
  $ herd-detect --state many.db --min-history 12h hourly.ndjson | wc -l
  herd-detect: 300 records were at or before what an earlier run processed (late), skipped
  0

Writing to a full disk fails, and the state does not move on: the same
events come out of the next run.

  $ herd-detect --state full.db --window 1d --only cascade aggs.ndjson > /dev/full
  herd-detect: write error: No space left on device
  herd-detect: full.db: not updated (input or output failed); rerun the batch
  [1]
  $ herd-detect --state full.db --window 1d --only cascade aggs.ndjson | cmp - ev.ndjson && echo same
  same

== One state file for every program

The --state file is herd's one state file (DESIGN.md §1): herd-detect opens
it through the store, as herd-fetch and herd-alert do, so whichever program
creates it, the others take it (the fetch tables are there too).

  $ herd-detect --state shared.db --window 1d --only cascade aggs.ndjson > ev.ndjson
  $ sqlite3 shared.db "SELECT count(*) > 0 FROM schema_version" "SELECT count(*) FROM fetch_budget"
  1
  0
  $ HERD_WEBHOOK_URL=http://127.0.0.1:9/hook herd-alert --state shared.db --to webhook --dry-run ev.ndjson | wc -l
  herd-alert: dry run: 4 delivered, 0 already sent, 0 held back by --rate-limit, 1 filtered, 0 pending, 0 skipped; would send webhook 4
  4
  $ herd-detect --state shared.db --window 1d --only cascade aggs.ndjson | wc -l
  herd-detect: 69 records were at or before what an earlier run processed (late), skipped
  0

The detector's tables are the store's migrations 4 and 6 (src/store/schema.c),
one mechanism for every table of the file. A file made before that, when
herd-detect created its tables itself and kept a "schema" row in
detect_meta (and herd-alert its own, and no alert_pending yet), is taken
over as it is: the migrations are recorded, the old row goes, the state
carries on.

  $ sqlite3 shared.db "SELECT version || ' ' || what FROM schema_version WHERE version >= 4" | cut -c1-40
  4 detect: herd-detect's state (detect_me
  5 alert: herd-alert's state (alert_event
  6 detect: cascades on a count model (iss
  7 alert: alert_pending (each event not y
  8 metrics: key (one row per event, for m
  9 forget: forget_list (forgotten authors
  $ sqlite3 shared.db "DELETE FROM schema_version WHERE version >= 4" "DROP TABLE alert_pending" "INSERT INTO detect_meta VALUES ('schema', 1)"
  $ herd-detect --state shared.db --window 1d --only cascade aggs.ndjson | wc -l
  herd-detect: 69 records were at or before what an earlier run processed (late), skipped
  0
  $ sqlite3 shared.db "SELECT max(version) FROM schema_version" "SELECT count(*) FROM detect_meta WHERE key = 'schema'" "SELECT count(*) FROM detect_events"
  9
  0
  5

Metrics that are events carry a key (an options flow alert, an analyst
rating: issue 14): heat adds a day's events up; metrics without one are
levels, and heat takes the day's mean.

  $ for d in 1 2; do for k in 1 2 3; do echo "{\"kind\":\"metric\",\"source\":\"unusualwhales\",\"entity\":\"GME\",\"at\":\"2021-01-0${d}T1${k}:00:00Z\",\"name\":\"flow_call_premium\",\"value\":$((k * 100 * d)),\"key\":\"a$d$k\"}"; echo "{\"kind\":\"metric\",\"source\":\"trends\",\"entity\":\"GME\",\"at\":\"2021-01-0${d}T1${k}:00:00Z\",\"name\":\"interest\",\"value\":$((k * 10 * d))}"; done; done > events.ndjson
  $ herd-detect --state ev.db --only heat --heat-all --heat-min-streams 1 --now 2021-01-04T00:00:00Z events.ndjson | jq -c 'select(.type == "heat") | [.evidence.detail[] | [.stream, .prev, .value]]'
  [["trends/interest",20,40],["unusualwhales/flow_call_premium",600,1200]]
