#!/usr/bin/env python3
"""make-train-golden.py — golden files for the training room (src/bert/train.c,
optim.c) from PyTorch autograd, in .venv (scripts/setup-python.sh).

    .venv/bin/python scripts/make-train-golden.py tiny
        tests/golden/train-tiny-cls.safetensors    bert-tiny (BertForSequenceClassification,
                                                   tanh pooler on [CLS]), class weights and
                                                   label smoothing
        tests/golden/train-tiny-mean.safetensors   bert-tiny-encoder (BertModel, mean pooled)
                                                   with a seeded linear classifier
    .venv/bin/python scripts/make-train-golden.py mpnet
        tests/golden/train-mpnet-tiny.safetensors  mpnet-tiny (MPNetModel, mean pooled, the
                                                   relative-position bias's gradient too),
                                                   class weights and label smoothing
    .venv/bin/python scripts/make-train-golden.py default MODEL_DIR OUT [LR]
        OUT: the same for the default encoder (MODEL_DIR, e.g. models/default) on
        32 real sentences, the AdamW steps at learning rate LR (default 1e-3);
        not committed (tests/bert/check-train-default.sh makes it)

Each file holds, as F32 tensors: input.ids, input.offsets, input.labels (the
packed batch), input.class_weight, loss (the first step's loss), grad.<name>
for every parameter (herd's names: "bert." dropped, Q/K/V fused as
encoder.layer.N.attention.self.qkv.*; MPNet's attention.attn.qkv.*), init.classifier.* when the classifier
was made here, and adamw.loss (the loss before each of 20 AdamW steps with
warmup, linear decay and clipping). Its metadata names the model, the
settings and this script (magic "herd-train-golden", version 1).
Dropout is off: the masks cannot match PyTorch's generator. Texts are real
(PhraseBank, finance tweets) from ../shared/data, or fixed sentences when it
is absent.
"""
import csv
import json
import os
import struct
import sys

import torch
import torch.nn.functional as F
from transformers import AutoModel, AutoTokenizer, BertModel

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GOLD = os.path.join(TOP, "tests", "golden")
SHARED = os.environ.get("SHARED", os.path.join(os.path.dirname(TOP), "shared", "data"))
FALLBACK = [
    "Operating profit rose to EUR 13.1 mn from EUR 8.7 mn in the corresponding period in 2007.",
    "The company's net sales fell by 5% year on year.",
    "$AAPL beats estimates, raises guidance",
    "Shares of the bank were flat in early trading.",
]
SETTINGS = dict(lr=1e-3, weight_decay=0.01, beta1=0.9, beta2=0.999, eps=1e-8, clip=1.0, warmup=5, steps=20)


