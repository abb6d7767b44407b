#!/usr/bin/env python3
"""fixture-server.py — a fake of the seven APIs herd-fetch reads, on loopback,
for tests/fetch/check-*.sh. Python standard library only; a test tool, never
on herd's data path.

It serves recorded responses (../shared/data/api-fixtures and
tests/fetch/fixtures) the way each API pages them, so herd-fetch's cursors,
paging and re-runs meet the real protocols:
  reddit      POST /api/v1/access_token (basic auth), GET /r/SUB/new|comments
              (limit, after; bearer token)
  stocktwits  GET /api/2/streams/symbol/SYM.json (since, max; cursor)
  newsapi     GET /v2/everything (q, from, page, pageSize; X-Api-Key;
              426 maximumResultsReached past the plan's results)
  x           GET /2/tweets/search/recent (since_id, next_token, max_results;
              bearer; includes.users)
  alphavantage GET /query?function=NEWS_SENTIMENT|TIME_SERIES_*&apikey=…
  yahoo       GET /v8/finance/chart/SYM (period1 cuts the bars; ETag, 304)
  wikipedia   GET /metrics/pageviews/per-article/…/ARTICLE/daily/START/END
              (404 when no day is in range; ETag, 304)
  unusualwhales GET /api/option-trades/flow-alerts (ticker_symbol, limit,
              older_than, newer_than; bearer), newest first
  finnhub     GET /api/v1/stock/upgrade-downgrade (symbol, from, to) and
              /api/v1/stock/price-target (symbol); X-Finnhub-Token
  trends      GET /trends/api/explore (req: keyword, geo, time) → widgets
              with a token, and a cookie that multiline wants (429 without
              it); GET /trends/api/widgetdata/multiline (req =
              the widget's request, token): the series of a "csv" dataset
              (a Google Trends export) over the window asked, rescaled so
              that its largest value is 100, as Google does per request
and injects faults on demand, per request sequence, from the test's config.

  fixture-server.py CONFIG.json PORTFILE LOGFILE
  fixture-server.py --generate SOURCE N OUT FIXTURES   (see generate())

CONFIG (re-read whenever its mtime changes, so a test can publish new items
or add faults between runs; the request counts faults go by restart then):
  {"datasets": {"reddit:wallstreetbets/new": {"file": F, "hide": 0}, …},
   "page_size": {"reddit": 25, …},
   "secrets": {"reddit_id":…, "reddit_secret":…, "newsapi_key":…, "x_bearer":…, "av_key":…},
   "max_results": 100,
   "gzip": true,
   "faults": [{"path": "/r/wallstreetbets/new", "nth": [2], "fault": "500"}, …]}
A dataset is a recorded response file; its items are served newest first;
"hide": N hides the N newest (published later by setting it to 0).
Faults (nth counts the requests to that path since the config was read):
  "500", "503", "429" (+ "retry_after": "1" or "date:2"), "reset" (RST),
  "slow" (+ "seconds"), "truncate" (half the body, then close),
  "invalid_json", "expire_token" (tokens issued so far are refused: 401),
  "repeat" (the page starts with the previous page's last item, and drops
  nothing: it is one item longer, as when an item was published at the top
  between two requests),
  "ratelimit" (the source's rate-limit headers say 0 left, reset in
  "seconds"), "av_note", "av_information", "hang" (no answer for 60 s; the
  file PORTFILE.hung says which request hangs), "disorder" (the page's
  items in reverse order: newest first broken).
"fault_cycle": {"every": 2, "kinds": ["429", "500", …], "retry_after": "1"}
injects a fault on every second request (any path, counted since the server
started), the kinds in turn; and
"slow_all": SECONDS delays every answer (for tests that kill at random).

LOGFILE gets one JSON line per request: seq, t (time.time()), method, path,
query, headers (secret values replaced by "<present>"), auth_ok, client port,
fault, status. Secrets never reach the log.
"""
import base64
import datetime
import gzip
import hashlib
import json
import os
import re
import socket
import struct
import sys
import threading
import time
import urllib.parse
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

if len(sys.argv) == 6 and sys.argv[1] == "--generate":
    CONFIG = PORTFILE = LOGFILE = None
