import numpy as np
import pytest

import facetrust
from facetrust.api import find_faces_or_error
from facetrust.errors import ProcessingError
from facetrust.faces import FaceFinder
from facetrust.faces.detectors.base import FaceDetector


def test_find_faces_accepts_path_bytes_and_array_alike(tmp_path, astronaut, astronaut_jpeg):
    path = tmp_path / "astronaut.jpg"
    path.write_bytes(astronaut_jpeg)
    from_path = facetrust.find_faces(path)
    from_bytes = facetrust.find_faces(astronaut_jpeg, name="upload.jpg")
    from_array = facetrust.find_faces(astronaut)
    assert from_path.sha256 == from_bytes.sha256 and from_bytes.name == "upload.jpg"
    boxes = [r.frames[0].faces[0].face.box for r in (from_path, from_bytes, from_array)]
    assert np.allclose(boxes[0], boxes[1]) and np.allclose(boxes[0], boxes[2], atol=4)
    record = from_path.to_dict()
    assert record["kind"] == "image" and record["faces"][0]["source"] == "detected"


def test_video_record_lists_sampled_frames(ffpp_real_video):
    result = facetrust.find_faces(ffpp_real_video, frames=4)
    record = result.to_dict()
    assert record["kind"] == "video" and len(record["frames"]) == 4
    assert all(len(frame["faces"]) >= 1 for frame in record["frames"])
    assert [f["time"] for f in record["frames"]] == sorted(f["time"] for f in record["frames"])


def test_a_phone_clip_stored_sideways_is_searched_upright(astronaut):
    from tests.media.test_video import sideways_clip

    scene = np.ascontiguousarray(astronaut[:384])
    result = facetrust.find_faces(sideways_clip(scene, 90), name="phone.mp4", frames=2)
    assert (result.width, result.height) == (512, 384)
    assert any("display rotation applied" in note for note in result.notes)
    assert all(len(frame.faces) == 1 for frame in result.frames)  # sideways, no face was found


def test_wrong_array_shapes_are_refused():
    with pytest.raises(ValueError, match="uint8"):
        facetrust.find_faces(np.zeros((10, 10, 3), np.float32))


class ExplodingDetector(FaceDetector):
    def _detect(self, image):
        raise RuntimeError("boom")


def test_unexpected_failures_come_back_as_errors_naming_the_input(tmp_path, astronaut_jpeg):
    path = tmp_path / "a.jpg"
    path.write_bytes(astronaut_jpeg)
    outcome = find_faces_or_error(path, FaceFinder(ExplodingDetector(), mode="detect"))
    assert isinstance(outcome, ProcessingError)
    assert str(outcome) == f"{path}: unexpected RuntimeError: boom"
