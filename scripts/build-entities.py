#!/usr/bin/env python3
"""build-entities.py — the full listed ticker universe for herd's entity
extractor, built at set-up from PyPI packages into data/entities/full/
(ignored by git), to be used beside the project's own dictionary:

    .venv/bin/python scripts/build-entities.py          (scripts/setup-python.sh makes .venv)
    herd-normalize --dict data/entities --dict data/entities/full …

Sources (evaluated in docs/entities.md):
  stocktickers 0.0.18    NASDAQ (~3,400) and NYSE (~1,900) symbols, no names,
                         no ETFs, scraped (a few junk rows, filtered here)
  pytickersymbols 1.17.10  index members with company names: S&P 500, S&P 600,
                         NASDAQ 100, Dow Jones, S&P 100 (~1,100 US symbols)
  wordfreq 3.1.1         English word frequencies, to find symbols that are
                         words (ALL, CAR, FUN…)
Writes:
  full/tickers.tsv   every listed symbol not already in data/entities/tickers.tsv,
                     with its name when pytickersymbols has one; symbols that are
                     rarer English words get the "word" flag
  full/stoplist.txt  listed symbols that are common English words (Zipf >= 3.0)
The project's own files are never changed: its hand-made choices win (a symbol
it lists keeps its flags; its stop list stays as it is).
Missing packages are installed into the running interpreter's environment.
"""
import importlib
import os
import re
import subprocess
import sys

PACKAGES = {"pytickersymbols": "pytickersymbols==1.17.10", "stocktickers": "stocktickers==0.0.18",
            "wordfreq": "wordfreq==3.1.1"}
INDICES = ["S&P 500", "S&P 600", "NASDAQ 100", "DOW JONES", "S&P 100"]
SYMBOL = re.compile(r"^[A-Z]{1,5}(\.[A-Z]{1,2})?$")
STOP_ZIPF = 3.0   # a word at least this common (about 1 in 1,000,000 words) is a stop word
WORD_ZIPF = 2.0   # rarer words down to this get the "word" flag instead

top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
own = os.path.join(top, "data", "entities")
out = os.path.join(own, "full")


def need(mod):
    try:
        return importlib.import_module(mod)
    except ImportError:
        subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", PACKAGES[mod]])
        return importlib.import_module(mod)


def own_symbols():
    syms = set()
    with open(os.path.join(own, "tickers.tsv"), encoding="utf-8") as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                syms.add(line.split("\t")[0].strip())
    return syms


def main():
    stocktickers = need("stocktickers")
    need("pytickersymbols")
    from pytickersymbols.indices_data import INDICES as IDX
    wordfreq = need("wordfreq")

    names = {}
    for index in INDICES:
        for c in IDX.get(index, {}).get("companies", []):
            sym = (c.get("symbol") or "").replace("-", ".")
            if SYMBOL.match(sym):
                names.setdefault(sym, c.get("name", ""))
    listed = {s.strip().replace("-", ".") for s in list(stocktickers.nasdaq) + list(stocktickers.nyse)}
    universe = sorted({s for s in listed if SYMBOL.match(s)} | set(names))
    mine = own_symbols()

    os.makedirs(out, exist_ok=True)
    stops, rows = [], []
    for sym in universe:
        if sym in mine:
            continue
        z = wordfreq.zipf_frequency(sym.lower(), "en") if "." not in sym else 0.0
        if len(sym) > 1 and z >= STOP_ZIPF:
            stops.append(sym)
        flag = "\tword" if WORD_ZIPF <= z < STOP_ZIPF else ""
        rows.append(f"{sym}\t{names.get(sym, '')}\tstock{flag}")
    versions = ", ".join(PACKAGES.values())
    with open(os.path.join(out, "tickers.tsv"), "w", encoding="utf-8") as f:
        f.write(f"# herd entity dictionary: tickers, version 1 — the listed universe, made by\n"
                f"# scripts/build-entities.py from {versions}; do not edit\n")
        f.write("\n".join(rows) + "\n")
    with open(os.path.join(out, "stoplist.txt"), "w", encoding="utf-8") as f:
        f.write(f"# herd entity dictionary: stop list, version 1 — listed symbols that are common English\n"
                f"# words (wordfreq Zipf >= {STOP_ZIPF}), made by scripts/build-entities.py; do not edit\n")
        f.write("\n".join(stops) + "\n")
    print(f"build-entities: {len(rows)} symbols ({len(universe)} listed, {len(universe) - len(rows)} already in "
          f"data/entities), {len(stops)} of them stop-listed as words, "
          f"{sum(1 for r in rows if r.endswith('word'))} flagged word -> {out}")


if __name__ == "__main__":
    main()