else:
    CONFIG, PORTFILE, LOGFILE = sys.argv[1], sys.argv[2], sys.argv[3]
lock = threading.Lock()
state = {"mtime": None, "config": {}, "counts": {}, "seq": 0, "tokens": set(), "token_n": 0}
SECRET_HEADERS = ("authorization", "x-api-key", "x-finnhub-token")
SECRET_PARAMS = ("apikey", "access_token")


def config():
    with lock:
        try:
            m = os.stat(CONFIG).st_mtime_ns
        except OSError:
            return state["config"]
        if m != state["mtime"]:
            with open(CONFIG) as f:
                state["config"] = json.load(f)
            state["mtime"] = m
            state["counts"] = {}
        return state["config"]


def load(path):
    """A recorded response: a body, or a recorded pair {"request","response":{"bodyJson"}}."""
    with open(path, "rb") as f:
        v = json.loads(f.read())
    if isinstance(v, dict) and "request" in v and isinstance(v.get("response"), dict) and "bodyJson" in v["response"]:
        return v["response"]["bodyJson"]
    return v


def dataset(cfg, key):
    """A dataset's body; "file" may be a list of recorded pages, whose item
    lists are joined."""
    d = cfg.get("datasets", {}).get(key)
    if not d:
        return None, None
    files = d["file"] if isinstance(d["file"], list) else [d["file"]]
    body = load(files[0])
    for more in files[1:]:
        for k, v in load(more).items():
            if isinstance(v, list) and isinstance(body.get(k), list):
                body[k] = body[k] + v
    return body, d


def visible(items, d):
    return items[d.get("hide", 0):]


# ---------------------------------------------------------------- the APIs

def reddit_token(h, cfg):
    sec = cfg.get("secrets", {})
    want = base64.b64encode(f'{sec.get("reddit_id")}:{sec.get("reddit_secret")}'.encode()).decode()
    if h.headers.get("Authorization", "") != "Basic " + want:
        return 401, {"message": "Unauthorized", "error": 401}, {}
    with lock:
        state["token_n"] += 1
        tok = "tok-%d-%s" % (state["token_n"], sec.get("reddit_secret", "")[:2])
        state["tokens"].add(tok)
    return 200, {"access_token": tok, "token_type": "bearer", "expires_in": 3600, "scope": "*"}, {}


def bearer_ok(h, cfg, valid):
    a = h.headers.get("Authorization", "")
    return a.lower().startswith("bearer ") and a[7:] in valid


def page_of(items, start, size, fault):
    # "repeat": the page also starts with the previous page's last item, as
    # a page does when an item was published at the top between the two
    # requests; it drops nothing (the page is one item longer).
    first = start - 1 if fault == "repeat" and start > 0 else start
    page = items[first:start + size]
    if fault == "disorder":
        page = page[::-1]
    return page, start + size


def reddit_listing(h, cfg, sub, listing, q, fault):
    if not bearer_ok(h, cfg, state["tokens"]):
        return 401, {"message": "Unauthorized", "error": 401}, {}
    body, d = dataset(cfg, f"reddit:{sub}/{listing}")
    if body is None:
        return 404, {"message": "Not Found", "error": 404}, {}
    items = sorted(body["data"]["children"], key=lambda c: (c["data"]["created_utc"], int(c["data"]["id"], 36)),
                   reverse=True)
    items = visible(items, d)
    size = min(int(q.get("limit", 25)), cfg.get("page_size", {}).get("reddit", 25))
    start = 0
    if "after" in q:
        names = [c["data"]["name"] for c in items]
        start = names.index(q["after"]) + 1 if q["after"] in names else len(items)
    page, end = page_of(items, start, size, fault)
    after = items[min(end, len(items)) - 1]["data"]["name"] if end < len(items) and page else None
    return 200, {"kind": "Listing", "data": {"modhash": "", "after": after, "before": None, "children": page}}, {}


