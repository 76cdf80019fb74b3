"""Take one member's weights out of an expression ensemble, as the start of a new run (`init_weights`).

Usage: python scripts/ensemble_member.py [--model src/facetrust/weights/emotion]
           --member facetrust-emotion-mobilenet-v2-96 --out runs/emotion-member.safetensors
The ensemble stores its members under `members.<k>.model.`; the member is named as its card lists it. Prints the
member's architecture and options, which the new run must use for the weights to fit.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from safetensors.torch import load_file, save_file

from facetrust.bundled import default_emotion_model_path
from facetrust.models.card import ModelCard, read_card


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=default_emotion_model_path())
    parser.add_argument("--member", required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    members = read_card(args.model, ModelCard).architecture_options["members"]
    names = [member["name"] for member in members]
    if args.member not in names:
        raise SystemExit(f"{args.model}: no member {args.member!r}; members: {', '.join(names)}")
    prefix = f"members.{names.index(args.member)}.model."
    weights = load_file(str(args.model / "model.safetensors"))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    save_file({key[len(prefix):]: tensor.contiguous() for key, tensor in weights.items() if key.startswith(prefix)},
              str(args.out))
    member = members[names.index(args.member)]
    print(f"wrote {args.out}: {member['architecture']} {member['options']}")


if __name__ == "__main__":
    main()
