"""Draw self-blended samples next to their originals and masks (docs/images/sbi_grid.png).

Usage: python scripts/sbi_grid.py REAL_FACES_DIR OUT.png [--count 6] [--seed 0] [--masks face|face_and_parts|parts]
                                [--donors]
With --donors each blend pastes from the other drawn face closest in pose (a recipe's `self_blend_donors`).
The faces are cropped exactly as the generalising detector's training crops are (MTCNN, detect, 256 px, margin 0.3).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from facetrust.data.datasets import Sample
from facetrust.data.face_crops import crop_samples
from facetrust.data.sbi import PART_SHARE, Donor, closest_donor, self_blend
from facetrust.faces import FaceFinder
from facetrust.faces.landmarks import crop_shape_68
from facetrust.media.files import media_files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("faces", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--count", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--masks", choices=("face", "face_and_parts", "parts"), default="face",
                        help="a recipe's self_blend_masks, or 'parts' for part blends only (seeds that draw them)")
    parser.add_argument("--donors", action="store_true", help="paste from another of the faces, not the face itself")
    args = parser.parse_args()
    files = sorted(media_files(args.faces))[:args.count]
    finder = FaceFinder("mtcnn", mode="detect", size=256, margin=0.3, all_faces=False)
    crops = crop_samples([Sample(path, 0) for path in files], finder, progress=False).crops
    faces = [Donor(crop, crop_shape_68(crop, 0.3)) for crop in crops]
    figure, axes = plt.subplots(3, len(crops), figsize=(2.2 * len(crops), 6.8), squeeze=False)
    for column, face in enumerate(faces):
        crop, points = face.face, face.points
        donor = closest_donor(points, faces[:column] + faces[column + 1:]) if args.donors else None
        blend = self_blend(crop, points, _seed(args, column), "all", _mode(args.masks), donor)
        axes[0, column].imshow(crop)
        axes[0, column].plot(points[:, 0], points[:, 1], ".", markersize=2, color="lime")
        axes[1, column].imshow(blend.mask, cmap="gray", vmin=0, vmax=1)
        axes[2, column].imshow(blend.image)
        for row in range(3):
            axes[row, column].axis("off")
    fake = "blended from the closest other face" if args.donors else "self-blended fake"
    for row, title in enumerate(("real crop + 68 landmarks", "blend mask", fake)):
        axes[row, 0].set_title(title, loc="left", fontsize=9)
    figure.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(args.out, dpi=110)


def _mode(masks: str) -> str:
    return "face" if masks == "face" else "face_and_parts"


def _seed(args: argparse.Namespace, column: int) -> np.random.Generator:
    """The column's generator; with `parts`, the first of its seeds whose first draw picks a part blend."""
    offset = 0
    while args.masks == "parts" and np.random.default_rng([args.seed, column, offset]).random() >= PART_SHARE:
        offset += 1
    return np.random.default_rng([args.seed, column, offset] if args.masks == "parts" else [args.seed, column])


if __name__ == "__main__":
    main()
