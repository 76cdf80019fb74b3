"""Draw what a boundary head learnt (docs/DETECTOR.md, "Candidate X"): validation self-blends with the seam that made
them and the seam the head predicts, then real validation faces and Yonsei Photoshop composites (never trained on)
with the predicted seam alone.

Usage: python scripts/seam_maps.py --config configs/detector-general-x.yaml --run runs/detector-general-x
                                   --out runs/seam_maps.png
The head is trained beside the network and never shipped; it is kept with the network's last epoch in the run's
`last.pt`, so both are read from there (not the EMA weights the shipped model holds).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from PIL import Image

from facetrust.faces.landmarks import crop_shape_68
from facetrust.models import create_model
from facetrust.models.inference import batch_of
from facetrust.training import read_config
from facetrust.training.boundary import BoundaryHead, seam
from facetrust.training.recipe import face_crop, preprocess_of
from facetrust.training.trainer import blended_crop, validation_faces

SHOWN = 4


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--run", type=Path, required=True)
    parser.add_argument("--composites", type=Path, default=Path("../shared/data/faces/yonsei/fake"))
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    config = read_config(args.config)
    preprocess = preprocess_of(config)
    saved = torch.load(args.run / "last.pt", map_location="cpu", weights_only=True)
    model = create_model(config.model, pretrained=False, channels=3, size=preprocess.size)
    model.load_state_dict(saved["model"])
    head = BoundaryHead(model).attach()
    head.load_state_dict(saved["beside"])
    model.eval()

    def predicted(crops: list[np.ndarray]) -> np.ndarray:
        with torch.no_grad():
            model(batch_of(preprocess, crops))
            return torch.sigmoid(head()).numpy()

    val = validation_faces(config)
    reals = [val.crops[i] for i in np.flatnonzero(val.labels == 0)[:: max(1, int((val.labels == 0).sum()) // SHOWN)]]
    reals = reals[:SHOWN]
    blends = [blended_crop(crop, crop_shape_68(crop, config.margin), np.random.default_rng([5, k]),
                           config.self_blend_cues, config.self_blend_masks) for k, crop in enumerate(reals)]
    finder = face_crop(config).finder(all_faces=False)
    composites = []
    for path in sorted(args.composites.glob("*.jpg"))[::30][:SHOWN]:
        found = finder.find(np.asarray(Image.open(path).convert("RGB")))
        if found:
            composites.append((path.stem, found[0].crop))
    rows = [("self-blend", [b.image for b in blends], [seam(b.mask) for b in blends]),
            ("real (validation)", reals, None),
            ("Yonsei composite", [c for _, c in composites], None)]
    figure, axes = plt.subplots(2 * len(rows) + 1, SHOWN, figsize=(2.2 * SHOWN, 2.2 * (2 * len(rows) + 1)))
    for ax in axes.flat:
        ax.axis("off")
    line = 0
    for title, crops, truths in rows:
        maps = predicted(crops)
        for k, crop in enumerate(crops):
            axes[line, k].imshow(crop)
            axes[line, k].set_title(title if k == 0 else "", fontsize=8, loc="left")
            axes[line + 1, k].imshow(maps[k], cmap="magma", vmin=0, vmax=1)
            axes[line + 1, k].set_title(f"predicted seam, max {maps[k].max():.2f}", fontsize=7)
        line += 2
        if truths:
            for k, truth in enumerate(truths):
                axes[line, k].imshow(truth, cmap="magma", vmin=0, vmax=1)
                axes[line, k].set_title("true seam 4m(1-m)", fontsize=7)
            line += 1
    figure.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(args.out, dpi=80)
    print(f"wrote {args.out}; composites: {', '.join(name for name, _ in composites)}")


if __name__ == "__main__":
    main()
