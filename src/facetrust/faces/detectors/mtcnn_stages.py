"""MTCNN's three stages in NumPy, for one image, after facenet-pytorch's `detect_face`.

The networks are plain calls (NCHW float32 in, their outputs out), so they can run on onnxruntime and a scan
imports neither torch nor torchvision. The arithmetic follows facenet-pytorch step by step (float32, torch's
"area" resampling, torchvision's NMS, the final "Min" overlap), so the faces are facenet-pytorch's own:
tests/faces/test_mtcnn_stages.py compares them on real photos. Where facenet-pytorch would misalign scores and
boxes (a box with no pixels inside the image), the box is dropped instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from facetrust.faces.detectors.suppression import nms

Net = Callable[[np.ndarray], tuple[np.ndarray, ...]]
THRESHOLDS = (0.6, 0.7, 0.7)  # facenet-pytorch's defaults for P-, R- and O-Net
PYRAMID_FACTOR = 0.709
CELL, STRIDE = 12, 2  # P-Net's window and step, in pixels of the scaled image


@dataclass(frozen=True)
class MtcnnNets:
    """P-Net returns (box regression, face probability) maps; R-Net (regression, probability); O-Net
    (regression, ten landmark coordinates, probability)."""

    pnet: Net
    rnet: Net
    onet: Net


@dataclass(frozen=True)
class Found:
    """Boxes (N, 4) as x1, y1, x2, y2, O-Net's face probabilities (N,) and five landmarks each (N, 5, 2)."""

    boxes: np.ndarray
    scores: np.ndarray
    points: np.ndarray

    def select(self, keep: np.ndarray) -> Found:
        return Found(self.boxes[keep], self.scores[keep], self.points[keep])


NOTHING = Found(np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros((0, 5, 2), np.float32))


