#!/usr/bin/env python3
"""make-vader-golden.py — expected VADER scores from the reference, vaderSentiment 3.3.2.

    .venv/bin/python scripts/make-vader-golden.py            # tests/golden/vader-golden.tsv.gz
    .venv/bin/python scripts/make-vader-golden.py --cases    # C rows for tests/unit/test_vader.c

Golden file: polarity_scores() of every text in ../shared/data/vader-groundtruth
(tweets, nyt, movies, amazon: the third tab-separated field of each line, CRLF
removed) and of the body of every comment in
../shared/data/wsb-early2021-esbenkc/wallstreetbets_comments.ndjson. It holds no
text, only "corpus<TAB>key<TAB>neg<TAB>neu<TAB>pos<TAB>compound" (key = the
corpus's ID column, or the comment id); tests/text/check-vader-golden.sh reads
the texts from $SHARED the same way and compares herd-score's output.

--cases: runs the reference with the small made-up lexicons in
tests/text/vader-mini/ on the rule cases listed below and prints the rows of
the table in tests/unit/test_vader.c.
"""
import gzip
import io
import json
import os
import platform
import sys

from vaderSentiment import vaderSentiment as vs

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.environ.get("SHARED", os.path.join(os.path.dirname(TOP), "shared", "data"))
OUT = os.path.join(TOP, "tests", "golden", "vader-golden.tsv.gz")
MAGIC = "# herd-vader-golden v1"

GROUNDTRUTH = [  # corpus name, file
    ("tweets", "tweets_GroundTruth.txt"),
    ("nyt", "nytEditorialSnippets_GroundTruth.txt"),
    ("movies", "movieReviewSnippets_GroundTruth.txt"),
    ("amazon", "amazonReviewSnippets_GroundTruth.txt"),
]
WSB = "wsb-early2021-esbenkc/wallstreetbets_comments.ndjson"


def groundtruth(path):
    """(id, rating, text) per line: tab-separated, CRLF line ends."""
    with open(path, encoding="utf-8", newline="") as f:
        for line in f.read().split("\n"):
            line = line.rstrip("\r")
            if line:
                key, rating, text = line.split("\t", 2)
                yield key, rating, text


def golden():
    from importlib.metadata import version as package_version

    version = package_version("vaderSentiment")
    sia = vs.SentimentIntensityAnalyzer()
    rows = []
    for corpus, name in GROUNDTRUTH:
        for key, _, text in groundtruth(os.path.join(SHARED, "vader-groundtruth", name)):
            rows.append((corpus, key, sia.polarity_scores(text)))
    with open(os.path.join(SHARED, WSB), encoding="utf-8") as f:
        for line in f:
            item = json.loads(line)
            rows.append(("wsb", item["id"], sia.polarity_scores(item["body"])))
    text = io.StringIO()
    text.write(f"{MAGIC} — made by scripts/make-vader-golden.py from vaderSentiment {version} "
               f"on Python {platform.python_version()}; regenerate it, do not edit\n")
    text.write("# corpus\tkey\tneg\tneu\tpos\tcompound\n")
    for corpus, key, d in rows:
        text.write(f"{corpus}\t{key}\t{d['neg']!r}\t{d['neu']!r}\t{d['pos']!r}\t{d['compound']!r}\n")
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
        gz.write(text.getvalue().encode("utf-8"))
    print(f"make-vader-golden: {len(rows)} texts -> {os.path.relpath(OUT, TOP)} ({os.path.getsize(OUT)} bytes)")


