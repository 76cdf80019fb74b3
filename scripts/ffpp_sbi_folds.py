"""Out-of-fold frame scores for the FF++ c40 clips from frame models trained on the other folds' clips.

For each of the video study's identity-disjoint folds, a recipe is trained on the clips of the other folds
(one of them its validation) and scores the held-out fold's frames: the 16-frame crops
`scripts/measure_detector.py` made, the same frames the bundled detector's FF++ numbers use. By default only the
real clips are trained on (`configs/video-frame-sbi.yaml`: their faces and the self-blends made from them each
epoch); with `--fakes` the fake clips of the training folds too (`configs/video-frame-ffpp.yaml`). Nothing of
the held-out fold is trained or chosen on. A recipe may list shared face sets after the manifest
(`configs/video-frame-ffpp-dfdc.yaml`: the DFDC swap crops, other people than FF++'s); they train and validate
with their own splits in every fold. Writes OUT/scores.csv (all 60 clips) with metrics.json and the
pictures `facetrust evaluate --out` draws, then prints `scripts/ffpp_by_method.py`'s table of them. Resumable:
a fold whose model exists is not trained again (issue 24, docs/VIDEO.md). With `--final FOLD`, instead of the
folds, one model to ship (OUT/final/run/model): trained on every other fold's clips, validated on fold FOLD's.

    python scripts/ffpp_sbi_folds.py [--data ../shared/data/video/ffpp_c40] [--out runs/ffpp-sbi]
    python scripts/ffpp_sbi_folds.py --fakes --config configs/video-frame-ffpp.yaml --out runs/ffpp-sup
    python scripts/ffpp_sbi_folds.py --fakes --config configs/video-frame-ffpp-dfdc.yaml --out runs/ffpp-dfdc
    python scripts/ffpp_sbi_folds.py --fakes --config configs/video-frame-ffpp-dfdc-long.yaml \
        --out runs/ffpp-dfdc-long --final 0
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
from measure_detector import FFPP_FRAMES, FFPP_FRAMES_DIR

from facetrust.data.crops import crop_dataset
from facetrust.evaluation.metrics import binary_metrics
from facetrust.models.checkpoint import load_model
from facetrust.studies.evaluate import Evaluation, evaluate_model, write_evaluation
from facetrust.training import read_config
from facetrust.training.trainer import train
from facetrust.video.identities import discover_videos, identity_folds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/video/ffpp_c40"))
    parser.add_argument("--frames", type=Path, default=FFPP_FRAMES_DIR,
                        help="the 16-frame crops of every clip that are scored (made here if absent)")
    parser.add_argument("--config", type=Path, default=Path("configs/video-frame-sbi.yaml"))
    parser.add_argument("--out", type=Path, default=Path("runs/ffpp-sbi"))
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--train-frames", type=int, default=48, help="frames sampled per training clip")
    parser.add_argument("--fakes", action="store_true", help="train on the training folds' fake clips too")
    parser.add_argument("--faces", type=Path, default=Path("../shared/data/faces"),
                        help="where the recipe's other sources (shared face sets, after its first) live")
    parser.add_argument("--final", type=int, default=None, metavar="FOLD",
                        help="instead of the folds, train the frame model to ship: every clip, fold FOLD as validation")
    args = parser.parse_args()
    videos = discover_videos(args.data)
    fold_of = {video.path.name: fold for video, fold in zip(videos, identity_folds(videos, args.folds), strict=True)}
    crop_dataset(args.data, args.frames, FFPP_FRAMES, progress=False)
    training_frames = args.out / ("frames" if args.fakes else "real-frames")
    crop_dataset(args.data if args.fakes else args.data / "real", training_frames,
                 replace(FFPP_FRAMES, frames_per_video=args.train_frames), progress=False)
    training, scored = _frames(training_frames), _frames(args.frames)
    if args.final is not None:  # the shipped frame model: every fold trained on but its validation fold
        model_dir = _trained(args, args.out / "final", training, fold_of, held_out=None, validation=args.final)
        print(f"final frame model (validation fold {args.final}): {model_dir}")
        return
    evaluations = []
    for fold in range(args.folds):
        folder = args.out / f"fold{fold}"
        model_dir = _trained(args, folder, training, fold_of, held_out=fold, validation=(fold + 1) % args.folds)
        held_out = folder / "held_out.csv"
        _write_manifest(held_out, ["path", "label", "group"],
                        [[path, label, clip] for path, label, clip in scored if fold_of[clip] == fold])
        evaluation = evaluate_model(load_model(model_dir), held_out, progress=False)
        evaluations.append(evaluation)
        print(f"fold {fold}: {len(evaluation.paths)} held-out frames, ROC-AUC {evaluation.metrics['roc_auc']:.3f}",
              flush=True)
    labels = np.concatenate([e.labels for e in evaluations])
    p_fake = np.concatenate([e.p_fake for e in evaluations])
    pooled = Evaluation(binary_metrics(labels, p_fake), labels, p_fake, [p for e in evaluations for p in e.paths],
                        [item for e in evaluations for item in e.skipped])
    write_evaluation(pooled, args.out, f"{read_config(args.config).name}, FF++ c40 frames out of fold")
    subprocess.run([sys.executable, str(Path(__file__).with_name("ffpp_by_method.py")), str(args.out / "scores.csv")],
                   check=True)


def _trained(args: argparse.Namespace, folder: Path, training: list[tuple[str, str, str]], fold_of: dict[str, int],
             held_out: int | None, validation: int) -> Path:
    """The recipe trained in `folder` on the training crops of every fold but `held_out` (None: none held out),
    fold `validation` as its validation; the model folder (trained only if it is not there yet)."""
    folder.mkdir(parents=True, exist_ok=True)
    config = read_config(args.config, out=folder / "run")
    config.data = str(folder)  # the recipe's first source is the manifest written here
    manifest, *shared_sets = config.sources
    for name in shared_sets:  # e.g. dfdc_crops: a set of other videos, trained and validated as it comes
        if not (args.faces / name).is_dir():
            raise SystemExit(f"{args.faces / name}: the recipe's source {name} is not there (--faces)")
        if not (folder / name).exists():
            (folder / name).symlink_to((args.faces / name).resolve(), target_is_directory=True)
    _write_manifest(folder / manifest, ["path", "label", "split", "group"],
                    [[path, label, "val" if fold_of[clip] == validation else "train", clip]
                     for path, label, clip in training if fold_of[clip] != held_out])
    model_dir = folder / "run" / "model"
    if not (model_dir / "model.safetensors").exists():
        print(f"{folder.name}: training", flush=True)
        train(config, progress=False)
    return model_dir


def _frames(folder: Path) -> list[tuple[str, str, str]]:
    """(absolute crop path, label, clip) of every crop `crop_dataset` wrote to `folder`; crops live in
    `<label>/<clip file>/frameNNN.faceK.png`, and crops of a real/ folder alone carry no label, so are real."""
    with open(folder / "manifest.csv", newline="", encoding="utf-8") as handle:
        return [(str((folder / row["crop"]).resolve()), row["label"] or "real", Path(row["crop"]).parent.name)
                for row in csv.DictReader(handle) if row["crop"]]


def _write_manifest(path: Path, columns: list[str], rows: list[list[str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        writer.writerows(rows)


if __name__ == "__main__":
    main()
