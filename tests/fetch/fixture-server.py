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
and injects faults on demand, per request sequence, from the test's config.

  fixture-server.py CONFIG.json PORTFILE LOGFILE

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
  "repeat" (the page starts with the previous page's last item),
  "ratelimit" (the source's rate-limit headers say 0 left, reset in
  "seconds"), "av_note", "av_information", "hang" (no answer for 60 s; the
  file PORTFILE.hung says which request hangs).

LOGFILE gets one JSON line per request: seq, t (time.time()), method, path,
query, headers (secret values replaced by "<present>"), auth_ok, client port,
fault, status. Secrets never reach the log.
"""
import base64
import gzip
import hashlib
import json
import os
import socket
import struct
import sys
import threading
import time
import urllib.parse
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CONFIG, PORTFILE, LOGFILE = sys.argv[1], sys.argv[2], sys.argv[3]
lock = threading.Lock()
state = {"mtime": None, "config": {}, "counts": {}, "seq": 0, "tokens": set(), "token_n": 0}
SECRET_HEADERS = ("authorization", "x-api-key")
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


def page_of(items, start, size, repeat):
    if repeat and start > 0:
        start -= 1
    return items[start:start + size], start + size


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
    page, end = page_of(items, start, size, fault == "repeat")
    after = page[-1]["data"]["name"] if end < len(items) and page else None
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
    page, end = page_of(items, start, size, fault == "repeat")
    cursor = {"more": end < len(items), "since": page[0]["id"] if page else None, "max": page[-1]["id"] if page else None}
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
    size = int(q.get("pageSize", 100))
    pageno = int(q.get("page", 1))
    if (pageno - 1) * size >= cfg.get("max_results", 100):
        return 426, {"status": "error", "code": "maximumResultsReached",
                     "message": "You have requested too many results. Developer accounts are limited to a max of 100 results."}, {}
    page, _ = page_of(items, (pageno - 1) * size, size, fault == "repeat")
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
    page, end = page_of(items, start, size, fault == "repeat")
    meta = {"result_count": len(page)}
    if page:
        meta.update(newest_id=page[0]["id"], oldest_id=page[-1]["id"])
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
        return 200, dict(body, items=str(len(feed)), feed=feed), {}
    return 200, body, {}


def yahoo_chart(h, cfg, sym, q, fault):
    body, d = dataset(cfg, "yahoo:" + sym)
    if body is None:
        return 404, {"chart": {"result": None, "error": {"code": "Not Found", "description": "No data found, symbol may be delisted"}}}, {}
    if "period1" in q:
        body = json.loads(json.dumps(body))
        r = body["chart"]["result"][0]
        keep = [i for i, t in enumerate(r.get("timestamp", [])) if t >= int(q["period1"])]
        r["timestamp"] = [r["timestamp"][i] for i in keep]
        for group in r["indicators"].values():
            for col in group:
                for k in col:
                    col[k] = [col[k][i] for i in keep]
    return 200, body, {}


def wikipedia(h, cfg, article, start, end, fault):
    body, d = dataset(cfg, "wikipedia:" + urllib.parse.unquote(article))
    items = [] if body is None else [i for i in body["items"] if start + "00" <= i["timestamp"] <= end + "00"]
    if not items:
        return 404, {"type": "https://mediawiki.org/wiki/HyperSwitch/errors/not_found", "title": "Not found.",
                     "method": "get", "detail": "The date(s) you used are valid, but we either do not have data for those date(s), or the project you asked for is not loaded yet."}, {}
    return 200, {"items": items}, {}


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
        fault = f["fault"] if f else None
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
        return 404, {"message": "no such fixture: " + path}, {}


def main():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    with open(PORTFILE + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(PORTFILE + ".tmp", PORTFILE)
    srv.serve_forever()


if __name__ == "__main__":
    main()
