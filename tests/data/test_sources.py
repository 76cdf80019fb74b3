"""Several data sets as sources: tagged samples, families, and per-source scores."""

from __future__ import annotations

import numpy as np
import pytest

from facetrust.data.sources import per_source_auc, source_samples, well_sampled
from facetrust.errors import FacetrustError


def test_sources_are_tagged_and_a_left_out_family_is_absent(shared_data):
    samples = source_samples(shared_data / "faces", {"stylegan3": "gan", "inswapper": "swap"}, leave_out="swap")
    assert {s.source for s in samples} == {"stylegan3"}
    assert {s.split for s in samples} == {"train", "val", "test"}


def test_an_unknown_family_is_refused():
    with pytest.raises(FacetrustError, match="unknown source families"):
        source_samples("anywhere", {"k140": "gans"})


def test_two_class_sources_are_scored_within_themselves_and_one_class_sources_against_the_others():
    sources = ["a"] * 4 + ["b"] * 2 + ["c"] * 2
    labels = np.array([0, 0, 1, 1, 1, 1, 0, 0])
    # a: perfect within itself; b (fake only) scores below a's reals but above c's reals
    p_fake = np.array([0.1, 0.2, 0.8, 0.9, 0.15, 0.15, 0.0, 0.0])
    scores = per_source_auc(sources, labels, p_fake)
    assert scores["a"] == 1.0
    assert scores["b"] == pytest.approx(0.75)  # against the reals of a and c: beats 3 of 4
    assert scores["c"] == 1.0  # c's reals against every fake


def test_a_source_with_few_faces_of_a_class_is_not_well_sampled():
    sources = ["big"] * 20 + ["small"] * 12 + ["fakes"] * 10
    labels = np.array([0] * 10 + [1] * 10 + [0] * 2 + [1] * 10 + [1] * 10)
    assert well_sampled(sources, labels, minimum=10) == ["big", "fakes"]
