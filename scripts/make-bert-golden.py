#!/usr/bin/env python3
"""make-bert-golden.py — golden files for src/bert, from Hugging Face
transformers (fp32, eager attention), in .venv (scripts/setup-python.sh).

    .venv/bin/python scripts/make-bert-golden.py tiny
        tests/golden/bert-tiny/            a random BertForSequenceClassification
                                           (2 layers, hidden 32, FinBERT's 3 labels,
                                           F32, current tensor names)
        tests/golden/bert-tiny-old/        the same weights as FinBERT's old
                                           checkpoints name them (gamma/beta), stored F16,
                                           with a position_ids tensor to ignore
        tests/golden/bert-tiny-encoder/    a BertModel of its own (no "bert." prefix,
                                           BF16): sentence-transformers' layout, mean pooled
        tests/golden/bert-tiny-bin/        bert-tiny's weights as pytorch_model.bin
                                           (FinBERT's names, torch.save legacy format)
                                           for scripts/convert-pytorch-bin.py
        tests/golden/bert-tiny-zip/        the same in torch.save's zip format
        tests/golden/bert-tiny.ndjson      per model and sentence: token ids, logits,
                                           pooled vector, last hidden states
    .venv/bin/python scripts/make-bert-golden.py default [MODEL_DIR [OUT]]
        tests/golden/bert-default.ndjson.gz   the default model (models/default, mpnet-fin3:
                                           an MPNetModel) on 200 real sentences (PhraseBank,
                                           finance tweets, WSB comments): token ids,
                                           mean-pooled embedding, the head's logits and
                                           label; its LoRA adapter merged here in PyTorch
    .venv/bin/python scripts/make-bert-golden.py default models/minilm-fin3 tests/golden/bert-minilm-fin3.ndjson.gz
        the same for the fast model (a BertModel)

The first line of each .ndjson is {"magic":"herd-bert-golden","version":1,
"script":"scripts/make-bert-golden.py …"}. Deterministic: fixed seeds, so
re-running it rewrites the same files (up to torch's own arithmetic).
"""
import csv
import gzip
import json
import os
import random
import struct
import sys

import numpy as np
import torch
from transformers import AutoModel, AutoTokenizer, BertConfig, BertForSequenceClassification, BertModel, BertTokenizer

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GOLD = os.path.join(TOP, "tests", "golden")
SHARED = os.environ.get("SHARED", os.path.join(os.path.dirname(TOP), "shared", "data"))
MAGIC = {"magic": "herd-bert-golden", "version": 1}

# A small vocabulary the tiny models' tokenizer uses: specials, letters,
# ## letters, digits, punctuation and some words from financial text.
WORDS = """the a an of to in and for on is are was be it that this with as by at from up down
stock stocks share shares market price profit loss sales net company year quarter percent eur
rose fell rise fall increase decrease growth strong weak buy sell hold moon gme amc tesla apple
bank rate rates earnings revenue million billion good bad great terrible not no yes new high low
will would could should than more less report reported operating period compared same""".split()
SENTENCES = [
    "The company reported strong growth in net sales.",
    "Operating profit fell to EUR 1.2 million from EUR 3.4 million.",
    "Shares rose 5 percent after the earnings report.",
    "GME to the moon!!!",
    "Not a good quarter for the bank, rates are up and revenue is down.",
    "Sell.",
    "a",
    "Net sales increased compared to the same period a year earlier, and operating profit was more than "
    "expected, the company said in its report on the quarter, while the price of its shares fell.",
    "Tesla and Apple: buy, hold or sell? $TSLA $AAPL",
    "Café déjà vu — naïve résumé.",
    "The stock market will rise, the stock market will fall.",
    "Loss of EUR 5 million (2008: profit EUR 7 million).",
]
TINY = dict(vocab_size=None, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
            max_position_embeddings=64, type_vocab_size=2, layer_norm_eps=1e-12, hidden_act="gelu")
LABELS = {0: "positive", 1: "negative", 2: "neutral"}


def magic_line(what):
    return json.dumps(dict(MAGIC, script=f"scripts/make-bert-golden.py {what}"))


def tiny_vocab():
    v = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    v += list("abcdefghijklmnopqrstuvwxyz0123456789")
    v += ["##" + c for c in "abcdefghijklmnopqrstuvwxyz0123456789"]
    v += list(".,!?:;$()-'\"")
    v += [w for w in WORDS if w not in v]
    return v


