"""dlib face encodings: computed like face_recognition, cached by content, faceless files listed."""

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from facetrust.cli import app
from facetrust.data.datasets import discover
from facetrust.embeddings import ENCODING_INPUTS, FaceEncoder, encode_crops, encode_samples
from tests.conftest import copy_k140_test_faces

runner = CliRunner()


@pytest.fixture
def small_data(tmp_path, shared_data, cat):
    root = copy_k140_test_faces(shared_data, tmp_path / "data", 3)
    Image.fromarray(cat).save(root / "real" / "cat.jpg")
    return root


def test_same_person_is_closer_than_another_person(astronaut, shared_data):
    encoder = FaceEncoder()
    shifted = np.roll(astronaut, 7, axis=1)  # same photo, other pixels: same identity
    other = np.asarray(Image.open(sorted((shared_data / "faces/k140/test/real").iterdir())[0]).convert("RGB"))
    a, b, c = encoder.encode(astronaut), encoder.encode(shifted), encoder.encode(other)
    assert a.shape == (128,) and np.linalg.norm(a - b) < 0.2 < 0.4 < np.linalg.norm(a - c)


def test_encodings_are_cached_and_faceless_files_listed(small_data, tmp_path, monkeypatch):
    found = encode_samples(discover(small_data), progress=False)
    assert len(found.samples) == 6 and found.encodings.shape == (6, 128)
    assert [(s.path.name, reason) for s, reason in found.missing] == [("cat.jpg", "dlib found no face")]

    def no_encoder(*_):
        raise AssertionError("the cache should have answered")

    monkeypatch.setattr(FaceEncoder, "encode", no_encoder)
    again = encode_samples(discover(small_data), progress=False)
    np.testing.assert_array_equal(again.encodings, found.encodings)
    assert len(again.missing) == 1


def test_embed_and_norm_plot_commands(small_data, tmp_path):
    result = runner.invoke(app, ["embed", "--data", str(small_data), "--out", str(tmp_path / "enc.npz")])
    assert result.exit_code == 0, result.output
    assert "6 images encoded, 1 without an encoding" in result.output
    saved = np.load(tmp_path / "enc.npz")
    assert saved["encodings"].shape == (6, 128) and sorted(saved["label"]) == [0, 0, 0, 1, 1, 1]
    assert saved["missing_path"][0].endswith("cat.jpg")
    result = runner.invoke(app, ["plot", "encoding-norms", "--data", str(small_data), "--out", str(tmp_path / "n.png")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "n.png").stat().st_size > 5000


def test_crop_encodings_flag_faceless_crops_and_come_from_the_cache(astronaut, cat, monkeypatch):
    face = np.ascontiguousarray(astronaut[20:230, 150:320])
    rows = encode_crops([face, cat], cached=True)
    assert rows.shape == (2, ENCODING_INPUTS) and rows[:, -1].tolist() == [1.0, 0.0]
    np.testing.assert_allclose(rows[0, :-1], FaceEncoder().encode(face), atol=1e-6)
    assert not rows[1].any()  # no face: zero encoding, flag 0, and the crop keeps its row

    def no_encoder(*_):
        raise AssertionError("the cache should have answered")

    monkeypatch.setattr(FaceEncoder, "encode", no_encoder)
    np.testing.assert_array_equal(encode_crops([face, cat], cached=True), rows)
