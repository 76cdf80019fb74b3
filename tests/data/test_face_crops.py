import shutil

import numpy as np

from facetrust.data.datasets import Sample
from facetrust.data.face_crops import CropCache, crop_samples
from facetrust.faces import FaceFinder


def test_crops_are_cached_by_content_and_settings(tmp_path, shared_data, cat, monkeypatch):
    from PIL import Image

    shutil.copy(shared_data / "faces/yonsei/real/real_00004.jpg", tmp_path / "face.jpg")
    Image.fromarray(cat).save(tmp_path / "cat.png")
    (tmp_path / "broken.jpg").write_text("nope")
    samples = [Sample(tmp_path / n, 0) for n in ("face.jpg", "cat.png", "broken.jpg")]
    finder = FaceFinder("mtcnn", mode="detect", size=64)
    cache = CropCache(finder, tmp_path / "cache")
    first = crop_samples(samples, finder, progress=False, cache=cache)
    assert len(first.crops) == 1 and first.crops[0].shape == (64, 64, 3)
    assert first.skipped[0][1] == "no face found"
    assert "not a recognised image" in first.skipped[1][1]

    monkeypatch.setattr(finder, "find", lambda image: (_ for _ in ()).throw(AssertionError("detector ran")))
    second = crop_samples(samples, finder, progress=False, cache=cache)
    assert np.array_equal(second.crops[0], first.crops[0]) and second.skipped == first.skipped

    other = CropCache(FaceFinder("mtcnn", mode="detect", size=96), tmp_path / "cache")
    assert other.folder != cache.folder


def test_a_detector_whose_faces_changed_gets_new_crop_caches(tmp_path, monkeypatch):
    """Crops cached before a detector's revision are not reused after it; revision 0 keeps the older keys."""
    from facetrust.faces.detectors.mtcnn import MTCNNDetector

    before = CropCache(FaceFinder("mtcnn"), tmp_path).folder
    assert "revision" not in FaceFinder("mtcnn").settings()
    monkeypatch.setattr(MTCNNDetector, "revision", 1)
    assert CropCache(FaceFinder("mtcnn"), tmp_path).folder != before
