"""MTCNN in NumPy (networks on onnxruntime) finds facenet-pytorch's own faces, and a scan then needs no torchvision."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from facetrust.faces.detectors import mtcnn_stages
from facetrust.faces.detectors.mtcnn_nets import load_nets
from facetrust.faces.detectors.suppression import nms
from tests.conftest import REPO


def photos(shared_data) -> list[np.ndarray]:
    """Real photos with faces of every size: close-ups (Yonsei), scenes, a face-less cat, each at most 640 px."""
    files = sorted((shared_data / "faces/yonsei").rglob("*.jpg"))[:6] + sorted((REPO / "examples").glob("*.jpg"))
    images = []
    for file in files:
        image = Image.open(file).convert("RGB")
        image.thumbnail((640, 640))
        images.append(np.asarray(image))
    return images


@pytest.fixture(scope="module")
def reference():
    facenet = pytest.importorskip("facenet_pytorch")
    return facenet.MTCNN(keep_all=True, min_face_size=20, device="cpu", post_process=False)


@pytest.mark.parametrize("onnx", [True, False], ids=["onnxruntime", "pytorch"])
def test_the_faces_are_facenet_pytorchs_own(shared_data, reference, cat, onnx):
    nets = load_nets(prefer_onnx=onnx)
    for image in [*photos(shared_data), cat]:
        with torch.inference_mode():
            boxes, scores, points = reference.detect(image, landmarks=True)
        found = mtcnn_stages.find(image, nets, 20)
        if boxes is None:
            assert len(found.boxes) == 0
            continue
        largest_first = np.argsort(-(found.boxes[:, 2] - found.boxes[:, 0]) * (found.boxes[:, 3] - found.boxes[:, 1]))
        assert len(found.boxes) == len(boxes)
        np.testing.assert_allclose(found.boxes[largest_first], np.asarray(boxes, np.float32), atol=0.01)
        np.testing.assert_allclose(found.points[largest_first], np.asarray(points, np.float32), atol=0.01)
        np.testing.assert_allclose(found.scores[largest_first], np.asarray(scores, np.float32), atol=1e-4)


def test_area_resampling_is_torchs(astronaut):
    summed = mtcnn_stages.SummedImage(astronaut)
    rng = np.random.default_rng(0)
    pixels = torch.from_numpy(astronaut).permute(2, 0, 1)[None].float()
    for _ in range(20):
        top, left = rng.integers(0, 400, size=2)
        bottom, right = top + rng.integers(1, 112), left + rng.integers(1, 112)
        height, width = rng.integers(1, 60, size=2)
        ours = summed.resample(np.array([top, bottom, left, right]), int(height), int(width))[0]
        theirs = torch.nn.functional.interpolate(pixels[:, :, top:bottom, left:right], size=(int(height), int(width)),
                                                 mode="area")[0].permute(1, 2, 0).numpy()
        np.testing.assert_allclose(ours, theirs, atol=1e-3)


def test_part_of_a_pyramid_level_has_the_whole_levels_pixels(astronaut):
    summed = mtcnn_stages.SummedImage(astronaut)
    whole = summed.resample(np.array([0, summed.height, 0, summed.width]), 123, 131)
    part = summed.resample_part(123, 131, slice(40, 90), slice(6, 131))
    np.testing.assert_array_equal(part[0], whole[0, 40:90, 6:131])


def test_a_search_near_mtcnns_face_finds_that_face_exactly(shared_data):
    """P-Net on part of some pyramid levels gives the whole pyramid's face: the cascade's crops are MTCNN's."""
    nets = load_nets()
    checked = 0
    for image in photos(shared_data):
        found = mtcnn_stages.find(image, nets, 20)
        if len(found.boxes):
            near = mtcnn_stages.find_near(image, nets, 20, found.boxes[:1], smallest=1 / 3, margin=1.0)
            main = np.argmax(found.scores)
            index = int(np.argmin(np.abs(near.boxes - found.boxes[main]).sum(axis=1)))
            np.testing.assert_array_equal(near.boxes[index], found.boxes[main])
            np.testing.assert_array_equal(near.points[index], found.points[main])
            checked += 1
    assert checked >= 5


def test_suppression_keeps_torchvisions_boxes():
    torchvision = pytest.importorskip("torchvision")
    rng = np.random.default_rng(1)
    corners = rng.uniform(0, 200, size=(300, 2)).astype(np.float32)
    boxes = np.concatenate([corners, corners + rng.uniform(5, 60, size=(300, 2)).astype(np.float32)], axis=1)
    scores = rng.uniform(size=300).astype(np.float32)
    for threshold in (0.3, 0.5, 0.7):
        expected = torchvision.ops.nms(torch.from_numpy(boxes), torch.from_numpy(scores), threshold).numpy()
        np.testing.assert_array_equal(nms(boxes, scores, threshold), expected)


def test_overlap_over_the_smaller_box_drops_a_box_inside_another():
    boxes = np.array([[0, 0, 100, 100], [10, 10, 40, 40]], np.float32)
    scores = np.array([0.9, 0.8], np.float32)
    assert nms(boxes, scores, 0.7).tolist() == [0, 1]  # IoU 0.09
    assert nms(boxes, scores, 0.7, overlap="min", inclusive=True).tolist() == [0]


def test_an_image_too_small_for_the_smallest_face_has_none():
    found = mtcnn_stages.find(np.zeros((15, 300, 3), np.uint8), load_nets(), 20)
    assert found.boxes.shape == (0, 4)


def test_a_scan_after_the_first_imports_no_torch(tmp_path):
    """Once the graphs are exported and checked (the first scan), scans run MTCNN and the classifier on
    onnxruntime alone: PyTorch (a third of start-up and 0.5 GB), torchvision and scikit-learn are never imported."""
    pytest.importorskip("onnxruntime")
    probe = ("import sys; from facetrust.cli import app\n"
             "try: app([\"scan\", sys.argv[1]])\nexcept SystemExit: pass\n"
             "print(sorted(m for m in ('torch', 'torchvision', 'facenet_pytorch', 'timm', 'sklearn') "
             "if m in sys.modules))")
    env = {**os.environ, "FACETRUST_CACHE_DIR": str(tmp_path)}
    run = [sys.executable, "-c", probe, str(REPO / "examples/real_00003.jpg")]
    subprocess.run(run, env=env, capture_output=True, text=True, check=True)  # exports and checks the graphs
    again = subprocess.run(run, env=env, capture_output=True, text=True, check=True)
    assert "REAL" in again.stdout or "FAKE" in again.stdout or "UNCERTAIN" in again.stdout
    assert again.stdout.strip().splitlines()[-1] == "[]"
