"""Bundle the calibrated mean-of-frames video judge with its own frame model into src/facetrust/weights/video.

Usage: python scripts/bundle_video_judge.py OOF_SCORES FRAME_MODEL [--out src/facetrust/weights/video]
OOF_SCORES is the out-of-fold frame scores.csv of `scripts/ffpp_sbi_folds.py` (every clip scored by a frame model
that never saw its people); FRAME_MODEL is the same recipe trained on every clip. The judge's centre, temperature
and band are fitted on the pooled out-of-fold clip means (`facetrust.video.frame_judge`), never on the frame
model's own (in-sample) scores of these clips. Refuses a temperature at its bound (docs/VIDEO.md, issue 24).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from ffpp_by_method import read_clips
from ffpp_video_judge import DECIDED

import facetrust
from facetrust.bundled import default_video_model_path
from facetrust.models.card import CARD_FILE
from facetrust.models.checkpoint import WEIGHTS_FILE, load_model
from facetrust.video.frame_judge import FRAME_JUDGE, fit_frame_judge
from facetrust.video.model import save_video_model

FRAMES = 16  # the frames per clip the out-of-fold scores were made from


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scores", type=Path)
    parser.add_argument("frame_model", type=Path)
    parser.add_argument("--out", type=Path, default=default_video_model_path())
    args = parser.parse_args()
    clips = [(method, frames) for method, of_method in read_clips(args.scores).items() for frames in of_method.values()]
    labels = np.array([method != "real" for method, _ in clips], dtype=int)
    means = np.array([np.mean(frames) for _, frames in clips])
    judge = fit_frame_judge(means, labels, DECIDED)
    print(f"{len(clips)} clips: centre {judge.centre:.3f}, temperature {judge.temperature:.3f}, band ±{judge.band:.3f}")
    if judge.at_bound:
        sys.exit("the temperature ran to its bound: the out-of-fold scores do not support this judge; not bundled")
    frames_folder = args.out / "frames"
    frames_folder.mkdir(parents=True, exist_ok=True)
    for name in (WEIGHTS_FILE, CARD_FILE):
        shutil.copyfile(args.frame_model / name, frames_folder / name)
    card = {
        "name": f"facetrust-video-{FRAME_JUDGE}", "version": datetime.now(UTC).strftime("%Y%m%d-%H%M%S"),
        "temporal": FRAME_JUDGE, "temporal_options": {"centre": judge.centre}, "frame_inputs": ["logit"],
        "frames": FRAMES, "threshold": 0.5, "uncertain_band": judge.band, "temperature": judge.temperature,
        "threshold_rule": "clip means centred on the best balanced accuracy of the pooled out-of-fold clip scores; "
                          f"band the widest leaving {DECIDED:.0%} of those clips decided",
        "training": {"scores": str(args.scores), "clips": len(clips), "fakes": int(labels.sum())},
        "code_version": facetrust.__version__, "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    save_video_model(args.out, None, card, load_model(frames_folder, backend="torch"))
    print(f"bundled {card['name']} {card['version']} in {args.out}, its frame model in {frames_folder}")


if __name__ == "__main__":
    main()
