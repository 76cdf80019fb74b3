"""Copy a trained video model into src/facetrust/weights/video, pointing its card at the bundled detector.

Usage: python scripts/bundle_video_model.py runs/video/model
Refuses a model trained on another image model's features than the bundled detector's.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from facetrust.bundled import default_model_path, default_video_model_path
from facetrust.models.card import VideoCard, read_card, write_card
from facetrust.models.checkpoint import WEIGHTS_FILE, load_model


def main(source: Path) -> None:
    card = read_card(source, VideoCard)
    reference = card.image_model
    detector = load_model(default_model_path(), backend="torch")
    if reference["sha256"] != detector.weights_sha256:
        sys.exit(f"{source}: trained on {reference['name']} {reference['version']}, "
                 f"not on the bundled detector {detector.name} {detector.version}")
    target = default_video_model_path()
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source / WEIGHTS_FILE, target / WEIGHTS_FILE)
    write_card(target, card.model_copy(update={"image_model": {**reference, "path": "../detector"}}))
    print(f"bundled {card.name} {card.version} in {target}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
