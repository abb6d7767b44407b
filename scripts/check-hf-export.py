#!/usr/bin/env python3
"""check-hf-export.py — loads a model directory herd-train --finetune full
wrote with Hugging Face transformers and prints, per input text (NDJSON
lines with "text"), the class probabilities transformers gives: for a
BertForSequenceClassification directory its own head; for a BertModel (or
MPNetModel) one, the mean of the last hidden states through herd's
head.safetensors (a linear head). tests/bert/check-train-export.sh compares them with
herd-score's.

    .venv/bin/python scripts/check-hf-export.py DIR TEXTS.ndjson
"""
import json
import os
import sys

import torch
from safetensors.torch import load_file
from transformers import AutoConfig, AutoModel, AutoTokenizer, BertForSequenceClassification


def main():
    d, texts = sys.argv[1], sys.argv[2]
    cfg = AutoConfig.from_pretrained(d)
    tok = AutoTokenizer.from_pretrained(d)
    seqcls = (cfg.architectures or [""])[0] == "BertForSequenceClassification"
    model = (BertForSequenceClassification if seqcls else AutoModel).from_pretrained(d, dtype=torch.float32)
    # MPNet's positions start at 2
    max_len = cfg.max_position_embeddings - (2 if cfg.model_type == "mpnet" else 0)
    model.eval()
    head = None if seqcls else load_file(os.path.join(d, "head.safetensors"))
    with open(texts) as f:
        lines = [json.loads(l)["text"] for l in f if l.strip()]
    with torch.no_grad():
        for t in lines:
            enc = tok(t, return_tensors="pt", truncation=True, max_length=max_len)
            if seqcls:
                logits = model(**enc).logits[0]
            else:
                h = model(**enc).last_hidden_state[0].mean(0)
                logits = head["classifier.weight"].float() @ h + head["classifier.bias"].float()
            p = torch.softmax(logits, -1)
            print(" ".join(f"{v:.6f}" for v in p.tolist()))


if __name__ == "__main__":
    main()
