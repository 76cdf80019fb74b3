"""A recipe's files and their splits: the data decides them, not the run's seed."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from PIL import Image

from facetrust.training import TrainConfig
from facetrust.training.trainer import recipe_samples, split_crops


def test_runs_of_another_seed_keep_the_same_validation_and_test_files(tmp_path):
    for label in ("real", "fake"):
        (tmp_path / label).mkdir()
        for i in range(60):
            (tmp_path / label / f"{i}.jpg").write_bytes(b"")
    config = TrainConfig(data=str(tmp_path), out=str(tmp_path / "run"))
    splits = {s.path: s.split for s in recipe_samples(config)}
    assert set(splits.values()) == {"train", "val", "test"}
    assert {s.path: s.split for s in recipe_samples(replace(config, seed=1))} == splits


def test_a_capped_run_of_another_seed_trains_on_other_faces_but_is_scored_on_the_same(tmp_path):
    rng = np.random.default_rng(0)
    for label in ("real", "fake"):
        (tmp_path / label).mkdir()
        for i in range(60):
            Image.fromarray(rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)).save(tmp_path / label / f"{i}.png")
    config = TrainConfig(data=str(tmp_path), out=str(tmp_path / "run"), face_mode="whole", img_size=8,
                         max_per_split=6)
    files = {seed: {name: [s.path for s in crops.samples]
                    for name, crops in split_crops(replace(config, seed=seed), ("train", "val", "test"),
                                                   progress=False).items()}
             for seed in (0, 1)}
    assert all(len(paths) == 6 for paths in files[0].values())
    assert files[1]["val"] == files[0]["val"] and files[1]["test"] == files[0]["test"]
    assert files[1]["train"] != files[0]["train"]
