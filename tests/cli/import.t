herd-import: CSV files to post and metric records (issue 2, item 5).

Help and version.

  $ herd-import --help | head -2
  Usage: herd-import [OPTIONS] [FILE...]
  Import CSV files as post records (or metric records, or price bars), one per row.
  $ herd-import --version
  herd-import [0-9]+\.[0-9]+\.[0-9]+ (re)

A mapping: quoted fields with commas, doubled quotes and a newline; an
entity list in any separator, upper-cased, "$" dropped, sorted, unique;
empty cells become null (author), 0 (score) or [] (entities).

  $ printf 'id,when,who,body,tickers,up\n1,2021-01-27T14:03:00Z,bob,"GME to the\nmoon, ""really""",gme;$amc|GME bb,12\n2,2021-01-27 15:00:00,,plain text,,\n' > a.csv
  $ herd-import --map id=id,created_at=when,author=who,text=body,entities=tickers --map score=up a.csv
  {"kind":"post","id":"csv:1","source":"csv","type":"comment","community":null,"created_at":"2021-01-27T14:03:00Z","author":"bob","title":null,"text":"GME to the\nmoon, \"really\"","url":null,"engagement":{"score":12,"replies":0},"entities":["AMC","BB","GME"],"parent":null,"lang":null}
  {"kind":"post","id":"csv:2","source":"csv","type":"comment","community":null,"created_at":"2021-01-27T15:00:00Z","author":null,"title":null,"text":"plain text","url":null,"engagement":{"score":0,"replies":0},"entities":[],"parent":null,"lang":null}

Text and title go through the post builders every source shares: HTML
entities are decoded (Reddit's API escapes & < >) and a "[deleted]" body is
no text; url, parent (an id of the same source) and lang are copied.

  $ printf 'id,t,title,body,link,re,lang\n9,1611756180,Q &amp; A,a &lt;b&gt; &#39;c&#39;,https://x.test/9,8,en\n10,1611756180,,[deleted],,,\n' > h.csv
  $ herd-import --source reddit --type submission --map id=id,created_at=t,title=title,text=body,url=link,parent=re,lang=lang h.csv
  {"kind":"post","id":"reddit:9","source":"reddit","type":"submission","community":null,"created_at":"2021-01-27T14:03:00Z","author":null,"title":"Q & A","text":"a <b> 'c'","url":"https://x.test/9","engagement":{"score":0,"replies":0},"entities":[],"parent":"reddit:8","lang":"en"}
  {"kind":"post","id":"reddit:10","source":"reddit","type":"submission","community":null,"created_at":"2021-01-27T14:03:00Z","author":null,"title":null,"text":"","url":null,"engagement":{"score":0,"replies":0},"entities":[],"parent":null,"lang":null}

Without an id column the id is SOURCE:FILE:LINE, the line where the row
starts (row 2 starts on line 4 because row 1 spans two lines); the same on
a re-run. stdin is named "stdin". Gzip files are read as they are.

  $ herd-import --source forum --map created_at=when,text=body a.csv | grep -o '"id":"[^"]*","source":"[^"]*"'
  "id":"forum:a.csv:2","source":"forum"
  "id":"forum:a.csv:4","source":"forum"
  $ herd-import --map created_at=when,text=body < a.csv | grep -o '"id":"[^"]*"'
  "id":"csv:stdin:2"
  "id":"csv:stdin:4"
  $ gzip -c a.csv > a.csv.gz
  $ herd-import --map created_at=when,text=body a.csv.gz | grep -o '"id":"[^"]*"'
  "id":"csv:a.csv.gz:2"
  "id":"csv:a.csv.gz:4"

Line numbers count physical lines: blank and space-only lines between
rows, a blank line inside a quoted field, no final newline.

  $ printf 'a,b\n\n1,2021-01-01\n   \n"x\n\ny",2021-01-02\n\n3,bad' > bl.csv
  $ herd-import --map text=a,created_at=b bl.csv | grep -o '"id":"[^"]*"'
  herd-import: bl.csv:9: column 'b': 'bad' is not a time
  herd-import: 1 of 3 lines rejected (use --rejects FILE to keep them)
  "id":"csv:bl.csv:3"
  "id":"csv:bl.csv:5"

A UTF-8 byte order mark and CRLF line ends (inside quotes too: they become
"\n"); a column named by number.

  $ printf '\xef\xbb\xbftext,date\r\n"caf\xc3\xa9\r\nau lait",2021-01-20\r\n' > bom.csv
  $ herd-import --map text=#1,created_at=date bom.csv | grep -o '"text":.*'
  "text":"café\nau lait","url":null,"engagement":{"score":0,"replies":0},"entities":[],"parent":null,"lang":null}