def save_safetensors(path, tensors, dtype):
    """tensors: name -> torch tensor; dtype: 'F32', 'F16', 'BF16' for floats."""
    header, blobs, off = {"__metadata__": {"format": "pt"}}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous()
        if t.is_floating_point():
            t = {"F32": t.float(), "F16": t.half(), "BF16": t.bfloat16()}[dtype]
            dt = dtype
        else:
            t, dt = t.long(), "I64"
        b = t.view(torch.uint8).numpy().tobytes() if dt == "BF16" else t.numpy().tobytes()
        header[name] = {"dtype": dt, "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def write_dir(d, config, vocab, tok_config=None, special_map=None):
    """config.json, vocab.txt, tokenizer_config.json (BertTokenizer's unless
    given) and special_tokens_map.json when given (make-mpnet-golden.py)."""
    os.makedirs(d, exist_ok=True)
    files = [("config.json", config, 2), ("tokenizer_config.json",
             tok_config or {"do_lower_case": True, "tokenizer_class": "BertTokenizer"}, None)]
    if special_map:
        files.append(("special_tokens_map.json", special_map, None))
    for name, obj, indent in files:
        with open(os.path.join(d, name), "w") as f:
            json.dump(obj, f, indent=indent)
            f.write("\n")
    with open(os.path.join(d, "vocab.txt"), "w") as f:
        f.write("\n".join(vocab) + "\n")


def randomize(model, seed):
    """Weights big enough that every op matters (init's 0.02 std leaves
    attention uniform and LayerNorm an identity)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "LayerNorm.weight" in name:
                p.copy_(1 + 0.3 * torch.randn(p.shape, generator=g))
            elif name.endswith("bias"):
                p.copy_(0.2 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(0.3 * torch.randn(p.shape, generator=g))


def rounded(model, dtype):
    """A copy of model with its weights rounded through dtype (what herd
    reads back from an F16/BF16 file)."""
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.to(dtype).float())
    return model


def golden_rows(name, model, tok, seqcls, hidden):
    rows = []
    for text in SENTENCES:
        enc = tok(text, truncation=True, max_length=TINY["max_position_embeddings"], return_tensors="pt")
        with torch.no_grad():
            if seqcls:
                out = model(**enc, output_hidden_states=True)
                last = out.hidden_states[-1][0]
                h = last[0:1]
                pooled = torch.tanh(model.bert.pooler.dense(h))[0]
                logits = out.logits[0].tolist()
            else:
                out = model(**enc)
                last = out.last_hidden_state[0]
                pooled = last.mean(0)
                logits = None
        r = {"model": name, "text": text, "ids": enc["input_ids"][0].tolist(), "pooled": [float(x) for x in pooled]}
        if logits is not None:
            r["logits"] = logits
        if hidden:
            r["hidden"] = [float(x) for x in last.flatten()]
        rows.append(r)
    return rows


def make_tiny():
    vocab = tiny_vocab()
    cfg = dict(TINY, vocab_size=len(vocab))
    torch.manual_seed(0)
    rows = []

    # bert-tiny: BertForSequenceClassification, F32, current names
    conf = BertConfig(**cfg, id2label=LABELS, label2id={v: k for k, v in LABELS.items()},
                      architectures=["BertForSequenceClassification"], attn_implementation="eager")
    model = BertForSequenceClassification(conf).eval()
    randomize(model, 1)
    d = os.path.join(GOLD, "bert-tiny")
    config = dict(cfg, architectures=["BertForSequenceClassification"], model_type="bert",
                  id2label={str(k): v for k, v in LABELS.items()}, position_embedding_type="absolute")
    write_dir(d, config, vocab)
    tok = BertTokenizer(os.path.join(d, "vocab.txt"), do_lower_case=True)
    sd = {k: v for k, v in model.state_dict().items() if "position_ids" not in k}
    save_safetensors(os.path.join(d, "model.safetensors"), sd, "F32")
    rows += golden_rows("bert-tiny", model, tok, True, True)

    # bert-tiny-bin / -zip: the same weights, FinBERT's old names, torch.save
    old = {k.replace("LayerNorm.weight", "LayerNorm.gamma").replace("LayerNorm.bias", "LayerNorm.beta"): v
           for k, v in sd.items()}
    for sub, zipped in (("bert-tiny-bin", False), ("bert-tiny-zip", True)):
        dd = os.path.join(GOLD, sub)
        write_dir(dd, config, vocab)
        torch.save(dict(old), os.path.join(dd, "pytorch_model.bin"), _use_new_zipfile_serialization=zipped)

    # bert-tiny-old: gamma/beta, F16, with position_ids
    d = os.path.join(GOLD, "bert-tiny-old")
    write_dir(d, config, vocab)
    old16 = dict(old)
    old16["bert.embeddings.position_ids"] = torch.arange(cfg["max_position_embeddings"]).unsqueeze(0)
    save_safetensors(os.path.join(d, "model.safetensors"), old16, "F16")
    rows += golden_rows("bert-tiny-old", rounded(model, torch.float16), tok, True, False)

    # bert-tiny-encoder: BertModel, no prefix, BF16, mean pooling
    enc_conf = BertConfig(**cfg, architectures=["BertModel"], attn_implementation="eager")
    enc = BertModel(enc_conf, add_pooling_layer=True).eval()
    randomize(enc, 2)
    d = os.path.join(GOLD, "bert-tiny-encoder")
    write_dir(d, dict(cfg, architectures=["BertModel"], model_type="bert"), vocab)
    save_safetensors(os.path.join(d, "model.safetensors"), enc.state_dict(), "BF16")
    rows += golden_rows("bert-tiny-encoder", rounded(enc, torch.bfloat16), tok, False, False)

    with open(os.path.join(GOLD, "bert-tiny.ndjson"), "w") as f:
        f.write(magic_line("tiny") + "\n")
        for r in rows:
            f.write(json.dumps(r, separators=(",", ":")) + "\n")
    print(f"make-bert-golden: {len(rows)} rows in tests/golden/bert-tiny.ndjson")


# ------------------------------------------------------------------ default


def real_sentences(n_each):
    rnd = random.Random(3)
    out = []
    pb = [l.rstrip("\r\n").rsplit("@", 1)[0]
          for l in open(os.path.join(SHARED, "financial-phrasebank", "Sentences_50Agree.txt"), encoding="latin-1")]
    tw = [r["text"] for r in csv.DictReader(open(os.path.join(SHARED, "twitter-financial-news-sentiment",
                                                              "sent_train.csv"), encoding="utf-8"))]
    wsb = []
    for line in open(os.path.join(SHARED, "wsb-early2021-esbenkc", "wallstreetbets_comments.ndjson"), encoding="utf-8"):
        b = json.loads(line).get("body") or ""
        if b and b not in ("[deleted]", "[removed]"):
            wsb.append(b)
    for src in (pb, tw, wsb):
        out += rnd.sample(src, n_each)
    return out


def head_features(hidden_states, mask, feats):
    """The features a herd head reads (src/bert/head.h), from transformers'
    hidden states: mean / max over real tokens, of layer N or the last."""
    L = len(hidden_states) - 1
    out = []
    m = mask.unsqueeze(-1).float()
    for item in feats.split(","):
        kind, _, layer = item.partition("@")
        h = hidden_states[int(layer) if layer else L]
        if kind == "mean":
            out.append((h * m).sum(1) / m.sum(1))
        else:
            out.append((h - 1e9 * (1 - m)).max(1).values)
    return torch.cat(out, 1)


def read_head(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        hdr = json.loads(f.read(n))
        data = f.read()
    meta = hdr.pop("__metadata__")
    t = {}
    for k, v in hdr.items():
        a, b = v["data_offsets"]
        dt = {"F32": np.float32, "F16": np.float16}[v["dtype"]]
        t[k] = torch.tensor(np.frombuffer(data[a:b], dtype=dt).astype(np.float32).reshape(v["shape"]))
    return meta, t


def make_default(model_dir, path, what):
    if json.load(open(os.path.join(model_dir, "config.json"))).get("model_type") == "mpnet":
        tok = AutoTokenizer.from_pretrained(model_dir)
    else:
        tok = BertTokenizer(os.path.join(model_dir, "vocab.txt"), do_lower_case=True)
    model = AutoModel.from_pretrained(model_dir, attn_implementation="eager").eval()
    adapter = os.path.join(model_dir, "adapter.safetensors")
    if os.path.exists(adapter):
        # LoRA (src/bert/lora.h): W += alpha/r · B A, done here in PyTorch so
        # that the golden file checks herd's merge at load independently
        ameta, lora = read_head(adapter)
        scale = float(ameta["alpha"]) / int(ameta["rank"])
        params = dict(model.named_parameters())
        with torch.no_grad():
            for name in [k for k in lora if k.endswith(".lora_A")]:
                base = name[: -len(".lora_A")]
                params[base + ".weight"] += scale * (lora[base + ".lora_B"] @ lora[name])
    meta, head = read_head(os.path.join(model_dir, "head.safetensors"))
    labels = meta["labels"].split(",")
    rows = []
    for text in real_sentences(67)[:200]:
        enc = tok(text, truncation=True, max_length=128, return_tensors="pt")
        with torch.no_grad():
            out = model(**enc, output_hidden_states=True)
            f = head_features(out.hidden_states, enc["attention_mask"], meta["features"])
            x = f
            if "hidden.weight" in head:
                x = torch.relu(x @ head["hidden.weight"].T + head["hidden.bias"])
            logits = x @ head["classifier.weight"].T + head["classifier.bias"]
        emb = out.last_hidden_state[0].mean(0)
        rows.append({"text": text, "ids": enc["input_ids"][0].tolist(), "embedding": [round(float(v), 7) for v in emb],
                     "logits": [round(float(v), 6) for v in logits[0]], "label": labels[int(logits[0].argmax())]})
    with gzip.GzipFile(path, "wb", mtime=0) as f:
        f.write((magic_line(what) + "\n").encode())
        for r in rows:
            f.write((json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n").encode())
    print(f"make-bert-golden: {len(rows)} sentences in {os.path.relpath(path, TOP)}")


def main():
    torch.set_num_threads(1)
    if len(sys.argv) >= 2 and sys.argv[1] == "tiny":
        make_tiny()
    elif len(sys.argv) >= 2 and sys.argv[1] == "default":
        model_dir = sys.argv[2] if len(sys.argv) > 2 else os.path.join(TOP, "models", "default")
        path = sys.argv[3] if len(sys.argv) > 3 else os.path.join(GOLD, "bert-default.ndjson.gz")
        make_default(model_dir, path, " ".join(["default"] + sys.argv[2:]))
    else:
        print(__doc__.strip(), file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
