"""Yonsei composites broken down by what was swapped: ROC-AUC of each group of fakes against all real photos.

Usage: python scripts/yonsei_parts.py LABEL=runs/measure-X/yonsei/scores.csv [LABEL=...]
Reads the scores.csv that `scripts/measure_detector.py` writes for yonsei. A fake's file name says its difficulty
(`easy_`, `mid_`, `hard_`) and, in its 4-bit suffix, which regions were pasted from other faces (left eye, right
eye, nose, mouth; ../shared/data/README.md). One markdown table, a column per model: reported, never chosen on.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from facetrust.evaluation.metrics import binary_metrics

PARTS = ("left eye", "right eye", "nose", "mouth")


def groups(name: str) -> list[str]:
    """The groups a fake's file name puts it in: all, its difficulty, each part swapped, its number of parts."""
    difficulty, _number, code = Path(name).stem.split("_")
    swapped = [part for part, bit in zip(PARTS, code, strict=True) if bit == "1"]
    return ["all", difficulty, *[f"{part} swapped" for part in swapped], f"{len(swapped)} part(s)"]


def group_aucs(path: Path) -> dict[str, tuple[float, int]]:
    """Each group's ROC-AUC against every real photo, and its number of fakes."""
    reals, fakes = [], {}
    with open(path, newline="") as handle:
        for row in csv.DictReader(handle):
            if row["label"] == "0":
                reals.append(float(row["p_fake"]))
                continue
            for group in groups(row["path"]):
                fakes.setdefault(group, []).append(float(row["p_fake"]))
    return {group: (binary_metrics([0] * len(reals) + [1] * len(scores), reals + scores)["roc_auc"], len(scores))
            for group, scores in fakes.items()}


def main() -> None:
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    columns = {label: group_aucs(Path(path)) for label, path in (arg.split("=", 1) for arg in sys.argv[1:])}
    order = ["all", "easy", "mid", "hard", *[f"{p} swapped" for p in PARTS], *[f"{n} part(s)" for n in range(1, 5)]]
    first = next(iter(columns.values()))
    print("| fakes | n | " + " | ".join(columns) + " |")
    print("|---|---:|" + "---:|" * len(columns))
    for group in [g for g in order if g in first]:
        cells = " | ".join(f"{aucs[group][0]:.3f}" for aucs in columns.values())
        print(f"| {group} | {first[group][1]} | {cells} |")


if __name__ == "__main__":
    main()
