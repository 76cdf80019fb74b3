"""Out-of-fold FF++ c40 frame scores from a linear probe on the bundled routed detector's frozen features.

Usage: python scripts/ffpp_frame_probe.py [--out runs/ffpp-probe] [--config configs/detector-general-j.yaml]
Follows docs/VIDEO.md, "A linear probe on the routed detector's frozen features" (pre-registered before any feature
was extracted): R's weights stay as they are; a standardised logistic regression re-reads R's features (the sharp
pair's penultimate features and R's routed logit) from the photo recipe's training crops, a fixed self-blend of each
real one and the FF++ frames of the training folds' clips, each source weighted equally and FF++ by `w_ff`. For each
identity-disjoint held-out fold the setting (C, w_ff) is chosen by an inner loop over the training folds among the
settings that keep R's validation selection score, and the chosen probe scores the held-out fold's frames. Writes
OUT/scores.csv (the probe) and OUT/r-scores.csv (R itself, same frames) for scripts/ffpp_by_method.py and
scripts/ffpp_video_judge.py, then fits the all-clips probe by the same rule and prints its validation scores beside
R's. Features are cached in OUT/features.npz, so a second run takes minutes.
"""

from __future__ import annotations

import argparse
import csv
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np
from ffpp_video_judge import auc
from measure_detector import FFPP_FRAMES, FFPP_FRAMES_DIR
from scipy.special import expit
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from facetrust.bundled import default_model_path
from facetrust.data.crops import crop_dataset
from facetrust.data.datasets import discover
from facetrust.data.face_crops import crop_samples
from facetrust.data.sources import SELF_BLEND
from facetrust.faces.landmarks import crop_shape_68
from facetrust.models.checkpoint import load_model
from facetrust.training import TrainConfig, read_config
from facetrust.training.trainer import blended_crop, selection_score, split_crops, validation_crops
from facetrust.video.identities import discover_videos, identity_folds

C_GRID = (0.001, 0.01, 0.1)
FFPP = "ffpp_c40"
VALIDATION_MARGIN = 0.005  # a setting may cost R's validation selection score at most this much


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=Path("configs/detector-general-j.yaml"))
    parser.add_argument("--data", type=Path, default=Path("../shared/data/video/ffpp_c40"))
    parser.add_argument("--out", type=Path, default=Path("runs/ffpp-probe"))
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    config = read_config(args.config)
    table = feature_table(config, args)
    table["inputs"] = np.concatenate([table["features"], table["logits"][:, None]], axis=1)  # R's logit beside them
    videos = discover_videos(args.data)
    fold_of = {v.path.name: f for v, f in zip(videos, identity_folds(videos, args.folds), strict=True)}
    frames = table["sources"] == FFPP
    folds = np.array([fold_of.get(clip, -1) for clip in table["clips"]])
    val = table["splits"] == "val"
    r_score, _ = selection_score(config, _val_set(table), table["logits"][val])
    print(f"R on the recipe's validation crops: selection score {r_score:.4f}")
    settings = [(c, w) for c in C_GRID for w in ("1", "S")]
    oof = np.full(len(table["labels"]), np.nan)
    for fold in range(args.folds):
        training_folds = [f for f in range(args.folds) if f != fold]
        chosen = choose_setting(table, config, folds, training_folds, settings, r_score)
        held = frames & (folds == fold)
        if chosen is None:
            print(f"fold {fold}: no setting keeps R's validation score; R's logit scores it")
            oof[held] = expit(table["logits"][held])
            continue
        probe = fit(table, folds, training_folds, *chosen)
        oof[held] = probe.predict_proba(table["inputs"][held])[:, 1]
        labels = table["labels"][held]
        print(f"fold {fold}: C={chosen[0]}, w_ff={chosen[1]}; held-out frame ROC-AUC {auc(labels, oof[held]):.3f} "
              f"(R {auc(labels, table['logits'][held]):.3f})", flush=True)
    write_scores(args.out / "scores.csv", table, frames, oof[frames])
    write_scores(args.out / "r-scores.csv", table, frames, expit(table["logits"][frames]))
    print(f"pooled out-of-fold frame ROC-AUC: probe {auc(table['labels'][frames], oof[frames]):.3f}, "
          f"R {auc(table['labels'][frames], table['logits'][frames]):.3f}")
    final = choose_setting(table, config, folds, list(range(args.folds)), settings, r_score)
    if final is None:
        print("all clips: no setting keeps R's validation score")
        return
    probe = fit(table, folds, list(range(args.folds)), *final)
    score, by_source = selection_score(config, _val_set(table), probe.decision_function(table["inputs"][val]))
    _, r_by_source = selection_score(config, _val_set(table), table["logits"][val])
    print(f"all-clips probe: C={final[0]}, w_ff={final[1]}; validation selection score {score:.4f} (R {r_score:.4f})")
    for name, source_auc in by_source.items():
        print(f"  {name}: {source_auc:.3f} (R {r_by_source[name]:.3f})")


