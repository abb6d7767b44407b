#!/usr/bin/env python3
"""bench-bert.py — herd's BERT scorer on the CPU against PyTorch
(transformers) and ONNX Runtime, in one run, on the same inputs; called by
scripts/bench-bert.sh, which builds the sgemm probe and checks what is
needed. See bench-bert.sh for the workloads and what is printed.

    .venv/bin/python scripts/bench-bert.py --herd bin/herd-score --peak GFLOPS \
        [--threads N] [--models default,minilm,mpnet,finbert] [--work DIR] [--quick]
"""
import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import time

os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
from transformers import AutoModel, AutoModelForSequenceClassification, AutoTokenizer, pipeline  # noqa: E402
import warnings  # noqa: E402

transformers.utils.logging.disable_progress_bar()
warnings.filterwarnings("ignore")

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.environ.get("SHARED", os.path.join(os.path.dirname(TOP), "shared", "data"))
BATCH = 32
SEQ = 128


def log(*a):
    print(*a, file=sys.stderr, flush=True)


SIMD = ("sse4_2", "avx", "avx2", "fma", "f16c", "avx_vnni", "amx_tile", "amx_bf16", "amx_int8")


def cpu_line():
    """The CPU's model and its SIMD flags, as every table says them."""
    model, flags = "unknown", []
    with open("/proc/cpuinfo") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k.strip() == "model name" and model == "unknown":
                model = v.strip()
            elif k.strip() == "flags" and not flags:
                flags = [x for x in v.split() if x in SIMD or x.startswith("avx512")]
    return f"CPU: {model}, {os.cpu_count()} CPUs; SIMD flags: {' '.join(flags)}"


# ------------------------------------------------------------------ inputs


def phrasebank():
    p = os.path.join(SHARED, "financial-phrasebank", "Sentences_50Agree.txt")
    return [l.rstrip("\r\n").rsplit("@", 1)[0] for l in open(p, encoding="latin-1")]


def wsb_comments(n):
    out = []
    p = os.path.join(SHARED, "wsb-early2021-esbenkc", "wallstreetbets_comments.ndjson")
    for line in open(p, encoding="utf-8"):
        b = json.loads(line).get("body") or ""
        if b and b not in ("[deleted]", "[removed]"):
            out.append(b)
    return out[:n]


def long_texts(n, tok, seq):
    """n texts of at least seq tokens each: consecutive PhraseBank sentences."""
    sents, out, i = phrasebank(), [], 0
    while len(out) < n:
        t = ""
        while len(tok(t)["input_ids"]) < seq + 8:
            t += sents[i % len(sents)] + " "
            i += 1
        out.append(t.strip())
    return out


def write_posts(path, texts):
    with open(path, "w", encoding="utf-8") as f:
        for i, t in enumerate(texts):
            f.write(json.dumps({"kind": "post", "id": f"b:{i}", "title": None, "text": t}, ensure_ascii=False) + "\n")


# ------------------------------------------------------------------ models


def herd_name(path):
    """The name a herd model directory gives itself (herd.json), or ''."""
    try:
        with open(os.path.join(path, "herd.json")) as f:
            return json.load(f).get("name", "")
    except (OSError, ValueError):
        return ""


# model keys of --models: the directory under models/ each names, and the
# herd.json name models/default has while the model is the default (the
# default changes; the key keeps naming the same model)
NAMED = {"minilm": ("minilm-fin3", "minilm-fin3"), "mpnet": ("mpnet-fin3", "mpnet-fin3")}


def model_dir(name):
    """The directory of a --models key: default (models/default, whichever
    model it is), minilm (all-MiniLM-L6-v2 + herd's head: models/minilm-fin3,
    or models/default while that is it), mpnet (all-mpnet-base-v2 + the
    merged LoRA adapter and head: models/mpnet-fin3, or models/default),
    or a model directory's path. None when absent."""
    models = os.path.join(TOP, "models")
    if name == "default":
        return os.path.join(models, "default")
    if name in NAMED:
        sub, herd = NAMED[name]
        for d in (os.path.join(models, sub), os.path.join(models, "default")):
            if os.path.exists(os.path.join(d, "model.safetensors")) and herd_name(d) == herd:
                return d
        return None
    return name if os.path.isdir(name) else None


def bert_vocab():
    """An uncased BERT WordPiece vocabulary: the MiniLM model's."""
    d = model_dir("minilm") or os.path.join(TOP, "models", "default")
    return os.path.join(d, "vocab.txt")