Latin-1 input with --encoding latin1 becomes UTF-8; without it the row is
rejected, not garbled. Other delimiters.

  $ printf 'text;date\ncaf\xe9 cr\xe8me;2021-01-20\n' > l1.csv
  $ herd-import --delimiter ';' --encoding latin1 --map text=text,created_at=date l1.csv | grep -o '"text":"[^"]*"'
  "text":"café crème"
  $ herd-import --delimiter ';' --map text=text,created_at=date l1.csv
  herd-import: l1.csv:2: invalid UTF-8 in column 'text' at byte 4 (try --encoding latin1)
  herd-import: 1 of 1 lines rejected (use --rejects FILE to keep them)
  [1]
  $ printf 'a\tb\n x y \t2021-01-20\n' > t.tsv
  $ herd-import --delimiter tab --map text=a,created_at=b t.tsv | grep -o '"text":"[^"]*"'
  "text":"x y"

Bad rows: each is reported with the line where it starts, kept verbatim in
--rejects (a multi-line row whole), and the batch goes on; exit 1 unless
--max-rejects allows them; --strict stops at the first.

  $ printf 'id,date,text,ticker\n1,2021-01-20,ok,GME\n2,yesterday,bad date,GME\n3,2021-01-20,"multi\nline\nrow",GM E!\n4,2021-01-20,too,many,fields\n5,2021-01-21,fine,$amc\n6,2021-01-21,"no score",GME\n' > bad.csv
  $ herd-import --map id=id,created_at=date,text=text,entities=ticker --rejects rej.csv bad.csv | grep -o '"id":"[^"]*"'
  herd-import: bad.csv:3: column 'date': 'yesterday' is not a time
  herd-import: bad.csv:4: entity 'E!' is not a symbol
  herd-import: bad.csv:7: record has 5 fields, the header has 4
  herd-import: 3 of 6 lines rejected (kept in rej.csv)
  "id":"csv:1"
  "id":"csv:5"
  "id":"csv:6"
  $ cat rej.csv
  2,yesterday,bad date,GME
  3,2021-01-20,"multi
  line
  row",GM E!
  4,2021-01-20,too,many,fields
  $ herd-import --max-rejects 3 --map id=id,created_at=date,text=text,entities=ticker bad.csv 2>/dev/null | wc -l
  3
  $ herd-import --strict --map id=id,created_at=date,text=text,entities=ticker bad.csv > out.ndjson
  herd-import: bad.csv:3: column 'date': 'yesterday' is not a time
  herd-import: 1 of 2 lines rejected (use --rejects FILE to keep them)
  [1]
  $ grep -o '"id":"[^"]*"' out.ndjson
  "id":"csv:1"

