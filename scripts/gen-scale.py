#!/usr/bin/env python3
"""gen-scale.py — N realistic `raw` posts for scale runs, resampled from real data.

Writes N raw records (docs/records.md) to stdout: Reddit comments and
submissions (API things, as herd-fetch saves them) and StockTwits messages,
so that the whole pipe runs from herd-normalize. Everything is resampled
from real text:

  - texts, and the ticker each mentions: the 51k per-ticker Reddit comments
    (reddit-ticker-comments-2021-01), the WSB comments and submissions
    (wsb-early2021-esbenkc), the StockTwits messages of SemEval-2017 task 5;
    a mentioned ticker is swapped, in most posts, for one drawn from the
    listed universe (data/entities/full, Zipf-distributed), so that the
    number of entities grows as it does when a watchlist becomes "every
    listed stock";
  - authors: the real author names, Zipf-distributed, with numbered
    variants of them as the population grows with N;
  - times: a diurnal profile (US market hours busiest) over --days days,
    in order of creation, fetched_at a poll (up to 15 minutes) later;
  - planted cascades (--cascades, 2 by default): a mid-ranked ticker whose
    mentions jump for a few hours, mostly bullish texts, many new authors,
    written to stderr and, with --manifest FILE, as TSV.

Without ../shared/data it resamples the project's own data/sample instead.
The same --seed gives the same bytes. Python's standard library only; it
is a script for benchmarks and tests, never on the data path.

Usage:
  scripts/gen-scale.py -n 1000000 --seed 1 > scale.ndjson
  scripts/gen-scale.py -n 5000000 --days 90 | gzip -1 > scale5m.ndjson.gz
"""
import argparse
import bisect
import csv
import glob
import itertools
import json
import math
import os
import random
import re
import sys
import zlib

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.environ.get("SHARED") or os.path.join(os.path.dirname(TOP), "shared", "data")
EPOCH_START = 1609459200  # 2021-01-01T00:00:00Z

# Hourly weights (UTC) of posting: quiet nights in America, busiest at the
# US open (14:30 UTC) and through the session, as the WSB data shows.
HOURLY = [3, 2, 1.5, 1, 1, 1, 1.2, 1.5, 2, 2.5, 3, 3.5, 4, 5, 7, 8, 8, 7.5, 7, 6.5, 6, 5.5, 5, 4]
SUBREDDITS = [("wallstreetbets", 60), ("stocks", 15), ("investing", 10), ("pennystocks", 10), ("StockMarket", 5)]
B36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def b36(n):
    s = ""
    while True:
        n, r = divmod(n, 36)
        s = B36[r] + s
        if n == 0:
            return s


def enc(s):
    """A str as the inside of a JSON string literal (UTF-8, not \\u-escaped)."""
    return json.dumps(s, ensure_ascii=False)[1:-1]


def crc(s):
    """A stable number for a name (user ids, symbol ids)."""
    return zlib.crc32(s.encode()) & 0xffffff


