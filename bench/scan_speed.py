"""Scan throughput: a naive per-image PyTorch pipeline against facetrust's, in one run on the same files.

Usage: python bench/scan_speed.py [--data ../shared/data/faces/k140/test] [--limit N] [--workers 2]

naive:      one input at a time: decode, find faces, classify each face alone with PyTorch eager
            (batch of 1, as the reference reports ran their models).
facetrust:  `scan_many`: decoding and face finding on worker threads, faces classified in batches on
            the default backend (onnxruntime when installed).
Also printed: facetrust's per-stage milliseconds per input, classification-only throughput on face
crops already in memory (both backends), and the process's peak resident memory.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import numpy as np

from facetrust.api import find_faces
from facetrust.detection import Scanner, default_model_path
from facetrust.detection.batch import scan_many
from facetrust.media.files import media_files
from facetrust.models.checkpoint import LoadedModel, load_model


def naive(model: LoadedModel, paths: list[Path]) -> tuple[float, list[np.ndarray]]:
    finder = model.face_finder(all_faces=True)
    crops = []
    started = time.perf_counter()
    for path in paths:
        for frame in find_faces(path, finder).frames:
            for face in frame.faces:
                model.p_fake([face.crop])
                crops.append(face.crop)
    return time.perf_counter() - started, crops


def classify_rate(model: LoadedModel, crops: list[np.ndarray], batch: int = 64) -> float:
    model.p_fake(crops[:batch])  # warm-up
    started = time.perf_counter()
    for start in range(0, len(crops), batch):
        model.p_fake(crops[start:start + batch])
    return len(crops) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path,
                        default=Path(__file__).resolve().parents[2] / "shared/data/faces/k140/test")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()
    paths = media_files(args.data)[: args.limit]
    eager = load_model(default_model_path(), backend="torch")
    scanner = Scanner(frames=4)
    scanner.scan(paths[0])
    naive_seconds, crops = naive(eager, paths)
    started = time.perf_counter()
    outcomes = list(scan_many(scanner, paths, workers=args.workers, batch_size=args.batch_size))
    fast_seconds = time.perf_counter() - started
    stages = {key: np.mean([o.timings_ms[key] for o in outcomes if hasattr(o, "timings_ms")])
              for key in ("decode", "detect", "align", "classify")}
    print(f"{len(paths)} inputs from {args.data}, {len(crops)} faces; backend {scanner.model.backend}")
    print("| pipeline | seconds | inputs/s | ratio |\n|---|---:|---:|---:|")
    print(f"| naive (per image, PyTorch eager, batch 1) | {naive_seconds:.1f} | "
          f"{len(paths) / naive_seconds:.1f} | 1.00x |")
    print(f"| facetrust scan_many ({args.workers} workers, batch {args.batch_size}) | {fast_seconds:.1f} | "
          f"{len(paths) / fast_seconds:.1f} | {naive_seconds / fast_seconds:.2f}x |")
    print("stage ms per input (facetrust, summed over worker threads): "
          + ", ".join(f"{k} {v:.1f}" for k, v in stages.items()))
    torch_rate, fast_rate = classify_rate(eager, crops), classify_rate(scanner.model, crops)
    print(f"classification only, {len(crops)} crops in memory, with the card's flip TTA: PyTorch eager "
          f"{torch_rate:.1f} crops/s, {scanner.model.backend} {fast_rate:.1f} crops/s ({fast_rate / torch_rate:.2f}x)")
    print(f"peak resident memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