class SummedImage:
    """An image's integral (summed-area table), from which any rectangle is resampled the way torch's
    `interpolate(mode="area")` does: each output pixel is the plain mean of the input pixels in its bin."""

    def __init__(self, image: np.ndarray) -> None:
        self.height, self.width = image.shape[:2]
        # uint8 sums are integers, exact in float64 for any image size
        self.table = cv2.integral(np.ascontiguousarray(image), sdepth=cv2.CV_64F).reshape(
            self.height + 1, self.width + 1, -1)

    def resample(self, ranges: np.ndarray, height: int, width: int) -> np.ndarray:
        """Rectangles given as rows (top, bottom, left, right), each area-resampled to (height, width):
        (N, height, width, channels) float32."""
        top, bottom, left, right = np.asarray(ranges, np.int64).reshape(-1, 4).T
        return self._pooled(_bins(top, bottom, height), _bins(left, right, width))

    def resample_part(self, height: int, width: int, rows: slice, cols: slice) -> np.ndarray:
        """Rows and columns `rows`, `cols` of the whole image area-resampled to (height, width), with exactly the
        values the whole resampled image has there: (1, rows, cols, channels) float32."""
        row0, row1 = _bins(np.array([0]), np.array([self.height]), height)
        col0, col1 = _bins(np.array([0]), np.array([self.width]), width)
        return self._pooled((row0[:, rows], row1[:, rows]), (col0[:, cols], col1[:, cols]))

    def _pooled(self, row_bins: tuple[np.ndarray, np.ndarray], col_bins: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        """The mean of each (row bin, column bin) rectangle, one image per row of the bin arrays."""
        (row0, row1), (col0, col1) = row_bins, col_bins
        stride = self.width + 1
        row0, row1 = row0[:, :, None] * stride, row1[:, :, None] * stride
        col0, col1 = col0[:, None, :], col1[:, None, :]
        table = self.table.reshape(-1, self.table.shape[2])
        corner = lambda rows, cols: table.take((rows + cols).ravel(), axis=0)  # noqa: E731
        sums = (corner(row1, col1) - corner(row0, col1)) - (corner(row1, col0) - corner(row0, col0))
        counts = ((row1 - row0) // stride) * (col1 - col0)
        return (sums.reshape(*counts.shape, -1) / counts[..., None]).astype(np.float32)


def _bins(start: np.ndarray, end: np.ndarray, out: int) -> tuple[np.ndarray, np.ndarray]:
    """torch's adaptive pooling bins over start:end (one row per range): output i averages inputs
    floor(i*size/out) to ceil((i+1)*size/out) of the range's size inputs."""
    index = np.arange(out)
    size = (end - start)[:, None]
    return start[:, None] + index * size // out, start[:, None] + ((index + 1) * size + out - 1) // out


def find(image: np.ndarray, nets: MtcnnNets, min_face: int) -> Found:
    """Every face MTCNN finds in an RGB uint8 image, in facenet-pytorch's order."""
    summed = SummedImage(image)
    everywhere = [(slice(0, None), slice(0, None))]
    return _faces(summed, nets, [(scale, everywhere) for scale in _pyramid(summed, min_face)])


def find_near(image: np.ndarray, nets: MtcnnNets, min_face: int, boxes: np.ndarray, smallest: float,
              margin: float) -> Found:
    """The faces MTCNN finds around boxes another detector found: its own stages on the pyramid levels whose
    window is at least `smallest` times a box's side, over the box and `margin` sides around it. The pixels and
    P-Net cells there are exactly those of the whole pyramid, so a face found this way is MTCNN's own unless a
    candidate from a finer level or from outside the region would have won."""
    summed = SummedImage(image)
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    levels = []
    for scale in _pyramid(summed, min_face):
        regions = [_region(box, margin, scale, summed) for box in boxes if CELL / scale >= smallest * _side(box)]
        if regions := [region for region in regions if region is not None]:
            levels.append((scale, regions))
    return _faces(summed, nets, levels)


Region = tuple[slice, slice]  # rows and columns of one pyramid level


def _faces(summed: SummedImage, nets: MtcnnNets, levels: list[tuple[float, list[Region]]]) -> Found:
    """MTCNN's three stages, P-Net on the given regions of the given pyramid levels."""
    boxes = _with_pixels(_proposals(summed, nets.pnet, levels), summed)
    if len(boxes):
        boxes = _with_pixels(_rnet_filter(summed, nets.rnet, boxes), summed)
    if not len(boxes):
        return NOTHING
    found = _onet(summed, nets.onet, boxes)
    found = found.select(found.scores > THRESHOLDS[2])
    return found.select(nms(found.boxes, found.scores, 0.7, overlap="min", inclusive=True))


def _pyramid(summed: SummedImage, min_face: int) -> list[float]:
    """The scales of facenet-pytorch's image pyramid: from a min_face window down to the image's short side."""
    scale = CELL / min_face
    shortest = min(summed.height, summed.width) * scale
    scales = []
    while shortest >= CELL:
        scales.append(scale)
        scale *= PYRAMID_FACTOR
        shortest *= PYRAMID_FACTOR
    return scales


def _level_size(summed: SummedImage, scale: float) -> tuple[int, int]:
    """The height and width of the pyramid level at `scale`, as facenet-pytorch sizes it."""
    return int(summed.height * scale + 1), int(summed.width * scale + 1)


def _side(box: np.ndarray) -> float:
    return float(max(box[2] - box[0], box[3] - box[1]))


def _region(box: np.ndarray, margin: float, scale: float, summed: SummedImage) -> Region | None:
    """The rows and columns of a pyramid level covering the box and `margin` sides around it. They start on an
    even pixel, so P-Net's cells are the whole level's, and span an even count unless they reach the level's
    edge, so P-Net's pooling sees the same pixel pairs; None where no 12-pixel window fits."""
    margin *= _side(box)
    spans = []
    height, width = _level_size(summed, scale)
    for low, high, size in ((box[1], box[3], height), (box[0], box[2], width)):
        start = max(0, int(np.floor((low - margin) * scale))) // 2 * 2
        end = min(size, int(np.ceil((high + margin) * scale)))
        if end < size and (end - start) % 2:
            end += 1
        if end - start < CELL:
            return None
        spans.append(slice(start, end))
    return spans[0], spans[1]


def _proposals(summed: SummedImage, pnet: Net, levels: list[tuple[float, list[Region]]]) -> np.ndarray:
    """P-Net over the regions of each pyramid level: candidate boxes (N, 4), squared, after per-level and global
    NMS."""
    found = []
    for scale, regions in levels:
        candidates = []
        for rows, cols in regions:
            scaled = summed.resample_part(*_level_size(summed, scale), rows, cols)
            regression, probability = pnet(_normalised(scaled))
            candidates.append(_windows(regression[0], probability[0, 1], scale, (cols.start, rows.start)))
        candidates = np.concatenate(candidates)
        found.append(candidates[nms(candidates[:, :4], candidates[:, 4], 0.5)])
    if not found:
        return np.zeros((0, 4), np.float32)
    candidates = np.concatenate(found)
    candidates = candidates[nms(candidates[:, :4], candidates[:, 4], 0.7)]
    box, shift = candidates[:, :4], candidates[:, 5:9]
    sides = np.tile(box[:, 2:4] - box[:, 0:2], 2)
    return _squared(box + shift * sides)


def _windows(regression: np.ndarray, probability: np.ndarray, scale: float, origin: tuple[int, int]) -> np.ndarray:
    """P-Net's map cells above its threshold as rows (x1, y1, x2, y2, score, four regression terms); `origin` is
    the (even) pixel of the pyramid level where the map's input began."""
    rows, cols = np.nonzero(probability >= THRESHOLDS[0])
    cells = np.stack([cols + origin[0] // STRIDE, rows + origin[1] // STRIDE], axis=1).astype(np.float32)
    start = np.floor((STRIDE * cells + 1) / np.float32(scale))
    end = np.floor((STRIDE * cells + CELL) / np.float32(scale))
    return np.concatenate([start, end, probability[rows, cols, None], regression[:, rows, cols].T], axis=1)


def _rnet_filter(summed: SummedImage, rnet: Net, boxes: np.ndarray) -> np.ndarray:
    """R-Net on P-Net's boxes (each with pixels inside the image): those it accepts, corrected and squared."""
    regression, probability = rnet(_crops(summed, boxes, 24))
    keep = probability[:, 1] > THRESHOLDS[1]
    boxes, regression, scores = boxes[keep], regression[keep], probability[keep, 1]
    picked = nms(boxes, scores, 0.7)
    return _squared(_regressed(boxes[picked], regression[picked]))


def _onet(summed: SummedImage, onet: Net, boxes: np.ndarray) -> Found:
    """O-Net on each box: corrected boxes, scores and landmarks in image pixels (nothing thresholded)."""
    regression, landmarks, probability = onet(_crops(summed, boxes, 48))
    sides = boxes[:, 2:4] - boxes[:, 0:2] + 1
    points = np.stack([landmarks[:, :5] * sides[:, :1] + boxes[:, :1] - 1,
                       landmarks[:, 5:] * sides[:, 1:] + boxes[:, 1:2] - 1], axis=2)
    return Found(_regressed(boxes, regression), probability[:, 1], points.astype(np.float32))


def _regressed(boxes: np.ndarray, regression: np.ndarray) -> np.ndarray:
    """facenet-pytorch's `bbreg`: edges moved by the regression, in units of the box side plus one."""
    sides = np.tile(boxes[:, 2:4] - boxes[:, 0:2] + 1, 2)
    return boxes + regression[:, :4] * sides


def _squared(boxes: np.ndarray) -> np.ndarray:
    """facenet-pytorch's `rerec`: each box grown to a square on its longer side, about the same centre."""
    sizes = boxes[:, 2:4] - boxes[:, 0:2]
    side = sizes.max(axis=1, keepdims=True)
    corner = boxes[:, 0:2] + sizes * 0.5 - side * 0.5
    return np.concatenate([corner, corner + side], axis=1)


def _pixel_ranges(boxes: np.ndarray, summed: SummedImage) -> np.ndarray:
    """facenet-pytorch's `pad` as slices: rows y1-1:y2 and columns x1-1:x2 of the truncated box, kept inside."""
    whole = np.trunc(boxes).astype(np.int64)
    left, top = np.maximum(whole[:, 0], 1) - 1, np.maximum(whole[:, 1], 1) - 1
    right, bottom = np.minimum(whole[:, 2], summed.width), np.minimum(whole[:, 3], summed.height)
    return np.stack([top, bottom, left, right], axis=1)


def _with_pixels(boxes: np.ndarray, summed: SummedImage) -> np.ndarray:
    """The boxes that hold at least one pixel of the image (the others have nothing to resample)."""
    ranges = _pixel_ranges(boxes, summed)
    return boxes[(ranges[:, 1] > ranges[:, 0]) & (ranges[:, 3] > ranges[:, 2])]


def _crops(summed: SummedImage, boxes: np.ndarray, size: int) -> np.ndarray:
    """Each box's pixels resampled to size x size, normalised, NCHW."""
    return _normalised(summed.resample(_pixel_ranges(boxes, summed), size, size))


def _normalised(images: np.ndarray) -> np.ndarray:
    """NHWC 0-255 to MTCNN's NCHW input scale."""
    return np.ascontiguousarray(((images - np.float32(127.5)) * np.float32(0.0078125)).transpose(0, 3, 1, 2))
