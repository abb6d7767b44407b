#!/usr/bin/env python3
"""check-mpnet.py — transformers' side of tests/bert/check-mpnet.sh: a real
MPNet encoder (scripts/fetch-mpnet.sh: models/mpnet, all-mpnet-base-v2)
on ~50 real sentences (PhraseBank, finance tweets, WSB comments:
make-bert-golden.py's sample), fp32, eager attention, one text at a time.

    .venv/bin/python scripts/check-mpnet.py reference MODEL_DIR OUTDIR
        OUTDIR/texts.txt     one text a line (newlines inside a text made spaces)
        OUTDIR/hf-ids.txt    the tokenizer's ids (transformers' AutoTokenizer on
                             MODEL_DIR: tokenizer.json when there), cut to 128
        OUTDIR/hf-pooled.f32 the mean of the last hidden states (sentence-
                             transformers' Pooling, mean mode), (S, C) fp32
    .venv/bin/python scripts/check-mpnet.py compare OUTDIR HERD_IDS HERD_POOLED
        the same ids, and each pooled vector within REL_TOL of transformers'
        relative to the vector's largest magnitude; prints the worst; exit 1
        when either fails
"""
import importlib.util
import os
import sys

import numpy as np

REL_TOL = 1e-4
N_EACH = 17
MAX_LEN = 128


def reference(model_dir, out):
    import torch
    from transformers import AutoModel, AutoTokenizer

    here = os.path.dirname(os.path.abspath(__file__))
    spec = importlib.util.spec_from_file_location("bert_golden", os.path.join(here, "make-bert-golden.py"))
    bg = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bg)
    texts = [" ".join(t.split("\n")) for t in bg.real_sentences(N_EACH)][:50]
    tok = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModel.from_pretrained(model_dir, attn_implementation="eager").eval()
    torch.set_num_threads(int(os.environ.get("THREADS", "2")))
    pooled, ids = [], []
    for t in texts:
        enc = tok(t, truncation=True, max_length=MAX_LEN, return_tensors="pt")
        with torch.no_grad():
            h = model(**enc).last_hidden_state[0]
        ids.append(enc["input_ids"][0].tolist())
        pooled.append(h.mean(0).numpy())
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "texts.txt"), "w", encoding="utf-8") as f:
        f.write("".join(t + "\n" for t in texts))
    with open(os.path.join(out, "hf-ids.txt"), "w") as f:
        f.write("".join(" ".join(map(str, i)) + "\n" for i in ids))
    np.stack(pooled).astype(np.float32).tofile(os.path.join(out, "hf-pooled.f32"))
    print(f"check-mpnet: {len(texts)} texts, {sum(map(len, ids))} tokens, hidden {pooled[0].shape[0]}")


def compare(out, herd_ids, herd_pooled):
    hf_ids = open(os.path.join(out, "hf-ids.txt")).read().splitlines()
    h_ids = open(herd_ids).read().splitlines()
    bad = [i for i, (a, b) in enumerate(zip(hf_ids, h_ids)) if a != b] + list(range(min(len(hf_ids), len(h_ids)),
                                                                                     max(len(hf_ids), len(h_ids))))
    ok = True
    if bad:
        ok = False
        texts = open(os.path.join(out, "texts.txt"), encoding="utf-8").read().splitlines()
        for i in bad[:3]:
            print(f"FAIL: ids of text {i + 1} differ: {texts[i][:80]!r}\n  transformers {hf_ids[i][:120]}\n"
                  f"  herd         {h_ids[i][:120] if i < len(h_ids) else '(none)'}")
    hf = np.fromfile(os.path.join(out, "hf-pooled.f32"), dtype=np.float32).reshape(len(hf_ids), -1)
    hp = np.fromfile(herd_pooled, dtype=np.float32)
    if hp.size != hf.size:
        print(f"FAIL: herd wrote {hp.size} floats, transformers {hf.size}")
        return 1
    hp = hp.reshape(hf.shape)
    rel = np.abs(hp - hf).max(1) / np.abs(hf).max(1)
    cos = (hp * hf).sum(1) / np.linalg.norm(hp, axis=1) / np.linalg.norm(hf, axis=1)
    worst = int(rel.argmax())
    print(f"check-mpnet: {len(hf)} texts: ids {'equal' if not bad else f'differ in {len(bad)}'}; pooled max "
          f"|diff| / max |x| {rel.max():.3g} (text {worst + 1}), max |diff| {np.abs(hp - hf).max():.3g}, "
          f"min cosine {cos.min():.9f}")
    if rel.max() > REL_TOL:
        print(f"FAIL: pooled vectors differ by more than {REL_TOL} of their largest value")
        ok = False
    return 0 if ok else 1


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "reference":
        reference(sys.argv[2], sys.argv[3])
        return 0
    if len(sys.argv) == 5 and sys.argv[1] == "compare":
        return compare(sys.argv[2], sys.argv[3], sys.argv[4])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
