herd-report: the daily digest and the heatmap from herd's SQLite file
(issue 7, item 2). tests/report/check-render.sh renders both in Chromium.

Help, version and usage errors.

  $ herd-report --help | head -2
  Usage: herd-report [OPTIONS] digest|heatmap
  Daily digest and entity x time heatmap from herd's SQLite file or PostgreSQL.
  $ herd-report --version
  herd-report [0-9]+\.[0-9]+\.[0-9]+ (re)
  $ herd-report
  herd-report: which report: digest or heatmap?
  Try 'herd-report --help' for more information.
  [2]
  $ herd-report digest heatmap
  herd-report: one report at a time: digest or heatmap
  Try 'herd-report --help' for more information.
  [2]
  $ herd-report summary
  herd-report: 'summary' is not a report: digest or heatmap
  Try 'herd-report --help' for more information.
  [2]
  $ herd-report --format md heatmap
  herd-report: --format: heatmap is html or json, not 'md'
  Try 'herd-report --help' for more information.
  [2]
  $ herd-report --window 1x digest
  herd-report: --window: '1x' is not a duration (like 90s, 15m, 1h, 7d)
  Try 'herd-report --help' for more information.
  [2]

The file is opened read only and never created.

  $ herd-report --db nosuch.db digest
  herd-report: nosuch.db: cannot open: unable to open database file
  [1]
  $ ls nosuch.db
  ls: cannot access 'nosuch.db': No such file or directory
  [2]

Eight days of daily aggregates: GME at 10 mentions a day jumps to 100 on
the 27th and turns more bullish; AMC stays at 20 but sours; "A<B" (a name
that needs escaping) appears on the 27th with no scores.

  $ for d in 20 21 22 23 24 25 26 27; do
  >   if [ $d = 27 ]; then g=100 gs=0.3 as=-0.2; else g=10 gs=0.1 as=0.2; fi
  >   printf '{"kind":"agg","entity":"GME","window":"1d","start":"2021-01-%sT00:00:00Z","posts":%d,"authors":%d,"sources":{"reddit/wallstreetbets":%d},"sentiment":{"n":%d,"mean":%s,"weighted":%s,"bull":%d,"bear":1},"engagement":5}\n' $d $g $g $g $g $gs $gs $((g / 2))
  >   printf '{"kind":"agg","entity":"AMC","window":"1d","start":"2021-01-%sT00:00:00Z","posts":20,"authors":20,"sources":{"x":20},"sentiment":{"n":20,"mean":%s,"weighted":%s,"bull":3,"bear":4},"engagement":5}\n' $d $as $as
  > done > agg.ndjson
  $ echo '{"kind":"agg","entity":"A<B","window":"1d","start":"2021-01-27T00:00:00Z","posts":12,"authors":12,"sources":{"x":12},"sentiment":null,"engagement":0}' >> agg.ndjson
  $ cat > events.ndjson <<'EOF'
  > {"kind":"event","type":"cascade","entity":"GME","at":"2021-01-27T00:00:00Z","key":"cascade:GME:2021-01-27T00:00:00Z:start","score":7.4,"severity":"critical","evidence":{"phase":"start","rate":100,"baseline":10,"z":7.4,"leader":"reddit/wallstreetbets","sources":[{"source":"reddit/wallstreetbets"},{"source":"x"}]}}
  > {"kind":"event","type":"cascade","entity":"AMC","at":"2021-01-27T00:00:00Z","key":"cascade:AMC:2021-01-27T00:00:00Z:fade","score":0.5,"severity":"info","evidence":{"phase":"fade","rate":20,"baseline":20,"leader":"x"}}
  > {"kind":"event","type":"signal","entity":"AMC","at":"2021-01-27T15:00:00Z","key":"signal:AMC:SELL:2021-01-27T15:00:00Z","score":0.45,"severity":"warn","evidence":{"direction":"SELL","confidence":0.8}}
  > {"kind":"event","type":"discovery","entity":"A<B","at":"2021-01-27T00:00:00Z","key":"discovery:A<B","score":4.2,"severity":"warn","evidence":{"heat":4.2,"streams":2}}
  > {"kind":"event","type":"heat","entity":"GME","at":"2021-01-27T00:00:00Z","key":"heat:GME:2021-01-27T00:00:00Z","score":6.1,"severity":"warn","evidence":{"heat":6.1,"streams":3}}
  > {"kind":"event","type":"alert","entity":"GME","at":"2021-01-27T00:00:00Z","key":"alert:cascade:GME:2021-01-27T00:00:00Z:start","score":7.4,"severity":"critical","evidence":{"event":"cascade:GME:2021-01-27T00:00:00Z:start","channels":["slack"]}}
  > {"kind":"event","type":"cascade","entity":"GME","at":"2021-01-26T00:00:00Z","key":"cascade:GME:2021-01-26T00:00:00Z:start","score":2.0,"severity":"warn","evidence":{"phase":"start"}}
  > EOF
  $ herd-load -q --db r.db agg.ndjson events.ndjson

