#!/bin/sh
# The k140 detector (facetrust-mobilenet-v2-k140, k140 train only) that every multi-source detector recipe starts
# from, restored exactly from the commit where it was bundled (356b4ad): the same weights candidates A, H and I
# started from (sha256 checked below); retraining it takes about 20 minutes and is not bit-identical.
# Fails, leaving nothing behind, in a clone without that commit (a shallow one); `make detector` then retrains it.
set -eu
out=runs/detector-mobilenet/model
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git show 356b4ad:src/facetrust/weights/detector/model.safetensors > "$tmp/model.safetensors"
git show 356b4ad:src/facetrust/weights/detector/model.json > "$tmp/model.json"
echo "b571091267f63016af930c025757242a1dc491f42b7bc5e8113e43824eca8944  $tmp/model.safetensors" | sha256sum -c --quiet
mkdir -p "$out"
mv "$tmp/model.safetensors" "$tmp/model.json" "$out/"
echo "restored the k140 start into $out"