def finbert_sized(path):
    """A FinBERT-sized BertForSequenceClassification with random weights
    (12 layers, hidden 768, 3 labels), the MiniLM model's (BERT uncased)
    vocabulary."""
    if os.path.exists(os.path.join(path, "model.safetensors")):
        return path
    from transformers import BertConfig, BertForSequenceClassification
    import shutil

    torch.manual_seed(0)
    vocab = bert_vocab()
    with open(vocab, encoding="utf-8") as f:
        nvocab = sum(1 for _ in f)
    c = BertConfig(vocab_size=nvocab, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                   intermediate_size=3072, id2label={0: "positive", 1: "negative", 2: "neutral"},
                   label2id={"positive": 0, "negative": 1, "neutral": 2})
    m = BertForSequenceClassification(c).eval()
    m.save_pretrained(path, safe_serialization=True)
    shutil.copy(vocab, path)
    with open(os.path.join(path, "tokenizer_config.json"), "w") as f:
        json.dump({"do_lower_case": True, "tokenizer_class": "BertTokenizer"}, f)
    return path


def onnx_name(path):
    """The exported graph's file name: by the model's name and its config
    and weights' size, so that a cached export of what models/default was
    before is never taken for what it is now."""
    import hashlib

    h = hashlib.sha1()
    with open(os.path.join(path, "config.json"), "rb") as f:
        h.update(f.read())
    h.update(str(os.path.getsize(os.path.join(path, "model.safetensors"))).encode())
    base = herd_name(path) or os.path.basename(os.path.realpath(path).rstrip("/"))
    return f"{base}-{h.hexdigest()[:10]}.onnx"


def flops(cfg, lens):
    """Useful FLOPs of the encoder on sequences of these lengths (real
    tokens only: padding is the engine's own cost, not work done)."""
    C, I, L = cfg.hidden_size, cfg.intermediate_size, cfg.num_hidden_layers
    return sum(L * (2 * t * (4 * C * C + 2 * C * I) + 4 * t * t * C) for t in lens)


# ------------------------------------------------------------------ engines


def best_of(n, fn):
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times), times


