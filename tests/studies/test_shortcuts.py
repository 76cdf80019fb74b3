"""Shortcut probes find real/fake differences that live in the file format, and none where there are none."""

from __future__ import annotations

import numpy as np
from PIL import Image

from facetrust.studies.shortcuts import FEATURES, format_features, probe_folder


def _write_set(root, real_quality: int, fake_quality: int, count: int = 30) -> None:
    rng = np.random.default_rng(0)
    for label, quality in (("real", real_quality), ("fake", fake_quality)):
        (root / label).mkdir(parents=True)
        for i in range(count):
            pixels = np.clip(rng.normal(128, 40, (64, 64, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(root / label / f"{label}{i}.jpg", quality=quality)


def test_a_compression_difference_between_classes_is_found(tmp_path):
    _write_set(tmp_path, real_quality=95, fake_quality=40)
    assert probe_folder("jpeg", tmp_path).test_auc > 0.95


def test_identically_made_classes_give_the_probe_nothing(tmp_path):
    _write_set(tmp_path, real_quality=80, fake_quality=80)
    assert probe_folder("same", tmp_path).test_auc < 0.75


def test_every_format_feature_has_its_name(tmp_path):
    _write_set(tmp_path, real_quality=90, fake_quality=90, count=1)
    features = format_features(tmp_path / "real" / "real0.jpg", {"native": "256x128", "crop": "64px", "face": "32px"})
    named = dict(zip(FEATURES, features, strict=True))  # a feature added without its name fails here
    assert named["native_px"] == 256 and named["face_share"] == 0.5 and named["upscale"] == 1.0
