"""Measure a detector on every shared test split and evaluation-only set, and print its card's tables.

Usage: python scripts/measure_detector.py [--model DIR] [--out runs/measure-detector]
       [--shortcuts studies/shortcuts/shortcuts.json] [--frames runs/ffpp_c40-frames]
Nothing here is trained or selected on: test splits of the training sources, Yonsei composites, FF++ c40
video frames (16 per video), CK+ (real) and Stable Diffusion 1.5 faces (fake). Each set's shortcut-probe
ROC-AUC stands beside its numbers. UTKFace false-positive rates are broken down by race and gender.
Face crops are cached, so a second run (or another model with the same crop settings) is quick; the FF++ frames
are cut once into --frames, which every --out shares.
"""

from __future__ import annotations

import argparse
import csv
import json
from collections import defaultdict
from pathlib import Path

import numpy as np

from facetrust.bundled import default_model_path
from facetrust.data.crops import CropSettings, crop_dataset
from facetrust.media.files import media_files
from facetrust.models.checkpoint import load_model
from facetrust.studies.evaluate import evaluate_model, write_evaluation
from facetrust.studies.shortcuts import manifest_notes

PACK = ("k140", "gan512", "stylegan3", "sdfd", "realorai_game", "sfhq_t2i", "ecuador_flux", "dfdc_crops",
        "inswapper", "utkface")
TWO_CLASS_NEW = ("stylegan3", "realorai_game", "ecuador_flux", "dfdc_crops", "inswapper")
# FF++ frames are cut wide (margin 1.2, 448 px) so the model's own face stage re-crops the face with real context
FFPP_FRAMES = CropSettings(size=448, margin=1.2, detector="mtcnn", mode="detect", frames_per_video=16)
FFPP_FRAMES_DIR = Path("runs/ffpp_c40-frames")
COLUMNS = ("roc_auc", "tpr_at_5_fpr", "ap", "recall", "fpr", "ece")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=default_model_path())
    parser.add_argument("--out", type=Path, default=Path("runs/measure-detector"))
    parser.add_argument("--shortcuts", type=Path, default=Path("studies/shortcuts/shortcuts.json"))
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--frames", type=Path, default=FFPP_FRAMES_DIR,
                        help="where the FF++ c40 frames are cut (once; every model reads the same frames)")
    args = parser.parse_args()
    model = load_model(args.model)
    args.out.mkdir(parents=True, exist_ok=True)
    probes = {r["source"]: r["test_auc"] for r in json.loads(args.shortcuts.read_text())} \
        if args.shortcuts.is_file() else {}
    results = {}
    for name, data in _sets(args.data, args.out, args.frames):
        evaluation = evaluate_model(model, data, progress=False)
        write_evaluation(evaluation, args.out / name, f"{model.name} on {name}")
        results[name] = evaluation
        print(f"measured {name}", flush=True)
    rows = {name: e.metrics for name, e in results.items()}
    (args.out / "summary.json").write_text(json.dumps({"model": model.name, "version": model.version,
                                                       "threshold": model.card.threshold, "sets": rows},
                                                      indent=2), encoding="utf-8")
    print(f"\n{model.name} ({model.version}), threshold {model.card.threshold:.3f}\n")
    print(_table(rows, probes))
    aucs = [rows[f"{name}/test"]["roc_auc"] for name in TWO_CLASS_NEW]
    print(f"\nmean ROC-AUC over the new two-class test splits ({', '.join(TWO_CLASS_NEW)}): {np.mean(aucs):.3f}, "
          f"lowest {min(aucs):.3f}")
    print("\n" + _group_table(results["utkface/test"], manifest_notes(args.data / "MANIFEST.tsv"), args.data))


def _sets(data: Path, out: Path, frames: Path) -> list[tuple[str, Path]]:
    faces = data / "faces"
    sets = [(f"{name}/test", faces / name / "test") for name in PACK]
    sets.append(("yonsei", faces / "yonsei"))
    crop_dataset(data / "video" / "ffpp_c40", frames, FFPP_FRAMES)
    sets.append(("ffpp_c40 frames", frames))
    sets.append(("ckplus (real)", _listing(data / "emotion" / "ckplus", "real", out / "ckplus.csv")))
    sets.append(("ai_sd15 (fake)", _listing(data / "emotion" / "ai_sd15", "fake", out / "ai_sd15.csv")))
    return sets


def _listing(folder: Path, label: str, manifest: Path) -> Path:
    """A manifest giving every image under an expression-sorted folder one label."""
    with open(manifest, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["path", "label"])
        writer.writerows([str(p.resolve()), label] for p in sorted(media_files(folder)))
    return manifest


def _table(rows: dict[str, dict], probes: dict[str, float]) -> str:
    lines = ["| set | n real / fake | shortcut probe AUC | ROC-AUC | TPR at 5% FPR | AP | recall | FPR | ECE |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name, m in rows.items():
        probe = probes.get(name.split("/")[0])
        cells = ["-" if m.get(k) is None else f"{m[k]:.3f}" for k in COLUMNS]
        lines.append(f"| {name} | {m['n_real']} / {m['n_fake']} | {'-' if probe is None else f'{probe:.3f}'} | "
                     + " | ".join(cells) + " |")
    return "\n".join(lines)


def _group_table(evaluation, notes: dict[str, dict[str, str]], data: Path) -> str:
    """False-positive rate at the model's threshold per UTKFace race and gender (from the manifest)."""
    threshold = evaluation.metrics["threshold"]
    flagged: dict[str, list[bool]] = defaultdict(list)
    for path, p in zip(evaluation.paths, evaluation.p_fake, strict=True):
        note = notes.get(Path(path).resolve().relative_to(data.resolve()).as_posix(), {})
        for key in ("race", "gender"):
            flagged[f"{key} {note.get(key, '?')}"].append(bool(p >= threshold))
    lines = ["| UTKFace test group | n | false positives | FPR |", "|---|---:|---:|---:|"]
    for group in sorted(flagged):
        hits = flagged[group]
        lines.append(f"| {group} | {len(hits)} | {sum(hits)} | {np.mean(hits):.3f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
