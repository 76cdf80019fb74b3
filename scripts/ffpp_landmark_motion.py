"""Landmark motion in FF++ c40 clips: does a fake's inner face jerk where a real face moves smoothly?

Usage: python scripts/ffpp_landmark_motion.py ["runs/measure-jl-crop/ffpp_c40 frames/scores.csv"]
           [--data ../shared/data/video/ffpp_c40] [--runs 4] [--length 12] [--cache runs/ffpp-landmarks]
For every clip, `--runs` runs of `--length` consecutive frames spread over it; in each frame the largest face found
as the scanner finds it (the bundled detector's face settings) and dlib's 68 points inside its box. Each frame's points
are mapped onto their run's mean shape by a similarity transform (the head's own motion removed); the size of their
second difference between consecutive frames, in eye distances, is the motion number, for the inner face, the mouth
and the jaw line (medians over the clip's runs). Prints the pooled clip ROC-AUC of each, of the mean of the clip's
frame scores (SCORES: a `scripts/measure_detector.py` FF++ scores.csv of a model never trained on FF++), and of a
logistic regression on both fitted on four identity-disjoint folds' clips and scoring the fifth's
(docs/VIDEO.md, "Landmark motion"). Landmarks are cached per clip in --cache.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from ffpp_by_method import read_clips
from ffpp_flicker import decoded_frames, frame_total
from ffpp_video_judge import CHANGE_MARGIN, auc, method_aucs, stacked_out_of_fold
from scipy.special import logit
from skimage.transform import SimilarityTransform

from facetrust.bundled import default_model_path
from facetrust.faces.finder import FaceFinder
from facetrust.faces.landmarks import shape_68
from facetrust.models.checkpoint import load_model
from facetrust.video.identities import discover_videos, identity_folds

REGIONS = {"inner face": np.r_[17:68], "mouth": np.r_[48:68], "jaw line": np.r_[0:17]}
DEFAULT = Path("runs/measure-jl-crop/ffpp_c40 frames/scores.csv")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scores", type=Path, nargs="?", default=DEFAULT)
    parser.add_argument("--data", type=Path, default=Path("../shared/data/video/ffpp_c40"))
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--length", type=int, default=12)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--cache", type=Path, default=Path("runs/ffpp-landmarks"))
    args = parser.parse_args()
    videos = discover_videos(args.data)
    fold_of = dict(zip((v.path.name for v in videos), identity_folds(videos, args.folds), strict=True))
    finder = load_model(default_model_path()).card.faces.finder(all_faces=False)
    motion = {}
    for number, video in enumerate(videos, 1):
        points = _run_points(video.path, finder, args.runs, args.length, args.cache)
        motion[video.path.name] = clip_motion(points)
        print(f"{number}/{len(videos)} {video.path.name}: " + ", ".join(
            f"{name} {value:.4f}" for name, value in zip(REGIONS, motion[video.path.name], strict=True)), flush=True)
    clips = [(method, clip, frames) for method, of_method in read_clips(args.scores).items()
             for clip, frames in of_method.items() if np.isfinite(motion.get(clip, [np.nan])).all()]
    labels = np.array([method != "real" for method, _, _ in clips], dtype=int)
    methods = np.array([method for method, _, _ in clips])
    youtube = np.array([method != "real" or clip.startswith("youtube") for method, clip, _ in clips])
    mean = np.array([np.mean(frames) for _, _, frames in clips])
    numbers = np.array([motion[clip] for _, clip, _ in clips])
    summary = np.column_stack([logit(np.clip(mean, 1e-6, 1 - 1e-6)), np.log(numbers)])
    both = stacked_out_of_fold(summary, labels, np.array([fold_of[clip] for _, clip, _ in clips]))
    names = sorted(set(methods) - {"real"})
    print(f"{len(clips)} clips with landmarks in every run ({labels.sum()} fake)")
    print("| clip score | ROC-AUC | vs YouTube originals | " + " | ".join(names) + " |")
    print("|---|---:|---:|" + "---:|" * len(names))
    rows = [("mean of the frames", mean), *((f"{name} motion alone", numbers[:, k]) for k, name in enumerate(REGIONS)),
            ("both, nested out of fold", both)]
    for name, score in rows:
        print(f"| {name} | {auc(labels, score):.3f} | {auc(labels[youtube], score[youtube]):.3f} | "
              + " | ".join(f"{a:.3f}" for a in method_aucs(labels, methods, score)) + " |")
    gain = auc(labels, both) - auc(labels, mean)
    print(f"landmark motion beside the mean: {gain:+.3f} "
          f"({'worth building' if gain >= CHANGE_MARGIN else 'nothing is built'})")


def clip_motion(points: np.ndarray) -> np.ndarray:
    """Median over runs of each region's mean jerk (second difference of the head-aligned points between
    consecutive frames, in eye distances); NaN where no run has three consecutive faces."""
    per_run = [run_motion(run) for run in points]
    per_run = [values for values in per_run if np.isfinite(values).all()]
    return np.median(per_run, axis=0) if per_run else np.full(len(REGIONS), np.nan)


def run_motion(run: np.ndarray) -> np.ndarray:
    """One run's (frames, 68, 2) points (NaN where no face) as each region's mean jerk in eye distances."""
    found = np.isfinite(run).all(axis=(1, 2))
    if found.sum() < 3:
        return np.full(len(REGIONS), np.nan)
    reference = run[found].mean(axis=0)
    aligned = np.full_like(run, np.nan)
    for t in np.flatnonzero(found):
        aligned[t] = SimilarityTransform.from_estimate(run[t], reference)(run[t])
    jerk = np.linalg.norm(aligned[2:] - 2 * aligned[1:-1] + aligned[:-2], axis=2)  # NaN unless t-1, t, t+1 found
    eyes = np.linalg.norm(reference[36:42].mean(axis=0) - reference[42:48].mean(axis=0))
    return np.array([np.nanmean(jerk[:, index]) / eyes for index in REGIONS.values()])


def _run_points(path: Path, finder: FaceFinder, runs: int, length: int, cache: Path) -> np.ndarray:
    """(runs, length, 68, 2) landmarks in frame coordinates, NaN where no face was found; cached per clip."""
    cached = cache / f"{path.name}.{runs}x{length}.npy"
    if cached.is_file():
        return np.load(cached)
    starts = np.linspace(0, frame_total(path) - length, runs).astype(int)
    wanted = {int(s) + k: (r, k) for r, s in enumerate(starts) for k in range(length)}
    points = np.full((runs, length, 68, 2), np.nan)
    for index, image in decoded_frames(path, set(wanted)).items():
        faces = finder.find(image)
        if faces and faces[0].source == "detected":
            points[wanted[index]] = shape_68(image, faces[0].face.box)
    cache.mkdir(parents=True, exist_ok=True)
    np.save(cached, points)
    return points


if __name__ == "__main__":
    main()
