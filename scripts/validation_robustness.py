"""Score detectors on degraded copies of a recipe's validation faces: false alarms and misses when photos are
blurred, noisy, re-compressed or small, as users' photos often are.

Usage: python scripts/validation_robustness.py --config configs/detector-general-j.yaml [--model DIR ...]
[--at photo --cache DIR] [--points video|coded] (default model: the bundled detector). Every validation face
(self-blends left out) is degraded at each point of POINTS (the degradations of `facetrust report`, seeded per face;
with `--points video`, VIDEO_POINTS: coded as one H.264 frame, candidate Z's clause 4; `--points coded`, those and a
HEIC save at quality 50) and scored. `--at crop`
(the default) degrades the aligned crop; `--at photo` degrades the whole photo before its face is found and cropped,
as a user's photo is (the crops are kept in --cache, so a later run only scores). Printed per model and point: the
pooled ROC-AUC, the share of real faces called fake and of fakes caught and the balanced accuracy at the model's own
threshold, then the means
over the points (docs/DETECTOR.md, candidate P's rule); then the share of real faces called fake per source and
point, and the worst source with at least MIN_REALS real faces (candidate S's rule), since a pooled rate can hide one
kind of photo. Reads validation data only.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from tqdm import tqdm

from facetrust.bundled import default_model_path
from facetrust.data.face_crops import largest_face
from facetrust.evaluation.metrics import binary_metrics
from facetrust.faces import FaceFinder
from facetrust.media import decode_image, read_input
from facetrust.models.checkpoint import load_model
from facetrust.models.routed import RoutedModel
from facetrust.report.degrade import DEGRADATIONS
from facetrust.training import read_config
from facetrust.training.recipe import face_crop
from facetrust.training.trainer import validation_faces

# Degradations at the aligned crop's scale. Downscaling to a quarter is left out: its faces (about 50 px) are under
# every bundled card's smallest face, so their verdicts are `uncertain` whatever the score.
POINTS = (("blur", 1.0), ("blur", 2.0), ("blur", 3.0), ("noise", 5.0), ("noise", 10.0), ("noise", 20.0),
          ("jpeg", 50), ("jpeg", 30), ("downscale", 0.5))
VIDEO_POINTS = (("h264", 23.0), ("h264", 32.0))  # a photo re-coded as a video still (docs/REPORT.md, "Video stills")
CODED_POINTS = (*VIDEO_POINTS, ("heic", 50.0))  # and saved hard as HEIC (docs/REPORT.md, "Phone photos saved as HEIC")
POINT_SETS = {"nine": POINTS, "video": VIDEO_POINTS, "coded": CODED_POINTS}
SEED = 0
MIN_REALS = 40  # sources with fewer real validation faces are shown but not judged as the worst


def degraded_crops(crops: list[np.ndarray], name: str, strength: float) -> list[np.ndarray]:
    """Each crop degraded by one point, its randomness (noise) seeded by the crop's position."""
    apply = DEGRADATIONS[name].apply
    return [apply(crop, strength, np.random.default_rng([SEED, index])) for index, crop in enumerate(crops)]


