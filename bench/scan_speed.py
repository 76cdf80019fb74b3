"""Scan throughput: a naive per-image PyTorch pipeline against facetrust's, in one run on the same files.

Usage: python bench/scan_speed.py [--data ../shared/data/faces/k140/test] [--limit N] [--workers 2]
                                  [--model DIR (default: the bundled detector)]

Three settings, each timed against the same naive baseline on the same inputs:
  pre-cropped  the inputs are face crops (as k140 is): no face detector runs (`scan --face-mode whole`);
  detect       the model's own crop mode and face finder (the bundled detector's: the BlazeFace-then-MTCNN
               cascade, since 2026-12-05);
  mtcnn        the same with the whole of MTCNN as face finder (`scan --detector mtcnn`), the default before.
naive:      one input at a time: decode, crop, classify each face alone with PyTorch eager
            (batch of 1, as the reference reports ran their models), faces found by the whole of MTCNN with its
            networks on PyTorch (issue 27's baseline, whatever face finder the model names). It runs
            in a child process: PyTorch's OpenMP threads keep spin-waiting after eager work and would take the
            cores from whatever is timed next in the same process (a scan never runs eager PyTorch).
facetrust:  `scan_many`: decoding and face finding on worker threads, faces classified in batches on
            the default backend (onnxruntime when installed, its idle threads not spin-waiting); once more with
            them spin-waiting, as before 2026-12-04 (they then compete with the face workers for the cores).
Each pipeline runs `--rounds` times (3), the pipelines taking turns, and the table gives median seconds: single
passes of the naive pipeline varied by 30% between runs on the same machine. Also printed: per-stage milliseconds
per input, classification-only throughput on face crops already
in memory (both backends), the network alone (the onnxruntime session on tensors already made, with the card's
test-time views) and the pre-cropped scan as a share of it (issue 27 asks at least 0.9x), and the process's
peak resident memory.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor
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
from facetrust.models.inference import numpy_forward, tta_views
from facetrust.models.onnx_runner import OnnxRunner
from facetrust.models.routed import RoutedModel


def naive(model_path: Path, paths: list[Path], mode: CropMode | None) -> tuple[float, list[np.ndarray]]:
    eager = load_model(model_path, backend="torch")
    finder = eager.face_finder(all_faces=True, mode=mode, detector="mtcnn")
    assert isinstance(finder.detector, MTCNNDetector)
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
    if failed := [outcome for outcome in outcomes if isinstance(outcome, Exception)]:
        raise SystemExit(f"{len(failed)} of {len(paths)} scans failed, so their time means nothing; the first: "
                         f"{failed[0]}")
    stages = {key: float(np.mean([o.timings_ms.get(key, 0.0) for o in outcomes]))
              for key in ("decode", "detect", "align", "classify")}
    return seconds, stages


def classify_rate(model: LoadedModel, crops: list[np.ndarray], batch: int = 64) -> float:
    model.p_fake(crops[:batch])  # warm-up
    started = time.perf_counter()
    for start in range(0, len(crops), batch):
        model.p_fake(crops[start:start + batch])
    return len(crops) / (time.perf_counter() - started)


def on_onnxruntime(model: LoadedModel) -> bool:
    """Whether every network of the model runs on onnxruntime (both branches of a routed model)."""
    if isinstance(model, RoutedModel):
        return on_onnxruntime(model.sharp) and on_onnxruntime(model.soft)
    return model.runner is not None


def spinning(model: LoadedModel, spin: bool) -> LoadedModel:
    """The model with its onnxruntime sessions' idle threads spin-waiting or not (each branch of a routed model)."""
    if isinstance(model, RoutedModel):
        return replace(model, sharp=spinning(model.sharp, spin), soft=spinning(model.soft, spin))
    return replace(model, runner=OnnxRunner(model.runner.path, spin=spin))


