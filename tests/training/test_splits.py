"""A recipe's files and their splits: the data decides them, not the run's seed."""

from __future__ import annotations

from dataclasses import replace

from facetrust.training import TrainConfig
from facetrust.training.trainer import recipe_samples


def test_runs_of_another_seed_keep_the_same_validation_and_test_files(tmp_path):
    for label in ("real", "fake"):
        (tmp_path / label).mkdir()
        for i in range(60):
            (tmp_path / label / f"{i}.jpg").write_bytes(b"")
    config = TrainConfig(data=str(tmp_path), out=str(tmp_path / "run"))
    splits = {s.path: s.split for s in recipe_samples(config)}
    assert set(splits.values()) == {"train", "val", "test"}
    assert {s.path: s.split for s in recipe_samples(replace(config, seed=1))} == splits
