herd-backtest: events against the prices that came after them (issue 6).

  $ herd-backtest --help | head -2
  Usage: herd-backtest [OPTIONS] [FILE...]
  Score events against later prices: hit rate and forward return per type.
  $ herd-backtest --version
  herd-backtest [0-9]+\.[0-9]+\.[0-9]+ (re)
  $ herd-backtest --horizons 1d,soon < /dev/null
  herd-backtest: --horizons: 'soon' is not a duration (like 90s, 15m, 1h, 7d)
  Try 'herd-backtest --help' for more information.
  [2]
  $ herd-backtest --by entity < /dev/null
  herd-backtest: --by: 'entity' is not phase or type
  Try 'herd-backtest --help' for more information.
  [2]

Ten daily bars of AAA with a close only (a daily bar is the New York
session of its date: its close trades at 16:00, 21:00Z in March 2021),
and events:
- a daily cascade start on the 2nd (bullish): known at the 3rd's start
  (the 2nd's window is over), it enters at the first price after that,
  the 3rd's close 103; 1d later 102 (-0.97%), 3d 120 (+16.50%), 5d 118
  (+14.56%);
- a SELL signal on the 6th at 10:00Z (05:00 in New York): enters at the
  6th's close 120, a short: 1d 115 (+4.17%), 3d 125 (-8.33%), 5d no bar
  (unpriced);
- a bearish cascade start on the 4th: a short from the 5th's 110: 1d 120
  (-9.09%), 3d 118 (-7.27%), 5d 125 (-13.64%);
- heat on the 8th: enters the 9th at 130, 1d 125 (-3.85%);
- a cascade on BBB, which has no bars: counted, unpriced.

  $ for d in 1 2 3 4 5 6 7 8 9 10; do
  >   c=$(echo 100 101 103 102 110 120 115 118 130 125 | cut -d' ' -f$d)
  >   printf '{"kind":"metric","source":"yahoo","entity":"AAA","at":"2021-03-%02dT00:00:00Z","name":"bar","value":%s,"interval":"1d"}\n' $d $c
  > done > bars.ndjson
  $ cat > events.ndjson <<'EOF'
  > {"kind":"event","type":"cascade","entity":"AAA","at":"2021-03-02T00:00:00Z","key":"cascade:AAA:2021-03-02T00:00:00Z:start","score":5,"severity":"warn","evidence":{"phase":"start","window":"1d","sentiment":{"direction":"bull"}}}
  > {"kind":"event","type":"signal","entity":"AAA","at":"2021-03-06T10:00:00Z","key":"signal:AAA:SELL:2021-03-06T10:00:00Z","score":0.5,"severity":"warn","evidence":{"direction":"SELL"}}
  > {"kind":"event","type":"cascade","entity":"AAA","at":"2021-03-04T00:00:00Z","key":"cascade:AAA:2021-03-04T00:00:00Z:start","score":4,"severity":"warn","evidence":{"phase":"start","window":"1d","sentiment":{"direction":"bear"}}}
  > {"kind":"event","type":"heat","entity":"AAA","at":"2021-03-08T00:00:00Z","key":"heat:AAA:2021-03-08T00:00:00Z","score":4,"severity":"warn","evidence":{"day":"2021-03-08"}}
  > {"kind":"event","type":"cascade","entity":"BBB","at":"2021-03-02T00:00:00Z","key":"cascade:BBB:2021-03-02T00:00:00Z:start","score":4,"severity":"warn","evidence":{"phase":"start","window":"1d"}}
  > EOF
  $ herd-backtest --detail events.ndjson bars.ndjson
  key                                            entity entry_at             at         entry        1d        3d        5d
  cascade:AAA:2021-03-02T00:00:00Z:start         AAA    2021-03-03T21:00:00Z close        103    -0.97%   +16.50%   +14.56%
  signal:AAA:SELL:2021-03-06T10:00:00Z           AAA    2021-03-06T21:00:00Z close        120    +4.17%    -8.33%         -
  cascade:AAA:2021-03-04T00:00:00Z:start         AAA    2021-03-05T21:00:00Z close        110    -9.09%    -7.27%   -13.64%
  heat:AAA:2021-03-08T00:00:00Z                  AAA    2021-03-09T21:00:00Z close        130    -3.85%         -         -
  cascade:BBB:2021-03-02T00:00:00Z:start         BBB    -                    -              -         -         -         -

The summary, per group and horizon, with the base rate of every AAA bar
held long ("(all bars)") and, since an event is a short, held short: the
events must beat it to be worth anything. The intervals are 95%, from
1000 resamples of the entry days (seeded: the same input gives the same
figures); one day, or one priced event, has no spread.

  $ herd-backtest events.ndjson bars.ndjson
  group              horizon  events  priced   days   hits  hit_rate 95% CI              mean 95% CI                median
  cascade/start           1d       3       2      2      0      0.0% [0.0, 0.0]        -5.03% [-9.09, -0.97]        -5.03%
  cascade/start           3d       3       2      2      1     50.0% [0.0, 100.0]      +4.62% [-7.27, +16.50]       +4.62%
  cascade/start           5d       3       2      2      1     50.0% [0.0, 100.0]      +0.46% [-13.64, +14.56]      +0.46%
  heat                    1d       1       1      1      0      0.0% [0.0, 0.0]        -3.85% [-3.85, -3.85]        -3.85%
  heat                    3d       1       0      0      0         - -                      - -                          -
  heat                    5d       1       0      0      0         - -                      - -                          -
  signal/SELL             1d       1       1      1      1    100.0% [100.0, 100.0]    +4.17% [+4.17, +4.17]        +4.17%
  signal/SELL             3d       1       1      1      0      0.0% [0.0, 0.0]        -8.33% [-8.33, -8.33]        -8.33%
  signal/SELL             5d       1       0      0      0         - -                      - -                          -
  (all bars)              1d      10       9      9      6     66.7% [33.3, 89.2]      +2.63% [-0.63, +5.96]        +1.98%
  (all bars)              3d      10       7      7      7    100.0% [100.0, 100.0]    +9.21% [+6.36, +12.40]       +8.70%
  (all bars)              5d      10       5      5      5    100.0% [100.0, 100.0]   +17.90% [+13.91, +23.20]     +14.56%
  (all bars, short)       1d      10       9      9      3     33.3% [11.1, 66.7]      -2.63% [-5.93, +0.61]        -1.98%
  (all bars, short)       3d      10       7      7      0      0.0% [0.0, 0.0]        -9.21% [-12.22, -6.27]       -8.70%
  (all bars, short)       5d      10       5      5      0      0.0% [0.0, 0.0]       -17.90% [-23.20, -13.96]     -14.56%
  $ herd-backtest -f json --by type --horizons 1d events.ndjson bars.ndjson > f.ndjson
  $ herd-backtest --json --by type --horizons 1d events.ndjson bars.ndjson | cmp - f.ndjson && herd-backtest --format table --by type --horizons 1d events.ndjson bars.ndjson | cmp -s - f.ndjson || echo differs
  differs
  $ herd-backtest -f csv events.ndjson bars.ndjson
  herd-backtest: --format: 'csv' is not table or json
  Try 'herd-backtest --help' for more information.
  [2]
  $ cat f.ndjson
  {"group":"cascade","horizon":"1d","events":3,"priced":2,"days":2,"hits":0,"hit_rate":0.0,"hit_rate_ci":[0.0,0.0],"mean_return":-0.050309,"mean_return_ci":[-0.090909,-0.009709],"median_return":-0.050309}
  {"group":"heat","horizon":"1d","events":1,"priced":1,"days":1,"hits":0,"hit_rate":0.0,"hit_rate_ci":[0.0,0.0],"mean_return":-0.038462,"mean_return_ci":[-0.038462,-0.038462],"median_return":-0.038462}
  {"group":"signal","horizon":"1d","events":1,"priced":1,"days":1,"hits":1,"hit_rate":1.0,"hit_rate_ci":[1.0,1.0],"mean_return":0.041667,"mean_return_ci":[0.041667,0.041667],"median_return":0.041667}
  {"group":"(all bars)","horizon":"1d","events":10,"priced":9,"days":9,"hits":6,"hit_rate":0.6667,"hit_rate_ci":[0.3333,0.8917],"mean_return":0.026343,"mean_return_ci":[-0.006313,0.059595],"median_return":0.019802}
  {"group":"(all bars, short)","horizon":"1d","events":10,"priced":9,"days":9,"hits":3,"hit_rate":0.3333,"hit_rate_ci":[0.1111,0.6667],"mean_return":-0.026343,"mean_return_ci":[-0.05927,0.006149],"median_return":-0.019802}

Bars may come before or after the events, in any file; a repeated bar
(same entity and start) replaces the earlier one.

  $ cat bars.ndjson events.ndjson | herd-backtest --json --horizons 3d | head -1
  {"group":"cascade/start","horizon":"3d","events":3,"priced":2,"days":2,"hits":1,"hit_rate":0.5,"hit_rate_ci":[0.0,1.0],"mean_return":0.046161,"mean_return_ci":[-0.072727,0.165049],"median_return":0.046161}
  $ { cat bars.ndjson; printf '{"kind":"metric","source":"fix","entity":"AAA","at":"2021-03-06T00:00:00Z","name":"bar","value":100,"interval":"1d"}\n'; } | herd-backtest --json --horizons 3d - events.ndjson | head -1
  {"group":"cascade/start","horizon":"3d","events":3,"priced":2,"days":2,"hits":0,"hit_rate":0.0,"hit_rate_ci":[0.0,0.0],"mean_return":-0.050927,"mean_return_ci":[-0.072727,-0.029126],"median_return":-0.050927}

Bad lines are rejected with their place; other records are ignored.

  $ cat > bad.ndjson <<'EOF'
  > {"kind":"event","type":"signal","entity":"AAA","at":"2021-03-06T10:00:00Z","key":"k","evidence":{}}
  > {"kind":"event","type":"cascade","entity":"AAA","at":"noon","key":"k2"}
  > {"kind":"metric","entity":"AAA","at":"2021-03-06T00:00:00Z","name":"bar","value":-3}
  > {"kind":"agg","entity":"AAA"}
  > EOF
  $ herd-backtest --json bad.ndjson
  herd-backtest: bad.ndjson:1: signal without evidence.direction BUY or SELL
  herd-backtest: bad.ndjson:2: event field 'at' is not a time
  herd-backtest: bad.ndjson:3: bar close -3 is not a price
  herd-backtest: 3 of 4 lines rejected (use --rejects FILE to keep them)
  {"group":"(all bars)","horizon":"1d","events":0,"priced":0,"days":0,"hits":0,"hit_rate":0.0,"mean_return":0.0,"median_return":0.0}
  {"group":"(all bars)","horizon":"3d","events":0,"priced":0,"days":0,"hits":0,"hit_rate":0.0,"mean_return":0.0,"median_return":0.0}
  {"group":"(all bars)","horizon":"5d","events":0,"priced":0,"days":0,"hits":0,"hit_rate":0.0,"mean_return":0.0,"median_return":0.0}
  [1]

Bars with an open (issue 17). Five New York sessions of March 2016 (EDT:
the open is 13:30Z, the close 20:00Z). A story at 15:59 trades at that
day's close; one at 16:01 only at the next day's open, and its return is
open to open; one at 09:00 at the same day's open. The exit is the same
kind of price of the bar a horizon later.

  $ printf 'Date,Open,Close\n2016-03-14,100,100\n2016-03-15,100,102\n2016-03-16,104,105\n2016-03-17,106,104\n2016-03-18,103,102\n' > CCC.csv
  $ herd-import --kind bar --source test --interval 1d --entity-from-filename '^[^.]+' --map at=Date,open=Open,close=Close CCC.csv > ccc.ndjson
  $ for t in 2016-03-15T19:59:00Z 2016-03-15T20:01:00Z 2016-03-16T13:00:00Z; do
  >   printf '{"kind":"event","type":"signal","entity":"CCC","at":"%s","key":"signal:CCC:BUY:%s","evidence":{"direction":"BUY"}}\n' $t $t
  > done > ccc-events.ndjson
  $ herd-backtest --detail --horizons 1d,2d ccc-events.ndjson ccc.ndjson
  key                                            entity entry_at             at         entry        1d        2d
  signal:CCC:BUY:2016-03-15T19:59:00Z            CCC    2016-03-15T20:00:00Z close        102    +2.94%    +1.96%
  signal:CCC:BUY:2016-03-15T20:01:00Z            CCC    2016-03-16T13:30:00Z open         104    +1.92%    -0.96%
  signal:CCC:BUY:2016-03-16T13:00:00Z            CCC    2016-03-16T13:30:00Z open         104    +1.92%    -0.96%
  $ herd-backtest --detail --json --horizons 1d ccc-events.ndjson ccc.ndjson | head -1
  {"key":"signal:CCC:BUY:2016-03-15T19:59:00Z","entity":"CCC","group":"signal/BUY","direction":1,"known":"2016-03-15T19:59:00Z","entry_at":"2016-03-15T20:00:00Z","entry_price":"close","entry":102.0,"returns":{"1d":0.029412}}

--session none takes each bar as the period it says (open at its start,
close a day later): right for bars whose start is their session's open,
wrong for these, dated at midnight UTC: the 16:01 story is credited with
the 16:00 close it came after (a look-ahead), which is why sessions are
the default.

  $ herd-backtest --detail --horizons 1d --session none ccc-events.ndjson ccc.ndjson
  key                                            entity entry_at             at         entry        1d
  signal:CCC:BUY:2016-03-15T19:59:00Z            CCC    2016-03-16T00:00:00Z close        102    +2.94%
  signal:CCC:BUY:2016-03-15T20:01:00Z            CCC    2016-03-16T00:00:00Z close        102    +2.94%
  signal:CCC:BUY:2016-03-16T13:00:00Z            CCC    2016-03-17T00:00:00Z close        105    -0.95%

--cost takes a round trip's basis points from every event's return (not
from the base rows); --benchmark adds the excess over an entity, or over
the equal-weight basket of every entity with bars; --from/--to keep the
events known in the range and the base bars that close in it.

  $ printf 'Date,Open,Close\n2016-03-14,50,50\n2016-03-15,50,51\n2016-03-16,51,51\n2016-03-17,52,52\n2016-03-18,52,53\n' > DDD.csv
  $ herd-import --kind bar --source test --interval 1d --entity-from-filename '^[^.]+' --map at=Date,open=Open,close=Close DDD.csv >> ccc.ndjson
  $ herd-backtest --horizons 1d --bootstrap 0 --cost 10 --benchmark DDD ccc-events.ndjson ccc.ndjson
  group              horizon  events  priced   days   hits  hit_rate      mean    median    excess
  signal/BUY              1d       3       3      2      3    100.0%    +2.16%    +1.82%    +0.86%
  (all bars)              1d       5       4      4      2     50.0%    +0.52%    +0.52%    -0.95%
  $ herd-backtest --horizons 1d --bootstrap 0 --benchmark basket --detail ccc-events.ndjson ccc.ndjson
  key                                            entity entry_at             at         entry        1d    excess
  signal:CCC:BUY:2016-03-15T19:59:00Z            CCC    2016-03-15T20:00:00Z close        102    +2.94%    +1.47%
  signal:CCC:BUY:2016-03-15T20:01:00Z            CCC    2016-03-16T13:30:00Z open         104    +1.92%    -0.02%
  signal:CCC:BUY:2016-03-16T13:00:00Z            CCC    2016-03-16T13:30:00Z open         104    +1.92%    -0.02%
  $ herd-backtest --horizons 1d --json --bootstrap 0 --from 2016-03-16 --to 2016-03-17 ccc-events.ndjson ccc.ndjson
  {"group":"signal/BUY","horizon":"1d","events":1,"priced":1,"days":1,"hits":1,"hit_rate":1.0,"mean_return":0.019231,"median_return":0.019231}
  {"group":"(all bars)","horizon":"1d","events":1,"priced":1,"days":1,"hits":0,"hit_rate":0.0,"mean_return":-0.009524,"median_return":-0.009524}
  $ herd-backtest --benchmark EEE ccc-events.ndjson ccc.ndjson
  herd-backtest: --benchmark: no bars of EEE in the input
  [1]
  $ herd-backtest --session 16:00-09:30 < /dev/null
  herd-backtest: --session: '16:00-09:30' is not HH:MM-HH:MM (an open before a close) or none
  Try 'herd-backtest --help' for more information.
  [2]
  $ herd-backtest --tz Mars/Olympus < /dev/null
  herd-backtest: --tz: 'Mars/Olympus' is not a time zone in /usr/share/zoneinfo (names like America/New_York, Europe/London, UTC; Debian's tzdata package has them)
  Try 'herd-backtest --help' for more information.
  [2]
  $ herd-backtest --from 2016-03-17 --to 2016-03-16 < /dev/null
  herd-backtest: --to must come after --from
  Try 'herd-backtest --help' for more information.
  [2]
