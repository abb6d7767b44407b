#!/usr/bin/env python3
"""make-sample-data.py — writes data/sample/*.ndjson, herd's own small sample:
raw records (docs/records.md) in the shapes the real APIs return — Reddit
listing things (t1 comments, t3 submissions), StockTwits api/2 messages,
NewsAPI /v2/everything articles, X API v2 tweets with includes.users — about
seven tickers over six weeks (2020-12-21 .. 2021-01-29 UTC): a month of
quiet chatter, then a herd piling into GME that starts in r/wallstreetbets
on Jan 21 and broadens day by day to StockTwits (Jan 22), X (Jan 24),
r/stocks (Jan 26) and r/investing (Jan 27), peaks on Jan 27, turns sour on
Jan 28 (brokers restrict buying) and fades on Jan 29. The herd is planned
as exact daily counts per community, far above each community's quiet
level, so that any sound detector flags it (the demo, make demo, shows it);
the quiet weeks are random draws around small daily rates.

Every sentence is written here, for the project (nothing is copied from any
dataset); usernames are invented. Standard library only; a fixed seed makes
the output the same on every run:

    python3 scripts/make-sample-data.py [OUTDIR]      (default data/sample)

data/sample/README.md describes the result.
"""
import json
import math
import os
import random
import sys
from datetime import datetime, timedelta, timezone

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "data", "sample")
rng = random.Random(20210127)
T0 = datetime(2020, 12, 21, tzinfo=timezone.utc)  # a Monday; day d is T0 + d days
DAYS = 40                                          # to 2021-01-29 (a Friday) inclusive
HERD0 = 31                                         # 2021-01-21: the herd's first day
SOUR = 38                                          # 2021-01-28: brokers restrict buying

# ------------------------------------------------------------------ entities

COMPANY = {
    "GME": "GameStop", "AMC": "AMC Entertainment", "BB": "BlackBerry", "NOK": "Nokia",
    "TSLA": "Tesla", "AAPL": "Apple", "PLTR": "Palantir",
}
TITLE = {
    "GME": "GameStop Corp.", "AMC": "AMC Entertainment Holdings Inc.", "BB": "BlackBerry Ltd.",
    "NOK": "Nokia Corp.", "TSLA": "Tesla Inc.", "AAPL": "Apple Inc.", "PLTR": "Palantir Technologies Inc.",
}
ST_SYMBOL_ID = {"GME": 5742, "AMC": 8613, "BB": 2553, "NOK": 3066, "TSLA": 8660, "AAPL": 686, "PLTR": 11983}
PRICE = {  # rough levels on some days (day: price), for the sentences that quote one
    "GME": {0: 16, 22: 18, 23: 31, 31: 43, 32: 65, 35: 77, 36: 148, 37: 300, 38: 193, 39: 310},
    "AMC": {0: 2.4, 30: 3.0, 35: 4.9, 36: 4.7, 37: 15, 38: 8.6, 39: 13},
    "BB": {0: 6.5, 24: 9, 31: 14, 35: 17, 36: 25, 37: 22, 38: 14, 39: 14},
    "NOK": {0: 4.0, 31: 4.2, 36: 4.5, 37: 6.5, 38: 4.9, 39: 4.6},
    "TSLA": {0: 650, 15: 880, 31: 850, 39: 800},
    "AAPL": {0: 128, 15: 130, 31: 137, 37: 142, 39: 132},
    "PLTR": {0: 28, 15: 25, 31: 31, 37: 34, 39: 35},
}


def mention(sym, style):
    """How a post names a ticker: a cashtag, the bare symbol or the company."""
    r = rng.random()
    if style == "stocktwits":
        return "$" + sym
    if style == "news":
        return COMPANY[sym] if r < 0.8 else sym
    if r < 0.45:
        return "$" + sym
    if r < 0.85 or sym in ("BB",):
        return sym if sym != "BB" else "$BB"
    return COMPANY[sym]


