"""Batch scanning: worker threads + batched classification give the same answers, in input order."""

from pathlib import Path

import numpy as np

from facetrust.batch.local import scan_many
from facetrust.detection import Scanner
from facetrust.errors import MediaError
from facetrust.store import ResultStore

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_batch_scan_matches_one_by_one_and_keeps_order(bad_inputs):
    scanner = Scanner(frames=4)
    images = sorted(EXAMPLES.glob("*.jpg"))
    paths = [images[0], bad_inputs / "truncated.jpg", *images[1:], bad_inputs / "no_face.jpg"]
    outcomes = list(scan_many(scanner, paths, workers=2, batch_size=3))
    assert len(outcomes) == len(paths)
    assert isinstance(outcomes[1], MediaError) and outcomes[1].source.endswith("truncated.jpg")
    assert outcomes[-1].verdict == "no_face"
    for path, outcome in zip(paths, outcomes, strict=True):
        if path.parent == EXAMPLES:
            alone = scanner.scan(path)
            assert outcome.input == str(path)
            assert np.allclose([f.p_fake for f in outcome.faces], [f.p_fake for f in alone.faces], atol=1e-5)


def test_batch_scan_with_a_store_resumes(tmp_path):
    scanner = Scanner(frames=4)
    store = ResultStore(f"sqlite:///{tmp_path / 'scans.db'}")
    images = sorted(EXAMPLES.glob("*.jpg"))
    first = list(scan_many(scanner, images[:3], store=store))
    assert [o.cached for o in first] == [False, False, False]
    again = list(scan_many(scanner, images, store=store))  # as if the first run had stopped after 3 inputs
    assert [o.cached for o in again] == [True] * 3 + [False] * (len(images) - 3)
    assert store.count() == len(images)
    copy = tmp_path / "renamed copy.jpg"  # the same bytes under another name are reported under that name
    copy.write_bytes(images[0].read_bytes())
    (found,) = scan_many(scanner, [copy], store=store)
    assert found.cached and found.record["input"] == str(copy) and store.count() == len(images)


def test_whole_face_mode_classifies_each_input_as_one_crop_without_detecting():
    scene = EXAMPLES / "scene_astronaut.jpg"
    detected = Scanner().scan(scene)
    whole = Scanner(face_mode="whole").scan(scene)
    assert detected.faces[0].source == "detected" and detected.timings_ms["detect"] > 0
    assert [f.source for f in whole.faces] == ["whole"] and whole.timings_ms["detect"] < 1
    assert whole.faces[0].box == (0.0, 0.0, float(whole.width), float(whole.height))


def test_each_file_is_read_and_hashed_once_with_a_store(tmp_path, monkeypatch):
    import hashlib

    import facetrust.media.source as source

    hashed: list[bytes] = []
    real_sha256 = hashlib.sha256

    def counting_sha256(data: bytes = b"", **kwargs):
        hashed.append(bytes(data))
        return real_sha256(data, **kwargs)

    monkeypatch.setattr(source.hashlib, "sha256", counting_sha256)
    images = sorted(EXAMPLES.glob("*.jpg"))
    store = ResultStore(f"sqlite:///{tmp_path / 'scans.db'}")
    outcomes = list(scan_many(Scanner(frames=4), images, store=store))
    assert len(outcomes) == len(images) and store.count() == len(images)
    assert [hashed.count(path.read_bytes()) for path in images] == [1] * len(images)
