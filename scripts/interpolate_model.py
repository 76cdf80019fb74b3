"""Write a model whose weights lie between a starting model and one fine-tuned from it (WiSE-FT).

Usage: python scripts/interpolate_model.py BASE TUNED --alpha A --out DIR
Weights (1 - A) x BASE + A x TUNED (`facetrust.models.weights_io.interpolate`); the card is TUNED's (crop, input,
threshold and temperature, not re-fitted: ROC-AUCs do not depend on them), renamed, with both parents and A recorded
under `training.interpolated`. The two must be one architecture with the same input and face crop
(docs/VIDEO.md, "Weight interpolation").
"""

from __future__ import annotations

import argparse
import hashlib
from datetime import UTC, datetime
from pathlib import Path

from safetensors.torch import save_file

from facetrust.models.card import CARD_FILE, ModelCard, network_difference, read_card, write_card
from facetrust.models.checkpoint import WEIGHTS_FILE
from facetrust.models.weights_io import interpolate, load_state_dict


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", type=Path)
    parser.add_argument("tuned", type=Path)
    parser.add_argument("--alpha", type=float, required=True, help="0: BASE, 1: TUNED")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    base, tuned = read_card(args.base, ModelCard), read_card(args.tuned, ModelCard)
    if field := network_difference(base, tuned):
        raise SystemExit(f"{args.base} and {args.tuned} differ in {field}: not one model to interpolate")
    try:
        weights = interpolate(load_state_dict(args.base / WEIGHTS_FILE), load_state_dict(args.tuned / WEIGHTS_FILE),
                              args.alpha)
    except ValueError as exc:
        raise SystemExit(f"{args.base}, {args.tuned}: {exc}") from None
    args.out.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in weights.items()}, str(args.out / WEIGHTS_FILE))
    parents = {name: {"name": card.name, "version": card.version, "path": str(folder),
                      "sha256": hashlib.sha256((folder / WEIGHTS_FILE).read_bytes()).hexdigest()}
               for name, card, folder in (("base", base, args.base), ("tuned", tuned, args.tuned))}
    card = tuned.model_copy(update={
        "name": f"{tuned.name}-wise{args.alpha:g}", "version": datetime.now(UTC).strftime("%Y%m%d-%H%M%S"),
        "training": {**tuned.training, "interpolated": {"alpha": args.alpha, **parents}}})
    write_card(args.out, card)
    print(f"wrote {args.out / WEIGHTS_FILE} and {args.out / CARD_FILE}: {card.name}")


if __name__ == "__main__":
    main()