def stocktwits_stream(h, cfg, sym, q, fault):
    body, d = dataset(cfg, f"stocktwits:{sym}")
    if body is None:
        return 404, {"response": {"status": 404}, "errors": [{"message": "Symbol not found"}]}, {}
    items = sorted(body["messages"], key=lambda m: m["id"], reverse=True)
    items = visible(items, d)
    if "since" in q:
        items = [m for m in items if m["id"] > int(q["since"])]
    start = 0
    if "max" in q:
        start = next((i for i, m in enumerate(items) if m["id"] <= int(q["max"])), len(items))
    size = cfg.get("page_size", {}).get("stocktwits", 30)
    page, end = page_of(items, start, size, fault)
    cursor = {"more": end < len(items), "since": max(m["id"] for m in page) if page else None,
              "max": min(m["id"] for m in page) if page else None}
    return 200, {"cursor": cursor, "messages": page, "response": {"status": 200}, "symbol": body.get("symbol")}, {}


def newsapi_everything(h, cfg, q, fault):
    if h.headers.get("X-Api-Key") != cfg.get("secrets", {}).get("newsapi_key"):
        return 401, {"status": "error", "code": "apiKeyInvalid", "message": "Your API key is invalid or incorrect."}, {}
    body, d = dataset(cfg, "newsapi:" + q.get("q", ""))
    if body is None:
        return 200, {"status": "ok", "totalResults": 0, "articles": []}, {}
    seen, items = set(), []
    for a in sorted(body["articles"], key=lambda a: a["publishedAt"], reverse=True):
        if a["url"] not in seen:
            seen.add(a["url"])
            items.append(a)
    items = visible(items, d)
    if "from" in q:
        items = [a for a in items if a["publishedAt"] >= q["from"]]
    size = min(int(q.get("pageSize", 100)), cfg.get("page_size", {}).get("newsapi", 100))
    pageno = int(q.get("page", 1))
    if (pageno - 1) * size >= cfg.get("max_results", 100):
        return 426, {"status": "error", "code": "maximumResultsReached",
                     "message": "You have requested too many results. Developer accounts are limited to a max of 100 results."}, {}
    page, _ = page_of(items, (pageno - 1) * size, size, fault)
    return 200, {"status": "ok", "totalResults": len(items), "articles": page}, {}


def x_search(h, cfg, q, fault):
    if h.headers.get("Authorization") != "Bearer " + cfg.get("secrets", {}).get("x_bearer", ""):
        return 401, {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}, {}
    body, d = dataset(cfg, "x:" + q.get("query", ""))
    if body is None:
        return 200, {"meta": {"result_count": 0}}, {}
    items = sorted(body["data"], key=lambda t: int(t["id"]), reverse=True)
    items = visible(items, d)
    if "since_id" in q:
        items = [t for t in items if int(t["id"]) > int(q["since_id"])]
    start = int(q["next_token"][4:]) if q.get("next_token", "").startswith("tok-") else 0
    size = min(int(q.get("max_results", 10)), cfg.get("page_size", {}).get("x", 100))
    page, end = page_of(items, start, size, fault)
    meta = {"result_count": len(page)}
    if page:
        meta.update(newest_id=max(page, key=lambda t: int(t["id"]))["id"], oldest_id=min(page, key=lambda t: int(t["id"]))["id"])
    if end < len(items):
        meta["next_token"] = "tok-%d" % end
    out = {"data": page, "meta": meta} if page else {"meta": meta}
    users = {u["id"]: u for u in body.get("includes", {}).get("users", [])}
    inc = [users[t["author_id"]] for t in page if t.get("author_id") in users]
    if inc:
        out["includes"] = {"users": list({u["id"]: u for u in inc}.values())}
    return 200, out, {}


def alphavantage(h, cfg, q, fault):
    if q.get("apikey") != cfg.get("secrets", {}).get("av_key"):
        return 200, {"Error Message": "the parameter apikey is invalid or missing."}, {}
    fn = q.get("function", "")
    key = "alphavantage:%s:%s" % (fn, q.get("tickers") or q.get("topics") or q.get("symbol") or "")
    body, d = dataset(cfg, key)
    if body is None:
        return 200, {"Error Message": "Invalid API call. Please retry or visit the documentation for %s." % fn}, {}
    if fn == "NEWS_SENTIMENT":
        feed = sorted(body["feed"], key=lambda a: a["time_published"], reverse=True)
        feed = visible(feed, d)
        if "time_from" in q:
            feed = [a for a in feed if a["time_published"][:13] >= q["time_from"]]
        if fault == "disorder":
            feed = feed[::-1]
        return 200, dict(body, items=str(len(feed)), feed=feed), {}
    return 200, body, {}


