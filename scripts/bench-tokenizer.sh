#!/bin/sh
# bench-tokenizer.sh — herd's BERT tokenizer against Hugging Face's on the
# same real sentences (every text of the corpora make-token-golden.py
# reads from ../shared/data), at max_len 128, in one run:
#   herd        bert_tokenize, one thread (build/tests/test_tokenizer bench)
#   fast        BertTokenizerFast (Rust), the whole list in one call, as
#               its users batch; its default thread pool (all cores)
#   fast-1      the same on one thread (RAYON_NUM_THREADS=1)
#   python      the Python BertTokenizer, one call per sentence
# Prints sentences/s and MB/s of UTF-8 text for each, the ratios, and
# checks that herd's ids equal fast's on every sentence.
#
#   scripts/bench-tokenizer.sh [SECONDS]     (default 3 per measurement)
# Needs .venv (scripts/setup-python.sh) and the vocabulary
# (scripts/fetch-vocab.sh).
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
print("%d sentences, %.2f MB of UTF-8, max_len 128, %s" % (len(texts), mb, os.uname().nodename))

def rate(fn):
    """Best of repeated runs for about secs seconds: seconds per pass."""
    best, t_end = float("inf"), time.perf_counter() + secs
    while True:
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
        if time.perf_counter() > t_end:
            return best

results = {}
out = subprocess.run(["build/tests/test_tokenizer", "bench", vocab, path, str(secs)],
                     check=True, capture_output=True, text=True).stdout
print("  " + out.strip())
results["herd"] = len(texts) / float(out.split(" sentences/s")[0].split()[-1])

slow, fast = golden.load_tokenizers(vocab, True)
results["fast"] = rate(lambda: fast(texts, truncation=True, max_length=128))
code = ("import sys, time, importlib.util\n"
        "spec = importlib.util.spec_from_file_location('g', 'scripts/make-token-golden.py')\n"
        "g = importlib.util.module_from_spec(spec); spec.loader.exec_module(g)\n"
        "import json\n"
        "texts = [json.loads(l)['text'] for l in open(sys.argv[2], encoding='utf-8')]\n"
        "slow, fast = g.load_tokenizers(sys.argv[1], True)\n"
        "best = 1e9\n"
        "t_end = time.perf_counter() + float(sys.argv[3])\n"
        "while True:\n"
        "    t0 = time.perf_counter(); fast(texts, truncation=True, max_length=128)\n"
        "    best = min(best, time.perf_counter() - t0)\n"
        "    if time.perf_counter() > t_end: break\n"
        "print(best)\n")
env = dict(os.environ, RAYON_NUM_THREADS="1", TOKENIZERS_PARALLELISM="false")
results["fast-1"] = float(subprocess.run([sys.executable, "-c", code, vocab, path, str(secs)], env=env,
                                         check=True, capture_output=True, text=True).stdout)
results["python"] = rate(lambda: [slow(t, truncation=True, max_length=128) for t in texts])

for name, what in (("herd", "bert_tokenize, 1 thread"), ("fast", "BertTokenizerFast, batch, %d threads" % os.cpu_count()),
                   ("fast-1", "BertTokenizerFast, batch, 1 thread"), ("python", "BertTokenizer (Python), per sentence")):
    s = results[name]
    print("%-7s %-42s %9.0f sentences/s %7.2f MB/s   herd is %5.1fx" % (
        name, what, len(texts) / s, mb / s, s / results["herd"]))

# the same ids?
ours = subprocess.run(["build/tests/test_tokenizer", "ids", vocab, "--max-len", "128"], stdin=open(path),
                      check=True, capture_output=True, text=True).stdout.splitlines()
theirs = fast(texts, truncation=True, max_length=128)["input_ids"]
bad = sum(1 for a, b in zip(ours, theirs) if a != " ".join(map(str, b)))
print("ids: herd and BertTokenizerFast differ on %d of %d sentences" % (bad, len(texts)))
EOF
