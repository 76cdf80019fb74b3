"""Take one member's weights out of an ensemble (expression, or detector with --model), as a run's start or a member.

Usage: python scripts/ensemble_member.py [--model src/facetrust/weights/emotion]
           --member facetrust-emotion-mobilenet-v2-96 --out runs/emotion-member.safetensors | runs/member-folder
The ensemble stores its members under `members.<k>.model.`; the member is named as its card lists it. Prints the
member's architecture and options, which the new run must use for the weights to fit. An --out without the
.safetensors suffix becomes a model folder (weights and a card with the member's architecture, input and
temperature as the ensemble recorded them), which `facetrust emotion ensemble --model` (or, for a detector,
`scripts/pair_detectors.py --model`) takes as a member again.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from safetensors.torch import save_file

from facetrust.bundled import default_emotion_model_path
from facetrust.models.card import ModelCard, read_card, write_card
from facetrust.models.checkpoint import WEIGHTS_FILE, read_weights, state_of
from facetrust.models.preprocess import Preprocess


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=default_emotion_model_path())
    parser.add_argument("--member", required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    ensemble = read_card(args.model, ModelCard)
    members = ensemble.architecture_options["members"]
    names = [member["name"] for member in members]
    if args.member not in names:
        raise SystemExit(f"{args.model}: no member {args.member!r}; members: {', '.join(names)}")
    prefix = f"members.{names.index(args.member)}.model."
    weights = state_of(read_weights(args.model))
    member = members[names.index(args.member)]
    folder = args.out.suffix != ".safetensors"
    target = args.out / WEIGHTS_FILE if folder else args.out
    target.parent.mkdir(parents=True, exist_ok=True)
    save_file({key[len(prefix):]: tensor.contiguous() for key, tensor in weights.items() if key.startswith(prefix)},
              str(target))
    if folder:
        # a detector pair records each member's own version (scripts/pair_detectors.py); an expression ensemble does not
        recorded = (ensemble.training.get("ensemble") or {}).get("members", [])
        version = recorded[names.index(args.member)]["version"] if len(recorded) == len(names) else ensemble.version
        write_card(args.out, ensemble.model_copy(update={
            "name": member["name"], "version": version, "architecture": member["architecture"],
            "architecture_options": member["options"], "preprocess": Preprocess.from_dict(member["preprocess"]),
            "temperature": member["temperature"], "tta": None, "metrics": {},
            "training": {"member_of": {"name": ensemble.name, "version": ensemble.version}}}))
    print(f"wrote {target}: {member['architecture']} {member['options']}")


if __name__ == "__main__":
    main()