The digest of the latest day, in Markdown (the default). GME's z is
(100 - 10) / sqrt(10 + 1) = 27.1; A<B has no usual level, so it is new;
AMC did not rise in mentions, but its sentiment fell most.

  $ herd-report --db r.db digest
  # herd digest — 2021-01-27
  
  From `r.db`, 1d aggregates; movers are measured against the 7 days before. 132 mentions of 3 entities (120 scored).
  
  ## Top movers by mentions
  
  | entity | mentions | usual/day | change | z | sentiment | bull | bear |
  |---|--:|--:|--:|--:|--:|--:|--:|
  | GME | 100 | 10.0 | ×10.0 | 27.1 | +0.300 | 50 | 1 |
  | A\<B | 12 | 0.0 | new | 12.0 | – | 0 | 0 |
  
  ## Sentiment movers
  
  | entity | sentiment | usual | change | scored |
  |---|--:|--:|--:|--:|
  | AMC | -0.200 | +0.200 | -0.400 | 20 |
  | GME | +0.300 | +0.100 | +0.200 | 100 |
  
  ## New cascades
  
  | entity | at | type | severity | score | evidence |
  |---|---|---|---|--:|---|
  | GME | 2021-01-27T00:00:00Z | cascade | critical | 7.40 | start · 2 sources · led by reddit/wallstreetbets · 100 posts vs 10 usual |
  
  ## Cascades going on
  
  | entity | at | type | severity | score | evidence |
  |---|---|---|---|--:|---|
  | AMC | 2021-01-27T00:00:00Z | cascade | info | 0.50 | fade · led by x · 20 posts vs 20 usual |
  
  ## Signals
  
  | entity | at | type | severity | score | evidence |
  |---|---|---|---|--:|---|
  | AMC | 2021-01-27T15:00:00Z | signal | warn | 0.45 | SELL · confidence 0.80 |
  
  ## Heat and discoveries
  
  | entity | at | type | severity | score | evidence |
  |---|---|---|---|--:|---|
  | GME | 2021-01-27T00:00:00Z | heat | warn | 6.10 | heat 6.10 over 3 streams |
  | A\<B | 2021-01-27T00:00:00Z | discovery | warn | 4.20 | first time hot · heat 4.20 over 2 streams |
  
  ## Alerts sent
  
  | entity | at | type | severity | score | evidence |
  |---|---|---|---|--:|---|
  | GME | 2021-01-27T00:00:00Z | alert | critical | 7.40 | for cascade:GME:2021-01-27T00:00:00Z:start |

The same digest as JSON: the numbers behind the tables, and each event
as its record.

  $ herd-report --db r.db --format json digest > d.json
  $ jq -c '[.day, .window, .baseline_days, .totals]' d.json
  ["2021-01-27","1d",7,{"mentions":132,"scored":120,"entities":3}]
  $ jq -c '.movers[] | [.entity, .mentions, .baseline, .ratio, .z, .sentiment, .daily[-3:]]' d.json
  ["GME",100,10,10,27.14,0.3,[10,10,100]]
  ["A<B",12,0,null,12,null,[0,0,12]]
  $ jq -c '.sentiment_movers[] | [.entity, .change, .scored, .baseline_scored]' d.json
  ["AMC",-0.4,20,140]
  ["GME",0.2,100,70]
  $ jq -c '[(.cascades, .cascade_updates, .signals, .heat, .alerts)[] | .key]' d.json
  ["cascade:GME:2021-01-27T00:00:00Z:start","cascade:AMC:2021-01-27T00:00:00Z:fade","signal:AMC:SELL:2021-01-27T15:00:00Z","heat:GME:2021-01-27T00:00:00Z","discovery:A<B","alert:cascade:GME:2021-01-27T00:00:00Z:start"]
  $ jq -c '.cascades[0].evidence.sources' d.json
  [{"source":"reddit/wallstreetbets"},{"source":"x"}]

