"""Should onnxruntime's idle threads spin-wait? The pre-cropped scan with and without, in alternating order.

Usage: python bench/spin_wait.py [--data ../shared/data/faces/k140/test] [--rounds 6]

Whichever setting runs second in a pair tends to run faster (warm caches), so the order alternates every round
(ABBA...) and the medians are compared. Also printed: the network alone (the session on tensors already made,
`scan_speed.network_rate`) and each setting's median scan rate as a share of it: issue 27 asks the pre-cropped
scan to reach 0.9x the network's own throughput.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe_cpu
from scan_speed import facetrust_scan, network_rate, on_onnxruntime, spinning

from facetrust.bundled import default_model_path
from facetrust.detection import Scanner
from facetrust.media.files import media_files
from facetrust.models.checkpoint import load_model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path,
                        default=Path(__file__).resolve().parents[2] / "shared/data/faces/k140/test")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(describe_cpu())
    paths = media_files(args.data)
    crops = [cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB) for path in paths]
    model = load_model(default_model_path())
    if not on_onnxruntime(model):
        raise SystemExit(f"{model.name} does not run on onnxruntime here (is it installed?): nothing to compare")
    rates: dict[str, list[float]] = {"spin-waiting": [], "not spin-waiting": [], "network alone": []}
    print(f"{len(paths)} pre-cropped inputs from {args.data}, {args.rounds} rounds\n")
    for round_ in range(args.rounds):
        order = (True, False) if round_ % 2 == 0 else (False, True)
        for spin in order:
            seconds, _ = facetrust_scan(Scanner(spinning(model, spin), face_mode="whole"), paths, args.workers, 32)
            rates["spin-waiting" if spin else "not spin-waiting"].append(len(paths) / seconds)
        rates["network alone"].append(network_rate(model, crops))  # the default session: not spinning
        print(f"round {round_ + 1}: " + ", ".join(f"{name} {values[-1]:.1f}/s" for name, values in rates.items()),
              flush=True)
    network = float(np.median(rates["network alone"]))
    print("\n| setting | median inputs/s | share of the network alone |\n|---|---:|---:|")
    for name, values in rates.items():
        print(f"| {name} | {np.median(values):.1f} | {np.median(values) / network:.2f}x |")
    faster = sum(a > b for a, b in zip(rates["not spin-waiting"], rates["spin-waiting"], strict=True))
    print(f"\nnot spin-waiting faster in {faster} of {args.rounds} rounds")


if __name__ == "__main__":
    main()