def feature_table(config: TrainConfig, args: argparse.Namespace) -> dict[str, np.ndarray]:
    """R's features and routed logit of every training and validation crop of the recipe (a fixed self-blend of
    each real training face added; validation's own blends are the recipe's) and of every FF++ frame crop."""
    cache = args.out / "features.npz"
    if cache.exists():
        return dict(np.load(cache))
    model = load_model(default_model_path())
    crops, labels, sources, splits, clips, paths = [], [], [], [], [], []

    def add(crop: np.ndarray, label: int, source: str, split: str, path: str, clip: str = "") -> None:
        crops.append(crop)
        labels.append(label)
        sources.append(source)
        splits.append(split)
        paths.append(path)
        clips.append(clip)

    train = split_crops(replace(config, self_blend=0.0), ("train",))["train"]
    for i, (crop, sample) in enumerate(zip(train.crops, train.samples, strict=True)):
        add(crop, sample.label, sample.source, "train", str(sample.path))
        if sample.label == 0:
            add(blended_crop(crop, crop_shape_68(crop, config.margin), np.random.default_rng([7, i])).image, 1,
                SELF_BLEND, "train", f"{sample.path} (self-blend)")
    val = validation_crops(config)
    for crop, sample in zip(val.crops, val.samples, strict=True):
        add(crop, sample.label, sample.source, "val", str(sample.path))
    crop_dataset(args.data, FFPP_FRAMES_DIR, FFPP_FRAMES, progress=False)
    ffpp = crop_samples(discover(FFPP_FRAMES_DIR), model.face_finder(all_faces=False), "FF++ frames")
    for crop, sample in zip(ffpp.crops, ffpp.samples, strict=True):
        add(crop, sample.label, FFPP, FFPP, str(sample.path), Path(sample.path).parent.name)
    features, logits = model.features(crops)
    table = {"features": features.astype(np.float32), "logits": np.asarray(logits, np.float32),
             "labels": np.array(labels), "sources": np.array(sources), "splits": np.array(splits),
             "clips": np.array(clips), "paths": np.array(paths)}
    args.out.mkdir(parents=True, exist_ok=True)
    np.savez(cache, **table)
    return table


def weights(sources: np.ndarray, labels: np.ndarray, w_ff: str) -> np.ndarray:
    """Each source total weight 1, halved between its classes where it has both; FF++ 1 or as all others together."""
    out = np.zeros(len(sources))
    names = sorted(set(sources.tolist()))
    for name in names:
        rows = sources == name
        total = (len(names) - 1 if w_ff == "S" else 1) if name == FFPP else 1
        for label in np.unique(labels[rows]):
            mine = rows & (labels == label)
            out[mine] = total / len(np.unique(labels[rows])) / mine.sum()
    return out * len(sources) / out.sum()


def fit(table: dict[str, np.ndarray], folds: np.ndarray, training_folds: list[int], c: float, w_ff: str) -> Pipeline:
    """The probe on the photo training rows and the FF++ frames of `training_folds`."""
    rows = (table["splits"] == "train") | ((table["sources"] == FFPP) & np.isin(folds, training_folds))
    probe = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=3000))
    probe.fit(table["inputs"][rows], table["labels"][rows],
              logisticregression__sample_weight=weights(table["sources"][rows], table["labels"][rows], w_ff))
    return probe


def choose_setting(table: dict[str, np.ndarray], config: TrainConfig, folds: np.ndarray, training_folds: list[int],
                   settings: list[tuple[float, str]], r_score: float) -> tuple[float, str] | None:
    """The eligible setting (validation selection score at least R's - VALIDATION_MARGIN when fitted on all
    `training_folds`) with the highest pooled inner out-of-fold FF++ frame ROC-AUC over `training_folds`."""
    val = table["splits"] == "val"
    frames = table["sources"] == FFPP
    best, best_auc = None, -1.0
    for c, w_ff in settings:
        probe = fit(table, folds, training_folds, c, w_ff)
        score, _ = selection_score(config, _val_set(table), probe.decision_function(table["inputs"][val]))
        inner = np.full(len(folds), np.nan)
        for fold in training_folds:
            rows = frames & (folds == fold)
            inner_probe = fit(table, folds, [f for f in training_folds if f != fold], c, w_ff)
            inner[rows] = inner_probe.decision_function(table["inputs"][rows])
        scored = frames & np.isin(folds, training_folds)
        inner_auc = auc(table["labels"][scored], inner[scored])
        eligible = score >= r_score - VALIDATION_MARGIN
        print(f"  folds {training_folds}: C={c}, w_ff={w_ff}: validation {score:.4f}"
              f"{'' if eligible else ' (not eligible)'}, inner FF++ frame ROC-AUC {inner_auc:.3f}", flush=True)
        if eligible and inner_auc > best_auc:
            best, best_auc = (c, w_ff), inner_auc
    return best


def _val_set(table: dict[str, np.ndarray]) -> SimpleNamespace:
    """What `selection_score` reads of the validation CropSet: its labels and each sample's source."""
    val = table["splits"] == "val"
    return SimpleNamespace(labels=table["labels"][val], samples=[SimpleNamespace(source=str(s))
                                                                 for s in table["sources"][val]])


def write_scores(path: Path, table: dict[str, np.ndarray], rows: np.ndarray, p_fake: np.ndarray) -> None:
    """path,label,p_fake per FF++ frame: the format scripts/ffpp_by_method.py and ffpp_video_judge.py read."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["path", "label", "p_fake"])
        writer.writerows(zip(table["paths"][rows], table["labels"][rows].tolist(), np.round(p_fake, 5).tolist(),
                             strict=True))


if __name__ == "__main__":
    main()
