"""Copy a trained video model into src/facetrust/weights/video, pointing its card at the bundled detector.

Usage: python scripts/bundle_video_model.py runs/video/model
Refuses a model trained on another image model's features than the bundled detector's, and one whose
temperature was fitted to its bound (its every P(fake) near 0.5: the GRU retired on 2026-12-03, docs/VIDEO.md).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from facetrust.bundled import default_model_path, default_video_model_path
from facetrust.evaluation.calibration import temperature_at_bound
from facetrust.models.card import VideoCard, read_card, write_card
from facetrust.models.checkpoint import WEIGHTS_FILE, load_model


def main(source: Path) -> None:
    card = read_card(source, VideoCard)
    reference = card.image_model
    detector = load_model(default_model_path(), backend="torch")
    if reference["sha256"] != detector.weights_sha256:
        sys.exit(f"{source}: trained on {reference['name']} {reference['version']}, "
                 f"not on the bundled detector {detector.name} {detector.version}")
    if temperature_at_bound(card.temperature):
        sys.exit(f"{source}: its temperature ({card.temperature:.3g}) was fitted to the edge of its range, so its "
                 "scores do not support a calibration; not bundled")
    target = default_video_model_path()
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source / WEIGHTS_FILE, target / WEIGHTS_FILE)
    write_card(target, card.model_copy(update={"image_model": {**reference, "path": "../detector"}}))
    print(f"bundled {card.name} {card.version} in {target}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