def price(sym, day):
    """The level on day, interpolated between the anchors, with some noise."""
    pts = sorted(PRICE[sym].items())
    lo = max((d, v) for d, v in pts if d <= day)
    hi = min(((d, v) for d, v in pts if d >= day), default=lo)
    level = lo[1] if hi[0] == lo[0] else lo[1] + (hi[1] - lo[1]) * (day - lo[0]) / (hi[0] - lo[0])
    p = level * rng.uniform(0.93, 1.07)
    return f"{p:.2f}" if p < 20 else f"{p:.0f}"


# ------------------------------------------------------------------ sentences
# {t} is the ticker as the post names it, {p} a price, {u} a second ticker.

WSB_UP = [
    "{t} to the moon, I'm not selling a single share",
    "Just bought 20 more {t} at the open. Diamond hands all the way",
    "Shorts are trapped on {t} and they know it",
    "Holding {t} since December, best decision I ever made",
    "{t} calls printing today, up 300% on my February strikes",
    "This is the most fun I've had in the market in years. {t} all day",
    "If {t} closes above {p} today the gamma squeeze is on",
    "Bought the dip on {t}, see you all on the other side",
    "Short interest on {t} is still over 100% of the float. Do the math.",
    "Not financial advice but {t} looks incredibly strong right now",
    "{t} green again, I love this stock",
    "Added another 5 shares of {t}, it's all I can afford but I'm in",
    "Paper hands sold {t} at 60, I'm holding until the shorts cover",
    "My {t} position just doubled. I have never seen anything like this",
    "Every dip on {t} gets bought within minutes. This is beautiful",
    "{t} and {u} both ripping, great day to be in this sub",
    "Ape together strong. {t} is going much higher",
    "Finally green on {t} after three weeks of pain. Holding.",
]
WSB_DOWN = [
    "Sold my {t} today, too much risk for me, good luck everyone",
    "{t} is a bubble and a lot of people are going to get hurt",
    "Down 40% on {t} since I bought, this is painful",
    "Hedge funds will just wait this out, {t} bagholders beware",
    "I can't buy {t} on my broker anymore, this is absolutely criminal",
    "Why is {t} tanking? Anyone have news?",
    "The {t} chart looks terrible after that drop",
    "Lost most of my savings on {t} today. Feeling sick",
    "They halted {t} again. This market is rigged against small traders",
    "Bought {t} at the top like an idiot. Lesson learned",
    "Only closing positions allowed on {t}? That is market manipulation, plain and simple",
    "{t} dumping hard and my stop loss did nothing",
]
WSB_FLAT = [
    "What's the max pain for {t} this Friday?",
    "Can someone explain how the short squeeze on {t} would actually work?",
    "Where do you guys check the borrow rate for {t}?",
    "Is anyone tracking {t} volume today? Numbers look unusual",
    "{t} is trading at {p} right now",
    "Which broker still lets you buy {t} options?",
    "How many of you are holding {t} and {u} at the same time?",
    "First time posting here. Just opened a small {t} position to see what happens",
    "Anyone know when the next {t} short interest report comes out?",
]
CALM_UP = [
    "I still like the long term story for {t}, the balance sheet has improved a lot.",
    "{t} beat on revenue and the guidance looks conservative to me.",
    "Started a small position in {t} after reading the annual report.",
    "The management team at {t} has executed well over the last year.",
    "{t} is one of the few holdings I'm comfortable keeping for ten years.",
    "Good quarter for {t}. Margins expanded and cash flow was strong.",
]
CALM_DOWN = [
    "I trimmed my {t} position after the run-up and moved the cash into index funds.",
    "The valuation of {t} makes no sense to me at {p}.",
    "The volatility in {t} this week is unlike anything I've seen. I'm staying away.",
    "{t} looks overextended here, I would wait for a pullback before buying.",
    "Worried about how much of {t}'s move is driven by options and not fundamentals.",
    "Sold {t} today. Not worth the stress.",
]
CALM_FLAT = [
    "Is it too late to open a position in {t}?",
    "How are people valuing {t} right now?",
    "What is the bull case for {t} beyond the short interest?",
    "Does anyone hold both {t} and {u} for the long term?",
    "{t} reports earnings next week. What are you expecting?",
    "Can someone explain why {t} moved so much today?",
]
SUBMISSION_TITLES = {
    "up": ["{t} DD: why the squeeze has not happened yet", "YOLO update: all in on {t}",
           "{t} position update, still holding", "{t} is just getting started",
           "Why I'm buying more {t} this week", "Gain porn: {t} calls paid off"],
    "down": ["Loss porn: {t} puts did not age well", "Brokers blocking {t} purchases, what are our options?",
             "{t} crashed today. What now?", "I'm out of {t}, here is why"],
    "flat": ["What are your thoughts on {t} earnings?", "Is {t} overvalued after this week?",
             "{t} short interest explained for newcomers", "Question about {t} options chain"],
}
SELFTEXT = {
    "up": ["Float is small, short interest is huge and retail keeps buying. I like the stock.",
           "Position: 120 shares at an average of {p}. Not selling.",
           "Not a financial advisor. I just like this company and think it is undervalued."],
    "down": ["I was up big on Monday and gave it all back. Be careful out there.",
             "My broker restricted buying this morning. Can only sell now. This feels wrong."],
    "flat": ["Trying to understand the numbers before I put money in. Any good sources?", ""],
}
TWEETS = {
    "up": ["{t} is trending everywhere today and retail traders are not backing down",
           "Retail investors just pushed {t} up another 30%. Wild day",
           "Never thought I'd see {t} at {p}. What a week",
           "{t} holders are having the best week of their lives",
           "Added a little more {t} today, still like it at {p}",
           "{t} closed green again, slow and steady"],
    "down": ["Trading restrictions on {t} are a disgrace. Let people buy what they want",
             "{t} down hard after brokers limited buying. Ugly day for small investors",
             "Feels like the {t} party is over"],
    "flat": ["Everyone at work is asking me about {t} today",
             "Watching the {t} chart instead of working",
             "Someone explain {t} to me like I'm five"],
}
STOCKTWITS = {
    "up": ["{t} squeeze is just getting started", "{t} bought more, holding through the weekend",
           "{t} strong close, tomorrow will be big", "{t} breaking out, volume is huge",
           "{t} love this setup"],
    "down": ["{t} taking profits here, too crazy", "{t} this will end badly",
             "{t} shorting the bounce", "{t} brokers halting buys, bearish for now"],
    "flat": ["{t} volume is insane today", "{t} watching the 200 level", "{t} what is the borrow fee today?"],
}
NEWS = [  # (entity, date, mood, title, description)
    ("TSLA", "2020-12-21", "flat", "Tesla joins the S&P 500 after a record run",
     "The electric carmaker became the largest company ever added to the benchmark index."),
    ("AAPL", "2020-12-22", "up", "Apple shares rise on reports of car project",
     "Investors weighed reports that the company is working on a passenger vehicle."),
    ("AMC", "2020-12-24", "flat", "AMC raises cash to get through the winter",
     "The cinema operator sold new shares as theaters stayed closed in many cities."),
    ("PLTR", "2020-12-29", "up", "Palantir wins new government data contract",
     "The data analytics company said the agreement runs for several years."),
    ("TSLA", "2021-01-04", "up", "Tesla delivers nearly half a million cars in 2020",
     "Deliveries came in close to the company's target despite factory shutdowns."),
    ("BB", "2021-01-06", "up", "BlackBerry software to power more connected cars",
     "The company announced new partnerships for its vehicle platform."),
    ("GME", "2021-01-11", "up", "GameStop adds three new directors to its board",
     "The video game retailer reached an agreement with one of its largest shareholders."),
    ("NOK", "2021-01-12", "flat", "Nokia picks new supplier for 5G chips",
     "The network equipment maker is reworking its product line."),
    ("AAPL", "2021-01-14", "flat", "Apple faces questions over app store rules",
     "Regulators in several countries are looking at the fees the company charges developers."),
    ("GME", "2021-01-14", "up", "GameStop shares jump on holiday sales update",
     "The retailer said online sales grew strongly over the holiday period."),
    ("TSLA", "2021-01-19", "flat", "Tesla to report quarterly results next week",
     "Analysts expect record revenue, with margins in focus."),
    ("PLTR", "2021-01-20", "flat", "Palantir holders watch lock-up expiry",
     "Early investors may sell shares in the coming weeks."),
    ("GME", "2021-01-22", "up", "GameStop shares surge as online traders pile in",
     "Individual investors on social media forums kept buying the heavily shorted stock."),
    ("GME", "2021-01-25", "up", "GameStop swings wildly in heavy trading",
     "The stock more than doubled at one point before giving back part of the gain."),
    ("GME", "2021-01-26", "up", "GameStop extends rally as retail traders keep buying",
     "Shares of the video game retailer rose again as individual investors on online forums kept buying."),
    ("GME", "2021-01-27", "up", "GameStop stock more than doubles as short sellers retreat",
     "A large short seller said it had closed its position in the company after heavy losses."),
    ("AMC", "2021-01-27", "up", "AMC stock jumps as online forums rally behind theater chain",
     "The cinema operator's shares surged as retail interest grew."),
    ("BB", "2021-01-27", "up", "BlackBerry and Nokia swept up in social-media-driven rally",
     "Shares of older technology names rose sharply as traders looked for the next heavily shorted stock."),
    ("TSLA", "2021-01-27", "down", "Tesla slips after earnings miss on profit",
     "Revenue rose, but profit fell short of what analysts expected."),
    ("AAPL", "2021-01-27", "up", "Apple posts record quarterly revenue on strong iPhone sales",
     "The company reported its first quarter with more than 100 billion dollars in revenue."),
    ("GME", "2021-01-28", "down", "Brokerages restrict trading in GameStop, AMC amid volatility",
     "Several online brokers limited purchases of the most volatile stocks, allowing customers only to close positions."),
    ("GME", "2021-01-28", "down", "GameStop shares plunge after trading curbs",
     "The stock fell sharply in morning trading after brokers restricted buying."),
    ("AMC", "2021-01-28", "down", "AMC shares fall as brokers limit buying",
     "The theater chain's stock gave back much of its recent gain."),
    ("GME", "2021-01-29", "flat", "Lawmakers call for hearing on trading restrictions",
     "Members of Congress from both parties questioned the decision to limit retail trading."),
    ("GME", "2021-01-29", "up", "GameStop rebounds as brokers ease limits",
     "Shares rose again after some brokers let customers buy a limited number of shares."),
]
NEWS_BODY = [  # a second sentence for the article's content
    "Trading volume was several times its usual level.",
    "The company did not respond to a request for comment.",
    "Analysts were divided on what the move means for the company's outlook.",
    "Options activity in {t} has risen sharply in recent sessions.",
    "Shares of {t} have moved sharply this month.",
]
OUTLETS = [("reuters", "Reuters"), ("cnbc", "CNBC"), ("bloomberg", "Bloomberg"), (None, "MarketWatch"),
           ("the-wall-street-journal", "The Wall Street Journal"), (None, "Yahoo Entertainment")]