More bad cells: a score that is not an integer, an empty id, a wrong type,
a vader cell that is not a number, invalid UTF-8; a quoted field never
closed is reported where it opens.

  $ printf 'id,date,up,kind,compound\n1,2021-01-20,12.5,comment,0.1\n,2021-01-20,1,comment,0.1\n3,2021-01-20,1,blog,0.1\n4,2021-01-20,1,comment,high\n5,2021-01-20,1,comment,\xff\n6,2021-01-20,"1\n' > cells.csv
  $ herd-import --map id=id,created_at=date,score=up,type=kind,vader.compound=compound cells.csv
  herd-import: cells.csv:2: column 'up': '12.5' is not an integer
  herd-import: cells.csv:3: column 'id' (the id) is empty
  herd-import: cells.csv:4: column 'kind': 'blog' is not a post type
  herd-import: cells.csv:5: column 'compound': 'high' is not a number
  herd-import: cells.csv:6: invalid UTF-8 in column 'compound' at byte 1 (try --encoding latin1)
  herd-import: cells.csv:7: quoted field never closed (it runs to the end of the file)
  herd-import: 6 of 6 lines rejected (use --rejects FILE to keep them)
  [1]

A vader column is copied into "vader" (so herd-aggregate has a polarity
without herd-score); an empty cell leaves it out.

  $ printf 'date,compound\n2021-01-20,-0.4404\n2021-01-20,\n' > v.csv
  $ herd-import --map created_at=date,vader.compound=compound v.csv | grep -o '"lang":.*'
  "lang":null,"vader":{"compound":-0.4404}}
  "lang":null}

Dates and communities from file names (the Reddit ticker dumps have no
time column: the day is in the name).

  $ printf ',ticker,comment\n0,GME,to the moon\n' > 2021-01-26_pennystocks_comments.csv
  $ herd-import --source reddit --date-from-filename --community-from-filename '^[0-9-]+_([a-z]+)_' --map text=comment,entities=ticker 2021-01-26_pennystocks_comments.csv
  {"kind":"post","id":"reddit:2021-01-26_pennystocks_comments.csv:2","source":"reddit","type":"comment","community":"pennystocks","created_at":"2021-01-26T00:00:00Z","author":null,"title":null,"text":"to the moon","url":null,"engagement":{"score":0,"replies":0},"entities":["GME"],"parent":null,"lang":null}
  $ herd-import --date-from-filename --community x --map text=body a.csv
  herd-import: a.csv: --date-from-filename: no date like 2021-01-20 in the file name
  [1]
  $ herd-import --date-from-filename --community-from-filename '_([A-Z]+)_' --map text=comment 2021-01-26_pennystocks_comments.csv
  herd-import: 2021-01-26_pennystocks_comments.csv: --community-from-filename: the file name does not match
  [1]

Metric records from a table of numbers per entity: one record per --value;
a community makes the source "source/community" (docs/records.md), so the
counts of two subreddits never share a key in herd-load's metrics table.

  $ printf 'ticker,neg,compound,mentions\nGME,0.1,0.12,829\namc,0.0,-0.5,17.0\nGME AMC,0,0,1\n' > 2021-01-20_wallstreetbets.csv
  $ herd-import --kind metric --source reddit --date-from-filename --interval 1d --community-from-filename '_([a-z]+)\.csv$' --map entity=ticker --value mentions=mentions,vader.mean=compound 2021-01-20_wallstreetbets.csv > m.ndjson
  herd-import: 2021-01-20_wallstreetbets.csv:4: column 'ticker': 'GME AMC' is not one symbol
  herd-import: 1 of 3 lines rejected (use --rejects FILE to keep them)
  [1]
  $ cat m.ndjson
  {"kind":"metric","source":"reddit/wallstreetbets","entity":"GME","at":"2021-01-20T00:00:00Z","name":"mentions","value":829,"interval":"1d"}
  {"kind":"metric","source":"reddit/wallstreetbets","entity":"GME","at":"2021-01-20T00:00:00Z","name":"vader.mean","value":0.12,"interval":"1d"}
  {"kind":"metric","source":"reddit/wallstreetbets","entity":"AMC","at":"2021-01-20T00:00:00Z","name":"mentions","value":17,"interval":"1d"}
  {"kind":"metric","source":"reddit/wallstreetbets","entity":"AMC","at":"2021-01-20T00:00:00Z","name":"vader.mean","value":-0.5,"interval":"1d"}

