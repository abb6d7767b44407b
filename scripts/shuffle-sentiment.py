#!/usr/bin/env python3
"""shuffle-sentiment.py — the control of scripts/eval-signals.sh (issue 17):
each entity's sentiment shuffled in time.

Reads scored posts (NDJSON, herd-score's output) and writes them in the same
order, each post's "sentiment" (and "vader") swapped with another post's of
the same entities, chosen by a seeded permutation per entity set. Times,
texts and ids stay where they were: the news still comes when it came and
says as much overall per ticker, but no longer what it said at that moment.
A signal rule that still "works" on this output works on the timing of news
or on the prices, not on what the news said.

Standard library only; not on herd's data path (an evaluation control).

    scripts/shuffle-sentiment.py [--seed N] < scored.ndjson > shuffled.ndjson
"""
import argparse
import json
import random
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=1, help="of the permutations (default 1)")
    args = ap.parse_args()

    lines = sys.stdin.read().splitlines()
    groups = {}  # entity set -> indexes of the posts with a sentiment
    recs = [None] * len(lines)
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except ValueError:
            continue  # passed through as it is
        if rec.get("kind") == "post" and "sentiment" in rec:
            recs[i] = rec
            key = ",".join(sorted(rec.get("entities") or []))
            groups.setdefault(key, []).append(i)
    for key, idx in sorted(groups.items()):
        order = list(idx)
        random.Random("%d:%s" % (args.seed, key)).shuffle(order)
        taken = [(recs[j].get("sentiment"), recs[j].get("vader")) for j in order]
        for i, (sent, vader) in zip(idx, taken):
            recs[i]["sentiment"] = sent
            if vader is not None:
                recs[i]["vader"] = vader
            elif "vader" in recs[i]:
                del recs[i]["vader"]
    out = sys.stdout
    for i, line in enumerate(lines):
        if recs[i] is None:
            out.write(line + "\n")
        else:
            out.write(json.dumps(recs[i], ensure_ascii=False, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