# ------------------------------------------------------------------ people

NAMES = ["diamond_paws", "thetagang_tom", "moonboi_2021", "quietvalue", "shortburner", "tendies4life",
         "karen_from_hr", "average_ape", "bagholder_bob", "optionsonly", "index_andy", "greenbar",
         "deepvalue_dan", "yolo_larry", "papertrader99", "stonkwatcher", "cautious_cat", "bear_hugger",
         "gamma_gary", "rocket_rita", "floatcounter", "dividend_dora", "meme_lord_mike", "candlestick_carl",
         "hodl_hannah", "retail_rob", "wsb_lurker", "marginmaria", "fomo_frank", "bullish_betty",
         "thrifty_theo", "chart_chad", "lossporn_luke", "value_vera", "crayon_eater", "puts_pete",
         "late_to_the_party", "steady_steve", "halfshare_hal", "newbie_nora"]
rng.shuffle(NAMES)
MORE = ["user%04d" % rng.randrange(10000) for _ in range(220)]  # the herd brings many new names
AUTHORS = NAMES + MORE


def author(day, hour, burst):
    pool = AUTHORS if burst else NAMES
    return rng.choice(pool)


# ------------------------------------------------------------------ timeline
# Where things are said: three subreddits, StockTwits (one stream per
# symbol) and X; NewsAPI articles come from the NEWS list.
CHANNELS = ("wallstreetbets", "stocks", "investing", "stocktwits", "x")
# The quiet level: posts a weekday across every ticker (half on weekends and
# market holidays), split between tickers by QUIET_SHARE.
QUIET_PER_DAY = {"wallstreetbets": 5.0, "stocks": 1.6, "investing": 1.0, "stocktwits": 2.4, "x": 1.2}
QUIET_SHARE = {"GME": 20, "AMC": 12, "TSLA": 22, "BB": 8, "NOK": 8, "AAPL": 18, "PLTR": 12}
HOLIDAYS = (4, 11)  # 2020-12-25, 2021-01-01
# The herd: exact posts a day, on top of the quiet level, from day HERD0
# (Jan 21) to the last day (Jan 29). GME's pile-in starts in r/wallstreetbets
# and each community joins with a jump from almost nothing: StockTwits on the
# 22nd, X on the 24th, r/stocks on the 26th, r/investing on the 27th. The
# total peaks on the 27th (122), falls to 82 on the 28th and 48 on the 29th.
# AMC, BB and NOK rise with it, but stay small (under 20 a day in all).
HERD = {
    "GME": {"wallstreetbets": (18, 26, 26, 20, 40, 42, 50, 34, 22),
            "stocktwits": (1, 20, 15, 12, 18, 20, 24, 16, 10),
            "x": (0, 1, 3, 16, 14, 18, 20, 14, 8),
            "stocks": (0, 0, 0, 1, 2, 16, 14, 10, 5),
            "investing": (0, 0, 0, 0, 1, 2, 14, 8, 3)},
    "AMC": {"wallstreetbets": (0, 0, 0, 0, 2, 4, 6, 5, 3), "stocktwits": (0, 0, 0, 0, 1, 2, 3, 2, 1)},
    "BB": {"wallstreetbets": (0, 0, 0, 0, 1, 2, 3, 1, 0)},
    "NOK": {"wallstreetbets": (0, 0, 0, 0, 1, 2, 2, 1, 0)},
}
# Posts by hour of the day (UTC): quiet nights, busy US market hours.
HOUR_WEIGHT = (1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 4, 5, 5, 5, 5, 5, 4, 3, 2, 2)
MEME = ("GME", "AMC", "BB", "NOK")