def yahoo_chart(h, cfg, sym, q, fault):
    body, d = dataset(cfg, "yahoo:" + sym)
    if body is None:
        return 404, {"chart": {"result": None, "error": {"code": "Not Found", "description": "No data found, symbol may be delisted"}}}, {}
    hide = d.get("hide", 0)
    if "period1" in q or hide:
        body = json.loads(json.dumps(body))
        r = body["chart"]["result"][0]
        ts = r.get("timestamp", [])
        shown = len(ts) - hide
        keep = [i for i, t in enumerate(ts) if i < shown and t >= int(q.get("period1", 0))]
        r["timestamp"] = [r["timestamp"][i] for i in keep]
        for group in r["indicators"].values():
            for col in group:
                for k in col:
                    col[k] = [col[k][i] for i in keep]
    return 200, body, {}


def wikipedia(h, cfg, article, start, end, fault):
    body, d = dataset(cfg, "wikipedia:" + urllib.parse.unquote(article))
    shown = [] if body is None else body["items"][:len(body["items"]) - d.get("hide", 0)]
    items = [i for i in shown if start + "00" <= i["timestamp"] <= end + "00"]
    if not items:
        return 404, {"type": "https://mediawiki.org/wiki/HyperSwitch/errors/not_found", "title": "Not found.",
                     "method": "get", "detail": "The date(s) you used are valid, but we either do not have data for those date(s), or the project you asked for is not loaded yet."}, {}
    return 200, {"items": items}, {}


def parse_ts(v):
    """An ISO 8601 time (with fractions) or Unix seconds, as Unix seconds (float)."""
    if re.fullmatch(r"[0-9]+(\.[0-9]*)?", v):
        return float(v)
    return datetime.datetime.fromisoformat(v.replace("Z", "+00:00")).timestamp()


def unusualwhales_flow(h, cfg, q, fault):
    if h.headers.get("Authorization") != "Bearer " + cfg.get("secrets", {}).get("uw_token", ""):
        return 401, {"error": "Invalid API key"}, {}
    body, d = dataset(cfg, "unusualwhales:" + q.get("ticker_symbol", ""))
    if body is None:
        return 200, {"data": []}, {}
    items = sorted(body["data"], key=lambda a: (parse_ts(a["created_at"]), a["id"]), reverse=True)
    items = visible(items, d)
    if q.get("ticker_symbol"):
        items = [a for a in items if a.get("ticker") == q["ticker_symbol"]]
    if "newer_than" in q:
        items = [a for a in items if parse_ts(a["created_at"]) > parse_ts(q["newer_than"])]
    if "older_than" in q:
        items = [a for a in items if parse_ts(a["created_at"]) < parse_ts(q["older_than"])]
    size = min(int(q.get("limit", 100)), cfg.get("page_size", {}).get("unusualwhales", 200))
    page, _ = page_of(items, 0, size, None)
    if fault == "repeat" and page and "older_than" in q:  # the previous page's oldest again
        prev = [a for a in sorted(body["data"], key=lambda a: (parse_ts(a["created_at"]), a["id"]), reverse=True)
                if parse_ts(a["created_at"]) >= parse_ts(q["older_than"])]
        page = prev[-1:] + page
    if fault == "disorder":
        page = page[::-1]
    return 200, {"data": page}, {}


def finnhub(h, cfg, path, q, fault):
    if h.headers.get("X-Finnhub-Token") != cfg.get("secrets", {}).get("finnhub_key"):
        return 401, {"error": "Invalid API key"}, {}
    sym = q.get("symbol", "")
    if path.endswith("/price-target"):
        body, d = dataset(cfg, "finnhub-target:" + sym)
        if body is None:
            return 200, {}, {}
        body = body if isinstance(body, list) else [body]
        items = visible(sorted(body, key=lambda t: t["lastUpdated"], reverse=True), d)
        return 200, items[0] if items else {}, {}
    body, d = dataset(cfg, "finnhub:" + sym)
    if body is None:
        return 200, [], {}
    items = visible(sorted(body, key=lambda r: r["gradeTime"], reverse=True), d)
    day = lambda t: datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%d")
    if "from" in q:
        items = [r for r in items if day(r["gradeTime"]) >= q["from"]]
    if "to" in q:
        items = [r for r in items if day(r["gradeTime"]) <= q["to"]]
    if fault == "disorder":
        items = items[::-1]
    return 200, items, {}


