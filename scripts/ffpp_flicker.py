"""Frame-to-frame flicker of the out-of-fold frame models on FF++ c40 clips: is it evidence beside the mean?

Usage: python scripts/ffpp_flicker.py runs/ffpp-dfdc-long [--data ../shared/data/video/ffpp_c40] [--pairs 8]
For every clip, `--pairs` pairs of adjacent frames spread over the clip are cropped as the scanner crops them (the
bundled detector's face settings, which every fold model shares), and each pair is scored by the fold model that
never saw the clip's people (RUN/fold<k>/run/model, from `scripts/ffpp_sbi_folds.py`). A clip's flicker is the mean
absolute change of the frame logit between adjacent frames: reenactment and swaps are made frame by frame, so their
traces may come and go where a real face's do not. Prints the pooled clip ROC-AUC of flicker alone, of the mean of
the clip's 16 out-of-fold frame scores (RUN/scores.csv), and of a logistic regression on both fitted on four folds'
clips and scoring the fifth's (docs/VIDEO.md, "Flicker between adjacent frames"). Crops are cached in
runs/ffpp-flicker/ (re-used on a second run).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import av
import numpy as np
from ffpp_by_method import read_clips
from ffpp_video_judge import CHANGE_MARGIN, auc, method_aucs, stacked_out_of_fold
from scipy.special import logit

from facetrust.bundled import default_model_path
from facetrust.faces.finder import FaceFinder
from facetrust.models.checkpoint import load_model
from facetrust.video.identities import discover_videos, identity_folds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--data", type=Path, default=Path("../shared/data/video/ffpp_c40"))
    parser.add_argument("--pairs", type=int, default=8)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--cache", type=Path, default=Path("runs/ffpp-flicker"))
    parser.add_argument("--crops-only", action="store_true", help="make the cached crops and stop (no model needed)")
    args = parser.parse_args()
    videos = discover_videos(args.data)
    folds = identity_folds(videos, args.folds)
    bundled_faces = load_model(default_model_path()).card.faces
    finder = bundled_faces.finder(all_faces=False)
    pairs = {video.path.name: _pair_crops(video.path, finder, args.pairs, args.cache) for video in videos}
    print(f"{sum(map(len, pairs.values()))} adjacent pairs cropped from {len(videos)} clips", flush=True)
    if args.crops_only:
        return
    flicker, fold_of = {}, {}
    for fold in range(args.folds):
        model = load_model(args.run / f"fold{fold}" / "run" / "model")
        if model.card.faces != bundled_faces:
            raise SystemExit(f"fold {fold}'s model crops faces differently from the bundled detector")
        for video, video_fold in zip(videos, folds, strict=True):
            if video_fold == fold and len(pairs[video.path.name]):
                crops = pairs[video.path.name]
                z = model.logits(list(crops.reshape(-1, *crops.shape[2:]))).reshape(len(crops), 2)
                flicker[video.path.name], fold_of[video.path.name] = float(np.abs(z[:, 1] - z[:, 0]).mean()), fold
        print(f"fold {fold}: scored", flush=True)
    by_method = read_clips(args.run / "scores.csv")
    clips = [(method, clip, frames) for method, of_method in by_method.items() for clip, frames in of_method.items()
             if clip in flicker]
    labels = np.array([method != "real" for method, _, _ in clips], dtype=int)
    methods = np.array([method for method, _, _ in clips])
    mean = np.array([np.mean(frames) for _, _, frames in clips])
    flick = np.array([flicker[clip] for _, clip, _ in clips])
    clip_folds = np.array([fold_of[clip] for _, clip, _ in clips])
    summary = np.column_stack([logit(np.clip(mean, 1e-6, 1 - 1e-6)), flick])
    both = stacked_out_of_fold(summary, labels, clip_folds)
    names = sorted(set(methods) - {"real"})
    print(f"{len(clips)} clips with at least one adjacent pair ({labels.sum()} fake)")
    print("| clip score | ROC-AUC | " + " | ".join(names) + " |\n|---|---:|" + "---:|" * len(names))
    for name, score in (("mean of the 16 frames", mean), ("flicker alone", flick), ("both, nested out of fold", both)):
        print(f"| {name} | {auc(labels, score):.3f} | "
              + " | ".join(f"{a:.3f}" for a in method_aucs(labels, methods, score)) + " |")
    gain = auc(labels, both) - auc(labels, mean)
    print(f"flicker beside the mean: {gain:+.3f} ({'worth building' if gain >= CHANGE_MARGIN else 'the mean stays'})")


def _pair_crops(path: Path, finder: FaceFinder, pairs: int, cache: Path) -> np.ndarray:
    """(n, 2, H, W, 3) face crops of up to `pairs` adjacent frame pairs spread over the clip (pairs where either
    frame has no face are dropped); cached per clip."""
    cached = cache / f"{path.name}.npy"
    if cached.is_file():
        return np.load(cached)
    anchors = {int(a) for a in np.linspace(0, frame_total(path) - 2, pairs)}
    frames = decoded_frames(path, anchors | {a + 1 for a in anchors})
    found = []
    for anchor in sorted(anchors):
        faces = [finder.find(frames[i]) if i in frames else [] for i in (anchor, anchor + 1)]
        if all(faces):
            found.append([faces[0][0].crop, faces[1][0].crop])
    crops = np.array(found, dtype=np.uint8)
    cache.mkdir(parents=True, exist_ok=True)
    np.save(cached, crops)
    return crops


def frame_total(path: Path) -> int:
    """The clip's number of frames, counted from its packets (demuxed, not decoded)."""
    with av.open(str(path)) as container:
        return sum(1 for packet in container.demux(video=0) if packet.size)


def decoded_frames(path: Path, wanted: set[int]) -> dict[int, np.ndarray]:
    """The `wanted` frames of the clip by index, RGB, decoded in one pass."""
    frames = {}
    with av.open(str(path)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index in wanted:
                frames[index] = frame.to_ndarray(format="rgb24")
    return frames


if __name__ == "__main__":
    main()
