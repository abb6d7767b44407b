herd-fetch: the command line (usage errors, --help, credentials, replays
of inline bodies). The sources against a fake API with faults are in
tests/fetch/check-*.sh.

Help: line 1 "Usage: ...", line 2 the summary; every source with its
credentials, every option.

  $ herd-fetch --help | head -2
  Usage: herd-fetch SOURCE [OPTIONS] QUERY...
  Collect posts and metrics from an API (Reddit, StockTwits, NewsAPI, X, Alpha Vantage, Yahoo, Wikipedia, Unusual Whales, Finnhub, Google Trends).
  $ herd-fetch --help | grep -cE '^  (reddit|stocktwits|newsapi|x|alphavantage|yahoo|wikipedia) '
  7
  $ herd-fetch --help | grep -oE 'REDDIT_CLIENT_ID|REDDIT_CLIENT_SECRET|STOCKTWITS_TOKEN|NEWSAPI_KEY|X_BEARER_TOKEN|ALPHAVANTAGE_KEY|HERD_CONTACT' | sort -u | tr '\n' ' '; echo
  ALPHAVANTAGE_KEY HERD_CONTACT NEWSAPI_KEY REDDIT_CLIENT_ID REDDIT_CLIENT_SECRET STOCKTWITS_TOKEN X_BEARER_TOKEN 
  $ for o in state budget max-pages since every timeout connect-timeout retries max-wait base-url user-agent now replay query listing function bar articles lang max-results; do herd-fetch --help | grep -q -- "--$o" || echo "--$o undocumented"; done
  $ herd-fetch --version | sed 's/[0-9][0-9.]*$/VERSION/'
  herd-fetch VERSION

Usage errors: exit 2, one line and a pointer to --help.

  $ herd-fetch
  herd-fetch: no SOURCE (one of: reddit, stocktwits, newsapi, x, alphavantage, yahoo, wikipedia, unusualwhales, finnhub, trends)
  Try 'herd-fetch --help' for more information.
  [2]
  $ herd-fetch myspace GME
  herd-fetch: 'myspace' is not a source (one of: reddit, stocktwits, newsapi, x, alphavantage, yahoo, wikipedia, unusualwhales, finnhub, trends)
  Try 'herd-fetch --help' for more information.
  [2]
  $ herd-fetch yahoo
  herd-fetch: yahoo: no QUERY (what to fetch: see --help)
  Try 'herd-fetch --help' for more information.
  [2]
  $ herd-fetch yahoo --replay
  herd-fetch: --replay: no FILE to replay
  Try 'herd-fetch --help' for more information.
  [2]

An empty saved response (or blank lines) is an empty input, as for every
filter: a warning, no records, exit 0.

  $ : > empty.json && herd-fetch reddit --replay empty.json && printf '\n\n' | herd-fetch yahoo --replay --query GME - | wc -c
  herd-fetch: empty.json: empty file, nothing replayed
  herd-fetch: <stdin>: empty file, nothing replayed
  0
  $ herd-fetch yahoo GME --listing new
  herd-fetch: --listing is an option of reddit, not of yahoo
  Try 'herd-fetch --help' for more information.
  [2]
  $ herd-fetch yahoo GME --query GME
  herd-fetch: --query goes with --replay
  Try 'herd-fetch --help' for more information.
  [2]
  $ herd-fetch yahoo GME --timeout soon
  herd-fetch: --timeout: 'soon' is not a duration (like 500ms, 20s, 1.5m, 1h)
  Try 'herd-fetch --help' for more information.
  [2]
  $ herd-fetch yahoo GME --retries 11
  herd-fetch: --retries: 11 is out of range [0, 10]
  Try 'herd-fetch --help' for more information.
  [2]
  $ herd-fetch yahoo GME --bar 2h --state s.db
  herd-fetch: yahoo: --bar '2h' is not a Yahoo interval (1m 2m 5m 15m 30m 60m 90m 1h 1d 5d 1wk 1mo 3mo)
  [2]
  $ ALPHAVANTAGE_KEY=k-123456 herd-fetch alphavantage GME --function weekly --state s.db
  herd-fetch: alphavantage: --function: 'weekly' is not one of: news, daily, intraday
  [2]
  $ herd-fetch reddit wallstreetbets --listing hot --state s.db
  herd-fetch: reddit: --listing: 'hot' is not one of: new, comments
  [2]

Credentials: from the environment or a NAME_FILE; missing ones are named,
exit 2, before anything is asked.

  $ env -u NEWSAPI_KEY -u NEWSAPI_KEY_FILE herd-fetch newsapi GME --state s.db
  herd-fetch: newsapi: NEWSAPI_KEY (or NEWSAPI_KEY_FILE) is not set: get a key at https://newsapi.org/register
  [2]
  $ NEWSAPI_KEY= NEWSAPI_KEY_FILE=nosuch herd-fetch newsapi GME --state s.db
  herd-fetch: nosuch: cannot read NEWSAPI_KEY_FILE: No such file or directory
  [1]

A host that refuses connections: the query fails (exit 1), said with the
request it was; no request reached it, so none is counted in the budget
(the budget counts what is sent: issue 14).

  $ herd-fetch yahoo GME --base-url http://127.0.0.1:9 --retries 1 --state s.db 2>&1 | sed 's/after [0-9]* ms/after N ms/; s/in [0-9.]* s$/in N s/'
  herd-fetch: yahoo GME/1d: Failed to connect to 127.0.0.1 port 9 after N ms: Couldn't connect to server; attempt 2 of 2 in N s
  herd-fetch: yahoo GME/1d: Failed to connect to 127.0.0.1 port 9 after N ms: Couldn't connect to server (gave up after 2 attempts)
  herd-fetch: yahoo: 0 items from 0 requests; 0 queries done, 1 failed
  $ sqlite3 s.db "SELECT source, used, budget IS NULL FROM fetch_budget; SELECT source, query, last_success IS NULL, last_error LIKE '%(gave up after 2 attempts)' FROM fetch_sources"
  yahoo|GME/1d|1|1