def trends_series(cfg, keyword):
    """A Trends dataset: a Google Trends CSV export (3 header lines, then
    DAY,VALUE with "<1" for under one) as [(unix day, value)], the newest
    "hide" days hidden."""
    d = cfg.get("datasets", {}).get("trends:" + keyword)
    if not d:
        return None
    rows = []
    with open(d["csv"]) as f:
        for line in f.read().splitlines()[3:]:
            day, v = line.split(",")
            t = int(datetime.datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=datetime.timezone.utc).timestamp())
            rows.append((t, 0.5 if v == "<1" else float(v)))
    return rows[:len(rows) - d.get("hide", 0)]


PREFIX_EXPLORE, PREFIX_MULTILINE = b")]}'\n", b")]}',\n"


def trends_explore(h, cfg, q, fault):
    req = json.loads(q.get("req", "{}"))
    item = (req.get("comparisonItem") or [{}])[0]
    kw, when = item.get("keyword", ""), item.get("time", "")
    token = hashlib.sha1(("%s|%s|%s" % (kw, item.get("geo", ""), when)).encode()).hexdigest()[:24]
    with lock:
        state.setdefault("trends_tokens", {})[token] = (kw, when)
    widget_req = {"time": when, "resolution": "DAY", "locale": "en-US",
                  "comparisonItem": [{"geo": {"country": item.get("geo", "")} if item.get("geo") else {},
                                      "complexKeywordsRestriction": {"keyword": [{"type": "BROAD", "value": kw}]}}],
                  "requestOptions": {"property": "", "backend": "IZG", "category": 0},
                  "userConfig": {"userType": "USER_TYPE_LEGIT_USER"}}
    widgets = [{"request": widget_req, "lineAnnotationText": "Search interest", "bullets": [{"text": kw}],
                "showLegend": False, "resolution": "DAY", "id": "TIMESERIES", "type": "fe_line_chart",
                "title": "Interest over time", "template": "fe", "embedTemplate": "fe_embed", "version": "1",
                "isLong": True, "isCurated": False, "token": token, "keywordName": kw},
               {"request": {}, "id": "GEO_MAP", "title": "Interest by subregion", "token": "geo-" + token}]
    return 200, PREFIX_EXPLORE + json.dumps({"widgets": widgets}).encode(), {"Set-Cookie": "NID=herd-test-cookie; Path=/"}


def trends_multiline(h, cfg, q, fault):
    with lock:
        kw_when = state.get("trends_tokens", {}).get(q.get("token", ""))
    req = json.loads(q.get("req", "{}"))
    if not kw_when or req.get("time") != kw_when[1]:
        return 401, b"<html><body>Error 401 (Unauthorized)</body></html>", {}
    if "NID=herd-test-cookie" not in h.headers.get("Cookie", ""):  # as Google may: no cookie, no answer
        return 429, b"<html><body>Too Many Requests</body></html>", {}
    kw, when = kw_when
    rows = trends_series(cfg, kw)
    if rows is None:
        return 200, PREFIX_MULTILINE + json.dumps({"default": {"timelineData": [], "averages": []}}).encode(), {}
    a, b = [int(datetime.datetime.strptime(x, "%Y-%m-%d").replace(tzinfo=datetime.timezone.utc).timestamp())
            for x in when.split(" ")]
    window = [(t, v) for t, v in rows if a <= t <= b]
    top = max([v for _, v in window] or [0]) or 1
    out = []
    for i, (t, v) in enumerate(window):
        x = 100.0 * v / top
        day = datetime.datetime.fromtimestamp(t, datetime.timezone.utc)
        p = {"time": str(t), "formattedTime": day.strftime("%b %-d, %Y"), "formattedAxisTime": day.strftime("%b %-d"),
             "value": [int(round(x)) if x >= 1 else 0], "hasData": [True],
             "formattedValue": [str(int(round(x))) if x >= 1 else "<1"]}
        if i == len(window) - 1 and t + 86400 > cfg.get("trends_now", 1 << 62):
            p["isPartial"] = True
        out.append(p)
    if fault == "disorder":
        out = out[::-1]
    return 200, PREFIX_MULTILINE + json.dumps({"default": {"timelineData": out, "averages": []}}).encode(), {}


