"""Weights over the repository's file limit are stored as shards with an index, and load as one model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import facetrust
from facetrust.faces.face_crop import FaceCrop
from facetrust.models import checkpoint
from facetrust.models.card import ModelCard
from facetrust.models.checkpoint import (
    SHARD_INDEX,
    WEIGHTS_FILE,
    load_model,
    model_files,
    save_model,
    weight_files,
)
from facetrust.models.inference import predict_logits
from facetrust.models.registry import create_model, model_entry

REPOSITORY_FILE_LIMIT = 30_000_000


def _card() -> ModelCard:
    return ModelCard(name="tiny", version="1", temperature=1.0, architecture="cnn",
                     architecture_options={"depth": 2, "width": 8},
                     classes=["real", "fake"], preprocess=model_entry("cnn").preprocess,
                     faces=FaceCrop(detector="mtcnn", mode="whole", size=128, margin=0.0))


def test_large_weights_are_sharded_and_load_as_the_same_model(tmp_path, monkeypatch):
    module = create_model("cnn", pretrained=False, depth=2, width=8).eval()
    monkeypatch.setattr(checkpoint, "MAX_WEIGHTS_FILE", 5_000)  # the largest tensor is 4,608 bytes
    save_model(tmp_path, module, _card())
    files = weight_files(tmp_path)
    assert len(files) >= 2 and not (tmp_path / WEIGHTS_FILE).exists() and (tmp_path / SHARD_INDEX).is_file()
    assert all(path.stat().st_size <= 5_000 + 2_000 for path in files)  # tensors, and a header naming them
    assert model_files(tmp_path) == [tmp_path / "model.json", *files, tmp_path / SHARD_INDEX]  # what a copy needs
    crops = [np.random.default_rng(i).integers(0, 255, (128, 128, 3), dtype=np.uint8) for i in range(3)]
    expected = predict_logits(module, model_entry("cnn").preprocess, crops)
    np.testing.assert_allclose(load_model(tmp_path, backend="torch").logits(crops), expected, rtol=1e-6)
    monkeypatch.setattr(checkpoint, "MAX_WEIGHTS_FILE", 25_000_000)
    save_model(tmp_path, module, _card())  # small again: one file, and no shard left to be read with it
    assert weight_files(tmp_path) == [tmp_path / WEIGHTS_FILE]
    assert model_files(tmp_path) == [tmp_path / "model.json", tmp_path / WEIGHTS_FILE]
    assert not list(tmp_path.glob("model-*")) and not (tmp_path / SHARD_INDEX).exists()


def test_a_missing_shard_is_named(tmp_path, monkeypatch):
    monkeypatch.setattr(checkpoint, "MAX_WEIGHTS_FILE", 5_000)
    save_model(tmp_path, create_model("cnn", pretrained=False, depth=2, width=8), _card())
    weight_files(tmp_path)[-1].unlink()
    with pytest.raises(facetrust.errors.FacetrustError, match="names weights files that are not there: model-"):
        load_model(tmp_path, backend="torch")


def test_a_folder_without_weights_is_not_a_model(tmp_path):
    save_model(tmp_path, create_model("cnn", pretrained=False, depth=2, width=8), _card())
    (tmp_path / WEIGHTS_FILE).unlink()
    with pytest.raises(facetrust.errors.FacetrustError, match="not a facetrust model"):
        load_model(tmp_path, backend="torch")


def test_no_bundled_file_is_over_the_repositorys_limit():
    bundled = Path(facetrust.__file__).parent / "weights"
    sizes = {path.relative_to(bundled): path.stat().st_size for path in bundled.rglob("*") if path.is_file()}
    assert sizes and max(sizes.values()) <= REPOSITORY_FILE_LIMIT, max(sizes.items(), key=lambda item: item[1])
