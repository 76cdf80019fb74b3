import math

import numpy as np
import pytest

from facetrust.faces import create_detector, list_detectors
from facetrust.faces.detectors.base import non_max_suppression
from facetrust.faces.types import Face

# Eileen Collins' face in skimage's astronaut photo: roughly x 175-270, y 60-175 (checked by eye).
ASTRONAUT_FACE = (175, 60, 270, 175)


def centre_inside(face: Face, region: tuple[int, int, int, int]) -> bool:
    cx, cy = (face.box[0] + face.box[2]) / 2, (face.box[1] + face.box[3]) / 2
    return region[0] <= cx <= region[2] and region[1] <= cy <= region[3]


@pytest.mark.parametrize("name", ["mtcnn", "ssd", "dlib_hog", "blazeface", "cascade"])
def test_each_detector_finds_the_astronaut_with_landmarks(astronaut, name):
    faces = create_detector(name).detect(astronaut)
    assert len(faces) == 1
    face = faces[0]
    assert face.detector == name
    assert centre_inside(face, ASTRONAUT_FACE)
    left, right, mouth = face.landmarks["left_eye"], face.landmarks["right_eye"], face.landmarks["mouth"]
    assert left[0] < right[0] and mouth[1] > max(left[1], right[1])  # eyes above the mouth, in order
    assert abs(math.degrees(math.atan2(right[1] - left[1], right[0] - left[0]))) < 10


@pytest.mark.parametrize("name", ["mtcnn", "ssd", "dlib_hog", "blazeface", "cascade"])
def test_no_face_in_a_cat_photo(cat, name):
    assert create_detector(name).detect(cat) == []


def test_detection_on_a_large_image_maps_boxes_back_to_input_pixels(astronaut):
    import cv2

    big = cv2.resize(astronaut, (2048, 2048), interpolation=cv2.INTER_CUBIC)
    (face,) = create_detector("mtcnn").detect(big)
    assert centre_inside(face, tuple(v * 4 for v in ASTRONAUT_FACE))


def test_extreme_close_up_is_found_through_the_border_retry(shared_data):
    from facetrust.media import decode_image, read_input

    # A real Yonsei photo whose face overflows the frame: MTCNN alone finds nothing in it.
    pixels = decode_image(read_input(shared_data / "faces/yonsei/real/real_00696.jpg")).pixels
    detector = create_detector("mtcnn")
    assert detector._detect_resized(pixels) == []
    faces = detector.detect(pixels)
    assert len(faces) == 1 and faces[0].width > 300 and faces[0].score > 0.95


def test_unknown_detector_lists_the_known_ones():
    known = "blazeface, cascade, dlib_hog, mtcnn, ssd"
    with pytest.raises(ValueError, match=f"unknown face detector 'nope'; known detectors: {known}"):
        create_detector("nope")
    assert {"mtcnn", "ssd", "dlib_hog", "blazeface"} <= set(list_detectors())


def test_threshold_drops_low_scores(astronaut):
    assert create_detector("mtcnn", threshold=1.01).detect(astronaut) == []


def test_nms_keeps_the_best_of_overlapping_boxes():
    faces = [Face((0, 0, 100, 100), 0.8), Face((5, 5, 105, 105), 0.95), Face((300, 300, 350, 350), 0.9)]
    kept = non_max_suppression(faces, 0.4)
    assert [f.score for f in kept] == [0.95, 0.9]


def test_grey_image_has_no_face():
    assert create_detector("mtcnn").detect(np.full((300, 400, 3), 128, np.uint8)) == []


@pytest.mark.parametrize("name", ["mtcnn", "ssd", "dlib_hog", "blazeface", "cascade"])
@pytest.mark.parametrize("shape", [(8, 8), (12, 19), (19, 19), (20, 3000), (8, 40000), (40000, 8)],
                         ids=lambda shape: f"{shape[0]}x{shape[1]}")
def test_images_too_small_or_too_thin_to_hold_a_face_find_none(name, shape):
    noise = np.random.default_rng(0).integers(0, 256, (*shape, 3), dtype=np.uint8)
    assert create_detector(name).detect(noise) == []



def test_blazeface_points_agree_with_mtcnns_on_the_astronaut(astronaut):
    """The anchor decoding is right where BlazeFace's eyes and nose land within a few pixels of MTCNN's."""
    ours, reference = (create_detector(name).detect(astronaut)[0] for name in ("blazeface", "mtcnn"))
    for name in ("left_eye", "right_eye", "nose"):
        assert math.dist(ours.landmarks[name], reference.landmarks[name]) < 4


def test_the_cascade_asks_mtcnn_when_blazeface_is_unsure_or_finds_nothing(astronaut, monkeypatch):
    cascade = create_detector("cascade")
    unsure = Face(box=(175.0, 60.0, 270.0, 175.0), score=cascade.threshold - 0.01, detector="blazeface")
    for found in ([unsure], []):
        monkeypatch.setattr(cascade.first, "detect", lambda image, found=found: found)
        assert [face.detector for face in cascade.detect(astronaut)] == ["mtcnn"]


def test_the_cascade_finds_mtcnns_own_faces_without_mtcnns_whole_pyramid(shared_data, astronaut, monkeypatch):
    """BlazeFace settles the input, MTCNN searches only around its face: same boxes, points and scores."""
    from facetrust.media import decode_image, read_input

    cascade, mtcnn = create_detector("cascade"), create_detector("mtcnn")
    monkeypatch.setattr(cascade.fallback, "detect", lambda image: pytest.fail("the whole of MTCNN ran"))
    yonsei = sorted((shared_data / "faces/yonsei/real").glob("*.jpg"))[:4]
    for image in [astronaut, *(decode_image(read_input(path)).pixels for path in yonsei)]:
        ours, reference = cascade.detect(image), mtcnn.detect(image)
        assert [face.detector for face in ours] == ["cascade"] * len(reference)
        assert [(f.box, f.landmarks, f.score) for f in ours] == [(f.box, f.landmarks, f.score) for f in reference]


@pytest.mark.parametrize("name", ["mtcnn", "blazeface", "cascade"])
def test_one_detector_finds_the_same_faces_on_several_threads_at_once(astronaut, name):
    """A batch scan finds faces on worker threads sharing one detector (LiteRT's interpreter cannot be shared)."""
    from concurrent.futures import ThreadPoolExecutor

    detector = create_detector(name)
    reference = [(face.box, face.landmarks) for face in detector.detect(astronaut)]
    with ThreadPoolExecutor(4) as pool:
        found = list(pool.map(detector.detect, [astronaut] * 16))
    assert all([(face.box, face.landmarks) for face in faces] == reference for faces in found)
