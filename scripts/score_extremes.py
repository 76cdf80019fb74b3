"""Draw a detector's worst mistakes on one set: the fakes it scored lowest and the real faces it scored highest.

Usage: python scripts/score_extremes.py SCORES_CSV OUT.png [--n 10] [--threshold T] [--title NAME]
SCORES_CSV is the scores.csv that `facetrust evaluate --out` (and so `scripts/measure_detector.py`) writes (path,
label, p_fake). Looking at the mistakes is how a pattern behind them (dark faces, profiles, soft video) is found.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

from PIL import Image, ImageDraw

TILE = 112  # pixels per face
CAPTION = 18  # pixels of text above each row and under each face


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scores", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--n", type=int, default=10)
    parser.add_argument("--threshold", type=float, help="the model's threshold, printed in the caption")
    parser.add_argument("--title", default=None, help="the set's name in the captions (default: the folder's)")
    args = parser.parse_args()
    with args.scores.open(newline="") as handle:
        rows = [(Path(r["path"]), int(r["label"]), float(r["p_fake"])) for r in csv.DictReader(handle)]
    name = args.title or args.scores.parent.name
    at = f" (threshold {args.threshold:.2f})" if args.threshold is not None else ""
    shown = [(f"{name}: fakes scored lowest (missed fakes), P(fake)",
              sorted((r for r in rows if r[1] == 1), key=lambda r: r[2])[:args.n]),
             (f"{name}: real faces scored highest{at}, P(fake)",
              sorted((r for r in rows if r[1] == 0), key=lambda r: -r[2])[:args.n])]
    row_height = CAPTION + TILE + CAPTION
    sheet = Image.new("RGB", (TILE * args.n, row_height * len(shown)), "white")
    draw = ImageDraw.Draw(sheet)
    for k, (caption, faces) in enumerate(shown):
        top = k * row_height
        draw.text((4, top + 3), caption, fill="black")
        for i, (path, _label, p_fake) in enumerate(faces):
            with Image.open(path) as face:
                sheet.paste(face.convert("RGB").resize((TILE, TILE)), (i * TILE, top + CAPTION))
            draw.text((i * TILE + 3, top + CAPTION + TILE + 1), f"{p_fake:.2f}", fill="black")
    sheet.quantize(256, method=Image.Quantize.MEDIANCUT).save(args.out, optimize=True)
    print(f"wrote {args.out}: {len(shown[0][1])} fakes, {len(shown[1][1])} real faces")


if __name__ == "__main__":
    main()
