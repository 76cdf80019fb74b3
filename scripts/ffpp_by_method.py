"""FaceForensics++ frame scores broken down by manipulation method: frame-level and clip-level ROC-AUC.

Usage: python scripts/ffpp_by_method.py ["runs/measure-general/ffpp_c40 frames/scores.csv"]
Reads the scores.csv that `scripts/measure_detector.py` (via `facetrust evaluate --out`) writes for the FF++
c40 frames (a fake clip's folder is named METHOD_TARGET_SOURCE.mp4) and prints, per method, the ROC-AUC of its
frames against all real frames (and against the YouTube originals' frames alone, the people the fakes were made
from) and of its clips (mean of the clip's frame P(fake)) against all real clips: the
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


def read_clips(path: Path) -> dict[str, dict[str, list[float]]]:
    """Frame P(fake) of every clip of a frame scores.csv, by method ("real" for the real clips) and clip name."""
    clips: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    with open(path, newline="") as handle:
        for row in csv.DictReader(handle):
            clip = Path(row["path"]).parent.name
            method = clip.split("_")[0] if row["label"] == "1" else "real"
            clips[method][clip].append(float(row["p_fake"]))
    return clips


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    clips = read_clips(path)
    real_frames = [p for frames in clips["real"].values() for p in frames]
    real_clips = [float(np.mean(frames)) for frames in clips["real"].values()]
    # the fakes were made from YouTube originals: against those alone, "looks like a DFD actor clip" cannot help
    same_people = [p for clip, frames in clips["real"].items() if clip.startswith("youtube") for p in frames]
    print(f"{len(real_frames)} real frames in {len(real_clips)} real clips ({path})")
    print("| method | clips | frames | frame ROC-AUC | frame ROC-AUC vs the YouTube originals only "
          "| clip ROC-AUC (mean of frames) |\n|---|---:|---:|---:|---:|---:|")
    for method in ["all fakes", *sorted(set(clips) - {"real"})]:
        chosen = [values for name in clips if name != "real" and method in ("all fakes", name)
                  for values in clips[name].values()]
        frames = [p for values in chosen for p in values]
        means = [float(np.mean(values)) for values in chosen]
        print(f"| {method} | {len(means)} | {len(frames)} | {_auc(real_frames, frames):.3f} | "
              f"{_auc(same_people, frames):.3f} | {_auc(real_clips, means):.3f} |")


def _auc(real: list[float], fake: list[float]) -> float:
    return binary_metrics(np.r_[np.zeros(len(real)), np.ones(len(fake))], np.r_[real, fake])["roc_auc"]


if __name__ == "__main__":
    main()
