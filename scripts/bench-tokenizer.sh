#!/bin/sh
# bench-tokenizer.sh — herd's BERT tokenizer against Hugging Face's on the
# same real sentences (every text of the corpora make-token-golden.py
# reads from ../shared/data), at max_len 128, in one run:
#   herd         bert_tokenize (build/tests/test_tokenizer bench), 1 thread
#                and all cores (threads sharing one tokenizer)
#   fast         BertTokenizerFast called on the whole list, as transformers
#                users batch; its default thread pool (all cores), and 1
#   rust         the same Rust tokenizer without transformers around it:
#                tokenizers' encode_batch (the fastest way to use it)
#   python       the Python BertTokenizer, one call per sentence
# Each is the best pass of repeated runs over SECONDS; prints sentences/s,
# MB/s of UTF-8 input, and how many times faster herd (1 thread) is, then
# checks that herd's ids equal fast's on every sentence.
#
#   scripts/bench-tokenizer.sh [SECONDS]     (default 3 per measurement)
# Needs .venv (scripts/setup-python.sh) and the vocabulary
# (scripts/fetch-vocab.sh). The machine is shared: compare within a run.
set -eu
cd "$(dirname "$0")/.."
secs=${1:-3}
data=${SHARED:-$(cd .. && pwd)/shared/data}
vocab=${HERD_VOCAB:-models/bert-base-uncased/vocab.txt}
[ -f "$vocab" ] || scripts/fetch-vocab.sh -q || { echo "bench-tokenizer: no vocabulary" >&2; exit 1; }
[ -x .venv/bin/python ] || { echo "bench-tokenizer: no .venv (scripts/setup-python.sh)" >&2; exit 1; }
[ -d "$data" ] || { echo "bench-tokenizer: no $data" >&2; exit 1; }
make -s build/tests/test_tokenizer >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

.venv/bin/python - "$vocab" "$data" "$tmp" "$secs" <<'EOF'
import importlib.util, json, os, subprocess, sys, time

vocab, data, tmp, secs = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
spec = importlib.util.spec_from_file_location("golden", "scripts/make-token-golden.py")
golden = importlib.util.module_from_spec(spec)
spec.loader.exec_module(golden)

texts = []
for name, (rel, kind, fld) in golden.CORPORA.items():
    texts += [t for _, t in golden.read_corpus(os.path.join(data, rel), kind, fld) if t and golden.utf8_ok(t)]
mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6
path = os.path.join(tmp, "texts.ndjson")
with open(path, "w", encoding="utf-8") as f:
    for t in texts:
        f.write(json.dumps({"text": t}) + "\n")
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
print("%d sentences, %.2f MB of UTF-8, max_len 128; %d cores, %s" % (len(texts), mb, os.cpu_count(), cpu))

# Each Hugging Face measurement runs in a fresh interpreter, so that the
# Rust thread pool takes RAYON_NUM_THREADS.
MEASURE = r"""
import json, sys, time, importlib.util
vocab, path, secs, how = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
spec = importlib.util.spec_from_file_location("g", "scripts/make-token-golden.py")
g = importlib.util.module_from_spec(spec); spec.loader.exec_module(g)
texts = [json.loads(l)["text"] for l in open(path, encoding="utf-8")]
slow, fast = g.load_tokenizers(vocab, True)
rust = fast.backend_tokenizer
rust.enable_truncation(128)
run = {"fast": lambda: fast(texts, truncation=True, max_length=128),
       "rust": lambda: [e.ids for e in rust.encode_batch(texts)],
       "python": lambda: [slow(t, truncation=True, max_length=128) for t in texts]}[how]
best, t_end = float("inf"), time.perf_counter() + secs
while True:
    t0 = time.perf_counter(); run(); best = min(best, time.perf_counter() - t0)
    if time.perf_counter() > t_end: break
print(best)
"""

def hf(how, threads):
    env = dict(os.environ)
    if threads == 1:
        env.update(RAYON_NUM_THREADS="1", TOKENIZERS_PARALLELISM="false")
    else:
        env.update(RAYON_NUM_THREADS=str(threads), TOKENIZERS_PARALLELISM="true")
    out = subprocess.run([sys.executable, "-c", MEASURE, vocab, path, str(secs), how], env=env,
                         check=True, capture_output=True, text=True).stdout
    return len(texts) / float(out)

def herd(threads):
    out = subprocess.run(["build/tests/test_tokenizer", "bench", vocab, path, str(secs), str(threads)],
                         check=True, capture_output=True, text=True).stdout
    return float(out.split(" sentences/s")[0].split()[-1])

cores = os.cpu_count()
rows = [("herd", "bert_tokenize, 1 thread", herd(1)),
        ("herd", "bert_tokenize, %d threads" % cores, herd(cores)),
        ("fast", "BertTokenizerFast(list), %d threads" % cores, hf("fast", cores)),
        ("fast", "BertTokenizerFast(list), 1 thread", hf("fast", 1)),
        ("rust", "tokenizers encode_batch, %d threads" % cores, hf("rust", cores)),
        ("rust", "tokenizers encode_batch, 1 thread", hf("rust", 1)),
        ("python", "BertTokenizer (Python), per sentence", hf("python", 1))]
base = rows[0][2]
for name, what, r in rows:
    print("%-7s %-40s %9.0f sentences/s %7.2f MB/s   herd (1 thread) is %6.1fx" % (
        name, what, r, r * mb / len(texts), base / r))

slow, fast = golden.load_tokenizers(vocab, True)
# the same ids?
ours = subprocess.run(["build/tests/test_tokenizer", "ids", vocab, "--max-len", "128"], stdin=open(path),
                      check=True, capture_output=True, text=True).stdout.splitlines()
theirs = fast(texts, truncation=True, max_length=128)["input_ids"]
bad = sum(1 for a, b in zip(ours, theirs) if a != " ".join(map(str, b)))
print("ids: herd and BertTokenizerFast differ on %d of %d sentences" % (bad, len(texts)))
EOF
