"""FaceForensics++ frame scores broken down by manipulation method: frame-level and clip-level ROC-AUC.

Usage: python scripts/ffpp_by_method.py ["runs/measure-general/ffpp_c40 frames/scores.csv"]
Reads the scores.csv that `scripts/measure_detector.py` (via `facetrust evaluate --out`) writes for the FF++
c40 frames (a fake clip's folder is named METHOD_TARGET_SOURCE.mp4) and prints, per method, the ROC-AUC of its
frames against all real frames and of its clips (mean of the clip's frame P(fake)) against all real clips: the
evidence a temporal judge would start from (issue 24, point 1).
"""

from __future__ import annotations

import csv
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

from facetrust.evaluation.metrics import binary_metrics

DEFAULT = Path("runs/measure-general/ffpp_c40 frames/scores.csv")


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    clips: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    with open(path, newline="") as handle:
        for row in csv.DictReader(handle):
            clip = Path(row["path"]).parent.name
            method = clip.split("_")[0] if row["label"] == "1" else "real"
            clips[method][clip].append(float(row["p_fake"]))
    real_frames = [p for frames in clips["real"].values() for p in frames]
    real_clips = [float(np.mean(frames)) for frames in clips["real"].values()]
    print(f"{len(real_frames)} real frames in {len(real_clips)} real clips ({path})")
    print("| method | clips | frames | frame ROC-AUC | clip ROC-AUC (mean of frames) |\n|---|---:|---:|---:|---:|")
    for method in sorted(set(clips) - {"real"}):
        frames = [p for values in clips[method].values() for p in values]
        means = [float(np.mean(values)) for values in clips[method].values()]
        frame_auc = binary_metrics(np.r_[np.zeros(len(real_frames)), np.ones(len(frames))],
                                   np.r_[real_frames, frames])["roc_auc"]
        clip_auc = binary_metrics(np.r_[np.zeros(len(real_clips)), np.ones(len(means))],
                                  np.r_[real_clips, means])["roc_auc"]
        print(f"| {method} | {len(means)} | {len(frames)} | {frame_auc:.3f} | {clip_auc:.3f} |")


if __name__ == "__main__":
    main()
