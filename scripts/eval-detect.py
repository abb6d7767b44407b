#!/usr/bin/env python3
"""eval-detect.py — scores herd-detect's cascade events for
scripts/eval-detect.sh (which builds the inputs and runs the detector):
lead on the listed herds, false alarms on quiet data, calibration of the
score. Standard library only; reads NDJSON events, prints tables.

    eval-detect.py --in INPUTS EVDIR...     (one EVDIR per setting)

The lists below are judgements written down here, not data; the reasons
are in docs/detection.md ("The harness").
"""
import argparse
import datetime as dt
import json
import math
import os
import statistics
import sys

# wsb-submissions-2021-q1: (entity, herd, first burst day, search from, to).
# The first burst day is the first day the posts jump to several times the
# entity's early-January level (the data's SOURCE.md lists the counts);
# a herd's first flag is its first episode start from a week before it.
WSB_HERDS = [
    ("GME", "Jan run-up", "2021-01-13", "2021-01-06", "2021-01-26"),
    ("GME", "Feb 24 wave", "2021-02-24", "2021-02-17", "2021-02-28"),
    ("BB", "Jan", "2021-01-14", "2021-01-07", "2021-01-26"),
    ("NOK", "Jan", "2021-01-25", "2021-01-18", "2021-01-26"),
    ("SNDL", "Feb", "2021-02-10", "2021-02-07", "2021-02-28"),
    ("TLRY", "Feb", "2021-02-09", "2021-02-07", "2021-02-28"),
]
# The quiet stretch of the WSB data: before GME's first burst day.
WSB_QUIET = ("2021-01-01", "2021-01-12")
# twitter-sp500-2020: the COVID crash moved every ticker at once.
TW_CRASH = ("2020-02-20", "2020-03-31")
TW_DAYS = ("2020-01-01", "2020-11-30")
# The Jan 2021 replays (A, B): 19 tickers with a documented retail surge in
# Jan 20 - Feb 28 2021, and symbols that in these subreddits are words,
# brokers or jargon (the entities of A and B came from their authors'
# regexes, not from herd's extractor).
HERDS19 = "GME AMC BB NOK NAKD EXPR BBBY KOSS SNDL AAL CTRM TLRY APHA ZOM OCGN PLTR RIOT MARA CCIV".split()
WORDS = set("DD ARE AT ON GO FOR CEO TD RH UI PDT TV IT ALL OR AI UK EOD AM TDA IRS EV MSM BE BIG NET ICE AG "
            "IBKR USA A SI NAK OI CASH".split())
# C (WSB, Jan 28 - Aug 16 2021): the summer meme wave.
C_HERDS = [("AMC", "2021-05-26"), ("GME", "2021-05-24"), ("CLOV", "2021-06-08"), ("WISH", "2021-06-10"),
           ("BB", "2021-06-02")]


def day(s):
    return s[:10]


