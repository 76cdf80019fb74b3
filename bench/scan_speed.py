"""Scan throughput: a naive per-image PyTorch pipeline against facetrust's, in one run on the same files.

Usage: python bench/scan_speed.py [--data ../shared/data/faces/k140/test] [--limit N] [--workers 2]
                                  [--model DIR (default: the bundled detector)]

Three settings, each timed against the same naive baseline on the same inputs:
  pre-cropped  the inputs are face crops (as k140 is): no face detector runs (`scan --face-mode whole`);
  detect       the model's own crop mode and face finder (MTCNN);
  cascade      the same with the BlazeFace-then-MTCNN cascade as face finder (`scan --detector cascade`),
               against the naive MTCNN pipeline (issue 27's baseline).
naive:      one input at a time: decode, crop, classify each face alone with PyTorch eager
            (batch of 1, as the reference reports ran their models), MTCNN's networks on PyTorch too.
facetrust:  `scan_many`: decoding and face finding on worker threads, faces classified in batches on
            the default backend (onnxruntime when installed); once more with onnxruntime's idle threads
            not spin-waiting (they otherwise compete with the face workers for the two cores).
Also printed: per-stage milliseconds per input, classification-only throughput on face crops already
in memory (both backends), and the process's peak resident memory.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe_cpu

from facetrust.batch.local import scan_many
from facetrust.bundled import default_model_path
from facetrust.detection import Scanner
from facetrust.faces import CropMode
from facetrust.faces.detectors.mtcnn import MTCNNDetector
from facetrust.faces.detectors.mtcnn_nets import load_nets
from facetrust.faces.stage import find_faces
from facetrust.media.files import media_files
from facetrust.models.checkpoint import LoadedModel, load_model
from facetrust.models.onnx_backend import OnnxModule


def naive(eager: LoadedModel, paths: list[Path], mode: CropMode | None) -> tuple[float, list[np.ndarray]]:
    finder = eager.face_finder(all_faces=True, mode=mode)
    if isinstance(finder.detector, MTCNNDetector):
        finder.detector.nets = load_nets(prefer_onnx=False)  # issue 27's baseline: MTCNN on PyTorch
    crops = []
    started = time.perf_counter()
    for path in paths:
        for frame in find_faces(path, finder).frames:
            for face in frame.faces:
                eager.p_fake([face.crop])
                crops.append(face.crop)
    return time.perf_counter() - started, crops


def facetrust_scan(scanner: Scanner, paths: list[Path], workers: int, batch_size: int) -> tuple[float, dict]:
    scanner.scan(paths[0])  # warm-up: model, detector and backend loaded
    started = time.perf_counter()
    outcomes = list(scan_many(scanner, paths, workers=workers, batch_size=batch_size))
    seconds = time.perf_counter() - started
    stages = {key: float(np.mean([o.timings_ms.get(key, 0.0) for o in outcomes if hasattr(o, "timings_ms")]))
              for key in ("decode", "detect", "align", "classify")}
    return seconds, stages


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
    parser.add_argument("--model", type=Path, default=default_model_path())
    args = parser.parse_args()
    print(describe_cpu())
    paths = media_files(args.data)[: args.limit]
    eager = load_model(args.model, backend="torch")
    print(f"{len(paths)} inputs from {args.data}, model {eager.name} ({eager.card.architecture}, "
          f"{eager.preprocess.size} px)")
    print("| setting | pipeline | seconds | inputs/s | ratio |\n|---|---|---:|---:|---:|")
    crops: list[np.ndarray] = []
    for label, mode, detector in (("pre-cropped", "whole", None), ("detect", None, None),
                                  ("cascade", None, "cascade")):
        scanner = Scanner(args.model, face_mode=mode, frames=4, detector=detector)
        if detector is None:  # the cascade is compared with the naive MTCNN pipeline of the row before
            naive_seconds, crops = naive(eager, paths, mode)
        fast_seconds, stages = facetrust_scan(scanner, paths, args.workers, args.batch_size)
        print(f"| {label} | naive (per image, PyTorch eager, batch 1) | {naive_seconds:.1f} | "
              f"{len(paths) / naive_seconds:.1f} | 1.00x |")
        print(f"| {label} | facetrust scan_many ({args.workers} workers, batch {args.batch_size}, "
              f"{scanner.model.backend}) | {fast_seconds:.1f} | {len(paths) / fast_seconds:.1f} | "
              f"{naive_seconds / fast_seconds:.2f}x |")
        print("|   | stage ms per input (summed over worker threads): "
              + ", ".join(f"{k} {v:.1f}" for k, v in stages.items()) + " | | | |")
        if scanner.model.runner is not None:  # idle onnxruntime threads yield the cores to the face workers
            quiet = replace(scanner.model, runner=OnnxModule(scanner.model.runner.path, spin=False))
            quiet_seconds, _ = facetrust_scan(Scanner(quiet, face_mode=mode, frames=4, detector=detector), paths,
                                              args.workers, args.batch_size)
            print(f"| {label} | the same, onnxruntime threads not spin-waiting | {quiet_seconds:.1f} | "
                  f"{len(paths) / quiet_seconds:.1f} | {naive_seconds / quiet_seconds:.2f}x |")
    fast = load_model(args.model)
    torch_rate, fast_rate = classify_rate(eager, crops), classify_rate(fast, crops)
    print(f"classification only, {len(crops)} crops in memory (TTA: {fast.tta}): PyTorch eager "
          f"{torch_rate:.1f} crops/s, {fast.backend} {fast_rate:.1f} crops/s ({fast_rate / torch_rate:.2f}x)")
    print(f"peak resident memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
