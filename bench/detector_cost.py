"""Per-crop inference cost of one image model against another, as a ratio measured in one run on the same photos.

Usage: python bench/detector_cost.py --baseline DIR --candidate DIR [--data ../shared/data/faces/k140/test]
                                     [--crops 128] [--repeats 5] [--agree] [--config RECIPE]
Each model scores the faces of the same photos, cropped as its card says and already in memory (face finding is
not part of the cost), with its own card's settings (input size, flip averaging), on both backends; the two models
take turns, and the median of the repeats is reported, so a busy machine slows both alike. Detectors or expression
models alike: issue 23's goal is a detector at most 1.5x the previous one; issue 28's an expression model no dearer
than the bundled ensemble (`--baseline src/facetrust/weights/emotion --candidate DIR`). With `--agree` the candidate
(a routed detector) also asks its soft branch about each face it would call fake, as `scan --agree` does, so its cost
depends on how many faces are accused: `--config` takes the crops from that recipe's validation faces (an evenly
spaced sample of both classes, every source) instead of `--data`, the mix the option was measured on.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe_cpu

from facetrust.detection.decision import DecisionRule
from facetrust.faces.stage import find_faces
from facetrust.media.files import media_files
from facetrust.models.checkpoint import LoadedModel, load_model
from facetrust.models.inference import sigmoid


def crops_from(model: LoadedModel, data: Path, count: int) -> list[np.ndarray]:
    finder = model.face_finder(all_faces=False)
    crops = []
    for path in sorted(media_files(data)):
        faces = find_faces(path, finder).frames[0].faces
        crops.extend(face.crop for face in faces[:1])
        if len(crops) == count:
            break
    return crops


def validation_crops(recipe: Path, count: int) -> list[np.ndarray]:
    """An evenly spaced sample of a recipe's validation faces (self-blends left out), already cropped."""
    from facetrust.training import read_config
    from facetrust.training.trainer import validation_faces

    crops = validation_faces(read_config(recipe)).crops
    return [crops[i] for i in np.linspace(0, len(crops) - 1, count).round().astype(int)]


def per_crop_ms(model: LoadedModel, crops: list[np.ndarray], agree: bool = False) -> float:
    started = time.perf_counter()
    logits = model.logits(crops)
    if agree:
        model.second_opinions(crops, DecisionRule.of_faces(model.card).accuses(sigmoid(logits, model.card.temperature)))
    return 1000 * (time.perf_counter() - started) / len(crops)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, required=True)
    parser.add_argument("--candidate", type=Path, required=True)
    parser.add_argument("--data", type=Path, default=Path("../shared/data/faces/k140/test"))
    parser.add_argument("--crops", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--agree", action="store_true", help="the candidate asks its soft branch about each face it "
                        "would call fake (scan --agree)")
    parser.add_argument("--config", type=Path, help="crops from this recipe's validation faces instead of --data")
    args = parser.parse_args()
    print(describe_cpu())
    print("| backend | baseline ms/crop | candidate ms/crop | candidate / baseline |")
    print("|---|---:|---:|---:|")
    for backend in ("torch", "onnxruntime"):
        models = {name: load_model(folder, backend=backend)
                  for name, folder in (("baseline", args.baseline), ("candidate", args.candidate))}
        crops = ({name: validation_crops(args.config, args.crops) for name in models} if args.config else
                 {name: crops_from(model, args.data, args.crops) for name, model in models.items()})
        agree = {"baseline": False, "candidate": args.agree}
        times: dict[str, list[float]] = {name: [] for name in models}
        for name, model in models.items():
            per_crop_ms(model, crops[name][:16], agree[name])  # warm-up
        for _ in range(args.repeats):
            for name, model in models.items():
                times[name].append(per_crop_ms(model, crops[name], agree[name]))
        base, cand = (statistics.median(times[name]) for name in ("baseline", "candidate"))
        print(f"| {backend} | {base:.2f} | {cand:.2f} | {cand / base:.2f} |")


if __name__ == "__main__":
    main()