def network_rate(model: LoadedModel, crops: list[np.ndarray], batch: int = 32) -> float:
    """Faces per second of the backend alone: preprocessing done before the clock starts, each batch's views
    (the card's test-time augmentation) run as `p_fake` runs them; for a routed model, each face through the
    branch it is routed to (the routing itself, like preprocessing, is the pipeline's and not timed)."""
    if isinstance(model, RoutedModel):
        seconds: list[float] = []

        def timed(branch: LoadedModel, chosen: list) -> list[None]:
            seconds.append(len(chosen) / network_rate(branch, chosen, batch))
            return [None] * len(chosen)

        model.per_route(crops, timed)
        return len(crops) / sum(seconds)
    batches = [tta_views(model.preprocess.batch(crops[start:start + batch]), model.tta)
               for start in range(0, len(crops), batch)]
    backend = numpy_forward(model.runner or model.module, "logits")
    backend(*batches[0][:1])  # warm-up
    started = time.perf_counter()
    for views in batches:
        for view in views:
            backend(view)
    return len(crops) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path,
                        default=Path(__file__).resolve().parents[2] / "shared/data/faces/k140/test")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--model", type=Path, default=default_model_path())
    parser.add_argument("--rounds", type=int, default=3, help="rounds taking turns; the table shows medians")
    args = parser.parse_args()
    print(describe_cpu())
    paths = media_files(args.data)[: args.limit]
    fast = load_model(args.model)
    print(f"{len(paths)} inputs from {args.data}, model {fast.name} ({fast.card.architecture}, "
          f"{fast.preprocess.size} px)")
    print("| setting | pipeline | seconds | inputs/s | ratio |\n|---|---|---:|---:|---:|")
    crops: list[np.ndarray] = []
    pre_cropped: dict[str, float] = {}  # inputs per second of the pre-cropped scan, per onnxruntime setting
    for label, mode, detector in (("pre-cropped", "whole", None), ("detect", None, None),
                                  ("mtcnn", None, "mtcnn")):
        scanner = Scanner(args.model, face_mode=mode, frames=4, detector=detector)
        spinner = Scanner(spinning(scanner.model, True), face_mode=mode, frames=4, detector=detector) \
            if on_onnxruntime(scanner.model) else None
        # the whole of MTCNN is compared with the naive pipeline of the row before
        rounds: dict[str, list[float]] = ({"naive": []} if detector is None else {}) | {"fast": [], "spin": []}
        for _ in range(args.rounds):  # taking turns, so a slow spell of a shared machine hits every pipeline
            if detector is None:
                with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as child:
                    seconds, crops = child.submit(naive, args.model, paths, mode).result()
                rounds["naive"].append(seconds)
            seconds, stages = facetrust_scan(scanner, paths, args.workers, args.batch_size)
            rounds["fast"].append(seconds)
            if spinner is not None:
                rounds["spin"].append(facetrust_scan(spinner, paths, args.workers, args.batch_size)[0])
        if detector is None:
            naive_seconds = float(np.median(rounds["naive"]))
        fast_seconds = float(np.median(rounds["fast"]))
        if label == "pre-cropped":
            pre_cropped["default"] = len(paths) / fast_seconds
        print(f"| {label} | naive (per image, PyTorch eager, batch 1) | {naive_seconds:.1f} | "
              f"{len(paths) / naive_seconds:.1f} | 1.00x |")
        print(f"| {label} | facetrust scan_many ({args.workers} workers, batch {args.batch_size}, "
              f"{scanner.model.backend}) | {fast_seconds:.1f} | {len(paths) / fast_seconds:.1f} | "
              f"{naive_seconds / fast_seconds:.2f}x |")
        print("|   | stage ms per input (summed over worker threads, last round): "
              + ", ".join(f"{k} {v:.1f}" for k, v in stages.items()) + " | | | |")
        if spinner is not None:
            spin_seconds = float(np.median(rounds["spin"]))
            if label == "pre-cropped":
                pre_cropped["spin-waiting"] = len(paths) / spin_seconds
            print(f"| {label} | the same, onnxruntime threads spin-waiting (the default until 2026-12-04) | "
                  f"{spin_seconds:.1f} | {len(paths) / spin_seconds:.1f} | {naive_seconds / spin_seconds:.2f}x |")
        print("|   | seconds per round: " + "; ".join(f"{name} " + ", ".join(f"{v:.1f}" for v in values)
                                               for name, values in rounds.items() if values) + " | | | |")
    network = network_rate(fast, crops) if on_onnxruntime(fast) else None  # before any eager PyTorch work
    fast_rate = classify_rate(fast, crops)
    torch_rate = classify_rate(load_model(args.model, backend="torch"), crops)
    print(f"classification only, {len(crops)} crops in memory (TTA: {fast.tta}): PyTorch eager "
          f"{torch_rate:.1f} crops/s, {fast.backend} {fast_rate:.1f} crops/s ({fast_rate / torch_rate:.2f}x)")
    if network is not None:
        print(f"network alone ({fast.backend}, {fast.tta or 'no'} views): {network:.1f} faces/s; pre-cropped scan / "
              "network: " + ", ".join(f"{rate / network:.2f}x ({setting})" for setting, rate in pre_cropped.items()))
    print(f"peak resident memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
