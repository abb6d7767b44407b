#!/usr/bin/env python3
"""bench-train.py — PyTorch's training step on the same batch as
tests/kernels/train_driver.c, for scripts/bench-train.sh: the encoder
transformers' AutoModel loads from DIR (BertModel or MPNetModel, by
config.json's model_type) + mean pooling + Linear(C, 3), cross-entropy,
AdamW over every weight, dropout 0.1, the batch padded with the model's
pad id to its longest sequence with an attention mask (as PyTorch users
train), eager or torch.compile'd. BERT's attention is SDPA; MPNet's is
transformers' own (its relative-position bias has no SDPA path). Prints
best and median ms per step and the process's peak RSS.

    .venv/bin/python scripts/bench-train.py DIR IDS B R THREADS eager|compile
"""
import resource
import sys
import time

import torch
from transformers import AutoConfig, AutoModel


class Model(torch.nn.Module):
    def __init__(self, d):
        super().__init__()
        attn = "sdpa" if AutoConfig.from_pretrained(d).model_type == "bert" else "eager"
        self.enc = AutoModel.from_pretrained(d, dtype=torch.float32, attn_implementation=attn, add_pooling_layer=False)
        self.cls = torch.nn.Linear(self.enc.config.hidden_size, 3)

    def forward(self, ids, mask):
        h = self.enc(input_ids=ids, attention_mask=mask).last_hidden_state
        m = mask.unsqueeze(-1).to(h.dtype)
        return self.cls((h * m).sum(1) / m.sum(1))


def main():
    d, path, B, R, threads, mode = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    seqs = []
    with open(path) as f:
        for line in f:
            if len(seqs) == B:
                break
            seqs.append([int(x) for x in line.split()])
    T = max(len(s) for s in seqs)
    model = Model(d)
    pad = model.enc.config.pad_token_id or 0  # BERT 0, MPNet 1 (its position ids skip it)
    ids = torch.full((len(seqs), T), pad, dtype=torch.long)
    mask = torch.zeros(len(seqs), T, dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, : len(s)] = torch.tensor(s)
        mask[i, : len(s)] = 1
    labels = torch.tensor([i % 3 for i in range(len(seqs))])
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=2e-5, weight_decay=0.01)
    fwd = torch.compile(model) if mode == "compile" else model
    ms = []
    for r in range(R + (3 if mode == "compile" else 1)):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(fwd(ids, mask), labels)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        ms.append((time.perf_counter() - t0) * 1e3)
    ms = sorted(ms[-R:])
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"torch-{mode} {model.enc.config.model_type} B={len(seqs)} T={T} threads={threads} best_ms={ms[0]:.1f} median_ms={ms[len(ms) // 2]:.1f} "
          f"loss={loss.item():.4f} peak_rss_mb={rss:.0f}")


if __name__ == "__main__":
    main()