--kind bar makes price bars: one metric named "bar" per row, its value
the close, with the open, high, low, close and volume mapped (close
required, an empty other left out; a price must be above 0). The entity
may come from the file name (one file per ticker).

  $ printf 'Date,Open,High,Low,Close,Volume\n2016-03-14,100,101,99,100.5,1000\n2016-03-15,,103,99,102,\n2016-03-16,null,null,null,null,null\n2016-03-17,0,1,1,1,1\n' > AAPL.csv
  $ herd-import --kind bar --source yahoo --interval 1d --entity-from-filename '^[^.]+' --map at=Date,open=Open,high=High,low=Low,close=Close,volume=Volume AAPL.csv
  herd-import: AAPL.csv:4: column 'Open': 'null' is not a number
  herd-import: AAPL.csv:5: column 'Open': 0 is not a price
  herd-import: 2 of 4 lines rejected (use --rejects FILE to keep them)
  {"kind":"metric","source":"yahoo","entity":"AAPL","at":"2016-03-14T00:00:00Z","name":"bar","value":100.5,"interval":"1d","open":100,"high":101,"low":99,"close":100.5,"volume":1000}
  {"kind":"metric","source":"yahoo","entity":"AAPL","at":"2016-03-15T00:00:00Z","name":"bar","value":102,"interval":"1d","high":103,"low":99,"close":102}
  [1]
  $ herd-import --kind bar --entity-from-filename '^[0-9]+' --map at=Date,close=Close AAPL.csv
  herd-import: AAPL.csv: --entity-from-filename: the file name does not match
  [1]
  $ herd-import --kind bar --entity-from-filename '^[^.]+' --map at=Date,open=Open AAPL.csv
  herd-import: bars need a close: --map close=COLUMN
  Try 'herd-import --help' for more information.
  [2]
  $ herd-import --kind bar --map at=Date,close=Close --value bar=Close AAPL.csv
  herd-import: --value is for --kind metric (bars take --map open=,high=,low=,close=,volume=)
  Try 'herd-import --help' for more information.
  [2]
  $ herd-import --entity-from-filename '^[^.]+' --map created_at=Date AAPL.csv
  herd-import: --entity-from-filename is for --kind metric or bar (posts: --map entities=)
  Try 'herd-import --help' for more information.
  [2]

Files that cannot be imported are reported and skipped (exit 1); usage
errors exit 2. An empty file is no rows, as empty input is to every
filter: a warning, exit 0.

  $ : > empty.csv
  $ herd-import --map created_at=date empty.csv nosuch.csv v.csv | wc -l
  herd-import: empty.csv: empty file, nothing imported
  herd-import: nosuch.csv: No such file or directory
  2
  $ herd-import --map created_at=date,text=body < empty.csv; echo $?
  herd-import: <stdin>: empty file, nothing imported
  0