# Rule cases for tests/unit/test_vader.c: (rule, text). The mini lexicons give
# made-up valences, so the cases test the rules, not the real lexicon.
CASES = [
    ("plain", "The book was good."),
    ("empty text", ""),
    ("white space only", " \t\n\u00a0"),
    ("no lexicon word", "The book was on the table."),
    ("lexicon lookup is case-insensitive", "The book was Good."),
    ("exclamation marks add 0.292 each", "The book was good!!"),
    ("exclamation marks count up to 4", "The book was good!!!!!!!"),
    ("one question mark adds nothing", "The book was good?"),
    ("2-3 question marks add 0.18 each", "The book was good???"),
    ("4+ question marks add 0.96", "The book was good????"),
    ("punctuation emphasis on a negative text", "The book was bad!!!"),
    ("ALL CAPS word among others", "The book was GOOD."),
    ("all words in caps: no emphasis", "THE BOOK WAS GOOD."),
    ("booster", "The book was very good."),
    ("booster in caps", "The book was VERY good."),
    ("booster two words back (x0.95)", "The book was very nice good."),
    ("booster three words back (x0.9)", "very the book good."),
    ("dampener", "The book was slightly good."),
    ("booster before a negative word", "The book was extremely bad."),
    ("kind of: both words skipped, phrase dampens", "The book was kind of good."),
    ("sort of as a bi-gram before the word", "The book was sort of good."),
    ("kinda", "The book was kinda good."),
    ("negation", "The book was not good."),
    ("contraction negates", "The book isn't good."),
    ("n't inside any word negates", "The book mightn't've good."),
    ("curly apostrophe does not negate", "The book isn\u2019t good."),
    ("negation two words back", "The book was not very good."),
    ("negation three words back", "not the book good."),
    ("never so", "The book was never so good."),
    ("never this", "The book was never this good."),
    ("so three words back: x1.25 whatever precedes it", "book was so good."),
    ("without doubt", "It is without doubt good."),
    ("without a doubt", "without a doubt good."),
    ("no before a lexicon word", "no good."),
    ("no as its own word", "I said no."),
    ("no two words back", "no the good."),
    ("no ... or", "no good or bad."),
    ("least", "The least good book."),
    ("at least", "It was at least good."),
    ("very least", "the very least good."),
    ("but: before x0.5, after x1.5", "The book was good, but the ending was bad."),
    ("BUT in caps", "The book was good BUT the ending was bad."),
    ("but: list.index finds an earlier equal value", "superb yummy but fine."),
    ("but: a later value equal to a halved one", "superb but yummy."),
    ("but: only the first but counts", "good but bad but good."),
    ("idiom: the shit", "this book is the shit."),
    ("idiom: the bomb", "that book is the bomb."),
    ("idiom: bad ass", "that was a bad ass movie"),
    ("idiom: yeah right", "that was great yeah right"),
    ("idiom: kiss of death", "and it was the kiss of death"),
    ("idiom: to die for (never from die itself)", "the cake was to die for"),
    ("idiom: to die for, three words before", "it was to die for yummy"),
    ("idiom needs three words before", "the shit."),
    ("emoticon kept whole", "Nice day :)"),
    ("short token keeps its punctuation", "ok."),
    ("punctuation stripped from a longer token", "((good))"),
    ("emoji replaced by its description", "The day \U0001F600"),
    ("emoji glued to a word", "good\U0001F600day"),
    ("two emoji in a row", "\U0001F600\U0001F600"),
    ("emoji description with !", "glad \u2757"),
    ("duplicate emoji: the later line wins", "today \U0001F614"),
    ("multi-code-point emoji key never matches", "ok \U0001F44D\U0001F3FD"),
    ("duplicate lexicon token: the later line wins", "The book was dupe."),
    ("upper-case lexicon key is unreachable", "so :-\u00de"),
    ("Unicode upper case counts as caps", "\u00c9COLE is GOOD and fun"),
    ("letters without case are not caps", "GOOD \u65e5\u672c"),
    ("circled letters are lower case", "GOOD \u24d0\u24d1 book"),
    ("Kelvin sign lower-cases to k", "o\u212a good"),
    ("dotted capital I lower-cases to two code points", "\u0130yi good"),
    ("final sigma", "\u039f\u0394\u039f\u03a3 good"),
    ("no-break space separates words", "not\u00a0good"),
    ("zero-width space does not", "not\u200bgood"),
    ("ideographic space and line separator", "not\u3000very\u2028good"),
]


def c_string(text):
    """text as a C string literal."""
    out = []
    for ch in text:
        o = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif 0x20 <= o < 0x7f:
            out.append(ch)
        elif o in (9, 10, 13):
            out.append({9: "\\t", 10: "\\n", 13: "\\r"}[o])
        elif o < 0x20 or o == 0x7f:
            out.append(f'\\x{o:02x}""')
        elif o <= 0xffff:
            out.append(f"\\u{o:04x}")
        else:
            out.append(f"\\U{o:08x}")
    return '"' + "".join(out) + '"'


def cases():
    mini = os.path.join(TOP, "tests", "text", "vader-mini")
    sia = vs.SentimentIntensityAnalyzer(lexicon_file=os.path.join(mini, "vader_lexicon.txt"),
                                        emoji_lexicon=os.path.join(mini, "emoji_utf8_lexicon.txt"))
    for rule, text in CASES:
        d = sia.polarity_scores(text)
        print(f'\t{{"{rule}", {c_string(text)}, {d["neg"]!r}, {d["neu"]!r}, {d["pos"]!r}, {d["compound"]!r}}},')


if __name__ == "__main__":
    if sys.argv[1:] == ["--cases"]:
        cases()
    elif sys.argv[1:]:
        sys.exit(__doc__)
    else:
        golden()