def herd_run(herd, model, posts, threads, extra, reps, gemm=None):
    """Seconds herd-score spends scoring (a run on empty input, i.e. loading
    the model, is subtracted), best of reps; and its device line. gemm:
    HERD_GEMM for the run (None: herd's own choice, measured and cached)."""
    base = [herd, "-q", "--model", model, "--device", "cpu", "--threads", str(threads), "--batch", str(BATCH)] + extra
    env = dict(os.environ)
    env.pop("HERD_GEMM", None)
    if gemm:
        env["HERD_GEMM"] = gemm

    def run(inp):
        r = subprocess.run(base + [inp], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
        if r.returncode != 0:
            raise SystemExit(f"bench-bert: herd-score failed: {r.stderr.strip()}")

    empty = posts + ".empty"
    open(empty, "w").close()
    load, _ = best_of(reps, lambda: run(empty))
    total, _ = best_of(reps, lambda: run(posts))
    info = subprocess.run(base[:1] + ["--model", model, "--device", "cpu", "--threads", str(threads)] + extra + [empty],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env).stderr.strip()
    return max(total - load, 1e-9), load, info


class Torch:
    def __init__(self, path, seqcls):
        self.seqcls = seqcls
        cls = AutoModelForSequenceClassification if seqcls else AutoModel
        self.model = cls.from_pretrained(path).eval()
        self.tok = AutoTokenizer.from_pretrained(path)
        task = "text-classification" if seqcls else "feature-extraction"
        kw = {} if seqcls else {"return_tensors": True}
        self.pipe = pipeline(task, model=self.model, tokenizer=self.tok, device=-1, **kw)

    def fixed(self, ids):
        with torch.inference_mode():
            for b in range(0, len(ids), BATCH):
                self.model(input_ids=torch.tensor(ids[b:b + BATCH]))

    def stream(self, texts):
        """As users use it: the pipeline, batch_size 32, in input order."""
        kw = {"truncation": True, "max_length": SEQ}
        if self.seqcls:
            out = self.pipe(texts, batch_size=BATCH, **kw)
        else:
            out = [t[0].mean(0) for t in self.pipe(texts, batch_size=BATCH, tokenize_kwargs=kw)]
        assert len(out) == len(texts)


class Ort:
    def __init__(self, path, seqcls, tok, threads, work):
        import onnxruntime as ort

        onnx_path = os.path.join(work, onnx_name(path))
        if not os.path.exists(onnx_path):
            cls = AutoModelForSequenceClassification if seqcls else AutoModel
            m = cls.from_pretrained(path, attn_implementation="eager").eval()

            class Plain(torch.nn.Module):  # positional inputs, first output only
                def __init__(self, m):
                    super().__init__()
                    self.m = m

                def forward(self, input_ids, attention_mask):
                    return self.m(input_ids=input_ids, attention_mask=attention_mask, return_dict=False)[0]

            ids = torch.ones(2, 16, dtype=torch.long)
            ids[1, 12:] = 0
            torch.onnx.export(Plain(m), (ids, (ids != 0).long()), onnx_path, input_names=["input_ids", "attention_mask"],
                              output_names=["out"], opset_version=17, dynamo=False,
                              dynamic_axes={"input_ids": {0: "b", 1: "t"}, "attention_mask": {0: "b", 1: "t"}})
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.sess = ort.InferenceSession(onnx_path, so, providers=["CPUExecutionProvider"])
        self.tok = tok

    def fixed(self, ids):
        for b in range(0, len(ids), BATCH):
            x = np.array(ids[b:b + BATCH], dtype=np.int64)
            self.sess.run(None, {"input_ids": x, "attention_mask": np.ones_like(x)})

    def stream(self, texts):
        """Batches of 32 in input order, padded to each batch's longest."""
        for b in range(0, len(texts), BATCH):
            enc = self.tok(texts[b:b + BATCH], truncation=True, max_length=SEQ, padding=True, return_tensors="np")
            self.sess.run(None, {"input_ids": enc["input_ids"].astype(np.int64),
                                 "attention_mask": enc["attention_mask"].astype(np.int64)})


# ------------------------------------------------------------------ main


ROWS = []


def row(model, work, engine, n, secs, tokens, fl, peak=None, note=""):
    """Keep a result; the table is printed at the end, against the best
    sgemm rate seen during the whole run (the machine is shared: a rate
    measured while others were busy would flatter every engine)."""
    ROWS.append((model, work, engine, n / secs, tokens / secs, fl / secs / 1e9, note))
    log(f"bench-bert: {model} {work} {engine}: {n / secs:.1f} seq/s")
    return n / secs


def sgemm_peak(probe):
    out = subprocess.run([probe], capture_output=True, text=True).stdout
    best = float([l for l in out.splitlines() if l.startswith("best")][0].split()[1])
    log(f"bench-bert: sgemm now {best:.1f} GFLOP/s (load {os.getloadavg()[0]:.1f})")
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--herd", required=True)
    ap.add_argument("--peak", type=float, default=0, help="sgemm GFLOP/s measured before the run")
    ap.add_argument("--sgemm", help="the sgemm probe, run again between the models and at the end")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--models", default="default,finbert",
                    help="comma-separated: default, minilm, mpnet, finbert, or a model directory")
    ap.add_argument("--work", default="/tmp/herd-bench-bert")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--precisions", default="int8", help="herd also at each --precision on the fixed shapes")
    ap.add_argument("--gemms", default="dnnl,matmul,openblas", help="herd also pinned to each (HERD_GEMM) on the fixed shapes")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    torch.set_num_threads(a.threads)
    import onnxruntime

    log(f"bench-bert: {cpu_line()}")
    log(f"bench-bert: torch {torch.__version__} ({torch.get_num_threads()} threads), transformers "
        f"{transformers.__version__}, onnxruntime {onnxruntime.__version__}; load {os.getloadavg()[0]:.1f}")
    summary = []
    for name in a.models.split(","):
        # finbert: BertForSequenceClassification, the peers run its head
        # too; herd's models: the encoder (AutoModel: BertModel, MPNetModel)
        seqcls = name == "finbert"
        path = finbert_sized(os.path.join(a.work, "finbert-sized")) if seqcls else model_dir(name)
        if not path:
            log(f"bench-bert: no model '{name}' here (models/{NAMED.get(name, (name,))[0]}): skipped")
            continue
        cfg = transformers.AutoConfig.from_pretrained(path)
        tok = AutoTokenizer.from_pretrained(path)
        log(f"bench-bert: {name}: {path} ({cfg.model_type}, {cfg.num_hidden_layers} layers, hidden {cfg.hidden_size})")
        base = cfg.hidden_size >= 768  # BERT-base-sized: a quarter of the inputs
        nfixed = BATCH * (2 if base or a.quick else 8)
        nreal = (300 if base else 1200) // (3 if a.quick else 1)
        reps = 2 if a.quick else 3

        t = Torch(path, seqcls)
        o = Ort(path, seqcls, tok, a.threads, a.work)
        for seq, nfixed in ((SEQ, nfixed), (32, nfixed * 2)):
            # fixed: nfixed sequences of exactly seq tokens
            texts = long_texts(nfixed, tok, seq)
            ids = [tok(x, truncation=True, max_length=seq)["input_ids"] for x in texts]
            assert all(len(x) == seq for x in ids)
            fixed_posts = os.path.join(a.work, f"{name}.fixed{seq}.ndjson")
            write_posts(fixed_posts, texts)
            fl = flops(cfg, [seq] * nfixed)
            work = f"{seq}x{BATCH} fixed"
            secs, load, info = herd_run(a.herd, path, fixed_posts, a.threads, ["--max-len", str(seq)], reps)
            kernel = info.split(": ", 2)[-1]
            log(f"bench-bert: {name}: herd {info} (load {load:.2f} s)")
            h = row(name, work, "herd (GEMM as chosen)", nfixed, secs, nfixed * seq, fl, a.peak)
            for prec in a.precisions.split(",") if a.precisions else []:
                secs_p, _, info_p = herd_run(a.herd, path, fixed_posts, a.threads,
                                             ["--max-len", str(seq), "--precision", prec], reps)
                log(f"bench-bert: {name}: herd {prec}: {info_p}")
                row(name, work, f"herd --precision {prec}", nfixed, secs_p, nfixed * seq, fl, a.peak,
                    f"{secs / secs_p:.2f}x herd fp32")
            for lib in a.gemms.split(",") if a.gemms else []:
                try:
                    secs_l, _, _ = herd_run(a.herd, path, fixed_posts, a.threads, ["--max-len", str(seq)], reps, lib)
                    row(name, work, f"herd HERD_GEMM={lib}", nfixed, secs_l, nfixed * seq, fl, a.peak)
                except SystemExit as e:
                    log(f"{e} (HERD_GEMM={lib} skipped)")
            t.fixed(ids[:BATCH])
            s, _ = best_of(reps, lambda: t.fixed(ids))
            p1 = row(name, work, f"torch {torch.__version__.split('+')[0]}", nfixed, s, nfixed * seq, fl, a.peak)
            if "bf16" in (a.precisions or "").split(","):
                # the peer at herd's --precision bf16: the model's weights and activations in bf16
                t.model.to(torch.bfloat16)
                t.fixed(ids[:BATCH])
                s, _ = best_of(reps, lambda: t.fixed(ids))
                row(name, work, f"torch {torch.__version__.split('+')[0]} bf16", nfixed, s, nfixed * seq, fl, a.peak)
                t.model.to(torch.float32)
            o.fixed(ids[:BATCH])
            s, _ = best_of(reps, lambda: o.fixed(ids))
            p2 = row(name, work, f"onnxruntime {onnxruntime.__version__}", nfixed, s, nfixed * seq, fl, a.peak)
            summary.append((name, f"{seq}x{BATCH}", h, max(p1, p2), flops(cfg, [seq] * nfixed) / (nfixed / h) / 1e9))

        # the real stream: WSB comments, as they come
        real = wsb_comments(nreal)
        lens = [len(tok(x, truncation=True, max_length=SEQ)["input_ids"]) for x in real]
        real_posts = os.path.join(a.work, f"{name}.wsb.ndjson")
        write_posts(real_posts, real)
        fl = flops(cfg, lens)
        work = f"wsb {len(real)}"
        secs, _, _ = herd_run(a.herd, path, real_posts, a.threads, [], reps)
        h = row(name, work, "herd (sorted window 1024)", len(real), secs, sum(lens), fl, a.peak,
                f"mean {statistics.mean(lens):.0f} tokens")
        secs_u, _, _ = herd_run(a.herd, path, real_posts, a.threads, ["--sort-window", str(BATCH)], reps)
        hu = row(name, work, "herd (unsorted: window 32)", len(real), secs_u, sum(lens), fl, a.peak)
        t.stream(real[:BATCH])
        s, _ = best_of(reps, lambda: t.stream(real))
        p1 = row(name, work, "torch pipeline batch_size 32", len(real), s, sum(lens), fl, a.peak)
        s, _ = best_of(reps, lambda: o.stream(real))
        p2 = row(name, work, "onnxruntime batches of 32", len(real), s, sum(lens), fl, a.peak)
        summary.append((name, "wsb", h, max(p1, p2), hu))
        del t, o
        if a.sgemm:
            a.peak = max(a.peak, sgemm_peak(a.sgemm))

    peak = a.peak
    print(cpu_line())
    print(f"{'model':8} {'workload':14} {'engine':34} {'seq/s':>9} {'tokens/s':>10} {'GFLOP/s':>8} {'%peak':>7}")
    for m, w, e, sps, tps, gf, note in ROWS:
        print(f"{m:8} {w:14} {e:34} {sps:9.1f} {tps:10.0f} {gf:8.1f} {100 * gf / peak:6.1f}%  {note}")
    print(f"\nsgemm peak: {peak:.1f} GFLOP/s (the best of the probe's runs: before, between the models, at the end)")
    print(f"herd's GEMM: {kernel}")
    for name, w, h, peer, x in summary:
        if w != "wsb":
            print(f"{name}: {w}: herd = {100 * h / peer:.0f}% of the best peer, {100 * x / peak:.0f}% of the "
                  f"sgemm peak")
        else:
            print(f"{name}: WSB stream: herd = {h / peer:.2f}x the best peer; sorted/unsorted = {h / x:.2f}")
    log(f"bench-bert: load at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
