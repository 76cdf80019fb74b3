"""Verdicts with and without `scan --agree` on photos as users bring them: clean, re-coded as video stills, saved
as HEIC (docs/VERDICT_SCHEMA.md, "Agreement").

Usage: python scripts/agreement_verdicts.py --data ../shared/data/faces/k140/test [--data ...] [--model DIR]
                                            [--cache runs/agreement-photos] [--plot docs/images/agreement]
Each split folder's photos (real/ and fake/) are degraded whole at each point of POINTS (`facetrust report`'s
degradations, seeded per file; kept in --cache) and scanned the way `facetrust scan` scans them: faces found,
judged by the model's card (threshold and uncertain band), once as they are and once with agreement. Printed per set
and point: the share of real photos and of fake photos whose verdict is `fake`, `uncertain` and `real`, both ways.
Agreement can only move a `fake` verdict to `uncertain`; the table says how often it does so for each class. With
`--plot PREFIX`, the shares called fake as bars: PREFIX-real.png (real photos, the false accusations) and
PREFIX-fake.png (fake photos).
"""

from __future__ import annotations

import argparse
import tempfile
from collections import Counter
from pathlib import Path

from tqdm import tqdm

from facetrust.data.datasets import Sample, discover
from facetrust.detection import Scanner
from facetrust.errors import MediaError
from facetrust.evaluation.plots import save_grouped_bars
from facetrust.faces.stage import FacesResult, find_faces_or_error
from facetrust.report.degrade import DEGRADATIONS, degrade_samples

POINTS = (("none", 0.0), ("h264", 23.0), ("h264", 32.0), ("heic", 50.0))
SEED = 0
BATCH = 32
VERDICTS = ("fake", "uncertain", "real", "no_face")


def point_folder(samples: list[Sample], data: Path, point: tuple[str, float], cache: Path) -> list[Sample]:
    """The split's photos at one point: the originals, or degraded copies written under `cache`."""
    name, strength = point
    if name == "none":
        return samples
    folder = cache / "-".join(data.parts[-2:]) / f"{name}-{strength:g}"
    degrade_samples(samples, DEGRADATIONS[name], strength, SEED, folder)
    return discover(folder)


def verdict_counts(scanner: Scanner, samples: list[Sample]) -> dict[tuple[bool, int], Counter]:
    """Per (agreement, label): how many photos got each verdict. Faces are found once and judged both ways."""
    agreed = scanner.with_decision(agree=True)
    counts: dict[tuple[bool, int], Counter] = {(agree, label): Counter() for agree in (False, True) for label in (0, 1)}
    for start in tqdm(range(0, len(samples), BATCH), desc="scan", unit="batch"):
        found: list[tuple[int, FacesResult]] = []
        for sample in samples[start:start + BATCH]:
            faces = find_faces_or_error(sample.path, scanner.finder, frames=1)
            if isinstance(faces, MediaError):
                print(f"  skipped: {faces}")
            else:
                found.append((sample.label, faces))
        for agree, judge in ((False, scanner), (True, agreed)):
            for (label, _), result in zip(found, judge.judge([faces for _, faces in found]), strict=True):
                counts[agree, label][result.verdict] += 1
    return counts


def share(counter: Counter, verdict: str) -> float:
    return counter[verdict] / max(sum(counter.values()), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, action="append", required=True, help="a split folder with real/, fake/")
    parser.add_argument("--model", type=Path, help="a routed detector (default: the bundled one)")
    parser.add_argument("--cache", type=Path, help="keep the degraded photos here (default: a temporary folder)")
    parser.add_argument("--plot", type=Path, help="draw the shares called fake into PREFIX-real.png, PREFIX-fake.png")
    args = parser.parse_args()
    scanner = Scanner(args.model, provenance=False)
    cache = args.cache or Path(tempfile.mkdtemp(prefix="facetrust-agreement-"))
    print(f"model {scanner.model.name} {scanner.model.version}: threshold {scanner.decision.threshold:.3f}, "
          f"band {scanner.decision.uncertain_band}")
    print("\n| set | point | real photos | called fake: as is / --agree | uncertain: as is / --agree | fake photos | "
          "called fake: as is / --agree | uncertain: as is / --agree | called real (both) |\n"
          "|---|---|---:|---:|---:|---:|---:|---:|---:|")
    called: dict[int, dict[str, dict[str, float]]] = {0: {}, 1: {}}  # label -> "set point" -> way -> share
    for data in args.data:
        samples = discover(data)
        for point in POINTS:
            counts = verdict_counts(scanner, point_folder(samples, data, point, cache))
            row = []
            for label in (0, 1):
                plain, agreed = counts[False, label], counts[True, label]
                row += [str(sum(plain.values())), f"{share(plain, 'fake'):.3f} / {share(agreed, 'fake'):.3f}",
                        f"{share(plain, 'uncertain'):.3f} / {share(agreed, 'uncertain'):.3f}"]
            row.append(f"{share(counts[False, 1], 'real'):.3f}")
            label = "clean" if point[0] == "none" else f"{point[0]} {point[1]:g}"
            print(f"| {'/'.join(data.parts[-2:])} | {label} | {' | '.join(row)} |", flush=True)
            for kind in (0, 1):
                if sum(counts[False, kind].values()):
                    called[kind][f"{data.parts[-2]}\n{label}"] = {
                        way: share(counts[agree, kind], "fake") for way, agree in (("as is", False), ("--agree", True))}
    if args.plot:
        for kind, name in ((0, "real"), (1, "fake")):
            groups = list(called[kind])
            save_grouped_bars(args.plot.with_name(f"{args.plot.name}-{name}.png"), groups,
                              {way: [called[kind][g][way] for g in groups] for way in ("as is", "--agree")},
                              f"{name} photos called fake",
                              f"{scanner.model.name}: {name} test photos called fake, as they are and with --agree")


if __name__ == "__main__":
    main()