# ---------------------------------------------------------------- generated datasets

def generate(kind, n, out, fixtures):
    """Write a recorded-response file of n items of kind in the API's own
    shape: a real item of the recorded fixtures (FIXTURES, the api-fixtures
    folder; tests/fetch/fixtures for the sources without public recordings)
    copied n times with new ids and times, one a minute from 2021-03-01 (ids
    grow with time; NewsAPI's and Alpha Vantage's times tie in pairs, as
    articles of one second do), for the tests that cut runs at every page."""
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
    t0 = 1614556800
    def iso(t, frac=False):
        d = datetime.datetime.fromtimestamp(t, datetime.timezone.utc)
        return d.strftime("%Y-%m-%dT%H:%M:%S") + (".%06dZ" % d.microsecond if frac else "Z")
    def b36(v):
        digits = "0123456789abcdefghijklmnopqrstuvwxyz"
        o = ""
        while v:
            v, r = divmod(v, 36)
            o = digits[r] + o
        return o or "0"
    if kind == "reddit":
        body = load(os.path.join(fixtures, "reddit/TestSubredditListings.test_new.1.json"))
        tpl = body["data"]["children"][0]
        kids = []
        for i in range(n):
            c = json.loads(json.dumps(tpl))
            c["data"]["id"] = b36(36 ** 5 + i * 7)
            c["data"]["name"] = "t3_" + c["data"]["id"]
            c["data"]["created_utc"] = float(t0 + 60 * i)
            kids.append(c)
        body["data"]["children"] = kids
    elif kind == "stocktwits":
        body = load(os.path.join(fixtures, "stocktwits/get_symbol_msgs.json"))
        tpl = body["messages"][0]
        body["messages"] = [dict(json.loads(json.dumps(tpl)), id=300000000 + 3 * i, created_at=iso(t0 + 60 * i))
                            for i in range(n)]
    elif kind == "newsapi":
        body = load(os.path.join(fixtures, "newsapi/newsapi_response_p1.json"))
        tpl = body["articles"][0]
        body["articles"] = [dict(tpl, url="https://example.com/news/%d" % i, publishedAt=iso(t0 + 60 * (i // 2)))
                            for i in range(n)]
        body["totalResults"] = n
    elif kind == "x":
        body = load(os.path.join(fixtures, "x-twitter-v2/test_client_get_home_timeline.1.json"))
        tpl = body["data"][0]
        body["data"] = [dict(tpl, id=str(1600000000000000000 + 1000 * i), created_at=iso(t0 + 60 * i),
                             edit_history_tweet_ids=[str(1600000000000000000 + 1000 * i)]) for i in range(n)]
    elif kind == "alphavantage":
        body = load(os.path.join(here, "alphavantage-news-GME.json"))
        tpl = body["feed"][0]
        body["feed"] = [dict(tpl, url="https://example.com/av/%d" % i,
                             time_published=datetime.datetime.fromtimestamp(t0 + 60 * (i // 2), datetime.timezone.utc)
                             .strftime("%Y%m%dT%H%M%S")) for i in range(n)]
        body["items"] = str(n)
    elif kind == "unusualwhales":
        body = load(os.path.join(here, "unusualwhales-flow-alerts.json"))
        tpl = body["data"][0]
        body["data"] = [dict(tpl, id="00000000-0000-4000-8000-%012d" % i, ticker="GME",
                             created_at=iso(t0 + 60 * i + (i % 3) * 0.000123, frac=True)) for i in range(n)]
    elif kind == "finnhub":
        body = load(os.path.join(here, "finnhub-upgrade-downgrade-GME.json"))
        firms = ["Firm %02d" % k for k in range(40)]
        body = [dict(body[0], company=firms[i % 40], gradeTime=t0 + 86400 * (i // 3)) for i in range(n)]
    elif kind == "yahoo":
        body = load(os.path.join(fixtures, "yahoo-finance/chart-AAPL-2020-08-31-to-2020-11-07.json"))
        r = body["chart"]["result"][0]
        m = len(r["timestamp"])
        idx = [i % m for i in range(n)]
        r["timestamp"] = [t0 + 86400 * i + 14 * 3600 + 1800 for i in range(n)]
        for group in r["indicators"].values():
            for col in group:
                for k in col:
                    col[k] = [col[k][i] for i in idx]
    elif kind == "wikipedia":
        body = load(os.path.join(here, "wikipedia-per-article-GameStop.json"))
        tpl = body["items"][0]
        body = {"items": [dict(tpl, timestamp=datetime.datetime.fromtimestamp(t0 + 86400 * i, datetime.timezone.utc)
                                .strftime("%Y%m%d00"), views=1000 + 17 * i) for i in range(n)]}
    else:
        raise SystemExit("fixture-server.py: --generate: unknown source " + kind)
    with open(out, "w") as f:
        json.dump(body, f)


# ---------------------------------------------------------------- serving

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body in two writes must not wait for a delayed ACK
    wbufsize = -1                   # buffered: one write per response (flushed after each request)

    def log_message(self, *a):
        pass

    def do_POST(self):
        self.handle_any()

    def do_GET(self):
        self.handle_any()

    def handle_any(self):
        cfg = config()
        u = urllib.parse.urlsplit(self.path)
        path = u.path
        q = dict(urllib.parse.parse_qsl(u.query, keep_blank_values=True))
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        with lock:
            state["seq"] += 1
            seq = state["seq"]
            state["counts"][path] = state["counts"].get(path, 0) + 1
            nth = state["counts"][path]
        f = next((x for x in cfg.get("faults", []) if x.get("path") == path and nth in x.get("nth", [])), None)
        cyc = cfg.get("fault_cycle")
        if not f and cyc and seq % cyc["every"] == 0:  # counted since the server started: every kind in turn
            kinds = cyc["kinds"]
            f = {"fault": kinds[(seq // cyc["every"] - 1) % len(kinds)], "retry_after": cyc.get("retry_after")}
        fault = f["fault"] if f else None
        if cfg.get("slow_all"):
            time.sleep(float(cfg["slow_all"]))
        entry = {"seq": seq, "t": time.time(), "method": self.command, "path": path,
                 "query": {k: ("<present>" if k in SECRET_PARAMS else v) for k, v in q.items()},
                 "headers": {k.lower(): ("<present>" if k.lower() in SECRET_HEADERS else v) for k, v in self.headers.items()},
                 "port": self.client_address[1], "nth": nth, "fault": fault}
        status, body, headers = self.respond(cfg, path, q, fault, f or {})
        entry["status"] = status
        with lock, open(LOGFILE, "a") as lf:
            lf.write(json.dumps(entry) + "\n")

    def respond(self, cfg, path, q, fault, f):
        if fault == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return "reset", None, None
        if fault == "hang":
            with open(PORTFILE + ".hung", "w") as hf:
                hf.write(path + "\n")
            time.sleep(60)
            self.close_connection = True
            return "hang", None, None
        if fault == "slow":
            time.sleep(float(f.get("seconds", 3)))
        if fault == "expire_token":
            with lock:
                state["tokens"].clear()
        status, body, headers = self.route(cfg, path, q, fault)
        headers = dict(headers)
        ra = f.get("retry_after")
        if ra and ra.startswith("date:"):
            headers["Retry-After"] = formatdate(time.time() + float(ra[5:]), usegmt=True)
        elif ra:
            headers["Retry-After"] = ra
        if fault in ("500", "503"):
            status, body = int(fault), {"message": "Internal Server Error" if fault == "500" else "Service Unavailable"}
        elif fault == "429":
            status, body = 429, {"message": "Too Many Requests"}
        elif fault == "ratelimit":
            secs = float(f.get("seconds", 2))
            if path.startswith("/r/"):
                headers.update({"X-Ratelimit-Remaining": "0.0", "X-Ratelimit-Used": "100", "X-Ratelimit-Reset": "%d" % secs})
            elif path.startswith("/api/option-trades/"):  # Unusual Whales: the minute's reset in ms
                headers.update({"x-uw-minute-req-counter": "120", "x-uw-req-per-minute-remaining": "0",
                                "x-uw-req-per-minute-reset": "%d" % (secs * 1000), "x-uw-daily-req-count": "7",
                                "x-uw-token-req-limit": f.get("daily_limit", "20000")})
            elif path.startswith("/2/"):
                headers.update({"x-rate-limit-limit": "60", "x-rate-limit-remaining": "0",
                                "x-rate-limit-reset": "%d" % (time.time() + secs)})
            else:
                headers.update({"X-RateLimit-Limit": "200", "X-RateLimit-Remaining": "0",
                                "X-RateLimit-Reset": "%d" % (time.time() + secs)})
        elif fault == "av_note":
            status, body = 200, {"Note": "Thank you for using Alpha Vantage! Our standard API call frequency is 5 calls per minute and 500 calls per day. Please visit https://www.alphavantage.co/premium/ if you would like to target a higher API call frequency."}
        elif fault == "av_information":
            status, body = 200, {"Information": "Thank you for using Alpha Vantage! Our standard API rate limit is 25 requests per day. Please subscribe to any of the premium plans at https://www.alphavantage.co/premium/ to instantly remove all daily rate limits."}
        raw = json.dumps(body).encode() if not isinstance(body, bytes) else body
        if fault == "invalid_json":
            raw = raw[: max(1, len(raw) // 2)]
        etag = None
        if status == 200 and (path.startswith("/v8/") or path.startswith("/metrics/")):
            etag = '"%s"' % hashlib.sha1(raw).hexdigest()[:16]
            headers["ETag"] = etag
            if self.headers.get("If-None-Match") == etag:
                status, raw = 304, b""
        if status != 304 and cfg.get("gzip") and "gzip" in self.headers.get("Accept-Encoding", ""):
            raw = gzip.compress(raw)
            headers["Content-Encoding"] = "gzip"
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        if status != 304:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        if fault == "truncate":
            self.wfile.write(raw[: len(raw) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return status, body, headers
        if status != 304:
            self.wfile.write(raw)
        return status, body, headers

    def route(self, cfg, path, q, fault):
        parts = path.strip("/").split("/")
        if path == "/api/v1/access_token":
            return reddit_token(self, cfg)
        if len(parts) == 3 and parts[0] == "r" and parts[2] in ("new", "comments"):
            return reddit_listing(self, cfg, parts[1], parts[2], q, fault)
        if path.startswith("/api/2/streams/symbol/") and path.endswith(".json"):
            return stocktwits_stream(self, cfg, parts[-1][:-5], q, fault)
        if path == "/v2/everything":
            return newsapi_everything(self, cfg, q, fault)
        if path == "/2/tweets/search/recent":
            return x_search(self, cfg, q, fault)
        if path == "/query":
            return alphavantage(self, cfg, q, fault)
        if path.startswith("/v8/finance/chart/"):
            return yahoo_chart(self, cfg, urllib.parse.unquote(parts[-1]), q, fault)
        if path.startswith("/metrics/pageviews/per-article/") and len(parts) == 10:
            return wikipedia(self, cfg, parts[6], parts[8], parts[9], fault)
        if path == "/api/option-trades/flow-alerts":
            return unusualwhales_flow(self, cfg, q, fault)
        if path in ("/api/v1/stock/upgrade-downgrade", "/api/v1/stock/price-target"):
            return finnhub(self, cfg, path, q, fault)
        if path == "/trends/api/explore":
            return trends_explore(self, cfg, q, fault)
        if path == "/trends/api/widgetdata/multiline":
            return trends_multiline(self, cfg, q, fault)
        return 404, {"message": "no such fixture: " + path}, {}


def main():
    if CONFIG is None:
        generate(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5])
        return
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    with open(PORTFILE + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(PORTFILE + ".tmp", PORTFILE)
    srv.serve_forever()


if __name__ == "__main__":
    main()
