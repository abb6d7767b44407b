No looking ahead (issue 17): a story after the 16:00 New York close can
only trade at the next session. One story, moved from 15:59 to 16:01,
goes through the whole path as users run it — herd-import (New York
times), a sentiment (fixed here: the test is about time, not the model),
herd-detect's signals with the bars as price context, herd-backtest —
and its trade moves from that day's close to the next day's open.

Five sessions of AAA in March 2016 (EDT: open 13:30Z, close 20:00Z):

  $ printf 'Date,Open,High,Low,Close,Volume\n2016-03-14,100,101,99,100,1000\n2016-03-15,100,103,99,102,1200\n2016-03-16,104,106,103,105,1500\n2016-03-17,106,107,104,104,1100\n2016-03-18,103,104,101,102,900\n' > AAA.csv
  $ herd-import --kind bar --source test --interval 1d --entity-from-filename '^[^.]+' --map at=Date,open=Open,high=High,low=Low,close=Close,volume=Volume AAA.csv > bars.ndjson
  $ head -1 bars.ndjson
  {"kind":"metric","source":"test","entity":"AAA","at":"2016-03-14T00:00:00Z","name":"bar","value":100,"interval":"1d","open":100,"high":101,"low":99,"close":100,"volume":1000}
  $ scored() { jq -c '.sentiment = {model: "fixed", label: "positive", probs: {positive: 0.9, negative: 0, neutral: 0.1}, score: 0.9, confidence: 0.9}'; }
  $ trade() { # the story's time as written in New York -> signal time, entry
  >   printf 'ticker,when,title\nAAA,%s,Record profit\n' "$1" > news.csv
  >   herd-import --source wire --type article --tz America/New_York --map created_at=when,entities=ticker,title=title news.csv | scored > news.ndjson
  >   rm -f s.db; herd-detect --state s.db --only signal news.ndjson bars.ndjson > ev.ndjson
  >   herd-backtest --detail --json --horizons 1d ev.ndjson bars.ndjson | jq -r '[.key, .entry_at, .entry_price, .entry, .returns."1d"] | @tsv'
  > }
  $ trade '2016-03-15 15:59'
  signal:AAA:BUY:2016-03-15T19:59:00Z	2016-03-15T20:00:00Z	close	102	0.029412
  $ trade '2016-03-15 16:01'
  signal:AAA:BUY:2016-03-15T20:01:00Z	2016-03-16T13:30:00Z	open	104	0.019231

The price context a signal is scored with holds only bars complete by
the story's time (a bar counts from the end of its UTC day): the 15:59
story sees the 14th's bar alone, not the 15th's close that came a minute
later; a story at 20:30 (00:30Z) sees the 15th's too (close 102 against
the 14th's 100: momentum +2%).

  $ trade '2016-03-15 15:59' > /dev/null; jq -c '.evidence | [.bars, .momentum]' ev.ndjson
  [1,null]
  $ trade '2016-03-15 20:30' > /dev/null; jq -c '.evidence | [.bars, .momentum]' ev.ndjson
  [2,0.02]

A story known only by its date (the Reuters archive's rows without a
minute) is read with --date-only end: it counts at the next midnight UTC
(20:00 in New York, after the close), so it trades at the next open
whatever time of day it really came; the time, where there is one, wins
(10:00 in New York on the 17th: that day's close).

  $ printf 'ticker,ts_utc,date,title\nAAA,,20160315,Record profit\nAAA,2016-03-17T14:00:00Z,20160317,Record profit\n' > dated.csv
  $ herd-import --source wire --type article --date-format %Y%m%d --date-format auto --date-only end --map 'created_at=ts_utc|date,entities=ticker,title=title' dated.csv | scored > news.ndjson
  $ jq -r .created_at news.ndjson
  2016-03-16T00:00:00Z
  2016-03-17T14:00:00Z
  $ rm -f s.db; herd-detect --state s.db --only signal --expiry 1d news.ndjson bars.ndjson > ev.ndjson
  $ herd-backtest --detail --horizons 1d ev.ndjson bars.ndjson
  key                                            entity entry_at             at         entry        1d
  signal:AAA:BUY:2016-03-16T00:00:00Z            AAA    2016-03-16T13:30:00Z open         104    +1.92%
  signal:AAA:BUY:2016-03-17T14:00:00Z            AAA    2016-03-17T20:00:00Z close        104    -1.92%
