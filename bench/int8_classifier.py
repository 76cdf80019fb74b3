"""Does onnxruntime int8 give the detector's verdicts faster? Speed ratio and verdict changes, in one run.

Usage: python bench/int8_classifier.py [--model DIR] [--config configs/detector-general.yaml] [--calibration 256]
The model's fp32 graph is quantised statically (QDQ, per-channel int8 weights, uint8 activations), calibrated on a
seeded sample of the recipe's real validation crops, then both graphs score every validation crop (self-blends
included) with the model's own test-time views and temperature. Printed: crops per second of each graph on the
same crops (median of the repeats, taking turns), the largest |P(fake)| difference, verdicts that change under
the card's rule, and the selection score of each. Issue 27 asks int8 only as an option, and only with the same
verdicts: a verdict must not depend on which CPU or graph computed it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
from scipy.special import logit

from facetrust.bundled import default_model_path
from facetrust.detection.decision import DecisionRule
from facetrust.models.checkpoint import LoadedModel, load_model
from facetrust.models.onnx_runner import OnnxRunner
from facetrust.models.routed import RoutedModel
from facetrust.training import read_config
from facetrust.training.trainer import selection_score, validation_crops

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe_cpu
from scan_speed import on_onnxruntime


class _Crops(CalibrationDataReader):
    """Calibration batches of 8 preprocessed crops, as the session sees them."""

    def __init__(self, model: LoadedModel, crops: list[np.ndarray]) -> None:
        self.batches = iter([model.preprocess.batch(crops[i:i + 8]) for i in range(0, len(crops), 8)])

    def get_next(self) -> dict | None:
        batch = next(self.batches, None)
        return None if batch is None else {"image": np.ascontiguousarray(batch)}


def quantised(model: LoadedModel, calibration: list[np.ndarray], scratch: Path) -> LoadedModel:
    """The model on int8 graphs quantised from its fp32 ones (each branch of a routed model, calibrated on the
    same crops), written under `scratch`."""
    if isinstance(model, RoutedModel):
        return replace(model, sharp=quantised(model.sharp, calibration, scratch / "sharp"),
                       soft=quantised(model.soft, calibration, scratch / "soft"))
    scratch.mkdir(parents=True, exist_ok=True)
    quantize_static(str(model.runner.path), str(scratch / "int8.onnx"), _Crops(model, calibration),
                    quant_format=QuantFormat.QDQ, per_channel=True, activation_type=QuantType.QUInt8,
                    weight_type=QuantType.QInt8)
    return replace(model, runner=OnnxRunner(scratch / "int8.onnx"))


def crops_per_second(model: LoadedModel, crops: list[np.ndarray]) -> float:
    started = time.perf_counter()
    model.p_fake(crops)
    return len(crops) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=default_model_path())
    parser.add_argument("--config", type=Path, default=Path("configs/detector-general.yaml"))
    parser.add_argument("--calibration", type=int, default=256)
    parser.add_argument("--speed-crops", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    config = read_config(args.config)
    val = validation_crops(config, progress=False)
    fp32 = load_model(args.model)
    if not on_onnxruntime(fp32):
        raise SystemExit(f"{args.model}: no onnxruntime graph to quantise (is onnxruntime installed?)")
    rng = np.random.default_rng(0)
    reals = np.flatnonzero(val.labels == 0)
    calibration = [val.crops[i] for i in rng.choice(reals, size=min(args.calibration, len(reals)), replace=False)]
    with tempfile.TemporaryDirectory() as scratch:
        int8 = quantised(fp32, calibration, Path(scratch))
        p32, p8 = fp32.p_fake(val.crops), int8.p_fake(val.crops)
        speed_crops = val.crops[:args.speed_crops]
        rates: dict[str, list[float]] = {"fp32": [], "int8": []}
        for _ in range(args.repeats):
            for name, model in (("fp32", fp32), ("int8", int8)):
                rates[name].append(crops_per_second(model, speed_crops))
    rule = DecisionRule(fp32.card.threshold)
    changed = sum(rule.verdict(a) != rule.verdict(b) for a, b in zip(p32, p8, strict=True))
    scores = {name: selection_score(config, val, logit(p.clip(1e-7, 1 - 1e-7)))[0]
              for name, p in (("fp32", p32), ("int8", p8))}
    print(f"CPU: {describe_cpu()}")
    print(f"{fp32.name}, {len(val.crops)} validation crops, views: {fp32.tta or 'one'}, calibration: "
          f"{len(calibration)} real validation crops\n")
    print("| graph | crops/s (median) | ratio | selection score |")
    print("|---|---:|---:|---:|")
    for name in ("fp32", "int8"):
        rate = statistics.median(rates[name])
        print(f"| {name} | {rate:.1f} | {rate / statistics.median(rates['fp32']):.2f}x | {scores[name]:.4f} |")
    print(f"\nlargest |P(fake) difference|: {np.abs(p32 - p8).max():.4f}; median {np.median(np.abs(p32 - p8)):.4f}")
    print(f"verdicts changed under the card's rule (threshold {rule.threshold:.3f}, band {rule.uncertain_band}): "
          f"{changed} of {len(p32)}")


if __name__ == "__main__":
    main()