Another day and a shorter baseline: on the 26th nothing moved, and the
cascade of the 26th is its new one. The first day has no earlier day.

  $ herd-report --db r.db --day 2021-01-26 --baseline 3 digest | sed -n '3p;7p;/^## New/,/^| GME/p'
  From `r.db`, 1d aggregates; movers are measured against the 3 days before. 30 mentions of 2 entities (30 scored).
  No entity rose above its usual mentions.
  ## New cascades
  
  | entity | at | type | severity | score | evidence |
  |---|---|---|---|--:|---|
  | GME | 2021-01-26T00:00:00Z | cascade | warn | 2.00 | start |
  $ herd-report --db r.db --day 2021-01-20 --format json digest | jq -c '[.baseline_days, [.movers[] | .entity]]'
  [0,["AMC","GME"]]

A day without any data in the baseline (a collection gap) is left out of
"usual/day", as herd-detect leaves it out of its windows (issue 12): with
the 24th gone, GME's usual is 10 over 6 days, not 60 / 7 = 8.6.

  $ sqlite3 r.db ".backup usual.db" && sqlite3 usual.db "DELETE FROM aggregates WHERE start LIKE '2021-01-24%'"
  $ herd-report --db usual.db --format json digest | jq -c '[.baseline_days, .baseline_span, (.movers[] | select(.entity == "GME") | .baseline)]'
  [6,7,10]
  $ herd-report --db usual.db digest | sed -n 3p
  From `usual.db`, 1d aggregates; movers are measured against the 6 days with data of the 7 before (a day without any is a gap, not zero). 132 mentions of 3 entities (120 scored).
  $ herd-report --db r.db --window 1h digest
  herd-report: r.db: no aggregates of window 1h
  [1]

--day complete is the latest day whose windows are all in: a cron job
just after midnight reports yesterday, not the hour of today it has.

  $ herd-report --db r.db --day complete --format json digest | jq -r .day
  2021-01-27
  $ printf '%s\n' '{"kind":"agg","entity":"GME","window":"1h","start":"2021-01-27T23:00:00Z","posts":3,"authors":3,"sources":{"x":3},"sentiment":null,"engagement":0}' '{"kind":"agg","entity":"GME","window":"1h","start":"2021-01-28T00:00:00Z","posts":2,"authors":2,"sources":{"x":2},"sentiment":null,"engagement":0}' | herd-load -q --db h1.db
  $ herd-report --db h1.db --format json digest | jq -r '[.day, .window] | @tsv'
  2021-01-28	1h
  $ herd-report --db h1.db --day complete --format json digest | jq -r '[.day, .totals.mentions] | @tsv'
  2021-01-27	3

The HTML digest is one page: inline CSS, no script, nothing fetched, names
escaped.

  $ herd-report --db r.db --format html digest > d.html
  $ head -4 d.html
  <!DOCTYPE html>
  <html lang="en">
  <head>
  <meta charset="utf-8">
  $ grep -c '<script\|src=\|href=\|url(\|@import' d.html
  0
  [1]
  $ grep -o '<td class="e">[^<]*</td>' d.html | sort | uniq -c
        2 <td class="e">A&lt;B</td>
        3 <td class="e">AMC</td>
        5 <td class="e">GME</td>
  $ grep -c 'A<B' d.html
  0
  [1]

The heatmap: entities x days, one square per aggregate, events marked,
tooltips with the numbers; its SVG is inline and nothing is fetched (the
SVG namespace is a name, not a request).

  $ herd-report --db r.db -o h.html heatmap
  $ ls h.html*
  h.html
  $ grep -o 'http[s]*://[^"]*' h.html | sort -u
  http://www.w3.org/2000/svg
  $ grep -c '<script\|src=\|href=\|@import' h.html
  0
  [1]
  $ grep -o 'font-weight="bold" fill="#222">[^<]*<title>[^<]*' h.html
  font-weight="bold" fill="#222">GME<title>170 mentions, usual sentiment +0.218
  font-weight="bold" fill="#222">AMC<title>160 mentions, usual sentiment +0.150
  font-weight="bold" fill="#222">A&lt;B<title>12 mentions
  $ grep -o '<title>GME 2021-01-2[67][^<]*' h.html
  <title>GME 2021-01-26T00:00:00Z: 10 mentions, sentiment +0.100 over 10 scored (usual +0.218)
  <title>GME 2021-01-27T00:00:00Z: 100 mentions, sentiment +0.300 over 100 scored (usual +0.218)
  $ grep -c '<title>[^<]*: [0-9]* mentions' h.html
  17