def parse_t(s):
    return dt.datetime.strptime(s[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=dt.timezone.utc)


def load(path):
    ev = []
    if not os.path.exists(path):
        return None
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            if r.get("kind") == "event" and r.get("type") == "cascade":
                ev.append(r)
    return ev


def starts(ev):
    return [e for e in ev if e["evidence"].get("phase") == "start"]


def ranks(v):
    order = sorted(range(len(v)), key=lambda i: v[i])
    r = [0.0] * len(v)
    i = 0
    while i < len(v):
        j = i
        while j + 1 < len(v) and v[order[j + 1]] == v[order[i]]:
            j += 1
        for k in range(i, j + 1):
            r[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return r


def spearman(x, y):
    if len(x) < 3:
        return float("nan")
    rx, ry = ranks(x), ranks(y)
    mx, my = statistics.fmean(rx), statistics.fmean(ry)
    sxy = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    sxx = sum((a - mx) ** 2 for a in rx)
    syy = sum((b - my) ** 2 for b in ry)
    return sxy / math.sqrt(sxx * syy) if sxx > 0 and syy > 0 else float("nan")


def calibration(ev):
    """Spearman(score, log(count/expected)) over every cascade event whose
    expected count is positive."""
    xs, ys = [], []
    for e in ev:
        b = e["evidence"].get("baseline")
        c = e["evidence"].get("rate")
        if b is None or c is None or b <= 0:
            continue
        xs.append(e["score"])
        ys.append(math.log((c + 0.5) / b))
    return spearman(xs, ys), len(xs)


def herd_rows(ev, hourly):
    rows = []
    for ent, what, burst, lo, hi in WSB_HERDS:
        found = [e for e in starts(ev) if e["entity"] == ent and lo <= day(e["at"]) <= hi]
        if not found:
            active = [e for e in ev if e["entity"] == ent and day(e["at"]) >= lo and day(e["at"]) <= hi]
            rows.append((ent, what, burst, "-", "-", "none" + (" (episode running)" if active else ""), ""))
            continue
        e = found[0]
        onset = e["evidence"].get("onset", e["at"])
        if hourly:
            end_day = parse_t(burst + "T00:00:00") + dt.timedelta(days=1)
            known = parse_t(e["at"]) + dt.timedelta(hours=1)
            lead = "%+.0fh" % ((end_day - known).total_seconds() / 3600)
            at = e["at"][5:16]
            onset = onset[5:16]
        else:
            lead = "%+dd" % (parse_t(burst + "T00:00:00") - parse_t(e["at"])).days
            at = e["at"][5:10]
            onset = onset[5:10]
        rows.append((ent, what, burst[5:], at, onset, lead,
                     "%s score %.2f, %d vs %.1f" % (e["severity"], e["score"], e["evidence"].get("rate", 0),
                                                     e["evidence"].get("baseline", 0))))
    return rows


def wsb_quiet(ev, inputs):
    """Episodes started in the quiet stretch per entity-year, over the
    entities with at least one post a day there on average."""
    lo, hi = WSB_QUIET
    days = (parse_t(hi + "T00:00:00") - parse_t(lo + "T00:00:00")).days + 1
    posts = {}
    with open(os.path.join(inputs, "wsb1d.ndjson")) as f:
        for line in f:
            r = json.loads(line)
            if lo <= day(r["start"]) <= hi:
                posts[r["entity"]] = posts.get(r["entity"], 0) + r["posts"]
    active = [k for k, v in posts.items() if v >= days]
    st = [e for e in starts(ev) if lo <= day(e["at"]) <= hi]
    rate = len(st) / (len(active) * days / 365.0) if active else float("nan")
    return st, len(active), rate


def ndays(lo, hi):
    return (parse_t(hi + "T00:00:00") - parse_t(lo + "T00:00:00")).days + 1


def twitter(ev, lo_day=TW_DAYS[0], hi_day=TW_DAYS[1]):
    """Starts per ticker in [lo_day, hi_day] outside the crash, the crash's
    starts, and the ticker-years counted."""
    lo, hi = TW_CRASH
    crash_days = max(0, ndays(max(lo, lo_day), min(hi, hi_day))) if max(lo, lo_day) <= min(hi, hi_day) else 0
    years = (ndays(lo_day, hi_day) - crash_days) / 365.0
    per = {}
    crash = 0
    for e in starts(ev):
        d = day(e["at"])
        if not lo_day <= d <= hi_day:
            continue
        if lo <= d <= hi:
            crash += 1
            continue
        per[e["entity"]] = per.get(e["entity"], 0) + 1
    return per, crash, years


def fmt(v, p=2):
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else ("%.*f" % (p, v))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--in", dest="inputs", required=True)
    ap.add_argument("dirs", nargs="+")
    a = ap.parse_args()
    out = sys.stdout
    ntw = 398
    for d in a.dirs:
        name = os.path.basename(d.rstrip("/"))
        out.write("\n## setting %s\n" % name)
        times = {}
        if os.path.exists(os.path.join(d, "times")):
            for line in open(os.path.join(d, "times")):
                _, ds, s = line.split()
                times[ds] = s
        ds = {k: load(os.path.join(d, k + ".ndjson")) for k in ("wsb1d", "wsb1h", "tw", "A", "B", "C")}
        for key, hourly in (("wsb1d", False), ("wsb1h", True)):
            ev = ds[key]
            if ev is None:
                continue
            out.write("\n%s: lead (%s)\n" % (key, "hours before the burst day's end" if hourly else
                                             "days before the first burst day"))
            out.write("| herd | | burst day | flagged | onset | lead | event |\n|---|---|---|---|---|---|---|\n")
            for r in herd_rows(ev, hourly):
                out.write("| " + " | ".join(r) + " |\n")
            if not hourly:
                st, nact, rate = wsb_quiet(ev, a.inputs)
                out.write("quiet Jan 1-12: %d starts over %d entities with >= 1 post/day: %s per entity-year (%s)\n" % (
                    len(st), nact, fmt(rate), ", ".join("%s %s" % (e["entity"], e["at"][5:10]) for e in st[:20])))
            r, n = calibration(ev)
            r2, n2 = calibration(starts(ev))
            out.write("%s: %d cascade events (%d starts), Spearman(score, log count/expected) %s over %d, %s over "
                      "the starts; %s s\n" % (key, len(ev), len(starts(ev)), fmt(r), n, fmt(r2), times.get(key, "?")))
        ev = ds["tw"]
        if ev is not None:
            for label, lo_day, hi_day in (("Jan-Nov", TW_DAYS[0], TW_DAYS[1]), ("Jan-Jun (tuning)", TW_DAYS[0], "2020-06-30"),
                                          ("Jul-Nov (held out)", "2020-07-01", TW_DAYS[1])):
                per, crash, years = twitter(ev, lo_day, hi_day)
                counts = list(per.values()) + [0] * (ntw - len(per))
                rates = sorted(c / years for c in counts)
                out.write("tw %s: %d starts outside the crash (%d in it); per ticker-year: median %s, mean %s, "
                          "90th pct %s; tickers with <= 2/y: %d of %d\n" % (
                              label, sum(counts), crash, fmt(statistics.median(rates)), fmt(statistics.fmean(rates)),
                              fmt(rates[int(0.9 * len(rates))]), sum(1 for x in rates if x <= 2), ntw))
            r, n = calibration(ev)
            r2, n2 = calibration(starts(ev))
            kinds = {}
            for e in ev:
                if e["evidence"].get("phase") == "fade":
                    k = e["evidence"].get("shape", {}).get("kind", "-")
                    kinds[k] = kinds.get(k, 0) + 1
            out.write("tw: Spearman %s over %d events, %s over the %d starts; episodes by kind %s; %s s\n" % (
                fmt(r), n, fmt(r2), n2, kinds, times.get("tw", "?")))
        for key in ("A", "B"):
            ev = ds[key]
            if ev is None:
                continue
            st = starts(ev)
            ents = [e["entity"] for e in st]
            herds = sorted(set(ents) & set(HERDS19))
            words = sum(1 for e in ents if e in WORDS)
            first = {}
            for e in st:
                first.setdefault(e["entity"], e["at"][5:10])
            r, n = calibration(ev)
            out.write("%s: %d starts, %d on words, herds %d/19, GME %s, AMC %s; Spearman %s over %d\n" % (
                key, len(st), words, len(herds), first.get("GME", "-"), first.get("AMC", "-"), fmt(r), n))
        ev = ds["C"]
        if ev is not None:
            st = starts(ev)
            got = []
            for ent, burst in C_HERDS:
                f = [e for e in st if e["entity"] == ent and day(e["at"]) >= "2021-05-15"]
                got.append("%s %s (burst %s)" % (ent, f[0]["at"][5:10] if f else "-", burst[5:]))
            r, n = calibration(ev)
            out.write("C: %d starts; summer wave: %s; Spearman %s over %d\n" % (len(st), ", ".join(got), fmt(r), n))


if __name__ == "__main__":
    main()