def fmt_time(t):
    d, s = divmod(t, 86400)
    # civil date from days since 1970-01-01 (Howard Hinnant's algorithm)
    z = d + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    dd = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    y += m <= 2
    return "%04d-%02d-%02dT%02d:%02d:%02dZ" % (y, m, dd, s // 3600, s // 60 % 60, s % 60)


class Zipf:
    """Draws indexes 0..n-1 with P(i) proportional to 1/(i+1)^s."""

    def __init__(self, n, s, rng):
        acc, self.cum = 0.0, []
        for i in range(n):
            acc += 1.0 / (i + 1) ** s
            self.cum.append(acc)
        self.total, self.rng = acc, rng

    def draw(self):
        return bisect.bisect_left(self.cum, self.rng.random() * self.total)


# ---------------------------------------------------------------- real data

def ticker_template(text, ticker):
    """text with each mention of ticker ($T, or T as a capitalised word)
    replaced by \\x00, or None when it has none to swap."""
    if not ticker or not re.fullmatch(r"[A-Z][A-Z0-9.]{0,5}", ticker):
        return None
    t, n = re.subn(r"\$?(?<![A-Za-z0-9$])" + re.escape(ticker) + r"(?![A-Za-z0-9])", "\x00", text)
    return t if n else None


class Pool:
    """Texts (with the ticker each mentions), titles, authors, StockTwits bodies."""

    def __init__(self):
        self.comments = []     # (template or None, text, compound or None, subreddit)
        self.submissions = []  # (title, selftext)
        self.twits = []        # (template or None, body, symbol, sentiment)
        self.authors = []
        self.source = None

    def load_shared(self):
        seen = set()
        rows = sorted(glob.glob(os.path.join(SHARED, "reddit-ticker-comments-2021-01", "daily_data", "*_comments.csv")))
        for path in rows:
            sub = os.path.basename(path).split("_")[1]
            with open(path, newline="", encoding="utf-8", errors="replace") as f:
                for row in csv.DictReader(f):
                    text = (row.get("comment") or "").strip()
                    if not text or text in seen:
                        continue
                    seen.add(text)
                    try:
                        compound = float(row.get("compound") or "")
                    except ValueError:
                        compound = None
                    self.comments.append((ticker_template(text, row.get("ticker")), text, compound, sub))
        wsb = os.path.join(SHARED, "wsb-early2021-esbenkc")
        for line in open(os.path.join(wsb, "wallstreetbets_comments.ndjson"), encoding="utf-8"):
            c = json.loads(line)
            body = c.get("body") or ""
            if body not in ("", "[deleted]", "[removed]") and body not in seen:
                seen.add(body)
                self.comments.append((None, body, None, "wallstreetbets"))
            if c.get("author") not in (None, "[deleted]"):
                self.authors.append(c["author"])
        for line in open(os.path.join(wsb, "wallstreetbets.ndjson"), encoding="utf-8"):
            p = json.loads(line)
            if p.get("title"):
                text = p.get("selftext") or ""
                self.submissions.append((p["title"], "" if text in ("[deleted]", "[removed]") else text))
            if p.get("author") not in (None, "[deleted]"):
                self.authors.append(p["author"])
        st = os.path.join(SHARED, "semeval2017-task5-microblogs", "Microblog_Trainingdata-stocktwits_full.json")
        for m in json.load(open(st, encoding="utf-8")):
            msg = m.get("message") or {}
            body = msg.get("body")
            if not body:
                continue
            sym = (m.get("cashtag") or "").lstrip("$").upper()
            sent = ((msg.get("entities") or {}).get("sentiment") or {}).get("basic")
            self.twits.append((ticker_template(body, sym), body, sym, sent))
            user = (msg.get("user") or {}).get("username")
            if user:
                self.authors.append(user)
        self.source = SHARED

    def load_sample(self):
        for path in sorted(glob.glob(os.path.join(TOP, "data", "sample", "*.ndjson"))):
            for line in open(path, encoding="utf-8"):
                r = json.loads(line)
                it = r.get("item") or {}
                if r.get("source") == "reddit":
                    d = it.get("data") or {}
                    if d.get("author"):
                        self.authors.append(d["author"])
                    if it.get("kind") == "t1":
                        tick = next(iter(re.findall(r"\$([A-Z]{1,5})\b", d.get("body", ""))), None)
                        self.comments.append((ticker_template(d.get("body", ""), tick), d.get("body", ""), None,
                                              d.get("subreddit") or "wallstreetbets"))
                    elif it.get("kind") == "t3":
                        self.submissions.append((d.get("title") or "", d.get("selftext") or ""))
                elif r.get("source") == "stocktwits":
                    syms = it.get("symbols") or [{}]
                    sym = syms[0].get("symbol") or ""
                    sent = ((it.get("entities") or {}).get("sentiment") or {}).get("basic")
                    self.twits.append((ticker_template(it.get("body", ""), sym), it.get("body", ""), sym, sent))
                    if (it.get("user") or {}).get("username"):
                        self.authors.append(it["user"]["username"])
        self.source = os.path.join(TOP, "data", "sample")

    def finish(self, rng):
        self.authors = [enc(x) for x in sorted(set(self.authors))]
        rng.shuffle(self.authors)
        # Encode once: templates keep \x00 where the ticker goes.
        self.comments = [(enc(t) if t else None, enc(x), c, s) for t, x, c, s in self.comments]
        self.twits = [(enc(t) if t else None, enc(x), s, st) for t, x, s, st in self.twits]
        self.submissions = [(enc(a), enc(b)) for a, b in self.submissions]
        self.bullish = [c for c in self.comments if c[0] and c[2] is not None and c[2] >= 0.3] or \
            [c for c in self.comments if c[0]]


def universe():
    """The listed symbols, most talked-about first: the project's curated
    list (data/entities/tickers.tsv, in its order), then the full universe."""
    out, seen = [], set()
    for name in ("tickers.tsv", os.path.join("full", "tickers.tsv")):
        path = os.path.join(TOP, "data", "entities", name)
        if not os.path.exists(path):
            continue
        for line in open(path, encoding="utf-8"):
            if line.startswith("#") or not line.strip():
                continue
            sym = line.split("\t", 1)[0].strip()
            if re.fullmatch(r"[A-Z][A-Z0-9.]{0,5}", sym) and sym not in seen and len(sym) > 1:
                seen.add(sym)
                out.append(sym)
    return out


# ---------------------------------------------------------------- generation

class Gen:
    def __init__(self, a, pool, syms):
        self.a, self.pool, self.syms = a, pool, syms
        self.rng = random.Random(a.seed)
        rng = self.rng
        self.zsym = Zipf(len(syms), 1.1, rng)
        # The author population grows with N (about one author per 12 posts,
        # as in the WSB data); numbered variants of real names beyond it.
        n_auth = max(len(pool.authors), a.n // 12)
        self.author_names = [pool.authors[i % len(pool.authors)] + ("" if i < len(pool.authors) else "_%d" % (i // len(pool.authors)))
                             for i in range(n_auth)]
        self.zauth = Zipf(min(n_auth, 200000), 0.9, rng) if n_auth else None
        self.subs = [s for s, w in SUBREDDITS for _ in range(w)]
        self.next_id = 0x7f000000
        self.new_authors = 0

    def sym(self):
        return self.syms[self.zsym.draw()]

    def author(self):
        i = self.zauth.draw()
        # spread the Zipf head over the whole population with a fixed stride
        return self.author_names[(i * 7919) % len(self.author_names)]

    def fresh_author(self):
        self.new_authors += 1
        return "%s_%s" % (self.author_names[self.new_authors % len(self.author_names)], b36(0x5000 + self.new_authors))

    def text(self, entry, sym):
        tmpl, text = entry[0], entry[1]
        if tmpl is not None and sym is not None:
            return tmpl.replace("\\u0000", "$" + sym)
        return text

    def comment(self, t, author=None, entry=None, sym=None):
        rng, a = self.rng, self.a
        if entry is None:
            entry = rng.choice(self.pool.comments)
            if entry[0] is not None and rng.random() < a.swap:
                sym = self.sym()
        self.next_id += 1
        cid, link = b36(self.next_id), b36(self.next_id // 40)
        sub = entry[3] if rng.random() < 0.7 else rng.choice(self.subs)
        author = author or self.author()
        score = int(rng.paretovariate(1.3)) - 1
        body = self.text(entry, sym)
        parent = "t3_" + link if rng.random() < 0.4 else "t1_" + b36(self.next_id - 1 - rng.randrange(30))
        return ('{"kind":"raw","source":"reddit","fetched_at":"%s","query":"%s","item":{"kind":"t1","data":{'
                '"total_awards_received":0,"approved_at_utc":null,"ups":%d,"author_flair_text":null,'
                '"link_id":"t3_%s","replies":"","saved":false,"id":"%s","gilded":0,"archived":false,'
                '"author":"%s","parent_id":"%s","score":%d,"author_fullname":"t2_%s","body":"%s",'
                '"edited":false,"downs":0,"is_submitter":false,"collapsed":false,"stickied":false,'
                '"score_hidden":false,"permalink":"/r/%s/comments/%s/comment/%s/","locked":false,'
                '"name":"t1_%s","created":%d.0,"subreddit":"%s","created_utc":%d.0,'
                '"subreddit_name_prefixed":"r/%s","controversiality":0,"depth":%d,"distinguished":null}}}\n'
                % (fmt_time(t + rng.randrange(60, 900)), sub, score, link, cid, author, parent, score,
                   b36(crc(author)), body, sub, link, cid, cid, t, sub, t, sub, int(parent[1] == "1")))

    def submission(self, t):
        rng = self.rng
        title, text = rng.choice(self.pool.submissions)
        self.next_id += 1
        sid = b36(self.next_id)
        sub = rng.choice(self.subs)
        author = self.author()
        score = int(rng.paretovariate(1.1)) - 1
        return ('{"kind":"raw","source":"reddit","fetched_at":"%s","query":"%s","item":{"kind":"t3","data":{'
                '"approved_at_utc":null,"subreddit":"%s","selftext":"%s","author_fullname":"t2_%s","saved":false,'
                '"gilded":0,"clicked":false,"title":"%s","subreddit_name_prefixed":"r/%s","hidden":false,'
                '"downs":0,"name":"t3_%s","upvote_ratio":0.9,"ups":%d,"total_awards_received":0,'
                '"link_flair_text":"Discussion","score":%d,"edited":false,"is_self":true,"created":%d.0,'
                '"domain":"self.%s","archived":false,"over_18":false,"spoiler":false,"locked":false,'
                '"id":"%s","author":"%s","num_comments":%d,"permalink":"/r/%s/comments/%s/","stickied":false,'
                '"created_utc":%d.0,"distinguished":null}}}\n'
                % (fmt_time(t + rng.randrange(60, 900)), sub, sub, text, b36(crc(author)), title, sub,
                   sid, score, score, t, sub, sid, author, rng.randrange(0, 400), sub, sid, t))

    def twit(self, t, author=None, entry=None, sym=None):
        rng, a = self.rng, self.a
        if entry is None:
            entry = rng.choice(self.pool.twits)
            sym = entry[2]
            if entry[0] is not None and rng.random() < a.swap:
                sym = self.sym()
        self.next_id += 1
        body = self.text(entry, sym) if entry[0] is not None else entry[1]
        sym = sym or entry[2] or "SPY"
        sent = entry[3] if len(entry) > 3 and entry[3] in ("Bullish", "Bearish") else None
        author = author or self.author()
        uid = crc(author)
        return ('{"kind":"raw","source":"stocktwits","fetched_at":"%s","query":"%s","item":{"id":%d,"body":"%s",'
                '"created_at":"%s","user":{"id":%d,"username":"%s","name":"%s","join_date":"2019-03-01",'
                '"official":false,"identity":"User","classification":[],"followers":%d,"following":%d},'
                '"source":{"id":1,"title":"StockTwits","url":"http://stocktwits.com"},'
                '"symbols":[{"id":%d,"symbol":"%s","title":"%s","aliases":[],"is_following":false}],'
                '"mentioned_users":[],"entities":{"sentiment":%s},"likes":{"total":%d}}}\n'
                % (fmt_time(t + rng.randrange(60, 900)), sym, 300000000 + self.next_id, body, fmt_time(t), uid,
                   author, author, rng.randrange(0, 3000), rng.randrange(0, 500), crc(sym) & 0xffff, sym, sym,
                   '{"basic":"%s"}' % sent if sent else "null", int(rng.paretovariate(1.5)) - 1))

    def cascade_post(self, t, sym):
        """A post of a planted cascade: a bullish text about sym, half of
        them by authors never seen before."""
        rng = self.rng
        author = self.fresh_author() if rng.random() < 0.5 else None
        if rng.random() < 0.75 and self.pool.bullish:
            return self.comment(t, author, rng.choice(self.pool.bullish), sym)
        twits = [e for e in self.pool.twits if e[0] is not None and e[3] != "Bearish"] or self.pool.twits
        return self.twit(t, author, rng.choice(twits), sym)

    def cascades(self, start, hours):
        """(symbol, first hour, length in hours, extra posts per hour at the peak)."""
        a, out = self.a, []
        per_hour = a.n / max(1, hours)
        for k in range(a.cascades):
            sym = self.syms[min(len(self.syms) - 1, 25 + 35 * k)]  # mid-ranked: quiet before
            first = int(hours * (k + 1) / (a.cascades + 1)) // 24 * 24 + 14  # 14:00 UTC that day
            out.append((sym, first, a.cascade_hours, max(20, int(per_hour * a.cascade_strength))))
        return out

    def run(self, out):
        a, rng = self.a, self.rng
        hours = a.days * 24
        weights = [HOURLY[h % 24] * (0.6 if (h // 24 + 4) % 7 >= 5 else 1.0) for h in range(hours)]  # weekends quieter
        total_w = sum(weights)
        plan = self.cascades(EPOCH_START, hours)
        extra = [0] * hours
        casc_at = {}
        for sym, first, length, peak in plan:
            for j in range(length):
                if first + j < hours:
                    # a ramp up to the peak and down again
                    extra[first + j] += int(peak * (1 - abs(j - (length - 1) / 2) / (length / 2 + 0.5)))
                    casc_at.setdefault(first + j, []).append(sym)
        base_n = a.n - sum(extra)
        if base_n < hours:
            sys.exit("gen-scale: -n %d is too small for %d days and the planted cascades" % (a.n, a.days))
        written, cum, done = 0, 0.0, 0
        buf = []
        for h in range(hours):
            cum += weights[h] / total_w * base_n
            n_base = int(round(cum)) - done
            done += n_base
            n = n_base + extra[h]
            times = sorted(EPOCH_START + h * 3600 + rng.randrange(3600) for _ in range(n))
            casc = set(rng.sample(range(n), extra[h])) if extra[h] else ()
            for i, t in enumerate(times):
                if i in casc:
                    buf.append(self.cascade_post(t, rng.choice(casc_at[h])))
                    continue
                r = rng.random()
                if r < a.share_twits:
                    buf.append(self.twit(t))
                elif r < a.share_twits + 0.05 and self.pool.submissions:
                    buf.append(self.submission(t))
                else:
                    buf.append(self.comment(t))
            written += n
            if len(buf) >= 4096:
                out.write("".join(buf))
                buf = []
        out.write("".join(buf))
        return plan, written


def main():
    p = argparse.ArgumentParser(description="N realistic raw posts resampled from real data, for scale runs.")
    p.add_argument("-n", type=int, default=100000, help="posts to write (default 100000)")
    p.add_argument("--seed", type=int, default=1, help="random seed: the same seed gives the same bytes (default 1)")
    p.add_argument("--days", type=int, default=0, help="days of posts from 2021-01-01 (default: N/40000, at least 7)")
    p.add_argument("--cascades", type=int, default=2, help="planted cascades (default 2)")
    p.add_argument("--cascade-hours", type=int, default=6, help="length of a cascade in hours (default 6)")
    p.add_argument("--cascade-strength", type=float, default=0.4,
                   help="extra posts per hour at a cascade's peak, as a share of the average hourly posts (default 0.4)")
    p.add_argument("--swap", type=float, default=0.7,
                   help="share of posts whose ticker is swapped for one from the listed universe (default 0.7)")
    p.add_argument("--share-twits", type=float, default=0.25, help="share of StockTwits messages (default 0.25)")
    p.add_argument("--sample", action="store_true", help="resample data/sample even when ../shared/data is there")
    p.add_argument("--manifest", metavar="FILE", help="write the planted cascades as TSV: symbol, start, end, posts")
    a = p.parse_args()
    if a.n < 1:
        p.error("-n must be positive")
    if a.days <= 0:
        a.days = max(7, a.n // 40000)
    pool = Pool()
    if not a.sample and os.path.isdir(os.path.join(SHARED, "reddit-ticker-comments-2021-01")):
        pool.load_shared()
    else:
        pool.load_sample()
    rng = random.Random(a.seed)
    pool.finish(rng)
    syms = universe()
    if not pool.comments or not syms:
        sys.exit("gen-scale: no texts or no ticker universe found")
    g = Gen(a, pool, syms)
    out = open(sys.stdout.fileno(), "w", encoding="utf-8", buffering=1 << 20, closefd=False)
    plan, written = g.run(out)
    out.flush()
    lines = []
    for sym, first, length, peak in plan:
        s, e = EPOCH_START + first * 3600, EPOCH_START + (first + length) * 3600
        lines.append("%s\t%s\t%s\t%d" % (sym, fmt_time(s), fmt_time(e), peak))
        print("gen-scale: cascade %s from %s to %s (peak %d extra posts/hour)" % (sym, fmt_time(s), fmt_time(e), peak),
              file=sys.stderr)
    print("gen-scale: %d posts over %d days from %s (%d texts, %d authors, %d symbols)"
          % (written, a.days, pool.source, len(pool.comments) + len(pool.twits), len(g.author_names), len(syms)),
          file=sys.stderr)
    if a.manifest:
        with open(a.manifest, "w") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    try:
        main()
    except BrokenPipeError:
        sys.exit(1)
