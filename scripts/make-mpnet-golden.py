#!/usr/bin/env python3
"""make-mpnet-golden.py — golden files for src/bert's MPNet architecture,
from Hugging Face transformers (fp32, eager attention), in .venv
(scripts/setup-python.sh).

    .venv/bin/python scripts/make-mpnet-golden.py
        tests/golden/mpnet-tiny/       a random MPNetModel (2 layers, hidden 32,
                                       4 heads, 96 positions, F32, no prefix:
                                       sentence-transformers' layout), with
                                       MPNetTokenizer's vocab.txt and
                                       tokenizer_config.json / special_tokens_map.json
        tests/golden/mpnet-tiny-mlm/   the same weights as MPNetForMaskedLM saves
                                       them ("mpnet." prefix, F16, lm_head and
                                       position_ids to ignore), its unk token
                                       named in special_tokens_map.json only
        tests/golden/mpnet-tiny.ndjson per model and text: MPNetTokenizer's ids,
                                       the mean-pooled last hidden state, the last
                                       hidden states (mpnet-tiny's; 8 digits, fp32's
                                       own); and one row "buckets": the
                                       relative-position bucket PyTorch gives each
                                       distance -600..600

Texts include the special tokens in running text, an unknown word, and one
of 90 tokens (distances past the log buckets' first steps). The first line
is {"magic":"herd-mpnet-golden","version":1,…}. Deterministic (fixed
seeds).
"""
import json
import os
import sys

import torch
from transformers import MPNetConfig, MPNetForMaskedLM, MPNetModel, MPNetTokenizer
from transformers.models.mpnet.modeling_mpnet import MPNetEncoder

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import importlib.util  # noqa: E402

_spec = importlib.util.spec_from_file_location(
    "bert_golden", os.path.join(os.path.dirname(os.path.abspath(__file__)), "make-bert-golden.py"))
bg = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bg)

GOLD = bg.GOLD
MAGIC = {"magic": "herd-mpnet-golden", "version": 1, "script": "scripts/make-mpnet-golden.py"}
TINY = dict(vocab_size=None, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
            max_position_embeddings=96, layer_norm_eps=1e-5, hidden_act="gelu", relative_attention_num_buckets=32,
            pad_token_id=1, bos_token_id=0, eos_token_id=2)
TEXTS = bg.SENTENCES + [
    "Buy <mask> now, </s> then <s> sell [UNK] and <pad> hold.",
    "[CLS] is not special here [SEP]",
    "Xyzzy qwv zzz \u2603 \u20ac5",
    " ".join(["stock"] * 30 + ["market will rise"] * 19),  # 90 tokens with <s> and </s>
]


def tiny_vocab():
    # MPNet's order: <s> <pad> </s> <unk>, then BERT's, <mask> last
    v = ["<s>", "<pad>", "</s>", "<unk>", "[PAD]", "[UNK]"]
    v += [t for t in bg.tiny_vocab() if t not in ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")]
    return v + ["<mask>"]


def floats(t):
    return [float(f"{x:.8g}") for x in t.tolist()]


def rows_for(name, model, tok, hidden):
    rows = []
    for text in TEXTS:
        enc = tok(text, truncation=True, max_length=TINY["max_position_embeddings"] - 2, return_tensors="pt")
        with torch.no_grad():
            last = model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]).last_hidden_state[0]
        r = {"model": name, "text": text, "ids": enc["input_ids"][0].tolist(), "pooled": floats(last.mean(0))}
        if hidden:
            r["hidden"] = floats(last.flatten())
        rows.append(r)
    return rows


def main():
    vocab = tiny_vocab()
    cfg = dict(TINY, vocab_size=len(vocab))
    torch.manual_seed(0)
    conf = MPNetConfig(**cfg, attn_implementation="eager")
    model = MPNetModel(conf, add_pooling_layer=True).eval()
    bg.randomize(model, 3)
    tok_config = {"do_lower_case": True, "tokenizer_class": "MPNetTokenizer", "bos_token": "<s>", "eos_token": "</s>",
                  "sep_token": "</s>", "cls_token": "<s>", "unk_token": "[UNK]", "pad_token": "<pad>",
                  "mask_token": "<mask>"}

    d = os.path.join(GOLD, "mpnet-tiny")
    bg.write_dir(d, dict(cfg, architectures=["MPNetModel"], model_type="mpnet"), vocab, tok_config)
    bg.save_safetensors(os.path.join(d, "model.safetensors"),
                        {k: v for k, v in model.state_dict().items() if "position_ids" not in k}, "F32")
    tok = MPNetTokenizer.from_pretrained(d)
    rows = rows_for("mpnet-tiny", model, tok, True)

    # the same weights as MPNetForMaskedLM names them, F16
    mlm = MPNetForMaskedLM(MPNetConfig(**cfg, attn_implementation="eager")).eval()
    mlm.mpnet.load_state_dict(model.state_dict(), strict=False)
    # lm_head's decoder is tied to the word embeddings: left as it is (herd ignores lm_head)
    d = os.path.join(GOLD, "mpnet-tiny-mlm")
    bg.write_dir(d, dict(cfg, architectures=["MPNetForMaskedLM"], model_type="mpnet"), vocab,
              {"do_lower_case": True, "tokenizer_class": "MPNetTokenizer"},
              {"bos_token": "<s>", "eos_token": "</s>", "unk_token": {"content": "[UNK]", "lstrip": False},
               "sep_token": "</s>", "pad_token": "<pad>", "cls_token": "<s>",
               "mask_token": {"content": "<mask>", "lstrip": True}})
    sd = dict(mlm.state_dict())
    sd["mpnet.embeddings.position_ids"] = torch.arange(cfg["max_position_embeddings"]).unsqueeze(0)
    bg.save_safetensors(os.path.join(d, "model.safetensors"), sd, "F16")
    tok2 = MPNetTokenizer.from_pretrained(d)
    rows += rows_for("mpnet-tiny-mlm", bg.rounded(model, torch.float16), tok2, False)

    rel = torch.arange(-600, 601)
    buckets = MPNetEncoder.relative_position_bucket(rel[None, :] - torch.zeros(1, 1, dtype=torch.long))[0]
    with open(os.path.join(GOLD, "mpnet-tiny.ndjson"), "w") as f:
        f.write(json.dumps(MAGIC) + "\n")
        f.write(json.dumps({"buckets": buckets.tolist(), "from": -600}) + "\n")
        for r in rows:
            f.write(json.dumps(r, separators=(",", ":")) + "\n")
    print(f"make-mpnet-golden: {len(rows)} rows in tests/golden/mpnet-tiny.ndjson")


if __name__ == "__main__":
    main()
