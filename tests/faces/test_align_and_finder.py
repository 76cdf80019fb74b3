import math

import cv2
import numpy as np
import pytest

from facetrust.faces import FaceFinder, align_face, create_detector
from facetrust.faces.align import crop_box, whole_image
from facetrust.faces.types import Face


def rotate(image: np.ndarray, degrees: float) -> np.ndarray:
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(image, matrix, (w, h), flags=cv2.INTER_CUBIC)


def eye_angle(face: Face) -> float:
    (lx, ly), (rx, ry) = face.landmarks["left_eye"], face.landmarks["right_eye"]
    return math.degrees(math.atan2(ry - ly, rx - lx))


def test_alignment_levels_the_eyes_of_a_tilted_face(astronaut):
    tilted = rotate(astronaut, 20)
    detector = create_detector("mtcnn")
    (face,) = detector.detect(tilted)
    assert abs(eye_angle(face)) > 12  # the input really is tilted
    crop = align_face(tilted, face, size=224, margin=0.3)
    assert crop.shape == (224, 224, 3)
    (aligned,) = detector.detect(crop)
    assert abs(eye_angle(aligned)) < 3
    # Fixed scale: the eyes land where the template puts them, whatever the input size.
    (ax, _), (bx, _) = aligned.landmarks["left_eye"], aligned.landmarks["right_eye"]
    assert (bx - ax) == pytest.approx(0.3146 * 224 / 1.3, rel=0.12)


def test_box_only_face_falls_back_to_a_square_crop(astronaut):
    face = Face((100, 100, 200, 300), None)
    crop = align_face(astronaut, face, size=64, margin=0.0)
    assert crop.shape == (64, 64, 3)
    expected = cv2.resize(astronaut[100:300, 50:250], (64, 64), interpolation=cv2.INTER_AREA)
    assert np.abs(crop.astype(int) - expected.astype(int)).mean() < 12


def test_whole_image_shortcut_equals_the_warp(astronaut):
    """A crop already at the model's size skips the warp; the pixels must be what the warp gives."""
    square = astronaut[:256, 100:356]
    shortcut = whole_image(square, 256)
    assert shortcut is not square
    assert np.array_equal(shortcut, crop_box(square, (0.0, 0.0, 256.0, 256.0), 256, margin=0.0))
    assert whole_image(square, 128).shape == (128, 128, 3)


def test_whole_mode_runs_no_detector_and_uses_the_image(cat):
    (found,) = FaceFinder("mtcnn", mode="whole", size=96).find(cat)
    assert found.source == "whole" and found.crop.shape == (96, 96, 3)
    assert found.face.box == (0.0, 0.0, float(cat.shape[1]), float(cat.shape[0]))


def test_auto_mode_treats_a_face_crop_as_a_crop(shared_data):
    from facetrust.media import decode_image, read_input

    path = sorted((shared_data / "faces/k140/test/real").iterdir())[0]
    pixels = decode_image(read_input(path)).pixels
    (found,) = FaceFinder("mtcnn", mode="auto", size=128).find(pixels)
    assert found.source == "whole"
    assert np.abs(found.crop.astype(int) - cv2.resize(pixels, (128, 128), interpolation=cv2.INTER_AREA)).mean() < 6


def test_auto_mode_detects_in_a_scene_and_detect_mode_never_uses_whole(astronaut, cat):
    auto = FaceFinder("mtcnn", mode="auto").find(astronaut)
    assert [f.source for f in auto] == ["detected"]
    assert FaceFinder("mtcnn", mode="detect").find(cat) == []


def test_largest_only(astronaut):
    small_copy = np.pad(cv2.resize(astronaut, (256, 256)), ((0, 256), (0, 0), (0, 0)))
    two = np.hstack([astronaut, small_copy])
    all_faces = FaceFinder("mtcnn", mode="detect").find(two)
    largest = FaceFinder("mtcnn", mode="detect", all_faces=False).find(two)
    assert len(all_faces) == 2 and len(largest) == 1
    assert largest[0].face.area == max(f.face.area for f in all_faces)