Times without a zone are UTC unless --tz names the zone they were written
in (daylight saving included); times with Z or an offset keep theirs.
--date-format reads other spellings with strptime(3); without it, a date
like 1/27/2021 is rejected with a hint.

  $ printf 'body,when\nwinter,2021-01-27 09:30\nsummer,2021-07-27 09:30\nzoned,2021-01-27T09:30:00Z\nday,2021-01-27\n' > tz.csv
  $ herd-import --map text=body,created_at=when --tz America/New_York tz.csv | jq -r '.text + " " + .created_at'
  winter 2021-01-27T14:30:00Z
  summer 2021-07-27T13:30:00Z
  zoned 2021-01-27T09:30:00Z
  day 2021-01-27T05:00:00Z
  $ printf 'body,when\nus,1/27/2021 3:05 PM\n' > us.csv
  $ herd-import --map text=body,created_at=when us.csv
  herd-import: us.csv:2: column 'when': '1/27/2021 3:05 PM' is not a time (give its format: --date-format %m/%d/%Y)
  herd-import: 1 of 1 lines rejected (use --rejects FILE to keep them)
  [1]
  $ herd-import --map text=body,created_at=when --date-format '%m/%d/%Y %I:%M %p' --tz Europe/Berlin us.csv | jq -r .created_at
  2021-01-27T14:05:00Z
  $ herd-import --map text=body,created_at=when --date-format '%m/%d/%Y' us.csv
  herd-import: us.csv:2: column 'when': '1/27/2021 3:05 PM' is not a time in the format %m/%d/%Y
  herd-import: 1 of 1 lines rejected (use --rejects FILE to keep them)
  [1]
  $ printf 'body\nx\n' > 2021-01-27_wsb.csv
  $ herd-import --map text=body --date-from-filename --tz Asia/Tokyo 2021-01-27_wsb.csv | jq -r .created_at
  2021-01-26T15:00:00Z

