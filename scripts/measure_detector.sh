#!/usr/bin/env bash
# Measure a detector on every held-out set its card reports (never trained or selected on these), and
# print the card's "Scores" table. Usage: scripts/measure_detector.sh [MODEL_DIR] [OUT_DIR]
# (defaults: the bundled detector, runs/measure-detector). About 10 minutes on 2 CPU cores, most of
# it cropping 16 frames of each FF++ video once (kept in OUT_DIR/ffpp_c40-crops for the next run).
set -euo pipefail
MODEL=${1:-src/facetrust/weights/detector}
OUT=${2:-runs/measure-detector}
DATA=${FACETRUST_DATA:-../shared/data}
BIN=${BIN:-.venv/bin}
mkdir -p "$OUT"

# resumable: videos already cropped (journalled) are skipped
"$BIN/facetrust" crop "$DATA/video/ffpp_c40" "$OUT/ffpp_c40-crops" --frames-per-video 16

evaluate() {  # name, data folder
  "$BIN/facetrust" evaluate --model "$MODEL" --data "$2" --out "$OUT/$1" --json > "$OUT/$1.json"
}
evaluate k140-test "$DATA/faces/k140/test"
evaluate yonsei "$DATA/faces/yonsei"
listing() {  # name, folder sorted by expression, label of every image in it: a manifest for evaluate
  { echo "path,label"; find "$(cd "$2" && pwd)" -type f \( -iname '*.png' -o -iname '*.jpg' \) \
      | sort | sed "s/\$/,$3/"; } > "$OUT/$1.csv"
}
listing ai_sd15 "$DATA/emotion/ai_sd15" fake  # Stable Diffusion 1.5 faces
listing ckplus "$DATA/emotion/ckplus" real    # CK+ posed expressions of real people (lab camera)
evaluate ai_sd15 "$OUT/ai_sd15.csv"
evaluate ckplus "$OUT/ckplus.csv"
evaluate ffpp_c40-crops "$OUT/ffpp_c40-crops"

"$BIN/python" - "$OUT" <<'EOF'
import json
import sys
from pathlib import Path

out = Path(sys.argv[1])
keys = ["roc_auc", "ap", "accuracy", "precision", "recall", "fpr", "eer", "ece"]
print("| data | n real / fake | ROC-AUC | AP | accuracy | precision | recall | FPR | EER | ECE |")
print("|---|---|" + "---:|" * len(keys))
for name in ["k140-test", "yonsei", "ai_sd15", "ckplus", "ffpp_c40-crops"]:
    m = json.loads((out / f"{name}.json").read_text())
    cells = ["-" if m.get(k) is None else f"{m[k]:.3f}" for k in keys]
    print(f"| {name} | {m['n_real']} / {m['n_fake']} | " + " | ".join(cells) + " |")
EOF
