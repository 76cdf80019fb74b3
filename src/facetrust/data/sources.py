"""Training on several data sets at once: each set is a source with a family (what made its fakes).

A source is a folder `<root>/<name>` with `{train,val,test}/{real,fake}` (one class folder is enough).
The family groups sources for leave-one-family-out runs, which measure generalisation to a kind of fake the
model never saw. Per-source scores compare like with like: a set with both classes is scored within itself
(real and fake share capture, framing and compression there), a one-class set against the other sources'
opposite class.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from facetrust.data.datasets import Sample, discover
from facetrust.errors import FacetrustError
from facetrust.evaluation.metrics import binary_metrics

FAMILIES = ("gan", "diffusion", "flux", "swap", "real")
SELF_BLEND = "sbi"  # the source name of self-blended fakes made from the real faces
MIN_SCORED_FACES = 10  # per class: a source with fewer validation faces moves a mean of AUCs by chance alone


def source_samples(root: str | Path, sources: dict[str, str], leave_out: str | None = None) -> list[Sample]:
    """Every sample of the named sets under `root`, tagged with its set; a set in family `leave_out` is skipped."""
    unknown = {family for family in sources.values() if family not in FAMILIES}
    if unknown or (leave_out is not None and leave_out not in FAMILIES):
        raise FacetrustError(f"unknown source families {sorted(unknown | {leave_out} - {None})}; "
                             f"known: {', '.join(FAMILIES)}")
    samples = []
    for name, family in sources.items():
        if family == leave_out:
            continue
        found = discover(Path(root) / name)
        missing = [s.path for s in found if not s.split]
        if missing:
            raise FacetrustError(f"{Path(root) / name}: a source needs train/val/test folders; "
                                 f"{missing[0]} is in none")
        samples.extend(replace(s, source=name) for s in found)
    return samples


def per_source_auc(sources: list[str], labels: np.ndarray, p_fake: np.ndarray) -> dict[str, float]:
    """ROC-AUC of each source: within the source when it holds both classes, otherwise its one class against
    every other source's opposite class (a fake-only set against all reals, a real-only set against all fakes)."""
    sources_array = np.asarray(sources)
    labels, p_fake = np.asarray(labels), np.asarray(p_fake)
    scores = {}
    for name in dict.fromkeys(sources):
        own = sources_array == name
        classes = set(labels[own].tolist())
        chosen = own if len(classes) == 2 else own | ((sources_array != name) & (labels != labels[own][0]))
        auc = binary_metrics(labels[chosen], p_fake[chosen])["roc_auc"]
        if auc is not None:
            scores[name] = float(auc)
    return scores


def well_sampled(sources: list[str], labels: np.ndarray, minimum: int = MIN_SCORED_FACES) -> list[str]:
    """The sources with at least `minimum` faces of each class they hold: their ROC-AUC is worth averaging
    (stylegan3's validation split, 2 real and 4 fake faces, jumped between 0.375 and 1.0 from epoch to epoch)."""
    sources_array, labels = np.asarray(sources), np.asarray(labels)
    kept = []
    for name in dict.fromkeys(sources):
        _, counts = np.unique(labels[sources_array == name], return_counts=True)
        if counts.min() >= minimum:
            kept.append(name)
    return kept