def poisson(mean):
    """A Poisson draw (Knuth's method: the means here are small)."""
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def quiet_count(day, channel, sym):
    weekend = (T0 + timedelta(days=day)).weekday() >= 5 or day in HOLIDAYS
    mean = QUIET_PER_DAY[channel] * QUIET_SHARE[sym] / sum(QUIET_SHARE.values())
    return poisson(mean * (0.5 if weekend else 1.0))


def herd_count(day, channel, sym):
    counts = HERD.get(sym, {}).get(channel)
    return counts[day - HERD0] if counts and day >= HERD0 else 0


def post_times(day, n):
    """n times on day, spread by HOUR_WEIGHT, sorted."""
    hours = rng.choices(range(24), HOUR_WEIGHT, k=n)
    return sorted(T0 + timedelta(days=day, hours=h, seconds=rng.randrange(3600)) for h in hours)


def mood(day, sym, burst):
    """Mixed in the quiet weeks, bullish in the herd, sour for the meme names
    on the 28th."""
    if day == SOUR and sym in MEME:
        return rng.choices(["up", "down", "flat"], [25, 55, 20])[0]
    if burst:
        return rng.choices(["up", "down", "flat"], [65, 12, 23])[0]
    return rng.choices(["up", "down", "flat"], [40, 28, 32])[0]


