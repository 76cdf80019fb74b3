"""Copy a detector folder with its cards' face finder changed (a routed model's branches too).

Why: the bundled detector's cards name the `cascade` finder (issue 27), which finds MTCNN's faces faster, while the
recipes train, select and calibrate on `mtcnn` crops, and the pairing and routing scripts refuse a model whose card
crops otherwise (training.recipe.check_same_crops). A member or branch taken out of the bundled detector is set back
to the recipe's finder with this before it is paired or routed again (docs/DETECTOR.md, candidates X and Y).

Usage: python scripts/with_face_finder.py --model src/facetrust/weights/detector/soft --detector mtcnn
           --out runs/detector-soft-mtcnn
--out may be --model itself (the cards are rewritten in place).
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from facetrust.faces.face_crop import FaceCrop
from facetrust.models.card import CARD_FILE, ModelCard, read_card, write_card


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True, help="a detector folder (plain, pair or routed)")
    parser.add_argument("--detector", required=True, help="the face finder the copy's cards name, e.g. mtcnn")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    read_card(args.model, ModelCard)  # a folder that is not a detector is refused before anything is copied
    if args.out.resolve() != args.model.resolve():
        shutil.copytree(args.model, args.out, dirs_exist_ok=True)
    for card_path in sorted(args.out.rglob(CARD_FILE)):
        card = read_card(card_path.parent, ModelCard)
        faces = FaceCrop(**{**card.faces.model_dump(), "detector": args.detector})
        write_card(card_path.parent, card.model_copy(update={"faces": faces}))
        print(f"{card_path}: faces from {card.faces.detector} to {faces.detector}")


if __name__ == "__main__":
    main()
