"""Balanced epochs over several sources, with self-blends paired to their originals."""

from __future__ import annotations

from collections import Counter

import numpy as np

from facetrust.training.epoch_plan import Draw, balanced, plan_labels, shuffled


def _sources():
    # big: 1000 real + 1000 fake; small: 40 fake only; reals: 300 real only
    sources = ["big"] * 2000 + ["small"] * 40 + ["reals"] * 300
    labels = np.array([0] * 1000 + [1] * 1000 + [1] * 40 + [0] * 300)
    return sources, labels


def test_no_source_dominates_and_paired_sources_give_both_classes_equally():
    sources, labels = _sources()
    plan = balanced(sources, labels, 200, 0.0, np.zeros(len(labels), bool), np.random.default_rng(0))
    counts = Counter((sources[d.index], int(labels[d.index])) for d in plan)
    assert counts == {("big", 0): 100, ("big", 1): 100, ("small", 1): 40, ("reals", 0): 200}
    assert len({d.index for d in plan}) == len(plan)  # no crop twice in one epoch


def test_blends_follow_their_own_real_crop_and_are_labelled_fake():
    sources, labels = _sources()
    can_blend = labels == 0
    plan = balanced(sources, labels, 200, 0.5, can_blend, np.random.default_rng(1))
    blends = [k for k, d in enumerate(plan) if d.blended]
    assert len(blends) == round(0.5 * 300)  # half of the 300 reals drawn
    assert all(plan[k - 1] == Draw(plan[k].index) and labels[plan[k].index] == 0 for k in blends)
    targets = plan_labels(plan, labels)
    assert all(targets[k] == 1 for k in blends)
    assert len(balanced(sources, labels, 200, 0.5, can_blend, np.random.default_rng(2))) == len(plan)


def test_one_data_set_trains_on_a_plain_shuffle_as_before():
    rng_old, rng_new = np.random.default_rng([0, 3]), np.random.default_rng([0, 3])
    assert [d.index for d in shuffled(50, rng_new)] == rng_old.permutation(50).tolist()


def test_the_card_names_the_epoch_the_selection_score_kept():
    from facetrust.training.trainer import _best_epoch

    history = [{"epoch": 1, "val_roc_auc": 0.90, "val_mean_source_auc": 0.80},
               {"epoch": 2, "val_roc_auc": 0.95, "val_mean_source_auc": 0.79},  # best pooled, not kept
               {"epoch": 3, "val_roc_auc": 0.93, "val_mean_source_auc": 0.85}]
    assert _best_epoch(history) == 3
    assert _best_epoch([{k: v for k, v in h.items() if k != "val_mean_source_auc"} for h in history]) == 2


def test_a_source_cap_overrides_the_common_one_for_its_source_only():
    sources, labels = _sources()
    plan = balanced(sources, labels, 200, 0.0, np.zeros(len(labels), bool), np.random.default_rng(0),
                    caps={"big": 1000})
    counts = Counter((sources[d.index], int(labels[d.index])) for d in plan)
    assert counts == {("big", 0): 500, ("big", 1): 500, ("small", 1): 40, ("reals", 0): 200}


def test_a_cap_for_a_source_the_recipe_does_not_train_on_is_refused(tmp_path):
    import pytest

    from facetrust.errors import FacetrustError
    from facetrust.training import read_config

    recipe = tmp_path / "recipe.yaml"
    recipe.write_text("data: x\nout: y\nsources: {k140: gan}\nsource_caps: {k14O: 900}\n")
    with pytest.raises(FacetrustError, match=r"source_caps names sources .*k14O"):
        read_config(recipe)


def test_the_selection_mean_leaves_out_sources_below_the_recipes_face_floor():
    from dataclasses import replace
    from types import SimpleNamespace

    from facetrust.training.recipe import TrainConfig
    from facetrust.training.trainer import selection_score

    names = ["big"] * 100 + ["small"] * 24  # big: 50 faces a class, ranked right; small: 12 a class, ranked wrong
    labels = np.array([0] * 50 + [1] * 50 + [0] * 12 + [1] * 12)
    logits = np.where(labels == 1, 1.0, -1.0)
    logits[100:] *= -1
    val = SimpleNamespace(samples=[SimpleNamespace(source=n) for n in names], labels=labels)
    config = TrainConfig(data="x", out="y", sources={"big": "gan", "small": "swap"})
    assert selection_score(config, val, logits)[0] == 0.5
    score, by_source = selection_score(replace(config, min_scored_faces=40), val, logits)
    assert score == 1.0 and by_source["small"] == 0.0
