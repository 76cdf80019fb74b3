"""Bundle the calibrated mean-of-frames video judge with its own frame model into src/facetrust/weights/video.

Usage: python scripts/bundle_video_judge.py OOF_SCORES FRAME_MODEL MEASURED [--out src/facetrust/weights/video]
                                            [--data ../shared/data/video/ffpp_c40]
OOF_SCORES is the out-of-fold frame scores.csv of `scripts/ffpp_sbi_folds.py` (every clip scored by a frame model
that never saw its people); FRAME_MODEL is the same recipe trained on every clip (`--final`); MEASURED is
`scripts/measure_detector.py --model FRAME_MODEL`'s summary.json. Follows the rules pre-registered in docs/VIDEO.md:
bundles only if the pooled out-of-fold frame ROC-AUC is at least 0.80, the judge, calibrated nested out of fold,
decides at least 70% of the clips with at least 85% of them right and no temperature at its bound, and the frame
model passes the forgetting guard against the bundled photo detector's card. The bundled judge's centre,
temperature and band are then fitted on all the pooled out-of-fold clip means (`facetrust.video.frame_judge`), never
on the frame model's own in-sample scores; the card keeps the out-of-fold numbers.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from ffpp_by_method import read_clips
from ffpp_video_judge import DECIDED

import facetrust
from facetrust.bundled import default_model_path, default_video_model_path
from facetrust.evaluation.metrics import binary_metrics
from facetrust.models.card import CARD_FILE
from facetrust.models.checkpoint import load_model, model_files
from facetrust.video.frame_judge import FRAME_JUDGE, fit_frame_judge, forgetting_guard, judge_out_of_fold
from facetrust.video.identities import discover_videos, identity_folds
from facetrust.video.model import save_video_model

FRAMES = 16  # the frames per clip the out-of-fold scores were made from
FRAME_AUC, RIGHT = 0.80, 0.85  # issue 24 acceptance 1 and 3 (DECIDED is the third number)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scores", type=Path)
    parser.add_argument("frame_model", type=Path)
    parser.add_argument("measured", type=Path, help="measure_detector.py's summary.json of FRAME_MODEL")
    parser.add_argument("--out", type=Path, default=default_video_model_path())
    parser.add_argument("--data", type=Path, default=Path("../shared/data/video/ffpp_c40"))
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    forgotten = _forgotten(args.measured, args.frame_model)
    videos = discover_videos(args.data)
    fold_of = {v.path.name: f for v, f in zip(videos, identity_folds(videos, args.folds), strict=True)}
    clips = [(method, clip, frames) for method, of_method in read_clips(args.scores).items()
             for clip, frames in of_method.items()]
    labels = np.array([method != "real" for method, _, _ in clips], dtype=int)
    means = np.array([np.mean(frames) for _, _, frames in clips])
    frame_auc = binary_metrics(np.repeat(labels, [len(f) for _, _, f in clips]),
                               np.concatenate([f for _, _, f in clips]))["roc_auc"]
    nested = judge_out_of_fold(means, labels, np.array([fold_of[clip] for _, clip, _ in clips]), DECIDED)
    decided, right = nested.decided, nested.right(labels)
    judge = fit_frame_judge(means, labels, DECIDED)
    scores = {"frame_roc_auc": frame_auc, "clip_roc_auc": binary_metrics(labels, means)["roc_auc"],
              "decided": float(decided.mean()), "right_of_decided": float(right[decided].mean())}
    print(", ".join(f"{k} {v:.3f}" for k, v in scores.items()) + f"; all clips: centre {judge.centre:.3f}, "
          f"temperature {judge.temperature:.3f}, band ±{judge.band:.3f}")
    if (frame_auc < FRAME_AUC or decided.mean() < DECIDED or right[decided].mean() < RIGHT or judge.at_bound
            or any(j.at_bound for j in nested.judges)):
        sys.exit(f"not bundled: the rule asks frame ROC-AUC >= {FRAME_AUC}, decided >= {DECIDED:.0%}, right >= "
                 f"{RIGHT:.0%} and no temperature at its bound")
    if forgotten:
        sys.exit("not bundled: the frame model forgot what the photo detector knew: " + "; ".join(forgotten))
    frames_folder = args.out / "frames"
    frames_folder.mkdir(parents=True, exist_ok=True)
    for file in model_files(args.frame_model):
        shutil.copyfile(file, frames_folder / file.name)
    card = {
        "name": f"facetrust-video-{FRAME_JUDGE}", "version": datetime.now(UTC).strftime("%Y%m%d-%H%M%S"),
        "temporal": FRAME_JUDGE, "temporal_options": {"centre": judge.centre}, "frame_inputs": ["logit"],
        "frames": FRAMES, "threshold": 0.5, "uncertain_band": judge.band, "temperature": judge.temperature,
        "threshold_rule": "clip means centred on the best balanced accuracy of the pooled out-of-fold clip scores; "
                          f"band the widest leaving {DECIDED:.0%} of those clips decided",
        "out_of_fold": scores, "forgetting_guard": {"measured": str(args.measured), "passed": True},
        "training": {"scores": str(args.scores), "clips": len(clips), "fakes": int(labels.sum())},
        "code_version": facetrust.__version__, "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    save_video_model(args.out, None, card, load_model(frames_folder, backend="torch"))
    print(f"bundled {card['name']} {card['version']} in {args.out}, its frame model in {frames_folder}")


def _forgotten(measured: Path, frame_model: Path) -> list[str]:
    """The forgetting guard's failures for FRAME_MODEL's measurement against the bundled detector's test rows."""
    summary = json.loads(measured.read_text(encoding="utf-8"))
    model = load_model(frame_model, backend="torch")
    if (summary["model"], summary["version"]) != (model.name, model.version):
        sys.exit(f"{measured}: measures {summary['model']} {summary['version']}, not the frame model {frame_model}")
    reference = json.loads((default_model_path() / CARD_FILE).read_text(encoding="utf-8"))
    return forgetting_guard(summary["sets"], reference["metrics_by_source"]["test"])


if __name__ == "__main__":
    main()
