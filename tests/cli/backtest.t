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

Ten daily bars of AAA, and events:
- a daily cascade start on the 2nd (bullish): known at the 3rd's start,
  it enters at the 3rd's close 103; 1d later 102 (-0.97%), 3d 120
  (+16.50%), 5d 118 (+14.56%);
- a SELL signal on the 6th at 10:00: enters at the 7th's close 115, a
  short: 1d 118 (-2.61%), 3d 125 (-8.70%), 5d no bar (unpriced);
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
  key                                                  entity   entry_at                  entry          1d          3d          5d
  cascade:AAA:2021-03-02T00:00:00Z:start               AAA      2021-03-03T00:00:00Z        103      -0.97%     +16.50%     +14.56%
  signal:AAA:SELL:2021-03-06T10:00:00Z                 AAA      2021-03-07T00:00:00Z        115      -2.61%      -8.70%           -
  cascade:AAA:2021-03-04T00:00:00Z:start               AAA      2021-03-05T00:00:00Z        110      -9.09%      -7.27%     -13.64%
  heat:AAA:2021-03-08T00:00:00Z                        AAA      2021-03-09T00:00:00Z        130      -3.85%           -           -
  cascade:BBB:2021-03-02T00:00:00Z:start               BBB      -                             -           -           -           -

The summary, per group and horizon, with the base rate of every AAA bar
held long ("(all bars)"): the events must beat it to be worth anything.

  $ herd-backtest events.ndjson bars.ndjson
  group              horizon  events  priced   hits  hit_rate        mean      median
  cascade/start           1d       3       2      0      0.0%      -5.03%      -5.03%
  cascade/start           3d       3       2      1     50.0%      +4.62%      +4.62%
  cascade/start           5d       3       2      1     50.0%      +0.46%      +0.46%
  heat                    1d       1       1      0      0.0%      -3.85%      -3.85%
  heat                    3d       1       0      0         -           -           -
  heat                    5d       1       0      0         -           -           -
  signal/SELL             1d       1       1      0      0.0%      -2.61%      -2.61%
  signal/SELL             3d       1       1      0      0.0%      -8.70%      -8.70%
  signal/SELL             5d       1       0      0         -           -           -
  (all bars)              1d      10       9      6     66.7%      +2.63%      +1.98%
  (all bars)              3d      10       7      7    100.0%      +9.21%      +8.70%
  (all bars)              5d      10       5      5    100.0%     +17.90%     +14.56%
  $ herd-backtest --json --by type --horizons 1d events.ndjson bars.ndjson
  {"group":"cascade","horizon":"1d","events":3,"priced":2,"hits":0,"hit_rate":0.0,"mean_return":-0.050309,"median_return":-0.050309}
  {"group":"heat","horizon":"1d","events":1,"priced":1,"hits":0,"hit_rate":0.0,"mean_return":-0.038462,"median_return":-0.038462}
  {"group":"signal","horizon":"1d","events":1,"priced":1,"hits":0,"hit_rate":0.0,"mean_return":-0.026087,"median_return":-0.026087}
  {"group":"(all bars)","horizon":"1d","events":10,"priced":9,"hits":6,"hit_rate":0.6667,"mean_return":0.026343,"median_return":0.019802}

Bars may come before or after the events, in any file; a repeated bar
(same entity and start) replaces the earlier one.

  $ cat bars.ndjson events.ndjson | herd-backtest --json --horizons 3d | head -1
  {"group":"cascade/start","horizon":"3d","events":3,"priced":2,"hits":1,"hit_rate":0.5,"mean_return":0.046161,"median_return":0.046161}
  $ { cat bars.ndjson; printf '{"kind":"metric","source":"fix","entity":"AAA","at":"2021-03-06T00:00:00Z","name":"bar","value":100,"interval":"1d"}\n'; } | herd-backtest --json --horizons 3d - events.ndjson | head -1
  {"group":"cascade/start","horizon":"3d","events":3,"priced":2,"hits":0,"hit_rate":0.0,"mean_return":-0.050927,"median_return":-0.050927}

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
  {"group":"(all bars)","horizon":"1d","events":0,"priced":0,"hits":0,"hit_rate":0.0,"mean_return":0.0,"median_return":0.0}
  {"group":"(all bars)","horizon":"3d","events":0,"priced":0,"hits":0,"hit_rate":0.0,"mean_return":0.0,"median_return":0.0}
  {"group":"(all bars)","horizon":"5d","events":0,"priced":0,"hits":0,"hit_rate":0.0,"mean_return":0.0,"median_return":0.0}
  [1]