Replays: saved bodies (here written inline) become the raw records a live
fetch writes; --query names them; a body that is not the source's is
refused with the file's name (exit 1); writing to a full disk is an error.

  $ echo '{"cursor":{"more":false,"max":2,"since":3},"messages":[{"id":3,"body":"$GME up","created_at":"2021-01-27T14:00:00Z","user":{"username":"a"}},{"id":2,"body":"meh","created_at":"2021-01-27T13:00:00Z"}],"symbol":{"symbol":"GME"}}' > st.json
  $ herd-fetch stocktwits --replay --now 2021-01-27T14:05:00Z st.json
  {"kind":"raw","source":"stocktwits","fetched_at":"2021-01-27T14:05:00Z","query":"GME","item":{"id":3,"body":"$GME up","created_at":"2021-01-27T14:00:00Z","user":{"username":"a"}}}
  {"kind":"raw","source":"stocktwits","fetched_at":"2021-01-27T14:05:00Z","query":"GME","item":{"id":2,"body":"meh","created_at":"2021-01-27T13:00:00Z"}}
  $ gzip -c st.json > st.json.gz && herd-fetch stocktwits --replay --now 2021-01-27T14:05:00Z --query TSLA st.json.gz | jq -r .query
  TSLA
  TSLA
  $ herd-fetch reddit --replay st.json nosuch.json
  herd-fetch: st.json:1: not a Reddit Listing
  herd-fetch: nosuch.json: cannot open: No such file or directory
  [1]
  $ printf '{"messages":[{"id":1,"body":"a","created_at":"2021-01-27T13:00:00Z"}]}\n\n{"messages": [\n' > bodies.ndjson
  $ herd-fetch stocktwits --replay --now 2021-01-27T14:05:00Z bodies.ndjson
  {"kind":"raw","source":"stocktwits","fetched_at":"2021-01-27T14:05:00Z","query":null,"item":{"id":1,"body":"a","created_at":"2021-01-27T13:00:00Z"}}
  herd-fetch: bodies.ndjson:3: invalid JSON at column 14: ']' expected near end of file
  [1]
  $ jq . st.json | herd-fetch stocktwits --replay - | wc -l
  2
  $ printf '{\n"messages": [1\n' | herd-fetch stocktwits --replay -
  herd-fetch: <stdin>:3: invalid JSON: ']' expected near end of file
  [1]
  $ herd-fetch stocktwits --replay st.json > /dev/full
  herd-fetch: write error: No space left on device
  [1]

Alpha Vantage series are in US/Eastern: EST (UTC-5) and EDT (UTC-4), the
switch at 02:00 local on the second Sunday of March and the first Sunday of
November (2021: March 14, November 7); dates are days at midnight UTC.

  $ echo '{"Meta Data":{"2. Symbol":"gme","6. Time Zone":"US/Eastern"},"Time Series (5min)":{"2021-03-14 01:55:00":{"1. open":"1","2. high":"2","3. low":"0.5","4. close":"1.5","5. volume":"10"},"2021-03-14 03:00:00":{"1. open":"1","2. high":"2","3. low":"0.5","4. close":"1.5","5. volume":"10"},"2021-07-01 09:30:00":{"1. open":"1","2. high":"2","3. low":"0.5","4. close":"1.5","5. volume":"10"},"2021-11-07 01:30:00":{"1. open":"1","2. high":"2","3. low":"0.5","4. close":"1.5","5. volume":"10"},"2021-11-07 02:30:00":{"1. open":"1","2. high":"2","3. low":"0.5","4. close":"1.5","5. volume":"10"}}}' | herd-normalize --source alphavantage | jq -c '[.entity, .at, .interval]'
  ["GME","2021-03-14T06:55:00Z","5m"]
  ["GME","2021-03-14T07:00:00Z","5m"]
  ["GME","2021-07-01T13:30:00Z","5m"]
  ["GME","2021-11-07T05:30:00Z","5m"]
  ["GME","2021-11-07T07:30:00Z","5m"]
  $ echo '{"Meta Data":{"2. Symbol":"GME","5. Time Zone":"US/Eastern"},"Time Series (Daily)":{"2021-01-27":{"1. open":"354.83","2. high":"380.00","3. low":"249.00","4. close":"347.51","5. volume":"93396700"}}}' | herd-normalize --source alphavantage
  {"kind":"metric","source":"alphavantage","entity":"GME","at":"2021-01-27T00:00:00Z","name":"bar","value":347.51,"interval":"1d","open":354.83,"high":380,"low":249,"close":347.51,"volume":93396700}
  $ echo '{"Meta Data":{"2. Symbol":"GME","6. Time Zone":"Asia/Tokyo"},"Time Series (5min)":{"2021-03-14 01:55:00":{"4. close":"1"}}}' | herd-normalize --source alphavantage
  herd-normalize: <stdin>:1: item 1: bar "2021-03-14 01:55:00": not a time in zone Asia/Tokyo
  herd-normalize: 1 of 1 lines rejected (use --rejects FILE to keep them)
  [1]