def degraded_photos(paths: list[Path], finder: FaceFinder, name: str, strength: float, cache: Path | None
                    ) -> tuple[list[np.ndarray], np.ndarray]:
    """Each photo degraded by one point (seeded by its position), then its largest face found and cropped; the
    crops and the positions of the photos that still gave a face (kept in `cache` when given)."""
    stored = cache / f"{name}-{strength:g}.npz" if cache else None
    if stored and stored.exists():
        saved = np.load(stored)
        return list(saved["crops"]), saved["kept"]
    apply, crops, kept = DEGRADATIONS[name].apply, [], []
    for index, path in enumerate(tqdm(paths, desc=f"{name} {strength:g} at the photo", unit="photo")):
        photo = apply(decode_image(read_input(path)).pixels, strength, np.random.default_rng([SEED, index]))
        crop = largest_face(photo, str(path), finder)
        if not isinstance(crop, str):
            crops.append(crop)
            kept.append(index)
    if stored:
        stored.parent.mkdir(parents=True, exist_ok=True)
        np.savez(stored, crops=np.stack(crops), kept=np.asarray(kept))
    return crops, np.asarray(kept)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--model", type=Path, action="append")
    parser.add_argument("--at", choices=("crop", "photo"), default="crop")
    parser.add_argument("--cache", type=Path, help="--at photo: keep the degraded photos' crops here, one file a "
                        "point (read back as they are: use a new folder when the recipe or its data change)")
    parser.add_argument("--points", choices=tuple(POINT_SETS), default="nine",
                        help="nine: blur, noise, JPEG, downscale (candidate P's rule); video: H.264 at crf 23 and 32; "
                        "coded: those and HEIC at quality 50")
    parser.add_argument("--agree", action="store_true", help="routed models: a face routed sharp is called fake only "
                        "if the soft branch, scored on the same crop, also reaches the threshold (candidate AA)")
    args = parser.parse_args()
    points = POINT_SETS[args.points]
    config = read_config(args.config)
    val = validation_faces(config)
    crops, labels, sources = val.crops, val.labels, val.sources
    if args.at == "crop":
        every = np.arange(len(crops))
        copies = {point: (degraded_crops(crops, *point), every) for point in points}
    else:
        paths, finder = val.paths, face_crop(config).finder(all_faces=False)
        copies = {point: degraded_photos(paths, finder, *point, args.cache) for point in points}
    print(f"{len(labels)} validation faces ({int((labels == 0).sum())} real), degraded at the {args.at}")
    for point, (_, kept) in copies.items():
        if len(kept) < len(labels):
            print(f"  {point[0]} {point[1]}: no face found in {len(labels) - len(kept)} degraded photos (left out)")
    print("\n| model | point | ROC-AUC | real faces called fake | fakes caught | balanced accuracy |\n"
          "|---|---|---:|---:|---:|---:|")
    by_source = {}
    for folder in args.model or [default_model_path()]:
        model = load_model(folder)
        rows = {}
        for point, (images, kept) in [(("none", ""), (crops, np.arange(len(crops)))), *copies.items()]:
            p_fake = model.p_fake(images)
            metrics = binary_metrics(labels[kept], p_fake, model.card.threshold)
            called = p_fake >= model.card.threshold
            if args.agree:
                called &= soft_agrees(model, images, called)
                metrics = verdict_metrics(metrics, called, labels[kept])
            rows[point] = metrics
            by_source[model.name, folder, point] = real_called_fake(called, labels[kept], sources[kept])
            print(f"| {model.name} ({folder}) | {point[0]} {point[1]} | {metrics['roc_auc']:.3f} | "
                  f"{metrics['fpr']:.3f} | {metrics['recall']:.3f} | {metrics['balanced_accuracy']:.3f} |", flush=True)
        means = {key: np.mean([rows[point][key] for point in points])
                 for key in ("roc_auc", "fpr", "recall", "balanced_accuracy")}
        print(f"| {model.name} ({folder}) | **mean of the {len(points)} degraded points** | {means['roc_auc']:.4f} | "
              f"{means['fpr']:.4f} | {means['recall']:.4f} | {means['balanced_accuracy']:.4f} |", flush=True)
    print_by_source(by_source, sources[labels == 0], points)


def soft_agrees(model: RoutedModel, crops: list[np.ndarray], called: np.ndarray) -> np.ndarray:
    """Per crop, whether an accusation of a `called` crop stands under candidate AA (`scan --agree`, at the card's
    threshold without the uncertain band): routed soft (the soft branch judged it already), or the soft branch's
    P(fake) on the same crop (`RoutedModel.second_opinions`, asked about the called crops only) reaches the
    threshold."""
    opinions = model.second_opinions(crops, called)
    return np.array([opinions.get(row, 1.0) >= model.card.threshold for row in range(len(crops))], dtype=bool)


def verdict_metrics(scored: dict, called: np.ndarray, labels: np.ndarray) -> dict:
    """`scored`'s ROC-AUC (scores are unchanged) with the verdict rates of `called`: a withheld accusation is not a
    fake caught."""
    fpr, recall = float(called[labels == 0].mean()), float(called[labels == 1].mean())
    return {**scored, "fpr": fpr, "recall": recall, "balanced_accuracy": (1 - fpr + recall) / 2}


def real_called_fake(called: np.ndarray, labels: np.ndarray, sources: np.ndarray) -> dict[str, float]:
    """Per source with real faces, the share of them called fake: a pooled rate can hide one kind of photo."""
    return {name: float(called[(sources == name) & (labels == 0)].mean()) for name in sorted(set(sources[labels == 0]))}


def print_by_source(by_source: dict, real_sources: np.ndarray, degraded: tuple) -> None:
    """Real faces called fake per source (rows) and point (columns), each model at its own threshold, and the worst
    source with at least MIN_REALS real faces."""
    points = [("none", ""), *degraded]
    judged = [s for s in sorted(set(real_sources)) if (real_sources == s).sum() >= MIN_REALS]
    print("\nreal faces called fake, per source (its number of real validation faces)\n")
    print("| model | source | " + " | ".join(f"{name} {strength}".strip() for name, strength in points) + " |")
    print("|---|---|" + "---:|" * len(points))
    for name, folder in dict.fromkeys((name, folder) for name, folder, _ in by_source):
        for source in sorted(set(real_sources)):
            cells = " | ".join(f"{by_source[name, folder, point].get(source, np.nan):.3f}" for point in points)
            print(f"| {name} ({folder}) | {source} ({int((real_sources == source).sum())}) | {cells} |")
        if judged:
            worst = " | ".join(f"{max(by_source[name, folder, point].get(s, np.nan) for s in judged):.3f}"
                               for point in points)
            print(f"| {name} ({folder}) | **worst of {', '.join(judged)}** | {worst} |")


if __name__ == "__main__":
    main()
