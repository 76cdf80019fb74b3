"""Which training crops an epoch shows, in which order, and which of them as self-blended fakes.

One data set trains on a plain shuffle. Several sources train on a balanced draw: at most `per_source` crops
of each source per epoch (half of them of each class when the source has both), so a large set cannot
dominate and the model cannot learn "which set" in place of "real or fake". With self-blending on, a real
crop is followed by its own blend in the same batch (as the SBI paper pairs them), so the one difference
the model can use within a pair is the blend.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Draw:
    """One training example: crop `index`, as it is or (`blended`) as a self-blended fake of itself."""

    index: int
    blended: bool = False


def shuffled(count: int, rng: np.random.Generator) -> list[Draw]:
    return [Draw(int(i)) for i in rng.permutation(count)]


def balanced(sources: list[str], labels: np.ndarray, per_source: int, blend_share: float, can_blend: np.ndarray,
             rng: np.random.Generator, caps: dict[str, int] | None = None) -> list[Draw]:
    """At most `per_source` crops of each source (`caps` may set another number for a source by name; split
    evenly over its classes, short classes giving what they have), shuffled; a `blend_share` of the real crops
    that `can_blend`, drawn at random, are each followed by their blend. The plan's length is the same every epoch
    (the learning-rate schedule counts on it)."""
    caps = caps or {}
    sources_array, labels = np.asarray(sources), np.asarray(labels)
    chosen: list[int] = []
    for name in dict.fromkeys(sources):
        classes = [np.flatnonzero((sources_array == name) & (labels == label)) for label in (0, 1)]
        classes = [members for members in classes if len(members)]
        for members in classes:
            take = min(len(members), caps.get(name, per_source) // len(classes))
            chosen.extend(int(i) for i in rng.choice(members, size=take, replace=False))
    order = [int(i) for i in rng.permutation(chosen)]
    blendable = [i for i in order if labels[i] == 0 and can_blend[i]]
    partnered = set(rng.permutation(blendable)[:round(blend_share * len(blendable))].tolist())
    plan = []
    for index in order:
        plan.append(Draw(index))
        if index in partnered:
            plan.append(Draw(index, blended=True))
    return plan


def plan_labels(plan: list[Draw], labels: np.ndarray) -> np.ndarray:
    """Training targets of a plan: a blended crop is fake whatever its original label."""
    return np.array([1 if draw.blended else labels[draw.index] for draw in plan], dtype=np.float32)