A column may name alternatives, A|B: the first that is not empty in the
row (a minute where the archive has one, else the date). --date-format
may be given more than once, the first that reads a value wins, and auto
is the forms read without it (after %Y%m%d, which it would read as epoch
seconds). --date-only end makes a date without a time of day its next
midnight (in --tz): an item known only by its day never counts before
the day was over (issue 17).

  $ printf 'body,ts,day\nminute,2016-03-15T19:59:00Z,20160315\ndated,,20160315\ndash,,2016-03-15\n' > alt.csv
  $ herd-import --map 'text=body,created_at=ts|day' --date-format %Y%m%d --date-format auto alt.csv | jq -r '.text + " " + .created_at'
  minute 2016-03-15T19:59:00Z
  dated 2016-03-15T00:00:00Z
  dash 2016-03-15T00:00:00Z
  $ herd-import --map 'text=body,created_at=ts|day' --date-format %Y%m%d --date-format auto --date-only end alt.csv | jq -r '.text + " " + .created_at'
  minute 2016-03-15T19:59:00Z
  dated 2016-03-16T00:00:00Z
  dash 2016-03-16T00:00:00Z
  $ herd-import --map 'text=body,created_at=ts|day' --date-format %Y%m%d --date-format auto --date-only end --tz America/New_York alt.csv | jq -r '.text + " " + .created_at'
  minute 2016-03-15T19:59:00Z
  dated 2016-03-16T04:00:00Z
  dash 2016-03-16T04:00:00Z
  $ herd-import --map 'text=body,created_at=ts|day' --date-format auto alt.csv | jq -r '.text + " " + .created_at'
  minute 2016-03-15T19:59:00Z
  dated 1970-08-22T08:05:15Z
  dash 2016-03-15T00:00:00Z
  $ herd-import --map 'text=body,created_at=ts|day' --date-format %Y%m%d alt.csv
  herd-import: alt.csv:2: column 'ts': '2016-03-15T19:59:00Z' is not a time in the format %Y%m%d
  herd-import: alt.csv:4: column 'day': '2016-03-15' is not a time in the format %Y%m%d
  herd-import: 2 of 3 lines rejected (use --rejects FILE to keep them)
  {"kind":"post","id":"csv:alt.csv:3","source":"csv","type":"comment","community":null,"created_at":"2016-03-15T00:00:00Z","author":null,"title":null,"text":"dated","url":null,"engagement":{"score":0,"replies":0},"entities":[],"parent":null,"lang":null}
  [1]
  $ herd-import --map 'text=body,created_at=ts|nope' alt.csv
  herd-import: alt.csv: no column 'ts|nope' for created_at (columns: body, ts, day)
  [1]
  $ herd-import --map text=body --date-from-filename --date-only end 2021-01-27_wsb.csv | jq -r .created_at
  2021-01-28T00:00:00Z
  $ herd-import --map text=body,created_at=ts --date-only later alt.csv
  herd-import: --date-only: 'later' is not start or end
  Try 'herd-import --help' for more information.
  [2]
  $ herd-import --map text=body,created_at=ts --date-format YYYY alt.csv
  herd-import: --date-format: 'YYYY' has no % field (like %m/%d/%Y) and is not auto
  Try 'herd-import --help' for more information.
  [2]
  $ herd-import --map text=body,created_at=when --tz Mars/Olympus us.csv
  herd-import: --tz: 'Mars/Olympus' is not a time zone in /usr/share/zoneinfo (names like America/New_York, Europe/London, UTC; Debian's tzdata package has them)
  Try 'herd-import --help' for more information.
  [2]
  $ herd-import --map created_at=when,text=nope a.csv
  herd-import: a.csv: no column 'nope' for text (columns: id, when, who, body, tickers, up)
  [1]
  $ herd-import --map text=body a.csv
  herd-import: posts need a time: --map created_at=COLUMN or --date-from-filename
  Try 'herd-import --help' for more information.
  [2]
  $ herd-import --map txt=body a.csv
  herd-import: --map: unknown field 'txt' (see --help)
  Try 'herd-import --help' for more information.
  [2]
  $ herd-import --kind table --map created_at=when a.csv
  herd-import: --kind: 'table' is not post, metric or bar
  Try 'herd-import --help' for more information.
  [2]
  $ herd-import --encoding cp1252 --map created_at=when a.csv
  herd-import: --encoding: 'cp1252' is not utf8, utf-8, latin1 or iso-8859-1
  Try 'herd-import --help' for more information.
  [2]
  $ herd-import --kind metric --map entity=ticker --date-from-filename a.csv
  herd-import: metrics need at least one --value NAME=COLUMN
  Try 'herd-import --help' for more information.
  [2]
  $ herd-import --delimiter ';;' --map created_at=when a.csv
  herd-import: --delimiter: ';;' is not one character (or 'tab')
  Try 'herd-import --help' for more information.
  [2]
  $ herd-import --map created_at=when a.csv > /dev/full
  herd-import: write error: No space left on device
  [1]

--extract: entities from the title and text, by the extractor herd-normalize
uses (cashtags; listed capitals that are not words like IT or ON; names such
as GameStop), in the cleaned text (&amp; decoded). With an entities column
too a post gets both, sorted and unique. --entities and --dict work as in
herd-normalize and imply --extract (recall also takes ON before "calls" and
the unlisted capitals ZZZ beside a trading word; --dict mydict knows ZZZ).

  $ printf 'date,title,body,sym\n2021-01-27,GameStop!,"$TSLA &amp; $amc, IT is ON",AMC\n2021-01-27,,plain words,\n2021-01-27,,"ON calls, ZZZ",bb\n' > e.csv
  $ herd-import --map created_at=date,title=title,text=body,entities=sym e.csv | grep -o '"entities":[^]]*]'
  "entities":["AMC"]
  "entities":[]
  "entities":["BB"]
  $ herd-import --map created_at=date,title=title,text=body,entities=sym --extract e.csv | grep -o '"text":"[^"]*".*"entities":[^]]*]' | sed 's/"url".*"entities"/…"entities"/'
  "text":"$TSLA & $amc, IT is ON",…"entities":["AMC","GME","TSLA"]
  "text":"plain words",…"entities":[]
  "text":"ON calls, ZZZ",…"entities":["BB"]
  $ herd-import --map created_at=date,text=body --extract e.csv | grep -o '"entities":[^]]*]'
  "entities":["AMC","TSLA"]
  "entities":[]
  "entities":[]
  $ herd-import --map created_at=date,text=body --entities recall e.csv | grep -o '"entities":[^]]*]'
  "entities":["AMC","TSLA"]
  "entities":[]
  "entities":["ON","ZZZ"]
  $ herd-import --map created_at=date,text=body --entities cashtags e.csv | grep -o '"entities":[^]]*]'
  "entities":["AMC","TSLA"]
  "entities":[]
  "entities":[]
  $ mkdir mydict && printf 'ZZZ\tZed\tstock\n' > mydict/tickers.tsv
  $ herd-import --map created_at=date,text=body --dict mydict e.csv | grep -o '"entities":[^]]*]'
  "entities":["AMC","TSLA"]
  "entities":[]
  "entities":["ZZZ"]
  $ herd-import --map created_at=date,text=body --extract --dict nowhere e.csv
  herd-import: nowhere: no dictionary here (tickers.tsv, aliases.tsv or stoplist.txt)
  [1]
  $ herd-import --map created_at=date,text=body --entities some e.csv
  herd-import: --entities: 'some' is not one of: precision, recall, cashtags, none
  Try 'herd-import --help' for more information.
  [2]
  $ herd-import --kind metric --map entity=sym,at=date --value n=sym --extract e.csv
  herd-import: --extract finds entities in post text: not with --kind metric
  Try 'herd-import --help' for more information.
  [2]

The real Reddit ticker dump (51,121 ticker-comment rows, multi-line quoted
comments): every row becomes a post and no row is rejected.

  $ [ -d "$SHARED" ] || exit 80
  $ D=$SHARED/reddit-ticker-comments-2021-01/daily_data
  $ herd-import --source reddit --date-from-filename --community-from-filename '^[0-9-]+_([a-z]+)_' --map text=comment,entities=ticker,vader.compound=compound $D/*.csv > posts.ndjson
  $ wc -l < posts.ndjson
  51121
  $ grep -c '"community":"wallstreetbets","created_at":"2021-01-27T00:00:00Z".*"entities":\["GME"\]' posts.ndjson
  3237

--extract on the same rows: herd's extractor finds a row's ticker (the
dump's label) in 30,815 of 51,121 rows. The dump labelled rows by plain word
matching, so most of the other labels are words: 11,801 of the 20,306 are on
herd's stop list (DD, IT, ARE, FOR, CEO...). With the ticker column mapped
too, every post keeps its label and gets everything the text names.

  $ herd-import --source reddit --date-from-filename --map text=comment,entities=ticker $D/*.csv > col.ndjson
  $ herd-import --source reddit --date-from-filename --map text=comment --extract $D/*.csv > ext.ndjson
  $ herd-import --source reddit --date-from-filename --map text=comment,entities=ticker --extract $D/*.csv > both.ndjson
  $ ents() { grep -o '"entities":\[[^]]*\]' "$1" | sed 's/^"entities":\[//; s/\]$//'; }
  $ paste -d '|' <(ents col.ndjson) <(ents ext.ndjson) | awk -F'|' '{ if (index("," $2 ",", "," $1 ",")) n++ } END { print n " of " NR }'
  30815 of 51121
  $ paste -d '|' <(ents col.ndjson) <(ents ext.ndjson) | awk -F'|' '!index("," $2 ",", "," $1 ",") { gsub(/"/, "", $1); print $1 }' > missed.txt
  $ awk 'NR == FNR { if ($1 !~ /^#/) stop[toupper($1)] = 1; next } { n++; s += ($1 in stop) } END { print s " of " n " stop-listed" }' "$TESTDIR/../../data/entities/stoplist.txt" missed.txt
  11801 of 20306 stop-listed
  $ paste -d '|' <(ents col.ndjson) <(ents ext.ndjson) <(ents both.ndjson) |
  >   awk -F'|' '{ m = split($2, e, ","); bad += !index("," $3 ",", "," $1 ","); for (i = 1; i <= m; i++) bad += !index("," $3 ",", "," e[i] ",") } END { print bad + 0 " missing" }'
  0 missing
