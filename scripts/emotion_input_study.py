"""Where the expression model's drop beyond FER-2013 comes from (issue 28 step 1): one input-path change at a time.

Usage: python scripts/emotion_input_study.py [--model DIR] [--data ../shared/data/emotion]
The bundled expression model (nothing retrained) scores FER-2013's public_test (its selection split: the one
that may choose a framing), CK+ (48 px grey lab crops) and the SD 1.5 faces (256 px colour) with its crops made
different ways: the folder's images as they are, the face found and aligned by MTCNN
at several margins, then (on the default path for each set) grey instead of colour, a 48 px round trip, and
histogram equalisation. Accuracy over the classes the model knows; CK+'s contempt is not scored. Nothing here
is chosen on these sets: the table says which change moves accuracy before anything is retrained.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from facetrust.bundled import default_emotion_model_path
from facetrust.emotion.data import clean, discover_emotions
from facetrust.faces.align import align_face
from facetrust.faces.detectors import FaceDetector, create_detector
from facetrust.faces.types import Face
from facetrust.models.checkpoint import LoadedModel, load_model

MARGINS = (-0.5, -0.4, -0.3, -0.2, -0.1, 0.0, 0.15, 0.3, 0.5)  # below 0: tighter than the aligned face square


def grey(crop: np.ndarray) -> np.ndarray:
    return np.repeat(cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)[..., None], 3, axis=2)


def low_resolution(crop: np.ndarray) -> np.ndarray:
    """FER-2013's own resolution: 48 px, then back up to the crop's size."""
    small = cv2.resize(crop, (48, 48), interpolation=cv2.INTER_AREA)
    return cv2.resize(small, crop.shape[1::-1], interpolation=cv2.INTER_LINEAR)


def equalised(crop: np.ndarray) -> np.ndarray:
    """Histogram equalisation of the brightness only, colours kept."""
    ycrcb = cv2.cvtColor(crop, cv2.COLOR_RGB2YCrCb)
    ycrcb[..., 0] = cv2.equalizeHist(ycrcb[..., 0])
    return cv2.cvtColor(ycrcb, cv2.COLOR_YCrCb2RGB)


def largest_faces(samples: list, detector: FaceDetector) -> list[tuple[np.ndarray, Face | None]]:
    """Each sample's image and its largest face (None if none is found), found once for every margin."""
    found = []
    for sample in samples:
        image = sample.image()
        faces = detector.detect(image)
        found.append((image, faces[0] if faces else None))
    return found


def crops_of(found: list[tuple[np.ndarray, Face | None]], margin: float | None,
             size: int) -> tuple[list[np.ndarray], list[int]]:
    """One crop per sample (the image itself when `margin` is None, else the aligned face at that margin) and
    the indices of the samples that have one."""
    crops, kept = [], []
    for index, (image, face) in enumerate(found):
        if margin is None or face is not None:
            crops.append(image if margin is None else align_face(image, face, size, margin))
            kept.append(index)
    return crops, kept


def accuracy(model: LoadedModel, crops: list[np.ndarray], labels: np.ndarray) -> float:
    return float((model.logits(crops).argmax(axis=1) == labels).mean()) if crops else float("nan")


def study(model: LoadedModel, name: str, folder: Path, default_margin: float | None) -> list[str]:
    """Rows of the table for one set; `default_margin` None means the folder's images are the default path."""
    classes = model.card.classes
    samples, _report = clean(discover_emotions(folder))
    samples = [s for s in samples if s.label in classes]
    labels = np.array([classes.index(s.label) for s in samples])
    rows, default = [], None
    found = largest_faces(samples, create_detector("mtcnn"))
    for margin in (None, *MARGINS):
        crops, kept = crops_of(found, margin, model.card.faces.size)
        label = "images as they are" if margin is None else f"MTCNN, aligned, margin {margin}"
        score = accuracy(model, crops, labels[kept])
        rows.append(f"| {name} | {label} | {len(crops)} of {len(samples)} | {score:.3f} |")
        if margin == default_margin:
            default = (crops, labels[kept], label)
    crops, kept_labels, label = default
    for change_name, change in (("grey", grey), ("48 px round trip", low_resolution),
                                ("histogram equalisation", equalised)):
        score = accuracy(model, [change(c) for c in crops], kept_labels)
        rows.append(f"| {name} | {label}, then {change_name} | {len(crops)} | {score:.3f} |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=default_emotion_model_path())
    parser.add_argument("--data", type=Path, default=Path("../shared/data/emotion"))
    args = parser.parse_args()
    model = load_model(args.model)
    print("| set | crop | faces scored | accuracy |\n|---|---|---:|---:|")
    for name, folder, default_margin in (("FER-2013 public_test (selection split)", args.data / "fer2013/public_test",
                                          None),
                                         ("CK+", args.data / "ckplus", None),
                                         ("SD 1.5 faces", args.data / "ai_sd15", 0.0)):
        for row in study(model, name, folder, default_margin):
            print(row, flush=True)


if __name__ == "__main__":
    main()
