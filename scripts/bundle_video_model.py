"""Copy a trained video model into src/facetrust/weights/video, pointing its card at the bundled detector.

Usage: python scripts/bundle_video_model.py runs/video/model
Refuses a model trained on another image model's features than the bundled detector's.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from facetrust.bundled import default_model_path, default_video_model_path
from facetrust.models.checkpoint import CARD_FILE, WEIGHTS_FILE, load_model


def main(source: Path) -> None:
    card = json.loads((source / CARD_FILE).read_text(encoding="utf-8"))
    detector = load_model(default_model_path(), backend="torch")
    if card["image_model"]["sha256"] != detector.weights_sha256:
        sys.exit(f"{source}: trained on {card['image_model']['name']} {card['image_model']['version']}, "
                 f"not on the bundled detector {detector.name} {detector.version}")
    target = default_video_model_path()
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source / WEIGHTS_FILE, target / WEIGHTS_FILE)
    card["image_model"]["path"] = "../detector"
    (target / CARD_FILE).write_text(json.dumps(card, indent=2), encoding="utf-8")
    print(f"bundled {card['name']} {card['version']} in {target}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
