#!/usr/bin/env python3
"""average-adapters.py — one model from several LoRA runs on the same base:
the mean of their weight deltas and of their heads (a "model soup"), in
.venv (scripts/setup-python.sh).

    .venv/bin/python scripts/average-adapters.py OUT RUN_DIR RUN_DIR...

Each RUN_DIR is a directory herd-train --finetune lora wrote (or
models/default): the base's files, adapter.safetensors, head.safetensors.
The runs must share the base (the adapters' "base" hash) and the head's
shape. Why it can be exact and free at scoring time: run i's delta is
s_i B_i A_i (s_i = alpha_i / rank_i), so the mean of n deltas is one
adapter of rank sum(rank_i) whose A stacks the A_i and whose B stacks
s_i B_i / n, with alpha = that rank (scale 1); herd-score merges it into
the weights at load like any other adapter, and scoring costs what the base
costs. The heads are averaged as they are, which is sound only for runs
that started from the same initialization (same seed, rank and head), the
case of a sweep over a few settings; herd-train --evaluate OUT tells on the
validation split whether the average is any better than its members.

OUT gets the base's files as symbolic links, the averaged adapter (F32),
the averaged head with the new encoder hash herd-score checks, and
herd.json naming the model after OUT.
"""
import hashlib
import json
import os
import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file, save_file

BASE_FILES = ["model.safetensors", "config.json", "tokenizer_config.json", "vocab.txt"]


def die(msg):
    sys.exit(f"average-adapters: {msg}")


def file_hash(paths):
    h = hashlib.sha256()
    for p in paths:
        with open(p, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()[:8]


def main(argv):
    if len(argv) < 3 or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    out, runs = argv[0], argv[1:]
    adapters, heads = [], []
    for r in runs:
        ap, hp = os.path.join(r, "adapter.safetensors"), os.path.join(r, "head.safetensors")
        for p in (ap, hp):
            if not os.path.isfile(p):
                die(f"{p}: no such file (not a LoRA run's directory)")
        meta = safe_open(ap, "np").metadata() or {}
        if meta.get("format") != "herd-lora-1":
            die(f"{ap}: not a herd LoRA adapter (format {meta.get('format')!r})")
        adapters.append((ap, load_file(ap), float(meta["alpha"]), int(meta["rank"]), meta["base"]))
        heads.append((hp, load_file(hp), safe_open(hp, "np").metadata() or {}))
    bases = {a[4] for a in adapters}
    if len(bases) != 1:
        die(f"the runs are on different bases ({', '.join(sorted(bases))})")
    for hp, h, _ in heads[1:]:
        if h.keys() != heads[0][1].keys() or any(h[k].shape != heads[0][1][k].shape for k in h):
            die(f"{hp}: another head shape than {heads[0][0]}")
    n, rank = len(runs), sum(a[3] for a in adapters)
    merged = {}
    for name in adapters[0][1]:
        if not name.endswith(".lora_A"):
            continue
        nb = name[: -len("A")] + "B"
        for ap, t, *_ in adapters:
            if name not in t or nb not in t:
                die(f"{ap}: no {name} or {nb}")
        merged[name] = np.concatenate([t[name].astype(np.float32) for _, t, *_ in adapters], 0)
        merged[nb] = np.concatenate([t[nb].astype(np.float32) * (alpha / r) / n
                                     for _, t, alpha, r, _ in adapters], 1)
    os.makedirs(out, exist_ok=True)
    base_dir = runs[0]
    for f in BASE_FILES:
        src, dst = os.path.realpath(os.path.join(base_dir, f)), os.path.join(out, f)
        if os.path.lexists(dst):
            os.remove(dst)
        os.symlink(src, dst)
    ad_out = os.path.join(out, "adapter.safetensors")
    save_file(merged, ad_out, {"format": "herd-lora-1", "alpha": str(rank), "rank": str(rank),
                               "base": bases.pop()})
    head = {k: np.mean([h[k].astype(np.float32) for _, h, _ in heads], 0) for k in heads[0][1]}
    meta = dict(heads[0][2])
    meta["encoder"] = file_hash([os.path.join(out, "model.safetensors"), ad_out])
    save_file(head, os.path.join(out, "head.safetensors"), meta)
    with open(os.path.join(out, "herd.json"), "w") as f:
        json.dump({"name": os.path.basename(os.path.normpath(out))}, f)
    print(f"average-adapters: {out}: the mean of {n} runs, an adapter of rank {rank}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