Markers: a shape per cascade phase and per signal side, each in its
cell's corner; the phase is in the tooltip.

  $ grep -o '<title>\(cascade\|signal\|heat\|discovery\|alert\) [^<]*' h.html
  <title>cascade start GME at 2021-01-26T00:00:00Z, score 2.00 (warn)
  <title>alert GME at 2021-01-27T00:00:00Z, score 7.40 (critical)
  <title>cascade fade AMC at 2021-01-27T00:00:00Z, score 0.50 (info)
  <title>cascade start GME at 2021-01-27T00:00:00Z, score 7.40 (critical)
  <title>discovery A&lt;B at 2021-01-27T00:00:00Z, score 4.20 (warn)
  <title>heat GME at 2021-01-27T00:00:00Z, score 6.10 (warn)
  <title>signal SELL AMC at 2021-01-27T15:00:00Z, score 0.45 (warn)
  $ sed -n '/<g class="legend"/,/<\/g>/!p' h.html | grep -o 'class="mk [a-zA-Z]*"' | sort | uniq -c
        1 class="mk alert"
        1 class="mk discovery"
        1 class="mk fade"
        1 class="mk heat"
        1 class="mk signal"
        2 class="mk start"

Colour is sentiment against the entity's usual (deviation, the default):
GME's +0.300 on the 27th against its usual +0.218 over 100 scored posts
is green; AMC's -0.200 against +0.150 red; unscored A<B grey. The scale
is the 95th percentile of the cells' magnitudes. --colour absolute colours
the mean itself, at --scale.

  $ grep -o 'fill="#[0-9a-f]*"><title>\(GME\|AMC\|A&lt;B\) 2021-01-27' h.html
  fill="#248c43"><title>GME 2021-01-27
  fill="#c62828"><title>AMC 2021-01-27
  fill="#b0b0b0"><title>A&lt;B 2021-01-27
  $ herd-report --db r.db --format json heatmap | jq -c '[.colour, .scale, [.rows[] | .usual]]'
  ["deviation",0.08,[0.2176,0.15,null]]
  $ herd-report --db r.db --colour absolute --scale 0.3 -o abs.html heatmap && grep -o 'fill="#[0-9a-f]*"><title>\(GME\|AMC\|A&lt;B\) 2021-01-27' abs.html
  fill="#1b8a3c"><title>GME 2021-01-27
  fill="#bf5555"><title>AMC 2021-01-27
  fill="#b0b0b0"><title>A&lt;B 2021-01-27
  $ herd-report --db r.db --colour loud heatmap
  herd-report: --colour: 'loud' is not deviation or absolute
  Try 'herd-report --help' for more information.
  [2]

A window with no aggregate of any entity is a gap in the data (a feed
down, a day not collected), hatched across the rows, not a quiet day: the
22nd here.

  $ for d in 20 21 23; do printf '{"kind":"agg","entity":"GME","window":"1d","start":"2021-01-%sT00:00:00Z","posts":5,"authors":5,"sources":{"x":5},"sentiment":null,"engagement":0}\n' $d; done | herd-load -q --db gap.db
  $ herd-report --db gap.db --format json heatmap | jq -c '[.columns[.gaps[]]]'
  ["2021-01-22T00:00:00Z"]
  $ herd-report --db gap.db heatmap | grep -o 'class="nodata"[^>]*><title>[^<]*'
  class="nodata" x="176.0" y="150" width="40.0" height="40.0" fill="url(#nodata)" opacity="0.9"><title>2021-01-22T00:00:00Z: no data (no aggregate of any entity in this window)