def other(sym):
    return rng.choice([s for s in COMPANY if s != sym])


# Sentences about brokers restricting purchases belong to the 28th and after;
# sentences about a squeeze or a wild week to the herd.
RESTRICTION_WORDS = ("restrict", "can't buy", "halt", "Only closing", "limited buying", "blocking", "limit")
HERD_WORDS = ("squeeze", "moon", "Ape", "doubled", "ripping", "Wild day", "this week", "best week",
              "trending", "Never thought", "unusual", "insane", "Diamond hands", "trapped", "Gain porn",
              "just getting started", "Everyone at work", "Retail investors just", "not backing down",
              "run-up", "so much today", "Paper hands", "calls printing", "move is driven", "max pain")


def choose(bank, day, burst=False):
    if day < SOUR:
        bank = [s for s in bank if not any(w in s for w in RESTRICTION_WORDS)] or bank
    if not burst:
        bank = [s for s in bank if not any(w in s for w in HERD_WORDS)] or bank
    return rng.choice(bank)


def fill(template, sym, day, style):
    return template.format(t=mention(sym, style), p=price(sym, day), u=mention(other(sym), style))


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def fetched(t):
    """The poll after t: every 15 minutes, one minute past."""
    q = t.replace(minute=(t.minute // 15) * 15, second=0) + timedelta(minutes=16)
    return iso(q)


def raw(source, t, query, item, includes=None):
    r = {"kind": "raw", "source": source, "fetched_at": fetched(t), "query": query, "item": item}
    if includes is not None:
        r["includes"] = includes
    return r


# ------------------------------------------------------------------ reddit

B36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def b36(n):
    s = ""
    while n:
        n, r = divmod(n, 36)
        s = B36[r] + s
    return s


SUBS = {"wallstreetbets": "t5_2th52", "stocks": "t5_2qjfk", "investing": "t5_2qhhq"}
next_comment = int("ggq000", 36)  # ids of late December 2020
next_link = int("khc000", 36)
submissions = []  # (t, sub, id, title) for comments to hang under


def fullname(a):
    """A stable invented account id (t2_…) for an author name."""
    return "t2_" + b36(1000000 + AUTHORS.index(a) * 7919)


def reddit_submission(t, sub, sym, m, day, burst):
    global next_link
    next_link += rng.randrange(3, 40)
    lid = b36(next_link)
    title = fill(choose(SUBMISSION_TITLES[m], day, burst), sym, day, "reddit")
    flair = {"up": rng.choice(["DD", "YOLO", "Gain"]), "down": rng.choice(["Loss", "Discussion"]),
             "flat": "Discussion"}[m] if sub == "wallstreetbets" else None
    slug = "_".join("".join(c for c in w.lower() if c.isalnum()) for w in title.split()[:8]).strip("_")
    score = int(rng.lognormvariate(4.0 if burst else 3.0, 1.3))
    a = author(day, t.hour, burst)
    submissions.append((t, sub, lid))
    data = {
        "approved_at_utc": None, "subreddit": sub, "selftext": fill(choose(SELFTEXT[m], day, burst), sym, day, "reddit"),
        "author_fullname": fullname(a),
        "saved": False, "gilded": 0, "clicked": False, "title": title, "subreddit_name_prefixed": "r/" + sub,
        "hidden": False, "downs": 0, "name": "t3_" + lid, "upvote_ratio": round(rng.uniform(0.72, 0.97), 2),
        "ups": score, "total_awards_received": rng.choice([0, 0, 0, 1, 2]), "link_flair_text": flair,
        "score": score, "edited": False, "is_self": True, "created": t.timestamp(), "domain": "self." + sub,
        "archived": False, "over_18": False, "spoiler": False, "locked": False, "subreddit_id": SUBS[sub],
        "id": lid, "author": a, "num_comments": rng.randrange(0, 400 if burst else 60),
        "permalink": f"/r/{sub}/comments/{lid}/{slug}/", "stickied": False,
        "url": f"https://www.reddit.com/r/{sub}/comments/{lid}/{slug}/", "created_utc": t.timestamp(),
        "distinguished": None,
    }
    return raw("reddit", t, sub, {"kind": "t3", "data": data})


def reddit_comment(t, sub, sym, m, day, burst):
    global next_comment
    next_comment += rng.randrange(5, 90)
    cid = b36(next_comment)
    calm = sub != "wallstreetbets"
    bank = {"up": CALM_UP if calm else WSB_UP, "down": CALM_DOWN if calm else WSB_DOWN,
            "flat": CALM_FLAT if calm else WSB_FLAT}[m]
    body = fill(choose(bank, day, burst), sym, day, "reddit")
    parents = [s for s in submissions if s[1] == sub and s[0] <= t]
    link = parents[-1][2] if parents and rng.random() < 0.6 else (rng.choice(parents)[2] if parents else "khbzzz")
    parent = "t3_" + link if rng.random() < 0.7 or next_comment < 2 else "t1_" + b36(next_comment - rng.randrange(5, 400))
    a = author(day, t.hour, burst) if rng.random() > 0.03 else "[deleted]"
    score = int(rng.lognormvariate(1.8 if burst else 1.2, 1.2)) - rng.randrange(0, 3)
    data = {
        "total_awards_received": 0, "approved_at_utc": None, "ups": score, "author_flair_text": None,
        "link_id": "t3_" + link, "replies": "", "saved": False, "id": cid, "gilded": 0, "archived": False,
        "author": a, "parent_id": parent, "score": score,
        "author_fullname": None if a == "[deleted]" else fullname(a),
        "body": body if a != "[deleted]" else "[deleted]", "edited": False, "downs": 0,
        "is_submitter": False, "collapsed": False, "body_html": None, "stickied": False, "score_hidden": False,
        "permalink": f"/r/{sub}/comments/{link}/comment/{cid}/", "locked": False, "name": "t1_" + cid,
        "created": t.timestamp(), "subreddit": sub, "created_utc": t.timestamp(), "subreddit_name_prefixed": "r/" + sub,
        "controversiality": 1 if m == "down" and rng.random() < 0.3 else 0, "depth": 0 if parent.startswith("t3_") else 1,
        "subreddit_id": SUBS[sub], "distinguished": None,
    }
    data["body_html"] = "<div class=\"md\"><p>" + data["body"].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") + "</p>\n</div>"
    return raw("reddit", t, sub, {"kind": "t1", "data": data})


# ------------------------------------------------------------------ stocktwits

next_st = 258000000  # ids of late December 2020


def stocktwits_message(t, sym, m, day, burst):
    global next_st
    next_st += rng.randrange(5000, 60000)
    a = rng.choice(AUTHORS)
    uid = 1000000 + AUTHORS.index(a) * 3571
    body = fill(choose(STOCKTWITS[m], day, burst), sym, day, "stocktwits")
    symbols = [sym] + ([other(sym)] if rng.random() < 0.10 else [])
    if len(symbols) > 1:
        body += " $" + symbols[1]
    senti = {"up": {"basic": "Bullish"}, "down": {"basic": "Bearish"}, "flat": None}[m]
    if senti and rng.random() < 0.3:
        senti = None  # many messages carry no sentiment tag
    item = {
        "id": next_st, "body": body, "created_at": iso(t),
        "user": {"id": uid, "username": a.replace("_", ""), "name": a.replace("_", " ").title(),
                 "avatar_url": "https://avatars.stocktwits.com/production/%d/thumb-1611000000.png" % uid,
                 "avatar_url_ssl": "https://avatars.stocktwits.com/production/%d/thumb-1611000000.png" % uid,
                 "join_date": "20%02d-%02d-%02d" % (rng.randrange(12, 21), rng.randrange(1, 13), rng.randrange(1, 28)),
                 "official": False, "identity": "User", "classification": [],
                 "followers": rng.randrange(0, 3000), "following": rng.randrange(0, 500),
                 "ideas": rng.randrange(1, 20000), "watchlist_stocks_count": rng.randrange(1, 80),
                 "like_count": rng.randrange(0, 9000), "plus_tier": "", "premium_room": "", "trade_app": False,
                 "trade_status": None},
        "source": rng.choice([{"id": 1149, "title": "StockTwits for iOS", "url": "http://www.stocktwits.com/mobile"},
                              {"id": 2095, "title": "StockTwits For Android", "url": "http://www.stocktwits.com/mobile"},
                              {"id": 1, "title": "StockTwits", "url": "http://stocktwits.com"}]),
        "symbols": [{"id": ST_SYMBOL_ID[s], "symbol": s, "title": TITLE[s], "aliases": [], "is_following": False,
                     "watchlist_count": 50000 + ST_SYMBOL_ID[s] * 3} for s in symbols],
        "mentioned_users": [],
        "entities": {"sentiment": senti},
    }
    if rng.random() < 0.4:
        item["likes"] = {"total": rng.randrange(1, 40), "user_ids": []}
    return raw("stocktwits", t, sym, item)


# ------------------------------------------------------------------ x

X_EPOCH_MS = 1288834974657


def x_tweet(t, sym, m, day, seq, burst):
    ms = int(t.timestamp() * 1000) + rng.randrange(0, 999)
    tid = str(((ms - X_EPOCH_MS) << 22) | (seq % 4096))
    a = rng.choice(AUTHORS)
    uid = str(1200000000000000000 + AUTHORS.index(a) * 104729)
    text = fill(choose(TWEETS[m], day, burst), sym, day, "x")
    if rng.random() < 0.2:
        text += " #" + rng.choice(["stocks", "investing", "WallStreetBets", "StockMarket"])
    item = {
        "id": tid, "text": text, "created_at": t.strftime("%Y-%m-%dT%H:%M:%S.000Z"), "author_id": uid,
        "conversation_id": tid, "lang": "en",
        "public_metrics": {"retweet_count": int(rng.lognormvariate(1, 1.5)), "reply_count": rng.randrange(0, 30),
                           "like_count": int(rng.lognormvariate(2, 1.6)), "quote_count": rng.randrange(0, 5)},
    }
    user = {"id": uid, "name": a.replace("_", " ").title(), "username": a}
    return raw("x", t, f"({sym} OR ${sym}) lang:en -is:retweet", item, {"users": [user]})


# ------------------------------------------------------------------ newsapi


def news_article(item):
    sym, date, m, title, desc = item
    t = datetime.strptime(date, "%Y-%m-%d").replace(tzinfo=timezone.utc) + timedelta(
        hours=rng.randrange(11, 22), minutes=rng.randrange(60), seconds=rng.randrange(60))
    day = (t - T0).days
    sid, sname = rng.choice(OUTLETS)
    slug = "-".join("".join(c for c in w.lower() if c.isalnum()) for w in title.split()[:7])
    host = (sid or sname.lower().replace(" ", "")) + ".example.com"
    body = desc + " " + fill(rng.choice(NEWS_BODY), sym, day, "news")
    art = {
        "source": {"id": sid, "name": sname},
        "author": rng.choice(["Staff", "Jane Porter", "Sam Okafor", "Lena Varga", None]),
        "title": title, "description": desc,
        "url": f"https://www.{host}/markets/{t.strftime('%Y/%m/%d')}/{slug}",
        "urlToImage": f"https://images.{host}/{slug}.jpg",
        "publishedAt": iso(t),
        "content": body[:190] + "\u2026 [+%d chars]" % rng.randrange(1200, 5200),
    }
    return t, raw("newsapi", t, f"{COMPANY[sym]} OR {sym}", art)


# ------------------------------------------------------------------ main


def main():
    reddit, st, xs = [], [], []
    seq = 0
    for day in range(DAYS):
        # Every post of the day: (time, ticker, channel, part of the herd?).
        posts = []
        for sym in COMPANY:
            for ch in CHANNELS:
                q, h = quiet_count(day, ch, sym), herd_count(day, ch, sym)
                posts += [(t, sym, ch, i >= q) for i, t in enumerate(post_times(day, q + h))]
        posts.sort(key=lambda p: p[0])
        for t, sym, ch, burst in posts:
            m = mood(day, sym, burst)
            seq += 1
            if ch == "stocktwits":
                st.append((t, stocktwits_message(t, sym, m, day, burst)))
            elif ch == "x":
                xs.append((t, x_tweet(t, sym, m, day, seq, burst)))
            elif rng.random() < 0.14 or not [s for s in submissions if s[1] == ch]:
                reddit.append((t, reddit_submission(t, ch, sym, m, day, burst)))
            else:
                reddit.append((t, reddit_comment(t, ch, sym, m, day, burst)))
    news = [news_article(it) for it in NEWS]
    os.makedirs(OUT, exist_ok=True)
    for name, recs in (("reddit", reddit), ("stocktwits", st), ("x", xs), ("newsapi", news)):
        recs.sort(key=lambda p: p[0])
        with open(os.path.join(OUT, name + ".ndjson"), "w", encoding="utf-8") as f:
            for _, rec in recs:
                f.write(json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n")
        print(f"make-sample-data: {name}.ndjson: {len(recs)} items", file=sys.stderr)


main()