def texts(n):
    out = []
    pb = os.path.join(SHARED, "financial-phrasebank", "Sentences_50Agree.txt")
    tw = os.path.join(SHARED, "twitter-financial-news-sentiment", "sent_train.csv")
    lab = {"positive": 0, "negative": 1, "neutral": 2}
    if os.path.exists(pb) and os.path.exists(tw):
        with open(pb, encoding="latin-1") as f:
            lines = [l.rstrip("\r\n") for l in f if "@" in l]
        for l in lines[7::97][: n // 2]:
            s, y = l.rsplit("@", 1)
            out.append((s, lab[y]))
        with open(tw, encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        tmap = {"0": 1, "1": 0, "2": 2}
        for r in rows[11::211][: n - len(out)]:
            out.append((r["text"], tmap[r["label"]]))
    else:
        for i in range(n):
            out.append((FALLBACK[i % len(FALLBACK)], i % 3))
    return out


def save(path, tensors, meta):
    header, blobs, off = {"__metadata__": meta}, [], 0
    for name in sorted(tensors):
        b = tensors[name].detach().float().contiguous().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


class Classifier(torch.nn.Module):
    """BertForSequenceClassification's shape, or mean pooling + Linear."""

    def __init__(self, bert, K, pooling, seed):
        super().__init__()
        self.bert, self.pooling = bert, pooling
        C = bert.config.hidden_size
        g = torch.Generator().manual_seed(seed)
        self.classifier = torch.nn.Linear(C, K)
        with torch.no_grad():
            self.classifier.weight.copy_(torch.randn(K, C, generator=g) * 0.05)
            self.classifier.bias.copy_(torch.randn(K, generator=g) * 0.05)

    def forward(self, ids, mask):
        types = {} if self.bert.config.model_type == "mpnet" else {"token_type_ids": torch.zeros_like(ids)}
        out = self.bert(input_ids=ids, attention_mask=mask, **types)
        if self.pooling == "cls":
            pooled = out.pooler_output
        else:
            m = mask.unsqueeze(-1).float()
            pooled = (out.last_hidden_state * m).sum(1) / m.sum(1)
        return self.classifier(pooled)


def herd_name(name):
    return name[5:] if name.startswith("bert.") else name


def grads_by_herd_name(model):
    g = {}
    named = dict(model.named_parameters())
    for name, p in named.items():
        n = herd_name(name)
        for which in ("self.query", "self.key", "self.value", "attn.q", "attn.k", "attn.v"):
            if f"attention.{which}." in n:
                break
        else:
            g["grad." + n] = p.grad.clone()
    for name in named:
        n = herd_name(name)
        for att, parts in (("attention.self.", ("query", "key", "value")), ("attention.attn.", ("q", "k", "v"))):
            if att + parts[0] + "." in n:
                base = name.replace(att + parts[0] + ".", att)
                grads = [named[name.replace(att + parts[0] + ".", att + w + ".")].grad for w in parts]
                g["grad." + herd_name(base).replace(att, att + "qkv.")] = torch.cat(grads, 0)
    return g


def build(model_dir, pooling, K, seed, n_texts, max_len, class_weight, smoothing):
    torch.manual_seed(seed)
    bert = AutoModel.from_pretrained(model_dir, attn_implementation="eager", add_pooling_layer=(pooling == "cls"),
                                     dtype=torch.float32)
    bert.config.hidden_dropout_prob = 0.0
    model = Classifier(bert, K, pooling, seed)
    if pooling == "cls":
        # the checkpoint's own classifier (BertForSequenceClassification)
        from safetensors.torch import load_file
        sd = load_file(os.path.join(model_dir, "model.safetensors"))
        with torch.no_grad():
            model.classifier.weight.copy_(sd["classifier.weight"].float())
            model.classifier.bias.copy_(sd["classifier.bias"].float())
    model.eval()  # dropout off; gradients still flow
    tok = AutoTokenizer.from_pretrained(model_dir)
    data = texts(n_texts)
    enc = [tok(s, truncation=True, max_length=max_len)["input_ids"] for s, _ in data]
    labels = torch.tensor([y for _, y in data])
    T = max(len(e) for e in enc)
    ids = torch.zeros(len(enc), T, dtype=torch.long)
    mask = torch.zeros(len(enc), T, dtype=torch.long)
    for i, e in enumerate(enc):
        ids[i, : len(e)] = torch.tensor(e)
        mask[i, : len(e)] = 1
    cw = torch.tensor(class_weight)
    return model, ids, mask, labels, enc, cw


def run(model_dir, pooling, K, out, seed, n_texts, max_len, class_weight, smoothing, what, lr=None):
    model, ids, mask, labels, enc, cw = build(model_dir, pooling, K, seed, n_texts, max_len, class_weight, smoothing)
    init = {"init.classifier.weight": model.classifier.weight.detach().clone(),
            "init.classifier.bias": model.classifier.bias.detach().clone()}
    params = [p for p in model.parameters()]
    loss = F.cross_entropy(model(ids, mask), labels, weight=cw, label_smoothing=smoothing)
    loss.backward()
    t = grads_by_herd_name(model)
    t["loss"] = loss.detach().reshape(1)
    for p in params:
        p.grad = None
    # 20 AdamW steps: decay on 2-D tensors only, warmup then linear decay, clipping
    s = dict(SETTINGS, lr=lr) if lr is not None else SETTINGS
    decay = [p for n, p in model.named_parameters() if p.dim() == 2]
    nodecay = [p for n, p in model.named_parameters() if p.dim() != 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": s["weight_decay"]},
                             {"params": nodecay, "weight_decay": 0.0}],
                            lr=s["lr"], betas=(s["beta1"], s["beta2"]), eps=s["eps"], foreach=False)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda st: st / s["warmup"] if st < s["warmup"] else max(0.0, (s["steps"] - st) / (s["steps"] - s["warmup"])))
    losses = []
    for _ in range(s["steps"]):
        opt.zero_grad()
        l = F.cross_entropy(model(ids, mask), labels, weight=cw, label_smoothing=smoothing)
        losses.append(l.item())
        l.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), s["clip"])
        opt.step()
        sched.step()
    t["adamw.loss"] = torch.tensor(losses)
    flat, offsets = [], [0]
    for e in enc:
        flat += e
        offsets.append(len(flat))
    t["input.ids"] = torch.tensor(flat, dtype=torch.float32)
    t["input.offsets"] = torch.tensor(offsets, dtype=torch.float32)
    t["input.labels"] = labels.float()
    t["input.class_weight"] = cw.float()
    if pooling == "mean":
        t.update(init)
    meta = {"magic": "herd-train-golden", "version": "1", "script": f"scripts/make-train-golden.py {what}",
            "model": os.path.relpath(model_dir, TOP) if model_dir.startswith(TOP) else model_dir,
            "pooling": pooling, "labels": str(K), "smoothing": repr(smoothing),
            "torch": torch.__version__}
    meta.update({k: repr(v) for k, v in s.items()})
    save(out, t, meta)
    print(f"{out}: {len(enc)} texts, {len(flat)} tokens, loss {loss.item():.6f}, last AdamW loss {losses[-1]:.6f}")


def main():
    torch.set_num_threads(1)
    what = sys.argv[1] if len(sys.argv) > 1 else "tiny"
    if what == "tiny":
        run(os.path.join(GOLD, "bert-tiny"), "cls", 3, os.path.join(GOLD, "train-tiny-cls.safetensors"), 1, 12, 32,
            [1.0, 2.0, 0.5], 0.1, "tiny")
        run(os.path.join(GOLD, "bert-tiny-encoder"), "mean", 3, os.path.join(GOLD, "train-tiny-mean.safetensors"),
            2, 12, 32, [1.0, 1.0, 1.0], 0.0, "tiny")
    elif what == "mpnet":
        run(os.path.join(GOLD, "mpnet-tiny"), "mean", 3, os.path.join(GOLD, "train-mpnet-tiny.safetensors"), 4, 12,
            48, [1.0, 1.5, 0.8], 0.05, "mpnet")
    elif what == "default" and len(sys.argv) in (4, 5):
        lr = float(sys.argv[4]) if len(sys.argv) == 5 else None
        run(os.path.abspath(sys.argv[2]), "mean", 3, sys.argv[3], 3, 32, 64, [1.0, 1.5, 0.8], 0.05,
            "default " + sys.argv[2] + " OUT" + (" " + sys.argv[4] if lr is not None else ""), lr)
    else:
        sys.exit("usage: make-train-golden.py tiny | mpnet | default MODEL_DIR OUT [LR]")


if __name__ == "__main__":
    main()