--top, --from/--to and the grid as JSON.

  $ herd-report --db r.db --top 1 --from 2021-01-25 --to 2021-01-28 --format json heatmap | jq -c '[.window, .from, .to, .columns, [.rows[] | .entity, .cells]]'
  ["1d","2021-01-25T00:00:00Z","2021-01-28T00:00:00Z",["2021-01-25T00:00:00Z","2021-01-26T00:00:00Z","2021-01-27T00:00:00Z"],["GME",[[10,0.1,10,-0.0833],[10,0.1,10,-0.0833],[100,0.3,100,0.0303]]]]
  $ herd-report --db r.db --from 2021-01-28 --to 2021-01-27 heatmap
  herd-report: r.db: the range is empty (--from must be before --to)
  [1]
  $ herd-report --db r.db --from 2022-01-01 --to 2022-01-02 heatmap
  herd-report: r.db: no aggregates of window 1d from 2022-01-01T00:00:00Z to 2022-01-02T00:00:00Z
  [1]

Reports are deterministic (no clock): the same file, the same bytes. A
report that cannot be written leaves nothing behind.

  $ herd-report --db r.db -o h2.html heatmap && cmp h.html h2.html && herd-report --db r.db --format html digest | cmp - d.html && echo same
  same
  $ herd-report --db r.db -o nodir/h.html heatmap
  herd-report: nodir/h.html: No such file or directory
  [1]
  $ herd-report --db r.db digest > /dev/full
  herd-report: write error: No space left on device
  [1]

A day the file has no aggregates of is an error, not an empty digest
that reads like a quiet day.

  $ herd-report --db r.db --day 2020-01-01 digest
  herd-report: r.db: no aggregates of window 1d on 2020-01-01
  [1]

--tz reports the days of a time zone: midnight to midnight there. Three
days of hourly GME at 10 an hour, 100 an hour from 05:00 to 12:00 UTC on
the 27th: New York's 26th is 05:00 UTC on the 26th to 05:00 on the 27th
(240 mentions, none of the burst), its 27th holds the burst (7 x 100 +
12 x 10 to the data's end); Tokyo's 27th is 15:00 UTC on the 26th to
15:00 on the 27th (9 x 10 + 5 x 10 + 700 + 3 x 10). Daily windows of UTC cannot be cut at
midnight there; the heatmap's columns are UTC windows as they are.

  $ for d in 25 26 27; do for h in $(seq -w 0 23); do n=10; if [ $d = 27 ] && [ $h -ge 05 ] && [ $h -lt 12 ]; then n=100; fi
  >   printf '{"kind":"agg","entity":"GME","window":"1h","start":"2021-01-%sT%s:00:00Z","posts":%d,"authors":%d,"sources":{"x":%d},"sentiment":null,"engagement":0}\n' $d $h $n $n $n
  > done; done | herd-load -q --db tz.db
  $ herd-report --db tz.db --day 2021-01-26 --format json digest | jq -c '[.day, .tz, .totals.mentions]'
  ["2021-01-26",null,240]
  $ herd-report --db tz.db --day 2021-01-26 --tz America/New_York --format json digest | jq -c '[.day, .tz, .movers[0].mentions, .movers[0].daily[-3:]]'
  ["2021-01-26","America/New_York",240,[50,240,240]]
  $ herd-report --db tz.db --day 2021-01-27 --tz America/New_York digest | sed -n '1p;/^| GME/p'
  # herd digest — 2021-01-27 (America/New_York)
  | GME | 820 | 176.7 | ×4.6 | 48.3 | – | 0 | 0 |
  $ herd-report --db tz.db --day 2021-01-27 --tz Asia/Tokyo --format json digest | jq -c '[.day, .totals.mentions]'
  ["2021-01-27",870]
  $ herd-report --db r.db --tz America/New_York digest
  herd-report: r.db: 1d windows do not tile a day of the time zone (it starts at 2021-01-26T05:00:00Z); give --window 1h or shorter
  [1]
  $ herd-report --db tz.db --tz America/New_York heatmap
  herd-report: --tz: the heatmap's columns are the windows as they are (UTC); --tz is for the digest
  Try 'herd-report --help' for more information.
  [2]

An empty herd file has nothing to report.

  $ herd-load -q --db empty.db < /dev/null
  $ herd-report --db empty.db digest
  herd-report: empty.db: no aggregates of a window that divides a day to report on
  [1]
  $ herd-report --db empty.db heatmap
  herd-report: empty.db: no aggregates to report on
  [1]

--metrics: the report's size beside the run's own numbers.

  $ herd-report --db r.db --metrics m.prom -o h.html heatmap && grep '^herd_report_bytes' m.prom
  herd_report_bytes\{program="herd-report",task="m",report="heatmap"\} [0-9]+ (re)
