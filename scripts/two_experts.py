"""Judge "two experts" for video faces: the mean of the photo detector's and a frame model's calibrated logits.

Usage: python scripts/two_experts.py --detector-scores runs/measure-detector --frame-scores runs/measure-FRAME
       [--oof runs/ffpp-dfdc-long/scores.csv [--write OUT.csv]] [--detector src/facetrust/weights/detector]
Reads per-face scores already written by `scripts/measure_detector.py` (the detector's and a fold 0 frame model's,
on the same files) and, with --oof, a recipe's out-of-fold FF++ frame scores (`scripts/ffpp_sbi_folds.py`); runs no
model. Prints the forgetting guard on the combined score and the pooled out-of-fold FF++ frame ROC-AUC per method,
the two numbers docs/VIDEO.md ("Two experts") decides by. Nothing is fitted: the weights are equal. `--write` saves
the two experts' out-of-fold FF++ frame scores in the same form, for `scripts/ffpp_video_judge.py`.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np
from scipy.special import expit, logit
from sklearn.metrics import roc_auc_score

from facetrust.bundled import default_model_path
from facetrust.models.card import ModelCard, read_card
from facetrust.video.frame_judge import GUARD_MIN_FACES, P_CLIP, forgetting_guard

FRAMES = "ffpp_c40-frames/"  # measured FF++ frames and out-of-fold scores share the path from here on
FFPP_SET = "ffpp_c40 frames"
METHODS = ("Deepfakes", "Face2Face", "FaceSwap", "NeuralTextures")


def scores(path: Path) -> dict[str, tuple[int, float]]:
    """A scores.csv as {path: (label, P(fake))}; FF++ frame paths keyed from their frames folder on (runs cut the
    same frames into different folders)."""
    with path.open(newline="") as handle:
        return {_key(row["path"]): (int(row["label"]), float(row["p_fake"])) for row in csv.DictReader(handle)}


def _key(path: str) -> str:
    return path[path.index(FRAMES):] if FRAMES in path else path


def combined(detector: dict, frame: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Labels, the detector's P(fake) and the two experts' P(fake) on the files both scored."""
    shared = sorted(detector.keys() & frame.keys())
    labels = np.array([detector[k][0] for k in shared])
    alone = np.array([detector[k][1] for k in shared])
    other = np.array([frame[k][1] for k in shared])
    return labels, alone, _mean_logit(alone, other)


def _mean_logit(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return expit((logit(np.clip(a, P_CLIP, 1 - P_CLIP)) + logit(np.clip(b, P_CLIP, 1 - P_CLIP))) / 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--detector-scores", type=Path, required=True)
    parser.add_argument("--frame-scores", type=Path, required=True)
    parser.add_argument("--oof", type=Path, help="a recipe's out-of-fold FF++ frame scores")
    parser.add_argument("--write", type=Path, help="where to save the two experts' out-of-fold FF++ frame scores")
    parser.add_argument("--detector", type=Path, default=default_model_path())
    args = parser.parse_args()
    card = read_card(args.detector, ModelCard)
    threshold = card.threshold
    measured = {}
    print(f"| set | n real / fake | detector ROC-AUC | two experts ROC-AUC | FPR at {threshold:.3f}: detector / "
          "two experts |")
    print("|---|---|---:|---:|---|")
    for path in sorted(args.detector_scores.rglob("scores.csv")):
        name = str(path.parent.relative_to(args.detector_scores))
        other = args.frame_scores / name / "scores.csv"
        if not other.is_file() or name == FFPP_SET:  # FF++ frames: fold 0 trained on most of them; see --oof
            continue
        labels, alone, both = combined(scores(path), scores(other))
        n_real, n_fake = int((labels == 0).sum()), int((labels == 1).sum())
        aucs = [roc_auc_score(labels, s) if n_real and n_fake else None for s in (alone, both)]
        fprs = [float((s[labels == 0] >= threshold).mean()) if n_real else None for s in (alone, both)]
        measured[name] = {"roc_auc": aucs[1], "n_real": n_real, "n_fake": n_fake}
        print(f"| {name} | {n_real} / {n_fake} | {_fmt(aucs[0])} | {_fmt(aucs[1])} | "
              f"{_fmt(fprs[0])} / {_fmt(fprs[1])} |")
    failures = forgetting_guard({k: v for k, v in measured.items() if v["roc_auc"] is not None},
                                card.metrics_by_source["test"])
    print(f"\nguard (sets with >= {GUARD_MIN_FACES} faces a class): " + ("passed" if not failures else
                                                                         "FAILED: " + "; ".join(failures)))
    if args.oof:
        _ffpp(scores(args.detector_scores / FFPP_SET / "scores.csv"), scores(args.oof), args.write)


def _ffpp(detector: dict, oof: dict, write: Path | None) -> None:
    """Pooled out-of-fold FF++ frame ROC-AUC of the detector, the fold models and the two experts, per method;
    `write`: the two experts' frame scores as a scores.csv (the out-of-fold file's paths and labels)."""
    shared = sorted(detector.keys() & oof.keys())
    labels = np.array([oof[k][0] for k in shared])
    columns = {"detector": np.array([detector[k][1] for k in shared]),
               "fold models": np.array([oof[k][1] for k in shared])}
    columns["two experts"] = _mean_logit(columns["detector"], columns["fold models"])
    if write:  # the key keeps label and clip folder, all the judge reads
        with write.open("w", newline="") as handle:
            rows = csv.writer(handle)
            rows.writerow(["path", "label", "p_fake"])
            rows.writerows([key, label, f"{p:.5f}"] for key, label, p in zip(shared, labels, columns["two experts"],
                                                                             strict=True))
    print(f"\nFF++ c40 frames, {len(shared)} ({int((labels == 0).sum())} real), pooled out of fold:")
    print("| fakes | " + " | ".join(columns) + " |\n|---|" + "---:|" * len(columns))
    for method in ("all", *METHODS):
        keep = (labels == 0) | np.array([method == "all" or f"/{method}_" in k for k in shared])
        print(f"| {method} | " + " | ".join(f"{roc_auc_score(labels[keep], s[keep]):.3f}" for s in columns.values())
              + " |")


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


if __name__ == "__main__":
    main()
